/**
 * A scripted Kubernetes API server on 127.0.0.1 for the CLI's cluster commands: HTTPS with client-certificate
 * authentication like a kubeadm cluster's admin.conf, answering with responses shaped as the API server sends them
 * (fixtures/k8s/*.json, after the Kubernetes API reference: Pod, PodList, Secret, autoscaling/v1 Scale, Status), and
 * a small model of what happens behind them in a Zero-to-JupyterHub 4.4.0 autohttps deployment:
 *
 * - the ReplicaSet keeps `replicas` pods: a deleted pod is Terminating once, then gone; a new one is Pending once,
 *   then Ready (each request to the server is one step of time);
 * - a new pod's init container `load-acme` loads the Secret `proxy-public-tls-acme` (acme.json) before Traefik starts;
 * - Traefik, started without a certificate for the host, asks Let's Encrypt once: it gets one or not, as scripted;
 * - the `secret-sync` sidecar of every running pod writes its acme.json back to the Secret (creating it if deleted)
 *   whenever it holds a certificate (images/secret-sync/acme-secret-sync.py, watch-save).
 */
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { AddressInfo } from "net";

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "k8s", `${name}.json`), "utf8"));

export interface Pki {
    dir: string;
    caCert: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
    /** A client certificate from another CA: the API server treats its requests as anonymous. */
    strangerCert: string;
    strangerKey: string;
}

function openssl(args: string[], cwd: string): void {
    execFileSync("openssl", args, { cwd, stdio: "pipe" });
}

