/**
 * One simulated browser: its own cookie jar, the headers a browser sends (Sec-Fetch-Mode decides whether
 * JupyterHub ≥ 4 wants an `_xsrf` token), every request bounded by the phase's deadline, and 429 answers
 * waited out as the hub's Retry-After asks.
 */
import type { IncomingHttpHeaders } from "http";
import { CookieJar } from "tough-cookie";
import { Dispatcher, request } from "undici";
import { classifyError, LoadtestError } from "./errors";
import type { ConnectOptions } from "./trust";

export const USER_AGENT = "esiphub-loadtest";

/** The end of a phase's time budget, on the performance.now() clock. */
export class Deadline {
    readonly at: number;

    constructor(ms: number) {
        this.at = performance.now() + ms;
    }

    remainingMs(): number {
        return this.at - performance.now();
    }
}

export interface Answer {
    readonly status: number;
    readonly headers: IncomingHttpHeaders;
    readonly body: string;
    /** The absolute URL that was asked. */
    readonly url: string;
}

/**
 * `navigate`: a page load (the hub and the single-user server accept the login cookie on it without `_xsrf`);
 * `api`: a script's fetch, as JupyterLab and the hub's pages make them (the cookie counts only with `X-XSRFToken`).
 */
export type RequestMode = "navigate" | "api";

export interface RequestSpec {
    readonly method?: "GET" | "POST" | "DELETE";
    /** A path relative to the hub URL, or a full URL. */
    readonly path: string;
    readonly mode: RequestMode;
    readonly deadline: Deadline;
    /** What the request is for, in failure messages. */
    readonly what: string;
    readonly headers?: Record<string, string>;
    readonly form?: Record<string, string>;
    readonly json?: unknown;
    /** For `api` requests: where the `_xsrf` cookie for X-XSRFToken lives (default: the hub's, /hub/). */
    readonly xsrfFrom?: string;
}

/**
 * Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), or undefined when there is none
 * or it cannot be read.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
    const text = (Array.isArray(value) ? value[0] : value)?.trim();
    if (!text) return undefined;
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    return Math.max(0, (date - nowMs) / 1000);
}

/** When the hub says 429 without Retry-After (e.g. JupyterHub's active_server_limit): 2, 4, 8, 16, 30, 30 … s. */
export function fallbackRetrySeconds(attempt: number): number {
    return Math.min(30, 2 ** Math.max(1, attempt));
}

