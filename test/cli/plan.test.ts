import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { runPlan, EXIT } from "../../cli/plan";
import { PROJECT_DIR, SITES } from "../mocks";

describe("esiphub plan", () => {
    for (const site of SITES) {
        it(`${site}: --json prints the plan document`, async () => {
            const outcome = await runPlan(site, { json: true });
            assert.strictEqual(outcome.stderr, "");
            assert.strictEqual(outcome.exitCode, EXIT.ok);
            const doc = JSON.parse(outcome.stdout);
            assert.deepStrictEqual(Object.keys(doc).slice(0, 3), ["site", "resources", "outputs"]);
            assert.strictEqual(doc.site, site);
            const urns = new Set(doc.resources.map((r: { urn: string }) => r.urn));
            assert.strictEqual(urns.size, doc.resources.length, "URNs are unique");
            for (const r of doc.resources) {
                for (const field of ["urn", "type", "name", "parent", "dependencies", "protect", "retainOnDelete", "deleteBeforeReplace", "inputs"]) {
                    assert.ok(field in r, `${r.urn} has ${field}`);
                }
                assert.strictEqual(typeof r.protect, "boolean");
                assert.strictEqual(typeof r.retainOnDelete, "boolean");
                assert.strictEqual(typeof r.deleteBeforeReplace, "boolean");
                assert.ok(r.parent === null || urns.has(r.parent), `${r.urn}: parent is a planned resource`);
                for (const dep of r.dependencies) assert.ok(urns.has(dep), `${r.urn}: dependency ${dep} is a planned resource`);
            }
            // One stack resource at the root, every other resource below it.
            assert.deepStrictEqual(doc.resources.filter((r: { parent: string | null }) => r.parent === null).map((r: { type: string }) => r.type), ["pulumi:pulumi:Stack"]);
            assert.strictEqual(doc.outputs.credentials, "[secret]");
            assert.strictEqual(doc.outputs.kubeconfig, "[secret]");
            // Every shipped stack has HTTPS; Nebula's on the automatic name of its public IP (esiphub:hubHostname auto).
            assert.match(String(doc.outputs.hubUrl), site === "nebula" ? /^https:\/\/\d+-\d+-\d+-\d+\.sslip\.io$/ : /^https:\/\//);
        });
    }

    it("the text view opens with the summary: nodes, users and capacity, hub, storage, cost", async () => {
        const outcome = await runPlan("jetstream", {});
        assert.strictEqual(outcome.exitCode, EXIT.ok);
        const lines = outcome.stdout.split("\n");
        assert.deepStrictEqual(lines.slice(0, 9), [
            'Plan of site "jetstream" (offline: no cloud was contacted)',
            "",
            'Site "jetstream" (openstack, IU)',
            "  Nodes:   1 × m3.medium master (8 vCPU, 30 GiB) + 5 × m3.large workers (16 vCPU, 60 GiB) = 6 VMs, 88 vCPU, 330 GiB RAM",
            "  Users:   62 accounts; 15 per worker (workers sized automatically) at the 4G guarantee (limit 8G); capacity 75: every account fits",
            "  Hub:     https://hub.esipfed.org",
            "  Storage: 10Gi per user, 200Gi shared scratch, on a 1000 GB data volume (kept after destroy, on the storage allocation until deleted)",
            "  Cost:    352 SU per 4 h workshop; 5,840 SU per month for the master alone (development)",
            "",
        ]);
        // No tree unless asked for: the counts come right after the summary.
        assert.match(outcome.stdout, /^Resources: \d+ \(the tree: add --tree\)$/m);
        assert.doesNotMatch(outcome.stdout, /^ {2}esiphub:index:EsipHub {2}esiphub-jetstream/m);
    });

    it("--tree: the summary, then every resource under its parent, the counts per type and the outputs", async () => {
        const outcome = await runPlan("jetstream", { tree: true });
        assert.strictEqual(outcome.exitCode, EXIT.ok);
        assert.match(outcome.stdout, /^Plan of site "jetstream"/);
        assert.ok(outcome.stdout.indexOf("  Nodes:") < outcome.stdout.indexOf("pulumi:pulumi:Stack"), "the summary comes first");
        assert.match(outcome.stdout, /^ {2}esiphub:index:EsipHub {2}esiphub-jetstream/m);
        assert.match(outcome.stdout, /^Resources: \d+$/m);
        // The master and five auto-sized workers (see test/config.test.ts for the arithmetic).
        assert.match(outcome.stdout, /^ +6 {2}openstack:compute\/instance:Instance$/m);
        assert.match(outcome.stdout, /^ {2}credentials: \[secret\]$/m);
        assert.match(outcome.stdout, /Note: esiphub:sshPrivateKey is not in Pulumi\.jetstream\.yaml; planned with a placeholder/);
    });

    it("a bad config prints every problem and exits 2, creating nothing", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-plan-"));
        try {
            const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8"));
            stack.config["esiphub:users"] = -3;
            stack.config["esiphub:cloud"] = "azure";
            const file = path.join(dir, "Pulumi.broken.yaml");
            fs.writeFileSync(file, YAML.stringify(stack));
            const outcome = await runPlan("broken", { configFile: file });
            assert.strictEqual(outcome.exitCode, EXIT.badConfig);
            assert.strictEqual(outcome.stdout, "");
            assert.strictEqual(outcome.result, undefined);
            assert.strictEqual(
                outcome.stderr,
                `esiphub plan: ${file} has 2 problem(s):\n` +
                    '  - esiphub:cloud: must be one of openstack, aws, got "azure"\n' +
                    '  - esiphub:users: must be an integer from 1 to 1000, got "-3"\n',
            );
            // --json always answers in JSON on stdout, naming the keys.
            const json = await runPlan("broken", { configFile: file, json: true });
            assert.strictEqual(json.exitCode, EXIT.badConfig);
            assert.deepStrictEqual(JSON.parse(json.stdout), {
                site: "broken",
                problems: ['esiphub:cloud: must be one of openstack, aws, got "azure"', 'esiphub:users: must be an integer from 1 to 1000, got "-3"'],
            });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("an unknown site names the known ones and exits 2 (with --json, as JSON)", async () => {
        const outcome = await runPlan("jetstrem", {});
        assert.strictEqual(outcome.exitCode, EXIT.badConfig);
        assert.match(outcome.stderr, /^esiphub plan: no stack file at .*Pulumi\.jetstrem\.yaml \(known sites: aws, jetstream, nebula; or pass --config-file PATH\)\n$/);
        const json = await runPlan("jetstrem", { json: true });
        assert.match(JSON.parse(json.stdout).problems[0], /^no stack file at .*Pulumi\.jetstrem\.yaml/);
    });

    it("--json gains a summary object; the plan's own fields stay as they were", async () => {
        const doc = JSON.parse((await runPlan("aws", { json: true })).stdout);
        assert.deepStrictEqual(Object.keys(doc), ["site", "resources", "outputs", "violations", "summary"]);
        // AWS: 60 + instructor on r5.2xlarge (16 each): 4 workers; m5.xlarge master.
        assert.deepStrictEqual(doc.summary.nodes, {
            count: 5,
            vcpus: 4 + 4 * 8,
            ramGiB: 16 + 4 * 64,
            groups: [
                { role: "master", count: 1, flavor: "m5.xlarge", vcpus: 4, ramGiB: 16 },
                { role: "worker", count: 4, flavor: "r5.2xlarge", vcpus: 8, ramGiB: 64 },
            ],
        });
        assert.deepStrictEqual(doc.summary.users, { accounts: 61, usersPerWorker: 16, workersAuto: true, capacity: 64, onMaster: false, memoryGuarantee: "4G", memoryLimit: "8G", maxServers: 61 });
        assert.strictEqual(doc.summary.hubUrl, "https://aws-hub.esipfed.org");
        assert.deepStrictEqual(doc.summary.storage, { perUser: "10Gi", scratch: "100Gi", dataVolumeGb: 800, keptOnDestroy: true });
        // The figures of `esiphub cost aws` (test/cost/estimate.test.ts).
        assert.deepStrictEqual(doc.summary.cost, { unit: "USD", workshopHours: 4, perWorkshop: 9.41, perMonth: 212.61, afterDestroyPerMonth: 64, complete: true });
    });

    it("a fixed worker count that cannot hold the accounts: exit 2 naming esiphub:workers", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-plan-"));
        try {
            const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8"));
            stack.config["esiphub:workers"] = "2";
            const file = path.join(dir, "Pulumi.jetstream.yaml");
            fs.writeFileSync(file, YAML.stringify(stack));
            const outcome = await runPlan("jetstream", { configFile: file, json: true });
            assert.strictEqual(outcome.exitCode, EXIT.badConfig);
            assert.match(JSON.parse(outcome.stdout).problems[0], /^esiphub:workers: 2: 2 workers of m3\.large hold 15 users each .* a capacity of 30 for 62 accounts/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("esiphub:allowPlainHttp without a hostname: the plan passes the hub-https rule and warns that passwords cross in clear", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-plan-"));
        try {
            const file = path.join(dir, "Pulumi.jetstream.yaml");
            const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8"));
            for (const key of ["esiphub:hubHostname", "esiphub:letsEncryptEmail"]) delete stack.config[key];
            stack.config["esiphub:allowPlainHttp"] = true;
            fs.writeFileSync(file, YAML.stringify(stack));
            // The program's pulumi.log.warn (components/esiphub.ts) reaches the terminal as the runtime's warning.
            const written: string[] = [];
            const write = process.stderr.write;
            process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
            let outcome;
            try {
                outcome = await runPlan("jetstream", { configFile: file });
            } finally {
                process.stderr.write = write;
            }
            assert.strictEqual(outcome.exitCode, EXIT.ok, outcome.stderr);
            assert.match(written.join(""), /warning: .*esiphub:allowPlainHttp: true: the hub serves plain HTTP, so attendees' passwords and session cookies cross the venue's network in clear; for development only/);
            assert.ok(!outcome.violations!.some((v) => v.policy === "hub-https"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("--config-file plans a stack file outside the project folder", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-plan-"));
        try {
            const file = path.join(dir, "Pulumi.sdsc.yaml");
            const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8"));
            stack.config["esiphub:workers"] = "6";
            fs.writeFileSync(file, YAML.stringify(stack));
            const outcome = await runPlan("sdsc", { configFile: file, json: true });
            assert.strictEqual(outcome.exitCode, EXIT.ok, outcome.stderr);
            const doc = JSON.parse(outcome.stdout);
            assert.strictEqual(doc.site, "sdsc");
            assert.strictEqual(doc.outputs.workers, 6);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("the quota check of the offline cloud, and --quota", () => {
        let dir: string;
        const stackFile = (site: string, changes: Record<string, unknown>) => {
            const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${site}.yaml`), "utf8"));
            Object.assign(stack.config, changes);
            const file = path.join(dir, `Pulumi.${site}-changed.yaml`);
            fs.writeFileSync(file, YAML.stringify(stack));
            return file;
        };
        before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-plan-"))));
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("a 1500 GB data volume on a default Jetstream2 allocation stops the plan with the quota message", async () => {
            const file = stackFile("jetstream", { "esiphub:dataVolumeSize": 1500 });
            const outcome = await runPlan("jetstream", { configFile: file });
            assert.strictEqual(outcome.exitCode, EXIT.failed);
            assert.strictEqual(
                outcome.stderr,
                "esiphub plan: the program failed offline: esiphub: the site does not fit the project's quotas, so nothing was created:\n" +
                    "  - gigabytes (Cinder): the site needs 1500 GB, 1000 GB left of 1000 (0 in use); lower esiphub:dataVolumeSize or esiphub:rootVolumeSize, delete unused volumes (a data volume kept from an earlier deployment counts), or ask the cloud's operators for a larger quota (Jetstream2: more storage is an ACCESS allocation)\n",
            );
            const raised = await runPlan("jetstream", { configFile: file, quota: ["gigabytes=2000"] });
            assert.strictEqual(raised.exitCode, EXIT.ok, raised.stderr);
        });

        it("--quota names a quota of the site's cloud, as NAME=N", async () => {
            const wrongCloud = await runPlan("jetstream", { quota: ["vcpus=64"] });
            assert.strictEqual(wrongCloud.exitCode, EXIT.badConfig);
            assert.match(wrongCloud.stderr, /^esiphub plan: --quota: "vcpus" is not a quota of openstack; its quotas are cores, ram, instances, /);
            const malformed = await runPlan("aws", { quota: ["vcpus:64"] });
            assert.strictEqual(malformed.stderr, 'esiphub plan: --quota: "vcpus:64" is not NAME=N (N a whole number, -1 for no limit)\n');
        });

        it("the shipped Jetstream2 stack: one volume (the data volume), no router, a new floating IP; with esiphub:publicIp none", async () => {
            const shipped = (await runPlan("jetstream", { json: true })).result!;
            const count = (result: typeof shipped, type: string) => result.resources.filter((r) => r.type === type).length;
            assert.strictEqual(count(shipped, "openstack:blockstorage/volume:Volume"), 1);
            assert.strictEqual(count(shipped, "openstack:networking/router:Router"), 0);
            assert.strictEqual(count(shipped, "openstack:networking/floatingIp:FloatingIp"), 1);
            const kept = (await runPlan("jetstream", { configFile: stackFile("jetstream", { "esiphub:publicIp": "192.0.2.10" }), json: true })).result!;
            assert.strictEqual(count(kept, "openstack:networking/floatingIp:FloatingIp"), 0);
            assert.strictEqual(kept.outputs.publicIp, "192.0.2.10");
            const aws = (await runPlan("aws", { configFile: stackFile("aws", { "esiphub:publicIp": "192.0.2.20" }), json: true })).result!;
            assert.strictEqual(count(aws, "aws:ec2/eip:Eip"), 0);
            assert.strictEqual(aws.outputs.publicIp, "192.0.2.20");
        });

        it("notes the quotas an OpenStack cloud other than Jetstream2 does not publish", async () => {
            const outcome = await runPlan("nebula", {});
            assert.match(outcome.stdout, /^Note: the quotas of this OpenStack cloud are set per project and not published, so the offline plan did not check cores, ram, instances, server_groups, server_group_members, floatingips, routers, security_groups, security_group_rules, volumes, gigabytes; give the project's \(`openstack quota show`\) with --quota NAME=N$/m);
            const given = await runPlan("nebula", { quota: ["cores=20"] });
            assert.strictEqual(given.exitCode, EXIT.failed);
            assert.match(given.stderr, /- cores \(Nova\): the site needs 88 vCPUs, 20 vCPUs left of 20/);
        });
    });
});
