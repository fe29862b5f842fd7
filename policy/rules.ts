/**
 * ESIPHub's guardrails as plain functions over a neutral view of a resource. The CrossGuard pack (policy/pack.ts)
 * and the offline checker (`esiphub plan`, through checkPlannedResources) both run these same rules.
 * This module must not import @pulumi/policy or the Pulumi runtime: the CLI uses it without either.
 */

export type Enforcement = "mandatory" | "advisory";

/** A resource as a rule sees it, whoever produced it. */
export interface ResourceView {
    type: string;
    name: string;
    urn?: string;
    /** The resource's inputs. Under `esiphub plan` secret values read "[secret]"; under CrossGuard they are in clear. */
    props: Record<string, any>;
    /** Undefined when the caller cannot see it: CrossGuard's analyzer protocol does not carry retainOnDelete. */
    retainOnDelete?: boolean;
    protect?: boolean;
    /** Output properties the engine stores encrypted in the state (the `additionalSecretOutputs` option). */
    additionalSecretOutputs?: string[];
}

/** What the rules need to know about the stack itself. */
export interface StackContext {
    /** `esiphub:keepDataOnDestroy`: the data volume must survive `pulumi destroy`. */
    keepDataOnDestroy: boolean;
    /** `esiphub:allowPlainHttp`: the hub may serve plain HTTP (development only); false when absent. */
    allowPlainHttp?: boolean;
}

export interface Violation {
    policy: string;
    enforcement: Enforcement;
    urn: string;
    message: string;
}

export interface Rule {
    /** CrossGuard policy name (unique in the pack, kebab-case). */
    name: string;
    description: string;
    enforcement: Enforcement;
    /** One message per problem; none when the resource keeps the rule or the rule is not about it. Never quotes a secret. */
    check(resource: ResourceView, ctx: StackContext): string[];
    /** Why the rule cannot judge this resource from what the caller sees, when that is so. */
    unobservable?(resource: ResourceView, ctx: StackContext): string | undefined;
    /** The rule reads the StackContext (the policy pack then takes it as the policy's configuration). */
    usesStackContext?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Security groups: no rule opens SSH, the Kubernetes API or NFS to the whole internet.

const GUARDED_PORTS: readonly { port: number; service: string; allowed: string }[] = [
    { port: 22, service: "SSH", allowed: "only from esiphub:adminCidrs" },
    { port: 6443, service: "the Kubernetes API", allowed: "only from esiphub:adminCidrs" },
    { port: 2049, service: "NFS", allowed: "only from the node subnet" },
];

export const SECURITY_GROUP_TYPES = {
    openstackRule: "openstack:networking/secGroupRule:SecGroupRule",
    awsIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    awsGroup: "aws:ec2/securityGroup:SecurityGroup",
    awsLegacyRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
} as const;

/** An inbound permission: a protocol, a port range and where traffic may come from. */
interface Opening {
    /** Where in the resource it is, for the message ("" for a one-rule resource). */
    where: string;
    protocol: unknown;
    fromPort: unknown;
    toPort: unknown;
    sources: unknown[];
}

/** "all": every protocol; "ports": a protocol with ports (TCP, UDP, SCTP…); "none": one without (ICMP…). */
function protocolScope(protocol: unknown): "all" | "ports" | "none" {
    const p = String(protocol ?? "").trim().toLowerCase();
    // Neutron: no protocol = any; AWS: "-1" (or "all") = every protocol and port.
    if (p === "" || p === "-1" || p === "all" || p === "any") return "all";
    // By name or by IANA number: tcp 6, udp 17, dccp 33, sctp 132, udplite 136.
    if (["tcp", "udp", "sctp", "dccp", "udplite", "6", "17", "33", "132", "136"].includes(p)) return "ports";
    return "none";
}

function asPort(value: unknown): number | undefined {
    const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** A missing (or 0/-1) bound means "from the lowest" / "to the highest" port, as Neutron reads an unset range. */
function coversPort(opening: Opening, port: number): boolean {
    const scope = protocolScope(opening.protocol);
    if (scope === "all") return true;
    if (scope === "none") return false;
    const from = asPort(opening.fromPort) ?? 0;
    const to = asPort(opening.toPort) ?? 65535;
    return from <= port && port <= to;
}

/** Any CIDR with a /0 prefix (0.0.0.0/0, ::/0, …) is the whole address space. */
function isEverywhere(source: unknown): boolean {
    return typeof source === "string" && /^[0-9a-f.:]+\/0+$/i.test(source.trim());
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined || value === null || value === "" ? [] : [value]);

function openings(resource: ResourceView): Opening[] {
    const p = resource.props;
    switch (resource.type) {
        case SECURITY_GROUP_TYPES.openstackRule: {
            if (String(p.direction ?? "ingress").toLowerCase() !== "ingress") return [];
            // Neutron: no remote prefix and no remote group = any source of the rule's ethertype.
            const anywhere = String(p.ethertype ?? "IPv4").toLowerCase() === "ipv6" ? "::/0" : "0.0.0.0/0";
            const sources = p.remoteIpPrefix ? [p.remoteIpPrefix] : p.remoteGroupId ? [] : [anywhere];
            return [{ where: "", protocol: p.protocol, fromPort: p.portRangeMin, toPort: p.portRangeMax, sources }];
        }
        case SECURITY_GROUP_TYPES.awsIngressRule:
            return [{ where: "", protocol: p.ipProtocol, fromPort: p.fromPort, toPort: p.toPort, sources: [...list(p.cidrIpv4), ...list(p.cidrIpv6)] }];
        case SECURITY_GROUP_TYPES.awsLegacyRule:
            if (String(p.type ?? "").toLowerCase() !== "ingress") return [];
            return [{ where: "", protocol: p.protocol, fromPort: p.fromPort, toPort: p.toPort, sources: [...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks)] }];
        case SECURITY_GROUP_TYPES.awsGroup:
            return list(p.ingress).map((rule, i) => {
                const r = (rule ?? {}) as Record<string, unknown>;
                return { where: `ingress[${i}] `, protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, sources: [...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)] };
            });
        default:
            return [];
    }
}

