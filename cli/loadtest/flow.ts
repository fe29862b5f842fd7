/** One simulated workshop participant: log in, start the server, wait for it, open it, optionally run a cell and stop. */
import { createParser } from "eventsource-parser";
import type { Account } from "./credentials";
import { classifyError, Failure, LoadtestError, Phase, statusError } from "./errors";
import type { Dispatcher } from "undici";
import { Deadline, HubClient } from "./http";
import { executeCell } from "./kernel";
import type { ConnectOptions } from "./trust";

export interface UserOptions {
    readonly execute: boolean;
    readonly stop: boolean;
    /** Time budget of each phase, ms. */
    readonly phaseTimeoutMs: number;
    /** Pause between two looks at the user's model when the hub has no progress stream, ms. */
    readonly pollIntervalMs?: number;
}

export interface PhaseTiming {
    /** Seconds since the run started. */
    readonly start: number;
    readonly seconds: number;
}

export interface UserResult {
    readonly username: string;
    /** Seconds since the run started. */
    readonly startedAt: number;
    readonly finishedAt: number;
    /** The phases the user got through. */
    readonly phases: Partial<Record<Phase, PhaseTiming>>;
    /** 429 answers waited out, and the time spent waiting. */
    readonly throttled: { readonly responses: number; readonly waitedSeconds: number };
    /** Empty when the user got through every phase asked for. */
    readonly failures: Failure[];
}

