/**
 * The progress line while a load test runs: on a terminal one status line rewritten in place; elsewhere
 * (CI logs, a pipe) one line per finished user, so the log shows the run without control characters.
 */
import { PHASE_TITLES, Phase } from "./errors";
import type { UserResult } from "./flow";
import type { RunEvents } from "./runner";
import { ProgressOutput, StatusLine } from "../statusline";

export { ProgressOutput };

export class LoadtestProgress implements RunEvents {
    private started = 0;
    private finished = 0;
    private failed = 0;
    private throttledAnswers = 0;
    /** Users that got through each phase. */
    private readonly through: Record<Phase, number> = { login: 0, spawn: 0, page: 0, execute: 0, stop: 0 };
    private readonly status: StatusLine;
    private readonly runStart = performance.now();

    constructor(
        private readonly out: ProgressOutput,
        private readonly total: number,
        private readonly phases: readonly Phase[],
    ) {
        this.status = new StatusLine(out);
    }

    userStarted(): void {
        this.started++;
        this.render();
    }

    phaseDone(_username: string, phase: Phase): void {
        this.through[phase]++;
        this.render();
    }

    throttled(): void {
        this.throttledAnswers++;
        this.render();
    }

    userFinished(result: UserResult): void {
        this.finished++;
        if (result.failures.length > 0) this.failed++;
        const counter = `[${String(this.finished).padStart(String(this.total).length)}/${this.total}]`;
        const took = `${(result.finishedAt - result.startedAt).toFixed(1)}s`;
        const first = result.failures[0];
        const outcome = first ? `failed in ${PHASE_TITLES[first.phase]}: ${first.errorClass}: ${first.message}` : "ok";
        if (this.out.isTTY) {
            // On a terminal only failures get a line of their own; the status line counts the rest.
            if (first) this.line(`${counter} ${result.username} ${took} ${outcome}`);
            else this.render();
        } else {
            this.line(`${counter} ${result.username} ${took} ${outcome}`);
        }
    }

    statusLine(): string {
        const elapsed = Math.round((performance.now() - this.runStart) / 1000);
        const parts = [`${elapsed}s`, `started ${this.started}/${this.total}`];
        for (const phase of this.phases) parts.push(`${PHASE_TITLES[phase]} ${this.through[phase]}`);
        parts.push(`done ${this.finished}`);
        if (this.failed > 0) parts.push(`failed ${this.failed}`);
        if (this.throttledAnswers > 0) parts.push(`429 waited ${this.throttledAnswers}`);
        return parts.join(" · ");
    }

    private render(): void {
        this.status.show(this.statusLine());
    }

    private line(text: string): void {
        this.status.print(text);
        this.render();
    }

    /** Clears the status line (call before printing the report). */
    finish(): void {
        this.status.clear();
    }
}
