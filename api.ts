/**
 * ESIPHub from your own scripts (package.json `exports`): `openSite(name)` gives one site (stack Pulumi.<name>.yaml)
 * and everything the `esiphub` command does with it, typed, with the same checks, errors and exit statuses. The
 * command is a thin layer over this module (cli/esiphub.ts): it parses flags, prints and maps errors to exit codes.
 *
 *     import { openSite, listSites } from "./api";
 *     for (const name of listSites()) console.log(name, (await openSite(name).preview()).changes);
 *
 * Errors are classes a script can catch, each with the exit status the command would end with (`exitCode`):
 * BadConfigError (2, its `problems`), PolicyViolationError (3, its `violations`), PulumiCliMissingError,
 * CloudCredentialsMissingError, NotDeployedError, OperationFailedError, Cancelled (1); AutomationError and
 * StackMissingError come from the Pulumi CLI (1).
 *
 * Pulumi is reached as the command reaches it: the Pulumi CLI on PATH through the Automation API, with the operator's
 * backend login, passphrase and cloud credentials; `options.automation` replaces it (the tests pass their double).
 */
import * as os from "os";
import type { OpMap, OutputMap } from "@pulumi/pulumi/automation";
import { AUTO_HOSTNAME, CONFIG_KEYS, NAMESPACE, SiteConfig, SSLIP_DOMAIN } from "./components/config";
import { CostEstimate, estimateCost } from "./components/cost";
import { DnsRecord, dnsRecords as recordsFor } from "./components/dns/formats";
import type { PlannedResource } from "./plan/run";
import { knownSites } from "./plan/stackfile";
import type { Violation } from "./policy/rules";
import { Automation, PulumiAutomation, StackListing, UpdateRecord } from "./cli/automation";
import type { BackupOptions, BackupDeps } from "./cli/backup";
import type { BackupSummary } from "./cli/backup/backup";
import { Credential, parseCredentials } from "./cli/credentials";
import { CliDeps, CliError, EXIT } from "./cli/deps";
import type { DoctorCommandOptions, DoctorOptions, DoctorReport } from "./cli/doctor";
import { BadConfigError, NotDeployedError } from "./cli/errors";
import { SiteStatus, siteStatus } from "./cli/event";
import type { LoadtestCommandOptions, LoadtestReport, SiteAccess } from "./cli/loadtest";
import { checkDataVolume, deployableSite, EventHandler, previewAndConfirm, runWithProgress, showPreview, VERB } from "./cli/operations";
import { offlineChecks } from "./cli/plan";
import type { ProgressOutput } from "./cli/progress";
import { checkSiteName, deployedStack, problemsText, readSite, requirePulumiAndCloud, requirePulumiCli, unvalidatedSite, validatedSite } from "./cli/site";
import type { SiteSummary } from "./cli/summary";
import { hubOutputs } from "./cli/workshops";

export { Automation, AutomationError, StackMissingError } from "./cli/automation";
export type { StackListing, UpdateRecord, SiteStack } from "./cli/automation";
export { Cancelled, CliError, EXIT } from "./cli/deps";
export { BadConfigError, CloudCredentialsMissingError, NotDeployedError, OperationFailedError, PolicyViolationError, PulumiCliMissingError } from "./cli/errors";
export type { Phase, EventHandler } from "./cli/operations";
export type { SiteStatus } from "./cli/event";
export type { SiteSummary } from "./cli/summary";
export type { SiteConfig } from "./components/config";
export type { CostEstimate } from "./components/cost";
export type { DnsRecord } from "./components/dns/formats";
export type { Credential } from "./cli/credentials";
export type { Violation } from "./policy/rules";
export type { LoadtestReport } from "./cli/loadtest";
export type { DoctorReport } from "./cli/doctor";
export type { BackupSummary } from "./cli/backup/backup";
export { formatAmount } from "./components/cost";
export { summarizeChanges } from "./cli/progress";
export { formatDnsRecords } from "./components/dns/formats";

/** This package's folder: Pulumi.yaml and the stack files. */
export const PROJECT_DIR = __dirname;