const noPublicAdminPorts: Rule = {
    name: "no-public-admin-ports",
    description: "No security-group rule opens SSH (22), the Kubernetes API (6443) or NFS (2049) to 0.0.0.0/0 or ::/0.",
    enforcement: "mandatory",
    check(resource) {
        const messages: string[] = [];
        for (const opening of openings(resource)) {
            const everywhere = opening.sources.filter(isEverywhere);
            if (everywhere.length === 0) continue;
            for (const guarded of GUARDED_PORTS) {
                if (!coversPort(opening, guarded.port)) continue;
                messages.push(
                    `${opening.where}opens ${guarded.service} (port ${guarded.port}) to ${everywhere.join(" and ")}; ` +
                        `allow it ${guarded.allowed}`,
                );
            }
        }
        return messages;
    },
};

/** Private (RFC 1918) and shared (RFC 6598) ranges: the node subnet and VPNs, not other tenants' floating IPs. */
const PRIVATE_RANGES: readonly [number, number][] = [
    [0x0a000000, 8],
    [0xac100000, 12],
    [0xc0a80000, 16],
    [0x64400000, 10],
];

/** The prefix length of a public IPv4 CIDR, or undefined for anything else (private, IPv6, malformed, /0). */
function publicPrefix(source: unknown): number | undefined {
    const m = typeof source === "string" ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(source.trim()) : null;
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix < 1 || prefix > 32) return undefined;
    const address = octets.reduce((a, o) => a * 256 + o, 0);
    const inside = ([net, bits]: [number, number]) => Math.floor(address / 2 ** (32 - bits)) === Math.floor(net / 2 ** (32 - bits));
    return PRIVATE_RANGES.some(inside) ? undefined : prefix;
}

