/**
 * Shared by the kubeadm script tests (test/kubeadm/scripts-*.test.ts): the stub nodes and simulated clusters, the
 * parameters the program sends, and the assertions on a run (see each file for the behaviour it checks).
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CALICO_MANIFEST_SHA256, CALICO_VERSION, calicoParams, joinWorkerParams, prepareNodeParams } from "../../components/kubeadm/commands";
import { inboundRules } from "../../components/firewall";
import { ScriptParams } from "../../components/remote";
import { testConfig } from "../mocks";
import { ScriptRun, SSH_USER, StubNode } from "./sandbox";

/** Calls that only look: all a second run on a finished node may make. */
export const READ_ONLY = [
    /^cloud-init status --wait$/,
    /^dpkg-query -W /,
    /^apt-mark showhold$/,
    /^systemctl is-(enabled|active) /,
    /^systemctl show -p ActiveState --value /,
    /^kubeadm version -o short$/,
    /^kubeadm config images list /,
    /^openssl x509 -in \S+ -noout -(ext subjectAltName|fingerprint -sha256)$/,
    /^kubectl (-n \S+ )?get /,
    /^kubectl wait /,
    /^getent passwd /,
    // What runs at the other end is in that node's own calls (checked there).
    /^ssh -i /,
];

export function assertOk(run: ScriptRun): void {
    assert.strictEqual(run.status, 0, `exit ${run.status}\n${run.stderr}`);
}

export function assertFailsAt(run: ScriptRun, step: string): void {
    assert.notStrictEqual(run.status, 0, "the script should fail");
    assert.match(run.stderr, new RegExp(`^esiphub: ${step}: failed \\(exit [1-9][0-9]*\\)$`, "m"), run.stderr);
}

export function mutatingCalls(run: ScriptRun): string[] {
    return run.calls.filter((call) => !READ_ONLY.some((pattern) => pattern.test(call)));
}

/** A second run: exit 0, only looking calls, no file under the root touched. */
export function assertRerunChangesNothing(node: StubNode, script: Parameters<StubNode["run"]>[0], params: ScriptParams, env: Record<string, string> = {}): ScriptRun {
    const before = node.snapshot();
    const run = node.run(script, params, env);
    assertOk(run);
    assert.deepStrictEqual(mutatingCalls(run), [], "a re-run makes no changing call");
    assert.deepStrictEqual(node.snapshot(), before, "a re-run changes no file");
    return run;
}

export function indexOfCall(run: ScriptRun, prefix: string): number {
    const index = run.calls.findIndex((call) => call.startsWith(prefix));
    assert.ok(index >= 0, `expected a call starting with "${prefix}" in:\n${run.calls.join("\n")}`);
    return index;
}

export const MASTER_IP = "10.42.0.10";
export const MASTER: ScriptParams = {
    NODE_NAME: "esiphub-test-master",
    PRIVATE_IP: MASTER_IP,
    PUBLIC_IP: "149.165.157.20",
    HUB_HOSTNAME: "hub.esipfed.org",
    POD_CIDR: "192.168.0.0/16",
    SERVICE_CIDR: "10.96.0.0/12",
    SCHEDULE_ON_MASTER: "false",
};
export const CONFIG = testConfig("jetstream", { "esiphub:podCidr": "192.168.0.0/16" });
/**
 * sha256sum lines of the curl stub's stand-ins of a Calico version's manifests ("downloaded from URL"): the pinned
 * sums are the real manifests', which the stand-ins are not.
 */
export function standInCalicoSums(version: string): string {
    return Object.keys(CALICO_MANIFEST_SHA256[CALICO_VERSION])
        .map((file) => {
            const body = `downloaded from https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/${file}\n`;
            return `${crypto.createHash("sha256").update(body).digest("hex")}  ${file}`;
        })
        .join("\n");
}
export const CALICO: ScriptParams = { ...calicoParams(CONFIG), CALICO_SHA256: standInCalicoSums(CALICO_VERSION) };
export const PREPARE: ScriptParams = { KUBERNETES_MINOR: "1.33" };

/** A worker's preparation as the program sends it: with the master's join key, from the master's address. */
export function workerPrepare(joinPublicKey: string, masterPrivateIp = MASTER_IP): ScriptParams {
    return prepareNodeParams(testConfig("jetstream"), { sshUser: SSH_USER, joinPublicKey, masterPrivateIp });
}