export interface UserEvents {
    phaseDone?(username: string, phase: Phase, seconds: number): void;
    throttled?(username: string, seconds: number): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The login form's `_xsrf` field, or undefined when the hub's form has none (JupyterHub < 4). */
export function loginFormXsrf(html: string): string | undefined {
    const input = /<input[^>]*name=["']_xsrf["'][^>]*>/i.exec(html)?.[0];
    return input ? /value=["']([^"']*)["']/i.exec(input)?.[1] : undefined;
}

/** The progress stream's events as the hub sends them (JupyterHub ≥ 0.9). */
interface ProgressEvent {
    progress?: number;
    message?: string;
    ready?: boolean;
    failed?: boolean;
    url?: string;
}

/** Outcome of the progress stream: the server URL when ready; undefined when the stream ended without a verdict. */
async function followProgress(client: HubClient, userPath: string, deadline: Deadline): Promise<string | undefined> {
    let verdict: { url?: string; failure?: LoadtestError } | undefined;
    const parser = createParser({
        onEvent(event) {
            let data: ProgressEvent;
            try {
                data = JSON.parse(event.data) as ProgressEvent;
            } catch {
                return; // not one of the hub's progress events: nothing to learn from it
            }
            if (data.failed) verdict = { failure: new LoadtestError("spawn-failed", `the hub reports: ${data.message ?? "spawn failed"}`) };
            else if (data.ready) verdict = { url: data.url };
        },
    });
    const result = await client.stream(
        { path: `${userPath}/server/progress`, mode: "api", deadline, what: "progress stream", headers: { accept: "text/event-stream" } },
        (text) => {
            parser.feed(text);
            return verdict !== undefined;
        },
    );
    if (result.status === 429 || result.status >= 500) throw statusError(result.status, "progress stream", result.body);
    if (verdict?.failure) throw verdict.failure;
    return verdict?.url;
}

export async function userModel(client: HubClient, userPath: string, deadline: Deadline): Promise<{ server?: string | null; pending?: string | null }> {
    const answer = await client.call({ path: userPath, mode: "api", deadline, what: "user model" });
    if (answer.status !== 200) throw statusError(answer.status, "user model", answer.body);
    try {
        return JSON.parse(answer.body) as { server?: string | null; pending?: string | null };
    } catch {
        throw new LoadtestError("protocol", "user model: not JSON");
    }
}

/** The hub's user model, polled until the server is ready (for hubs or proxies that cut the event stream). */
async function pollUntilReady(client: HubClient, userPath: string, deadline: Deadline, intervalMs: number): Promise<string> {
    for (;;) {
        const model = await userModel(client, userPath, deadline);
        if (model.server && !model.pending) return model.server;
        if (!model.server && !model.pending) throw new LoadtestError("spawn-failed", "the server stopped while starting (no server and nothing pending)");
        if (deadline.remainingMs() <= intervalMs) throw new LoadtestError("timeout", "the server was not ready in time");
        await sleep(intervalMs);
    }
}

export async function login(client: HubClient, account: Account, deadline: Deadline): Promise<void> {
    const page = await client.call({ path: "/hub/login", mode: "navigate", deadline, what: "login page" });
    if (page.status !== 200) throw statusError(page.status, "login page", page.body);
    // JupyterHub ≥ 4 puts the token in the form and in a cookie; older hubs have neither.
    const xsrf = loginFormXsrf(page.body) ?? (await client.cookie("_xsrf", "/hub/"));
    const form: Record<string, string> = { username: account.username, password: account.password };
    if (xsrf) form._xsrf = xsrf;
    const answer = await client.call({ method: "POST", path: "/hub/login", mode: "navigate", form, deadline, what: "login" });
    const refused = () => new LoadtestError("login-refused", `login refused for ${account.username} (HTTP ${answer.status})`, answer.status);
    if (answer.status === 302 || answer.status === 303) {
        if (new URL(String(answer.headers.location ?? ""), answer.url).pathname.endsWith("/hub/login")) throw refused();
    } else if (answer.status === 403 || (answer.status === 200 && /name=["']password["']/.test(answer.body))) {
        // JupyterHub (5.2 too) answers a wrong password with the login form again, status 200; others say 403.
        throw refused();
    } else {
        throw statusError(answer.status, "login", answer.body);
    }
    // What the browser does next: a page of the hub, which also issues the `_xsrf` cookie of the logged-in session.
    const home = await client.call({ path: "/hub/home", mode: "navigate", deadline, what: "hub home page" });
    if (home.status !== 200) throw statusError(home.status, "hub home page", home.body);
}

async function requestServer(client: HubClient, userPath: string, deadline: Deadline): Promise<void> {
    const answer = await client.call({ method: "POST", path: `${userPath}/server`, mode: "api", deadline, what: "start server" });
    if (answer.status === 201 || answer.status === 202) return;
    // A rerun finds the server of the last run still up, or still starting: both are fine to wait on.
    if (answer.status === 400 && /already running|is pending spawn/i.test(answer.body)) return;
    throw statusError(answer.status, "start server", answer.body);
}

/**
 * Asks the hub for the user's server and waits until it is ready (the progress stream, or the user model where the
 * stream is cut); resolves with the server's absolute URL (ending in "/"). `onRequested` runs once the hub has taken
 * the request, so that a caller knows there is a server to stop even when the wait fails.
 */
export async function startServer(client: HubClient, userPath: string, deadline: Deadline, pollMs: number, onRequested?: () => void): Promise<string> {
    await requestServer(client, userPath, deadline);
    onRequested?.();
    const url = (await followProgress(client, userPath, deadline)) ?? (await pollUntilReady(client, userPath, deadline, pollMs));
    return new URL(url, client.base).toString().replace(/\/?$/, "/");
}

/** Follows redirects (the single-user server's OAuth dance with the hub) to the server's page. */
export async function openServerPage(client: HubClient, serverUrl: string, deadline: Deadline): Promise<void> {
    const maxRedirects = 12;
    let url = serverUrl;
    for (let hop = 0; hop <= maxRedirects; hop++) {
        const answer = await client.call({ path: url, mode: "navigate", deadline, what: "server page" });
        const location = answer.headers.location;
        if (answer.status >= 300 && answer.status < 400 && location) {
            const next = new URL(String(location), answer.url);
            if (next.origin !== client.base.origin) throw new LoadtestError("protocol", `server page: redirected off the hub to ${next.origin}`);
            url = next.toString();
            continue;
        }
        if (answer.status !== 200) throw statusError(answer.status, "server page", answer.body);
        const landed = new URL(answer.url).pathname;
        if (!landed.startsWith(new URL(serverUrl).pathname)) throw new LoadtestError("protocol", `server page: ended on ${landed}, not on the user's server`);
        return;
    }
    throw new LoadtestError("protocol", `server page: more than ${maxRedirects} redirects (a redirect loop between the server and the hub's OAuth)`);
}

export async function stopServer(client: HubClient, userPath: string, deadline: Deadline, intervalMs: number): Promise<void> {
    const answer = await client.call({ method: "DELETE", path: `${userPath}/server`, mode: "api", deadline, what: "stop server" });
    if (answer.status === 204) return;
    if (answer.status !== 202) throw statusError(answer.status, "stop server", answer.body);
    for (;;) {
        const model = await userModel(client, userPath, deadline);
        if (!model.server && !model.pending) return;
        if (deadline.remainingMs() <= intervalMs) throw new LoadtestError("timeout", "the server did not stop in time");
        await sleep(intervalMs);
    }
}

export interface RunUserArgs {
    readonly hubUrl: string;
    /** Shared connection pool of the run. */
    readonly dispatcher: Dispatcher;
    /** How that pool reaches and trusts the hub (the kernel's websocket connects the same way). */
    readonly connect?: ConnectOptions;
    readonly account: Account;
    readonly options: UserOptions;
    /** performance.now() at the start of the run: result times are seconds since then. */
    readonly runStart: number;
    readonly events?: UserEvents;
}

/** Runs one user's flow; never throws: every failure ends up classified in the result. */
export async function runUser(args: RunUserArgs): Promise<UserResult> {
    const { account, options, events = {} } = args;
    const since = () => (performance.now() - args.runStart) / 1000;
    const startedAt = since();
    const phases: Partial<Record<Phase, PhaseTiming>> = {};
    const failures: Failure[] = [];
    const throttled = { responses: 0, waitedSeconds: 0 };
    const client = new HubClient(
        args.hubUrl,
        args.dispatcher,
        {
            onThrottle(seconds) {
                throttled.responses++;
                throttled.waitedSeconds += seconds;
                events.throttled?.(account.username, seconds);
            },
        },
        args.connect,
    );
    const pollMs = options.pollIntervalMs ?? 1000;
    const userPath = `/hub/api/users/${encodeURIComponent(account.username)}`;

    const phase = async (name: Phase, work: (deadline: Deadline) => Promise<void>): Promise<boolean> => {
        const start = since();
        try {
            await work(new Deadline(options.phaseTimeoutMs));
        } catch (err) {
            const e = classifyError(err, name);
            const failure: Failure = { phase: name, start, seconds: since() - start, errorClass: e.errorClass, message: e.message };
            failures.push(e.status !== undefined ? { ...failure, status: e.status } : failure);
            return false;
        }
        const seconds = since() - start;
        phases[name] = { start, seconds };
        events.phaseDone?.(account.username, name, seconds);
        return true;
    };

    let serverUrl = client.url(`/user/${encodeURIComponent(account.username)}/`);
    let serverRequested = false;
    const spawn = async (deadline: Deadline) => {
        serverUrl = await startServer(client, userPath, deadline, pollMs, () => (serverRequested = true));
    };
    if (await phase("login", (d) => login(client, account, d))) {
        if (await phase("spawn", spawn)) {
            if (await phase("page", (d) => openServerPage(client, serverUrl, d))) {
                if (options.execute) await phase("execute", (d) => executeCell(client, account.username, serverUrl, d));
            }
        }
    }
    // Stop what was started even when a later phase failed: a rehearsal must not leave servers behind.
    if (options.stop && serverRequested) await phase("stop", (d) => stopServer(client, userPath, d, pollMs));

    return { username: account.username, startedAt, finishedAt: since(), phases, throttled, failures };
}