/** Admin ranges wider than this may hold other projects' floating IPs on the same cloud. */
export const WIDEST_ADMIN_PREFIX = 24;

const narrowAdminCidrs: Rule = {
    name: "admin-cidrs-narrow",
    description: `SSH (22) and the Kubernetes API (6443) are open to public ranges no wider than /${WIDEST_ADMIN_PREFIX}.`,
    enforcement: "advisory",
    check(resource) {
        const messages: string[] = [];
        for (const opening of openings(resource)) {
            const wide = opening.sources.filter((s) => {
                const prefix = publicPrefix(s);
                return prefix !== undefined && prefix < WIDEST_ADMIN_PREFIX;
            });
            if (wide.length === 0) continue;
            for (const guarded of GUARDED_PORTS.filter((g) => g.port !== 2049 && coversPort(opening, g.port))) {
                messages.push(
                    `${opening.where}opens ${guarded.service} (port ${guarded.port}) to ${wide.join(" and ")}, wider than a /${WIDEST_ADMIN_PREFIX}: ` +
                        "a range that wide can hold other projects' floating IPs; list your own addresses in esiphub:adminCidrs (`esiphub admin-ip SITE --mine`)",
                );
            }
        }
        return messages;
    },
};

// ---------------------------------------------------------------------------------------------------------------
// The NFS data volume survives `pulumi destroy` unless the stack allows deleting data.

export const DATA_VOLUME_TYPES = ["openstack:blockstorage/volume:Volume", "aws:ebs/volume:Volume"] as const;
/** The `role` tag (AWS) / metadata entry (Cinder) that the cloud layers (components/cloud.ts siteTags) put on the NFS data volume. */
export const DATA_VOLUME_ROLE = "storage";

/** The role label of a volume: OpenStack keeps it in `metadata`, AWS in `tags`. */
function roleOf(resource: ResourceView): unknown {
    const labels = { ...(resource.props.tags ?? {}), ...(resource.props.metadata ?? {}) } as Record<string, unknown>;
    const key = Object.keys(labels).find((k) => k.toLowerCase() === "role");
    return key === undefined ? undefined : labels[key];
}

export function isDataVolume(resource: ResourceView): boolean {
    return (DATA_VOLUME_TYPES as readonly string[]).includes(resource.type) && roleOf(resource) === DATA_VOLUME_ROLE;
}

const dataVolumeRetained: Rule = {
    name: "nfs-data-volume-retained",
    description:
        "The NFS data volume (homes and scratch) is kept on `pulumi destroy` (retainOnDelete or protect) unless the stack allows deleting data (esiphub:keepDataOnDestroy false).",
    enforcement: "mandatory",
    usesStackContext: true,
    check(resource, ctx) {
        if (!isDataVolume(resource) || !ctx.keepDataOnDestroy) return [];
        if (resource.retainOnDelete === true || resource.protect === true) return [];
        if (resource.retainOnDelete === undefined) return [];
        return [
            "the NFS data volume would be deleted by `pulumi destroy`: create it with retainOnDelete " +
                "(or set esiphub:keepDataOnDestroy to false if the users' data may go)",
        ];
    },
    unobservable(resource, ctx) {
        if (!isDataVolume(resource) || !ctx.keepDataOnDestroy || resource.protect === true || resource.retainOnDelete !== undefined) return undefined;
        return "retainOnDelete is not visible here (policy packs do not receive it); `esiphub plan <site>` checks it";
    },
};

// ---------------------------------------------------------------------------------------------------------------
// Remote commands that print a join command or a kubeconfig do not log what they print.

export const REMOTE_COMMAND_TYPE = "command:remote:Command";

