import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { OpMap, OutputMap } from "@pulumi/pulumi/automation";
import { CONFIG_KEYS, ConfigError, NAMESPACE, parseSiteConfig, SiteConfig } from "../components/config";
import { estimateCost, formatCost } from "../components/cost";
import { DNS_FORMATS, DnsFormat, dnsRecords, formatDnsRecords } from "../components/dns/formats";
import { knownSites, readStackConfig, StackFileError, stackFilePath } from "../plan/stackfile";
import { registerPlanCommand } from "./plan";
import { registerScaleCommand } from "./scale";
import { backupBeforeDestroy, registerBackupCommands } from "./backup";
import { registerTlsRetryCommand } from "./tlsretry";
import { registerDoctorCommand, SiteCommandContext } from "./doctor";
import { registerRehearseCommand } from "./rehearse";
import type { LoadtestCommandOptions, SiteAccess } from "./loadtest";
import {
    Automation,
    AutomationError,
    cloudCredentialsProblem,
    findExecutable,
    PULUMI_INSTALL_HINT,
    PulumiAutomation,
    SiteStack,
    StackOperation,
    StateResource,
} from "./automation";
import { credentialsCsv, credentialsHtml, parseCredentials } from "./credentials";
import { ProgressDisplay, ProgressOutput, ProgressReport, stepCount, summarizeChanges } from "./progress";

/** What the CLI touches outside itself; `main` passes the real ones, tests their own. */
export interface CliDeps {
    readonly projectDir: string;
    readonly env: Record<string, string | undefined>;
    readonly homeDir: string;
    readonly stdout: ProgressOutput;
    /** Errors, and the load tester's progress line. */
    readonly stderr: ProgressOutput;
    readonly automation: Automation;
    /** Asks a yes/no question on the terminal; absent when there is no terminal to ask on. */
    readonly confirm?: (question: string) => Promise<boolean>;
}

/** An error the operator can act on: printed as one `esiphub: ...` line, exit status 1, no stack trace. */
export class CliError extends Error {}

export const PROJECT_DIR = path.resolve(__dirname, "..");

const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The raw config of a site's stack file; refuses a site that has none. */
function siteStackConfig(deps: CliDeps, site: string): Record<string, string> {
    const file = stackFilePath(deps.projectDir, site);
    if (!SITE_NAME.test(site) || !fs.existsSync(file)) {
        const sites = knownSites(deps.projectDir);
        throw new CliError(`unknown site "${site}": there is no Pulumi.${site}.yaml in ${deps.projectDir} (sites: ${sites.join(", ") || "none"})`);
    }
    try {
        return readStackConfig(file).config;
    } catch (e) {
        if (e instanceof StackFileError) throw new CliError(e.message);
        throw e;
    }
}

function siteConfig(deps: CliDeps, site: string): { config: SiteConfig; raw: Record<string, string> } {
    const raw = siteStackConfig(deps, site);
    try {
        return { config: parseSiteConfig(raw, site, deps.projectDir), raw };
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        throw new CliError(`Pulumi.${site}.yaml has ${e.problems.length} problem(s):\n${e.problems.map((p) => `  - ${p}`).join("\n")}`);
    }
}

/** Before anything reaches Pulumi: a known site, the Pulumi CLI, and (when the cloud is contacted) credentials. */
function preflight(deps: CliDeps, site: string, needsCloud: boolean): SiteConfig {
    const { config, raw } = siteConfig(deps, site);
    if (!findExecutable("pulumi", deps.env.PATH)) throw new CliError(`the Pulumi CLI (pulumi) is not on PATH: ${PULUMI_INSTALL_HINT}`);
    if (needsCloud) {
        const problem = cloudCredentialsProblem(config.cloud, raw, deps.env, deps.homeDir);
        if (problem) throw new CliError(`site "${site}" (${config.cloud}): ${problem}`);
    }
    return config;
}

const VOLUME_TYPE = /^(openstack:blockstorage\/volume(V[12])?:Volume(V[12])?|aws:ebs\/volume:Volume)$/;

/**
 * Refuses a destroy that would delete the data volume (users' homes and the shared scratch) unless the operator
 * said `--delete-data`. The program marks the volume `retainOnDelete` when `esiphub:keepDataOnDestroy` is true, so
 * both the config and the deployed state must say "keep". Returns a note for after the destroy, if any.
 * (Which volume is the data volume is not known here: a retained volume means the program kept it.)
 */
