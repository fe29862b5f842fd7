import { ProgressOutput, StatusLine } from "../statusline";

/** Decimal units, as disks and download pages count: "840 B", "12.3 MB", "3.41 GB". */
export function formatBytes(n: number): string {
    if (n < 1000) return `${n} B`;
    const units = ["kB", "MB", "GB", "TB"];
    let value = n;
    let unit = "B";
    for (const u of units) {
        if (value < 1000) break;
        value /= 1000;
        unit = u;
    }
    return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${unit}`;
}

/** "0:07", "4:10", "1:05:00". */
export function formatDuration(seconds: number): string {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = String(s % 60).padStart(2, "0");
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** Seconds left at the rate so far; undefined before anything has moved. */
export function eta(done: number, total: number, elapsedSeconds: number): number | undefined {
    if (done <= 0 || elapsedSeconds <= 0) return undefined;
    return Math.max(0, total - done) / (done / elapsedSeconds);
}

export interface ProgressState {
    /** Content bytes read in this run, and the bytes still to read when it started (skipped archives not counted). */
    readonly done: number;
    readonly total: number;
    readonly elapsedSeconds: number;
    readonly archive: number;
    readonly archives: number;
    readonly name: string;
}

/** "[3/62] workshop-03  1.21 GB of 3.40 GB (35%), 48.0 MB/s, ETA 0:46". */
export function progressText(state: ProgressState): string {
    const percent = state.total > 0 ? Math.min(100, Math.floor((100 * state.done) / state.total)) : 100;
    const rate = state.elapsedSeconds > 0 ? `, ${formatBytes(state.done / state.elapsedSeconds)}/s` : "";
    const left = eta(state.done, state.total, state.elapsedSeconds);
    return `[${state.archive}/${state.archives}] ${state.name}  ${formatBytes(state.done)} of ${formatBytes(state.total)} (${percent}%)${rate}, ETA ${left === undefined ? "unknown" : formatDuration(left)}`;
}

/**
 * The backup's progress: on a terminal a status line rewritten in place (bytes, rate, ETA), and one line per
 * archive everywhere, with the overall progress in it.
 */
export class BackupProgress {
    private readonly status: StatusLine;
    private readonly started: number;
    private done = 0;
    private archive = 0;
    private name = "";
    private shownAt = 0;

    constructor(
        out: ProgressOutput,
        private readonly total: number,
        private readonly archives: number,
        private readonly now: () => number = Date.now,
    ) {
        this.status = new StatusLine(out);
        this.started = now();
    }

    private state(): ProgressState {
        return { done: this.done, total: this.total, elapsedSeconds: (this.now() - this.started) / 1000, archive: this.archive, archives: this.archives, name: this.name };
    }

    begin(name: string): void {
        this.archive++;
        this.name = name;
        this.status.show(progressText(this.state()));
    }

    add(bytes: number): void {
        this.done += bytes;
        const now = this.now();
        if (now - this.shownAt < 250) return;
        this.shownAt = now;
        this.status.show(progressText(this.state()));
    }

    /** A finished archive: its own figures, then where the whole run stands. */
    finished(detail: string): void {
        this.status.print(`  ${detail}   ${progressText(this.state())}`);
    }

    note(text: string): void {
        this.status.print(text);
    }

    clear(): void {
        this.status.clear();
    }

    get elapsedSeconds(): number {
        return (this.now() - this.started) / 1000;
    }
}
