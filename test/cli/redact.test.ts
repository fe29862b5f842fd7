/**
 * No secret on an error path: cli/redact.ts takes known secret shapes out of text, and the CLI runs every engine
 * event, progress line and error through it. The leak it stops: @pulumi/command puts a failed command's whole stdout
 * and stderr in its error (pulumi-command provider/pkg/provider/remote/commandOutputs.go), which reaches the CLI as
 * the resource's diagnostic and, through the Pulumi CLI's stderr, in the operation's error.
 */
import * as assert from "assert";
import * as bcrypt from "bcryptjs";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { ProgressDisplay } from "../../cli/progress";
import { redact, REDACTED_KEY } from "../../cli/redact";
import { offlineEd25519 } from "../../plan/state";
import { CliHarness, deployedJetstream } from "./harness";
import { loadEvents } from "./automation-double";

const HOST_KEY = offlineEd25519("esiphub-jetstream-openstack-jetstream-master-host-key").privateKeyOpenssh;
const CLIENT_KEY_PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw\n-----END RSA PRIVATE KEY-----\n";
const CLIENT_KEY_DATA = Buffer.from(CLIENT_KEY_PEM).toString("base64");
const CLIENT_CERT_DATA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIDITCCAgmgAwIBAgIIQ2x1c3RlckFkbWluMA0GCSqGSIb3DQEBCwUA\n-----END CERTIFICATE-----\n").toString("base64");
const JOIN_TOKEN = "k3x9qa.7fz2m8wq1c4v6b0n";
const CA_HASH = "sha256:8c4b0d3f9a1e2c7b6d5f4e3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c";
const BCRYPT = bcrypt.hashSync("Kp7mHd4Wz9Ty", 4);
const BEARER = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjQ2In0.c2VydmljZWFjY291bnQ";

/** The pieces of each secret that must not appear anywhere, long enough not to match by chance. */
const SECRETS: [string, string][] = [
    ["host key", HOST_KEY.split("\n")[1]],
    ["client key (PEM)", CLIENT_KEY_PEM.split("\n")[1]],
    ["client-key-data", CLIENT_KEY_DATA.slice(20, 80)],
    ["client-certificate-data", CLIENT_CERT_DATA.slice(20, 80)],
    ["join token", JOIN_TOKEN],
    ["join token's secret", JOIN_TOKEN.split(".")[1]],
    ["CA hash", CA_HASH.slice(7)],
    ["bcrypt hash", BCRYPT.slice(7)],
    ["bearer token", BEARER],
];

function leaksIn(text: string): string[] {
    return SECRETS.filter(([, value]) => text.includes(value)).map(([what]) => what);
}

/** What a failed kubeconfig step's output looks like once @pulumi/command has put it in the error. */
const COMMAND_ERROR = [
    "1 error occurred:",
    '\t* Process exited with status 1: running "sudo bash -s":',
    "esiphub: kubeconfig: reading /etc/kubernetes/admin.conf",
    "apiVersion: v1",
    "users:",
    "- name: kubernetes-admin",
    "  user:",
    `    client-certificate-data: ${CLIENT_CERT_DATA}`,
    `    client-key-data: ${CLIENT_KEY_DATA}`,
    `    token: ${BEARER}`,
    CLIENT_KEY_PEM.trimEnd(),
    HOST_KEY.trimEnd(),
    `kubeadm join 10.42.0.10:6443 --token ${JOIN_TOKEN} --discovery-token-ca-cert-hash ${CA_HASH}`,
    `workshop-01:${BCRYPT}`,
    "esiphub: kubeconfig: failed (exit 1)",
    "",
].join("\n");

const URN = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:kubeadm:Cluster$command:remote:Command::esiphub-jetstream-k8s-kubeconfig";
const meta = { op: "create", urn: URN, type: "command:remote:Command", provider: "" };

/** An update whose kubeconfig step fails with its output in the error, as the engine reports it. */
function leakyUpdate(): EngineEvent[] {
    return [
        { sequence: 0, timestamp: 1, resourcePreEvent: { metadata: meta } },
        { sequence: 1, timestamp: 2, diagnosticEvent: { urn: URN, prefix: "", message: `${COMMAND_ERROR.split("\n").slice(2, 10).join("\n")}\n`, color: "never", severity: "info" } },
        { sequence: 2, timestamp: 3, diagnosticEvent: { urn: URN, prefix: "error: ", message: COMMAND_ERROR, color: "never", severity: "error" } },
        { sequence: 3, timestamp: 4, resOpFailedEvent: { metadata: meta, status: 1, steps: 1 } },
        { sequence: 4, timestamp: 5, summaryEvent: { maybeCorrupt: false, durationSeconds: 200, resourceChanges: { create: 3 }, policyPacks: {} } },
        { sequence: 5, timestamp: 6, diagnosticEvent: { prefix: "error: ", message: "update failed", color: "never", severity: "error" } },
    ] as unknown as EngineEvent[];
}

