/**
 * A scripted Kubernetes API on 127.0.0.1 for the doctor's cluster checks. It answers reads with the recorded
 * objects of a scenario (fixtures/cluster/, see its README) and models the few objects the doctor writes (its probe
 * claim and pod) the way the API server and its controllers treat them:
 * - HTTPS with client-certificate authentication, like a kubeadm admin.conf, on the PKI and kubeconfig of the CLI's
 *   other scripted API (test/cli/k8s-api.ts): a bearer token the server does not know is 401, no credentials at all
 *   are the anonymous user, whom kubeadm's RBAC forbids everything (403);
 * - errors as metav1.Status objects (404 NotFound, 409 AlreadyExists) with the API server's messages;
 * - a created claim is Pending; the NFS provisioner binds it to a new volume `pvc-<uid>` (reclaim policy Retain, as
 *   the site's StorageClass) on the next read, unless the scenario's provisioner cannot run; the persistent volume
 *   controller's ExternalProvisioning event says so meanwhile;
 * - a pod whose claim is unbound stays unschedulable; otherwise the kubelet runs it (ContainerCreating, then its
 *   command) and keeps its log;
 * - deletions honour the kubernetes.io/pvc-protection and pv-protection finalizers: a claim in use by a pod, or a
 *   volume still bound to a claim, stays (with a deletionTimestamp) until that user is gone; a deleted claim leaves
 *   its volume Released.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import type { IncomingMessage, ServerResponse } from "http";
import { adminKubeconfig, makePki } from "../cli/k8s-api";

export const SCENARIOS = ["healthy", "node-notready", "calico-degraded", "claim-pending", "hub-crashloop"] as const;
export type Scenario = (typeof SCENARIOS)[number];

const FIXTURES = path.join(__dirname, "fixtures", "cluster");
/** The NFS provisioner's name as its chart makes it (templates/_helpers.tpl provisionerName). */
const PROVISIONER = "cluster.local/nfs-provisioner-nfs-subdir-external-provisioner";
/** The site's NFS server (the master) and export (components/storage/values.ts NFS_EXPORT_DIR). */
const NFS = { server: "10.42.0.10", export: "/srv/esiphub" };

/** A Kubernetes object or list as JSON. */
type Obj = Record<string, any>;

