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
