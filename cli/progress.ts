import type { EngineEvent, OpMap, OpType, StepEventMetadata } from "@pulumi/pulumi/automation";

import { redact } from "./redact";
import { ProgressOutput, StatusLine } from "./statusline";

export { ProgressOutput };

export type OperationKind = "up" | "preview" | "destroy" | "refresh";

export interface ProgressOptions {
    readonly operation: OperationKind;
    /** Resources the operation will go through (from its preview); unknown during a preview itself. */
    readonly total?: number;
}

export interface Failure {
    readonly urn?: string;
    readonly type?: string;
    readonly name?: string;
    readonly message: string;
}

export interface ProgressReport {
    readonly done: number;
    readonly total?: number;
    readonly failures: Failure[];
    /** The engine's own count of steps by operation, from its summary event. */
    readonly changes?: OpMap;
    readonly durationSeconds?: number;
}

const ACTIVE: Partial<Record<OpType, string>> = {
    same: "checking",
    create: "creating",
    update: "updating",
    delete: "deleting",
    replace: "replacing",
    "create-replacement": "creating the replacement of",
    "delete-replaced": "deleting the replaced",
    read: "reading",
    "read-replacement": "reading the replacement of",
    refresh: "refreshing",
    import: "importing",
    "import-replacement": "importing the replacement of",
    discard: "discarding",
    "discard-replaced": "discarding the replaced",
};

const DONE: Partial<Record<OpType, string>> = {
    create: "created",
    update: "updated",
    delete: "deleted",
    replace: "replaced",
    "create-replacement": "created replacement",
    "delete-replaced": "deleted replaced",
    read: "read",
    "read-replacement": "read replacement",
    import: "imported",
    "import-replacement": "imported replacement",
    discard: "discarded",
    "discard-replaced": "discarded replaced",
};

/** How `pulumi preview` marks each planned step. */
const PLANNED: Partial<Record<OpType, string>> = {
    create: "+ create",
    update: "~ update",
    delete: "- delete",
    replace: "+-replace",
    read: "> read",
    import: "= import",
    discard: "- discard",
};

/** What the summary says about each operation, in a fixed order. */
const SUMMARY_ORDER: OpType[] = ["create", "update", "replace", "delete", "read", "import", "discard", "same"];
const SUMMARY_PAST: Partial<Record<OpType, string>> = { create: "created", update: "updated", replace: "replaced", delete: "deleted", read: "read", import: "imported", discard: "discarded", same: "unchanged" };
const SUMMARY_PLANNED: Partial<Record<OpType, string>> = { create: "to create", update: "to update", replace: "to replace", delete: "to delete", read: "to read", import: "to import", discard: "to discard", same: "unchanged" };

/** The name part of a URN: `urn:pulumi:<stack>::<project>::<type chain>::<name>`. */
export function urnName(urn: string): string {
    const i = urn.lastIndexOf("::");
    return i < 0 ? urn : urn.slice(i + 2);
}

