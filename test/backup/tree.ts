import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { execFileSync } from "child_process";

/** Test homes as a workshop leaves them, and a way to compare a tree with what an archive unpacks to. */

/** Writes `bytes` of random data (incompressible, as a dataset would be) in 1 MiB pieces. */
export function randomFile(file: string, bytes: number): void {
    const fd = fs.openSync(file, "w");
    try {
        for (let left = bytes; left > 0; left -= 1 << 20) fs.writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
    } finally {
        fs.closeSync(fd);
    }
}

/** Text that compresses as notebooks and CSVs do. */
export function textFile(file: string, bytes: number): void {
    const line = (i: number) => `${i},${(i * 7919) % 104729},station-${i % 97},${Math.sin(i).toFixed(6)},"${i % 13 === 0 ? "gap" : "ok"}"\n`;
    const fd = fs.openSync(file, "w");
    try {
        let written = 0;
        for (let i = 0; written < bytes; ) {
            let chunk = "";
            while (chunk.length < 1 << 16) chunk += line(i++);
            const buf = Buffer.from(chunk).subarray(0, bytes - written);
            fs.writeSync(fd, buf);
            written += buf.length;
        }
    } finally {
        fs.closeSync(fd);
    }
}

/**
 * A home with what attendees leave: a notebook, data (random and sparse), empty files and folders, relative,
 * absolute and dangling symlinks, a hard link, hidden files, private files, and names with spaces, unicode,
 * a leading dash, quotes and a newline.
 */
export function makeHome(dir: string, options: { randomBytes?: number; sparseBytes?: number } = {}): void {
    fs.mkdirSync(path.join(dir, "data", "nested deeper"), { recursive: true });
    fs.writeFileSync(path.join(dir, "analysis.ipynb"), JSON.stringify({ cells: [{ cell_type: "code", source: ["import xarray as xr\n"] }], nbformat: 4 }));
    if (options.randomBytes) randomFile(path.join(dir, "data", "sample.nc"), options.randomBytes);
    if (options.sparseBytes) execFileSync("truncate", ["-s", String(options.sparseBytes), path.join(dir, "data", "sparse.img")]);
    textFile(path.join(dir, "data", "nested deeper", "stations.csv"), 200_000);
    fs.writeFileSync(path.join(dir, "empty.txt"), "");
    fs.mkdirSync(path.join(dir, "empty folder"));
    fs.writeFileSync(path.join(dir, "-rf"), "a file whose name starts with a dash\n");
    fs.writeFileSync(path.join(dir, " leading space.txt"), "space\n");
    fs.writeFileSync(path.join(dir, "ünïcødé ✓ 日本.txt"), "unicode\n");
    fs.writeFileSync(path.join(dir, "it's \"quoted\" $HOME `x`.txt"), "quotes\n");
    fs.writeFileSync(path.join(dir, "new\nline.txt"), "newline in the name\n");
    fs.writeFileSync(path.join(dir, ".bash_history"), "ls\n");
    fs.writeFileSync(path.join(dir, "private.key"), "secret\n", { mode: 0o600 });
    fs.chmodSync(path.join(dir, "private.key"), 0o600);
    fs.symlinkSync("analysis.ipynb", path.join(dir, "link to notebook"));
    fs.symlinkSync("/shared", path.join(dir, "shared"));
    fs.symlinkSync("does/not/exist", path.join(dir, "dangling"));
    fs.linkSync(path.join(dir, "analysis.ipynb"), path.join(dir, "hard link.ipynb"));
}

/** Every entry under `root` (the root itself as "."), with what identifies its content. */
export function describeTree(root: string): Map<string, string> {
    const entries = new Map<string, string>();
    const inodes = new Map<number, string>();
    const walk = (rel: string) => {
        const full = path.join(root, rel);
        const st = fs.lstatSync(full);
        const mode = (st.mode & 0o7777).toString(8);
        if (st.isSymbolicLink()) entries.set(rel, `link -> ${fs.readlinkSync(full)}`);
        else if (st.isDirectory()) {
            entries.set(rel, `dir ${mode}`);
            for (const name of fs.readdirSync(full).sort()) walk(rel === "." ? name : path.join(rel, name));
        } else {
            const sum = createHash("sha256").update(fs.readFileSync(full)).digest("hex");
            // Hard links: the same inode under two names must stay one file.
            const first = inodes.get(st.ino);
            if (!first) inodes.set(st.ino, rel);
            entries.set(rel, `file ${mode} ${st.size} ${sum}${first ? ` = ${first}` : ""}`);
        }
    };
    walk(".");
    return entries;
}

/** Unpacks a .tar.gz with the system's GNU tar (as an attendee would) into `into`. */
export function unpack(archive: string, into: string): void {
    fs.mkdirSync(into, { recursive: true });
    execFileSync("tar", ["-xzf", archive, "-C", into], { stdio: "pipe" });
}

/**
 * A TCP relay to `port` that drops the connection (both sides, as a network failure would) once it has carried
 * `cutAfter` bytes from the server.
 */
export async function cuttingRelay(port: number, cutAfter: number): Promise<{ port: number; cut: () => boolean; close: () => Promise<void> }> {
    let cut = false;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
        const upstream = net.connect(port, "127.0.0.1");
        sockets.add(client).add(upstream);
        let carried = 0;
        client.on("data", (d) => upstream.write(d));
        upstream.on("data", (d: Buffer) => {
            carried += d.length;
            if (carried > cutAfter) {
                cut = true;
                client.destroy();
                upstream.destroy();
                return;
            }
            client.write(d);
        });
        const end = () => {
            client.destroy();
            upstream.destroy();
        };
        client.on("close", end).on("error", end);
        upstream.on("close", end).on("error", end);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        cut: () => cut,
        close: async () => {
            for (const s of sockets) s.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}
