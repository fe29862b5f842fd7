/**
 * esiphub:maxServers in a REAL JupyterHub 5 (Debian trixie's, chrooted, on 127.0.0.1): the limit our chart values
 * give, set the way the chart sets it, refuses the server beyond it and lets it start once another has stopped.
 */
import * as assert from "assert";
import { hubValues } from "../../components/jupyterhub/values";
import { credentialsOf, makeAccounts, TestAccount } from "../hub/accounts";
import { hubRootMissing, LocalHub, startLocalHub } from "../hub/localhub";
import { HubSession } from "../hub/session";
import { testConfig } from "../mocks";
import { waitFor } from "../wait";

interface ServerModel {
    server: string | null;
    pending: string | null;
    servers?: Record<string, { ready?: boolean }>;
}

async function model(session: HubSession, username: string): Promise<ServerModel> {
    return (await (await session.api(`/users/${username}`)).json()) as ServerModel;
}

describe("esiphub:maxServers in a real JupyterHub 5: active_server_limit", function () {
    let hub: LocalHub;
    let accounts: TestAccount[];
    let limit: number;
    const sessions = new Map<string, HubSession>();

    before(async function () {
        const missing = hubRootMissing();
        if (missing) {
            console.log(`    skipped: ${missing}`);
            this.skip();
        }
        // Three accounts, two servers at once.
        const config = testConfig("jetstream", { "esiphub:users": "3", "esiphub:extraUsers": "[]", "esiphub:adminUsers": "[]", "esiphub:maxServers": "2" });
        const values = hubValues({
            config,
            storageClassName: "nfs-client",
            scratchClaimName: "scratch",
            materialsClaimName: "materials",
            hubDbClaimName: "hub-db",
            masterPrivateIp: "10.42.0.10",
            credentialsSecretName: "credentials",
            hubSecretName: "hub-secret",
            hostname: config.hub.hostname,
        }) as { hub: { activeServerLimit?: number } };
        limit = values.hub.activeServerLimit!;
        assert.strictEqual(limit, 2);
        accounts = makeAccounts(config.hub.users);
        // As the chart's files/hub/jupyterhub_config.py (z2jh 4.4.0) sets it: hub.activeServerLimit → active_server_limit.
        hub = await startLocalHub({ credentials: credentialsOf(accounts), config: `c.JupyterHub.active_server_limit = ${limit}` });
        for (const account of accounts) {
            const session = new HubSession(hub.url);
            assert.ok((await session.login(account.username, account.password)).loggedIn, `${account.username} logs in`);
            sessions.set(account.username, session);
        }
    });

    after(async function () {
        await hub?.stop();
    });

    const start = (username: string) => sessions.get(username)!.api(`/users/${username}/server`, { method: "POST" });
    const ready = (username: string) =>
        waitFor(`the server of ${username} to become ready`, async () => ((await model(sessions.get(username)!, username)).servers?.[""]?.ready ? true : undefined), {
            intervalMs: 500,
            detail: () => hub.log().slice(-2000),
        });

    it("the server beyond the limit is refused with 429, and starts once another has stopped", async function () {
        const [first, second, third] = accounts.map((a) => a.username);
        for (const user of [first, second]) {
            const res = await start(user);
            assert.ok([201, 202].includes(res.status), `${user}: ${res.status} ${await res.text()}`);
        }
        await Promise.all([ready(first), ready(second)]);

        // jupyterhub/handlers/base.py spawn_single_user: a plain HTTPError, so no Retry-After (unlike the
        // concurrent_spawn_limit's 429); the load tester backs off on its own then (cli/loadtest/http.ts).
        const refused = await start(third);
        assert.strictEqual(refused.status, 429);
        assert.strictEqual(((await refused.json()) as { message: string }).message, "Active user limit exceeded. Try again in a few minutes.");
        assert.strictEqual(refused.headers.get("retry-after"), null);
        assert.match(hub.log(), /2 servers active, no space available/);
        const waiting = await model(sessions.get(third)!, third);
        assert.strictEqual(waiting.server, null, "nothing of the refused server is left pending");
        assert.strictEqual(waiting.pending, null);

        const stop = await sessions.get(first)!.api(`/users/${first}/server`, { method: "DELETE" });
        assert.ok([202, 204].includes(stop.status), `stop: ${stop.status}`);
        // A server counts until it has completely stopped.
        await waitFor(`the server of ${first} to stop`, async () => {
            const m = await model(sessions.get(first)!, first);
            return m.server === null && m.pending === null ? true : undefined;
        });
        const admitted = await start(third);
        assert.ok([201, 202].includes(admitted.status), `${third}: ${admitted.status} ${await admitted.text()}`);
        await ready(third);
    });
});
