import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { credentialsOf, makeAccounts } from "./accounts";
import { hubRootMissing, processesWithMarker, startLocalHub } from "./localhub";
import { HubSession } from "./session";
import { waitFor } from "../wait";

describe("local JupyterHub harness (test/hub/localhub.ts)", function () {
    before(function () {
        const missing = hubRootMissing();
        if (missing) {
            console.log(`    skipped: ${missing}`);
            this.skip();
        }
    });

    it("applies the extra config lines after its own", async function () {
        const hub = await startLocalHub({ config: "c.JupyterHub.authenticate_prometheus = False" });
        try {
            const metrics = await fetch(`${hub.url}/hub/metrics`);
            assert.strictEqual(metrics.status, 200, "the metrics need no login, as the extra line says");
            assert.match(await metrics.text(), /jupyterhub_/);
        } finally {
            await hub.stop();
        }
    });

    it("stop() ends the hub, its proxy and the servers it spawned, and removes its directory", async function () {
        const [account] = makeAccounts(["workshop-01"]);
        const hub = await startLocalHub({ credentials: credentialsOf([account]) });
        const marker = path.basename(hub.dir);
        let stopped = false;
        try {
            const session = new HubSession(hub.url);
            assert.ok((await session.login(account.username, account.password)).loggedIn);
            assert.ok((await session.api(`/users/${account.username}/server`, { method: "POST" })).status < 300);
            await waitFor(`${account.username}'s server to answer`, async () => ((await session.request(`/user/${account.username}/api`)).status === 200 ? true : undefined), {
                intervalMs: 500,
                detail: () => hub.log().slice(-2000),
            });
            // The hub, configurable-http-proxy and the single-user server.
            assert.ok(processesWithMarker(marker).length >= 3, `processes: ${processesWithMarker(marker)}`);
            await hub.stop();
            stopped = true;
            assert.deepStrictEqual(processesWithMarker(marker), []);
            assert.strictEqual(fs.existsSync(hub.dir), false);
            await assert.rejects(fetch(`${hub.url}/hub/api`));
        } finally {
            if (!stopped) await hub.stop();
        }
    });
});
