import * as assert from "assert";
import * as net from "net";
import { Agent } from "undici";
import { loginFormXsrf, runUser, UserOptions } from "../../cli/loadtest/flow";
import { FAKE_PASSWORD, FAKE_USER, FakeHub, hang } from "./fakehub";

const OPTIONS: UserOptions = { execute: false, stop: true, phaseTimeoutMs: 5000, pollIntervalMs: 20 };
const user = `/hub/api/users/${FAKE_USER}`;

describe("loadtest: one user's flow against a scripted hub", function () {
    let hub: FakeHub;
    let dispatcher: Agent;

    beforeEach(async () => {
        hub = await new FakeHub().start();
        dispatcher = new Agent();
    });
    afterEach(async () => {
        await hub.close();
        await dispatcher.close();
    });

    const run = (options: Partial<UserOptions> = {}, password = FAKE_PASSWORD, hubUrl = hub.url) =>
        runUser({ hubUrl, dispatcher, account: { username: FAKE_USER, password }, options: { ...OPTIONS, ...options }, runStart: performance.now() });

    it("gets through login, spawn, first page and stop, as a browser would", async () => {
        const result = await run();
        assert.deepStrictEqual(result.failures, []);
        assert.deepStrictEqual(Object.keys(result.phases).sort(), ["login", "page", "spawn", "stop"]);
        for (const t of Object.values(result.phases)) assert.ok(t!.seconds >= 0 && t!.start >= 0);
        // The form POST carries the page's _xsrf; API calls carry the session's token; page loads say they navigate.
        const post = hub.requests.find((r) => r.method === "POST" && r.path === "/hub/login")!;
        assert.strictEqual(new URLSearchParams(post.body).get("_xsrf"), "anon-token");
        assert.strictEqual(post.headers["sec-fetch-mode"], "navigate");
        const spawn = hub.requests.find((r) => r.method === "POST" && r.path === `${user}/server`)!;
        assert.strictEqual(spawn.headers["x-xsrftoken"], "session-token");
        assert.strictEqual(spawn.headers["sec-fetch-mode"], "cors");
        assert.strictEqual(hub.count(`GET /user/${FAKE_USER}/tree/`), 1);
        assert.strictEqual(hub.count(`DELETE ${user}/server`), 1);
    });

    it("classifies a wrong password as a refused login and goes no further", async () => {
        const result = await run({}, "wrong");
        assert.strictEqual(result.failures.length, 1);
        assert.strictEqual(result.failures[0].phase, "login");
        assert.strictEqual(result.failures[0].errorClass, "login-refused");
        assert.strictEqual(result.failures[0].status, 403);
        assert.strictEqual(hub.count(`POST ${user}/server`), 0);
        assert.strictEqual(hub.count(`DELETE ${user}/server`), 0, "nothing was started, so nothing is stopped");
    });

    it("waits out 429 + Retry-After on the spawn request and then gets its server", async () => {
        let attempts = 0;
        const times: number[] = [];
        hub.routes[`POST ${user}/server`] = (_req, res) => {
            times.push(performance.now());
            if (++attempts <= 2) res.writeHead(429, { "retry-after": "1", "content-type": "application/json" }).end(JSON.stringify({ status: 429, message: "Too many users trying to log in right now. Try again in 10 seconds." }));
            else res.writeHead(202).end();
        };
        const result = await run();
        assert.deepStrictEqual(result.failures, []);
        assert.strictEqual(attempts, 3);
        assert.deepStrictEqual(result.throttled, { responses: 2, waitedSeconds: 2 });
        // Each retry came after the second the hub asked for.
        assert.ok(times[1] - times[0] >= 950 && times[2] - times[1] >= 950, `retries too early: ${times.map((t) => Math.round(t - times[0]))}`);
    });

    it("reports `throttled` when the hub's Retry-After is beyond the phase's time", async () => {
        hub.routes[`POST ${user}/server`] = (_req, res) => res.writeHead(429, { "retry-after": "600" }).end();
        const result = await run({ phaseTimeoutMs: 2000 });
        assert.strictEqual(result.failures[0].phase, "spawn");
        assert.strictEqual(result.failures[0].errorClass, "throttled");
        assert.strictEqual(result.failures[0].status, 429);
        assert.strictEqual(hub.count(`POST ${user}/server`), 1, "no retry that could not finish in time");
    });

    it("classifies a 504 from the proxy as http-5xx with the status and the page's words", async () => {
        hub.routes[`POST ${user}/server`] = (_req, res) =>
            res.writeHead(504, { "content-type": "text/html" }).end("<html><head><title>504 Gateway Time-out</title></head><body>upstream timed out</body></html>");
        const result = await run();
        assert.strictEqual(result.failures.length, 1);
        const f = result.failures[0];
        assert.deepStrictEqual([f.phase, f.errorClass, f.status], ["spawn", "http-5xx", 504]);
        assert.match(f.message, /504 Gateway Time-out/);
        assert.strictEqual(hub.count(`DELETE ${user}/server`), 0, "the hub never accepted the start");
    });

    it("reports spawn-failed when the progress stream says the spawn failed", async () => {
        hub.routes[`GET ${user}/server/progress`] = (_req, res) => {
            res.writeHead(200, { "content-type": "text/event-stream" });
            res.end(`data: ${JSON.stringify({ progress: 100, failed: true, message: "Spawn failed: Timeout" })}\n\n`);
        };
        const result = await run();
        assert.strictEqual(result.failures[0].phase, "spawn");
        assert.strictEqual(result.failures[0].errorClass, "spawn-failed");
        assert.match(result.failures[0].message, /Spawn failed: Timeout/);
        assert.strictEqual(result.phases.stop !== undefined, true, "the accepted start is stopped again");
    });

    it("polls the user model when the hub has no progress stream", async () => {
        delete hub.routes[`GET ${user}/server/progress`];
        let looks = 0;
        hub.routes[`GET ${user}`] = (req, res) => {
            looks++;
            const model = looks < 3 ? { server: null, pending: "spawn" } : { server: `/user/${FAKE_USER}/`, pending: null };
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(model));
            void req;
        };
        const result = await run({ stop: false });
        assert.deepStrictEqual(result.failures, []);
        assert.strictEqual(looks, 3);
        assert.ok(result.phases.page);
    });

    it("times out a server page that never answers, and still stops the server", async () => {
        hub.routes[`GET /user/${FAKE_USER}/tree/`] = hang;
        const result = await run({ phaseTimeoutMs: 1000 });
        assert.strictEqual(result.failures.length, 1);
        assert.deepStrictEqual([result.failures[0].phase, result.failures[0].errorClass], ["page", "timeout"]);
        assert.ok(result.phases.stop, "stop ran after the failed page");
    });

    it("calls a redirect loop a protocol failure", async () => {
        hub.routes[`GET /user/${FAKE_USER}/tree/`] = (_req, res) => res.writeHead(302, { location: `/user/${FAKE_USER}/` }).end();
        const result = await run({ stop: false });
        assert.deepStrictEqual([result.failures[0].phase, result.failures[0].errorClass], ["page", "protocol"]);
        assert.match(result.failures[0].message, /redirect/);
    });

    it("calls a refused connection a connection failure", async () => {
        const closedPort = await new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
                const port = (s.address() as net.AddressInfo).port;
                s.close(() => resolve(port));
            });
        });
        const result = await run({}, FAKE_PASSWORD, `http://127.0.0.1:${closedPort}`);
        assert.deepStrictEqual([result.failures[0].phase, result.failures[0].errorClass], ["login", "connection"]);
        assert.match(result.failures[0].message, /ECONNREFUSED/);
    });
});

describe("loadtest: login form token", () => {
    it("reads _xsrf from the login form whatever the attribute order", () => {
        assert.strictEqual(loginFormXsrf(`<input type="hidden" name="_xsrf" value="abc|123"/>`), "abc|123");
        assert.strictEqual(loginFormXsrf(`<input value='t0k' name='_xsrf' type='hidden'>`), "t0k");
        assert.strictEqual(loginFormXsrf(`<form><input name="username"></form>`), undefined);
    });
});
