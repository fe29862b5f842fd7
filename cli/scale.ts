import { Command, InvalidArgumentError } from "commander";
import type { OpMap, OutputMap } from "@pulumi/pulumi/automation";
import { NAMESPACE, SiteConfig, parseSiteConfig } from "../components/config";
import { nodeLayout } from "../components/cloud";
import { CostUnit, estimateCost } from "../components/cost";
import { formatAmount } from "../components/cost/format";
import { parseQuantity } from "../components/quantity";
import { sizeWorkers } from "../components/sizing";
import { Automation, cloudCredentialsProblem, findExecutable, PULUMI_INSTALL_HINT, SiteStack } from "./automation";
import { ProgressDisplay, stepCount, summarizeChanges } from "./progress";
import { CliError } from "./deps";
import { validatedSite } from "./site";
import type { ProgressOutput } from "./statusline";
import { ClusterAccess, ClusterError, kubernetesAccess, UserServer } from "./userservers";

/**
 * `esiphub scale SITE --workers N | --users N`: more workers when more people come, fewer at lunch.
 *
 * It sets `esiphub:workers` in the stack's config and runs `up`. The program numbers workers from 01
 * (components/cloud.ts nodeLayout), so going down removes the highest numbers. Each worker has a removal resource
 * on the master (components/kubeadm/cluster.ts, scripts/remove-node.sh) whose delete drains the node and deletes its
 * Node before the VM goes; the drain evicts whatever runs there, users' servers included. So this command refuses
 * to remove a worker that runs a user's server unless told `--force` (listing whose servers stop), and cordons
 * the workers it removes before the `up`, so that no server starts on them in the meantime.
 */

export const WORKERS_KEY = `${NAMESPACE}:workers`;
/** `esiphub:workers` accepts 0 to 100 (components/config.ts). */
export const MAX_WORKERS = 100;

export interface ScaleDeps {
    readonly projectDir: string;
    readonly env: Record<string, string | undefined>;
    readonly homeDir: string;
    readonly stdout: ProgressOutput;
    readonly stderr: ProgressOutput;
    readonly automation: Automation;
    readonly confirm?: (question: string) => Promise<boolean>;
}

export interface ScaleOptions {
    workers?: number | "auto";
    users?: number;
    yes?: boolean;
    force?: boolean;
}

/** A cost per hour at one scale. */
export interface HourlyCost {
    readonly amount: number;
    readonly unit: CostUnit;
    /** False when a line has no price (the amount is then a lower bound). */
    readonly complete: boolean;
}

export interface ScalePlan {
    readonly site: string;
    /** The hub's namespace, where the users' servers run. */
    readonly namespace: string;
    /** The request as the operator wrote it, for messages: "--workers 3", "--users 30". */
    readonly ask: string;
    readonly from: number;
    readonly to: number;
    /** What `esiphub:workers` becomes: a count, or `auto`. */
    readonly configValue: string;
    readonly added: string[];
    /** Highest numbers first, as they go. */
    readonly removed: string[];
    readonly workerFlavor: string;
    readonly usersPerWorker: number;
    readonly memoryGuarantee: string;
    readonly accounts: number;
    readonly capacityBefore: number;
    readonly capacityAfter: number;
    readonly costBefore: HourlyCost;
    readonly costAfter: HourlyCost;
    /** The users' servers now; undefined when the cluster could not be asked. */
    readonly running?: UserServer[];
    /** Why the cluster could not be asked. */
    readonly clusterProblem?: string;
    /** The servers on the workers that go: they stop when those are drained. */
    readonly stopping: UserServer[];
}

/** How many users' servers fit at their memory guarantee: the workers', and the master's when it takes servers. */
export function userCapacity(config: SiteConfig): number {
    const onWorkers = config.nodes.workers * config.nodes.sizing.usersPerWorker;
    if (!config.nodes.scheduleOnMaster) return onWorkers;
    const master = sizeWorkers({ users: 1, memoryGuaranteeBytes: parseQuantity(config.hub.memoryGuarantee)!, flavor: config.nodes.masterFlavor });
    return onWorkers + (typeof master === "string" ? 0 : master.usersPerWorker);
}

