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
import { joinWorkerParams } from "../../components/kubeadm/commands";
import { assertFailsAt, assertOk, assertRerunChangesNothing, CONFIG, indexOfCall, MASTER, MASTER_IP, PREPARE, READ_ONLY, stubSites, tokenIn, workerPrepare } from "./scripts-fixture";

describe("kubeadm scripts", () => {
    const { newNode, newClusterDir, newSite, initialisedNode } = stubSites();

    describe("master-ssh.sh", () => {
        it("raises sshd's MaxStartups for the hops, checks and reloads sshd, makes the join key and prints only its public half", () => {
            const node = newNode();
            const run = node.run("master-ssh", {});
            assertOk(run);
            assert.strictEqual(node.read("etc/ssh/sshd_config.d/50-esiphub.conf"), "# esiphub: every remote command on the other nodes hops through this node, many at once.\nMaxStartups 100:30:200\n");
            assert.ok(indexOfCall(run, "sshd -t") < indexOfCall(run, "systemctl reload ssh"), "checked before the reload");
            assert.match(run.stdout, /^ssh-ed25519 \S+ esiphub-cluster-join\n$/);
            assert.strictEqual(run.stdout, node.read("etc/esiphub/cluster-join/id_ed25519.pub"));
            assert.strictEqual(fs.statSync(node.path("etc/esiphub/cluster-join/id_ed25519")).mode & 0o777, 0o600);
            assert.strictEqual(fs.statSync(node.path("etc/esiphub/cluster-join")).mode & 0o777, 0o700);
        });

        it("a second run changes nothing and prints the same key", () => {
            const node = newNode();
            const first = node.run("master-ssh", {});
            assertOk(first);
            assert.strictEqual(assertRerunChangesNothing(node, "master-ssh", {}).stdout, first.stdout);
        });

        it("a MaxStartups that sshd refuses is taken out again, naming sshd-fan-in", () => {
            const node = newNode();
            const run = node.run("master-ssh", { MAX_STARTUPS: "lots" });
            assertFailsAt(run, "sshd-fan-in");
            assert.match(run.stderr, /Bad MaxStartups spec/);
            assert.ok(!node.exists("etc/ssh/sshd_config.d/50-esiphub.conf"));
            assert.ok(!run.calls.includes("systemctl reload ssh"));
        });
    });

    describe("join-worker.sh (on the master) and join-node.sh (on the worker)", () => {
        it("joins a prepared worker with a token minted for this join and deleted after it; the join command is never printed", () => {
            const site = newSite(1);
            const [worker] = site.workers;
            const run = site.master.run("join-worker", site.joinParams(0));
            assertOk(run);
            assert.strictEqual(run.stdout, "");
            const create = run.calls.find((call) => call.startsWith("kubeadm token create "))!;
            assert.match(create, / --ttl 30m /);
            assert.ok(create.endsWith(" --print-join-command"));
            const workerCalls = worker.allCalls();
            const join = workerCalls.find((call) => call.startsWith("kubeadm join "))!;
            assert.match(join, new RegExp(`^kubeadm join ${MASTER_IP}:6443 --token \\S+ --discovery-token-ca-cert-hash sha256:[0-9a-f]{64} +--node-name esiphub-test-worker-1$`));
            const token = tokenIn([join])!;
            assert.ok(run.calls.includes(`kubeadm token delete ${token.split(".")[0]} --kubeconfig ${site.master.path("etc/kubernetes/admin.conf")}`), "the token is deleted");
            assert.ok(!fs.existsSync(path.join(site.cluster, "tokens", token.split(".")[0])));
            assert.doesNotMatch(run.stderr, new RegExp(token.split(".")[1]), "the token's secret is not logged");
            assert.ok(worker.exists("etc/kubernetes/kubelet.conf"));
            assert.strictEqual(fs.readFileSync(path.join(site.cluster, "nodes", site.names[0]), "utf8"), "True\n");
        });

        it("a second run changes nothing, on the master or on the worker", () => {
            const site = newSite(1);
            const [worker] = site.workers;
            assertOk(site.master.run("join-worker", site.joinParams(0)));
            const workerBefore = worker.snapshot();
            const logged = worker.allCalls().length;
            const run = assertRerunChangesNothing(site.master, "join-worker", site.joinParams(0));
            assert.match(run.stderr, /^esiphub: worker-state: already joined; left as it is$/m);
            const workerCalls = worker.allCalls().slice(logged);
            assert.deepStrictEqual(workerCalls.filter((call) => !READ_ONLY.some((p) => p.test(call))), [], "only looks on the worker");
            assert.deepStrictEqual(worker.snapshot(), workerBefore);
        });

        for (const killed of [false, true]) {
            it(`a join that failed in kubelet-start${killed ? " (kubeadm killed, bootstrap-kubelet.conf left)" : ""} is retried a day later: the worker is reset and joins with a new token`, () => {
                const site = newSite(1);
                const [worker] = site.workers;
                const failed = site.master.run("join-worker", site.joinParams(0), { STUB_KUBEADM_FAIL: "kubelet-start", ...(killed ? { STUB_KUBEADM_KILLED: "1" } : {}) });
                assertFailsAt(failed, "kubeadm-join");
                // What kubeadm leaves (cmd/kubeadm/app/cmd/phases/join/kubelet.go): its preflight refuses each.
                assert.ok(worker.exists("etc/kubernetes/pki/ca.crt") && worker.exists("var/lib/kubelet/config.yaml") && worker.exists(".stub/ports/10250"));
                assert.strictEqual(worker.exists("etc/kubernetes/bootstrap-kubelet.conf"), killed);
                const firstToken = tokenIn(worker.allCalls())!;

                const dayLater = String(Math.floor(Date.now() / 1000) + 24 * 3600);
                const logged = worker.allCalls().length;
                const retry = site.master.run("join-worker", site.joinParams(0), { STUB_NOW: dayLater });
                assertOk(retry);
                const workerCalls = worker.allCalls().slice(logged);
                const reset = workerCalls.indexOf("kubeadm reset -f");
                assert.ok(reset >= 0 && reset < workerCalls.findIndex((call) => call.startsWith("kubeadm join ")), "reset before the join");
                assert.match(retry.stderr, /^esiphub: kubeadm-reset: resetting esiphub-test-worker-1 first \(left .*\/etc\/kubernetes\/pki\/ca\.crt/m);
                assert.notStrictEqual(tokenIn(workerCalls), firstToken, "the retry mints its own token");
                assert.ok(worker.exists("etc/kubernetes/kubelet.conf"));
            });
        }

        /** A join command minted on the master by hand, as a token step of its own would (24 h, the kubeadm default). */
        const mintedByHand = (site: ReturnType<typeof newSite>, env: Record<string, string> = {}) => {
            const minted = site.master.exec("kubeadm", ["token", "create", "--kubeconfig", site.master.path("etc/kubernetes/admin.conf"), "--ttl", "24h", "--print-join-command"], env);
            assertOk(minted);
            return minted.stdout.trim();
        };
        const joinNode = (site: ReturnType<typeof newSite>, joinCommand: string, env: Record<string, string> = {}) =>
            site.workers[0].run("join-node", { NODE_NAME: site.names[0], ACTION: "join", CLUSTER_CA: "unused", JOIN_COMMAND: joinCommand }, env);

        it("the stand-in kubeadm refuses a token made a day before: what a token step of its own would hand a retry", () => {
            const site = newSite(1);
            const now = Math.floor(Date.now() / 1000);
            const joinCommand = mintedByHand(site, { STUB_NOW: String(now) });
            const stale = joinNode(site, joinCommand, { STUB_NOW: String(now + 25 * 3600) });
            assertFailsAt(stale, "kubeadm-join");
            assert.match(stale.stderr, /could not find a JWS signature in the cluster-info ConfigMap for token ID "tk\d{4}"/);
            assertOk(joinNode(site, joinCommand, { STUB_NOW: String(now + 3600) }));
        });

        it("the stand-in kubeadm refuses to join a name whose Node is still Ready (so the stale Node must go first)", () => {
            const site = newSite(1);
            fs.writeFileSync(path.join(site.cluster, "nodes", site.names[0]), "True\n");
            const run = joinNode(site, mintedByHand(site));
            assertFailsAt(run, "kubeadm-join");
            assert.match(run.stderr, /a Node with name "esiphub-test-worker-1" and status "Ready" already exists in the cluster/);
        });

        it("a replaced worker (a new VM of the same name): the stale Node is deleted and the new VM joins", () => {
            const site = newSite(1);
            assertOk(site.master.run("join-worker", site.joinParams(0)));
            // The old VM is gone; its Node is still Ready for a while. A fresh VM takes its address and name.
            const fresh = newNode(site.cluster, site.workers[0].ip);
            assertOk(fresh.run("prepare-node", workerPrepare(site.joinKey)));
            // The new VM has a host key of its own, and the program pins that one.
            assert.notStrictEqual(fresh.hostKey, site.workers[0].hostKey);
            const run = site.master.run("join-worker", joinWorkerParams(CONFIG, site.names[0], fresh.ip!, fresh.hostKey));
            assertOk(run);
            assert.ok(indexOfCall(run, "kubectl delete node esiphub-test-worker-1") < indexOfCall(run, "kubeadm token create"));
            assert.ok(fresh.exists("etc/kubernetes/kubelet.conf"));
        });

        it("a rebuilt master (a new cluster and CA): a worker still joined to the old cluster is reset and joins the new one", () => {
            const old = newSite(1);
            assertOk(old.master.run("join-worker", old.joinParams(0)));
            const [worker] = old.workers;
            const oldCa = worker.read("etc/kubernetes/pki/ca.crt");
            // A new master VM: a new cluster; the worker VM stays, with the new master's key (its preparation re-runs).
            const cluster = newClusterDir();
            const master = newNode(cluster, MASTER_IP);
            const ssh = master.run("master-ssh", {});
            assertOk(ssh);
            assertOk(master.run("prepare-node", PREPARE));
            assertOk(master.run("init-master", MASTER));
            fs.writeFileSync(path.join(cluster, "hosts", worker.ip!), worker.base);
            assertOk(worker.run("prepare-node", workerPrepare(ssh.stdout)));
            const run = master.run("join-worker", old.joinParams(0));
            assertOk(run);
            assert.match(run.stderr, /esiphub-test-worker-1: joined to another cluster \(its CA differs\); Node not registered/);
            assert.notStrictEqual(worker.read("etc/kubernetes/pki/ca.crt"), oldCa);
            assert.strictEqual(worker.read("etc/kubernetes/pki/ca.crt"), fs.readFileSync(path.join(cluster, "ca.crt"), "utf8"));
        });

        it("the master checks the worker's host key against the program's: an impostor at the worker's address gets no join, and no token is minted", () => {
            const site = newSite(1);
            const [worker] = site.workers;
            // Another machine answers at the worker's address (its own host key); the program pinned the real worker's.
            const impostor = newNode(site.cluster, worker.ip);
            assertOk(impostor.run("prepare-node", workerPrepare(site.joinKey)));
            const before = impostor.allCalls().length;
            const run = site.master.run("join-worker", site.joinParams(0));
            assertFailsAt(run, "worker-state");
            assert.match(run.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED![\s\S]*Host key verification failed\./);
            assert.ok(!run.calls.some((call) => call.startsWith("kubeadm token create")), "no token minted");
            assert.deepStrictEqual(impostor.allCalls().slice(before), [], "nothing ran on the impostor");
            // The check really is against the pinned line: with the impostor's key pinned, it gets through.
            assertOk(site.master.run("join-worker", joinWorkerParams(CONFIG, site.names[0], worker.ip!, impostor.hostKey)));
            // ssh is told to check strictly, with the program's known_hosts only, and the file does not outlive the run.
            const ssh = run.calls.find((call) => call.startsWith("ssh "))!;
            assert.match(ssh, / -o StrictHostKeyChecking=yes -o UserKnownHostsFile=\S+ -o GlobalKnownHostsFile=\/dev\/null /);
            assert.deepStrictEqual(fs.readdirSync(path.join(site.master.base, "tmp")), [], "the known_hosts file is removed");
        });

        it("a worker whose host key is not pinned at all is refused too (nothing learnt on first use)", () => {
            const site = newSite(1);
            const params = { ...site.joinParams(0), KNOWN_HOSTS: `10.42.0.99 ${site.workers[0].hostKey}` };
            const run = site.master.run("join-worker", params);
            assertFailsAt(run, "worker-state");
            assert.match(run.stderr, /No ED25519 host key is known for 10\.42\.0\.21 and you have requested strict checking\.\nHost key verification failed\./);
        });

        it("a worker accepts the join key only from the master's address", () => {
            const site = newSite(0);
            const worker = newNode(site.cluster, "10.42.0.21");
            assertOk(worker.run("prepare-node", workerPrepare(site.joinKey, "10.42.0.99")));
            const run = site.master.run("join-worker", joinWorkerParams(CONFIG, "esiphub-test-worker-1", "10.42.0.21", worker.hostKey));
            assertFailsAt(run, "worker-state");
            assert.match(run.stderr, /Permission denied \(publickey\)/);
            assert.ok(!run.calls.some((call) => call.startsWith("kubeadm token create")), "no token minted");
        });

        it("without the master's join key it stops before touching anything", () => {
            const node = initialisedNode();
            const run = node.run("join-worker", joinWorkerParams(CONFIG, "w-1", "10.42.0.21", node.hostKey));
            assertFailsAt(run, "parameters");
            assert.match(run.stderr, /no join key \/etc\/esiphub\/cluster-join\/id_ed25519: the master-ssh step makes it/);
            assert.deepStrictEqual(run.calls, []);
        });

        it("join-node.sh refuses anything but a kubeadm join, without echoing it", () => {
            const node = newNode();
            const run = node.run("join-node", { NODE_NAME: "w-1", ACTION: "join", CLUSTER_CA: "AB:CD", JOIN_COMMAND: "curl http://example.org/x.sh --token s3cr3t" });
            assertFailsAt(run, "kubeadm-join");
            assert.match(run.stderr, /JOIN_COMMAND is not a 'kubeadm join' command/);
            assert.doesNotMatch(run.stderr, /s3cr3t/);
            assert.deepStrictEqual(run.calls, []);
        });
    });
});
