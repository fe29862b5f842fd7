import * as assert from "assert";
import { classForStatus, classifyError, LoadtestError, statusError } from "../../cli/loadtest/errors";

describe("loadtest: error classes", () => {
    it("classes statuses", () => {
        assert.strictEqual(classForStatus(429), "throttled");
        assert.strictEqual(classForStatus(502), "http-5xx");
        assert.strictEqual(classForStatus(504), "http-5xx");
        assert.strictEqual(classForStatus(404), "http-4xx");
        assert.strictEqual(classForStatus(400), "http-4xx");
    });

    it("keeps the hub's own words from a JSON error or an HTML page", () => {
        const json = statusError(400, "start server", JSON.stringify({ status: 400, message: "alice is pending stop" }));
        assert.strictEqual(json.message, "start server: HTTP 400 (alice is pending stop)");
        assert.strictEqual(json.status, 400);
        const page = statusError(500, "login", "<html><title>500: Internal Server Error</title><p class='x'>Database is locked</p></html>");
        assert.strictEqual(page.errorClass, "http-5xx");
        assert.strictEqual(page.message, "login: HTTP 500 (Database is locked)");
        assert.strictEqual(statusError(502, "x", "").message, "x: HTTP 502");
        assert.ok(statusError(503, "x", "y".repeat(1000)).message.length < 230);
    });

    it("classes network failures by their code, wherever undici puts it", () => {
        const refused = Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) });
        assert.strictEqual(classifyError(refused, "login page").errorClass, "connection");
        assert.strictEqual(classifyError(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }), "x").errorClass, "connection");
        assert.strictEqual(classifyError(Object.assign(new Error("Headers Timeout Error"), { code: "UND_ERR_HEADERS_TIMEOUT" }), "x").errorClass, "timeout");
        assert.strictEqual(classifyError(new DOMException("The operation was aborted due to timeout", "TimeoutError"), "x").errorClass, "timeout");
        assert.strictEqual(classifyError(new Error("something odd"), "x").errorClass, "protocol");
    });

    it("passes classified failures through unchanged", () => {
        const e = new LoadtestError("spawn-failed", "boom");
        assert.strictEqual(classifyError(e, "x"), e);
    });
});