/** The site at the workshop scale for one hour (components/cost), for the plan's cost per hour. */
export function hourlyCost(config: SiteConfig): HourlyCost {
    const estimate = estimateCost(config, { hours: 1 });
    return { amount: estimate.workshop.total, unit: estimate.unit, complete: estimate.workshop.complete };
}

const workerNames = (config: SiteConfig) => nodeLayout(config).filter((n) => n.role === "worker").map((n) => n.name);

/** The site's config with `esiphub:workers` set to `value`, parsed as the program will parse it. */
export function withWorkers(raw: Record<string, string>, site: string, projectDir: string, value: string): SiteConfig {
    return parseSiteConfig({ ...raw, [WORKERS_KEY]: value }, site, projectDir);
}

/** What `esiphub:workers` becomes for the request; refuses a count the program would not take, naming the flag. */
export function targetWorkers(current: SiteConfig, request: Pick<ScaleOptions, "workers" | "users">): { ask: string; value: string } {
    if (request.workers !== undefined && request.users !== undefined) throw new CliError("scale: give --workers or --users, not both");
    if (request.workers !== undefined) return { ask: `--workers ${request.workers}`, value: String(request.workers) };
    if (request.users === undefined) throw new CliError("scale: say how far: --workers N (0 to 100, or auto) or --users N (servers to make room for)");
    const { usersPerWorker } = current.nodes.sizing;
    const workers = Math.ceil(request.users / usersPerWorker);
    if (workers > MAX_WORKERS) {
        throw new CliError(
            `--users ${request.users}: needs ${workers} workers of ${current.nodes.workerFlavor.name} (${usersPerWorker} users each at ${current.hub.memoryGuarantee}), more than the ${MAX_WORKERS} that ${WORKERS_KEY} allows; choose a larger ${NAMESPACE}:workerFlavor`,
        );
    }
    return { ask: `--users ${request.users}`, value: String(workers) };
}

/** The plan: which workers come and go, the capacity and cost per hour before and after, whose servers stop. */
export function scalePlan(args: {
    current: SiteConfig;
    next: SiteConfig;
    ask: string;
    configValue: string;
    running?: UserServer[];
    clusterProblem?: string;
}): ScalePlan {
    const { current, next } = args;
    const before = workerNames(current);
    const after = new Set(workerNames(next));
    const removed = before.filter((n) => !after.has(n)).reverse();
    const gone = new Set(removed);
    return {
        site: current.site,
        namespace: next.hub.namespace,
        ask: args.ask,
        from: current.nodes.workers,
        to: next.nodes.workers,
        configValue: args.configValue,
        added: [...after].filter((n) => !before.includes(n)),
        removed,
        workerFlavor: next.nodes.workerFlavor.name,
        usersPerWorker: next.nodes.sizing.usersPerWorker,
        memoryGuarantee: next.hub.memoryGuarantee,
        accounts: next.hub.users.length,
        capacityBefore: userCapacity(current),
        capacityAfter: userCapacity(next),
        costBefore: hourlyCost(current),
        costAfter: hourlyCost(next),
        running: args.running,
        clusterProblem: args.clusterProblem,
        stopping: (args.running ?? []).filter((s) => s.node !== undefined && gone.has(s.node)),
    };
}

const serverList = (servers: UserServer[]) => servers.map((s) => (s.node ? `${s.user} (on ${s.node})` : s.user)).join(", ");

