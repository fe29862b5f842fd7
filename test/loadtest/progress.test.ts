import * as assert from "assert";
import type { UserResult } from "../../cli/loadtest/flow";
import { LoadtestProgress } from "../../cli/loadtest/progress";
import { Capture } from "../capture";

const ok: UserResult = { username: "u1", startedAt: 0, finishedAt: 12.34, phases: {}, throttled: { responses: 0, waitedSeconds: 0 }, failures: [] };
const failed: UserResult = {
    ...ok,
    username: "u2",
    failures: [{ phase: "spawn", errorClass: "http-5xx", status: 504, message: "start server: HTTP 504", start: 1, seconds: 2 }],
};

describe("loadtest: progress line", () => {
    it("writes one plain line per finished user when not on a terminal", () => {
        const out = new Capture(false);
        const p = new LoadtestProgress(out, 2, ["login", "spawn", "page"]);
        p.userStarted();
        p.phaseDone("u1", "login");
        p.throttled();
        p.userFinished(ok);
        p.userFinished(failed);
        p.finish();
        assert.strictEqual(out.text, "[1/2] u1 12.3s ok\n[2/2] u2 12.3s failed in spawn→ready: http-5xx: start server: HTTP 504\n");
    });

    it("rewrites one status line in place on a terminal, with failures on lines of their own", () => {
        const out = new Capture(true);
        const p = new LoadtestProgress(out, 3, ["login", "spawn", "page"]);
        p.userStarted();
        p.userStarted();
        p.phaseDone("u1", "login");
        p.phaseDone("u1", "spawn");
        p.throttled();
        assert.match(p.statusLine(), /^\d+s · started 2\/3 · login 1 · spawn→ready 1 · first page 0 · done 0 · 429 waited 1$/);
        p.userFinished(ok);
        p.userFinished(failed);
        assert.match(p.statusLine(), /done 2 · failed 1/);
        p.finish();
        assert.ok(out.text.includes("\r\x1b[K"), "the status line is rewritten in place");
        assert.ok(out.text.includes("[2/3] u2 12.3s failed in spawn→ready"), "a failure gets its own line");
        assert.ok(!out.text.includes("u1 12.3s ok"), "successes only count");
        assert.ok(out.text.endsWith("\r\x1b[K"), "finish clears the status line");
    });

    it("cuts the status line to the terminal's width", () => {
        const out = new Capture(true, 30);
        const p = new LoadtestProgress(out, 60, ["login", "spawn", "page", "execute", "stop"]);
        p.userStarted();
        const last = out.text.split("\r\x1b[K").pop()!;
        assert.strictEqual(last.length, 29);
        assert.ok(last.endsWith("…"));
    });
});