function readJson(scenario: string, name: string): Obj | undefined {
    const file = path.join(FIXTURES, scenario, `${name}.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Obj) : undefined;
}

const key = (o: Obj) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

/** The healthy list with the scenario's objects in place of the same-named ones. */
function recordedList(scenario: Scenario, name: string): Obj {
    const list = structuredClone(readJson("healthy", name)!);
    const overlay = scenario === "healthy" ? undefined : readJson(scenario, name);
    if (overlay) {
        const replacements = new Map(overlay.items.map((o: Obj) => [key(o), o]));
        list.items = list.items.map((o: Obj) => replacements.get(key(o)) ?? o);
    }
    return list;
}

function recorded(scenario: Scenario, name: string): Obj {
    return structuredClone(readJson(scenario, name) ?? readJson("healthy", name)!);
}

function status(code: number, reason: string, message: string, details: Obj = {}): Obj {
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details, code };
}

const notFound = (kind: string, name: string) => status(404, "NotFound", `${kind} "${name}" not found`, { name, kind });

export interface ScriptedCluster {
    /** The kubeconfig that reaches it, as kubeadm writes admin.conf. */
    readonly kubeconfig: string;
    /** Every request: "METHOD /path?query". */
    readonly requests: string[];
    /** The objects the doctor made that still exist, by "kind namespace/name". */
    leftovers(): string[];
    close(): Promise<void>;
}

class ClusterState {
    private resourceVersion = 50_000;
    readonly claims = new Map<string, Obj>();
    readonly pods = new Map<string, Obj>();
    readonly volumes = new Map<string, Obj>();
    private readonly reads = new Map<string, number>();
    readonly logs = new Map<string, string>();

    constructor(private readonly scenario: Scenario) {}

    private nextVersion(): string {
        return String(++this.resourceVersion);
    }

    private meta(body: Obj, namespace?: string): Obj {
        return {
            ...body.metadata,
            ...(namespace ? { namespace } : {}),
            uid: crypto.randomUUID(),
            resourceVersion: this.nextVersion(),
            creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        };
    }

    /** The provisioner can make volumes unless its pod cannot start (claim-pending). */
    private get provisioning(): boolean {
        return this.scenario !== "claim-pending";
    }

    createClaim(namespace: string, body: Obj): [number, Obj] {
        const name = body.metadata?.name;
        if (this.claims.has(`${namespace}/${name}`)) return [409, status(409, "AlreadyExists", `persistentvolumeclaims "${name}" already exists`, { name, kind: "persistentvolumeclaims" })];
        const claim = {
            kind: "PersistentVolumeClaim",
            apiVersion: "v1",
            metadata: {
                ...this.meta(body, namespace),
                annotations: { "volume.beta.kubernetes.io/storage-provisioner": PROVISIONER, "volume.kubernetes.io/storage-provisioner": PROVISIONER },
                finalizers: ["kubernetes.io/pvc-protection"],
            },
            spec: { ...body.spec, volumeMode: "Filesystem" },
            status: { phase: "Pending" },
        };
        this.claims.set(`${namespace}/${name}`, claim);
        return [201, claim];
    }

    /** A read of the claim: the provisioner binds it the second time it is looked at. */
    readClaim(namespace: string, name: string): Obj | undefined {
        const claim = this.claims.get(`${namespace}/${name}`);
        if (!claim) return undefined;
        const reads = (this.reads.get(claim.metadata.uid) ?? 0) + 1;
        this.reads.set(claim.metadata.uid, reads);
        if (claim.status.phase === "Pending" && this.provisioning && reads >= 2 && !claim.metadata.deletionTimestamp) this.bind(claim);
        return claim;
    }

    private bind(claim: Obj): void {
        const name = `pvc-${claim.metadata.uid}`;
        const storage = claim.spec.resources.requests.storage;
        this.volumes.set(name, {
            kind: "PersistentVolume",
            apiVersion: "v1",
            metadata: {
                name,
                uid: crypto.randomUUID(),
                resourceVersion: this.nextVersion(),
                creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
                annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER },
                finalizers: ["kubernetes.io/pv-protection"],
            },
            spec: {
                capacity: { storage },
                nfs: { server: NFS.server, path: `${NFS.export}/${claim.metadata.namespace}/${claim.metadata.name}` },
                accessModes: claim.spec.accessModes,
                claimRef: { kind: "PersistentVolumeClaim", namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: "v1", resourceVersion: claim.metadata.resourceVersion },
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: claim.spec.storageClassName,
                mountOptions: ["nfsvers=4.2", "noatime"],
                volumeMode: "Filesystem",
            },
            status: { phase: "Bound", lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
        });
        claim.metadata.annotations["pv.kubernetes.io/bind-completed"] = "yes";
        claim.metadata.annotations["pv.kubernetes.io/bound-by-controller"] = "yes";
        claim.metadata.resourceVersion = this.nextVersion();
        claim.spec.volumeName = name;
        claim.status = { phase: "Bound", accessModes: claim.spec.accessModes, capacity: { storage } };
    }

    /** The persistent volume controller's event about a claim that waits for its provisioner. */
    claimEvents(namespace: string, name: string): Obj[] {
        const claim = this.claims.get(`${namespace}/${name}`);
        const recordedEvent = readJson(this.scenario, "event-external-provisioning");
        if (!claim || claim.status.phase !== "Pending" || !recordedEvent) return [];
        const template = JSON.stringify(recordedEvent);
        const count = this.reads.get(claim.metadata.uid) ?? 1;
        const filled = template
            .replace(/"\{\{count\}\}"/g, String(count))
            .replace(/\{\{(\w+)\}\}/g, (_, field: string) => {
                const values: Record<string, string> = {
                    eventSuffix: claim.metadata.uid.replace(/-/g, "").slice(0, 16),
                    eventUid: crypto.createHash("md5").update(claim.metadata.uid).digest("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5"),
                    resourceVersion: this.nextVersion(),
                    firstTimestamp: claim.metadata.creationTimestamp,
                    lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
                    claimUid: claim.metadata.uid,
                    claimResourceVersion: claim.metadata.resourceVersion,
                };
                return values[field];
            });
        return [JSON.parse(filled)];
    }

    createPod(namespace: string, body: Obj): [number, Obj] {
        const name = body.metadata?.name;
        if (this.pods.has(`${namespace}/${name}`)) return [409, status(409, "AlreadyExists", `pods "${name}" already exists`, { name, kind: "pods" })];
        const pod = {
            kind: "Pod",
            apiVersion: "v1",
            metadata: this.meta(body, namespace),
            spec: { ...body.spec, schedulerName: "default-scheduler", serviceAccountName: "default" },
            status: { phase: "Pending", qosClass: "Burstable" },
        };
        this.pods.set(`${namespace}/${name}`, pod);
        return [201, pod];
    }

    private claimOf(pod: Obj): Obj | undefined {
        const claimName = pod.spec.volumes?.find((v: Obj) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName;
        return claimName ? this.claims.get(`${pod.metadata.namespace}/${claimName}`) : undefined;
    }

    /** A read of the pod: scheduled once its claim is bound, then the kubelet starts it, then its command has run. */
    readPod(namespace: string, name: string): Obj | undefined {
        const pod = this.pods.get(`${namespace}/${name}`);
        if (!pod || pod.status.phase === "Succeeded" || pod.status.phase === "Failed") return pod;
        const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
        if (this.claimOf(pod)?.status.phase !== "Bound") {
            pod.status.conditions = [
                {
                    type: "PodScheduled",
                    status: "False",
                    lastProbeTime: null,
                    lastTransitionTime: now,
                    reason: "Unschedulable",
                    message: "0/6 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.",
                },
            ];
            return pod;
        }
        const container = pod.spec.containers[0];
        if (!pod.spec.nodeName) {
            pod.spec.nodeName = "jetstream-worker-01";
            pod.status = {
                phase: "Pending",
                conditions: [{ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now }],
                hostIP: "10.42.0.11",
                hostIPs: [{ ip: "10.42.0.11" }],
                startTime: now,
                containerStatuses: [{ name: container.name, state: { waiting: { reason: "ContainerCreating" } }, lastState: {}, ready: false, restartCount: 0, image: container.image, imageID: "", started: false }],
                qosClass: "Burstable",
            };
            return pod;
        }
        const output = runProbeCommand(container);
        this.logs.set(`${namespace}/${name}`, output.log);
        pod.status.phase = output.exitCode === 0 ? "Succeeded" : "Failed";
        pod.status.conditions.push({ type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: now });
        pod.status.containerStatuses = [
            {
                name: container.name,
                state: { terminated: { exitCode: output.exitCode, reason: output.exitCode === 0 ? "Completed" : "Error", startedAt: now, finishedAt: now, containerID: `containerd://${crypto.randomBytes(32).toString("hex")}` } },
                lastState: {},
                ready: false,
                restartCount: 0,
                image: container.image,
                imageID: "",
                started: false,
            },
        ];
        return pod;
    }

    deletePod(namespace: string, name: string): Obj | undefined {
        const pod = this.pods.get(`${namespace}/${name}`);
        if (!pod) return undefined;
        // Its containers have exited (or never started): the kubelet confirms at once and the object goes.
        this.pods.delete(`${namespace}/${name}`);
        this.logs.delete(`${namespace}/${name}`);
        return { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"), deletionGracePeriodSeconds: 0 } };
    }

    deleteClaim(namespace: string, name: string): Obj | undefined {
        const claim = this.claims.get(`${namespace}/${name}`);
        if (!claim) return undefined;
        claim.metadata.deletionTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, "Z");
        claim.metadata.deletionGracePeriodSeconds = 0;
        return claim;
    }

    deleteVolume(name: string): Obj | undefined {
        const volume = this.volumes.get(name);
        if (!volume) return undefined;
        volume.metadata.deletionTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, "Z");
        volume.metadata.deletionGracePeriodSeconds = 0;
        return volume;
    }

    /** The finalizers' controllers: a claim nobody's pod uses goes, its volume is Released; an unbound volume goes. */
    sweep(): void {
        for (const [id, claim] of this.claims) {
            if (!claim.metadata.deletionTimestamp) continue;
            const inUse = [...this.pods.values()].some((p) => this.claimOf(p) === claim);
            if (inUse) continue;
            this.claims.delete(id);
            const volume = claim.spec.volumeName ? this.volumes.get(claim.spec.volumeName) : undefined;
            if (volume) volume.status = { phase: "Released", lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
        }
        for (const [name, volume] of this.volumes) {
            const claimRef = volume.spec.claimRef;
            const bound = claimRef && this.claims.get(`${claimRef.namespace}/${claimRef.name}`)?.metadata.uid === claimRef.uid;
            if (volume.metadata.deletionTimestamp && !bound) this.volumes.delete(name);
        }
    }
}

