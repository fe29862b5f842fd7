import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { OpMap, OutputMap } from "@pulumi/pulumi/automation";
import { AUTO_HOSTNAME, CONFIG_KEYS, NAMESPACE, SSLIP_DOMAIN } from "../components/config";
import { estimateCost, formatCost } from "../components/cost";
import { DNS_FORMATS, DnsFormat, DnsRecord, dnsRecords, formatDnsRecords } from "../components/dns/formats";
import { formatViolations } from "../policy/rules";
import { offlineChecks, OfflineChecks, registerPlanCommand } from "./plan";
import type { LoadtestCommandOptions, SiteAccess } from "./loadtest";
import { AutomationError, cloudCredentialsProblem, PulumiAutomation, SiteStack, StackOperation, StateResource } from "./automation";
import { credentialsCsv, credentialsHtml, parseCredentials, splitAccounts } from "./credentials";
import { Cancelled, CliDeps, CliError, CliOutcome, EXIT } from "./deps";
import { writePrivateFile } from "./files";
import { ProgressDisplay, ProgressReport, stepCount, summarizeChanges } from "./progress";
import { redact } from "./redact";
import { cloudOf, deployedStack, problemsText, readSite, requirePulumiCli, unvalidatedSite, validatedSite, withWayOut } from "./site";
import { formatSummary } from "./summary";
import { registerAccessCommands } from "./access";
import { backupBeforeDestroy, registerBackupCommands } from "./backup";
import { registerScaleCommand } from "./scale";
import { registerTlsRetryCommand } from "./tlsretry";
import { registerDoctorCommand, SiteCommandContext } from "./doctor";
import { registerRehearseCommand } from "./rehearse";
import { deployedWorkshops, hubOutputs } from "./workshops";

