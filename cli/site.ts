/**
 * A site's stack file as the commands need it: validated (plan, up, cost), or only read, for the commands that need
 * nothing but the stack's name (destroy, outputs, credentials, dns) and must work when the file no longer validates.
 */
import * as path from "path";
import { ConfigError, NAMESPACE, parseSiteConfig, SiteConfig } from "../components/config";
import { knownSites, readStackConfig, StackConfig, StackFileError, stackFilePath } from "../plan/stackfile";
import { AutomationError, cloudCredentialsProblem, findExecutable, PULUMI_INSTALL_HINT, SiteStack, StackMissingError } from "./automation";
import { Cancelled, CliDeps, CliError, EXIT } from "./deps";
import { BadConfigError, CloudCredentialsMissingError, PulumiCliMissingError } from "./errors";

/** A Pulumi stack name as this project uses it (the `<site>` of Pulumi.<site>.yaml). */
export const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function sitesHint(deps: CliDeps): string {
    return `sites: ${knownSites(deps.projectDir).join(", ") || "none"}`;
}

/** Refuses a name that cannot be a stack (e.g. `../aws`) before anything reads a file named after it. */
export function checkSiteName(deps: CliDeps, site: string): void {
    if (!SITE_NAME.test(site)) throw new CliError(`"${site}" is not a site name: use letters, digits, ., _ and - (${sitesHint(deps)})`);
}

/** The stack file of a site (or the one given with --config-file), read but not validated. Exit 2 when there is none. */
export function readSite(deps: CliDeps, site: string, configFile?: string): { file: string; stack: StackConfig } {
    checkSiteName(deps, site);
    const file = configFile ? path.resolve(configFile) : stackFilePath(deps.projectDir, site);
    try {
        return { file, stack: readStackConfig(file) };
    } catch (e) {
        if (!(e instanceof StackFileError)) throw e;
        if (configFile) throw new BadConfigError(e.message, [e.message], file);
        const unknown = `unknown site "${site}": there is no Pulumi.${site}.yaml in ${deps.projectDir} (${sitesHint(deps)})`;
        throw new BadConfigError(unknown, [unknown]);
    }
}

/** "Pulumi.x.yaml has 2 problem(s):\n  - ...": every problem of a stack file, one a line. */
export function problemsText(file: string, problems: readonly string[]): string {
    return `${path.basename(file)} has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`;
}

/**
 * A site's validated configuration; every problem listed and exit 2 otherwise. `overrides` replace settings of the
 * file (`cost --users N` is `esiphub:users: N`, counted by the same rules as the deployed site).
 */
export function validatedSite(
    deps: CliDeps,
    site: string,
    options: { configFile?: string; overrides?: Record<string, string | undefined> } = {},
): { config: SiteConfig; stack: StackConfig; file: string } {
    const { file, stack } = readSite(deps, site, options.configFile);
    const raw = { ...stack.config };
    for (const [key, value] of Object.entries(options.overrides ?? {})) {
        if (value === undefined) delete raw[key];
        else raw[key] = value;
    }
    try {
        return { config: parseSiteConfig(raw, site, deps.projectDir, { yamlNumbers: stack.yamlNumbers }), stack: { ...stack, config: raw }, file };
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        throw new BadConfigError(problemsText(file, e.problems), e.problems, file);
    }
}

/**
 * For the commands that need only the stack's name: the stack file's settings as far as they can be read (none when
 * there is no file), and a note when the file does not validate (the deployed stack does not depend on it).
 */
