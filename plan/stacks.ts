/**
 * The Pulumi SDK records `new Error().stack` for every promise it makes (@pulumi/pulumi runtime/debuggable.js
 * `debuggablePromise`, kept for the leak report it prints at exit). Capturing and formatting those stacks (under
 * ts-node, through source-map-support) was about a third of a large plan's CPU: a 1000-account plan took 26 s of CPU
 * with them, 18 s with the stacks left unformatted, and capturing them still cost 7 µs a promise against 1 µs.
 *
 * The SDK's modules call it through the module's exports (`debuggable_1.debuggablePromise(...)`), so wrapping that
 * export reaches every call: the promise is tracked for the leak report as before, with a stack of no frames. Every
 * other stack keeps its depth and its source-mapped lines.
 */
interface Debuggable {
    debuggablePromise: (<T>(p: Promise<T>, ctx: unknown) => Promise<T>) & { withoutStacks?: true };
}

export function leanPromiseStacks(): void {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as Debuggable;
    const tracked = debuggable.debuggablePromise;
    if (tracked.withoutStacks) return;
    const withoutStacks = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
        const depth = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return tracked(p, ctx);
        } finally {
            Error.stackTraceLimit = depth;
        }
    };
    debuggable.debuggablePromise = Object.assign(withoutStacks, { withoutStacks: true as const });
}
