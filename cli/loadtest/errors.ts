/** What can go wrong for a simulated user, as classes an organiser can act on. */

export const PHASES = ["login", "spawn", "page", "execute", "stop"] as const;
/** login; spawn = start request until the server is ready; page = first page of the server; execute = one cell; stop. */
export type Phase = (typeof PHASES)[number];

export const PHASE_TITLES: Record<Phase, string> = {
    login: "login",
    spawn: "spawn→ready",
    page: "first page",
    execute: "execute",
    stop: "stop",
};

export const ERROR_CLASSES = [
    "login-refused",
    "throttled",
    "http-4xx",
    "http-5xx",
    "timeout",
    "connection",
    "spawn-failed",
    "execute-failed",
    "protocol",
] as const;

/**
 * - login-refused: the hub rejected the user name and password.
 * - throttled: the hub kept answering 429 until the phase ran out of time (429s waited out are not failures).
 * - http-4xx / http-5xx: any other error status (504 from a proxy is the classic overload symptom).
 * - timeout: no (complete) answer within the phase's time budget.
 * - connection: refused, reset or unresolvable.
 * - spawn-failed: the hub reported that the server failed to start, or it vanished while starting.
 * - execute-failed: the kernel did not start, or the cell's output was wrong.
 * - protocol: an answer the tester cannot use (no `_xsrf` in the login form, bad JSON, redirect loop).
 */
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface Failure {
    readonly phase: Phase;
    /** When the failed phase began, seconds since the run started, and how long it ran until it failed. */
    readonly start: number;
    readonly seconds: number;
    readonly errorClass: ErrorClass;
    readonly message: string;
    /** HTTP status, when the failure was an answer. */
    readonly status?: number;
}

/** A classified failure, thrown inside a user's flow and recorded in its result. */
export class LoadtestError extends Error {
    constructor(
        readonly errorClass: ErrorClass,
        message: string,
        readonly status?: number,
    ) {
        super(message);
        this.name = "LoadtestError";
    }
}

export function classForStatus(status: number): ErrorClass {
    if (status === 429) return "throttled";
    if (status >= 500) return "http-5xx";
    return "http-4xx";
}

/** An error status as a LoadtestError whose message carries the hub's own words (JSON `message` or page text). */
export function statusError(status: number, what: string, body: string): LoadtestError {
    return new LoadtestError(classForStatus(status), `${what}: HTTP ${status}${describeBody(body)}`, status);
}

function describeBody(body: string): string {
    let text = body.trim();
    try {
        const parsed = JSON.parse(text) as { message?: unknown };
        if (typeof parsed.message === "string") text = parsed.message;
    } catch {
        // Not JSON: an HTML error page. Its <title> or first text is the best summary.
        const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
        const heading = /<p[^>]*>([^<]{3,})<\/p>/i.exec(text)?.[1];
        text = (heading ?? title ?? text.replace(/<[^>]*>/g, " ")).trim();
    }
    text = text.replace(/\s+/g, " ");
    if (!text) return "";
    return ` (${text.length > 200 ? text.slice(0, 199) + "…" : text})`;
}

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);
const CONNECTION_CODES = new Set([
    "ECONNREFUSED",
    "ECONNRESET",
    "EPIPE",
    "ENOTFOUND",
    "EAI_AGAIN",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "UND_ERR_SOCKET",
    "UND_ERR_CLOSED",
]);

function errorCode(err: unknown): string | undefined {
    const e = err as { code?: unknown; cause?: { code?: unknown } };
    if (typeof e?.code === "string") return e.code;
    if (typeof e?.cause?.code === "string") return e.cause.code;
    return undefined;
}

/** Turns whatever a request threw into a classified failure; LoadtestErrors pass through unchanged. */
export function classifyError(err: unknown, what: string): LoadtestError {
    if (err instanceof LoadtestError) return err;
    const name = (err as { name?: unknown })?.name;
    const code = errorCode(err);
    const detail = err instanceof Error ? err.message : String(err);
    if (name === "TimeoutError" || name === "AbortError" || (code !== undefined && TIMEOUT_CODES.has(code))) {
        return new LoadtestError("timeout", `${what}: no answer in time (${code ?? name})`);
    }
    if (code !== undefined && CONNECTION_CODES.has(code)) {
        return new LoadtestError("connection", `${what}: ${code}${detail && !detail.includes(code) ? ` (${detail})` : ""}`);
    }
    return new LoadtestError("protocol", `${what}: ${detail}`);
}