/**
 * What the kubelet's container would print: the scripted API runs only the doctor's probe command,
 * `echo "$VAR" > FILE && cat FILE`, which prints VAR's value.
 */
function runProbeCommand(container: Obj): { exitCode: number; log: string } {
    const script = container.command?.[2] ?? "";
    const m = /^echo "\$(\w+)" > (\/\S+) && cat \2$/.exec(script);
    if (container.command?.[0] !== "sh" || container.command?.[1] !== "-c" || !m) {
        return { exitCode: 127, log: `the scripted cluster runs only the doctor's probe command, not ${JSON.stringify(container.command)}\n` };
    }
    const value = container.env?.find((e: Obj) => e.name === m[1])?.value ?? "";
    return { exitCode: 0, log: `${value}\n` };
}

function list(kind: string, items: Obj[]): Obj {
    return { kind, apiVersion: "v1", metadata: { resourceVersion: "50000" }, items };
}

async function body(req: IncomingMessage): Promise<Obj> {
    let text = "";
    for await (const chunk of req) text += chunk;
    return text ? (JSON.parse(text) as Obj) : {};
}

function route(state: ClusterState, scenario: Scenario, method: string, url: URL, payload: Obj): [number, Obj | string] {
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (method === "GET" && p === "/api/v1/nodes") return [200, recordedList(scenario, "nodes")];
    if (method === "GET" && p === "/api/v1/pods") {
        const pods = recordedList(scenario, "pods");
        pods.items.push(...state.pods.values());
        return [200, pods];
    }
    if (method === "GET" && p === "/apis/operator.tigera.io/v1/tigerastatuses/calico") return [200, recorded(scenario, "tigerastatus-calico")];
    if (method === "GET" && p === "/apis/apps/v1/namespaces/jhub/daemonsets/continuous-image-puller") return [200, recorded(scenario, "daemonset-continuous-image-puller")];
    if (method === "GET" && p === "/api/v1/persistentvolumes") return [200, list("PersistentVolumeList", [...state.volumes.values()])];
    if ((m = /^\/api\/v1\/persistentvolumes\/([^/]+)$/.exec(p)) && method === "DELETE") {
        const volume = state.deleteVolume(m[1]);
        return volume ? [200, volume] : [404, notFound("persistentvolumes", m[1])];
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/persistentvolumeclaims$/.exec(p)) && method === "POST") return state.createClaim(m[1], payload);
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/persistentvolumeclaims\/([^/]+)$/.exec(p))) {
        const claim = method === "GET" ? state.readClaim(m[1], m[2]) : method === "DELETE" ? state.deleteClaim(m[1], m[2]) : undefined;
        return claim ? [200, claim] : [404, notFound("persistentvolumeclaims", m[2])];
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(p)) && method === "POST") return state.createPod(m[1], payload);
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(p)) && method === "GET") {
        const pod = state.readPod(m[1], m[2]);
        if (!pod) return [404, notFound("pods", m[2])];
        const log = state.logs.get(`${m[1]}/${m[2]}`);
        if (log === undefined) return [400, status(400, "BadRequest", `container "probe" in pod "${m[2]}" is waiting to start: ContainerCreating`)];
        return [200, log];
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(p))) {
        const pod = method === "GET" ? state.readPod(m[1], m[2]) : method === "DELETE" ? state.deletePod(m[1], m[2]) : undefined;
        return pod ? [200, pod] : [404, notFound("pods", m[2])];
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(p)) && method === "GET") {
        // Field selectors of the form involvedObject.kind=K,involvedObject.name=N, as the doctor sends them.
        const selector = Object.fromEntries((url.searchParams.get("fieldSelector") ?? "").split(",").filter(Boolean).map((s) => s.split("=")));
        const events = selector["involvedObject.kind"] === "PersistentVolumeClaim" ? state.claimEvents(m[1], selector["involvedObject.name"]) : [];
        return [200, { ...list("EventList", events), kind: "EventList" }];
    }
    return [404, status(404, "NotFound", "the server could not find the requested resource")];
}