/** Shell that writes a secret to stdout: a fresh join command, the admin kubeconfig, a raw kubeconfig view. */
const PRINTS_SECRET: readonly RegExp[] = [
    /token\s+create\b[^\n]*--print-join-command/,
    /\b(cat|base64|sudo\s+cat)\b[^\n|;&]*\badmin\.conf\b/,
    /\bkubectl\b[^\n]*\bconfig\s+view\b[^\n]*--raw/,
    /\bkubeadm\s+kubeconfig\s+user\b/,
];
/** Resource names that say the command's output is such a secret. */
const SECRET_OUTPUT_NAME = /join-?command|kubeconfig|admin-?conf/i;

export function printsClusterSecret(resource: ResourceView): boolean {
    if (resource.type !== REMOTE_COMMAND_TYPE) return false;
    if (SECRET_OUTPUT_NAME.test(resource.name)) return true;
    const texts = [resource.props.create, resource.props.update, resource.props.stdin].filter((t): t is string => typeof t === "string");
    return texts.some((text) => PRINTS_SECRET.some((re) => re.test(text)));
}

const secretCommandsNotLogged: Rule = {
    name: "cluster-secrets-not-logged",
    description: 'Every remote command whose output is a join command or a kubeconfig has logging "none" and its stdout stored as a secret.',
    enforcement: "mandatory",
    check(resource) {
        if (!printsClusterSecret(resource)) return [];
        const messages: string[] = [];
        const logging = resource.props.logging;
        if (logging !== "none") {
            messages.push(
                `prints a join command or kubeconfig and logs its output (logging: ${logging === undefined ? "unset, i.e. stdoutAndStderr" : JSON.stringify(logging)}); ` +
                    'set logging: "none" so the secret never reaches the Pulumi log',
            );
        }
        const secretOutputs = resource.additionalSecretOutputs;
        if (secretOutputs !== undefined && !secretOutputs.includes("stdout")) {
            messages.push('prints a join command or kubeconfig whose stdout would be stored in clear in the state; add the option additionalSecretOutputs: ["stdout"]');
        }
        return messages;
    },
};

// ---------------------------------------------------------------------------------------------------------------
// Helm charts: the hub's limits are set, the hub and the NFS provisioner charts are pinned, the image is pinned,
// and there is someone to call when an admin is ill.

export const HELM_RELEASE_TYPES = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"] as const;
export const HUB_CHART = "jupyterhub";
export const NFS_PROVISIONER_CHART = "nfs-subdir-external-provisioner";

/** The chart's name whether given as `name`, `repo/name`, a URL or a `.tgz` path. */
export function chartName(resource: ResourceView): string | undefined {
    if (!(HELM_RELEASE_TYPES as readonly string[]).includes(resource.type)) return undefined;
    const chart = resource.props.chart;
    if (typeof chart !== "string" || chart === "") return undefined;
    const last = chart.replace(/\/+$/, "").split("/").pop() ?? "";
    return last.replace(/-v?\d+\.\d+\.\d+[^/]*\.tgz$/, "").replace(/\.tgz$/, "");
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The release's values, or undefined when they cannot be read (absent, or secret as a whole under `esiphub plan`). */
function valuesOf(resource: ResourceView): Record<string, any> | undefined {
    const values = resource.props.values;
    if (values === undefined) return {};
    return isObject(values) ? values : undefined;
}

function at(values: Record<string, any>, path: string): unknown {
    return path.split(".").reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), values);
}

const isSet = (v: unknown): boolean => (typeof v === "string" ? v.trim() !== "" : typeof v === "number" ? v > 0 : false);

const UNREADABLE_VALUES = "its values cannot be read (secret as a whole?): keep only the secret fields secret so that the values can be checked and diffed";

