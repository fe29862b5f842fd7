import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { endpointOf } from "../../components/quota/openstack";
import { QuotaName } from "../../components/quota/quotas";
import { withOfflineQuotas } from "../../plan/cloud";
import { planProgram, stackConfig, testConfig, Site } from "../mocks";

interface FirstRun {
    error?: string;
    /** The type of every registration the program asked for, in order (failed ones too). */
    registered: string[];
}

/** Plans one site's hosts component in this process with offline quotas: the error it ends with and what it registered. */
async function firstRun(run: { site: Site; overrides?: Record<string, string>; quotas?: Partial<Record<QuotaName, number>> }): Promise<FirstRun> {
    const registered: string[] = [];
    const config = testConfig(run.site, run.overrides);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { OpenStackHosts } = require("../../components/openstack/hosts") as typeof import("../../components/openstack/hosts");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { AwsHosts } = require("../../components/aws/hosts") as typeof import("../../components/aws/hosts");
    const privateKey = pulumi.secret(config.ssh.privateKey);
    const hosts = () => (config.cloud === "aws" ? new AwsHosts("hosts", { config, privateKey }) : new OpenStackHosts("hosts", { config, privateKey }));
    try {
        await withOfflineQuotas(run.quotas ?? {}, () => planProgram(run.site, () => ({ publicIp: hosts().publicIp }), { ...stackConfig(run.site, run.overrides), onRegister: (type) => registered.push(type) }));
        return { registered };
    } catch (e) {
        return { error: e instanceof Error ? e.message : String(e), registered };
    }
}

describe("quota preflight: nothing is created when the project cannot hold the site", () => {
    it("a 1500 GB data volume on a default Jetstream2 allocation: the quota message, and no resource registered", async () => {
        const run = await firstRun({ site: "jetstream", overrides: { "esiphub:dataVolumeSize": "1500" } });
        assert.match(String(run.error), /esiphub: the site does not fit the project's quotas, so nothing was created:\n {2}- gigabytes \(Cinder\): the site needs 1500 GB, 1000 GB left of 1000 \(0 in use\); lower esiphub:dataVolumeSize/);
        assert.doesNotMatch(String(run.error), /- (cores|ram|instances|volumes|routers)/, "only the short quota is named");
        // The stack and the component only: the engine was asked to create nothing in the cloud.
        assert.deepStrictEqual(run.registered, ["pulumi:pulumi:Stack", "esiphub:openstack:Hosts"]);
    });

    it("the same site plans with the quota raised (--quota gigabytes=2000)", async () => {
        const run = await firstRun({ site: "jetstream", overrides: { "esiphub:dataVolumeSize": "1500" }, quotas: { gigabytes: 2000 } });
        assert.strictEqual(run.error, undefined);
        assert.ok(run.registered.includes("openstack:blockstorage/volume:Volume"));
    });

    it("AWS: an account with a new account's 5 vCPUs refuses the 36-vCPU stack before the VPC", async () => {
        const run = await firstRun({ site: "aws", quotas: { vcpus: 5 } });
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
