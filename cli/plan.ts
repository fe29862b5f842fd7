import * as path from "path";
import { Command } from "commander";
import { Cloud, ConfigError, parseSiteConfig, SiteConfig } from "../components/config";
import { QuotaName, quotaNames } from "../components/quota/quotas";
import { uncheckedQuotasNote, withOfflineQuotas } from "../plan/cloud";
import { deploy, readProgramConfig } from "../components/esiphub";
import { planProgram, PlanResult, PlannedResource } from "../plan/run";
import { checkPlannedResources, formatViolations, hasMandatoryViolation, Violation } from "../policy/rules";
import { knownSites, readStackConfig, StackFileError, stackFilePath } from "../plan/stackfile";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/** Exit codes of `esiphub plan`, part of its contract with scripts. */
export const EXIT = { ok: 0, failed: 1, badConfig: 2, policy: 3 } as const;

export interface PlanCommandOptions {
    json?: boolean;
    configFile?: string;
    /** `NAME=N` quota limits of the offline cloud, in place of its documented defaults. */
    quota?: string[];
}

export interface PlanOutcome {
    exitCode: number;
    stdout: string;
    stderr: string;
    result?: PlanResult;
    violations?: Violation[];
}

/** The JSON document of `esiphub plan --json` (extend it; never rename or drop a field). */
export function planJson(result: PlanResult): Record<string, unknown> {
    return {
        site: result.site,
        resources: result.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent,
            dependencies: r.dependencies,
            protect: r.protect,
            retainOnDelete: r.retainOnDelete,
            inputs: r.inputs,
            custom: r.custom,
            provider: r.provider,
            ignoreChanges: r.ignoreChanges,
            additionalSecretOutputs: r.additionalSecretOutputs,
            deleteBeforeReplace: r.deleteBeforeReplace,
        })),
        outputs: result.outputs,
    };
}

/** The human view: the resource tree, counts per type, stack outputs. */
export function planText(result: PlanResult, notes: string[]): string {
    const lines: string[] = [`Plan of site "${result.site}" (offline: no cloud was contacted)`, ""];
    const children = new Map<string | null, PlannedResource[]>();
    for (const r of result.resources) {
        const list = children.get(r.parent) ?? [];
        list.push(r);
        children.set(r.parent, list);
    }
    const walk = (parent: string | null, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            const flags = [r.protect ? "protect" : "", r.retainOnDelete ? "retainOnDelete" : "", r.deleteBeforeReplace ? "deleteBeforeReplace" : "", r.dependencies.length ? `${r.dependencies.length} deps` : ""]
                .filter(Boolean)
                .join(", ");
            lines.push(`${"  ".repeat(depth)}${r.type}  ${r.name}${flags ? `  [${flags}]` : ""}`);
            walk(r.urn, depth + 1);
        }
    };
    walk(null, 0);
    const counts = new Map<string, number>();
    for (const r of result.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    lines.push("", `Resources: ${result.resources.length}`);
    for (const [type, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) lines.push(`  ${String(n).padStart(4)}  ${type}`);
    lines.push("", "Outputs:");
    for (const [key, value] of Object.entries(result.outputs)) {
        lines.push(`  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
    }
    if (notes.length) lines.push("", ...notes.map((n) => `Note: ${n}`));
    return lines.join("\n") + "\n";
}

/** Everything `esiphub plan` does, returning what it would print, so that tests need no subprocess. */
export async function runPlan(site: string, options: PlanCommandOptions, projectDir = PROJECT_DIR): Promise<PlanOutcome> {
    const file = options.configFile ? path.resolve(options.configFile) : stackFilePath(projectDir, site);
    let stack;
    try {
        stack = readStackConfig(file);
    } catch (e) {
        if (!(e instanceof StackFileError)) throw e;
        const sites = knownSites(projectDir);
        const hint = options.configFile ? "" : ` (known sites: ${sites.join(", ")}; or pass --config-file PATH)`;
        return { exitCode: EXIT.badConfig, stdout: "", stderr: `esiphub plan: ${e.message}${hint}\n` };
    }
    let siteConfig: SiteConfig;
    try {
        siteConfig = parseSiteConfig(stack.config, site, projectDir);
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        const list = e.problems.map((p) => `  - ${p}`).join("\n");
        return { exitCode: EXIT.badConfig, stdout: "", stderr: `esiphub plan: ${file} has ${e.problems.length} problem(s):\n${list}\n` };
    }
    const quotas = parseQuotaOverrides(options.quota ?? [], siteConfig.cloud);
    if (typeof quotas === "string") return { exitCode: EXIT.badConfig, stdout: "", stderr: `esiphub plan: --quota: ${quotas}\n` };
    let result: PlanResult;
    try {
        result = await withOfflineQuotas(quotas, () => planProgram(site, () => deploy(readProgramConfig(projectDir)), { config: stack.config, secretKeys: stack.secretKeys }));
    } catch (e) {
        return { exitCode: EXIT.failed, stdout: "", stderr: `esiphub plan: the program failed offline: ${(e as Error).message}\n` };
    }
    const notes = stack.placeholders.map((k) => `${k} is not in ${path.basename(file)}; planned with a placeholder (set it with \`pulumi config set --secret ${k} < KEYFILE\`)`);
    const unchecked = uncheckedQuotasNote(stack.config, quotas);
    if (unchecked) notes.push(unchecked);
    // The policy pack's rules, run over the planned resources: unsafe settings are refused before any deployment.
    const violations = checkPlannedResources(result.resources, { keepDataOnDestroy: siteConfig.storage.keepDataOnDestroy });
    const mandatory = hasMandatoryViolation(violations);
    const stdout = options.json ? JSON.stringify({ ...planJson(result), violations }, null, 2) + "\n" : `${planText(result, notes)}\n${formatViolations(violations)}`;
    const stderr = mandatory ? "esiphub plan: mandatory policy violation(s); fix them before deploying this site\n" : "";
    return { exitCode: mandatory ? EXIT.policy : EXIT.ok, stdout, stderr, result, violations };
}

/** `--quota NAME=N` values as limits by quota name, or what is wrong with one. */
export function parseQuotaOverrides(values: string[], cloud: Cloud): Partial<Record<QuotaName, number>> | string {
    const names = quotaNames(cloud);
    const limits: Partial<Record<QuotaName, number>> = {};
    for (const value of values) {
        const m = /^([a-z_]+)=(-1|\d+)$/.exec(value);
        if (!m) return `"${value}" is not NAME=N (N a whole number, -1 for no limit)`;
        if (!names.includes(m[1] as QuotaName)) return `"${m[1]}" is not a quota of ${cloud}; its quotas are ${names.join(", ")}`;
        limits[m[1] as QuotaName] = Number(m[2]);
    }
    return limits;
}

export function registerPlanCommand(program: Command): void {
    program
        .command("plan")
        .description("show, offline, every resource a site would get (no cloud credentials or Pulumi CLI needed)")
        .argument("<site>", "site name: the stack file Pulumi.<site>.yaml")
        .option("--json", "print the plan as JSON")
        .option("--config-file <path>", "plan this stack file instead of Pulumi.<site>.yaml")
        .option("--quota <NAME=N>", "a quota limit of the offline cloud instead of its documented default, e.g. gigabytes=2000 (repeatable)", (value: string, all: string[]) => [...all, value], [] as string[])
        .action(async (site: string, options: PlanCommandOptions) => {
            const outcome = await runPlan(site, options);
            process.stdout.write(outcome.stdout);
            process.stderr.write(outcome.stderr);
            process.exitCode = outcome.exitCode;
        });
}
