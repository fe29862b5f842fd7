/**
 * The installed command (cli/esiphub.js, package.json "bin") as its own process, from another folder: exit codes,
 * one-line errors without a stack trace, nothing but JSON on stdout. Each case is a fresh node and ts-node start
 * (seconds of CPU), so all of them start together before the tests, and each test reads its own result; every other
 * CLI test runs the same entry point in-process (test/cli/harness.ts).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import * as YAML from "yaml";
import { PROJECT_DIR } from "../mocks";

interface Ran {
    status: number | null;
    stdout: string;
    stderr: string;
}

const BIN = path.join(PROJECT_DIR, "cli", "esiphub.js");

function runBin(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<Ran> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

/** One line on stderr, starting with "esiphub: ", and no stack trace. */
function assertOneLineError(r: Ran, status: number, message: RegExp): void {
    assert.strictEqual(r.status, status, r.stderr);
    assert.match(r.stderr, message);
    assert.strictEqual(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

describe("the esiphub command itself (cli/esiphub.js), from another folder", () => {
    let tmp: string;
    const runs: Record<string, Promise<Ran>> = {};

    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-bin-"));
        // Jetstream's stack file with the admin CIDR opened to the whole internet: a mandatory policy violation.
        const stack = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8"));
        stack.config["esiphub:adminCidrs"] = ["0.0.0.0/0"];
        const openStack = path.join(tmp, "Pulumi.jetstream.yaml");
        fs.writeFileSync(openStack, YAML.stringify(stack));
        const env = { PATH: process.env.PATH ?? "", HOME: tmp };
        const start = (name: string, args: string[], extraEnv: Record<string, string> = {}) => {
            runs[name] = runBin(args, { cwd: tmp, env: { ...env, ...extraEnv } });
            runs[name].catch(() => undefined); // read by its test
        };
        start("cost", ["cost", "nebula", "--hours", "2"]);
        start("planJson", ["plan", "aws", "--json"]);
        start("unknownSite", ["up", "nowhere", "--yes"]);
        start("unknownPlan", ["plan", "nowhere"]);
        start("noPulumi", ["outputs", "jetstream"], { PATH: path.dirname(process.execPath) });
        start("policy", ["plan", "jetstream", "--config-file", openStack]);
    });
    after(async () => {
        await Promise.allSettled(Object.values(runs));
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("runs from any directory and exits 0", async () => {
        const r = await runs.cost;
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /^Cost estimate for site "nebula" \(openstack\)$/m);
    });

    it("plan --json prints nothing but the JSON document", async () => {
        const r = await runs.planJson;
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(JSON.parse(r.stdout).site, "aws");
    });

    it("an unknown site is exit 2 with one line, from up and from plan", async () => {
        assertOneLineError(await runs.unknownSite, 2, /^esiphub: unknown site "nowhere"/);
        const plan = await runs.unknownPlan;
        assert.strictEqual(plan.status, 2);
        assert.doesNotMatch(plan.stderr, /\n\s+at /, "no stack trace");
    });

    it("without the Pulumi CLI: exit 1, one line saying how to install it", async () => {
        assertOneLineError(await runs.noPulumi, 1, /^esiphub: the Pulumi CLI \(pulumi\) is not on PATH: install it with/);
    });

    it("a mandatory policy violation is exit 3, named on stdout", async () => {
        const r = await runs.policy;
        assert.strictEqual(r.status, 3, r.stderr);
        assert.match(r.stdout, /no-public-admin-ports/);
    });
});
