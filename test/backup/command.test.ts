import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { CliDeps, runCli } from "../../cli/esiphub";
import { backupAdvice, BackupDeps } from "../../cli/backup";
import { readManifest } from "../../cli/backup/manifest";
import { AutomationDouble, FakeSite } from "../cli/automation-double";
import { PROJECT_DIR } from "../mocks";
import { makeHome } from "./tree";
import { Sshd, sshdUnavailable, startSshd } from "./sshd";
import { Capture } from "../capture";

interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    calls: string[];
    questions: string[];
}

const unavailable = sshdUnavailable();
const suite = unavailable ? describe.skip : describe;

suite(`esiphub backup, handout and the destroy advice, on a site whose NFS host is a real sshd${unavailable ? ` (skipped: ${unavailable})` : ""}`, function () {
    this.timeout(10 * 60_000);
    let sshd: Sshd;
    let tmp: string;
    let projectDir: string;
    let exportDir: string;
    let homeDir: string;
    let binDir: string;

    before(async () => {
        sshd = await startSshd();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-backup-cli-"));
        // A project folder with one site, "testsite": the Jetstream2 stack with 3 workshop accounts (+ instructor
        // and helper) whose nodes log in as this machine's user.
        projectDir = path.join(tmp, "project");
        fs.mkdirSync(projectDir);
        const stack = fs
            .readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8")
            .replace("esiphub:users: 60", "esiphub:users: 3")
            .concat(`  esiphub:sshUser: ${sshd.user}\n`);
        fs.writeFileSync(path.join(projectDir, "Pulumi.testsite.yaml"), stack);
        // The share as nfs-server.sh and the provisioner lay it out: <export>/<hub namespace>/<claim>.
        exportDir = path.join(tmp, "srv", "esiphub");
        const claims = path.join(exportDir, "jhub");
        for (const claim of ["claim-workshop-01", "claim-workshop-2d02", "claim-instructor", "esiphub-scratch", "archived-jhub-claim-old-pvc-1234"]) {
            fs.mkdirSync(path.join(claims, claim), { recursive: true });
            makeHome(path.join(claims, claim));
        }
        homeDir = path.join(tmp, "home");
        binDir = path.join(tmp, "bin");
        fs.mkdirSync(homeDir);
        fs.mkdirSync(binDir);
        // Only found on PATH by `destroy`'s preflight, never run: the double stands in for it.
        fs.writeFileSync(path.join(binDir, "pulumi"), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
    });
    after(async () => {
        await sshd?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    function site(outputs: OutputMap = {}, config: Record<string, string> = {}): Record<string, FakeSite> {
        return {
            testsite: {
                outputs: { publicIp: { value: "127.0.0.1", secret: false }, nfsPrivateIp: { value: "127.0.0.1", secret: false }, ...outputs },
                config: { "esiphub:sshPrivateKey": sshd.key, ...config },
                resources: [{ urn: "urn:pulumi:testsite::esiphub::openstack:blockstorage/volume:Volume::esiphub-testsite-data", type: "openstack:blockstorage/volume:Volume", protect: false, retainOnDelete: false }],
            },
        };
    }

    async function run(args: string[], options: { sites?: Record<string, FakeSite>; answer?: boolean; sshPort?: number } = {}): Promise<RunResult> {
        const stdout = new Capture();
        const stderr = new Capture();
        const double = new AutomationDouble(options.sites ?? site());
        const questions: string[] = [];
        const deps: CliDeps & BackupDeps = {
            projectDir,
            env: { PATH: binDir, OS_APPLICATION_CREDENTIAL_ID: "id", OS_APPLICATION_CREDENTIAL_SECRET: "secret" },
            homeDir,
            stdout,
            stderr,
            automation: double,
            confirm:
                options.answer === undefined
                    ? undefined
                    : async (q) => {
                          questions.push(q);
                          return options.answer!;
                      },
            // Deleting the data volume asks for the site's name to be typed.
            ask:
                options.answer === undefined
                    ? undefined
                    : async (q) => {
                          questions.push(q);
                          return options.answer ? "testsite" : "";
                      },
            nfsAccess: { sshPort: options.sshPort ?? sshd.port, exportDir },
        };
        const code = await runCli(args, deps);
        return { code, stdout: stdout.text, stderr: stderr.text, calls: double.calls, questions };
    }

    it("backs up every account's home and the shared folder, notes who has none, and writes the hand-out pages", async () => {
        const out = path.join(tmp, "backup all");
        const r = await run(["backup", "testsite", "--out", out, "--workshop", "ESIP <Winter> 2026", "--per-user-links"]);
        assert.strictEqual(r.code, 0, r.stderr + r.stdout);
        assert.ok(!(r.stdout + r.stderr).includes("PRIVATE KEY"), "the key is never printed");
        const manifest = readManifest(out)!;
        // workshop-02's claim has KubeSpawner 6's escaped name: it is found all the same.
        assert.deepStrictEqual(
            manifest.archives.map((a) => [a.name, a.file, a.source]),
            [
                ["instructor", "homes/instructor.tar.gz", `${exportDir}/jhub/claim-instructor`],
                ["workshop-01", "homes/workshop-01.tar.gz", `${exportDir}/jhub/claim-workshop-01`],
                ["workshop-02", "homes/workshop-02.tar.gz", `${exportDir}/jhub/claim-workshop-2d02`],
                ["shared", "shared.tar.gz", `${exportDir}/jhub/esiphub-scratch`],
            ],
        );
        assert.deepStrictEqual(manifest.missing.map((m) => m.name).sort(), ["helper", "workshop-03"]);
        assert.match(r.stdout, /No folder \(never started a server\): workshop-03, helper/);
        assert.deepStrictEqual(r.calls, ["stack testsite select", "outputs testsite", "getConfig testsite esiphub:sshPrivateKey"]);

        // One page per account, the archive link relative to the page.
        const handout = path.join(out, "handout");
        assert.deepStrictEqual(fs.readdirSync(handout).sort(), ["helper.html", "index.html", "instructor.html", "links.csv", "workshop-01.html", "workshop-02.html", "workshop-03.html"]);
        const page = fs.readFileSync(path.join(handout, "workshop-01.html"), "utf8");
        assert.match(page, /<h1>Your work from ESIP &lt;Winter&gt; 2026<\/h1>/);
        const href = /href="([^"]+)" download/.exec(page)![1];
        assert.strictEqual(href, "../homes/workshop-01.tar.gz");
        assert.ok(fs.existsSync(path.resolve(handout, decodeURIComponent(href))));
        assert.ok(page.includes(manifest.archives.find((a) => a.name === "workshop-01")!.sha256));
        assert.match(fs.readFileSync(path.join(handout, "workshop-03.html"), "utf8"), /no files to hand back/);
        assert.match(fs.readFileSync(path.join(handout, "links.csv"), "utf8"), /^user,page,archive,bytes,sha256\nhelper,helper\.html,,,\ninstructor,instructor\.html,\.\.\/homes\/instructor\.tar\.gz,\d+,[0-9a-f]{64}\n/);

        // Where the last backup is, for destroy.
        assert.match(backupAdvice("testsite", { homeDir }), new RegExp(`^The last backup of site "testsite" is in ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(.* UTC, 4 archives, .*, complete\\)\\.$`));
    });

    it("--users: only those homes, no shared folder; an unknown user is refused before anything is asked", async () => {
        const out = path.join(tmp, "backup some");
        const bad = await run(["backup", "testsite", "--out", out, "--users", "workshop-01,nobody,workshop-1"]);
        assert.strictEqual(bad.code, 1);
        assert.match(bad.stderr, /^esiphub: --users: "nobody", "workshop-1" are not accounts of site "testsite" \(accounts: workshop-01, workshop-02, workshop-03, instructor, helper\)\. Nothing was backed up\n$/);
        assert.deepStrictEqual(bad.calls, []);
        assert.ok(!fs.existsSync(out));

        const r = await run(["backup", "testsite", "--out", out, "--users", "workshop-01"]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(readManifest(out)!.archives.map((a) => a.name), ["workshop-01"]);
    });

    it("a dedicated NFS node is reached through the master; without its address output the command says how to get it", async () => {
        const out = path.join(tmp, "backup nfs node");
        const withNode = (outputs: OutputMap) => run(["backup", "testsite", "--out", out, "--users", "instructor"], { sites: site(outputs, {}) });
        const stackFile = path.join(projectDir, "Pulumi.testsite.yaml");
        const saved = fs.readFileSync(stackFile, "utf8");
        fs.appendFileSync(stackFile, "  esiphub:nfsNode: true\n");
        try {
            const missing = await withNode({ nfsPrivateIp: { value: "", secret: false } });
            assert.match(missing.stderr, /site "testsite" serves NFS from its own node but has no nfsPrivateIp output yet; `esiphub up testsite` adds it/);
            const r = await withNode({});
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(readManifest(out)!.nfsHost, "127.0.0.1 (through 127.0.0.1)");
        } finally {
            fs.writeFileSync(stackFile, saved);
        }
    });

    it("handout DIR --link-base: absolute links for a published folder", async () => {
        const out = path.join(tmp, "backup all");
        // The folder of the first test, made again when this one runs alone.
        if (!readManifest(out)) assert.strictEqual((await run(["backup", "testsite", "--out", out])).code, 0);
        const r = await run(["handout", out, "--link-base", "https://example.org/esip backups/"]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /Wrote 5 hand-out page\(s\), index\.html and links\.csv to .*handout/);
        assert.match(fs.readFileSync(path.join(out, "handout", "instructor.html"), "utf8"), /href="https:\/\/example\.org\/esip backups\/homes\/instructor\.tar\.gz" download/);
        assert.match((await run(["handout", path.join(tmp, "nothing here")])).stderr, /has no manifest\.json: make the backup first/);
        assert.match((await run(["handout", out, "--link-base", "ftp://x"])).stderr, /--link-base <url>' argument 'ftp:\/\/x' is invalid\. must be an http\(s\) URL/);
    });

    it("--help documents backup and handout", async () => {
        const backup = await run(["backup", "--help"]);
        for (const text of ["--out <dir>", "--users <a,b>", "--workshop <name>", "--per-user-links", "manifest.json", "resume", ".partial"]) assert.ok(backup.stdout.includes(text), `${text} in:\n${backup.stdout}`);
        assert.match((await run(["handout", "--help"])).stdout, /one page per user/);
    });

    describe("destroy, when the data volume goes with it", () => {
        const destroy = ["destroy", "testsite", "--delete-data"];
        const deletable = () => site({}, { "esiphub:keepDataOnDestroy": "false" });

        it("says where the last backup is (with --yes it asks nothing)", async () => {
            const r = await run([...destroy, "--yes"], { sites: deletable() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /The data volume \(every user's home and the shared folder\) goes with this destroy\. (The last backup of site "testsite" is in |No backup of site "testsite" was made on this machine)/);
            assert.ok(r.calls.includes("destroy testsite"), r.calls.join("\n"));
        });

        it("offers a backup first; when it fails nothing is destroyed", async () => {
            const closed = await new Promise<number>((resolve) => {
                const server = net.createServer().listen(0, "127.0.0.1", () => {
                    const port = (server.address() as net.AddressInfo).port;
                    server.close(() => resolve(port));
                });
            });
            const r = await run(destroy, { sites: deletable(), answer: true, sshPort: closed });
            assert.strictEqual(r.code, 1);
            assert.match(r.questions[0], /^Back up every home and the shared folder to .*esiphub-backups\/testsite-\d{4}-\d\d-\d\d first\? \[y\/N\] $/);
            assert.match(r.stderr, /^esiphub: the backup before the destroy failed: cannot connect to 127\.0\.0\.1 port \d+ \(ECONNREFUSED\)\. Nothing was backed up\. Nothing was destroyed; without esiphub: `pulumi destroy -s testsite`\n$/);
            assert.ok(!r.calls.some((c) => /destroy/.test(c)), r.calls.join("\n"));
        });

        it("a backup the operator accepts runs before the destroy's own question", async () => {
            const r = await run(destroy, { sites: deletable(), answer: true });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.questions.length, 2);
            assert.match(r.questions[1], /deletes every resource of site "testsite" AND its data volume/);
            const dir = /first\? \[y\/N\] $/.test(r.questions[0]) ? r.questions[0].replace(/^Back up every home and the shared folder to (.*) first\? \[y\/N\] $/, "$1") : "";
            assert.strictEqual(readManifest(dir)!.archives.length, 4);
            assert.ok(r.calls.indexOf("destroy testsite") > r.calls.indexOf("getConfig testsite esiphub:sshPrivateKey"));
            assert.match(backupAdvice("testsite", { homeDir }), /is in .*esiphub-backups\/testsite-/);
        });

        it("a kept data volume needs no backup question", async () => {
            const kept = site();
            kept.testsite.resources = [{ ...kept.testsite.resources![0], retainOnDelete: true }];
            kept.testsite.config!["esiphub:keepDataOnDestroy"] = "true";
            const r = await run(["destroy", "testsite", "--yes"], { sites: kept, answer: true });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.doesNotMatch(r.stdout, /goes with this destroy/);
            assert.ok(!r.questions.some((q) => /Back up/.test(q)));
        });
    });

    it("with no backup recorded, the advice says how to make one", () => {
        assert.strictEqual(backupAdvice("elsewhere", { homeDir }), 'No backup of site "elsewhere" was made on this machine (`esiphub backup elsewhere --out DIR` makes one).');
    });
});
