/**
 * Behaviour of the kubeadm scripts, run as a node receives them (rendered, on stdin of `bash -s`) against stubbed
 * system commands in a temporary root: the first run does the work, a second run changes nothing, a failing command
 * stops the script with a message naming the step. The stubs (test/kubeadm/stubs) behave as the real tools do where
 * the scripts depend on it, failures included: kubeadm leaves each phase's files behind, Calico is Available only
 * when its BGP sessions can come up, apt fails on a held dpkg lock unless told to wait, sshd checks the key's from=.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as YAML from "yaml";
import { StubNode } from "./sandbox";
import { assertFailsAt, assertOk, assertRerunChangesNothing, indexOfCall, MASTER, mutatingCalls, stubSites } from "./scripts-fixture";

describe("kubeadm scripts", () => {
    const { newNode, initialisedNode } = stubSites();

    describe("init-master.sh", () => {
        it("runs kubeadm init with the private address, the public IP and hostname as names, the pod network", () => {
            const node = newNode();
            const run = node.run("init-master", MASTER);
            assertOk(run);
            const init = run.calls.filter((call) => call.startsWith("kubeadm init"));
            assert.strictEqual(init.length, 1);
            assert.match(
                init[0],
                new RegExp(
                    "^kubeadm init --node-name esiphub-test-master --kubernetes-version v1\\.33\\.2 --apiserver-advertise-address 10\\.42\\.0\\.10 " +
                        "--apiserver-cert-extra-sans 149\\.165\\.157\\.20,hub\\.esipfed\\.org --pod-network-cidr 192\\.168\\.0\\.0/16 --service-cidr 10\\.96\\.0\\.0/12 " +
                        "--token [a-z0-9]{6}\\.[a-z0-9]{16} --token-ttl 15m --patches \\S+/etc/esiphub/kubeadm-patches --skip-token-print$",
                ),
            );
            assert.ok(node.exists("etc/kubernetes/admin.conf"));
            assert.ok(!run.calls.some((call) => call.startsWith("kubectl taint")), "the control-plane taint stays (workers run the pods)");
        });

        it("leaves no bootstrap token behind: kubeadm init's own (valid 24 h by default) is deleted once the init is done", () => {
            const node = newNode();
            const run = node.run("init-master", MASTER);
            assertOk(run);
            const id = /--token ([a-z0-9]{6})\./.exec(run.calls.find((call) => call.startsWith("kubeadm init"))!)![1];
            assert.ok(indexOfCall(run, "kubeadm init") < indexOfCall(run, `kubeadm token delete ${id} `));
            assert.deepStrictEqual(fs.readdirSync(node.path(".stub/k8s/tokens")), [], "no token left in the cluster");
            assert.doesNotMatch(run.stderr, /[a-z0-9]{6}\.[a-z0-9]{16}/, "the token is never printed");
        });

        it("a failed token deletion leaves the init recorded as done: the re-run does not reset the control plane", () => {
            const node = newNode();
            assertFailsAt(node.run("init-master", MASTER, { STUB_FAIL: "kubeadm token delete *" }), "init-token");
            const run = node.run("init-master", MASTER);
            assertOk(run);
            assert.match(run.stderr, /^esiphub: kubeadm-init: already initialised/m);
            assert.ok(!run.calls.some((call) => call.startsWith("kubeadm reset")));
        });

        it("encrypts Secrets at rest from the start: a key made on the master (0600, never printed), the API server's flag by a kubeadm patch", () => {
            const node = newNode();
            const run = node.run("init-master", MASTER);
            assertOk(run);
            const file = "etc/kubernetes/pki/encryption-config.yaml";
            assert.strictEqual(fs.statSync(node.path(file)).mode & 0o777, 0o600);
            const config = YAML.parse(node.read(file));
            assert.strictEqual(config.kind, "EncryptionConfiguration");
            assert.deepStrictEqual(config.resources[0].resources, ["secrets"]);
            const [secretbox, identity] = config.resources[0].providers;
            assert.deepStrictEqual(identity, { identity: {} }, "last: Secrets written before stay readable");
            const key = secretbox.secretbox.keys[0].secret as string;
            assert.strictEqual(Buffer.from(key, "base64").length, 32, "secretbox takes a 32-byte key");
            assert.ok(!run.stdout.includes(key) && !run.stderr.includes(key), "the key is never printed");
            assert.match(node.read("etc/kubernetes/manifests/kube-apiserver.yaml"), /^ {4}- --encryption-provider-config=\/etc\/kubernetes\/pki\/encryption-config\.yaml$/m);
            // A second master gets a key of its own; a re-run keeps this one (a new key could not read the old Secrets).
            const other = newNode();
            assertOk(other.run("init-master", MASTER));
            assert.notStrictEqual(YAML.parse(other.read(file)).resources[0].providers[0].secretbox.keys[0].secret, key);
            assertRerunChangesNothing(node, "init-master", MASTER);
            assert.strictEqual(YAML.parse(node.read(file)).resources[0].providers[0].secretbox.keys[0].secret, key);
        });

        it("a cluster initialised before encryption at rest: the API server gets the flag, and once restarted every Secret is rewritten", () => {
            const node = initialisedNode();
            // What an earlier version of this script left: no key, no patch, an API server without the flag.
            const manifest = "etc/kubernetes/manifests/kube-apiserver.yaml";
            node.write(manifest, node.read(manifest).replace(/^ {4}- --encryption-provider-config=.*\n/m, ""));
            fs.rmSync(node.path("etc/kubernetes/pki/encryption-config.yaml"));
            fs.rmSync(node.path("etc/esiphub"), { recursive: true });
            fs.rmSync(node.path("var/lib/esiphub/secrets-encrypted.done"));
            // The rewrite cut short (the API server went away) after the API server got its flag.
            const cut = node.run("init-master", MASTER, { STUB_FAIL: "kubectl replace *" });
            assertFailsAt(cut, "secrets-encryption");
            assert.match(cut.stderr, /^esiphub: kubeadm-init: already initialised/m, "no second kubeadm init");
            const phase = indexOfCall(cut, "kubeadm init phase control-plane apiserver --kubernetes-version v1.33.2 --apiserver-advertise-address 10.42.0.10 --service-cidr 10.96.0.0/12 --patches ");
            const ready = indexOfCall(cut, "kubectl get --raw /readyz");
            assert.ok(phase < ready && ready < indexOfCall(cut, "kubectl replace -f -"), "Secrets rewritten by the new API server");
            // The next run does the rewrite again, and only that.
            const run = node.run("init-master", MASTER);
            assertOk(run);
            assert.ok(!run.calls.some((call) => call.startsWith("kubeadm init phase control-plane")), "the API server already has its flag");
            assert.strictEqual(node.read(".stub/k8s/secrets-at-rest"), "encrypted\n");
            assertRerunChangesNothing(node, "init-master", MASTER);
            assert.match(node.read(manifest), /--encryption-provider-config=/);
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
            const node = initialisedNode();
            const params = { ...MASTER, PUBLIC_IP: "149.165.157.99" };
            const run = node.run("init-master", params);
            assertOk(run);
            const calls = mutatingCalls(run);
            assert.deepStrictEqual(calls.slice(0, 2), [
                "kubeadm init phase certs apiserver --apiserver-advertise-address 10.42.0.10 --apiserver-cert-extra-sans 149.165.157.99,hub.esipfed.org --service-cidr 10.96.0.0/12",
                "crictl ps --quiet --name kube-apiserver",
            ]);
            assert.match(calls[2], /^crictl stop [0-9a-f]{12}$/);
            assert.strictEqual(calls.length, 3);
            assert.match(node.read("etc/kubernetes/pki/apiserver.crt"), /IP Address:149\.165\.157\.99\b/);
            assert.match(node.read("etc/kubernetes/pki/apiserver.crt.replaced"), /IP Address:149\.165\.157\.20\b/);
            assertRerunChangesNothing(node, "init-master", params);
        });

        it("a failing kubeadm init exits non-zero naming kubeadm-init", () => {
            const node = newNode();
            assertFailsAt(node.run("init-master", MASTER, { STUB_FAIL: "kubeadm init *" }), "kubeadm-init");
        });

        /** What the cluster has once kubeadm init has finished: its last phases' objects. */
        const assertControlPlaneComplete = (node: StubNode) => {
            for (const object of ["kube-system/configmap/kubeadm-config", "kube-public/configmap/cluster-info", "kube-system/daemonset/kube-proxy", "kube-system/deployment/coredns"]) {
                assert.ok(node.exists(`.stub/k8s/objects/${object}`), `${object} exists`);
            }
        };

        for (const phase of ["kubelet-start", "wait-control-plane", "upload-config", "bootstrap-token", "addon"]) {
            it(`a kubeadm init that failed in its ${phase} phase is reset and run again; the retry leaves a complete control plane`, () => {
                const node = newNode();
                const failed = node.run("init-master", MASTER, { STUB_KUBEADM_FAIL: phase });
                assertFailsAt(failed, "kubeadm-init");
                assert.match(failed.stderr, new RegExp(`^error execution phase ${phase}`, "m"));
                assert.ok(node.exists("etc/kubernetes/admin.conf"), "kubeadm wrote admin.conf in its kubeconfig phase, before failing");
                node.write("etc/cni/net.d/10-calico.conflist", "{}\n");

                const retry = node.run("init-master", MASTER);
                assertOk(retry);
                const reset = indexOfCall(retry, "kubeadm reset -f");
                assert.ok(reset < indexOfCall(retry, "kubeadm init "), "reset before the new init (kubeadm's preflight refuses the leftovers)");
                assert.match(retry.stderr, /^esiphub: kubeadm-reset: a kubeadm init stopped part-way \(left \/etc\/kubernetes\/admin\.conf /m);
                assert.ok(!node.exists("etc/cni/net.d/10-calico.conflist") && node.exists("etc/cni/net.d"), "the CNI configuration goes, its directory stays");
                assertControlPlaneComplete(node);
                assertRerunChangesNothing(node, "init-master", MASTER);
            });
        }

        it("a kubeadm init that failed in its preflight (nothing written) is simply run again", () => {
            const node = newNode();
            assertFailsAt(node.run("init-master", MASTER, { STUB_KUBEADM_FAIL: "preflight" }), "kubeadm-init");
            const retry = node.run("init-master", MASTER);
            assertOk(retry);
            assert.ok(!retry.calls.includes("kubeadm reset -f"));
            assertControlPlaneComplete(node);
        });

        it("a control plane made by an earlier version of this script (no record) is recognised as complete, not reset", () => {
            const node = initialisedNode();
            fs.rmSync(node.path("var/lib/esiphub/kubeadm-init.done"));
            const run = node.run("init-master", MASTER);
            assertOk(run);
            assert.deepStrictEqual(mutatingCalls(run), []);
            assert.match(run.stderr, /initialised by an earlier version of this script; recorded as done/);
            assert.ok(node.exists("var/lib/esiphub/kubeadm-init.done"));
        });

        it("leftovers of an init it has no record of, on an incomplete cluster: stops, saying what to do, resetting nothing", () => {
            const node = newNode();
            assertFailsAt(node.run("init-master", MASTER, { STUB_KUBEADM_FAIL: "addon" }), "kubeadm-init");
            fs.rmSync(node.path("var/lib/esiphub/kubeadm-init.started"));
            const run = node.run("init-master", MASTER);
            assertFailsAt(run, "kubeadm-init");
            assert.match(run.stderr, /from a kubeadm init that did not finish, and no record of it; if nothing on this node matters, run 'sudo kubeadm reset -f'/);
            assert.deepStrictEqual(mutatingCalls(run), []);
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
});
