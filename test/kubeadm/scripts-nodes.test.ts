/**
 * Behaviour of the kubeadm scripts, run as a node receives them (rendered, on stdin of `bash -s`) against stubbed
 * system commands in a temporary root: the first run does the work, a second run changes nothing, a failing command
 * stops the script with a message naming the step. The stubs (test/kubeadm/stubs) behave as the real tools do where
 * the scripts depend on it, failures included: kubeadm leaves each phase's files behind, Calico is Available only
 * when its BGP sessions can come up, apt fails on a held dpkg lock unless told to wait, sshd checks the key's from=.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { kubeadmScript, SCRIPT_NAMES, SCRIPTS_DIR } from "../../components/kubeadm/commands";
import { renderScript } from "../../components/remote";
import { assertFailsAt, assertOk, assertRerunChangesNothing, CALICO, MASTER, mutatingCalls, stubSites } from "./scripts-fixture";

describe("kubeadm scripts", () => {
    const { newNode, newSite, initialisedNode } = stubSites();

    describe("kubeconfig.sh", () => {
        it("prints admin.conf, unchanged", () => {
            const node = initialisedNode();
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
            const node = initialisedNode();
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
            const node = initialisedNode();
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

    it("in the order the component runs them, a master and two workers end Ready behind the site's firewall, and a removed worker is gone", () => {
        const site = newSite(2);
        assertOk(site.master.run("install-calico", CALICO, { CALICO_TIMEOUT: "5" }));
        site.workers.forEach((_, i) => assertOk(site.master.run("join-worker", site.joinParams(i))));
        const all = { NODE_NAMES: [MASTER.NODE_NAME, ...site.names].join(" ") };
        assertOk(site.master.run("wait-ready", all));
        // Calico stays Available with the workers in.
        assertOk(site.master.run("install-calico", CALICO, { CALICO_TIMEOUT: "0" }));
        assertOk(site.master.run("remove-node", { NODE_NAME: site.names[1] }));
        const after = site.master.run("wait-ready", { ...all, READY_TIMEOUT: "0" });
        assertFailsAt(after, "nodes-ready");
        assert.match(after.stderr, /not Ready after 0s: esiphub-test-worker-2 \(not registered\)$/m);
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
