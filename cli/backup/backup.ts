import * as fs from "fs";
import * as path from "path";
import { CliError } from "../deps";
import type { ProgressOutput } from "../statusline";
import { receiveArchive, ReceiveError } from "./archive";
import type { BackupSource } from "./homes";
import { ArchiveRecord, Manifest, ManifestError, MANIFEST_FORMAT, MissingRecord, readManifest, recordArchive, recordMissing, verifyArchive, writeManifest } from "./manifest";
import { BackupProgress, formatBytes, formatDuration } from "./progress";
import { archiveCommand, parseSurvey, surveyCommand, SurveyEntry } from "./remote";
import { ExitStatus, RemoteCommand, SshError, SshSession, SshTarget } from "./ssh";

/**
 * One backup run: the archives already in the folder are checked against the manifest (and skipped when they
 * match), the rest are streamed one by one from the NFS host into `<file>.partial`, checked, renamed into place and
 * recorded. Whatever stops the run, the archives that were complete stay as they are and the manifest lists them;
 * running the same command again resumes.
 */

export interface BackupJob {
    readonly site: string;
    readonly workshop?: string;
    /** The backup folder (absolute). */
    readonly out: string;
    readonly sources: BackupSource[];
    readonly target: SshTarget;
}

export interface BackupSummary {
    readonly out: string;
    readonly manifest: Manifest;
    /** Archived in this run. */
    readonly made: ArchiveRecord[];
    /** Already complete and verified. */
    readonly skipped: ArchiveRecord[];
    readonly missing: MissingRecord[];
    readonly seconds: number;
    /** Content bytes read from the NFS host in this run. */
    readonly contentBytes: number;
}

/** A run that stopped; `summary` says what is complete. */
export class BackupStopped extends CliError {
    constructor(message: string, readonly summary: BackupSummary) {
        super(message);
    }
}

function newManifest(job: BackupJob): Manifest {
    const now = new Date().toISOString();
    return { format: MANIFEST_FORMAT, site: job.site, ...(job.workshop ? { workshop: job.workshop } : {}), createdAt: now, updatedAt: now, nfsHost: "", hostKeys: {}, archives: [], missing: [] };
}

