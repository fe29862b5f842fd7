/**
 * The cluster checks, through the stack's kubeconfig with @kubernetes/client-node: `nodes` (every node Ready),
 * `calico` (the Tigera operator's TigeraStatus "calico" Available), `provisioner` (the NFS client provisioner's pod
 * running), `probe-claim` (a claim of the NFS class bound, and written and read by a short pod; all of it removed
 * again), `image` (the notebook image on every node that takes users, the continuous pre-puller complete),
 * `capacity` (room for the expected users at their memory guarantee) and `crashloop` (no pod of the hub's or the
 * storage's namespace crash-looping or unable to pull its image).
 */
import * as crypto from "crypto";
import * as k8s from "@kubernetes/client-node";
import { CheckFailure, CheckRun, fail, pass, Verdict, warn } from "./check";

export interface ClusterTarget {
    /** The stack's admin kubeconfig (a secret: never printed). */
    readonly kubeconfig: string;
    readonly hubNamespace: string;
    /** Namespace of the NFS client provisioner; the probe claim is made there, outside the hub's quota parent. */
    readonly storageNamespace: string;
    readonly storageClass: string;
    /** The notebook image, "name:tag". */
    readonly image: string;
    /** Accounts the hub has (every one may start a server). */
    readonly users: number;
    /** What each user server requests, in bytes as KubeSpawner computes it from the chart's memory.guarantee. */
    readonly guaranteeBytes: number;
    /** The setting behind guaranteeBytes, for the detail. */
    readonly guaranteeSetting: string;
    /** Nodes the stack made: the master and the workers. */
    readonly expectedNodes: number;
    /** For the fixes. */
    readonly site?: string;
}

export interface ClusterOptions {
    /** Bound of one API request, ms. */
    readonly requestTimeoutMs?: number;
    /** Time the probe claim has to be bound and the probe pod to finish, ms. */
    readonly probeTimeoutMs?: number;
    readonly pollMs?: number;
}

/** Fixed, so that the provisioner's pathPattern (namespace/claim) gives every run the same directory on the share. */
export const PROBE_NAME = "esiphub-doctor-probe";
/** The nfs-subdir-external-provisioner chart's selector labels (templates/_helpers.tpl, selectorLabels). */
const PROVISIONER_APP = "nfs-subdir-external-provisioner";
/** Z2JH's pod labels (jupyterhub/templates and KubeSpawner's default labels). */
const USER_COMPONENT = "singleuser-server";
const PLACEHOLDER_COMPONENT = "user-placeholder";
/** Z2JH's continuous pre-puller DaemonSet (fullnameOverride ""). */
const PULLER_DAEMONSET = "continuous-image-puller";
/** Kubelet's default nodeStatusMaxImages: a node lists at most this many images. */
const NODE_STATUS_MAX_IMAGES = 50;
/** Taints that user servers tolerate (Z2JH: scheduling.userPods.tolerations). */
const USER_TOLERATED_TAINTS = ["hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated"];

interface Apis {
    readonly core: k8s.CoreV1Api;
    readonly apps: k8s.AppsV1Api;
    readonly custom: k8s.CustomObjectsApi;
}

/** API clients for the kubeconfig, each request bounded (client-node sets no timeout of its own). */
export function clusterApis(kubeconfig: string, requestTimeoutMs: number): Apis {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfig);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new CheckFailure("the kubeconfig names no current cluster", "see the stack's kubeconfig output (esiphub outputs SITE --show-secrets)");
    const timeout: k8s.Middleware = {
        pre: async (context) => {
            context.setSignal(AbortSignal.timeout(requestTimeoutMs));
            return context;
        },
        post: async (response) => response,
    };
    // As KubeConfig.makeApiClient does, plus the timeout.
    const configuration = k8s.createConfiguration({
        baseServer: new k8s.ServerConfiguration(cluster.server, {}),
        authMethods: { default: kc },
        promiseMiddleware: [timeout],
    });
    return { core: new k8s.CoreV1Api(configuration), apps: new k8s.AppsV1Api(configuration), custom: new k8s.CustomObjectsApi(configuration) };
}

