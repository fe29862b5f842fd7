/**
 * The load tester against a REAL JupyterHub 5 (Debian trixie's 5.2) on 127.0.0.1, with the project's
 * authenticator and accounts made as the Pulumi program makes them (bcrypt hashes in the credentials file).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsCsv } from "../../cli/credentials";
import { LoadtestReport, runLoadtestCommand } from "../../cli/loadtest";
import { credentialsOf, makeAccounts, TestAccount } from "../hub/accounts";
import { hubRootMissing, LocalHub, startLocalHub } from "../hub/localhub";
import { HubSession } from "../hub/session";
import { Capture } from "../capture";

const userNames = (n: number) => Array.from({ length: n }, (_, i) => `user${String(i + 1).padStart(2, "0")}`);

interface HubUser {
    name: string;
    server: string | null;
    pending: string | null;
}

/** The hub's own view of its users, through an admin's API session (not through the load tester). */
async function hubUsers(hub: LocalHub, admin: TestAccount): Promise<HubUser[]> {
    const session = new HubSession(hub.url);
    const login = await session.login(admin.username, admin.password);
    assert.ok(login.loggedIn, "the admin can log in");
    await session.request("/hub/home"); // the logged-in session's _xsrf cookie
    const res = await session.api("/users");
    assert.strictEqual(res.status, 200);
    return ((await res.json()) as HubUser[]).filter((u) => u.name !== admin.username);
}

describe("loadtest: against a real JupyterHub 5 on 127.0.0.1", function () {
    this.timeout(15 * 60 * 1000);
    let dir: string;
    let hub: LocalHub | undefined;
    const admin = makeAccounts(["hubadmin"])[0];

    before(function () {
        const missing = hubRootMissing();
        if (missing) {
            console.log(`      (skipped: ${missing})`);
            this.skip();
        }
    });

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-loadtest-real-"));
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed" && hub) console.log(hub.log().slice(-4000));
        await hub?.stop();
        hub = undefined;
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    async function run(accounts: { username: string; password: string }[], options: Partial<Parameters<typeof runLoadtestCommand>[0]>) {
        const file = path.join(dir, "accounts.csv");
        fs.writeFileSync(file, credentialsCsv(accounts));
        const stdout = new Capture();
        const stderr = new Capture();
        const result = await runLoadtestCommand({ hub: hub!.url, credentials: file, json: true, ...options }, { stdout, stderr });
        const printed = JSON.parse(stdout.text) as LoadtestReport;
        assert.deepStrictEqual(printed, result.report, "--json prints the report");
        return { ...result, progress: stderr.text };
    }

    it("20 users all log in, get a server, open it, run a cell and stop, with figures for every phase", async () => {
        const accounts = makeAccounts(userNames(20));
        hub = await startLocalHub({ credentials: credentialsOf([...accounts, admin]), adminUsers: [admin.username] });
        const { report, exitCode, progress } = await run(accounts, { execute: true, stop: true, timeout: 300 });

        const failures = report.users.flatMap((u) => u.failures.map((f) => `${u.username} ${f.phase} ${f.errorClass}: ${f.message}`));
        assert.deepStrictEqual(failures, []);
        assert.strictEqual(exitCode, 0);
        assert.strictEqual(report.succeeded, 20);
        assert.deepStrictEqual(Object.keys(report.phases), ["login", "spawn", "page", "execute", "stop"]);
        for (const [phase, figures] of Object.entries(report.phases)) {
            assert.strictEqual(figures.count, 20, `${phase}: every user has a figure`);
            assert.deepStrictEqual(figures.errors, {}, phase);
            assert.ok(figures.p50! > 0 && figures.p50! <= figures.p90! && figures.p90! <= figures.p95! && figures.p95! <= figures.max!, `${phase}: ${JSON.stringify(figures)}`);
        }
        assert.deepStrictEqual(report.errors, {});
        assert.strictEqual(progress.split("\n").filter((l) => / ok$/.test(l)).length, 20, "one progress line per user");

        // The hub's side of the story: it started 20 servers, and they are all stopped again.
        const log = hub.log();
        for (const a of accounts) assert.match(log, new RegExp(`User ${a.username} took [\\d.]+ seconds to start`));
        const users = await hubUsers(hub, admin);
        assert.strictEqual(users.length, 20);
        assert.deepStrictEqual(users.filter((u) => u.server || u.pending).map((u) => u.name), [], "--stop stopped every server");
    });

    it("reports wrong passwords as refused logins, next to the users that got in", async () => {
        const accounts = makeAccounts(userNames(6));
        hub = await startLocalHub({ credentials: credentialsOf(accounts) });
        const given = accounts.map((a, i) => ({ username: a.username, password: i < 4 ? a.password + "x" : a.password }));
        const { report, exitCode } = await run(given, { timeout: 120 });

        assert.strictEqual(exitCode, 1);
        assert.strictEqual(report.failed, 4);
        assert.strictEqual(report.succeeded, 2);
        assert.deepStrictEqual(report.errors, { "login-refused": 4 });
        assert.deepStrictEqual(report.phases.login!.errors, { "login-refused": 4 });
        assert.strictEqual(report.phases.login!.count, 2);
        assert.strictEqual(report.phases.page!.count, 2);
        for (const u of report.users.slice(0, 4)) {
            assert.deepStrictEqual(
                u.failures.map((f) => [f.phase, f.errorClass]),
                [["login", "login-refused"]],
                u.username,
            );
        }
        assert.doesNotMatch(hub.log(), /User user0[1-4] took/, "no server for a refused user");
    });

    it("waits out the 429s of a hub with concurrent_spawn_limit = 3, and every user still gets a server", async () => {
        // More users than the limit, twice over, so that some must wait for a slot more than once.
        const accounts = makeAccounts(userNames(8));
        hub = await startLocalHub({
            credentials: credentialsOf([...accounts, admin]),
            adminUsers: [admin.username],
            // The hub's Retry-After is drawn from this range (default 30 to 60 s); shorter keeps the test short.
            config: ["c.JupyterHub.concurrent_spawn_limit = 3", "c.JupyterHub.spawn_throttle_retry_range = (2, 5)"].join("\n"),
        });
        const { report, exitCode } = await run(accounts, { timeout: 300 });

        assert.ok(report.throttling.responses > 0, "the hub answered 429");
        assert.ok(report.throttling.users >= 1 && report.throttling.waitedSeconds >= 2, JSON.stringify(report.throttling));
        assert.match(hub.log(), /pending spawns, throttling/);
        const failures = report.users.flatMap((u) => u.failures.map((f) => `${u.username} ${f.phase} ${f.errorClass}: ${f.message}`));
        assert.deepStrictEqual(failures, []);
        assert.strictEqual(exitCode, 0);
        assert.strictEqual(report.phases.spawn!.count, 8);
        assert.strictEqual(report.phases.page!.count, 8);

        const users = await hubUsers(hub, admin);
        assert.deepStrictEqual(
            users.filter((u) => !u.server).map((u) => u.name),
            [],
            "the hub has a running server for every user",
        );
        assert.strictEqual(users.length, 8);
    });
});