/** The engine's color markup (`<{%reset%}>`), in case a message still carries it. */
function plain(text: string): string {
    return text.replace(/<\{%[^%]*%\}>/g, "").replace(/\x1b\[[0-9;]*m/g, "");
}

/** Total number of steps in a change summary (`same` included: every resource the operation goes through). */
export function stepCount(changes: OpMap): number {
    return Object.values(changes).reduce((n, v) => n + (v ?? 0), 0);
}

export function summarizeChanges(changes: OpMap, planned: boolean): string {
    const words = planned ? SUMMARY_PLANNED : SUMMARY_PAST;
    const parts = SUMMARY_ORDER.filter((op) => (changes[op] ?? 0) > 0).map((op) => `${changes[op]} ${words[op]}`);
    return parts.length > 0 ? parts.join(", ") : "no changes";
}

function duration(seconds: number): string {
    const m = Math.floor(seconds / 60);
    const s = Math.round(seconds % 60);
    return m > 0 ? `${m}m${String(s).padStart(2, "0")}s` : `${s}s`;
}

interface Running {
    readonly op: OpType;
    /** A cloud resource, not a component (components stay open until all their children are done). */
    readonly custom: boolean;
    readonly type: string;
    readonly name: string;
    lastLog?: string;
}

/**
 * Turns the engine's events into a live view: resources done / total, what is under way, failures with their
 * message. Feed every event to `handle`, then call `finish`.
 */
export class ProgressDisplay {
    private readonly done = new Set<string>();
    private readonly running = new Map<string, Running>();
    private readonly failures: Failure[] = [];
    private readonly planned = new Map<string, OpType>();
    /** URN → type of each step the engine reported as failed. */
    private readonly failedUrns = new Map<string, string>();
    private changes?: OpMap;
    private durationSeconds?: number;
    private readonly status: StatusLine;

    constructor(out: ProgressOutput, private readonly options: ProgressOptions) {
        this.status = new StatusLine(out);
    }

    private get planning(): boolean {
        return this.options.operation === "preview";
    }

    handle(event: EngineEvent): void {
        if (event.resourcePreEvent) this.onPre(event.resourcePreEvent.metadata);
        else if (event.resOutputsEvent) this.onOutputs(event.resOutputsEvent.metadata);
        else if (event.resOpFailedEvent) this.onFailed(event.resOpFailedEvent.metadata);
        else if (event.diagnosticEvent) this.onDiagnostic(event.diagnosticEvent);
        else if (event.summaryEvent) {
            this.changes = event.summaryEvent.resourceChanges;
            this.durationSeconds = event.summaryEvent.durationSeconds;
        }
        this.renderStatus();
    }

    private onPre(meta: StepEventMetadata): void {
        if (this.planning) {
            // A preview announces each planned change once (a replacement's helper steps are not changes of their own).
            this.done.add(meta.urn);
            if (PLANNED[meta.op] && !this.planned.has(meta.urn)) {
                this.planned.set(meta.urn, meta.op);
                this.line(`${PLANNED[meta.op]}  ${meta.type}  ${urnName(meta.urn)}`);
            }
            return;
        }
        const custom = !!(meta.new?.custom ?? meta.old?.custom) || meta.type.startsWith("pulumi:providers:");
        this.running.delete(meta.urn); // a later step of the same resource is the latest started
        this.running.set(meta.urn, { op: meta.op, custom, type: meta.type, name: urnName(meta.urn) });
    }

    private onOutputs(meta: StepEventMetadata): void {
        this.done.add(meta.urn);
        if (this.planning) return;
        this.running.delete(meta.urn);
        const verb = DONE[meta.op];
        if (verb) this.line(`${this.counter()} ${verb}  ${meta.type}  ${urnName(meta.urn)}`);
    }

    private onFailed(meta: StepEventMetadata): void {
        this.running.delete(meta.urn);
        this.failedUrns.set(meta.urn, meta.type);
    }

    private onDiagnostic(diag: NonNullable<EngineEvent["diagnosticEvent"]>): void {
        // A failed remote command's diagnostic carries its whole output: no secret shape goes further than here, for
        // every display (up, destroy, scale) and the status line alike.
        const message = redact(plain(diag.message)).trim();
        if (!message) return;
        const type = diag.urn ? diag.urn.split("::")[2]?.split("$").pop() : undefined;
        const name = diag.urn ? urnName(diag.urn) : undefined;
        const subject = diag.urn ? `${type}  ${name}: ` : "";
        if (diag.severity === "error") {
            // The engine closes a failed run with "update failed" on the stack: the run's outcome, not a failure of its own.
            if (/^(update|preview|destroy|refresh) failed$/.test(message)) return;
            if (this.failures.some((f) => f.urn === diag.urn && f.message === message)) return;
            this.failures.push({ urn: diag.urn, type, name, message });
            if (diag.urn) this.running.delete(diag.urn);
            this.line(`${this.counter()} failed  ${subject}${indentRest(message)}`);
        } else if (diag.severity === "warning") {
            this.line(`${this.counter()} warning  ${subject}${indentRest(message)}`);
        } else if (diag.urn && this.running.has(diag.urn)) {
            // Program and command logs: the latest line shows what a long step is doing.
            const last = message.split("\n").filter((l) => l.trim()).pop();
            if (last) this.running.get(diag.urn)!.lastLog = last.trim();
        }
    }

    private counter(): string {
        const total = this.total();
        if (total === undefined) return `[${this.done.size}]`;
        return `[${String(this.done.size).padStart(String(total).length)}/${total}]`;
    }

    private total(): number | undefined {
        return this.options.total === undefined ? undefined : Math.max(this.options.total, this.done.size);
    }

    /** The one-line view of what is under way, rewritten in place on a terminal. */
    statusLine(): string {
        if (this.planning) return `previewing: ${this.done.size} resources, ${this.planned.size} to change`;
        const parts = [this.counter()];
        const operations = [...this.running.values()].filter((r) => r.custom);
        const changing = operations.filter((r) => r.op !== "same");
        // The latest started change, else the latest started check.
        const shown = changing[changing.length - 1] ?? operations[operations.length - 1];
        if (shown) {
            parts.push(`${ACTIVE[shown.op] ?? shown.op} ${shown.type} ${shown.name}`);
            const others = operations.length - 1;
            if (others > 0) parts.push(`(+${others} more)`);
            if (shown.lastLog) parts.push(`- ${shown.lastLog}`);
        } else {
            parts.push(this.done.size === 0 ? "starting" : "waiting for the engine");
        }
        if (this.failures.length > 0) parts.push(`${this.failures.length} failed`);
        return parts.join(" ");
    }

    private renderStatus(): void {
        this.status.show(this.statusLine());
    }

    private line(text: string): void {
        this.status.print(text);
    }

    /** Clears the status line, prints the summary and the failures again, and returns what happened. */
    finish(): ProgressReport {
        this.status.clear();
        for (const [urn, type] of this.failedUrns) {
            if (!this.failures.some((f) => f.urn === urn)) {
                this.failures.push({ urn, type, name: urnName(urn), message: "failed (the engine gave no message)" });
            }
        }
        if (this.changes) {
            const summary = summarizeChanges(this.changes, this.planning);
            const took = this.durationSeconds !== undefined && !this.planning ? ` in ${duration(this.durationSeconds)}` : "";
            this.line(`${this.planning ? "Plan" : "Resources"}: ${summary}${took}`);
        }
        if (this.failures.length > 0) {
            this.line(`${this.failures.length} failure${this.failures.length === 1 ? "" : "s"}:`);
            for (const f of this.failures) this.line(`  ${f.urn ? `${f.type}  ${f.name}: ` : ""}${indentRest(f.message, "    ")}`);
        }
        return { done: this.done.size, total: this.total(), failures: [...this.failures], changes: this.changes, durationSeconds: this.durationSeconds };
    }
}

function indentRest(message: string, indent = "    "): string {
    return message.split("\n").map((l, i) => (i === 0 ? l : indent + l)).join("\n");
}
