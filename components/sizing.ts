import { Flavor } from "./catalog";
import { GiB } from "./quantity";

/** RAM each node keeps for the OS, kubelet, containerd, Calico and the NFS client. */
export const NODE_RESERVE_BYTES = 2 * GiB;

/** The kubelet's default `maxPods` (KubeletConfiguration; kubeadm keeps it): every pod on a node counts, system pods included. */
export const KUBELET_MAX_PODS = 110;

/**
 * Pods that take a worker's pod slots besides user servers, counted for the worst worker:
 * - DaemonSets, one pod on every worker: kube-proxy (kubeadm), calico-node and csi-node-driver (tigera-operator
 *   pkg/render/node.go and csi.go, on unless kubeletVolumePluginPath is None), the chart's continuous-image-puller
 *   (prePuller.continuous) and, during every chart upgrade, its hook-image-puller (prePuller.hook);
 * - pods that do not tolerate the master's control-plane taint, so that all of them may land on one worker:
 *   the chart's proxy, autohttps, two user-scheduler replicas and the upgrade's hook-image-awaiter Job (z2jh
 *   templates: corePods tolerations only), and the NFS client provisioner.
 * CoreDNS, calico-typha, calico-kube-controllers, tigera-operator and the hub tolerate the taint and fit on the master.
 */
export const SYSTEM_PODS_PER_WORKER: readonly { readonly pod: string; readonly count: number }[] = [
    { pod: "kube-proxy", count: 1 },
    { pod: "calico-node", count: 1 },
    { pod: "csi-node-driver", count: 1 },
    { pod: "continuous-image-puller", count: 1 },
    { pod: "hook-image-puller", count: 1 },
    { pod: "proxy", count: 1 },
    { pod: "autohttps", count: 1 },
    { pod: "user-scheduler", count: 2 },
    { pod: "hook-image-awaiter", count: 1 },
    { pod: "nfs-subdir-external-provisioner", count: 1 },
];

export const SYSTEM_PODS = SYSTEM_PODS_PER_WORKER.reduce((sum, p) => sum + p.count, 0);

/** The most user servers one worker can run: the kubelet's pod limit less the system pods. */
export const MAX_USERS_PER_WORKER = KUBELET_MAX_PODS - SYSTEM_PODS;

export interface WorkerSizing {
    readonly workers: number;
    /** How many users fit on one worker: by memory guarantee, capped by the pod limit. */
    readonly usersPerWorker: number;
    /** True when `workers` was derived (`esiphub:workers: auto`). */
    readonly auto: boolean;
    /** What bounds usersPerWorker: the memory guarantees, or the kubelet's pods per node. */
    readonly limitedBy: "memory" | "pods";
    /** One line on how usersPerWorker came about, for the organiser. */
    readonly explanation: string;
}

export interface SizingInput {
    readonly users: number;
    readonly memoryGuaranteeBytes: number;
    readonly flavor: Flavor;
    /** A fixed worker count; undefined for auto. */
    readonly fixedWorkers?: number;
}

const gib = (b: number) => `${+(b / GiB).toFixed(2)} GiB`;

/**
 * Workers needed so that every user's memory guarantee fits: ceil(users / usersPerWorker), where usersPerWorker is
 * floor((RAM - reserve) / guarantee), at most MAX_USERS_PER_WORKER (a pod beyond the kubelet's limit never starts).
 * Returns a message (for the caller to attach to a config key) when one guarantee does not fit a worker.
 */
export function sizeWorkers(input: SizingInput): WorkerSizing | string {
    const usable = input.flavor.ramGiB * GiB - NODE_RESERVE_BYTES;
    const byMemory = Math.floor(usable / input.memoryGuaranteeBytes);
    if (byMemory < 1) {
        return `${input.flavor.name} has ${input.flavor.ramGiB} GiB RAM; less the ${gib(NODE_RESERVE_BYTES)} node reserve it cannot hold one user's memory guarantee of ${gib(input.memoryGuaranteeBytes)}`;
    }
    const limitedBy = byMemory > MAX_USERS_PER_WORKER ? "pods" : "memory";
    const usersPerWorker = Math.min(byMemory, MAX_USERS_PER_WORKER);
    const memory = `${input.flavor.name}: (${input.flavor.ramGiB} GiB - ${gib(NODE_RESERVE_BYTES)} reserve) / ${gib(input.memoryGuaranteeBytes)} guarantee = ${byMemory} users`;
    const explanation =
        limitedBy === "pods"
            ? `${usersPerWorker} users per worker, capped by pods: a node runs at most ${KUBELET_MAX_PODS} pods (kubelet maxPods) and ${SYSTEM_PODS} of them are system pods (${memory} by memory)`
            : `${usersPerWorker} users per worker, by memory (${memory}; at most ${MAX_USERS_PER_WORKER} by the ${KUBELET_MAX_PODS}-pod limit)`;
    const workers = input.fixedWorkers ?? Math.ceil(input.users / usersPerWorker);
    return { workers, usersPerWorker, auto: input.fixedWorkers === undefined, limitedBy, explanation };
}