export interface SiteOptions {
    /** The folder of Pulumi.yaml and the stack files (default: this package's). */
    readonly projectDir?: string;
    /** How Pulumi is reached (default: the Pulumi CLI through the Automation API). */
    readonly automation?: Automation;
    /** The environment the Pulumi CLI and the cloud credentials come from (default: this process's). */
    readonly env?: Record<string, string | undefined>;
    /** Where ~/.aws, ~/.config/openstack and the backup records are (default: the user's home). */
    readonly homeDir?: string;
    /** The summary, preview and live progress as the esiphub command shows them (default: nowhere). */
    readonly stdout?: ProgressOutput;
    /** Notes and the load tester's progress line (default: nowhere). */
    readonly stderr?: ProgressOutput;
    /** Asked before an operation when it is called with `yes: false`. */
    readonly confirm?: (question: string) => Promise<boolean>;
    /** Asked for the site's name before a destroy with `deleteData` and `yes: false`. */
    readonly ask?: (question: string) => Promise<string>;
    /** The clock of `status` and of the end-date warnings (default: the system's). */
    readonly now?: () => Date;
    /** Where the NFS host's sshd listens and the share is mounted on it, for `backup` (default: 22, /srv/esiphub). */
    readonly nfsAccess?: BackupDeps["nfsAccess"];
}

/** What `plan()` found, offline: the settings, the resources the program would make, and the policy's verdict. */
export interface SitePlan {
    readonly site: string;
    readonly config: SiteConfig;
    readonly summary: SiteSummary;
    readonly resources: PlannedResource[];
    /** Stack outputs as planned, secrets as "[secret]". */
    readonly outputs: Record<string, unknown>;
    readonly violations: Violation[];
    /** False when a mandatory policy rule is broken: `preview` and `up` would refuse the site (exit 3). */
    readonly deployable: boolean;
    readonly notes: string[];
    /** The end date past, or missing on a site beyond development scale. */
    readonly warnings: string[];
}

export interface OperationOptions {
    /** URNs to limit the operation to. */
    readonly target?: string[];
    /** Every engine event of the preview and of the operation. */
    readonly onEvent?: EventHandler;
    /** Go ahead without asking (default true); false asks `confirm` after the preview, or refuses without it. */
    readonly yes?: boolean;
}

export interface OperationResult {
    readonly site: string;
    /** Steps by kind (create, update, same, ...): planned for a preview, as the engine counted them otherwise. */
    readonly changes: OpMap;
}

export interface PreviewResult extends OperationResult {
    readonly summary: SiteSummary;
    readonly warnings: string[];
}

export interface UpResult extends PreviewResult {
    readonly outputs: SiteOutputs;
}

export interface DestroyResult extends OperationResult {
    /** What became of the data volume (users' homes and the shared scratch). */
    readonly dataVolume: "none" | "kept" | "deleted";
    /** How to delete a kept volume by hand, or what was deleted. */
    readonly note?: string;
}

/** A deployed site's outputs: every one as the Automation API gives it, and the common ones typed. */
export interface SiteOutputs {
    /** Values in clear, each with its `secret` flag. */
    readonly all: OutputMap;
    readonly hubUrl?: string;
    readonly publicIp?: string;
    readonly sshCommand?: string;
    readonly workers?: number;
    /** The estimate the site was deployed with. */
    readonly cost?: CostEstimate;
}

/** The records that point the hub's name at it, and the zone to update (`esiphub:dnsZone`, when set). */
export interface SiteDnsRecords {
    readonly records: DnsRecord[];
    readonly zone?: string;
}

export interface CostOptions {
    /** Workshop accounts, as `esiphub:users` (extra users come on top). */
    readonly users?: number;
    /** Length of the workshop (default 4). */
    readonly hours?: number;
    /** Estimate this stack file instead of Pulumi.<site>.yaml. */
    readonly configFile?: string;
}

export type SiteLoadtestOptions = Omit<LoadtestCommandOptions, "site" | "credentials">;

export interface SiteDoctorOptions extends Omit<DoctorCommandOptions, "hub" | "credentials" | "json"> {
    /** Sees each check as it finishes. */
    readonly onResult?: DoctorOptions["onResult"];
}

