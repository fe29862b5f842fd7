import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../examples/end-of-event";
import { AutomationDouble, FakeSite } from "../cli/automation-double";
import { Capture, CliHarness, DATA_VOLUME, projectWith } from "../cli/harness";
import { quietPort } from "../ports";
import { makeHome } from "../backup/tree";
import { Sshd, sshdUnavailable, startSshd } from "../backup/sshd";

const harness = new CliHarness();
const unavailable = sshdUnavailable();
const suite = unavailable ? describe.skip : describe;

/** Jetstream's event ends at 5 pm in Indiana (22:00 UTC); AWS's a day later. */
const JETSTREAM_ENDS = "2026-12-04T17:00:00-05:00";
const AWS_ENDS = "2026-12-05T22:00:00Z";

/**
 * The example run in-process through its main(), against the Automation double for the backend and a real sshd on
 * 127.0.0.1 as the NFS host the backups are taken from (test/backup/sshd.ts).
 */
suite(`examples/end-of-event.ts (the Automation double; a real sshd as the NFS host)${unavailable ? ` (skipped: ${unavailable})` : ""}`, function () {
    let sshd: Sshd;
    let projectDir: string;
    let exportDir: string;
    before(async () => {
        harness.setUp();
        sshd = await startSshd();
        projectDir = projectWith(path.join(harness.tmp, "event"), "jetstream", {
            "esiphub:users": 2,
            "esiphub:extraUsers": ["instructor"],
            "esiphub:adminUsers": ["instructor"],
            "esiphub:sshUser": sshd.user,
            "esiphub:eventEnds": JETSTREAM_ENDS,
        });
        fs.appendFileSync(path.join(projectDir, "Pulumi.aws.yaml"), `  esiphub:eventEnds: "${AWS_ENDS}"\n`);
        // The share as nfs-server.sh and the provisioner lay it out: <export>/<hub namespace>/<claim>.
        exportDir = path.join(harness.tmp, "srv", "esiphub");
        for (const claim of ["claim-workshop-01", "claim-workshop-02", "claim-instructor", "esiphub-scratch"]) {
            fs.mkdirSync(path.join(exportDir, "jhub", claim), { recursive: true });
            makeHome(path.join(exportDir, "jhub", claim));
        }
    });
    after(async () => {
        await sshd?.stop();
        harness.tearDown();
    });

    /** Jetstream and AWS deployed (their NFS host this machine), Nebula never. */
    function backend(): Record<string, FakeSite> {
        const deployed = (site: string): FakeSite => ({
            outputs: { publicIp: { value: "127.0.0.1", secret: false }, nfsPrivateIp: { value: "127.0.0.1", secret: false } },
            config: { "esiphub:sshPrivateKey": sshd.key },
            resources: [{ ...DATA_VOLUME, urn: DATA_VOLUME.urn.replace(/jetstream/g, site), retainOnDelete: true }],
            history: [{ kind: "update", result: "succeeded", startTime: new Date("2026-12-04T08:00:00Z"), endTime: new Date("2026-12-04T08:30:00Z") }],
        });
        return { jetstream: deployed("jetstream"), aws: deployed("aws") };
    }

    async function run(args: string[], sites: Record<string, FakeSite>, sshPort = sshd.port) {
        const out = new Capture();
        const double = new AutomationDouble(sites);
        const options = { ...harness.siteOptions(double, { projectDir, now: () => new Date("2026-12-05T01:00:00Z") }), nfsAccess: { sshPort, exportDir } };
        return { code: await main(args, options, out), out: out.text, calls: double.calls };
    }

    it("without --yes: names each deployed site past its end date and changes nothing", async () => {
        const r = await run([], backend());
        assert.strictEqual(r.code, 0);
        assert.strictEqual(r.out, `jetstream: ended 3.0 h ago (${JETSTREAM_ENDS}), still deployed\nWould back it up into ${process.cwd()}, then destroy it: run again with --yes\n`);
        assert.ok(!r.calls.some((c) => /^(destroy|preview-destroy|getConfig)/.test(c)), r.calls.join("\n"));
    });

    it("with --yes: backs up the ended site into its own folder, then destroys it (data volume kept); AWS's event goes on", async () => {
        const out = path.join(harness.tmp, "backups");
        const sites = backend();
        const r = await run(["--yes", "--out", out], sites);
        assert.strictEqual(r.code, 0, r.out);
        const manifest = JSON.parse(fs.readFileSync(path.join(out, "jetstream-2026-12-04", "manifest.json"), "utf8")) as { site: string; archives: { name: string }[] };
        assert.strictEqual(manifest.site, "jetstream");
        assert.deepStrictEqual(manifest.archives.map((a) => a.name).sort(), ["instructor", "shared", "workshop-01", "workshop-02"]);
        assert.match(r.out, /destroyed; the data volume: kept\n/);
        assert.match(r.out, /Done: jetstream backed up and destroyed\.\n$/);
        // Destroyed in the backend; the retained data volume left in the cloud; AWS untouched.
        assert.deepStrictEqual(sites.jetstream.resources, []);
        assert.deepStrictEqual(sites.jetstream.deletedInCloud ?? [], []);
        assert.ok(r.calls.includes("destroy jetstream"), r.calls.join("\n"));
        assert.ok(!r.calls.some((c) => /^(preview-destroy|destroy) aws/.test(c)), r.calls.join("\n"));
        assert.strictEqual(sites.aws.resources!.length, 1);
    });

    it("a backup that fails leaves the site deployed, and the script ends with exit 1", async () => {
        const sites = backend();
        const closed = await quietPort();
        const r = await run(["--yes", "--out", path.join(harness.tmp, "failed")], sites, closed);
        assert.strictEqual(r.code, 1, r.out);
        assert.match(r.out, /Not done:\n {2}jetstream: backup failed, so the site was not destroyed: /);
        assert.ok(!r.calls.some((c) => /^(preview-destroy|destroy) /.test(c)), r.calls.join("\n"));
        assert.strictEqual(sites.jetstream.resources!.length, 1);
    });
});
