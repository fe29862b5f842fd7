import * as assert from "assert";
import { CheckResult, CheckRun } from "../../cli/doctor/check";
import { HANG_GUARD_MS } from "../wait";
import { ClusterTarget, judgeCapacity, memoryBytes, podMemoryRequest, PROBE_NAME, runClusterChecks } from "../../cli/doctor/cluster";
import { clusterTarget } from "../../cli/doctor/index";
import { parseSiteConfig } from "../../components/config";
import { readStackConfig, stackFilePath } from "../../plan/stackfile";
import { requireTool } from "../dns/named";
import { PROJECT_DIR } from "../mocks";
import { Scenario, ScriptedCluster, startScriptedCluster } from "./kubeapi";

/** The Jetstream2 stack, as the recorded cluster is: 62 accounts, 4G guarantee, a master and five workers. */
const JETSTREAM = parseSiteConfig(readStackConfig(stackFilePath(PROJECT_DIR, "jetstream")).config, "jetstream", PROJECT_DIR);
/** Fast polling; the time limits are the hang guard, so that a busy machine never fails a check that should pass. */
const FAST = { pollMs: 20, probeTimeoutMs: HANG_GUARD_MS, requestTimeoutMs: HANG_GUARD_MS };
/** For a claim that never binds, the probe's budget decides when to give up; the verdict is the same at any length. */
const NEVER_BINDS = { ...FAST, probeTimeoutMs: 1_500 };

async function examine(cluster: ScriptedCluster, options = FAST): Promise<Record<string, CheckResult>> {
    const run = new CheckRun("https://hub.esipfed.org", "jhub");
    await runClusterChecks(run, clusterTarget(JETSTREAM, cluster.kubeconfig, JETSTREAM.hub.users.length), options);
    return Object.fromEntries(run.results.map((r) => [r.name, r]));
}

const statuses = (checks: Record<string, CheckResult>) => Object.fromEntries(Object.entries(checks).map(([name, c]) => [name, c.status]));

