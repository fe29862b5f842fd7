/**
 * What the CLI tests share: a run of the CLI in-process against the Automation double (the Pulumi CLI's stand-in),
 * with captured output, in a temporary folder with a PATH, a home and copies of the project's stack files.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { OutputMap } from "@pulumi/pulumi/automation";
import * as YAML from "yaml";
import { CliDeps, runCli } from "../../cli/esiphub";
import type { SiteOptions } from "../../api";
import { Automation } from "../../cli/automation";
import { AutomationDouble, FakeSite, loadEvents } from "./automation-double";
import { PROJECT_DIR } from "../mocks";
import { Capture } from "../capture";
export { Capture };

/** Captured standard output / error of one CLI run. */

export const OUTPUTS: OutputMap = {
    hubUrl: { value: "https://hub.esipfed.org", secret: false },
    publicIp: { value: "149.165.157.42", secret: false },
    masterPrivateIp: { value: "10.42.0.10", secret: false },
    workerPrivateIps: { value: ["10.42.0.12", "10.42.0.13"], secret: false },
    sshCommand: { value: "ssh -i KEY ubuntu@149.165.157.42", secret: false },
    workers: { value: 5, secret: false },
    credentials: {
        value: [
            { username: "workshop-01", password: "Kp7mHd4Wz9Ty" },
            { username: "instructor", password: "Rb3sNq48Ve72Ls" },
        ],
        secret: true,
    },
    kubeconfig: { value: "apiVersion: v1\nkind: Config\n", secret: true },
};

export const account = (username: string) => ({ username, password: `pw-${username}` });

/** A deployed site of two workshops (esiphub:workshops), as `pulumi stack output` gives it (components/esiphub.ts workshopOutputs). */
export const WORKSHOP_OUTPUTS: OutputMap = {
    publicIp: { value: "149.165.157.42", secret: false },
    workshops: {
        value: {
            "python-intro": { hubUrl: "https://python.hub.esipfed.org", namespace: "python-intro", users: 2, tls: "letsencrypt", tlsStaging: false, adminUsers: ["instructor"], maxServers: 2 },
            "data-viz": { hubUrl: "http://149.165.157.42/data-viz/", namespace: "data-viz", users: 2, tls: "none", tlsStaging: false, adminUsers: ["instructor"], maxServers: 2 },
        },
        secret: false,
    },
    credentials: { value: { "python-intro": [account("py-01"), account("instructor")], "data-viz": [account("viz-01"), account("instructor")] }, secret: true },
    kubeconfig: { value: "apiVersion: v1\nkind: Config\n", secret: true },
};

export const DATA_VOLUME = {
    urn: "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts$openstack:blockstorage/volume:Volume::esiphub-jetstream-data",
    type: "openstack:blockstorage/volume:Volume",
    protect: false,
};

/** A copy of the project's stack files in `dir`, with Pulumi.<site>.yaml's settings changed (undefined removes one). */
export function projectWith(dir: string, site: string, settings: Record<string, unknown>): string {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi\..*yaml$/.test(f))) fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
    const file = path.join(dir, `Pulumi.${site}.yaml`);
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    for (const [key, value] of Object.entries(settings)) {
        if (value === undefined) doc.deleteIn(["config", key]);
        else doc.setIn(["config", key], value);
    }
    fs.writeFileSync(file, doc.toString());
    return dir;
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    calls: string[];
    questions: string[];
}

export interface RunSetup {
    sites?: Record<string, FakeSite>;
    env?: Record<string, string | undefined>;
    /** The answer to a yes/no question, or the text typed at a prompt. */
    answer?: boolean | string;
    automation?: Automation;
    /** The project folder (stack files); the small project by default. */
    projectDir?: string;
    /** The clock of the CLI and of the double's backend (the system's by default). */
    now?: () => Date;
}

/** Every error is one `esiphub: ...` line, without a stack trace. */
export function assertOneLineError(r: RunResult, pattern: RegExp, code = 1) {
    assert.strictEqual(r.code, code, r.stdout + r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    assert.strictEqual(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], /^esiphub: /);
    assert.match(lines[0], pattern);
    assert.ok(!/\n\s+at /.test(r.stderr));
}

export function deployedJetstream(extra: Partial<FakeSite> = {}): Record<string, FakeSite> {
    return {
        jetstream: {
            outputs: OUTPUTS,
            resources: [{ ...DATA_VOLUME, retainOnDelete: true }],
            events: {
                "preview-up": loadEvents("jetstream-update.preview.jsonl"),
                up: loadEvents("jetstream-update.jsonl"),
            },
            ...extra,
        },
    };
}

/** A temporary world for the CLI: call setUp() in before() and tearDown() in after(). */
export class CliHarness {
    tmp = "";
    binDir = "";
    homeDir = "";
    /** The project's stack files, Jetstream's with 3 accounts instead of 62: the same checks, a quicker offline plan. */
    smallProject = "";

    setUp(): void {
        this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-cli-"));
        this.binDir = path.join(this.tmp, "bin");
        this.homeDir = path.join(this.tmp, "home");
        fs.mkdirSync(this.binDir);
        fs.mkdirSync(this.homeDir);
        // Only found on PATH, never run: the double stands in for it.
        fs.writeFileSync(path.join(this.binDir, "pulumi"), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
        this.smallProject = projectWith(path.join(this.tmp, "project"), "jetstream", {
            "esiphub:users": 2,
            "esiphub:extraUsers": ["instructor"],
            "esiphub:adminUsers": ["instructor"],
        });
    }

    tearDown(): void {
        if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
    }

    /** The project folder, PATH (a `pulumi` to find), cloud credentials and home of every run. */
    private world(setup: Pick<RunSetup, "env" | "projectDir">): Pick<CliDeps, "projectDir" | "env" | "homeDir"> {
        return {
            projectDir: setup.projectDir ?? this.smallProject,
            env: { PATH: this.binDir, OS_APPLICATION_CREDENTIAL_ID: "id", OS_APPLICATION_CREDENTIAL_SECRET: "secret", AWS_PROFILE: "esiphub", ...setup.env },
            homeDir: this.homeDir,
        };
    }

    /** api.ts's options for a script run in this world (the examples' tests), against `automation`. */
    siteOptions(automation: Automation, setup: Pick<RunSetup, "env" | "projectDir" | "now"> = {}): SiteOptions {
        return { ...this.world(setup), automation, ...(setup.now ? { now: setup.now } : {}) };
    }

    async run(args: string[], setup: RunSetup = {}): Promise<RunResult> {
        const stdout = new Capture();
        const stderr = new Capture();
        const double = new AutomationDouble(setup.sites ?? {}, setup.now);
        const questions: string[] = [];
        const asked = <T>(answer: (text: boolean | string) => T) => async (q: string) => {
            questions.push(q);
            return answer(setup.answer!);
        };
        const deps: CliDeps = {
            ...this.world(setup),
            stdout,
            stderr,
            automation: setup.automation ?? double,
            confirm: setup.answer === undefined ? undefined : asked((a) => a === true),
            ask: setup.answer === undefined ? undefined : asked((a) => String(a)),
            now: setup.now,
        };
        const code = await runCli(args, deps);
        return { code, stdout: stdout.text, stderr: stderr.text, calls: double.calls, questions };
    }
}
