import * as fs from "fs";
import * as path from "path";
import { builtInFlavors, Flavor, parseCustomFlavor } from "./catalog";
import { KUBELET_MAX_PODS, PackedSizing, packServers, routedSystemPods, ServerGroup, sizePackedWorkers, sizeWorkers, workerBin, WorkerSizing } from "./sizing";
import { parseQuantity } from "./quantity";
import { assignableAddresses, cidrsOverlap, networkCidr, parseCidr, smallestPrefixFor } from "./cidr";
import { HUB_DB, PROVISIONER_NAMESPACE } from "./storage/values";
import { closest } from "./suggest";
import { readWorkshopEntries, WORKSHOP_SETTINGS, WorkshopEntry } from "./workshops";

/**
 * Every `esiphub:*` setting: its type, default and meaning. Pulumi.yaml's `config:` block and the
 * README's reference table are kept equal to this list by test/config.test.ts.
 */
/** "array of maps" (esiphub:workshops) cannot be declared in Pulumi.yaml: see components/workshops.ts. */
export type ConfigType = "string" | "integer" | "boolean" | "array" | "array of maps";

export interface ConfigKey {
    readonly key: string;
    readonly type: ConfigType;
    readonly description: string;
    /** Absent = required. */
    readonly default?: string | number | boolean | string[];
    readonly secret?: boolean;
}