export function unvalidatedSite(deps: CliDeps, site: string): { raw: Record<string, string>; note?: string } {
    checkSiteName(deps, site);
    const file = stackFilePath(deps.projectDir, site);
    let stack: StackConfig;
    try {
        stack = readStackConfig(file);
    } catch (e) {
        if (!(e instanceof StackFileError)) throw e;
        return { raw: {}, note: /^no stack file/.test(e.message) ? undefined : `${e.message}; going on with the deployed stack` };
    }
    try {
        parseSiteConfig(stack.config, site, deps.projectDir, { yamlNumbers: stack.yamlNumbers });
        return { raw: stack.config };
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        const first = e.problems[0] + (e.problems.length > 1 ? ` (and ${e.problems.length - 1} more)` : "");
        return { raw: stack.config, note: `Pulumi.${site}.yaml does not validate (${first}; \`esiphub plan ${site}\` lists every problem); going on with the deployed stack, which does not need it` };
    }
}

/** The cloud a stack file names, if it names a valid one: enough to check for that cloud's credentials. */
export function cloudOf(raw: Record<string, string>): "openstack" | "aws" | undefined {
    const cloud = raw[`${NAMESPACE}:cloud`];
    return cloud === "openstack" || cloud === "aws" ? cloud : undefined;
}

export function requirePulumiCli(deps: Pick<CliDeps, "env">): void {
    if (!findExecutable("pulumi", deps.env.PATH)) throw new PulumiCliMissingError(`the Pulumi CLI (pulumi) is not on PATH: ${PULUMI_INSTALL_HINT}`);
}

/** Before an operation that reaches the cloud: the Pulumi CLI, and credentials for the cloud the stack file names. */
export function requirePulumiAndCloud(deps: Pick<CliDeps, "env" | "homeDir">, site: string, raw: Record<string, string>): void {
    requirePulumiCli(deps);
    const cloud = cloudOf(raw);
    const problem = cloud && cloudCredentialsProblem(cloud, raw, deps.env, deps.homeDir);
    if (cloud && problem) throw new CloudCredentialsMissingError(`site "${site}" (${cloud}): ${problem}`, cloud);
}

/** The plain Pulumi command that does what an esiphub command does, for when esiphub cannot. */
export function plainPulumi(command: string, site: string): string | undefined {
    const ways: Record<string, string> = {
        destroy: `pulumi destroy -s ${site}`,
        outputs: `pulumi stack output -s ${site} --show-secrets`,
        credentials: `pulumi stack output credentials -s ${site} --show-secrets`,
        dns: `pulumi stack output dnsRecords -s ${site}`,
        kubeconfig: `(umask 077; pulumi stack output kubeconfig -s ${site} --show-secrets > kubeconfig-${site}.yaml)`,
        ssh: `pulumi stack output sshCommand -s ${site}`,
    };
    return ways[command];
}

/**
 * Runs `action`; when it fails with an error for the operator, the message also names the plain Pulumi way to do the
 * same (`pulumi destroy -s SITE`), and for a stack the backend does not have, the stack files there are.
 */
export async function withWayOut<T>(deps: CliDeps, command: string, site: string, action: () => Promise<T>): Promise<T> {
    try {
        return await action();
    } catch (e) {
        if (!(e instanceof CliError || e instanceof AutomationError) || e instanceof Cancelled) throw e;
        const known = e instanceof StackMissingError ? ` (stack files here: ${knownSites(deps.projectDir).join(", ") || "none"})` : "";
        const way = plainPulumi(command, site);
        throw new CliError(`${e.message}${known}${way ? `; without esiphub: \`${way}\`` : ""}`, e instanceof CliError ? e.exitCode : EXIT.failed);
    }
}

/**
 * The deployed stack of a site, for the commands that need only its name: no validation of the stack file (a note
 * when it does not validate), the Pulumi CLI, and the stack in the operator's backend.
 */
export async function deployedStack(deps: CliDeps, site: string): Promise<{ stack: SiteStack; raw: Record<string, string> }> {
    const { raw, note } = unvalidatedSite(deps, site);
    if (note) deps.stderr.write(`esiphub: note: ${note}\n`);
    requirePulumiCli(deps);
    return { stack: await deps.automation.stack(site, "select"), raw };
}
