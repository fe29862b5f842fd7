/**
 * plan/stacks.ts: the SDK's promises are still tracked for its leak report, without a captured stack; every other
 * stack keeps its frames. (test/setup.ts calls leanPromiseStacks for every test process, as cli/esiphub.js does.)
 */
import * as assert from "assert";
import { leanPromiseStacks } from "../../plan/stacks";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const debuggable = require("@pulumi/pulumi/runtime/debuggable");

describe("leanPromiseStacks (plan/stacks.ts)", () => {
    it("the SDK's promises keep their id and context, with a stack of no frames", async () => {
        leanPromiseStacks();
        // What debuggablePromise puts on the promise (non-enumerable properties).
        const p: Promise<number> & { _debugCtx?: string; _debugId?: number; _debugStackTrace?: string } = Promise.resolve(42);
        const tracked = debuggable.debuggablePromise(p, "a test's promise");
        assert.strictEqual(await tracked, 42);
        assert.strictEqual(p._debugCtx, "a test's promise");
        assert.strictEqual(typeof p._debugId, "number");
        assert.doesNotMatch(p._debugStackTrace!, /\n\s+at /, "no frames");
    });

    it("a rejected promise still rejects, and other errors keep their stacks, at the depth they had", async () => {
        const depth = Error.stackTraceLimit;
        await assert.rejects(debuggable.debuggablePromise(Promise.reject(new Error("refused")), "rejecting"), /refused/);
        assert.strictEqual(Error.stackTraceLimit, depth);
        assert.match(new Error("elsewhere").stack!, /\n\s+at .*stacks\.test\.ts/);
    });

    it("is wrapped once, however often it is called", () => {
        leanPromiseStacks();
        const once = debuggable.debuggablePromise;
        leanPromiseStacks();
        assert.strictEqual(debuggable.debuggablePromise, once);
        assert.strictEqual(once.withoutStacks, true);
    });
});