/** A CA and a leaf it signs (EC P-256; `subject` and SANs given), PEM files in `dir`. */
function signedLeaf(dir: string, name: string, ca: string, subject: string, ext: string): void {
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", subject, "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.crt`], dir);
}

function selfSignedCa(dir: string, name: string, subject: string): void {
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", subject, "-days", "2", "-keyout", `${name}.key`, "-out", `${name}.crt`], dir);
}

/** The cluster's CA, the API server's certificate for 127.0.0.1, the admin's client certificate, and a stranger's. */
export function makePki(): Pki {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-k8s-pki-"));
    selfSignedCa(dir, "ca", "/CN=kubernetes");
    signedLeaf(dir, "apiserver", "ca", "/CN=kube-apiserver", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    signedLeaf(dir, "admin", "ca", "/O=kubeadm:cluster-admins/CN=kubernetes-admin", "extendedKeyUsage=clientAuth\n");
    selfSignedCa(dir, "other-ca", "/CN=someone-else");
    signedLeaf(dir, "stranger", "other-ca", "/CN=stranger", "extendedKeyUsage=clientAuth\n");
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    return {
        dir,
        caCert: read("ca.crt"),
        serverCert: read("apiserver.crt"),
        serverKey: read("apiserver.key"),
        clientCert: read("admin.crt"),
        clientKey: read("admin.key"),
        strangerCert: read("stranger.crt"),
        strangerKey: read("stranger.key"),
    };
}

/**
 * A certificate for `host` issued by an intermediate of the given names, as Let's Encrypt issues them (production:
 * O=Let's Encrypt, CN=R11; staging: names starting with "(STAGING)", letsencrypt.org/docs/staging-environment):
 * the PEM chain, leaf first, as Traefik stores it in acme.json.
 */
export function issuedCertificate(pki: Pki, host: string, issuer: { o: string; cn: string }): string {
    const name = `leaf-${issuer.cn.replace(/\W+/g, "-")}`;
    const ca = `ca-${issuer.cn.replace(/\W+/g, "-")}`;
    selfSignedCa(pki.dir, ca, `/O=${issuer.o}/CN=${issuer.cn}`);
    signedLeaf(pki.dir, name, ca, `/CN=${host}`, `subjectAltName=DNS:${host}\nextendedKeyUsage=serverAuth\n`);
    return fs.readFileSync(path.join(pki.dir, `${name}.crt`), "utf8") + fs.readFileSync(path.join(pki.dir, `${ca}.crt`), "utf8");
}

/** Traefik's acme.json for the chart's `default` resolver (traefik pkg/provider/acme/store.go, local_store.go). */
export function acmeJson(caServer: string, certificates: { host: string; chain: string }[]): string {
    return JSON.stringify(
        {
            default: {
                Account: {
                    Email: "esiphub-admins@esipfed.org",
                    Registration: { body: { status: "valid" }, uri: `${caServer.replace(/\/directory$/, "")}/acme/acct/1947201` },
                    PrivateKey: "MIIJKAIBAAKCAgEA",
                    KeyType: "4096",
                },
                Certificates: certificates.map((c) => ({
                    domain: { main: c.host },
                    certificate: Buffer.from(c.chain).toString("base64"),
                    key: Buffer.from("-----BEGIN RSA PRIVATE KEY-----\n...\n").toString("base64"),
                    Store: "default",
                })),
            },
        },
        null,
        2,
    );
}

/** A kubeconfig as kubeadm's admin.conf has it (certificates inline), for the API server at `url`. */
export function adminKubeconfig(pki: Pick<Pki, "caCert" | "clientCert" | "clientKey">, url: string, client: { cert: string; key: string } = { cert: pki.clientCert, key: pki.clientKey }): string {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- cluster:",
        `    certificate-authority-data: ${b64(pki.caCert)}`,
        `    server: ${url}`,
        "  name: kubernetes",
        "contexts:",
        "- context:",
        "    cluster: kubernetes",
        "    user: kubernetes-admin",
        "  name: kubernetes-admin@kubernetes",
        "current-context: kubernetes-admin@kubernetes",
        "preferences: {}",
        "users:",
        "- name: kubernetes-admin",
        "  user:",
        `    client-certificate-data: ${b64(client.cert)}`,
        `    client-key-data: ${b64(client.key)}`,
        "",
    ].join("\n");
}

interface ModelPod {
    name: string;
    state: "pending" | "ready" | "terminating";
    /** acme.json as loaded at start and changed by Traefik since. */
    acme: string | undefined;
    seen: boolean;
}

export interface ClusterScript {
    namespace: string;
    host: string;
    /** acme.json in the Secret at the start; undefined: no Secret. */
    acme?: string;
    /** What Traefik gets from Let's Encrypt when it starts without a certificate for the host: acme.json, or nothing. */
    obtains?: string;
    /** Pods of the deployment at the start (0 or 1). */
    pods?: number;
}

export interface Request {
    method: string;
    path: string;
    /** Pods that existed (terminating or not) when the request arrived. */
    podsAlive: number;
}

export class ScriptedCluster {
    readonly requests: Request[] = [];
    private pods: ModelPod[] = [];
    private replicas: number;
    private secret: string | undefined;
    private counter = 0;
    private server?: https.Server;
    url = "";

    constructor(private readonly pki: Pki, private readonly script: ClusterScript) {
        this.secret = script.acme;
        this.replicas = script.pods ?? 1;
        for (let i = 0; i < this.replicas; i++) this.pods.push({ name: this.podName(), state: "ready", acme: this.secret, seen: true });
    }

    private podName(): string {
        this.counter += 1;
        return `autohttps-7c9d8b6f5d-${["q4x2k", "m8r3t", "z7w1p", "h2c9v", "b5n6j"][(this.counter - 1) % 5]}${this.counter > 5 ? this.counter : ""}`;
    }

    private hasCert(acme: string | undefined): boolean {
        if (!acme) return false;
        const certs = (JSON.parse(acme).default?.Certificates ?? []) as { domain: { main: string } }[];
        return certs.some((c) => c.domain.main === this.script.host);
    }

    /** One step of time: pods move on, the ReplicaSet fills up, Traefik asks once, secret-sync saves. */
    private tick(): void {
        this.pods = this.pods.filter((p) => !(p.state === "terminating" && p.seen));
        for (const p of this.pods) {
            if (p.state === "pending" && p.seen) {
                p.state = "ready";
                // Traefik starts: one ACME request when it has no certificate for the host.
                if (!this.hasCert(p.acme) && this.script.obtains) p.acme = this.script.obtains;
            }
        }
        const live = this.pods.filter((p) => p.state !== "terminating");
        for (let i = live.length; i < this.replicas; i++) this.pods.push({ name: this.podName(), state: "pending", acme: this.secret, seen: false });
        for (const p of this.pods) {
            if (p.state === "ready" && this.hasCert(p.acme) && this.secret !== p.acme) this.secret = p.acme;
        }
    }

    private podJson(p: ModelPod): Record<string, unknown> {
        const pod = fixture("autohttps-pod");
        pod.metadata.name = p.name;
        pod.metadata.namespace = this.script.namespace;
        if (p.state === "pending") {
            pod.status.phase = "Pending";
            pod.status.conditions = pod.status.conditions.map((c: { type: string }) =>
                ["Ready", "ContainersReady", "Initialized"].includes(c.type) ? { ...c, status: "False", reason: c.type === "Initialized" ? "ContainersNotInitialized" : "ContainersNotReady" } : c,
            );
        }
        if (p.state === "terminating") {
            pod.metadata.deletionTimestamp = "2026-11-24T18:10:00Z";
            pod.metadata.deletionGracePeriodSeconds = 30;
        }
        return pod;
    }

    private secretJson(): Record<string, unknown> {
        const secret = fixture("acme-secret");
        secret.metadata.namespace = this.script.namespace;
        secret.data["acme.json"] = Buffer.from(this.secret!).toString("base64");
        return secret;
    }

    private scaleJson(): Record<string, unknown> {
        const scale = fixture("scale");
        scale.metadata.namespace = this.script.namespace;
        scale.spec.replicas = this.replicas;
        scale.status.replicas = this.pods.length;
        return scale;
    }

    private matches(selector: string | null): boolean {
        const labels = fixture("autohttps-pod").metadata.labels as Record<string, string>;
        return (selector ?? "").split(",").filter(Boolean).every((term) => {
            const [k, v] = term.split("=");
            return labels[k] === v;
        });
    }

    private answer(method: string, url: URL, body: string): [number, unknown] {
        const ns = this.script.namespace;
        const pods = `/api/v1/namespaces/${ns}/pods`;
        const secret = `/api/v1/namespaces/${ns}/secrets/proxy-public-tls-acme`;
        const scale = `/apis/apps/v1/namespaces/${ns}/deployments/autohttps/scale`;
        const notFound = () => fixture("status-not-found");
        if (method === "GET" && url.pathname === pods) {
            const items = this.matches(url.searchParams.get("labelSelector")) ? this.pods : [];
            for (const p of items) p.seen = true;
            return [200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "48500" }, items: items.map((p) => this.podJson(p)) }];
        }
        if (method === "DELETE" && url.pathname.startsWith(`${pods}/`)) {
            const pod = this.pods.find((p) => p.name === url.pathname.slice(pods.length + 1));
            if (!pod) return [404, { ...notFound(), message: `pods "${url.pathname.split("/").pop()}" not found`, details: { kind: "pods" } }];
            pod.state = "terminating";
            pod.seen = false;
            return [200, this.podJson(pod)];
        }
        if (url.pathname === secret) {
            if (this.secret === undefined) return [404, notFound()];
            if (method === "GET") return [200, this.secretJson()];
            if (method === "DELETE") {
                this.secret = undefined;
                return [200, fixture("status-deleted")];
            }
        }
        if (url.pathname === scale) {
            if (method === "GET") return [200, this.scaleJson()];
            if (method === "PUT") {
                this.replicas = (JSON.parse(body) as { spec: { replicas: number } }).spec.replicas;
                for (const p of this.pods.slice(this.replicas)) {
                    p.state = "terminating";
                    p.seen = false;
                }
                return [200, this.scaleJson()];
            }
        }
        return [404, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "the server could not find the requested resource", reason: "NotFound", details: {}, code: 404 }];
    }

    async start(): Promise<void> {
        this.server = https.createServer(
            // Like kube-apiserver: client certificates are asked for, not required; without one from the cluster's CA
            // the request is anonymous, and anonymous may do nothing here.
            { key: this.pki.serverKey, cert: this.pki.serverCert, ca: this.pki.caCert, requestCert: true, rejectUnauthorized: false },
            (req, res) => {
                let body = "";
                req.on("data", (d) => (body += d));
                req.on("end", () => {
                    const url = new URL(req.url ?? "/", "https://127.0.0.1");
                    this.requests.push({ method: req.method ?? "", path: url.pathname, podsAlive: this.pods.length });
                    const authorized = (req.socket as import("tls").TLSSocket).authorized;
                    const [status, answer] = authorized ? this.answer(req.method ?? "", url, body) : [403, fixture("status-forbidden")];
                    if (authorized) this.tick();
                    res.writeHead(status, { "Content-Type": "application/json" });
                    res.end(JSON.stringify(answer));
                });
            },
        );
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    /** The site's kubeconfig output, as kubeadm's admin.conf has it (certificates inline). */
    kubeconfig(client: { cert: string; key: string } = { cert: this.pki.clientCert, key: this.pki.clientKey }): string {
        return adminKubeconfig(this.pki, this.url, client);
    }

    /** Traefik's stored state now (the Secret's acme.json), undefined without the Secret. */
    storedAcme(): string | undefined {
        return this.secret;
    }

    podNames(): string[] {
        return this.pods.map((p) => p.name);
    }

    async stop(): Promise<void> {
        if (!this.server) return;
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    }
}
