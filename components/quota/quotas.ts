/**
 * The quota check, as pure arithmetic: what a site needs of each quota of its cloud, and which quotas cannot hold
 * it (limit less what is in use, plus what this site already holds from its last deployment).
 */
import { Flavor } from "../catalog";
import { Cloud, NAMESPACE, SiteConfig } from "../config";
import { nodeLayout } from "../cloud";
import { FIREWALL_GROUPS, inboundRules } from "../firewall";
import { bootsFromVolume, SERVER_GROUP_SIZE, serverGroupCount } from "../openstack/specs";

/** Quota names as `openstack quota show` and `esiphub plan --quota NAME=N` spell them. */
export type OpenStackQuota =
    | "cores"
    | "ram"
    | "instances"
    | "server_groups"
    | "server_group_members"
    | "floatingips"
    | "routers"
    | "security_groups"
    | "security_group_rules"
    | "volumes"
    | "gigabytes";
export type AwsQuota = "vcpus" | "elastic_ips";
export type QuotaName = OpenStackQuota | AwsQuota;

export interface QuotaSpec {
    readonly name: QuotaName;
    /** Who keeps it, for the message: "Nova", "Cinder", "Neutron", or the AWS quota code. */
    readonly service: string;
    /** The unit, and its singular where it differs ("routers", "router"). */
    readonly unit: string;
    readonly one?: string;
    /** Counted per server group, not for the project: nothing is "in use" of it. */
    readonly perGroup?: boolean;
    /** What to change when it is short. */
    readonly advice: string;
}

const ASK = "or ask the cloud's operators for a larger quota";

export const QUOTAS: Record<Cloud, readonly QuotaSpec[]> = {
    openstack: [
        { name: "cores", service: "Nova", unit: "vCPUs", one: "vCPU", advice: `use a smaller ${NAMESPACE}:workerFlavor or ${NAMESPACE}:masterFlavor, fewer ${NAMESPACE}:users or ${NAMESPACE}:workers, ${ASK}` },
        { name: "ram", service: "Nova", unit: "MiB", advice: `use a smaller ${NAMESPACE}:workerFlavor or ${NAMESPACE}:masterFlavor, fewer ${NAMESPACE}:users or a smaller ${NAMESPACE}:memoryGuarantee, ${ASK}` },
        { name: "instances", service: "Nova", unit: "VMs", one: "VM", advice: `use fewer, larger workers (${NAMESPACE}:workerFlavor), delete unused VMs, ${ASK}` },
        { name: "server_groups", service: "Nova", unit: "groups", one: "group", advice: `use fewer workers (${SERVER_GROUP_SIZE} per group), delete unused server groups, ${ASK}` },
        { name: "server_group_members", service: "Nova", unit: "VMs per group", one: "VM per group", perGroup: true, advice: `ask for server_group_members of ${SERVER_GROUP_SIZE} (Nova's default)` },
        { name: "floatingips", service: "Neutron", unit: "addresses", one: "address", advice: `name a floating IP the project holds in ${NAMESPACE}:publicIp, release an unused one, ${ASK}` },
        { name: "routers", service: "Neutron", unit: "routers", one: "router", advice: `name the project's router in ${NAMESPACE}:existingRouter (Jetstream2 allows one), ${ASK}` },
        { name: "security_groups", service: "Neutron", unit: "groups", one: "group", advice: `delete unused security groups, ${ASK}` },
        { name: "security_group_rules", service: "Neutron", unit: "rules", one: "rule", advice: `delete unused security groups or rules, ${ASK}` },
        { name: "volumes", service: "Cinder", unit: "volumes", one: "volume", advice: `boot nodes from their flavor's disk (${NAMESPACE}:rootVolumeSize no larger than it), delete unused volumes, ${ASK}` },
        {
            name: "gigabytes",
            service: "Cinder",
            unit: "GB",
            advice: `lower ${NAMESPACE}:dataVolumeSize or ${NAMESPACE}:rootVolumeSize, delete unused volumes (a data volume kept from an earlier deployment counts), ${ASK} (Jetstream2: more storage is an ACCESS allocation)`,
        },
    ],
    aws: [
        { name: "vcpus", service: "L-1216C47A", unit: "vCPUs", one: "vCPU", advice: `use smaller instance types or fewer ${NAMESPACE}:workers, or request more "Running On-Demand Standard instances" (L-1216C47A) in Service Quotas` },
        { name: "elastic_ips", service: "L-0263D0A3", unit: "addresses", one: "address", advice: `name an Elastic IP you hold in ${NAMESPACE}:publicIp, release an unused one, or request more "EC2-VPC Elastic IPs" (L-0263D0A3) in Service Quotas` },
    ],
};

