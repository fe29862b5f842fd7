/** Replays the burst: users started over the ramp, at most `concurrency` at a time, on one shared connection pool. */
import type { Account } from "./credentials";
import { runUser, UserEvents, UserResult } from "./flow";
import { buildReport, LoadtestReport, RunSettings } from "./report";
import { ConnectOptions, hubAgent } from "./trust";

export interface RunEvents extends UserEvents {
    userStarted?(username: string): void;
    userFinished?(result: UserResult): void;
}

export interface LoadtestRun extends RunSettings {
    readonly hubUrl: string;
    /** Pause between looks at a user's model when the hub gives no progress stream, ms. */
    readonly pollIntervalMs?: number;
    /** How the users reach and trust the hub (default: the system's resolver and Node's roots). */
    readonly connect?: ConnectOptions;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Seconds after the start at which user `index` of `users` begins: evenly spread over the ramp. */
export function rampOffset(index: number, users: number, rampSeconds: number): number {
    return users > 0 ? (index * rampSeconds) / users : 0;
}

/** At most `size` holders at once. */
class Slots {
    private free: number;
    private readonly waiting: (() => void)[] = [];

    constructor(size: number) {
        this.free = size;
    }

    async take(): Promise<void> {
        if (this.free > 0) {
            this.free--;
            return;
        }
        await new Promise<void>((resolve) => this.waiting.push(resolve));
    }

    give(): void {
        const next = this.waiting.shift();
        if (next) next();
        else this.free++;
    }
}

/** Runs `run.users` users with the first accounts; resolves with the report (failures are in it, never thrown). */
export async function runLoadtest(accounts: readonly Account[], run: LoadtestRun, events: RunEvents = {}): Promise<LoadtestReport> {
    if (accounts.length < run.users) throw new RangeError(`${run.users} users asked for, only ${accounts.length} accounts`);
    const chosen = accounts.slice(0, run.users);
    const dispatcher = hubAgent(run.connect, { keepAliveTimeout: 10_000 });
    const slots = new Slots(Math.max(1, run.concurrency));
    const startedAt = new Date();
    const runStart = performance.now();
    try {
        const results = await Promise.all(
            chosen.map(async (account, index) => {
                await sleep(rampOffset(index, chosen.length, run.rampSeconds) * 1000);
                await slots.take();
                try {
                    events.userStarted?.(account.username);
                    const result = await runUser({
                        hubUrl: run.hubUrl,
                        dispatcher,
                        connect: run.connect,
                        account,
                        runStart,
                        events,
                        options: { execute: run.execute, stop: run.stop, phaseTimeoutMs: run.timeoutSeconds * 1000, pollIntervalMs: run.pollIntervalMs },
                    });
                    events.userFinished?.(result);
                    return result;
                } finally {
                    slots.give();
                }
            }),
        );
        const settings: RunSettings = {
            users: run.users,
            concurrency: run.concurrency,
            rampSeconds: run.rampSeconds,
            timeoutSeconds: run.timeoutSeconds,
            execute: run.execute,
            stop: run.stop,
        };
        return buildReport({ hub: run.hubUrl, startedAt, wallSeconds: (performance.now() - runStart) / 1000, settings, results });
    } finally {
        await dispatcher.close();
    }
}
