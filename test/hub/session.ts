/**
 * A browser-like JupyterHub 5 session for tests, on the load tester's own client (cli/loadtest/http.ts): its cookie
 * jar, the `Sec-Fetch-Mode` a browser sends (on which the hub's `_xsrf` handling depends) and `X-XSRFToken` on API
 * calls. Answers come back as standard Responses.
 */
import { Agent } from "undici";
import { Deadline, HubClient, RequestMode } from "../../cli/loadtest/http";
import { HANG_GUARD_MS } from "../wait";

export interface LoginResult {
    status: number;
    /** True when the hub set its login cookie. */
    loggedIn: boolean;
    location: string | null;
    /** The Retry-After header (a 429 of a throttled hub). */
    retryAfter: string | null;
    body: string;
}

/** The sessions' own connection pool, so no test relies on (or replaces) the process-wide one fetch uses. */
const sessionAgent = new Agent({ keepAliveTimeout: 1_000 });

/** Answers that may not carry a body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export interface SessionRequest {
    method?: "GET" | "POST" | "DELETE";
    form?: Record<string, string>;
}

export class HubSession {
    private readonly client: HubClient;

    constructor(baseUrl: string) {
        this.client = new HubClient(baseUrl, sessionAgent);
    }

    /** One request with this session's cookies, as a browser would send it; redirects are returned, not followed. */
    async request(path: string, init: SessionRequest = {}, mode: RequestMode = "navigate"): Promise<Response> {
        const answer = await this.client.send({ ...init, path, mode, deadline: new Deadline(HANG_GUARD_MS), what: path });
        const headers = new Headers();
        for (const [name, value] of Object.entries(answer.headers)) {
            for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
        }
        return new Response(NULL_BODY_STATUSES.has(answer.status) ? null : answer.body, { status: answer.status, headers });
    }

    /** GET the login page for its `_xsrf`, then POST the form as a browser does, `typingMs` later. */
    async login(username: string, password: string, typingMs = 0): Promise<LoginResult> {
        const page = await this.request("/hub/login");
        const html = await page.text();
        const xsrf = /name="_xsrf"\s+value="([^"]+)"/.exec(html)?.[1];
        if (!xsrf) throw new Error(`no _xsrf field on /hub/login (status ${page.status})`);
        if (typingMs > 0) await new Promise((resolve) => setTimeout(resolve, typingMs));
        const res = await this.request("/hub/login", { method: "POST", form: { _xsrf: xsrf, username, password } });
        return {
            status: res.status,
            loggedIn: (await this.client.cookie("jupyterhub-hub-login", "/hub/")) !== undefined,
            location: res.headers.get("location"),
            retryAfter: res.headers.get("retry-after"),
            body: await res.text(),
        };
    }

    /**
     * A hub API call authenticated by the login cookie, as a page script makes it: JupyterHub ≥ 4 wants the
     * logged-in session's `_xsrf` as X-XSRFToken, and a hub page is what issues that cookie after login.
     */
    async api(path: string, init: SessionRequest = {}): Promise<Response> {
        const page = await this.request("/hub/home");
        if (page.status !== 200) throw new Error(`/hub/home answered ${page.status}; is the session logged in?`);
        return this.request(`/hub/api${path}`, init, "api");
    }
}
