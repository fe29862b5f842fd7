import * as fs from "fs";
import * as path from "path";
import { Command, InvalidArgumentError } from "commander";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { NAMESPACE } from "../../components/config";
import { NFS_EXPORT_DIR } from "../../components/storage/values";
import { CliDeps, CliError } from "../deps";
import { validatedSite } from "../site";
import { configWorkshops, oneHubOnlyProblem } from "../workshops";
import type { BackupSummary } from "./backup";
import { writeHandout } from "./handout";
import { backupSources } from "./homes";
import { ManifestError, readManifest } from "./manifest";
import { formatBytes } from "./progress";
import type { SshTarget } from "./ssh";

/**
 * `esiphub backup SITE --out DIR`, `esiphub handout DIR`, and what `destroy` says about backups. The archives come
 * from the NFS host over SSH with the stack's key: the master itself, or the dedicated NFS node through the master.
 */

/** The CLI's dependencies the backup uses, and how to reach the NFS host. */
export interface BackupDeps extends Pick<CliDeps, "projectDir" | "env" | "homeDir" | "stdout" | "stderr" | "automation" | "confirm"> {
    /** Where the NFS host's sshd listens and where the share is mounted on it (22 and /srv/esiphub; tests use their own). */
    readonly nfsAccess?: { readonly sshPort?: number; readonly exportDir?: string };
}

export interface BackupOptions {
    out: string;
    users?: string[];
    workshop?: string;
    perUserLinks?: boolean;
    linkBase?: string;
}

const KEY = `${NAMESPACE}:sshPrivateKey`;

/** The site's last backup made on this machine, for `destroy` to point at. */
interface LastBackup {
    readonly site: string;
    readonly dir: string;
    readonly finishedAt: string;
    /** False when the run stopped before the end. */
    readonly complete: boolean;
    readonly archives: number;
    readonly bytes: number;
}

const recordFile = (homeDir: string, site: string) => path.join(homeDir, ".esiphub", "backups", `${site}.json`);

function recordLastBackup(homeDir: string, summary: BackupSummary, complete: boolean): void {
    const record: LastBackup = {
        site: summary.manifest.site,
        dir: summary.out,
        finishedAt: new Date().toISOString(),
        complete,
        archives: summary.manifest.archives.length,
        bytes: summary.manifest.archives.reduce((n, a) => n + a.bytes, 0),
    };
    const file = recordFile(homeDir, record.site);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
}

function readLastBackup(homeDir: string, site: string): LastBackup | undefined {
    try {
        return JSON.parse(fs.readFileSync(recordFile(homeDir, site), "utf8")) as LastBackup;
    } catch {
        return undefined;
    }
}

/** Where the site's last backup is (as recorded on this machine), in one sentence. */
export function backupAdvice(site: string, deps: Pick<BackupDeps, "homeDir">): string {
    const last = readLastBackup(deps.homeDir, site);
    if (!last) return `No backup of site "${site}" was made on this machine (\`esiphub backup ${site} --out DIR\` makes one).`;
    const when = last.finishedAt.replace("T", " ").slice(0, 16) + " UTC";
    if (!fs.existsSync(path.join(last.dir, "manifest.json"))) {
        return `The last backup of site "${site}" (${when}) was in ${last.dir}, which is no longer there.`;
    }
    const state = last.complete ? "complete" : "INCOMPLETE: it stopped before the end";
    return `The last backup of site "${site}" is in ${last.dir} (${when}, ${last.archives} archives, ${formatBytes(last.bytes)}, ${state}).`;
}

function nfsTarget(site: string, outputs: OutputMap, dedicatedNfsNode: boolean, user: string, privateKey: string, port: number): SshTarget {
    const publicIp = outputs.publicIp?.value;
    if (typeof publicIp !== "string" || !publicIp) throw new CliError(`site "${site}" has no publicIp output (is it deployed? run \`esiphub up ${site}\`)`);
    if (!dedicatedNfsNode) return { host: publicIp, port, user, privateKey };
    const nfsIp = outputs.nfsPrivateIp?.value;
    if (typeof nfsIp !== "string" || !nfsIp) {
        throw new CliError(`site "${site}" serves NFS from its own node but has no nfsPrivateIp output yet; \`esiphub up ${site}\` adds it`);
    }
    return { host: nfsIp, port, user, privateKey, jump: { host: publicIp, port } };
}

export async function runBackup(deps: BackupDeps, site: string, options: BackupOptions): Promise<BackupSummary> {
    const { config } = validatedSite(deps, site);
    const several = oneHubOnlyProblem(site, configWorkshops(config), "backup");
    if (several) throw new CliError(several);
    const accounts = config.hub.users;
    const users = options.users ?? accounts;
    const unknown = users.filter((u) => !accounts.includes(u));
    if (unknown.length > 0) {
        const shown = accounts.length > 6 ? `${accounts.slice(0, 3).join(", ")} … ${accounts.slice(-2).join(", ")}` : accounts.join(", ");
        throw new CliError(`--users: ${unknown.map((u) => `"${u}"`).join(", ")} ${unknown.length === 1 ? "is not an account" : "are not accounts"} of site "${site}" (accounts: ${shown}). Nothing was backed up`);
    }
    const stack = await deps.automation.stack(site, "select");
    const outputs = await stack.outputs();
    const privateKey = await stack.getConfig(KEY);
    if (!privateKey) throw new CliError(`site "${site}" has no ${KEY} in its stack config: set it with \`pulumi config set --secret ${KEY} < KEY -s ${site}\``);
    const target = nfsTarget(site, outputs, config.nodes.dedicatedNfsNode, config.ssh.user, privateKey, deps.nfsAccess?.sshPort ?? 22);
    const job = {
        site,
        workshop: options.workshop,
        out: path.resolve(options.out),
        // The shared folder is everyone's: part of a whole backup, not of one for some users.
        sources: backupSources(users, config.hub.namespace, { shared: options.users === undefined, exportDir: deps.nfsAccess?.exportDir ?? NFS_EXPORT_DIR }),
        target,
    };
    // Loaded on use: the SSH and tar modules are not needed by the other commands.
    const { BackupStopped, runBackupJob } = await import("./backup");
    let summary: BackupSummary;
    try {
        summary = await runBackupJob(job, deps.stdout);
    } catch (e) {
        if (e instanceof BackupStopped) recordLastBackup(deps.homeDir, e.summary, false);
        throw e;
    }
    recordLastBackup(deps.homeDir, summary, true);
    if (summary.missing.length > 0) deps.stdout.write(`No folder (never started a server): ${summary.missing.map((m) => m.name).join(", ")}\n`);
    if (options.perUserLinks) handout(deps, job.out, { linkBase: options.linkBase, workshop: options.workshop });
    return summary;
}