/** Why the plan must not go ahead as asked; empty when it may. `--force` lets servers stop, nothing else. */
export function scaleRefusals(plan: ScalePlan, force: boolean): string[] {
    const ask = plan.ask;
    if (force || plan.removed.length === 0) return [];
    const problems: string[] = [];
    if (!plan.running) {
        problems.push(
            `${ask}: cannot see whose servers run on ${plan.removed.join(", ")} (${plan.clusterProblem}); removing them would stop any that do. Pass --force to remove them anyway`,
        );
        return problems;
    }
    if (plan.stopping.length > 0) {
        const users = plan.stopping.length === 1 ? "1 user" : `${plan.stopping.length} users`;
        problems.push(
            `${ask}: the workers to remove run the servers of ${users}: ${serverList(plan.stopping)}. Removing them stops those servers; wait until they are done, or pass --force`,
        );
    }
    const active = plan.running.length;
    if (plan.capacityAfter < active) {
        problems.push(`${ask}: leaves room for ${plan.capacityAfter} users' servers, but ${active} are running; pass --force to go ahead all the same`);
    }
    return problems;
}

function costText(cost: HourlyCost): string {
    return `${formatAmount(cost.amount, cost.unit)}/h${cost.complete ? "" : " (some items have no price)"}`;
}

/** The plan as the operator reads it before saying yes. */
export function formatScalePlan(plan: ScalePlan): string {
    const lines = [`Scaling site "${plan.site}": ${plan.from} → ${plan.to} workers of ${plan.workerFlavor} (${WORKERS_KEY}: ${plan.configValue})`];
    if (plan.added.length > 0) lines.push(`  add:       ${plan.added.join(", ")}`);
    if (plan.removed.length > 0) lines.push(`  drain and remove: ${plan.removed.join(", ")} (cordoned now; drained from the master, then their VMs deleted)`);
    const running = plan.running ? `; ${plan.running.length} running now` : "";
    lines.push(
        `  capacity:  ${plan.capacityBefore} → ${plan.capacityAfter} users' servers at the ${plan.memoryGuarantee} memory guarantee (${plan.usersPerWorker} per worker; ${plan.accounts} accounts${running})`,
    );
    lines.push(`  cost:      ${costText(plan.costBefore)} → ${costText(plan.costAfter)} (every node, volume and address of the site)`);
    if (plan.removed.length > 0) {
        if (!plan.running) lines.push(`  servers:   unknown: ${plan.clusterProblem}`);
        else if (plan.stopping.length === 0) lines.push("  servers:   no user's server runs on the workers to remove");
        else lines.push(`  STOPPING:  the servers of ${serverList(plan.stopping)} (--force)`);
    }
    if (plan.capacityAfter < plan.accounts) {
        lines.push(`  note:      room for fewer servers than there are accounts; scale up again before everyone is back`);
    }
    return lines.join("\n") + "\n";
}

/** The deployed worker count: the stack's `workers` output, else the stack file's. */
function deployedWorkers(outputs: OutputMap, config: SiteConfig): number {
    const value = outputs.workers?.value;
    return typeof value === "number" && Number.isInteger(value) ? value : config.nodes.workers;
}

/** The users' servers, or why they could not be listed. */
async function listServers(outputs: OutputMap, namespace: string): Promise<{ cluster?: ClusterAccess; running?: UserServer[]; problem?: string }> {
    const kubeconfig = outputs.kubeconfig?.value;
    if (typeof kubeconfig !== "string" || !kubeconfig) return { problem: "the stack has no kubeconfig output" };
    try {
        const cluster = await kubernetesAccess(kubeconfig);
        return { cluster, running: await cluster.userServers(namespace) };
    } catch (e) {
        if (e instanceof ClusterError) return { problem: e.message };
        throw e;
    }
}

function preflight(deps: ScaleDeps, config: SiteConfig, raw: Record<string, string>): void {
    if (!findExecutable("pulumi", deps.env.PATH)) throw new CliError(`the Pulumi CLI (pulumi) is not on PATH: ${PULUMI_INSTALL_HINT}`);
    const problem = cloudCredentialsProblem(config.cloud, raw, deps.env, deps.homeDir);
    if (problem) throw new CliError(`site "${config.site}" (${config.cloud}): ${problem}`);
}

