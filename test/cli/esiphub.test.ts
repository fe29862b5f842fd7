import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { AddressInfo } from "net";
import { parse } from "csv-parse/sync";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { CliDeps, runCli } from "../../cli/esiphub";
import { Automation } from "../../cli/automation";
import { AutomationDouble, FakeSite, loadEvents } from "./automation-double";
import { PROJECT_DIR } from "../mocks";

/** Captured standard output / error of one CLI run. */
class Capture {
    text = "";
    readonly isTTY = false;
    write(s: string) {
        this.text += s;
        return true;
    }
}

const OUTPUTS: OutputMap = {
    hubUrl: { value: "https://hub.esipfed.org", secret: false },
    publicIp: { value: "149.165.157.42", secret: false },
    sshCommand: { value: "ssh -i KEY ubuntu@149.165.157.42", secret: false },
    workers: { value: 5, secret: false },
    credentials: {
        value: [
            { username: "workshop-01", password: "Kp7mHd4Wz9Ty" },
            { username: "instructor", password: "Rb3sNq48Ve72Ls" },
        ],
        secret: true,
    },
    kubeconfig: { value: "apiVersion: v1\nkind: Config\n", secret: true },
};

const DATA_VOLUME = { urn: "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts$openstack:blockstorage/volume:Volume::esiphub-jetstream-data", type: "openstack:blockstorage/volume:Volume", protect: false };

let tmp: string;
let binDir: string;
let homeDir: string;

interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    calls: string[];
    questions: string[];
}

interface RunSetup {
    sites?: Record<string, FakeSite>;
    env?: Record<string, string | undefined>;
    answer?: boolean;
    automation?: Automation;
}

async function run(args: string[], setup: RunSetup = {}): Promise<RunResult> {
    const stdout = new Capture();
    const stderr = new Capture();
    const double = new AutomationDouble(setup.sites ?? {});
    const questions: string[] = [];
    const deps: CliDeps = {
        projectDir: PROJECT_DIR,
        env: { PATH: binDir, OS_APPLICATION_CREDENTIAL_ID: "id", OS_APPLICATION_CREDENTIAL_SECRET: "secret", AWS_PROFILE: "esiphub", ...setup.env },
        homeDir,
        stdout,
        stderr,
        automation: setup.automation ?? double,
        confirm:
            setup.answer === undefined
                ? undefined
                : async (q) => {
                      questions.push(q);
                      return setup.answer!;
                  },
    };
    const code = await runCli(args, deps);
    return { code, stdout: stdout.text, stderr: stderr.text, calls: double.calls, questions };
}

/** Every error is one `esiphub: ...` line, without a stack trace. */
function assertOneLineError(r: RunResult, pattern: RegExp) {
    assert.strictEqual(r.code, 1, r.stdout + r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    assert.strictEqual(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], /^esiphub: /);
    assert.match(lines[0], pattern);
    assert.ok(!/\n\s+at /.test(r.stderr));
}

function deployedJetstream(extra: Partial<FakeSite> = {}): Record<string, FakeSite> {
    return {
        jetstream: {
            outputs: OUTPUTS,
            resources: [{ ...DATA_VOLUME, retainOnDelete: true }],
            events: {
                "preview-up": loadEvents("jetstream-update.preview.jsonl"),
                up: loadEvents("jetstream-update.jsonl"),
            },
            ...extra,
        },
    };
}

