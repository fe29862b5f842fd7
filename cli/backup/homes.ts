import { createHash } from "crypto";
import * as path from "path";
import { NFS_EXPORT_DIR, SCRATCH_CLAIM_NAME } from "../../components/storage/values";

/**
 * Where each user's home is on the NFS host. The provisioner makes one directory per claim at
 * `<export>/<namespace>/<claim name>` (components/storage/values.ts USER_DIR_PATTERN), and the hub names each
 * user's claim after KubeSpawner's `pvc_name_template`, `claim-{user_server}`, which Zero-to-JupyterHub 4.4.0 leaves
 * at its default (jupyterhub_config.py sets it only from singleuser.storage.dynamic.pvcNameTemplate, which this
 * program does not set). KubeSpawner 7 fills `{user_server}` with its "safe" slug of the user name; a claim made
 * by KubeSpawner < 7 kept its legacy "escape" slug, and KubeSpawner 7 goes on using it (spawner.py, the
 * `handle_legacy_names` branch of `_start`). Both are computed here; whichever directory exists is the home.
 *
 * Source of both slugs: jupyterhub/kubespawner 7.0.0, kubespawner/slugs.py and spawner.py `_expand_user_properties`;
 * the escape scheme is `escapism.escape` (minrk/escapism, escapism.py).
 */

const HASH_LENGTH = 8;
/** KubeSpawner's `_slug_max_length` for user and server names. */
const SLUG_MAX_LENGTH = 48;
const LOWER_ALNUM = /^[a-z0-9]$/;

const sha256hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** `_extract_safe_name`: lower case, runs of anything else as one "-", starts with a letter, at most `max` long. */
function extractSafeName(name: string, max: number): string {
    let safe = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    safe = safe.replace(/^-+/, "").slice(0, max).replace(/-+$/, "");
    if (safe && !/^[a-z]/.test(safe)) safe = "x-" + safe.slice(0, max - 2);
    return safe || "x";
}

/** `strip_and_hash`: a safe prefix, "---", and the first 8 hex digits of the name's sha256. */
function stripAndHash(name: string, max = 32): string {
    const nameLength = max - (HASH_LENGTH + 3);
    if (nameLength < 1) throw new RangeError(`cannot make safe names shorter than ${HASH_LENGTH + 4}`);
    return `${extractSafeName(name, nameLength)}---${sha256hex(name).slice(0, HASH_LENGTH)}`;
}

/** `is_valid_object_name`: a DNS label (RFC 1035 and 1123) of at most 63 characters. */
function isValidObjectName(s: string): boolean {
    return s.length >= 1 && s.length <= 63 && /^[a-z]/.test(s) && /[a-z0-9]$/.test(s) && /^[a-z0-9-]+$/.test(s);
}

/** KubeSpawner's `safe_slug(name, max_length)`: the name itself when it is a valid object name, else stripped and hashed. */
export function safeSlug(name: string, maxLength?: number): string {
    if (name.includes("--")) return stripAndHash(name, maxLength ?? 32);
    if (isValidObjectName(name) && (maxLength === undefined || name.length <= maxLength)) return name;
    return stripAndHash(name, maxLength ?? 32);
}

/** `multi_slug`: components joined by "--" with one hash of them all (separated by 0xFF) at the end. */
function multiSlug(names: string[], maxLength = SLUG_MAX_LENGTH): string {
    const hash = createHash("sha256");
    names.forEach((n, i) => {
        if (i > 0) hash.update(Buffer.from([0xff]));
        hash.update(n, "utf8");
    });
    const perName = Math.floor((maxLength - (HASH_LENGTH + 1)) / names.length) - 2;
    return `${names.map((n) => extractSafeName(n, perName)).join("--")}---${hash.digest("hex").slice(0, HASH_LENGTH)}`;
}

/** `escapism.escape(name, safe=[a-z0-9], escape_char="-")` lowered: each other character as "-" and the hex of each UTF-8 byte (not zero-padded). */
export function escapeSlug(name: string): string {
    let out = "";
    for (const ch of name) {
        if (LOWER_ALNUM.test(ch)) out += ch;
        else for (const byte of Buffer.from(ch, "utf8")) out += `-${byte.toString(16).toUpperCase()}`;
    }
    return out.toLowerCase();
}

/** The `{user_server}` of a user's default server under the safe scheme. */
export function safeUserServer(user: string): string {
    const safeUser = safeSlug(user, SLUG_MAX_LENGTH);
    // The default server has no name; KubeSpawner still joins with "--" when the user's slug is too long for that.
    return safeUser.length + 2 > SLUG_MAX_LENGTH ? multiSlug([user, ""]) : safeUser;
}

/** The claim names a user's home may have: KubeSpawner 7's, then the legacy one when it differs. */
export function claimNames(user: string): string[] {
    const names = [`claim-${safeUserServer(user)}`, `claim-${escapeSlug(user)}`];
    return [...new Set(names)];
}

/** A directory to archive: a user's home or the shared scratch folder. */
export interface BackupSource {
    readonly kind: "home" | "shared";
    /** The user (for homes); "shared" for the scratch folder. */
    readonly name: string;
    /** Candidate directories on the NFS host, in order; the first that exists is archived. */
    readonly candidates: string[];
    /** Local file, relative to the backup folder. */
    readonly file: string;
}

/** The folder on the NFS host that holds the hub's claims. */
export function claimsDir(namespace: string, exportDir = NFS_EXPORT_DIR): string {
    return path.posix.join(exportDir, namespace);
}

/** Local file name of a user's archive: the name as it is, unless it cannot be a file name. */
export function archiveFile(user: string): string {
    if (user === "" || user === "." || user === ".." || /[/\0]/.test(user)) throw new RangeError(`"${user}" cannot name a file`);
    return `homes/${user}.tar.gz`;
}

/** What a backup of these users (and the shared folder) reads. */
export function backupSources(users: string[], namespace: string, options: { shared: boolean; exportDir?: string }): BackupSource[] {
    const dir = claimsDir(namespace, options.exportDir);
    const sources: BackupSource[] = users.map((user) => ({
        kind: "home",
        name: user,
        candidates: claimNames(user).map((claim) => path.posix.join(dir, claim)),
        file: archiveFile(user),
    }));
    if (options.shared) sources.push({ kind: "shared", name: "shared", candidates: [path.posix.join(dir, SCRATCH_CLAIM_NAME)], file: "shared.tar.gz" });
    return sources;
}
