import * as path from "path";
import { Command } from "commander";
import { Cloud, ConfigError, parseSiteConfig, SiteConfig } from "../components/config";
import { estimateCost } from "../components/cost";
import { QuotaName, quotaNames } from "../components/quota/quotas";
import { uncheckedQuotasNote, withOfflineQuotas } from "../plan/cloud";
import { deploy, readProgramConfig } from "../components/esiphub";
import { planProgram, PlanResult, PlannedResource } from "../plan/run";
import { checkPlannedResources, formatViolations, hasMandatoryViolation, Violation } from "../policy/rules";
import { knownSites, readStackConfig, StackConfig, StackFileError, stackFilePath } from "../plan/stackfile";
import { CliDeps, CliOutcome, EXIT } from "./deps";
import { formatSummary, siteSummary, SiteSummary } from "./summary";

export { EXIT };

export const PROJECT_DIR = path.resolve(__dirname, "..");

export interface PlanCommandOptions {
    json?: boolean;
    configFile?: string;
    /** Print the whole resource tree after the summary. */
    tree?: boolean;
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

function treeLines(result: PlanResult): string[] {
    const lines: string[] = [];
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
    return lines;
}

/** The human view: the summary, the resource tree (when asked for), counts per type, stack outputs. */
export function planText(result: PlanResult, notes: string[], view: { tree?: boolean; summary?: SiteSummary } = { tree: true }): string {
    const lines: string[] = [`Plan of site "${result.site}" (offline: no cloud was contacted)`, ""];
    if (view.summary) lines.push(formatSummary(view.summary));
    if (view.tree) lines.push(...treeLines(result), "");
    const counts = new Map<string, number>();
    for (const r of result.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    lines.push(`Resources: ${result.resources.length}${view.tree ? "" : " (the tree: add --tree)"}`);
    for (const [type, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) lines.push(`  ${String(n).padStart(4)}  ${type}`);
    lines.push("", "Outputs:");
    for (const [key, value] of Object.entries(result.outputs)) {
        lines.push(`  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
    }
    if (notes.length) lines.push("", ...notes.map((n) => `Note: ${n}`));
    return lines.join("\n") + "\n";
}

/** What the offline checks found: the exit status they imply, and what they read and planned on the way. */
export interface OfflineChecks {
    readonly exitCode: number;
    /** Why the site cannot be deployed (a bad stack file: exit 2; the program failing offline: exit 1). */
    readonly problems: string[];
    readonly file: string;
    readonly stack?: StackConfig;
    readonly config?: SiteConfig;
    readonly result?: PlanResult;
    readonly violations: Violation[];
    readonly summary?: SiteSummary;
    /** Things worth saying that do not stop a deployment (a secret planned with a placeholder). */
    readonly notes: string[];
}

/**
 * Everything that can be checked without a cloud or the Pulumi CLI, in the order a deployment would meet it: the
 * stack file, its settings (capacity included), the whole program planned offline, the policy pack's rules over the
 * planned resources. `esiphub plan` prints it; `up`, `preview` and `refresh` stop on it before touching Pulumi, so a
 * check added here holds for all of them.
 *
 * Quotas: `plan` checks the site against the offline cloud's documented default quotas (or `--quota NAME=N`); before a
 * real deployment (`quotas: "project"`) that would refuse projects whose quotas were raised, so the offline cloud has
 * no limits there and the program checks the project's real quotas and usage itself (components/quota/preflight.ts).
 */
export async function offlineChecks(
    site: string,
    options: { configFile?: string; projectDir?: string; quota?: string[]; quotas?: "offline-defaults" | "project" } = {},
): Promise<OfflineChecks> {
    const projectDir = options.projectDir ?? PROJECT_DIR;
    const file = options.configFile ? path.resolve(options.configFile) : stackFilePath(projectDir, site);
    const stop = (exitCode: number, problems: string[], more: Partial<OfflineChecks> = {}): OfflineChecks => ({ exitCode, problems, file, violations: [], notes: [], ...more });
    let stack: StackConfig;
    try {
        stack = readStackConfig(file);
    } catch (e) {
        if (!(e instanceof StackFileError)) throw e;
        const hint = options.configFile ? "" : ` (known sites: ${knownSites(projectDir).join(", ")}; or pass --config-file PATH)`;
        return stop(EXIT.badConfig, [`${e.message}${hint}`]);
    }
    let config: SiteConfig;
    try {
        config = parseSiteConfig(stack.config, site, projectDir, { yamlNumbers: stack.yamlNumbers });
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return stop(EXIT.badConfig, e.problems, { stack });
    }
    const deploying = options.quotas === "project";
    const quotas = deploying ? unlimitedQuotas(config.cloud) : parseQuotaOverrides(options.quota ?? [], config.cloud);
    if (typeof quotas === "string") return stop(EXIT.badConfig, [`--quota: ${quotas}`]);
    let result: PlanResult;
    try {
        result = await withOfflineQuotas(quotas, () => planProgram(site, () => deploy(readProgramConfig(projectDir)), { config: stack.config, secretKeys: stack.secretKeys }));
    } catch (e) {
        return stop(EXIT.failed, [`the program failed offline: ${(e as Error).message}`], { stack, config });
    }
    const notes = stack.placeholders.map((k) => `${k} is not in ${path.basename(file)}; planned with a placeholder (set it with \`pulumi config set --secret ${k} < KEYFILE\`)`);
    const unchecked = deploying ? undefined : uncheckedQuotasNote(stack.config, quotas);
    if (unchecked) notes.push(unchecked);
    // The policy pack's rules, run over the planned resources: unsafe settings are refused before any deployment.
    const violations = checkPlannedResources(result.resources, { keepDataOnDestroy: config.storage.keepDataOnDestroy, allowPlainHttp: config.hub.allowPlainHttp });
    const summary = siteSummary(config, estimateCost(config), result.outputs.hubUrl);
    const exitCode = hasMandatoryViolation(violations) ? EXIT.policy : EXIT.ok;
    return { exitCode, problems: [], file, stack, config, result, violations, summary, notes };
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

/** Every quota of the cloud without a limit (-1): the offline cloud before a real deployment. */
function unlimitedQuotas(cloud: Cloud): Partial<Record<QuotaName, number>> {
    return Object.fromEntries(quotaNames(cloud).map((name) => [name, -1]));
}

/** Everything `esiphub plan` does, returning what it would print, so that tests need no subprocess. */
export async function runPlan(site: string, options: PlanCommandOptions, projectDir = PROJECT_DIR): Promise<PlanOutcome> {
    const checks = await offlineChecks(site, { configFile: options.configFile, projectDir, quota: options.quota });
    const { result, violations } = checks;
    if (!result) {
        const stderr =
            checks.exitCode === EXIT.badConfig && checks.stack
                ? `esiphub plan: ${checks.file} has ${checks.problems.length} problem(s):\n${checks.problems.map((p) => `  - ${p}`).join("\n")}\n`
                : `esiphub plan: ${checks.problems.join("\n")}\n`;
        // --json always answers in JSON, so that a script reads why as well as what.
        const stdout = options.json ? JSON.stringify({ site, problems: checks.problems }, null, 2) + "\n" : "";
        return { exitCode: checks.exitCode, stdout, stderr };
    }
    const stdout = options.json
        ? JSON.stringify({ ...planJson(result), violations, summary: checks.summary }, null, 2) + "\n"
        : `${planText(result, checks.notes, { tree: !!options.tree, summary: checks.summary })}\n${formatViolations(violations)}`;
    const stderr = checks.exitCode === EXIT.policy ? "esiphub plan: mandatory policy violation(s); fix them before deploying this site\n" : "";
    return { exitCode: checks.exitCode, stdout, stderr, result, violations };
}

export function registerPlanCommand(program: Command, deps: Pick<CliDeps, "stdout" | "stderr" | "projectDir">, outcome: CliOutcome): void {
    program
        .command("plan")
        .description("show, offline, what a site would get: a summary, then every resource (no cloud credentials or Pulumi CLI needed)")
        .argument("<site>", "site name: the stack file Pulumi.<site>.yaml")
        .option("--json", "print the plan as JSON (always JSON, also for a bad config: {\"problems\": [...]})")
        .option("--tree", "print every resource with its parent after the summary")
        .option("--config-file <path>", "plan this stack file instead of Pulumi.<site>.yaml")
        .option("--quota <NAME=N>", "a quota limit of the offline cloud instead of its documented default, e.g. gigabytes=2000 (repeatable)", (value: string, all: string[]) => [...all, value], [] as string[])
        .action(async (site: string, options: PlanCommandOptions) => {
            const result = await runPlan(site, options, deps.projectDir);
            deps.stdout.write(result.stdout);
            deps.stderr.write(result.stderr);
            outcome.exitCode = result.exitCode;
        });
}
