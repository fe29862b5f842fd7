import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildReport } from "../../cli/loadtest/report";
import { formatRehearsal, RehearsalOutcome, rehearsalVerdict } from "../../cli/rehearse";
import { AutomationDouble, FakeSite, loadEvents } from "../cli/automation-double";
import { credentialsOf, makeAccounts, TestAccount } from "../hub/accounts";
import { hubRootMissing, LocalHub, startLocalHub } from "../hub/localhub";
import { requireTool } from "../dns/named";
import { PROJECT_DIR } from "../mocks";
import { SAMPLE_RESULTS, SETTINGS } from "../loadtest/samples";
import { esiphub, plain, secret, testProject } from "./doctorcli";
import { ScriptedCluster, startScriptedCluster } from "./kubeapi";

const DATA_VOLUME = {
    urn: "urn:pulumi:rehearsal::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts$openstack:blockstorage/volume:Volume::esiphub-rehearsal-data",
    type: "openstack:blockstorage/volume:Volume",
    protect: false,
    retainOnDelete: true,
};

describe("esiphub rehearse (on the Automation API double)", function () {
    let tmp: string;
    let projectDir: string;
    let binDir: string;

    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-rehearse-"));
        ({ projectDir, binDir } = testProject(tmp));
    });

    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const rehearse = (args: string[], double: AutomationDouble, project = projectDir) =>
        esiphub(["rehearse", ...args], { automation: double, path: binDir, projectDir: project });

    it("refuses a site with a hostname whose stack asks for production certificates, before anything runs", async () => {
        const double = new AutomationDouble({ jetstream: { exists: false } });
        const run = await rehearse(["jetstream", "--yes"], double, PROJECT_DIR);
        assert.strictEqual(run.code, 1);
        assert.match(run.stderr, /^esiphub: site "jetstream" is not a rehearsal stack: .*hub\.esipfed\.org .*set esiphub:letsEncryptStaging to true in Pulumi\.jetstream\.yaml for rehearsals, or pass --production-certs\n$/);
        assert.deepStrictEqual(double.calls, []);
    });

    it("a rehearsal stack whose up fails: destroy still runs, NO-GO, exit 1", async () => {
        const double = new AutomationDouble({
            staging: {
                exists: false,
                events: { "preview-up": loadEvents("jetstream-update.preview.jsonl"), up: loadEvents("jetstream-up-failed.jsonl") },
                failures: { up: "update failed" },
                resources: [{ ...DATA_VOLUME, retainOnDelete: true }],
            },
        });
        const run = await rehearse(["staging", "--yes"], double);
        assert.strictEqual(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stdout, /^Rehearsal of site "staging": up \(Let's Encrypt staging certificates\), doctor, load test of 4 users .*then destroy; about [\d,.]+ SU per hour while it runs$/m);
        assert.deepStrictEqual(double.calls.filter((c) => /^(preview-)?(up|destroy) /.test(c)), ["preview-up staging", "up staging", "preview-destroy staging", "destroy staging"]);
        assert.match(run.stdout, /^Rehearsal of site "staging": NO-GO \(`up` failed\)$/m);
        assert.match(run.stdout, /^ {2}doctor: {8}not run$/m);
        assert.match(run.stdout, /^ {2}destroyed: {5}yes$/m);
    });

    it("--keep: no destroy, and the summary says what the site keeps costing", async () => {
        const double = new AutomationDouble({
            rehearsal: { exists: false, events: { "preview-up": [], up: [] }, failures: { up: "update failed" } },
        });
        const run = await rehearse(["rehearsal", "--yes", "--keep"], double);
        assert.strictEqual(run.code, 1);
        assert.ok(!double.calls.some((c) => c.includes("destroy")), double.calls.join("\n"));
        assert.match(run.stdout, /^ {2}destroyed: {5}no \(--keep\): it costs [\d,.]+ SU per hour until `esiphub destroy rehearsal`$/m);
    });

    it("asks before it starts when there is a terminal, and stops at a no", async () => {
        const double = new AutomationDouble({ rehearsal: { exists: false } });
        const questions: string[] = [];
        const run = await esiphub(["rehearse", "rehearsal"], {
            automation: double,
            path: binDir,
            projectDir,
            confirm: async (q) => {
                questions.push(q);
                return false;
            },
        });
        assert.strictEqual(run.code, 1);
        assert.deepStrictEqual(questions, ['Rehearse site "rehearsal"? [y/N] ']);
        assert.match(run.stderr, /rehearsal of site "rehearsal" cancelled; nothing was changed/);
        assert.ok(!double.calls.some((c) => /up|destroy/.test(c)));
    });

    describe("the whole rehearsal against a real JupyterHub 5 and a scripted cluster on 127.0.0.1", () => {
        let hub: LocalHub;
        let accounts: TestAccount[];
        let cluster: ScriptedCluster;

        before(async function () {
            const missing = hubRootMissing();
            if (missing) {
                console.log(`      skipped: ${missing}`);
                this.skip();
            }
            requireTool(this, "openssl", "openssl");
            accounts = makeAccounts(["workshop-01", "workshop-02", "workshop-03", "instructor"]);
            hub = await startLocalHub({
                credentials: credentialsOf(accounts),
                adminUsers: ["instructor"],
                singleuser: { memoryLimit: "8G", readme: "# Quickstart\n", shared: true },
            });
            cluster = await startScriptedCluster("healthy");
        });

        after(async () => {
            await hub?.stop();
            await cluster?.close();
        });

        it("up, doctor, load test with the site's accounts and its HTML report, destroy: GO, with the figures and the cost", async () => {
            const site: FakeSite = {
                exists: true,
                events: { "preview-up": loadEvents("jetstream-update.preview.jsonl"), up: loadEvents("jetstream-update.jsonl"), "preview-destroy": [], destroy: [] },
                resources: [DATA_VOLUME],
                outputs: {
                    hubUrl: plain(hub.url),
                    publicIp: plain("149.165.157.42"),
                    adminUsers: plain(["instructor"]),
                    credentials: secret(accounts.map(({ username, password }) => ({ username, password }))),
                    kubeconfig: secret(cluster.kubeconfig),
                },
            };
            const double = new AutomationDouble({ rehearsal: site });
            const report = path.join(tmp, "rehearsal.html");
            const run = await rehearse(["rehearsal", "--yes", "--users", "3", "--report", report], double);
            assert.strictEqual(run.code, 0, run.stdout + run.stderr + hub.log().slice(-3000));

            assert.deepStrictEqual(double.calls.filter((c) => /^(preview-)?(up|destroy) /.test(c)), ["preview-up rehearsal", "up rehearsal", "preview-destroy rehearsal", "destroy rehearsal"]);
            // The doctor ran every layer it could: the cluster, the hub and the instructor's own server.
            assert.match(run.stdout, /^== doctor$/m);
            assert.match(run.stdout, /^WARN {2}tls {10}plain HTTP: passwords cross the network in clear/m);
            for (const check of ["hub", "login", "server", "page", "home", "memory", "stop", "nodes", "calico", "probe-claim", "capacity"]) {
                assert.match(run.stdout, new RegExp(`^PASS  ${check.replace("-", "\\-")} `, "m"), check);
            }
            assert.match(run.stdout, /^PASS {2}login {8}instructor logged in/m);
            assert.deepStrictEqual(cluster.leftovers(), []);
            // The load test: three of the site's accounts, each a cell and a stop.
            assert.match(run.stdout, /^== load test: 3 users$/m);
            assert.match(run.stdout, /^3 succeeded, 0 failed/m);
            assert.match(fs.readFileSync(report, "utf8"), /<canvas/);

            const summary = run.stdout.slice(run.stdout.lastIndexOf('Rehearsal of site "rehearsal": '));
            assert.match(summary, /^Rehearsal of site "rehearsal": GO\n/);
            assert.match(summary, /^ {2}users served: {2}3 of 3$/m);
            assert.match(summary, /^ {2}spawn p95: {5}\d+\.\d s \(no-go above 120 s\)$/m);
            assert.match(summary, /^ {2}errors: {8}none$/m);
            assert.match(summary, new RegExp(`^  report: {8}${report.replace(/[.]/g, "\\.")}$`, "m"));
            assert.match(summary, /^ {2}cost: {10}[\d,.]+ SU for (under a minute|\d+ min) at workshop scale \([\d,.]+ SU per hour\)$/m);
            assert.match(summary, /^ {2}destroyed: {5}yes$/m);
        });
    });
});