/**
 * Pods besides user servers on the worst worker of a site with several hubs behind the router (`esiphub:workshops`):
 * the DaemonSets and the NFS provisioner as above; per hub, the chart's image pullers, proxy, two user-scheduler
 * replicas and the upgrade's hook-image-awaiter (no autohttps: TLS ends at the router); once for the site, the
 * router (Traefik) and, when a workshop has a hostname, cert-manager's controller, webhook and cainjector and its
 * startupapicheck Job (cert-manager chart v1.21.1: deploy/charts/cert-manager/templates), and one ACME HTTP-01
 * solver pod per hostname while its certificate is issued (cert-manager pkg/issuer/acme/http/pod.go: a pod per challenge, without the master's toleration).
 */
export function routedSystemPods(hubs: number, hostnames: number): { readonly pod: string; readonly count: number }[] {
    const perHub = ["continuous-image-puller", "hook-image-puller", "proxy", "user-scheduler", "hook-image-awaiter"];
    const node = SYSTEM_PODS_PER_WORKER.filter((p) => !perHub.includes(p.pod) && p.pod !== "autohttps");
    const hubPods = SYSTEM_PODS_PER_WORKER.filter((p) => perHub.includes(p.pod)).map((p) => ({ pod: p.pod, count: p.count * hubs }));
    return [
        ...node,
        ...hubPods,
        { pod: "traefik", count: 1 },
        // Without a hostname there is no certificate to get, and no cert-manager.
        { pod: "cert-manager", count: hostnames > 0 ? 3 : 0 },
        { pod: "cert-manager-startupapicheck", count: hostnames > 0 ? 1 : 0 },
        { pod: "cm-acme-http-solver", count: hostnames },
    ];
}

/** Servers of one workshop, each holding its memory guarantee on a node. */
export interface ServerGroup {
    readonly name: string;
    readonly servers: number;
    readonly guaranteeBytes: number;
}

/** A node the packing fills: its usable bytes and how many user pods it may run. */
export interface Bin {
    readonly name: string;
    readonly capacityBytes: number;
    readonly pods: number;
}

/** What one node holds after the packing: servers per group, and the bytes they take. */
export interface BinLoad {
    readonly name: string;
    readonly servers: Readonly<Record<string, number>>;
    readonly bytes: number;
    readonly pods: number;
}

export interface Packing {
    readonly loads: BinLoad[];
    /** Servers that found no room, per group (none when everything fits). */
    readonly unplaced: Readonly<Record<string, number>>;
}

/**
 * First-fit decreasing bin packing of every workshop's servers onto nodes: the servers are taken largest guarantee
 * first (a group at a time, in the order given for equal guarantees), and each goes on the first node, in the order
 * the nodes were opened, whose free bytes hold its guarantee and whose user pods are below the node's cap. `fixed`
 * nodes are all there is; otherwise a new node (`open(i)`) is added whenever none has room. The chart's user-scheduler
 * also packs (it scores the fullest node that fits highest: z2jh values.yaml scheduling.userScheduler, NodeResourcesFit
 * MostAllocated), so the cluster fills its nodes much this way. By memory alone FFD never needs more than 11/9 of the
 * fewest nodes plus 6/9 (Dósa 2007); with one guarantee it is exactly ceil(servers / servers per node).
 */