describe("doctor: the cluster checks against a scripted Kubernetes API on 127.0.0.1", function () {
    const clusters: ScriptedCluster[] = [];
    const start = async (scenario: Scenario) => {
        const cluster = await startScriptedCluster(scenario);
        clusters.push(cluster);
        return cluster;
    };

    before(function () {
        requireTool(this, "openssl", "openssl");
    });

    after(async () => {
        await Promise.all(clusters.map((c) => c.close()));
    });

    it("a healthy cluster: every check passes, and the probe claim is made, bound, written, read and removed", async () => {
        const cluster = await start("healthy");
        const checks = await examine(cluster);
        assert.deepStrictEqual(statuses(checks), {
            nodes: "pass",
            calico: "pass",
            provisioner: "pass",
            "probe-claim": "pass",
            image: "pass",
            capacity: "pass",
            crashloop: "pass",
        });
        assert.strictEqual(checks.nodes.detail, "6 nodes Ready");
        assert.strictEqual(checks.calico.detail, "Calico Available (All objects available)");
        assert.match(checks.provisioner.detail, /^NFS provisioner running \(nfs-provisioner-nfs-subdir-external-provisioner-\w+-\w+\)$/);
        assert.match(checks["probe-claim"].detail, /^claim bound to pvc-[0-9a-f-]{36} \(nfs-client\), written and read back by a pod in \d+\.\d s$/);
        assert.strictEqual(checks.image.detail, "ghcr.io/esipfed/esiphub-notebook:2026.11 on all 5 user nodes; 5/5 pre-puller pods ready");
        // Per worker: (61337252Ki allocatable − requests) / 4 GiB; jetstream-worker-01 and -02 run a user-scheduler
        // (256Mi), -02 also the helper's server (4 GiB): 14 + 13 + 14 + 14 + 14.
        assert.strictEqual(checks.capacity.detail, "room for 69 more servers at 4.0 GiB each (esiphub:memoryGuarantee 4G) on 5 user nodes; 61 needed (62 accounts, 1 running)");
        assert.strictEqual(checks.crashloop.detail, "no pod crash-looping in jhub, esiphub-storage");
        const writes = cluster.requests.filter((r) => !r.startsWith("GET "));
        assert.deepStrictEqual(writes.slice(0, 3), [
            `DELETE /api/v1/namespaces/esiphub-storage/pods/${PROBE_NAME}?gracePeriodSeconds=0`,
            `DELETE /api/v1/namespaces/esiphub-storage/persistentvolumeclaims/${PROBE_NAME}`,
            "POST /api/v1/namespaces/esiphub-storage/persistentvolumeclaims",
        ]);
        assert.ok(writes.includes("POST /api/v1/namespaces/esiphub-storage/pods"), writes.join("\n"));
        assert.ok(cluster.requests.includes(`GET /api/v1/namespaces/esiphub-storage/pods/${PROBE_NAME}/log?container=probe`));
        assert.ok(writes.some((r) => /^DELETE \/api\/v1\/persistentvolumes\/pvc-/.test(r)), "the Released volume (reclaim policy Retain) is deleted too");
        assert.deepStrictEqual(cluster.leftovers(), []);
    });

    it("a second run finds nothing left of the first and passes again", async () => {
        const cluster = await start("healthy");
        assert.strictEqual((await examine(cluster))["probe-claim"].status, "pass");
        assert.strictEqual((await examine(cluster))["probe-claim"].status, "pass");
        assert.deepStrictEqual(cluster.leftovers(), []);
    });

    it("a NotReady node: nodes fails naming it; Calico awaits it; capacity and the pre-puller fall short", async () => {
        const checks = await examine(await start("node-notready"));
        assert.deepStrictEqual(statuses(checks), {
            nodes: "fail",
            calico: "fail",
            provisioner: "pass",
            "probe-claim": "pass",
            image: "fail",
            capacity: "fail",
            crashloop: "pass",
        });
        assert.strictEqual(checks.nodes.detail, "5 of 6 nodes Ready; jetstream-worker-03 NotReady (Unknown): Kubelet stopped posting node status.");
        assert.match(checks.nodes.fix!, /journalctl -u kubelet/);
        assert.strictEqual(
            checks.calico.detail,
            'Calico is not Available: DaemonSet "calico-system/calico-node" is not available (awaiting 1 nodes); DaemonSet "calico-system/csi-node-driver" is not available (awaiting 1 nodes)',
        );
        assert.strictEqual(checks.image.detail, "the pre-puller is not done: 4/5 pre-puller pods ready");
        assert.match(checks.capacity.detail, /^room for 55 more servers .* on 4 user nodes; 61 needed \(62 accounts, 1 running\): jetstream-worker-01 14, jetstream-worker-02 13, jetstream-worker-04 14, jetstream-worker-05 14$/);
        assert.match(checks.capacity.fix!, /add workers/);
    });

    it("Calico degraded: the calico check fails with the operator's reason and message", async () => {
        const checks = await examine(await start("calico-degraded"));
        assert.strictEqual(checks.calico.status, "fail");
        assert.match(checks.calico.detail, /^Calico is Degraded \(PodFailure\): Pod calico-system\/calico-node-\w+ has crash looping container: calico-node$/);
        assert.match(checks.calico.fix!, /TCP 179/);
        assert.deepStrictEqual(
            Object.entries(statuses(checks)).filter(([, s]) => s !== "pass").map(([n]) => n),
            ["calico"],
        );
    });

    it("a claim stuck Pending: probe-claim fails with the controller's event, the provisioner check says why; nothing is left behind", async () => {
        const cluster = await start("claim-pending");
        const checks = await examine(cluster, NEVER_BINDS);
        assert.strictEqual(checks.provisioner.status, "fail");
        assert.match(checks.provisioner.detail, /^the NFS provisioner is not running: esiphub-storage\/nfs-provisioner-nfs-subdir-external-provisioner-\w+-\w+ ContainerCreating$/);
        const probe = checks["probe-claim"];
        assert.strictEqual(probe.status, "fail");
        assert.match(
            probe.detail,
            /^a claim of class nfs-client stayed Pending for \d+\.\d s \(ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'cluster\.local\/nfs-provisioner-nfs-subdir-external-provisioner' or manually by the system administrator\./,
        );
        assert.match(probe.fix!, /kubectl -n esiphub-storage logs -l app=nfs-subdir-external-provisioner/);
        assert.ok(!cluster.requests.includes("POST /api/v1/namespaces/esiphub-storage/pods"), "no pod for a claim that never bound");
        assert.deepStrictEqual(cluster.leftovers(), []);
    });

    it("a crash-looping hub: the crashloop check fails naming the pod and container", async () => {
        const checks = await examine(await start("hub-crashloop"));
        assert.strictEqual(checks.crashloop.status, "fail");
        assert.match(checks.crashloop.detail, /^jhub\/hub-\w+-\w+ \(hub: CrashLoopBackOff, 6 restarts\)$/);
        assert.deepStrictEqual(
            Object.entries(statuses(checks)).filter(([, s]) => s !== "pass").map(([n]) => n),
            ["crashloop"],
        );
    });

    it("an API server that does not answer: nodes fails with the connection error, the rest are skipped", async () => {
        const cluster = await start("healthy");
        const kubeconfig = cluster.kubeconfig;
        await cluster.close();
        const run = new CheckRun("https://hub.esipfed.org", "jhub");
        await runClusterChecks(run, clusterTarget(JETSTREAM, kubeconfig, 62), FAST);
        assert.deepStrictEqual(run.results[0].status, "fail");
        assert.match(run.results[0].detail, /^the Kubernetes API did not answer: ECONNREFUSED/);
        assert.match(run.results[0].fix!, /port 6443/);
        assert.deepStrictEqual(
            run.results.slice(1).map((r) => `${r.name} ${r.status}`),
            ["calico", "provisioner", "probe-claim", "image", "capacity", "crashloop"].map((n) => `${n} skip`),
        );
    });

    it("credentials the API server does not accept: its 401, or its 403 for the anonymous user", async () => {
        const cluster = await start("healthy");
        const withToken = cluster.kubeconfig.replace(/ {4}client-certificate-data: .*\n {4}client-key-data: .*\n/, "    token: not-a-token\n");
        const run = new CheckRun("https://hub.esipfed.org", "jhub");
        await runClusterChecks(run, clusterTarget(JETSTREAM, withToken, 62), FAST);
        assert.strictEqual(run.results[0].detail, "the Kubernetes API did not answer: HTTP 401: Unauthorized");
        const anonymous = cluster.kubeconfig.replace(/ {4}client-certificate-data: .*\n {4}client-key-data: .*\n/, "    {}\n");
        const anonymousRun = new CheckRun("https://hub.esipfed.org", "jhub");
        await runClusterChecks(anonymousRun, clusterTarget(JETSTREAM, anonymous, 62), FAST);
        assert.match(anonymousRun.results[0].detail, /^the Kubernetes API did not answer: HTTP 403: forbidden: User "system:anonymous" cannot get path "\/api\/v1\/nodes"$/);
    });
});

describe("doctor: cluster arithmetic", () => {
    it("memory quantities as the API server writes them", () => {
        assert.strictEqual(memoryBytes("61337252Ki"), 61337252 * 1024);
        assert.strictEqual(memoryBytes("4294967296"), 4294967296);
        assert.strictEqual(memoryBytes("256Mi"), 268435456);
        assert.strictEqual(memoryBytes("4G"), 4e9);
        assert.strictEqual(memoryBytes(undefined), 0);
        assert.throws(() => memoryBytes("lots"), /cannot read the memory quantity "lots"/);
    });

    it("a pod's request counts its largest init container when that is bigger than its containers together", () => {
        const pod = {
            spec: {
                initContainers: [{ name: "a", resources: { requests: { memory: "1Gi" } } }],
                containers: [
                    { name: "b", resources: { requests: { memory: "256Mi" } } },
                    { name: "c", resources: { requests: { memory: "256Mi" } } },
                ],
                overhead: { memory: "64Mi" },
            },
        };
        assert.strictEqual(podMemoryRequest(pod), 2 ** 30 + 64 * 2 ** 20);
    });

    it("capacity leaves out the control plane's taint and counts placeholders as room", () => {
        const node = (name: string, taints: { key: string; effect: string }[] = []) => ({
            metadata: { name },
            spec: { taints },
            status: { allocatable: { memory: "10Gi" }, conditions: [{ type: "Ready", status: "True" }] },
        });
        const placeholder = { metadata: { namespace: "jhub", labels: { component: "user-placeholder" } }, spec: { nodeName: "w1", containers: [{ name: "pause", resources: { requests: { memory: "8Gi" } } }] }, status: { phase: "Running" } };
        const target = { users: 4, guaranteeBytes: 4 * 2 ** 30, guaranteeSetting: "esiphub:memoryGuarantee 4G", hubNamespace: "jhub" } as ClusterTarget;
        const verdict = judgeCapacity([node("m", [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]), node("w1"), node("w2", [{ key: "hub.jupyter.org/dedicated", effect: "NoSchedule" }])], [placeholder], target);
        assert.strictEqual(verdict.status, "pass");
        assert.strictEqual(verdict.detail, "room for 4 more servers at 4.0 GiB each (esiphub:memoryGuarantee 4G) on 2 user nodes; 4 needed (4 accounts, 0 running)");
    });
});
