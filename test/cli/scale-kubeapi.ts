import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { AddressInfo } from "net";
import { adminKubeconfig } from "./k8s-api";

/**
 * A small scripted Kubernetes API server on 127.0.0.1 for `esiphub scale`: HTTPS with a throwaway CA and client
 * certificates, as kubeadm's admin.conf uses, answering the two calls the command makes the way kube-apiserver does:
 *
 *  - GET /api/v1/namespaces/NS/pods?labelSelector=...  a v1 PodList of the namespace's pods that match the selector
 *    (equality, inequality and existence requirements; https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors).
 *  - PATCH /api/v1/nodes/NAME  with a JSON merge patch (RFC 7386) or a strategic merge patch; any other
 *    Content-Type gets 415 and an unknown node 404, each with the API's Status object
 *    (k8s.io/apiserver/pkg/endpoints/handlers/patch.go; k8s.io/apimachinery/pkg/api/errors).
 *  - a request without a client certificate is the anonymous user, which kubeadm's RBAC forbids (403).
 *
 * The Pod and Node lists in fixtures/scale-*.json are in the API's JSON shape (v1 PodList, NodeList): user server
 * pods as KubeSpawner 7.0.0 makes them under Zero-to-JupyterHub 4.4.0 (labels, annotations, tolerations,
 * priority class; kubespawner/spawner.py get_pod_manifest, z2jh jupyterhub_config.py common_labels) beside the
 * chart's own pods (hub, proxy, user-scheduler, image puller, user placeholders), and kubeadm nodes with Calico's
 * annotations. They are modelled on those sources, not captured from a live cluster.
 */

type Json = Record<string, any>;

export interface KubeObject {
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
    spec?: Json;
    status?: Json;
}

export function loadFixture(name: string): KubeObject[] {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8")) as { items: KubeObject[] }).items;
}

function status(code: number, reason: string, message: string, details?: Json): Json {
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

/** Does an object's labels satisfy a label selector? Set-based requirements (in, notin) are not modelled. */
export function matchesSelector(labels: Record<string, string>, selector: string): boolean {
    if (!selector) return true;
    return selector.split(",").every((req) => {
        const r = req.trim();
        let m: RegExpExecArray | null;
        if ((m = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(r))) return labels[m[1]] !== m[2];
        if ((m = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(r))) return labels[m[1]] === m[2];
        if ((m = /^!([^!=\s]+)$/.exec(r))) return !(m[1] in labels);
        if ((m = /^([^!=\s(]+)$/.exec(r))) return m[1] in labels;
        throw new Error(`unable to parse requirement: ${r}`);
    });
}

/** RFC 7386: objects merge key by key, null removes a key, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
    if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
    const result: Json = target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Json) } : {};
    for (const [key, value] of Object.entries(patch as Json)) {
        if (value === null) delete result[key];
        else result[key] = mergePatch(result[key], value);
    }
    return result;
}

const PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

function openssl(dir: string, ...args: string[]): void {
    execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate as kubeadm's admin user, in `dir`. */
function makeCertificates(dir: string): void {
    openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=kubernetes");
    openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube-apiserver");
    fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:kubernetes\n");
    openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext");
    openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/O=kubeadm:cluster-admins/CN=kubernetes-admin");
    openssl(dir, "x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.crt", "-days", "2");
}

export class ScriptedKubeApi {
    pods: KubeObject[] = loadFixture("scale-pods.json");
    nodes: KubeObject[] = loadFixture("scale-nodes.json");
    /** When set, node patches are forbidden, as RBAC answers a user without the right. */
    forbidPatches = false;
    /** Called before each pod list is answered (a test can start a server "meanwhile"). */
    beforeListPods?: (count: number) => void;
    private lists = 0;

    /** Every request is appended here as `k8s METHOD PATH`, and each node patch as `k8s node NAME unschedulable=...`. */
    log: string[] = [];

    private constructor(private readonly server: https.Server, private readonly dir: string) {}

    static async start(): Promise<ScriptedKubeApi> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-kubeapi-"));
        makeCertificates(dir);
        const read = (f: string) => fs.readFileSync(path.join(dir, f));
        const server = https.createServer({ key: read("server.key"), cert: read("server.crt"), ca: read("ca.crt"), requestCert: true, rejectUnauthorized: false });
        const api = new ScriptedKubeApi(server, dir);
        server.on("request", (req, res) => api.handle(req, res));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return api;
    }

    get url(): string {
        return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    /** kubeadm's admin.conf with the server address the stack's kubeconfig output has. */
    kubeconfig(): string {
        const read = (f: string) => fs.readFileSync(path.join(this.dir, f), "utf8");
        return adminKubeconfig({ caCert: read("ca.crt"), clientCert: read("client.crt"), clientKey: read("client.key") }, this.url);
    }

    node(name: string): KubeObject | undefined {
        return this.nodes.find((n) => n.metadata.name === name);
    }

    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    private handle(req: import("http").IncomingMessage, res: import("http").ServerResponse): void {
        const url = new URL(req.url ?? "/", this.url);
        this.log.push(`k8s ${req.method} ${url.pathname}${url.search ? decodeURIComponent(url.search) : ""}`);
        const send = (code: number, body: Json) => {
            res.writeHead(code, { "Content-Type": "application/json" });
            res.end(JSON.stringify(body));
        };
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            if (!(req.socket as import("tls").TLSSocket).authorized) {
                send(403, status(403, "Forbidden", `${url.pathname} is forbidden: User "system:anonymous" cannot access it`));
                return;
            }
            let m: RegExpExecArray | null;
            if (req.method === "GET" && (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname))) {
                this.beforeListPods?.(++this.lists);
                let items: KubeObject[];
                try {
                    const selector = url.searchParams.get("labelSelector") ?? "";
                    items = this.pods.filter((p) => p.metadata.namespace === m![1] && matchesSelector(p.metadata.labels ?? {}, selector));
                } catch (e) {
                    send(400, status(400, "BadRequest", (e as Error).message));
                    return;
                }
                send(200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "418990" }, items });
                return;
            }
            if (req.method === "PATCH" && (m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname))) {
                const type = (req.headers["content-type"] ?? "").split(";")[0].trim();
                if (!PATCH_TYPES.includes(type)) {
                    send(415, status(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(", ")}`));
                    return;
                }
                if (this.forbidPatches) {
                    send(403, status(403, "Forbidden", `nodes "${m[1]}" is forbidden: User "kubernetes-admin" cannot patch resource "nodes" in API group "" at the cluster scope`, { name: m[1], kind: "nodes" }));
                    return;
                }
                const node = this.node(m[1]);
                if (!node) {
                    send(404, status(404, "NotFound", `nodes "${m[1]}" not found`, { name: m[1], kind: "nodes" }));
                    return;
                }
                if (type === "application/json-patch+json" || type === "application/apply-patch+yaml") {
                    send(400, status(400, "BadRequest", "this scripted API only applies merge patches"));
                    return;
                }
                Object.assign(node, mergePatch(node, JSON.parse(body)));
                this.log.push(`k8s node ${m[1]} unschedulable=${node.spec?.unschedulable === true}`);
                send(200, node as unknown as Json);
                return;
            }
            res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
            res.end("404 page not found\n");
        });
    }
}
