import { Flavor, JETSTREAM2_FLAVORS } from "../catalog";
import { NAMESPACE, serverGroups, SiteConfig } from "../config";
import { AWS_PRICES, AwsPriceTable, HOURS_PER_MONTH, JETSTREAM2_SU } from "./prices";

/** AWS in US dollars; OpenStack in service units (Jetstream2's: 1 SU = 1 vCPU-hour). */
export type CostUnit = "USD" | "SU";

export interface CostLine {
    readonly kind: "node" | "volume" | "publicIp";
    /** What is charged, e.g. "m5.xlarge (master)", "data volume 800 GB". */
    readonly item: string;
    readonly quantity: number;
    /** Size of each volume. */
    readonly sizeGb?: number;
    /** Per item and hour for nodes and IPs, per item-GB and month for AWS volumes; null when the table has no price. */
    readonly rate: number | null;
    readonly rateUnit: string;
    readonly hours: number;
    /** Rounded to two decimals; null when unpriced. */
    readonly amount: number | null;
    readonly note?: string;
}

export interface ScaleEstimate {
    readonly scale: "development" | "workshop";
    readonly description: string;
    readonly hours: number;
    readonly nodes: number;
    readonly workers: number;
    readonly lines: CostLine[];
    /** Sum of the priced lines' amounts. */
    readonly total: number;
    /** False when a line has no price (the total is then a lower bound). */
    readonly complete: boolean;
}

/** What the site costs once destroyed: the data volume it keeps (`esiphub:keepDataOnDestroy`), per month. */
export interface AfterDestroyEstimate {
    readonly description: string;
    readonly lines: CostLine[];
    readonly total: number;
}

export interface CostEstimate {
    readonly site: string;
    readonly cloud: SiteConfig["cloud"];
    readonly unit: CostUnit;
    /** Accounts of the site (workshop accounts and extra users). */
    readonly users: number;
    /** Users' servers at once the workshop scale is sized for (esiphub:maxServers): `users`, or fewer. */
    readonly maxServers: number;
    /** Where the rates come from (for AWS: region and date of the price table). */
    readonly pricing: string;
    readonly development: ScaleEstimate;
    readonly workshop: ScaleEstimate;
    /** Absent when the data volume goes with the site (`esiphub:keepDataOnDestroy` false). */
    readonly afterDestroy?: AfterDestroyEstimate;
    /** A site with esiphub:workshops: each workshop's share of the workshop scale (absent for a site of one hub). */
    readonly workshops?: WorkshopShare[];
    readonly notes: string[];
}

/** One workshop's part of a site with esiphub:workshops. */
export interface WorkshopShare {
    readonly name: string;
    readonly users: number;
    readonly maxServers: number;
    readonly memoryGuarantee: string;
    /** Its part of the memory the site's servers hold at once (servers at once and placeholders × guarantee), 0 to 1. */
    readonly fraction: number;
    /** `fraction` of the workshop scale's total, rounded to two decimals. */
    readonly amount: number;
}

export interface CostOptions {
    /** Length of the workshop in hours (the cluster's lifetime, set-up included). */
    readonly hours?: number;
    /** AWS prices; the table in prices.ts unless a test passes another. */
    readonly awsPrices?: AwsPriceTable;
}

export const DEFAULT_WORKSHOP_HOURS = 4;

const round2 = (n: number) => Math.round(n * 100) / 100;

interface NodeGroup {
    readonly flavor: Flavor;
    readonly role: string;
    readonly count: number;
}

/**
 * Development scale (the master alone, user servers on it, always on for a month) against workshop scale
 * (master, NFS node when dedicated, and the site's workers, for the workshop's hours), and the kept data volume
 * per month after destroy. Pure: it needs only the validated config, whose sizing it takes as it is (the accounts
 * are counted once, by parseSiteConfig).
 */
