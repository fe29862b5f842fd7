import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { EngineEvent, OpMap, OutputMap } from "@pulumi/pulumi/automation";
import { redact } from "./redact";

/**
 * The few things the CLI asks of Pulumi, behind one interface: the real implementation drives the Pulumi CLI
 * through the Automation API (LocalWorkspace over the project folder, stack = site); tests use a double.
 */

export type StackOperation = "up" | "destroy" | "refresh";

export interface RunOptions {
    /** URNs to limit the operation to (`--target`). */
    readonly target?: string[];
    readonly onEvent: (event: EngineEvent) => void;
}

/** A resource of the deployed state, as far as the CLI's checks need it. */
export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    /** The cloud's id of the resource (a volume's id, to delete it by hand once the state no longer has it). */
    readonly id?: string;
}

export interface SiteStack {
    readonly site: string;
    /** What `operation` would do, without doing it; resolves to the steps by operation. */
    preview(operation: StackOperation, options: RunOptions): Promise<OpMap>;
    run(operation: StackOperation, options: RunOptions): Promise<OpMap>;
    /** Stack outputs with their values in clear and a `secret` flag each. */
    outputs(): Promise<OutputMap>;
    /** A stack config value (`namespace:key`), undefined when not set. */
    getConfig(key: string): Promise<string | undefined>;
    /** Sets a plain (not secret) stack config value, as `pulumi config set` does. */
    setConfig(key: string, value: string): Promise<void>;
    /** Removes a stack config value, as `pulumi config rm` does. */
    removeConfig(key: string): Promise<void>;
    /** The resources of the deployed state (empty before the first `up`). */
    resources(): Promise<StateResource[]>;
    /**
     * Clears `retainOnDelete` and `protect` of these resources in the deployed state, so that the next destroy deletes
     * them in the cloud: the engine's delete step skips the provider for a resource whose state says retainOnDelete
     * (pulumi/pulumi pkg/resource/deploy/step.go, DeleteStep.Apply) and refuses a protected one.
     */
    deleteOnDestroy(urns: readonly string[]): Promise<void>;
}

export interface Automation {
    /** `create`: make the stack when the backend has none (first `up`); `select`: it must exist. */
    stack(site: string, mode: "create" | "select"): Promise<SiteStack>;
}

/** An Automation API failure, with a message of one line fit to show the operator. */
export class AutomationError extends Error {}

/** The site has no stack in the operator's backend. */
export class StackMissingError extends AutomationError {}

/** Path of an executable named `name` on `PATH`, or undefined. */
export function findExecutable(name: string, searchPath: string | undefined): string | undefined {
    for (const dir of (searchPath ?? "").split(path.delimiter)) {
        if (!dir) continue;
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) return candidate;
        } catch {
            // not here
        }
    }
    return undefined;
}

export const PULUMI_INSTALL_HINT =
    "install it with scripts/install-pulumi.sh (the pinned version, sha256 checked) and add ~/.pulumi/bin to PATH (see https://www.pulumi.com/docs/iac/download-install/)";

type Env = Record<string, string | undefined>;

const set = (env: Env, ...names: string[]) => names.every((n) => !!env[n]);

/**
 * Why the cloud provider would find no credentials for this stack, or undefined when some are there.
 * It looks where the providers look (environment, stack config, credential files) without contacting the cloud.
 */
