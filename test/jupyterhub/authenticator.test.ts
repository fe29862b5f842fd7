import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { AUTHENTICATOR_FILE, AUTHENTICATOR_MODULE } from "../../components/jupyterhub/hubconfig";
import { PROVIDER_BCRYPT_COST } from "../../components/jupyterhub/accounts";
import { credentialsOf, makeAccounts, providerBcryptHash, TestAccount } from "../hub/accounts";
import { HUB_ROOT, hubRootMissing, LocalHub, startLocalHub, writeCredentials } from "../hub/localhub";
import { HubSession, LoginResult } from "../hub/session";
import { waitFor } from "../wait";
import { runLoadtestCommand } from "../../cli/loadtest";
import { credentialsCsv } from "../../cli/credentials";

/**
 * The test hub's throttle: small bounds, so that a few clients reach them. After THROTTLE.free failures a user name
 * waits an hour (a flood against it costs no check for the rest of the file); one check runs at a time and one waits.
 */
const THROTTLE = { free: 3, waitSeconds: 3600, concurrent: 1, waiting: 1 };
const THROTTLE_CONFIG = [
    `c.PregeneratedAuthenticator.free_failures = ${THROTTLE.free}`,
    `c.PregeneratedAuthenticator.backoff_first_seconds = ${THROTTLE.waitSeconds}`,
    `c.PregeneratedAuthenticator.backoff_max_seconds = ${THROTTLE.waitSeconds}`,
    `c.PregeneratedAuthenticator.max_concurrent_checks = ${THROTTLE.concurrent}`,
    `c.PregeneratedAuthenticator.max_waiting_checks = ${THROTTLE.waiting}`,
].join("\n");

