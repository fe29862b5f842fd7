/**
 * The answer an organiser wants before any resource tree: how many VMs of which size, how many users each and
 * whether every account fits, where the hub is, how much storage, and what it costs. Pure: from the validated config,
 * its cost estimate and the hub's address.
 */
import { SiteConfig, siteCapacity } from "../components/config";
import { CostEstimate, CostUnit, formatAmount } from "../components/cost";

export interface NodeGroupSummary {
    readonly role: "master" | "nfs" | "worker";
    readonly count: number;
    readonly flavor: string;
    readonly vcpus: number;
    readonly ramGiB: number;
}

/** The `summary` object of `esiphub plan --json` (extend it; never rename or drop a field). */
export interface SiteSummary {
    readonly site: string;
    readonly cloud: string;
    readonly region: string;
    readonly nodes: { readonly count: number; readonly vcpus: number; readonly ramGiB: number; readonly groups: NodeGroupSummary[] };
    readonly users: {
        readonly accounts: number;
        readonly usersPerWorker: number;
        readonly workersAuto: boolean;
        /** Users that fit at their memory guarantee, on the workers and (when user servers run there) the master. */
        readonly capacity: number;
        readonly onMaster: boolean;
        readonly memoryGuarantee: string;
        readonly memoryLimit: string;
        /** Users' servers that may run at once (esiphub:maxServers): the accounts, or fewer, beyond which the hub refuses. */
        readonly maxServers: number;
    };
    /**
     * Null when the address is known only once deployed: plain HTTP on the public IP without `esiphub:hubHostname`, or
     * the automatic name (`auto`) of a public IP the cloud has not given yet.
     */
    readonly hubUrl: string | null;
    /** HTTPS (a hostname, given or automatic). */
    readonly https: boolean;
    readonly storage: { readonly perUser: string; readonly scratch: string; readonly dataVolumeGb: number; readonly keptOnDestroy: boolean };
    /** A site with esiphub:workshops: each workshop's hub (absent for a site of one hub). */
    readonly workshops?: WorkshopSummary[];
    readonly cost: {
        readonly unit: CostUnit;
        readonly workshopHours: number;
        readonly perWorkshop: number;
        /** Development scale: the master alone, always on, for a month. */
        readonly perMonth: number;
        /** The kept data volume per month after destroy; null when it is not kept. */
        readonly afterDestroyPerMonth: number | null;
        readonly complete: boolean;
    };
    /** When the event ends (`esiphub:eventEnds` as written: ISO 8601 with its zone); null when the stack file does not say. */
    readonly eventEnds: string | null;
}

/** One workshop of a site with esiphub:workshops. */
export interface WorkshopSummary {
    readonly name: string;
    readonly accounts: number;
    readonly maxServers: number;
    readonly memoryGuarantee: string;
    readonly memoryLimit: string;
    /**
     * `https://<hostname>` (given, or automatic: `<name>.<public IP with dashes>.sslip.io`), or null without one: the hub
     * is then at http://<public IP>/<name>/, known once deployed.
     */
    readonly hubUrl: string | null;
    /** HTTPS (a hostname, given or automatic). */
    readonly https: boolean;
    /** Its share of the workshop scale's cost (components/cost: by the memory its servers hold). */
    readonly costShare: number;
}

function workshopSummaries(config: SiteConfig, estimate: CostEstimate): WorkshopSummary[] {
    return config.workshops.map((w, i) => ({
        name: w.name!,
        accounts: w.hub.users.length,
        maxServers: w.hub.maxServers,
        memoryGuarantee: w.hub.memoryGuarantee,
        memoryLimit: w.hub.memoryLimit,
        hubUrl: w.hub.hostname ? `https://${w.hub.hostname}` : null,
        https: w.hub.tls,
        costShare: estimate.workshops?.[i].amount ?? 0,
    }));
}

export function siteSummary(config: SiteConfig, estimate: CostEstimate, hubUrl: unknown): SiteSummary {
    const { nodes } = config;
    const group = (role: NodeGroupSummary["role"], count: number, f: SiteConfig["nodes"]["masterFlavor"]): NodeGroupSummary => ({ role, count, flavor: f.name, vcpus: f.vcpus, ramGiB: f.ramGiB });
    const groups = [
        group("master", 1, nodes.masterFlavor),
        ...(nodes.dedicatedNfsNode ? [group("nfs", 1, nodes.masterFlavor)] : []),
        ...(nodes.workers > 0 ? [group("worker", nodes.workers, nodes.workerFlavor)] : []),
    ];
    const sum = (f: (g: NodeGroupSummary) => number) => groups.reduce((n, g) => n + g.count * f(g), 0);
    return {
        site: config.site,
        cloud: config.cloud,
        region: config.region,
        nodes: { count: sum(() => 1), vcpus: sum((g) => g.vcpus), ramGiB: sum((g) => g.ramGiB), groups },
        users: {
            accounts: estimate.users,
            usersPerWorker: nodes.sizing.usersPerWorker,
            workersAuto: nodes.sizing.auto,
            capacity: siteCapacity(config),
            onMaster: nodes.scheduleOnMaster,
            memoryGuarantee: config.hub.memoryGuarantee,
            memoryLimit: config.hub.memoryLimit,
            maxServers: estimate.maxServers,
        },
        hubUrl: config.hub.hostname && typeof hubUrl === "string" ? hubUrl : null,
        https: config.hub.tls,
        ...(config.router ? { workshops: workshopSummaries(config, estimate) } : {}),
        storage: { perUser: config.storage.perUser, scratch: config.storage.scratchSize, dataVolumeGb: config.storage.dataVolumeSizeGb, keptOnDestroy: config.storage.keepDataOnDestroy },
        cost: {
            unit: estimate.unit,
            workshopHours: estimate.workshop.hours,
            perWorkshop: estimate.workshop.total,
            perMonth: estimate.development.total,
            afterDestroyPerMonth: estimate.afterDestroy?.total ?? null,
            complete: estimate.workshop.complete && estimate.development.complete,
        },
        eventEnds: config.eventEnds?.text ?? null,
    };
}

