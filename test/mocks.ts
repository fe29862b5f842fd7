/**
 * The one mocks module of the test suite. Pulumi's mock runtime is process-global, so every test that runs
 * program code goes through `planProgram` (plan/run.ts): it records each registered resource, fails on a lookup
 * with no offline answer and on duplicate URNs.
 */
import * as path from "path";
import { parseSiteConfig, SiteConfig } from "../components/config";
import { planProgram, PlannedResource, PlanResult } from "../plan/run";
import { readStackConfig, stackFilePath } from "../plan/stackfile";

export { planProgram, PlannedResource, PlanResult };

export const PROJECT_DIR = path.resolve(__dirname, "..");
export const SITES = ["nebula", "jetstream", "aws"] as const;
export type Site = (typeof SITES)[number];

/** The raw config of a stack file with overrides applied (a value of `undefined` removes the key). */
export function stackConfig(site: Site, overrides: Record<string, string | undefined> = {}) {
    const stack = readStackConfig(stackFilePath(PROJECT_DIR, site));
    const config = { ...stack.config };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete config[key];
        else config[key] = value;
    }
    return { config, secretKeys: stack.secretKeys };
}

/** A validated SiteConfig for a stack file, for tests of one component or pure function. */
export function testConfig(site: Site, overrides: Record<string, string | undefined> = {}): SiteConfig {
    return parseSiteConfig(stackConfig(site, overrides).config, site, PROJECT_DIR);
}

const stackPlans = new Map<string, Promise<PlanResult>>();

/**
 * Runs the whole program for `Pulumi.<site>.yaml` the way `pulumi up -s <site>` would. The program is
 * deterministic for a given configuration, so each (site, overrides) is planned once per test process and the
 * plan is shared: treat it as read-only.
 */
export function runStack(site: Site, overrides: Record<string, string | undefined> = {}): Promise<PlanResult> {
    const key = JSON.stringify([site, Object.entries(overrides).sort()]);
    let plan = stackPlans.get(key);
    if (!plan) {
        const { config, secretKeys } = stackConfig(site, overrides);
        // Loaded here, not at the top, so that tests of one layer run without loading every layer.
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const { deploy, readProgramConfig } = require("../components/esiphub") as typeof import("../components/esiphub");
        plan = planProgram(site, () => deploy(readProgramConfig(PROJECT_DIR)), { config, secretKeys });
        // A failed plan is not kept: the next caller sees the failure again, from a run of its own.
        plan.catch(() => stackPlans.delete(key));
        stackPlans.set(key, plan);
    }
    return plan;
}

export function resourcesOfType(result: PlanResult, type: string): PlannedResource[] {
    return result.resources.filter((r) => r.type === type);
}

export function findResource(result: PlanResult, type: string, name?: string | RegExp): PlannedResource {
    const matches = resourcesOfType(result, type).filter(
        (r) => name === undefined || (typeof name === "string" ? r.name === name : name.test(r.name)),
    );
    if (matches.length !== 1) {
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${matches.length}: ${matches.map((m) => m.name).join(", ")}`);
    }
    return matches[0];
}

/** Count of resources on the longest chain of dependencies (explicit, property and parent links). */
export function longestChain(result: PlanResult): number {
    const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
    const memo = new Map<string, number>();
    const depth = (urn: string): number => {
        const known = memo.get(urn);
        if (known !== undefined) return known;
        const r = byUrn.get(urn);
        if (!r) return 0;
        memo.set(urn, 1); // guards against cycles (there should be none)
        const links = [...r.dependencies, ...(r.parent ? [r.parent] : [])];
        const d = 1 + Math.max(0, ...links.map(depth));
        memo.set(urn, d);
        return d;
    };
    return Math.max(0, ...result.resources.map((r) => depth(r.urn)));
}
