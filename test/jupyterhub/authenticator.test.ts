import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { AUTHENTICATOR_FILE, AUTHENTICATOR_MODULE } from "../../components/jupyterhub/hubconfig";
import { PROVIDER_BCRYPT_COST } from "../../components/jupyterhub/accounts";
import { credentialsOf, makeAccounts, providerBcryptHash, TestAccount } from "../hub/accounts";
import { HUB_ROOT, hubRootMissing, LocalHub, startLocalHub, writeCredentials } from "../hub/localhub";
import { HubSession } from "../hub/session";
import { waitFor } from "../wait";

/** The failed-login page without what legitimately differs between attempts (xsrf token, echoed user name). */
function refusalPage(body: string, username: string): string {
    return body.replace(/value="[^"]*"/g, 'value=""').replace(/xsrf_token:\s*"[^"]*"/g, "").split(username).join("USER");
}

async function waitForServer(session: HubSession, username: string): Promise<void> {
    await waitFor(`the server of ${username} to become ready`, async () => {
        const model = (await (await session.api(`/users/${username}`)).json()) as { servers?: Record<string, { ready?: boolean }> };
        return model.servers?.[""]?.ready ? true : undefined;
    }, { intervalMs: 500 });
}

describe("PregeneratedAuthenticator in a real JupyterHub 5 (Debian trixie, chrooted)", function () {
    let hub: LocalHub;
    let accounts: TestAccount[];
    const [user, other, admin] = ["workshop-01", "workshop-02", "instructor"];
    const account = (name: string) => accounts.find((a) => a.username === name)!;

    before(async function () {
        const missing = hubRootMissing();
        if (missing) {
            console.log(`    skipped: ${missing}`);
            this.skip();
        }
        accounts = makeAccounts([user, other, admin]);
        hub = await startLocalHub({ credentials: credentialsOf(accounts), adminUsers: [admin] });
    });

    after(async function () {
        await hub?.stop();
    });

    it("is JupyterHub 5 and finds the authenticator's allow rule", async function () {
        const info = (await (await fetch(`${hub.url}/hub/api`)).json()) as { version: string };
        assert.match(info.version, /^5\./);
        assert.doesNotMatch(hub.log(), /No allow config found/);
    });

    it("logs a generated user in with its password and starts its server", async function () {
        const session = new HubSession(hub.url);
        const login = await session.login(user, account(user).password);
        assert.strictEqual(login.status, 302, `the hub answered ${login.status}: ${login.body.slice(0, 200)}`);
        assert.ok(login.loggedIn, "the hub set its login cookie");
        assert.strictEqual(((await (await session.api("/user")).json()) as { name: string }).name, user);

        const start = await session.api(`/users/${user}/server`, { method: "POST" });
        assert.ok([201, 202].includes(start.status), `start answered ${start.status}: ${await start.text()}`);
        await waitForServer(session, user);
        // Through the proxy to the user's own notebook server.
        const served = await session.request(`/user/${user}/api`);
        assert.strictEqual(served.status, 200);
        assert.ok(((await served.json()) as { version?: string }).version);
        assert.strictEqual((await session.api(`/users/${user}/server`, { method: "DELETE" })).status < 300, true);
    });

    it("accepts a login form submitted seconds after the page was loaded (the form's _xsrf outlives the clock second)", async function () {
        const session = new HubSession(hub.url);
        const login = await session.login(other, account(other).password, 2100);
        assert.strictEqual(login.status, 302, `the hub answered ${login.status}: ${login.body.slice(0, 200)}`);
        assert.ok(login.loggedIn);
    });

    it("refuses a wrong password, an empty password and an unknown user, all the same way", async function () {
        const attempts = [
            { username: user, password: account(other).password },
            { username: user, password: "" },
            { username: "workshop-99", password: account(user).password },
        ];
        const pages: string[] = [];
        for (const attempt of attempts) {
            const session = new HubSession(hub.url);
            const result = await session.login(attempt.username, attempt.password);
            assert.strictEqual(result.loggedIn, false, `${attempt.username} got a login cookie`);
            assert.strictEqual(result.status, 200);
            assert.strictEqual(result.location, null);
            assert.match(result.body, /Invalid username or password/);
            assert.strictEqual((await session.request("/hub/api/user")).status, 403);
            pages.push(refusalPage(result.body, attempt.username));
        }
        assert.strictEqual(pages[1], pages[0], "empty password answered differently from a wrong one");
        assert.strictEqual(pages[2], pages[0], "unknown user answered differently from a wrong password");
    });

    it("makes the configured admins hub admins, and nobody else", async function () {
        for (const [name, isAdmin] of [[admin, true], [user, false]] as const) {
            const session = new HubSession(hub.url);
            assert.ok((await session.login(name, account(name).password)).loggedIn);
            assert.strictEqual(((await (await session.api("/user")).json()) as { admin: boolean }).admin, isAdmin);
        }
    });

    it("follows changes of the credentials file without a restart", async function () {
        const [added] = makeAccounts(["workshop-03"]);
        writeCredentials(hub.credentialsFile, credentialsOf([account(user), account(admin), added]));
        assert.ok((await new HubSession(hub.url).login(added.username, added.password)).loggedIn, "added account refused");
        assert.strictEqual((await new HubSession(hub.url).login(other, account(other).password)).loggedIn, false, "removed account admitted");
        assert.ok((await new HubSession(hub.url).login(user, account(user).password)).loggedIn, "kept account refused");
    });
});

