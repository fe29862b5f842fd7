import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as api from "../api";
import { BadConfigError, CliError, CloudCredentialsMissingError, NotDeployedError, openSite, PulumiCliMissingError } from "../api";
import { AutomationDouble, loadEvents } from "./cli/automation-double";
import { CliHarness, deployedJetstream } from "./cli/harness";

const harness = new CliHarness();

/** api.ts on the Automation API double that the CLI tests use (test/cli/automation-double.ts). */
describe("the Automation API entry point (api.ts)", () => {
    before(() => harness.setUp());
    after(() => harness.tearDown());

    it("is the package's `esiphub/api` export", () => {
        // A package may require itself by name through its `exports` (Node's self-reference).
        assert.strictEqual(require.resolve("esiphub/api"), path.resolve(__dirname, "..", "api.ts"));
        assert.strictEqual(require("esiphub/api").openSite, api.openSite);
    });

    it("a bad stack file: BadConfigError with every problem, exit status 2, before Pulumi is asked anything", async () => {
        const dir = path.join(harness.tmp, "bad");
        fs.mkdirSync(dir);
        fs.copyFileSync(path.join(harness.smallProject, "Pulumi.nebula.yaml"), path.join(dir, "Pulumi.nebula.yaml"));
        fs.appendFileSync(path.join(dir, "Pulumi.nebula.yaml"), "  esiphub:memoryLimt: 8G\n  esiphub:eventEnds: 2026-12-04\n");
        const double = new AutomationDouble({});
        const site = openSite("nebula", harness.siteOptions(double, { projectDir: dir }));
        for (const attempt of [() => site.plan(), () => site.preview(), () => site.up()]) {
            await assert.rejects(attempt(), (e: unknown) => {
                assert.ok(e instanceof BadConfigError && e instanceof CliError, String(e));
                assert.strictEqual(e.exitCode, 2);
                assert.strictEqual(e.file, path.join(dir, "Pulumi.nebula.yaml"));
                assert.deepStrictEqual(e.problems, [
                    "esiphub:memoryLimt: unknown setting; did you mean esiphub:memoryLimit? (the settings are listed in Pulumi.yaml and the README)",
                    'esiphub:eventEnds: must be empty or an ISO 8601 date-time with its time zone, such as 2026-12-04T17:00:00-05:00 or 2026-12-04T22:00:00Z, got "2026-12-04"; add the time the event ends and its zone',
                ]);
                return true;
            });
        }
        await assert.rejects(openSite("nowhere", harness.siteOptions(double)).preview(), (e: unknown) => e instanceof BadConfigError && /^unknown site "nowhere"/.test(e.problems[0]));
        assert.deepStrictEqual(double.calls, []);
    });

    it("no Pulumi CLI, no cloud credentials: their own classes", async () => {
        const double = new AutomationDouble(deployedJetstream());
        await assert.rejects(openSite("jetstream", harness.siteOptions(double, { env: { PATH: "/nonexistent" } })).outputs(), PulumiCliMissingError);
        const noCredentials = harness.siteOptions(double, { env: { OS_APPLICATION_CREDENTIAL_ID: undefined, OS_APPLICATION_CREDENTIAL_SECRET: undefined } });
        await assert.rejects(openSite("jetstream", noCredentials).destroy(), (e: unknown) => e instanceof CloudCredentialsMissingError && e.cloud === "openstack" && e.exitCode === 1);
        assert.deepStrictEqual(double.calls, []);
    });

    it("a deployed site's outputs, accounts and DNS records, typed; a stack without them: NotDeployedError", async () => {
        const site = openSite("jetstream", harness.siteOptions(new AutomationDouble(deployedJetstream())));
        const outputs = await site.outputs();
        assert.deepStrictEqual(
            { hubUrl: outputs.hubUrl, publicIp: outputs.publicIp, workers: outputs.workers, cost: outputs.cost },
            { hubUrl: "https://hub.esipfed.org", publicIp: "149.165.157.42", workers: 5, cost: undefined },
        );
        assert.deepStrictEqual((await site.credentials()).map((c) => c.username), ["workshop-01", "instructor"]);
        assert.deepStrictEqual(await site.dnsRecords(), { records: [{ name: "hub.esipfed.org.", type: "A", ttl: 300, value: "149.165.157.42" }] });

        const empty = openSite("jetstream", harness.siteOptions(new AutomationDouble(deployedJetstream({ outputs: {} }))));
        await assert.rejects(empty.credentials(), (e: unknown) => e instanceof NotDeployedError && e.site === "jetstream" && e.output === "credentials");
    });

    it("up: the checks, the preview and the update, every engine event to onEvent with its phase; the outputs typed", async () => {
        const sites = deployedJetstream();
        const double = new AutomationDouble(sites);
        const phases: string[] = [];
        const result = await openSite("jetstream", harness.siteOptions(double)).up({ onEvent: (_event, phase) => phases.push(phase) });
        const previewEvents = loadEvents("jetstream-update.preview.jsonl").length;
        const upEvents = loadEvents("jetstream-update.jsonl").length;
        assert.deepStrictEqual(phases, [...Array(previewEvents).fill("preview"), ...Array(upEvents).fill("up")]);
        assert.deepStrictEqual(double.calls, ["stack jetstream create", "preview-up jetstream", "up jetstream", "outputs jetstream"]);
        assert.strictEqual(result.outputs.hubUrl, "https://hub.esipfed.org");
        assert.strictEqual(result.summary.site, "jetstream");
        // The small site (3 accounts) has no esiphub:eventEnds and is beyond development scale: the warning says so.
        assert.match(result.warnings.join("\n"), /^esiphub:eventEnds is not set: nothing will remind anyone to tear down this site of 2 VMs/);
        assert.deepStrictEqual(result.changes, loadEvents("jetstream-update.jsonl").find((e) => e.summaryEvent)!.summaryEvent!.resourceChanges);
    });
});