/** One site: Pulumi.<name>.yaml and its stack in the operator's backend. */
export interface Site {
    readonly name: string;
    /** The validated settings of the stack file. */
    config(): SiteConfig;
    /** Everything checkable offline: settings, capacity, the program planned without a cloud, the policy rules. */
    plan(options?: { configFile?: string; quota?: string[] }): Promise<SitePlan>;
    /** The offline checks, then what `up` would change. */
    preview(options?: Omit<OperationOptions, "yes">): Promise<PreviewResult>;
    /** The offline checks, the preview, then the deployment; resolves to its outputs. */
    up(options?: OperationOptions): Promise<UpResult>;
    refresh(options?: OperationOptions): Promise<OperationResult>;
    /** Needs only the stack. Refuses to delete the data volume unless `deleteData`. */
    destroy(options?: OperationOptions & { deleteData?: boolean }): Promise<DestroyResult>;
    outputs(): Promise<SiteOutputs>;
    /** The participants' accounts. */
    credentials(): Promise<Credential[]>;
    /**
     * The accounts, the hub's address and, where the stack has the output, the admins: one read of the outputs. With
     * `workshop`, that workshop's hub on a site with esiphub:workshops.
     */
    access(workshop?: string): Promise<SiteAccess & { readonly admins?: readonly string[] }>;
    dnsRecords(): Promise<SiteDnsRecords>;
    /** Development against workshop scale, from the stack file alone. */
    cost(options?: CostOptions): CostEstimate;
    /** Deployed or not, the end date, the cost per hour and so far. */
    status(): Promise<SiteStatus>;
    /** Every home and the shared folder from the NFS host, one archive each (`esiphub backup`). */
    backup(options: BackupOptions): Promise<BackupSummary>;
    /** A burst of users against the deployed hub, with the site's accounts; `exitCode` 1 when a user failed. */
    loadtest(options?: SiteLoadtestOptions): Promise<{ report: LoadtestReport; exitCode: number }>;
    /** The live site checked layer by layer (`esiphub doctor`). */
    doctor(options?: SiteDoctorOptions): Promise<DoctorReport>;
}

type SiteDeps = CliDeps & BackupDeps & { readonly now: () => Date };

const SILENT: ProgressOutput = { write: () => true };

function resolve(options: SiteOptions): SiteDeps {
    const projectDir = options.projectDir ?? PROJECT_DIR;
    const env = options.env ?? process.env;
    return {
        projectDir,
        env,
        homeDir: options.homeDir ?? os.homedir(),
        stdout: options.stdout ?? SILENT,
        stderr: options.stderr ?? SILENT,
        automation: options.automation ?? new PulumiAutomation(projectDir),
        confirm: options.confirm,
        ask: options.ask,
        now: options.now ?? (() => new Date()),
        nfsAccess: options.nfsAccess,
    };
}

/** The sites of the project folder: every Pulumi.<site>.yaml. */
export function listSites(options: Pick<SiteOptions, "projectDir"> = {}): string[] {
    return knownSites(options.projectDir ?? PROJECT_DIR);
}

/** A site by its name; nothing is read until a method is called. */
export function openSite(name: string, options: SiteOptions = {}): Site {
    return new EsipSite(name, resolve(options));
}

/**
 * Every site's status: each stack file's, and each stack the backend has without one (a site nobody would remember).
 * The Pulumi CLI is asked once for the list, then per deployed site for its outputs and history.
 */
export async function siteStatuses(options: SiteOptions = {}): Promise<SiteStatus[]> {
    const deps = resolve(options);
    requirePulumiCli(deps);
    const listed = await deps.automation.stacks();
    const names = [...new Set([...knownSites(deps.projectDir), ...listed.map(stackName)])].sort();
    const statuses: SiteStatus[] = [];
    // One after another: selecting a stack writes the workspace's current stack, which parallel selects would race on.
    for (const name of names) statuses.push(await statusOf(deps, name, listed));
    return statuses;
}

/** A listed stack's site: names in another organisation come as org/stack (pulumi stack ls's stack reference). */
const stackName = (listing: StackListing) => listing.name.split("/").pop()!;

