import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { BackupJob, BackupStopped, runBackupJob } from "../../cli/backup/backup";
import { BackupSource } from "../../cli/backup/homes";
import { Manifest, readManifest, sha256File } from "../../cli/backup/manifest";
import { describeTree, cuttingRelay, makeHome, unpack } from "./tree";
import { Sshd, sshdUnavailable, startSshd } from "./sshd";
import { Capture } from "../capture";

const unavailable = sshdUnavailable();
const suite = unavailable ? describe.skip : describe;

suite(`backup over SSH against a real sshd on 127.0.0.1${unavailable ? ` (skipped: ${unavailable})` : ""}`, function () {
    // A guard against a hang, not a limit on speed: a busy CI machine may be slow.
    this.timeout(10 * 60_000);
    let sshd: Sshd;
    let tmp: string;
    let homes: string;
    /** The homes of the test, by user name: odd names on purpose (spaces, unicode, a leading dash). */
    const users = ["workshop-01", "-dash user", "ünïcode hôme", "big one"];
    const dirOf = (user: string) => path.join(homes, `claim ${user}`);
    const source = (user: string): BackupSource => ({ kind: "home", name: user, candidates: [path.join(homes, "not here"), dirOf(user)], file: `homes/${user}.tar.gz` });

    before(async () => {
        sshd = await startSshd();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-backup-"));
        homes = path.join(tmp, "srv esiphub", "jhub");
        for (const user of users) {
            fs.mkdirSync(dirOf(user), { recursive: true });
            makeHome(dirOf(user), user === "big one" ? { randomBytes: 6 << 20, sparseBytes: 16 << 20 } : {});
        }
    });
    after(async () => {
        await sshd?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    const job = (out: string, sources: BackupSource[], target: Partial<BackupJob["target"]> = {}): BackupJob => ({
        site: "testsite",
        workshop: "Backup test",
        out,
        sources,
        target: { host: "127.0.0.1", port: sshd.port, user: sshd.user, privateKey: sshd.key, ...target },
    });

    /** Each archive unpacks to the bytes of its home, under a folder named after the user; the manifest's figures are the archive's. */
    async function assertFaithful(out: string, manifest: Manifest, expected: string[]): Promise<void> {
        assert.deepStrictEqual(manifest.archives.map((a) => a.name).sort(), [...expected].sort());
        for (const record of manifest.archives) {
            const file = path.join(out, record.file);
            assert.strictEqual(fs.statSync(file).size, record.bytes, record.file);
            assert.strictEqual(await sha256File(file), record.sha256, `${record.file}: sha256`);
            const into = fs.mkdtempSync(path.join(tmp, "unpacked-"));
            unpack(file, into);
            assert.deepStrictEqual(fs.readdirSync(into), [record.name], "one top folder, named after the user");
            const original = describeTree(dirOf(record.name));
            assert.deepStrictEqual(describeTree(path.join(into, record.name)), original, `${record.name}: unpacked tree`);
            assert.strictEqual(record.files, original.size, `${record.name}: entries`);
            fs.rmSync(into, { recursive: true, force: true });
        }
        const left = execFileSync("find", [out, "-name", "*.partial"], { encoding: "utf8" });
        assert.strictEqual(left, "", "no .partial file is left");
    }

    it("archives each home into one .tar.gz that unpacks to the same bytes, with a manifest whose sums verify", async () => {
        const out = path.join(tmp, "full");
        const output = new Capture();
        const summary = await runBackupJob(job(out, users.map(source)), output);
        assert.strictEqual(summary.made.length, users.length, output.text);
        const manifest = readManifest(out)!;
        await assertFaithful(out, manifest, users);
        const big = manifest.archives.find((a) => a.name === "big one")!;
        // 6 MiB of random data and a sparse 16 MiB image (zeros), and the small files.
        assert.ok(big.contentBytes > (22 << 20), String(big.contentBytes));
        assert.strictEqual(manifest.site, "testsite");
        assert.strictEqual(manifest.workshop, "Backup test");
        assert.match(manifest.hostKeys[`127.0.0.1:${sshd.port}`], /^SHA256:[A-Za-z0-9+/]{43}$/);
        // Progress with bytes and an ETA, one line per archive.
        assert.match(output.text, /\[4\/4\] big one {2}\d+(\.\d+)? MB of \d+(\.\d+)? MB \(100%\), [\d.]+ [kMG]?B\/s, ETA 0:00/);
        // The key is never printed.
        assert.ok(!output.text.includes("PRIVATE KEY"));
    });

    it("a run that loses its connection mid-stream keeps the complete archives; the next run verifies and skips them, and does the rest", async () => {
        const out = path.join(tmp, "resume");
        const order = ["workshop-01", "big one", "-dash user"].map(source);
        // Cut once 2 MB have come from the server: inside the big home's random data.
        const relay = await cuttingRelay(sshd.port, 2 << 20);
        let stopped: BackupStopped | undefined;
        try {
            await runBackupJob(job(out, order, { port: relay.port }), new Capture());
        } catch (e) {
            stopped = e as BackupStopped;
        } finally {
            await relay.close();
        }
        assert.ok(relay.cut(), "the relay cut the connection");
        assert.ok(stopped instanceof BackupStopped, String(stopped));
        assert.match(stopped.message, /(dropped|closed).* while archiving the home of big one\. 1 complete archive\(s\) in .* are kept and listed in manifest\.json; run the same command again to resume/);
        const first = readManifest(out)!;
        assert.deepStrictEqual(first.archives.map((a) => a.name), ["workshop-01"]);
        assert.ok(!fs.existsSync(path.join(out, "homes", "big one.tar.gz")));
        assert.ok(!fs.existsSync(path.join(out, "homes", "big one.tar.gz.partial")));
        const kept = fs.statSync(path.join(out, "homes", "workshop-01.tar.gz"));

        const output = new Capture();
        const summary = await runBackupJob(job(out, order), output);
        assert.deepStrictEqual(summary.skipped.map((a) => a.name), ["workshop-01"]);
        assert.deepStrictEqual(summary.made.map((a) => a.name), ["big one", "-dash user"]);
        assert.match(output.text, /1 archive\(s\) already complete and verified/);
        const again = fs.statSync(path.join(out, "homes", "workshop-01.tar.gz"));
        assert.strictEqual(again.mtimeMs, kept.mtimeMs, "the complete archive was not rewritten");
        await assertFaithful(out, readManifest(out)!, ["workshop-01", "big one", "-dash user"]);
    });

    it("an archive that no longer matches its manifest entry is made again", async () => {
        const out = path.join(tmp, "damaged");
        await runBackupJob(job(out, [source("workshop-01")]), new Capture());
        const file = path.join(out, "homes", "workshop-01.tar.gz");
        const bytes = fs.readFileSync(file);
        bytes[bytes.length - 5] ^= 0xff;
        fs.writeFileSync(file, bytes);
        const output = new Capture();
        const summary = await runBackupJob(job(out, [source("workshop-01")]), output);
        assert.match(output.text, /homes\/workshop-01\.tar\.gz: sha256 [0-9a-f]{64} instead of [0-9a-f]{64}; archiving it again/);
        assert.deepStrictEqual(summary.made.map((a) => a.name), ["workshop-01"]);
        await assertFaithful(out, readManifest(out)!, ["workshop-01"]);
    });

    it("a wrong key fails clearly, before anything is written", async () => {
        const out = path.join(tmp, "wrong-key");
        await assert.rejects(
            runBackupJob(job(out, [source("workshop-01")], { privateKey: sshd.wrongKey }), new Capture()),
            (e: Error) => {
                assert.ok(e instanceof BackupStopped);
                assert.match(e.message, new RegExp(`^${sshd.user}@127\\.0\\.0\\.1 refused the stack's key \\(esiphub:sshPrivateKey\\): All configured authentication methods failed; is its public key esiphub:sshPublicKey on the node\\?\\. Nothing was backed up$`));
                assert.ok(!e.message.includes("PRIVATE KEY"));
                return true;
            },
        );
        assert.deepStrictEqual(fs.readdirSync(path.join(out, "homes")), []);
    });

    it("a key that is not a key is named by its setting", async () => {
        await assert.rejects(runBackupJob(job(path.join(tmp, "bad-key"), [source("workshop-01")], { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n" }), new Capture()), /esiphub:sshPrivateKey cannot be used as an SSH key/);
    });

    it("reaches the NFS host through the master (a jump over the master's sshd)", async () => {
        const out = path.join(tmp, "jump");
        const summary = await runBackupJob(job(out, [source("ünïcode hôme")], { jump: { host: "127.0.0.1", port: sshd.port } }), new Capture());
        assert.strictEqual(summary.made.length, 1);
        const manifest = readManifest(out)!;
        assert.strictEqual(manifest.nfsHost, "127.0.0.1 (through 127.0.0.1)");
        await assertFaithful(out, manifest, ["ünïcode hôme"]);
    });

    it("a host that shows another key than when the backup started is refused", async () => {
        const out = path.join(tmp, "hostkey");
        await runBackupJob(job(out, [source("workshop-01")]), new Capture());
        const manifest = readManifest(out)!;
        manifest.hostKeys[`127.0.0.1:${sshd.port}`] = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest));
        await assert.rejects(runBackupJob(job(out, [source("workshop-01"), source("-dash user")]), new Capture()), /shows host key SHA256:\S+, not SHA256:A{43} as when this backup started/);
    });

    it("a user without a home is listed as missing, not an error", async () => {
        const out = path.join(tmp, "missing");
        const nobody: BackupSource = { kind: "home", name: "workshop-60", candidates: [path.join(homes, "claim workshop-60")], file: "homes/workshop-60.tar.gz" };
        const summary = await runBackupJob(job(out, [source("workshop-01"), nobody]), new Capture());
        assert.deepStrictEqual(summary.missing, [{ kind: "home", name: "workshop-60", reason: "no home directory on the NFS host (the user never started a server)" }]);
        assert.deepStrictEqual(readManifest(out)!.missing.map((m) => m.name), ["workshop-60"]);
    });

    it("a full local disk stops the run with a clear error and leaves the complete archives intact", async function () {
        const mountPoint = path.join(tmp, "small disk");
        fs.mkdirSync(mountPoint);
        try {
            execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint], { stdio: "pipe" });
        } catch (e) {
            this.skip(); // no tmpfs mounts in this container: `mount` failed
        }
        try {
            const out = path.join(mountPoint, "backup");
            await assert.rejects(runBackupJob(job(out, [source("workshop-01"), source("big one"), source("-dash user")]), new Capture()), (e: Error) => {
                assert.ok(e instanceof BackupStopped);
                assert.match(e.message, /^the local disk is full at homes\/big one\.tar\.gz in .*small disk\/backup; the home of big one was not saved\. Free some space\. 1 complete archive\(s\) .* are kept/);
                return true;
            });
            await assertFaithful(out, readManifest(out)!, ["workshop-01"]);
        } finally {
            execFileSync("umount", [mountPoint]);
        }
    });
});