export async function checkDataVolume(stack: SiteStack, deleteData: boolean, target?: string[]): Promise<string | undefined> {
    const site = stack.site;
    const key = `${NAMESPACE}:keepDataOnDestroy`;
    const raw = await stack.getConfig(key);
    const keep = (raw ?? String(CONFIG_KEYS.find((k) => k.key === "keepDataOnDestroy")!.default)) === "true";
    // A destroy limited by --target deletes only the targets.
    const volumes: StateResource[] = (await stack.resources()).filter((r) => VOLUME_TYPE.test(r.type) && (!target || target.includes(r.urn)));
    if (volumes.length === 0) return undefined;
    const retained = volumes.some((v) => v.retainOnDelete || v.protect);
    if (keep && retained) return `the data volume of site "${site}" is kept (retainOnDelete); delete it in the cloud console when it is no longer needed`;
    if (deleteData) return undefined;
    if (!keep) {
        throw new CliError(`destroy would delete the data volume of site "${site}" (${key} is false), with every user's files: pass --delete-data to go ahead`);
    }
    throw new CliError(
        `destroy would delete the data volume of site "${site}": ${key} is true but the deployed volume is not retained yet; run \`esiphub up ${site}\` first (it marks the volume retainOnDelete), or pass --delete-data`,
    );
}

const VERB: Record<StackOperation, { noun: string; question: string; heading: string }> = {
    up: { noun: "update", question: "update", heading: "Updating" },
    destroy: { noun: "destroy", question: "DESTROY every resource of", heading: "Destroying" },
    refresh: { noun: "refresh", question: "refresh the state of", heading: "Refreshing" },
};

interface OperationOptions {
    yes?: boolean;
    target?: string[];
    deleteData?: boolean;
}

async function operate(deps: CliDeps, operation: StackOperation, site: string, options: OperationOptions): Promise<void> {
    preflight(deps, site, true);
    const stack = await deps.automation.stack(site, operation === "up" ? "create" : "select");
    const target = options.target?.length ? options.target : undefined;
    const note = operation === "destroy" ? await checkDataVolume(stack, !!options.deleteData, target) : undefined;
    if (operation === "destroy" && options.deleteData && note === undefined) {
        const backup = await backupBeforeDestroy(deps, site, { yes: options.yes });
        if (backup.stop) throw new CliError(backup.stop);
    }

    deps.stdout.write(`Previewing the ${VERB[operation].noun} of site "${site}"${target ? ` (targets: ${target.join(", ")})` : ""}\n`);
    const plan = await showPreview(deps, stack, operation, target);
    if (!options.yes) {
        if (!deps.confirm) throw new CliError(`the ${VERB[operation].noun} of site "${site}" needs confirmation: pass --yes (there is no terminal to ask on)`);
        if (!(await deps.confirm(`Do you want to ${VERB[operation].question} site "${site}"? [y/N] `))) {
            throw new CliError(`${VERB[operation].noun} of site "${site}" cancelled; nothing was changed`);
        }
    }

    deps.stdout.write(`\n${VERB[operation].heading} site "${site}"\n`);
    const display = new ProgressDisplay(deps.stdout, { operation, total: stepCount(plan) });
    try {
        await stack.run(operation, { target, onEvent: (e) => display.handle(e) });
    } catch (e) {
        throw failure(`${VERB[operation].noun} of site "${site}"`, display.finish(), e);
    }
    display.finish();
    if (note) deps.stdout.write(`Note: ${note}\n`);
    if (operation === "up") {
        const outputs = await stack.outputs();
        const shown = Object.fromEntries(Object.entries(outputs).filter(([k]) => ["hubUrl", "publicIp", "sshCommand"].includes(k)));
        if (Object.keys(shown).length > 0) deps.stdout.write(`\n${formatOutputs(shown, { json: false, showSecrets: false })}`);
        deps.stdout.write(`\nAccounts for the participants: esiphub credentials ${site} --format html --out ${site}-cards.html\n`);
    }
}

/** Runs the preview of `operation` with its display; resolves to the planned steps by operation. */
async function showPreview(deps: CliDeps, stack: SiteStack, operation: StackOperation, target: string[] | undefined): Promise<OpMap> {
    const display = new ProgressDisplay(deps.stdout, { operation: "preview" });
    let plan: OpMap;
    try {
        plan = await stack.preview(operation, { target, onEvent: (e) => display.handle(e) });
    } catch (e) {
        throw failure(`preview of site "${stack.site}"`, display.finish(), e);
    }
    if (!display.finish().changes) deps.stdout.write(`Plan: ${summarizeChanges(plan, true)}\n`);
    return plan;
}

