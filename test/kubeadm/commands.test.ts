import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
    calicoParams,
    initMasterParams,
    isNodeName,
    CALICO_MANIFEST_SHA256,
    CALICO_VERSION,
    calicoChecksums,
    JOIN_KEY_COMMENT,
    joinAuthorizedKey,
    joinWorkerParams,
    knownHostsLine,
    kubeadmScript,
    prepareNodeParams,
    publicKubeconfig,
    removeNodeParams,
    SCRIPT_NAMES,
    ScriptName,
    SCRIPTS_DIR,
    waitReadyParams,
} from "../../components/kubeadm/commands";
import { LIB_FILE, renderScript, ScriptParams, scriptBody, scriptHash } from "../../components/remote";
import { testConfig } from "../mocks";

const ADMIN_CONF = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    server: https://10.42.0.10:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==
`;

const WORKER_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyOfTheWorkerMadeByTheProgram";

describe("kubeadm commands (pure)", () => {
    it("knownHostsLine: an address and its ssh-ed25519 host key; anything else is refused", () => {
        assert.strictEqual(knownHostsLine("10.42.0.12", `${WORKER_HOST_KEY}\n`), `10.42.0.12 ${WORKER_HOST_KEY}`);
        assert.throws(() => knownHostsLine("worker-1", WORKER_HOST_KEY), /"worker-1" is not an IPv4 address/);
        assert.throws(() => knownHostsLine("10.42.0.12", `${WORKER_HOST_KEY} root@evil`), /not an ssh-ed25519 public key without a comment/);
        assert.throws(() => knownHostsLine("10.42.0.12", "ssh-rsa AAAAB3NzaC1yc2E"), /not an ssh-ed25519 public key/);
        assert.throws(() => knownHostsLine("10.42.0.12", `${WORKER_HOST_KEY}\n10.42.0.13 ${WORKER_HOST_KEY}`), /not an ssh-ed25519 public key/, "one line only");
    });

    it("calicoChecksums: the pinned version has a sha256 per manifest, CRDs first; a version without pins is refused", () => {
        const lines = calicoChecksums(CALICO_VERSION).split("\n");
        assert.deepStrictEqual(lines.map((l) => l.split("  ")[1]), ["operator-crds.yaml", "tigera-operator.yaml"], "the CRDs before the operator that uses them");
        for (const line of lines) assert.match(line, /^[0-9a-f]{64} {2}[a-z-]+\.yaml$/);
        assert.strictEqual(lines[1].split("  ")[0], CALICO_MANIFEST_SHA256[CALICO_VERSION]["tigera-operator.yaml"]);
        assert.throws(() => calicoChecksums("v3.31.0"), /no pinned sha256 for the manifests of Calico v3\.31\.0 \(components\/kubeadm\/commands\.ts, CALICO_MANIFEST_SHA256\)/);
    });

    it("renderScript: parameters as exports, then lib.sh, then the script", () => {
        const text = renderScript(kubeadmScript("join-worker"), { NODE_NAME: "w-1", JOIN_COMMAND: "kubeadm join x --token 'a'" });
        assert.ok(text.startsWith("#!/usr/bin/env bash\n# esiphub kubeadm: join-worker\nexport NODE_NAME='w-1'\nexport JOIN_COMMAND='kubeadm join x --token '\\''a'\\'''\n"));
        const lib = fs.readFileSync(LIB_FILE, "utf8");
        const script = fs.readFileSync(path.join(SCRIPTS_DIR, "join-worker.sh"), "utf8");
        assert.ok(text.endsWith(`${lib}\n${script}`));
        assert.ok(text.trimEnd().endsWith("\nmain"), "the work starts on the last line, once bash has read all of it");
    });

    it("scriptHash is the sha256 of what runs, different for every script", () => {
        const hashes = SCRIPT_NAMES.map((name) => scriptHash(kubeadmScript(name)));
        assert.strictEqual(new Set(hashes).size, SCRIPT_NAMES.length);
        const init = kubeadmScript("init-master");
        assert.strictEqual(scriptHash(init), crypto.createHash("sha256").update(scriptBody(init)).digest("hex"));
        assert.match(scriptHash(init), /^[0-9a-f]{64}$/);
    });

    it("every script is in SCRIPT_NAMES, and every name has its script", () => {
        const files = fs.readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith(".sh")).map((f) => f.replace(/\.sh$/, ""));
        assert.deepStrictEqual(files.sort(), [...SCRIPT_NAMES].sort());
    });

    it("each script gets every parameter it requires, and only parameters it reads", () => {
        const config = testConfig("jetstream");
        const joinKey = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJoinKey ${JOIN_KEY_COMMENT}`;
        const join = joinWorkerParams(config, "w-1", "10.42.0.21", `${WORKER_HOST_KEY}\n`);
        const given: Record<ScriptName, ScriptParams> = {
            "master-ssh": {},
            "prepare-node": prepareNodeParams(config, { sshUser: "ubuntu", joinPublicKey: joinKey, masterPrivateIp: "10.42.0.10" }),
            "init-master": initMasterParams(config, { nodeName: "m", privateIp: "10.42.0.10", publicIp: "149.165.157.20" }),
            "install-calico": calicoParams(config),
            "join-worker": join,
            // What join-worker.sh puts in front of it at run time, and what the program rendered into it.
            "join-node": { NODE_NAME: "w-1", ACTION: "check", CLUSTER_CA: "AB:CD", JOIN_COMMAND: "kubeadm join 10.42.0.10:6443 --token a.b" },
            kubeconfig: {},
            "wait-ready": waitReadyParams(["m", "w-1"]),
            "remove-node": removeNodeParams("w-1"),
        };
        for (const [name, params] of Object.entries(given) as [ScriptName, ScriptParams][]) {
            const script = fs.readFileSync(path.join(SCRIPTS_DIR, `${name}.sh`), "utf8");
            const required = [...script.matchAll(/^\s*require_env ([A-Z_ ]+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/));
            for (const key of required) assert.ok(key in params, `${name}: ${key} is required and given`);
            for (const key of Object.keys(params)) assert.ok(script.includes(`\${${key}`) || script.includes(`$${key}`), `${name} reads ${key}`);
        }
        assert.strictEqual(join.NODE_SCRIPT, renderScript(kubeadmScript("join-node"), { NODE_NAME: "w-1" }), "the worker's side, rendered with its node name");
        assert.strictEqual(join.SSH_USER, config.ssh.user);
        assert.strictEqual(join.KNOWN_HOSTS, `10.42.0.21 ${WORKER_HOST_KEY}`, "the worker's pinned host key, for its address");
        assert.strictEqual(given["init-master"].HUB_HOSTNAME, "hub.esipfed.org");
        assert.strictEqual(given["wait-ready"].NODE_NAMES, "m w-1");
        assert.deepStrictEqual(prepareNodeParams(config), { KUBERNETES_MINOR: "1.33" }, "the master's preparation has no join key");
    });

    it("joinAuthorizedKey: the master's join key, accepted from the master's address only", () => {
        const key = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJoinKey+/= ${JOIN_KEY_COMMENT}`;
        assert.strictEqual(joinAuthorizedKey(`${key}\n`, "10.42.0.10"), `restrict,from="10.42.0.10" ${key}`);
        assert.throws(() => joinAuthorizedKey("ssh-ed25519 AAAA operator@laptop", "10.42.0.10"), /with the comment esiphub-cluster-join/);
        assert.throws(() => joinAuthorizedKey(`${key}\ncommand="rm -rf /" ssh-ed25519 AAAA x`, "10.42.0.10"), /not an ssh-ed25519 public key/);
        assert.throws(() => joinAuthorizedKey(key, '10.42.0.10" ,command="x'), /not an IPv4 address/);
    });

    it("the join key's comment is the one master-ssh.sh gives it and prepare-node.sh looks for", () => {
        for (const script of ["master-ssh", "prepare-node"]) {
            assert.match(fs.readFileSync(path.join(SCRIPTS_DIR, `${script}.sh`), "utf8"), new RegExp(`^JOIN_KEY_COMMENT=${JOIN_KEY_COMMENT}$`, "m"), script);
        }
    });

    it("initMasterParams: untainted master when there are no workers or when asked", () => {
        const master = { nodeName: "m", privateIp: "10.42.0.10", publicIp: "149.165.157.20" };
        assert.strictEqual(initMasterParams(testConfig("jetstream"), master).SCHEDULE_ON_MASTER, "false");
        assert.strictEqual(initMasterParams(testConfig("jetstream", { "esiphub:workers": "0", "esiphub:users": "5" }), master).SCHEDULE_ON_MASTER, "true");
        assert.strictEqual(initMasterParams(testConfig("jetstream", { "esiphub:scheduleOnMaster": "true" }), master).SCHEDULE_ON_MASTER, "true");
        assert.strictEqual(initMasterParams(testConfig("nebula"), master).HUB_HOSTNAME, "", "nebula has no hub hostname");
        assert.strictEqual(initMasterParams(testConfig("jetstream", { "esiphub:podCidr": "172.20.0.0/16" }), master).POD_CIDR, "172.20.0.0/16");
    });

    it("publicKubeconfig points every cluster at the public IP and keeps the rest", () => {
        const doc = YAML.parse(publicKubeconfig(ADMIN_CONF, "149.165.157.20"));
        const original = YAML.parse(ADMIN_CONF);
        assert.strictEqual(doc.clusters[0].cluster.server, "https://149.165.157.20:6443");
        original.clusters[0].cluster.server = "https://149.165.157.20:6443";
        assert.deepStrictEqual(doc, original);
    });

    it("publicKubeconfig refuses what is not a kubeconfig", () => {
        assert.throws(() => publicKubeconfig("", "149.165.157.20"), /not a kubeconfig/);
        assert.throws(() => publicKubeconfig("clusters: [{name: x}]", "149.165.157.20"), /not a kubeconfig/);
        assert.throws(() => publicKubeconfig("clusters: [\n", "149.165.157.20"), /not YAML/);
    });

    it("isNodeName accepts Kubernetes node names only", () => {
        for (const ok of ["esiphub-jetstream-master", "w1", "node.example.org"]) assert.ok(isNodeName(ok), ok);
        for (const bad of ["", "Worker-1", "w_1", "-w", "w-", "a".repeat(254)]) assert.ok(!isNodeName(bad), bad);
    });
});
