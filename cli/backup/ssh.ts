import { createHash } from "crypto";
import type { Readable } from "stream";
import { Client, ClientChannel, ConnectConfig, utils } from "ssh2";

/**
 * SSH to the NFS host with the stack's key, in process (ssh2): the key never touches the disk or a command line,
 * a host without a public address is reached through the master (a direct-tcpip channel, as `ssh -J` and
 * components/cloud.ts nodeConnection do), and each failure is told apart by what went wrong, not by parsing a
 * client's messages.
 */

export interface SshTarget {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    /** The stack's private key (esiphub:sshPrivateKey): never printed. */
    readonly privateKey: string;
    /** The master's address, when the NFS host is reached through it. */
    readonly jump?: { readonly host: string; readonly port: number };
    /** SHA256 fingerprints seen on an earlier run, by `host:port`: a host that shows another key is refused. */
    readonly knownHostKeys?: Readonly<Record<string, string>>;
}

export type SshFailure = "key" | "auth" | "unreachable" | "hostkey" | "dropped";

export class SshError extends Error {
    constructor(readonly failure: SshFailure, message: string) {
        super(message);
    }
}

export interface ExitStatus {
    /** Null when the command was killed by a signal. */
    readonly code: number | null;
    readonly signal?: string;
}

export interface RemoteCommand {
    readonly stdout: Readable;
    /** Standard error, collected (the first 64 KiB). */
    readonly stderr: () => string;
    /** Resolves when the channel closes with the command's exit status; rejects when the connection drops first. */
    readonly exit: Promise<ExitStatus>;
}

/** OpenSSH's fingerprint notation: SHA256:<base64 without padding>. */
export function fingerprint(key: Buffer): string {
    return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** POSIX shell single quoting: any text as one word. */
export function shellQuote(text: string): string {
    return `'${text.replace(/'/g, `'\\''`)}'`;
}

const STDERR_LIMIT = 64 * 1024;
/** Keepalives every 15 s; 4 unanswered (a minute) count as a dropped connection, even when TCP does not notice. */
const KEEPALIVE = { keepaliveInterval: 15_000, keepaliveCountMax: 4 };

export class SshSession {
    /** Fingerprints of the host keys seen, by `host:port` (the master's too, when it was a hop). */
    readonly hostKeys: Record<string, string> = {};
    private dropped?: SshError;
    private readonly clients: Client[] = [];

    private constructor(private readonly target: SshTarget) {}

    /** Connects (through the jump host if any) and authenticates with the stack's key. */
    static async open(target: SshTarget): Promise<SshSession> {
        const parsed = utils.parseKey(target.privateKey);
        if (parsed instanceof Error) {
            throw new SshError("key", `esiphub:sshPrivateKey cannot be used as an SSH key (${parsed.message}); it must be an unencrypted OpenSSH or PEM private key`);
        }
        const session = new SshSession(target);
        try {
            let sock: Readable | undefined;
            if (target.jump) {
                const jump = await session.connect(target.jump.host, target.jump.port);
                sock = await new Promise<ClientChannel>((resolve, reject) =>
                    jump.forwardOut("127.0.0.1", 0, target.host, target.port, (err, channel) =>
                        err ? reject(new SshError("unreachable", `${target.jump!.host} cannot open a connection to ${target.host}:${target.port} (${err.message})`)) : resolve(channel),
                    ),
                );
            }
            await session.connect(target.host, target.port, sock);
        } catch (e) {
            session.close();
            throw e;
        }
        return session;
    }

    private connect(host: string, port: number, sock?: Readable): Promise<Client> {
        const where = `${host}:${port}`;
        const known = this.target.knownHostKeys?.[where];
        let hostKeyChanged: string | undefined;
        const client = new Client();
        this.clients.push(client);
        const config: ConnectConfig = {
            host,
            port,
            username: this.target.user,
            privateKey: this.target.privateKey,
            readyTimeout: 30_000,
            ...KEEPALIVE,
            ...(sock ? { sock } : {}),
            hostVerifier: (key: Buffer) => {
                const seen = fingerprint(key);
                this.hostKeys[where] = seen;
                if (known && known !== seen) hostKeyChanged = seen;
                return !hostKeyChanged;
            },
        };
        const name = sock ? `${host} (through ${this.target.jump!.host})` : host;
        return new Promise((resolve, reject) => {
            let ready = false;
            client.on("ready", () => {
                ready = true;
                resolve(client);
            });
            client.on("error", (err: Error & { level?: string; code?: string }) => {
                if (ready) {
                    this.dropped ??= new SshError("dropped", `the connection to ${name} dropped (${err.code ?? err.message})`);
                    return;
                }
                if (hostKeyChanged) {
                    reject(new SshError("hostkey", `${name} shows host key ${hostKeyChanged}, not ${known} as when this backup started; if the node was rebuilt, use a new --out folder`));
                } else if (err.level === "client-authentication") {
                    reject(new SshError("auth", `${this.target.user}@${name} refused the stack's key (esiphub:sshPrivateKey): ${err.message}; is its public key esiphub:sshPublicKey on the node?`));
                } else {
                    reject(new SshError("unreachable", `cannot connect to ${name} port ${port} (${err.code ?? err.message})`));
                }
            });
            client.on("close", () => {
                if (ready) this.dropped ??= new SshError("dropped", `the connection to ${name} closed`);
                else reject(new SshError("unreachable", `${name} port ${port} closed the connection before logging in`));
            });
            client.connect(config);
        });
    }

    /** The connection to the NFS host itself (the last one made). */
    private get client(): Client {
        return this.clients[this.clients.length - 1];
    }

    /** Runs a command; its stdout is a stream with backpressure. */
    exec(command: string): Promise<RemoteCommand> {
        if (this.dropped) return Promise.reject(this.dropped);
        return new Promise((resolve, reject) => {
            this.client.exec(command, (err, channel) => {
                if (err) {
                    reject(this.dropped ?? new SshError("dropped", `cannot run a command on ${this.target.host} (${err.message})`));
                    return;
                }
                let stderr = "";
                channel.stderr.on("data", (chunk: Buffer) => {
                    if (stderr.length < STDERR_LIMIT) stderr += chunk.toString("utf8");
                });
                let status: ExitStatus | undefined;
                channel.on("exit", (code: number | null, signal?: string) => {
                    status = { code, signal };
                });
                const exit = new Promise<ExitStatus>((done, fail) =>
                    channel.on("close", () => {
                        if (status) done(status);
                        else fail(this.dropped ?? new SshError("dropped", `the connection to ${this.target.host} dropped before the command finished`));
                    }),
                );
                // Awaited by the caller, but never an unhandled rejection while it reads stdout first.
                exit.catch(() => undefined);
                resolve({ stdout: channel, stderr: () => stderr, exit });
            });
        });
    }

    /** Runs a command to its end; resolves to its stdout, exit status and stderr. */
    async run(command: string): Promise<{ stdout: Buffer; stderr: string; status: ExitStatus }> {
        const remote = await this.exec(command);
        const chunks: Buffer[] = [];
        remote.stdout.on("data", (c: Buffer) => chunks.push(c));
        const status = await remote.exit;
        return { stdout: Buffer.concat(chunks), stderr: remote.stderr(), status };
    }

    /** Why the session cannot be used any more, if it cannot. */
    get failure(): SshError | undefined {
        return this.dropped;
    }

    close(): void {
        for (const client of [...this.clients].reverse()) client.end();
    }
}
