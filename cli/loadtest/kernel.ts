/**
 * The execute phase: start a kernel through the single-user server's REST API, run one cell over the kernel's
 * websocket (Jupyter messaging protocol v5, JSON frames as the notebook front ends send them), check its output,
 * and shut the kernel down again.
 */
import * as crypto from "crypto";
import WebSocket from "ws";
import { LoadtestError, statusError } from "./errors";
import { Deadline, HubClient, USER_AGENT } from "./http";
import { websocketOptions } from "./trust";

/** A cell whose answer the tester can check: the sum of 0..n-1 for a random n, computed by the kernel. */
export function checkCell(n: number): { code: string; expected: string } {
    return { code: `print(sum(range(${n})))`, expected: String((n * (n - 1)) / 2) };
}

interface KernelMessage {
    channel?: string;
    msg_type?: string;
    header?: { msg_type?: string };
    parent_header?: { msg_id?: string };
    content?: Record<string, unknown>;
}

/** A message on the shell channel, as the websocket protocol of Jupyter's servers carries it (JSON, no buffers). */
function shellRequest(msgType: string, content: object, msgId: string, session: string, username: string): object {
    return {
        header: { msg_id: msgId, msg_type: msgType, username, session, date: new Date().toISOString(), version: "5.3" },
        parent_header: {},
        metadata: {},
        content,
        channel: "shell",
        buffers: [],
    };
}

export function executeRequest(code: string, msgId: string, session: string, username: string): object {
    return shellRequest("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }, msgId, session, username);
}

export function kernelInfoRequest(msgId: string, session: string, username: string): object {
    return shellRequest("kernel_info_request", {}, msgId, session, username);
}

/** How often a kernel_info_request is sent again while the kernel has not answered one, ms. */
export const KERNEL_INFO_RETRY_MS = 1000;

/** How often the kernel's model is read while the websocket handshake is pending, ms. */
export const CONNECTING_POLL_MS = 500;

/**
 * Runs `code` on the kernel's websocket; resolves with its stdout once the reply and the kernel's idle status are in.
 * While the handshake is pending, `poll` runs every CONNECTING_POLL_MS, as notebook front ends poll the kernel's
 * status while they connect. It matters: Notebook 6.4 (Debian trixie's) completes a handshake that waited for the
 * kernel's first kernel_info reply only when some other request wakes its event loop; front ends always send one.
 * Once open, the cell is sent only after the kernel has answered a kernel_info_request, as JupyterLab's kernel
 * connection queues messages until then (@jupyterlab/services kernel/default.ts). Sent at once on open, a cell was
 * seen here to never finish (one user of ten, on a busy machine), its websocket open and the kernel idle.
 */
function runOnWebsocket(url: string, options: WebSocket.ClientOptions, code: string, username: string, deadline: Deadline, poll: () => Promise<void>): Promise<string> {
    return new Promise((resolve, reject) => {
        const remaining = deadline.remainingMs();
        if (remaining <= 0) return reject(new LoadtestError("timeout", "kernel websocket: out of time"));
        const ws = new WebSocket(url, { ...options, handshakeTimeout: Math.ceil(remaining) });
        const msgId = crypto.randomUUID();
        const infoId = crypto.randomUUID();
        const session = crypto.randomUUID();
        let infoTimer: NodeJS.Timeout | undefined;
        let stdout = "";
        let replied = false;
        let idle = false;
        let done = false;
        const timer = setTimeout(() => finish(new LoadtestError("timeout", "kernel websocket: the cell did not finish in time")), Math.ceil(remaining));
        const pollWhileConnecting = async () => {
            while (!done && ws.readyState === WebSocket.CONNECTING) {
                await new Promise((r) => setTimeout(r, CONNECTING_POLL_MS));
                if (done || ws.readyState !== WebSocket.CONNECTING) return;
                await poll();
            }
        };
        const finish = (err?: Error) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            clearInterval(infoTimer);
            ws.removeAllListeners();
            ws.on("error", () => undefined); // a late error on a socket being closed changes nothing
            ws.terminate();
            if (err) reject(err);
            else resolve(stdout);
        };
        ws.on("unexpected-response", (_req, res) => finish(new LoadtestError(res.statusCode && res.statusCode >= 500 ? "http-5xx" : "execute-failed", `kernel websocket: HTTP ${res.statusCode}`, res.statusCode)));
        ws.on("error", (err) => finish(new LoadtestError("execute-failed", `kernel websocket: ${err.message}`)));
        ws.on("close", (codeNumber) => finish(new LoadtestError("execute-failed", `kernel websocket closed (${codeNumber}) before the cell finished`)));
        ws.on("open", () => {
            const askInfo = () => ws.send(JSON.stringify(kernelInfoRequest(infoId, session, username)));
            askInfo();
            infoTimer = setInterval(askInfo, KERNEL_INFO_RETRY_MS);
        });
        pollWhileConnecting().catch((err: Error) => finish(err));
        ws.on("message", (data) => {
            let msg: KernelMessage;
            try {
                msg = JSON.parse(data.toString()) as KernelMessage;
            } catch {
                return finish(new LoadtestError("protocol", "kernel websocket: a frame that is not JSON"));
            }
            const type = msg.msg_type ?? msg.header?.msg_type;
            if (msg.parent_header?.msg_id === infoId && type === "kernel_info_reply" && infoTimer) {
                clearInterval(infoTimer);
                infoTimer = undefined;
                ws.send(JSON.stringify(executeRequest(code, msgId, session, username)));
                return;
            }
            if (msg.parent_header?.msg_id !== msgId) return;
            const content = msg.content ?? {};
            if (type === "stream" && content.name === "stdout") stdout += String(content.text ?? "");
            else if (type === "error") return finish(new LoadtestError("execute-failed", `the cell raised ${String(content.ename)}: ${String(content.evalue)}`));
            else if (type === "execute_reply") {
                if (content.status !== "ok") return finish(new LoadtestError("execute-failed", `execute_reply status ${String(content.status)}`));
                replied = true;
            } else if (type === "status" && content.execution_state === "idle") idle = true;
            // Reply (shell) and idle status (iopub) may come in either order; with both in, every output has been sent.
            if (replied && idle) finish();
        });
    });
}

