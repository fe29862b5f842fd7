/**
 * Behaviour of the kubeadm scripts, run as a node receives them (rendered, on stdin of `bash -s`) against stubbed
 * system commands in a temporary root: the first run does the work, a second run changes nothing, a failing command
 * stops the script with a message naming the step. The stubs (test/kubeadm/stubs) behave as the real tools do where
 * the scripts depend on it, failures included: kubeadm leaves each phase's files behind, Calico is Available only
 * when its BGP sessions can come up, apt fails on a held dpkg lock unless told to wait, sshd checks the key's from=.
 */
import * as assert from "assert";
import * as fs from "fs";
import { SSH_USER } from "./sandbox";
import { assertFailsAt, assertOk, assertRerunChangesNothing, indexOfCall, MASTER, MASTER_IP, mutatingCalls, stubSites, workerPrepare } from "./scripts-fixture";

describe("kubeadm scripts", () => {
    const { newNode, preparedNode } = stubSites();

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
            const node = preparedNode();
            assert.match(node.read("etc/containerd/config.toml"), /^\s*sandbox_image = "registry\.k8s\.io\/pause:3\.10"$/m);
            assert.ok(indexOfCall(node.run("prepare-node", params), "kubeadm config images list --kubernetes-version v1.33.2") >= 0);
            const init = node.run("init-master", MASTER);
            assertOk(init);
            assert.doesNotMatch(init.stderr, /sandbox image/, "kubeadm (checks.go) warns when containerd's sandbox image is not its own");
        });

        it("crictl talks to containerd; needrestart never restarts containerd or the kubelet", () => {
            const node = preparedNode();
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
            const node = preparedNode();
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
            const node = preparedNode();
            assertRerunChangesNothing(node, "prepare-node", params);
        });

        it("a lost sysctl (after a reboot without the file applied) is applied again, nothing else", () => {
            const node = preparedNode();
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
});
