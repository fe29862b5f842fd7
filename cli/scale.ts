import { Command, InvalidArgumentError } from "commander";
import type { OpMap, OutputMap } from "@pulumi/pulumi/automation";
import { ConfigError, MAX_WORKERS, NAMESPACE, SiteConfig, parseSiteConfig, siteCapacity, userCapacity } from "../components/config";
import { nodeLayout } from "../components/cloud";
import { CostUnit, estimateCost } from "../components/cost";
import { formatAmount } from "../components/cost/format";
import { parseQuantity } from "../components/quantity";
import { cloudCredentialsProblem, findExecutable, PULUMI_INSTALL_HINT, SiteStack } from "./automation";
import { ProgressDisplay, stepCount, summarizeChanges } from "./progress";
import { CliDeps, CliError } from "./deps";
import { validatedSite } from "./site";
import { configWorkshops, oneHubOnlyProblem } from "./workshops";
import { ClusterAccess, ClusterError, kubernetesAccess, UserServer } from "./userservers";

/**
 * `esiphub scale SITE --workers N | --users N`: more workers when more people come, fewer at lunch.
 *
 * It sets `esiphub:workers` and `esiphub:maxServers` in the stack's config and runs `up`. Fewer places than accounts
 * (lunch) is said with `esiphub:maxServers`: the hub then refuses the server beyond it (429) instead of leaving it
 * Pending on full workers. The program numbers workers from 01
 * (components/cloud.ts nodeLayout), so going down removes the highest numbers. Each worker has a removal resource
 * on the master (components/kubeadm/cluster.ts, scripts/remove-node.sh) whose delete drains the node and deletes its
 * Node before the VM goes; the drain evicts whatever runs there, users' servers included. So this command refuses
 * to remove a worker that runs a user's server unless told `--force` (listing whose servers stop), and cordons
 * the workers it removes before the `up`, so that no server starts on them in the meantime.
 */

export const WORKERS_KEY = `${NAMESPACE}:workers`;
export const MAX_SERVERS_KEY = `${NAMESPACE}:maxServers`;

/** The CLI's dependencies that `scale` uses. */
export type ScaleDeps = Pick<CliDeps, "projectDir" | "env" | "homeDir" | "stdout" | "stderr" | "automation" | "confirm">;

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
    /** What `esiphub:maxServers` becomes: a count, or `all`. */
    readonly maxServersValue: string;
    /** Users' servers that may run at once, before and after (the accounts when there is no limit). */
    readonly maxServersBefore: number;
    readonly maxServersAfter: number;
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

/** The site at the workshop scale for one hour (components/cost), for the plan's cost per hour. */
export function hourlyCost(config: SiteConfig): HourlyCost {
    const estimate = estimateCost(config, { hours: 1 });
    return { amount: estimate.workshop.total, unit: estimate.unit, complete: estimate.workshop.complete };
}

const workerNames = (config: SiteConfig) => nodeLayout(config).filter((n) => n.role === "worker").map((n) => n.name);

/** What this command writes: `esiphub:workers` and `esiphub:maxServers`, as the stack file has them. */
export interface ScaleSettings {
    readonly workers: string;
    readonly maxServers: string;
}

const DEFAULTS: ScaleSettings = { workers: "auto", maxServers: "all" };
const SETTING_KEYS: Record<keyof ScaleSettings, string> = { workers: WORKERS_KEY, maxServers: MAX_SERVERS_KEY };

/** `esiphub:maxServers` for `servers` at once: `all` when that is every account. */
const maxServersValue = (servers: number, accounts: number) => (servers >= accounts ? "all" : String(servers));

/** The site's config with the settings, parsed as the program will parse it; `what` names it in a refusal. */
export function withSettings(raw: Record<string, string>, site: string, projectDir: string, settings: ScaleSettings, what = "scale"): SiteConfig {
    try {
        return parseSiteConfig({ ...raw, [WORKERS_KEY]: settings.workers, [MAX_SERVERS_KEY]: settings.maxServers }, site, projectDir);
    } catch (e) {
        if (e instanceof ConfigError) throw new CliError(`${what}: ${e.problems.join("; ")}. Nothing was changed`);
        throw e;
    }
}

/**
 * The users' servers `workers` workers hold at the memory guarantee besides the placeholders (the master counts when
 * it takes servers: `esiphub:scheduleOnMaster`, or no workers), by the rule the config's capacity check uses.
 */