export const CONFIG_KEYS: readonly ConfigKey[] = [
    { key: "cloud", type: "string", description: "Where the hub runs: `openstack` or `aws`." },
    { key: "subnetCidr", type: "string", default: "10.10.0.0/24", description: "Node subnet (IPv4 CIDR, /16 to /28)." },
    { key: "podCidr", type: "string", default: "192.168.0.0/16", description: "Kubernetes pod network for Calico; must not overlap the node subnet or the service range 10.96.0.0/12." },
    { key: "adminCidrs", type: "array", description: "IPv4 CIDRs allowed to reach SSH (22) and the Kubernetes API (6443), e.g. `[\"203.0.113.7/32\"]`. `0.0.0.0/0` is refused by the policy pack." },
    { key: "dnsNameservers", type: "array", default: ["8.8.8.8", "1.1.1.1"], description: "DNS resolvers handed to the nodes by the subnet (OpenStack)." },
    { key: "sshUser", type: "string", default: "ubuntu", description: "Login user of the node image." },
    { key: "sshPublicKey", type: "string", description: "OpenSSH public key installed on every node." },
    { key: "sshPrivateKey", type: "string", secret: true, description: "Matching private key, used by the remote commands. Set with `pulumi config set --secret esiphub:sshPrivateKey < key`." },
    { key: "masterFlavor", type: "string", description: "Flavor (OpenStack) or instance type (AWS) of the master." },
    { key: "workerFlavor", type: "string", description: "Flavor or instance type of the workers." },
    { key: "workers", type: "string", default: "auto", description: "Worker count, `0` to `100`, or `auto` to size from users x memory guarantee." },
    { key: "customFlavors", type: "array", default: [], description: "Sizes of flavors not in the built-in table, as `NAME:VCPUS:RAM_GIB[:DISK_GB]`, e.g. `m1.xlarge:8:16:40` (no disk: nodes boot from a volume)." },
    { key: "scheduleOnMaster", type: "boolean", default: false, description: "Run user servers on the master too (always on when there are no workers)." },
    { key: "nfsNode", type: "boolean", default: false, description: "Serve NFS from a dedicated node (of `masterFlavor`) instead of the master." },
    { key: "kubernetesVersion", type: "string", default: "1.33", description: "Kubernetes minor version (`1.30` to `1.34`), installed from pkgs.k8s.io." },
    { key: "externalNetwork", type: "string", default: "", description: "OpenStack: external network for the router and the floating IP." },
    { key: "image", type: "string", default: "", description: "OpenStack: image name of Ubuntu 24.04." },
    { key: "amiOwner", type: "string", default: "099720109477", description: "AWS: owner of the node AMI (Canonical)." },
    { key: "amiNameFilter", type: "string", default: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*", description: "AWS: AMI name filter; the newest match is used." },
    { key: "vpcId", type: "string", default: "", description: "AWS: an existing VPC to use instead of creating one." },
    { key: "availabilityZone", type: "string", default: "", description: "Availability zone for the VMs and the data volume (cloud default when empty)." },
    { key: "rootVolumeSize", type: "integer", default: 60, description: "Root disk of each node, GB (20 to 2000): the flavor's local disk when it is at least this large (Jetstream2's m3), else a boot volume of this size (AWS: always an EBS volume)." },
    { key: "dataVolumeSize", type: "integer", default: 500, description: "NFS data volume for homes and scratch, GB (10 to 16000)." },
    { key: "keepDataOnDestroy", type: "boolean", default: true, description: "Keep the data volume when the stack is destroyed." },
    {
        key: "hubHostname",
        type: "string",
        default: "",
        description:
            "DNS name of the hub; with it, TLS from Let's Encrypt. `auto`: the name `<public IP with dashes>.sslip.io`, answered by the sslip.io service (see the README for its trade-offs). Plain HTTP on the IP when empty, which the policy pack refuses unless `allowPlainHttp`.",
    },
    { key: "letsEncryptEmail", type: "string", default: "", description: "Contact email for Let's Encrypt; required with `hubHostname`." },
    { key: "users", type: "integer", default: 60, description: "Number of workshop accounts (1 to 1000)." },
    { key: "userPattern", type: "string", default: "workshop-{nn}", description: "Account name pattern; `{n}`, `{nn}` or `{nnn}` is the zero-padded number from 1." },
    { key: "userNames", type: "array", default: [], description: "Explicit account names instead of the pattern; must list exactly `users` names." },
    { key: "extraUsers", type: "array", default: [], description: "Accounts added to the workshop accounts, e.g. `[\"instructor\"]`." },
    { key: "adminUsers", type: "array", default: [], description: "Hub admins; each must be one of the accounts." },
    { key: "notebookImage", type: "string", default: "quay.io/jupyter/scipy-notebook", description: "Notebook image name, or `NAME@sha256:DIGEST` to pin the image itself (a tag alone is flagged by the policy pack: it can be moved)." },
    { key: "notebookTag", type: "string", default: "2025-03-14", description: "Notebook image tag (pin it; `latest` is flagged by the policy pack); may be empty when `notebookImage` has a digest." },
    { key: "memoryLimit", type: "string", default: "8G", description: "Memory limit per user server." },
    { key: "memoryGuarantee", type: "string", default: "4G", description: "Memory guarantee per user server; the basis of worker sizing." },
    { key: "cpuLimit", type: "string", default: "", description: "CPU limit per user server in cores (no limit when empty)." },
    { key: "cpuGuarantee", type: "string", default: "", description: "CPU guarantee per user server in cores (none when empty)." },
    { key: "storagePerUser", type: "string", default: "10Gi", description: "Home directory size per user, enforced by an XFS project quota." },
    { key: "scratchSize", type: "string", default: "100Gi", description: "Shared scratch folder, mounted writable in every server; its own XFS quota." },
    { key: "sharedMountPath", type: "string", default: "/shared", description: "Where the shared scratch is mounted in each server." },
    { key: "storageClass", type: "string", default: "nfs-client", description: "Name of the NFS StorageClass." },
    { key: "startTimeout", type: "integer", default: 600, description: "Seconds a server may take to start (60 to 3600)." },
    { key: "cullIdleTimeout", type: "integer", default: 3600, description: "Idle servers are stopped after this many seconds (300 to 86400)." },
    { key: "userPlaceholders", type: "integer", default: 0, description: "Placeholder pods that keep room for users (0 to 1000)." },
    { key: "quickstartReadme", type: "string", default: "", description: "Text of the README copied into each home (built-in text when empty)." },
    { key: "quickstartReadmeFile", type: "string", default: "", description: "Path of a file inside the project folder (relative, no `..`, not through a symbolic link out of it; UTF-8 text of at most 64 KiB, no private key) to use as that README instead." },
    { key: "hubNamespace", type: "string", default: "jhub", description: "Kubernetes namespace of the hub." },
    { key: "dns", type: "string", default: "none", description: "DNS records made by the program: `none`, `designate` (OpenStack DNS) or `route53`." },
    { key: "dnsZone", type: "string", default: "", description: "Zone for `dns` records, e.g. `esipfed.org.`; required unless `dns` is `none`." },
    { key: "dnsTtl", type: "integer", default: 300, description: "TTL of the hub's DNS record, seconds (60 to 86400)." },
    { key: "letsEncryptStaging", type: "boolean", default: false, description: "Certificates from Let's Encrypt's staging server (not trusted by browsers, far higher rate limits): for rehearsals and rebuilds before event week." },
    { key: "dnsWaitTimeout", type: "integer", default: 1800, description: "Seconds `up` waits for `hubHostname` to resolve to the public IP before switching HTTPS on (60 to 14400)." },
    { key: "dnsCheckResolvers", type: "array", default: ["8.8.8.8", "1.1.1.1"], description: "DNS resolvers (outside the cluster) asked whether `hubHostname` points at the hub, as `IP` or `IP:PORT`." },
    { key: "materialsSize", type: "string", default: "20Gi", description: "Instructors' materials folder: read-only for participants, writable by admins; its own XFS quota." },
    { key: "materialsMountPath", type: "string", default: "/materials", description: "Where the materials folder is mounted in each server (beside, not inside, `sharedMountPath`)." },
    { key: "publicIp", type: "string", default: "", description: "An existing floating IP (OpenStack) or Elastic IP (AWS) for the hub, allocated beforehand; the stack associates it with the master but never creates or releases it, so DNS set once stays right across rebuilds. A new address per stack when empty." },
    { key: "existingRouter", type: "string", default: "", description: "OpenStack: name or id of a router of the project to attach the node subnet to, instead of creating one (Jetstream2 allows one router per project: often `auto_allocated_router`)." },
    {
        key: "maxServers",
        type: "string",
        default: "all",
        description:
            "Users' servers that may run at once: `all` (one per account) or a number from 1 to the number of accounts. Workers are sized for it, and the hub refuses a server beyond it (JupyterHub's `active_server_limit`, answered 429) instead of leaving it pending; `esiphub scale` sets it.",
    },
    {
        key: "allowPlainHttp",
        type: "boolean",
        default: false,
        description:
            "Development only: let the hub serve plain HTTP when it has no HTTPS (no `hubHostname`), so that passwords and session cookies cross the network in clear. The policy pack refuses plain HTTP otherwise; `up` and `plan` warn whenever this is true.",
    },
    {
        key: "userEgressPorts",
        type: "array",
        default: [],
        description:
            "Ports users' servers may reach on public addresses besides DNS, HTTP (80), HTTPS (443), git (9418) and SSH (22): `PORT` (TCP) or `PORT/udp`, e.g. `[\"8080\", \"123/udp\"]`; `[\"all\"]` opens every port. Private addresses and the cloud metadata server stay closed.",
    },
    {
        key: "eventEnds",
        type: "string",
        default: "",
        description:
            "When the event ends, as an ISO 8601 date-time with its time zone, e.g. `2026-12-04T17:00:00-05:00`: `plan` shows it, `up` warns once it is past (or when a site beyond development scale has none), `esiphub status` counts the hours to it, and `examples/end-of-event.ts` tears down the sites past it.",
    },
    {
        key: "workshops",
        type: "array of maps",
        default: [],
        description:
            "Several workshops on the site, a hub each, sharing the nodes and the NFS server: a list of maps with a `name` (the hub's namespace) and any per-hub setting (`users`, `userPattern`, `userNames`, `extraUsers`, `adminUsers`, `maxServers`, `notebookImage`, `notebookTag`, `memoryLimit`, `memoryGuarantee`, `cpuLimit`, `cpuGuarantee`, `storagePerUser`, `scratchSize`, `materialsSize`, `quickstartReadme`, `quickstartReadmeFile`, `startTimeout`, `cullIdleTimeout`, `userPlaceholders`, `hubHostname`, `userEgressPorts`); what an entry leaves out comes from the flat key. Traefik routes each hostname to its hub (certificates by cert-manager); a workshop without a hostname is at `http://<public IP>/<name>/`. `hubHostname: auto` names a workshop `<name>.<public IP with dashes>.sslip.io` (it needs `publicIp`). Empty: one hub from the flat keys.",
    },
];

export type Cloud = "openstack" | "aws";

export interface EgressPort {
    readonly port: number;
    readonly protocol: "TCP" | "UDP";
}

/** Users' outbound connections to public addresses: every port, or these (DNS is always allowed). */
export type UserEgress = { readonly all: true } | { readonly all: false; readonly ports: readonly EgressPort[] };

/** What a workshop needs: HTTP and HTTPS (pip, conda, data), git's own protocol and SSH (git over SSH). */
export const WORKSHOP_EGRESS_PORTS: readonly EgressPort[] = [
    { port: 80, protocol: "TCP" },
    { port: 443, protocol: "TCP" },
    { port: 9418, protocol: "TCP" },
    { port: 22, protocol: "TCP" },
];

/**
 * The wildcard DNS service of `esiphub:hubHostname: auto`: `A-B-C-D.sslip.io` resolves to A.B.C.D
 * (https://sslip.io, source github.com/cunnie/sslip.io).
 */
export const SSLIP_DOMAIN = "sslip.io";

/** The notebook image as the container runtime names it: `NAME@sha256:...` when pinned by digest, else `NAME:TAG`. */
export function notebookImageReference(image: { readonly name: string; readonly tag: string; readonly digest?: string }): string {
    return image.digest ? `${image.name}@${image.digest}` : `${image.name}:${image.tag}`;
}

/** The automatic hub name for a public IPv4 address: 149.165.157.42 → 149-165-157-42.sslip.io. */
export function sslipHostname(ip: string): string {
    return `${ip.replace(/\./g, "-")}.${SSLIP_DOMAIN}`;
}

/**
 * A workshop's automatic name: its name under the site's, python-intro.149-165-157-42.sslip.io. sslip.io answers a
 * name with labels before the address as the address too ("www.192-168-0-1.sslip.io", its README), so every
 * workshop has a name of its own for the router to route and certify.
 */
export function workshopSslipHostname(workshop: string, ip: string): string {
    return `${workshop}.${sslipHostname(ip)}`;
}
export type DnsProvider = "none" | "designate" | "route53";

/** One hub's settings (the site's, or one workshop's). */
export interface HubConfig {
    readonly namespace: string;
    /**
     * The hub's DNS name: `esiphub:hubHostname`, or the automatic name when it is `auto` and the public IP is configured
     * (a workshop's: workshopSslipHostname).
     */
    readonly hostname?: string;
    /** `esiphub:hubHostname: auto`: the name is sslipHostname(public IP), known before the deployment only with `esiphub:publicIp`. */
    readonly autoHostname: boolean;
    /** HTTPS with a certificate from Let's Encrypt: a hostname, given or automatic. */
    readonly tls: boolean;
    /** `esiphub:allowPlainHttp` (a site-wide setting): plain HTTP is allowed (development only). */
    readonly allowPlainHttp: boolean;
    readonly letsEncryptEmail?: string;
    /** Certificates from Let's Encrypt's staging server. */
    readonly letsEncryptStaging: boolean;
    /** `digest` (sha256:...) pins the image itself; `tag` may then be empty. */
    readonly image: { readonly name: string; readonly tag: string; readonly digest?: string };
    readonly memoryLimit: string;
    readonly memoryGuarantee: string;
    readonly cpuLimit?: number;
    readonly cpuGuarantee?: number;
    readonly startTimeoutSeconds: number;
    readonly cullIdleTimeoutSeconds: number;
    readonly userPlaceholders: number;
    /**
     * Users' servers that may run at once (`esiphub:maxServers`; the number of accounts for `all`): the workers are
     * sized for it, and below the accounts the hub refuses the server beyond it.
     */
    readonly maxServers: number;
    /** Quickstart README text, or undefined for the built-in one. */
    readonly quickstartReadme?: string;
    /** Every account: workshop accounts then extra users. */
    readonly users: string[];
    /** The workshop accounts (`esiphub:userPattern` or `esiphub:userNames`): the cards handed to attendees. */
    readonly attendees: string[];
    readonly adminUsers: string[];
    /** Where users' servers may connect on public addresses besides DNS (`esiphub:userEgressPorts`). */
    readonly egress: UserEgress;
}

/** Everything the program needs, typed, validated and with defaults applied. */
export interface SiteConfig {
    readonly site: string;
    readonly cloud: Cloud;
    /** `openstack:region` or `aws:region`. */
    readonly region: string;
    readonly network: {
        readonly subnetCidr: string;
        readonly podCidr: string;
        readonly serviceCidr: string;
        readonly adminCidrs: string[];
        readonly dnsNameservers: string[];
        /** An existing floating/Elastic IP to associate with the master; a new one when absent. */
        readonly publicIp?: string;
    };
    readonly ssh: {
        readonly user: string;
        readonly publicKey: string;
        /** Plain here; the program wraps it in `pulumi.secret` before any use. */
        readonly privateKey: string;
    };
    readonly nodes: {
        readonly masterFlavor: Flavor;
        readonly workerFlavor: Flavor;
        readonly workers: number;
        readonly sizing: WorkerSizing;
        /** Untaint the master (always when workers = 0). */
        readonly scheduleOnMaster: boolean;
        readonly dedicatedNfsNode: boolean;
        readonly rootVolumeSizeGb: number;
        readonly availabilityZone?: string;
    };
    readonly openstack?: {
        readonly externalNetwork: string;
        readonly image: string;
        /** A router of the project (name or id) to attach the subnet to; a new router when absent. */
        readonly existingRouter?: string;
    };
    readonly aws?: { readonly amiOwner: string; readonly amiNameFilter: string; readonly vpcId?: string };
    readonly kubernetes: { readonly version: string };
    readonly storage: {
        readonly dataVolumeSizeGb: number;
        readonly keepDataOnDestroy: boolean;
        readonly storageClass: string;
        readonly perUser: string;
        readonly perUserBytes: number;
        readonly scratchSize: string;
        readonly scratchBytes: number;
        readonly sharedMountPath: string;
        readonly materialsSize: string;
        readonly materialsBytes: number;
        readonly materialsMountPath: string;
    };
    /**
     * The hub. With `esiphub:workshops`: the first workshop's (each workshop's is in `workshops`; workshopView gives a
     * workshop's view of the whole config).
     */
    readonly hub: HubConfig;
    readonly dns: {
        readonly provider: DnsProvider;
        readonly zone?: string;
        readonly ttl: number;
        /** How long `up` waits for the hostname to point at the hub, and whom it asks. */
        readonly waitTimeoutSeconds: number;
        readonly checkResolvers: string[];
    };
    /**
     * Every hub of the site: one per `esiphub:workshops` entry, or the one hub of the flat keys (without a name) when
     * the setting is absent. The per-hub fields of `hub` and `storage` above are the first one's.
     */
    readonly workshops: readonly Workshop[];
    /** True with `esiphub:workshops`: Traefik fronts the hubs on ports 80/443, cert-manager gets the certificates. */
    readonly router: boolean;
    /** Settings that work but are probably not what the organiser wants (shown by `up`, `preview` and `plan`). */
    readonly warnings: string[];
    /** When the event ends (`esiphub:eventEnds`); absent when the stack file does not say. */
    readonly eventEnds?: EventEnd;
}

/** The end of an event: the text of the stack file, and the moment it names. */
export interface EventEnd {
    readonly text: string;
    /** Milliseconds since the epoch (UTC). */
    readonly time: number;
}

/** RFC 3339's profile of ISO 8601: date, time (seconds and fraction optional) and a zone, `Z` or an offset. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * `esiphub:eventEnds` as the moment it names, or what is wrong with it. A zone is required: the organiser's laptop, the
 * CI machine and the cloud may each be in another one. Pulumi hands the text as written (a timestamp-looking YAML
 * scalar decoded into interface{} stays a string: gopkg.in/yaml.v3 decode.go), as the `yaml` package here does.
 */
export function parseEventEnds(text: string): EventEnd | string {
    const m = DATE_TIME.exec(text);
    if (!m) {
        const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text) ? "; add the time the event ends and its zone" : "";
        return `must be empty or an ISO 8601 date-time with its time zone, such as 2026-12-04T17:00:00-05:00 or 2026-12-04T22:00:00Z, got ${JSON.stringify(text)}${dateOnly}`;
    }
    const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
    const local = Date.UTC(year, month - 1, day, hour, minute, second) + Math.round(Number(m[7] ?? 0) * 1000);
    const calendar = new Date(Date.UTC(year, month - 1, day));
    if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return `${m[1]}-${m[2]}-${m[3]} is not a date`;
    if (hour > 23 || minute > 59 || second > 59) return `${m[4]}:${m[5]}${m[6] ? `:${m[6]}` : ""} is not a time of day`;
    const offsetMinutes = m[8] === "Z" ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
    if (m[8] !== "Z" && (Number(m[10]) > 23 || Number(m[11]) > 59)) return `${m[8]} is not a time zone offset`;
    return { text, time: local - offsetMinutes * 60_000 };
}

