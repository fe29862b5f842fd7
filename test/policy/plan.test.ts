/**
 * `esiphub plan` runs the guardrails over the planned resources: a stack that opens SSH and the Kubernetes API to
 * the internet is listed with its violations and the command exits 3.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { EXIT, runPlan } from "../../cli/plan";
import { checkPlannedResources } from "../../policy/rules";
import { PROJECT_DIR } from "../mocks";
import { requireProgram, stackContext } from "./captured";

/** Exit code of a plan with a mandatory violation. */
const POLICY_EXIT = 3;

describe("esiphub plan runs the policy", function () {
    let dir: string;
    let openStack: string;

    beforeEach(function () {
        requireProgram(this);
        if ((EXIT as Record<string, number>).policy !== POLICY_EXIT) {
            this.currentTest!.title += " (skipped: cli/plan.ts does not run policy/rules.ts yet; see issue 9's report for the lines to add)";
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-policy-"));
        // Jetstream's stack file with the admin CIDR opened to the whole internet.
        const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8"));
        stack.config["esiphub:adminCidrs"] = ["0.0.0.0/0"];
        openStack = path.join(dir, "Pulumi.jetstream.yaml");
        fs.writeFileSync(openStack, YAML.stringify(stack));
    });
    afterEach(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it("adminCidrs 0.0.0.0/0: both violations listed, exit 3; --json carries them", async () => {
        const text = await runPlan("jetstream", { configFile: openStack });
        assert.strictEqual(text.exitCode, POLICY_EXIT, text.stderr);
        const expected = checkPlannedResources(text.result!.resources, stackContext("jetstream", { "esiphub:adminCidrs": '["0.0.0.0/0"]' }));
        assert.deepStrictEqual(
            expected.map((v) => `${v.enforcement} ${v.policy} ${v.urn.split("::").pop()}`),
            [
                "mandatory no-public-admin-ports esiphub-jetstream-openstack-rule-admin-tcp-22-0-0-0-0-0",
                "mandatory no-public-admin-ports esiphub-jetstream-openstack-rule-admin-tcp-6443-0-0-0-0-0",
                "advisory notebook-image-digest esiphub-jetstream-hub-release",
            ],
        );
        for (const v of expected) {
            assert.ok(text.stdout.includes(v.urn), `the text plan names ${v.urn}`);
            assert.ok(text.stdout.includes(v.message), `the text plan says: ${v.message}`);
        }
        assert.match(text.stderr, /polic/i, "stderr says why the exit code is not 0");

        const json = await runPlan("jetstream", { configFile: openStack, json: true });
        assert.strictEqual(json.exitCode, POLICY_EXIT);
        assert.deepStrictEqual(JSON.parse(json.stdout).violations, expected);
    });

    it("the stack as configured: no mandatory violation, exit 0", async () => {
        const outcome = await runPlan("jetstream", { json: true });
        assert.strictEqual(outcome.exitCode, EXIT.ok, outcome.stderr);
        // Only the advice to pin the notebook image's digest, which a shipped stack cannot know.
        assert.deepStrictEqual(JSON.parse(outcome.stdout).violations.map((v: { policy: string; enforcement: string }) => `${v.enforcement} ${v.policy}`), ["advisory notebook-image-digest"]);
    });

    it("an attendee's account as admin and a hub without HTTPS: both mandatory, exit 3", async () => {
        const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8"));
        stack.config["esiphub:adminUsers"] = ["instructor", "workshop-07"];
        for (const key of ["esiphub:hubHostname", "esiphub:letsEncryptEmail", "esiphub:dns", "esiphub:dnsZone"]) delete stack.config[key];
        const file = path.join(dir, "Pulumi.jetstream.yaml");
        fs.writeFileSync(file, YAML.stringify(stack));
        const outcome = await runPlan("jetstream", { configFile: file, json: true });
        assert.strictEqual(outcome.exitCode, POLICY_EXIT, outcome.stderr);
        const mandatory = (JSON.parse(outcome.stdout).violations as { policy: string; enforcement: string; message: string }[]).filter((v) => v.enforcement === "mandatory");
        assert.deepStrictEqual(mandatory.map((v) => v.policy), ["admins-not-attendees", "hub-https"]);
        assert.match(mandatory[0].message, /^hub admin workshop-07 is an attendee's account/);
    });

    it("quickstartReadmeFile outside the project (/etc/hostname): a configuration error naming the key, exit 2, nothing planned", async () => {
        const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8"));
        stack.config["esiphub:quickstartReadmeFile"] = "/etc/hostname";
        const file = path.join(dir, "Pulumi.jetstream.yaml");
        fs.writeFileSync(file, YAML.stringify(stack));
        const outcome = await runPlan("jetstream", { configFile: file });
        assert.strictEqual(outcome.exitCode, EXIT.badConfig);
        assert.strictEqual(EXIT.badConfig, 2);
        assert.strictEqual(outcome.result, undefined);
        assert.match(outcome.stderr, /esiphub:quickstartReadmeFile: must be a path inside the project folder, relative to it \(not an absolute path\), got "\/etc\/hostname"/);
    });
});