export function serversHeld(config: SiteConfig, raw: Record<string, string>, workers: number): { capacity: number; servers: number; onMaster: boolean } {
    const onMaster = raw[`${NAMESPACE}:scheduleOnMaster`] === "true" || workers === 0;
    const nodes = { workers, usersPerWorker: config.nodes.sizing.usersPerWorker, masterFlavor: config.nodes.masterFlavor, onMaster };
    const capacity = userCapacity(nodes, parseQuantity(config.hub.memoryGuarantee)!).total;
    return { capacity, servers: capacity - config.hub.userPlaceholders, onMaster };
}

/**
 * The settings for the request, refusing one the program would not take, naming the flag. `--users N`: N servers at
 * once, workers sized for them. `--workers N`: N workers, and as many servers at once as they hold.
 */
export function targetSettings(current: SiteConfig, raw: Record<string, string>, request: Pick<ScaleOptions, "workers" | "users">): { ask: string; settings: ScaleSettings } {
    if (request.workers !== undefined && request.users !== undefined) throw new CliError("scale: give --workers or --users, not both");
    const accounts = current.hub.users.length;
    if (request.workers === "auto") return { ask: "--workers auto", settings: DEFAULTS };
    if (request.workers !== undefined) {
        const n = request.workers;
        const ask = `--workers ${n}`;
        const held = serversHeld(current, raw, n);
        if (held.servers < 1) {
            const placeholders = current.hub.userPlaceholders;
            const kept = placeholders > 0 ? `, all kept by the ${placeholders} placeholders (${NAMESPACE}:userPlaceholders)` : "";
            const workers = `${n} worker${n === 1 ? "" : "s"} of ${current.nodes.workerFlavor.name}${held.onMaster ? " and the master" : ""}`;
            const holders = n === 0 ? `the ${current.nodes.masterFlavor.name} master alone holds` : `${workers} hold${n === 1 && !held.onMaster ? "s" : ""}`;
            throw new CliError(
                `${ask}: ${holders} ${held.capacity} users' servers at the ${current.hub.memoryGuarantee} memory guarantee${kept}: no room for anyone's server; choose more workers`,
            );
        }
        return { ask, settings: { workers: String(n), maxServers: maxServersValue(held.servers, accounts) } };
    }
    if (request.users === undefined) throw new CliError("scale: say how far: --workers N (0 to 100, or auto) or --users N (users' servers at once)");
    const ask = `--users ${request.users}`;
    const { usersPerWorker } = current.nodes.sizing;
    const workers = Math.ceil((Math.min(request.users, accounts) + current.hub.userPlaceholders) / usersPerWorker);
    if (workers > MAX_WORKERS) {
        throw new CliError(
            `${ask}: needs ${workers} workers of ${current.nodes.workerFlavor.name} (${usersPerWorker} users each at ${current.hub.memoryGuarantee}), more than the ${MAX_WORKERS} that ${WORKERS_KEY} allows; choose a larger ${NAMESPACE}:workerFlavor`,
        );
    }
    return { ask, settings: { workers: "auto", maxServers: maxServersValue(request.users, accounts) } };
}

