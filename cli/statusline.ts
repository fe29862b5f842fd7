/** Where a live display writes: a terminal gets a status line rewritten in place, anything else plain lines. */
export interface ProgressOutput {
    write(text: string): unknown;
    readonly isTTY?: boolean;
    readonly columns?: number;
}

/** One status line, rewritten in place on a terminal (cut to its width) and never written elsewhere. */
export class StatusLine {
    private shown = false;

    constructor(private readonly out: ProgressOutput) {}

    show(text: string): void {
        if (!this.out.isTTY) return;
        const width = Math.max(20, (this.out.columns ?? 100) - 1);
        this.out.write(`\r\x1b[K${text.length > width ? text.slice(0, width - 1) + "…" : text}`);
        this.shown = true;
    }

    clear(): void {
        if (this.shown) this.out.write("\r\x1b[K");
        this.shown = false;
    }

    /** A line of its own, above the status line. */
    print(text: string): void {
        this.clear();
        this.out.write(text + "\n");
    }
}
