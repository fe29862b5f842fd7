import * as assert from "assert";
import { Agent } from "undici";
import { Deadline, fallbackRetrySeconds, HubClient, parseRetryAfter } from "../../cli/loadtest/http";
import { FakeHub, hang } from "./fakehub";

describe("loadtest: HTTP client", () => {
    it("reads Retry-After as seconds or as an HTTP date", () => {
        assert.strictEqual(parseRetryAfter("37"), 37);
        assert.strictEqual(parseRetryAfter(["5", "9"]), 5);
        const now = Date.parse("2025-03-01T10:00:00Z");
        assert.strictEqual(parseRetryAfter("Sat, 01 Mar 2025 10:00:30 GMT", now), 30);
        assert.strictEqual(parseRetryAfter("Sat, 01 Mar 2025 09:00:00 GMT", now), 0);
        assert.strictEqual(parseRetryAfter("soon"), undefined);
        assert.strictEqual(parseRetryAfter(undefined), undefined);
        assert.strictEqual(parseRetryAfter(""), undefined);
    });

    it("backs off 2, 4, 8, 16, 30, 30 s when the hub gives no Retry-After", () => {
        assert.deepStrictEqual([1, 2, 3, 4, 5, 9].map(fallbackRetrySeconds), [2, 4, 8, 16, 30, 30]);
    });

    it("resolves hub paths below a hub URL's prefix and keeps full URLs", () => {
        const agent = new Agent();
        try {
            const client = new HubClient("https://example.org/workshop", agent);
            assert.strictEqual(client.url("/hub/login"), "https://example.org/workshop/hub/login");
            assert.strictEqual(client.url("https://example.org/workshop/user/a/"), "https://example.org/workshop/user/a/");
            assert.strictEqual(new HubClient("http://127.0.0.1:8000/", agent).url("/hub/api"), "http://127.0.0.1:8000/hub/api");
        } finally {
            void agent.close();
        }
    });

    describe("against a scripted hub", () => {
        let hub: FakeHub;
        let agent: Agent;
        beforeEach(async () => {
            hub = await new FakeHub().start();
            agent = new Agent();
        });
        afterEach(async () => {
            await hub.close();
            await agent.close();
        });

        it("keeps cookies per path and sends X-XSRFToken from the _xsrf cookie on API calls only", async () => {
            hub.routes["GET /set"] = (_req, res) =>
                res.writeHead(200, { "set-cookie": ["_xsrf=hubtoken; Path=/hub/", "_xsrf=usertoken; Path=/user/ann/", "other=1; Path=/"] }).end();
            hub.routes["GET /hub/api/x"] = (_req, res) => res.writeHead(200).end();
            hub.routes["GET /user/ann/api/y"] = (_req, res) => res.writeHead(200).end();
            hub.routes["GET /hub/page"] = (_req, res) => res.writeHead(200).end();
            const client = new HubClient(hub.url, agent);
            const deadline = new Deadline(5000);
            await client.send({ path: "/set", mode: "navigate", deadline, what: "set" });
            await client.send({ path: "/hub/api/x", mode: "api", deadline, what: "x" });
            await client.send({ path: "/user/ann/api/y", mode: "api", xsrfFrom: "/user/ann/", deadline, what: "y" });
            await client.send({ path: "/hub/page", mode: "navigate", deadline, what: "page" });
            const [x, y, page] = hub.requests.slice(1);
            assert.strictEqual(x.headers["x-xsrftoken"], "hubtoken");
            assert.strictEqual(y.headers["x-xsrftoken"], "usertoken");
            assert.match(String(y.headers.cookie), /_xsrf=usertoken/);
            assert.doesNotMatch(String(y.headers.cookie), /hubtoken/);
            assert.strictEqual(page.headers["x-xsrftoken"], undefined);
            assert.strictEqual(page.headers["sec-fetch-mode"], "navigate");
            assert.strictEqual(x.headers["user-agent"], "esiphub-loadtest");
        });

        it("bounds a request by the deadline and calls it a timeout", async () => {
            hub.routes["GET /slow"] = hang;
            const client = new HubClient(hub.url, agent);
            await assert.rejects(client.send({ path: "/slow", mode: "navigate", deadline: new Deadline(300), what: "slow page" }), (e: { errorClass?: string; message: string }) => e.errorClass === "timeout" && /slow page/.test(e.message));
            await assert.rejects(client.send({ path: "/slow", mode: "navigate", deadline: new Deadline(-1), what: "late" }), (e: { errorClass?: string }) => e.errorClass === "timeout");
        });
    });
});