async function statusOf(deps: SiteDeps, site: string, listed: StackListing[]): Promise<SiteStatus> {
    const listing = listed.find((l) => stackName(l) === site);
    const stackFile = knownSites(deps.projectDir).includes(site);
    const { raw, note } = unvalidatedSite(deps, site);
    const notes = note ? [`Pulumi.${site}.yaml does not validate (\`esiphub plan ${site}\` lists the problems)`] : [];
    const fileEstimate = stackFile && !note ? estimateCost(validatedSite(deps, site).config) : undefined;
    const resourceCount = listing?.resourceCount ?? 0;
    let deployedEstimate: CostEstimate | undefined;
    let history: UpdateRecord[] = [];
    if (resourceCount > 0) {
        const stack = await deps.automation.stack(site, "select");
        deployedEstimate = costOutput((await stack.outputs()).cost?.value);
        history = await stack.history();
    }
    return siteStatus(
        {
            site,
            stackFile,
            resourceCount,
            updateInProgress: listing?.updateInProgress,
            eventEndsText: raw[`${NAMESPACE}:eventEnds`] || undefined,
            fileEstimate,
            deployedEstimate,
            history,
            notes,
        },
        deps.now(),
    );
}

/** The stack's `cost` output when it has the estimate's shape (stacks deployed before it existed have none). */
function costOutput(value: unknown): CostEstimate | undefined {
    const e = value as CostEstimate | undefined;
    return e && typeof e.workshop?.total === "number" && typeof e.workshop.hours === "number" && (e.unit === "USD" || e.unit === "SU") ? e : undefined;
}

const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);

class EsipSite implements Site {
    constructor(
        readonly name: string,
        private readonly deps: SiteDeps,
    ) {}

    config(): SiteConfig {
        return validatedSite(this.deps, this.name).config;
    }

    async plan(options: { configFile?: string; quota?: string[] } = {}): Promise<SitePlan> {
        checkSiteName(this.deps, this.name);
        const checks = await offlineChecks(this.name, { projectDir: this.deps.projectDir, configFile: options.configFile, quota: options.quota, now: this.deps.now() });
        if (checks.exitCode === EXIT.badConfig) {
            throw new BadConfigError(checks.stack ? problemsText(checks.file, checks.problems) : checks.problems.join("\n"), checks.problems, checks.file);
        }
        if (!checks.result) throw new CliError(checks.problems.join("\n"), checks.exitCode);
        return {
            site: this.name,
            config: checks.config!,
            summary: checks.summary!,
            resources: checks.result.resources,
            outputs: checks.result.outputs,
            violations: checks.violations,
            deployable: checks.exitCode === EXIT.ok,
            notes: checks.notes,
            warnings: checks.warnings,
        };
    }

    async preview(options: Omit<OperationOptions, "yes"> = {}): Promise<PreviewResult> {
        const checks = await deployableSite(this.deps, this.name, "preview");
        requirePulumiAndCloud(this.deps, this.name, checks.stack!.config);
        const stack = await this.deps.automation.stack(this.name, "create");
        this.deps.stdout.write(`Previewing site "${this.name}"\n`);
        const changes = await showPreview(this.deps, stack, "up", targets(options), options.onEvent);
        return { site: this.name, changes, summary: checks.summary!, warnings: checks.warnings };
    }

    async up(options: OperationOptions = {}): Promise<UpResult> {
        const checks = await deployableSite(this.deps, this.name, VERB.up.noun);
        requirePulumiAndCloud(this.deps, this.name, checks.stack!.config);
        const stack = await this.deps.automation.stack(this.name, "create");
        const plan = await previewAndConfirm(this.deps, stack, "up", targets(options), { yes: options.yes ?? true }, options.onEvent);
        const changes = await runWithProgress(this.deps, stack, "up", targets(options), plan, options.onEvent);
        return { site: this.name, changes, summary: checks.summary!, warnings: checks.warnings, outputs: siteOutputs(await stack.outputs()) };
    }