/** The API server's own words for a failed request (its Status message), or the network error. */
export function apiProblem(e: unknown): string {
    if (e instanceof k8s.ApiException) {
        let body: unknown = e.body;
        if (typeof body === "string") {
            try {
                body = JSON.parse(body);
            } catch {
                // plain text
            }
        }
        // A Status body's message; for answers the OpenAPI spec names (401: "Unauthorized") client-node keeps only its own words.
        const message = (body as { message?: unknown } | undefined)?.message ?? /^Message: (.+)$/m.exec(e.message)?.[1];
        return `HTTP ${e.code}${typeof message === "string" ? `: ${message}` : ""}`;
    }
    const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
    if (err?.name === "AbortError" || err?.name === "TimeoutError") return "no answer in time";
    return err?.code ?? err?.cause?.code ?? err?.message ?? String(e);
}

const isNotFound = (e: unknown) => e instanceof k8s.ApiException && e.code === 404;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- nodes, calico ----

function readyCondition(node: k8s.V1Node): k8s.V1NodeCondition | undefined {
    return node.status?.conditions?.find((c) => c.type === "Ready");
}

export function judgeNodes(nodes: k8s.V1Node[], expected: number): Verdict {
    const notReady = nodes.filter((n) => readyCondition(n)?.status !== "True");
    const fix = "on the node: systemctl status kubelet; journalctl -u kubelet; kubectl describe node NAME (an unreachable VM: see the cloud's console)";
    if (notReady.length > 0) {
        const why = notReady.map((n) => {
            const c = readyCondition(n);
            return `${n.metadata?.name} ${c?.status === "Unknown" ? "NotReady (Unknown)" : "NotReady"}${c?.message ? `: ${c.message}` : ""}`;
        });
        return fail(`${nodes.length - notReady.length} of ${nodes.length} nodes Ready; ${why.join("; ")}`, fix);
    }
    if (nodes.length < expected) {
        return fail(`${nodes.length} nodes Ready, but the stack made ${expected}: a worker did not join`, "run esiphub up SITE again (a join is retried); kubectl get nodes");
    }
    return pass(`${nodes.length} nodes Ready`);
}

