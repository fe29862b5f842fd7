import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * manifest.json of a backup folder: what each archive holds and its checksum, so that an attendee (or the next run)
 * can check it. Written after every archive, by rename, so that an interrupted run leaves a manifest that lists
 * exactly the archives that are complete.
 */

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = 1;

export interface ArchiveRecord {
    readonly kind: "home" | "shared";
    /** The user whose home it is (homes only). */
    readonly user?: string;
    /** The user, or "shared". */
    readonly name: string;
    /** Relative to the backup folder, e.g. homes/workshop-01.tar.gz. */
    readonly file: string;
    /** The directory on the NFS host. */
    readonly source: string;
    /** Size of the .tar.gz. */
    readonly bytes: number;
    /** Entries in the archive: files, directories and links, the top folder included. */
    readonly files: number;
    /** Bytes of the files' contents before compression. */
    readonly contentBytes: number;
    readonly sha256: string;
    readonly completedAt: string;
    /** What tar said about files that changed while they were read, etc. */
    readonly warnings?: string[];
}

export interface MissingRecord {
    readonly kind: "home" | "shared";
    readonly name: string;
    readonly reason: string;
}

export interface Manifest {
    readonly format: number;
    readonly site: string;
    readonly workshop?: string;
    readonly createdAt: string;
    updatedAt: string;
    /** The NFS host as reached (its address; "through" the master when it hopped). */
    nfsHost: string;
    /** SSH host key fingerprints seen, by host:port. */
    hostKeys: Record<string, string>;
    archives: ArchiveRecord[];
    missing: MissingRecord[];
}

export class ManifestError extends Error {}

export function readManifest(dir: string): Manifest | undefined {
    const file = path.join(dir, MANIFEST_FILE);
    if (!fs.existsSync(file)) return undefined;
    let doc: Manifest;
    try {
        doc = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
    } catch (e) {
        throw new ManifestError(`${file} is not JSON (${(e as Error).message}); move it away or use another --out folder`);
    }
    if (doc?.format !== MANIFEST_FORMAT || !Array.isArray(doc.archives)) {
        throw new ManifestError(`${file} is not an esiphub backup manifest (format ${MANIFEST_FORMAT}); use another --out folder`);
    }
    doc.missing ??= [];
    doc.hostKeys ??= {};
    return doc;
}

/** Writes the manifest whole, then renames it over the old one: never a half-written manifest. */
export function writeManifest(dir: string, manifest: Manifest): void {
    const file = path.join(dir, MANIFEST_FILE);
    const temp = `${file}.tmp`;
    manifest.updatedAt = new Date().toISOString();
    manifest.archives.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === "home" ? -1 : 1));
    fs.writeFileSync(temp, JSON.stringify(manifest, null, 2) + "\n");
    fs.renameSync(temp, file);
}

/** Replaces the record of the same file, if any. */
export function recordArchive(manifest: Manifest, record: ArchiveRecord): void {
    manifest.archives = manifest.archives.filter((a) => a.file !== record.file);
    manifest.missing = manifest.missing.filter((m) => m.name !== record.name || m.kind !== record.kind);
    manifest.archives.push(record);
}

export function recordMissing(manifest: Manifest, missing: MissingRecord): void {
    manifest.missing = manifest.missing.filter((m) => m.name !== missing.name || m.kind !== missing.kind);
    manifest.missing.push(missing);
}

export async function sha256File(file: string): Promise<string> {
    const hash = createHash("sha256");
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

/** Undefined when the archive on disk is the one the manifest describes (size and sha256); else what differs. */
export async function verifyArchive(dir: string, record: ArchiveRecord): Promise<string | undefined> {
    const file = path.join(dir, record.file);
    let size: number;
    try {
        size = fs.statSync(file).size;
    } catch {
        return "the file is missing";
    }
    if (size !== record.bytes) return `${size} bytes instead of ${record.bytes}`;
    const sum = await sha256File(file);
    return sum === record.sha256 ? undefined : `sha256 ${sum} instead of ${record.sha256}`;
}