/** Puts `esiphub:workers` back as it was before this command. */
async function restoreWorkers(stack: SiteStack, previous: string | undefined): Promise<void> {
    if (previous === undefined) await stack.removeConfig(WORKERS_KEY);
    else await stack.setConfig(WORKERS_KEY, previous);
}

/** The update's preview with its live display; fails with the reason to show. */
async function preview(deps: ScaleDeps, stack: SiteStack): Promise<OpMap> {
    const display = new ProgressDisplay(deps.stdout, { operation: "preview" });
    let changes: OpMap;
    try {
        changes = await stack.preview("up", { onEvent: (e) => display.handle(e) });
    } catch (e) {
        const report = display.finish();
        throw new Error(report.failures.length > 0 ? `${report.failures.length} failure(s), listed above` : (e as Error).message);
    }
    if (!display.finish().changes) deps.stdout.write(`Plan: ${summarizeChanges(changes, true)}\n`);
    return changes;
}

export async function runScale(deps: ScaleDeps, site: string, options: ScaleOptions): Promise<void> {
    const { config, stack: { config: raw } } = validatedSite(deps, site);
    const target = targetWorkers(config, options);
    preflight(deps, config, raw);
    const stack = await deps.automation.stack(site, "select");
    const outputs = await stack.outputs();
    const current = withWorkers(raw, site, deps.projectDir, String(deployedWorkers(outputs, config)));
    const next = withWorkers(raw, site, deps.projectDir, target.value);
    if (next.nodes.workers === current.nodes.workers) {
        // The same count, perhaps written another way (auto): the stack's config follows, no node changes.
        const previous = (await stack.getConfig(WORKERS_KEY)) ?? "auto";
        if (previous !== target.value) await stack.setConfig(WORKERS_KEY, target.value);
        const written = previous !== target.value ? ` (${WORKERS_KEY} is now ${target.value})` : "";
        deps.stdout.write(`Site "${site}" already has ${current.nodes.workers} workers; no node changes${written}\n`);
        return;
    }

    const { cluster, running, problem } = await listServers(outputs, config.hub.namespace);
    const plan = scalePlan({ current, next, ask: target.ask, configValue: target.value, running, clusterProblem: problem });
    const refusals = scaleRefusals(plan, !!options.force);
    if (refusals.length > 0) throw new CliError(`${refusals.join("; ")}. Nothing was changed`);
    deps.stdout.write(formatScalePlan(plan));
    if (!plan.running && plan.removed.length > 0) deps.stdout.write(`Warning: --force: any server on ${plan.removed.join(", ")} will stop\n`);

    const previous = await stack.getConfig(WORKERS_KEY);
    await stack.setConfig(WORKERS_KEY, target.value);
    const undo = async (why: string): Promise<never> => {
        await restoreWorkers(stack, previous);
        throw new CliError(`${why}; ${WORKERS_KEY} is back to ${previous ?? "its default"} and nothing was changed`);
    };

    deps.stdout.write(`\nPreviewing the update of site "${site}"\n`);
    let changes: OpMap;
    try {
        changes = await preview(deps, stack);
    } catch (e) {
        return undo(`the preview of site "${site}" failed: ${(e as Error).message}`);
    }
    if (!options.yes) {
        if (!deps.confirm) return undo(`scaling site "${site}" needs confirmation: pass --yes (there is no terminal to ask on)`);
        if (!(await deps.confirm(`Scale site "${site}" to ${plan.to} workers? [y/N] `))) return undo(`scaling of site "${site}" cancelled`);
    }

    if (plan.removed.length > 0 && cluster) {
        try {
            await cordon(deps, cluster, plan, !!options.force, () => restoreWorkers(stack, previous));
        } catch (e) {
            if (!(e instanceof ClusterError)) throw e;
            // Some may be cordoned already: take them back before giving up.
            await cluster.setUnschedulable(plan.removed, false).catch(() => undefined);
            return undo(e.message);
        }
    }

    deps.stdout.write(`\nUpdating site "${site}"\n`);
    const display = new ProgressDisplay(deps.stdout, { operation: "up", total: stepCount(changes) });
    try {
        await stack.run("up", { onEvent: (e) => display.handle(e) });
    } catch (e) {
        const report = display.finish();
        const why = report.failures.length > 0 ? `${report.failures.length} failure(s), listed above` : (e as Error).message;
        const cordoned = plan.removed.length > 0 ? `; ${plan.removed.join(", ")} ${plan.removed.length === 1 ? "stays" : "stay"} cordoned (kubectl uncordon NODE takes one back)` : "";
        throw new CliError(`the update of site "${site}" failed: ${why}. ${WORKERS_KEY} is now ${target.value}${cordoned}; \`esiphub up ${site}\` finishes it`);
    }
    display.finish();
    deps.stdout.write(`\nSite "${site}" has ${plan.to} workers: room for ${plan.capacityAfter} users' servers, ${costText(plan.costAfter)}\n`);
}

