import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { cloudInit, nodeConnection, nodeLayout, siteTags } from "../components/cloud";
import { offlineEd25519 } from "../plan/state";
import { planProgram, testConfig } from "./mocks";

const MASTER_KEY = offlineEd25519("master").publicKeyOpenssh.trim();
const WORKER_KEY = offlineEd25519("worker").publicKeyOpenssh.trim();

describe("cloud layer: nodes, names and tags shared by both clouds", () => {
    it("names the master and the workers after the site, workers numbered from 01", () => {
        const config = testConfig("jetstream", { "esiphub:workers": "3", "esiphub:users": "10" });
        assert.deepStrictEqual(
            nodeLayout(config).map((n) => `${n.name} ${n.role} ${n.flavor.name}`),
            ["jetstream-master master m3.medium", "jetstream-worker-01 worker m3.large", "jetstream-worker-02 worker m3.large", "jetstream-worker-03 worker m3.large"],
        );
    });

    it("adds an nfs node of the master's flavor when esiphub:nfsNode is on", () => {
        // 6 workshop accounts and the Nebula stack's two organisers' accounts: the one worker's 8.
        const config = testConfig("nebula", { "esiphub:workers": "1", "esiphub:users": "6", "esiphub:nfsNode": "true" });
        assert.deepStrictEqual(
            nodeLayout(config).map((n) => `${n.name} ${n.role} ${n.flavor.name}`),
            ["nebula-master master m1.xlarge", "nebula-nfs nfs m1.xlarge", "nebula-worker-01 worker m1.2xlarge"],
        );
    });

    it("has only the master with no workers, and three digits from worker 100", () => {
        assert.deepStrictEqual(nodeLayout(testConfig("aws", { "esiphub:workers": "0", "esiphub:users": "2" })).map((n) => n.name), ["aws-master"]);
        const names = nodeLayout(testConfig("aws", { "esiphub:workers": "100", "esiphub:users": "1000" })).map((n) => n.name);
        assert.deepStrictEqual([names[1], names[99], names[100]], ["aws-worker-01", "aws-worker-99", "aws-worker-100"]);
    });

    it("refuses a stack name that cannot be a hostname", () => {
        const config = { ...testConfig("aws"), site: "Dev_Stack" };
        assert.throws(() => nodeLayout(config), /stack name "Dev_Stack" cannot prefix node names such as Dev_Stack-worker-\d\d: use lower-case letters, digits and -/);
        // "-worker-05" leaves 53 characters of a 63-character hostname.
        const base = testConfig("aws", { "esiphub:workers": "5" });
        assert.strictEqual(nodeLayout({ ...base, site: "a".repeat(53) }).length, 6);
        assert.throws(() => nodeLayout({ ...base, site: "a".repeat(54) }), /at most 53 characters/);
    });

    it("sets the hostname to the node name and installs the program's host key on first boot, the image's keys removed", () => {
        const key = offlineEd25519("jetstream-worker-07");
        const text = cloudInit("jetstream-worker-07", { privateKey: key.privateKeyOpenssh, publicKey: key.publicKeyOpenssh });
        assert.match(text, /^#cloud-config\n/);
        const doc = YAML.parse(text);
        assert.strictEqual(doc.hostname, "jetstream-worker-07");
        assert.strictEqual(doc.fqdn, "jetstream-worker-07");
        // cloud-init cc_ssh: the image's host keys go; only the keys of ssh_keys are written, none generated.
        assert.strictEqual(doc.ssh_deletekeys, true);
        assert.deepStrictEqual(Object.keys(doc.ssh_keys), ["ed25519_private", "ed25519_public"]);
        assert.strictEqual(doc.ssh_keys.ed25519_private, key.privateKeyOpenssh, "the multi-line private key is one value, byte for byte");
        assert.strictEqual(doc.ssh_keys.ed25519_public, key.publicKeyOpenssh.trim());
    });

    it("the offline host keys are what OpenSSH reads: ssh-keygen derives the same public key and fingerprint", function () {
        if (spawnSync("ssh-keygen", ["-?"]).error) {
            if (process.env.CI === "true") assert.fail("ssh-keygen is not installed; CI installs it with openssh-server (.ci/apt-packages.txt)");
            this.skip();
        }
        const key = offlineEd25519("esiphub-jetstream-openstack-jetstream-master-host-key");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-hostkey-"));
        try {
            const file = path.join(dir, "ssh_host_ed25519_key");
            fs.writeFileSync(file, key.privateKeyOpenssh, { mode: 0o600 });
            const derived = spawnSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" });
            assert.strictEqual(derived.status, 0, derived.stderr);
            assert.strictEqual(derived.stdout.trim(), key.publicKeyOpenssh.trim());
            const fingerprint = spawnSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" });
            assert.match(fingerprint.stdout, new RegExp(`^256 ${key.publicKeyFingerprintSha256.replace(/[+/]/g, "\\$&")} .*\\(ED25519\\)$`, "m"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.notStrictEqual(offlineEd25519("a").publicKeyOpenssh, offlineEd25519("b").publicKeyOpenssh, "one key per node");
    });

    it("every hop of a connection pins its own host key: the node's, and the master's on the proxy", async () => {
        const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg\n-----END OPENSSH PRIVATE KEY-----\n";
        const plan = await planProgram("jetstream", () => ({
            master: nodeConnection({ node: { host: "149.165.157.20", hostKey: MASTER_KEY }, user: "ubuntu", privateKey: pulumi.secret(privateKey) }),
            worker: nodeConnection({
                node: { host: "10.42.0.12", hostKey: WORKER_KEY },
                user: "ubuntu",
                privateKey: pulumi.secret(privateKey),
                jumpHost: { host: "149.165.157.20", hostKey: MASTER_KEY },
            }),
        }));
        assert.deepStrictEqual(plan.outputs, { master: "[secret]", worker: "[secret]" });
        const raw = plan.rawOutputs as Record<string, { host: string; hostKey: string; proxy?: { host: string; hostKey: string } }>;
        assert.strictEqual(raw.master.hostKey, MASTER_KEY);
        assert.strictEqual(raw.master.proxy, undefined);
        assert.strictEqual(raw.worker.hostKey, WORKER_KEY);
        assert.deepStrictEqual([raw.worker.proxy?.host, raw.worker.proxy?.hostKey], ["149.165.157.20", MASTER_KEY]);
    });

    it("tags with site, stack and role", () => {
        assert.deepStrictEqual(siteTags("aws", "aws", "worker"), { site: "aws", stack: "aws", role: "worker" });
    });
});