export function cloudCredentialsProblem(cloud: string, stackConfig: Record<string, string>, env: Env, homeDir: string): string | undefined {
    if (env.ESIPHUB_SKIP_CREDENTIALS_CHECK === "1") return undefined;
    const exists = (file: string | undefined) => !!file && fs.existsSync(file);
    if (cloud === "openstack") {
        const cfg = (key: string) => !!stackConfig[`openstack:${key}`];
        const cloudsYaml = [env.OS_CLIENT_CONFIG_FILE, "clouds.yaml", path.join(homeDir, ".config/openstack/clouds.yaml"), "/etc/openstack/clouds.yaml"];
        const found =
            ((!!env.OS_CLOUD || cfg("cloud")) && cloudsYaml.some(exists)) ||
            set(env, "OS_APPLICATION_CREDENTIAL_ID", "OS_APPLICATION_CREDENTIAL_SECRET") ||
            set(env, "OS_APPLICATION_CREDENTIAL_NAME", "OS_APPLICATION_CREDENTIAL_SECRET") ||
            (cfg("applicationCredentialId") && cfg("applicationCredentialSecret")) ||
            ((set(env, "OS_USERNAME") || set(env, "OS_USER_ID")) && set(env, "OS_PASSWORD")) ||
            ((cfg("userName") || cfg("userId")) && cfg("password")) ||
            set(env, "OS_TOKEN") ||
            set(env, "OS_AUTH_TOKEN") ||
            cfg("token");
        if (found) return undefined;
        return (
            "no OpenStack credentials: source your cloud's openrc (OS_APPLICATION_CREDENTIAL_ID and OS_APPLICATION_CREDENTIAL_SECRET, " +
            "or OS_USERNAME and OS_PASSWORD), or set OS_CLOUD with a clouds.yaml"
        );
    }
    if (cloud === "aws") {
        const cfg = (key: string) => !!stackConfig[`aws:${key}`];
        const found =
            set(env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") ||
            set(env, "AWS_PROFILE") ||
            set(env, "AWS_WEB_IDENTITY_TOKEN_FILE") ||
            set(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
            set(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI") ||
            (cfg("accessKey") && cfg("secretKey")) ||
            cfg("profile") ||
            [env.AWS_SHARED_CREDENTIALS_FILE, env.AWS_CONFIG_FILE, path.join(homeDir, ".aws/credentials"), path.join(homeDir, ".aws/config")].some(exists);
        if (found) return undefined;
        return (
            "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or create ~/.aws/credentials " +
            "(on an instance with an IAM role, set ESIPHUB_SKIP_CREDENTIALS_CHECK=1)"
        );
    }
    return undefined;
}

/**
 * The one line worth showing from a failed Pulumi CLI command (an Automation API CommandError's text:
 * "code: N\n stdout: ...\n stderr: ...\n err?: ..."): the first "error:" line of its stderr, else its last line.
 */
export function commandErrorLine(text: string): string {
    const stderr = /\n stderr: ([\s\S]*?)\n err\?: ([\s\S]*)$/.exec(text);
    const source = stderr ? stderr[1] : text;
    const lines = source
        .split("\n")
        .map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").trim())
        .filter(Boolean);
    const error = lines.find((l) => /^error: /.test(l));
    if (error) return error.replace(/^error: /, "");
    if (lines.length > 0) return lines[lines.length - 1];
    const err = stderr?.[2].split("\n").map((l) => l.trim()).find(Boolean);
    return err ?? "the Pulumi CLI failed without a message";
}

/** The real thing: the Pulumi CLI on PATH, with the operator's backend login, passphrase and cloud environment. */
export class PulumiAutomation implements Automation {
    constructor(private readonly projectDir: string) {}

    async stack(site: string, mode: "create" | "select"): Promise<SiteStack> {
        // Loaded on use: commands that need no stack (cost, plan, help) do not pay for it.
        const auto = await import("@pulumi/pulumi/automation");
        const args = { stackName: site, workDir: this.projectDir };
        try {
            const stack = mode === "create" ? await auto.LocalWorkspace.createOrSelectStack(args) : await auto.LocalWorkspace.selectStack(args);
            return new PulumiSiteStack(site, stack, auto);
        } catch (e) {
            throw translateError(e, site, auto);
        }
    }
}

type AutomationModule = typeof import("@pulumi/pulumi/automation");

function translateError(e: unknown, site: string, auto: AutomationModule): Error {
    if (e instanceof auto.StackNotFoundError) {
        return new StackMissingError(`site "${site}" has no stack in the current Pulumi backend; deploy it with \`esiphub up ${site}\` (or log in to the backend that has it)`);
    }
    if (e instanceof auto.ConcurrentUpdateError) {
        return new AutomationError(`another operation on site "${site}" is running; wait for it, or if it crashed, run \`pulumi cancel -s ${site}\``);
    }
    if (e instanceof auto.CommandError) {
        // The CLI's stderr quotes the resources' diagnostics: known secret shapes never enter the error.
        const line = redact(commandErrorLine(e.message));
        // PATH changed between the CLI's own check and the run, or the binary went away.
        if (/spawn \S*pulumi ENOENT/.test(line)) return new AutomationError(`the Pulumi CLI (pulumi) is not on PATH: ${PULUMI_INSTALL_HINT}`);
        return new AutomationError(line);
    }
    return new AutomationError(redact(e instanceof Error ? e.message.split("\n")[0] : String(e)));
}

class PulumiSiteStack implements SiteStack {
    constructor(readonly site: string, private readonly stack: import("@pulumi/pulumi/automation").Stack, private readonly auto: AutomationModule) {}

    private async call<T>(f: () => Promise<T>): Promise<T> {
        try {
            return await f();
        } catch (e) {
            throw translateError(e, this.site, this.auto);
        }
    }

    preview(operation: StackOperation, options: RunOptions): Promise<OpMap> {
        const opts = { target: options.target, onEvent: options.onEvent, color: "never" as const };
        return this.call(async () => {
            if (operation === "up") return (await this.stack.preview(opts)).changeSummary;
            if (operation === "destroy") return (await this.stack.previewDestroy(opts)).changeSummary;
            return (await this.stack.previewRefresh(opts)).changeSummary;
        });
    }

    run(operation: StackOperation, options: RunOptions): Promise<OpMap> {
        const opts = { target: options.target, onEvent: options.onEvent, color: "never" as const };
        return this.call(async () => {
            const result = operation === "up" ? await this.stack.up(opts) : operation === "destroy" ? await this.stack.destroy(opts) : await this.stack.refresh(opts);
            return result.summary.resourceChanges ?? {};
        });
    }

    outputs(): Promise<OutputMap> {
        return this.call(() => this.stack.outputs());
    }

    async getConfig(key: string): Promise<string | undefined> {
        const all = await this.call(() => this.stack.getAllConfig());
        return all[key]?.value;
    }

    setConfig(key: string, value: string): Promise<void> {
        return this.call(() => this.stack.setConfig(key, { value, secret: false }));
    }

    removeConfig(key: string): Promise<void> {
        return this.call(() => this.stack.removeConfig(key));
    }

    async resources(): Promise<StateResource[]> {
        const exported = await this.call(() => this.stack.exportStack());
        const resources: Array<Record<string, unknown>> = (exported.deployment as { resources?: Array<Record<string, unknown>> } | undefined)?.resources ?? [];
        return resources.map((r) => ({
            urn: String(r.urn),
            type: String(r.type),
            protect: r.protect === true,
            retainOnDelete: r.retainOnDelete === true,
            ...(typeof r.id === "string" ? { id: r.id } : {}),
        }));
    }

    /**
     * `pulumi stack export`, the flags cleared, `pulumi stack import`. Run directly rather than through the SDK's
     * exportStack/importStack: those export with --show-secrets and import through a file in the temporary folder with
     * the default mode (@pulumi/pulumi automation/localWorkspace.ts), which would put every secret in clear on disk.
     * Without --show-secrets the state keeps its secrets encrypted; the file is private and removed at once.
     */
    async deleteOnDestroy(urns: readonly string[]): Promise<void> {
        const workspace = this.stack.workspace as import("@pulumi/pulumi/automation").LocalWorkspace;
        const pulumi = (args: string[]) => runPulumi(workspace.pulumiCommand.command, [...args, "--non-interactive"], workspace.workDir, workspace.envVars);
        const exported = JSON.parse(await pulumi(["stack", "export", "--stack", this.site]));
        const resources: Array<Record<string, unknown>> = exported.deployment?.resources ?? [];
        const wanted = new Set(urns);
        const found = resources.filter((r) => wanted.has(String(r.urn)));
        if (found.length !== wanted.size) throw new AutomationError(`site "${this.site}": the deployed state has no resource ${[...wanted].find((u) => !found.some((r) => r.urn === u))}`);
        for (const r of found) {
            delete r.retainOnDelete;
            r.protect = false;
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-state-"));
        try {
            const file = path.join(dir, "state.json");
            fs.writeFileSync(file, JSON.stringify(exported), { mode: 0o600, flag: "wx" });
            await pulumi(["stack", "import", "--file", file, "--stack", this.site]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
}

/** One Pulumi CLI command, as the Automation API runs it (its environment plus the workspace's); resolves to stdout. */
function runPulumi(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error) reject(new AutomationError(commandErrorLine(`code: ${error.code}\n stdout: ${stdout}\n stderr: ${stderr}\n err?: ${error.message}`)));
            else resolve(stdout);
        });
    });
}
