/**
 * `esiphub loadtest`: replays a workshop's burst of users against a hub and reports start-up times and errors.
 * The command-line wiring lives in cli/esiphub.ts; this module takes plain options and its outside world as
 * arguments, so it runs the same from the CLI, the benchmark and the tests.
 */
import * as fs from "fs";
import * as path from "path";
import { Account, CredentialsError, readCredentialsFile } from "./credentials";
import { renderHtmlReport } from "./html";
import { LoadtestCommandOptions, LoadtestUsageError, normalizeHubUrl, parseLoadtestOptions } from "./options";
import { LoadtestProgress, ProgressOutput } from "./progress";
import { formatReport, LoadtestReport, phasesOf } from "./report";
import { runLoadtest } from "./runner";
import type { ConnectOptions } from "./trust";

export { parseCredentialsCsv, readCredentialsFile, CredentialsError } from "./credentials";
export type { Account } from "./credentials";
export { LoadtestUsageError, parseLoadtestOptions } from "./options";
export type { LoadtestCommandOptions } from "./options";
export { runLoadtest } from "./runner";
export type { LoadtestRun } from "./runner";
export { formatReport } from "./report";
export type { LoadtestReport } from "./report";
export { renderHtmlReport } from "./html";

/** What a deployed site gives the load tester: its accounts and, when known, its hub URL. */
export interface SiteAccess {
    readonly credentials: readonly Account[];
    readonly hubUrl?: string;
}

export interface LoadtestCommandDeps {
    /** The report (text, or JSON with --json). */
    readonly stdout: { write(text: string): unknown };
    /** The progress line (a status line on a terminal, one line per finished user otherwise). */
    readonly stderr: ProgressOutput;
    /** For --site: reads the stack's outputs (the CLI passes its Automation API wrapper). */
    readonly siteAccess?: (site: string) => Promise<SiteAccess>;
    /** How the simulated users reach and trust the hub (`esiphub rehearse` accepts a rehearsal stack's staging certificate). */
    readonly connect?: ConnectOptions;
}

export interface LoadtestCommandResult {
    readonly report: LoadtestReport;
    /** 0 when every user got through every phase, 1 otherwise. */
    readonly exitCode: number;
}

async function accountsAndHub(opts: ReturnType<typeof parseLoadtestOptions>, deps: LoadtestCommandDeps): Promise<{ accounts: readonly Account[]; hub: string }> {
    if ("credentialsFile" in opts.source) {
        try {
            return { accounts: readCredentialsFile(opts.source.credentialsFile), hub: opts.hub! };
        } catch (e) {
            if (e instanceof CredentialsError) throw new LoadtestUsageError(`--credentials: ${e.message}`);
            throw e;
        }
    }
    const site = opts.source.site;
    if (!deps.siteAccess) throw new LoadtestUsageError("--site is not available here: give --credentials FILE (from `esiphub credentials SITE`)");
    const access = await deps.siteAccess(site);
    if (access.credentials.length === 0) throw new LoadtestUsageError(`site "${site}" has no accounts in its credentials output`);
    const hub = opts.hub ?? (access.hubUrl ? normalizeHubUrl(access.hubUrl) : undefined);
    if (!hub) throw new LoadtestUsageError(`site "${site}" has no hubUrl output: give --hub URL`);
    return { accounts: access.credentials, hub };
}

/**
 * Runs the load test the options describe, prints the report and writes the HTML page. Throws LoadtestUsageError
 * (message names the option) before any request when the options or the accounts are unusable; failures of the
 * hub under test are never thrown: they are the report's content.
 */
export async function runLoadtestCommand(options: LoadtestCommandOptions, deps: LoadtestCommandDeps): Promise<LoadtestCommandResult> {
    const opts = parseLoadtestOptions(options);
    const { accounts, hub } = await accountsAndHub(opts, deps);
    const users = opts.users ?? accounts.length;
    if (users > accounts.length) {
        throw new LoadtestUsageError(`--users ${users} is more than the ${accounts.length} accounts available (each simulated user needs an account of its own)`);
    }
    const concurrency = Math.min(opts.concurrency ?? users, users);
    if (opts.reportFile) {
        const dir = path.dirname(path.resolve(opts.reportFile));
        if (!fs.existsSync(dir)) throw new LoadtestUsageError(`--report: the folder ${dir} does not exist`);
    }
    const settings = { users, concurrency, rampSeconds: opts.rampSeconds, timeoutSeconds: opts.timeoutSeconds, execute: opts.execute, stop: opts.stop };

    const progress = new LoadtestProgress(deps.stderr, users, phasesOf(settings));
    let report: LoadtestReport;
    try {
        report = await runLoadtest(accounts, { hubUrl: hub, ...settings, connect: deps.connect }, progress);
    } finally {
        progress.finish();
    }
    deps.stdout.write(opts.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report));
    if (opts.reportFile) {
        fs.writeFileSync(opts.reportFile, renderHtmlReport(report));
        deps.stderr.write(`wrote the HTML report to ${path.resolve(opts.reportFile)}\n`);
    }
    return { report, exitCode: report.failed === 0 ? 0 : 1 };
}
