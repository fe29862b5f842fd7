/**
 * Known machine sizes. Sizing, cost and the quota check need vCPUs, RAM and local disk before any resource
 * exists, so they come from this table (or `esiphub:customFlavors` for a cloud not listed here).
 */

export interface Flavor {
    readonly name: string;
    readonly vcpus: number;
    /** RAM in GiB (OpenStack flavors are defined in MiB: m3.quad = 15360 MiB = 15 GiB). */
    readonly ramGiB: number;
    /** Local root disk in GB; absent or 0 when the flavor has none (the node then boots from a volume). */
    readonly diskGb?: number;
    /** Jetstream2 charges large-memory flavors at 2 SU and GPU flavors at 4 SU per vCPU-hour (1 when absent). */
    readonly suPerVcpuHour?: number;
    /** The GPU share a flavor comes with (Jetstream2 g3: slices of an NVIDIA A100 40GB). */
    readonly gpu?: string;
}

/**
 * Jetstream2 (IU region) flavors: vCPUs, RAM, local disk and SU rate as js2docs general/vmsizes.md lists them
 * (https://docs.jetstream-cloud.org/general/vmsizes/). m3 runs on Jetstream2 (CPU), r3 only on Jetstream2 Large
 * Memory, g3 only on Jetstream2 GPU: each is a separate ACCESS resource of the allocation (general/policies.md).
 */
export const JETSTREAM2_FLAVORS: readonly Flavor[] = [
    { name: "m3.tiny", vcpus: 1, ramGiB: 3, diskGb: 20 },
    { name: "m3.small", vcpus: 2, ramGiB: 6, diskGb: 20 },
    { name: "m3.quad", vcpus: 4, ramGiB: 15, diskGb: 20 },
    { name: "m3.medium", vcpus: 8, ramGiB: 30, diskGb: 60 },
    { name: "m3.large", vcpus: 16, ramGiB: 60, diskGb: 60 },
    { name: "m3.xl", vcpus: 32, ramGiB: 125, diskGb: 60 },
    { name: "m3.2xl", vcpus: 64, ramGiB: 250, diskGb: 60 },
    // Only on request, with justification (vmsizes.md).
    { name: "m3.3xl", vcpus: 128, ramGiB: 500, diskGb: 60 },
    { name: "r3.large", vcpus: 64, ramGiB: 500, diskGb: 60, suPerVcpuHour: 2 },
    { name: "r3.xl", vcpus: 128, ramGiB: 1000, diskGb: 60, suPerVcpuHour: 2 },
    { name: "g3.small", vcpus: 4, ramGiB: 15, diskGb: 60, suPerVcpuHour: 4, gpu: "20% of an A100 (5 GB GPU RAM)" },
    { name: "g3.medium", vcpus: 8, ramGiB: 30, diskGb: 60, suPerVcpuHour: 4, gpu: "25% of an A100 (10 GB GPU RAM)" },
    { name: "g3.large", vcpus: 16, ramGiB: 60, diskGb: 60, suPerVcpuHour: 4, gpu: "50% of an A100 (20 GB GPU RAM)" },
    { name: "g3.xl", vcpus: 32, ramGiB: 125, diskGb: 60, suPerVcpuHour: 4, gpu: "a whole A100 (40 GB GPU RAM)" },
];

/** AWS EC2 instance types ESIPHub is sized for (all EBS-only: the root disk is an EBS volume). */
export const AWS_INSTANCE_TYPES: readonly Flavor[] = [
    { name: "t3.large", vcpus: 2, ramGiB: 8 },
    { name: "m5.xlarge", vcpus: 4, ramGiB: 16 },
    { name: "m5.2xlarge", vcpus: 8, ramGiB: 32 },
    { name: "m5.4xlarge", vcpus: 16, ramGiB: 64 },
    { name: "r5.2xlarge", vcpus: 8, ramGiB: 64 },
    { name: "r5.4xlarge", vcpus: 16, ramGiB: 128 },
];

export function builtInFlavors(cloud: "openstack" | "aws"): readonly Flavor[] {
    return cloud === "aws" ? AWS_INSTANCE_TYPES : JETSTREAM2_FLAVORS;
}

/** `NAME:VCPUS:RAM_GIB[:DISK_GB]` of esiphub:customFlavors; undefined when malformed. */
export function parseCustomFlavor(entry: string): Flavor | undefined {
    const m = /^([^:\s]+):(\d+):(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(entry);
    if (!m || Number(m[2]) < 1 || Number(m[3]) <= 0) return undefined;
    const flavor = { name: m[1], vcpus: Number(m[2]), ramGiB: Number(m[3]) };
    return m[4] === undefined ? flavor : { ...flavor, diskGb: Number(m[4]) };
}
