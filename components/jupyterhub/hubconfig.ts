import * as fs from "fs";
import * as path from "path";

/** The authenticator as kept in the repo; the chart's hub and the local test hub both load this file. */
export const AUTHENTICATOR_FILE = path.join(__dirname, "authenticator.py");
/** Module name the file is installed under, next to the hub's config. */
export const AUTHENTICATOR_MODULE = "esiphub_authenticator";
export const AUTHENTICATOR_CLASS = "PregeneratedAuthenticator";

/** The hook that gives admins a writable materials mount, kept in the repo as a real `.py` file like the authenticator. */
export const MATERIALS_HOOK_FILE = path.join(__dirname, "esiphub_materials.py");
export const MATERIALS_HOOK_MODULE = "esiphub_materials";

export function materialsHookSource(): string {
    return fs.readFileSync(MATERIALS_HOOK_FILE, "utf8");
}

export function authenticatorSource(): string {
    return fs.readFileSync(AUTHENTICATOR_FILE, "utf8");
}

export interface AuthenticatorConfigArgs {
    /** Directory that holds `esiphub_authenticator.py`. */
    moduleDir: string;
    /** JSON file: user name → bcrypt hash. */
    credentialsPath: string;
    adminUsers: readonly string[];
    /** The attendees' accounts: the authenticator never makes them admins, whatever adminUsers says. */
    attendeeUsers: readonly string[];
    /** bcrypt checks at once (the authenticator's default when absent). */
    maxConcurrentChecks?: number;
}

/** A Python string literal; JSON's string syntax is valid Python for these values. */
const py = (s: string): string => JSON.stringify(s);

/**
 * The hub config lines that install the authenticator: the chart runs them as `hub.extraConfig`,
 * the local test hub appends them to its config file, so both hubs are set up by the same text.
 */
export function authenticatorConfig(args: AuthenticatorConfigArgs): string {
    return [
        "import sys",
        `sys.path.insert(0, ${py(args.moduleDir)})`,
        `from ${AUTHENTICATOR_MODULE} import ${AUTHENTICATOR_CLASS}`,
        `c.JupyterHub.authenticator_class = ${AUTHENTICATOR_CLASS}`,
        `c.${AUTHENTICATOR_CLASS}.credentials_path = ${py(args.credentialsPath)}`,
        // Admins are accounts in the credentials file; check_allowed admits exactly those accounts.
        `c.Authenticator.admin_users = set([${args.adminUsers.map(py).join(", ")}])`,
        `c.${AUTHENTICATOR_CLASS}.attendee_users = set([${args.attendeeUsers.map(py).join(", ")}])`,
        ...(args.maxConcurrentChecks === undefined ? [] : [`c.${AUTHENTICATOR_CLASS}.max_concurrent_checks = ${args.maxConcurrentChecks}`]),
        "",
    ].join("\n");
}

export interface MaterialsHookConfigArgs {
    /** Directory that holds `esiphub_materials.py`. */
    moduleDir: string;
    /** Name of the materials volume in the server pods. */
    volumeName: string;
}

/** The hub config lines that install the materials hook (run by the chart as `hub.extraConfig`). */
export function materialsHookConfig(args: MaterialsHookConfigArgs): string {
    return [
        "import sys",
        `if ${py(args.moduleDir)} not in sys.path:`,
        `    sys.path.insert(0, ${py(args.moduleDir)})`,
        `from ${MATERIALS_HOOK_MODULE} import admin_writable_mount`,
        // On Spawner, so that it reaches KubeSpawner (the chart's spawner) and any other.
        `c.Spawner.pre_spawn_hook = admin_writable_mount(${py(args.volumeName)})`,
        "",
    ].join("\n");
}
