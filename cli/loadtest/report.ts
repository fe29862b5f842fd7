/** The run's figures: per phase, per error class, per user; as JSON and as text for the terminal. */
import { ERROR_CLASSES, ErrorClass, Phase, PHASES, PHASE_TITLES } from "./errors";
import type { PhaseTiming, UserResult } from "./flow";
import { Figures, figures, roundSeconds } from "./stats";

export interface RunSettings {
    readonly users: number;
    readonly concurrency: number;
    readonly rampSeconds: number;
    readonly timeoutSeconds: number;
    readonly execute: boolean;
    readonly stop: boolean;
}

export type ErrorCounts = Partial<Record<ErrorClass, number>>;

export interface PhaseReport extends Figures {
    /** Failures in this phase, by class. */
    readonly errors: ErrorCounts;
}

export interface LoadtestReport {
    readonly hub: string;
    /** ISO time the run started. */
    readonly startedAt: string;
    readonly wallSeconds: number;
    readonly settings: RunSettings;
    readonly succeeded: number;
    readonly failed: number;
    /** The phases this run went through, in order (execute and stop only when asked for). */
    readonly phases: Partial<Record<Phase, PhaseReport>>;
    readonly errors: ErrorCounts;
    /** 429 answers that were waited out. */
    readonly throttling: { readonly responses: number; readonly users: number; readonly waitedSeconds: number };
    readonly users: UserResult[];
}

export function phasesOf(settings: Pick<RunSettings, "execute" | "stop">): Phase[] {
    return PHASES.filter((p) => (p !== "execute" || settings.execute) && (p !== "stop" || settings.stop));
}

function countClasses(classes: ErrorClass[]): ErrorCounts {
    const counts: ErrorCounts = {};
    for (const c of ERROR_CLASSES) {
        const n = classes.filter((x) => x === c).length;
        if (n > 0) counts[c] = n;
    }
    return counts;
}

function rounded(result: UserResult): UserResult {
    const phases: Partial<Record<Phase, PhaseTiming>> = {};
    for (const [name, t] of Object.entries(result.phases) as [Phase, PhaseTiming][]) {
        phases[name] = { start: roundSeconds(t.start), seconds: roundSeconds(t.seconds) };
    }
    return {
        ...result,
        startedAt: roundSeconds(result.startedAt),
        finishedAt: roundSeconds(result.finishedAt),
        phases,
        failures: result.failures.map((f) => ({ ...f, start: roundSeconds(f.start), seconds: roundSeconds(f.seconds) })),
        throttled: { responses: result.throttled.responses, waitedSeconds: roundSeconds(result.throttled.waitedSeconds) },
    };
}

export function buildReport(args: { hub: string; startedAt: Date; wallSeconds: number; settings: RunSettings; results: UserResult[] }): LoadtestReport {
    const { results, settings } = args;
    const phases: Partial<Record<Phase, PhaseReport>> = {};
    for (const phase of phasesOf(settings)) {
        const f = figures(results.flatMap((r) => (r.phases[phase] ? [r.phases[phase]!.seconds] : [])));
        phases[phase] = {
            count: f.count,
            p50: f.p50 === null ? null : roundSeconds(f.p50),
            p90: f.p90 === null ? null : roundSeconds(f.p90),
            p95: f.p95 === null ? null : roundSeconds(f.p95),
            max: f.max === null ? null : roundSeconds(f.max),
            errors: countClasses(results.flatMap((r) => r.failures.filter((x) => x.phase === phase).map((x) => x.errorClass))),
        };
    }
    const failed = results.filter((r) => r.failures.length > 0).length;
    return {
        hub: args.hub,
        startedAt: args.startedAt.toISOString(),
        wallSeconds: roundSeconds(args.wallSeconds),
        settings,
        succeeded: results.length - failed,
        failed,
        phases,
        errors: countClasses(results.flatMap((r) => r.failures.map((x) => x.errorClass))),
        throttling: {
            responses: results.reduce((n, r) => n + r.throttled.responses, 0),
            users: results.filter((r) => r.throttled.responses > 0).length,
            waitedSeconds: roundSeconds(results.reduce((n, r) => n + r.throttled.waitedSeconds, 0)),
        },
        users: results.map(rounded),
    };
}

const secs = (v: number | null) => (v === null ? "-" : `${v.toFixed(2)}s`);

function classList(counts: ErrorCounts): string {
    const parts = (Object.entries(counts) as [ErrorClass, number][]).map(([c, n]) => `${c} ${n}`);
    return parts.length > 0 ? parts.join(", ") : "none";
}

/** How many failures the text report lists one by one. */
const LISTED_FAILURES = 20;

export function formatReport(report: LoadtestReport): string {
    const s = report.settings;
    const lines = [
        `Load test of ${report.hub}: ${s.users} users, concurrency ${s.concurrency}, ramp ${s.rampSeconds}s, timeout ${s.timeoutSeconds}s per phase`,
        `${report.succeeded} succeeded, ${report.failed} failed, wall time ${report.wallSeconds.toFixed(1)}s`,
        `throttled (429 waited out): ${report.throttling.responses} answers to ${report.throttling.users} users, ${report.throttling.waitedSeconds.toFixed(0)}s waited`,
        "",
    ];
    const header = ["phase", "count", "p50", "p90", "p95", "max", "errors"];
    const rows = (Object.entries(report.phases) as [Phase, PhaseReport][]).map(([phase, p]) => [
        PHASE_TITLES[phase],
        String(p.count),
        secs(p.p50),
        secs(p.p90),
        secs(p.p95),
        secs(p.max),
        classList(p.errors),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const pad = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
    lines.push(pad(header), ...rows.map(pad), "", `errors by class: ${classList(report.errors)}`);
    const failures = report.users.flatMap((u) => u.failures.map((f) => ({ user: u.username, ...f })));
    if (failures.length > 0) {
        lines.push("failures:");
        for (const f of failures.slice(0, LISTED_FAILURES)) lines.push(`  ${f.user}  ${PHASE_TITLES[f.phase]}  ${f.errorClass}: ${f.message}`);
        if (failures.length > LISTED_FAILURES) lines.push(`  … and ${failures.length - LISTED_FAILURES} more (--json lists them all)`);
    }
    return lines.join("\n") + "\n";
}