export function packServers(groups: readonly ServerGroup[], nodes: { fixed: readonly Bin[] } | { open: (index: number) => Bin }): Packing {
    const order = [...groups].map((g, i) => ({ g, i })).sort((a, b) => b.g.guaranteeBytes - a.g.guaranteeBytes || a.i - b.i);
    const bins = "fixed" in nodes ? [...nodes.fixed] : [];
    const loads: { servers: Record<string, number>; bytes: number; pods: number }[] = bins.map(() => ({ servers: {}, bytes: 0, pods: 0 }));
    const unplaced: Record<string, number> = {};
    for (const { g } of order) {
        for (let n = 0; n < g.servers; n++) {
            let at = loads.findIndex((l, i) => bins[i].capacityBytes - l.bytes >= g.guaranteeBytes && l.pods < bins[i].pods);
            if (at < 0 && "open" in nodes) {
                const bin = nodes.open(bins.length);
                if (bin.capacityBytes >= g.guaranteeBytes && bin.pods >= 1) {
                    bins.push(bin);
                    loads.push({ servers: {}, bytes: 0, pods: 0 });
                    at = bins.length - 1;
                }
            }
            if (at < 0) {
                unplaced[g.name] = (unplaced[g.name] ?? 0) + 1;
                continue;
            }
            const load = loads[at];
            load.servers[g.name] = (load.servers[g.name] ?? 0) + 1;
            load.bytes += g.guaranteeBytes;
            load.pods += 1;
        }
    }
    return { loads: loads.map((l, i) => ({ name: bins[i].name, ...l })), unplaced };
}

/** A worker of this flavor as a bin: its RAM less the node reserve, and the user pods the pod limit leaves. */
export function workerBin(flavor: Flavor, systemPods: number, name: string): Bin {
    return { name, capacityBytes: flavor.ramGiB * GiB - NODE_RESERVE_BYTES, pods: KUBELET_MAX_PODS - systemPods };
}

export interface PackedSizingInput {
    readonly groups: readonly ServerGroup[];
    readonly flavor: Flavor;
    /** Pods per worker besides user servers (routedSystemPods). */
    readonly systemPods: number;
    readonly fixedWorkers?: number;
}

/** Workers for several workshops' servers at their own guarantees: the packing above, and what it means. */
export interface PackedSizing extends WorkerSizing {
    readonly packing: Packing;
}

/**
 * The site's workers for several workshops: auto = as many as first-fit decreasing opens; fixed = that many, with
 * whatever does not fit in `packing.unplaced`. `usersPerWorker` is the most servers one worker holds in the packing.
 * A message (for the caller to attach to a config key) when one guarantee fits no worker at all.
 */
export function sizePackedWorkers(input: PackedSizingInput): PackedSizing | string {
    const cap = KUBELET_MAX_PODS - input.systemPods;
    if (cap < 1) {
        return `a worker runs at most ${KUBELET_MAX_PODS} pods (kubelet maxPods) and ${input.systemPods} of them are the site's system pods: no room for a user's server`;
    }
    const largest = Math.max(...input.groups.map((g) => g.guaranteeBytes));
    const usable = input.flavor.ramGiB * GiB - NODE_RESERVE_BYTES;
    if (largest > usable) {
        return `${input.flavor.name} has ${input.flavor.ramGiB} GiB RAM; less the ${gib(NODE_RESERVE_BYTES)} node reserve it cannot hold one user's memory guarantee of ${gib(largest)}`;
    }
    const bin = (i: number) => workerBin(input.flavor, input.systemPods, `worker-${String(i + 1).padStart(2, "0")}`);
    const packing =
        input.fixedWorkers !== undefined
            ? packServers(input.groups, { fixed: Array.from({ length: input.fixedWorkers }, (_, i) => bin(i)) })
            : packServers(input.groups, { open: bin });
    const workers = input.fixedWorkers ?? packing.loads.length;
    const usersPerWorker = Math.max(0, ...packing.loads.map((l) => l.pods));
    const limitedBy = packing.loads.some((l) => l.pods >= cap) ? "pods" : "memory";
    return { workers, usersPerWorker, auto: input.fixedWorkers === undefined, limitedBy, explanation: packingExplanation(input, packing, cap), packing };
}

/** "7 workers of m3.large by first-fit decreasing of 30 × 5.59 GiB (remote-sensing), ...; at most 80 per worker (...)". */
function packingExplanation(input: PackedSizingInput, packing: Packing, cap: number): string {
    const groups = [...input.groups]
        .sort((a, b) => b.guaranteeBytes - a.guaranteeBytes)
        .map((g) => `${g.servers} × ${gib(g.guaranteeBytes)} (${g.name})`)
        .join(", ");
    const usable = `${input.flavor.name}: ${input.flavor.ramGiB} GiB - ${gib(NODE_RESERVE_BYTES)} reserve`;
    const pods = `at most ${cap} users per worker: ${KUBELET_MAX_PODS} pods (kubelet maxPods) less ${input.systemPods} system pods`;
    return `workers packed first-fit decreasing by memory guarantee with ${groups} (${usable}; ${pods})`;
}