/** The plan: which workers come and go, the capacity and cost per hour before and after, whose servers stop. */
export function scalePlan(args: {
    current: SiteConfig;
    next: SiteConfig;
    ask: string;
    settings: ScaleSettings;
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
        configValue: args.settings.workers,
        maxServersValue: args.settings.maxServers,
        maxServersBefore: current.hub.maxServers,
        maxServersAfter: next.hub.maxServers,
        added: [...after].filter((n) => !before.includes(n)),
        removed,
        workerFlavor: next.nodes.workerFlavor.name,
        usersPerWorker: next.nodes.sizing.usersPerWorker,
        memoryGuarantee: next.hub.memoryGuarantee,
        accounts: next.hub.users.length,
        capacityBefore: siteCapacity(current),
        capacityAfter: siteCapacity(next),
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
    lines.push(...atOnceLines(plan));
    lines.push(`  cost:      ${costText(plan.costBefore)} → ${costText(plan.costAfter)} (every node, volume and address of the site)`);
    if (plan.removed.length > 0) {
        if (!plan.running) lines.push(`  servers:   unknown: ${plan.clusterProblem}`);
        else if (plan.stopping.length === 0) lines.push("  servers:   no user's server runs on the workers to remove");
        else lines.push(`  STOPPING:  the servers of ${serverList(plan.stopping)} (--force)`);
    }
    return lines.join("\n") + "\n";
}

/**
 * Users' servers at once (`esiphub:maxServers`): the change, and below the accounts that the hub refuses the server
 * beyond it. A new limit is a new hub configuration: the chart restarts the hub for it (its Deployment's
 * checksum/secret annotation) and leaves users' servers running (cleanup_servers = False in the chart's
 * jupyterhub_config.py).
 */
function atOnceLines(plan: ScalePlan): string[] {
    const { maxServersBefore: before, maxServersAfter: after, accounts } = plan;
    if (before === after && after >= accounts) return [];
    const count = (n: number) => (n >= accounts ? `all ${accounts}` : String(n));
    const change = before === after ? `${count(after)} users' servers, as now` : `${count(before)} → ${count(after)} users' servers`;
    const lines = [`  at once:   ${change} (${MAX_SERVERS_KEY}: ${plan.maxServersValue})`];
    if (after < accounts) {
        const running = plan.running && plan.running.length >= after ? `; ${plan.running.length} run now, so no new one starts until fewer than ${after} do` : "";
        lines.push(`             the hub refuses a server beyond ${after} (429 "Active user limit exceeded") until one stops${running}; scale up again before everyone is back`);
    }
    if (before !== after) lines.push("  hub:       restarts to take the new limit: logins and starts wait for it, running servers go on");
    return lines;
}

/** The deployed worker count: the stack's `workers` output, else the stack file's. */
function deployedWorkers(outputs: OutputMap, config: SiteConfig): number {
    const value = outputs.workers?.value;
    return typeof value === "number" && Number.isInteger(value) ? value : config.nodes.workers;
}

/**
 * The site as deployed: its workers, and its servers at once (the stack's `maxServers` output, else the stack
 * file's), as far as those workers hold them.
 */
function deployedSite(deps: ScaleDeps, raw: Record<string, string>, config: SiteConfig, outputs: OutputMap): SiteConfig {
    const workers = deployedWorkers(outputs, config);
    const output = outputs.maxServers?.value;
    const limit = typeof output === "number" && Number.isInteger(output) ? output : config.hub.maxServers;
    const servers = Math.max(1, Math.min(limit, serversHeld(config, raw, workers).servers));
    const settings = { workers: String(workers), maxServers: maxServersValue(servers, config.hub.users.length) };
    return withSettings(raw, config.site, deps.projectDir, settings, `site "${config.site}" as deployed (${workers} workers)`);
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

/** A setting this command changes: its key, the stack's value before (undefined: not set) and the new one. */
interface SettingChange {
    readonly key: string;
    readonly previous: string | undefined;
    readonly value: string;
}

/**
 * The settings that differ from the stack's, in an order that keeps the stack file valid after each write: a lower
 * limit of servers at once before fewer workers, more workers before a higher limit.
 */
async function settingChanges(stack: SiteStack, target: ScaleSettings, limitGoesDown: boolean): Promise<SettingChange[]> {
    const changes: SettingChange[] = [];
    for (const name of limitGoesDown ? (["maxServers", "workers"] as const) : (["workers", "maxServers"] as const)) {
        const key = SETTING_KEYS[name];
        const previous = await stack.getConfig(key);
        if ((previous ?? DEFAULTS[name]) !== target[name]) changes.push({ key, previous, value: target[name] });
    }
    return changes;
}

async function writeSettings(stack: SiteStack, changes: readonly SettingChange[]): Promise<void> {
    for (const c of changes) await stack.setConfig(c.key, c.value);
}

/** Puts the settings back as they were before this command, the last written first. */
async function restoreSettings(stack: SiteStack, changes: readonly SettingChange[]): Promise<void> {
    for (const c of [...changes].reverse()) {
        if (c.previous === undefined) await stack.removeConfig(c.key);
        else await stack.setConfig(c.key, c.previous);
    }
}

/** "esiphub:workers is back to auto, esiphub:maxServers to its default" or "esiphub:workers is now 4, esiphub:maxServers 60". */
function settingsText(changes: readonly SettingChange[], state: "back" | "now"): string {
    return changes
        .map((c, i) => {
            const value = state === "now" ? c.value : (c.previous ?? "its default");
            return i === 0 ? `${c.key} is ${state === "back" ? "back to" : "now"} ${value}` : `${c.key} ${state === "back" ? "to " : ""}${value}`;
        })
        .join(", ");
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
    const several = oneHubOnlyProblem(site, configWorkshops(config), "scale");
    if (several) throw new CliError(several);
    const target = targetSettings(config, raw, options);
    const next = withSettings(raw, site, deps.projectDir, target.settings, target.ask);
    preflight(deps, config, raw);
    const stack = await deps.automation.stack(site, "select");
    const outputs = await stack.outputs();
    const current = deployedSite(deps, raw, config, outputs);
    const changes = await settingChanges(stack, target.settings, next.hub.maxServers < config.hub.maxServers);
    if (next.nodes.workers === current.nodes.workers && next.hub.maxServers === current.hub.maxServers) {
        // The same site, perhaps written another way (auto, all): the stack's config follows, nothing else changes.
        await writeSettings(stack, changes);
        const written = changes.length > 0 ? ` (${settingsText(changes, "now")})` : "";
        deps.stdout.write(`Site "${site}" already has ${current.nodes.workers} workers; no node changes${written}\n`);
        return;
    }

    const { cluster, running, problem } = await listServers(outputs, config.hub.namespace);
    const plan = scalePlan({ current, next, ask: target.ask, settings: target.settings, running, clusterProblem: problem });
    const refusals = scaleRefusals(plan, !!options.force);
    if (refusals.length > 0) throw new CliError(`${refusals.join("; ")}. Nothing was changed`);
    deps.stdout.write(formatScalePlan(plan));
    if (!plan.running && plan.removed.length > 0) deps.stdout.write(`Warning: --force: any server on ${plan.removed.join(", ")} will stop\n`);

    await writeSettings(stack, changes);
    const restore = () => restoreSettings(stack, changes);
    const undo = async (why: string): Promise<never> => {
        await restore();
        const restored = changes.length > 0 ? `; ${settingsText(changes, "back")}` : "";
        throw new CliError(`${why}${restored}${changes.length > 1 ? "," : ""} and nothing was changed`);
    };

    deps.stdout.write(`\nPreviewing the update of site "${site}"\n`);
    let changesPlanned: OpMap;
    try {
        changesPlanned = await preview(deps, stack);
    } catch (e) {
        return undo(`the preview of site "${site}" failed: ${(e as Error).message}`);
    }
    if (!options.yes) {
        if (!deps.confirm) return undo(`scaling site "${site}" needs confirmation: pass --yes (there is no terminal to ask on)`);
        const atOnce = plan.maxServersAfter < plan.accounts ? `, ${plan.maxServersAfter} servers at once` : "";
        if (!(await deps.confirm(`Scale site "${site}" to ${plan.to} workers${atOnce}? [y/N] `))) return undo(`scaling of site "${site}" cancelled`);
    }

    if (plan.removed.length > 0 && cluster) {
        try {
            await cordon(deps, cluster, plan, !!options.force, restore);
        } catch (e) {
            if (!(e instanceof ClusterError)) throw e;
            // Some may be cordoned already: take them back before giving up.
            await cluster.setUnschedulable(plan.removed, false).catch(() => undefined);
            return undo(e.message);
        }
    }

    deps.stdout.write(`\nUpdating site "${site}"\n`);
    const display = new ProgressDisplay(deps.stdout, { operation: "up", total: stepCount(changesPlanned) });
    try {
        await stack.run("up", { onEvent: (e) => display.handle(e) });
    } catch (e) {
        const report = display.finish();
        const why = report.failures.length > 0 ? `${report.failures.length} failure(s), listed above` : (e as Error).message;
        const cordoned = plan.removed.length > 0 ? `; ${plan.removed.join(", ")} ${plan.removed.length === 1 ? "stays" : "stay"} cordoned (kubectl uncordon NODE takes one back)` : "";
        const settings = changes.length > 0 ? settingsText(changes, "now") : "The stack's settings are as they were";
        throw new CliError(`the update of site "${site}" failed: ${why}. ${settings}${cordoned}; \`esiphub up ${site}\` finishes it`);
    }
    display.finish();
    const atOnce = plan.maxServersAfter < plan.accounts ? `, at most ${plan.maxServersAfter} at once of ${plan.accounts} accounts (the hub refuses more)` : "";
    deps.stdout.write(`\nSite "${site}" has ${plan.to} workers: room for ${plan.capacityAfter} users' servers${atOnce}, ${costText(plan.costAfter)}\n`);
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
        .description("add workers when more people come, or drain and remove some (sets esiphub:workers and esiphub:maxServers, shows the plan, runs up)")
        .argument("<site>", "site name: the stack file Pulumi.<site>.yaml")
        .option("--workers <n>", `worker count: 0 to ${MAX_WORKERS} (servers at once: as many as they hold), or auto (sized for every account)`, workerCount)
        .option("--users <n>", "users' servers at once, with workers sized for them (all: N at least the accounts; the accounts stay as they are)", userCount)
        .option("--force", "remove workers even when users' servers run on them: those servers stop (they are listed first)")
        .option("-y, --yes", "go ahead without asking (after the plan and the preview)")
        .addHelpText(
            "after",
            [
                "",
                "The plan comes first: the workers added or removed (the highest numbers go first), the room for users' servers",
                "and the site's cost per hour before and after. Then Pulumi's preview, a question (unless --yes), and the update.",
                "Fewer servers at once than accounts is set as esiphub:maxServers: the hub then refuses a server beyond it",
                "(429 \"Active user limit exceeded\") instead of leaving it pending; --workers auto lifts the limit again.",
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