export function estimateCost(config: SiteConfig, options: CostOptions = {}): CostEstimate {
    const hours = options.hours ?? DEFAULT_WORKSHOP_HOURS;
    if (!(hours > 0) || !Number.isFinite(hours)) throw new RangeError(`hours must be a number above 0, got ${hours}`);
    // Every hub's accounts and servers (one hub without esiphub:workshops).
    const users = config.workshops.reduce((n, w) => n + w.hub.users.length, 0);
    const maxServers = config.workshops.reduce((n, w) => n + w.hub.maxServers, 0);
    const notes: string[] = [];
    const workers = config.nodes.workers;

    const pricing = config.cloud === "aws" ? awsPricing(config, options.awsPrices ?? AWS_PRICES, notes) : openStackPricing(config, notes);
    const master: NodeGroup = { flavor: config.nodes.masterFlavor, role: "master", count: 1 };
    const devGroups = [master];
    const workshopGroups: NodeGroup[] = [master];
    if (config.nodes.dedicatedNfsNode) workshopGroups.push({ flavor: config.nodes.masterFlavor, role: "nfs", count: 1 });
    if (workers > 0) workshopGroups.push({ flavor: config.nodes.workerFlavor, role: "worker", count: workers });

    const development = scale("development", `the master alone with user servers on it, always on for a month (${HOURS_PER_MONTH} h)`, devGroups, HOURS_PER_MONTH, config, pricing);
    const sized = `${workers} worker${workers === 1 ? "" : "s"} of ${config.nodes.workerFlavor.name}`;
    const workshop = scale(
        "workshop",
        `${maxServers < users ? `${maxServers} servers at once (${NAMESPACE}:maxServers) of ${users} accounts` : `${users} users`} for ${hours} h: ` +
            `the master${config.nodes.dedicatedNfsNode ? ", an NFS node" : ""} and ${sized}`,
        workshopGroups,
        hours,
        config,
        pricing,
    );
    return {
        site: config.site,
        cloud: config.cloud,
        unit: pricing.unit,
        users,
        maxServers,
        pricing: pricing.description,
        development,
        workshop,
        ...(config.storage.keepDataOnDestroy ? { afterDestroy: afterDestroy(config, pricing) } : {}),
        ...(config.router ? { workshops: workshopShares(config, workshop.total) } : {}),
        notes,
    };
}

/**
 * True when the site is more than development scale, the master alone that the development estimate prices: it has
 * workers or a dedicated NFS node, so forgetting it after the event costs more than a development hub.
 */
export function beyondDevelopmentScale(estimate: CostEstimate): boolean {
    return estimate.workshop.nodes > estimate.development.nodes;
}

/**
 * Each workshop's share of the workshop scale: its part of the memory its servers at once and placeholders hold at
 * its guarantee, which is what the workers are packed for (components/sizing.ts); the master, NFS, volume and IP are
 * shared in the same proportion.
 */
function workshopShares(config: SiteConfig, total: number): WorkshopShare[] {
    const groups = serverGroups(config.workshops);
    const held = groups.reduce((n, g) => n + g.servers * g.guaranteeBytes, 0);
    return config.workshops.map((w, i) => {
        const fraction = held > 0 ? (groups[i].servers * groups[i].guaranteeBytes) / held : 1 / groups.length;
        return { name: w.name!, users: w.hub.users.length, maxServers: w.hub.maxServers, memoryGuarantee: w.hub.memoryGuarantee, fraction, amount: round2(total * fraction) };
    });
}

/** The kept data volume, for a month: what an organiser pays until deleting it. */
function afterDestroy(config: SiteConfig, pricing: Pricing): AfterDestroyEstimate {
    const line = volumeLine(pricing, `data volume ${config.storage.dataVolumeSizeGb} GB (kept)`, 1, config.storage.dataVolumeSizeGb, HOURS_PER_MONTH);
    return {
        description: `the data volume kept by ${NAMESPACE}:keepDataOnDestroy, per month (${HOURS_PER_MONTH} h) until it is deleted`,
        lines: [line],
        total: line.amount!,
    };
}

function volumeLine(pricing: Pricing, item: string, quantity: number, gb: number, hours: number): CostLine {
    const { rate, rateUnit, perMonth, note } = pricing.volume;
    const amount = quantity * gb * rate * (perMonth ? hours / HOURS_PER_MONTH : hours);
    return { kind: "volume", item, quantity, sizeGb: gb, rate, rateUnit, hours, amount: round2(amount), ...(note ? { note } : {}) };
}

interface Pricing {
    readonly unit: CostUnit;
    readonly description: string;
    readonly node: (flavor: Flavor) => { rate: number | null; rateUnit: string };
    readonly volume: { rate: number; rateUnit: string; perMonth: boolean; note?: string };
    /** `perNode`: every node has a public address (AWS nodes get one at launch; the master's is its elastic IP). */
    readonly publicIp: { rate: number; rateUnit: string; item: string; perNode: boolean; note?: string };
}