describe("PregeneratedAuthenticator on its own (JupyterHub 5's Python, no hub)", function () {
    let dir: string;
    let credentials: string;
    let accounts: TestAccount[];

    /** Runs authenticator_probe.py in the hub root and returns its per-step results. */
    function probe(steps: object[]): { op: string; result: unknown; checked: string[] }[] {
        const chrootDir = "/" + path.relative(HUB_ROOT, dir);
        const run = spawnSync(
            "chroot",
            [HUB_ROOT, "python3", `${chrootDir}/probe.py`, `${chrootDir}/module`, `${chrootDir}/credentials.json`],
            { input: JSON.stringify(steps), encoding: "utf8", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" } },
        );
        assert.strictEqual(run.status, 0, `probe failed: ${run.stderr}`);
        return JSON.parse(run.stdout);
    }

    before(function () {
        const missing = hubRootMissing();
        if (missing) {
            console.log(`    skipped: ${missing}`);
            this.skip();
        }
        fs.mkdirSync(path.join(HUB_ROOT, "tmp"), { recursive: true });
        dir = fs.mkdtempSync(path.join(HUB_ROOT, "tmp", "esiphub-auth-"));
        fs.mkdirSync(path.join(dir, "module"));
        fs.copyFileSync(AUTHENTICATOR_FILE, path.join(dir, "module", `${AUTHENTICATOR_MODULE}.py`));
        fs.copyFileSync(path.join(__dirname, "authenticator_probe.py"), path.join(dir, "probe.py"));
        credentials = path.join(dir, "credentials.json");
        accounts = makeAccounts(["workshop-01"]);
        writeCredentials(credentials, credentialsOf(accounts));
    });

    after(function () {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("checks exactly one bcrypt hash of the accounts' cost for every attempt, known user or not", function () {
        const [a] = accounts;
        const steps = probe([
            { op: "authenticate", username: a.username, password: a.password },
            { op: "authenticate", username: a.username, password: "wrong-password" },
            { op: "authenticate", username: a.username, password: "" },
            { op: "authenticate", username: "nobody", password: a.password },
        ]);
        assert.deepStrictEqual(
            steps.map((s) => s.result),
            [a.username, null, null, null],
        );
        for (const step of steps) assert.strictEqual(step.checked.length, 1);
        assert.deepStrictEqual(steps.slice(0, 3).map((s) => s.checked[0]), [a.hash, a.hash, a.hash]);
        // The unknown user's check is against a dummy hash that costs what a real one costs.
        const unknown = steps[3].checked[0];
        assert.notStrictEqual(unknown, a.hash);
        assert.strictEqual(unknown.split("$")[2], String(PROVIDER_BCRYPT_COST));
    });

    it("refuses a password longer than bcrypt's 72 bytes without an error", function () {
        const [a] = accounts;
        const steps = probe([{ op: "authenticate", username: a.username, password: a.password + "é".repeat(60) }]);
        assert.strictEqual(steps[0].result, null);
    });

    it("refuses an empty password even when the stored hash is one of the empty string", function () {
        const steps = probe([
            { op: "write", content: JSON.stringify({ "workshop-09": providerBcryptHash("") }) },
            { op: "authenticate", username: "workshop-09", password: "" },
            { op: "write", content: JSON.stringify(credentialsOf(accounts)) },
        ]);
        assert.strictEqual(steps[1].result, null);
    });

    it("keeps the last good accounts while the file is unreadable JSON, and admits nobody once it is gone", function () {
        const [a] = accounts;
        const steps = probe([
            { op: "allowed", username: a.username },
            { op: "allowed", username: "nobody" },
            { op: "write", content: '{"workshop-01": ' },
            { op: "allowed", username: a.username },
            { op: "write", content: JSON.stringify({ "workshop-02": a.hash, "bad-entry": "not a hash" }) },
            { op: "allowed", username: a.username },
            { op: "allowed", username: "workshop-02" },
            { op: "allowed", username: "bad-entry" },
            { op: "remove" },
            { op: "allowed", username: "workshop-02" },
            { op: "authenticate", username: "workshop-02", password: a.password },
        ]);
        assert.deepStrictEqual(
            steps.map((s) => s.result),
            [true, false, null, true, null, false, true, false, null, false, null],
        );
    });
});