export { CliDeps, CliError, CliOutcome } from "./deps";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The types of a data volume in the state (older providers' V1/V2 names included). */
const VOLUME_TYPE = /^(openstack:blockstorage\/volume(V[12])?:Volume(V[12])?|aws:ebs\/volume:Volume)$/;

/** What a destroy does with the data volume: the note for after it, and the retained volumes it must release first. */
export interface DataVolumePlan {
    readonly note?: string;
    /** Volumes the state keeps (retainOnDelete or protect) that `--delete-data` deletes. */
    readonly release: StateResource[];
    /** True when the destroy deletes a data volume (the operator types the site's name first). */
    readonly deletes: boolean;
}

/**
 * Refuses a destroy that would delete the data volume (users' homes and the shared scratch) unless the operator
 * said `--delete-data`; with it, the retained volumes are released so that the destroy really deletes them. What
 * happens is decided by the deployed state, as the engine decides it: a volume marked retainOnDelete (the program
 * marks it when `esiphub:keepDataOnDestroy` is true) is left in the cloud, any other is deleted.
 * (Which volume is the data volume is not known here: the program makes no other volume.)
 */
export async function checkDataVolume(stack: SiteStack, deleteData: boolean, target?: string[]): Promise<DataVolumePlan> {
    const site = stack.site;
    // A destroy limited by --target deletes only the targets.
    const volumes: StateResource[] = (await stack.resources()).filter((r) => VOLUME_TYPE.test(r.type) && (!target || target.includes(r.urn)));
    if (volumes.length === 0) return { release: [], deletes: false };
    const kept = volumes.filter((v) => v.retainOnDelete || v.protect);
    if (deleteData) return { release: kept, deletes: true, note: `the data volume of site "${site}" was deleted, with every user's files` };
    if (kept.length === volumes.length) {
        const ids = kept.map((v) => v.id).filter(Boolean);
        const how = ids.length ? ` (${kept[0].type.startsWith("aws:") ? `aws ec2 delete-volume --volume-id ${ids.join(" ")}` : `openstack volume delete ${ids.join(" ")}`})` : "";
        return {
            release: [],
            deletes: false,
            note: `the data volume of site "${site}" is kept (retainOnDelete) and still takes storage quota or money; delete it in the cloud when it is no longer needed${how}`,
        };
    }
    const key = `${NAMESPACE}:keepDataOnDestroy`;
    const keep = ((await stack.getConfig(key)) ?? String(CONFIG_KEYS.find((k) => k.key === "keepDataOnDestroy")!.default)) === "true";
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

/**
 * Before `up`, `preview` or `refresh` reach Pulumi: the same offline checks as `esiphub plan` (stack file, settings,
 * capacity, the program planned offline, the policy rules), with its exit statuses; then the site's summary.
 */
async function deployableSite(deps: CliDeps, site: string, what: string): Promise<OfflineChecks> {
    readSite(deps, site);
    const checks = await offlineChecks(site, { projectDir: deps.projectDir, quotas: "project" });
    if (checks.exitCode === EXIT.policy) {
        deps.stdout.write(formatViolations(checks.violations));
        throw new CliError(`site "${site}" has mandatory policy violation(s), listed above: fix them in Pulumi.${site}.yaml before the ${what} (\`esiphub plan ${site}\` checks offline)`, EXIT.policy);
    }
    if (checks.exitCode !== EXIT.ok) {
        const text = checks.exitCode === EXIT.badConfig ? problemsText(checks.file, checks.problems) : checks.problems.join("\n");
        throw new CliError(text, checks.exitCode);
    }
    deps.stdout.write(`${formatSummary(checks.summary!)}\n`);
    for (const note of checks.notes) deps.stdout.write(`Note: ${note}\n`);
    if (checks.violations.length > 0) deps.stdout.write(formatViolations(checks.violations));
    return checks;
}

/** The Pulumi CLI, and credentials for the cloud the stack file names (when it names one). */
function pulumiAndCloud(deps: CliDeps, site: string, raw: Record<string, string>): void {
    requirePulumiCli(deps);
    const cloud = cloudOf(raw);
    const problem = cloud && cloudCredentialsProblem(cloud, raw, deps.env, deps.homeDir);
    if (problem) throw new CliError(`site "${site}" (${cloud}): ${problem}`);
}

async function operate(deps: CliDeps, operation: "up" | "refresh", site: string, options: OperationOptions): Promise<void> {
    const checks = await deployableSite(deps, site, VERB[operation].noun);
    pulumiAndCloud(deps, site, checks.stack!.config);
    const stack = await deps.automation.stack(site, operation === "up" ? "create" : "select");
    const target = options.target?.length ? options.target : undefined;
    const plan = await previewAndConfirm(deps, stack, operation, target, options);
    await runWithProgress(deps, stack, operation, target, plan);
    if (operation === "up") {
        const outputs = await stack.outputs();
        const shown = Object.fromEntries(Object.entries(outputs).filter(([k]) => ["hubUrl", "workshops", "publicIp", "sshCommand"].includes(k)));
        if (Object.keys(shown).length > 0) deps.stdout.write(`\n${formatOutputs(shown, { json: false, showSecrets: false })}`);
        const workshops = deployedWorkshops(outputs);
        const cards = workshops
            ? workshops.map((w) => `esiphub credentials ${site} --workshop ${w} --format html --out ${site}-${w}-cards.html`).join("\n  ")
            : `esiphub credentials ${site} --format html --out ${site}-cards.html`;
        deps.stdout.write(`\nAccounts for the participants:${workshops ? "\n  " : " "}${cards}\n`);
    }
}

/** `destroy` needs only the stack's name: it works when the stack file no longer validates, or is gone. */
async function destroy(deps: CliDeps, site: string, options: OperationOptions): Promise<void> {
    const { raw, note } = unvalidatedSite(deps, site);
    if (note) deps.stderr.write(`esiphub: note: ${note}\n`);
    pulumiAndCloud(deps, site, raw);
    const stack = await deps.automation.stack(site, "select");
    const target = options.target?.length ? options.target : undefined;
    const data = await checkDataVolume(stack, !!options.deleteData, target);
    if (data.deletes) {
        // The users' files go with the volume: offer a backup first, and say where the last one is.
        const backup = await backupBeforeDestroy(deps, site, { yes: options.yes });
        if (backup.stop) throw new CliError(backup.stop);
    }
    const plan = await previewAndConfirm(deps, stack, "destroy", target, options, data.deletes);
    if (data.release.length > 0) {
        deps.stdout.write(`Releasing the data volume of site "${site}" (clearing retainOnDelete in the state) so that the destroy deletes it\n`);
        await stack.deleteOnDestroy(data.release.map((v) => v.urn));
    }
    await runWithProgress(deps, stack, "destroy", target, plan);
    if (data.note) deps.stdout.write(`Note: ${data.note}\n`);
}

async function previewAndConfirm(deps: CliDeps, stack: SiteStack, operation: StackOperation, target: string[] | undefined, options: OperationOptions, deletesData = false): Promise<OpMap> {
    const site = stack.site;
    deps.stdout.write(`Previewing the ${VERB[operation].noun} of site "${site}"${target ? ` (targets: ${target.join(", ")})` : ""}\n`);
    const plan = await showPreview(deps, stack, operation, target);
    if (options.yes) return plan;
    if (deletesData) {
        if (!deps.ask) throw new CliError(`deleting the data volume of site "${site}" needs confirmation: pass --yes (there is no terminal to ask on)`);
        const answer = await deps.ask(`This deletes every resource of site "${site}" AND its data volume: every user's home and the shared scratch. Type the site's name to go ahead: `);
        if (answer.trim() !== site) throw new Cancelled(`destroy of site "${site}" cancelled (the name typed was not "${site}"); nothing was changed`);
        return plan;
    }
    if (!deps.confirm) throw new CliError(`the ${VERB[operation].noun} of site "${site}" needs confirmation: pass --yes (there is no terminal to ask on)`);
    if (!(await deps.confirm(`Do you want to ${VERB[operation].question} site "${site}"? [y/N] `))) {
        throw new Cancelled(`${VERB[operation].noun} of site "${site}" cancelled; nothing was changed`);
    }
    return plan;
}

/** Runs `operation` with live progress (its total from the preview's `plan`); one summary line when it fails. */
async function runWithProgress(deps: CliDeps, stack: SiteStack, operation: StackOperation, target: string[] | undefined, plan: OpMap): Promise<void> {
    deps.stdout.write(`\n${VERB[operation].heading} site "${stack.site}"\n`);
    const display = new ProgressDisplay(deps.stdout, { operation, total: stepCount(plan) });
    try {
        await stack.run(operation, { target, onEvent: (e) => display.handle(e) });
    } catch (e) {
        throw failure(`${VERB[operation].noun} of site "${stack.site}"`, display.finish(), e);
    }
    display.finish();
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
    const why = report.failures.length > 0 ? `${report.failures.length} failure${report.failures.length === 1 ? "" : "s"}, listed above` : redact((e as Error).message);
    return new CliError(`${what} failed: ${why}`);
}

async function previewOnly(deps: CliDeps, site: string, target: string[]): Promise<void> {
    const checks = await deployableSite(deps, site, "preview");
    pulumiAndCloud(deps, site, checks.stack!.config);
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

/** A deployed site's outputs; needs only the stack's name (the stack file may be broken or gone). */
async function deployedOutputs(deps: CliDeps, site: string): Promise<{ outputs: OutputMap; raw: Record<string, string> }> {
    const { stack, raw } = await deployedStack(deps, site);
    return { outputs: await stack.outputs(), raw };
}

function writeResult(deps: CliDeps, text: string, out: string | undefined, what: string): void {
    if (!out) {
        deps.stdout.write(text);
        return;
    }
    const file = path.resolve(out);
    // Passwords: readable by the operator only.
    writePrivateFile(file, text);
    deps.stdout.write(`wrote ${what} to ${file}\n`);
}

const notDeployed = (site: string, output: string) => new CliError(`site "${site}" has no ${output} output (is it deployed? run \`esiphub up ${site}\`)`);

/** A deployed site's outputs as one hub's: the workshop's with --workshop (cli/workshops.ts), the site's otherwise. */
async function deployedHubOutputs(deps: CliDeps, site: string, workshop: string | undefined): Promise<OutputMap> {
    const hub = hubOutputs((await deployedOutputs(deps, site)).outputs, site, workshop);
    if (typeof hub === "string") throw new CliError(hub);
    return hub;
}

async function credentialsCommand(deps: CliDeps, site: string, options: { format: "csv" | "html"; out?: string; workshop?: string; attendeesOnly?: boolean }): Promise<void> {
    const outputs = await deployedHubOutputs(deps, site, options.workshop);
    const all = parseCredentials(outputs.credentials?.value);
    if (!all) throw notDeployed(site, "credentials");
    const hubUrl = outputs.hubUrl?.value;
    if (options.format === "html" && typeof hubUrl !== "string") throw notDeployed(site, "hubUrl");
    const adminOutput = outputs.adminUsers?.value;
    const admins = Array.isArray(adminOutput) ? adminOutput.filter((a): a is string => typeof a === "string") : undefined;
    // Without the output, which cards are the admins' is unknown: leaving them out cannot be promised.
    if (options.attendeesOnly && !admins) throw notDeployed(site, "adminUsers");
    const credentials = options.attendeesOnly ? splitAccounts(all, admins!).attendees : all;
    const label = options.workshop ? `${site}, workshop ${options.workshop}` : site;
    const text = options.format === "csv" ? credentialsCsv(credentials) : credentialsHtml(credentials, { hubUrl: hubUrl as string, site: label, admins });
    writeResult(deps, text, options.out, `${credentials.length} accounts (${options.format})`);
}

/**
 * The records of the deployed stack (its `dnsRecords` output); for a stack deployed before that output existed, the
 * stack file's hostname and TTL with the deployed public IP. The zone (for nsupdate) comes from the stack file.
 */
async function dnsCommand(deps: CliDeps, site: string, options: { format: DnsFormat }): Promise<void> {
    const { outputs, raw } = await deployedOutputs(deps, site);
    const setting = (key: string) => raw[`${NAMESPACE}:${key}`] || undefined;
    let records = outputs.dnsRecords?.value as DnsRecord[] | undefined;
    if (!Array.isArray(records)) {
        const given = setting("hubHostname");
        const hostname = given === AUTO_HOSTNAME ? undefined : given;
        const ip = outputs.publicIp?.value;
        if (hostname && (typeof ip !== "string" || !ip)) throw notDeployed(site, "publicIp");
        records = hostname ? dnsRecords(hostname, ip as string, Number(setting("dnsTtl") ?? CONFIG_KEYS.find((k) => k.key === "dnsTtl")!.default)) : [];
    }
    if (records.length === 0 && setting("hubHostname") === AUTO_HOSTNAME) {
        throw new CliError(`site "${site}" has an automatic name (${NAMESPACE}:hubHostname auto): ${SSLIP_DOMAIN} answers for it, so there is no record to publish`);
    }
    if (records.length === 0) {
        throw new CliError(`site "${site}" has no ${NAMESPACE}:hubHostname, so there is nothing to publish: the hub is reached by its IP address`);
    }
    deps.stdout.write(formatDnsRecords(records, options.format, setting("dnsZone")));
}

/** What `esiphub loadtest --site` needs from a deployed site: its accounts and hub address. */
async function siteAccess(deps: CliDeps, site: string, workshop: string | undefined): Promise<SiteAccess> {
    const outputs = await deployedHubOutputs(deps, site, workshop);
    const credentials = parseCredentials(outputs.credentials?.value);
    if (!credentials) throw notDeployed(site, "credentials");
    const hubUrl = outputs.hubUrl?.value;
    return { credentials, hubUrl: typeof hubUrl === "string" ? hubUrl : undefined };
}

async function loadtestCommand(deps: CliDeps, options: LoadtestCommandOptions): Promise<number> {
    // Loaded on use: the other commands start faster without the load tester's modules.
    const { runLoadtestCommand, LoadtestUsageError } = await import("./loadtest");
    try {
        const result = await runLoadtestCommand(options, { stdout: deps.stdout, stderr: deps.stderr, siteAccess: (site) => siteAccess(deps, site, options.workshop) });
        return result.exitCode;
    } catch (e) {
        if (e instanceof LoadtestUsageError) throw new CliError(`loadtest: ${e.message}`);
        throw e;
    }
}

interface CostCommandOptions {
    users?: number;
    hours?: number;
    json?: boolean;
    configFile?: string;
}

/**
 * `--users N` is `esiphub:users: N` in the stack file, counted by the same rules (extra accounts on top, the same
 * limits, the same sizing); a fixed worker count and a limit of servers at once are re-sized for the new count (all
 * of them at once), and an explicit list of names (with its admins) gives way to the pattern.
 */
function costCommand(deps: CliDeps, site: string, options: CostCommandOptions): void {
    const { stack } = readSite(deps, site, options.configFile);
    const fixedWorkers = (stack.config[`${NAMESPACE}:workers`] ?? "auto") !== "auto";
    const limited = (stack.config[`${NAMESPACE}:maxServers`] ?? "all") !== "all";
    const overrides: Record<string, string | undefined> =
        options.users === undefined
            ? {}
            : {
                  [`${NAMESPACE}:users`]: String(options.users),
                  [`${NAMESPACE}:userNames`]: undefined,
                  [`${NAMESPACE}:adminUsers`]: undefined,
                  ...(fixedWorkers ? { [`${NAMESPACE}:workers`]: "auto" } : {}),
                  ...(limited ? { [`${NAMESPACE}:maxServers`]: "all" } : {}),
              };
    let config;
    try {
        config = validatedSite(deps, site, { configFile: options.configFile, overrides }).config;
    } catch (e) {
        if (e instanceof CliError && options.users !== undefined) throw new CliError(`${e.message}\n(--users ${options.users} stands for ${NAMESPACE}:users)`, e.exitCode);
        throw e;
    }
    const estimate = estimateCost(config, { hours: options.hours });
    if (options.users !== undefined && fixedWorkers) {
        estimate.notes.push(`${NAMESPACE}:workers is fixed at ${stack.config[`${NAMESPACE}:workers`]} in the stack; workshop scale is auto-sized for ${options.users} users instead`);
    }
    if (options.users !== undefined && limited) {
        estimate.notes.push(`${NAMESPACE}:maxServers is ${stack.config[`${NAMESPACE}:maxServers`]} in the stack; workshop scale is sized for every account's server at once instead`);
    }
    deps.stdout.write(options.json ? JSON.stringify(estimate, null, 2) + "\n" : formatCost(estimate));
}

function count(text: string): number {
    if (!/^\d+$/.test(text)) throw new InvalidArgumentError("must be a whole number");
    return Number(text);
}

function positiveNumber(text: string): number {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a number above 0");
    return n;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function buildProgram(deps: CliDeps, outcome: CliOutcome = { exitCode: 0 }): Command {
    const program = new Command("esiphub")
        .description("Workshop-ready JupyterHub per site (stack = Pulumi.<site>.yaml), on the Pulumi Automation API")
        .addHelpText(
            "after",
            "\nLike the pulumi CLI, it uses your Pulumi backend login (PULUMI_BACKEND_URL / pulumi login), PULUMI_CONFIG_PASSPHRASE(_FILE)\n" +
                "and the cloud's own credentials (OS_* from an openrc or OS_CLOUD; AWS_PROFILE or AWS_* keys).",
        )
        .version(packageVersion(), "-V, --version", "print the version of esiphub")
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
        if (name === "destroy") {
            command.option("--delete-data", "delete the data volume (users' homes and scratch) too, after you type the site's name (or --yes)");
            command.action((site: string, options: OperationOptions) => withWayOut(deps, "destroy", site, () => destroy(deps, site, options)));
        } else {
            command.action((site: string, options: OperationOptions) => operate(deps, name, site, options));
        }
    };
    operation("up", "check offline as `plan` does, then deploy or update a site, with live progress");
    program
        .command("preview")
        .description("check offline as `plan` does, then show what `up` would change, without changing anything")
        .argument("<site>", "site name")
        .option("--target <urn>", "limit the preview to this resource URN (repeatable)", collect)
        .action((site: string, options: { target?: string[] }) => previewOnly(deps, site, options.target ?? []));
    operation("destroy", "delete a site's resources (the data volume is kept unless --delete-data); needs only the stack");
    operation("refresh", "bring the state of a site in line with the cloud");

    program
        .command("outputs")
        .description("a deployed site's stack outputs (secrets hidden unless --show-secrets)")
        .argument("<site>", "site name")
        .option("--json", "print as JSON")
        .option("--show-secrets", "show secret values")
        .action((site: string, options: { json?: boolean; showSecrets?: boolean }) =>
            withWayOut(deps, "outputs", site, async () => {
                const { outputs } = await deployedOutputs(deps, site);
                deps.stdout.write(formatOutputs(outputs, { json: !!options.json, showSecrets: !!options.showSecrets }));
            }),
        );

    program
        .command("credentials")
        .description("the participants' accounts: CSV (username,password) or a printable page of cut-out cards (the admins' on a marked sheet of their own)")
        .argument("<site>", "site name")
        .addOption(new Option("--format <format>", "csv or html").choices(["csv", "html"]).default("csv"))
        .option("--out <file>", "write to this file (mode 600) instead of standard output")
        .option("--workshop <name>", "the accounts of this workshop (a site with esiphub:workshops)")
        .option("--attendees-only", "leave out the admins' (organisers') accounts")
        .action((site: string, options: { format: "csv" | "html"; out?: string; workshop?: string; attendeesOnly?: boolean }) =>
            withWayOut(deps, "credentials", site, () => credentialsCommand(deps, site, options)),
        );

    program
        .command("dns")
        .description("the DNS records that point the hub's hostname at its public IP, ready to paste")
        .argument("<site>", "site name")
        .addOption(new Option("--format <format>", DNS_FORMATS.join(", ")).choices([...DNS_FORMATS]).default("zone"))
        .action((site: string, options: { format: DnsFormat }) => withWayOut(deps, "dns", site, () => dnsCommand(deps, site, options)));

    program
        .command("cost")
        .description("development scale (one always-on node, per month) against workshop scale (the site's cluster), and the kept data volume")
        .argument("<site>", "site name")
        .option("--users <n>", "workshop accounts, as esiphub:users (extra users are added; default: the site's)", count)
        .option("--hours <h>", "length of the workshop in hours (default: 4)", positiveNumber)
        .option("--json", "print the estimate as JSON")
        .option("--config-file <path>", "estimate this stack file instead of Pulumi.<site>.yaml")
        .action((site: string, options: CostCommandOptions) => costCommand(deps, site, options));

    program
        .command("loadtest")
        .description("replay a workshop's burst of users against a hub and report start-up times and errors")
        .option("--hub <url>", "the hub's address (with --site: the stack's hubUrl by default)")
        .option("--credentials <file>", "accounts: the CSV of `esiphub credentials SITE` (header username,password)")
        .option("--site <site>", "accounts (and hub address) from this deployed site instead")
        .option("--workshop <name>", "with --site: the accounts and hub of this workshop (a site with esiphub:workshops)")
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

    registerPlanCommand(program, deps, outcome);
    registerAccessCommands(program, deps, outcome);
    registerScaleCommand(program, deps);
    registerBackupCommands(program, deps);
    registerTlsRetryCommand(program, {
        stdout: deps.stdout,
        outputs: async (site) => (await deployedOutputs(deps, site)).outputs,
        hubNamespace: (site) => validatedSite(deps, site).config.hub.namespace,
        error: (message) => new CliError(message),
    });
    const site: SiteCommandContext = {
        deps,
        outcome,
        siteConfig: (name) => validatedSite(deps, name).config,
        preflight: (name, cloud) => (cloud ? pulumiAndCloud(deps, name, readSite(deps, name).stack.config) : requirePulumiCli(deps)),
        deployedStack: async (name) => (await deployedStack(deps, name)).stack,
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
        // Every error is printed through redact: a message may quote a failed command's output.
        if (e instanceof CliError || e instanceof AutomationError) {
            deps.stderr.write(`esiphub: ${redact(e.message)}\n`);
            return e instanceof CliError ? e.exitCode : EXIT.failed;
        }
        const message = e instanceof Error ? e.message : String(e);
        deps.stderr.write(redact(`esiphub: unexpected error: ${message.split("\n")[0]}${deps.env.ESIPHUB_DEBUG ? `\n${(e as Error).stack}` : " (set ESIPHUB_DEBUG=1 for details)"}\n`));
        return 1;
    }
}

function terminalAsk(question: string): Promise<string> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    return new Promise((resolve) =>
        rl.question(question, (answer) => {
            rl.close();
            resolve(answer);
        }),
    );
}

async function terminalConfirm(question: string): Promise<boolean> {
    return /^y(es)?$/i.test((await terminalAsk(question)).trim());
}

/** The version in package.json (read on use: `require` of a JSON file outside rootDir would upset tsc). */
function packageVersion(): string {
    return (JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { version: string }).version;
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
        ask: process.stdin.isTTY && process.stdout.isTTY ? terminalAsk : undefined,
    });
    // `esiphub plan` sets its own exit status.
    process.exitCode = code || process.exitCode || 0;
}

if (require.main === module) void main();
