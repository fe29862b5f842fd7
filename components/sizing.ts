import { Flavor } from "./catalog";
import { GiB } from "./quantity";

/** RAM each node keeps for the OS, kubelet, containerd, Calico and the NFS client. */
export const NODE_RESERVE_BYTES = 2 * GiB;

export interface WorkerSizing {
    readonly workers: number;
    /** How many users' memory guarantees fit on one worker. */
    readonly usersPerWorker: number;
    /** True when `workers` was derived (`esiphub:workers: auto`). */
    readonly auto: boolean;
}

export interface SizingInput {
    readonly users: number;
    readonly memoryGuaranteeBytes: number;
    readonly flavor: Flavor;
    /** A fixed worker count; undefined for auto. */
    readonly fixedWorkers?: number;
}

/**
 * Workers needed so that every user's memory guarantee fits: ceil(users / floor((RAM - reserve) / guarantee)).
 * Returns a message (for the caller to attach to a config key) when one guarantee does not fit a worker.
 */
export function sizeWorkers(input: SizingInput): WorkerSizing | string {
    const usable = input.flavor.ramGiB * GiB - NODE_RESERVE_BYTES;
    const usersPerWorker = Math.floor(usable / input.memoryGuaranteeBytes);
    if (usersPerWorker < 1) {
        const gib = (b: number) => `${+(b / GiB).toFixed(2)} GiB`;
        return `${input.flavor.name} has ${input.flavor.ramGiB} GiB RAM; less the ${gib(NODE_RESERVE_BYTES)} node reserve it cannot hold one user's memory guarantee of ${gib(input.memoryGuaranteeBytes)}`;
    }
    if (input.fixedWorkers !== undefined) return { workers: input.fixedWorkers, usersPerWorker, auto: false };
    return { workers: Math.ceil(input.users / usersPerWorker), usersPerWorker, auto: true };
}