export type QuotaNeeds = Partial<Record<QuotaName, number>>;
export type QuotaReadings = Partial<Record<QuotaName, QuotaReading>>;

/** The stack output that records what the site holds, read back by the next deployment's check. */
export const FOOTPRINT_OUTPUT = "quotaFootprint";

/** A quota as the cloud reports it; a negative limit is no limit (OpenStack's -1). */
export interface QuotaReading {
    readonly limit: number;
    readonly used: number;
}

/** EC2 instance families counted by "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances". */
export function isStandardInstanceType(instanceType: string): boolean {
    return /^[acdhimrtz]/.test(instanceType);
}

const sum = (flavors: Flavor[], of: (f: Flavor) => number) => flavors.reduce((total, f) => total + of(f), 0);

/** What the site takes of each quota of its cloud once deployed. */
export function siteNeeds(config: SiteConfig): QuotaNeeds {
    const flavors = nodeLayout(config).map((n) => n.flavor);
    const publicIp = config.network.publicIp ? 0 : 1;
    if (config.cloud === "aws") {
        return { vcpus: sum(flavors.filter((f) => isStandardInstanceType(f.name)), (f) => f.vcpus), elastic_ips: publicIp };
    }
    const root = config.nodes.rootVolumeSizeGb;
    const bootVolumes = flavors.filter((f) => bootsFromVolume(f, root)).length;
    return {
        cores: sum(flavors, (f) => f.vcpus),
        // Nova counts RAM in MiB; a flavor of 15 GiB is 15360 MiB.
        ram: sum(flavors, (f) => f.ramGiB * 1024),
        instances: flavors.length,
        server_groups: serverGroupCount(config.nodes.workers),
        server_group_members: Math.min(config.nodes.workers, SERVER_GROUP_SIZE),
        floatingips: publicIp,
        routers: config.openstack?.existingRouter ? 0 : 1,
        security_groups: FIREWALL_GROUPS.length,
        // Neutron gives each new group two egress rules (IPv4 and IPv6) besides the site's own.
        security_group_rules: inboundRules(config.network).length + 2 * FIREWALL_GROUPS.length,
        volumes: 1 + bootVolumes,
        gigabytes: config.storage.dataVolumeSizeGb + bootVolumes * root,
    };
}

/**
 * One message per quota the site does not fit: what it needs, what is left (limit - in use + what this site holds
 * already: its own resources count in "in use" on a re-run), what to change. Empty when everything fits.
 */
export function quotaShortfalls(cloud: Cloud, needs: QuotaNeeds, readings: QuotaReadings, held: QuotaNeeds = {}): string[] {
    const messages: string[] = [];
    for (const spec of QUOTAS[cloud]) {
        const need = needs[spec.name] ?? 0;
        const reading = readings[spec.name];
        if (need === 0 || !reading || reading.limit < 0) continue;
        const left = spec.perGroup ? reading.limit : Math.max(0, reading.limit - reading.used + (held[spec.name] ?? 0));
        if (need <= left) continue;
        const inUse = spec.perGroup ? "" : ` (${reading.used} in use${held[spec.name] ? `, ${held[spec.name]} of them this site's` : ""})`;
        const unit = (n: number) => (n === 1 && spec.one ? spec.one : spec.unit);
        messages.push(`${spec.name} (${spec.service}): the site needs ${need} ${unit(need)}, ${left} ${unit(left)} left of ${reading.limit}${inUse}; ${spec.advice}`);
    }
    return messages;
}

/** The whole refusal, one line per quota. */
export function quotaRefusal(shortfalls: string[]): string {
    return [`${NAMESPACE}: the site does not fit the project's quotas, so nothing was created:`, ...shortfalls.map((s) => `  - ${s}`)].join("\n");
}

/** The quota names of a cloud, for `--quota` and its errors. */
export function quotaNames(cloud: Cloud): QuotaName[] {
    return QUOTAS[cloud].map((q) => q.name);
}
