/** A browser-like JupyterHub 5 client for tests: cookies, the login form's `_xsrf`, and `X-XSRFToken` on API calls. */
import { CookieJar } from "tough-cookie";

export interface LoginResult {
    status: number;
    /** True when the hub set its login cookie. */
    loggedIn: boolean;
    location: string | null;
    body: string;
}

export class HubSession {
    readonly jar = new CookieJar();

    constructor(readonly baseUrl: string) {}

    /** fetch with this session's cookies; redirects are returned, not followed. */
    async request(pathOrUrl: string, init: RequestInit = {}): Promise<Response> {
        const url = new URL(pathOrUrl, this.baseUrl).toString();
        const headers = new Headers(init.headers);
        const cookies = await this.jar.getCookieString(url);
        if (cookies) headers.set("Cookie", cookies);
        const res = await fetch(url, { ...init, headers, redirect: "manual" });
        for (const cookie of res.headers.getSetCookie()) await this.jar.setCookie(cookie, url);
        return res;
    }

    async cookie(name: string, path = "/hub/"): Promise<string | undefined> {
        const cookies = await this.jar.getCookies(new URL(path, this.baseUrl).toString());
        return cookies.find((c) => c.key === name)?.value;
    }

    /** GET the login page for its `_xsrf`, then POST the form as a browser does. */
    async login(username: string, password: string): Promise<LoginResult> {
        const page = await this.request("/hub/login");
        const html = await page.text();
        const xsrf = /name="_xsrf"\s+value="([^"]+)"/.exec(html)?.[1];
        if (!xsrf) throw new Error(`no _xsrf field on /hub/login (status ${page.status})`);
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

    /** A hub API call authenticated by the login cookie; JupyterHub ≥ 4 wants X-XSRFToken with it. */
    async api(path: string, init: RequestInit = {}): Promise<Response> {
        const headers = new Headers(init.headers);
        headers.set("X-XSRFToken", await this.xsrfToken());
        return this.request(`/hub/api${path}`, { ...init, headers });
    }
}