describe("rehearsal verdict (pure)", () => {
    const base: RehearsalOutcome = {
        site: "jetstream",
        up: true,
        destroyed: true,
        hours: 1.25,
        cost: { amount: 150, perHour: 120, unit: "SU" },
        maxSpawnP95: 120,
    };
    const report = buildReport({ hub: "https://hub.esipfed.org", startedAt: new Date(0), wallSeconds: 90, settings: SETTINGS, results: SAMPLE_RESULTS });

    it("GO needs the doctor clean, every user served and spawn p95 within the limit", () => {
        const clean = { ...report, failed: 0, succeeded: 4, errors: {} };
        assert.deepStrictEqual(rehearsalVerdict({ ...base, loadtest: clean, doctor: { site: "jetstream", hub: "h", ok: true, checks: [] } }), { go: true, reasons: [] });
        assert.deepStrictEqual(rehearsalVerdict({ ...base, loadtest: clean, maxSpawnP95: 20 }).reasons, ["spawn p95 30.0 s is above 20 s"]);
    });

    it("NO-GO lists every reason: failed doctor checks, users not served", () => {
        const doctor = { site: "jetstream", hub: "h", ok: false, checks: [{ name: "tls", status: "fail" as const, detail: "", seconds: 0 }] };
        const verdict = rehearsalVerdict({ ...base, doctor, loadtest: report });
        assert.deepStrictEqual(verdict, { go: false, reasons: ["doctor: tls failed", "2 of 4 users not served"] });
        const text = formatRehearsal({ ...base, doctor, loadtest: report });
        assert.match(text, /^Rehearsal of site "jetstream": NO-GO \(doctor: tls failed; 2 of 4 users not served\)$/m);
        assert.match(text, /^ {2}errors: {8}login-refused 1, http-5xx 1$/m);
        assert.match(text, /^ {2}cost: {10}150 SU for 1 h 15 min at workshop scale \(120 SU per hour\)$/m);
    });

    it("a load test left out says why", () => {
        assert.deepStrictEqual(rehearsalVerdict({ ...base, loadtestSkipped: "the doctor's login check failed" }).reasons, ["no load test (the doctor's login check failed)"]);
    });
});