/** The sizes of one hub's folders on the share. */
export interface HubStorageSizes {
    readonly perUser: string;
    readonly perUserBytes: number;
    readonly scratchSize: string;
    readonly scratchBytes: number;
    readonly materialsSize: string;
    readonly materialsBytes: number;
}

/** One hub of the site and its folders' sizes. */
export interface Workshop {
    /** `esiphub:workshops[i].name`: the hub's namespace; absent for the one hub of a site without esiphub:workshops. */
    readonly name?: string;
    readonly hub: HubConfig;
    readonly storage: HubStorageSizes;
}

/**
 * The site as one workshop's hub sees it: its hub settings and folder sizes in place of the first's, and itself as
 * the only workshop. The hub, its values and its DNS are built from this view, so they read `config.hub` as before.
 */
export function workshopView(config: SiteConfig, workshop: Workshop): SiteConfig {
    return { ...config, hub: workshop.hub, storage: { ...config.storage, ...workshop.storage }, workshops: [workshop] };
}

/** Raised with every problem found; `message` lists them one per line. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.join("\n"));
        this.name = "ConfigError";
    }
}

export const NAMESPACE = "esiphub";
export const SERVICE_CIDR = "10.96.0.0/12";
/** The documented limit of `esiphub:workers`, fixed or auto-sized. */
export const MAX_WORKERS = 100;

const USERNAME = /^[a-z][a-z0-9_-]{0,31}$/;
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Namespaces a stack file may use: this program's settings, the settings of the providers it uses (read by their
 * plugins, e.g. `openstack:region`) and Pulumi's own (`pulumi:tags`). Anything else is a typo that nothing reads.
 */
export const CONFIG_NAMESPACES: readonly string[] = [NAMESPACE, "openstack", "aws", "kubernetes", "random", "command", "pulumi"];

/** What the stack file said beyond the values Pulumi hands the program. */
export interface ConfigSource {
    /**
     * `namespace:key` → the text written in the stack file, for values that YAML read as a number whose text
     * differs from that number (`1.30` is the number 1.3, `099720109477` is 99720109477): Pulumi hands the program
     * the number (pulumi/pulumi sdk/go/common/resource/config/object.go: unmarshalObject, MarshalString).
     */
    readonly yamlNumbers?: Readonly<Record<string, string>>;
}

