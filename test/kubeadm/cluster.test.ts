/**
 * The kubeadm layer's command graph under Pulumi's mocks: what depends on what, what is secret, and that
 * the longest dependency chain does not grow with the number of workers.
 */
import * as assert from "assert";
import * as YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import * as openstack from "@pulumi/openstack";
import { KubeadmCluster } from "../../components/kubeadm/cluster";
import { ClusterHosts, ClusterNode, NodeRole } from "../../components/hosts";
import { SiteConfig } from "../../components/config";
import { CALICO_VERSION, kubeadmScript, ScriptName } from "../../components/kubeadm/commands";
import { REMOTE_SHELL, scriptHash } from "../../components/remote";
import { longestChain, planProgram, PlannedResource, PlanResult, resourcesOfType, runStack, testConfig } from "../mocks";
import { SECRET } from "../../plan/run";
import { offlineEd25519 } from "../../plan/state";

const COMMAND = "command:remote:Command";
const PUBLIC_IP = "149.165.157.20";
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";
const hostKeyOf = (node: string) => offlineEd25519(node).publicKeyOpenssh.trim();

/** Stand-in of the cloud layer: one VM per node, connections as the cloud layers make them. */
function standInHosts(config: SiteConfig, names: { master?: string; workers?: string[] } = {}): ClusterHosts {
    const node = (name: string, role: NodeRole, index: number): ClusterNode => {
        const ip = `10.42.0.${10 + index}`;
        const instance = new openstack.compute.Instance(name, { name, flavorName: config.nodes.workerFlavor.name, imageName: "Featured-Ubuntu24" });
        const login = { user: config.ssh.user, privateKey: pulumi.secret(PRIVATE_KEY), dialErrorLimit: 30, perDialTimeout: 20 };
        const hostKey = hostKeyOf(name);
        return {
            name,
            role,
            privateIp: pulumi.output(ip),
            connection: pulumi.output(role === "master" ? { host: PUBLIC_IP, hostKey, ...login } : { host: ip, hostKey, ...login, proxy: { host: PUBLIC_IP, hostKey: hostKeyOf(names.master ?? "esiphub-test-master"), ...login } }),
            hostKey: pulumi.output(hostKey),
            instance,
        };
    };
    const master = node(names.master ?? "esiphub-test-master", "master", 0);
    const workers = (names.workers ?? Array.from({ length: config.nodes.workers }, (_, i) => `esiphub-test-worker-${i + 1}`)).map((n, i) => node(n, "worker", i + 1));
    return {
        master,
        workers,
        nfs: master,
        publicIp: pulumi.output(PUBLIC_IP),
        dataVolume: { id: pulumi.output("vol-1"), serial: pulumi.output("0c9d2a4e-5b7f-4e3a-9c1d-2f6e8a0b4c7d"), attachment: master.instance },
        sshCommand: pulumi.output(`ssh ubuntu@${PUBLIC_IP}`),
    };
}

function planCluster(overrides: Record<string, string> = {}, names?: { master?: string; workers?: string[] }): Promise<PlanResult> {
    return planProgram("jetstream", () => {
        const config = testConfig("jetstream", overrides);
        const cluster = new KubeadmCluster("k8s", { config, hosts: standInHosts(config, names) });
        return { kubeconfig: cluster.kubeconfig, ready: cluster.ready.urn, provider: cluster.provider.urn };
    });
}

function byName(result: PlanResult, name: string): PlannedResource {
    const found = result.resources.filter((r) => r.name === name);
    assert.strictEqual(found.length, 1, `one resource named ${name}, found ${found.length}`);
    return found[0];
}

/** Every resource a resource waits for, directly or through others (dependencies and parents). */
function upstream(result: PlanResult, urn: string): Set<string> {
    const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const visit = (u: string) => {
        const r = byUrn.get(u);
        for (const next of [...(r?.dependencies ?? []), ...(r?.parent ? [r.parent] : [])]) {
            if (!seen.has(next)) {
                seen.add(next);
                visit(next);
            }
        }
    };
    visit(urn);
    return seen;
}

function stdin(result: PlanResult, resource: PlannedResource): string {
    return String(result.rawInputs.get(resource.urn)?.stdin);
}

