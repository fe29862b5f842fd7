/**
 * `--workshop NAME` (cli/workshops.ts): one workshop's hub of a site with esiphub:workshops, for credentials, loadtest
 * and doctor; the outputs are those components/esiphub.ts's workshopOutputs makes.
 */
import * as assert from "assert";
import * as path from "path";
import { parse } from "csv-parse/sync";
import { hubOutputs, workshopChoiceProblem, workshopConfig } from "../../cli/workshops";
import { LoadtestUsageError, parseLoadtestOptions } from "../../cli/loadtest/options";
import { siteTarget, SiteCommandContext } from "../../cli/doctor";
import { testConfig } from "../mocks";
import { account, assertOneLineError, CliHarness, OUTPUTS, projectWith, WORKSHOP_OUTPUTS } from "./harness";

describe("--workshop: one workshop of a site (cli/workshops.ts)", function () {
    describe("pure", function () {
        it("gives a workshop's hub outputs in the single hub's shape, keeping the site-wide ones", function () {
            const hub = hubOutputs(WORKSHOP_OUTPUTS, "meeting", "data-viz");
            assert.ok(typeof hub !== "string", String(hub));
            assert.strictEqual(hub.hubUrl.value, "http://149.165.157.42/data-viz/");
            assert.deepStrictEqual(hub.credentials, { value: [account("viz-01"), account("instructor")], secret: true });
            assert.deepStrictEqual(hub.adminUsers.value, ["instructor"]);
            assert.strictEqual(hub.publicIp.value, "149.165.157.42");
            assert.strictEqual(hub.kubeconfig.secret, true);
        });

        it("asks for a workshop on a site with workshops, and refuses an unknown one, with a suggestion", function () {
            assert.strictEqual(hubOutputs(WORKSHOP_OUTPUTS, "meeting", undefined), 'site "meeting" has 2 workshops (python-intro, data-viz): choose one with --workshop NAME');
            assert.strictEqual(hubOutputs(WORKSHOP_OUTPUTS, "meeting", "data-vis"), 'site "meeting" has no workshop "data-vis" (did you mean data-viz?); its workshops: python-intro, data-viz');
        });

        it("a site of one hub: its outputs as they are, and --workshop refused", function () {
            assert.strictEqual(hubOutputs(OUTPUTS, "jetstream", undefined), OUTPUTS);
            assert.match(String(hubOutputs(OUTPUTS, "jetstream", "python-intro")), /^site "jetstream" is one hub \(it has no esiphub:workshops\): leave out --workshop$/);
            assert.strictEqual(workshopChoiceProblem("jetstream", undefined, undefined), undefined);
        });

        it("the stack file's config as the workshop's hub sees it", function () {
            const workshops = JSON.stringify([
                { name: "python-intro", users: 2, userPattern: "py-{nn}", hubHostname: "python.hub.esipfed.org" },
                { name: "data-viz", users: 2, userPattern: "viz-{nn}", memoryGuarantee: "2G" },
            ]);
            const config = testConfig("jetstream", { "esiphub:workshops": workshops, "esiphub:hubHostname": undefined });
            const viz = workshopConfig(config, "data-viz");
            assert.ok(typeof viz !== "string", String(viz));
            assert.deepStrictEqual([viz.hub.namespace, viz.hub.memoryGuarantee, viz.hub.hostname, viz.hub.users[0]], ["data-viz", "2G", undefined, "viz-01"]);
            assert.match(String(workshopConfig(config, undefined)), /has 2 workshops \(python-intro, data-viz\)/);
            const single = testConfig("jetstream");
            assert.strictEqual(workshopConfig(single, undefined), single);
        });

        it("doctor: the target is the workshop's hub, namespace, accounts and settings on the site's cluster", async function () {
            const workshops = JSON.stringify([
                { name: "python-intro", users: 1, userPattern: "py-{nn}", hubHostname: "python.hub.esipfed.org" },
                { name: "data-viz", users: 1, userPattern: "viz-{nn}", memoryLimit: "4G", memoryGuarantee: "2G" },
            ]);
            const config = testConfig("jetstream", { "esiphub:workshops": workshops, "esiphub:hubHostname": undefined });
            const ctx = { siteConfig: () => config, deployedStack: async () => ({ outputs: async () => WORKSHOP_OUTPUTS }), error: (m: string) => new Error(m) };
            const target = await siteTarget(ctx as unknown as SiteCommandContext, "jetstream", undefined, "data-viz");
            assert.deepStrictEqual([target.hubUrl, target.namespace, target.hostname, target.user.account.username], ["http://149.165.157.42/data-viz", "data-viz", undefined, "instructor"]);
            assert.ok(target.cluster && "hubNamespace" in target.cluster);
            assert.deepStrictEqual([target.cluster.hubNamespace, target.cluster.guaranteeSetting], ["data-viz", "esiphub:memoryGuarantee 2G"]);
        });

        it("loadtest: --workshop goes with --site", function () {
            assert.throws(() => parseLoadtestOptions({ credentials: "a.csv", hub: "https://h.org", workshop: "data-viz" }), (e: unknown) => e instanceof LoadtestUsageError && /--workshop NAME picks a workshop of --site SITE/.test(e.message));
            assert.deepStrictEqual(parseLoadtestOptions({ site: "meeting", workshop: "data-viz" }).source, { site: "meeting" });
        });
    });

    describe("through the CLI (Automation double)", function () {
        const harness = new CliHarness();
        let project = "";
        before(() => {
            harness.setUp();
            project = projectWith(path.join(harness.tmp, "meeting"), "jetstream", {
                "esiphub:hubHostname": undefined,
                "esiphub:workshops": [
                    { name: "python-intro", users: 1, userPattern: "py-{nn}", hubHostname: "python.hub.esipfed.org" },
                    { name: "data-viz", users: 1, userPattern: "viz-{nn}" },
                ],
            });
        });
        after(() => harness.tearDown());
        const sites = { jetstream: { outputs: WORKSHOP_OUTPUTS } };

        it("credentials --workshop: that workshop's accounts, as CSV", async function () {
            const r = await harness.run(["credentials", "jetstream", "--workshop", "data-viz"], { sites, projectDir: project });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(parse(r.stdout, { columns: true }), [account("viz-01"), account("instructor")]);
        });

        it("credentials --workshop --format html: cards with the workshop's hub address and name", async function () {
            const r = await harness.run(["credentials", "jetstream", "--workshop", "python-intro", "--format", "html"], { sites, projectDir: project });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.ok(r.stdout.includes("https://python.hub.esipfed.org"));
            assert.ok(r.stdout.includes("jetstream, workshop python-intro"));
            assert.ok(!r.stdout.includes("viz-01"));
        });

        it("credentials --workshop --attendees-only: that workshop's accounts without its admins (its own adminUsers output)", async function () {
            for (const format of ["csv", "html"]) {
                const r = await harness.run(["credentials", "jetstream", "--workshop", "data-viz", "--attendees-only", "--format", format], { sites, projectDir: project });
                assert.strictEqual(r.code, 0, r.stderr);
                assert.ok(r.stdout.includes("viz-01"), format);
                assert.ok(!r.stdout.includes("instructor"), `${format}: the workshop's admin is left out`);
                assert.ok(!r.stdout.includes("py-01"), `${format}: no other workshop's account`);
            }
        });

        it("credentials without --workshop on a site of workshops, and with one on a site of one hub: one clear line", async function () {
            assertOneLineError(await harness.run(["credentials", "jetstream"], { sites, projectDir: project }), /has 2 workshops \(python-intro, data-viz\): choose one with --workshop NAME/);
            assertOneLineError(await harness.run(["credentials", "jetstream", "--workshop", "data-viz"], { sites: { jetstream: { outputs: OUTPUTS } } }), /is one hub \(it has no esiphub:workshops\): leave out --workshop/);
        });

        it("scale, backup and tls-retry refuse a site of workshops with what to do instead, before changing anything", async function () {
            for (const [args, how] of [
                [["scale", "jetstream", "--workers", "9", "--yes"], /esiphub scale works on a site of one hub; instead set esiphub:workers and each workshop's maxServers/],
                [["backup", "jetstream", "--out", "backups"], /esiphub backup works on a site of one hub; instead copy each workshop's folder/],
                [["tls-retry", "jetstream"], /esiphub tls-retry works on a site of one hub; instead cert-manager retries each workshop's certificate by itself/],
            ] as const) {
                const r = await harness.run([...args], { sites, projectDir: project });
                assertOneLineError(r, new RegExp(`^esiphub: site "jetstream" has esiphub:workshops \\(python-intro, data-viz\\): ${how.source}`));
                assert.ok(r.calls.every((c) => /^(stack|outputs) /.test(c)), `${args[0]} only reads: ${r.calls.join(", ")}`);
            }
        });

        it("doctor --workshop names an unknown workshop before reaching the site; rehearse refuses a site of workshops before creating anything", async function () {
            const doctor = await harness.run(["doctor", "jetstream", "--workshop", "python"], { sites, projectDir: project });
            assertOneLineError(doctor, /^esiphub: doctor: site "jetstream" has no workshop "python"; its workshops: python-intro, data-viz$/);
            const rehearse = await harness.run(["rehearse", "jetstream", "--yes"], { sites, projectDir: project });
            assertOneLineError(rehearse, /has esiphub:workshops: a rehearsal exercises one hub/);
            assert.deepStrictEqual(rehearse.calls, []);
        });
    });
});