/**
 * Runs `code` in a new kernel of the logged-in user's server at `serverUrl` (e.g. "http://hub/user/alice/"), shuts
 * the kernel down again, and resolves with what the code printed.
 */
export async function runCode(client: HubClient, username: string, serverUrl: string, code: string, deadline: Deadline): Promise<string> {
    const kernels = new URL("api/kernels", serverUrl).toString();
    const xsrfFrom = serverUrl;
    const started = await client.call({ method: "POST", path: kernels, mode: "api", xsrfFrom, json: {}, deadline, what: "start kernel" });
    if (started.status !== 201 && started.status !== 200) throw statusError(started.status, "start kernel", started.body);
    let kernelId: unknown;
    try {
        kernelId = (JSON.parse(started.body) as { id?: unknown }).id;
    } catch {
        throw new LoadtestError("protocol", "start kernel: the answer is not the kernel's JSON");
    }
    if (typeof kernelId !== "string" || !kernelId) throw new LoadtestError("protocol", "start kernel: no kernel id in the answer");
    const kernel = `${kernels}/${encodeURIComponent(kernelId)}`;

    const headers: Record<string, string> = {
        "user-agent": USER_AGENT,
        origin: client.base.origin,
        "sec-fetch-mode": "websocket",
        cookie: await client.jar.getCookieString(kernel),
    };
    const wsUrl = `${kernel}/channels?session_id=${crypto.randomUUID()}`.replace(/^http/, "ws");
    const readModel = async () => {
        const model = await client.call({ path: kernel, mode: "api", xsrfFrom, deadline, what: "kernel model" });
        if (model.status === 404) throw new LoadtestError("execute-failed", "the kernel is gone (404 on its model) while connecting");
        if (model.status !== 200) throw statusError(model.status, "kernel model", model.body);
    };
    const stdout = await runOnWebsocket(wsUrl, { ...websocketOptions(client.connect), headers }, code, username, deadline, readModel);

    const shutdown = await client.call({ method: "DELETE", path: kernel, mode: "api", xsrfFrom, deadline, what: "shut down kernel" });
    if (shutdown.status !== 204 && shutdown.status !== 200) throw statusError(shutdown.status, "shut down kernel", shutdown.body);
    return stdout;
}

/** The execute phase: one cell whose answer the kernel must compute right. */
export async function executeCell(client: HubClient, username: string, serverUrl: string, deadline: Deadline): Promise<void> {
    const cell = checkCell(1000 + crypto.randomInt(1_000_000));
    const stdout = await runCode(client, username, serverUrl, cell.code, deadline);
    if (stdout.trim() !== cell.expected) {
        throw new LoadtestError("execute-failed", `the cell printed ${JSON.stringify(stdout.trim().slice(0, 80))}, expected ${cell.expected}`);
    }
}