const hubLimitsSet: Rule = {
    name: "hub-limits-set",
    description: "The JupyterHub chart sets singleuser.memory.limit and singleuser.storage.capacity.",
    enforcement: "mandatory",
    check(resource) {
        if (chartName(resource) !== HUB_CHART) return [];
        const values = valuesOf(resource);
        if (!values) return [UNREADABLE_VALUES];
        const messages: string[] = [];
        if (!isSet(at(values, "singleuser.memory.limit"))) {
            messages.push("singleuser.memory.limit is not set: one user could take a whole node's memory (esiphub:memoryLimit)");
        }
        if (!isSet(at(values, "singleuser.storage.capacity"))) {
            messages.push("singleuser.storage.capacity is not set: home directories would have no size (esiphub:storagePerUser)");
        }
        return messages;
    },
};

/** An exact chart version such as 4.4.0 (a leading v and a pre-release or build suffix allowed); no range. */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

const chartsPinned: Rule = {
    name: "charts-pinned",
    description: "The JupyterHub and nfs-subdir-external-provisioner charts are installed at an exact version.",
    enforcement: "mandatory",
    check(resource) {
        const chart = chartName(resource);
        if (chart !== HUB_CHART && chart !== NFS_PROVISIONER_CHART) return [];
        const version = resource.props.version;
        if (typeof version === "string" && EXACT_VERSION.test(version.trim())) return [];
        // A chart archive named with its version (jupyterhub-4.4.0.tgz) is pinned by its name.
        if (typeof resource.props.chart === "string" && /-v?\d+\.\d+\.\d+[^/]*\.tgz$/.test(resource.props.chart)) return [];
        const got = version === undefined || version === "" ? "no version" : `version ${JSON.stringify(version)}`;
        return [`chart ${chart} has ${got}: pin an exact version so that every deployment installs the same chart`];
    },
};

/** An image digest as it follows a name or a tag: `@sha256:` and 64 hex digits. */
const IMAGE_DIGEST = /@sha256:[0-9a-f]{64}$/;

/** The notebook image as the chart's values give it: name, tag (without a digest) and whether a digest pins it. */
function notebookImage(values: Record<string, any>): { name: unknown; tag: string | undefined; digest: boolean } {
    const name = at(values, "singleuser.image.name");
    const rawTag = at(values, "singleuser.image.tag");
    const digest = [name, rawTag].some((v) => typeof v === "string" && IMAGE_DIGEST.test(v));
    const tag = typeof rawTag === "string" && rawTag !== "" ? rawTag.replace(IMAGE_DIGEST, "") : undefined;
    const tagInName = typeof name === "string" ? /:([^:/@]+)(@|$)/.exec(name)?.[1] : undefined;
    return { name, tag: tag || tagInName, digest };
}

const notebookImagePinned: Rule = {
    name: "notebook-image-pinned",
    description: "The notebook image has a tag other than `latest`.",
    enforcement: "advisory",
    check(resource) {
        if (chartName(resource) !== HUB_CHART) return [];
        const values = valuesOf(resource);
        if (!values) return [UNREADABLE_VALUES];
        const image = notebookImage(values);
        if (image.tag === undefined) return ["singleuser.image.tag is not set: the chart's default tag would not match the custom image (esiphub:notebookTag)"];
        if (image.tag === "latest" && !image.digest) {
            return ['the notebook image tag is "latest": servers started minutes apart can get different images; pin a dated tag (esiphub:notebookTag)'];
        }
        return [];
    },
};

const notebookImageDigest: Rule = {
    name: "notebook-image-digest",
    description: "The notebook image is pinned by its digest (`NAME@sha256:...`), not by a tag alone.",
    enforcement: "advisory",
    check(resource) {
        if (chartName(resource) !== HUB_CHART) return [];
        const values = valuesOf(resource);
        if (!values) return [UNREADABLE_VALUES];
        const image = notebookImage(values);
        if (image.digest || image.tag === undefined) return [];
        return [
            `the notebook image ${String(image.name)}:${image.tag} is pinned by its tag alone, which its registry lets anyone with push rights move to another image; ` +
                "pin its digest: esiphub:notebookImage NAME@sha256:... (`docker buildx imagetools inspect NAME:TAG` prints it)",
        ];
    },
};

