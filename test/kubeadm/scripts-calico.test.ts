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
import { CALICO_MANIFEST_SHA256, CALICO_VERSION, calicoParams } from "../../components/kubeadm/commands";
import { assertFailsAt, assertOk, assertRerunChangesNothing, CALICO, CONFIG, indexOfCall, MASTER, MASTER_IP, standInCalicoSums, stubSites } from "./scripts-fixture";

describe("kubeadm scripts", () => {
    const { newNode, newClusterDir, initialisedNode } = stubSites();

    describe("install-calico.sh", () => {
        const initialised = () => {
            const node = initialisedNode();
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
            assert.match(installation, /^ +bgp: Disabled$/m, "BGP set, not left to the operator's default (on)");
            assert.ok(indexOfCall(run, "kubectl create -f -") < indexOfCall(run, "kubectl get tigerastatus calico"));
        });

        it("with workers registered behind the site's firewall, Calico becomes Available", () => {
            const cluster = newClusterDir();
            const node = newNode(cluster, MASTER_IP);
            assertOk(node.run("init-master", MASTER));
            for (const worker of ["worker-1", "worker-2"]) fs.writeFileSync(path.join(cluster, "nodes", worker), "True\n");
            const run = node.run("install-calico", CALICO, { CALICO_TIMEOUT: "5" });
            assertOk(run);
            assert.match(run.stderr, /^esiphub: finished: Calico v\d+\.\d+\.\d+ Available$/m);
        });

        it("the stand-in operator: BGP left unset means on, and then Calico is Available only if the firewall opens 179", () => {
            // tigera/operator core_controller.go (default Enabled, written back) and render/node.go (-bird-ready).
            const unset = { ...CALICO, INSTALLATION: CALICO.INSTALLATION.replace(/^ +bgp: Disabled\n/m, "") };
            for (const [open179, available] of [[false, false], [true, true]] as const) {
                const cluster = newClusterDir();
                if (open179) fs.appendFileSync(path.join(cluster, "firewall"), "tcp 179-179\n");
                const node = newNode(cluster, MASTER_IP);
                assertOk(node.run("init-master", MASTER));
                fs.writeFileSync(path.join(cluster, "nodes", "worker-1"), "True\n");
                const run = node.run("install-calico", { ...unset, CALICO_BGP: "Enabled" }, { CALICO_TIMEOUT: "0" });
                assert.match(fs.readFileSync(path.join(cluster, "installation.yaml"), "utf8"), /^ +bgp: Enabled$/m, "the operator wrote its default back");
                if (available) assertOk(run);
                else assertFailsAt(run, "calico-ready");
            }
        });

        it("an Installation made without bgp by an earlier version (the operator wrote Enabled back) is set to Disabled, and gets Available", () => {
            const cluster = newClusterDir();
            const node = newNode(cluster, MASTER_IP);
            assertOk(node.run("init-master", MASTER));
            fs.writeFileSync(path.join(cluster, "installation.yaml"), CALICO.INSTALLATION.replace(/^ +bgp: Disabled\n/m, ""));
            fs.writeFileSync(path.join(cluster, "nodes", "worker-1"), "True\n");
            const run = node.run("install-calico", CALICO, { CALICO_TIMEOUT: "5" });
            assertOk(run);
            assert.ok(run.calls.includes('kubectl patch installation default --type merge -p {"spec":{"calicoNetwork":{"bgp":"Disabled"}}}'));
            assert.match(run.stderr, /BGP is Enabled; setting it to Disabled/);
            assert.match(fs.readFileSync(path.join(cluster, "installation.yaml"), "utf8"), /^ +bgp: Disabled$/m);
            assertRerunChangesNothing(node, "install-calico", CALICO);
        });

        it("a second run changes nothing", () => {
            const node = initialised();
            assertOk(node.run("install-calico", CALICO));
            assertRerunChangesNothing(node, "install-calico", CALICO);
        });

        it("a new Calico version re-applies the operator and leaves the pool alone", () => {
            const node = initialised();
            assertOk(node.run("install-calico", CALICO));
            const run = node.run("install-calico", { ...CALICO, CALICO_VERSION: "v3.31.0", CALICO_SHA256: standInCalicoSums("v3.31.0") });
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

        it("applies nothing unless every manifest has its pinned sha256: a tampered download, or the real pins against the stand-ins", () => {
            const node = initialised();
            const tampered = node.run("install-calico", CALICO, { STUB_TAMPER: "*/manifests/tigera-operator.yaml" });
            assertFailsAt(tampered, "calico-operator");
            assert.match(tampered.stderr, new RegExp(`tigera-operator\\.yaml of Calico ${CALICO_VERSION} has sha256 [0-9a-f]{64}, not the pinned [0-9a-f]{64}: not applied`));
            assert.ok(!tampered.calls.some((call) => call.startsWith("kubectl apply")), "not even the CRDs, which were fine");
            assert.ok(!node.exists(`var/lib/esiphub/calico-${CALICO_VERSION}/tigera-operator.yaml`), "the tampered file is not kept");
            // The program's own pins are the real manifests' (projectcalico/calico at CALICO_VERSION), not the stand-ins'.
            const real = node.run("install-calico", calicoParams(CONFIG));
            assertFailsAt(real, "calico-operator");
            assert.match(real.stderr, new RegExp(`operator-crds\\.yaml of Calico ${CALICO_VERSION} has sha256 [0-9a-f]{64}, not the pinned ${CALICO_MANIFEST_SHA256[CALICO_VERSION]["operator-crds.yaml"]}`));
            // With the stand-ins' sums it goes through: the check is what refused.
            assertOk(node.run("install-calico", CALICO));
        });

        it("refuses CALICO_SHA256 lines that are not sha256sum lines of a manifest", () => {
            const node = initialised();
            const run = node.run("install-calico", { ...CALICO, CALICO_SHA256: "abc  ../../etc/passwd" });
            assertFailsAt(run, "parameters");
            assert.match(run.stderr, /CALICO_SHA256: 'abc {2}\.\.\/\.\.\/etc\/passwd' is not a line 'SHA256 {2}MANIFEST\.yaml'/);
            assert.deepStrictEqual(run.calls, []);
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
});