function failure(what: string, report: ProgressReport, e: unknown): CliError {
    const why = report.failures.length > 0 ? `${report.failures.length} failure${report.failures.length === 1 ? "" : "s"}, listed above` : (e as Error).message;
    return new CliError(`${what} failed: ${why}`);
}

async function previewOnly(deps: CliDeps, site: string, target: string[]): Promise<void> {
    preflight(deps, site, true);
    const stack = await deps.automation.stack(site, "create");
    deps.stdout.write(`Previewing site "${site}"\n`);
    await showPreview(deps, stack, "up", target.length > 0 ? target : undefined);
}

/** Stack outputs as text (`key: value`) or JSON; secret values hidden unless asked for. */
export function formatOutputs(outputs: OutputMap, options: { json: boolean; showSecrets: boolean }): string {
    const shown = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.secret && !options.showSecrets ? "[secret]" : o.value]));
    if (options.json) return JSON.stringify(shown, null, 2) + "\n";
    return Object.entries(shown)
        .map(([k, v]) => {
            const text = typeof v === "string" ? v : JSON.stringify(v, null, 2);
            return text.includes("\n") ? `${k}: |\n${text.replace(/\n$/, "").split("\n").map((l) => `  ${l}`).join("\n")}` : `${k}: ${text}`;
        })
        .join("\n")
        .concat("\n");
}

async function deployedOutputs(deps: CliDeps, site: string): Promise<OutputMap> {
    preflight(deps, site, false);
    const stack = await deps.automation.stack(site, "select");
    return stack.outputs();
}

function writeResult(deps: CliDeps, text: string, out: string | undefined, what: string): void {
    if (!out) {
        deps.stdout.write(text);
        return;
    }
    const file = path.resolve(out);
    // Passwords: readable by the operator only.
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    deps.stdout.write(`wrote ${what} to ${file}\n`);
}

async function credentialsCommand(deps: CliDeps, site: string, options: { format: "csv" | "html"; out?: string }): Promise<void> {
    const outputs = await deployedOutputs(deps, site);
    const credentials = parseCredentials(outputs.credentials?.value);
    if (!credentials) throw new CliError(`site "${site}" has no credentials output (is it deployed? run \`esiphub up ${site}\`)`);
    const hubUrl = outputs.hubUrl?.value;
    if (options.format === "html" && typeof hubUrl !== "string") throw new CliError(`site "${site}" has no hubUrl output (is it deployed? run \`esiphub up ${site}\`)`);
    const text = options.format === "csv" ? credentialsCsv(credentials) : credentialsHtml(credentials, { hubUrl: hubUrl as string, site });
    writeResult(deps, text, options.out, `${credentials.length} accounts (${options.format})`);
}

async function dnsCommand(deps: CliDeps, site: string, options: { format: DnsFormat }): Promise<void> {
    const { config } = siteConfig(deps, site);
    if (!config.hub.hostname) {
        throw new CliError(`site "${site}" has no ${NAMESPACE}:hubHostname, so there is nothing to publish: the hub is reached by its IP address`);
    }
    const outputs = await deployedOutputs(deps, site);
    const ip = outputs.publicIp?.value;
    if (typeof ip !== "string" || !ip) throw new CliError(`site "${site}" has no publicIp output (is it deployed? run \`esiphub up ${site}\`)`);
    const records = dnsRecords(config.hub.hostname, ip, config.dns.ttl);
    deps.stdout.write(formatDnsRecords(records, options.format, config.dns.zone));
}

/** What `esiphub loadtest --site` needs from a deployed site: its accounts and hub address. */
async function siteAccess(deps: CliDeps, site: string): Promise<SiteAccess> {
    const outputs = await deployedOutputs(deps, site);
    const credentials = parseCredentials(outputs.credentials?.value);
    if (!credentials) throw new CliError(`site "${site}" has no credentials output (is it deployed? run \`esiphub up ${site}\`)`);
    const hubUrl = outputs.hubUrl?.value;
    return { credentials, hubUrl: typeof hubUrl === "string" ? hubUrl : undefined };
}

