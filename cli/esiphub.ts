/**
 * The command line over api.ts: each command parses its flags, calls the site's operation (which writes its summary
 * and progress to the CLI's standard output) and prints the result; runCli maps the errors to exit statuses.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { formatCost } from "../components/cost";
import { DNS_FORMATS, DnsFormat, formatDnsRecords } from "../components/dns/formats";
import { openSite, siteStatuses } from "../api";
import { registerPlanCommand } from "./plan";
import type { LoadtestCommandOptions } from "./loadtest";
import { AutomationError, PulumiAutomation, StackOperation } from "./automation";
import { credentialsCsv, credentialsHtml, splitAccounts } from "./credentials";
import { CliDeps, CliError, CliOutcome, EXIT } from "./deps";
import { NotDeployedError } from "./errors";
import { writePrivateFile } from "./files";
import { redact } from "./redact";
import { deployedStack, readSite, requirePulumiAndCloud, requirePulumiCli, validatedSite, withWayOut } from "./site";
import { registerAccessCommands } from "./access";
import { registerBackupCommands } from "./backup";
import { registerScaleCommand } from "./scale";
import { registerTlsRetryCommand } from "./tlsretry";
import { registerDoctorCommand, SiteCommandContext } from "./doctor";
import { registerRehearseCommand } from "./rehearse";
import { registerStatusCommand } from "./status";
import { deployedWorkshops } from "./workshops";

export { CliDeps, CliError, CliOutcome } from "./deps";

export const PROJECT_DIR = path.resolve(__dirname, "..");

interface OperationOptions {
    yes?: boolean;
    target?: string[];
    deleteData?: boolean;
}

async function operate(deps: CliDeps, operation: "up" | "refresh", site: string, options: OperationOptions): Promise<void> {
    const request = { yes: !!options.yes, target: options.target };
    if (operation === "refresh") {
        await openSite(site, deps).refresh(request);
        return;
    }
    const { outputs } = await openSite(site, deps).up(request);
    const shown = Object.fromEntries(Object.entries(outputs.all).filter(([k]) => ["hubUrl", "workshops", "publicIp", "sshCommand"].includes(k)));
    if (Object.keys(shown).length > 0) deps.stdout.write(`\n${formatOutputs(shown, { json: false, showSecrets: false })}`);
    const workshops = deployedWorkshops(outputs.all);
    const cards = workshops
        ? workshops.map((w) => `esiphub credentials ${site} --workshop ${w} --format html --out ${site}-${w}-cards.html`).join("\n  ")
        : `esiphub credentials ${site} --format html --out ${site}-cards.html`;
    deps.stdout.write(`\nAccounts for the participants:${workshops ? "\n  " : " "}${cards}\n`);
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

async function credentialsCommand(deps: CliDeps, site: string, options: { format: "csv" | "html"; out?: string; workshop?: string; attendeesOnly?: boolean }): Promise<void> {
    const { credentials: all, hubUrl, admins } = await openSite(site, deps).access(options.workshop);
    if (options.format === "html" && !hubUrl) throw new NotDeployedError(site, "hubUrl");
    // Without the output, which cards are the admins' is unknown: leaving them out cannot be promised.
    if (options.attendeesOnly && !admins) throw new NotDeployedError(site, "adminUsers");
    const credentials = options.attendeesOnly ? splitAccounts(all, admins!).attendees : all;
    const label = options.workshop ? `${site}, workshop ${options.workshop}` : site;
    const text = options.format === "csv" ? credentialsCsv(credentials) : credentialsHtml(credentials, { hubUrl: hubUrl!, site: label, admins });
    writeResult(deps, text, options.out, `${credentials.length} accounts (${options.format})`);
}

async function dnsCommand(deps: CliDeps, site: string, options: { format: DnsFormat }): Promise<void> {
    const { records, zone } = await openSite(site, deps).dnsRecords();
    deps.stdout.write(formatDnsRecords(records, options.format, zone));
}

async function loadtestCommand(deps: CliDeps, options: LoadtestCommandOptions): Promise<number> {
    // Loaded on use: the other commands start faster without the load tester's modules.
    const { runLoadtestCommand, LoadtestUsageError } = await import("./loadtest");
    try {
        const result = await runLoadtestCommand(options, { stdout: deps.stdout, stderr: deps.stderr, siteAccess: (site) => openSite(site, deps).access(options.workshop) });
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

function costCommand(deps: CliDeps, site: string, options: CostCommandOptions): void {
    const estimate = openSite(site, deps).cost(options);
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
            command.action(async (site: string, options: OperationOptions) => {
                await withWayOut(deps, "destroy", site, () => openSite(site, deps).destroy({ yes: !!options.yes, target: options.target, deleteData: !!options.deleteData }));
            });
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
        .action(async (site: string, options: { target?: string[] }) => {
            await openSite(site, deps).preview({ target: options.target });
        });
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
                const { all } = await openSite(site, deps).outputs();
                deps.stdout.write(formatOutputs(all, { json: !!options.json, showSecrets: !!options.showSecrets }));
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
        outputs: async (site) => (await openSite(site, deps).outputs()).all,
        hubNamespace: (site) => validatedSite(deps, site).config.hub.namespace,
        error: (message) => new CliError(message),
    });
    const site: SiteCommandContext = {
        deps,
        outcome,
        siteConfig: (name) => validatedSite(deps, name).config,
        preflight: (name, cloud) => (cloud ? requirePulumiAndCloud(deps, name, readSite(deps, name).stack.config) : requirePulumiCli(deps)),
        deployedStack: async (name) => (await deployedStack(deps, name)).stack,
        runCommand: (args) => runCli(args, deps),
        error: (message) => new CliError(message),
    };
    registerDoctorCommand(program, site);
    registerRehearseCommand(program, site);
    registerStatusCommand(program, deps, () => siteStatuses(deps));
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
