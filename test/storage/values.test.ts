import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { testConfig, PROJECT_DIR, SITES } from "../mocks";
import { renderScript, ScriptParams, scriptBody, scriptHash } from "../../components/remote";
import {
    HUB_DB,
    hubDbDirParams,
    MATERIALS_CLAIM_NAME,
    NFS_EXPORT_DIR,
    nfsServerParams,
    PROVISIONER_CHART,
    provisionerValues,
    quotaEnforcer,
    SCRATCH_CLAIM_NAME,
    storageScript,
    StorageScriptName,
    USER_DIR_PATTERN,
} from "../../components/storage/values";
import { StubHost } from "./stubs";

const SHARED_DIR = process.env.ESIPHUB_SHARED || path.resolve(PROJECT_DIR, "../shared");
const CHART_DIR = path.join(SHARED_DIR, "nfs-subdir");

type Tree = Record<string, unknown>;
const isMap = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Dotted paths of every value set in `values` that the chart does not have. A key is known when the chart's
 * default values have it at the same place (its default may be empty); a map may only be set where the chart
 * has a map, and only with keys that map has, unless the chart's map is empty ({}: free-form, like `labels`).
 */
function unknownKeys(values: Tree, defaults: Tree, prefix = ""): string[] {
    return Object.entries(values).flatMap(([key, value]) => {
        const dotted = `${prefix}${key}`;
        if (!(key in defaults)) return [dotted];
        const known = defaults[key];
        if (isMap(value) && isMap(known)) return Object.keys(known).length === 0 ? [] : unknownKeys(value, known, `${dotted}.`);
        if (isMap(value) && known !== null) return [`${dotted} (a map where the chart has ${JSON.stringify(known)})`];
        // A map where the chart's default is empty: its keys cannot be checked against anything.
        if (isMap(value)) return Object.keys(value).map((k) => `${dotted}.${k}`);
        return [];
    });
}

