/**
 * Behaviour of the kubeadm scripts, run as a node receives them (rendered, on stdin of `bash -s`)
 * against stubbed system commands in a temporary root: the first run does the work, a second run
 * changes nothing, a failing command stops the script with a message naming the step.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { CALICO_VERSION, kubeadmScript, SCRIPT_NAMES, SCRIPTS_DIR } from "../../components/kubeadm/commands";
import { renderScript, ScriptParams } from "../../components/remote";
import { ScriptRun, StubNode } from "./sandbox";

/** Calls that only look: all a second run on a finished node may make. */
const READ_ONLY = [
    /^cloud-init status --wait$/,
    /^dpkg-query -W /,
    /^apt-mark showhold$/,
    /^systemctl is-(enabled|active) /,
    /^kubeadm version -o short$/,
    /^openssl x509 -in \S+ -noout -ext subjectAltName$/,
    /^kubectl (-n \S+ )?get /,
    /^kubectl wait /,
];

function assertOk(run: ScriptRun): void {
    assert.strictEqual(run.status, 0, `exit ${run.status}\n${run.stderr}`);
}

function assertFailsAt(run: ScriptRun, step: string): void {
    assert.notStrictEqual(run.status, 0, "the script should fail");
    assert.match(run.stderr, new RegExp(`^esiphub: ${step}: failed \\(exit [1-9][0-9]*\\)$`, "m"), run.stderr);
}

function mutatingCalls(run: ScriptRun): string[] {
    return run.calls.filter((call) => !READ_ONLY.some((pattern) => pattern.test(call)));
}

/** A second run: exit 0, only looking calls, no file under the root touched. */
function assertRerunChangesNothing(node: StubNode, script: Parameters<StubNode["run"]>[0], params: ScriptParams): ScriptRun {
    const before = node.snapshot();
    const run = node.run(script, params);
    assertOk(run);
    assert.deepStrictEqual(mutatingCalls(run), [], "a re-run makes no changing call");
    assert.deepStrictEqual(node.snapshot(), before, "a re-run changes no file");
    return run;
}

function indexOfCall(run: ScriptRun, prefix: string): number {
    const index = run.calls.findIndex((call) => call.startsWith(prefix));
    assert.ok(index >= 0, `expected a call starting with "${prefix}" in:\n${run.calls.join("\n")}`);
    return index;
}

const MASTER: ScriptParams = {
    NODE_NAME: "esiphub-test-master",
    PRIVATE_IP: "10.42.0.10",
    PUBLIC_IP: "149.165.157.20",
    HUB_HOSTNAME: "hub.esipfed.org",
    POD_CIDR: "192.168.0.0/16",
    SERVICE_CIDR: "10.96.0.0/12",
    SCHEDULE_ON_MASTER: "false",
};
const CALICO: ScriptParams = { CALICO_VERSION, POD_CIDR: "192.168.0.0/16" };