describe("KubeadmCluster (under mocks)", () => {
    let result: PlanResult;
    before(async () => {
        result = await planCluster({ "esiphub:workers": "3", "esiphub:users": "10" });
    });

    it("is one esiphub:kubeadm:Cluster whose every resource is its child", () => {
        const [component] = resourcesOfType(result, "esiphub:kubeadm:Cluster");
        assert.ok(component);
        for (const r of result.resources.filter((r) => r.type === COMMAND || r.type === "pulumi:providers:kubernetes")) {
            assert.strictEqual(r.parent, component.urn, `${r.name} is a child of the cluster`);
        }
    });

    it("each worker's join waits for the master's init and its own preparation, never for another worker", () => {
        const init = byName(result, "k8s-init");
        const workers = [1, 2, 3].map((i) => `esiphub-test-worker-${i}`);
        for (const worker of workers) {
            const join = byName(result, `k8s-join-${worker}`);
            assert.ok(join.dependencies.includes(init.urn), `${join.name} depends on the init`);
            assert.ok(join.dependencies.includes(byName(result, `k8s-prepare-${worker}`).urn), `${join.name} depends on its prepare`);
            const others = workers.filter((w) => w !== worker);
            const before = [...upstream(result, join.urn)].map((urn) => urn.split("::").pop()!);
            for (const other of others) {
                assert.deepStrictEqual(before.filter((name) => name.includes(other)), [], `${join.name} waits for nothing of ${other}`);
            }
        }
    });

    it("each join is one step on the master that mints its own token: it takes no join command from another resource", () => {
        assert.deepStrictEqual(result.resources.filter((r) => /join-command/.test(r.name)).map((r) => r.name), []);
        for (const worker of ["esiphub-test-worker-1", "esiphub-test-worker-2"]) {
            const join = byName(result, `k8s-join-${worker}`);
            const commands = join.dependencies.filter((urn) => urn.includes(`$${COMMAND}::`));
            assert.deepStrictEqual(commands, [byName(result, "k8s-init").urn, byName(result, `k8s-prepare-${worker}`).urn].sort(), "of the commands, only the init and its preparation");
            assert.strictEqual((result.rawInputs.get(join.urn)?.connection as { host: string }).host, PUBLIC_IP, "runs on the master");
            const script = stdin(result, join);
            assert.match(script, /^# esiphub kubeadm: join-worker$/m);
            // The master's SSH to the worker pins the worker's own host key, as the program's connections do.
            const ip = /^export WORKER_IP='([\d.]+)'$/m.exec(script)![1];
            assert.match(script, new RegExp(`^export KNOWN_HOSTS='${ip.replace(/\./g, "\\.")} ${hostKeyOf(worker).replace(/[+/]/g, "\\$&")}'$`, "m"));
            assert.match(script, /^\s*join=\$\(kubeadm token create .*--print-join-command\)$/m, "the token is made in the same run that uses it");
            assert.doesNotMatch(script, / --token [a-z0-9]{6}\./, "no token made before");
            assert.match(script, new RegExp(`^export NODE_NAME='${worker}'$`, "m"));
            assert.match(script, /^export WORKER_IP='10\.42\.0\.1[1-3]'$/m);
            assert.match(script, /^export SSH_USER='ubuntu'$/m);
            assert.match(script, /^export NODE_SCRIPT='#!\/usr\/bin\/env bash$/m);
            assert.match(script, /^# esiphub kubeadm: join-node$/m, "the worker's side travels inside it");
        }
    });

    it("every join runs again when the init or either VM is replaced: its triggers carry the init's id and both VMs' ids", () => {
        for (const i of [1, 2, 3]) {
            const join = byName(result, `k8s-join-esiphub-test-worker-${i}`);
            assert.deepStrictEqual(join.inputs.triggers, [scriptHash(kubeadmScript("join-worker")), "esiphub-test-master-id", `esiphub-test-worker-${i}-id`, "k8s-init-id"]);
        }
    });

    it("the master's ssh step (MaxStartups, the join key) waits for the master's VM only, and every worker's preparation waits for it", () => {
        const ssh = byName(result, "k8s-master-ssh");
        assert.match(stdin(result, ssh), /^# esiphub kubeadm: master-ssh$/m);
        assert.deepStrictEqual(ssh.dependencies, [resourcesOfType(result, "openstack:compute/instance:Instance").find((r) => r.name === "esiphub-test-master")!.urn]);
        for (const i of [1, 2, 3]) {
            const prepare = byName(result, `k8s-prepare-esiphub-test-worker-${i}`);
            assert.ok(prepare.dependencies.includes(ssh.urn));
            assert.match(stdin(result, prepare), /^export JOIN_AUTHORIZED_KEY='restrict,from="10\.42\.0\.10" ssh-ed25519 [A-Za-z0-9+/=]+ esiphub-cluster-join'$/m);
            assert.match(stdin(result, prepare), /^export SSH_USER='ubuntu'$/m);
        }
        assert.doesNotMatch(stdin(result, byName(result, "k8s-prepare-esiphub-test-master")), /^export JOIN_AUTHORIZED_KEY=/m, "the master needs no key of its own");
    });

    it("the joins and the kubeconfig handle secrets: logging off, stdout a secret output", () => {
        for (const name of ["k8s-kubeconfig", "k8s-join-esiphub-test-worker-1"]) {
            const r = byName(result, name);
            assert.strictEqual(r.inputs.logging, "none", `${name} logs nothing`);
            assert.ok(r.additionalSecretOutputs.includes("stdout"), `${name}'s stdout is secret`);
        }
    });

    it("no remote command sends its last output back as SSH environment variables (sshd's AcceptEnv refuses them)", () => {
        const commands = resourcesOfType(result, COMMAND);
        assert.ok(commands.length > 10);
        for (const r of commands) assert.strictEqual(r.inputs.addPreviousOutputInEnv, false, r.name);
    });

    it("the kubeconfig output is secret and points at the public IP; the provider uses it", () => {
        assert.strictEqual(result.outputs.kubeconfig, SECRET);
        const kubeconfig = YAML.parse(String(result.rawOutputs.kubeconfig));
        assert.deepStrictEqual(kubeconfig.clusters.map((c: { cluster: { server: string } }) => c.cluster.server), [`https://${PUBLIC_IP}:6443`]);
        assert.strictEqual(kubeconfig.users[0].name, "kubernetes-admin", "the rest of admin.conf is kept");
        const [provider] = resourcesOfType(result, "pulumi:providers:kubernetes");
        assert.strictEqual(provider.inputs.kubeconfig, SECRET);
        assert.strictEqual(result.rawInputs.get(provider.urn)?.kubeconfig, result.rawOutputs.kubeconfig);
        assert.ok(provider.dependencies.includes(byName(result, "k8s-ready").urn), "the provider is used once every node is Ready");
    });

    it("ready waits for Calico and every join; it is the component's `ready`", () => {
        const ready = byName(result, "k8s-ready");
        assert.strictEqual(result.outputs.ready, ready.urn);
        assert.ok(ready.dependencies.includes(byName(result, "k8s-calico").urn));
        for (const i of [1, 2, 3]) assert.ok(ready.dependencies.includes(byName(result, `k8s-join-esiphub-test-worker-${i}`).urn));
        assert.match(stdin(result, ready), /^export NODE_NAMES='esiphub-test-master esiphub-test-worker-1 esiphub-test-worker-2 esiphub-test-worker-3'$/m);
    });

    it("every step runs its script through `sudo bash -s`, with the script's content hash and its VMs' ids in triggers", () => {
        const scripts: Record<string, ScriptName> = {
            "k8s-master-ssh": "master-ssh",
            "k8s-prepare-esiphub-test-master": "prepare-node",
            "k8s-prepare-esiphub-test-worker-2": "prepare-node",
            "k8s-init": "init-master",
            "k8s-calico": "install-calico",
            "k8s-kubeconfig": "kubeconfig",
            "k8s-join-esiphub-test-worker-2": "join-worker",
            "k8s-ready": "wait-ready",
        };
        const vmIds = (name: string) =>
            name === "k8s-ready"
                ? ["esiphub-test-master-id", ...[1, 2, 3].map((i) => `esiphub-test-worker-${i}-id`)]
                : name === "k8s-join-esiphub-test-worker-2"
                  ? ["esiphub-test-master-id", "esiphub-test-worker-2-id", "k8s-init-id"]
                  : [name.endsWith("worker-2") ? "esiphub-test-worker-2-id" : "esiphub-test-master-id"];
        for (const [name, script] of Object.entries(scripts)) {
            const r = byName(result, name);
            assert.strictEqual(r.inputs.create, REMOTE_SHELL, name);
            assert.deepStrictEqual(r.inputs.triggers, [scriptHash(kubeadmScript(script)), ...vmIds(name)], name);
            assert.match(stdin(result, r), new RegExp(`^# esiphub kubeadm: ${script}$`, "m"), name);
        }
    });

    it("init gets the private address, the public IP, the pod network; Calico the pinned version", () => {
        const init = stdin(result, byName(result, "k8s-init"));
        for (const line of ["NODE_NAME='esiphub-test-master'", "PRIVATE_IP='10.42.0.10'", `PUBLIC_IP='${PUBLIC_IP}'`, "HUB_HOSTNAME='hub.esipfed.org'", "POD_CIDR='192.168.0.0/16'", "SERVICE_CIDR='10.96.0.0/12'", "SCHEDULE_ON_MASTER='false'"]) {
            assert.ok(init.includes(`\nexport ${line}\n`), line);
        }
        const calico = stdin(result, byName(result, "k8s-calico"));
        assert.ok(calico.includes(`\nexport CALICO_VERSION='${CALICO_VERSION}'\n`));
        assert.match(calico, /^export INSTALLATION='apiVersion: operator\.tigera\.io\/v1$/m);
        assert.match(calico, /^ {4}bgp: Disabled$/m, "the Installation disables BGP");
        assert.match(calico, /^export CALICO_BGP='Disabled'$/m);
        assert.ok(stdin(result, byName(result, "k8s-prepare-esiphub-test-worker-1")).includes("\nexport KUBERNETES_MINOR='1.33'\n"));
    });

    it("each worker has a removal on the master's connection: drain and delete on delete, nothing on create", () => {
        for (const i of [1, 2, 3]) {
            const worker = `esiphub-test-worker-${i}`;
            const removal = byName(result, `k8s-remove-${worker}`);
            assert.strictEqual(removal.inputs.delete, REMOTE_SHELL);
            assert.strictEqual(removal.inputs.create, undefined, "creating it runs nothing");
            assert.strictEqual(removal.inputs.triggers, undefined, "no trigger may replace it (a replacement would drain a live worker)");
            assert.deepStrictEqual(removal.ignoreChanges, ["connection"]);
            assert.strictEqual((result.rawInputs.get(removal.urn)?.connection as { host: string }).host, PUBLIC_IP, "runs on the master");
            assert.deepStrictEqual(removal.dependencies, [byName(result, `k8s-join-${worker}`).urn], "deleted before the join, the preparation and the VM");
            const script = stdin(result, removal);
            assert.match(script, /^# esiphub kubeadm: remove-node$/m);
            assert.match(script, new RegExp(`^export NODE_NAME='${worker}'$`, "m"));
        }
    });

    it("the longest dependency chain is the same for 2 and for 20 workers", async () => {
        const two = await planCluster({ "esiphub:workers": "2", "esiphub:users": "10" });
        const twenty = await planCluster({ "esiphub:workers": "20" });
        assert.strictEqual(resourcesOfType(twenty, "esiphub:kubeadm:Cluster").length, 1);
        assert.strictEqual(resourcesOfType(twenty, COMMAND).length - resourcesOfType(two, COMMAND).length, 18 * 3, "three commands per worker");
        assert.strictEqual(longestChain(twenty), longestChain(two));
        // stack → master VM → prepare → init → a join → ready → provider.
        assert.strictEqual(longestChain(two), 7);
    });

    it("with no workers: the master takes pods, nothing is joined, ready waits for the master alone", async () => {
        const solo = await planCluster({ "esiphub:workers": "0", "esiphub:users": "5" });
        assert.deepStrictEqual(solo.resources.filter((r) => /-join|-remove-/.test(r.name)), []);
        assert.match(stdin(solo, byName(solo, "k8s-init")), /^export SCHEDULE_ON_MASTER='true'$/m);
        assert.match(stdin(solo, byName(solo, "k8s-ready")), /^export NODE_NAMES='esiphub-test-master'$/m);
    });

    it("a node name Kubernetes would refuse is a ResourceError naming the node", async () => {
        await assert.rejects(planCluster({ "esiphub:workers": "1", "esiphub:users": "10" }, { workers: ["Worker_1"] }), /node "Worker_1" \(worker\): not a Kubernetes node name/);
        await assert.rejects(planCluster({ "esiphub:workers": "2", "esiphub:users": "10" }, { workers: ["w-1", "w-1"] }), /two nodes are named "w-1"/);
    });
});

describe("the whole program: kubeadm layer", () => {
    // Nine workers and the master are the ten instances of Jetstream2's default quota (js2docs general/policies.md).
    it("jetstream with 2 and with 9 workers has the same longest dependency chain", async () => {
        const two = await runStack("jetstream", { "esiphub:workers": "2", "esiphub:users": "10" });
        const nine = await runStack("jetstream", { "esiphub:workers": "9" });
        assert.strictEqual(resourcesOfType(nine, COMMAND).filter((r) => /-k8s-join-/.test(r.name)).length, 9);
        assert.strictEqual(longestChain(nine), longestChain(two));
    });
});