describe("storage values", function () {
    describe("nfs-subdir-external-provisioner chart values", function () {
        let defaults: Tree;
        before(function () {
            const file = path.join(CHART_DIR, "values.yaml");
            if (!fs.existsSync(file)) {
                console.log(`      skipped: put the chart's values.yaml (nfs-subdir-external-provisioner ${PROVISIONER_CHART.version}) at ${file}, or set ESIPHUB_SHARED to the folder holding nfs-subdir/`);
                this.skip();
            }
            defaults = YAML.parse(fs.readFileSync(file, "utf8"));
            const chart = YAML.parse(fs.readFileSync(path.join(CHART_DIR, "Chart.yaml"), "utf8"));
            assert.strictEqual(chart.version, PROVISIONER_CHART.version, `${CHART_DIR} holds chart ${chart.version}, the program pins ${PROVISIONER_CHART.version}`);
            assert.strictEqual(chart.name, PROVISIONER_CHART.chart);
        });

        for (const site of SITES) {
            it(`sets only keys the chart has (${site})`, function () {
                assert.deepStrictEqual(unknownKeys(provisionerValues(testConfig(site), "10.42.0.5"), defaults), []);
            });
        }

        it("the key check rejects a misspelled key, a key at the wrong level and a map on a plain value", function () {
            assert.deepStrictEqual(unknownKeys({ storageClass: { defaultclass: true } }, defaults), ["storageClass.defaultclass"]);
            assert.deepStrictEqual(unknownKeys({ pathPattern: "x" }, defaults), ["pathPattern"]);
            assert.deepStrictEqual(unknownKeys({ nfs: { path: { sub: "x" } } }, defaults), ['nfs.path (a map where the chart has "/nfs-storage")']);
            assert.deepStrictEqual(unknownKeys({ nfs: { server: { host: "x" } } }, defaults), ["nfs.server.host"]);
            assert.deepStrictEqual(unknownKeys({ nfs: { server: "10.0.0.1" }, storageClass: { pathPattern: "a/b" }, labels: { team: "esip" } }, defaults), []);
        });
    });

    it("points the provisioner at the NFS host's export with a default, retaining StorageClass", function () {
        const config = testConfig("jetstream");
        assert.deepStrictEqual(provisionerValues(config, "10.42.0.7"), {
            nfs: { server: "10.42.0.7", path: NFS_EXPORT_DIR, mountOptions: ["nfsvers=4.2", "noatime"], reclaimPolicy: "Retain" },
            storageClass: {
                name: "nfs-client",
                defaultClass: true,
                reclaimPolicy: "Retain",
                archiveOnDelete: true,
                pathPattern: "${.PVC.namespace}/${.PVC.name}",
            },
        });
        const renamed = provisionerValues(testConfig("aws", { "esiphub:storageClass": "homes" }), "10.44.0.9") as { storageClass: { name: string } };
        assert.strictEqual(renamed.storageClass.name, "homes");
    });

    it("user directories are <namespace>/<claim>, where the quota enforcer looks for them", function () {
        const config = testConfig("nebula", { "esiphub:hubNamespace": "workshop" });
        const env = nfsServerParams(config, "0c9d2a4e-5b7f-4e3a-9c1d-2f6e8a0b4c7d");
        assert.strictEqual(USER_DIR_PATTERN.replace("${.PVC.namespace}", "workshop").replace("${.PVC.name}", "claim-workshop-01"), "workshop/claim-workshop-01");
        assert.strictEqual(env.ESIPHUB_QUOTA_PARENT, "workshop");
    });

    it("gives the scratch and the materials directories quotas of their own sizes", function () {
        const env = nfsServerParams(testConfig("jetstream", { "esiphub:scratchSize": "300Gi", "esiphub:materialsSize": "25G" }), "/dev/vdb");
        assert.strictEqual(env.ESIPHUB_QUOTA_SHARED, `${SCRATCH_CLAIM_NAME}=${300 * 1024 ** 3} ${MATERIALS_CLAIM_NAME}=${25e9}`);
    });

    it("passes the site's subnet, per-user size and the enforcer to nfs-server.sh", function () {
        const env = nfsServerParams(testConfig("aws", { "esiphub:storagePerUser": "5Gi" }), "vol0123456789abcdef0");
        assert.strictEqual(env.ESIPHUB_VOLUME_SERIAL, "vol0123456789abcdef0");
        assert.strictEqual(env.ESIPHUB_EXPORT_CIDR, "10.44.0.0/24");
        assert.strictEqual(env.ESIPHUB_QUOTA_BYTES, String(5 * 1024 ** 3));
        assert.strictEqual(env.ESIPHUB_NFS_ANON_UID, "1000");
        assert.strictEqual(Buffer.from(env.ESIPHUB_QUOTA_SCRIPT_B64, "base64").toString("utf8"), quotaEnforcer());
    });

    it("the quota enforcer is installed as nfs-quota.sh rendered with lib.sh and no parameters (its unit gives them)", function () {
        const enforcer = quotaEnforcer();
        assert.strictEqual(enforcer, renderScript(storageScript("nfs-quota"), {}));
        assert.ok(enforcer.startsWith("#!/usr/bin/env bash\n"), "runs as a file: a shebang first");
        assert.ok(enforcer.endsWith(scriptBody(storageScript("nfs-quota"))));
        assert.doesNotMatch(enforcer, /^export /m);
    });

    it("nfs-server.sh accepts exactly the environment the program gives it", function () {
        const host = new StubHost();
        try {
            const serial = "0c9d2a4e-5b7f-4e3a-9c1d-2f6e8a0b4c7d";
            host.setDisks([{ name: "sda" }, { name: "sdb", serial, byId: [`scsi-0QEMU_QEMU_HARDDISK_${serial.slice(0, 20)}`] }]);
            const env = {
                ...nfsServerParams(testConfig("jetstream"), serial),
                ESIPHUB_DEVICE_TIMEOUT: "0",
                // Ownership the test's user can give without root.
                ESIPHUB_NFS_ANON_UID: String(process.getuid!()),
                ESIPHUB_NFS_ANON_GID: String(process.getgid!()),
            };
            const result = host.run("nfs-server", env);
            assert.strictEqual(result.status, 0, result.stderr);
            assert.ok(fs.statSync(host.at(`${NFS_EXPORT_DIR}/jhub`)).isDirectory());
            assert.match(fs.readFileSync(host.at("etc/exports.d/esiphub.exports"), "utf8"), /^\/srv\/esiphub 10\.42\.0\.0\/24\(/);
        } finally {
            host.cleanup();
        }
    });

    it("hub-db-dir.sh gets the hub's uid and the directory of the local volume", function () {
        assert.deepStrictEqual(hubDbDirParams(), { ESIPHUB_HUB_DB_DIR: HUB_DB.dir, ESIPHUB_HUB_DB_UID: "1000", ESIPHUB_HUB_DB_GID: "1000" });
    });

    it("each script gets every parameter it requires, and only parameters it reads", function () {
        const given: [StorageScriptName, ScriptParams][] = [
            ["nfs-server", nfsServerParams(testConfig("jetstream"), "0c9d2a4e-5b7f-4e3a-9c1d-2f6e8a0b4c7d")],
            ["hub-db-dir", hubDbDirParams()],
        ];
        for (const [name, params] of given) {
            const script = fs.readFileSync(storageScript(name).file, "utf8");
            const required = [...script.matchAll(/^\s*require_env ([A-Z0-9_ ]+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/));
            assert.ok(required.length > 0, `${name} requires its parameters with require_env`);
            for (const key of required) assert.ok(key in params, `${name}: ${key} is required and given`);
            for (const key of Object.keys(params)) assert.ok(script.includes(`\${${key}`) || script.includes(`$${key}`), `${name} reads ${key}`);
        }
    });

    it("every script starts its work on its last line, once bash has read all of it (see lib.sh)", function () {
        for (const name of ["nfs-server", "nfs-quota", "hub-db-dir"] as const) {
            assert.ok(fs.readFileSync(storageScript(name).file, "utf8").trimEnd().endsWith("\nmain"), name);
        }
    });

    it("hashes what each script runs, lib.sh included (the remote commands' triggers)", function () {
        const server = storageScript("nfs-server");
        assert.strictEqual(scriptHash(server), crypto.createHash("sha256").update(scriptBody(server)).digest("hex"));
        assert.ok(scriptBody(server).startsWith(fs.readFileSync(path.join(PROJECT_DIR, "components/scripts/lib.sh"), "utf8")));
        const hashes = (["nfs-server", "nfs-quota", "hub-db-dir"] as const).map((name) => scriptHash(storageScript(name)));
        assert.strictEqual(new Set(hashes).size, 3);
    });
});
