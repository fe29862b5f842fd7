/**
 * When an event ends (`esiphub:eventEnds`), and what a site costs until then: the warnings of `plan` and `up`, and the
 * rows of `esiphub status`. Pure: the clock, the stack file and the backend's answers come in as arguments.
 */
import { EventEnd, NAMESPACE, parseEventEnds } from "../components/config";
import { beyondDevelopmentScale, CostEstimate, CostUnit, estimateCost, formatAmount } from "../components/cost";
import type { SiteConfig } from "../components/config";
import type { UpdateRecord } from "./automation";

const HOUR_MS = 3_600_000;

/** Hours from `now` to the end: negative once it is past. */
export function hoursLeft(ends: EventEnd, now: Date): number {
    return (ends.time - now.getTime()) / HOUR_MS;
}

/** An event is over from its end date on: at the end date itself too. */
export const isOver = (ends: EventEnd, now: Date) => hoursLeft(ends, now) <= 0;

/** "in 5.5 h", "now", "26.0 h ago". */
export function formatHoursLeft(hours: number): string {
    if (hours === 0) return "now";
    return hours > 0 ? `in ${hours.toFixed(1)} h` : `${(-hours).toFixed(1)} h ago`;
}

/** The site's cost per hour at workshop scale, as its estimate prices it. */
export function costPerHour(estimate: CostEstimate): { amount: number; unit: CostUnit; complete: boolean } {
    const w = estimate.workshop;
    return { amount: Math.round((w.total / w.hours) * 100) / 100, unit: estimate.unit, complete: w.complete };
}

/**
 * What `plan` and `up` warn about the end date: a date already past (the site should be torn down, not updated), or
 * no date on a site beyond development scale (nothing would remind anyone to tear it down).
 */
export function eventWarnings(config: SiteConfig, now: Date): string[] {
    const key = `${NAMESPACE}:eventEnds`;
    const estimate = estimateCost(config, { hours: 1 });
    const perHour = formatAmount(costPerHour(estimate).amount, estimate.unit);
    if (config.eventEnds) {
        if (!isOver(config.eventEnds, now)) return [];
        return [
            `${key}: the event ended ${formatHoursLeft(hoursLeft(config.eventEnds, now))} (${config.eventEnds.text}); at workshop scale the site costs ${perHour} per hour: ` +
                `tear it down (\`esiphub backup ${config.site} --out DIR\`, then \`esiphub destroy ${config.site}\`), or move ${key} if the event goes on`,
        ];
    }
    if (!beyondDevelopmentScale(estimateCost(config))) return [];
    return [
        `${key} is not set: nothing will remind anyone to tear down this site of ${estimate.workshop.nodes} VMs (${perHour} per hour) after the event; ` +
            `set it to when the event ends, e.g. ${key}: "2026-12-04T17:00:00-05:00", so that \`esiphub status\` and examples/end-of-event.ts know`,
    ];
}

/**
 * When the site's resources came into being: the start of its first update after its last successful destroy (any
 * update that ran, succeeded or failed, may have created resources), from the stack's history. Undefined when no
 * update has run since.
 */
export function upSince(history: readonly UpdateRecord[]): Date | undefined {
    const oldestFirst = [...history].sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    const lastDestroy = oldestFirst.map((u) => u.kind === "destroy" && u.result === "succeeded").lastIndexOf(true);
    return oldestFirst.slice(lastDestroy + 1).find((u) => u.kind === "update" && (u.result === "succeeded" || u.result === "failed"))?.startTime;
}

/** One row of `esiphub status` (`--json` prints these; fields are only ever added). */
export interface SiteStatus {
    readonly site: string;
    /** False for a stack the backend has but no Pulumi.<site>.yaml here names (a forgotten site, perhaps). */
    readonly stackFile: boolean;
    /** True when the backend's state of the stack holds resources. */
    readonly deployed: boolean;
    /** Resources in the backend's state (0 when destroyed or never deployed). */
    readonly resources: number;
    /** `esiphub:eventEnds` as written; null when not set (or not readable). */
    readonly eventEnds: string | null;
    /** Hours until the end date, negative past it; null without one. */
    readonly hoursLeft: number | null;
    /** True from the end date on. */
    readonly over: boolean;
    /** Workshop scale per hour: from the deployed stack's cost output, else from the stack file; null when neither says. */
    readonly costPerHour: { readonly amount: number; readonly unit: CostUnit; readonly source: "deployed" | "stack file" } | null;
    /** When the deployed resources came into being (see upSince), ISO 8601; null when not deployed or unknown. */
    readonly since: string | null;
    /** The cost per hour times the hours since then; null when not deployed. */
    readonly costSoFar: number | null;
    /** Something the organiser should know (an unreadable stack file, an update running now). */
    readonly notes: string[];
}

