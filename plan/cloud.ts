/**
 * The offline clouds of the cloud layer (components/openstack, components/aws): what their lookups can find, their
 * quotas and usage, and the addresses they hand out, each from what the cloud documents (named beside it). Lookups of
 * anything not listed here fail with the provider's own message, so a misspelt image, flavor, network, router,
 * address, zone, region, AMI filter or VPC fails `esiphub plan` the way it would fail `pulumi up`.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { AWS_INSTANCE_TYPES, Flavor, JETSTREAM2_FLAVORS, parseCustomFlavor } from "../components/catalog";
import { hostAddress, parseCidr } from "../components/cidr";
import { AwsQuota, OpenStackQuota, QuotaName } from "../components/quota/quotas";

/** The message the OpenStack and AWS providers give when a data source matches nothing. */
export const NO_RESULTS = "Your query returned no results. Please change your search criteria and try again.";

/**
 * A failed lookup as the engine reports it: the SDK shows a gRPC error's `details`, so the message goes there too
 * (an Error with only a `message` reaches the program as an empty one).
 */
export function lookupFailure(message = NO_RESULTS): Error {
    return Object.assign(new Error(message), { details: message });
}

/** A stable UUID-shaped id for a name. */
export function offlineUuid(name: string): string {
    const h = crypto.createHash("sha256").update(name).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A stable AWS-style id (`vol-0123456789abcdef0`) for a name. */
export function offlineAwsId(prefix: string, name: string): string {
    return `${prefix}-0${crypto.createHash("sha256").update(name).digest("hex").slice(0, 16)}`;
}

/** A stable public address from TEST-NET-3 (203.0.113.0/24, RFC 5737). */
export function offlinePublicIp(name: string): string {
    return `203.0.113.${10 + (crypto.createHash("sha256").update(name).digest()[0] % 240)}`;
}

/** A setting of the running plan's stack (the program's config), or of `raw` when given. */
function config(key: string, raw?: Record<string, string>): string | undefined {
    return raw ? raw[key] : pulumi.runtime.allConfig()[key];
}

/** The stack's esiphub:customFlavors, parsed as the config check does (a malformed entry is reported there). */
function customFlavors(raw?: Record<string, string>): Flavor[] {
    try {
        const entries: unknown = JSON.parse(config("esiphub:customFlavors", raw) ?? "[]");
        return Array.isArray(entries) ? entries.map((e) => parseCustomFlavor(String(e))).filter((f): f is Flavor => !!f) : [];
    } catch {
        return [];
    }
}

/** What an offline OpenStack cloud has: its lookups answer from this and fail on anything else. */
export interface OfflineOpenStack {
    readonly title: string;
    /** Regions of its Keystone catalogue; any other region has no endpoint. */
    readonly regions?: readonly string[];
    readonly flavors: readonly Flavor[];
    readonly images: readonly { name: string; createdAt: string }[];
    readonly externalNetworks: readonly string[];
    /** Routers that already exist in the project, with the external network of their gateway. */
    readonly routers: readonly { name: string; externalNetwork: string }[];
    /** Floating IPs the project holds (allocated, on no port), for esiphub:publicIp. */
    readonly floatingIps: readonly { address: string; externalNetwork: string }[];
    readonly availabilityZones: readonly string[];
    /** The project's quotas (-1: none) and what is in use before the site exists. */
    readonly quotas: Readonly<Record<OpenStackQuota, number>>;
    readonly inUse: Readonly<Partial<Record<OpenStackQuota, number>>>;
}

/**
 * OpenStack's own defaults, for what a cloud does not document otherwise: nova/conf/quota.py (instances 10,
 * server_groups 10, server_group_members 10, cores 20, ram 51200 MiB), neutron/conf/quota.py (router 10,
 * floatingip 50, security_group 10, security_group_rule 100), cinder/quota.py (volumes 10, gigabytes 1000).
 */
const STOCK_QUOTAS = {
    instances: 10,
    server_groups: 10,
    server_group_members: 10,
    security_groups: 10,
    security_group_rules: 100,
} as const;

/** Neutron makes a `default` security group in every project: two rules from its own members, two egress (IPv4, IPv6). */
const DEFAULT_SECURITY_GROUP = { security_groups: 1, security_group_rules: 4 } as const;

/**
 * Jetstream2 (https://js2.jetstream-cloud.org:5000/v3/, region IU), as js2docs describes it: its flavor table
 * (general/vmsizes.md, components/catalog.ts), its featured Ubuntu images, the external network `public`
 * (ui/cli/network.md), and an allocation that has been used from Exosphere, which made `auto_allocated_router` with
 * its gateway on `public` (ui/cli/network.md: "auto_allocated_network"); Nova's one zone `nova`.
 */
const JETSTREAM2: OfflineOpenStack = {
    title: "Jetstream2",
    // The IU cloud; Jetstream2's regional clouds (TACC, ASU, Cornell, UH) have auth URLs of their own.
    regions: ["IU"],
    flavors: JETSTREAM2_FLAVORS,
    images: [
        { name: "Featured-Ubuntu24", createdAt: "2026-10-28T04:12:55Z" },
        { name: "Featured-Ubuntu22", createdAt: "2026-10-28T03:58:10Z" },
    ],
    externalNetworks: ["public"],
    routers: [{ name: "auto_allocated_router", externalNetwork: "public" }],
    // One address kept by the allocation for the hub's DNS name (TEST-NET-1, RFC 5737, stands in for it).
    floatingIps: [{ address: "192.0.2.10", externalNetwork: "public" }],
    availabilityZones: ["nova"],
    // A Startup/Research allocation on Jetstream2 (CPU): 150 cores, 585 GB RAM, 10 floating IPs (general/quotas.md);
    // router quota 1 (general/policies.md); 10 volumes of 1000 GB in all (general/storage.md). The rest is stock.
    quotas: { ...STOCK_QUOTAS, cores: 150, ram: 585 * 1024, floatingips: 10, routers: 1, volumes: 10, gigabytes: 1000 },
    // Exosphere's router and the kept address above, and the project's default security group.
    inUse: { ...DEFAULT_SECURITY_GROUP, routers: 1, floatingips: 1 },
};

/**
 * Any other OpenStack cloud (NCSA Nebula's stack file points at one): such clouds publish no catalogue, so the
 * offline one is a stated default: the flavors the stack declares in esiphub:customFlavors (it must, the built-in
 * table is Jetstream2's), an Ubuntu 24.04 image named `Ubuntu-24.04-LTS`, the external network `ext-net`, no
 * router yet, and Nova's default zone `nova` (nova.conf default_availability_zone).
 */
const STOCK_OPENSTACK: Omit<OfflineOpenStack, "flavors"> = {
    title: "this OpenStack cloud",
    images: [{ name: "Ubuntu-24.04-LTS", createdAt: "2026-09-15T17:40:02Z" }],
    externalNetworks: ["ext-net"],
    routers: [],
    floatingIps: [],
    availabilityZones: ["nova"],
    // Such clouds set each project's quotas by hand and publish no default: none is assumed (OpenStack's -1, no limit),
    // so the offline plan checks none of them; `esiphub plan SITE --quota NAME=N` checks against a known one.
    quotas: {
        cores: -1,
        ram: -1,
        instances: -1,
        server_groups: -1,
        server_group_members: -1,
        floatingips: -1,
        routers: -1,
        security_groups: -1,
        security_group_rules: -1,
        volumes: -1,
        gigabytes: -1,
    },
    inUse: DEFAULT_SECURITY_GROUP,
};

/** The offline OpenStack cloud the stack's openstack:authUrl points at (in the running plan's config, or this one). */
export function offlineOpenStack(raw?: Record<string, string>): OfflineOpenStack {
    const authUrl = config("openstack:authUrl", raw) ?? "";
    if (/^https:\/\/js2\.jetstream-cloud\.org[:/]/.test(authUrl)) return JETSTREAM2;
    return { ...STOCK_OPENSTACK, flavors: customFlavors(raw) };
}

/**
 * Availability zones of the AWS regions the offline account knows, with zone ids (the name-to-id mapping differs per
 * account; this is one), as `aws ec2 describe-availability-zones` lists them: us-east-1 has six zones, us-west-2
 * four, ca-central-1 a, b and d. us-east-1e (use1-az3) is the old zone that offers none of the Nitro types of the
 * instance table (t3, m5, r5: "Your requested instance type ... is not supported in your requested Availability
 * Zone (us-east-1e)"). Any other region: a stated default of zones a, b and c offering every type.
 */
const AWS_ZONES: Record<string, { zones: Record<string, string>; noNitro?: string }> = {
    "us-east-1": { zones: { a: "use1-az6", b: "use1-az1", c: "use1-az2", d: "use1-az4", e: "use1-az3", f: "use1-az5" }, noNitro: "us-east-1e" },
    "us-east-2": { zones: { a: "use2-az1", b: "use2-az2", c: "use2-az3" } },
    "us-west-2": { zones: { a: "usw2-az1", b: "usw2-az2", c: "usw2-az3", d: "usw2-az4" } },
    "ca-central-1": { zones: { a: "cac1-az1", b: "cac1-az2", d: "cac1-az4" } },
    "eu-west-1": { zones: { a: "euw1-az1", b: "euw1-az2", c: "euw1-az3" } },
    "eu-central-1": { zones: { a: "euc1-az2", b: "euc1-az3", c: "euc1-az1" } },
};

/** The zones of the offline AWS region: names and ids, side by side. */
export function awsZones(): { names: string[]; zoneIds: string[] } {
    const region = awsRegion();
    const known = AWS_ZONES[region]?.zones;
    const prefix = region.replace(/^([a-z]{2})-([a-z])[a-z]*-(\d+)$/, "$1$2$3");
    const zones = known ?? { a: `${prefix}-az1`, b: `${prefix}-az2`, c: `${prefix}-az3` };
    return { names: Object.keys(zones).map((l) => `${region}${l}`), zoneIds: Object.values(zones) };
}

/** Whether the offline AWS zone offers an instance type (every type of the table is Nitro). */
export function awsZoneOffers(zone: string): boolean {
    return awsZones().names.includes(zone) && AWS_ZONES[awsRegion()]?.noNitro !== zone;
}

/** Instance types of the offline AWS account: the built-in table and the stack's customFlavors. */
export function offlineInstanceTypes(): Flavor[] {
    return [...AWS_INSTANCE_TYPES, ...customFlavors()];
}

/** Canonical's Ubuntu 24.04 AMIs in the offline AWS region. */
export const OFFLINE_AMIS: readonly { id: string; name: string; ownerId: string; architecture: string; creationDate: string }[] = [
    { id: "ami-0e2c8caa4b6378d8c", name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20260901", ownerId: "099720109477", architecture: "x86_64", creationDate: "2026-09-02T08:11:40.000Z" },
    { id: "ami-04b4f1a9cf54c11d0", name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261015", ownerId: "099720109477", architecture: "x86_64", creationDate: "2026-10-16T09:02:13.000Z" },
    { id: "ami-0a7a4e87939439934", name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20261015", ownerId: "099720109477", architecture: "arm64", creationDate: "2026-10-16T09:05:51.000Z" },
];

/**
 * The offline AWS account's quotas: the default vCPU limit of "Running On-Demand Standard (A, C, D, H, I, M, R, T,
 * Z) instances" of an account in use, 1152 (EC2 FAQ, "On-Demand Instance limits"; new accounts start lower, as low as
 * 5: check yours with `aws service-quotas get-service-quota --service-code ec2 --quota-code L-1216C47A`), and five
 * Elastic IPs per region (EC2 user guide, "Elastic IP address quota").
 */
export const OFFLINE_AWS_QUOTAS: Readonly<Record<AwsQuota, { code: string; name: string; value: number }>> = {
    vcpus: { code: "L-1216C47A", name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", value: 1152 },
    elastic_ips: { code: "L-0263D0A3", name: "EC2-VPC Elastic IPs", value: 5 },
};

/** Quota limits given with `esiphub plan --quota NAME=N`, in place of the offline cloud's. */
let quotaOverrides: Partial<Record<QuotaName, number>> = {};

/** Runs an offline plan with these quota limits in place of the offline cloud's. */
export async function withOfflineQuotas<T>(overrides: Partial<Record<QuotaName, number>>, run: () => Promise<T>): Promise<T> {
    quotaOverrides = overrides;
    try {
        return await run();
    } finally {
        quotaOverrides = {};
    }
}

/** A note for the plan: the quotas the offline cloud has no number for, which the offline check cannot judge. */
export function uncheckedQuotasNote(raw: Record<string, string>, overrides: Partial<Record<QuotaName, number>>): string | undefined {
    if (raw["esiphub:cloud"] !== "openstack") return undefined;
    const cloud = offlineOpenStack(raw);
    const unknown = (Object.keys(cloud.quotas) as OpenStackQuota[]).filter((q) => cloud.quotas[q] < 0 && overrides[q] === undefined);
    if (unknown.length === 0) return undefined;
    return `the quotas of ${cloud.title} are set per project and not published, so the offline plan did not check ${unknown.join(", ")}; give the project's (\`openstack quota show\`) with --quota NAME=N`;
}

/** The limit of a quota in the offline cloud (the running plan's, by default), after `--quota`. */
export function offlineQuota(name: OpenStackQuota, cloud: OfflineOpenStack = offlineOpenStack()): number {
    return quotaOverrides[name] ?? cloud.quotas[name];
}

export function offlineAwsQuota(name: AwsQuota): number {
    return quotaOverrides[name] ?? OFFLINE_AWS_QUOTAS[name].value;
}

/** An Elastic IP the offline AWS account holds, unassociated, for stacks that set esiphub:publicIp (TEST-NET-1). */
export const OFFLINE_ELASTIC_IPS: readonly { publicIp: string; allocationId: string }[] = [{ publicIp: "192.0.2.20", allocationId: "eipalloc-0a1b2c3d4e5f60718" }];

/** An existing VPC of the offline AWS account, for stacks that set esiphub:vpcId. */
export const OFFLINE_VPCS: readonly { id: string; cidrBlock: string; internetGatewayId: string }[] = [
    { id: "vpc-0a1b2c3d4e5f60718", cidrBlock: "10.44.0.0/16", internetGatewayId: "igw-0f1e2d3c4b5a69788" },
];

export function awsRegion(): string {
    return config("aws:region") ?? "us-east-1";
}

export function openstackRegion(): string {
    return config("openstack:region") ?? "RegionOne";
}

/** AMI name filters use shell-style wildcards (`*`, `?`). */
export function globMatches(pattern: string, text: string): boolean {
    const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${re}$`).test(text);
}

/** Values of the data-source filter with this name (AWS `filters: [{name, values}]`). */
export function filterValues(filters: { name: string; values: string[] }[] | undefined, name: string): string[] | undefined {
    return filters?.find((f) => f.name === name)?.values;
}

/**
 * Private addresses handed out in the subnet registered last (one offline run has one node subnet): from host 10
 * up in a /25 or larger (low addresses are taken by the cloud: gateway, DHCP, AWS's reserved ones), from the first
 * address the cloud gives to VMs in a smaller one (AWS keeps .0-.3, OpenStack's gateway is .1 and its DHCP port .2;
 * components/cidr.ts assignableAddresses), so that a subnet the config check accepts holds every node.
 */
let subnet: { cidr: string; next: number; size: number; firstFree: number } | undefined;

/** Starts handing out addresses of this subnet; returns its gateway (host 1). */
export function registerSubnet(cidr: string, cloud: "openstack" | "aws"): string {
    const parsed = parseCidr(cidr);
    if (!parsed) throw new Error(`offline cloud: subnet CIDR "${cidr}" is not an IPv4 CIDR`);
    const size = 2 ** (32 - parsed.prefix);
    subnet = { cidr, next: size - 2, size, firstFree: cloud === "aws" ? 4 : 3 };
    return hostAddress(cidr, 1);
}

/**
 * The private address of a node's port or instance, by the node's name (registration order varies): the master
 * first, then a dedicated NFS node, then worker NN; anything else counts down from the top of the subnet.
 */
export function nextPrivateIp(resourceName: string): string {
    if (!subnet) throw new Error("offline cloud: a port or instance was created before any subnet");
    const roomy = subnet.size >= 128;
    const base = roomy ? 10 : subnet.firstFree;
    // In a roomy subnet worker NN is always base + 1 + NN; in a small one the NFS node's address is kept only when there is one.
    const nfsSlot = roomy || config("esiphub:nfsNode") === "true" ? 1 : 0;
    const worker = /-worker-(\d+)(-port)?$/.exec(resourceName);
    const host = /-master(-port)?$/.test(resourceName) ? base : /-nfs(-port)?$/.test(resourceName) ? base + 1 : worker ? base + nfsSlot + Number(worker[1]) : subnet.next--;
    if (host >= subnet.size - 1 || host < base) throw new Error(`offline cloud: no free address left in ${subnet.cidr}`);
    return hostAddress(subnet.cidr, host);
}
