/**
 * `esiphub kubeconfig`, `ssh` and `admin-ip`: getting at a deployed site without ever showing its secrets.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { AddressInfo } from "net";
import { request } from "undici";
import { nodeAddress } from "../../cli/access";
import { assertOneLineError, CliHarness, deployedJetstream, OUTPUTS, projectWith, RunSetup } from "./harness";

const harness = new CliHarness();
const run = (args: string[], setup?: RunSetup) => harness.run(args, setup);

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";

/**
 * A stand-in for OpenSSH's `ssh`: records its arguments and, for the key given with -i, the file's mode and whether
 * it holds the stack's key. Like the real client it ignores a key file that others can read (openssh-portable
 * authfile.c, sshkey_perm_ok: "Permissions 0644 for '...' are too open.") and then fails to log in (exit 255).
 */
const SSH_STUB = `#!/bin/bash
PATH=/usr/bin:/bin
log="$FAKE_SSH_LOG"
printf '%s\\n' "$@" >"$log.argv"
key=""
while [[ $# -gt 0 ]]; do [[ "$1" == "-i" ]] && key="$2"; shift; done
mode=$(stat -c %a "$key")
echo "mode $mode" >"$log"
if cmp -s "$key" "$FAKE_SSH_EXPECTED_KEY"; then echo "key matches" >>"$log"; fi
if [[ -n "\${FAKE_SSH_SLEEP:-}" ]]; then exec sleep "$FAKE_SSH_SLEEP"; fi
if [[ "$mode" != 600 && "$mode" != 400 ]]; then
    echo "Permissions 0$mode for '$key' are too open." >&2
    echo "ubuntu@host: Permission denied (publickey)." >&2
    exit 255
fi
exit "\${FAKE_SSH_EXIT:-0}"
`;