async function loadtestCommand(deps: CliDeps, options: LoadtestCommandOptions): Promise<number> {
    // Loaded on use: the other commands start faster without the load tester's modules.
    const { runLoadtestCommand, LoadtestUsageError } = await import("./loadtest");
    try {
        const result = await runLoadtestCommand(options, { stdout: deps.stdout, stderr: deps.stderr, siteAccess: (site) => siteAccess(deps, site) });
        return result.exitCode;
    } catch (e) {
        if (e instanceof LoadtestUsageError) throw new CliError(`loadtest: ${e.message}`);
        throw e;
    }
}

function costCommand(deps: CliDeps, site: string, options: { users?: number; hours?: number; json?: boolean }): void {
    const { config } = siteConfig(deps, site);
    let estimate;
    try {
        estimate = estimateCost(config, { users: options.users, hours: options.hours });
    } catch (e) {
        if (e instanceof RangeError) throw new CliError(e.message);
        throw e;
    }
    deps.stdout.write(options.json ? JSON.stringify(estimate, null, 2) + "\n" : formatCost(estimate));
}

function integer(min: number, max: number) {
    return (text: string): number => {
        const n = Number(text);
        if (!/^\d+$/.test(text) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
        return n;
    };
}

function positiveNumber(text: string): number {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a number above 0");
    return n;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** Set by commands whose outcome is not all-or-nothing (a load test with failed users exits 1 without an error). */
export interface CliOutcome {
    exitCode: number;
}

export function buildProgram(deps: CliDeps, outcome: CliOutcome = { exitCode: 0 }): Command {
    const program = new Command("esiphub")
        .description("Workshop-ready JupyterHub per site (stack = Pulumi.<site>.yaml), on the Pulumi Automation API")
        .addHelpText(
            "after",
            "\nLike the pulumi CLI, it uses your Pulumi backend login (PULUMI_BACKEND_URL / pulumi login), PULUMI_CONFIG_PASSPHRASE(_FILE)\n" +
                "and the cloud's own credentials (OS_* from an openrc or OS_CLOUD; AWS_PROFILE or AWS_* keys).",
        )
        .showHelpAfterError("(add --help for usage)")
        .exitOverride()
        .configureOutput({ writeOut: (s) => deps.stdout.write(s), writeErr: (s) => deps.stderr.write(s) });

    const operation = (name: StackOperation, description: string) => {
        const command = program
            .command(name)
            .description(description)
            .argument("<site>", "site name: the stack file Pulumi.<site>.yaml")
            .option("-y, --yes", "go ahead without asking (after the preview)")
            .option("--target <urn>", "limit the operation to this resource URN (repeatable)", collect);
        if (name === "destroy") command.option("--delete-data", "allow the destroy to delete the data volume (users' homes and scratch)");
        command.action((site: string, options: OperationOptions) => operate(deps, name, site, options));
    };
    operation("up", "deploy or update a site, with live progress");
    program
        .command("preview")
        .description("show what `up` would change, without changing anything")
        .argument("<site>", "site name")
        .option("--target <urn>", "limit the preview to this resource URN (repeatable)", collect)
        .action((site: string, options: { target?: string[] }) => previewOnly(deps, site, options.target ?? []));
    operation("destroy", "delete a site's resources (the data volume is kept unless --delete-data)");
    operation("refresh", "bring the state of a site in line with the cloud");

    program
        .command("outputs")
        .description("a deployed site's stack outputs (secrets hidden unless --show-secrets)")
        .argument("<site>", "site name")
        .option("--json", "print as JSON")
        .option("--show-secrets", "show secret values")
        .action(async (site: string, options: { json?: boolean; showSecrets?: boolean }) => {
            const outputs = await deployedOutputs(deps, site);
            deps.stdout.write(formatOutputs(outputs, { json: !!options.json, showSecrets: !!options.showSecrets }));
        });

    program
        .command("credentials")
        .description("the participants' accounts: CSV (username,password) or a printable page of cut-out cards")
        .argument("<site>", "site name")
        .addOption(new Option("--format <format>", "csv or html").choices(["csv", "html"]).default("csv"))
        .option("--out <file>", "write to this file (mode 600) instead of standard output")
        .action((site: string, options: { format: "csv" | "html"; out?: string }) => credentialsCommand(deps, site, options));

    program
        .command("dns")
        .description("the DNS records that point the hub's hostname at its public IP, ready to paste")
        .argument("<site>", "site name")
        .addOption(new Option("--format <format>", DNS_FORMATS.join(", ")).choices([...DNS_FORMATS]).default("zone"))
        .action((site: string, options: { format: DnsFormat }) => dnsCommand(deps, site, options));

    program
        .command("cost")
        .description("development scale (one always-on node, per month) against workshop scale (the auto-sized cluster)")
        .argument("<site>", "site name")
        .option("--users <n>", "users at workshop scale (default: the site's accounts)", integer(1, 1000))
        .option("--hours <h>", "length of the workshop in hours (default: 4)", positiveNumber)
        .option("--json", "print the estimate as JSON")
        .action((site: string, options: { users?: number; hours?: number; json?: boolean }) => costCommand(deps, site, options));

    program
        .command("loadtest")
        .description("replay a workshop's burst of users against a hub and report start-up times and errors")
        .option("--hub <url>", "the hub's address (with --site: the stack's hubUrl by default)")
        .option("--credentials <file>", "accounts: the CSV of `esiphub credentials SITE` (header username,password)")
        .option("--site <site>", "accounts (and hub address) from this deployed site instead")
        .option("--users <n>", "simulated users (default: every account)")
        .option("--concurrency <c>", "users in flight at once (default: all)")
        .option("--ramp <seconds>", "spread the users' starts over this many seconds (default: 0)")
        .option("--timeout <seconds>", "time budget of each phase of each user (default: 300)")
        .option("--execute", "start a kernel and run one cell in each server")
        .option("--stop", "stop each server at the end")
        .option("--json", "print the report as JSON")
        .option("--report <file.html>", "write an HTML report with a chart of start-up times")
        .action(async (options: LoadtestCommandOptions) => {
            outcome.exitCode = await loadtestCommand(deps, options);
        });

    registerPlanCommand(program);
    registerScaleCommand(program, deps, outcome);
    registerBackupCommands(program, deps, outcome);
    registerTlsRetryCommand(program, {
        stdout: deps.stdout,
        outputs: (site) => deployedOutputs(deps, site),
        hubNamespace: (site) => siteConfig(deps, site).config.hub.namespace,
        error: (message) => new CliError(message),
    });
    const site: SiteCommandContext = {
        deps,
        outcome,
        siteConfig: (name) => siteConfig(deps, name).config,
        preflight: (name, cloud) => void preflight(deps, name, cloud),
        deployedStack: async (name) => {
            preflight(deps, name, false);
            return deps.automation.stack(name, "select");
        },
        runCommand: (args) => runCli(args, deps),
        error: (message) => new CliError(message),
    };
    registerDoctorCommand(program, site);
    registerRehearseCommand(program, site);
    return program;
}

/** Runs the CLI on `args` (without node and script) and resolves to its exit status; never throws. */
export async function runCli(args: string[], deps: CliDeps): Promise<number> {
    const outcome: CliOutcome = { exitCode: 0 };
    const program = buildProgram(deps, outcome);
    try {
        await program.parseAsync(args, { from: "user" });
        return outcome.exitCode;
    } catch (e) {
        if (e instanceof CommanderError) return e.exitCode; // commander printed the message (or the help)
        if (e instanceof CliError || e instanceof AutomationError) {
            deps.stderr.write(`esiphub: ${e.message}\n`);
            return 1;
        }
        const message = e instanceof Error ? e.message : String(e);
        deps.stderr.write(`esiphub: unexpected error: ${message.split("\n")[0]}${deps.env.ESIPHUB_DEBUG ? `\n${(e as Error).stack}` : " (set ESIPHUB_DEBUG=1 for details)"}\n`);
        return 1;
    }
}

function terminalConfirm(question: string): Promise<boolean> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    return new Promise((resolve) =>
        rl.question(question, (answer) => {
            rl.close();
            resolve(/^y(es)?$/i.test(answer.trim()));
        }),
    );
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
    // `esiphub outputs site | head` closes the pipe early: that is not an error.
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    });
    const code = await runCli(argv, {
        projectDir: PROJECT_DIR,
        env: process.env,
        homeDir: os.homedir(),
        stdout: process.stdout,
        stderr: process.stderr,
        automation: new PulumiAutomation(PROJECT_DIR),
        confirm: process.stdin.isTTY && process.stdout.isTTY ? terminalConfirm : undefined,
    });
    // `esiphub plan` sets its own exit status.
    process.exitCode = code || process.exitCode || 0;
}

if (require.main === module) void main();
