/**
 * Behaviour of the kubeadm scripts, run as a node receives them (rendered, on stdin of `bash -s`) against stubbed
 * system commands in a temporary root: the first run does the work, a second run changes nothing, a failing command
 * stops the script with a message naming the step. The stubs (test/kubeadm/stubs) behave as the real tools do where
 * the scripts depend on it, failures included: kubeadm leaves each phase's files behind, Calico is Available only
 * when its BGP sessions can come up, apt fails on a held dpkg lock unless told to wait, sshd checks the key's from=.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { CALICO_MANIFEST_SHA256, CALICO_VERSION, calicoParams, joinWorkerParams, kubeadmScript, prepareNodeParams, SCRIPT_NAMES, SCRIPTS_DIR } from "../../components/kubeadm/commands";
import { inboundRules } from "../../components/firewall";
import { renderScript, ScriptParams } from "../../components/remote";
import { testConfig } from "../mocks";
import { ScriptRun, SSH_USER, StubNode } from "./sandbox";

/** Calls that only look: all a second run on a finished node may make. */
const READ_ONLY = [
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
function assertRerunChangesNothing(node: StubNode, script: Parameters<StubNode["run"]>[0], params: ScriptParams, env: Record<string, string> = {}): ScriptRun {
    const before = node.snapshot();
    const run = node.run(script, params, env);
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

const MASTER_IP = "10.42.0.10";
const MASTER: ScriptParams = {
    NODE_NAME: "esiphub-test-master",
    PRIVATE_IP: MASTER_IP,
    PUBLIC_IP: "149.165.157.20",
    HUB_HOSTNAME: "hub.esipfed.org",
    POD_CIDR: "192.168.0.0/16",
    SERVICE_CIDR: "10.96.0.0/12",
    SCHEDULE_ON_MASTER: "false",
};
const CONFIG = testConfig("jetstream", { "esiphub:podCidr": "192.168.0.0/16" });
/**
 * sha256sum lines of the curl stub's stand-ins of a Calico version's manifests ("downloaded from URL"): the pinned
 * sums are the real manifests', which the stand-ins are not.
 */
function standInCalicoSums(version: string): string {
    return Object.keys(CALICO_MANIFEST_SHA256[CALICO_VERSION])
        .map((file) => {
            const body = `downloaded from https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/${file}\n`;
            return `${crypto.createHash("sha256").update(body).digest("hex")}  ${file}`;
        })
        .join("\n");
}
const CALICO: ScriptParams = { ...calicoParams(CONFIG), CALICO_SHA256: standInCalicoSums(CALICO_VERSION) };
const PREPARE: ScriptParams = { KUBERNETES_MINOR: "1.33" };

/** A worker's preparation as the program sends it: with the master's join key, from the master's address. */
function workerPrepare(joinPublicKey: string, masterPrivateIp = MASTER_IP): ScriptParams {
    return prepareNodeParams(testConfig("jetstream"), { sshUser: SSH_USER, joinPublicKey, masterPrivateIp });
}

/** The site's node-to-node firewall (components/firewall.ts), as the cluster stub reads it: "PROTOCOL FROM-TO". */
function writeFirewall(cluster: string): void {
    const rules = inboundRules(CONFIG.network).filter((r) => r.group === "cluster");
    fs.writeFileSync(path.join(cluster, "firewall"), rules.map((r) => `${r.protocol} ${r.fromPort}-${r.toPort}\n`).join(""));
}

/** The join token in a call (the stub's calls log has it; the scripts' own messages must not). */
function tokenIn(calls: string[]): string | undefined {
    return calls.map((call) => / --token (\S+)/.exec(call)?.[1]).find(Boolean);
}

describe("kubeadm scripts", () => {
    const nodes: StubNode[] = [];
    const clusters: string[] = [];
    const newNode = (cluster?: string, ip?: string) => {
        const node = new StubNode(cluster, ip);
        nodes.push(node);
        return node;
    };
    const newClusterDir = () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-cluster-"));
        clusters.push(dir);
        writeFirewall(dir);
        return dir;
    };
    afterEach(() => {
        nodes.splice(0).forEach((node) => node.remove());
        clusters.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
    });

    /** A master (ssh step, prepared, initialised) and prepared workers in one cluster, as the component leaves them before the joins. */
    const newSite = (workers: number, cluster = newClusterDir(), masterIp = MASTER_IP) => {
        const master = newNode(cluster, masterIp);
        const ssh = master.run("master-ssh", {});
        assertOk(ssh);
        assertOk(master.run("prepare-node", PREPARE));
        assertOk(master.run("init-master", { ...MASTER, PRIVATE_IP: masterIp }));
        const names = Array.from({ length: workers }, (_, i) => `esiphub-test-worker-${i + 1}`);
        const nodesOfSite = names.map((_, i) => {
            const worker = newNode(cluster, `10.42.0.${21 + i}`);
            assertOk(worker.run("prepare-node", workerPrepare(ssh.stdout, masterIp)));
            return worker;
        });
        const joinParams = (i: number) => joinWorkerParams(CONFIG, names[i], nodesOfSite[i].ip!, nodesOfSite[i].hostKey);
        return { cluster, master, workers: nodesOfSite, names, joinKey: ssh.stdout, joinParams };
    };

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
                "apt-mark -o DPkg::Lock::Timeout=600 hold containerd runc kubelet kubeadm kubectl",
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
            assert.match(node.read("etc/apt/keyrings/kubernetes-apt-keyring.gpg"), /^dearmored:\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nstand-in key DE15B14486CD377B9E876E1A234654DA9A296436 from https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.33\/deb\/Release\.key$/m);
            assert.ok(indexOfCall(run, "gpg --batch --show-keys --with-colons ") < indexOfCall(run, "gpg --batch --yes --dearmor"), "the fingerprint is checked before the key is trusted");
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
            assert.ok(!node.exists(`home/${SSH_USER}/.ssh/authorized_keys`) || !/esiphub-cluster-join/.test(node.read(`home/${SSH_USER}/.ssh/authorized_keys`)), "no join key without JOIN_AUTHORIZED_KEY");
        });

        it("containerd's sandbox image is kubeadm's pause image, so kubeadm's preflight has nothing to warn about", () => {
            const node = newNode();
            assertOk(node.run("prepare-node", params));
            assert.match(node.read("etc/containerd/config.toml"), /^\s*sandbox_image = "registry\.k8s\.io\/pause:3\.10"$/m);
            assert.ok(indexOfCall(node.run("prepare-node", params), "kubeadm config images list --kubernetes-version v1.33.2") >= 0);
            const init = node.run("init-master", MASTER);
            assertOk(init);
            assert.doesNotMatch(init.stderr, /sandbox image/, "kubeadm (checks.go) warns when containerd's sandbox image is not its own");
        });

        it("crictl talks to containerd; needrestart never restarts containerd or the kubelet", () => {
            const node = newNode();
            assertOk(node.run("prepare-node", params));
            assert.strictEqual(
                node.read("etc/crictl.yaml"),
                "runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\n",
            );
            const needrestart = node.read("etc/needrestart/conf.d/50-esiphub.conf");
            assert.match(needrestart, /^\$nrconf\{override_rc\}\{qr\(\^containerd\)\} = 0;$/m);
            assert.match(needrestart, /^\$nrconf\{override_rc\}\{qr\(\^kubelet\)\} = 0;$/m);
        });

        it("first boot: the apt-daily timers are stopped and masked while packages change, a running unattended upgrade is waited out, and the timers run again after", () => {
            const node = newNode();
            // unattended-upgrades (apt-daily-upgrade.service) is at work when we arrive, for three more looks.
            node.write(".stub/systemd/apt-daily-upgrade.service.state", "activating 3\n");
            const run = node.run("prepare-node", params);
            assertOk(run);
            const mask = indexOfCall(run, "systemctl mask --runtime --now apt-daily.timer apt-daily-upgrade.timer");
            const firstApt = run.calls.findIndex((call) => /^apt-(get|mark) -o DPkg::Lock::Timeout=\d+ /.test(call));
            assert.ok(mask < firstApt, "paused before the first package change");
            const waits = run.calls.slice(mask, firstApt).filter((call) => call === "systemctl show -p ActiveState --value apt-daily-upgrade.service");
            assert.strictEqual(waits.length, 4, "looked until the running upgrade had finished");
            assert.match(run.stderr, /^esiphub: install-packages: waiting for apt-daily-upgrade\.service \(unattended-upgrades on a first boot\) to finish$/m);
            const unmask = indexOfCall(run, "systemctl unmask --runtime apt-daily.timer apt-daily-upgrade.timer");
            assert.ok(unmask > run.calls.findIndex((call) => call.startsWith("apt-mark -o")), "resumed after the last package change");
            assert.ok(run.calls.indexOf("systemctl start apt-daily.timer apt-daily-upgrade.timer") > unmask, "both ran before, both run again");
            for (const timer of ["apt-daily.timer", "apt-daily-upgrade.timer"]) {
                assert.ok(node.exists(`.stub/systemd/${timer}.active`) && !node.exists(`.stub/systemd/${timer}.masked`), `${timer} runs again, unmasked`);
            }
        });

        it("an unattended upgrade that outlasts APT_WAIT stops it with a message naming the job, and the timers run again", () => {
            const node = newNode();
            node.write(".stub/systemd/apt-daily-upgrade.service.state", "activating\n");
            const run = node.run("prepare-node", { ...params, APT_WAIT: "0" });
            assertFailsAt(run, "install-packages");
            assert.match(run.stderr, /apt-daily-upgrade\.service \(unattended-upgrades\) still running after 0s; see \/var\/log\/unattended-upgrades\//);
            assert.ok(!run.calls.some((call) => call.startsWith("apt-get -o")), "no apt call while it runs");
            assert.ok(node.exists(".stub/systemd/apt-daily.timer.active") && !node.exists(".stub/systemd/apt-daily.timer.masked"));
        });

        it("every apt and dpkg call waits for the dpkg lock, holding the packages too", () => {
            const node = newNode();
            // Everything installed, nothing held yet (the hold failed last time), and another apt run has the lock.
            assertFailsAt(node.run("prepare-node", params, { STUB_FAIL: "apt-mark *hold *" }), "install-packages");
            node.write(".stub/dpkg-lock", "");
            const run = node.run("prepare-node", params);
            assertOk(run);
            assert.match(run.stderr, /Waiting for cache lock/);
            for (const call of run.calls.filter((c) => /^apt-(get|mark) /.test(c) && !c.endsWith(" showhold"))) {
                assert.match(call, /^apt-(get|mark) -o DPkg::Lock::Timeout=600 /, call);
            }
        });

        it("a node prepared by an earlier version (pause:3.8, no crictl.yaml, containerd and runc not held) is brought up to date", () => {
            const node = newNode();
            assertOk(node.run("prepare-node", params));
            node.write("etc/containerd/config.toml", node.read("etc/containerd/config.toml").replace("pause:3.10", "pause:3.8"));
            fs.rmSync(node.path("etc/crictl.yaml"));
            node.write(".stub/held", "kubelet\nkubeadm\nkubectl\n");
            const run = node.run("prepare-node", params);
            assertOk(run);
            assert.ok(run.calls.includes("apt-mark -o DPkg::Lock::Timeout=600 hold containerd runc"));
            assert.ok(run.calls.includes("systemctl restart containerd"));
            assert.match(node.read("etc/containerd/config.toml"), /sandbox_image = "registry\.k8s\.io\/pause:3\.10"/);
            assert.ok(node.exists("etc/crictl.yaml"));
            assertRerunChangesNothing(node, "prepare-node", params);
        });

        it("a worker lets the master in with the cluster's join key, from the master's address only, keeping the operator's key", () => {
            const node = newNode();
            const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJoinKeyOfTheMaster esiphub-cluster-join";
            const keys = `home/${SSH_USER}/.ssh/authorized_keys`;
            const operator = node.read(keys);
            const run = node.run("prepare-node", workerPrepare(key));
            assertOk(run);
            assert.strictEqual(node.read(keys), `${operator}restrict,from="${MASTER_IP}" ${key}\n`);
            assert.strictEqual(fs.statSync(node.path(keys)).mode & 0o777, 0o600);
            assert.ok(run.calls.includes(`chown ${SSH_USER}: ${node.path(keys)}`), "owned by the user, as sshd's StrictModes wants");
            assertRerunChangesNothing(node, "prepare-node", workerPrepare(key));
            // A rebuilt master: its new key replaces the old one.
            const newKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewJoinKeyOfTheMaster esiphub-cluster-join";
            assertOk(node.run("prepare-node", workerPrepare(newKey)));
            assert.strictEqual(node.read(keys), `${operator}restrict,from="${MASTER_IP}" ${newKey}\n`);
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

        it("trusts the repository's key only with pkgs.k8s.io's pinned fingerprint: another key, or another beside it, is refused", () => {
            const refused = [
                ["an impostor's key", { STUB_SIGNING_KEY: "0123456789ABCDEF0123456789ABCDEF01234567" }, /holds key 0123456789ABCDEF0123456789ABCDEF01234567, not pkgs\.k8s\.io's DE15B14486CD377B9E876E1A234654DA9A296436: not trusted/],
                ["an error page", { STUB_TAMPER: "*/Release.key" }, /holds key none, not pkgs\.k8s\.io's/],
            ] as const;
            for (const [what, knobs, message] of refused) {
                const node = newNode();
                const run = node.run("prepare-node", params, knobs);
                assertFailsAt(run, "apt-repo");
                assert.match(run.stderr, message, what);
                assert.ok(!node.exists("etc/apt/keyrings/kubernetes-apt-keyring.gpg"), `${what}: no keyring`);
                assert.ok(!run.calls.some((call) => call.includes(" update")), `${what}: apt never reads the repository`);
            }
            // Two keys in the file, the right one among them: apt would trust both.
            const node = newNode();
            const twoKeys = node.run("prepare-node", params, { STUB_SIGNING_KEY: "DE15B14486CD377B9E876E1A234654DA9A296436 0123456789ABCDEF0123456789ABCDEF01234567" });
            assertFailsAt(twoKeys, "apt-repo");
            assert.match(twoKeys.stderr, /holds key DE15B14486CD377B9E876E1A234654DA9A296436 0123456789ABCDEF0123456789ABCDEF01234567, not/);
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

        it("timers the image had stopped stay stopped (only what ran before the pause starts again)", () => {
            const node = newNode();
            fs.rmSync(node.path(".stub/systemd/apt-daily.timer.active"));
            const run = node.run("prepare-node", params);
            assertOk(run);
            assert.ok(run.calls.includes("systemctl start apt-daily-upgrade.timer"));
            assert.ok(!node.exists(".stub/systemd/apt-daily.timer.active") && !node.exists(".stub/systemd/apt-daily.timer.masked"));
        });

        it("after a failure the apt-daily timers run again", () => {
            const node = newNode();
            assertFailsAt(node.run("prepare-node", params, { STUB_FAIL: "apt-get *install*" }), "install-packages");
            for (const timer of ["apt-daily.timer", "apt-daily-upgrade.timer"]) {
                assert.ok(node.exists(`.stub/systemd/${timer}.active`) && !node.exists(`.stub/systemd/${timer}.masked`), timer);
            }
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
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
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
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
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
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
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
            const node = newNode();
            assertOk(node.run("init-master", MASTER));
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
