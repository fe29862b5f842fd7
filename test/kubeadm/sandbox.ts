/**
 * A stand-in node for the kubeadm scripts: a temporary root (ESIPHUB_ROOT) shaped like a fresh Ubuntu
 * VM, and a PATH holding only the stubs of test/kubeadm/stubs and a short list of harmless tools, so a
 * script can never reach the real apt-get, systemctl or kubeadm of this machine (a command missing from
 * both is "command not found" and fails the test).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import { kubeadmScript, ScriptName } from "../../components/kubeadm/commands";
import { renderScript, ScriptParams } from "../../components/remote";
import { offlineEd25519 } from "../../plan/state";

const STUBS = path.join(__dirname, "stubs");
const TOOLS = ["bash", "cat", "grep", "sed", "awk", "mkdir", "mv", "cp", "rm", "chmod", "wc", "tr", "cut", "mktemp", "dirname", "basename", "env", "sleep", "tail", "head", "touch", "stat", "date", "sha256sum", "base64"];

/** The login user of the image, with the operator's key (cloud-init puts it there). */
export const SSH_USER = "ubuntu";
const OPERATOR_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorsOwnKeyOnEveryNode operator@laptop";

function findTool(name: string): string {
    for (const dir of ["/usr/bin", "/bin", "/usr/local/bin"]) {
        const candidate = path.join(dir, name);
        if (fs.existsSync(candidate)) return candidate;
    }
    throw new Error(`the script tests need ${name} on this machine`);
}

export interface ScriptRun {
    status: number | null;
    stdout: string;
    stderr: string;
    /** The stubbed commands called during this run, "NAME ARGS" each. */
    calls: string[];
}

export class StubNode {
    readonly base: string;
    readonly root: string;
    private readonly bin: string;
    private readonly log: string;
    private readonly tmp: string;
    /** The node's SSH host public key, installed at first boot as cloud-init does it (components/cloud.ts). */
    readonly hostKey: string;

    /**
     * `cluster`: a directory shared by the nodes of one simulated cluster (see the kubectl stub); `ip`: the node's
     * private address there, which the ssh stub reaches it at. `copyOf`: a node whose disk, host key and calls so far
     * this one starts with (a fixture built once, then copied for each test that starts from that state); a fresh
     * cloud image when absent.
     */
    constructor(private readonly cluster?: string, readonly ip?: string, copyOf?: StubNode) {
        this.base = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-kubeadm-"));
        this.root = path.join(this.base, "root");
        this.bin = path.join(this.base, "bin");
        this.log = path.join(this.base, "calls.log");
        this.tmp = path.join(this.base, "tmp");
        if (copyOf) {
            execFileSync(findTool("cp"), ["-a", `${copyOf.base}/.`, this.base]);
            // The calls so far name the original's paths; this node's own are where they point now.
            fs.writeFileSync(this.log, fs.readFileSync(this.log, "utf8").split(copyOf.base).join(this.base));
            this.hostKey = copyOf.hostKey;
        } else {
            this.hostKey = this.freshImage();
        }
        if (cluster && ip) {
            this.write(".stub/ip", ip);
            fs.mkdirSync(path.join(cluster, "hosts"), { recursive: true });
            fs.writeFileSync(path.join(cluster, "hosts", ip), this.base);
        }
    }