/** The block that opens `esiphub plan` and `esiphub up`. */
export function formatSummary(s: SiteSummary): string {
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    const nodes = s.nodes.groups.map((g) => `${g.count} × ${g.flavor} ${g.role}${g.role === "worker" && g.count !== 1 ? "s" : ""} (${g.vcpus} vCPU, ${g.ramGiB} GiB)`).join(" + ");
    const u = s.users;
    // Fewer servers at once than accounts: the sizing holds those, and the hub refuses the one beyond.
    const limited = u.maxServers < u.accounts;
    const everyone = limited ? `all ${u.maxServers} at once` : "every account";
    const fits = `${u.capacity >= (limited ? u.maxServers : u.accounts) ? "" : "NOT "}${everyone} ${limited ? "fit" : "fits"}`;
    const accounts = limited ? `${plural(u.accounts, "account")}, ${u.maxServers} servers at once (esiphub:maxServers; the hub refuses more)` : plural(u.accounts, "account");
    const perWorker = s.nodes.groups.some((g) => g.role === "worker") ? `${u.usersPerWorker} per worker${u.workersAuto ? " (workers sized automatically)" : ""}` : "user servers on the master";
    const money = (n: number) => formatAmount(n, s.cost.unit);
    const incomplete = s.cost.complete ? "" : " (incomplete: some prices are missing)";
    const afterDestroy = s.cost.afterDestroyPerMonth ?? 0;
    const kept = !s.storage.keptOnDestroy
        ? "deleted with the site (esiphub:keepDataOnDestroy false)"
        : afterDestroy > 0 || s.cost.unit !== "SU"
          ? `kept after destroy: ${money(afterDestroy)} per month until deleted`
          : "kept after destroy, on the storage allocation until deleted";
    const users = s.workshops
        ? `  Users:   ${accounts} in ${plural(s.workshops.length, "workshop")}; workers packed by each workshop's guarantee, ${s.nodes.groups.some((g) => g.role === "worker") ? `up to ${u.usersPerWorker} on a worker${u.workersAuto ? " (workers sized automatically)" : ""}` : "on the master"}; capacity ${u.capacity}: ${fits}`
        : `  Users:   ${accounts}; ${perWorker} at the ${u.memoryGuarantee} guarantee (limit ${u.memoryLimit}); capacity ${u.capacity}: ${fits}`;
    const hubs = s.workshops
        ? s.workshops.map(
              (w) =>
                  `  Hub:     ${w.name}: ${w.hubUrl ?? `http://<public IP>/${w.name}/ (plain HTTP; a hubHostname gives a name and TLS)`}, ` +
                  `${plural(w.accounts, "account")}${w.maxServers < w.accounts ? ` (${w.maxServers} at once)` : ""} at ${w.memoryGuarantee} (limit ${w.memoryLimit}), ${money(w.costShare)} of the workshop cost`,
          )
        : [`  Hub:     ${s.hubUrl ?? (s.https ? "https://<public IP with dashes>.sslip.io (esiphub:hubHostname auto), known once deployed" : "plain HTTP on the public IP, known once deployed (esiphub:hubHostname gives a name and TLS)")}`];
    return [
        `Site "${s.site}" (${s.cloud}, ${s.region})`,
        `  Nodes:   ${nodes} = ${plural(s.nodes.count, "VM")}, ${s.nodes.vcpus} vCPU, ${s.nodes.ramGiB} GiB RAM`,
        users,
        ...hubs,
        `  Storage: ${s.storage.perUser} per user, ${s.storage.scratch} shared scratch, on a ${s.storage.dataVolumeGb} GB data volume (${kept})`,
        `  Cost:    ${money(s.cost.perWorkshop)} per ${s.cost.workshopHours} h workshop; ${money(s.cost.perMonth)} per month for the master alone (development)${incomplete}`,
        ...(s.eventEnds ? [`  Ends:    ${s.eventEnds} (esiphub:eventEnds; \`esiphub status\` counts the hours to it)`] : []),
        "",
    ].join("\n");
}
