import { createHash } from "crypto";
import * as fs from "fs";
import { Readable, Transform } from "stream";
import { pipeline } from "stream/promises";
import { createGunzip } from "zlib";
import * as tar from "tar-stream";

/**
 * Receives one archive: the .tar.gz stream from the NFS host goes to a local file, through a sha256, and through
 * gunzip and a tar reader at the same time. The tar reader counts the entries and the content bytes (the progress),
 * and it is the check that the archive is whole: gzip's trailer (CRC-32 and length) and tar's end-of-archive
 * must both arrive, or the stream fails.
 */

export interface Received {
    /** Size of the .tar.gz. */
    readonly bytes: number;
    readonly sha256: string;
    /** Entries: files, directories, links. */
    readonly files: number;
    /** Bytes of file contents. */
    readonly contentBytes: number;
}

/** Where a receive went wrong: the local file, the archive's own format, or the stream from the host. */
export class ReceiveError extends Error {
    constructor(readonly where: "disk" | "stream" | "archive", readonly cause: NodeJS.ErrnoException) {
        super(cause.message);
    }
}

const DISK_ERRORS = new Set(["ENOSPC", "EDQUOT", "EIO", "EROFS", "EACCES", "EFBIG"]);

/** zlib's errors carry Z_* codes; tar-stream's are plain errors about the data. */
function classify(e: NodeJS.ErrnoException): ReceiveError {
    if (e instanceof ReceiveError) return e;
    if (e.code?.startsWith("Z_") || /tar|header|end of data/i.test(e.message)) return new ReceiveError("archive", e);
    return new ReceiveError("stream", e);
}

export async function receiveArchive(source: Readable, file: string, onContent: (bytes: number) => void): Promise<Received> {
    const hash = createHash("sha256");
    let bytes = 0;
    let files = 0;
    let contentBytes = 0;
    const output = fs.createWriteStream(file, { mode: 0o600 });
    // Everything that arrives is hashed and written to the file before it goes on to gunzip; the file's own
    // backpressure holds the stream (and so the SSH channel's window) back.
    const tee = new Transform({
        transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            bytes += chunk.length;
            if (output.write(chunk)) done(null, chunk);
            else output.once("drain", () => done(null, chunk));
        },
        flush(done) {
            output.end();
            output.once("finish", () => done());
        },
    });
    output.on("error", (e: NodeJS.ErrnoException) => tee.destroy(new ReceiveError(e.code && DISK_ERRORS.has(e.code) ? "disk" : "stream", e)));
    const extract = tar.extract();
    extract.on("entry", (_header, entry, next) => {
        files++;
        entry.on("data", (chunk: unknown) => {
            const length = (chunk as Buffer).length;
            contentBytes += length;
            onContent(length);
        });
        entry.on("end", next);
        // The failure reaches the pipeline through the extractor; this only keeps it from being unhandled.
        entry.on("error", () => undefined);
        entry.resume();
    });
    try {
        await pipeline(source, tee, createGunzip(), extract);
    } catch (e) {
        output.destroy();
        throw classify(e as NodeJS.ErrnoException);
    }
    try {
        // On disk before it is renamed into place and recorded.
        const handle = await fs.promises.open(file, "r+");
        await handle.sync();
        await handle.close();
    } catch (e) {
        throw new ReceiveError("disk", e as NodeJS.ErrnoException);
    }
    return { bytes, sha256: hash.digest("hex"), files, contentBytes };
}