    async refresh(options: OperationOptions = {}): Promise<OperationResult> {
        const checks = await deployableSite(this.deps, this.name, VERB.refresh.noun);
        requirePulumiAndCloud(this.deps, this.name, checks.stack!.config);
        const stack = await this.deps.automation.stack(this.name, "select");
        const plan = await previewAndConfirm(this.deps, stack, "refresh", targets(options), { yes: options.yes ?? true }, options.onEvent);
        return { site: this.name, changes: await runWithProgress(this.deps, stack, "refresh", targets(options), plan, options.onEvent) };
    }

    async destroy(options: OperationOptions & { deleteData?: boolean } = {}): Promise<DestroyResult> {
        const { deps, name } = this;
        // Needs only the stack's name: it works when the stack file no longer validates, or is gone.
        const { raw, note } = unvalidatedSite(deps, name);
        if (note) deps.stderr.write(`esiphub: note: ${note}\n`);
        requirePulumiAndCloud(deps, name, raw);
        const stack = await deps.automation.stack(name, "select");
        const target = targets(options);
        const yes = options.yes ?? true;
        const data = await checkDataVolume(stack, !!options.deleteData, target);
        if (data.deletes) {
            // The users' files go with the volume: offer a backup first, and say where the last one is.
            const { backupBeforeDestroy } = await import("./cli/backup");
            const backup = await backupBeforeDestroy(deps, name, { yes });
            if (backup.stop) throw new CliError(backup.stop);
        }
        const plan = await previewAndConfirm(deps, stack, "destroy", target, { yes, deletesData: data.deletes }, options.onEvent);
        if (data.release.length > 0) {
            deps.stdout.write(`Releasing the data volume of site "${name}" (clearing retainOnDelete in the state) so that the destroy deletes it\n`);
            await stack.deleteOnDestroy(data.release.map((v) => v.urn));
        }
        const changes = await runWithProgress(deps, stack, "destroy", target, plan, options.onEvent);
        if (data.note) deps.stdout.write(`Note: ${data.note}\n`);
        return { site: name, changes, dataVolume: data.deletes ? "deleted" : data.note ? "kept" : "none", ...(data.note ? { note: data.note } : {}) };
    }

    async outputs(): Promise<SiteOutputs> {
        const { stack } = await deployedStack(this.deps, this.name);
        return siteOutputs(await stack.outputs());
    }

    async credentials(): Promise<Credential[]> {
        return [...(await this.access()).credentials];
    }

    async access(workshop?: string): Promise<SiteAccess & { readonly admins?: readonly string[] }> {
        const hub = hubOutputs((await this.outputs()).all, this.name, workshop);
        if (typeof hub === "string") throw new CliError(hub);
        const credentials = parseCredentials(hub.credentials?.value);
        if (!credentials) throw new NotDeployedError(this.name, "credentials");
        const adminOutput = hub.adminUsers?.value;
        const admins = Array.isArray(adminOutput) ? adminOutput.filter((a): a is string => typeof a === "string") : undefined;
        return { credentials, hubUrl: text(hub.hubUrl?.value), ...(admins ? { admins } : {}) };
    }

    /**
     * The records of the deployed stack (its `dnsRecords` output); for a stack deployed before that output existed, the
     * stack file's hostname and TTL with the deployed public IP. The zone comes from the stack file.
     */
    async dnsRecords(): Promise<SiteDnsRecords> {
        const { stack, raw } = await deployedStack(this.deps, this.name);
        const outputs = await stack.outputs();
        const setting = (key: string) => raw[`${NAMESPACE}:${key}`] || undefined;
        let records = outputs.dnsRecords?.value as DnsRecord[] | undefined;
        if (!Array.isArray(records)) {
            const given = setting("hubHostname");
            const hostname = given === AUTO_HOSTNAME ? undefined : given;
            const ip = text(outputs.publicIp?.value);
            if (hostname && !ip) throw new NotDeployedError(this.name, "publicIp");
            records = hostname ? recordsFor(hostname, ip!, Number(setting("dnsTtl") ?? CONFIG_KEYS.find((k) => k.key === "dnsTtl")!.default)) : [];
        }
        if (records.length === 0 && setting("hubHostname") === AUTO_HOSTNAME) {
            throw new CliError(`site "${this.name}" has an automatic name (${NAMESPACE}:hubHostname auto): ${SSLIP_DOMAIN} answers for it, so there is no record to publish`);
        }
        if (records.length === 0) {
            throw new CliError(`site "${this.name}" has no ${NAMESPACE}:hubHostname, so there is nothing to publish: the hub is reached by its IP address`);
        }
        return { records, ...(setting("dnsZone") ? { zone: setting("dnsZone") } : {}) };
    }