/** A 429 of the authenticator's throttle: Retry-After in whole seconds, the hub's words on the page. */
function assertThrottled(result: LoginResult, words: RegExp): number {
    assert.strictEqual(result.status, 429, `answered ${result.status}: ${result.body.slice(0, 200)}`);
    assert.strictEqual(result.loggedIn, false);
    assert.match(result.retryAfter ?? "", /^[1-9]\d*$/, "a 429 without Retry-After in seconds");
    assert.match(result.body, words);
    return Number(result.retryAfter);
}

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
    // Attendees' accounts that a flood aims at, and one the flood leaves alone.
    const victims = ["workshop-11", "workshop-12"];
    const bystander = "workshop-13";
    const account = (name: string) => accounts.find((a) => a.username === name)!;

    before(async function () {
        const missing = hubRootMissing();
        if (missing) {
            console.log(`    skipped: ${missing}`);
            this.skip();
        }
        accounts = makeAccounts([user, other, admin, ...victims, bystander]);
        hub = await startLocalHub({
            credentials: credentialsOf(accounts),
            // workshop-02 is named an admin by mistake: it is an attendee's account, so the hub must not make it one.
            adminUsers: [admin, other],
            attendeeUsers: [user, other, ...victims, bystander],
            config: THROTTLE_CONFIG,
        });
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

    it("makes the configured admins hub admins, and nobody else: never an attendee's account, even when admin_users names it", async function () {
        for (const [name, isAdmin] of [[admin, true], [user, false], [other, false]] as const) {
            const session = new HubSession(hub.url);
            assert.ok((await session.login(name, account(name).password)).loggedIn);
            assert.strictEqual(((await (await session.api("/user")).json()) as { admin: boolean }).admin, isAdmin);
        }
    });

    it("a flood of wrong passwords from several clients: beyond the free failures each flooded name gets 429 with Retry-After, and another account's correct login goes through while it runs", async function () {
        const results: { username: string; result: LoginResult }[] = [];
        let stop = false;
        const locked = () => victims.every((v) => results.some((r) => r.username === v && r.result.status === 429 && /Too many failed logins/.test(r.result.body)));
        // Six clients (one address, as a room behind its NAT), each hammering the two victims with wrong passwords.
        const clients = Array.from({ length: 6 }, async (_, i) => {
            for (let n = 0; !stop; n++) {
                const username = victims[(i + n) % victims.length];
                results.push({ username, result: await new HubSession(hub.url).login(username, "wrong-password") });
            }
        });
        try {
            await waitFor("both flooded names to be answered 429 (failed logins)", () => (locked() ? true : undefined), { intervalMs: 50 });
            const during = results.length;
            // While the flood goes on: a correct login of an account it does not aim at is checked at once and succeeds.
            const login = await new HubSession(hub.url).login(bystander, account(bystander).password);
            assert.strictEqual(login.status, 302, `the bystander's login answered ${login.status} during the flood: ${login.body.slice(0, 200)}`);
            assert.ok(login.loggedIn);
            await waitFor("the flood to go on after the correct login", () => (results.length > during + 6 ? true : undefined), { intervalMs: 50 });
        } finally {
            stop = true;
            await Promise.all(clients);
        }
        for (const victim of victims) {
            const answers = results.filter((r) => r.username === victim).map((r) => r.result);
            const refused = answers.filter((a) => a.status !== 429);
            // JupyterHub 5.2 answers a checked wrong password with the login form again (5.5: status 403).
            for (const a of refused) assert.match(a.body, /Invalid username or password/);
            // The stated bound: a name's first free failures are checked, every attempt after them is refused unchecked.
            assert.strictEqual(refused.length, THROTTLE.free, `${victim}: ${refused.length} attempts checked`);
            for (const a of answers.filter((x) => x.status === 429)) {
                // Refused for the name (after its failures, or too many of its attempts at once), or while its first
                // attempts were being checked, because the hub was busy with the others.
                const wait = assertThrottled(a, /Too many (failed )?logins for this user name|The hub is busy checking other logins/);
                assert.ok(wait <= THROTTLE.waitSeconds, `Retry-After ${wait}`);
            }
        }
        // The flooded name's own correct password waits out the backoff too: that is what a targeted flood costs its owner.
        assertThrottled(await new HubSession(hub.url).login(victims[0], account(victims[0]).password), /Too many failed logins for this user name\. Try again in \d+ seconds/);
        assert.strictEqual((await new HubSession(hub.url).login(user, account(user).password)).status, 302, "an account the flood left alone is refused");
    });

    it("beyond the checks at once and those waiting, a login is answered 429 with Retry-After at once, without a check", async function () {
        // Distinct unknown names (each within its free failures), many at once, until the hub says it is busy.
        let round = 0;
        let busy: LoginResult | undefined;
        await waitFor("a login answered 429 because the hub is busy checking others", async () => {
            round++;
            const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => new HubSession(hub.url).login(`burst-${round}-${i}`, "wrong-password")));
            for (const r of burst) if (r.status !== 429) assert.match(r.body, /Invalid username or password/);
            busy = burst.find((r) => r.status === 429);
            return busy ? true : undefined;
        }, { intervalMs: 10 });
        assertThrottled(busy!, /The hub is busy checking other logins\. Try again in \d+ seconds?\./);
        // No check was queued for it: once the burst is over, a correct login is checked at once.
        assert.strictEqual((await new HubSession(hub.url).login(other, account(other).password)).status, 302);
    });

    it("the load tester gets every user through a throttled hub: its 429s are waited out as Retry-After asks", async function () {
        // Three users at once against one check at a time and one waiting: the third login may be told to wait.
        const users = [user, other, bystander].map(account);
        const dir = fs.mkdtempSync(path.join(HUB_ROOT, "tmp", "esiphub-loadtest-"));
        try {
            const file = path.join(dir, "accounts.csv");
            fs.writeFileSync(file, credentialsCsv(users), { mode: 0o600 });
            const out: string[] = [];
            const sink = { write: (text: string) => out.push(text) };
            const { exitCode, report } = await runLoadtestCommand({ hub: hub.url, credentials: file, users: users.length, concurrency: users.length, stop: true, json: true }, { stdout: sink, stderr: sink });
            assert.strictEqual(exitCode, 0, out.join(""));
            assert.strictEqual(report.succeeded, users.length, out.join(""));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
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
    function probe(steps: object[]): { op: string; result: any; checked: string[] }[] {
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
        accounts = makeAccounts(["workshop-01", "workshop-02"]);
        writeCredentials(credentials, credentialsOf(accounts));
    });

    after(function () {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    type Step = { op: string; result: any; checked: string[] };

    /** Runs the scenarios (name → steps) in one probe process, in order, and returns each one's steps. */
    function probeScenarios(scenarios: Record<string, () => object[]>): Record<string, Step[]> {
        const names = Object.keys(scenarios);
        const lists = names.map((name) => scenarios[name]());
        const steps = probe(lists.flat());
        const results: Record<string, Step[]> = {};
        let offset = 0;
        names.forEach((name, i) => {
            results[name] = steps.slice(offset, offset + lists[i].length);
            offset += lists[i].length;
        });
        return results;
    }

    describe("the accounts file and bcrypt (one probe process; each scenario starts a fresh authenticator)", function () {
        const fresh = { op: "configure", traits: {} };
        let results: Record<string, Step[]>;

        before(function () {
            const [a] = accounts;
            results = probeScenarios({
                oneHashEach: () => [
                    fresh,
                    { op: "authenticate", username: a.username, password: a.password },
                    { op: "authenticate", username: a.username, password: "wrong-password" },
                    { op: "authenticate", username: a.username, password: "" },
                    { op: "authenticate", username: "nobody", password: a.password },
                ],
                longPassword: () => [fresh, { op: "authenticate", username: a.username, password: a.password + "é".repeat(60) }],
                emptyHash: () => [
                    fresh,
                    { op: "write", content: JSON.stringify({ "workshop-09": providerBcryptHash("") }) },
                    { op: "authenticate", username: "workshop-09", password: "" },
                    { op: "write", content: JSON.stringify(credentialsOf(accounts)) },
                ],
                // Last: it removes the credentials file.
                lastGood: () => [
                    fresh,
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
                ],
            });
        });

        it("checks exactly one bcrypt hash of the accounts' cost for every attempt, known user or not", function () {
            const [a] = accounts;
            const steps = results.oneHashEach.slice(1);
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
            assert.strictEqual(results.longPassword[1].result, null);
        });

        it("refuses an empty password even when the stored hash is one of the empty string", function () {
            assert.strictEqual(results.emptyHash[2].result, null);
        });

        it("keeps the last good accounts while the file is unreadable JSON, and admits nobody once it is gone", function () {
            assert.deepStrictEqual(
                results.lastGood.slice(1).map((s) => s.result),
                [true, false, null, true, null, false, true, false, null, false, null],
            );
        });
    });

    describe("throttling and admins (one probe process for all scenarios; each starts a fresh authenticator and clock)", function () {
        const wrong = (username: string) => ({ op: "authenticate", username, password: "wrong-password" });
        const attempt = (a: TestAccount) => ({ op: "authenticate", username: a.username, password: a.password });
        const scenarios: Record<string, () => object[]> = {
            backoff: () => {
                const [a, b] = accounts;
                return [
                    { op: "configure", traits: { free_failures: 3, backoff_first_seconds: 1, backoff_max_seconds: 4 } },
                    wrong(a.username), wrong(a.username), wrong(a.username),
                    wrong(a.username), attempt(a),
                    attempt(b),
                    { op: "advance", seconds: 1 },
                    wrong(a.username), wrong(a.username),
                    { op: "advance", seconds: 2 },
                    wrong(a.username),
                    { op: "advance", seconds: 4 },
                    wrong(a.username), wrong(a.username),
                    { op: "advance", seconds: 4 },
                    attempt(a), wrong(a.username), wrong(a.username), wrong(a.username),
                ];
            },
            unknownLikeKnown: () => [
                { op: "configure", traits: { free_failures: 3 } },
                ...Array.from({ length: 4 }, () => wrong(accounts[0].username)),
                ...Array.from({ length: 4 }, () => wrong("nobody")),
            ],
            boundedChecks: () => [
                { op: "configure", traits: { max_concurrent_checks: 1, max_waiting_checks: 2 } },
                { op: "burst", attempts: Array.from({ length: 8 }, (_, i) => ({ username: `someone-${i}`, password: "wrong-password" })) },
                attempt(accounts[0]),
            ],
            nameAtOnce: () => {
                const [a, b] = accounts;
                return [
                    { op: "configure", traits: { free_failures: 3 } },
                    { op: "burst", attempts: Array.from({ length: 6 }, () => ({ username: a.username, password: "wrong-password" })) },
                    { op: "burst", attempts: [b, b].map((x) => ({ username: x.username, password: x.password })) },
                ];
            },
            attendeeAdmins: () => [
                { op: "configure", traits: { admin_users: ["instructor", "workshop-01"], attendee_users: ["workshop-01", "workshop-02"] } },
                { op: "admins" },
                ...["workshop-01", "instructor", "workshop-02", "helper"].map((username) => ({ op: "is_admin", username })),
            ],
            tracked: () => [
                { op: "configure", traits: { tracked_names: 3 } },
                ...Array.from({ length: 6 }, (_, i) => wrong(`someone-${i}`)),
                { op: "tracked" },
            ],
        };
        let results: Record<string, Step[]>;

        before(function () {
            // The cases above remove the credentials file at their end.
            writeCredentials(credentials, credentialsOf(accounts));
            results = probeScenarios(scenarios);
        });

        const refusedBefore = (step: Step, words: RegExp, retryAfter?: string) => {
            assert.strictEqual(step.result?.status, 429, JSON.stringify(step.result));
            assert.match(step.result.message, words);
            if (retryAfter !== undefined) assert.strictEqual(step.result.retry_after, retryAfter);
            else assert.match(step.result.retry_after, /^[1-9]\d*$/);
            assert.deepStrictEqual(step.checked, [], "a throttled attempt was hashed");
        };

        it("after the free failures a user name waits, then twice as long, at most the cap, with no bcrypt check; its own right password waits too, other names do not", function () {
            const [a, b] = accounts;
            const steps = results.backoff;
            const locked = /^Too many failed logins for this user name\. Try again in \d+ seconds?\.$/;
            for (const i of [1, 2, 3]) assert.deepStrictEqual([steps[i].result, steps[i].checked], [null, [a.hash]], `free failure ${i}`);
            refusedBefore(steps[4], locked, "1");
            refusedBefore(steps[5], locked, "1");
            assert.deepStrictEqual([steps[6].result, steps[6].checked], [b.username, [b.hash]], "another name is throttled too");
            // 1 s later: one check, failed, and twice the wait.
            assert.deepStrictEqual([steps[8].result, steps[8].checked], [null, [a.hash]]);
            refusedBefore(steps[9], locked, "2");
            assert.strictEqual(steps[11].result, null);
            // 4 s, then capped at 4 s (not 8).
            assert.strictEqual(steps[13].result, null);
            refusedBefore(steps[14], locked, "4");
            // A success forgets the failures: the free ones are free again.
            assert.deepStrictEqual([steps[16].result, steps[16].checked], [a.username, [a.hash]]);
            for (const i of [17, 18, 19]) assert.deepStrictEqual([steps[i].result, steps[i].checked], [null, [a.hash]]);
        });

        it("an unknown name is throttled exactly as an account is, so the answers tell no account apart", function () {
            const steps = results.unknownLikeKnown;
            const known = steps.slice(1, 5).map((s) => [s.result, s.checked.length]);
            const unknown = steps.slice(5, 9).map((s) => [s.result, s.checked.length]);
            assert.deepStrictEqual(unknown, known);
            assert.strictEqual(known[3][0].status, 429);
        });

        it("checks at once are bounded: beyond max_concurrent_checks + max_waiting_checks an attempt is answered 429 with Retry-After before any hash", function () {
            const steps = results.boundedChecks;
            const burst = steps[1].result as any[];
            // Admitted in the order they came: one checking, two waiting; the other five refused at once.
            assert.deepStrictEqual(burst.slice(0, 3), [null, null, null]);
            for (const r of burst.slice(3)) {
                assert.strictEqual(r.status, 429);
                assert.match(r.message, /^The hub is busy checking other logins\. Try again in \d+ seconds?\.$/);
                assert.match(r.retry_after, /^[1-9]\d*$/);
            }
            assert.strictEqual(steps[1].checked.length, 3, "only the admitted attempts were hashed");
            // Once they are done, the next login is checked.
            assert.deepStrictEqual([steps[2].result, steps[2].checked.length], [accounts[0].username, 1]);
        });

        it("a name's attempts at once count against its free failures (a double click is fine; a flood of one name is not)", function () {
            const steps = results.nameAtOnce;
            const flood = steps[1].result as any[];
            assert.deepStrictEqual(flood.slice(0, 3), [null, null, null]);
            for (const r of flood.slice(3)) assert.match(r.message, /^Too many logins for this user name at once\./);
            assert.strictEqual(steps[1].checked.length, 3);
            assert.deepStrictEqual(steps[2].result, [accounts[1].username, accounts[1].username]);
        });

        it("never makes an attendee's account an admin, whatever admin_users says; leaves the others to JupyterHub (None)", function () {
            // JupyterHub 5's Authenticator.is_admin answers True for admin_users and None ("do not change") otherwise
            // (jupyterhub/auth.py); an attendee's account gets False, which also revokes an admin flag kept in the database.
            assert.deepStrictEqual(results.attendeeAdmins.slice(1).map((s) => s.result), [["instructor"], false, true, false, null]);
        });

        it("remembers the failures of at most tracked_names names, the most recent", function () {
            assert.deepStrictEqual(results.tracked[7].result, ["someone-3", "someone-4", "someone-5"]);
        });
    });
});
