/**
 * Several workshops on one site (`esiphub:workshops`): the list as Pulumi hands it to the program, checked entry by
 * entry, and how each workshop's hub is named on the cluster. components/config.ts turns each entry into a hub's
 * settings (its own values over the site's flat keys).
 *
 * Pulumi gives a structured setting to the program as one JSON text under its key (pulumi/pulumi
 * sdk/go/common/workspace/config.go, validateStackConfigValue: "Content will be a JSON string if object is true"; the
 * Node SDK's `runtime.allConfig()` hands it on as that text), YAML's numbers and booleans as JSON numbers and
 * booleans; plan/stackfile.ts reads a stack file the same way. Pulumi.yaml cannot declare it: a project's config
 * types are string, integer, boolean and arrays of those (sdk/go/common/workspace/project.json, simpleConfigType), and
 * a declared type is checked against the stack's value (ValidateConfigValue), which a list of maps would fail.
 */
import { closest } from "./suggest";
import { PROVISIONER_NAMESPACE } from "./storage/values";
import { CERT_MANAGER_NAMESPACE, ROUTER_NAMESPACE } from "./router/values";

/** Settings a workshop may set for its own hub; what it leaves out comes from the site's flat key of the same name. */
export const WORKSHOP_SETTINGS: readonly string[] = [
    "users",
    "userPattern",
    "userNames",
    "extraUsers",
    "adminUsers",
    "maxServers",
    "notebookImage",
    "notebookTag",
    "memoryLimit",
    "memoryGuarantee",
    "cpuLimit",
    "cpuGuarantee",
    "storagePerUser",
    "scratchSize",
    "materialsSize",
    "quickstartReadme",
    "quickstartReadmeFile",
    "startTimeout",
    "cullIdleTimeout",
    "userPlaceholders",
    "hubHostname",
    "userEgressPorts",
];

/**
 * A workshop's name is its hub's namespace, a directory on the share and part of its Helm release's name
 * (`jupyterhub-<name>`, at most 53 characters: Helm's limit on release names, helm/pkg/chartutil/validate_name.go).
 */
export const WORKSHOP_NAME = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;
export const WORKSHOP_NAME_RULE = "a lower-case DNS label of at most 40 characters (letters, digits and -, a letter first), such as python-intro";

/** Namespaces the cluster or the site uses already: no workshop may take one. */
export const RESERVED_NAMESPACES: readonly string[] = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    // tigera-operator's namespaces (components/kubeadm/calico.ts).
    "tigera-operator",
    "calico-system",
    "calico-apiserver",
    PROVISIONER_NAMESPACE,
    ROUTER_NAMESPACE,
    CERT_MANAGER_NAMESPACE,
];

/** One entry of the list: where it is, its name when valid, and its settings as `esiphub:key` → text. */
export interface WorkshopEntry {
    readonly index: number;
    readonly name?: string;
    readonly values: Readonly<Record<string, string>>;
    /** The setting's name in messages: `esiphub:workshops[1].memoryGuarantee` when the entry sets it, the site's key otherwise. */
    label(setting: string): string;
}

export interface WorkshopListKeys {
    /** `esiphub:workshops`. */
    readonly key: string;
    /** The namespace of the flat keys, `esiphub`. */
    readonly namespace: string;
    /** Every other setting of the site, to tell a site-wide setting in an entry from a typo. */
    readonly siteSettings: readonly string[];
}

/**
 * The entries of `esiphub:workshops`, or undefined when the setting is absent or an empty list (the site is one hub).
 * Every problem goes to `problems`, named by its path (`esiphub:workshops[1].name: ...`); an entry with problems is
 * still returned, so that its hub's settings are checked too.
 */
export function readWorkshopEntries(text: string | undefined, keys: WorkshopListKeys, problems: string[]): WorkshopEntry[] | undefined {
    if (text === undefined) return undefined;
    const list = parseList(text);
    if (list === undefined) {
        problems.push(`${keys.key}: must be a list of workshops, each a map with a name and the hub's settings (see the README), got ${JSON.stringify(text)}`);
        return undefined;
    }
    if (list.length === 0) return undefined;
    const entries = list.map((item, index) => readEntry(item, index, keys, problems));
    problems.push(...duplicateNames(entries, keys.key));
    return entries;
}