/**
 * Cordons the workers that go, then looks again: a server that started on one of them after the plan was shown
 * was not on the list the operator agreed to stop. Without --force that stops the scale (and uncordons).
 */
async function cordon(deps: ScaleDeps, cluster: ClusterAccess, plan: ScalePlan, force: boolean, restore: () => Promise<void>): Promise<void> {
    await cluster.setUnschedulable(plan.removed, true);
    const gone = new Set(plan.removed);
    const agreed = new Set(plan.stopping.map((s) => s.pod));
    const late = (await cluster.userServers(plan.namespace)).filter((s) => s.node && gone.has(s.node) && !agreed.has(s.pod));
    if (late.length === 0) return;
    if (force) {
        deps.stdout.write(`Also stopping (started since the plan was shown): ${serverList(late)}\n`);
        return;
    }
    await cluster.setUnschedulable(plan.removed, false);
    await restore();
    throw new CliError(`${plan.ask}: servers started on the workers to remove while you confirmed: ${serverList(late)}. Nothing was changed; run the command again`);
}

function workerCount(text: string): number | "auto" {
    if (text === "auto") return "auto";
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > MAX_WORKERS) throw new InvalidArgumentError(`must be an integer from 0 to ${MAX_WORKERS}, or auto`);
    return n;
}

function userCount(text: string): number {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 1000) throw new InvalidArgumentError("must be an integer from 1 to 1000");
    return n;
}

/** `esiphub scale`; a refusal is a CliError (exit 1), raised before anything changes. */
export function registerScaleCommand(program: Command, deps: ScaleDeps): void {
    program
        .command("scale")
        .description("add workers when more people come, or drain and remove some (sets esiphub:workers, shows the plan, runs up)")
        .argument("<site>", "site name: the stack file Pulumi.<site>.yaml")
        .option("--workers <n>", `worker count: 0 to ${MAX_WORKERS}, or auto (sized from the accounts)`, workerCount)
        .option("--users <n>", "make room for this many users' servers at the memory guarantee (the accounts stay as they are)", userCount)
        .option("--force", "remove workers even when users' servers run on them: those servers stop (they are listed first)")
        .option("-y, --yes", "go ahead without asking (after the plan and the preview)")
        .addHelpText(
            "after",
            [
                "",
                "The plan comes first: the workers added or removed (the highest numbers go first), the room for users' servers",
                "and the site's cost per hour before and after. Then Pulumi's preview, a question (unless --yes), and the update.",
                "A worker that goes is cordoned, then drained and deleted from the master before its VM is deleted. A worker",
                "that runs someone's server is only removed with --force, and the command lists whose servers stop.",
                "",
                "Examples:",
                "  esiphub scale jetstream --workers 7        # two more workers",
                "  esiphub scale jetstream --users 30 --yes   # room for 30 servers (lunch)",
                "  esiphub scale jetstream --workers auto     # back to the size for every account",
            ].join("\n"),
        )
        .action(async (site: string, options: ScaleOptions) => {
            await runScale(deps, site, options);
        });
}
