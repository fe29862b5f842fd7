/**
 * A real JupyterHub 5 on 127.0.0.1 for hub-side tests: Debian trixie's jupyterhub, run chrooted in the root
 * that scripts/hub-root.sh builds, with the project's authenticator loaded the way the chart loads it.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { authenticatorConfig, AUTHENTICATOR_FILE, AUTHENTICATOR_MODULE } from "../../components/jupyterhub/hubconfig";
import { HANG_GUARD_MS, sleep, waitFor } from "../wait";
import { distinctFreePorts, freePort, freePortBlock } from "../ports";

const HANG_GUARD_S = HANG_GUARD_MS / 1000;
import { POSTSTART_FILE } from "../../components/jupyterhub/values";

export const HUB_ROOT = process.env.ESIPHUB_HUB_ROOT || "/var/cache/esiphub/trixie-root";

/** Why the local hub cannot run here, or undefined when it can. For `this.skip()` messages. */
export function hubRootMissing(): string | undefined {
    if (process.getuid?.() !== 0) return "the local JupyterHub needs root (chroot); run the tests as root";
    if (!fs.existsSync(path.join(HUB_ROOT, ".esiphub-complete")) || !fs.existsSync(path.join(HUB_ROOT, "usr/bin/jupyterhub"))) {
        return `no JupyterHub root at ${HUB_ROOT}; build it with scripts/hub-root.sh (or point ESIPHUB_HUB_ROOT at one)`;
    }
    return undefined;
}

export function hubRootAvailable(): boolean {
    return hubRootMissing() === undefined;
}

export interface LocalHubOptions {
    /** Extra Python lines appended to the generated jupyterhub_config.py (after the defaults, so they win). */
    config?: string;
    /** user name → bcrypt hash, written to the authenticator's credentials file. */
    credentials?: Record<string, string>;
    /** Admin users handed to the authenticator config, as the chart does. */
    adminUsers?: string[];
    /** Attendees' accounts handed to the authenticator config (never admins), as the chart does. */
    attendeeUsers?: string[];
    /** Public (proxy) port; a free one when absent. */
    port?: number;
    /** How long to wait for /hub/api to answer before calling it a hang, ms (default: the tests' hang guard). */
    startTimeoutMs?: number;
    /** User servers set up as the chart sets them up (its `singleuser` values); plain servers when absent. */
    singleuser?: SingleuserOptions;
}

/**
 * What the chart gives every user server, modelled here: `memoryLimit` becomes MEM_LIMIT (KubeSpawner and
 * SimpleLocalProcessSpawner both inherit it from Spawner.mem_limit, jupyterhub/spawner.py get_env); the quickstart
 * README and a shared folder are mounted outside the home, and the chart's own postStart script
 * (components/jupyterhub/poststart.sh) copies and links them into the home. Kubernetes runs postStart next to the
 * container's entrypoint (and kills the container if it fails, which the script never does); here it runs just
 * before the server.
 */
export interface SingleuserOptions {
    memoryLimit?: string;
    /** Text of the quickstart README; none is mounted when absent. */
    readme?: string;
    /** Mount a shared folder (with one file in it). */
    shared?: boolean;
}

/** Python config lines for `singleuser`; files go under `dir` (host path), seen by the hub as `chrootDir`. */
function singleuserConfig(singleuser: SingleuserOptions, dir: string, chrootDir: string): string[] {
    const lines: string[] = [];
    if (singleuser.memoryLimit) lines.push(`c.Spawner.mem_limit = ${py(singleuser.memoryLimit)}`);
    const filesDir = path.join(dir, "etc-esiphub");
    fs.mkdirSync(filesDir);
    fs.copyFileSync(POSTSTART_FILE, path.join(filesDir, "poststart.sh"));
    if (singleuser.readme !== undefined) fs.writeFileSync(path.join(filesDir, "README.md"), singleuser.readme);
    if (singleuser.shared) {
        fs.mkdirSync(path.join(dir, "shared"));
        fs.writeFileSync(path.join(dir, "shared", "welcome.txt"), "shared scratch\n");
    }
    // The script's log lines go to the server's own output (the hub's log here) instead of PID 1's.
    const env = `ESIPHUB_README_SOURCE=${chrootDir}/etc-esiphub/README.md ESIPHUB_SHARED_PATH=${chrootDir}/shared ESIPHUB_LOG_TO=/dev/stderr`;
    lines.push(`c.Spawner.cmd = ["bash", "-c", ${py(`${env} bash ${chrootDir}/etc-esiphub/poststart.sh && exec jupyterhub-singleuser "$@"`)}, "jupyterhub-singleuser"]`);
    return lines;
}