function parseList(text: string): unknown[] | undefined {
    try {
        const parsed: unknown = JSON.parse(text);
        return Array.isArray(parsed) ? parsed : undefined;
    } catch {
        return undefined;
    }
}

function readEntry(item: unknown, index: number, keys: WorkshopListKeys, problems: string[]): WorkshopEntry {
    const at = `${keys.key}[${index}]`;
    const flat = (setting: string) => `${keys.namespace}:${setting}`;
    if (!item || typeof item !== "object" || Array.isArray(item)) {
        problems.push(`${at}: must be a map with a name and the hub's settings, such as {name: python-intro, users: 40}, got ${JSON.stringify(item)}`);
        return { index, values: {}, label: flat };
    }
    const fields = item as Record<string, unknown>;
    const values: Record<string, string> = {};
    for (const [setting, value] of Object.entries(fields)) {
        if (setting === "name") continue;
        const problem = settingProblem(setting, keys);
        if (problem) problems.push(`${at}.${setting}: ${problem}`);
        else if (value === null || value === undefined) problems.push(`${at}.${setting}: empty; give it a value or leave it out (the site's ${flat(setting)} applies then)`);
        else values[flat(setting)] = typeof value === "string" ? value : JSON.stringify(value);
    }
    const name = readName(fields.name, at, problems);
    const label = (setting: string) => (values[flat(setting)] !== undefined ? `${at}.${setting}` : flat(setting));
    return { index, name, values, label };
}

/** Why an entry may not carry this setting, or undefined when it may. */
function settingProblem(setting: string, keys: WorkshopListKeys): string | undefined {
    if (WORKSHOP_SETTINGS.includes(setting)) return undefined;
    if (keys.siteSettings.includes(setting)) return `a setting of the whole site, not of one workshop; set ${keys.namespace}:${setting} instead`;
    const near = closest(setting, [...WORKSHOP_SETTINGS, "name"]);
    return `unknown setting of a workshop; ${near ? `did you mean ${near}? ` : ""}(a workshop sets name and any of ${WORKSHOP_SETTINGS.join(", ")})`;
}

function readName(value: unknown, at: string, problems: string[]): string | undefined {
    if (value === undefined) {
        problems.push(`${at}.name: required; ${WORKSHOP_NAME_RULE} (it names the hub's namespace and Helm release)`);
        return undefined;
    }
    if (typeof value !== "string" || !WORKSHOP_NAME.test(value)) {
        problems.push(`${at}.name: must be ${WORKSHOP_NAME_RULE}, got ${JSON.stringify(value)}`);
        return undefined;
    }
    if (RESERVED_NAMESPACES.includes(value)) {
        problems.push(`${at}.name: "${value}" is a namespace the cluster uses already (${RESERVED_NAMESPACES.join(", ")}); choose another name`);
        return undefined;
    }
    return value;
}

function duplicateNames(entries: readonly WorkshopEntry[], key: string): string[] {
    const first = new Map<string, number>();
    const problems: string[] = [];
    for (const e of entries) {
        if (e.name === undefined) continue;
        const earlier = first.get(e.name);
        if (earlier === undefined) first.set(e.name, e.index);
        else problems.push(`${key}[${e.index}].name: "${e.name}" is also the name of ${key}[${earlier}]; each workshop needs a name of its own`);
    }
    return problems;
}

/** The Helm release of a workshop's hub; the one hub of a site without workshops keeps the chart's name. */
export function hubReleaseName(workshop: string | undefined, single: string): string {
    return workshop === undefined ? single : `${single}-${workshop}`;
}

/** Pulumi resource names of a workshop's pieces: `<base>-<workshop>`, or `<base>` for the one hub of a site without workshops. */
export function workshopResourceName(base: string, workshop: string | undefined): string {
    return workshop === undefined ? base : `${base}-${workshop}`;
}

/**
 * Where a workshop without a hostname is served behind the router: a path of the site's public IP named after it,
 * `http://<public IP>/<name>/` (plain HTTP: a certificate needs a name). The hub runs under that base URL.
 */
export function workshopBaseUrl(workshop: string, hostname: string | undefined): string {
    return hostname === undefined ? `/${workshop}/` : "/";
}
