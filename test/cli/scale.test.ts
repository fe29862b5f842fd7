import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { CliDeps, runCli } from "../../cli/esiphub";
import { parseSiteConfig, siteCapacity } from "../../components/config";
import { readStackConfig } from "../../plan/stackfile";
import { scalePlan, scaleRefusals, serversHeld, targetSettings, withSettings } from "../../cli/scale";
import { userServersOf } from "../../cli/userservers";
import { AutomationDouble, FakeSite, loadEvents } from "./automation-double";
import { projectWith } from "./harness";
import { KubeObject, loadFixture, matchesSelector, mergePatch, ScriptedKubeApi } from "./scale-kubeapi";
import { PROJECT_DIR } from "../mocks";
import { Capture } from "../capture";
import { quietPort } from "../ports";

interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    /** The Automation double's calls and the Kubernetes API's requests, in the order they happened. */
    calls: string[];
    questions: string[];
}

const raw = () => readStackConfig(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml")).config;
const jetstream = () => parseSiteConfig(raw(), "jetstream", PROJECT_DIR);

describe("esiphub scale", () => {
    let tmp: string;
    let binDir: string;
    let api: ScriptedKubeApi;

    before(async function () {
        this.timeout(120_000); // openssl key generation on a busy machine
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-scale-"));
        binDir = path.join(tmp, "bin");
        fs.mkdirSync(binDir);
        fs.mkdirSync(path.join(tmp, "home"));
        // Only found on PATH, never run: the double stands in for it.
        fs.writeFileSync(path.join(binDir, "pulumi"), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
        api = await ScriptedKubeApi.start();
    });
    beforeEach(() => {
        api.pods = loadFixture("scale-pods.json");
        api.nodes = loadFixture("scale-nodes.json");
        api.beforeListPods = undefined;
        api.forbidPatches = false;
    });
    after(async () => {
        await api?.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    function site(extra: Partial<FakeSite> = {}, outputs: OutputMap = {}): Record<string, FakeSite> {
        return {
            jetstream: {
                outputs: {
                    hubUrl: { value: "https://hub.esipfed.org", secret: false },
                    publicIp: { value: "149.165.157.42", secret: false },
                    workers: { value: 5, secret: false },
                    kubeconfig: { value: api.kubeconfig(), secret: true },
                    ...outputs,
                },
                config: { "esiphub:workers": "auto" },
                events: { "preview-up": loadEvents("jetstream-update.preview.jsonl"), up: loadEvents("jetstream-update.jsonl") },
                ...extra,
            },
        };
    }

    /**
     * Jetstream at lunch: 2 workers and 30 servers at once, in the stack file and the stack's config alike (they are
     * one file: the Automation API writes Pulumi.<site>.yaml), and deployed so.
     */
    function lunch(): { projectDir: string; sites: Record<string, FakeSite> } {
        const projectDir = projectWith(path.join(tmp, "lunch"), "jetstream", { "esiphub:workers": 2, "esiphub:maxServers": 30 });
        const settings = { "esiphub:workers": "2", "esiphub:maxServers": "30" };
        return { projectDir, sites: site({ config: settings }, { workers: { value: 2, secret: false }, maxServers: { value: 30, secret: false } }) };
    }

    async function run(args: string[], sites: Record<string, FakeSite> = site(), answer?: boolean, projectDir = PROJECT_DIR): Promise<RunResult> {
        const stdout = new Capture();
        const stderr = new Capture();
        const double = new AutomationDouble(sites);
        // One log for both: the order of config changes, cordons and the update is what matters.
        api.log = double.calls;
        const questions: string[] = [];
        const deps: CliDeps = {
            projectDir,
            env: { PATH: binDir, OS_APPLICATION_CREDENTIAL_ID: "id", OS_APPLICATION_CREDENTIAL_SECRET: "secret" },
            homeDir: path.join(tmp, "home"),
            stdout,
            stderr,
            automation: double,
            confirm:
                answer === undefined
                    ? undefined
                    : async (q) => {
                          questions.push(q);
                          return answer;
                      },
        };
        const code = await runCli(["scale", ...args], deps);
        return { code, stdout: stdout.text, stderr: stderr.text, calls: double.calls, questions };
    }

    const changed = (r: RunResult) => r.calls.filter((c) => /^(setConfig|removeConfig|up |k8s PATCH)/.test(c));

    describe("refusals before anything changes", () => {
        it("--workers -3 is refused naming --workers, and nothing is asked of the stack or the cluster", async () => {
            const r = await run(["jetstream", "--workers", "-3"]);
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /--workers <n>' argument '-3' is invalid\. must be an integer from 0 to 100, or auto/);
            assert.deepStrictEqual(r.calls, []);
        });

        it("over the 100 workers esiphub:workers allows, naming the flag", async () => {
            const r = await run(["jetstream", "--workers", "101"]);
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /--workers <n>' argument '101' is invalid/);
            assert.deepStrictEqual(r.calls, []);
        });

        it("--users that would need more than 100 workers, naming --users and the flavor", async () => {
            // 1000 accounts, 400 at once on 50 workers of 8: all of them would take 125.
            const projectDir = projectWith(path.join(tmp, "big"), "nebula", { "esiphub:users": 1000, "esiphub:maxServers": 400 });
            const sites = site();
            sites.nebula = sites.jetstream;
            const r = await run(["nebula", "--users", "1000"], sites, undefined, projectDir);
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /^esiphub: --users 1000: needs 125 workers of m1\.2xlarge \(8 users each at 4G\), more than the 100/);
            assert.deepStrictEqual(r.calls, []);
        });

        it("--workers N that leaves no room for a user's server besides the placeholders, naming --workers", async () => {
            const projectDir = projectWith(path.join(tmp, "placeholders"), "jetstream", { "esiphub:userPlaceholders": 7 });
            const r = await run(["jetstream", "--workers", "0"], site(), undefined, projectDir);
            assert.strictEqual(r.code, 1);
            assert.strictEqual(
                r.stderr,
                "esiphub: --workers 0: the m3.medium master alone holds 7 users' servers at the 4G memory guarantee, all kept by the 7 placeholders (esiphub:userPlaceholders): no room for anyone's server; choose more workers\n",
            );
            assert.deepStrictEqual(r.calls, []);
            const one = await run(["jetstream", "--workers", "1"], site(), undefined, projectWith(path.join(tmp, "many-placeholders"), "jetstream", { "esiphub:userPlaceholders": 15 }));
            assert.match(one.stderr, /^esiphub: --workers 1: 1 worker of m3\.large holds 15 users' servers at the 4G memory guarantee, all kept by the 15 placeholders/);
        });

        it("--users 0, both flags, or neither", async () => {
            assert.match((await run(["jetstream", "--users", "0"])).stderr, /--users <n>' argument '0' is invalid/);
            assert.match((await run(["jetstream", "--users", "30", "--workers", "3"])).stderr, /give --workers or --users, not both/);
            assert.match((await run(["jetstream"])).stderr, /say how far: --workers N/);
        });

        it("removing workers that run users' servers, listing whose servers would stop", async () => {
            const r = await run(["jetstream", "--workers", "3"]);
            assert.strictEqual(r.code, 1);
            const message = r.stderr.trim();
            assert.strictEqual(message.split("\n").length, 1);
            assert.match(message, /^esiphub: --workers 3: the workers to remove run the servers of 3 users: instructor \(on jetstream-worker-05\), workshop-07 \(on jetstream-worker-04\), workshop-08 \(on jetstream-worker-04\)\..*pass --force.*Nothing was changed$/);
            // An ended server (workshop-10) and the chart's placeholders on those workers stop nobody's work.
            assert.doesNotMatch(message, /workshop-10|placeholder/);
            assert.ok(r.calls.includes("k8s GET /api/v1/namespaces/jhub/pods?labelSelector=component=singleuser-server"), r.calls.join("\n"));
            assert.deepStrictEqual(changed(r), []);
        });

        it("--users N that removes workers is refused naming --users N", async () => {
            const r = await run(["jetstream", "--users", "30"]);
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /^esiphub: --users 30: the workers to remove run the servers of 4 users: instructor \(on jetstream-worker-05\), workshop-06 \(on jetstream-worker-03\), workshop-07/);
            assert.deepStrictEqual(changed(r), []);
        });

        it("fewer places than running servers (master only), naming --workers", async () => {
            const r = await run(["jetstream", "--workers", "0"]);
            assert.strictEqual(r.code, 1);
            // The master alone (m3.medium, 30 GiB) holds 7 servers of 4G; 10 are running or starting.
            assert.match(r.stderr, /--workers 0: leaves room for 7 users' servers, but 10 are running; pass --force/);
            assert.deepStrictEqual(changed(r), []);
        });

        it("when the cluster cannot be asked whose servers run on the workers to remove", async () => {
            const closed = await quietPort();
            const kubeconfig = api.kubeconfig().replace(api.url, `https://127.0.0.1:${closed}`);
            const r = await run(["jetstream", "--workers", "4"], site({}, { kubeconfig: { value: kubeconfig, secret: true } }));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /--workers 4: cannot see whose servers run on jetstream-worker-05 \(.*cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\).*--force/);
            assert.deepStrictEqual(changed(r), []);
        });
    });

    describe("adding workers", () => {
        it("shows the plan (workers added, capacity, cost per hour), sets esiphub:workers, previews and runs up", async () => {
            const r = await run(["jetstream", "--workers", "7", "--yes"]);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /Scaling site "jetstream": 5 → 7 workers of m3\.large \(esiphub:workers: 7\)/);
            assert.match(r.stdout, /add: +jetstream-worker-06, jetstream-worker-07\n/);
            // 15 users of 4G per m3.large (60 GiB less 2 GiB); 10 servers running or starting.
            assert.match(r.stdout, /capacity: +75 → 105 users' servers at the 4G memory guarantee \(15 per worker; 62 accounts; 10 running now\)/);
            // js2docs: m3.medium 8 SU/h, m3.large 16 SU/h: 8 + 5 × 16 = 88, 8 + 7 × 16 = 120.
            assert.match(r.stdout, /cost: +88 SU\/h → 120 SU\/h/);
            assert.doesNotMatch(r.stdout, /drain/);
            const order = r.calls.filter((c) => /^(setConfig|preview-up|up |k8s PATCH)/.test(c));
            assert.deepStrictEqual(order, ["setConfig jetstream esiphub:workers 7", "preview-up jetstream", "up jetstream"]);
            assert.match(r.stdout, /Site "jetstream" has 7 workers: room for 105 users' servers, 120 SU\/h/);
        });

        it("--users N: N servers at once (esiphub:maxServers), ceil(N / users per worker) workers (auto)", async () => {
            const { projectDir, sites } = lunch();
            const r = await run(["jetstream", "--users", "45", "--yes"], sites, undefined, projectDir);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /Scaling site "jetstream": 2 → 3 workers of m3\.large \(esiphub:workers: auto\)/);
            assert.match(r.stdout, /add: +jetstream-worker-03\n/);
            assert.match(r.stdout, /at once: +30 → 45 users' servers \(esiphub:maxServers: 45\)\n +the hub refuses a server beyond 45 \(429 "Active user limit exceeded"\) until one stops; scale up again before everyone is back\n/);
            assert.match(r.stdout, /hub: +restarts to take the new limit/);
            // Workers first: 45 at once on the file's 2 fixed workers would be a stack file that does not validate.
            assert.deepStrictEqual(changed(r), ["setConfig jetstream esiphub:workers auto", "setConfig jetstream esiphub:maxServers 45", "up jetstream"]);
            assert.match(r.stdout, /Site "jetstream" has 3 workers: room for 45 users' servers, at most 45 at once of 62 accounts \(the hub refuses more\), 56 SU\/h\n/);
        });

        it("--users N of every account or more lifts the limit (all) and sizes for every account", async () => {
            const { projectDir, sites } = lunch();
            const r = await run(["jetstream", "--users", "100", "--yes"], sites, undefined, projectDir);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /at once: +30 → all 62 users' servers \(esiphub:maxServers: all\)\n/);
            assert.doesNotMatch(r.stdout, /refuses/);
            assert.deepStrictEqual(changed(r), ["setConfig jetstream esiphub:workers auto", "setConfig jetstream esiphub:maxServers all", "up jetstream"]);
            assert.match(r.stdout, /Site "jetstream" has 5 workers: room for 75 users' servers, 88 SU\/h\n/);
        });

        it("--workers auto lifts the limit of servers at once too", async () => {
            const { projectDir, sites } = lunch();
            const r = await run(["jetstream", "--workers", "auto", "--yes"], sites, undefined, projectDir);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /Scaling site "jetstream": 2 → 5 workers of m3\.large \(esiphub:workers: auto\)/);
            assert.deepStrictEqual(changed(r), ["setConfig jetstream esiphub:workers auto", "setConfig jetstream esiphub:maxServers all", "up jetstream"]);
        });

        it("the limit the hub has (the stack's maxServers output) counts, not only the stack file's", async () => {
            // Deployed with 45 at once on 5 workers; the stack file says every account (the default) but was not applied.
            const r = await run(["jetstream", "--workers", "auto", "--yes"], site({}, { maxServers: { value: 45, secret: false } }));
            assert.strictEqual(r.code, 0, r.stderr);
            assert.doesNotMatch(r.stdout, /already has/);
            assert.match(r.stdout, /Scaling site "jetstream": 5 → 5 workers/);
            assert.match(r.stdout, /at once: +45 → all 62 users' servers \(esiphub:maxServers: all\)\n +hub: +restarts to take the new limit/);
            assert.deepStrictEqual(changed(r), ["up jetstream"]);
        });

        it("a new limit on the same workers still updates the site: the hub takes it", async () => {
            const { projectDir, sites } = lunch();
            const r = await run(["jetstream", "--users", "25", "--yes"], sites, undefined, projectDir);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /2 → 2 workers/);
            assert.match(r.stdout, /at once: +30 → 25 users' servers \(esiphub:maxServers: 25\)/);
            // The lower limit first: 25 at once on the file's 2 fixed workers validates, as does auto with it after.
            assert.deepStrictEqual(changed(r), ["setConfig jetstream esiphub:maxServers 25", "setConfig jetstream esiphub:workers auto", "up jetstream"]);
        });

        it("the same count changes no node; a count written another way only updates the config", async () => {
            const same = await run(["jetstream", "--workers", "auto", "--yes"]);
            assert.strictEqual(same.code, 0, same.stderr);
            assert.match(same.stdout, /already has 5 workers; no node changes\n/);
            assert.deepStrictEqual(changed(same), []);
            const fixed = await run(["jetstream", "--workers", "5", "--yes"]);
            assert.match(fixed.stdout, /already has 5 workers; no node changes \(esiphub:workers is now 5\)/);
            assert.deepStrictEqual(changed(fixed), ["setConfig jetstream esiphub:workers 5"]);
        });
    });

    describe("removing workers", () => {
        it("with --force: lists whose servers stop, cordons the workers that go before the update drains them", async () => {
            const r = await run(["jetstream", "--workers", "3", "--force", "--yes"]);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /drain and remove: jetstream-worker-05, jetstream-worker-04/);
            assert.match(r.stdout, /STOPPING: +the servers of instructor \(on jetstream-worker-05\), workshop-07 \(on jetstream-worker-04\), workshop-08 \(on jetstream-worker-04\)/);
            // 3 workers hold 45 of the 62 accounts' servers: that is the limit the hub enforces from now on.
            assert.match(r.stdout, /at once: +all 62 → 45 users' servers \(esiphub:maxServers: 45\)\n +the hub refuses a server beyond 45 \(429 "Active user limit exceeded"\) until one stops; scale up again before everyone is back\n/);
            assert.deepStrictEqual(changed(r).concat(), [
                "setConfig jetstream esiphub:maxServers 45",
                "setConfig jetstream esiphub:workers 3",
                "k8s PATCH /api/v1/nodes/jetstream-worker-05",
                "k8s PATCH /api/v1/nodes/jetstream-worker-04",
                "up jetstream",
            ]);
            assert.strictEqual(api.node("jetstream-worker-05")?.spec?.unschedulable, true);
            assert.strictEqual(api.node("jetstream-worker-04")?.spec?.unschedulable, true);
            assert.strictEqual(api.node("jetstream-worker-03")?.spec?.unschedulable, undefined);
        });

        it("without --force when the workers that go run no user's server", async () => {
            api.pods = api.pods.filter((p) => p.metadata.name !== "jupyter-instructor");
            const r = await run(["jetstream", "--workers", "4", "--yes"]);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /no user's server runs on the workers to remove/);
            assert.deepStrictEqual(changed(r), ["setConfig jetstream esiphub:maxServers 60", "setConfig jetstream esiphub:workers 4", "k8s PATCH /api/v1/nodes/jetstream-worker-05", "up jetstream"]);
        });

        it("a server that starts on a worker to remove while the operator confirms stops the scale, and everything is put back", async () => {
            api.pods = api.pods.filter((p) => p.metadata.name !== "jupyter-instructor");
            const late = JSON.parse(JSON.stringify(loadFixture("scale-pods.json").find((p) => p.metadata.name === "jupyter-instructor"))) as KubeObject;
            late.metadata.name = "jupyter-workshop-11";
            (late.metadata.annotations as Record<string, string>)["hub.jupyter.org/username"] = "workshop-11";
            api.beforeListPods = (n) => {
                if (n === 2) api.pods.push(late);
            };
            const r = await run(["jetstream", "--workers", "4"], site(), true);
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /--workers 4: servers started on the workers to remove while you confirmed: workshop-11 \(on jetstream-worker-05\)\. Nothing was changed/);
            assert.deepStrictEqual(changed(r), [
                "setConfig jetstream esiphub:maxServers 60",
                "setConfig jetstream esiphub:workers 4",
                "k8s PATCH /api/v1/nodes/jetstream-worker-05",
                "k8s PATCH /api/v1/nodes/jetstream-worker-05",
                "setConfig jetstream esiphub:workers auto",
                "removeConfig jetstream esiphub:maxServers",
            ]);
            assert.strictEqual(api.node("jetstream-worker-05")?.spec?.unschedulable, false);
        });

        it("a cordon the API refuses stops the scale before the update, and puts both settings back", async () => {
            api.pods = api.pods.filter((p) => p.metadata.name !== "jupyter-instructor");
            api.forbidPatches = true;
            const r = await run(["jetstream", "--workers", "4", "--yes"]);
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /^esiphub: cordoning node jetstream-worker-05: the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ answered 403: nodes "jetstream-worker-05" is forbidden: User "kubernetes-admin" cannot patch resource "nodes" .*; esiphub:maxServers is back to its default, esiphub:workers to auto, and nothing was changed\n$/);
            assert.ok(!r.calls.includes("up jetstream"));
            assert.deepStrictEqual(changed(r).slice(-2), ["setConfig jetstream esiphub:workers auto", "removeConfig jetstream esiphub:maxServers"]);
        });

        it("the operator says no: both settings are put back, nothing is cordoned or updated", async () => {
            const r = await run(["jetstream", "--workers", "3", "--force"], site(), false);
            assert.strictEqual(r.code, 1);
            assert.deepStrictEqual(r.questions, ['Scale site "jetstream" to 3 workers, 45 servers at once? [y/N] ']);
            assert.match(r.stderr, /scaling of site "jetstream" cancelled; esiphub:maxServers is back to its default, esiphub:workers to auto, and nothing was changed/);
            assert.deepStrictEqual(changed(r), [
                "setConfig jetstream esiphub:maxServers 45",
                "setConfig jetstream esiphub:workers 3",
                "setConfig jetstream esiphub:workers auto",
                "removeConfig jetstream esiphub:maxServers",
            ]);
        });

        it("a limit that was set is put back as it was, the last written first", async () => {
            const { projectDir, sites } = lunch();
            const r = await run(["jetstream", "--workers", "auto"], sites, false, projectDir);
            assert.strictEqual(r.code, 1);
            assert.deepStrictEqual(r.questions, ['Scale site "jetstream" to 5 workers? [y/N] ']);
            assert.match(r.stderr, /cancelled; esiphub:workers is back to 2, esiphub:maxServers to 30, and nothing was changed/);
            assert.deepStrictEqual(changed(r), [
                "setConfig jetstream esiphub:workers auto",
                "setConfig jetstream esiphub:maxServers all",
                "setConfig jetstream esiphub:maxServers 30",
                "setConfig jetstream esiphub:workers 2",
            ]);
        });

        it("a value that was not set is removed again; no terminal and no --yes cannot go ahead", async () => {
            const r = await run(["jetstream", "--workers", "7"], site({ config: {} }));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /needs confirmation: pass --yes/);
            assert.deepStrictEqual(changed(r), ["setConfig jetstream esiphub:workers 7", "removeConfig jetstream esiphub:workers"]);
        });

        it("a preview that fails (e.g. the cloud quota) puts esiphub:workers back", async () => {
            const r = await run(["jetstream", "--workers", "9", "--yes"], site({ failures: { "preview-up": "esiphub:workers: 9 workers need 160 vCPUs; the project has 120 left" } }));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /the preview of site "jetstream" failed: esiphub:workers: 9 workers need 160 vCPUs.*; esiphub:workers is back to auto and nothing was changed/);
            assert.deepStrictEqual(changed(r), ["setConfig jetstream esiphub:workers 9", "setConfig jetstream esiphub:workers auto"]);
        });

        it("a failed update says what state the site is in and how to finish", async () => {
            api.pods = api.pods.filter((p) => p.metadata.name !== "jupyter-instructor");
            const r = await run(["jetstream", "--workers", "4", "--yes"], site({ events: { "preview-up": loadEvents("jetstream-update.preview.jsonl"), up: loadEvents("jetstream-up-failed.jsonl") }, failures: { up: "update failed" } }));
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /the update of site "jetstream" failed: .*esiphub:maxServers is now 60, esiphub:workers 4; jetstream-worker-05 stays cordoned .*`esiphub up jetstream` finishes it/);
        });

        it("without --force, a cluster that cannot be asked is no reason to remove; with it, the operator is warned", async () => {
            const closed = await quietPort();
            const kubeconfig = api.kubeconfig().replace(api.url, `https://127.0.0.1:${closed}`);
            const r = await run(["jetstream", "--workers", "4", "--force", "--yes"], site({}, { kubeconfig: { value: kubeconfig, secret: true } }));
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /servers: +unknown: .*ECONNREFUSED/);
            assert.match(r.stdout, /Warning: --force: any server on jetstream-worker-05 will stop/);
        });
    });

    it("--help documents the flags, the drain and --force", async () => {
        const r = await run(["--help"]);
        assert.strictEqual(r.code, 0);
        for (const text of ["--workers <n>", "--users <n>", "--force", "--yes", "drained", "cost per hour"]) assert.ok(r.stdout.includes(text), `${text} in:\n${r.stdout}`);
    });

    describe("the plan (pure)", () => {
        it("user servers: annotation names, ended pods left out, a pending one without a node", () => {
            const pods = loadFixture("scale-pods.json").filter((p) => matchesSelector(p.metadata.labels ?? {}, "component=singleuser-server"));
            const servers = userServersOf(pods as never);
            assert.strictEqual(servers.length, 10);
            assert.deepStrictEqual(servers.find((s) => s.user === "workshop-09"), { user: "workshop-09", pod: "jupyter-workshop-09", node: undefined, phase: "Pending" });
            assert.ok(!servers.some((s) => s.user === "workshop-10"));
        });

        it("capacity counts the master only when it takes servers", () => {
            assert.strictEqual(siteCapacity(jetstream()), 75);
            assert.strictEqual(siteCapacity(withSettings(raw(), "jetstream", PROJECT_DIR, { workers: "0", maxServers: "7" })), 7);
            assert.strictEqual(siteCapacity(withSettings({ ...raw(), "esiphub:scheduleOnMaster": "true" }, "jetstream", PROJECT_DIR, { workers: "2", maxServers: "37" })), 37);
        });

        it("what N workers hold: the master only when it takes servers (the setting, not a site at 0 workers), less the placeholders", () => {
            assert.deepStrictEqual(serversHeld(jetstream(), raw(), 0), { capacity: 7, servers: 7, onMaster: true });
            assert.deepStrictEqual(serversHeld(jetstream(), raw(), 3), { capacity: 45, servers: 45, onMaster: false });
            const masterOnly = withSettings(raw(), "jetstream", PROJECT_DIR, { workers: "0", maxServers: "7" });
            assert.strictEqual(masterOnly.nodes.scheduleOnMaster, true);
            assert.deepStrictEqual(serversHeld(masterOnly, raw(), 3), { capacity: 45, servers: 45, onMaster: false });
            const onMaster = { ...raw(), "esiphub:scheduleOnMaster": "true" };
            assert.deepStrictEqual(serversHeld(jetstream(), onMaster, 2), { capacity: 37, servers: 37, onMaster: true });
            const placeholders = { ...raw(), "esiphub:userPlaceholders": "4" };
            assert.deepStrictEqual(serversHeld(parseSiteConfig(placeholders, "jetstream", PROJECT_DIR), placeholders, 3), { capacity: 45, servers: 41, onMaster: false });
        });

        it("the settings each request writes", () => {
            const settings = (request: { workers?: number | "auto"; users?: number }) => targetSettings(jetstream(), raw(), request).settings;
            assert.deepStrictEqual(settings({ users: 30 }), { workers: "auto", maxServers: "30" });
            assert.deepStrictEqual(settings({ users: 61 }), { workers: "auto", maxServers: "61" });
            assert.deepStrictEqual(settings({ users: 62 }), { workers: "auto", maxServers: "all" });
            assert.deepStrictEqual(settings({ users: 1000 }), { workers: "auto", maxServers: "all" });
            assert.deepStrictEqual(settings({ workers: 3 }), { workers: "3", maxServers: "45" });
            assert.deepStrictEqual(settings({ workers: 0 }), { workers: "0", maxServers: "7" });
            assert.deepStrictEqual(settings({ workers: 5 }), { workers: "5", maxServers: "all" });
            assert.deepStrictEqual(settings({ workers: "auto" }), { workers: "auto", maxServers: "all" });
            // What each writes is a site the program takes as it is.
            for (const request of [{ users: 30 }, { users: 1000 }, { workers: 3 }, { workers: 0 }, { workers: 5 }, { workers: "auto" as const }]) {
                const config = withSettings(raw(), "jetstream", PROJECT_DIR, settings(request));
                assert.ok(siteCapacity(config) >= config.hub.maxServers, JSON.stringify(request));
            }
        });

        it("--force lets servers stop and nothing else; adding workers is never refused for running servers", () => {
            const running = [{ user: "a", pod: "jupyter-a", node: "jetstream-worker-02", phase: "Running" }];
            const upSettings = { workers: "6", maxServers: "all" };
            const up = scalePlan({ current: jetstream(), next: withSettings(raw(), "jetstream", PROJECT_DIR, upSettings), ask: "--workers 6", settings: upSettings, running });
            assert.deepStrictEqual(scaleRefusals(up, false), []);
            const downSettings = { workers: "1", maxServers: "15" };
            const down = scalePlan({ current: jetstream(), next: withSettings(raw(), "jetstream", PROJECT_DIR, downSettings), ask: "--workers 1", settings: downSettings, running });
            assert.deepStrictEqual(down.removed, ["jetstream-worker-05", "jetstream-worker-04", "jetstream-worker-03", "jetstream-worker-02"]);
            assert.strictEqual(scaleRefusals(down, false).length, 1);
            assert.deepStrictEqual(scaleRefusals(down, true), []);
        });

        it("the scripted API's selector and merge patch behave as the API server's", () => {
            assert.ok(matchesSelector({ component: "singleuser-server" }, "component=singleuser-server"));
            assert.ok(!matchesSelector({ component: "user-placeholder" }, "component==singleuser-server"));
            assert.ok(matchesSelector({ a: "1" }, "a,!b,c!=2"));
            assert.deepStrictEqual(mergePatch({ spec: { podCIDR: "x", taints: [1] } }, { spec: { unschedulable: true, taints: null } }), { spec: { podCIDR: "x", unschedulable: true } });
        });
    });
});
