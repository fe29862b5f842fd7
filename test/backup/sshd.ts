import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ChildProcess, execFileSync, spawn } from "child_process";
import { freePort } from "../ports";

/**
 * A real OpenSSH server (Debian's openssh-server) on 127.0.0.1 for the backup tests: a throwaway host key, a user
 * key and a second key it does not know, all made with ssh-keygen; root may log in with the user key only. It
 * allows TCP forwarding, so a connection can hop through it to itself (the master-to-NFS-node route).
 */

export const SSHD = "/usr/sbin/sshd";

export interface Sshd {
    readonly port: number;
    readonly user: string;
    /** The authorized key (OpenSSH private key text). */
    readonly key: string;
    /** A key sshd does not accept. */
    readonly wrongKey: string;
    /** sshd's log (-e: to stderr), for a failing test's message. */
    log(): string;
    stop(): Promise<void>;
}

/** Why sshd cannot run here, or undefined. */
export function sshdUnavailable(): string | undefined {
    if (process.getuid?.() !== 0) return "the backup tests start sshd and log in as root: run them as root";
    if (!fs.existsSync(SSHD)) return `${SSHD} is missing: apt-get install openssh-server (listed in .ci/apt-packages.txt)`;
    return undefined;
}

/** Resolves once something accepts TCP connections on the port; rejects after `seconds`, saying what hung. */
async function waitForPort(port: number, child: ChildProcess, log: () => string, seconds = 120): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}) before listening:\n${log()}`);
        const ok = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, "127.0.0.1");
            socket.once("connect", () => {
                socket.destroy();
                resolve(true);
            });
            socket.once("error", () => resolve(false));
        });
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${seconds}s:\n${log()}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** The pids whose parent is `pid` (sshd's per-connection processes). */
function childrenOf(pid: number): number[] {
    const children: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            // pid (comm) state ppid ...: comm may hold spaces, so read after the last ")".
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            if (ppid === pid) children.push(Number(entry));
        } catch {
            // gone meanwhile
        }
    }
    return children;
}

export async function startSshd(): Promise<Sshd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-sshd-"));
    const keygen = (name: string) => execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path.join(dir, name)], { stdio: "pipe" });
    keygen("host_key");
    keygen("user_key");
    keygen("wrong_key");
    fs.copyFileSync(path.join(dir, "user_key.pub"), path.join(dir, "authorized_keys"));
    const port = await freePort();
    const config = path.join(dir, "sshd_config");
    fs.writeFileSync(
        config,
        [
            `Port ${port}`,
            "ListenAddress 127.0.0.1",
            `HostKey ${path.join(dir, "host_key")}`,
            `PidFile ${path.join(dir, "sshd.pid")}`,
            `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
            // The key files sit under /tmp, which is world-writable: StrictModes would refuse them.
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "AllowTcpForwarding yes",
            "MaxStartups 50",
            "LogLevel VERBOSE",
            // The sessions' HOME is this folder, not root's: the login shell (Debian's bash sources ~/.bashrc for an
            // SSH command) must not run this machine's dotfiles, which are no part of an NFS host.
            `SetEnv HOME=${dir}`,
            "",
        ].join("\n"),
    );
    // sshd's privilege separation directory (Debian's unit makes it with RuntimeDirectory=sshd).
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    let log = "";
    const child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.on("data", (c: Buffer) => (log += c.toString()));
    const stop = async () => {
        if (child.exitCode === null && child.pid !== undefined) {
            const sessions = childrenOf(child.pid);
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill("SIGTERM");
            await exited;
            // Sessions outlive the listener; they are this test's own processes.
            for (const pid of sessions) {
                try {
                    process.kill(pid, "SIGKILL");
                } catch {
                    // already gone
                }
            }
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitForPort(port, child, () => log);
    } catch (e) {
        await stop();
        throw e;
    }
    return {
        port,
        user: os.userInfo().username,
        key: fs.readFileSync(path.join(dir, "user_key"), "utf8"),
        wrongKey: fs.readFileSync(path.join(dir, "wrong_key"), "utf8"),
        log: () => log,
        stop,
    };
}