/** What the backend and the stack file say about one site, for siteStatus. */
export interface SiteFacts {
    readonly site: string;
    readonly stackFile: boolean;
    readonly resourceCount: number;
    readonly updateInProgress?: boolean;
    /** The stack file's `esiphub:eventEnds`, unvalidated (it is read even when other settings are broken). */
    readonly eventEndsText?: string;
    /** The validated stack file's estimate; undefined when the file is missing or does not validate. */
    readonly fileEstimate?: CostEstimate;
    /** The deployed stack's `cost` output (the estimate it was deployed with). */
    readonly deployedEstimate?: CostEstimate;
    readonly history: readonly UpdateRecord[];
    readonly notes?: string[];
}

export function siteStatus(facts: SiteFacts, now: Date): SiteStatus {
    const notes = [...(facts.notes ?? [])];
    const ends = facts.eventEndsText ? parseEventEnds(facts.eventEndsText) : undefined;
    if (typeof ends === "string") notes.push(`${NAMESPACE}:eventEnds: ${ends}`);
    const end = typeof ends === "object" ? ends : undefined;
    const deployed = facts.resourceCount > 0;
    const estimate = (deployed && facts.deployedEstimate) || facts.fileEstimate;
    const perHour = estimate ? { ...costPerHour(estimate), source: estimate === facts.deployedEstimate ? ("deployed" as const) : ("stack file" as const) } : null;
    const since = deployed ? upSince(facts.history) : undefined;
    if (facts.updateInProgress) notes.push("an operation on the stack is running now");
    if (deployed && end && isOver(end, now)) notes.push(`past its end date and still deployed: \`esiphub backup ${facts.site} --out DIR\`, then \`esiphub destroy ${facts.site}\``);
    if (deployed && !end && facts.stackFile) notes.push(`deployed with no ${NAMESPACE}:eventEnds: set it so that nothing forgets this site`);
    return {
        site: facts.site,
        stackFile: facts.stackFile,
        deployed,
        resources: facts.resourceCount,
        eventEnds: end?.text ?? null,
        hoursLeft: end ? Math.round(hoursLeft(end, now) * 100) / 100 : null,
        over: !!end && isOver(end, now),
        costPerHour: perHour && { amount: perHour.amount, unit: perHour.unit, source: perHour.source },
        since: since?.toISOString() ?? null,
        costSoFar: perHour && since ? Math.round(perHour.amount * ((now.getTime() - since.getTime()) / HOUR_MS) * 100) / 100 : null,
        notes,
    };
}

/** `esiphub status` as a table, one row per site, then each site's notes. */
export function formatStatus(rows: readonly SiteStatus[], now: Date): string {
    const money = (amount: number | null, unit: CostUnit | undefined) => (amount === null || !unit ? "-" : formatAmount(amount, unit));
    const table = [
        ["site", "state", "event ends", "to the end", "per hour", "so far", "since"],
        ...rows.map((r) => [
            r.site,
            r.deployed ? `deployed (${r.resources} resource${r.resources === 1 ? "" : "s"})` : "not deployed",
            r.eventEnds ?? "-",
            r.hoursLeft === null ? "-" : r.over ? `over, ${formatHoursLeft(r.hoursLeft)}` : formatHoursLeft(r.hoursLeft),
            money(r.costPerHour?.amount ?? null, r.costPerHour?.unit),
            money(r.costSoFar, r.costPerHour?.unit),
            r.since ? `${r.since.slice(0, 16).replace("T", " ")} UTC` : "",
        ]),
    ];
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    const lines = table.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
    const notes = rows.flatMap((r) => [...(r.stackFile ? [] : [`${r.site}: in the backend but no Pulumi.${r.site}.yaml here`]), ...r.notes.map((n) => `${r.site}: ${n}`)]);
    return [
        `Sites at ${now.toISOString().slice(0, 16).replace("T", " ")} UTC (deployed or not: the Pulumi backend's state; per hour: workshop scale)`,
        ...lines,
        ...(notes.length > 0 ? ["", ...notes] : []),
        "",
    ].join("\n");
}
