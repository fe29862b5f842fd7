import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsCsv } from "../../cli/credentials";
import { LoadtestCommandDeps, LoadtestReport, LoadtestUsageError, runLoadtestCommand } from "../../cli/loadtest";
import { FAKE_PASSWORD, FAKE_USER, FakeHub } from "./fakehub";
import { Capture } from "../capture";

describe("loadtest: the command", function () {
    let hub: FakeHub;
    let dir: string;
    let stdout: Capture;
    let stderr: Capture;
    let deps: LoadtestCommandDeps;

    beforeEach(async () => {
        hub = await new FakeHub().start();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-loadtest-cmd-"));
        stdout = new Capture();
        stderr = new Capture();
        deps = { stdout, stderr };
    });
    afterEach(async () => {
        await hub.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const csv = (accounts: { username: string; password: string }[]) => {
        const file = path.join(dir, "accounts.csv");
        fs.writeFileSync(file, credentialsCsv(accounts));
        return file;
    };

    it("prints the report as JSON, writes the HTML page, and exits 0 when every user got through", async () => {
        const reportFile = path.join(dir, "report.html");
        const result = await runLoadtestCommand(
            { hub: hub.url + "/hub/", credentials: csv([{ username: FAKE_USER, password: FAKE_PASSWORD }]), json: true, stop: true, report: reportFile },
            deps,
        );
        assert.strictEqual(result.exitCode, 0);
        const printed = JSON.parse(stdout.text) as LoadtestReport;
        assert.deepStrictEqual(printed, result.report);
        assert.strictEqual(printed.hub, hub.url);
        assert.deepStrictEqual(Object.keys(printed.phases), ["login", "spawn", "page", "stop"]);
        assert.strictEqual(printed.phases.spawn!.count, 1);
        assert.match(stderr.text, /^\[1\/1\] ann [\d.]+s ok\n/);
        assert.match(stderr.text, /wrote the HTML report to/);
        assert.match(fs.readFileSync(reportFile, "utf8"), /<canvas id="timeline"/);
    });

    it("exits 1 and prints the failures when a user fails", async () => {
        const result = await runLoadtestCommand({ hub: hub.url, credentials: csv([{ username: FAKE_USER, password: "not-it" }]) }, deps);
        assert.strictEqual(result.exitCode, 1);
        assert.match(stdout.text, /0 succeeded, 1 failed/);
        assert.match(stdout.text, /ann {2}login {2}login-refused/);
    });

    it("takes the accounts and the hub URL from a site", async () => {
        const sites: string[] = [];
        const result = await runLoadtestCommand(
            { site: "nebula" },
            { ...deps, siteAccess: async (site) => (sites.push(site), { credentials: [{ username: FAKE_USER, password: FAKE_PASSWORD }], hubUrl: hub.url + "/" }) },
        );
        assert.deepStrictEqual(sites, ["nebula"]);
        assert.strictEqual(result.exitCode, 0);
        assert.strictEqual(result.report.hub, hub.url);
    });

    it("refuses unusable options before sending any request", async () => {
        const refuses = async (options: Parameters<typeof runLoadtestCommand>[0], pattern: RegExp, d = deps) =>
            assert.rejects(runLoadtestCommand(options, d), (e: Error) => e instanceof LoadtestUsageError && pattern.test(e.message));
        const one = csv([{ username: FAKE_USER, password: FAKE_PASSWORD }]);
        await refuses({ hub: hub.url, credentials: one, users: 2 }, /--users 2 is more than the 1 accounts/);
        await refuses({ hub: hub.url, credentials: path.join(dir, "none.csv") }, /--credentials: cannot read/);
        await refuses({ hub: hub.url, credentials: one, report: path.join(dir, "no", "such", "r.html") }, /--report: the folder .* does not exist/);
        await refuses({ site: "nebula" }, /--site is not available here/);
        await refuses({ site: "nebula" }, /no hubUrl output: give --hub URL/, { ...deps, siteAccess: async () => ({ credentials: [{ username: "a", password: "b" }] }) });
        await refuses({ site: "nebula", hub: hub.url }, /no accounts/, { ...deps, siteAccess: async () => ({ credentials: [] }) });
        assert.strictEqual(hub.requests.length, 0);
    });
});
