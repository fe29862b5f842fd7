/**
 * A scripted stand-in for a hub on 127.0.0.1, for the answers a healthy JupyterHub does not give on demand
 * (504s, hangs, failed spawns, redirect loops). Each route can be replaced per test; every request is recorded.
 * The real-hub behaviour is tested in loadtest.test.ts.
 */
import * as http from "http";
import type { AddressInfo } from "net";

export interface RecordedRequest {
    readonly method: string;
    readonly path: string;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

export type Route = (req: RecordedRequest, res: http.ServerResponse, hub: FakeHub) => void;

export const FAKE_USER = "ann";
export const FAKE_PASSWORD = "right-password";
const LOGIN_XSRF = "anon-token";
const SESSION_XSRF = "session-token";

function cookieValue(req: RecordedRequest, name: string): string | undefined {
    for (const part of String(req.headers.cookie ?? "").split(";")) {
        const [k, ...v] = part.trim().split("=");
        if (k === name) return v.join("=");
    }
    return undefined;
}

/** Routes of a hub on which everything works, keyed "METHOD /path". */
function healthyRoutes(): Record<string, Route> {
    const api = (req: RecordedRequest, res: http.ServerResponse): boolean => {
        // As JupyterHub ≥ 4: a cookie-authenticated API call needs X-XSRFToken equal to the session's _xsrf cookie.
        if (cookieValue(req, "jupyterhub-hub-login") !== "logged-in" || req.headers["x-xsrftoken"] !== SESSION_XSRF) {
            res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ status: 403, message: "Forbidden" }));
            return false;
        }
        return true;
    };
    const user = `/hub/api/users/${FAKE_USER}`;
    return {
        "GET /hub/login": (_req, res) => {
            res.writeHead(200, { "content-type": "text/html", "set-cookie": `_xsrf=${LOGIN_XSRF}; Path=/hub/` });
            res.end(`<form method="post"><input type="hidden" name="_xsrf" value="${LOGIN_XSRF}"/><input name="username"/><input type="password" name="password"/></form>`);
        },
        "POST /hub/login": (req, res) => {
            const form = new URLSearchParams(req.body);
            if (form.get("_xsrf") !== LOGIN_XSRF || cookieValue(req, "_xsrf") !== LOGIN_XSRF) {
                res.writeHead(403).end("'_xsrf' argument missing from POST");
            } else if (form.get("username") === FAKE_USER && form.get("password") === FAKE_PASSWORD) {
                res.writeHead(302, { location: "/hub/spawn", "set-cookie": ["jupyterhub-hub-login=logged-in; Path=/hub/; HttpOnly"] }).end();
            } else {
                // JupyterHub itself says 200 with the form again (tested against the real hub); some proxies say 403.
                res.writeHead(403, { "content-type": "text/html" }).end(`<p class="login_error">Invalid username or password</p><input type="password" name="password"/>`);
            }
        },
        "GET /hub/home": (_req, res) => {
            res.writeHead(200, { "content-type": "text/html", "set-cookie": `_xsrf=${SESSION_XSRF}; Path=/hub/` }).end("<h1>home</h1>");
        },
        [`POST ${user}/server`]: (req, res) => {
            if (api(req, res)) res.writeHead(202).end();
        },
        [`GET ${user}/server/progress`]: (req, res) => {
            if (!api(req, res)) return;
            res.writeHead(200, { "content-type": "text/event-stream" });
            res.write(`data: ${JSON.stringify({ progress: 50, message: "starting" })}\n\n`);
            setTimeout(() => res.end(`data: ${JSON.stringify({ progress: 100, ready: true, url: `/user/${FAKE_USER}/` })}\n\n`), 20);
        },
        [`GET ${user}`]: (req, res) => {
            if (api(req, res)) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name: FAKE_USER, server: null, pending: null }));
        },
        [`DELETE ${user}/server`]: (req, res) => {
            if (api(req, res)) res.writeHead(204).end();
        },
        [`GET /user/${FAKE_USER}/`]: (_req, res) => {
            res.writeHead(302, { location: `/user/${FAKE_USER}/tree/` }).end();
        },
        [`GET /user/${FAKE_USER}/tree/`]: (_req, res) => {
            res.writeHead(200, { "content-type": "text/html" }).end("<title>Home</title>");
        },
    };
}

export class FakeHub {
    readonly requests: RecordedRequest[] = [];
    readonly routes: Record<string, Route> = healthyRoutes();
    private readonly server = http.createServer((req, res) => this.handle(req, res));
    /** Responses held open by hanging routes; ended on close. */
    readonly held = new Set<http.ServerResponse>();
    url = "";

    async start(): Promise<this> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        return this;
    }

    async close(): Promise<void> {
        for (const res of this.held) res.destroy();
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    /** Requests to a route, e.g. "POST /hub/login". */
    count(route: string): number {
        return this.requests.filter((r) => `${r.method} ${r.path.split("?")[0]}` === route).length;
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const recorded: RecordedRequest = { method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString() };
            this.requests.push(recorded);
            const route = this.routes[`${recorded.method} ${recorded.path.split("?")[0]}`];
            if (route) route(recorded, res, this);
            else res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ status: 404, message: "Not Found" }));
        });
    }
}

/** A route that never answers (until the hub closes). */
export const hang: Route = (_req, res, hub) => {
    hub.held.add(res);
};
