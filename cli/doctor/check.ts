/** A doctor's check: its verdict, a one-line detail, the seconds it took and, when it did not pass, what to do. */
import { LoadtestError } from "../loadtest/errors";

export type CheckStatus = "pass" | "fail" | "warn" | "skip";

export interface CheckResult {
    readonly name: string;
    readonly status: CheckStatus;
    readonly detail: string;
    readonly seconds: number;
    /** What to do about a failure or a warning. */
    readonly fix?: string;
}

/** `esiphub doctor --json`: a contract, like `plan --json`. Fields are only ever added. */
export interface DoctorReport {
    /** The site, or null for `--hub URL`. */
    readonly site: string | null;
    readonly hub: string;
    /** True when no check failed (warnings and skips do not count). */
    readonly ok: boolean;
    readonly checks: CheckResult[];
}

/** What a check's body concludes. */
export interface Verdict {
    readonly status: CheckStatus;
    readonly detail: string;
    readonly fix?: string;
}

export const pass = (detail: string): Verdict => ({ status: "pass", detail });
export const warn = (detail: string, fix: string): Verdict => ({ status: "warn", detail, fix });
export const fail = (detail: string, fix: string): Verdict => ({ status: "fail", detail, fix });
export const skip = (detail: string): Verdict => ({ status: "skip", detail });

/** Thrown inside a check for a failure the check understands; anything else thrown becomes a failure too. */
export class CheckFailure extends Error {
    constructor(
        message: string,
        readonly fix: string,
    ) {
        super(message);
        this.name = "CheckFailure";
    }
}

/** What to do about a failed request to the hub, by the load tester's class of the error. */
export function hubFix(e: LoadtestError, hubUrl: string, namespace: string): string {
    const ns = `-n ${namespace}`;
    switch (e.errorClass) {
        case "connection":
            return `nothing answers at ${hubUrl}: is the site up (esiphub up SITE), the address right, ports 80/443 open, and the proxy pod running (kubectl ${ns} get pods)?`;
        case "timeout":
            return `the hub did not answer in time: look at the hub and proxy pods (kubectl ${ns} get pods; kubectl ${ns} logs deploy/hub)`;
        case "login-refused":
            return "the password is not the hub's: take the accounts from `esiphub credentials SITE`; after a change of accounts run `esiphub up SITE` so the hub gets them";
        case "http-5xx":
            return `the hub or its proxy fails: kubectl ${ns} logs deploy/hub and deploy/proxy`;
        case "throttled":
            return "the hub kept answering 429: too many servers starting at once (concurrentSpawnLimit) or the server limit is reached";
        case "spawn-failed":
            return `the server did not start: the hub's log and the user pod's events say why (kubectl ${ns} describe pod jupyter-USER)`;
        default:
            return `see the detail; the hub's log (kubectl ${ns} logs deploy/hub) has the other side`;
    }
}

const round = (seconds: number) => Math.round(seconds * 100) / 100;

/** Runs checks one after another and keeps their results; `onResult` sees each as soon as it is known. */
export class CheckRun {
    readonly results: CheckResult[] = [];

    constructor(
        private readonly hubUrl: string,
        /** The hub's Kubernetes namespace, for the fixes' kubectl lines. */
        private readonly namespace: string,
        private readonly onResult: (result: CheckResult) => void = () => undefined,
    ) {}

    private record(name: string, verdict: Verdict, seconds: number): CheckResult {
        const result: CheckResult = { name, status: verdict.status, detail: verdict.detail, seconds: round(seconds), ...(verdict.fix ? { fix: verdict.fix } : {}) };
        this.results.push(result);
        this.onResult(result);
        return result;
    }

    /** Runs `body`; a throw is a failure (LoadtestErrors get the hub's fix for their class). */
    async run(name: string, body: () => Promise<Verdict>): Promise<CheckResult> {
        const start = performance.now();
        let verdict: Verdict;
        try {
            verdict = await body();
        } catch (e) {
            verdict = this.failureOf(e);
        }
        return this.record(name, verdict, (performance.now() - start) / 1000);
    }

    skip(name: string, detail: string): CheckResult {
        return this.record(name, skip(detail), 0);
    }

    private failureOf(e: unknown): Verdict {
        if (e instanceof CheckFailure) return fail(e.message, e.fix);
        if (e instanceof LoadtestError) return fail(e.message, hubFix(e, this.hubUrl, this.namespace));
        const message = e instanceof Error ? e.message : String(e);
        return fail(message.split("\n")[0], "an unexpected error; run again with ESIPHUB_DEBUG=1 and report it");
    }
}

export function reportOf(site: string | null, hub: string, checks: CheckResult[]): DoctorReport {
    return { site, hub, ok: !checks.some((c) => c.status === "fail"), checks };
}

const STATUS_WORD: Record<CheckStatus, string> = { pass: "PASS", fail: "FAIL", warn: "WARN", skip: "skip" };

/** One check as the text report prints it: status, name, detail, seconds; the fix on a line of its own. */
export function formatCheck(result: CheckResult): string {
    const line = `${STATUS_WORD[result.status]}  ${result.name.padEnd(12)} ${result.detail}  (${result.seconds.toFixed(2)} s)`;
    return result.fix ? `${line}\n      fix: ${result.fix}\n` : `${line}\n`;
}

/** "12 passed, 1 failed, 2 warnings, 1 skipped". */
export function countChecks(checks: readonly CheckResult[]): string {
    const count = (status: CheckStatus) => checks.filter((c) => c.status === status).length;
    const warnings = count("warn");
    return `${count("pass")} passed, ${count("fail")} failed, ${warnings} warning${warnings === 1 ? "" : "s"}, ${count("skip")} skipped`;
}

export function formatSummary(report: DoctorReport): string {
    const verdict = report.ok ? "ready" : "NOT ready";
    return `${report.site ? `Site "${report.site}"` : report.hub}: ${verdict} (${countChecks(report.checks)})\n`;
}