interface TigeraStatus {
    metadata?: { name?: string };
    status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** The Tigera operator's status (api/v1/tigerastatus_types.go; pkg/controller/status/status.go sets the conditions). */
export function judgeCalico(status: TigeraStatus): Verdict {
    const condition = (type: string) => status.status?.conditions?.find((c) => c.type === type);
    const available = condition("Available");
    const degraded = condition("Degraded");
    const progressing = condition("Progressing");
    const fix = "kubectl get tigerastatus calico -o yaml; kubectl -n calico-system get pods (calico-node needs TCP 179 between the nodes when BGP is on)";
    // The operator joins its messages with newlines; the detail is one line.
    const oneLine = (text = "") => text.replace(/\n/g, "; ");
    if (degraded?.status === "True") return fail(`Calico is Degraded (${degraded.reason}): ${oneLine(degraded.message)}`, fix);
    if (available?.status !== "True") {
        const why = progressing?.status === "True" ? `: ${oneLine(progressing.message)}` : "";
        return fail(`Calico is not Available${why}`, fix);
    }
    return pass(`Calico Available (${available.message || available.reason})`);
}

// ---- pods: provisioner, crash loops, capacity ----

const podOf = (pod: k8s.V1Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

function podReady(pod: k8s.V1Pod): boolean {
    return pod.status?.phase === "Running" && pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
}

/** Why a pod is not running: the first waiting container's reason, else its phase. */
function podState(pod: k8s.V1Pod): string {
    const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
    if (waiting) return `${waiting.reason}${waiting.message ? ` (${waiting.message})` : ""}`;
    return pod.status?.phase ?? "no status";
}

export function judgeProvisioner(pods: k8s.V1Pod[], namespace: string): Verdict {
    const provisioners = pods.filter((p) => p.metadata?.namespace === namespace && p.metadata?.labels?.app === PROVISIONER_APP);
    const fix = `kubectl -n ${namespace} describe pod -l app=${PROVISIONER_APP} (it mounts the whole NFS share: the NFS server must be up and export to the nodes)`;
    if (provisioners.length === 0) return fail(`no NFS provisioner pod in ${namespace}`, `run esiphub up SITE; kubectl -n ${namespace} get deploy`);
    const ready = provisioners.filter(podReady);
    if (ready.length === 0) return fail(`the NFS provisioner is not running: ${provisioners.map((p) => `${podOf(p)} ${podState(p)}`).join("; ")}`, fix);
    return pass(`NFS provisioner running (${ready.map((p) => p.metadata?.name).join(", ")})`);
}

const STUCK_REASONS = new Set(["CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"]);

export function judgeCrashLoops(pods: k8s.V1Pod[], namespaces: string[]): Verdict {
    const stuck = pods
        .filter((p) => namespaces.includes(p.metadata?.namespace ?? ""))
        .flatMap((p) =>
            [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
                .filter((c) => STUCK_REASONS.has(c.state?.waiting?.reason ?? ""))
                .map((c) => `${podOf(p)} (${c.name}: ${c.state!.waiting!.reason}, ${c.restartCount} restarts)`),
        );
    if (stuck.length > 0) {
        return fail(stuck.join("; "), "kubectl -n <namespace> logs <pod> -c <container> --previous (a crash), kubectl -n <namespace> describe pod <pod> (an image pull)");
    }
    return pass(`no pod crash-looping in ${namespaces.join(", ")}`);
}

/** A memory quantity of the API (canonical: "61337260Ki", "4294967296", "128Mi") in bytes. */
export function memoryBytes(quantity: string | undefined): number {
    if (!quantity) return 0;
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/.exec(quantity.trim());
    if (!m) throw new CheckFailure(`cannot read the memory quantity "${quantity}"`, "report it: the API server returned an unexpected quantity");
    const unit: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
    return Number(m[1]) * unit[m[2] ?? ""];
}

/** A pod's effective memory request, as the scheduler counts it: max(sum of containers, largest init container) + overhead. */
export function podMemoryRequest(pod: k8s.V1Pod): number {
    const request = (c: k8s.V1Container) => memoryBytes(c.resources?.requests?.memory);
    const containers = (pod.spec?.containers ?? []).reduce((sum, c) => sum + request(c), 0);
    const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map(request));
    return Math.max(containers, init) + memoryBytes(pod.spec?.overhead?.memory);
}

/** Nodes on which a user server can be scheduled: Ready, not cordoned, no taint that user pods do not tolerate. */
export function userNodes(nodes: k8s.V1Node[]): k8s.V1Node[] {
    return nodes.filter(
        (n) =>
            readyCondition(n)?.status === "True" &&
            !n.spec?.unschedulable &&
            !(n.spec?.taints ?? []).some((t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !USER_TOLERATED_TAINTS.includes(t.key)),
    );
}

const terminated = (p: k8s.V1Pod) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";
const componentOf = (p: k8s.V1Pod) => p.metadata?.labels?.component;
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Room for every user at the guarantee: on each user node, its allocatable memory less what its pods request
 * (user placeholders excepted: users pre-empt them), in whole guarantees; users already running need none.
 */
export function judgeCapacity(nodes: k8s.V1Node[], pods: k8s.V1Pod[], target: ClusterTarget): Verdict {
    const live = pods.filter((p) => !terminated(p));
    const running = live.filter((p) => p.metadata?.namespace === target.hubNamespace && componentOf(p) === USER_COMPONENT).length;
    const candidates = userNodes(nodes);
    const seats = candidates.map((node) => {
        const allocatable = memoryBytes(node.status?.allocatable?.memory);
        const requested = live
            .filter((p) => p.spec?.nodeName === node.metadata?.name && componentOf(p) !== PLACEHOLDER_COMPONENT)
            .reduce((sum, p) => sum + podMemoryRequest(p), 0);
        return Math.max(0, Math.floor((allocatable - requested) / target.guaranteeBytes));
    });
    const room = seats.reduce((a, b) => a + b, 0);
    const needed = Math.max(0, target.users - running);
    const per = candidates.map((n, i) => `${n.metadata?.name} ${seats[i]}`).join(", ");
    const what = `room for ${room} more servers at ${gib(target.guaranteeBytes)} each (${target.guaranteeSetting}) on ${candidates.length} user nodes; ${needed} needed (${target.users} accounts, ${running} running)`;
    if (room < needed) {
        return fail(`${what}: ${per}`, `add workers (esiphub:workers, or "auto" sizing) or lower ${target.guaranteeSetting.split(" ")[0]}, then esiphub up${target.site ? ` ${target.site}` : " SITE"}`);
    }
    return pass(what);
}

// ---- image ----

export function judgeImage(nodes: k8s.V1Node[], puller: k8s.V1DaemonSet | undefined, image: string, namespace: string): Verdict {
    const candidates = userNodes(nodes);
    const missing = candidates.filter((n) => !(n.status?.images ?? []).some((i) => (i.names ?? []).includes(image)));
    // A node lists only its largest NODE_STATUS_MAX_IMAGES images: absence from a full list proves nothing.
    const unknown = missing.filter((n) => (n.status?.images?.length ?? 0) >= NODE_STATUS_MAX_IMAGES);
    const absent = missing.filter((n) => !unknown.includes(n));
    const status = puller?.status;
    const pullerDone = status !== undefined && status.numberReady === status.desiredNumberScheduled && (status.updatedNumberScheduled ?? status.desiredNumberScheduled) === status.desiredNumberScheduled;
    const pullerText = puller ? `${status?.numberReady ?? 0}/${status?.desiredNumberScheduled ?? 0} pre-puller pods ready` : "no continuous pre-puller";
    const fix = `the first servers on those nodes wait for the pull (minutes); kubectl -n ${namespace} get ds ${PULLER_DAEMONSET}; kubectl describe node NAME`;
    if (absent.length > 0) return fail(`${image} is not on ${absent.map((n) => n.metadata?.name).join(", ")} (${pullerText})`, fix);
    if (!pullerDone) return fail(`the pre-puller is not done: ${pullerText}`, fix);
    if (unknown.length > 0) return warn(`${image} not among the ${NODE_STATUS_MAX_IMAGES} images listed by ${unknown.map((n) => n.metadata?.name).join(", ")}; ${pullerText}`, "crictl images on those nodes");
    return pass(`${image} on all ${candidates.length} user nodes; ${pullerText}`);
}

// ---- the probe claim ----

function probeClaim(target: ClusterTarget): k8s.V1PersistentVolumeClaim {
    return {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: PROBE_NAME, namespace: target.storageNamespace, labels: { "app.kubernetes.io/part-of": "esiphub", "app.kubernetes.io/component": "doctor" } },
        spec: { accessModes: ["ReadWriteMany"], storageClassName: target.storageClass, resources: { requests: { storage: "1Mi" } } },
    };
}

/** A pod that writes a token to the claim and reads it back (the notebook image: it is on every node already). */
function probePod(target: ClusterTarget, token: string): k8s.V1Pod {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: PROBE_NAME, namespace: target.storageNamespace, labels: { "app.kubernetes.io/part-of": "esiphub", "app.kubernetes.io/component": "doctor" } },
        spec: {
            restartPolicy: "Never",
            // Gone by itself if the doctor is interrupted before it cleans up.
            activeDeadlineSeconds: 600,
            containers: [
                {
                    name: "probe",
                    image: target.image,
                    command: ["sh", "-c", 'echo "$ESIPHUB_PROBE_TOKEN" > /probe/esiphub-doctor && cat /probe/esiphub-doctor'],
                    env: [{ name: "ESIPHUB_PROBE_TOKEN", value: token }],
                    resources: { requests: { memory: "16Mi", cpu: "10m" }, limits: { memory: "64Mi" } },
                    volumeMounts: [{ name: "probe", mountPath: "/probe" }],
                },
            ],
            volumes: [{ name: "probe", persistentVolumeClaim: { claimName: PROBE_NAME } }],
        },
    };
}

