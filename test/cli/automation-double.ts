import * as fs from "fs";
import * as path from "path";
import type { EngineEvent, OpMap, OutputMap } from "@pulumi/pulumi/automation";
import { Automation, AutomationError, RunOptions, SiteStack, StackListing, StackMissingError, StackOperation, StateResource, UpdateRecord } from "../../cli/automation";

/** Engine events recorded as `pulumi --event-log` writes them: one JSON object a line. */
export function loadEvents(name: string): EngineEvent[] {
    const text = fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8");
    return text
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as EngineEvent);
}

/** What a site's stack holds in the double's "backend". */
export interface FakeSite {
    /** False: the backend has no stack for the site yet (`select` fails, `create` makes it). */
    exists?: boolean;
    outputs?: OutputMap;
    config?: Record<string, string>;
    resources?: StateResource[];
    /** Events replayed by preview/run, by `preview-<operation>` or `<operation>`. */
    events?: Partial<Record<string, EngineEvent[]>>;
    /** Operations that fail (after replaying their events), with the error's message. */
    failures?: Partial<Record<string, string>>;
    /** Filled by a destroy: the resources whose provider was asked to delete them in the cloud. */
    deletedInCloud?: string[];
    /** The backend's record of operations, newest first; each run adds one, as the engine does. */
    history?: UpdateRecord[];
}

/** A stand-in for the Pulumi CLI: replays recorded events and records every call the CLI makes. */
export class AutomationDouble implements Automation {
    readonly calls: string[] = [];

    /** `now`: the time the backend records for each run. */
    constructor(readonly sites: Record<string, FakeSite>, private readonly now: () => Date = () => new Date()) {}

    async stack(site: string, mode: "create" | "select"): Promise<SiteStack> {
        this.calls.push(`stack ${site} ${mode}`);
        const data = (this.sites[site] ??= { exists: false });
        if (data.exists === false) {
            if (mode === "select") throw new StackMissingError(`site "${site}" has no stack in the current Pulumi backend; deploy it with \`esiphub up ${site}\``);
            data.exists = true;
        }
        return new StackDouble(site, data, this.calls, this.now);
    }

    /** As `pulumi stack ls`: the stacks the backend has, each with the resources of its state. */
    async stacks(): Promise<StackListing[]> {
        this.calls.push("stacks");
        return Object.entries(this.sites)
            .filter(([, data]) => data.exists !== false)
            .map(([name, data]) => ({ name, resourceCount: data.resources?.length ?? 0 }))
            .sort((a, b) => a.name.localeCompare(b.name));
    }
}

class StackDouble implements SiteStack {
    constructor(readonly site: string, private readonly data: FakeSite, private readonly calls: string[], private readonly now: () => Date) {}

    private replay(key: string, options: RunOptions): OpMap {
        this.calls.push(`${key} ${this.site}${options.target ? ` target=${options.target.join(",")}` : ""}`);
        const events = this.data.events?.[key] ?? [];
        for (const e of events) options.onEvent(e);
        const failure = this.data.failures?.[key];
        if (failure) throw new AutomationError(failure);
        return events.find((e) => e.summaryEvent)?.summaryEvent?.resourceChanges ?? {};
    }

    async preview(operation: StackOperation, options: RunOptions): Promise<OpMap> {
        return this.replay(`preview-${operation}`, options);
    }

    async run(operation: StackOperation, options: RunOptions): Promise<OpMap> {
        const startTime = this.now();
        const record = (result: UpdateRecord["result"]) => (this.data.history = [{ kind: operation === "up" ? "update" : operation, result, startTime, endTime: this.now() }, ...(this.data.history ?? [])]);
        try {
            const changes = this.replay(operation, options);
            if (operation === "destroy") this.destroyState(options.target);
            record("succeeded");
            return changes;
        } catch (e) {
            record("failed");
            throw e;
        }
    }

    async history(): Promise<UpdateRecord[]> {
        this.calls.push(`history ${this.site}`);
        return this.data.history ?? [];
    }

    /**
     * What the engine's delete steps do (pulumi/pulumi pkg/resource/deploy/step.go, DeleteStep.Apply): refuse a
     * protected resource, drop a retainOnDelete one from the state without calling its provider, delete the rest.
     */
    private destroyState(target?: string[]): void {
        const doomed = (this.data.resources ?? []).filter((r) => !target || target.includes(r.urn));
        const protectedOne = doomed.find((r) => r.protect);
        if (protectedOne) throw new AutomationError(`resource "${protectedOne.urn}" cannot be deleted because it is protected`);
        this.data.deletedInCloud = [...(this.data.deletedInCloud ?? []), ...doomed.filter((r) => !r.retainOnDelete).map((r) => r.urn)];
        this.data.resources = (this.data.resources ?? []).filter((r) => !doomed.includes(r));
    }

    async deleteOnDestroy(urns: readonly string[]): Promise<void> {
        this.calls.push(`deleteOnDestroy ${this.site} ${urns.join(",")}`);
        this.data.resources = (this.data.resources ?? []).map((r) => (urns.includes(r.urn) ? { ...r, retainOnDelete: false, protect: false } : r));
    }

    async outputs(): Promise<OutputMap> {
        this.calls.push(`outputs ${this.site}`);
        return this.data.outputs ?? {};
    }

    async getConfig(key: string): Promise<string | undefined> {
        this.calls.push(`getConfig ${this.site} ${key}`);
        return this.data.config?.[key];
    }

    async setConfig(key: string, value: string): Promise<void> {
        this.calls.push(`setConfig ${this.site} ${key} ${value}`);
        this.data.config = { ...this.data.config, [key]: value };
    }

    async removeConfig(key: string): Promise<void> {
        this.calls.push(`removeConfig ${this.site} ${key}`);
        const config = { ...this.data.config };
        delete config[key];
        this.data.config = config;
    }

    async resources(): Promise<StateResource[]> {
        this.calls.push(`resources ${this.site}`);
        return this.data.resources ?? [];
    }
}
