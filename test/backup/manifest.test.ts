import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";
import { ArchiveRecord, Manifest, MANIFEST_FORMAT, readManifest, recordArchive, recordMissing, verifyArchive, writeManifest } from "../../cli/backup/manifest";
import { BackupProgress, eta, formatBytes, formatDuration, progressText } from "../../cli/backup/progress";

function manifest(): Manifest {
    return { format: MANIFEST_FORMAT, site: "jetstream", createdAt: "2026-12-04T16:00:00.000Z", updatedAt: "", nfsHost: "149.165.157.42", hostKeys: {}, archives: [], missing: [] };
}

function archive(dir: string, name: string, content: string): ArchiveRecord {
    const file = `homes/${name}.tar.gz`;
    fs.mkdirSync(path.join(dir, "homes"), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
    const sha256 = createHash("sha256").update(content).digest("hex");
    return { kind: "home", user: name, name, file, source: `/srv/esiphub/jhub/claim-${name}`, bytes: Buffer.byteLength(content), files: 3, contentBytes: 10, sha256, completedAt: "2026-12-04T16:01:00.000Z" };
}

describe("backup: manifest.json", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-manifest-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is written whole and read back; a record replaces the one of the same file and clears a 'missing' entry", () => {
        const m = manifest();
        recordMissing(m, { kind: "home", name: "workshop-02", reason: "no home" });
        recordArchive(m, archive(dir, "workshop-02", "old"));
        recordArchive(m, archive(dir, "workshop-01", "x"));
        recordArchive(m, archive(dir, "workshop-02", "new"));
        writeManifest(dir, m);
        const read = readManifest(dir)!;
        assert.deepStrictEqual(read.archives.map((a) => [a.name, a.bytes]), [["workshop-01", 1], ["workshop-02", 3]]);
        assert.deepStrictEqual(read.missing, []);
        assert.ok(!fs.existsSync(path.join(dir, "manifest.json.tmp")));
    });

    it("verifies an archive by size and sha256", async () => {
        const record = archive(dir, "workshop-01", "content");
        assert.strictEqual(await verifyArchive(dir, record), undefined);
        fs.writeFileSync(path.join(dir, record.file), "CONTENT");
        assert.match((await verifyArchive(dir, record))!, /^sha256 [0-9a-f]{64} instead of /);
        fs.writeFileSync(path.join(dir, record.file), "short");
        assert.strictEqual(await verifyArchive(dir, record), "5 bytes instead of 7");
        fs.rmSync(path.join(dir, record.file));
        assert.strictEqual(await verifyArchive(dir, record), "the file is missing");
    });

    it("refuses a manifest.json that is not one of ours", () => {
        fs.writeFileSync(path.join(dir, "manifest.json"), "{");
        assert.throws(() => readManifest(dir), /is not JSON/);
        fs.writeFileSync(path.join(dir, "manifest.json"), '{"name": "some-npm-package"}');
        assert.throws(() => readManifest(dir), /is not an esiphub backup manifest/);
        fs.rmSync(path.join(dir, "manifest.json"));
        assert.strictEqual(readManifest(dir), undefined);
    });
});

describe("backup: progress", () => {
    it("bytes, durations and the ETA", () => {
        assert.deepStrictEqual([840, 12_345, 12_300_000, 3_410_000_000].map(formatBytes), ["840 B", "12.3 kB", "12.3 MB", "3.41 GB"]);
        assert.deepStrictEqual([7, 250, 3900].map(formatDuration), ["0:07", "4:10", "1:05:00"]);
        assert.strictEqual(eta(0, 100, 5), undefined);
        assert.strictEqual(eta(25, 100, 10), 30);
        assert.strictEqual(
            progressText({ done: 1_210_000_000, total: 3_400_000_000, elapsedSeconds: 25, archive: 3, archives: 62, name: "workshop-03" }),
            "[3/62] workshop-03  1.21 GB of 3.40 GB (35%), 48.4 MB/s, ETA 0:45",
        );
    });

    it("a terminal gets a status line rewritten in place; every output gets a line per archive", () => {
        let now = 0;
        const tty = { text: "", isTTY: true, columns: 200, write(s: string) { this.text += s; return true; } };
        const progress = new BackupProgress(tty, 4_000_000, 2, () => now);
        progress.begin("workshop-01");
        now = 1000;
        progress.add(2_000_000);
        assert.ok(tty.text.endsWith("\r\x1b[K[1/2] workshop-01  2.00 MB of 4.00 MB (50%), 2.00 MB/s, ETA 0:01"), JSON.stringify(tty.text));
        progress.finished("homes/workshop-01.tar.gz: 2.00 MB in 3 entries → 1.00 MB");
        assert.ok(tty.text.endsWith("\r\x1b[K  homes/workshop-01.tar.gz: 2.00 MB in 3 entries → 1.00 MB   [1/2] workshop-01  2.00 MB of 4.00 MB (50%), 2.00 MB/s, ETA 0:01\n"));

        const file = { text: "", write(s: string) { this.text += s; return true; } };
        const plain = new BackupProgress(file, 10, 1, () => now);
        plain.begin("a");
        plain.add(10);
        assert.strictEqual(file.text, "", "no status line off a terminal");
        plain.finished("a done");
        assert.match(file.text, /^ {2}a done {3}\[1\/1\] a {2}10 B of 10 B \(100%\)/);
    });
});
