import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { materialsHookConfig, MATERIALS_HOOK_FILE, MATERIALS_HOOK_MODULE } from "../../components/jupyterhub/hubconfig";
import { hubValues, MATERIALS_VOLUME } from "../../components/jupyterhub/values";
import { findExecutable } from "../../cli/automation";
import { credentialsOf, makeAccounts, TestAccount } from "../hub/accounts";
import { HUB_ROOT, hubRootMissing, LocalHub, startLocalHub } from "../hub/localhub";
import { HubSession } from "../hub/session";
import { testConfig } from "../mocks";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server's extra volume mounts exactly as the values give them to the chart. */
function extraVolumeMounts(): Record<string, unknown>[] {
    const values = hubValues({
        config: testConfig("jetstream"),
        storageClassName: "nfs-client",
        scratchClaimName: "esiphub-scratch",
        materialsClaimName: "esiphub-materials",
        hubDbClaimName: "esiphub-hub-db",
        masterPrivateIp: "10.42.0.10",
        credentialsSecretName: "esiphub-credentials",
        hubSecretName: "esiphub-hub-secret",
        hostname: "hub.esipfed.org",
    }) as { singleuser: { storage: { extraVolumeMounts: Record<string, unknown>[] } } };
    return values.singleuser.storage.extraVolumeMounts;
}

/**
 * `volume_mounts` as Zero-to-JupyterHub 4.4.0 hands them to KubeSpawner: a dict, the home first, then the
 * extraVolumeMounts list under the keys `<index>-<name>` (jupyterhub/files/hub/jupyterhub_config.py).
 */
function z2jhVolumeMounts(): Record<string, Record<string, unknown>> {
    const mounts: Record<string, Record<string, unknown>> = { "volume-{user_server}": { mountPath: "/home/jovyan", name: "volume-{user_server}", subPath: "" } };
    extraVolumeMounts().forEach((m, i) => (mounts[`${i}-${m.name}`] = m));
    return mounts;
}

