/**
 * `npm run bench:loadtest`: a workshop's burst on this machine. Starts the local JupyterHub 5 (Debian trixie's,
 * from the root scripts/hub-root.sh builds) with 60 generated accounts, runs `esiphub loadtest` with 60 users at
 * full concurrency (login, spawn→ready, first page, one cell, stop) and prints the figures.
 *
 * The hub gets the project's workshop start timeout (600 s, esiphub:startTimeout's default) for both the start and
 * the first answer of a server: here every server shares this machine's few CPUs, and JupyterHub's own 30 s
 * http_timeout fails spawns that are only slow.
 *
 * ESIPHUB_BENCH_USERS changes the number of users; ESIPHUB_BENCH_REPORT=FILE.html also writes the HTML report.
 * The hub's log is kept in ESIPHUB_BENCH_LOG (default: esiphub-bench-hub.log in the temp folder).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsCsv } from "../cli/credentials";
import { runLoadtestCommand } from "../cli/loadtest";
import { credentialsOf, makeAccounts } from "../test/hub/accounts";
import { hubRootMissing, startLocalHub } from "../test/hub/localhub";

const WORKSHOP_START_TIMEOUT = 600;

async function main(): Promise<number> {
    const missing = hubRootMissing();
    if (missing) {
        process.stderr.write(`bench:loadtest: cannot start the local JupyterHub: ${missing}\n`);
        return 2;
    }
    const users = Number(process.env.ESIPHUB_BENCH_USERS ?? 60);
    if (!Number.isInteger(users) || users < 1) {
        process.stderr.write(`bench:loadtest: ESIPHUB_BENCH_USERS must be a positive integer (got ${process.env.ESIPHUB_BENCH_USERS})\n`);
        return 2;
    }
    const accounts = makeAccounts(Array.from({ length: users }, (_, i) => `user${String(i + 1).padStart(2, "0")}`));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-bench-"));
    const hub = await startLocalHub({
        credentials: credentialsOf(accounts),
        startTimeoutMs: 120_000,
        config: [`c.Spawner.start_timeout = ${WORKSHOP_START_TIMEOUT}`, `c.Spawner.http_timeout = ${WORKSHOP_START_TIMEOUT}`].join("\n"),
    });
    const logFile = process.env.ESIPHUB_BENCH_LOG ?? path.join(os.tmpdir(), "esiphub-bench-hub.log");
    try {
        const credentials = path.join(dir, "accounts.csv");
        fs.writeFileSync(credentials, credentialsCsv(accounts), { mode: 0o600 });
        process.stdout.write(
            `bench:loadtest: JupyterHub ${await hubVersion(hub.url)} at ${hub.url} (SimpleLocalProcessSpawner), ${os.cpus().length} CPUs, ` +
                `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM; ${users} users at full concurrency\n`,
        );
        const { exitCode } = await runLoadtestCommand(
            { hub: hub.url, credentials, users, concurrency: users, execute: true, stop: true, report: process.env.ESIPHUB_BENCH_REPORT },
            { stdout: process.stdout, stderr: process.stderr },
        );
        return exitCode;
    } finally {
        fs.writeFileSync(logFile, hub.log());
        process.stderr.write(`bench:loadtest: the hub's log is in ${logFile}\n`);
        await hub.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function hubVersion(url: string): Promise<string> {
    const res = await fetch(`${url}/hub/api`);
    return ((await res.json()) as { version: string }).version;
}

main().then(
    (code) => process.exit(code),
    (err: Error) => {
        process.stderr.write(`bench:loadtest: ${err.stack ?? err.message}\n`);
        process.exit(1);
    },
);