/** Parses all of a stack's configuration (`namespace:key` → string, as Pulumi stores it). */
export function parseSiteConfig(raw: Record<string, string>, site: string, projectDir = ".", source: ConfigSource = {}): SiteConfig {
    const problems: string[] = unknownKeys(Object.keys(raw));
    const yamlNumbers = source.yamlNumbers ?? {};
    const r = new Reader(raw, problems, yamlNumbers);

    const cloud = r.oneOf("cloud", ["openstack", "aws"] as const);
    const regionKey = cloud === "aws" ? "aws:region" : "openstack:region";
    const region = raw[regionKey] ?? "";
    if (cloud && !region) problems.push(`${regionKey}: required for cloud ${cloud}; set the provider's region in the stack file`);

    const subnetCidr = r.cidr("subnetCidr", 16, 28);
    const podCidr = r.cidr("podCidr", 8, 24);
    if (subnetCidr && podCidr && cidrsOverlap(subnetCidr, podCidr)) {
        problems.push(`${NAMESPACE}:podCidr: ${podCidr} overlaps the node subnet ${subnetCidr} (${NAMESPACE}:subnetCidr); choose a range outside it`);
    }
    if (podCidr && cidrsOverlap(podCidr, SERVICE_CIDR)) {
        problems.push(`${NAMESPACE}:podCidr: ${podCidr} overlaps the Kubernetes service range ${SERVICE_CIDR}; choose a range outside it`);
    }
    if (subnetCidr && cidrsOverlap(subnetCidr, SERVICE_CIDR)) {
        problems.push(`${NAMESPACE}:subnetCidr: ${subnetCidr} overlaps the Kubernetes service range ${SERVICE_CIDR}; choose a range outside it`);
    }
    const adminCidrs = r.array("adminCidrs", { min: 1 });
    adminCidrs?.forEach((c, i) => {
        const parsed = parseCidr(c);
        if (!parsed) problems.push(`${NAMESPACE}:adminCidrs: item ${i + 1} must be an IPv4 CIDR such as 203.0.113.7/32, got "${c}"`);
        else if (parsed.hostBits) {
            problems.push(`${NAMESPACE}:adminCidrs: item ${i + 1} "${c}" has host bits set, which AWS refuses; write the network ${networkCidr(parsed)} (or ${c.split("/")[0]}/32 for the one address)`);
        }
    });
    const publicIp = r.string("publicIp", { pattern: /^(|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/, allowed: "empty or an IPv4 address such as 149.165.157.99 (no /prefix)" });
    if (publicIp && !parseCidr(`${publicIp}/32`)) problems.push(`${NAMESPACE}:publicIp: "${publicIp}" is not an IPv4 address`);
    const dnsNameservers = r.array("dnsNameservers") ?? [];
    dnsNameservers.forEach((ip, i) => {
        if (!parseCidr(`${ip}/32`)) problems.push(`${NAMESPACE}:dnsNameservers: item ${i + 1} must be an IPv4 address, got "${ip}"`);
    });

    const sshUser = r.string("sshUser", { pattern: USERNAME, allowed: "a Linux user name" });
    const sshPublicKey = r.string("sshPublicKey", {
        pattern: /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/,
        allowed: "an OpenSSH public key (ssh-ed25519, ssh-rsa or ecdsa-sha2-*)",
    });
    const sshPrivateKey = r.string("sshPrivateKey", {
        pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
        allowed: "a PEM/OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)",
        secret: true,
    });

    const customFlavors = parseCustomFlavors(r.array("customFlavors") ?? [], problems);
    const flavors = [...customFlavors, ...(cloud ? builtInFlavors(cloud) : [])];
    const flavorNamed = (key: string): Flavor | undefined => {
        const name = r.string(key, { pattern: /^\S+$/, allowed: "a flavor or instance type name" });
        if (!name || !cloud) return undefined;
        const flavor = flavors.find((f) => f.name === name);
        if (!flavor) {
            problems.push(
                `${NAMESPACE}:${key}: unknown ${cloud === "aws" ? "instance type" : "flavor"} "${name}"; known: ${flavors
                    .map((f) => f.name)
                    .join(", ")} (add others with ${NAMESPACE}:customFlavors)`,
            );
        }
        return flavor;
    };
    const masterFlavor = flavorNamed("masterFlavor");
    const workerFlavor = flavorNamed("workerFlavor");
    const workersRaw = r.string("workers", { pattern: /^(auto|\d+)$/, allowed: 'an integer from 0 to 100 or "auto"' });
    let workersFixed: number | undefined;
    if (workersRaw && workersRaw !== "auto") {
        workersFixed = Number(workersRaw);
        if (workersFixed > MAX_WORKERS) problems.push(`${NAMESPACE}:workers: must be an integer from 0 to ${MAX_WORKERS} or "auto", got "${workersRaw}"`);
    }
    const scheduleOnMaster = r.boolean("scheduleOnMaster");
    const dedicatedNfsNode = r.boolean("nfsNode");
    const kubernetesVersion = r.string("kubernetesVersion", { pattern: /^1\.3[0-4]$/, allowed: "a Kubernetes minor version from 1.30 to 1.34, such as 1.33" });

    const externalNetwork = r.string("externalNetwork");
    const image = r.string("image");
    if (cloud === "openstack") {
        if (!externalNetwork) problems.push(`${NAMESPACE}:externalNetwork: required when ${NAMESPACE}:cloud is openstack (the external network's name, e.g. "public")`);
        if (!image) problems.push(`${NAMESPACE}:image: required when ${NAMESPACE}:cloud is openstack (an Ubuntu 24.04 image name, e.g. "Featured-Ubuntu24")`);
    }
    const existingRouter = r.string("existingRouter", { pattern: /^\S*$/, allowed: "empty or a router name or id" });
    if (existingRouter && cloud === "aws") problems.push(`${NAMESPACE}:existingRouter: an OpenStack router; with ${NAMESPACE}:cloud aws leave it empty`);
    const amiOwner = r.string("amiOwner", { pattern: /^(\d{12}|amazon|self|aws-marketplace)$/, allowed: "a 12-digit AWS account id or amazon/self/aws-marketplace" });
    const amiNameFilter = r.string("amiNameFilter");
    const vpcId = r.string("vpcId", { pattern: /^(|vpc-[0-9a-f]{8,17})$/, allowed: "empty or a VPC id such as vpc-0abc1234" });
    const availabilityZone = r.string("availabilityZone");
    const rootVolumeSizeGb = r.integer("rootVolumeSize", 20, 2000);
    const dataVolumeSizeGb = r.integer("dataVolumeSize", 10, 16000);
    const keepDataOnDestroy = r.boolean("keepDataOnDestroy");

    const entries = readWorkshopEntries(raw[`${NAMESPACE}:workshops`], WORKSHOP_LIST_KEYS, problems);
    if (entries && raw[`${NAMESPACE}:hubNamespace`] !== undefined) {
        problems.push(`${NAMESPACE}:hubNamespace: with ${NAMESPACE}:workshops each hub is in a namespace named after its workshop; remove ${NAMESPACE}:hubNamespace`);
    }
    const drafts = entries
        ? entries.map((e) => readHub(new Reader({ ...raw, ...e.values }, problems, yamlNumbers, e.label), { projectDir, publicIp, workshop: e.name ?? "" }, problems))
        : [readHub(r, { projectDir, publicIp }, problems)];
    const letsEncryptEmail = r.string("letsEncryptEmail", { pattern: /^(|[^@\s]+@[^@\s]+\.[^@\s]+)$/, allowed: "empty or an email address" });
    if (drafts.some((d) => d.tls) && !letsEncryptEmail) {
        problems.push(`${NAMESPACE}:letsEncryptEmail: required when ${NAMESPACE}:hubHostname is set (Let's Encrypt's contact address)`);
    }
    // Site-wide: whether this site may serve any hub over plain HTTP is one decision of its organisers.
    const allowPlainHttp = r.boolean("allowPlainHttp");
    if (entries) problems.push(...hostnameClashes(entries, drafts));
    problems.push(...foldersFitProblems(drafts, dataVolumeSizeGb, !!entries));

    const mountPath = { pattern: /^\/[A-Za-z0-9._\/-]*[A-Za-z0-9._-]$/, allowed: "an absolute path such as /shared" };
    const sharedMountPath = r.string("sharedMountPath", mountPath);
    const materialsMountPath = r.string("materialsMountPath", { ...mountPath, allowed: "an absolute path such as /materials" });
    if (sharedMountPath && materialsMountPath && nestedPaths(sharedMountPath, materialsMountPath)) {
        // A mount inside the writable scratch has its mount point in the scratch, where participants could replace it.
        problems.push(`${NAMESPACE}:materialsMountPath: ${materialsMountPath} must be beside ${NAMESPACE}:sharedMountPath ${sharedMountPath}, not the same path or inside it`);
    }
    const storageClass = r.string("storageClass", { pattern: K8S_NAME, allowed: "a Kubernetes name (lower-case letters, digits, -)" });
    const namespace = r.string("hubNamespace", { pattern: K8S_NAME, allowed: "a Kubernetes namespace name (lower-case letters, digits, -)" });
    if (namespace === PROVISIONER_NAMESPACE) {
        problems.push(`${NAMESPACE}:hubNamespace: "${PROVISIONER_NAMESPACE}" is the NFS provisioner's namespace; choose another name for the hub's`);
    }
    if (storageClass === HUB_DB.storageClassName) {
        problems.push(`${NAMESPACE}:storageClass: "${HUB_DB.storageClassName}" is the class of the hub database's local volume; choose another name for the NFS class`);
    }

    const dnsProvider = r.oneOf("dns", ["none", "designate", "route53"] as const);
    const dnsZone = r.string("dnsZone", { pattern: /^(|([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?)$/, allowed: "empty or a DNS zone such as example.org." });
    const dnsTtl = r.integer("dnsTtl", 60, 86400);
    const letsEncryptStaging = r.boolean("letsEncryptStaging");
    const dnsWaitTimeout = r.integer("dnsWaitTimeout", 60, 14400);
    const dnsCheckResolvers = r.array("dnsCheckResolvers", { min: 1 });
    dnsCheckResolvers?.forEach((resolver, i) => {
        if (!isResolverAddress(resolver)) problems.push(`${NAMESPACE}:dnsCheckResolvers: item ${i + 1} must be an IPv4 address with an optional port, such as 1.1.1.1 or 127.0.0.1:5353, got "${resolver}"`);
    });
    if (dnsProvider && dnsProvider !== "none") problems.push(...dnsProblems(dnsProvider, dnsZone, cloud, drafts, !!entries));

    const eventEndsText = r.string("eventEnds");
    const eventEnds = eventEndsText ? parseEventEnds(eventEndsText) : undefined;
    if (typeof eventEnds === "string") problems.push(`${NAMESPACE}:eventEnds: ${eventEnds}`);

    const nodes = { workersRaw, workersFixed, masterFlavor, workerFlavor, scheduleOnMaster: !!scheduleOnMaster };
    const sizing = entries ? packedSiteSizing(entries, drafts, nodes, problems) : singleHubSizing(drafts[0], nodes, problems);
    if (sizing && sizing.workers <= MAX_WORKERS && subnetCidr && cloud && dedicatedNfsNode !== undefined) {
        checkSubnetHoldsNodes(subnetCidr, cloud, 1 + (dedicatedNfsNode ? 1 : 0) + sizing.workers, problems);
    }
    if (sizing) problems.push(...siteNameProblems(site, sizing.workers));

    if (problems.length > 0) throw new ConfigError(problems);
    // Every value below was checked above; the non-null assertions only tell the compiler so.
    const shared = { allowPlainHttp: allowPlainHttp!, letsEncryptEmail: letsEncryptEmail || undefined, letsEncryptStaging: letsEncryptStaging! };
    const workshops = drafts.map((d, i): Workshop => finishHub(d, entries ? entries[i].name! : namespace!, shared, entries ? entries[i].name : undefined));
    const warnings = [...storageWarnings(workshops, dataVolumeSizeGb!), ...plainHttpWarnings(allowPlainHttp!, workshops)];
    return {
        site,
        cloud: cloud!,
        region,
        network: { subnetCidr: subnetCidr!, podCidr: podCidr!, serviceCidr: SERVICE_CIDR, adminCidrs: adminCidrs!, dnsNameservers, publicIp: publicIp || undefined },
        ssh: { user: sshUser!, publicKey: sshPublicKey!, privateKey: sshPrivateKey! },
        nodes: {
            masterFlavor: masterFlavor!,
            workerFlavor: workerFlavor!,
            workers: sizing!.workers,
            sizing: sizing!,
            scheduleOnMaster: scheduleOnMaster! || sizing!.workers === 0,
            dedicatedNfsNode: dedicatedNfsNode!,
            rootVolumeSizeGb: rootVolumeSizeGb!,
            availabilityZone: availabilityZone || undefined,
        },
        openstack: cloud === "openstack" ? { externalNetwork: externalNetwork!, image: image!, existingRouter: existingRouter || undefined } : undefined,
        aws: cloud === "aws" ? { amiOwner: amiOwner!, amiNameFilter: amiNameFilter!, vpcId: vpcId || undefined } : undefined,
        kubernetes: { version: kubernetesVersion! },
        storage: {
            dataVolumeSizeGb: dataVolumeSizeGb!,
            keepDataOnDestroy: keepDataOnDestroy!,
            storageClass: storageClass!,
            perUser: workshops[0].storage.perUser,
            perUserBytes: workshops[0].storage.perUserBytes,
            scratchSize: workshops[0].storage.scratchSize,
            scratchBytes: workshops[0].storage.scratchBytes,
            sharedMountPath: sharedMountPath!,
            materialsSize: workshops[0].storage.materialsSize,
            materialsBytes: workshops[0].storage.materialsBytes,
            materialsMountPath: materialsMountPath!,
        },
        hub: workshops[0].hub,
        dns: { provider: dnsProvider!, zone: dnsZone || undefined, ttl: dnsTtl!, waitTimeoutSeconds: dnsWaitTimeout!, checkResolvers: dnsCheckResolvers! },
        workshops,
        router: !!entries,
        warnings,
        ...(eventEnds ? { eventEnds: eventEnds as EventEnd } : {}),
    };
}

type Quantity = { text: string; bytes: number };

/** The settings a workshop may set, as `esiphub:workshops` is read (components/workshops.ts). */
const WORKSHOP_LIST_KEYS = {
    key: `${NAMESPACE}:workshops`,
    namespace: NAMESPACE,
    siteSettings: CONFIG_KEYS.map((k) => k.key).filter((k) => !WORKSHOP_SETTINGS.includes(k)),
};

/** One hub's settings as read, each undefined where it was bad (its problem is recorded). */
interface HubDraft {
    /** Names the settings in messages: the site's keys, or a workshop entry's paths. */
    readonly label: (key: string) => string;
    /** The name, given or automatic; undefined with `auto` until the public IP is known (a site without esiphub:publicIp). */
    readonly hostname?: string;
    readonly autoHostname: boolean;
    /** HTTPS: a valid hostname setting, a name or `auto`. */
    readonly tls: boolean;
    readonly users?: string[];
    readonly attendees?: string[];
    /** "62 accounts (esiphub:users 60 + 2 esiphub:extraUsers)", for the capacity messages. */
    readonly accounts?: string;
    readonly adminUsers: string[];
    readonly maxServers?: number;
    readonly image?: { name?: string; tag?: string; digest?: string };
    readonly memoryLimit?: Quantity;
    readonly memoryGuarantee?: Quantity;
    readonly cpuLimit?: number;
    readonly cpuGuarantee?: number;
    readonly perUser?: Quantity;
    readonly scratch?: Quantity;
    readonly materials?: Quantity;
    readonly quickstartReadme?: string;
    readonly startTimeout?: number;
    readonly cullIdleTimeout?: number;
    readonly userPlaceholders?: number;
    readonly egress?: UserEgress;
}

/** Where a hub is read: the project folder (for its README file), the site's public IP, and the workshop's name if any. */
interface HubContext {
    readonly projectDir: string;
    readonly publicIp?: string;
    /** `esiphub:workshops[i].name` (empty when that name is bad); absent for the one hub of a site without workshops. */
    readonly workshop?: string;
}

/** A hub's own settings (the site's flat keys, or a workshop's entry over them). */
function readHub(r: Reader, context: HubContext, problems: string[]): HubDraft {
    return {
        label: r.label,
        ...readHostname(r, context, problems),
        ...readAccounts(r, problems),
        ...readServerResources(r, problems),
        egress: parseUserEgress(r.array("userEgressPorts"), problems, r.label),
        perUser: r.quantity("storagePerUser", "a storage size such as 10Gi"),
        scratch: r.quantity("scratchSize", "a storage size such as 100Gi"),
        materials: r.quantity("materialsSize", "a storage size such as 20Gi"),
        quickstartReadme: readQuickstartReadme(r, context.projectDir, problems),
        startTimeout: r.integer("startTimeout", 60, 3600),
        cullIdleTimeout: r.integer("cullIdleTimeout", 300, 86400),
        userPlaceholders: r.integer("userPlaceholders", 0, 1000),
    };
}

/**
 * `hubHostname`: a name, `auto` or empty. The automatic name of the one hub is sslipHostname(public IP); a workshop's
 * is workshopSslipHostname, which the router must know to route and certify, so with workshops it needs the public IP.
 */
function readHostname(r: Reader, context: HubContext, problems: string[]): Pick<HubDraft, "hostname" | "autoHostname" | "tls"> {
    const setting = r.string("hubHostname", {
        pattern: /^(|auto|(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$/,
        allowed: 'empty, "auto" or a lower-case DNS name such as hub.example.org',
    });
    const autoHostname = setting === AUTO_HOSTNAME;
    if (!autoHostname) return { hostname: setting || undefined, autoHostname, tls: !!setting };
    const { publicIp, workshop } = context;
    if (workshop !== undefined && !publicIp) {
        problems.push(
            `${r.label("hubHostname")}: auto on a site of workshops needs ${NAMESPACE}:publicIp (each workshop's name, <workshop>.<IP with dashes>.${SSLIP_DOMAIN}, is routed and certified by name); set it, or give the workshop a hostname`,
        );
    }
    // With the public IP configured, the automatic name is known now; otherwise only once the cloud gives the IP.
    const hostname = publicIp ? (workshop === undefined ? sslipHostname(publicIp) : workshop ? workshopSslipHostname(workshop, publicIp) : undefined) : undefined;
    return { hostname, autoHostname, tls: true };
}

/** The accounts, the admins among them, and the servers that may run at once. */
function readAccounts(r: Reader, problems: string[]): Pick<HubDraft, "users" | "attendees" | "accounts" | "adminUsers" | "maxServers"> {
    const k = r.label;
    const userCount = r.integer("users", 1, 1000);
    const userPattern = r.string("userPattern");
    const userNames = r.array("userNames") ?? [];
    const extraUsers = r.array("extraUsers") ?? [];
    const adminUsers = r.array("adminUsers") ?? [];
    const users = resolveUsers(userCount, userPattern, userNames, extraUsers, problems, k);
    for (const admin of adminUsers) {
        if (users && !users.includes(admin)) {
            problems.push(`${k("adminUsers")}: "${admin}" is not one of the accounts; admins must be among the users (add it to ${k("extraUsers")})`);
        }
    }
    const baseKey = userNames.length > 0 ? "userNames" : "users";
    const accounts = users && (baseKey === "userNames" || userCount !== undefined) ? accountsText(users.length, baseKey, users.length - (userNames.length || userCount!), k) : undefined;
    const maxServersSetting = r.wordOrInteger("maxServers", "all", 1, users?.length, `"all" or an integer from 1 to ${accounts ? `the ${accounts}` : "the number of accounts"}`);
    const maxServers = maxServersSetting === "all" ? users?.length : maxServersSetting;
    const attendees = users?.slice(0, users.length - extraUsers.length);
    return { users, attendees, accounts, adminUsers, maxServers };
}

/** The notebook image and what each server is given of memory and CPU. */
function readServerResources(r: Reader, problems: string[]): Pick<HubDraft, "image" | "memoryLimit" | "memoryGuarantee" | "cpuLimit" | "cpuGuarantee"> {
    const k = r.label;
    const notebookImage = r.string("notebookImage", {
        pattern: /^[a-z0-9]([a-z0-9._\/:-]*[a-z0-9])?(@sha256:[0-9a-f]{64})?$/,
        allowed: "an image name such as quay.io/jupyter/scipy-notebook (no tag), or NAME@sha256: and its 64 hex digits",
    });
    const [name, digest] = notebookImage?.split("@") ?? [];
    const tag = r.string("notebookTag", { pattern: /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/, allowed: "an image tag such as 2025-03-14" });
    if (notebookImage && tag === "" && !digest) {
        problems.push(`${k("notebookTag")}: required unless ${k("notebookImage")} pins a digest (NAME@sha256:...)`);
    }
    const memoryLimit = r.quantity("memoryLimit", "a memory size such as 8G or 8Gi");
    const memoryGuarantee = r.quantity("memoryGuarantee", "a memory size such as 4G or 4Gi");
    if (memoryLimit && memoryGuarantee && memoryGuarantee.bytes > memoryLimit.bytes) {
        problems.push(`${k("memoryGuarantee")}: ${memoryGuarantee.text} is more than ${k("memoryLimit")} ${memoryLimit.text}; the guarantee must not exceed the limit`);
    }
    const cpuLimit = r.optionalNumber("cpuLimit", 0.1, 64);
    const cpuGuarantee = r.optionalNumber("cpuGuarantee", 0.1, 64);
    if (cpuLimit !== undefined && cpuGuarantee !== undefined && cpuGuarantee > cpuLimit) {
        problems.push(`${k("cpuGuarantee")}: ${cpuGuarantee} is more than ${k("cpuLimit")} ${cpuLimit}; the guarantee must not exceed the limit`);
    }
    return { image: { name, tag, ...(digest ? { digest } : {}) }, memoryLimit, memoryGuarantee, cpuLimit, cpuGuarantee };
}

/** The README's text: the setting, the file it names (relative to the project), or undefined for the built-in one. */
function readQuickstartReadme(r: Reader, projectDir: string, problems: string[]): string | undefined {
    const k = r.label;
    const readmeText = r.string("quickstartReadme");
    const readmeFile = r.string("quickstartReadmeFile");
    if (readmeText && readmeFile) {
        problems.push(`${k("quickstartReadmeFile")}: set either it or ${k("quickstartReadme")}, not both`);
        return undefined;
    }
    let text: string | undefined = readmeText || undefined;
    if (readmeFile) {
        const read = readProjectTextFile(projectDir, readmeFile);
        if (typeof read === "string") problems.push(`${k("quickstartReadmeFile")}: ${read}`);
        else text = read.text;
    }
    const problem = text === undefined ? undefined : readmeTextProblem(text);
    if (problem) problems.push(`${k(readmeFile ? "quickstartReadmeFile" : "quickstartReadme")}: ${problem}`);
    return text;
}

/** A checked draft as the program uses it. */
function finishHub(d: HubDraft, namespace: string, shared: Pick<HubConfig, "allowPlainHttp" | "letsEncryptEmail" | "letsEncryptStaging">, name: string | undefined): Workshop {
    const hub: HubConfig = {
        namespace,
        hostname: d.hostname,
        autoHostname: d.autoHostname,
        tls: d.tls,
        ...shared,
        image: { name: d.image!.name!, tag: d.image!.tag!, ...(d.image!.digest ? { digest: d.image!.digest } : {}) },
        memoryLimit: d.memoryLimit!.text,
        memoryGuarantee: d.memoryGuarantee!.text,
        cpuLimit: d.cpuLimit,
        cpuGuarantee: d.cpuGuarantee,
        startTimeoutSeconds: d.startTimeout!,
        cullIdleTimeoutSeconds: d.cullIdleTimeout!,
        userPlaceholders: d.userPlaceholders!,
        maxServers: d.maxServers!,
        quickstartReadme: d.quickstartReadme,
        users: d.users!,
        attendees: d.attendees!,
        adminUsers: d.adminUsers,
        egress: d.egress!,
    };
    const storage: HubStorageSizes = {
        perUser: d.perUser!.text,
        perUserBytes: d.perUser!.bytes,
        scratchSize: d.scratch!.text,
        scratchBytes: d.scratch!.bytes,
        materialsSize: d.materials!.text,
        materialsBytes: d.materials!.bytes,
    };
    return name === undefined ? { hub, storage } : { name, hub, storage };
}

/** Two workshops cannot share a hostname: the router sends each name to one hub. */
function hostnameClashes(entries: readonly WorkshopEntry[], drafts: readonly HubDraft[]): string[] {
    const problems: string[] = [];
    const owner = new Map<string, number>();
    drafts.forEach((d, i) => {
        if (!d.hostname) return;
        const first = owner.get(d.hostname);
        if (first === undefined) {
            owner.set(d.hostname, i);
            return;
        }
        const other = `${NAMESPACE}:workshops[${first}]`;
        const own = `${NAMESPACE}:workshops[${entries[i].index}].hubHostname`;
        const fix = "give each workshop a hostname of its own, or none (it is then at http://<public IP>/<name>/)";
        problems.push(
            d.label("hubHostname") === own
                ? `${own}: ${d.hostname} is also the hostname of ${other}; ${fix}`
                : `${own}: not set, so it is ${NAMESPACE}:hubHostname ${d.hostname}, which is also the hostname of ${other}; ${fix}`,
        );
    });
    return problems;
}

/** Scratch and materials have hard quotas of their size: together (every workshop's) they must fit on the data volume. */
function foldersFitProblems(drafts: readonly HubDraft[], volumeGb: number | undefined, several: boolean): string[] {
    if (!volumeGb || drafts.some((d) => !d.scratch || !d.materials)) return [];
    const bytes = drafts.reduce((n, d) => n + d.scratch!.bytes + d.materials!.bytes, 0);
    if (bytes < volumeGb * 1e9) return [];
    if (!several) {
        const { scratch, materials } = drafts[0];
        return [`${NAMESPACE}:scratchSize: ${scratch!.text} of scratch and ${materials!.text} of materials (${NAMESPACE}:materialsSize) do not fit on the ${volumeGb} GB data volume (${NAMESPACE}:dataVolumeSize)`];
    }
    const each = drafts.map((d, i) => `workshops[${i}] ${d.scratch!.text} + ${d.materials!.text}`).join(", ");
    return [`${NAMESPACE}:dataVolumeSize: the workshops' scratch and materials folders (${each}) take ${(bytes / 1e9).toFixed(1)} GB, more than the ${volumeGb} GB data volume; raise it or lower their scratchSize and materialsSize`];
}

/** The records the program makes need a name to publish, inside the zone. */
function dnsProblems(provider: DnsProvider, zone: string | undefined, cloud: Cloud | undefined, drafts: readonly HubDraft[], several: boolean): string[] {
    const automatic = drafts.find((d) => d.autoHostname);
    if (automatic) {
        return [`${NAMESPACE}:dns: "${provider}" publishes a name of ${NAMESPACE}:dnsZone; with ${automatic.label("hubHostname")} auto, ${SSLIP_DOMAIN} answers for the name: set "none", or a hostname in the zone`];
    }
    const problems: string[] = [];
    if (!drafts.some((d) => d.hostname)) {
        const where = several ? `a hubHostname on a workshop (or ${NAMESPACE}:hubHostname)` : `${NAMESPACE}:hubHostname`;
        problems.push(`${NAMESPACE}:dns: "${provider}" needs ${where} (the name to publish)`);
    }
    if (!zone) problems.push(`${NAMESPACE}:dnsZone: required when ${NAMESPACE}:dns is "${provider}"`);
    if (provider === "designate" && cloud === "aws") problems.push(`${NAMESPACE}:dns: "designate" is OpenStack DNS; with ${NAMESPACE}:cloud aws use "route53" or "none"`);
    for (const d of drafts) {
        if (d.hostname && zone && !`${d.hostname}.`.endsWith(`.${zone.replace(/\.?$/, ".")}`)) {
            problems.push(`${NAMESPACE}:dnsZone: ${d.hostname} (${d.label("hubHostname")}) is not inside zone ${zone}`);
        }
    }
    return [...new Set(problems)];
}

interface NodeSettings {
    readonly workersRaw?: string;
    readonly workersFixed?: number;
    readonly masterFlavor?: Flavor;
    readonly workerFlavor?: Flavor;
    readonly scheduleOnMaster: boolean;
}

/** Workers for the one hub of a site without workshops: its servers at once and placeholders at its guarantee. */
function singleHubSizing(d: HubDraft, nodes: NodeSettings, problems: string[]): WorkerSizing | undefined {
    const { workerFlavor, masterFlavor, workersFixed } = nodes;
    const { memoryGuarantee, users, maxServers, userPlaceholders, accounts } = d;
    const sizable = workerFlavor && memoryGuarantee && users && maxServers !== undefined && userPlaceholders !== undefined && nodes.workersRaw;
    if (!sizable || (workersFixed !== undefined && workersFixed > MAX_WORKERS)) return undefined;
    // The servers that may run at once, not every account; placeholder pods hold a user's guarantee each, so the
    // workers must have room for them too.
    const result = sizeWorkers({ users: maxServers + userPlaceholders, memoryGuaranteeBytes: memoryGuarantee.bytes, flavor: workerFlavor, fixedWorkers: workersFixed });
    if (typeof result === "string") {
        problems.push(`${NAMESPACE}:workerFlavor: ${result} (${NAMESPACE}:memoryGuarantee is ${memoryGuarantee.text})`);
        return undefined;
    }
    if (masterFlavor && accounts) {
        const demand = { accounts, maxServers, limited: maxServers < users.length, placeholders: userPlaceholders, guarantee: memoryGuarantee };
        problems.push(...capacityProblems(result, { ...demand, masterFlavor, workerFlavor, scheduleOnMaster: nodes.scheduleOnMaster }));
    }
    return result;
}

/** Each workshop's servers at once and placeholders, at its own guarantee: what the site's nodes must hold. */
export function serverGroups(workshops: readonly { name?: string; hub: Pick<HubConfig, "maxServers" | "userPlaceholders" | "memoryGuarantee"> }[]): ServerGroup[] {
    return workshops.map((w, i) => ({ name: w.name ?? `workshops[${i}]`, servers: w.hub.maxServers + w.hub.userPlaceholders, guaranteeBytes: parseQuantity(w.hub.memoryGuarantee)! }));
}

/** Pods besides users' servers on a worker of a site with these workshops behind the router. */
export function routedSystemPodCount(workshops: readonly { hub: Pick<HubConfig, "hostname"> }[]): number {
    return routedSystemPods(workshops.length, workshops.filter((w) => w.hub.hostname).length).reduce((n, p) => n + p.count, 0);
}

/** Workers for several workshops: their servers packed first-fit decreasing by guarantee (components/sizing.ts). */
function packedSiteSizing(entries: readonly WorkshopEntry[], drafts: readonly HubDraft[], nodes: NodeSettings, problems: string[]): PackedSizing | undefined {
    const { workerFlavor, workersFixed } = nodes;
    const ready = drafts.every((d) => d.memoryGuarantee && d.maxServers !== undefined && d.userPlaceholders !== undefined);
    if (!ready || !workerFlavor || !nodes.workersRaw || (workersFixed !== undefined && workersFixed > MAX_WORKERS)) return undefined;
    const groups = drafts.map((d, i) => ({ name: entries[i].name ?? `workshops[${i}]`, servers: d.maxServers! + d.userPlaceholders!, guaranteeBytes: d.memoryGuarantee!.bytes }));
    const systemPods = routedSystemPods(drafts.length, drafts.filter((d) => d.hostname).length).reduce((n, p) => n + p.count, 0);
    const result = sizePackedWorkers({ groups, flavor: workerFlavor, systemPods, fixedWorkers: workersFixed });
    if (typeof result === "string") {
        const key = KUBELET_MAX_PODS - systemPods < 1 ? `${NAMESPACE}:workshops` : `${NAMESPACE}:workerFlavor`;
        problems.push(`${key}: ${result}`);
        return undefined;
    }
    problems.push(...packedCapacityProblems(result, groups, drafts, systemPods, nodes));
    return result;
}

/** "90 servers: python-intro 40 at 4G, remote-sensing 30 at 6G, data-viz 20 at 4G (maxServers + userPlaceholders of each)". */
function packedDemandText(groups: readonly ServerGroup[], drafts: readonly HubDraft[]): string {
    const total = groups.reduce((n, g) => n + g.servers, 0);
    return `${total} servers of the workshops (${groups.map((g, i) => `${g.name} ${g.servers} at ${drafts[i].memoryGuarantee!.text}`).join(", ")}: each one's maxServers and userPlaceholders)`;
}

/**
 * Auto: no more workers than the documented limit. Fixed: the workers (and the master, when user servers run there)
 * must hold every workshop's servers at once and placeholders, packed as the sizing packs them.
 */
function packedCapacityProblems(sizing: PackedSizing, groups: readonly ServerGroup[], drafts: readonly HubDraft[], systemPods: number, nodes: NodeSettings): string[] {
    const key = `${NAMESPACE}:workers`;
    const flavor = nodes.workerFlavor!;
    if (sizing.auto) {
        if (sizing.workers <= MAX_WORKERS) return [];
        return [`${key}: auto needs ${sizing.workers} workers of ${flavor.name} for ${packedDemandText(groups, drafts)}, more than ${MAX_WORKERS}; choose a larger ${NAMESPACE}:workerFlavor`];
    }
    const onMaster = nodes.scheduleOnMaster || sizing.workers === 0;
    if (onMaster && !nodes.masterFlavor) return [];
    const bins = Array.from({ length: sizing.workers }, (_, i) => workerBin(flavor, systemPods, `worker-${i + 1}`));
    if (onMaster) bins.push(workerBin(nodes.masterFlavor!, systemPods, "master"));
    const packed = packServers(groups, { fixed: bins });
    const left = Object.values(packed.unplaced).reduce((n, c) => n + c, 0);
    if (left === 0) return [];
    const needed = packServers(groups, { open: (i) => workerBin(flavor, systemPods, `worker-${i + 1}`) }).loads.length;
    const holders = `${sizing.workers === 0 ? "the master alone" : `${sizing.workers} worker${sizing.workers === 1 ? "" : "s"} of ${flavor.name}${onMaster ? " and the master" : ""}`}`;
    const placed = groups.reduce((n, g) => n + g.servers, 0) - left;
    const fix = needed <= MAX_WORKERS ? `set ${key} to ${needed} or "auto"` : `choose a larger ${NAMESPACE}:workerFlavor`;
    const label = sizing.workers === 0 ? "0 (master only)" : String(sizing.workers);
    return [`${key}: ${label}: ${holders} hold ${placed} of the ${packedDemandText(groups, drafts)}, packed by memory guarantee; ${fix}, or lower the workshops' maxServers`];
}

/**
 * Every home may grow to its quota, and scratch and materials to theirs: when together they exceed the data
 * volume, the volume fills before the quotas stop anyone, and then every write on it fails.
 */
function storageWarnings(workshops: readonly Workshop[], volumeGb: number): string[] {
    const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
    const volume = volumeGb * 1e9;
    const need = (w: Workshop) => w.hub.users.length * w.storage.perUserBytes + w.storage.scratchBytes + w.storage.materialsBytes;
    const total = workshops.reduce((n, w) => n + need(w), 0);
    if (total <= volume) return [];
    const over = `${gb(total - volume)} more than the ${volumeGb} GB data volume: it can fill up before the quotas stop anyone, and then every write on it fails`;
    if (workshops.length === 1 && workshops[0].name === undefined) {
        const { hub, storage } = workshops[0];
        return [
            `${NAMESPACE}:dataVolumeSize: ${hub.users.length} homes × ${storage.perUser} + ${storage.scratchSize} scratch + ${storage.materialsSize} materials = ${gb(total)}, ` +
                `${over} (raise ${NAMESPACE}:dataVolumeSize to ${Math.ceil(total / 1e9)} or lower ${NAMESPACE}:storagePerUser)`,
        ];
    }
    const each = workshops.map((w) => `${w.name} ${gb(need(w))}`).join(", ");
    return [`${NAMESPACE}:dataVolumeSize: the workshops' homes at their quotas, scratch and materials (${each}) = ${gb(total)}, ${over} (raise ${NAMESPACE}:dataVolumeSize to ${Math.ceil(total / 1e9)} or lower the workshops' storagePerUser)`];
}

/** `esiphub:allowPlainHttp` is for development: said on every `plan` and `up`, whether or not it changes anything. */
function plainHttpWarnings(allowPlainHttp: boolean, workshops: readonly Workshop[]): string[] {
    if (!allowPlainHttp) return [];
    const plain = workshops.filter((w) => !w.hub.tls);
    const several = workshops.length > 1 || workshops[0].name !== undefined;
    if (plain.length === 0) {
        return [`${NAMESPACE}:allowPlainHttp: true, but ${several ? "every workshop's hub" : "the hub"} has HTTPS (${NAMESPACE}:hubHostname), so it changes nothing; remove it`];
    }
    const which = several ? `the hubs of ${plain.map((w) => w.name).join(", ")} serve` : "the hub serves";
    return [
        `${NAMESPACE}:allowPlainHttp: true: ${which} plain HTTP, so attendees' passwords and session cookies cross the venue's network in clear; ` +
            `for development only: give ${several ? "each" : "it"} a name (${NAMESPACE}:hubHostname, or "auto") before any workshop`,
    ];
}

/** The value that asks for an automatic hub name (`esiphub:hubHostname: auto`). */
export const AUTO_HOSTNAME = "auto";

/** `esiphub:userEgressPorts`: `["all"]`, or ports as `PORT` / `PORT/tcp` / `PORT/udp`, added to what a workshop needs. */
function parseUserEgress(entries: string[] | undefined, problems: string[], k: (key: string) => string = flatLabel): UserEgress | undefined {
    if (entries === undefined) return undefined;
    if (entries.includes("all")) {
        if (entries.length > 1) problems.push(`${k("userEgressPorts")}: "all" opens every port; list it alone`);
        return { all: true };
    }
    const ports = [...WORKSHOP_EGRESS_PORTS];
    entries.forEach((entry, i) => {
        const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(entry.trim());
        const port = m ? Number(m[1]) : NaN;
        if (!m || port < 1 || port > 65535) {
            problems.push(`${k("userEgressPorts")}: item ${i + 1} must be a port from 1 to 65535 as PORT or PORT/udp (or the list ["all"]), got "${entry}"`);
            return;
        }
        const protocol = (m[2] ?? "tcp").toUpperCase() as EgressPort["protocol"];
        if (!ports.some((p) => p.port === port && p.protocol === protocol)) ports.push({ port, protocol });
    });
    return { all: false, ports };
}

/** The quickstart README goes into the chart's values and every home: text, small, and never a key. */
export const README_MAX_BYTES = 64 * 1024;
const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----|PuTTY-User-Key-File-\d+:/;

/** What is wrong with a quickstart README's text, or undefined. */
function readmeTextProblem(text: string): string | undefined {
    if (PRIVATE_KEY.test(text)) return "contains a private key, which would be copied into every user's home; remove it";
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > README_MAX_BYTES) return `is ${bytes} bytes, more than ${README_MAX_BYTES} (it travels in the chart's values to every home); link to larger material instead`;
    return undefined;
}

/**
 * A text file named by a setting, read only from inside the project folder: a relative path without `..`, a regular
 * file that does not lead out of the folder through a symbolic link, UTF-8, at most README_MAX_BYTES. The text, or
 * what is wrong (with the path as written).
 */
export function readProjectTextFile(projectDir: string, relative: string): { text: string } | string {
    const inside = "must be a path inside the project folder, relative to it";
    if (path.isAbsolute(relative)) return `${inside} (not an absolute path), got "${relative}"`;
    if (relative.split(/[\\/]/).includes("..")) return `${inside}, without "..", got "${relative}"`;
    let real: string;
    let root: string;
    try {
        root = fs.realpathSync(projectDir);
        real = fs.realpathSync(path.join(projectDir, relative));
    } catch {
        return `no file at "${relative}" in the project folder`;
    }
    if (!real.startsWith(root + path.sep)) return `"${relative}" leads out of the project folder through a symbolic link; copy the file into the folder`;
    let fd: number;
    try {
        // The resolved path, without following a link planted there since: what was checked is what is read.
        fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (e) {
        return `cannot read "${relative}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    try {
        const stat = fs.fstatSync(fd);
        if (!stat.isFile()) return `"${relative}" is not a regular file`;
        if (stat.size > README_MAX_BYTES) return `"${relative}" is ${stat.size} bytes, more than ${README_MAX_BYTES} (it travels in the chart's values to every home); link to larger material instead`;
        const bytes = fs.readFileSync(fd);
        try {
            return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
        } catch {
            return `"${relative}" is not UTF-8 text`;
        }
    } finally {
        fs.closeSync(fd);
    }
}

/** True when the two absolute paths are equal or one is inside the other. */
function nestedPaths(a: string, b: string): boolean {
    const inside = (p: string, dir: string) => p === dir || p.startsWith(`${dir.replace(/\/$/, "")}/`);
    return inside(a, b) || inside(b, a);
}

/** `IPv4` or `IPv4:PORT`. */
function isResolverAddress(text: string): boolean {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(text);
    return !!m && !!parseCidr(`${m[1]}/32`) && (m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 65535));
}

/** Unknown namespaces and unknown `esiphub:` settings, each with the nearest known name when it looks like a typo. */
function unknownKeys(fullKeys: readonly string[]): string[] {
    const problems: string[] = [];
    const settings = CONFIG_KEYS.map((k) => k.key);
    for (const fullKey of fullKeys) {
        const colon = fullKey.indexOf(":");
        const ns = colon < 0 ? "" : fullKey.slice(0, colon);
        const key = fullKey.slice(colon + 1);
        if (!CONFIG_NAMESPACES.includes(ns)) {
            const nearNs = closest(ns, CONFIG_NAMESPACES);
            const nearKey = nearNs === NAMESPACE && !settings.includes(key) ? closest(key, settings) : key;
            const hint = nearNs ? `did you mean ${nearNs}:${nearKey ?? key}? ` : "";
            problems.push(`${fullKey}: unknown namespace "${ns}"; ${hint}(namespaces: ${CONFIG_NAMESPACES.join(", ")})`);
        } else if (ns === NAMESPACE && !settings.includes(key)) {
            const near = closest(key, settings);
            const hint = near ? `did you mean ${NAMESPACE}:${near}? (` : "";
            problems.push(`${fullKey}: unknown setting; ${hint}the settings are listed in Pulumi.yaml and the README${near ? ")" : ""}`);
        }
    }
    return problems;
}

/** "62 accounts (esiphub:users 60 + 2 esiphub:extraUsers)": how the accounts are counted, everywhere. */
function accountsText(total: number, baseKey: "users" | "userNames", extra: number, k: (key: string) => string = flatLabel): string {
    const base = `${k(baseKey)} ${total - extra}`;
    return `${total} accounts (${extra > 0 ? `${base} + ${extra} ${k("extraUsers")}` : base})`;
}

/**
 * "45 servers at once (esiphub:maxServers) of 62 accounts (...) and 4 placeholders (esiphub:userPlaceholders)": what
 * the workers are sized for, as the capacity messages say it.
 */
function demandText(site: { accounts: string; maxServers: number; limited: boolean; placeholders: number }): string {
    const servers = site.limited ? `${site.maxServers} servers at once (${NAMESPACE}:maxServers) of ${site.accounts}` : site.accounts;
    return site.placeholders > 0 ? `${servers} and ${site.placeholders} placeholders (${NAMESPACE}:userPlaceholders)` : servers;
}

/**
 * A fixed `esiphub:workers` that cannot hold the servers that may run at once (every account unless
 * `esiphub:maxServers` says fewer) and the placeholders at their memory guarantee (the master counts when user servers
 * run on it), or an auto size beyond the documented limit of workers.
 */
function capacityProblems(
    sizing: WorkerSizing,
    site: {
        accounts: string;
        /** Servers that may run at once; `limited` when that is fewer than the accounts. */
        maxServers: number;
        limited: boolean;
        placeholders: number;
        guarantee: { text: string; bytes: number };
        masterFlavor: Flavor;
        workerFlavor: Flavor;
        scheduleOnMaster: boolean;
    },
): string[] {
    const key = `${NAMESPACE}:workers`;
    const at = `at the ${site.guarantee.text} memory guarantee (${NAMESPACE}:memoryGuarantee)`;
    if (sizing.auto) {
        if (sizing.workers <= MAX_WORKERS) return [];
        return [
            `${key}: auto needs ${sizing.workers} workers of ${site.workerFlavor.name} (${sizing.usersPerWorker} users each ${at}) for ${demandText(site)}, ` +
                `more than ${MAX_WORKERS}; choose a larger ${NAMESPACE}:workerFlavor`,
        ];
    }
    const demand = site.maxServers + site.placeholders;
    const onMaster = site.scheduleOnMaster || sizing.workers === 0;
    const capacity = userCapacity({ ...sizing, masterFlavor: site.masterFlavor, onMaster }, site.guarantee.bytes);
    if (capacity.total >= demand) return [];
    const holders = [
        ...(sizing.workers > 0 ? [`${sizing.workers} worker${sizing.workers === 1 ? "" : "s"} of ${site.workerFlavor.name} hold ${sizing.usersPerWorker} users each`] : []),
        ...(onMaster ? [`the ${site.masterFlavor.name} master holds ${capacity.master} users`] : []),
    ];
    const keptOnMaster = site.scheduleOnMaster ? capacity.master : 0;
    const needed = Math.ceil((demand - keptOnMaster) / sizing.usersPerWorker);
    const fixes = [needed <= MAX_WORKERS ? `set ${key} to ${needed} or "auto"` : `choose a larger ${NAMESPACE}:workerFlavor`];
    // Fewer servers at once is the other way: what the workers hold besides the placeholders.
    const fits = capacity.total - site.placeholders;
    if (fits >= 1) fixes.push(`${NAMESPACE}:maxServers to ${fits} (servers at once)`);
    const label = sizing.workers === 0 ? "0 (master only)" : String(sizing.workers);
    return [`${key}: ${label}: ${holders.join(" and ")} ${at}, a capacity of ${capacity.total} for ${demandText(site)}; ${fixes.join(", or ")}`];
}

/**
 * How many users' memory guarantees fit on the site: on the workers, and on the master when user servers run there
 * (sized like a worker, by components/sizing.ts).
 */
export function userCapacity(
    nodes: { readonly workers: number; readonly usersPerWorker: number; readonly masterFlavor: Flavor; readonly onMaster: boolean },
    guaranteeBytes: number,
): { workers: number; master: number; total: number } {
    const sized = nodes.onMaster ? sizeWorkers({ users: 1, memoryGuaranteeBytes: guaranteeBytes, flavor: nodes.masterFlavor, fixedWorkers: 0 }) : undefined;
    const master = sized && typeof sized !== "string" ? sized.usersPerWorker : 0;
    const workers = nodes.workers * nodes.usersPerWorker;
    return { workers, master, total: workers + master };
}

/** userCapacity of a parsed site: the users' servers its nodes hold at the memory guarantee. */
export function siteCapacity(config: SiteConfig): number {
    const { nodes } = config;
    if (config.router) return packedCapacity(config);
    return userCapacity({ ...nodes.sizing, masterFlavor: nodes.masterFlavor, onMaster: nodes.scheduleOnMaster }, parseQuantity(config.hub.memoryGuarantee)!).total;
}

/**
 * With esiphub:workshops: the users' servers the nodes hold when every workshop's servers at once and placeholders
 * are packed as the sizing packs them, less the placeholders (at most the workshops' servers at once).
 */
function packedCapacity(config: SiteConfig): number {
    const { nodes } = config;
    const systemPods = routedSystemPodCount(config.workshops);
    const bins = Array.from({ length: nodes.workers }, (_, i) => workerBin(nodes.workerFlavor, systemPods, `worker-${i + 1}`));
    if (nodes.scheduleOnMaster) bins.push(workerBin(nodes.masterFlavor, systemPods, "master"));
    const placed = packServers(serverGroups(config.workshops), { fixed: bins }).loads.reduce((n, l) => n + l.pods, 0);
    return Math.max(0, placed - config.workshops.reduce((n, w) => n + w.hub.userPlaceholders, 0));
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The stack name prefixes every node's hostname (`<site>-worker-07`), which must be a DNS label of at most 63 characters. */
function siteNameProblems(site: string, workers: number): string[] {
    const longest = `${site}-worker-${String(Math.max(workers, 1)).padStart(2, "0")}`;
    if (DNS_LABEL.test(site) && longest.length <= 63) return [];
    return [
        `stack name "${site}": it prefixes node names such as ${longest}; use lower-case letters, digits and -, ` +
            `at most ${63 - (longest.length - site.length)} characters (rename Pulumi.${site}.yaml)`,
    ];
}

/** Every node needs an address of the node subnet; the cloud keeps some of them (components/cidr.ts). */
function checkSubnetHoldsNodes(subnetCidr: string, cloud: Cloud, nodes: number, problems: string[]): void {
    const prefix = parseCidr(subnetCidr)!.prefix;
    const free = assignableAddresses(prefix, cloud);
    if (free >= nodes) return;
    problems.push(
        `${NAMESPACE}:subnetCidr: ${subnetCidr} has ${free} addresses that ${cloud === "aws" ? "AWS" : "OpenStack"} gives to VMs, but the site has ${nodes} nodes; use a /${smallestPrefixFor(nodes, cloud)} or larger`,
    );
}

function resolveUsers(
    count: number | undefined,
    pattern: string | undefined,
    names: string[],
    extra: string[],
    problems: string[],
    k: (key: string) => string,
): string[] | undefined {
    let base: string[] | undefined;
    if (names.length > 0) {
        if (count !== undefined && names.length !== count) {
            problems.push(`${k("userNames")}: lists ${names.length} names but ${k("users")} is ${count}; set ${k("users")} to ${names.length}`);
        }
        base = names;
    } else if (pattern !== undefined && count !== undefined) {
        const placeholders = pattern.match(/\{n+\}/g) ?? [];
        if (placeholders.length !== 1) {
            problems.push(`${k("userPattern")}: must contain exactly one of {n}, {nn}, {nnn}, got "${pattern}"`);
            return undefined;
        }
        const width = placeholders[0].length - 2;
        base = Array.from({ length: count }, (_, i) => pattern.replace(/\{n+\}/, String(i + 1).padStart(width, "0")));
        if (!USERNAME.test(base[0])) {
            problems.push(`${k("userPattern")}: makes "${base[0]}", which is not a valid user name (lower-case letter first, then letters, digits, - or _; at most 32)`);
            return undefined;
        }
    }
    if (!base) return undefined;
    const all = [...base, ...extra];
    const invalid = all.filter((u) => !USERNAME.test(u));
    for (const u of invalid) {
        const key = extra.includes(u) ? "extraUsers" : "userNames";
        problems.push(`${k(key)}: "${u}" is not a valid user name (lower-case letter first, then letters, digits, - or _; at most 32)`);
    }
    const seen = new Set<string>();
    const dupes = new Set<string>();
    for (const u of all) (seen.has(u) ? dupes : seen).add(u);
    if (dupes.size > 0) {
        problems.push(`${k(names.length > 0 ? "userNames" : "extraUsers")}: duplicate user names: ${[...dupes].join(", ")}`);
    }
    return invalid.length === 0 && dupes.size === 0 ? all : undefined;
}

function parseCustomFlavors(entries: string[], problems: string[]): Flavor[] {
    const flavors: Flavor[] = [];
    entries.forEach((entry, i) => {
        const flavor = parseCustomFlavor(entry);
        if (!flavor) problems.push(`${NAMESPACE}:customFlavors: item ${i + 1} must be NAME:VCPUS:RAM_GIB[:DISK_GB] such as m1.xlarge:8:16 or m1.xlarge:8:16:40, got "${entry}"`);
        else flavors.push(flavor);
    });
    return flavors;
}

/** A site setting's name in messages: `esiphub:users`. */
const flatLabel = (key: string) => `${NAMESPACE}:${key}`;

/** Typed access to raw config values that records a problem (and yields undefined) for each bad one. */
class Reader {
    private readonly specs = new Map(CONFIG_KEYS.map((k) => [k.key, k]));
    /**
     * `raw` holds the values by `esiphub:key`; `label` names a setting in messages (a workshop's reader names the
     * settings its entry sets by their path, `esiphub:workshops[1].memoryGuarantee`).
     */
    constructor(
        private readonly raw: Record<string, string>,
        private readonly problems: string[],
        private readonly yamlNumbers: Readonly<Record<string, string>>,
        readonly label: (key: string) => string = flatLabel,
    ) {}

    /** `; quote it: "1.30"` when YAML turned what the stack file says into another text (see ConfigSource). */
    private quoteHint(key: string): string {
        const written = this.yamlNumbers[this.label(key)];
        if (written === undefined) return "";
        return `; YAML reads ${written} as the number ${this.raw[`${NAMESPACE}:${key}`]}: quote it: "${written}"`;
    }

    /** Text settings (names, versions, tags) never take a number that YAML rewrote: 1.30 would silently be 1.3. */
    private rewrittenText(key: string): boolean {
        const hint = this.quoteHint(key);
        if (hint) this.problems.push(`${this.label(key)}: ${hint.slice(2)}`);
        return hint !== "";
    }

    private value(key: string): string | undefined {
        const spec = this.specs.get(key);
        if (!spec) throw new Error(`internal: ${key} is not in CONFIG_KEYS`);
        const v = this.raw[`${NAMESPACE}:${key}`];
        if (v !== undefined) return v;
        if (spec.default === undefined) {
            this.problems.push(`${this.label(key)}: required; ${spec.description}`);
            return undefined;
        }
        return Array.isArray(spec.default) ? JSON.stringify(spec.default) : String(spec.default);
    }

    private bad(key: string, allowed: string, got: string, secret = false): undefined {
        this.problems.push(`${this.label(key)}: must be ${allowed}, got ${secret ? "a value that is not" : JSON.stringify(got)}${this.quoteHint(key)}`);
        return undefined;
    }

    string(key: string, check?: { pattern: RegExp; allowed: string; secret?: boolean }): string | undefined {
        const v = this.value(key);
        if (v === undefined || this.rewrittenText(key)) return undefined;
        if (check && !check.pattern.test(v)) return this.bad(key, check.allowed, v, check.secret);
        return v;
    }

    /**
     * `word` (such as "all") or an integer from `min` to `max` (unchecked while `max` is unknown). A number is taken
     * as the number it is, however YAML wrote it.
     */
    wordOrInteger<T extends string>(key: string, word: T, min: number, max: number | undefined, allowed: string): T | number | undefined {
        const v = this.value(key);
        if (v === undefined) return undefined;
        if (v === word) return word as T;
        const n = Number(v);
        if (!/^\d+$/.test(v.trim()) || n < min || (max !== undefined && n > max)) return this.bad(key, allowed, v);
        return n;
    }

    oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
        const v = this.value(key);
        if (v === undefined || this.rewrittenText(key)) return undefined;
        if (!(allowed as readonly string[]).includes(v)) return this.bad(key, `one of ${allowed.join(", ")}`, v);
        return v as T;
    }

    integer(key: string, min: number, max: number): number | undefined {
        const v = this.value(key);
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!/^-?\d+$/.test(v.trim()) || n < min || n > max) return this.bad(key, `an integer from ${min} to ${max}`, v);
        return n;
    }

    optionalNumber(key: string, min: number, max: number): number | undefined {
        const v = this.value(key);
        if (v === undefined || v === "") return undefined;
        const n = Number(v);
        if (!Number.isFinite(n) || n < min || n > max) return this.bad(key, `empty or a number from ${min} to ${max}`, v);
        return n;
    }

    boolean(key: string): boolean | undefined {
        const v = this.value(key);
        if (v === undefined) return undefined;
        if (v !== "true" && v !== "false") return this.bad(key, "true or false", v);
        return v === "true";
    }

    array(key: string, opts: { min?: number } = {}): string[] | undefined {
        const v = this.value(key);
        if (v === undefined) return undefined;
        let parsed: unknown;
        try {
            parsed = JSON.parse(v);
        } catch {
            return this.bad(key, "a list of strings", v);
        }
        if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== "string")) return this.bad(key, "a list of strings", v);
        if (opts.min !== undefined && parsed.length < opts.min) return this.bad(key, `a list of at least ${opts.min} item`, v);
        return parsed as string[];
    }

    cidr(key: string, minPrefix: number, maxPrefix: number): string | undefined {
        const v = this.value(key);
        if (v === undefined) return undefined;
        const c = parseCidr(v);
        if (!c || c.prefix < minPrefix || c.prefix > maxPrefix) return this.bad(key, `an IPv4 CIDR from /${minPrefix} to /${maxPrefix} such as 10.10.0.0/24`, v);
        if (c.hostBits) {
            this.problems.push(`${this.label(key)}: "${v}" has host bits set, which AWS refuses; the network meant is ${networkCidr(c)}`);
            return undefined;
        }
        return v;
    }

    quantity(key: string, allowed: string): { text: string; bytes: number } | undefined {
        const v = this.value(key);
        if (v === undefined) return undefined;
        const bytes = parseQuantity(v);
        if (bytes === undefined || bytes <= 0) return this.bad(key, allowed, v);
        return { text: v, bytes };
    }
}

