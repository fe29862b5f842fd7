/** The command's options as the operator gives them (strings from a command line, or numbers), checked. */

/** Options of `esiphub loadtest`, independent of any command-line parser. */
export interface LoadtestCommandOptions {
    /** Hub URL, e.g. https://hub.example.org; with --site it defaults to the stack's hubUrl output. */
    hub?: string;
    /** CSV written by `esiphub credentials` (header username,password). */
    credentials?: string;
    /** Read accounts (and the hub URL) from this site's deployed stack. */
    site?: string;
    /** With --site: the workshop whose accounts and hub to use (a site with esiphub:workshops). */
    workshop?: string;
    /** Simulated users (default: every account). */
    users?: number | string;
    /** Users in flight at once (default: all of them). */
    concurrency?: number | string;
    /** Seconds over which the users' starts are spread (default 0: all at once). */
    ramp?: number | string;
    /** Time budget of each phase of each user, seconds (default 300). */
    timeout?: number | string;
    execute?: boolean;
    stop?: boolean;
    json?: boolean;
    /** Write the HTML report here. */
    report?: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;

/** An option the operator must fix; the message names it. */
export class LoadtestUsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "LoadtestUsageError";
    }
}

export interface ParsedOptions {
    readonly hub?: string;
    readonly source: { readonly credentialsFile: string } | { readonly site: string };
    readonly users?: number;
    readonly concurrency?: number;
    readonly rampSeconds: number;
    readonly timeoutSeconds: number;
    readonly execute: boolean;
    readonly stop: boolean;
    readonly json: boolean;
    readonly reportFile?: string;
}

function numberOption(value: number | string | undefined, flag: string, rule: { integer: boolean; min: number; minExclusive?: boolean }): number | undefined {
    if (value === undefined) return undefined;
    const n = typeof value === "number" ? value : value.trim() === "" ? NaN : Number(value);
    const kind = rule.integer ? "an integer" : "a number";
    const bound = rule.minExclusive ? `above ${rule.min}` : `of at least ${rule.min}`;
    if (!Number.isFinite(n) || (rule.integer && !Number.isInteger(n)) || (rule.minExclusive ? n <= rule.min : n < rule.min)) {
        throw new LoadtestUsageError(`${flag} must be ${kind} ${bound} (got ${JSON.stringify(value)})`);
    }
    return n;
}

export function normalizeHubUrl(value: string): string {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new LoadtestUsageError(`--hub must be a URL such as https://hub.example.org (got ${JSON.stringify(value)})`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new LoadtestUsageError(`--hub must be an http:// or https:// URL (got ${JSON.stringify(value)})`);
    if (url.search || url.hash) throw new LoadtestUsageError(`--hub must be the hub's base URL, without ?query or #fragment (got ${JSON.stringify(value)})`);
    // The hub's own pages (/hub/login) hang below it; a trailing /hub/ given by mistake is the same hub.
    const base = url.pathname.replace(/\/hub\/?$/, "/").replace(/\/?$/, "/");
    return `${url.origin}${base === "/" ? "" : base.replace(/\/$/, "")}`;
}

export function parseLoadtestOptions(opts: LoadtestCommandOptions): ParsedOptions {
    if (!!opts.credentials === !!opts.site) throw new LoadtestUsageError("give the accounts with either --credentials FILE or --site SITE (exactly one)");
    if (!opts.hub && !opts.site) throw new LoadtestUsageError("--hub URL is required with --credentials");
    if (opts.workshop && !opts.site) throw new LoadtestUsageError("--workshop NAME picks a workshop of --site SITE: give --site too");
    const users = numberOption(opts.users, "--users", { integer: true, min: 1 });
    const concurrency = numberOption(opts.concurrency, "--concurrency", { integer: true, min: 1 });
    return {
        hub: opts.hub ? normalizeHubUrl(opts.hub) : undefined,
        source: opts.credentials ? { credentialsFile: opts.credentials } : { site: opts.site! },
        users,
        concurrency,
        rampSeconds: numberOption(opts.ramp, "--ramp", { integer: false, min: 0 }) ?? 0,
        timeoutSeconds: numberOption(opts.timeout, "--timeout", { integer: false, min: 0, minExclusive: true }) ?? DEFAULT_TIMEOUT_SECONDS,
        execute: !!opts.execute,
        stop: !!opts.stop,
        json: !!opts.json,
        reportFile: opts.report || undefined,
    };
}
