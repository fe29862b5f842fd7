import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { execFileSync, spawnSync } from "child_process";
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
                for (const field of ["urn", "type", "name", "parent", "dependencies", "protect", "retainOnDelete", "inputs"]) {
                    assert.ok(field in r, `${r.urn} has ${field}`);
                }
                assert.strictEqual(typeof r.protect, "boolean");
                assert.strictEqual(typeof r.retainOnDelete, "boolean");
                assert.ok(r.parent === null || urns.has(r.parent), `${r.urn}: parent is a planned resource`);
                for (const dep of r.dependencies) assert.ok(urns.has(dep), `${r.urn}: dependency ${dep} is a planned resource`);
            }
            // One stack resource at the root, every other resource below it.
            assert.deepStrictEqual(doc.resources.filter((r: { parent: string | null }) => r.parent === null).map((r: { type: string }) => r.type), ["pulumi:pulumi:Stack"]);
            assert.strictEqual(doc.outputs.credentials, "[secret]");
            assert.strictEqual(doc.outputs.kubeconfig, "[secret]");
            assert.match(String(doc.outputs.hubUrl), site === "nebula" ? /^http:\/\// : /^https:\/\//);
        });
    }

    it("the text view lists the tree, the counts per type and the outputs", async () => {
        const outcome = await runPlan("jetstream", {});
        assert.strictEqual(outcome.exitCode, EXIT.ok);
        assert.match(outcome.stdout, /^Plan of site "jetstream"/);
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
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("an unknown site names the known ones and exits 2", async () => {
        const outcome = await runPlan("jetstrem", {});
        assert.strictEqual(outcome.exitCode, EXIT.badConfig);
        assert.match(outcome.stderr, /^esiphub plan: no stack file at .*Pulumi\.jetstrem\.yaml \(known sites: aws, jetstream, nebula; or pass --config-file PATH\)\n$/);
    });

    it("--config-file plans a stack file outside the project folder", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-plan-"));
        try {
            const file = path.join(dir, "Pulumi.sdsc.yaml");
            const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8"));
            stack.config["esiphub:workers"] = "2";
            fs.writeFileSync(file, YAML.stringify(stack));
            const outcome = await runPlan("sdsc", { configFile: file, json: true });
            assert.strictEqual(outcome.exitCode, EXIT.ok, outcome.stderr);
            const doc = JSON.parse(outcome.stdout);
            assert.strictEqual(doc.site, "sdsc");
            assert.strictEqual(doc.outputs.workers, 2);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the installed command prints valid JSON and exits with the contract's codes", function () {
        const bin = path.join(PROJECT_DIR, "cli", "esiphub.js");
        const json = execFileSync("node", [bin, "plan", "aws", "--json"], { cwd: os.tmpdir(), encoding: "utf8" });
        assert.strictEqual(JSON.parse(json).site, "aws");
        const bad = spawnSync("node", [bin, "plan", "nowhere"], { encoding: "utf8" });
        assert.strictEqual(bad.status, 2);
        assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
    });
});
