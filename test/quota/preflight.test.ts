import * as assert from "assert";
import { spawn } from "child_process";
import * as path from "path";
import { endpointOf } from "../../components/quota/openstack";

interface FirstRun {
    error?: string;
    registered: string[];
}

/** Runs test/quota/firstrun.ts in a child process; the guard only says what hung. */
function firstRun(run: Record<string, unknown>): Promise<FirstRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "firstrun.ts"), JSON.stringify(run)], {
            cwd: path.resolve(__dirname, "../.."),
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const guard = setTimeout(() => child.kill("SIGKILL"), 10 * 60 * 1000);
        child.on("close", (code) => {
            clearTimeout(guard);
            const line = stdout.split("\n").find((l) => l.startsWith("{"));
            if (!line) return reject(new Error(`the planned run of ${JSON.stringify(run)} printed no result (exit ${code}; killed after 10 minutes if null): ${stderr.slice(0, 2000)}`));
            resolve(JSON.parse(line));
        });
    });
}

describe("quota preflight: nothing is created when the project cannot hold the site", function () {
    this.timeout(11 * 60 * 1000);
    const runs: Record<string, Promise<FirstRun>> = {};
    before(() => {
        const cases: Record<string, Record<string, unknown>> = {
            jetstream1500: { site: "jetstream", overrides: { "esiphub:dataVolumeSize": "1500" } },
            jetstream1500raised: { site: "jetstream", overrides: { "esiphub:dataVolumeSize": "1500" }, quotas: { gigabytes: 2000 } },
            awsNewAccount: { site: "aws", quotas: { vcpus: 5 } },
        };
        for (const [key, run] of Object.entries(cases)) {
            runs[key] = firstRun(run);
            runs[key].catch(() => undefined); // reported by the test that awaits it
        }
    });

    it("a 1500 GB data volume on a default Jetstream2 allocation: the quota message, and no resource registered", async () => {
        const run = await runs.jetstream1500;
        assert.match(String(run.error), /esiphub: the site does not fit the project's quotas, so nothing was created:\n {2}- gigabytes \(Cinder\): the site needs 1500 GB, 1000 GB left of 1000 \(0 in use\); lower esiphub:dataVolumeSize/);
        assert.doesNotMatch(String(run.error), /- (cores|ram|instances|volumes|routers)/, "only the short quota is named");
        // The stack and the component only: the engine was asked to create nothing in the cloud.
        assert.deepStrictEqual(run.registered, ["pulumi:pulumi:Stack", "esiphub:openstack:Hosts"]);
    });

    it("the same site plans with the quota raised (--quota gigabytes=2000)", async () => {
        const run = await runs.jetstream1500raised;
        assert.strictEqual(run.error, undefined);
        assert.ok(run.registered.includes("openstack:blockstorage/volume:Volume"));
    });

    it("AWS: an account with a new account's 5 vCPUs refuses the 36-vCPU stack before the VPC", async () => {
        const run = await runs.awsNewAccount;
        assert.match(String(run.error), /- vcpus \(L-1216C47A\): the site needs 36 vCPUs, 5 vCPUs left of 5 \(0 in use\)/);
        assert.deepStrictEqual(run.registered, ["pulumi:pulumi:Stack", "esiphub:aws:Hosts"]);
    });
});

describe("quota preflight: reading OpenStack's reports", () => {
    const catalog = [
        {
            id: "1",
            name: "cinderv3",
            type: "volumev3",
            endpoints: [
                { id: "a", interface: "internal", region: "IU", regionId: "IU", url: "http://10.0.0.5:8776/v3/p" },
                { id: "b", interface: "public", region: "IU", regionId: "IU", url: "https://js2.jetstream-cloud.org:8776/v3/p" },
                { id: "c", interface: "public", region: "TACC", regionId: "TACC", url: "https://tacc.example/v3/p" },
            ],
        },
        { id: "2", name: "neutron", type: "network", endpoints: [{ id: "d", interface: "public", region: "IU", regionId: "IU", url: "https://js2.jetstream-cloud.org:9696/" }] },
    ];

    it("takes the public endpoint of the region, without a trailing slash", () => {
        assert.strictEqual(endpointOf(catalog, ["volumev3", "block-storage"], "IU"), "https://js2.jetstream-cloud.org:8776/v3/p");
        assert.strictEqual(endpointOf(catalog, ["network"], "IU"), "https://js2.jetstream-cloud.org:9696");
        assert.throws(() => endpointOf(catalog, ["network"], "TACC"), /the Keystone catalogue has no public network endpoint in region TACC/);
    });
});