describe("redact: known secret shapes out of every error and progress line", () => {
    it("takes out private keys, kubeconfig credentials, join tokens and hashes, bcrypt hashes", () => {
        const out = redact(COMMAND_ERROR);
        assert.deepStrictEqual(leaksIn(out), []);
        // What is left still says what failed, and where.
        assert.match(out, /Process exited with status 1: running "sudo bash -s":/);
        assert.match(out, /^esiphub: kubeconfig: failed \(exit 1\)$/m);
        assert.match(out, /^ {4}client-key-data: \[redacted\]$/m);
        assert.match(out, /^ {4}client-certificate-data: \[redacted\]$/m);
        assert.match(out, /^ {4}token: \[redacted\]$/m);
        assert.match(out, /^kubeadm join 10\.42\.0\.10:6443 --token \[redacted\] --discovery-token-ca-cert-hash \[redacted\]$/m);
        assert.match(out, /^workshop-01:\[redacted\]$/m);
        assert.strictEqual(out.split(REDACTED_KEY).length - 1, 2, "both private keys, each on its own");
        assert.strictEqual(redact(out), out, "redacting again changes nothing (the CLI redacts an event, then its lines)");
    });

    it("a private key cut off by the end of a message is still taken out", () => {
        const cut = `error: ${HOST_KEY.slice(0, 120)}`;
        assert.strictEqual(redact(cut), `error: ${REDACTED_KEY}`);
    });

    it("the same shapes inside JSON (quoted, escaped newlines), and a bootstrap token on its own", () => {
        const json = JSON.stringify({ kubeconfig: { "client-key-data": CLIENT_KEY_DATA, token: BEARER }, key: HOST_KEY, log: `token ${JOIN_TOKEN} made` });
        assert.deepStrictEqual(leaksIn(redact(json)), []);
        assert.doesNotThrow(() => JSON.parse(redact(json)), "still JSON");
    });

    it("leaves the project's own messages alone", () => {
        const lines = [
            "esiphub: join-token: a bootstrap token for this join, valid 30m",
            "esiphub: kubeadm-join: esiphub-jetstream-worker-02 joins (its messages follow)",
            "esiphub: kubeadm: join: kubeadm join failed: couldn't validate the identity of the API Server: connection refused",
            'couldn\'t validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "k3x9qa"',
            "[14/18] failed  command:remote:Command  esiphub-jetstream-k8s-join-worker-2: 1 error occurred:",
            "ssh -i ~/.ssh/esiphub ubuntu@149.165.157.42",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICMpNnkWvYera/KYEu4lOQkweXHbsoJPiH9FkT859z/w",
        ];
        for (const line of lines) assert.strictEqual(redact(line), line);
        // A recorded update's every message, untouched.
        for (const e of loadEvents("jetstream-up-failed.jsonl")) {
            if (e.diagnosticEvent) assert.strictEqual(redact(e.diagnosticEvent.message), e.diagnosticEvent.message);
        }
    });

    it("the progress display (up, destroy, scale) shows a step's output redacted: its failure lines, its status line (the latest log line)", () => {
        const events = leakyUpdate();
        assert.strictEqual(leaksIn(JSON.stringify(events)).length, SECRETS.length, "the events had them all");
        let shown = "";
        const display = new ProgressDisplay({ write: (text: string) => (shown += text), isTTY: true, columns: 400 }, { operation: "up", total: 3 });
        for (const e of events.slice(0, 2)) display.handle(e); // the info line is the running step's status
        for (const e of events.slice(2)) display.handle(e);
        const report = display.finish();
        assert.deepStrictEqual(leaksIn(shown), []);
        assert.deepStrictEqual(leaksIn(JSON.stringify(report)), [], "nor in the failures it reports");
        assert.match(shown, /failed {2}command:remote:Command {2}esiphub-jetstream-k8s-kubeconfig: 1 error occurred:/);
        assert.match(shown, /client-key-data: \[redacted\]/);
    });

    describe("through the CLI: a step that fails after its output held secrets", () => {
        const harness = new CliHarness();
        before(() => harness.setUp());
        after(() => harness.tearDown());

        it("`esiphub up` prints none of them, on the terminal or in its error, and still says what failed", async function () {
            this.timeout(5 * 60 * 1000);
            const failure = `1 error occurred: ${COMMAND_ERROR}`;
            const sites = deployedJetstream({ events: { "preview-up": loadEvents("jetstream-update.preview.jsonl"), up: leakyUpdate() }, failures: { up: failure } });
            const run = await harness.run(["up", "jetstream", "--yes"], { sites });
            assert.notStrictEqual(run.code, 0);
            assert.deepStrictEqual(leaksIn(run.stdout), [], "standard output");
            assert.deepStrictEqual(leaksIn(run.stderr), [], "standard error");
            assert.match(run.stdout, /failed {2}command:remote:Command {2}esiphub-jetstream-k8s-kubeconfig: 1 error occurred:/);
            assert.match(run.stdout, /esiphub: kubeconfig: failed \(exit 1\)/);
            assert.match(run.stdout, /client-key-data: \[redacted\]/);
            assert.match(run.stderr, /^esiphub: update of site "jetstream" failed: 1 failure, listed above$/m);
        });

        it("an operation error with no failure listed (the Pulumi CLI's own message) is printed redacted", async function () {
            this.timeout(5 * 60 * 1000);
            const sites = deployedJetstream({ events: { "preview-up": loadEvents("jetstream-update.preview.jsonl"), up: [] }, failures: { up: `error: ${COMMAND_ERROR}` } });
            const run = await harness.run(["up", "jetstream", "--yes"], { sites });
            assert.notStrictEqual(run.code, 0);
            assert.deepStrictEqual(leaksIn(run.stdout + run.stderr), []);
            assert.match(run.stderr, /^esiphub: update of site "jetstream" failed: error: 1 error occurred:/m);
        });
    });
});