    /**
     * `users` is `esiphub:users: N` in the stack file, counted by the same rules (extra accounts on top, the same
     * limits, the same sizing); a fixed worker count and a limit of servers at once are re-sized for the new count (all
     * of them at once), and an explicit list of names (with its admins) gives way to the pattern.
     */
    cost(options: CostOptions = {}): CostEstimate {
        const { stack } = readSite(this.deps, this.name, options.configFile);
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
            config = validatedSite(this.deps, this.name, { configFile: options.configFile, overrides }).config;
        } catch (e) {
            if (e instanceof BadConfigError && options.users !== undefined) {
                throw new BadConfigError(`${e.message}\n(--users ${options.users} stands for ${NAMESPACE}:users)`, e.problems, e.file);
            }
            throw e;
        }
        const estimate = estimateCost(config, { hours: options.hours });
        if (options.users !== undefined && fixedWorkers) {
            estimate.notes.push(`${NAMESPACE}:workers is fixed at ${stack.config[`${NAMESPACE}:workers`]} in the stack; workshop scale is auto-sized for ${options.users} users instead`);
        }
        if (options.users !== undefined && limited) {
            estimate.notes.push(`${NAMESPACE}:maxServers is ${stack.config[`${NAMESPACE}:maxServers`]} in the stack; workshop scale is sized for every account's server at once instead`);
        }
        return estimate;
    }

    async status(): Promise<SiteStatus> {
        checkSiteName(this.deps, this.name);
        requirePulumiCli(this.deps);
        return statusOf(this.deps, this.name, await this.deps.automation.stacks());
    }

    async backup(options: BackupOptions): Promise<BackupSummary> {
        const { runBackup } = await import("./cli/backup");
        return runBackup(this.deps, this.name, options);
    }

    async loadtest(options: SiteLoadtestOptions = {}): Promise<{ report: LoadtestReport; exitCode: number }> {
        // Loaded on use: the other operations start faster without the load tester's modules.
        const { runLoadtestCommand, LoadtestUsageError } = await import("./cli/loadtest");
        try {
            return await runLoadtestCommand({ ...options, site: this.name }, { stdout: this.deps.stdout, stderr: this.deps.stderr, siteAccess: () => this.access() });
        } catch (e) {
            if (e instanceof LoadtestUsageError) throw new CliError(`loadtest: ${e.message}`);
            throw e;
        }
    }

    async doctor(options: SiteDoctorOptions = {}): Promise<DoctorReport> {
        const { doctorOptions, runDoctor, siteTarget } = await import("./cli/doctor");
        const context = {
            siteConfig: (site: string) => validatedSite(this.deps, site).config,
            deployedStack: async (site: string) => (await deployedStack(this.deps, site)).stack,
            error: (message: string) => new CliError(message),
        };
        const target = await siteTarget(context, this.name, options.user);
        return runDoctor(target, doctorOptions(context, options, this.config().hub.startTimeoutSeconds, options.onResult));
    }
}

const targets = (options: { target?: string[] }) => (options.target?.length ? options.target : undefined);

function siteOutputs(all: OutputMap): SiteOutputs {
    const workers = all.workers?.value;
    const cost = costOutput(all.cost?.value);
    return {
        all,
        ...(text(all.hubUrl?.value) ? { hubUrl: text(all.hubUrl?.value) } : {}),
        ...(text(all.publicIp?.value) ? { publicIp: text(all.publicIp?.value) } : {}),
        ...(text(all.sshCommand?.value) ? { sshCommand: text(all.sshCommand?.value) } : {}),
        ...(typeof workers === "number" ? { workers } : {}),
        ...(cost ? { cost } : {}),
    };
}