describe("materials hook (components/jupyterhub/esiphub_materials.py)", function () {
    describe("in a real JupyterHub 5 (Debian trixie, chrooted), configured the way the chart's extraConfig does", function () {
        let hub: LocalHub;
        let accounts: TestAccount[];
        let recordDir: string;
        const [participant, instructor] = ["workshop-01", "instructor"];

        before(async function () {
            const missing = hubRootMissing();
            if (missing) {
                console.log(`    skipped: ${missing}`);
                this.skip();
            }
            fs.mkdirSync(path.join(HUB_ROOT, "tmp"), { recursive: true });
            recordDir = fs.mkdtempSync(path.join(HUB_ROOT, "tmp", "esiphub-materials-"));
            const inRoot = "/" + path.relative(HUB_ROOT, recordDir);
            // The module where the chart's hub.extraFiles put it, next to the hub's config.
            fs.copyFileSync(MATERIALS_HOOK_FILE, path.join(recordDir, `${MATERIALS_HOOK_MODULE}.py`));
            accounts = makeAccounts([participant, instructor]);
            hub = await startLocalHub({
                credentials: credentialsOf(accounts),
                adminUsers: [instructor],
                config: [
                    "import json, os",
                    "from traitlets import Dict, List, Union",
                    "from jupyterhub.spawner import SimpleLocalProcessSpawner",
                    "class MountsSpawner(SimpleLocalProcessSpawner):",
                    "    # As KubeSpawner 7 declares it (kubespawner/spawner.py): a list or a dict of mounts.",
                    "    volume_mounts = Union([List(), Dict()], config=True)",
                    "    def start(self):",
                    `        with open(os.path.join(${JSON.stringify(inRoot)}, self.user.name + ".json"), "w") as f:`,
                    "            json.dump(self.volume_mounts, f)",
                    "        return super().start()",
                    "c.JupyterHub.spawner_class = MountsSpawner",
                    `c.MountsSpawner.volume_mounts = json.loads(${JSON.stringify(JSON.stringify(z2jhVolumeMounts()))})`,
                    // The local hub picks server ports in its own pre_spawn_hook: keep it, then run ours.
                    "esiphub_ports = c.Spawner.pre_spawn_hook",
                    materialsHookConfig({ moduleDir: inRoot, volumeName: MATERIALS_VOLUME }),
                    "esiphub_materials_hook = c.Spawner.pre_spawn_hook",
                    "def esiphub_both(spawner):",
                    "    esiphub_ports(spawner)",
                    "    esiphub_materials_hook(spawner)",
                    "c.Spawner.pre_spawn_hook = esiphub_both",
                ].join("\n"),
            });
        });

        after(async function () {
            await hub?.stop();
            if (recordDir) fs.rmSync(recordDir, { recursive: true, force: true });
        });

        async function mountsWhenStarted(username: string): Promise<Record<string, Record<string, unknown>>> {
            const session = new HubSession(hub.url);
            const login = await session.login(username, accounts.find((a) => a.username === username)!.password);
            assert.strictEqual(login.status, 302, `login of ${username}: ${login.status}`);
            const start = await session.api(`/users/${username}/server`, { method: "POST" });
            assert.ok([201, 202].includes(start.status), `start of ${username} answered ${start.status}: ${await start.text()}`);
            const file = path.join(recordDir, `${username}.json`);
            // A guard, not a measurement: the spawner writes the file before it starts the server.
            for (let i = 0; i < 600 && !fs.existsSync(file); i++) await sleep(100);
            assert.ok(fs.existsSync(file), `the spawner of ${username} never started; hub log:\n${hub.log().slice(-2000)}`);
            await session.api(`/users/${username}/server`, { method: "DELETE" });
            return JSON.parse(fs.readFileSync(file, "utf8"));
        }

        it("an admin's server gets the materials writable, everything else as configured", async function () {
            const mounts = await mountsWhenStarted(instructor);
            const configured = z2jhVolumeMounts();
            assert.deepStrictEqual(Object.keys(mounts), Object.keys(configured));
            assert.deepStrictEqual(mounts["1-esiphub-materials"], { ...configured["1-esiphub-materials"], readOnly: false });
            for (const key of Object.keys(configured).filter((k) => k !== "1-esiphub-materials")) assert.deepStrictEqual(mounts[key], configured[key]);
            assert.match(hub.log(), /esiphub: instructor may write the esiphub-materials mount \(admin\)/);
        });

        it("a participant's server, started after the admin's, still gets them read-only", async function () {
            const mounts = await mountsWhenStarted(participant);
            assert.deepStrictEqual(mounts, z2jhVolumeMounts());
            assert.strictEqual(mounts["1-esiphub-materials"].readOnly, true);
        });
    });

    it("handles KubeSpawner's list form of volume_mounts too, without changing the list it was given", function () {
        const python = findExecutable("python3", process.env.PATH);
        if (!python) {
            if (process.env.CI === "true") throw new Error("python3 is missing: install the Debian package python3 (listed in .ci/apt-packages.txt)");
            console.log("    skipped: no python3 on PATH (apt-get install python3)");
            this.skip();
        }
        const mounts = extraVolumeMounts();
        const script = [
            "import json, sys",
            `sys.path.insert(0, ${JSON.stringify(path.dirname(MATERIALS_HOOK_FILE))})`,
            "from esiphub_materials import writable_copy",
            "given = json.loads(sys.stdin.read())",
            "before = json.dumps(given)",
            `out = writable_copy(given, ${JSON.stringify(MATERIALS_VOLUME)})`,
            "assert json.dumps(given) == before, 'the given list was changed'",
            "print(json.dumps(out))",
        ].join("\n");
        const run = spawnSync(python!, ["-c", script], { input: JSON.stringify(mounts), encoding: "utf8" });
        assert.strictEqual(run.status, 0, run.stderr);
        assert.deepStrictEqual(JSON.parse(run.stdout), [mounts[0], { ...mounts[1], readOnly: false }]);
    });
});