export interface LocalHub {
    /** Public URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
    url: string;
    /** Host path of the hub's working directory (inside the root); its name marks the hub's processes. */
    dir: string;
    /** The same directory as the chrooted hub sees it. */
    chrootDir: string;
    /** Host path of the credentials file: rewrite it to change accounts while the hub runs. */
    credentialsFile: string;
    /** The hub's log so far (stdout and stderr). */
    log(): string;
    stop(): Promise<void>;
}

const running = new Set<LocalHub>();
let exitHookInstalled = false;

/** Users' servers get ports base + user id: JupyterHub's random choice can hand two servers started at once the same port. */
const SERVER_PORTS = 256;

const py = (s: string): string => JSON.stringify(s);

export function writeCredentials(file: string, credentials: Record<string, string>): void {
    // Write then rename, as Kubernetes swaps a mounted Secret: the hub never reads a half-written file.
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(credentials, null, 2));
    fs.renameSync(tmp, file);
}

/**
 * PIDs of processes that carry `marker` in their environment: the hub, its proxy and the servers it spawned
 * (the proxy and the servers run in sessions of their own, outside the hub's process group).
 */
export function processesWithMarker(marker: string): number[] {
    const needle = Buffer.from(`ESIPHUB_LOCALHUB=${marker}\0`);
    const pids: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            if (fs.readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
        } catch {
            // The process ended, or is not ours to read.
        }
    }
    return pids;
}

function killMarked(marker: string): void {
    for (const pid of processesWithMarker(marker)) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // Already gone.
        }
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