/**
 * The user names a hub config trait of the hub's values is set to: `hub.config.<Class>.<trait>` lists and
 * `c.<Class>.<trait> = …` lines in hub.extraConfig; undefined when nothing sets it.
 */
function hubUserSet(values: Record<string, any>, trait: string): string[] | undefined {
    let set = false;
    const names = new Set<string>();
    const config = at(values, "hub.config");
    if (isObject(config)) {
        for (const section of Object.values(config)) {
            if (isObject(section) && Array.isArray(section[trait])) {
                set = true;
                (section[trait] as unknown[]).filter((u): u is string => typeof u === "string").forEach((u) => names.add(u));
            }
        }
    }
    const extraConfig = at(values, "hub.extraConfig");
    const snippets = isObject(extraConfig) ? Object.values(extraConfig) : [];
    // c.Authenticator.admin_users = set(["a", "b"]) | {"a", "b"} | ["a", "b"]
    const assignment = new RegExp(`\\.${trait}\\s*=\\s*(?:set\\(\\s*)?[[{(]([^\\]})]*)[\\]})]`, "g");
    for (const snippet of snippets.filter((s): s is string => typeof s === "string")) {
        for (const m of snippet.matchAll(assignment)) {
            set = true;
            for (const name of m[1].matchAll(/(["'])((?:(?!\1).)*)\1/g)) names.add(name[2]);
        }
    }
    return set ? [...names].sort() : undefined;
}

/** The admin user names the hub gets: `hub.config.<Class>.admin_users` lists and `admin_users = …` lines in hub.extraConfig. */
export function hubAdminUsers(values: Record<string, any>): string[] {
    return hubUserSet(values, "admin_users") ?? [];
}

/** The attendees' accounts the hub's authenticator is told of (`attendee_users`); undefined when it is not told. */
export function hubAttendeeUsers(values: Record<string, any>): string[] | undefined {
    return hubUserSet(values, "attendee_users");
}

const adminsNotAttendees: Rule = {
    name: "admins-not-attendees",
    description: "No hub admin is an attendee's account (esiphub:userPattern or esiphub:userNames): admins can open every server and read every home.",
    enforcement: "mandatory",
    check(resource) {
        if (chartName(resource) !== HUB_CHART) return [];
        const values = valuesOf(resource);
        if (!values) return [UNREADABLE_VALUES];
        const admins = hubAdminUsers(values);
        if (admins.length === 0) return [];
        const attendees = hubAttendeeUsers(values);
        if (attendees === undefined) {
            return ["the hub's values do not say which accounts are the attendees' (c.PregeneratedAuthenticator.attendee_users), so no admin can be told apart from an attendee"];
        }
        const clash = admins.filter((a) => attendees.includes(a));
        if (clash.length === 0) return [];
        const one = clash.length === 1;
        return [
            `${one ? "hub admin" : "hub admins"} ${clash.join(", ")} ${one ? "is an attendee's account" : "are attendees' accounts"} (esiphub:userPattern / esiphub:userNames), ` +
                "and an admin can open every server and read every home; give the organisers accounts of their own in esiphub:extraUsers and name those in esiphub:adminUsers",
        ];
    },
};

const hubHttps: Rule = {
    name: "hub-https",
    description: "The hub serves HTTPS, so that attendees' passwords and session cookies never cross the network in clear (plain HTTP only with esiphub:allowPlainHttp, for development).",
    enforcement: "mandatory",
    usesStackContext: true,
    check(resource, ctx) {
        if (chartName(resource) !== HUB_CHART || ctx.allowPlainHttp) return [];
        const values = valuesOf(resource);
        if (!values) return [UNREADABLE_VALUES];
        if (at(values, "proxy.https.enabled") === true) return [];
        // A workshop's hub behind the site's router (esiphub:workshops): the router ends TLS for the hub's public URL.
        const publicUrl = at(values, "hub.config.JupyterHub.public_url");
        if (typeof publicUrl === "string" && publicUrl.startsWith("https://")) return [];
        return [
            "the hub serves plain HTTP: attendees' passwords and session cookies would cross the venue's network in clear; " +
                'set esiphub:hubHostname (a name of your own, or "auto" for <public IP>.sslip.io), or esiphub:allowPlainHttp: true for development only',
        ];
    },
};

const enoughAdmins: Rule = {
    name: "two-hub-admins",
    description: "The hub has at least two admin users, so that one person is not the only one who can help users.",
    enforcement: "advisory",
    check(resource) {
        if (chartName(resource) !== HUB_CHART) return [];
        const values = valuesOf(resource);
        if (!values) return [UNREADABLE_VALUES];
        const admins = hubAdminUsers(values);
        if (admins.length >= 2) return [];
        const who = admins.length === 0 ? "no admin user" : `one admin user (${admins[0]})`;
        return [`the hub has ${who}: name at least two in esiphub:adminUsers so that a helper can stop servers and check users`];
    },
};

/** Every rule, in the order their violations are listed. */
export const RULES: readonly Rule[] = [
    noPublicAdminPorts,
    dataVolumeRetained,
    secretCommandsNotLogged,
    hubLimitsSet,
    chartsPinned,
    notebookImagePinned,
    enoughAdmins,
    adminsNotAttendees,
    hubHttps,
    notebookImageDigest,
    narrowAdminCidrs,
];

/** Runs every rule on one resource. A rule that cannot judge the resource is a violation here: nothing passes unseen. */
export function checkResource(resource: ResourceView, ctx: StackContext, rules: readonly Rule[] = RULES): Violation[] {
    const urn = resource.urn ?? `${resource.type}::${resource.name}`;
    const violations: Violation[] = [];
    for (const rule of rules) {
        const blind = rule.unobservable?.(resource, ctx);
        const messages = blind ? [`cannot be checked: ${blind}`] : rule.check(resource, ctx);
        for (const message of messages) violations.push({ policy: rule.name, enforcement: rule.enforcement, urn, message });
    }
    return violations;
}

/** The fields of plan/run.ts's PlannedResource that the rules read (a PlannedResource fits it). */
export interface PlannedResourceView {
    urn: string;
    type: string;
    name: string;
    protect: boolean;
    retainOnDelete: boolean;
    inputs: Record<string, unknown>;
    additionalSecretOutputs: string[];
}

export function viewOfPlannedResource(r: PlannedResourceView): ResourceView {
    return {
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.inputs as Record<string, any>,
        retainOnDelete: r.retainOnDelete,
        protect: r.protect,
        additionalSecretOutputs: r.additionalSecretOutputs,
    };
}

/** The offline checker: every rule over every planned resource, mandatory violations first. */
export function checkPlannedResources(resources: readonly PlannedResourceView[], ctx: StackContext): Violation[] {
    const violations = resources.flatMap((r) => checkResource(viewOfPlannedResource(r), ctx));
    const rank = (v: Violation) => (v.enforcement === "mandatory" ? 0 : 1);
    return violations.map((v, i) => ({ v, i })).sort((a, b) => rank(a.v) - rank(b.v) || a.i - b.i).map(({ v }) => v);
}

export function hasMandatoryViolation(violations: readonly Violation[]): boolean {
    return violations.some((v) => v.enforcement === "mandatory");
}

/** Lines for a terminal: one per violation, with its level, policy, resource and message. */
export function formatViolations(violations: readonly Violation[]): string {
    if (violations.length === 0) return "Policy: no violations\n";
    const lines = violations.map((v) => `  ${v.enforcement.padEnd(9)} ${v.policy}  ${v.urn}\n            ${v.message}`);
    const mandatory = violations.filter((v) => v.enforcement === "mandatory").length;
    return `Policy: ${mandatory} mandatory, ${violations.length - mandatory} advisory violation(s)\n${lines.join("\n")}\n`;
}
