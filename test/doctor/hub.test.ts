import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsCsv } from "../../cli/credentials";
import { credentialsOf, makeAccounts, TestAccount } from "../hub/accounts";
import { hubRootMissing, LocalHub, startLocalHub } from "../hub/localhub";
import { HubSession } from "../hub/session";
import { doctorJson, esiphub } from "./doctorcli";
import { quietPort } from "../ports";

const README = "# Welcome to the workshop\n\nYour files live here; the shared folder is for everyone.\n";
/** Seconds per check of the good hub's run, printed for the report. */
const timings: string[] = [];

describe("doctor --hub URL --credentials FILE against a real JupyterHub 5 on 127.0.0.1", function () {
    let tmp: string;
    let hub: LocalHub;
    let accounts: TestAccount[];
    let csv: string;

    const writeCsv = (name: string, rows: { username: string; password: string }[]) => {
        const file = path.join(tmp, name);
        fs.writeFileSync(file, credentialsCsv(rows));
        return file;
    };
    const doctor = (args: string[]) => esiphub(["doctor", "--hub", hub.url, ...args]);

    before(async function () {
        const missing = hubRootMissing();
        if (missing) {
            console.log(`    skipped: ${missing}`);
            this.skip();
        }
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-doctor-"));
        accounts = makeAccounts(["instructor", "workshop-01", "workshop-02"]);
        hub = await startLocalHub({
            credentials: credentialsOf(accounts),
            adminUsers: ["instructor"],
            // As the chart's values make them (components/jupyterhub/values.ts): 8G limit, README, shared scratch.
            singleuser: { memoryLimit: "8G", readme: README, shared: true },
        });
        csv = writeCsv("accounts.csv", accounts);
    });

    after(async () => {
        await hub?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        if (timings.length > 0) console.log(`      measured: ${timings.join("; ")}`);
    });

    it("a good hub: exit 0 and every check passes, from the hub's API to stopping the server", async () => {
        const run = await doctor(["--credentials", csv, "--json"]);
        const report = doctorJson(run);
        assert.strictEqual(run.code, 0, run.stdout + run.stderr + hub.log().slice(-3000));
        assert.strictEqual(report.ok, true);
        assert.strictEqual(report.site, null);
        assert.strictEqual(report.hub, hub.url);
        assert.deepStrictEqual(
            report.checks.map((c) => [c.name, c.status]),
            ["hub", "login-page", "login", "server", "page", "home", "memory", "stop"].map((n) => [n, "pass"]),
        );
        const detail = (name: string) => report.checks.find((c) => c.name === name)!.detail;
        assert.match(detail("hub"), /^JupyterHub 5\.\d+\.\d+ answers at /);
        assert.match(detail("login"), /^instructor logged in/, "the first account (no stack: no admins known) is the test account");
        assert.match(detail("home"), /^README\.md and shared\/ \(1 entry\) in instructor's home$/);
        // JupyterHub reads "8G" as 8 × 1024³ (jupyterhub/traitlets.py ByteSpecification).
        assert.strictEqual(detail("memory"), "MEM_LIMIT 8589934592 (8.0 GiB)");
        for (const c of report.checks) assert.ok(c.seconds >= 0 && !("fix" in c), JSON.stringify(c));
        timings.push(`good hub ${report.checks.map((c) => `${c.name} ${c.seconds} s`).join(", ")}`);
        // The quickstart README really is the mounted one, copied by the chart's postStart script.
        assert.strictEqual(fs.readFileSync(path.join(hub.dir, "home", "instructor", "README.md"), "utf8"), README);
    });

    it("--user and --execute: that account, and the load tester's cell in a kernel", async () => {
        const run = await doctor(["--credentials", csv, "--user", "workshop-02", "--execute", "--json"]);
        const report = doctorJson(run);
        assert.strictEqual(run.code, 0, run.stdout + run.stderr);
        assert.deepStrictEqual(
            report.checks.map((c) => c.name),
            ["hub", "login-page", "login", "server", "page", "home", "memory", "execute", "stop"],
        );
        assert.ok(report.checks.every((c) => c.status === "pass"), run.stdout);
        assert.match(report.checks.find((c) => c.name === "login")!.detail, /^workshop-02 /);
    });

    it("wrong passwords: exit 1 with a failed login check (and its fix); the steps after it are skipped", async () => {
        const wrong = writeCsv("wrong.csv", accounts.map((a) => ({ username: a.username, password: `${a.password}x` })));
        const run = await doctor(["--credentials", wrong, "--json"]);
        const report = doctorJson(run);
        assert.strictEqual(run.code, 1);
        assert.strictEqual(report.ok, false);
        const login = report.checks.find((c) => c.name === "login")!;
        assert.strictEqual(login.status, "fail");
        assert.match(login.detail, /login refused for instructor/);
        assert.match(login.fix!, /esiphub credentials SITE/);
        assert.deepStrictEqual(
            report.checks.filter((c) => c.status === "skip").map((c) => c.name),
            ["server", "page", "home", "memory", "stop"],
        );
        assert.deepStrictEqual(report.checks.filter((c) => c.status === "pass").map((c) => c.name), ["hub", "login-page"]);
    });

    it("a server that was already running (an instructor's) is checked and left running", async () => {
        const [, user] = accounts;
        const session = new HubSession(hub.url);
        assert.ok((await session.login(user.username, user.password)).loggedIn);
        assert.ok((await session.api(`/users/${user.username}/server`, { method: "POST" })).status < 300);
        const run = await doctor(["--credentials", csv, "--user", user.username, "--json"]);
        const report = doctorJson(run);
        assert.strictEqual(run.code, 0, run.stdout);
        assert.match(report.checks.find((c) => c.name === "server")!.detail, /already running/);
        assert.deepStrictEqual(
            (({ status, detail }) => ({ status, detail }))(report.checks.find((c) => c.name === "stop")!),
            { status: "skip", detail: "workshop-01's server was running before the doctor came; left running" },
        );
        const model = (await (await session.api(`/users/${user.username}`)).json()) as { server: string | null };
        assert.ok(model.server, "still running");
        assert.ok((await session.api(`/users/${user.username}/server`, { method: "DELETE" })).status < 300);
    });

    it("the text report: one line per check, then the verdict", async () => {
        const run = await doctor(["--credentials", csv]);
        assert.strictEqual(run.code, 0, run.stdout);
        const lines = run.stdout.trimEnd().split("\n");
        assert.match(lines[0], new RegExp(`^Doctor of ${hub.url.replace(/\./g, "\\.")} \\(test account instructor\\)$`));
        assert.match(lines[1], /^PASS {2}hub {10}JupyterHub 5\.\d+\.\d+ answers at .* \(\d+\.\d\d s\)$/);
        assert.match(lines[lines.length - 1], /: ready \(8 passed, 0 failed, 0 warnings, 0 skipped\)$/);
    });

    describe("a hub whose servers lack the chart's setup, and a stopped hub", () => {
        let plainHub: LocalHub;

        before(async () => {
            // A quiet port: once this hub stops, nothing else (a kernel of another test's hub, say) can take it.
            plainHub = await startLocalHub({ credentials: credentialsOf(accounts), port: await quietPort() });
        });

        after(async () => {
            await plainHub?.stop();
        });

        it("no README, no shared folder, no MEM_LIMIT: the home check fails, the memory check warns", async () => {
            const run = await esiphub(["doctor", "--hub", plainHub.url, "--credentials", csv, "--json"]);
            const report = doctorJson(run);
            assert.strictEqual(run.code, 1);
            const home = report.checks.find((c) => c.name === "home")!;
            assert.deepStrictEqual([home.status, home.detail], ["fail", "no README.md in instructor's home"]);
            assert.match(home.fix!, /postStart/);
            const memory = report.checks.find((c) => c.name === "memory")!;
            assert.deepStrictEqual([memory.status, memory.detail], ["warn", "MEM_LIMIT is not set: one user's server can take a node's memory"]);
            assert.strictEqual(report.checks.find((c) => c.name === "stop")!.status, "pass", "the server it started is stopped again");
        });

        it("a stopped hub: exit 1 at once, a failed connection check and nothing else tried", async () => {
            const url = plainHub.url;
            await plainHub.stop();
            const started = performance.now();
            const run = await esiphub(["doctor", "--hub", url, "--credentials", csv, "--json"]);
            const seconds = (performance.now() - started) / 1000;
            const report = doctorJson(run);
            assert.strictEqual(run.code, 1);
            const [first, ...rest] = report.checks;
            assert.strictEqual(first.name, "hub");
            assert.strictEqual(first.status, "fail");
            assert.match(first.detail, /ECONNREFUSED/);
            assert.match(first.fix!, new RegExp(`nothing answers at ${url.replace(/\./g, "\\.")}`));
            assert.ok(rest.every((c) => c.status === "skip" && c.detail === "the hub did not answer"), JSON.stringify(rest));
            timings.push(`stopped hub: exit after ${seconds.toFixed(2)} s (hub check ${first.seconds} s)`);
        });
    });
});
