import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../examples/all-sites";
import { AutomationDouble, loadEvents } from "../cli/automation-double";
import { Capture, CliHarness, deployedJetstream } from "../cli/harness";

const harness = new CliHarness();
const PASSPHRASE_MISSING = "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables";

/**
 * The example is run in-process through its main() (what `npx ts-node examples/all-sites.ts` calls), so that the test
 * starts no ts-node child; the Automation double stands in for the Pulumi CLI.
 */
describe("examples/all-sites.ts (against the Automation double)", () => {
    before(() => {
        harness.setUp();
        // The small Jetstream site (3 accounts: the master and one worker, 8 + 16 SU per hour), AWS as shipped, and Nebula with a misspelt key: two offline plans and a bad stack file.
        fs.appendFileSync(path.join(harness.smallProject, "Pulumi.nebula.yaml"), "  esiphub:memoryLimt: 8G\n");
    });
    after(() => harness.tearDown());

    it("previews every Pulumi.<site>.yaml, a line per site, then the table of hubs and costs (a failed site's too); exits as the worst site", async () => {
        const double = new AutomationDouble({
            jetstream: { events: { "preview-up": loadEvents("jetstream-update.preview.jsonl") } },
            // The Pulumi CLI's answer on a passphrase backend without the passphrase (pulumi/pulumi pkg/secrets/passphrase).
            aws: { failures: { "preview-up": PASSPHRASE_MISSING } },
        });
        const out = new Capture();
        const code = await main(["--concurrency", "2"], harness.siteOptions(double), out);
        // Nebula's stack file stops it before Pulumi, as `esiphub preview nebula` would (exit 2); the others are previewed.
        assert.strictEqual(code, 2, out.text);
        assert.deepStrictEqual(double.calls, ["stack aws create", "preview-up aws", "stack jetstream create", "preview-up jetstream"]);
        const [head, table] = out.text.split("\n\n");
        const lines = head.split("\n");
        assert.strictEqual(lines[0], "Previewing 3 site(s), 2 at a time");
        // Not a terminal: each site's line once, when it is done, in the order they finish.
        assert.deepStrictEqual(lines.slice(1).sort(), [
            `aws        FAILED (exit 1): preview of site "aws" failed: ${PASSPHRASE_MISSING}`,
            "jetstream  1 to create, 1 to update, 1 to replace, 1 to delete, 15 unchanged",
            "nebula     FAILED (exit 2): esiphub:memoryLimt: unknown setting; did you mean esiphub:memoryLimit? (the settings are listed in Pulumi.yaml and the README)",
        ]);
        assert.strictEqual(
            table,
            [
                "site       hub                      per workshop (4 h)  per hour  per month (development)  preview",
                // The preview failed after the offline checks: the stack file's costs all the same.
                `aws        -                        $9.41               $2.35     $212.61                  FAILED (exit 1): preview of site "aws" failed: ${PASSPHRASE_MISSING}`,
                "jetstream  https://hub.esipfed.org  96 SU               24 SU     5,840 SU                 1 to create, 1 to update, 1 to replace, 1 to delete, 15 unchanged",
                "nebula     -                        -                   -         -                        FAILED (exit 2): esiphub:memoryLimt: unknown setting; did you mean esiphub:memoryLimit? (the settings are listed in Pulumi.yaml and the README)",
                "",
            ].join("\n"),
        );
    });

    it("the sites named on the command line only; a bad --concurrency is refused before anything runs", async () => {
        const double = new AutomationDouble({});
        const out = new Capture();
        assert.strictEqual(await main(["nebula"], harness.siteOptions(double), out), 2);
        assert.match(out.text, /^Previewing 1 site\(s\), 3 at a time\nnebula {2}FAILED \(exit 2\)/);
        await assert.rejects(main(["--concurrency", "0"], harness.siteOptions(double), new Capture()), /--concurrency.*must be a whole number of at least 1/);
        assert.deepStrictEqual(double.calls, []);
    });

    it("--up deploys without questions; the table has the hub's address from the stack's outputs", async () => {
        const double = new AutomationDouble(deployedJetstream());
        const out = new Capture();
        assert.strictEqual(await main(["--up", "jetstream"], harness.siteOptions(double), out), 0, out.text);
        assert.deepStrictEqual(double.calls, ["stack jetstream create", "preview-up jetstream", "up jetstream", "outputs jetstream"]);
        assert.match(out.text, /^Deploying 1 site\(s\), 3 at a time\njetstream {2}deployed: 1 created, 1 updated, 1 replaced, 1 deleted, 15 unchanged\n/);
        assert.match(out.text, /\njetstream {2}https:\/\/hub\.esipfed\.org {2}96 SU {15}24 SU {5}5,840 SU {17}deployed: /);
    });
});