/** The site's node-to-node firewall (components/firewall.ts), as the cluster stub reads it: "PROTOCOL FROM-TO". */
export function writeFirewall(cluster: string): void {
    const rules = inboundRules(CONFIG.network).filter((r) => r.group === "cluster");
    fs.writeFileSync(path.join(cluster, "firewall"), rules.map((r) => `${r.protocol} ${r.fromPort}-${r.toPort}\n`).join(""));
}

/** The join token in a call (the stub's calls log has it; the scripts' own messages must not). */
export function tokenIn(calls: string[]): string | undefined {
    return calls.map((call) => / --token (\S+)/.exec(call)?.[1]).find(Boolean);
}

/** A master (ssh step, prepared, initialised) and prepared workers in one cluster, as the component leaves them before the joins. */
export interface Site {
    cluster: string;
    master: StubNode;
    workers: StubNode[];
    names: string[];
    /** The public half of the master's cluster key, as master-ssh prints it. */
    joinKey: string;
    joinParams: (i: number) => ScriptParams;
}

const workerNames = (workers: number) => Array.from({ length: workers }, (_, i) => `esiphub-test-worker-${i + 1}`);

function siteOf(cluster: string, master: StubNode, workers: StubNode[], joinKey: string): Site {
    const names = workerNames(workers.length);
    const joinParams = (i: number) => joinWorkerParams(CONFIG, names[i], workers[i].ip!, workers[i].hostKey);
    return { cluster, master, workers, names, joinKey, joinParams };
}

/**
 * Stub nodes and simulated clusters for one describe block, removed after each test. The states many tests start
 * from (an initialised master; a site before its joins) are made by running the scripts once per block, then copied
 * for each test: a test checks what it runs itself, and the scripts that make those states are checked on their own.
 */
export function stubSites() {
const nodes: StubNode[] = [];
const clusters: string[] = [];
const templates: StubNode[] = [];
const templateClusters: string[] = [];
afterEach(() => {
    nodes.splice(0).forEach((node) => node.remove());
    clusters.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
});
after(() => {
    templates.splice(0).forEach((node) => node.remove());
    templateClusters.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
});
const track = (node: StubNode) => {
    nodes.push(node);
    return node;
};
const newNode = (cluster?: string, ip?: string) => track(new StubNode(cluster, ip));
const clusterDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-cluster-"));
    writeFirewall(dir);
    return dir;
};
const newClusterDir = () => {
    const dir = clusterDir();
    clusters.push(dir);
    return dir;
};

const builtNodes = new Map<string, StubNode>();
/** A copy of the node that `build` leaves (a fresh node, in no shared cluster), built once per block. */
const copyOfBuilt = (state: string, build: (node: StubNode) => void) => {
    let built = builtNodes.get(state);
    if (!built) {
        built = new StubNode();
        templates.push(built);
        build(built);
        builtNodes.set(state, built);
    }
    return track(new StubNode(undefined, undefined, built));
};
/** A node after init-master with MASTER's parameters (the API's state on its own disk). */
const initialisedNode = () => copyOfBuilt("initialised", (node) => assertOk(node.run("init-master", MASTER)));
/** A node after prepare-node with PREPARE's parameters. */
const preparedNode = () => copyOfBuilt("prepared", (node) => assertOk(node.run("prepare-node", PREPARE)));

const builtSites = new Map<number, Site>();
const buildSite = (workers: number): Site => {
    const cluster = clusterDir();
    templateClusters.push(cluster);
    const master = new StubNode(cluster, MASTER_IP);
    templates.push(master);
    const ssh = master.run("master-ssh", {});
    assertOk(ssh);
    assertOk(master.run("prepare-node", PREPARE));
    assertOk(master.run("init-master", MASTER));
    const prepared = workerNames(workers).map((_, i) => {
        const worker = new StubNode(cluster, `10.42.0.${21 + i}`);
        templates.push(worker);
        assertOk(worker.run("prepare-node", workerPrepare(ssh.stdout)));
        return worker;
    });
    return siteOf(cluster, master, prepared, ssh.stdout);
};
/** A site with `workers` prepared workers, before the joins: a copy of one built by the scripts. */
const newSite = (workers: number): Site => {
    const built = builtSites.get(workers) ?? buildSite(workers);
    builtSites.set(workers, built);
    const cluster = newClusterDir();
    execFileSync("cp", ["-a", `${built.cluster}/.`, cluster]);
    const master = track(new StubNode(cluster, MASTER_IP, built.master));
    const copies = built.workers.map((worker) => track(new StubNode(cluster, worker.ip, worker)));
    return siteOf(cluster, master, copies, built.joinKey);
};
    return { newNode, newClusterDir, newSite, initialisedNode, preparedNode };
}