    /** Lays out a fresh Ubuntu cloud image under the root; returns its SSH host public key. */
    private freshImage(): string {
        for (const dir of [this.bin, this.tmp, path.join(this.root, "etc"), path.join(this.root, "proc/sys"), path.join(this.root, "sys/module")]) {
            fs.mkdirSync(dir, { recursive: true });
        }
        for (const tool of TOOLS) fs.symlinkSync(findTool(tool), path.join(this.bin, tool));
        for (const stub of fs.readdirSync(STUBS)) {
            fs.copyFileSync(path.join(STUBS, stub), path.join(this.bin, stub));
            fs.chmodSync(path.join(this.bin, stub), 0o755);
        }
        fs.writeFileSync(this.log, "");
        // A fresh cloud image: one swap file, nothing of Kubernetes.
        this.write("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swap.img                               file\t\t2097148\t\t0\t\t-2\n");
        this.write("etc/fstab", "LABEL=cloudimg-rootfs\t/\text4\tdiscard,commit=30,errors=remount-ro\t0 1\n/swap.img\tnone\tswap\tsw\t0\t0\n");
        this.write("etc/passwd", `root:x:0:0:root:/root:/bin/bash\n${SSH_USER}:x:1000:1000:Ubuntu:/home/${SSH_USER}:/bin/bash\n`);
        const key = offlineEd25519(this.base);
        const hostKey = key.publicKeyOpenssh.trim();
        this.write("etc/ssh/ssh_host_ed25519_key", key.privateKeyOpenssh);
        fs.chmodSync(this.path("etc/ssh/ssh_host_ed25519_key"), 0o600);
        this.write("etc/ssh/ssh_host_ed25519_key.pub", `${hostKey} root@localhost\n`);
        this.write(`home/${SSH_USER}/.ssh/authorized_keys`, `${OPERATOR_KEY}\n`);
        fs.chmodSync(this.path(`home/${SSH_USER}/.ssh/authorized_keys`), 0o600);
        // Running and enabled on a fresh Ubuntu 24.04 image: sshd (we are logged in) and the apt-daily timers.
        for (const unit of ["ssh", "apt-daily.timer", "apt-daily-upgrade.timer", "unattended-upgrades.service"]) {
            this.write(`.stub/systemd/${unit}.enabled`, "");
            this.write(`.stub/systemd/${unit}.active`, "");
        }
        return hostKey;
    }

    path(relative: string): string {
        return path.join(this.root, relative);
    }

    write(relative: string, content: string): void {
        fs.mkdirSync(path.dirname(this.path(relative)), { recursive: true });
        fs.writeFileSync(this.path(relative), content);
    }

    read(relative: string): string {
        return fs.readFileSync(this.path(relative), "utf8");
    }

    exists(relative: string): boolean {
        return fs.existsSync(this.path(relative));
    }

    /** Runs a script as a node receives it: rendered text on stdin of `bash -s`. */
    run(script: ScriptName, params: ScriptParams, env: Record<string, string> = {}): ScriptRun {
        return this.spawn(findTool("bash"), ["-s"], renderScript(kubeadmScript(script), params), env);
    }

    /** Runs one stubbed command on this node, as an administrator would by hand (e.g. kubeadm token create). */
    exec(command: string, args: string[], env: Record<string, string> = {}): ScriptRun {
        return this.spawn(path.join(this.bin, command), args, "", env);
    }

    private spawn(file: string, args: string[], input: string, env: Record<string, string>): ScriptRun {
        const before = fs.readFileSync(this.log, "utf8").length;
        const result = spawnSync(file, args, {
            input,
            encoding: "utf8",
            env: {
                PATH: this.bin,
                HOME: this.base,
                TMPDIR: this.tmp,
                LANG: "C.UTF-8",
                ESIPHUB_ROOT: this.root,
                STUB_LOG: this.log,
                POLL_INTERVAL: "0",
                ...(this.cluster ? { STUB_CLUSTER: this.cluster } : {}),
                ...env,
            },
        });
        const calls = fs.readFileSync(this.log, "utf8").slice(before).split("\n").filter((line) => line !== "");
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    }

    /** The stubbed commands called on this node so far (also by another node over the ssh stub). */
    allCalls(): string[] {
        return fs.readFileSync(this.log, "utf8").split("\n").filter((line) => line !== "");
    }

    /** Every file and directory under the root with its mode, mtime and content hash. */
    snapshot(): Map<string, string> {
        const entries = new Map<string, string>();
        const walk = (dir: string) => {
            for (const name of fs.readdirSync(dir).sort()) {
                const full = path.join(dir, name);
                const stat = fs.lstatSync(full);
                const rel = path.relative(this.root, full);
                if (stat.isDirectory()) {
                    entries.set(rel + "/", `dir ${stat.mode.toString(8)}`);
                    walk(full);
                } else {
                    const hash = crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
                    entries.set(rel, `${stat.mode.toString(8)} ${stat.mtimeMs} ${hash}`);
                }
            }
        };
        walk(this.root);
        return entries;
    }

    remove(): void {
        fs.rmSync(this.base, { recursive: true, force: true });
    }
}
