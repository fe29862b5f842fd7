/**
 * The one-user checks, on the load tester's client and steps: `login` (the `_xsrf` form), `server` (start and wait
 * until ready), `page` (open it), `home` (the quickstart README and the shared folder, through the Jupyter contents
 * API), `memory` (MEM_LIMIT as the server's kernels see it), `execute` (with --execute: the load tester's cell) and
 * `stop`. A server that was already running when the doctor came is left running: it may be an instructor's.
 */
import type { Account } from "../loadtest/credentials";
import { statusError } from "../loadtest/errors";
import { login, openServerPage, startServer, stopServer, userModel } from "../loadtest/flow";
import { Deadline, HubClient } from "../loadtest/http";
import { executeCell, runCode } from "../loadtest/kernel";
import { CheckFailure, CheckRun, fail, pass, Verdict, warn } from "./check";

export interface UserTarget {
    readonly account: Account;
    /** Name of the quickstart README in the home (the postStart hook's ESIPHUB_README_NAME, default README.md). */
    readonly readmeName: string;
    /** Name of the link to the shared scratch in the home (last part of esiphub:sharedMountPath). */
    readonly sharedName: string;
    /** MEM_LIMIT the stack asks for, in bytes as JupyterHub computes it; unknown without a stack. */
    readonly memoryLimitBytes?: number;
    /** The stack's setting behind memoryLimitBytes, for the detail (e.g. "esiphub:memoryLimit 8G"). */
    readonly memoryLimitSetting?: string;
    /** The hub's Kubernetes namespace, for the fixes. */
    readonly namespace: string;
}

export interface UserOptions {
    readonly execute: boolean;
    /** Time the server may take to start (the site's startTimeout). */
    readonly spawnTimeoutMs: number;
    /** Pause between looks at the user model while waiting, ms. */
    readonly pollMs?: number;
}

/** Bounds of hung steps, far above what a working hub takes (a stopped one fails at connect, in seconds). */
const STEP_MS = { login: 60_000, page: 120_000, contents: 60_000, kernel: 180_000, stop: 180_000 };

/** The cell that reads the memory limit: KubeSpawner (like every JupyterHub spawner, Spawner.get_env) puts mem_limit in MEM_LIMIT. */
export const MEM_LIMIT_CODE = 'import os; print(os.environ.get("MEM_LIMIT", ""))';

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

interface ContentsModel {
    type?: string;
    content?: { name?: string; type?: string }[] | null;
}

/** The contents API's model of a folder of the home; undefined when there is no such folder. */
async function contents(client: HubClient, serverUrl: string, path: string, deadline: Deadline): Promise<ContentsModel | undefined> {
    const url = new URL(`api/contents/${path}?content=1`, serverUrl).toString();
    const answer = await client.call({ path: url, mode: "api", xsrfFrom: serverUrl, deadline, what: `contents of /${path}` });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw statusError(answer.status, `contents of /${path}`, answer.body);
    return JSON.parse(answer.body) as ContentsModel;
}

export async function checkHome(client: HubClient, serverUrl: string, target: UserTarget): Promise<Verdict> {
    const deadline = new Deadline(STEP_MS.contents);
    const home = await contents(client, serverUrl, "", deadline);
    if (!home) throw new CheckFailure("the server has no Jupyter contents API (404)", "is the notebook image a Jupyter server image?");
    const entry = (name: string) => home.content?.find((e) => e.name === name);
    const podHint = `kubectl -n ${target.namespace} describe pod jupyter-${target.account.username} (a FailedPostStartHook event says why)`;
    const readme = entry(target.readmeName);
    if (readme?.type !== "file") {
        return fail(`no ${target.readmeName} in ${target.account.username}'s home`, `the postStart hook copies it at every start: ${podHint}`);
    }
    const shared = entry(target.sharedName);
    if (shared?.type !== "directory") {
        return fail(
            `no ${target.sharedName} folder in ${target.account.username}'s home${shared ? ` (it is a ${shared.type})` : ""}`,
            `the postStart hook links it when the shared scratch is mounted: kubectl -n ${target.namespace} get pvc esiphub-scratch; ${podHint}`,
        );
    }
    const listing = await contents(client, serverUrl, encodeURIComponent(target.sharedName), deadline);
    if (!listing) {
        return fail(`${target.sharedName} is in the home but cannot be opened (a link to an unmounted folder)`, `kubectl -n ${target.namespace} get pvc esiphub-scratch; ${podHint}`);
    }
    const entries = listing.content?.length ?? 0;
    return pass(`${target.readmeName} and ${target.sharedName}/ (${entries} ${entries === 1 ? "entry" : "entries"}) in ${target.account.username}'s home`);
}