function handout(deps: BackupDeps, dir: string, options: { linkBase?: string; workshop?: string }): void {
    let manifest;
    try {
        manifest = readManifest(path.resolve(dir));
    } catch (e) {
        if (e instanceof ManifestError) throw new CliError(e.message);
        throw e;
    }
    if (!manifest) throw new CliError(`${path.resolve(dir)} has no manifest.json: make the backup first (esiphub backup SITE --out ${dir})`);
    const result = writeHandout(path.resolve(dir), manifest, options);
    deps.stdout.write(`Wrote ${result.pages} hand-out page(s), index.html and links.csv to ${result.dir}\n`);
}

/**
 * Before a destroy that deletes the data volume: says where the last backup is and, on a terminal, offers to make
 * one now. Resolves to a reason to stop the destroy, when the backup the operator asked for failed.
 */
export async function backupBeforeDestroy(deps: BackupDeps, site: string, options: { yes?: boolean }): Promise<{ stop?: string }> {
    deps.stdout.write(`The data volume (every user's home and the shared folder) goes with this destroy. ${backupAdvice(site, deps)}\n`);
    if (options.yes || !deps.confirm) return {};
    const dir = path.join(deps.homeDir, "esiphub-backups", `${site}-${new Date().toISOString().slice(0, 10)}`);
    if (!(await deps.confirm(`Back up every home and the shared folder to ${dir} first? [y/N] `))) return {};
    try {
        await runBackup(deps, site, { out: dir });
    } catch (e) {
        if (e instanceof CliError) return { stop: `the backup before the destroy failed: ${e.message}. Nothing was destroyed` };
        throw e;
    }
    return {};
}

function userList(text: string): string[] {
    const users = text.split(",").map((u) => u.trim()).filter(Boolean);
    if (users.length === 0) throw new InvalidArgumentError("give user names separated by commas, e.g. workshop-01,workshop-02");
    return users;
}

function httpUrl(text: string): string {
    if (!/^https?:\/\/[^\s/]+/.test(text)) throw new InvalidArgumentError("must be an http(s) URL, e.g. https://example.org/workshop-backup");
    return text;
}

/** `esiphub backup` and `esiphub handout`; a failure is a CliError (exit 1). */
export function registerBackupCommands(program: Command, deps: BackupDeps): void {
    program
        .command("backup")
        .description("copy each user's home (and the shared folder) from the NFS host into one .tar.gz each, with manifest.json")
        .argument("<site>", "site name: the stack file Pulumi.<site>.yaml")
        .requiredOption("--out <dir>", "the backup folder; run the same command again to resume (complete archives are checked and skipped)")
        .option("--users <a,b>", "only these accounts' homes (comma-separated); the shared folder only comes with a whole backup", userList)
        .option("--workshop <name>", "the workshop's name, for the manifest and the hand-out pages")
        .option("--per-user-links", "also write handout/: one page per user with a link to their archive (see `esiphub handout`)")
        .option("--link-base <url>", "with --per-user-links: the URL the backup folder will be published at (links are relative otherwise)", httpUrl)
        .addHelpText(
            "after",
            [
                "",
                "Over SSH with the stack's key (esiphub:sshPrivateKey, never shown) to the NFS host: the master, or the NFS node",
                "through the master. Each home is archived by tar on the host and streamed straight into DIR/homes/USER.tar.gz",
                "(nothing is staged on the host); the shared folder goes to DIR/shared.tar.gz. manifest.json lists each archive's",
                "user, size, entries and sha256. An archive is written as .partial and only renamed once it is whole, so an",
                "interrupted run (dropped connection, full disk) keeps every complete archive; the next run checks those against",
                "the manifest, skips them and does the rest. Use a new --out folder for a fresh copy later on.",
                "",
                "Example:",
                "  esiphub backup jetstream --out backup-2026-12-04 --workshop \"ESIP Winter 2026: Cloud notebooks\" --per-user-links",
            ].join("\n"),
        )
        .action(async (site: string, options: BackupOptions) => {
            if (options.linkBase && !options.perUserLinks) throw new CliError("--link-base goes with --per-user-links");
            await runBackup(deps, site, options);
        });

    program
        .command("handout")
        .description("from a backup folder: one page per user with a link to their archive, an index and links.csv (handout/)")
        .argument("<dir>", "the backup folder (the --out of `esiphub backup`)")
        .option("--link-base <url>", "the URL the backup folder is published at (links are relative otherwise)", httpUrl)
        .option("--workshop <name>", "the workshop's name (default: the manifest's)")
        .action(async (dir: string, options: { linkBase?: string; workshop?: string }) => {
            await handout(deps, dir, options);
        });
}