describe("kubeadm scripts", () => {
    const nodes: StubNode[] = [];
    const newNode = (cluster?: string) => {
        const node = new StubNode(cluster);
        nodes.push(node);
        return node;
    };
    afterEach(() => nodes.splice(0).forEach((node) => node.remove()));

    describe("prepare-node.sh", () => {
        const params = { KUBERNETES_MINOR: "1.33" };

        it("prepares a fresh node: swap off, modules, sysctls, the per-minor repo, held packages, containerd with SystemdCgroup", () => {
            const node = newNode();
            const run = node.run("prepare-node", params);
            assertOk(run);
            for (const call of [
                "cloud-init status --wait",
                "swapoff -a",
                "modprobe overlay",
                "modprobe br_netfilter",
                "sysctl --system",
                "apt-mark hold kubelet kubeadm kubectl",
                "systemctl restart containerd",
            ]) {
                assert.ok(run.calls.includes(call), `${call} in:\n${run.calls.join("\n")}`);
            }
            const keyFetch = indexOfCall(run, "curl ");
            assert.match(run.calls[keyFetch], / https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.33\/deb\/Release\.key$/);
            const update = indexOfCall(run, "apt-get -o DPkg::Lock::Timeout=600 -y -q update");
            const install = indexOfCall(run, "apt-get -o DPkg::Lock::Timeout=600 -y -q install");
            assert.ok(keyFetch < update && update < install, "key, then update, then install");
            assert.deepStrictEqual(run.calls[install].split(" ").slice(-5), ["containerd", "kubelet", "kubeadm", "kubectl", "nfs-common"]);
            assert.ok(indexOfCall(run, "containerd config default") < indexOfCall(run, "systemctl restart containerd"));

            assert.strictEqual(node.read("etc/apt/sources.list.d/kubernetes.list"), "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.33/deb/ /\n");
            assert.match(node.read("etc/apt/keyrings/kubernetes-apt-keyring.gpg"), /^dearmored:\ndownloaded from https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.33\/deb\/Release\.key/);
            const containerd = node.read("etc/containerd/config.toml");
            assert.match(containerd, /^\s*SystemdCgroup = true$/m);
            assert.doesNotMatch(containerd, /SystemdCgroup = false/);
            assert.strictEqual(node.read("etc/modules-load.d/kubernetes.conf"), "overlay\nbr_netfilter\n");
            assert.strictEqual(node.read("etc/sysctl.d/99-kubernetes.conf"), "net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n");
            assert.strictEqual(node.read("proc/sys/net/ipv4/ip_forward"), "1\n");
            assert.match(node.read("etc/fstab"), /^# \/swap\.img\tnone\tswap\tsw\t0\t0 {2}# esiphub: kubelet needs swap off$/m);
            assert.match(node.read("etc/fstab"), /^LABEL=cloudimg-rootfs\t\/\t/m, "the root entry stays");
            assert.strictEqual(node.read("proc/swaps").split("\n").filter(Boolean).length, 1, "no swap left");
            assert.match(run.stderr, /^esiphub: install-packages: installed containerd kubelet kubeadm kubectl nfs-common$/m);
        });

        it("a second run changes nothing", () => {
            const node = newNode();
            assertOk(node.run("prepare-node", params));
            assertRerunChangesNothing(node, "prepare-node", params);
        });

        it("a lost sysctl (after a reboot without the file applied) is applied again, nothing else", () => {
            const node = newNode();
            assertOk(node.run("prepare-node", params));
            node.write("proc/sys/net/ipv4/ip_forward", "0\n");
            const run = node.run("prepare-node", params);
            assertOk(run);
            assert.deepStrictEqual(mutatingCalls(run), ["sysctl --system"]);
        });

        it("another minor already installed: refuses, naming the step (that is a kubeadm upgrade)", () => {
            const node = newNode();
            assertOk(node.run("prepare-node", { KUBERNETES_MINOR: "1.32" }, { STUB_KUBE_VERSION: "1.32.7-1.1" }));
            const run = node.run("prepare-node", params);
            assertFailsAt(run, "install-packages");
            assert.match(run.stderr, /kubelet 1\.32\.7-1\.1 is installed but Kubernetes 1\.33 is asked for/);
            assert.ok(!run.calls.some((call) => call.startsWith("apt-get")), "nothing installed");
        });

        it("a bad or missing KUBERNETES_MINOR stops it before any change", () => {
            for (const [value, message] of [["1.33.2", /KUBERNETES_MINOR must be a minor version such as 1\.33, got '1\.33\.2'/], ["", /parameter KUBERNETES_MINOR is not set/]] as const) {
                const node = newNode();
                const run = node.run("prepare-node", { KUBERNETES_MINOR: value });
                assertFailsAt(run, "parameters");
                assert.match(run.stderr, message);
                assert.deepStrictEqual(run.calls, []);
            }
        });

        for (const [glob, step] of [
            ["apt-get *install*", "install-packages"],
            ["curl *", "apt-repo"],
            ["systemctl restart containerd", "containerd"],
            ["cloud-init *", "cloud-init"],
            ["modprobe br_netfilter", "kernel-modules"],
        ]) {
            it(`a failing \`${glob}\` exits non-zero naming the step ${step}`, () => {
                const node = newNode();
                assertFailsAt(node.run("prepare-node", params, { STUB_FAIL: glob }), step);
            });
        }

        it("a briefly failing apt-get update (lists lock, mirror) is tried again", () => {
            const node = newNode();
            const run = node.run("prepare-node", params, { STUB_FAIL: "apt-get *update", STUB_FAIL_TIMES: "2", APT_RETRY_DELAY: "0" });
            assertOk(run);
            assert.strictEqual(run.calls.filter((call) => call.endsWith(" update")).length, 3);
            assert.match(run.stderr, /^esiphub: install-packages: apt-get update failed \(attempt 2 of 6\)$/m);
        });

        it("an apt-get update that keeps failing stops after 6 attempts, naming the step", () => {
            const node = newNode();
            const run = node.run("prepare-node", params, { STUB_FAIL: "apt-get *update", APT_RETRY_DELAY: "0" });
            assertFailsAt(run, "install-packages");
            assert.strictEqual(run.calls.filter((call) => call.endsWith(" update")).length, 6);
            assert.match(run.stderr, /apt-get update failed 6 times/);
        });

        it("after a failed install the next run finishes the job", () => {
            const node = newNode();
            assertFailsAt(node.run("prepare-node", params, { STUB_FAIL: "apt-get *install*" }), "install-packages");
            const run = node.run("prepare-node", params);
            assertOk(run);
            assert.ok(run.calls.some((call) => / install --no-install-recommends containerd kubelet kubeadm kubectl nfs-common$/.test(call)));
            assert.ok(!run.calls.some((call) => call.startsWith("curl ")), "the repository and its key are already there");
        });
    });

    describe("init-master.sh", () => {
        it("runs kubeadm init with the private address, the public IP and hostname as names, the pod network", () => {
            const node = newNode();
            const run = node.run("init-master", MASTER);
            assertOk(run);
            const init = run.calls.filter((call) => call.startsWith("kubeadm init"));
            assert.deepStrictEqual(init, [
                "kubeadm init --node-name esiphub-test-master --kubernetes-version v1.33.2 --apiserver-advertise-address 10.42.0.10 " +
                    "--apiserver-cert-extra-sans 149.165.157.20,hub.esipfed.org --pod-network-cidr 192.168.0.0/16 --service-cidr 10.96.0.0/12 --skip-token-print",
            ]);
            assert.ok(node.exists("etc/kubernetes/admin.conf"));
            assert.ok(!run.calls.some((call) => call.startsWith("kubectl taint")), "the control-plane taint stays (workers run the pods)");
        });

        it("without a hub hostname the public IP is the only extra certificate name", () => {
            const node = newNode();
            const run = node.run("init-master", { ...MASTER, HUB_HOSTNAME: "" });
            assertOk(run);
            assert.ok(run.calls.some((call) => call.includes(" --apiserver-cert-extra-sans 149.165.157.20 ")));
        });

        it("a second run changes nothing (no kubeadm init on an initialised master)", () => {
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
            const run = assertRerunChangesNothing(node, "init-master", MASTER);
            assert.match(run.stderr, /^esiphub: kubeadm-init: already initialised/m);
        });

        it("SCHEDULE_ON_MASTER=true removes the control-plane taint once", () => {
            const node = newNode();
            const params = { ...MASTER, SCHEDULE_ON_MASTER: "true" };
            const run = node.run("init-master", params);
            assertOk(run);
            assert.ok(run.calls.includes("kubectl taint node esiphub-test-master node-role.kubernetes.io/control-plane:NoSchedule-"));
            assertRerunChangesNothing(node, "init-master", params);
        });

        it("turning SCHEDULE_ON_MASTER off again puts the taint back", () => {
            const node = newNode();
            assertOk(node.run("init-master", { ...MASTER, SCHEDULE_ON_MASTER: "true" }));
            const run = node.run("init-master", MASTER);
            assertOk(run);
            assert.deepStrictEqual(mutatingCalls(run), ["kubectl taint node esiphub-test-master node-role.kubernetes.io/control-plane:NoSchedule"]);
        });

        it("a new public IP gets a new API server certificate, without a second kubeadm init", () => {
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
            const params = { ...MASTER, PUBLIC_IP: "149.165.157.99" };
            const run = node.run("init-master", params);
            assertOk(run);
            assert.deepStrictEqual(mutatingCalls(run), [
                "kubeadm init phase certs apiserver --apiserver-advertise-address 10.42.0.10 --apiserver-cert-extra-sans 149.165.157.99,hub.esipfed.org --service-cidr 10.96.0.0/12",
                "crictl ps --quiet --name kube-apiserver",
                "crictl stop 4f2a9c1e7b3d",
            ]);
            assert.match(node.read("etc/kubernetes/pki/apiserver.crt"), /IP Address:149\.165\.157\.99\b/);
            assert.match(node.read("etc/kubernetes/pki/apiserver.crt.replaced"), /IP Address:149\.165\.157\.20\b/);
            assertRerunChangesNothing(node, "init-master", params);
        });

        it("a failing kubeadm init exits non-zero naming kubeadm-init", () => {
            const node = newNode();
            assertFailsAt(node.run("init-master", MASTER, { STUB_FAIL: "kubeadm init *" }), "kubeadm-init");
        });

        it("a missing parameter or a bad SCHEDULE_ON_MASTER is named", () => {
            const node = newNode();
            let run = node.run("init-master", { ...MASTER, PUBLIC_IP: "" });
            assertFailsAt(run, "parameters");
            assert.match(run.stderr, /parameter PUBLIC_IP is not set/);
            run = node.run("init-master", { ...MASTER, SCHEDULE_ON_MASTER: "yes" });
            assertFailsAt(run, "parameters");
            assert.match(run.stderr, /SCHEDULE_ON_MASTER must be true or false, got 'yes'/);
            assert.deepStrictEqual(run.calls, []);
        });
    });

    describe("install-calico.sh", () => {
        const initialised = () => {
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
            return node;
        };

        it("applies the pinned operator, then one VXLAN pool over the pod network, then waits for Available", () => {
            const node = initialised();
            const run = node.run("install-calico", CALICO);
            assertOk(run);
            const base = `https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests`;
            const downloads = run.calls.filter((call) => call.startsWith("curl "));
            assert.deepStrictEqual(downloads.map((call) => call.split(" ").pop()), [`${base}/operator-crds.yaml`, `${base}/tigera-operator.yaml`]);
            assert.strictEqual(run.calls.filter((call) => call.startsWith("kubectl apply --server-side --force-conflicts -f ")).length, 2);
            assert.ok(run.calls.includes(`kubectl -n tigera-operator annotate deployment tigera-operator --overwrite esiphub.org/calico-version=${CALICO_VERSION}`));
            const installation = node.read(".stub/k8s/installation.yaml");
            assert.match(installation, /^kind: Installation$/m);
            assert.match(installation, /^ +cidr: 192\.168\.0\.0\/16$/m);
            assert.match(installation, /^ +encapsulation: VXLAN$/m);
            assert.ok(indexOfCall(run, "kubectl create -f -") < indexOfCall(run, "kubectl get tigerastatus calico"));
        });

        it("a second run changes nothing", () => {
            const node = initialised();
            assertOk(node.run("install-calico", CALICO));
            assertRerunChangesNothing(node, "install-calico", CALICO);
        });

        it("a new Calico version re-applies the operator and leaves the pool alone", () => {
            const node = initialised();
            assertOk(node.run("install-calico", CALICO));
            const run = node.run("install-calico", { ...CALICO, CALICO_VERSION: "v3.31.0" });
            assertOk(run);
            assert.ok(run.calls.some((call) => call.endsWith("/v3.31.0/manifests/tigera-operator.yaml")));
            assert.ok(!run.calls.includes("kubectl create -f -"));
        });

        it("refuses to move a running cluster to another pod network, naming esiphub:podCidr", () => {
            const node = initialised();
            assertOk(node.run("install-calico", CALICO));
            const run = node.run("install-calico", { ...CALICO, POD_CIDR: "172.16.0.0/16" });
            assertFailsAt(run, "calico-network");
            assert.match(run.stderr, /already runs with pod network '192\.168\.0\.0\/16'.*\(esiphub:podCidr\)/);
        });

        it("a failing apply exits non-zero naming calico-operator", () => {
            const node = initialised();
            assertFailsAt(node.run("install-calico", CALICO, { STUB_FAIL: "kubectl apply *" }), "calico-operator");
        });

        it("Calico not Available within CALICO_TIMEOUT fails naming calico-ready", () => {
            const node = initialised();
            node.write(".stub/k8s/calico-unavailable", "");
            const run = node.run("install-calico", CALICO, { CALICO_TIMEOUT: "0" });
            assertFailsAt(run, "calico-ready");
            assert.match(run.stderr, /Calico is not Available after 0s/);
        });

        it("on a master that is not initialised it stops before touching the cluster", () => {
            const node = newNode();
            const run = node.run("install-calico", CALICO);
            assertFailsAt(run, "parameters");
            assert.match(run.stderr, /the master is not initialised/);
            assert.deepStrictEqual(run.calls, []);
        });
    });

    describe("join-command.sh", () => {
        it("prints the join command, and only it, on stdout", () => {
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
            const run = node.run("join-command", {});
            assertOk(run);
            assert.match(run.stdout, /^kubeadm join 10\.42\.0\.10:6443 --token \S+ --discovery-token-ca-cert-hash sha256:[0-9a-f]{64} ?\n$/);
            assert.doesNotMatch(run.stderr, /--token/, "the token is not logged");
            assert.ok(run.calls.some((call) => call.startsWith("kubeadm token create --kubeconfig ") && call.endsWith("--print-join-command --ttl 24h")));
        });

        it("a failing token create exits non-zero naming join-token, printing nothing on stdout", () => {
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
            const run = node.run("join-command", {}, { STUB_FAIL: "kubeadm token *" });
            assertFailsAt(run, "join-token");
            assert.strictEqual(run.stdout, "");
        });
    });

    describe("join-worker.sh", () => {
        const join = "kubeadm join 10.42.0.10:6443 --token 7yq2ke.w3kx9f0pz6m1c8rd --discovery-token-ca-cert-hash sha256:3c1f5e0a9b7d24c86e1f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f";
        const params = { NODE_NAME: "esiphub-test-worker-1", JOIN_COMMAND: join };

        it("joins with the given command and the node's name", () => {
            const node = newNode();
            const run = node.run("join-worker", params);
            assertOk(run);
            assert.deepStrictEqual(run.calls, [`${join} --node-name esiphub-test-worker-1`]);
            assert.ok(node.exists("etc/kubernetes/kubelet.conf"));
            assert.doesNotMatch(run.stderr, /7yq2ke/, "the token is not logged");
        });

        it("a second run changes nothing, whatever the (by then expired) join command", () => {
            const node = newNode();
            assertOk(node.run("join-worker", params));
            const run = assertRerunChangesNothing(node, "join-worker", { ...params, JOIN_COMMAND: "kubeadm join 10.42.0.10:6443 --token expired.0000000000000000 --discovery-token-ca-cert-hash sha256:00" });
            assert.deepStrictEqual(run.calls, []);
        });

        it("refuses anything but a kubeadm join, without echoing it", () => {
            const node = newNode();
            const run = node.run("join-worker", { ...params, JOIN_COMMAND: "curl http://example.org/x.sh --token s3cr3t" });
            assertFailsAt(run, "kubeadm-join");
            assert.match(run.stderr, /JOIN_COMMAND is not a 'kubeadm join' command/);
            assert.doesNotMatch(run.stderr, /s3cr3t/);
            assert.deepStrictEqual(run.calls, []);
        });

        it("a failing kubeadm join exits non-zero naming kubeadm-join, and the next run joins", () => {
            const node = newNode();
            assertFailsAt(node.run("join-worker", params, { STUB_FAIL: "kubeadm join *" }), "kubeadm-join");
            assertOk(node.run("join-worker", params));
            assert.ok(node.exists("etc/kubernetes/kubelet.conf"));
        });
    });

    describe("kubeconfig.sh", () => {
        it("prints admin.conf, unchanged", () => {
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
            const run = node.run("kubeconfig", {});
            assertOk(run);
            assert.strictEqual(run.stdout, node.read("etc/kubernetes/admin.conf"));
            assert.deepStrictEqual(run.calls, []);
        });

        it("on a master that is not initialised fails naming kubeconfig", () => {
            const run = newNode().run("kubeconfig", {});
            assertFailsAt(run, "kubeconfig");
            assert.strictEqual(run.stdout, "");
        });
    });

    describe("wait-ready.sh", () => {
        const withNodes = (states: Record<string, string>) => {
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
            for (const [name, state] of Object.entries(states)) node.write(`.stub/k8s/nodes/${name}`, `${state}\n`);
            return node;
        };

        it("returns once every expected node is Ready, changing nothing", () => {
            const node = withNodes({ "worker-1": "True", "worker-2": "True" });
            assertRerunChangesNothing(node, "wait-ready", { NODE_NAMES: "esiphub-test-master worker-1 worker-2" });
        });

        it("keeps looking until late nodes are Ready", () => {
            const node = withNodes({ "worker-1": "False 3" });
            const run = node.run("wait-ready", { NODE_NAMES: "esiphub-test-master worker-1" });
            assertOk(run);
            assert.strictEqual(run.calls.filter((call) => call.startsWith("kubectl get nodes")).length, 4);
            assert.match(run.stderr, /^esiphub: nodes-ready: all 2 node\(s\) Ready$/m);
        });

        it("on timeout fails naming exactly the nodes that are not Ready, and why", () => {
            const node = withNodes({ "worker-1": "True", "worker-2": "False" });
            const run = node.run("wait-ready", { NODE_NAMES: "esiphub-test-master worker-1 worker-2 worker-3", READY_TIMEOUT: "0" });
            assertFailsAt(run, "nodes-ready");
            assert.match(run.stderr, /^esiphub: nodes-ready: not Ready after 0s: worker-2 \(Ready=False\),worker-3 \(not registered\)$/m);
        });

        it("an API server that does not answer is said so", () => {
            const node = withNodes({});
            const run = node.run("wait-ready", { NODE_NAMES: "esiphub-test-master", READY_TIMEOUT: "0" }, { STUB_FAIL: "kubectl get nodes *" });
            assertFailsAt(run, "nodes-ready");
            assert.match(run.stderr, /the API server does not answer/);
        });
    });

    describe("remove-node.sh", () => {
        const withWorker = () => {
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
            node.write(".stub/k8s/nodes/worker-2", "True\n");
            return node;
        };

        it("drains the node, then deletes it", () => {
            const node = withWorker();
            const run = node.run("remove-node", { NODE_NAME: "worker-2" });
            assertOk(run);
            assert.deepStrictEqual(mutatingCalls(run), [
                "kubectl drain worker-2 --ignore-daemonsets --delete-emptydir-data --force --timeout 300s",
                "kubectl delete node worker-2",
            ]);
            assert.ok(!node.exists(".stub/k8s/nodes/worker-2"));
        });

        it("a second run changes nothing", () => {
            const node = withWorker();
            assertOk(node.run("remove-node", { NODE_NAME: "worker-2" }));
            const run = assertRerunChangesNothing(node, "remove-node", { NODE_NAME: "worker-2" });
            assert.match(run.stderr, /not in the cluster; nothing to do/);
        });

        it("a drain that does not finish in time still ends with the node deleted", () => {
            const node = withWorker();
            const run = node.run("remove-node", { NODE_NAME: "worker-2", DRAIN_TIMEOUT: "5" }, { STUB_FAIL: "kubectl drain *" });
            assertOk(run);
            assert.match(run.stderr, /^esiphub: drain: drain did not finish within 5s; deleting the node anyway$/m);
            assert.ok(!node.exists(".stub/k8s/nodes/worker-2"));
        });

        it("a failing delete exits non-zero naming delete-node", () => {
            const node = withWorker();
            assertFailsAt(node.run("remove-node", { NODE_NAME: "worker-2" }, { STUB_FAIL: "kubectl delete *" }), "delete-node");
        });
    });

    it("in the order the component runs them, a master and two workers end Ready, and a removed worker is gone", () => {
        const cluster = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-cluster-"));
        try {
            const master = newNode(cluster);
            const workers = [newNode(cluster), newNode(cluster)];
            const names = ["esiphub-test-worker-1", "esiphub-test-worker-2"];
            for (const node of [master, ...workers]) assertOk(node.run("prepare-node", { KUBERNETES_MINOR: "1.33" }));
            assertOk(master.run("init-master", MASTER));
            assertOk(master.run("install-calico", CALICO));
            workers.forEach((worker, i) => {
                const join = master.run("join-command", {});
                assertOk(join);
                assertOk(worker.run("join-worker", { NODE_NAME: names[i], JOIN_COMMAND: join.stdout.trim() }));
            });
            const all = { NODE_NAMES: [MASTER.NODE_NAME, ...names].join(" ") };
            assertOk(master.run("wait-ready", all));
            assertOk(master.run("remove-node", { NODE_NAME: names[1] }));
            const after = master.run("wait-ready", { ...all, READY_TIMEOUT: "0" });
            assertFailsAt(after, "nodes-ready");
            assert.match(after.stderr, /not Ready after 0s: esiphub-test-worker-2 \(not registered\)$/m);
        } finally {
            fs.rmSync(cluster, { recursive: true, force: true });
        }
    });
});

describe("kubeadm scripts: shellcheck", () => {
    const files = fs.readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith(".sh")).map((f) => path.join(SCRIPTS_DIR, f));
    const stubs = fs.readdirSync(path.join(__dirname, "stubs")).map((f) => path.join(__dirname, "stubs", f));

    before(function () {
        if (spawnSync("shellcheck", ["--version"]).status !== 0) {
            if (process.env.CI === "true") throw new Error("shellcheck is not installed; CI installs it from .ci/apt-packages.txt");
            this.skip();
        }
    });

    it("every script, and every stub, is shellcheck-clean", () => {
        assert.deepStrictEqual(files.map((f) => path.basename(f)).sort(), SCRIPT_NAMES.map((n) => `${n}.sh`).sort());
        const run = spawnSync("shellcheck", ["--external-sources", "--source-path=SCRIPTDIR", ...files, ...stubs], { encoding: "utf8" });
        assert.strictEqual(run.status, 0, run.stdout + run.stderr);
    });

    for (const name of SCRIPT_NAMES) {
        it(`${name} as sent (parameters, lib.sh, the script) is shellcheck-clean`, () => {
            const run = spawnSync("shellcheck", ["--shell=bash", "-"], { input: renderScript(kubeadmScript(name), { EXAMPLE_PARAMETER: "it's quoted" }), encoding: "utf8" });
            assert.strictEqual(run.status, 0, run.stdout + run.stderr);
        });
    }
});
