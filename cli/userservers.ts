/**
 * The users' servers of a deployed hub, as the Kubernetes API shows them: which user's server runs on which node,
 * and cordoning the nodes that are about to go. Through the stack's admin kubeconfig (a secret output).
 */

/** One user's server pod. */
export interface UserServer {
    /** The JupyterHub user name (the pod's `hub.jupyter.org/username` annotation). */
    readonly user: string;
    readonly pod: string;
    /** Undefined while the pod waits for a node. */
    readonly node?: string;
    /** Pending or Running. */
    readonly phase: string;
}

/** What `esiphub scale` asks of the cluster. */
export interface ClusterAccess {
    /** Where the API server is, for messages. */
    readonly server: string;
    /** The users' servers that have not ended, in the hub's namespace. */
    userServers(namespace: string): Promise<UserServer[]>;
    /** Marks the nodes unschedulable (or schedulable again); a node that is already gone is skipped. */
    setUnschedulable(nodes: string[], unschedulable: boolean): Promise<void>;
}

/** The cluster could not be asked (unreachable, refused, or an answer that makes no sense). */
export class ClusterError extends Error {}

/**
 * KubeSpawner 7 (the hub image of Zero-to-JupyterHub 4.4.0) labels every user server pod `component=singleuser-server`
 * and annotates it with the raw user name (`hub.jupyter.org/username`); the label of the same name holds a slug.
 * Source: jupyterhub/kubespawner 7.0.0, kubespawner/spawner.py `_build_pod_labels`, `_build_common_annotations`.
 */
export const USER_SERVER_SELECTOR = "component=singleuser-server";
const USERNAME_ANNOTATION = "hub.jupyter.org/username";

/** The parts of a v1 Pod that matter here (the API's own JSON). */
interface PodJson {
    metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: unknown };
    spec?: { nodeName?: string };
    status?: { phase?: string };
}

/** The user servers among listed pods: ended pods (Succeeded, Failed) hold no one's work. */
export function userServersOf(pods: PodJson[]): UserServer[] {
    return pods
        .filter((p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed")
        .map((p) => ({
            user: p.metadata?.annotations?.[USERNAME_ANNOTATION] ?? p.metadata?.labels?.[USERNAME_ANNOTATION] ?? p.metadata?.name ?? "?",
            pod: p.metadata?.name ?? "?",
            node: p.spec?.nodeName || undefined,
            phase: p.status?.phase ?? "Unknown",
        }))
        .sort((a, b) => a.user.localeCompare(b.user));
}

/** The message of the API's Status object (the body of an error answer), or the start of the body. */
function statusMessage(body: unknown): string {
    let status: unknown = body;
    if (typeof body === "string") {
        try {
            status = JSON.parse(body);
        } catch {
            return body.slice(0, 200);
        }
    }
    const message = (status as { message?: unknown } | null)?.message;
    return typeof message === "string" ? message : JSON.stringify(body).slice(0, 200);
}

/** The real thing: `@kubernetes/client-node` on the stack's kubeconfig. */
export async function kubernetesAccess(kubeconfig: string): Promise<ClusterAccess> {
    // Loaded on use: only `scale` needs it.
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    try {
        kc.loadFromString(kubeconfig);
    } catch (e) {
        throw new ClusterError(`the stack's kubeconfig output is not a kubeconfig (${(e as Error).message.split("\n")[0]})`);
    }
    const server = kc.getCurrentCluster()?.server ?? "(no server in the kubeconfig)";
    const api = kc.makeApiClient(k8s.CoreV1Api);
    const explain = (what: string, e: unknown): ClusterError => {
        if (e instanceof k8s.ApiException) {
            return new ClusterError(`${what}: the Kubernetes API at ${server} answered ${e.code}: ${statusMessage(e.body)}`);
        }
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code;
        return new ClusterError(`${what}: cannot reach the Kubernetes API at ${server} (${cause ?? (e as Error).message.split("\n")[0]})`);
    };
    return {
        server,
        async userServers(namespace) {
            try {
                const list = await api.listNamespacedPod({ namespace, labelSelector: USER_SERVER_SELECTOR });
                return userServersOf(list.items as PodJson[]);
            } catch (e) {
                throw explain(`listing the users' servers in namespace ${namespace}`, e);
            }
        },
        async setUnschedulable(nodes, unschedulable) {
            // A JSON merge patch (RFC 7386): the body is the part of the Node to change. kubectl cordon sends the same
            // field (kubectl/pkg/drain/cordon.go, as a strategic merge patch).
            const patch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
            for (const name of nodes) {
                try {
                    await api.patchNode({ name, body: { spec: { unschedulable } } }, patch);
                } catch (e) {
                    if (e instanceof k8s.ApiException && e.code === 404) continue;
                    throw explain(`${unschedulable ? "cordoning" : "uncordoning"} node ${name}`, e);
                }
            }
        },
    };
}