describe("esiphub CLI (through the Automation double)", () => {
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-cli-"));
        binDir = path.join(tmp, "bin");
        homeDir = path.join(tmp, "home");
        fs.mkdirSync(binDir);
        fs.mkdirSync(homeDir);
        // Only found on PATH, never run: the double stands in for it.
        fs.writeFileSync(path.join(binDir, "pulumi"), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    describe("up / preview / destroy / refresh", () => {
        it("up --yes: preview (for the total), update with progress, then the hub's address", async () => {
            const r = await run(["up", "jetstream", "--yes"], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls, ["stack jetstream create", "preview-up jetstream", "up jetstream", "outputs jetstream"]);
            assert.match(r.stdout, /^\+-replace {2}openstack:compute\/instance:Instance {2}esiphub-jetstream-worker-1$/m);
            assert.match(r.stdout, /^Plan: 1 to create, 1 to update, 1 to replace, 1 to delete, 15 unchanged$/m);
            // The total of the progress is the preview's 19 steps.
            assert.match(r.stdout, /^\[\d+\/19\] replaced {2}openstack:compute\/instance:Instance {2}esiphub-jetstream-worker-1$/m);
            assert.match(r.stdout, /^Resources: 1 created, 1 updated, 1 replaced, 1 deleted, 15 unchanged in 3m21s$/m);
            assert.match(r.stdout, /^hubUrl: https:\/\/hub\.esipfed\.org$/m);
            assert.ok(!r.stdout.includes("Kp7mHd4Wz9Ty"), "no password printed");
            assert.strictEqual(r.stderr, "");
        });

        it("a new site: up creates the stack; destroy / outputs of a site never deployed say so", async () => {
            const sites: Record<string, FakeSite> = { aws: { exists: false } };
            const up = await run(["up", "aws", "--yes"], { sites });
            assert.strictEqual(up.code, 0, up.stderr);
            assert.deepStrictEqual(up.calls.slice(0, 2), ["stack aws create", "preview-up aws"]);
            const missing = await run(["outputs", "nebula"]);
            assertOneLineError(missing, /site "nebula" has no stack in the current Pulumi backend; deploy it with `esiphub up nebula`/);
        });

        it("without --yes it asks after the preview; no means nothing is changed", async () => {
            const no = await run(["up", "jetstream"], { sites: deployedJetstream(), answer: false });
            assertOneLineError(no, /update of site "jetstream" cancelled; nothing was changed/);
            assert.deepStrictEqual(no.questions, ['Do you want to update site "jetstream"? [y/N] ']);
            assert.deepStrictEqual(no.calls, ["stack jetstream create", "preview-up jetstream"]);

            const yes = await run(["up", "jetstream"], { sites: deployedJetstream(), answer: true });
            assert.strictEqual(yes.code, 0);
            assert.ok(yes.calls.includes("up jetstream"));
        });

        it("without --yes and without a terminal it refuses rather than hangs", async () => {
            const r = await run(["up", "jetstream"], { sites: deployedJetstream() });
            assertOneLineError(r, /needs confirmation: pass --yes/);
            assert.ok(!r.calls.includes("up jetstream"));
        });

        it("--target (repeatable) limits preview and update", async () => {
            const a = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:kubeadm:Cluster$command:remote:Command::esiphub-jetstream-k8s-join-worker-2";
            const b = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts$openstack:compute/instance:Instance::esiphub-jetstream-worker-2";
            const r = await run(["up", "jetstream", "--target", a, "--yes", "--target", b], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls.slice(1, 3), [`preview-up jetstream target=${a},${b}`, `up jetstream target=${a},${b}`]);
            const p = await run(["preview", "jetstream", "--target", a], { sites: deployedJetstream() });
            assert.deepStrictEqual(p.calls, ["stack jetstream create", `preview-up jetstream target=${a}`]);
        });

        it("a failed update shows each failure with its message and exits 1 with one summary line", async () => {
            const sites = deployedJetstream();
            sites.jetstream.events!.up = loadEvents("jetstream-up-failed.jsonl");
            sites.jetstream.failures = { up: "update failed" };
            const r = await run(["up", "jetstream", "--yes"], { sites });
            assertOneLineError(r, /^esiphub: update of site "jetstream" failed: 1 failure, listed above$/);
            assert.match(r.stdout, /failed {2}command:remote:Command {2}esiphub-jetstream-k8s-join-worker-2: 1 error occurred:/);
            assert.match(r.stdout, /kubeadm join failed: couldn't validate the identity of the API Server: connection refused/);
            assert.ok(!r.calls.includes("outputs jetstream"));
        });

        it("a failure before any resource (e.g. no passphrase) is shown as the engine's one line", async () => {
            const sites = deployedJetstream({ failures: { "preview-up": "getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables" } });
            sites.jetstream.events = {};
            const r = await run(["preview", "jetstream"], { sites });
            assertOneLineError(r, /preview of site "jetstream" failed: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE/);
        });

        it("refresh: preview, confirm, refresh", async () => {
            const sites = deployedJetstream();
            sites.jetstream.events = {
                "preview-refresh": [{ sequence: 0, timestamp: 1, summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { same: 18, update: 1 }, policyPacks: {} } }],
            };
            const r = await run(["refresh", "jetstream"], { sites, answer: true });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.questions, ['Do you want to refresh the state of site "jetstream"? [y/N] ']);
            assert.deepStrictEqual(r.calls, ["stack jetstream select", "preview-refresh jetstream", "refresh jetstream"]);
            assert.match(r.stdout, /^Plan: 1 to update, 18 unchanged$/m);
        });
    });

    describe("destroy and the data volume", () => {
        it("keepDataOnDestroy (default true) and a retained volume: destroy goes ahead and says the volume is kept", async () => {
            const r = await run(["destroy", "jetstream", "--yes"], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls, ["stack jetstream select", "getConfig jetstream esiphub:keepDataOnDestroy", "resources jetstream", "preview-destroy jetstream", "destroy jetstream"]);
            assert.match(r.stdout, /^Note: the data volume of site "jetstream" is kept \(retainOnDelete\)/m);
        });

        it("keepDataOnDestroy false: refused without --delete-data, before any preview", async () => {
            const sites = deployedJetstream({ config: { "esiphub:keepDataOnDestroy": "false" }, resources: [{ ...DATA_VOLUME, retainOnDelete: false }] });
            const refused = await run(["destroy", "jetstream", "--yes"], { sites });
            assertOneLineError(refused, /destroy would delete the data volume of site "jetstream" \(esiphub:keepDataOnDestroy is false\), with every user's files: pass --delete-data to go ahead/);
            assert.ok(!refused.calls.some((c) => c.startsWith("preview-destroy") || c.startsWith("destroy")));

            const allowed = await run(["destroy", "jetstream", "--yes", "--delete-data"], { sites });
            assert.strictEqual(allowed.code, 0, allowed.stderr);
            assert.ok(allowed.calls.includes("destroy jetstream"));
        });

        it("keepDataOnDestroy true but the deployed volume not retained yet: refused, asking for an up first", async () => {
            const sites = deployedJetstream({ config: { "esiphub:keepDataOnDestroy": "true" }, resources: [{ ...DATA_VOLUME, retainOnDelete: false }] });
            const r = await run(["destroy", "jetstream", "--yes"], { sites });
            assertOneLineError(r, /esiphub:keepDataOnDestroy is true but the deployed volume is not retained yet; run `esiphub up jetstream` first/);
        });

        it("a destroy limited by --target checks only the targeted volumes", async () => {
            const sites = deployedJetstream({ config: { "esiphub:keepDataOnDestroy": "false" }, resources: [{ ...DATA_VOLUME, retainOnDelete: false }] });
            const other = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:kubeadm:Cluster$command:remote:Command::esiphub-jetstream-k8s-join-worker-2";
            const r = await run(["destroy", "jetstream", "--yes", "--target", other], { sites });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.ok(r.calls.includes(`destroy jetstream target=${other}`));
            const volume = await run(["destroy", "jetstream", "--yes", "--target", DATA_VOLUME.urn], { sites });
            assertOneLineError(volume, /destroy would delete the data volume/);
        });

        it("nothing deployed: nothing to lose", async () => {
            const sites = deployedJetstream({ config: { "esiphub:keepDataOnDestroy": "false" }, resources: [] });
            const r = await run(["destroy", "jetstream", "--yes"], { sites });
            assert.strictEqual(r.code, 0, r.stderr);
        });
    });

    describe("errors: one clear line, exit 1", () => {
        it("unknown site, listing the known ones", async () => {
            for (const command of [["up", "nowhere", "--yes"], ["outputs", "nowhere"], ["cost", "nowhere"], ["dns", "../aws"]]) {
                const r = await run(command);
                assertOneLineError(r, /unknown site "(nowhere|\.\.\/aws)": there is no Pulumi\.(nowhere|\.\.\/aws)\.yaml in .* \(sites: [^)]*\bjetstream\b[^)]*\)/);
                assert.deepStrictEqual(r.calls, []);
            }
        });

        it("no Pulumi CLI on PATH, with how to install it", async () => {
            const empty = path.join(tmp, "empty-bin");
            fs.mkdirSync(empty, { recursive: true });
            for (const command of [["up", "jetstream", "--yes"], ["outputs", "jetstream"], ["credentials", "jetstream"], ["dns", "jetstream"]]) {
                const r = await run(command, { sites: deployedJetstream(), env: { PATH: `${empty}:/nonexistent` } });
                assertOneLineError(r, /the Pulumi CLI \(pulumi\) is not on PATH: install it with `curl -fsSL https:\/\/get\.pulumi\.com \| sh`/);
                assert.deepStrictEqual(r.calls, []);
            }
        });

        it("missing OpenStack / AWS credentials for the operations that reach the cloud", async () => {
            const noOs = await run(["up", "jetstream", "--yes"], { sites: deployedJetstream(), env: { OS_APPLICATION_CREDENTIAL_ID: undefined, OS_APPLICATION_CREDENTIAL_SECRET: undefined } });
            assertOneLineError(noOs, /site "jetstream" \(openstack\): no OpenStack credentials: source your cloud's openrc/);
            const noAws = await run(["destroy", "aws", "--yes"], { env: { AWS_PROFILE: undefined } });
            assertOneLineError(noAws, /site "aws" \(aws\): no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
            assert.deepStrictEqual(noAws.calls, []);
            // Reading outputs needs the backend, not the cloud.
            const outputs = await run(["outputs", "jetstream"], { sites: deployedJetstream(), env: { OS_APPLICATION_CREDENTIAL_ID: undefined } });
            assert.strictEqual(outputs.code, 0, outputs.stderr);
        });

        it("an unexpected exception is still one line", async () => {
            const broken: Automation = {
                stack: async () => {
                    throw new TypeError("Cannot read properties of undefined (reading 'resources')");
                },
            };
            const r = await run(["outputs", "jetstream"], { automation: broken });
            assertOneLineError(r, /^esiphub: unexpected error: Cannot read properties of undefined \(reading 'resources'\) \(set ESIPHUB_DEBUG=1 for details\)$/);
        });

        it("bad options are refused by the parser with a non-zero exit", async () => {
            const users = await run(["cost", "jetstream", "--users", "0"]);
            assert.notStrictEqual(users.code, 0);
            assert.match(users.stderr, /option '--users <n>' argument '0' is invalid\. must be an integer from 1 to 1000/);
            const format = await run(["credentials", "jetstream", "--format", "pdf"]);
            assert.notStrictEqual(format.code, 0);
            assert.match(format.stderr, /Allowed choices are csv, html/);
        });

        it("--help lists every command and exits 0", async () => {
            const r = await run(["--help"]);
            assert.strictEqual(r.code, 0);
            for (const command of ["up", "preview", "destroy", "refresh", "outputs", "credentials", "dns", "cost", "plan", "loadtest"]) {
                assert.match(r.stdout, new RegExp(`^  ${command} `, "m"), `${command} is listed`);
            }
        });
    });

    describe("outputs", () => {
        it("text: secrets hidden; --show-secrets shows them, multi-line values indented", async () => {
            const hidden = await run(["outputs", "jetstream"], { sites: deployedJetstream() });
            assert.strictEqual(hidden.code, 0);
            assert.strictEqual(
                hidden.stdout,
                [
                    "hubUrl: https://hub.esipfed.org",
                    "publicIp: 149.165.157.42",
                    "sshCommand: ssh -i KEY ubuntu@149.165.157.42",
                    "workers: 5",
                    "credentials: [secret]",
                    "kubeconfig: [secret]",
                    "",
                ].join("\n"),
            );
            const shown = await run(["outputs", "jetstream", "--show-secrets"], { sites: deployedJetstream() });
            assert.match(shown.stdout, /^kubeconfig: \|\n {2}apiVersion: v1\n {2}kind: Config$/m);
            assert.match(shown.stdout, /"password": "Kp7mHd4Wz9Ty"/);
        });

        it("--json", async () => {
            const r = await run(["outputs", "jetstream", "--json"], { sites: deployedJetstream() });
            const doc = JSON.parse(r.stdout);
            assert.deepStrictEqual(doc, { hubUrl: "https://hub.esipfed.org", publicIp: "149.165.157.42", sshCommand: "ssh -i KEY ubuntu@149.165.157.42", workers: 5, credentials: "[secret]", kubeconfig: "[secret]" });
            const secrets = JSON.parse((await run(["outputs", "jetstream", "--json", "--show-secrets"], { sites: deployedJetstream() })).stdout);
            assert.deepStrictEqual(secrets.credentials, OUTPUTS.credentials.value);
        });
    });

    describe("credentials", () => {
        it("csv to standard output: header username,password, one row per account", async () => {
            const r = await run(["credentials", "jetstream", "--format", "csv"], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout.split("\n")[0], "username,password");
            assert.deepStrictEqual(parse(r.stdout, { columns: true }), OUTPUTS.credentials.value);
        });

        it("html to a file readable by the owner only, one card per account", async () => {
            const out = path.join(tmp, "cards.html");
            const r = await run(["credentials", "jetstream", "--format", "html", "--out", out], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout, `wrote 2 accounts (html) to ${out}\n`);
            assert.strictEqual(fs.statSync(out).mode & 0o777, 0o600);
            const html = fs.readFileSync(out, "utf8");
            assert.strictEqual(html.match(/<section class="card"/g)?.length, 2);
            assert.ok(html.includes('data-username="instructor"'));
            assert.ok(html.includes("https://hub.esipfed.org"));
        });

        it("a site without the output (not deployed yet) is one line", async () => {
            const r = await run(["credentials", "jetstream"], { sites: { jetstream: { outputs: {} } } });
            assertOneLineError(r, /site "jetstream" has no credentials output \(is it deployed\? run `esiphub up jetstream`\)/);
        });
    });

    describe("dns", () => {
        it("zone, nsupdate and json for the hostname of the stack file and the deployed public IP", async () => {
            // Pulumi.jetstream.yaml: hubHostname hub.esipfed.org, dnsTtl default 300.
            const zone = await run(["dns", "jetstream", "--format", "zone"], { sites: deployedJetstream() });
            assert.strictEqual(zone.stdout, "hub.esipfed.org.\t300\tIN\tA\t149.165.157.42\n");
            const nsupdate = await run(["dns", "jetstream", "--format", "nsupdate"], { sites: deployedJetstream() });
            assert.strictEqual(nsupdate.stdout, "update delete hub.esipfed.org. A\nupdate add hub.esipfed.org. 300 A 149.165.157.42\nsend\n");
            const json = await run(["dns", "jetstream", "--format", "json"], { sites: deployedJetstream() });
            assert.deepStrictEqual(JSON.parse(json.stdout), [{ name: "hub.esipfed.org.", type: "A", ttl: 300, value: "149.165.157.42" }]);
        });

        it("with esiphub:dnsZone (aws: route53, esipfed.org) the nsupdate script names the zone", async () => {
            const sites = { aws: { outputs: { publicIp: { value: "3.91.20.7", secret: false } } } };
            const r = await run(["dns", "aws", "--format", "nsupdate"], { sites });
            assert.strictEqual(r.stdout, "zone esipfed.org.\nupdate delete aws-hub.esipfed.org. A\nupdate add aws-hub.esipfed.org. 300 A 3.91.20.7\nsend\n");
        });

        it("a site without a hostname has nothing to publish", async () => {
            const r = await run(["dns", "nebula"], { sites: { nebula: { outputs: OUTPUTS } } });
            assertOneLineError(r, /site "nebula" has no esiphub:hubHostname, so there is nothing to publish/);
        });
    });

    describe("cost", () => {
        it("needs neither the Pulumi CLI nor credentials: only the stack file", async () => {
            const r = await run(["cost", "jetstream", "--json"], { env: { PATH: "/nonexistent", OS_APPLICATION_CREDENTIAL_ID: undefined } });
            assert.strictEqual(r.code, 0, r.stderr);
            const e = JSON.parse(r.stdout);
            // 8 vCPU × 730 h; 8 × 4 + 5 × 16 × 4 (see test/cost/estimate.test.ts)
            assert.strictEqual(e.development.total, 5840);
            assert.strictEqual(e.workshop.total, 352);
            assert.deepStrictEqual(r.calls, []);
        });

        it("--users and --hours", async () => {
            // ceil(30 / 15) = 2 workers; (8 + 2 × 16) × 8 h = 320 SU.
            const r = await run(["cost", "jetstream", "--users", "30", "--hours", "8", "--json"]);
            const e = JSON.parse(r.stdout);
            assert.strictEqual(e.workshop.workers, 2);
            assert.strictEqual(e.workshop.total, 320);
            const text = await run(["cost", "aws", "--users", "30", "--hours", "3"]);
            assert.match(text.stdout, /^Workshop scale: 30 users for 3 h: the master and 2 workers of r5\.2xlarge$/m);
            assert.match(text.stdout, /^ {2}Total +\$3\.97$/m);
        });
    });

    describe("loadtest (wired to cli/loadtest)", () => {
        it("an option problem is one line naming the option", async () => {
            const r = await run(["loadtest", "--hub", "http://127.0.0.1:9"]);
            assertOneLineError(r, /^esiphub: loadtest: give the accounts with either --credentials FILE or --site SITE \(exactly one\)$/);
        });

        it("--site takes the accounts from the deployed stack; a hub that fails every user means exit 1 and a report", async () => {
            // A hub that answers 503 to everything, on 127.0.0.1.
            const server = http.createServer((_req, res) => {
                res.writeHead(503, { "Content-Type": "text/plain" });
                res.end("unavailable");
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            const port = (server.address() as AddressInfo).port;
            try {
                const r = await run(["loadtest", "--site", "jetstream", "--hub", `http://127.0.0.1:${port}`, "--timeout", "5", "--json"], { sites: deployedJetstream() });
                assert.strictEqual(r.code, 1, r.stderr);
                assert.deepStrictEqual(r.calls, ["stack jetstream select", "outputs jetstream"]);
                const report = JSON.parse(r.stdout);
                assert.strictEqual(report.hub, `http://127.0.0.1:${port}`);
                assert.deepStrictEqual(report.users.map((u: { username: string }) => u.username).sort(), ["instructor", "workshop-01"]);
                assert.strictEqual(report.failed, 2);
            } finally {
                server.close();
            }
        });
    });

    describe("the esiphub command itself (cli/esiphub.js)", () => {
        const bin = path.join(PROJECT_DIR, "cli", "esiphub.js");
        const exec = (args: string[], env: Record<string, string> = {}) =>
            spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: homeDir, ...env } });

        it("runs from any directory and exits 0", () => {
            const r = exec(["cost", "nebula", "--hours", "2"]);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout, /^Cost estimate for site "nebula" \(openstack\)$/m);
        });

        it("errors are one line with a non-zero exit from the real command too", () => {
            const unknown = exec(["up", "nowhere", "--yes"]);
            assert.strictEqual(unknown.status, 1);
            assert.match(unknown.stderr, /^esiphub: unknown site "nowhere"/);
            assert.strictEqual(unknown.stderr.trimEnd().split("\n").length, 1);
            const noPulumi = exec(["outputs", "jetstream"], { PATH: path.dirname(process.execPath) });
            assert.strictEqual(noPulumi.status, 1);
            assert.match(noPulumi.stderr, /^esiphub: the Pulumi CLI \(pulumi\) is not on PATH: install it with/);
            assert.strictEqual(noPulumi.stderr.trimEnd().split("\n").length, 1);
        });
    });
});