async function ignoreNotFound(request: Promise<unknown>): Promise<void> {
    try {
        await request;
    } catch (e) {
        if (!isNotFound(e)) throw e;
    }
}

/**
 * Deletes the probe's pod, claim and volume (the class's reclaimPolicy is Retain: a deleted claim leaves its volume
 * Released). The API server defers each deletion until nothing uses the object (kubernetes.io/pvc-protection and
 * pv-protection finalizers), so the order of the calls is enough.
 */
async function removeProbe(apis: Apis, namespace: string): Promise<void> {
    await ignoreNotFound(apis.core.deleteNamespacedPod({ name: PROBE_NAME, namespace, gracePeriodSeconds: 0 }));
    await ignoreNotFound(apis.core.deleteNamespacedPersistentVolumeClaim({ name: PROBE_NAME, namespace }));
    const volumes = await apis.core.listPersistentVolume({});
    for (const pv of volumes.items.filter((v) => v.spec?.claimRef?.namespace === namespace && v.spec?.claimRef?.name === PROBE_NAME)) {
        await ignoreNotFound(apis.core.deletePersistentVolume({ name: pv.metadata!.name! }));
    }
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, deadline: number, pollMs: number): Promise<T> {
    for (;;) {
        const value = await read();
        if (done(value) || Date.now() + pollMs > deadline) return value;
        await sleep(pollMs);
    }
}