describe("access to a deployed site", () => {
    let tmp: string;
    before(() => {
        harness.setUp();
        tmp = harness.tmp;
    });
    after(() => harness.tearDown());

    describe("kubeconfig", () => {
        it("written readable by the owner only, with how to use it", async () => {
            const out = path.join(tmp, "kc.yaml");
            fs.writeFileSync(out, "old, world-readable\n", { mode: 0o644 });
            const r = await run(["kubeconfig", "jetstream", "--out", out], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(fs.readFileSync(out, "utf8"), "apiVersion: v1\nkind: Config\n");
            assert.strictEqual(fs.statSync(out).mode & 0o777, 0o600);
            assert.match(r.stdout, new RegExp(`^wrote the kubeconfig of site "jetstream" to ${out} \\(mode 600\\)\\n {2}export KUBECONFIG=${out}; kubectl get nodes`));
            assert.ok(!r.stdout.includes("kind: Config"), "the secret itself is not printed");
        });

        it("never writes through a symlink planted at the destination", async () => {
            const victim = path.join(tmp, "victim");
            const link = path.join(tmp, "kc-link.yaml");
            fs.writeFileSync(victim, "someone else's file\n", { mode: 0o644 });
            fs.symlinkSync(victim, link);
            const r = await run(["kubeconfig", "jetstream", "--out", link], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(fs.readFileSync(victim, "utf8"), "someone else's file\n");
            assert.ok(fs.lstatSync(link).isFile(), "the link itself was replaced by the file");
            assert.strictEqual(fs.statSync(link).mode & 0o777, 0o600);
            // credentials --out writes the same way.
            const cards = path.join(tmp, "cards-link.csv");
            fs.symlinkSync(victim, cards);
            await run(["credentials", "jetstream", "--out", cards], { sites: deployedJetstream() });
            assert.strictEqual(fs.readFileSync(victim, "utf8"), "someone else's file\n");
            assert.match(fs.readFileSync(cards, "utf8"), /^username,password\n/);
        });

        it("--out - prints it; a site without the output says how to get it with Pulumi", async () => {
            const r = await run(["kubeconfig", "jetstream", "--out", "-"], { sites: deployedJetstream() });
            assert.strictEqual(r.stdout, "apiVersion: v1\nkind: Config\n");
            const nowhere = await run(["kubeconfig", "jetstream", "--out", path.join(tmp, "no-such-dir", "kc.yaml")], { sites: deployedJetstream() });
            assertOneLineError(nowhere, /^esiphub: cannot write .*no-such-dir\/kc\.yaml: ENOENT.*; without esiphub: /);
            const none = await run(["kubeconfig", "jetstream"], { sites: { jetstream: { outputs: {} } } });
            assertOneLineError(none, /has no kubeconfig output .*; without esiphub: `\(umask 077; pulumi stack output kubeconfig -s jetstream --show-secrets > kubeconfig-jetstream\.yaml\)`$/);
        });
    });

    describe("ssh", () => {
        let sshBin: string;
        let log: string;
        let expectedKey: string;
        before(() => {
            sshBin = path.join(tmp, "ssh-bin");
            fs.mkdirSync(sshBin);
            fs.writeFileSync(path.join(sshBin, "ssh"), SSH_STUB, { mode: 0o755 });
            log = path.join(tmp, "ssh.log");
            expectedKey = path.join(tmp, "expected-key");
            fs.writeFileSync(expectedKey, `${KEY}\n`);
        });
        const setup = (extra: Record<string, string> = {}): RunSetup => ({
            sites: deployedJetstream({ config: { "esiphub:sshPrivateKey": KEY } }),
            env: { PATH: `${harness.binDir}:${sshBin}`, FAKE_SSH_LOG: log, FAKE_SSH_EXPECTED_KEY: expectedKey, ...extra },
        });
        const argv = () => fs.readFileSync(`${log}.argv`, "utf8").trimEnd().split("\n");

        it("the master: the stack's key through a private temporary file, removed afterwards, never printed", async () => {
            const r = await run(["ssh", "jetstream"], setup());
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(fs.readFileSync(log, "utf8"), "mode 600\nkey matches\n");
            const args = argv();
            const keyFile = args[args.indexOf("-i") + 1];
            assert.deepStrictEqual(args, ["-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new", "ubuntu@149.165.157.42"]);
            assert.ok(!fs.existsSync(keyFile), "the key file is gone");
            assert.ok(!fs.existsSync(path.dirname(keyFile)), "and its folder");
            assert.ok(!(r.stdout + r.stderr).includes("BEGIN OPENSSH"), "the key is never printed");
            assert.strictEqual(r.stderr, "esiphub: ssh ubuntu@149.165.157.42 (jetstream-master) with the stack's key\n");
        });

        it("a worker through the master (the hop uses the same key), with a command; ssh's exit status is esiphub's", async () => {
            const r = await run(["ssh", "jetstream", "worker-02", "--", "sudo", "crictl", "ps"], setup({ FAKE_SSH_EXIT: "3" }));
            assert.strictEqual(r.code, 3, r.stderr);
            const args = argv();
            const keyFile = args[args.indexOf("-i") + 1];
            assert.deepStrictEqual(args.slice(-4), ["ubuntu@10.42.0.13", "sudo", "crictl", "ps"]);
            const proxy = args.find((a) => a.startsWith("ProxyCommand="))!;
            assert.strictEqual(proxy, `ProxyCommand=ssh '-i' '${keyFile}' '-o' 'IdentitiesOnly=yes' '-o' 'StrictHostKeyChecking=accept-new' -W %h:%p 'ubuntu@149.165.157.42'`);
        });

        it("a signal ends ssh, and the key file still goes", async () => {
            fs.rmSync(log, { force: true });
            const running = run(["ssh", "jetstream"], setup({ FAKE_SSH_SLEEP: "600" }));
            // The stub has logged: ssh runs, and esiphub forwards signals to it instead of dying at once.
            while (!fs.existsSync(log)) await new Promise((resolve) => setTimeout(resolve, 50));
            process.kill(process.pid, "SIGTERM");
            const r = await running;
            assert.strictEqual(r.code, 128 + 15);
            const args = argv();
            assert.ok(!fs.existsSync(args[args.indexOf("-i") + 1]), "the key file is gone");
        });

        it("node names: master, worker-NN, NN, the node's name, its private IP; an unknown one lists the nodes", () => {
            const outputs = Object.fromEntries(Object.entries(OUTPUTS).map(([k, o]) => [k, o.value]));
            const at = (node: string) => nodeAddress("jetstream", node, outputs);
            assert.deepStrictEqual(at("master"), { name: "jetstream-master", host: "149.165.157.42", jump: false });
            assert.deepStrictEqual(at("jetstream-master"), at("master"));
            for (const node of ["worker-01", "1", "01", "jetstream-worker-01", "10.42.0.12"]) assert.deepStrictEqual(at(node), { name: "jetstream-worker-01", host: "10.42.0.12", jump: true }, node);
            assert.throws(() => at("worker-03"), /site "jetstream" has no node "worker-03"; its nodes: master, worker-01, worker-02/);
            assert.throws(() => at("other-worker-01"), /has no node "other-worker-01"/);
        });

        it("without ssh on PATH: how to install it", async () => {
            const r = await run(["ssh", "jetstream"], { ...setup(), env: { PATH: harness.binDir } });
            assertOneLineError(r, /^esiphub: ssh is not on PATH: install the OpenSSH client/);
        });
    });

    describe("admin-ip", () => {
        let project: string;
        beforeEach(() => {
            project = projectWith(path.join(tmp, `admin-${Date.now()}`), "jetstream", {});
        });
        const stackFile = () => path.join(project, "Pulumi.jetstream.yaml");

        it("lists the CIDRs; --add appends one, touching nothing else in the file; twice changes nothing", async () => {
            const list = await run(["admin-ip", "jetstream"], { projectDir: project });
            assert.strictEqual(list.stdout, 'esiphub:adminCidrs of site "jetstream" (SSH and the Kubernetes API):\n  149.165.152.0/24\n');
            const before = fs.readFileSync(stackFile(), "utf8");
            const r = await run(["admin-ip", "jetstream", "--add", "203.0.113.0/28"], { projectDir: project });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout, "added 203.0.113.0/28 to esiphub:adminCidrs in Pulumi.jetstream.yaml\napply it with `esiphub up jetstream` (only the security-group rules for SSH and 6443 change)\n");
            const after = fs.readFileSync(stackFile(), "utf8");
            assert.strictEqual(after, before.replace("    - 149.165.152.0/24\n", "    - 149.165.152.0/24\n    - 203.0.113.0/28\n"));
            const again = await run(["admin-ip", "jetstream", "--add", "203.0.113.0/28"], { projectDir: project });
            assert.match(again.stdout, /already in esiphub:adminCidrs/);
            assert.strictEqual(fs.readFileSync(stackFile(), "utf8"), after);
        });

        it("refuses a CIDR with host bits (AWS would at deploy time) and the whole internet (the policy would)", async () => {
            const hostBits = await run(["admin-ip", "jetstream", "--add", "203.0.113.7/24"], { projectDir: project });
            assertOneLineError(hostBits, /203\.0\.113\.7\/24 has host bits set; the network is 203\.0\.113\.0\/24/);
            const open = await run(["admin-ip", "jetstream", "--add", "0.0.0.0/0"], { projectDir: project });
            assertOneLineError(open, /opens SSH and the Kubernetes API to the whole internet/, 3);
            assert.doesNotMatch(fs.readFileSync(stackFile(), "utf8"), /203\.0\.113|0\.0\.0\.0/);
        });

        describe("--mine: this machine's public IPv4 from an echo service, over IPv4 only", () => {
            let server: http.Server;
            let answer = "203.0.113.9\n";
            let url: string;
            before(async () => {
                server = http.createServer((_req, res) => res.end(answer));
                await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
                url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
            });
            after(() => server.close());

            it("adds the address as a /32, from --echo-url or ESIPHUB_IP_ECHO_URL", async () => {
                const r = await run(["admin-ip", "jetstream", "--mine", "--echo-url", url], { projectDir: project });
                assert.strictEqual(r.code, 0, r.stderr);
                assert.match(r.stdout, /^added 203\.0\.113\.9\/32 to esiphub:adminCidrs/);
                answer = "198.51.100.4";
                const env = await run(["admin-ip", "jetstream", "--mine"], { projectDir: project, env: { ESIPHUB_IP_ECHO_URL: url } });
                assert.match(env.stdout, /^added 198\.51\.100\.4\/32/);
                assert.match(fs.readFileSync(stackFile(), "utf8"), /- 203\.0\.113\.9\/32\n {4}- 198\.51\.100\.4\/32\n/);
            });

            it("an answer that is not an IPv4 address is refused, with the way round it", async () => {
                answer = "2001:db8::7";
                const r = await run(["admin-ip", "jetstream", "--mine", "--echo-url", url], { projectDir: project });
                assertOneLineError(r, /cannot learn this machine's public IPv4 address from .*: the answer "2001:db8::7" is not an IPv4 address; give it with --add A\.B\.C\.D\/32/);
            });

            it("never over IPv6: an echo service reachable only on ::1 is not asked", async function () {
                const v6 = http.createServer((_req, res) => res.end("203.0.113.66"));
                try {
                    await new Promise<void>((resolve, reject) => v6.once("error", reject).listen(0, "::1", resolve));
                } catch {
                    this.test!.title += " (skipped: no ::1 here)";
                    this.skip();
                }
                try {
                    const v6url = `http://localhost:${(v6.address() as AddressInfo).port}/`;
                    // This machine reaches it by name over IPv6, so the refusal below is the IPv4-only connection's doing.
                    const direct = await request(v6url).then((res) => res.body.text(), () => undefined);
                    if (direct !== "203.0.113.66") {
                        this.test!.title += " (skipped: localhost has no IPv6 address here)";
                        this.skip();
                    }
                    const r = await run(["admin-ip", "jetstream", "--mine", "--echo-url", v6url], { projectDir: project });
                    assertOneLineError(r, /cannot learn this machine's public IPv4 address from http:\/\/localhost:\d+\/: .*ECONNREFUSED/);
                } finally {
                    v6.close();
                }
            });
        });
    });
});
