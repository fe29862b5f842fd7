/**
 * Waiting in tests without letting machine load decide the outcome: a probe is polled until it answers, and the
 * only limit is a generous guard against a hang, which names what never happened and why.
 */

/** How long a test waits for something that takes seconds on an idle machine, before calling it a hang. */
export const HANG_GUARD_MS = 5 * 60 * 1000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
    /** Between probes, ms. */
    intervalMs?: number;
    guardMs?: number;
    /** What to say beside the hang: a log tail, the last answer. */
    detail?: () => string;
}

/** Polls `probe` until it returns something other than undefined; throws naming `what` after the guard. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options: WaitOptions = {}): Promise<T> {
    const guardMs = options.guardMs ?? HANG_GUARD_MS;
    const started = Date.now();
    for (;;) {
        const answer = await probe();
        if (answer !== undefined) return answer;
        if (Date.now() - started > guardMs) {
            const detail = options.detail?.();
            throw new Error(`gave up waiting for ${what} after ${Math.round(guardMs / 1000)} s (a hang guard, not a speed limit)${detail ? `:\n${detail}` : ""}`);
        }
        await sleep(options.intervalMs ?? 250);
    }
}
