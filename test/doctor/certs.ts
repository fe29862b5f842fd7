/**
 * Certificates made at test time with the openssl command line (EC P-256 keys): self-signed ones, a local CA,
 * a chain shaped like Let's Encrypt staging's ((STAGING) root → (STAGING) intermediate → leaf), and HTTPS servers
 * on 127.0.0.1 that serve them.
 */
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { execFileSync } from "child_process";

export interface KeyPair {
    readonly key: string;
    readonly cert: string;
}

/** subjectAltName entries: DNS names, or "IP:a.b.c.d". */
const altNames = (names: string[] = []) => names.map((n) => (n.startsWith("IP:") ? n : `DNS:${n}`)).join(",");

export class CertFactory {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-certs-"));
    private serial = 1;

    private file(name: string): string {
        return path.join(this.dir, name);
    }

    private openssl(args: string[]): void {
        execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    }

    private read(name: string): KeyPair {
        return { key: fs.readFileSync(this.file(`${name}.key`), "utf8"), cert: fs.readFileSync(this.file(`${name}.crt`), "utf8") };
    }

    /** A self-signed certificate: a CA when `ca`, else a server certificate for `names`. */
    selfSigned(name: string, subject: string, options: { ca?: boolean; names?: string[]; days?: number } = {}): KeyPair {
        const ext = options.ca
            ? ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
            : ["-addext", "basicConstraints=critical,CA:FALSE", "-addext", `subjectAltName=${altNames(options.names)}`];
        this.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", this.file(`${name}.key`), "-out", this.file(`${name}.crt`),
            "-subj", subject, "-days", String(options.days ?? 90), ...ext,
        ]);
        return this.read(name);
    }

    /**
     * A certificate signed by `issuer`: an intermediate CA when `ca`, a client certificate when `client`, else a
     * server certificate for `names`.
     */
    signed(name: string, subject: string, issuer: KeyPair, options: { ca?: boolean; client?: boolean; names?: string[]; days?: number } = {}): KeyPair {
        const issuerName = `issuer-${this.serial}`;
        fs.writeFileSync(this.file(`${issuerName}.crt`), issuer.cert);
        fs.writeFileSync(this.file(`${issuerName}.key`), issuer.key);
        this.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", this.file(`${name}.key`), "-out", this.file(`${name}.csr`), "-subj", subject]);
        const extensions = options.ca
            ? "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
            : options.client
              ? "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
              : `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${altNames(options.names)}\n`;
        fs.writeFileSync(this.file(`${name}.ext`), extensions);
        this.openssl([
            "x509", "-req", "-in", this.file(`${name}.csr`), "-CA", this.file(`${issuerName}.crt`), "-CAkey", this.file(`${issuerName}.key`),
            "-set_serial", String(this.serial++ * 1000 + 7), "-days", String(options.days ?? 90), "-extfile", this.file(`${name}.ext`), "-out", this.file(`${name}.crt`),
        ]);
        return this.read(name);
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

export interface TlsServer {
    readonly port: number;
    close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 serving `leaf` (and the intermediates in `chain`), answering every request with `body`. */
export async function startHttpsServer(leaf: KeyPair, chain: string[] = [], body = '{"version": "5.2.1"}'): Promise<TlsServer> {
    const server = https.createServer({ key: leaf.key, cert: [leaf.cert, ...chain].join("") }, (req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** A TLS-terminating proxy on 127.0.0.1 in front of a plain-HTTP port, as the chart's autohttps (Traefik) is. */
export async function startTlsProxy(leaf: KeyPair, chain: string[], targetPort: number): Promise<TlsServer & { readonly connections: () => number }> {
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const server = tls.createServer({ key: leaf.key, cert: [leaf.cert, ...chain].join("") }, (client) => {
        connections++;
        const upstream = net.connect(targetPort, "127.0.0.1");
        for (const s of [client, upstream]) {
            sockets.add(s);
            s.on("close", () => sockets.delete(s));
            s.on("error", () => (s === client ? upstream : client).destroy());
        }
        client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        connections: () => connections,
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}
