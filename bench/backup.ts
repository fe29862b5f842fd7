/**
 * `npm run bench:backup`: `esiphub backup`'s engine against a real sshd on this machine (see test/backup/sshd.ts;
 * needs root and openssh-server). Builds homes as a workshop leaves them (by default 12 homes of 12 MiB random data,
 * 12 MiB of CSV text and a few small files: about 300 MB), backs them all up, then measures a resume: a run cut
 * after half the compressed bytes, and the run that finishes it.
 *
 * Both ends of the SSH connection, tar's gzip and the local gunzip check share this machine's CPUs: the figures are
 * a floor for a real NFS host. ESIPHUB_BENCH_HOMES and ESIPHUB_BENCH_MIB (per file) change the size.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BackupJob, BackupStopped, runBackupJob } from "../cli/backup/backup";
import { BackupSource } from "../cli/backup/homes";
import { formatBytes, formatDuration } from "../cli/backup/progress";
import { cuttingRelay, makeHome, randomFile, textFile } from "../test/backup/tree";
import { sshdUnavailable, startSshd } from "../test/backup/sshd";

const quiet = { write: () => true };

async function main(): Promise<number> {
    const unavailable = sshdUnavailable();
    if (unavailable) {
        process.stderr.write(`bench:backup: ${unavailable}\n`);
        return 2;
    }
    const homes = Number(process.env.ESIPHUB_BENCH_HOMES ?? 12);
    const mib = Number(process.env.ESIPHUB_BENCH_MIB ?? 12);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-bench-backup-"));
    const sshd = await startSshd();
    try {
        const sources: BackupSource[] = [];
        for (let i = 1; i <= homes; i++) {
            const name = `workshop-${String(i).padStart(2, "0")}`;
            const dir = path.join(tmp, "jhub", `claim-${name}`);
            fs.mkdirSync(dir, { recursive: true });
            makeHome(dir);
            randomFile(path.join(dir, "data", "model-output.nc"), mib << 20);
            textFile(path.join(dir, "data", "observations.csv"), mib << 20);
            sources.push({ kind: "home", name, candidates: [dir], file: `homes/${name}.tar.gz` });
        }
        const job = (out: string, port = sshd.port): BackupJob => ({
            site: "bench",
            out,
            sources,
            target: { host: "127.0.0.1", port, user: sshd.user, privateKey: sshd.key },
        });
        process.stdout.write(`load average before: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} CPUs\n`);

        const full = await runBackupJob(job(path.join(tmp, "full")), quiet);
        const compressed = full.made.reduce((n, a) => n + a.bytes, 0);
        process.stdout.write(
            `full backup: ${homes} homes, ${formatBytes(full.contentBytes)} read → ${formatBytes(compressed)} of archives in ${formatDuration(full.seconds)} (${full.seconds.toFixed(1)} s): ` +
                `${formatBytes(full.contentBytes / full.seconds)}/s read, ${formatBytes(compressed / full.seconds)}/s of archives\n`,
        );

        const out = path.join(tmp, "resumed");
        const relay = await cuttingRelay(sshd.port, compressed / 2);
        let first: BackupStopped | undefined;
        try {
            await runBackupJob(job(out, relay.port), quiet);
        } catch (e) {
            if (!(e instanceof BackupStopped)) throw e;
            first = e;
        } finally {
            await relay.close();
        }
        if (!first) throw new Error("the relay did not cut the first run");
        const resumed = await runBackupJob(job(out), quiet);
        process.stdout.write(
            `resume: the run cut after ${formatBytes(compressed / 2)} kept ${first.summary.made.length} complete archive(s) (${formatDuration(first.summary.seconds)}); ` +
                `the next run verified and skipped ${resumed.skipped.length}, made ${resumed.made.length} in ${formatDuration(resumed.seconds)} (${resumed.seconds.toFixed(1)} s)\n`,
        );
        process.stdout.write(`load average after: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
        return 0;
    } finally {
        await sshd.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

main().then(
    (code) => (process.exitCode = code),
    (e) => {
        process.stderr.write(`bench:backup: ${(e as Error).stack}\n`);
        process.exitCode = 1;
    },
);