export async function startLocalHub(options: LocalHubOptions = {}): Promise<LocalHub> {
    const missing = hubRootMissing();
    if (missing) throw new Error(missing);

    const tmpInRoot = path.join(HUB_ROOT, "tmp");
    fs.mkdirSync(tmpInRoot, { recursive: true, mode: 0o1777 });
    const dir = fs.mkdtempSync(path.join(tmpInRoot, "esiphub-hub-"));
    const chrootDir = "/" + path.relative(HUB_ROOT, dir);
    const marker = path.basename(dir);

    // The authenticator goes in under the module name the chart's extraFiles use.
    const moduleDir = path.join(dir, "esiphub");
    fs.mkdirSync(moduleDir);
    fs.copyFileSync(AUTHENTICATOR_FILE, path.join(moduleDir, `${AUTHENTICATOR_MODULE}.py`));
    const credentialsFile = path.join(dir, "credentials.json");
    writeCredentials(credentialsFile, options.credentials ?? {});
    fs.mkdirSync(path.join(dir, "home"));

    const port = options.port ?? (await freePort());
    const [hubPort, proxyApiPort] = await distinctFreePorts(2, [port]);
    const serverPortBase = await freePortBlock(SERVER_PORTS, [port, hubPort, proxyApiPort]);
    const configFile = path.join(dir, "jupyterhub_config.py");
    fs.writeFileSync(
        configFile,
        [
            `c.JupyterHub.ip = "127.0.0.1"`,
            `c.JupyterHub.port = ${port}`,
            `c.JupyterHub.hub_ip = "127.0.0.1"`,
            `c.JupyterHub.hub_port = ${hubPort}`,
            `c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:${proxyApiPort}"`,
            `c.ConfigurableHTTPProxy.pid_file = ${py(`${chrootDir}/proxy.pid`)}`,
            `c.JupyterHub.db_url = ${py(`sqlite:///${chrootDir}/jupyterhub.sqlite`)}`,
            `c.JupyterHub.cookie_secret_file = ${py(`${chrootDir}/cookie_secret`)}`,
            `c.JupyterHub.pid_file = ${py(`${chrootDir}/hub.pid`)}`,
            `c.JupyterHub.cleanup_servers = True`,
            `c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"`,
            `c.SimpleLocalProcessSpawner.home_dir_template = ${py(`${chrootDir}/home/{username}`)}`,
            // Everything in the chroot runs as root; the single-user server refuses that without the flag.
            `c.Spawner.cmd = ["jupyterhub-singleuser"]`,
            `c.Spawner.args = ["--allow-root"]`,
            `c.Spawner.ip = "127.0.0.1"`,
            // JupyterHub gives up on a server that has not answered in 30 s (http_timeout) or started in 60 s
            // (start_timeout); on a busy test machine a burst's servers take longer than that. The hang guard
            // decides instead, so a slow machine never fails a test.
            `c.Spawner.http_timeout = ${HANG_GUARD_S}`,
            `c.Spawner.start_timeout = ${HANG_GUARD_S}`,
            `def esiphub_server_port(spawner):`,
            `    spawner.port = ${serverPortBase} + spawner.user.id % ${SERVER_PORTS}`,
            `c.Spawner.pre_spawn_hook = esiphub_server_port`,
            `c.Spawner.environment = {"ESIPHUB_LOCALHUB": ${py(marker)}}`,
            ...(options.singleuser ? singleuserConfig(options.singleuser, dir, chrootDir) : []),
            authenticatorConfig({
                moduleDir: `${chrootDir}/esiphub`,
                credentialsPath: `${chrootDir}/credentials.json`,
                adminUsers: options.adminUsers ?? [],
                attendeeUsers: options.attendeeUsers ?? [],
            }),
            options.config ?? "",
            "",
        ].join("\n"),
    );

    const logFile = path.join(dir, "hub.log");
    const logFd = fs.openSync(logFile, "a");
    const child: ChildProcess = spawn(
        "chroot",
        [HUB_ROOT, "jupyterhub", "-f", `${chrootDir}/jupyterhub_config.py`],
        {
            cwd: dir,
            detached: true,
            stdio: ["ignore", logFd, logFd],
            // A clean environment: nothing of the test process (NODE_OPTIONS, proxies) leaks into the hub or its proxy.
            env: {
                PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                HOME: "/root",
                LANG: "C.UTF-8",
                ESIPHUB_LOCALHUB: marker,
            },
        },
    );
    fs.closeSync(logFd);
    const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "");
    let exited = false;
    const exitedPromise = new Promise<void>((resolve) =>
        child.once("exit", () => {
            exited = true;
            resolve();
        }),
    );

    let stopped = false;
    const hub: LocalHub = {
        url: `http://127.0.0.1:${port}`,
        dir,
        chrootDir,
        credentialsFile,
        log: readLog,
        async stop() {
            if (stopped) return;
            stopped = true;
            running.delete(hub);
            // Nothing of a test hub is kept, so nothing needs a clean shutdown: the hub, its proxy and every server
            // (each in a session of its own, found by the marker) are killed at once, and the directory goes.
            if (!exited && child.pid) {
                try {
                    process.kill(-child.pid, "SIGKILL");
                } catch {
                    // The group is gone already.
                }
                await exitedPromise;
            }
            killMarked(marker);
            await waitFor(`the processes of hub ${marker} to end`, () => (processesWithMarker(marker).some(alive) ? undefined : true), { intervalMs: 50 });
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
    running.add(hub);
    if (!exitHookInstalled) {
        exitHookInstalled = true;
        // A test run that ends without stop() must not leave hubs behind.
        process.on("exit", () => {
            for (const h of running) {
                killMarked(path.basename(h.dir));
                fs.rmSync(h.dir, { recursive: true, force: true });
            }
        });
    }

    const guardMs = options.startTimeoutMs ?? HANG_GUARD_MS;
    const started = Date.now();
    for (;;) {
        if (exited) {
            const log = readLog();
            await hub.stop();
            throw new Error(`JupyterHub exited during startup; its log:\n${log.slice(-4000)}`);
        }
        try {
            const res = await fetch(`${hub.url}/hub/api`, { signal: AbortSignal.timeout(10000) });
            if (res.ok) {
                const body = (await res.json()) as { version?: string };
                if (body.version) return hub;
            }
        } catch {
            // Not listening yet.
        }
        if (Date.now() - started > guardMs) {
            const log = readLog();
            await hub.stop();
            throw new Error(`JupyterHub did not answer ${hub.url}/hub/api within ${Math.round(guardMs / 1000)} s (a hang guard); its log:\n${log.slice(-4000)}`);
        }
        await sleep(200);
    }
}
