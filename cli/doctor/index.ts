/**
 * `esiphub doctor`: proves a live site (or any hub) ready for the room, layer by layer, from the outside in. The
 * command-line wiring is registerDoctorCommand; runDoctor (run.ts) takes a plain target and options, so that
 * `esiphub rehearse` and the tests run the same checks.
 */
import * as fs from "fs";
import * as path from "path";
import { Command, InvalidArgumentError } from "commander";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { CONFIG_KEYS, NAMESPACE, notebookImageReference, SiteConfig } from "../../components/config";
import { parseQuantity } from "../../components/quantity";
import { PROVISIONER_NAMESPACE } from "../../components/storage/values";
import type { SiteStack } from "../automation";
import { parseCredentials } from "../credentials";
import type { CliDeps, CliOutcome } from "../deps";
import { CredentialsError, readCredentialsFile } from "../loadtest/credentials";
import { hubOutputs, workshopConfig } from "../workshops";
import type { Account } from "../loadtest/credentials";
import { LoadtestUsageError, normalizeHubUrl } from "../loadtest/options";
import { resolverLookup } from "../loadtest/trust";
import { DoctorReport, formatCheck, formatSummary } from "./check";
import type { ClusterTarget } from "./cluster";
import { chooseAccount, DoctorOptions, DoctorTarget, jupyterhubBytes, runDoctor } from "./run";

export { runDoctor, jupyterhubBytes } from "./run";
export type { DoctorTarget, DoctorOptions } from "./run";
export type { DoctorReport, CheckResult, CheckStatus } from "./check";

/** What the doctor and rehearse commands need of the CLI around them (cli/esiphub.ts passes its own). */
export interface SiteCommandContext {
    readonly deps: CliDeps;
    readonly outcome: CliOutcome;
    /** The site's validated config from its stack file; throws the CLI's error for a bad one. */
    siteConfig(site: string): SiteConfig;
    /** The CLI's checks before anything reaches Pulumi: the Pulumi CLI, and with `cloud` the cloud's credentials. */
    preflight(site: string, cloud: boolean): void;
    /** The deployed site's stack (after the preflight). */
    deployedStack(site: string): Promise<SiteStack>;
    /** Runs another esiphub command (e.g. up, destroy) as the command line would; resolves to its exit status. */
    runCommand(args: string[]): Promise<number>;
    /** The CLI's error for a problem the operator can fix: one line, no stack trace. */
    error(message: string): Error;
}

/** Without a stack: ESIPHub's defaults. */
const configDefault = (key: string) => {
    const value = CONFIG_KEYS.find((k) => k.key === key)!.default;
    return typeof value === "string" ? value : JSON.stringify(value);
};
const DEFAULT_HUB_NAMESPACE = configDefault("hubNamespace");
const DEFAULT_SHARED_NAME = path.posix.basename(configDefault("sharedMountPath"));
const DEFAULT_SPAWN_TIMEOUT_S = 300;
/** The postStart hook's name for the quickstart README in the home (poststart.sh: ESIPHUB_README_NAME, unset). */
const README_NAME = "README.md";

export interface DoctorCommandOptions {
    hub?: string;
    /** With a site: the workshop whose hub to check (a site with esiphub:workshops). */
    workshop?: string;
    credentials?: string;
    user?: string;
    execute?: boolean;
    json?: boolean;
    resolver?: string;
    ca?: string;
    timeout?: number;
}