export interface ClientHooks {
    /** A 429 is being waited out for `seconds`. */
    onThrottle?(seconds: number, what: string): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HubClient {
    readonly jar = new CookieJar();
    readonly base: URL;

    constructor(
        baseUrl: string,
        private readonly dispatcher: Dispatcher,
        private readonly hooks: ClientHooks = {},
        /** How `dispatcher` reaches and trusts the hub, for the connections made outside it (the kernel's websocket). */
        readonly connect: ConnectOptions = {},
    ) {
        this.base = new URL(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    }

    /**
     * An absolute URL for `target`: full URLs (what the hub's redirects and progress events lead to) stay as they
     * are; paths such as "/hub/login" are taken relative to the hub URL, so a hub under a prefix
     * (https://host/prefix/) works too.
     */
    url(target: string): string {
        if (/^https?:\/\//i.test(target)) return target;
        return new URL(target.replace(/^\//, ""), this.base).toString();
    }

    async cookie(name: string, target: string): Promise<string | undefined> {
        const cookies = await this.jar.getCookies(this.url(target));
        return cookies.find((c) => c.key === name)?.value;
    }

    private async headersFor(spec: RequestSpec, url: string): Promise<Record<string, string>> {
        const headers: Record<string, string> = { "user-agent": USER_AGENT, ...spec.headers };
        const cookies = await this.jar.getCookieString(url);
        if (cookies) headers.cookie = cookies;
        if (spec.mode === "navigate") {
            headers["sec-fetch-mode"] = "navigate";
            headers.accept ??= "text/html,application/xhtml+xml";
        } else {
            headers["sec-fetch-mode"] = "cors";
            headers.accept ??= "application/json";
            const xsrf = await this.cookie("_xsrf", spec.xsrfFrom ?? "/hub/");
            if (xsrf) headers["x-xsrftoken"] = xsrf;
        }
        return headers;
    }

    /** Synchronous (the jar's store is in memory), so no socket event can come between a response and its body. */
    private storeCookies(headers: IncomingHttpHeaders, url: string): void {
        const setCookie = headers["set-cookie"];
        for (const cookie of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
            this.jar.setCookieSync(cookie, url, { ignoreError: true });
        }
    }

    private body(spec: RequestSpec, headers: Record<string, string>): string | undefined {
        if (spec.form) {
            headers["content-type"] = "application/x-www-form-urlencoded";
            return new URLSearchParams(spec.form).toString();
        }
        if (spec.json !== undefined) {
            headers["content-type"] = "application/json";
            return JSON.stringify(spec.json);
        }
        return undefined;
    }

    private signal(spec: RequestSpec): AbortSignal {
        const remaining = spec.deadline.remainingMs();
        if (remaining <= 0) throw new LoadtestError("timeout", `${spec.what}: out of time before the request`);
        return AbortSignal.timeout(Math.ceil(remaining));
    }

    /** One request, redirects returned as they are, the body read whole. Network failures come out classified. */
    async send(spec: RequestSpec): Promise<Answer> {
        const url = this.url(spec.path);
        try {
            const headers = await this.headersFor(spec, url);
            const body = this.body(spec, headers);
            const res = await request(url, { method: spec.method ?? "GET", headers, body, dispatcher: this.dispatcher, signal: this.signal(spec) });
            // Read the body before awaiting anything else: undici 7 crashes the process when the hub closes a
            // connection whose body is paused unread (nodejs/undici#5360).
            const text = await res.body.text();
            this.storeCookies(res.headers, url);
            return { status: res.statusCode, headers: res.headers, body: text, url };
        } catch (err) {
            throw classifyError(err, spec.what);
        }
    }

    /**
     * Like send, but a 429 is waited out (Retry-After, or a growing pause when the hub gives none) and the request
     * repeated, as long as the deadline allows; past it the failure is `throttled`.
     */
    async call(spec: RequestSpec): Promise<Answer> {
        for (let attempt = 1; ; attempt++) {
            const answer = await this.send(spec);
            if (answer.status !== 429) return answer;
            const seconds = parseRetryAfter(answer.headers["retry-after"]) ?? fallbackRetrySeconds(attempt);
            if (seconds * 1000 >= spec.deadline.remainingMs()) {
                throw new LoadtestError(
                    "throttled",
                    `${spec.what}: the hub answered 429 ${attempt} time${attempt === 1 ? "" : "s"} and its next Retry-After (${seconds} s) is past the time limit`,
                    429,
                );
            }
            this.hooks.onThrottle?.(seconds, spec.what);
            await sleep(seconds * 1000);
        }
    }

    /**
     * A streaming GET (an event stream): `onText` gets the decoded chunks as they arrive and returns true when it
     * has what it needs, which ends the request. Resolves with the status; a non-2xx answer is not read.
     */
    async stream(spec: RequestSpec, onText: (text: string) => boolean): Promise<{ status: number; body: string; ended: boolean }> {
        const url = this.url(spec.path);
        try {
            const headers = await this.headersFor(spec, url);
            const res = await request(url, { method: "GET", headers, dispatcher: this.dispatcher, signal: this.signal(spec) });
            this.storeCookies(res.headers, url);
            if (res.statusCode < 200 || res.statusCode >= 300) return { status: res.statusCode, body: await res.body.text(), ended: true };
            const decoder = new TextDecoder();
            for await (const chunk of res.body) {
                if (onText(decoder.decode(chunk as Buffer, { stream: true }))) {
                    res.body.destroy();
                    return { status: res.statusCode, body: "", ended: false };
                }
            }
            return { status: res.statusCode, body: "", ended: true };
        } catch (err) {
            throw classifyError(err, spec.what);
        }
    }
}