/** Starts the scripted API for a scenario. */
export async function startScriptedCluster(scenario: Scenario): Promise<ScriptedCluster> {
    const pki = makePki();
    const state = new ClusterState(scenario);
    const requests: string[] = [];
    const server = https.createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: false }, (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? "/", "https://127.0.0.1");
        requests.push(`${req.method} ${url.pathname}${url.search}`);
        const send = (code: number, answer: Obj | string) => {
            const text = typeof answer === "string" ? answer : JSON.stringify(answer);
            res.writeHead(code, { "content-type": typeof answer === "string" ? "text/plain" : "application/json", "audit-id": crypto.randomUUID(), "cache-control": "no-cache, private" });
            res.end(text);
        };
        if (!(req.socket as import("tls").TLSSocket).authorized) {
            // k8s.io/apiserver: a token no authenticator accepts is 401; no credentials at all is system:anonymous.
            if (req.headers.authorization) return send(401, status(401, "Unauthorized", "Unauthorized"));
            return send(403, status(403, "Forbidden", `forbidden: User "system:anonymous" cannot ${req.method?.toLowerCase()} path "${url.pathname}"`));
        }
        body(req)
            .then((payload) => {
                state.sweep();
                const [code, answer] = route(state, scenario, req.method ?? "GET", url, payload);
                state.sweep();
                send(code, answer);
            })
            .catch((e: Error) => send(500, status(500, "InternalError", e.message)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const kubeconfig = adminKubeconfig(pki, `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    return {
        kubeconfig,
        requests,
        leftovers: () => [
            ...[...state.claims.keys()].map((k) => `PersistentVolumeClaim ${k}`),
            ...[...state.pods.keys()].map((k) => `Pod ${k}`),
            ...[...state.volumes.keys()].map((k) => `PersistentVolume ${k}`),
        ],
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => {
                    fs.rmSync(pki.dir, { recursive: true, force: true });
                    resolve();
                });
            }),
    };
}
