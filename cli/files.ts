import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CliError } from "./deps";

/**
 * Writes `text` to `file` in one step: into a new file beside it (created exclusively, so never an existing file or
 * a symlink planted there), with `mode` from the start, then renamed over `file`. A rename replaces a symlink at
 * `file` instead of writing through it, and a reader never sees half a file.
 */
export function replaceFile(file: string, text: string, mode: number): void {
    try {
        writeThenRename(file, text, mode);
    } catch (e) {
        throw new CliError(`cannot write ${file}: ${(e as Error).message}`);
    }
}

function writeThenRename(file: string, text: string, mode: number): void {
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString("hex")}.tmp`);
    const fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
    try {
        fs.writeFileSync(fd, text);
        // The process umask may have narrowed `mode`; a private file must be exactly this.
        fs.fchmodSync(fd, mode);
        fs.fsyncSync(fd);
    } catch (e) {
        fs.closeSync(fd);
        fs.rmSync(temp, { force: true });
        throw e;
    }
    fs.closeSync(fd);
    try {
        fs.renameSync(temp, file);
    } catch (e) {
        fs.rmSync(temp, { force: true });
        throw e;
    }
}

/** A file readable by its owner only (passwords, kubeconfig). */
export function writePrivateFile(file: string, text: string): void {
    replaceFile(file, text, 0o600);
}