const isIpAddress = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[");

/** True when the deployed hub asked for Let's Encrypt staging: its `tlsStaging` output, else the stack file's setting. */
export function stagingRequested(config: SiteConfig, outputs: OutputMap): boolean {
    if (typeof outputs.tlsStaging?.value === "boolean") return outputs.tlsStaging.value;
    return config.hub.tls && config.hub.letsEncryptStaging;
}

/** What the cluster checks expect of a site: its settings, its kubeconfig and its number of accounts. */
export function clusterTarget(config: SiteConfig, kubeconfig: string, users: number): ClusterTarget {
    return {
        kubeconfig,
        hubNamespace: config.hub.namespace,
        storageNamespace: PROVISIONER_NAMESPACE,
        storageClass: config.storage.storageClass,
        image: notebookImageReference(config.hub.image),
        users,
        // What KubeSpawner requests; a value JupyterHub cannot read (e.g. "4Gi") as Kubernetes reads it.
        guaranteeBytes: jupyterhubBytes(config.hub.memoryGuarantee) ?? parseQuantity(config.hub.memoryGuarantee)!,
        guaranteeSetting: `${NAMESPACE}:memoryGuarantee ${config.hub.memoryGuarantee}`,
        expectedNodes: 1 + config.nodes.workers,
        site: config.site,
    };
}

/** The site's config as the checked hub sees it: the workshop's with --workshop (cli/workshops.ts). */
function hubConfig(ctx: Pick<SiteCommandContext, "siteConfig" | "error">, site: string, workshop: string | undefined): SiteConfig {
    const config = workshopConfig(ctx.siteConfig(site), workshop);
    if (typeof config === "string") throw ctx.error(`doctor: ${config}`);
    return config;
}

/**
 * The doctor's target for a deployed site: its stack outputs and its stack file's settings; with `workshop`, that
 * workshop's hub (its outputs and settings) on the site's cluster.
 */
export async function siteTarget(ctx: Pick<SiteCommandContext, "siteConfig" | "deployedStack" | "error">, site: string, asked?: string, workshop?: string): Promise<DoctorTarget> {
    const config = hubConfig(ctx, site, workshop);
    const stack = await ctx.deployedStack(site);
    const outputs = hubOutputs(await stack.outputs(), site, workshop);
    if (typeof outputs === "string") throw ctx.error(`doctor: ${outputs}`);
    const undeployed = (what: string) => ctx.error(`site "${site}" has no ${what} output (is it deployed? run \`esiphub up ${site}\`)`);
    const hubUrl = outputs.hubUrl?.value;
    if (typeof hubUrl !== "string") throw undeployed("hubUrl");
    const accounts = parseCredentials(outputs.credentials?.value);
    if (!accounts) throw undeployed("credentials");
    const admins = Array.isArray(outputs.adminUsers?.value) ? (outputs.adminUsers.value as string[]) : config.hub.adminUsers;
    const account = chooseAccount(accounts, admins, asked);
    if (typeof account === "string") throw ctx.error(`doctor: ${account}`);
    const kubeconfig = outputs.kubeconfig?.value;
    const memoryLimitBytes = jupyterhubBytes(config.hub.memoryLimit);
    return {
        site,
        hubUrl: normalizeHubUrl(hubUrl),
        namespace: config.hub.namespace,
        // esiphub:hubHostname auto: the name the deployed hub got, from its address.
        hostname: config.hub.hostname ?? (config.hub.autoHostname ? new URL(hubUrl).hostname : undefined),
        publicIp: typeof outputs.publicIp?.value === "string" ? outputs.publicIp.value : undefined,
        dns: { resolvers: config.dns.checkResolvers, ttl: config.dns.ttl },
        stagingExpected: stagingRequested(config, outputs),
        reportAllLayers: true,
        user: {
            account,
            readmeName: README_NAME,
            sharedName: path.posix.basename(config.storage.sharedMountPath),
            memoryLimitBytes,
            memoryLimitSetting: memoryLimitBytes === undefined ? undefined : `${NAMESPACE}:memoryLimit ${config.hub.memoryLimit}`,
            namespace: config.hub.namespace,
        },
        cluster: typeof kubeconfig === "string" && kubeconfig ? clusterTarget(config, kubeconfig, accounts.length) : { skip: `site "${site}" has no kubeconfig output: the cluster cannot be examined` },
    };
}

/** The doctor's target for `--hub URL --credentials FILE`: the hub-side checks only. */
export function hubTarget(ctx: SiteCommandContext, options: DoctorCommandOptions): DoctorTarget {
    let hubUrl: string;
    let accounts: Account[];
    try {
        hubUrl = normalizeHubUrl(options.hub!);
        accounts = readCredentialsFile(options.credentials!);
    } catch (e) {
        if (e instanceof LoadtestUsageError) throw ctx.error(`doctor: ${e.message}`);
        if (e instanceof CredentialsError) throw ctx.error(`doctor: --credentials: ${e.message}`);
        throw e;
    }
    const account = chooseAccount(accounts, [], options.user);
    if (typeof account === "string") throw ctx.error(`doctor: ${account}`);
    const host = new URL(hubUrl).hostname;
    return {
        site: null,
        hubUrl,
        namespace: DEFAULT_HUB_NAMESPACE,
        hostname: isIpAddress(host) || host === "localhost" ? undefined : host,
        dns: { resolvers: JSON.parse(configDefault("dnsCheckResolvers")) as string[] },
        stagingExpected: false,
        reportAllLayers: false,
        user: { account, readmeName: README_NAME, sharedName: DEFAULT_SHARED_NAME, namespace: DEFAULT_HUB_NAMESPACE },
        cluster: undefined,
    };
}

function readCa(ctx: Pick<SiteCommandContext, "error">, file: string | undefined): string[] | undefined {
    if (!file) return undefined;
    try {
        return [fs.readFileSync(file, "utf8")];
    } catch (e) {
        throw ctx.error(`doctor: --ca: cannot read ${file}: ${(e as Error).message}`);
    }
}

/** The checks' options from the command line; `spawnTimeoutS` is the site's startTimeout (or the default). */
export function doctorOptions(ctx: Pick<SiteCommandContext, "error">, options: DoctorCommandOptions, spawnTimeoutS: number, onResult?: DoctorOptions["onResult"]): DoctorOptions {
    const extraCa = readCa(ctx, options.ca);
    return {
        execute: !!options.execute,
        spawnTimeoutMs: (options.timeout ?? spawnTimeoutS) * 1000,
        dns: options.resolver ? { servers: [options.resolver] } : undefined,
        // The resolver asked for is the one every check goes by: the hub is reached where it says.
        tls: { extraCa, lookup: options.resolver ? resolverLookup([options.resolver]) : undefined },
        onResult,
    };
}

/** Prints the report (text as the checks finish, or JSON at the end) and returns the exit status. */
export async function doctorCommand(ctx: SiteCommandContext, site: string | undefined, options: DoctorCommandOptions): Promise<number> {
    const out = ctx.deps.stdout;
    if (!!site === !!(options.hub || options.credentials)) {
        throw ctx.error("doctor: give a site (doctor SITE), or a hub and its accounts (doctor --hub URL --credentials FILE), not both");
    }
    if (options.hub && !options.credentials) throw ctx.error("doctor: --hub needs --credentials FILE (the CSV of `esiphub credentials SITE`)");
    if (options.credentials && !options.hub) throw ctx.error("doctor: --credentials needs --hub URL");
    if (options.workshop && !site) throw ctx.error("doctor: --workshop NAME picks a workshop of a site: give the site (doctor SITE --workshop NAME)");

    const target = site ? await siteTarget(ctx, site, options.user, options.workshop) : hubTarget(ctx, options);
    const spawnTimeoutS = site ? hubConfig(ctx, site, options.workshop).hub.startTimeoutSeconds : DEFAULT_SPAWN_TIMEOUT_S;
    const which = site ? `site "${site}"${options.workshop ? `, workshop ${options.workshop},` : ""} at ` : "";
    if (!options.json) out.write(`Doctor of ${which}${target.hubUrl} (test account ${target.user.account.username})\n`);
    const report: DoctorReport = await runDoctor(target, doctorOptions(ctx, options, spawnTimeoutS, options.json ? undefined : (r) => out.write(formatCheck(r))));
    out.write(options.json ? JSON.stringify(report, null, 2) + "\n" : formatSummary(report));
    return report.ok ? 0 : 1;
}

function seconds(text: string): number {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a number of seconds above 0");
    return n;
}

export function registerDoctorCommand(program: Command, ctx: SiteCommandContext): void {
    program
        .command("doctor")
        .description("check a live site layer by layer (DNS, TLS, hub, one real user, cluster) before attendees arrive")
        .argument("[site]", "a deployed site (or give --hub and --credentials)")
        .option("--hub <url>", "check this hub without a stack (the hub-side checks only)")
        .option("--workshop <name>", "with a site: check this workshop's hub (a site with esiphub:workshops)")
        .option("--credentials <file>", "with --hub: the accounts CSV (username,password)")
        .option("--user <name>", "the account to test with (default: the first admin, else the first account)")
        .option("--execute", "also run the load tester's cell in a kernel")
        .option("--json", 'print {"site", "hub", "ok", "checks": [{"name", "status", "detail", "seconds", "fix"}]}')
        .option("--resolver <address>", "the DNS server (IP[:port]) to ask for the hub's name, in every check (default: the dns check asks esiphub:dnsCheckResolvers, the others the system's resolver)")
        .option("--ca <file>", "also trust these PEM certificates (e.g. Let's Encrypt's staging roots)")
        .option("--timeout <seconds>", "time the test server may take to start (default: the site's startTimeout, else 300)", seconds)
        .action(async (site: string | undefined, options: DoctorCommandOptions) => {
            ctx.outcome.exitCode = await doctorCommand(ctx, site, options);
        });
}
