/**
 * The README's commands, run as written: the offline ones from the project folder (the quick start's through npx, as
 * a fresh clone would, so that npm's own output would show; the others through the same entry point in-process), the ones that need a deployed site against the Automation double, and
 * every `esiphub` command in the README and the runbook parsed by the real command line. A command in the docs
 * that this test does not know how to check fails it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { buildProgram } from "../../cli/esiphub";
import { CommanderError } from "commander";
import { AutomationDouble } from "./automation-double";
import { Capture, CliHarness, deployedJetstream, WORKSHOP_OUTPUTS } from "./harness";
import { PROJECT_DIR } from "../mocks";

const README = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
const RUNBOOK = fs.readFileSync(path.join(PROJECT_DIR, "docs", "RUNBOOK.md"), "utf8");

/** Every command of a markdown text: the lines of its bash blocks and the inline code that starts with a command. */
export function documentedCommands(markdown: string): string[] {
    const commands: string[] = [];
    for (const block of markdown.matchAll(/```bash\n([\s\S]*?)```/g)) {
        for (const line of block[1].split("\n")) {
            const command = line.replace(/\s+#\s.*$/, "").trim();
            if (command) commands.push(...command.split(/\s+&&\s+/));
        }
    }
    const withoutBlocks = markdown.replace(/```[\s\S]*?```/g, "");
    for (const span of withoutBlocks.matchAll(/`([^`\n]+)`/g)) {
        if (/^(npx |npm |pulumi |bash |curl )/.test(span[1])) commands.push(...span[1].split(/\s+&&\s+/));
    }
    return commands;
}

/** Words of a command line (quotes kept together), without an output redirection at its end. */
function words(command: string): string[] {
    const tokens: string[] = command.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
    const redirect = tokens.indexOf(">");
    return (redirect >= 0 ? tokens.slice(0, redirect) : tokens).map((t) => t.replace(/^(["'])(.*)\1$/, "$2"));
}

/** What each esiphub command needs, and so how the README's use of it is checked. */
const NEEDS: Record<string, "offline" | "deployed" | "network"> = {
    plan: "offline",
    cost: "offline",
    "--help": "offline",
    "--version": "offline",
    up: "deployed",
    preview: "deployed",
    destroy: "deployed",
    outputs: "deployed",
    credentials: "deployed",
    dns: "deployed",
    kubeconfig: "deployed",
    // A real ssh client, a hub, an echo service on the internet: parsed here, run in their own tests.
    ssh: "network",
    loadtest: "network",
    "admin-ip": "network",
    // The deployed site's Kubernetes API as well (whose servers run where): run in test/cli/scale.test.ts.
    scale: "network",
    // A live hub, its DNS, certificate and cluster: run in test/doctor/ against local servers.
    doctor: "network",
    rehearse: "network",
    // Every site's state in the backend: on the double like the deployed site's commands (test/cli/status.test.ts).
    status: "deployed",
    // The cluster's API (test/cli/tlsretry.test.ts) and the NFS host over SSH (test/backup/).
    "tls-retry": "network",
    backup: "network",
    handout: "network",
};

/** The Pulumi CLI's own commands the docs may use (the Pulumi CLI reference, pulumi.com/docs/iac/cli/commands). */
const PULUMI_COMMANDS = ["login", "logout", "whoami", "stack init", "stack ls", "stack rm", "stack select", "stack output", "config set", "config get", "up", "preview", "destroy", "refresh", "cancel"];

/** Parses `args` with the real command line, every action replaced by nothing: a usage error throws. */
async function parses(args: string[]): Promise<void> {
    const program = buildProgram({ projectDir: PROJECT_DIR, env: {}, homeDir: "/nonexistent", stdout: new Capture(), stderr: new Capture(), automation: new AutomationDouble({}) });
    for (const command of program.commands) command.action(() => undefined);
    try {
        await program.parseAsync(args, { from: "user" });
    } catch (e) {
        if (e instanceof CommanderError && e.exitCode === 0) return; // --help, --version
        throw e;
    }
}

describe("the README's commands do what the README says", function () {
    const readme = documentedCommands(README);
    const esiphub = [...new Set(readme.filter((c) => c.startsWith("npx esiphub ") && !c.includes("<")))];
    /** The esiphub arguments of a command: after `npx esiphub`, or after `npm run plan --` (npm's script for plan). */
    const esiphubArgs = (command: string): string[] => {
        const w = words(command);
        return w[0] === "npm" ? ["plan", ...w.slice(w.indexOf("--") + 1)] : w.slice(2);
    };
    const offline = [...new Set(readme.filter((c) => (c.startsWith("npx esiphub ") && NEEDS[words(c)[2]] === "offline") || c.startsWith("npm run plan")))];

    it("finds the commands (the quick start's plan among them)", () => {
        assert.ok(esiphub.includes("npx esiphub plan jetstream --json"), esiphub.join("\n"));
        assert.ok(readme.includes("npm ci"));
    });

    it("every esiphub command of the README and the runbook is one the command line accepts", async () => {
        const runbook = documentedCommands(RUNBOOK)
            .filter((c) => c.startsWith("npx esiphub "))
            .map((c) => c.replace(/\bSITE\b/g, "jetstream").replace("CIDR", "203.0.113.0/24"));
        for (const command of [...esiphub, ...runbook]) {
            const args = words(command).slice(2);
            assert.ok(NEEDS[args[0]], `${command}: no check for "esiphub ${args[0]}" (add it to NEEDS)`);
            await parses(args).catch((e) => assert.fail(`${command}: ${(e as Error).message}`));
        }
    });

    it("the other commands are npm's scripts, files of the repository or the Pulumi CLI's own", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).scripts as Record<string, string>;
        for (const command of readme.filter((c) => !c.startsWith("npx esiphub "))) {
            const w = words(command);
            if (w[0] === "npm" && w[1] === "run") assert.ok(scripts[w[2]], `${command}: package.json has no script "${w[2]}"`);
            else if (w[0] === "npm") assert.ok(["ci", "test"].includes(w[1]), command);
            else if (w[0] === "bash") assert.ok(fs.existsSync(path.join(PROJECT_DIR, w[1])), `${command}: no ${w[1]}`);
            // The scripts of examples/, each run in its test (test/examples/).
            else if (w[0] === "npx" && w[1] === "ts-node") assert.ok(/^examples\/[a-z-]+\.ts$/.test(w[2]) && fs.existsSync(path.join(PROJECT_DIR, w[2])), `${command}: no ${w[2]} in examples/`);
            else if (w[0] === "pulumi") assert.ok(PULUMI_COMMANDS.some((p) => `${w.slice(1).join(" ")} `.startsWith(`${p} `)), `${command}: not a Pulumi CLI command this test knows`);
            else if (w[0] === "curl") assert.match(command, /^curl -fsSL https:\/\/get\.pulumi\.com \| sh$/, "the Pulumi installer, nothing else");
            else assert.fail(`${command}: no check for this command`);
        }
    });

    /** What an offline command prints, checked the same way whether it ran through npx or in-process. */
    function assertOfflineOutput(command: string, run: { status: number | null; stdout: string; stderr: string }): void {
        assert.strictEqual(run.status, 0, run.stderr);
        const args = esiphubArgs(command);
        if (args[0] === "plan" && args.includes("--json")) {
            // Nothing but the JSON document on standard output (no npm banner).
            assert.strictEqual(run.stdout[0], "{");
            assert.strictEqual(JSON.parse(run.stdout).site, args[1]);
        } else if (args[0] === "plan") {
            assert.match(run.stdout, new RegExp(`^Plan of site "${args[1]}" \\(offline: no cloud was contacted\\)\\n\\nSite "${args[1]}"`));
        } else if (args[0] === "cost") {
            assert.match(run.stdout, new RegExp(`^Cost estimate for site "${args[1]}"[\\s\\S]*\\nAfter destroy: `));
        } else if (args[0] === "--help") {
            assert.match(run.stdout, /^Usage: esiphub \[options\] \[command\]/);
        } else {
            assert.strictEqual(run.stdout.trim(), JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).version);
        }
    }

    // A fresh npx and ts-node start costs seconds of CPU: the quick start's own commands run as written (npx and
    // npm's script, where npm's banner would show), every other offline command through the same entry point in-process.
    const spawned = new Set([offline.find((c) => c.startsWith("npx esiphub plan ") && c.includes("--json")), offline.find((c) => c.startsWith("npm run plan"))].filter((c): c is string => !!c));

    describe("offline, run as written from the project folder", () => {
        for (const command of spawned) {
            it(command, () => {
                const run = spawnSync("bash", ["-c", command], { cwd: PROJECT_DIR, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
                assertOfflineOutput(command, run);
            });
        }
        const harness = new CliHarness();
        before(() => harness.setUp());
        after(() => harness.tearDown());
        for (const command of offline.filter((c) => !spawned.has(c))) {
            it(`${command} (in-process)`, async () => {
                const r = await harness.run(esiphubArgs(command), { projectDir: PROJECT_DIR });
                assertOfflineOutput(command, { status: r.code, stdout: r.stdout, stderr: r.stderr });
            });
        }
    });

    describe("on a deployed site (the Automation double in place of the Pulumi CLI)", () => {
        const harness = new CliHarness();
        let cwd: string;
        before(() => {
            harness.setUp();
            cwd = process.cwd();
            // Files the commands write (--out cards.html, kubeconfig-jetstream.yaml) land in the temporary folder.
            process.chdir(harness.tmp);
        });
        after(() => {
            process.chdir(cwd);
            harness.tearDown();
        });

        for (const command of esiphub.filter((c) => NEEDS[words(c)[2]] === "deployed")) {
            it(command, async () => {
                const args = words(command).slice(2);
                // `meeting`: the README's site of workshops (examples/Pulumi.meeting.yaml), deployed.
                const r = await harness.run(args, { projectDir: PROJECT_DIR, sites: { ...deployedJetstream(), meeting: { outputs: WORKSHOP_OUTPUTS } }, answer: true });
                assert.strictEqual(r.code, 0, r.stderr);
                const out = args[args.indexOf("--out") + 1];
                if (args.includes("--out")) assert.strictEqual(fs.statSync(path.resolve(out)).mode & 0o777, 0o600, `${out} is private`);
                if (args[0] === "dns") assert.match(r.stdout, /^hub\.esipfed\.org\.\t300\tIN\tA\t149\.165\.157\.42$/m);
                if (args[0] === "kubeconfig") assert.strictEqual(fs.readFileSync(path.join(harness.tmp, "kubeconfig-jetstream.yaml"), "utf8"), "apiVersion: v1\nkind: Config\n");
                if (args[0] === "up") assert.match(r.stdout, /^Site "jetstream" \(openstack, IU\)$/m);
            });
        }
    });
});
