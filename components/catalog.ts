/**
 * Known machine sizes. Sizing and cost need RAM and vCPUs before any resource exists, so
 * they come from this table (or `esiphub:customFlavors` for a cloud not listed here).
 */

export interface Flavor {
    readonly name: string;
    readonly vcpus: number;
    /** RAM in GiB (OpenStack flavors are defined in MiB: m3.quad = 15360 MiB = 15 GiB). */
    readonly ramGiB: number;
    /** Jetstream2 charges large-memory flavors at twice the vCPU rate. */
    readonly suPerVcpuHour?: number;
}

/** Jetstream2 (IU region) flavors, https://docs.jetstream-cloud.org/general/instance-flavors/ */
export const JETSTREAM2_FLAVORS: readonly Flavor[] = [
    { name: "m3.tiny", vcpus: 1, ramGiB: 3 },
    { name: "m3.small", vcpus: 2, ramGiB: 6 },
    { name: "m3.quad", vcpus: 4, ramGiB: 15 },
    { name: "m3.medium", vcpus: 8, ramGiB: 30 },
    { name: "m3.large", vcpus: 16, ramGiB: 60 },
    { name: "m3.xl", vcpus: 32, ramGiB: 125 },
    { name: "m3.2xl", vcpus: 64, ramGiB: 250 },
    { name: "r3.large", vcpus: 64, ramGiB: 500, suPerVcpuHour: 2 },
    { name: "r3.xl", vcpus: 128, ramGiB: 1000, suPerVcpuHour: 2 },
];

/** AWS EC2 instance types ESIPHub is sized for. */
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