/** The folder's manifest, or a new one; refuses a folder that holds another site's backup. */
function openFolder(job: BackupJob): Manifest {
    try {
        fs.mkdirSync(path.join(job.out, "homes"), { recursive: true });
    } catch (e) {
        throw new CliError(`cannot create the backup folder ${job.out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    let manifest: Manifest | undefined;
    try {
        manifest = readManifest(job.out);
    } catch (e) {
        if (e instanceof ManifestError) throw new CliError(e.message);
        throw e;
    }
    if (manifest && manifest.site !== job.site) {
        throw new CliError(`${job.out} holds a backup of site "${manifest.site}", not "${job.site}"; use another --out folder`);
    }
    return manifest ?? newManifest(job);
}

const topFolder = (source: BackupSource) => source.name;

/** What tar wrote on stderr, as warnings (without its "tar: " prefix). */
function tarWarnings(stderr: string): string[] {
    return stderr
        .split("\n")
        .map((l) => l.replace(/^tar: /, "").trim())
        .filter(Boolean)
        .slice(0, 20);
}

export async function runBackupJob(job: BackupJob, out: ProgressOutput): Promise<BackupSummary> {
    const started = Date.now();
    const manifest = openFolder(job);
    const made: ArchiveRecord[] = [];
    const skipped: ArchiveRecord[] = [];
    const missing: MissingRecord[] = [];
    let contentBytes = 0;
    const summary = (): BackupSummary => ({ out: job.out, manifest, made, skipped, missing, seconds: (Date.now() - started) / 1000, contentBytes });

    const todo: BackupSource[] = [];
    for (const source of job.sources) {
        const record = manifest.archives.find((a) => a.file === source.file);
        const problem = record ? await verifyArchive(job.out, record) : "not backed up yet";
        if (!problem) skipped.push(record!);
        else {
            if (record) out.write(`  ${source.file}: ${problem}; archiving it again\n`);
            todo.push(source);
        }
    }
    if (skipped.length > 0) out.write(`${skipped.length} archive(s) already complete and verified in ${job.out}: skipped\n`);
    if (todo.length === 0) return summary();

    let session: SshSession;
    try {
        session = await SshSession.open({ ...job.target, knownHostKeys: manifest.hostKeys });
    } catch (e) {
        if (e instanceof SshError) throw new BackupStopped(`${e.message}. Nothing was backed up`, summary());
        throw e;
    }
    manifest.nfsHost = job.target.jump ? `${job.target.host} (through ${job.target.jump.host})` : job.target.host;
    try {
        Object.assign(manifest.hostKeys, session.hostKeys);
        const found = await survey(session, todo);
        const work: { source: BackupSource; dir: SurveyEntry }[] = [];
        for (const source of todo) {
            const dir = source.candidates.map((c) => found.get(c)).find((e) => e?.entries !== undefined);
            if (dir) work.push({ source, dir });
            else {
                const reason = source.kind === "home" ? "no home directory on the NFS host (the user never started a server)" : "no shared folder on the NFS host";
                const record: MissingRecord = { kind: source.kind, name: source.name, reason };
                missing.push(record);
                recordMissing(manifest, record);
            }
        }
        writeManifest(job.out, manifest);
        const total = work.reduce((n, w) => n + (w.dir.bytes ?? 0), 0);
        out.write(`Backing up ${work.length} folder(s), ${formatBytes(total)} before compression, from ${manifest.nfsHost} to ${job.out}\n`);
        const progress = new BackupProgress(out, total, work.length);
        for (const { source, dir } of work) {
            progress.begin(source.name);
            const record = await archiveOne(session, job, source, dir.dir, (n) => {
                contentBytes += n;
                progress.add(n);
            }).catch((e: unknown) => {
                progress.clear();
                if (e instanceof CliError) {
                    const kept = made.length + skipped.length;
                    throw new BackupStopped(`${e.message}. ${kept} complete archive(s) in ${job.out} are kept and listed in manifest.json; run the same command again to resume`, summary());
                }
                throw e;
            });
            made.push(record);
            recordArchive(manifest, record);
            writeManifest(job.out, manifest);
            const warn = record.warnings?.length ? `, ${record.warnings.length} warning(s) in manifest.json` : "";
            progress.finished(`${source.file}: ${formatBytes(record.contentBytes)} in ${record.files} entries → ${formatBytes(record.bytes)}${warn}`);
        }
        progress.clear();
    } finally {
        session.close();
    }
    const s = summary();
    out.write(
        `Backed up ${made.length} folder(s) in ${formatDuration(s.seconds)} (${formatBytes(contentBytes)} read${s.seconds > 0 ? `, ${formatBytes(contentBytes / s.seconds)}/s` : ""}); ${skipped.length} already there; ${missing.length} without a folder\n`,
    );
    return s;
}

/** Which candidate directories exist on the NFS host, with their sizes. */
async function survey(session: SshSession, sources: BackupSource[]): Promise<Map<string, SurveyEntry>> {
    const dirs = sources.flatMap((s) => s.candidates);
    let result;
    try {
        result = await session.run(surveyCommand(dirs));
    } catch (e) {
        if (e instanceof SshError) throw new CliError(`surveying the folders on the NFS host: ${e.message}`);
        throw e;
    }
    if (result.status.code !== 0) {
        const why = result.stderr.trim().split("\n").pop() || `exit ${result.status.code ?? result.status.signal}`;
        throw new CliError(`surveying the folders on the NFS host failed: ${why}`);
    }
    return new Map(parseSurvey(result.stdout).map((e) => [e.dir, e]));
}

/** How the command ended, or the reason it could not be known (the connection went first). */
async function settle(exit: Promise<ExitStatus>): Promise<ExitStatus | SshError> {
    try {
        return await exit;
    } catch (e) {
        if (e instanceof SshError) return e;
        throw e;
    }
}

async function archiveOne(session: SshSession, job: BackupJob, source: BackupSource, dir: string, onContent: (n: number) => void): Promise<ArchiveRecord> {
    const final = path.join(job.out, source.file);
    const partial = `${final}.partial`;
    const name = source.kind === "home" ? `the home of ${source.name}` : "the shared folder";
    let remote: RemoteCommand;
    try {
        remote = await session.exec(archiveCommand(dir, topFolder(source)));
    } catch (e) {
        if (e instanceof SshError) throw new CliError(`${e.message} before ${name} was archived`);
        throw e;
    }
    let received;
    try {
        received = await receiveArchive(remote.stdout, partial, onContent);
    } catch (e) {
        fs.rmSync(partial, { force: true });
        if (!(e instanceof ReceiveError)) throw e;
        if (e.where === "disk") {
            const code = e.cause.code === "ENOSPC" ? "the local disk is full" : `cannot write (${e.cause.code})`;
            throw new CliError(`${code} at ${source.file} in ${job.out}; ${name} was not saved. Free some space`);
        }
        const ended = await settle(remote.exit);
        if (ended instanceof SshError || session.failure) throw new CliError(`${(session.failure ?? (ended as SshError)).message} while archiving ${name}`);
        if (ended.code !== 0 && ended.code !== 1) throw new CliError(`tar on the NFS host failed for ${name} (${dir}): ${tarWarnings(remote.stderr()).pop() ?? `exit ${ended.code ?? ended.signal}`}`);
        throw new CliError(`the archive of ${name} arrived damaged (${e.cause.code ?? e.message})`);
    }
    const ended = await settle(remote.exit);
    if (ended instanceof SshError) {
        fs.rmSync(partial, { force: true });
        throw new CliError(`${ended.message} while archiving ${name}`);
    }
    // 1: some file changed while tar read it; the archive is complete, with that file as tar found it.
    if (ended.code !== 0 && ended.code !== 1) {
        fs.rmSync(partial, { force: true });
        throw new CliError(`tar on the NFS host failed for ${name} (${dir}): ${tarWarnings(remote.stderr()).pop() ?? `exit ${ended.code ?? ended.signal}`}`);
    }
    fs.renameSync(partial, final);
    const warnings = tarWarnings(remote.stderr());
    return {
        kind: source.kind,
        ...(source.kind === "home" ? { user: source.name } : {}),
        name: source.name,
        file: source.file,
        source: dir,
        bytes: received.bytes,
        files: received.files,
        contentBytes: received.contentBytes,
        sha256: received.sha256,
        completedAt: new Date().toISOString(),
        ...(warnings.length > 0 ? { warnings } : {}),
    };
}