function awsPricing(config: SiteConfig, prices: AwsPriceTable, notes: string[]): Pricing {
    if (config.region !== prices.region) {
        notes.push(`prices are ${prices.region} on-demand; ${config.region} (aws:region) may differ`);
    }
    for (const name of new Set([config.nodes.masterFlavor.name, config.nodes.workerFlavor.name])) {
        if (prices.instanceHourly[name] === undefined) {
            notes.push(`${name} has no price in components/cost/prices.ts; its lines are left out of the totals`);
        }
    }
    return {
        unit: "USD",
        description: `AWS on-demand, ${prices.region}, prices of ${prices.date} (${prices.source})`,
        node: (flavor) => ({ rate: prices.instanceHourly[flavor.name] ?? null, rateUnit: "$/h" }),
        volume: { rate: prices.gp3GbMonth, rateUnit: "$/GB-month", perMonth: true },
        publicIp: { rate: prices.publicIpv4Hourly, rateUnit: "$/h", item: "public IPv4 (the master's elastic IP, one per other node)", perNode: true },
    };
}

function openStackPricing(config: SiteConfig, notes: string[]): Pricing {
    const foreign = [config.nodes.masterFlavor, config.nodes.workerFlavor].filter(
        (f) => !JETSTREAM2_FLAVORS.some((j) => j.name === f.name && j.vcpus === f.vcpus && j.ramGiB === f.ramGiB),
    );
    if (foreign.length > 0) {
        const names = [...new Set(foreign.map((f) => f.name))].join(", ");
        notes.push(`${names} ${foreign.length === 1 ? "is not a Jetstream2 flavor" : "are not Jetstream2 flavors"}: figures are vCPU-hours; this cloud may charge differently or not at all`);
    }
    return {
        unit: "SU",
        description: JETSTREAM2_SU.source,
        node: (flavor) => ({ rate: flavor.vcpus * (flavor.suPerVcpuHour ?? JETSTREAM2_SU.suPerVcpuHour), rateUnit: "SU/h" }),
        volume: { rate: 0, rateUnit: "SU/GB-month", perMonth: true, note: "volumes use the storage allocation, not SUs" },
        publicIp: { rate: 0, rateUnit: "SU/h", item: "floating IP of the master", perNode: false, note: "floating IPs are not charged" },
    };
}

function scale(
    kind: ScaleEstimate["scale"],
    description: string,
    groups: NodeGroup[],
    hours: number,
    config: SiteConfig,
    pricing: Pricing,
): ScaleEstimate {
    const lines: CostLine[] = [];
    for (const group of groups) {
        const { rate, rateUnit } = pricing.node(group.flavor);
        lines.push({
            kind: "node",
            item: `${group.flavor.name} (${group.role})`,
            quantity: group.count,
            rate,
            rateUnit,
            hours,
            amount: rate === null ? null : round2(group.count * rate * hours),
        });
    }
    const nodes = groups.reduce((n, g) => n + g.count, 0);
    lines.push(volumeLine(pricing, `root volume ${config.nodes.rootVolumeSizeGb} GB`, nodes, config.nodes.rootVolumeSizeGb, hours));
    lines.push(volumeLine(pricing, `data volume ${config.storage.dataVolumeSizeGb} GB`, 1, config.storage.dataVolumeSizeGb, hours));
    const ip = pricing.publicIp;
    const addresses = ip.perNode ? nodes : 1;
    lines.push({
        kind: "publicIp",
        item: ip.item,
        quantity: addresses,
        rate: ip.rate,
        rateUnit: ip.rateUnit,
        hours,
        amount: round2(addresses * ip.rate * hours),
        ...(ip.note ? { note: ip.note } : {}),
    });
    const priced = lines.filter((l) => l.amount !== null);
    return {
        scale: kind,
        description,
        hours,
        nodes,
        workers: groups.filter((g) => g.role === "worker").reduce((n, g) => n + g.count, 0),
        lines,
        total: round2(priced.reduce((sum, l) => sum + l.amount!, 0)),
        complete: priced.length === lines.length,
    };
}