export async function checkMemory(client: HubClient, serverUrl: string, target: UserTarget): Promise<Verdict> {
    const printed = (await runCode(client, target.account.username, serverUrl, MEM_LIMIT_CODE, new Deadline(STEP_MS.kernel))).trim();
    if (!printed) return warn("MEM_LIMIT is not set: one user's server can take a node's memory", "set esiphub:memoryLimit (the chart's singleuser.memory.limit) and run esiphub up SITE");
    const bytes = Number(printed);
    if (!Number.isFinite(bytes)) return fail(`MEM_LIMIT is ${JSON.stringify(printed)}, not a number of bytes`, "see singleuser.memory.limit in the chart's values");
    if (target.memoryLimitBytes !== undefined && bytes !== target.memoryLimitBytes) {
        return fail(
            `MEM_LIMIT is ${bytes} (${gib(bytes)}), but ${target.memoryLimitSetting} is ${target.memoryLimitBytes} (${gib(target.memoryLimitBytes)})`,
            "run esiphub up SITE so that the hub gets the stack's setting; running servers keep their limit until restarted",
        );
    }
    return pass(`MEM_LIMIT ${bytes} (${gib(bytes)})${target.memoryLimitSetting ? `, as ${target.memoryLimitSetting}` : ""}`);
}

/** Runs the one-user checks in order; a step that fails makes the steps that need it `skip`. */
export async function runUserChecks(run: CheckRun, client: HubClient, target: UserTarget, options: UserOptions): Promise<void> {
    const { account } = target;
    const userPath = `/hub/api/users/${encodeURIComponent(account.username)}`;
    const pollMs = options.pollMs ?? 1000;
    const later = ["server", "page", "home", "memory", ...(options.execute ? ["execute"] : []), "stop"];

    const loggedIn = await run.run("login", async () => {
        await login(client, account, new Deadline(STEP_MS.login));
        return pass(`${account.username} logged in with its password`);
    });
    if (loggedIn.status === "fail") return later.forEach((name) => run.skip(name, "not logged in"));

    let runningBefore = false;
    let requested = false;
    let serverUrl = "";
    const server = await run.run("server", async () => {
        const model = await userModel(client, userPath, new Deadline(STEP_MS.login));
        // Running, or on its way up (someone pressed start a moment ago): either way not the doctor's to stop.
        runningBefore = !!model.server || model.pending === "spawn";
        const started = performance.now();
        serverUrl = await startServer(client, userPath, new Deadline(options.spawnTimeoutMs), pollMs, () => (requested = true));
        const path = new URL(serverUrl).pathname;
        if (runningBefore) return pass(`${account.username}'s server was already running (or starting) at ${path}`);
        return pass(`${account.username}'s server started in ${((performance.now() - started) / 1000).toFixed(1)} s at ${path}`);
    });
    const needServer = ["page", "home", "memory", ...(options.execute ? ["execute"] : [])];
    if (server.status === "fail") {
        needServer.forEach((name) => run.skip(name, "the server did not start"));
    } else {
        const page = await run.run("page", async () => {
            await openServerPage(client, serverUrl, new Deadline(STEP_MS.page));
            return pass(`${new URL(serverUrl).pathname} opens (through the hub's OAuth)`);
        });
        if (page.status === "fail") {
            needServer.slice(1).forEach((name) => run.skip(name, "the server's page did not open"));
        } else {
            await run.run("home", () => checkHome(client, serverUrl, target));
            await run.run("memory", () => checkMemory(client, serverUrl, target));
            if (options.execute) {
                await run.run("execute", async () => {
                    await executeCell(client, account.username, serverUrl, new Deadline(STEP_MS.kernel));
                    return pass("a kernel computed one cell right (the load tester's cell)");
                });
            }
        }
    }

    if (runningBefore) run.skip("stop", `${account.username}'s server was running before the doctor came; left running`);
    else if (!requested) run.skip("stop", "no server was started");
    else {
        await run.run("stop", async () => {
            await stopServer(client, userPath, new Deadline(STEP_MS.stop), pollMs);
            return pass(`${account.username}'s server stopped`);
        });
    }
}
