/**
 * A browser-like JupyterHub 5 client for tests: cookies, the login form's `_xsrf`, and `X-XSRFToken` on API calls.
 *
 * Requests go through undici's `request`, not `fetch`: fetch always sends `Sec-Fetch-Mode: cors`, on which the hub
 * never sets its `_xsrf` cookie, so a form's token would only match while the clock stays in the same second.
 */
import { CookieJar } from "tough-cookie";
import { Agent, request as undiciRequest } from "undici";

export interface LoginResult {
    status: number;
    /** True when the hub set its login cookie. */
    loggedIn: boolean;
    location: string | null;
    body: string;
}

/** `navigate`: a page load or form submission; `api`: a page script's call. The hub treats `_xsrf` differently. */
export type FetchMode = "navigate" | "api";

/**
 * The sessions' own connection pool. Without a dispatcher, undici's `request` would install its Agent as the
 * process-wide one that Node's built-in fetch shares, and a fetch elsewhere that leaves a body unread would
 * then crash the process when the hub closes the connection (undici 7's `assert(!this.paused)`, nodejs/undici#5360).
 */
const sessionAgent = new Agent({ keepAliveTimeout: 1_000 });

/** Answers that may not carry a body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export class HubSession {
    readonly jar = new CookieJar();

    constructor(readonly baseUrl: string) {}

    /** One request with this session's cookies, as a browser would send it; redirects are returned, not followed. */
    async request(pathOrUrl: string, init: RequestInit = {}, mode: FetchMode = "navigate"): Promise<Response> {
        const url = new URL(pathOrUrl, this.baseUrl).toString();
        const headers = new Headers(init.headers);
        const cookies = await this.jar.getCookieString(url);
        if (cookies) headers.set("Cookie", cookies);
        headers.set("Sec-Fetch-Mode", mode === "navigate" ? "navigate" : "cors");
        const sent: Record<string, string> = {};
        headers.forEach((value, name) => (sent[name] = value));
        const res = await undiciRequest(url, {
            method: (init.method ?? "GET") as "GET",
            headers: sent,
            body: init.body as string | undefined,
            dispatcher: sessionAgent,
        });
        // The body first: a paused, unread body is what undici cannot survive when the hub closes the socket.
        const body = await res.body.text();
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
            for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, one);
        }
        for (const cookie of responseHeaders.getSetCookie()) this.jar.setCookieSync(cookie, url);
        return new Response(NULL_BODY_STATUSES.has(res.statusCode) ? null : body, { status: res.statusCode, headers: responseHeaders });
    }

    async cookie(name: string, path = "/hub/"): Promise<string | undefined> {
        const cookies = await this.jar.getCookies(new URL(path, this.baseUrl).toString());
        return cookies.find((c) => c.key === name)?.value;
    }

    /** GET the login page for its `_xsrf`, then POST the form as a browser does, `typingMs` later. */
    async login(username: string, password: string, typingMs = 0): Promise<LoginResult> {
        const page = await this.request("/hub/login");
        const html = await page.text();
        const xsrf = /name="_xsrf"\s+value="([^"]+)"/.exec(html)?.[1];
        if (!xsrf) throw new Error(`no _xsrf field on /hub/login (status ${page.status})`);
        if (typingMs > 0) await new Promise((resolve) => setTimeout(resolve, typingMs));
        const res = await this.request("/hub/login", {
            method: "POST",
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ _xsrf: xsrf, username, password }).toString(),
        });
        return {
            status: res.status,
            loggedIn: (await this.cookie("jupyterhub-hub-login")) !== undefined,
            location: res.headers.get("location"),
            body: await res.text(),
        };
    }

    /**
     * The token hub pages hand to their scripts (`jhdata.xsrf_token`), bound to the session's `_xsrf` cookie.
     * Read after login: logging in starts a new session and so a new token.
     */
    async xsrfToken(): Promise<string> {
        const page = await this.request("/hub/home");
        const token = /xsrf_token:\s*"([^"]+)"/.exec(await page.text())?.[1];
        if (!token) throw new Error(`no xsrf_token on /hub/home (status ${page.status}); is the session logged in?`);
        return token;
    }

    /** A hub API call authenticated by the login cookie, as a page script makes it: JupyterHub ≥ 4 wants X-XSRFToken. */
    async api(path: string, init: RequestInit = {}): Promise<Response> {
        const headers = new Headers(init.headers);
        headers.set("X-XSRFToken", await this.xsrfToken());
        return this.request(`/hub/api${path}`, { ...init, headers }, "api");
    }
}