async function gone(read: () => Promise<unknown>): Promise<boolean> {
    try {
        await read();
        return false;
    } catch (e) {
        if (isNotFound(e)) return true;
        throw e;
    }
}

/** The latest event about the claim: what the controller or the provisioner says is holding it. */
async function claimEvent(apis: Apis, namespace: string): Promise<string> {
    const events = await apis.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${PROBE_NAME}` });
    const latest = events.items.sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? "").localeCompare(String(b.lastTimestamp ?? b.eventTime ?? ""))).pop();
    return latest ? `${latest.reason}: ${latest.message}` : "no events";
}

async function probe(apis: Apis, target: ClusterTarget, options: Required<ClusterOptions>): Promise<Verdict> {
    const ns = target.storageNamespace;
    const deadline = Date.now() + options.probeTimeoutMs;
    const seconds = () => ((Date.now() - (deadline - options.probeTimeoutMs)) / 1000).toFixed(1);
    // A run that was interrupted may have left its probe; the same names cannot be made again until it is gone.
    await removeProbe(apis, ns);
    await waitFor(() => gone(() => apis.core.readNamespacedPersistentVolumeClaim({ name: PROBE_NAME, namespace: ns })), (g) => g, deadline, options.pollMs);

    await apis.core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: probeClaim(target) });
    const claim = await waitFor(
        () => apis.core.readNamespacedPersistentVolumeClaim({ name: PROBE_NAME, namespace: ns }),
        (c) => c.status?.phase === "Bound",
        deadline,
        options.pollMs,
    );
    if (claim.status?.phase !== "Bound") {
        return fail(
            `a claim of class ${target.storageClass} stayed ${claim.status?.phase ?? "Pending"} for ${seconds()} s (${await claimEvent(apis, ns)})`,
            `the NFS provisioner makes the volumes: kubectl -n ${ns} logs -l app=${PROVISIONER_APP}; kubectl -n ${ns} describe pvc ${PROBE_NAME}`,
        );
    }

    const token = crypto.randomBytes(12).toString("hex");
    await apis.core.createNamespacedPod({ namespace: ns, body: probePod(target, token) });
    const pod = await waitFor(
        () => apis.core.readNamespacedPod({ name: PROBE_NAME, namespace: ns }),
        (p) => terminated(p),
        deadline,
        options.pollMs,
    );
    const podFix = `kubectl -n ${ns} describe pod ${PROBE_NAME} (the NFS mount and the share's permissions)`;
    if (pod.status?.phase !== "Succeeded") {
        return fail(`the probe pod did not write to the claim: ${podState(pod)}${pod.status?.message ? ` (${pod.status.message})` : ""}`, podFix);
    }
    const log = await apis.core.readNamespacedPodLog({ name: PROBE_NAME, namespace: ns, container: "probe" });
    if (log.trim() !== token) return fail(`the probe pod read back ${JSON.stringify(log.trim().slice(0, 40))}, not what it wrote`, podFix);
    return pass(`claim bound to ${claim.spec?.volumeName} (${target.storageClass}), written and read back by a pod in ${seconds()} s`);
}

async function checkProbe(apis: Apis, target: ClusterTarget, options: Required<ClusterOptions>): Promise<Verdict> {
    let verdict: Verdict;
    try {
        verdict = await probe(apis, target, options);
    } catch (e) {
        verdict = fail(`the probe failed: ${apiProblem(e)}`, `kubectl -n ${target.storageNamespace} describe pvc,pod ${PROBE_NAME}`);
    }
    try {
        await removeProbe(apis, target.storageNamespace);
    } catch (e) {
        const cleanup = `kubectl -n ${target.storageNamespace} delete pod,pvc ${PROBE_NAME}`;
        const detail = `${verdict.detail}; removing the probe failed (${apiProblem(e)})`;
        return verdict.status === "fail" ? fail(detail, `${verdict.fix}; then ${cleanup}`) : warn(detail, cleanup);
    }
    return verdict;
}

// ---- all together ----

const CLUSTER_CHECKS = ["nodes", "calico", "provisioner", "probe-claim", "image", "capacity", "crashloop"] as const;

const DEFAULTS: Required<ClusterOptions> = { requestTimeoutMs: 10_000, probeTimeoutMs: 180_000, pollMs: 2_000 };

/** Runs the cluster checks; when the API server cannot be reached, the first check says so and the rest are skipped. */
export async function runClusterChecks(run: CheckRun, target: ClusterTarget, options: ClusterOptions = {}): Promise<void> {
    const opts = { ...DEFAULTS, ...options };
    let apis: Apis;
    let nodes: k8s.V1Node[] = [];
    let pods: k8s.V1Pod[] = [];
    let answered = false;
    await run.run("nodes", async () => {
        apis = clusterApis(target.kubeconfig, opts.requestTimeoutMs);
        try {
            nodes = (await apis.core.listNode({})).items;
            pods = (await apis.core.listPodForAllNamespaces({})).items;
            answered = true;
        } catch (e) {
            throw new CheckFailure(
                `the Kubernetes API did not answer: ${apiProblem(e)}`,
                "is the master up and port 6443 open to this machine (esiphub:adminCidrs)? See the stack's kubeconfig output",
            );
        }
        return judgeNodes(nodes, target.expectedNodes);
    });
    if (!answered) {
        CLUSTER_CHECKS.slice(1).forEach((name) => run.skip(name, "the Kubernetes API did not answer"));
        return;
    }
    const api = (what: string) => (e: unknown) => {
        throw new CheckFailure(`${what}: ${apiProblem(e)}`, "kubectl with the stack's kubeconfig shows the same; see the API server's answer");
    };
    await run.run("calico", async () => {
        let status: TigeraStatus;
        try {
            status = (await apis.custom.getClusterCustomObject({ group: "operator.tigera.io", version: "v1", plural: "tigerastatuses", name: "calico" })) as TigeraStatus;
        } catch (e) {
            if (isNotFound(e)) return fail("no TigeraStatus calico: the Tigera operator has not installed Calico", "kubectl -n tigera-operator logs deploy/tigera-operator; kubectl get installation default -o yaml");
            return api("TigeraStatus calico")(e);
        }
        return judgeCalico(status);
    });
    await run.run("provisioner", async () => judgeProvisioner(pods, target.storageNamespace));
    await run.run("probe-claim", () => checkProbe(apis, target, opts));
    await run.run("image", async () => {
        let puller: k8s.V1DaemonSet | undefined;
        try {
            puller = await apis.apps.readNamespacedDaemonSet({ name: PULLER_DAEMONSET, namespace: target.hubNamespace });
        } catch (e) {
            if (!isNotFound(e)) return api(`DaemonSet ${PULLER_DAEMONSET}`)(e);
        }
        return judgeImage(nodes, puller, target.image, target.hubNamespace);
    });
    await run.run("capacity", async () => judgeCapacity(nodes, pods, target));
    await run.run("crashloop", async () => judgeCrashLoops(pods, [target.hubNamespace, target.storageNamespace]));
}
