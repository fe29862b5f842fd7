import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { AddressInfo } from "net";
import { parse } from "csv-parse/sync";
import { Automation } from "../../cli/automation";
import { FakeSite, loadEvents } from "./automation-double";
import { assertOneLineError, CliHarness, DATA_VOLUME, deployedJetstream, OUTPUTS, projectWith, RunSetup } from "./harness";
import { PROJECT_DIR } from "../mocks";

const harness = new CliHarness();
const run = (args: string[], setup?: RunSetup) => harness.run(args, setup);

describe("esiphub CLI (through the Automation double)", () => {
    let tmp: string;
    before(() => {
        harness.setUp();
        tmp = harness.tmp;
    });
    after(() => harness.tearDown());

    describe("up / preview / destroy / refresh", () => {
        it("up --yes: the summary, preview (for the total), update with progress, then the hub's address", async () => {
            const r = await run(["up", "jetstream", "--yes"], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls, ["stack jetstream create", "preview-up jetstream", "up jetstream", "outputs jetstream"]);
            // The answer first: 3 accounts fit on one auto-sized worker.
            assert.match(r.stdout, /^Site "jetstream" \(openstack, IU\)\n {2}Nodes: {3}1 × m3\.medium master \(8 vCPU, 30 GiB\) \+ 1 × m3\.large worker \(16 vCPU, 60 GiB\) = 2 VMs, 24 vCPU, 90 GiB RAM$/m);
            assert.ok(r.stdout.indexOf("Nodes:") < r.stdout.indexOf("Previewing"), "the summary comes before the preview");
            assert.match(r.stdout, /^\+-replace {2}openstack:compute\/instance:Instance {2}esiphub-jetstream-worker-1$/m);
            assert.match(r.stdout, /^Plan: 1 to create, 1 to update, 1 to replace, 1 to delete, 15 unchanged$/m);
            // The total of the progress is the preview's 19 steps.
            assert.match(r.stdout, /^\[\d+\/19\] replaced {2}openstack:compute\/instance:Instance {2}esiphub-jetstream-worker-1$/m);
            assert.match(r.stdout, /^Resources: 1 created, 1 updated, 1 replaced, 1 deleted, 15 unchanged in 3m21s$/m);
            assert.match(r.stdout, /^hubUrl: https:\/\/hub\.esipfed\.org$/m);
            assert.ok(!r.stdout.includes("Kp7mHd4Wz9Ty"), "no password printed");
            assert.strictEqual(r.stderr, "");
        });

        it("a new site: up creates the stack; destroy / outputs of a site never deployed say so", async () => {
            const sites: Record<string, FakeSite> = { jetstream: { exists: false } };
            const up = await run(["up", "jetstream", "--yes"], { sites });
            assert.strictEqual(up.code, 0, up.stderr);
            assert.deepStrictEqual(up.calls.slice(0, 2), ["stack jetstream create", "preview-up jetstream"]);
            const missing = await run(["outputs", "aws"]);
            assertOneLineError(missing, /site "aws" has no stack in the current Pulumi backend; deploy it with `esiphub up aws` \(stack files here: aws, jetstream, nebula\); without esiphub: `pulumi stack output -s aws --show-secrets`$/);
            const destroy = await run(["destroy", "aws", "--yes"]);
            assertOneLineError(destroy, /site "aws" has no stack in the current Pulumi backend.*; without esiphub: `pulumi destroy -s aws`$/);
        });

        it("without --yes it asks after the preview; no means nothing is changed", async () => {
            const no = await run(["up", "jetstream"], { sites: deployedJetstream(), answer: false });
            assertOneLineError(no, /update of site "jetstream" cancelled; nothing was changed/);
            assert.deepStrictEqual(no.questions, ['Do you want to update site "jetstream"? [y/N] ']);
            assert.deepStrictEqual(no.calls, ["stack jetstream create", "preview-up jetstream"]);

            const yes = await run(["up", "jetstream"], { sites: deployedJetstream(), answer: true });
            assert.strictEqual(yes.code, 0, yes.stderr);
            assert.ok(yes.calls.includes("up jetstream"));
        });

        it("without --yes and without a terminal it refuses rather than hangs", async () => {
            const r = await run(["up", "jetstream"], { sites: deployedJetstream() });
            assertOneLineError(r, /needs confirmation: pass --yes/);
            assert.ok(!r.calls.includes("up jetstream"));
        });

        it("--target (repeatable) limits preview and update", async () => {
            const a = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:kubeadm:Cluster$command:remote:Command::esiphub-jetstream-k8s-join-worker-2";
            const b = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts$openstack:compute/instance:Instance::esiphub-jetstream-worker-2";
            const r = await run(["up", "jetstream", "--target", a, "--yes", "--target", b], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls.slice(1, 3), [`preview-up jetstream target=${a},${b}`, `up jetstream target=${a},${b}`]);
            const p = await run(["preview", "jetstream", "--target", a], { sites: deployedJetstream() });
            assert.deepStrictEqual(p.calls, ["stack jetstream create", `preview-up jetstream target=${a}`]);
        });

        it("a failed update shows each failure with its message and exits 1 with one summary line", async () => {
            const sites = deployedJetstream();
            sites.jetstream.events!.up = loadEvents("jetstream-up-failed.jsonl");
            sites.jetstream.failures = { up: "update failed" };
            const r = await run(["up", "jetstream", "--yes"], { sites });
            assertOneLineError(r, /^esiphub: update of site "jetstream" failed: 1 failure, listed above$/);
            assert.match(r.stdout, /failed {2}command:remote:Command {2}esiphub-jetstream-k8s-join-worker-2: 1 error occurred:/);
            assert.match(r.stdout, /kubeadm join failed: couldn't validate the identity of the API Server: connection refused/);
            assert.ok(!r.calls.includes("outputs jetstream"));
        });

        it("a failure before any resource (e.g. no passphrase) is shown as the engine's one line", async () => {
            const sites = deployedJetstream({ failures: { "preview-up": "getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables" } });
            sites.jetstream.events = {};
            const r = await run(["preview", "jetstream"], { sites });
            assertOneLineError(r, /preview of site "jetstream" failed: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE/);
        });

        it("refresh: preview, confirm, refresh", async () => {
            const sites = deployedJetstream();
            sites.jetstream.events = {
                "preview-refresh": [{ sequence: 0, timestamp: 1, summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { same: 18, update: 1 }, policyPacks: {} } }],
            };
            const r = await run(["refresh", "jetstream"], { sites, answer: true });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.questions, ['Do you want to refresh the state of site "jetstream"? [y/N] ']);
            assert.deepStrictEqual(r.calls, ["stack jetstream select", "preview-refresh jetstream", "refresh jetstream"]);
            assert.match(r.stdout, /^Plan: 1 to update, 18 unchanged$/m);
        });
    });

    describe("up, preview and refresh check offline first, as plan does (exit 2 bad config, 3 policy)", () => {
        const noPulumi = () => ({ PATH: path.join(tmp, "empty-bin") });
        before(() => fs.mkdirSync(path.join(tmp, "empty-bin"), { recursive: true }));

        it("adminCidrs 0.0.0.0/0: the violations listed and exit 3, without needing the Pulumi CLI", async () => {
            const projectDir = projectWith(path.join(tmp, "open"), "jetstream", { "esiphub:users": 2, "esiphub:adminCidrs": ["0.0.0.0/0"] });
            for (const command of ["up", "preview", "refresh"]) {
                const r = await run([command, "jetstream", "--yes"].slice(0, command === "preview" ? 2 : 3), { projectDir, sites: deployedJetstream(), env: noPulumi() });
                assertOneLineError(r, /site "jetstream" has mandatory policy violation\(s\), listed above: fix them in Pulumi\.jetstream\.yaml/, 3);
                assert.match(r.stdout, /mandatory no-public-admin-ports .*admin-tcp-22-0-0-0-0-0/);
                assert.match(r.stdout, /mandatory no-public-admin-ports .*admin-tcp-6443-0-0-0-0-0/);
                assert.deepStrictEqual(r.calls, [], `${command}: Pulumi is never reached`);
            }
        });

        it("a fixed worker count too small for the accounts: exit 2 naming esiphub:workers, the capacity and the accounts", async () => {
            // Jetstream as shipped: 60 + 2 accounts of 4G on m3.large (15 each).
            const projectDir = projectWith(path.join(tmp, "two-workers"), "jetstream", { "esiphub:workers": "2" });
            const r = await run(["up", "jetstream", "--yes"], { projectDir, env: noPulumi() });
            assert.strictEqual(r.code, 2, r.stderr);
            assert.strictEqual(
                r.stderr,
                "esiphub: Pulumi.jetstream.yaml has 1 problem(s):\n" +
                    '  - esiphub:workers: 2: 2 workers of m3.large hold 15 users each at the 4G memory guarantee (esiphub:memoryGuarantee), a capacity of 30 for 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers); set esiphub:workers to 5 or "auto", or esiphub:maxServers to 30 (servers at once)\n',
            );
            assert.deepStrictEqual(r.calls, []);
        });

        it("a namespace typo (esihub:users) is an error with the name it meant, exit 2", async () => {
            const projectDir = projectWith(path.join(tmp, "typo"), "jetstream", { "esiphub:users": 2, "esihub:users": 10 });
            const r = await run(["preview", "jetstream"], { projectDir, env: noPulumi() });
            assert.strictEqual(r.code, 2, r.stderr);
            assert.match(r.stderr, /^ {2}- esihub:users: unknown namespace "esihub"; did you mean esiphub:users\? \(namespaces: esiphub, openstack, aws, kubernetes, random, command, pulumi\)$/m);
        });

        it("an unknown site is a bad config (exit 2), listing the known ones", async () => {
            const r = await run(["up", "nowhere", "--yes"]);
            assertOneLineError(r, /unknown site "nowhere": there is no Pulumi\.nowhere\.yaml in .* \(sites: aws, jetstream, nebula\)/, 2);
        });
    });

    describe("destroy and the data volume", () => {
        it("keepDataOnDestroy (default true) and a retained volume: destroy goes ahead, the volume stays in the cloud, and the note says how to delete it", async () => {
            const sites = deployedJetstream({ resources: [{ ...DATA_VOLUME, retainOnDelete: true, id: "4f1d" }] });
            const r = await run(["destroy", "jetstream", "--yes"], { sites });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls, ["stack jetstream select", "resources jetstream", "preview-destroy jetstream", "destroy jetstream"]);
            assert.match(r.stdout, /^Note: the data volume of site "jetstream" is kept \(retainOnDelete\) and still takes storage quota or money; delete it in the cloud when it is no longer needed \(openstack volume delete 4f1d\)$/m);
            assert.deepStrictEqual(sites.jetstream.deletedInCloud, [], "the engine dropped the retained volume without deleting it");
        });

        it("keepDataOnDestroy false: refused without --delete-data, before any preview", async () => {
            const sites = deployedJetstream({ config: { "esiphub:keepDataOnDestroy": "false" }, resources: [{ ...DATA_VOLUME, retainOnDelete: false }] });
            const refused = await run(["destroy", "jetstream", "--yes"], { sites });
            assertOneLineError(refused, /destroy would delete the data volume of site "jetstream" \(esiphub:keepDataOnDestroy is false\), with every user's files: pass --delete-data to go ahead; without esiphub: `pulumi destroy -s jetstream`$/);
            assert.ok(!refused.calls.some((c) => c.startsWith("preview-destroy") || c.startsWith("destroy")));

            const allowed = await run(["destroy", "jetstream", "--yes", "--delete-data"], { sites });
            assert.strictEqual(allowed.code, 0, allowed.stderr);
            assert.ok(allowed.calls.includes("destroy jetstream"));
            assert.deepStrictEqual(sites.jetstream.deletedInCloud, [DATA_VOLUME.urn]);
        });

        it("--delete-data with a retained volume: released in the state first, so that the destroy really deletes it", async () => {
            const sites = deployedJetstream({ resources: [{ ...DATA_VOLUME, retainOnDelete: true }] });
            const r = await run(["destroy", "jetstream", "--yes", "--delete-data"], { sites });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls, ["stack jetstream select", "resources jetstream", "preview-destroy jetstream", `deleteOnDestroy jetstream ${DATA_VOLUME.urn}`, "destroy jetstream"]);
            assert.deepStrictEqual(sites.jetstream.deletedInCloud, [DATA_VOLUME.urn]);
            assert.match(r.stdout, /^Note: the data volume of site "jetstream" was deleted, with every user's files$/m);
        });

        it("--delete-data without --yes: the operator types the site's name; anything else changes nothing", async () => {
            const question = /^This deletes every resource of site "jetstream" AND its data volume: every user's home and the shared scratch\. Type the site's name to go ahead: $/;
            const wrong = deployedJetstream({ resources: [{ ...DATA_VOLUME, retainOnDelete: true }] });
            const no = await run(["destroy", "jetstream", "--delete-data"], { sites: wrong, answer: "y" });
            assertOneLineError(no, /^esiphub: destroy of site "jetstream" cancelled \(the name typed was not "jetstream"\); nothing was changed$/);
            // The users' files go too: a backup is offered first (declined here), then the site's name is asked for.
            assert.match(no.questions[0], /^Back up every home and the shared folder to .*jetstream-\d{4}-\d{2}-\d{2} first\? \[y\/N\] $/);
            assert.match(no.questions[1], question);
            assert.ok(!no.calls.some((c) => /^(deleteOnDestroy|destroy) /.test(c)));
            assert.strictEqual(wrong.jetstream.resources!.length, 1);

            const right = deployedJetstream({ resources: [{ ...DATA_VOLUME, retainOnDelete: true }] });
            const yes = await run(["destroy", "jetstream", "--delete-data"], { sites: right, answer: "jetstream" });
            assert.strictEqual(yes.code, 0, yes.stderr);
            assert.deepStrictEqual(right.jetstream.deletedInCloud, [DATA_VOLUME.urn]);

            const noTerminal = await run(["destroy", "jetstream", "--delete-data"], { sites: deployedJetstream() });
            assertOneLineError(noTerminal, /deleting the data volume of site "jetstream" needs confirmation: pass --yes/);
        });

        it("keepDataOnDestroy true but the deployed volume not retained yet: refused, asking for an up first", async () => {
            const sites = deployedJetstream({ config: { "esiphub:keepDataOnDestroy": "true" }, resources: [{ ...DATA_VOLUME, retainOnDelete: false }] });
            const r = await run(["destroy", "jetstream", "--yes"], { sites });
            assertOneLineError(r, /esiphub:keepDataOnDestroy is true but the deployed volume is not retained yet; run `esiphub up jetstream` first/);
        });

        it("a destroy limited by --target checks only the targeted volumes", async () => {
            const sites = deployedJetstream({ config: { "esiphub:keepDataOnDestroy": "false" }, resources: [{ ...DATA_VOLUME, retainOnDelete: false }] });
            const other = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:kubeadm:Cluster$command:remote:Command::esiphub-jetstream-k8s-join-worker-2";
            const r = await run(["destroy", "jetstream", "--yes", "--target", other], { sites });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.ok(r.calls.includes(`destroy jetstream target=${other}`));
            const volume = await run(["destroy", "jetstream", "--yes", "--target", DATA_VOLUME.urn], { sites });
            assertOneLineError(volume, /destroy would delete the data volume/);
        });

        it("nothing deployed: nothing to lose", async () => {
            const sites = deployedJetstream({ config: { "esiphub:keepDataOnDestroy": "false" }, resources: [] });
            const r = await run(["destroy", "jetstream", "--yes"], { sites });
            assert.strictEqual(r.code, 0, r.stderr);
        });
    });

    describe("tear-down needs only the stack's name: a stack file that no longer validates does not stop it", () => {
        let broken: string;
        before(() => {
            // A typo added after the event.
            broken = projectWith(path.join(tmp, "broken"), "jetstream", { "esiphub:memoryLimt": "8G" });
        });
        const note = /^esiphub: note: Pulumi\.jetstream\.yaml does not validate \(esiphub:memoryLimt: unknown setting; did you mean esiphub:memoryLimit\? .*\); going on with the deployed stack, which does not need it$/m;

        it("destroy gets as far as needing the Pulumi CLI, and names the plain Pulumi way out", async () => {
            const r = await run(["destroy", "jetstream", "--yes"], { projectDir: broken, sites: deployedJetstream(), env: { PATH: path.join(tmp, "empty-bin") } });
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, note);
            assert.match(r.stderr, /^esiphub: the Pulumi CLI \(pulumi\) is not on PATH: install it with .*; without esiphub: `pulumi destroy -s jetstream`$/m);
        });

        it("destroy, outputs, credentials and dns work, each saying so", async () => {
            for (const command of [["destroy", "jetstream", "--yes"], ["outputs", "jetstream"], ["credentials", "jetstream"], ["dns", "jetstream"]]) {
                const r = await run(command, { projectDir: broken, sites: deployedJetstream() });
                assert.strictEqual(r.code, 0, `${command[0]}: ${r.stderr}`);
                assert.match(r.stderr, note, command[0]);
            }
        });

        it("no stack file at all: the deployed stack is still reachable", async () => {
            const gone = path.join(tmp, "gone");
            fs.mkdirSync(gone, { recursive: true });
            const r = await run(["outputs", "jetstream"], { projectDir: gone, sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /^hubUrl: https:\/\/hub\.esipfed\.org$/m);
        });

        it("each 'cannot' names its plain Pulumi command", async () => {
            const credentials = await run(["credentials", "jetstream"], { sites: { jetstream: { outputs: {} } } });
            assertOneLineError(credentials, /has no credentials output .*; without esiphub: `pulumi stack output credentials -s jetstream --show-secrets`$/);
            const dns = await run(["dns", "jetstream"], { sites: { jetstream: { outputs: {} } } });
            assertOneLineError(dns, /has no publicIp output .*; without esiphub: `pulumi stack output dnsRecords -s jetstream`$/);
        });
    });

    describe("errors: one clear line, exit 1", () => {
        it("unknown site, listing the known ones (a bad config for the commands that read the stack file: exit 2)", async () => {
            for (const command of [["up", "nowhere", "--yes"], ["cost", "nowhere"]]) {
                const r = await run(command);
                assertOneLineError(r, /unknown site "nowhere": there is no Pulumi\.nowhere\.yaml in .* \(sites: aws, jetstream, nebula\)/, 2);
                assert.deepStrictEqual(r.calls, []);
            }
            // A name no stack can have is refused before any file or stack is looked up.
            const dns = await run(["dns", "../aws"]);
            assertOneLineError(dns, /^esiphub: "\.\.\/aws" is not a site name: use letters, digits, \., _ and - \(sites: aws, jetstream, nebula\)/);
            assert.deepStrictEqual(dns.calls, []);
        });

        it("no Pulumi CLI on PATH, with how to install it", async () => {
            const empty = path.join(tmp, "empty-bin");
            fs.mkdirSync(empty, { recursive: true });
            for (const command of [["up", "jetstream", "--yes"], ["outputs", "jetstream"], ["credentials", "jetstream"], ["dns", "jetstream"], ["kubeconfig", "jetstream"]]) {
                const r = await run(command, { sites: deployedJetstream(), env: { PATH: `${empty}:/nonexistent` } });
                assertOneLineError(r, /the Pulumi CLI \(pulumi\) is not on PATH: install it with scripts\/install-pulumi\.sh \(the pinned version, sha256 checked\)/);
                assert.deepStrictEqual(r.calls, []);
            }
        });

        it("missing OpenStack / AWS credentials for the operations that reach the cloud", async () => {
            const noOs = await run(["up", "jetstream", "--yes"], { sites: deployedJetstream(), env: { OS_APPLICATION_CREDENTIAL_ID: undefined, OS_APPLICATION_CREDENTIAL_SECRET: undefined } });
            assertOneLineError(noOs, /site "jetstream" \(openstack\): no OpenStack credentials: source your cloud's openrc/);
            const noAws = await run(["destroy", "aws", "--yes"], { env: { AWS_PROFILE: undefined } });
            assertOneLineError(noAws, /site "aws" \(aws\): no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
            assert.deepStrictEqual(noAws.calls, []);
            // Reading outputs needs the backend, not the cloud.
            const outputs = await run(["outputs", "jetstream"], { sites: deployedJetstream(), env: { OS_APPLICATION_CREDENTIAL_ID: undefined } });
            assert.strictEqual(outputs.code, 0, outputs.stderr);
        });

        it("an unexpected exception is still one line", async () => {
            const broken: Automation = {
                stack: async () => {
                    throw new TypeError("Cannot read properties of undefined (reading 'resources')");
                },
            };
            const r = await run(["outputs", "jetstream"], { automation: broken });
            assertOneLineError(r, /^esiphub: unexpected error: Cannot read properties of undefined \(reading 'resources'\) \(set ESIPHUB_DEBUG=1 for details\)$/);
        });

        it("bad options are refused by the parser with a non-zero exit", async () => {
            const users = await run(["cost", "jetstream", "--users", "ten"]);
            assert.notStrictEqual(users.code, 0);
            assert.match(users.stderr, /option '--users <n>' argument 'ten' is invalid\. must be a whole number/);
            const format = await run(["credentials", "jetstream", "--format", "pdf"]);
            assert.notStrictEqual(format.code, 0);
            assert.match(format.stderr, /Allowed choices are csv, html/);
        });

        it("--help lists every command and exits 0", async () => {
            const r = await run(["--help"]);
            assert.strictEqual(r.code, 0);
            for (const command of ["up", "preview", "destroy", "refresh", "outputs", "credentials", "dns", "cost", "plan", "loadtest", "kubeconfig", "ssh", "admin-ip"]) {
                assert.match(r.stdout, new RegExp(`^  ${command} `, "m"), `${command} is listed`);
            }
        });
    });

    it("--version prints the package's version", async () => {
        const r = await run(["--version"]);
        assert.strictEqual(r.code, 0);
        assert.strictEqual(r.stdout, `${JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).version}\n`);
    });

    describe("outputs", () => {
        it("text: secrets hidden; --show-secrets shows them, multi-line values indented", async () => {
            const hidden = await run(["outputs", "jetstream"], { sites: deployedJetstream() });
            assert.strictEqual(hidden.code, 0);
            assert.strictEqual(
                hidden.stdout,
                [
                    "hubUrl: https://hub.esipfed.org",
                    "publicIp: 149.165.157.42",
                    "masterPrivateIp: 10.42.0.10",
                    "workerPrivateIps: |",
                    "  [",
                    '    "10.42.0.12",',
                    '    "10.42.0.13"',
                    "  ]",
                    "sshCommand: ssh -i KEY ubuntu@149.165.157.42",
                    "workers: 5",
                    "credentials: [secret]",
                    "kubeconfig: [secret]",
                    "",
                ].join("\n"),
            );
            const shown = await run(["outputs", "jetstream", "--show-secrets"], { sites: deployedJetstream() });
            assert.match(shown.stdout, /^kubeconfig: \|\n {2}apiVersion: v1\n {2}kind: Config$/m);
            assert.match(shown.stdout, /"password": "Kp7mHd4Wz9Ty"/);
        });

        it("--json", async () => {
            const r = await run(["outputs", "jetstream", "--json"], { sites: deployedJetstream() });
            const doc = JSON.parse(r.stdout);
            assert.deepStrictEqual(doc, {
                hubUrl: "https://hub.esipfed.org",
                publicIp: "149.165.157.42",
                masterPrivateIp: "10.42.0.10",
                workerPrivateIps: ["10.42.0.12", "10.42.0.13"],
                sshCommand: "ssh -i KEY ubuntu@149.165.157.42",
                workers: 5,
                credentials: "[secret]",
                kubeconfig: "[secret]",
            });
            const secrets = JSON.parse((await run(["outputs", "jetstream", "--json", "--show-secrets"], { sites: deployedJetstream() })).stdout);
            assert.deepStrictEqual(secrets.credentials, OUTPUTS.credentials.value);
        });
    });

    describe("credentials", () => {
        it("csv to standard output: header username,password, one row per account", async () => {
            const r = await run(["credentials", "jetstream", "--format", "csv"], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout.split("\n")[0], "username,password");
            assert.deepStrictEqual(parse(r.stdout, { columns: true }), OUTPUTS.credentials.value);
        });

        it("html to a file readable by the owner only, one card per account", async () => {
            const out = path.join(tmp, "cards.html");
            const r = await run(["credentials", "jetstream", "--format", "html", "--out", out], { sites: deployedJetstream() });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout, `wrote 2 accounts (html) to ${out}\n`);
            assert.strictEqual(fs.statSync(out).mode & 0o777, 0o600);
            const html = fs.readFileSync(out, "utf8");
            assert.strictEqual(html.match(/<section class="card"/g)?.length, 2);
            assert.ok(html.includes('data-username="instructor"'));
            assert.ok(html.includes("https://hub.esipfed.org"));
        });

        it("the admins' cards on a sheet of their own; --attendees-only leaves them out of the cards and the CSV", async () => {
            const sites = deployedJetstream({ outputs: { ...OUTPUTS, adminUsers: { value: ["instructor"], secret: false } } });
            const all = await run(["credentials", "jetstream", "--format", "html"], { sites });
            assert.strictEqual(all.code, 0, all.stderr);
            assert.match(all.stdout, /<section class="organisers">[\s\S]*data-username="instructor"/);
            for (const format of ["html", "csv"]) {
                const only = await run(["credentials", "jetstream", "--format", format, "--attendees-only"], { sites });
                assert.strictEqual(only.code, 0, only.stderr);
                assert.ok(only.stdout.includes("workshop-01"), format);
                assert.ok(!only.stdout.includes("instructor") && !only.stdout.includes("Rb3sNq48Ve72Ls"), `${format} holds no admin account`);
            }
            // Without the adminUsers output, which cards are the admins' is unknown: nothing is printed.
            const unknown = await run(["credentials", "jetstream", "--attendees-only"], { sites: deployedJetstream() });
            assertOneLineError(unknown, /site "jetstream" has no adminUsers output/);
        });

        it("a site without the output (not deployed yet) is one line", async () => {
            const r = await run(["credentials", "jetstream"], { sites: { jetstream: { outputs: {} } } });
            assertOneLineError(r, /site "jetstream" has no credentials output \(is it deployed\? run `esiphub up jetstream`\)/);
        });
    });

    describe("dns", () => {
        it("zone, nsupdate and json for the hostname of the stack file and the deployed public IP", async () => {
            // Pulumi.jetstream.yaml: hubHostname hub.esipfed.org, dnsTtl default 300.
            const zone = await run(["dns", "jetstream", "--format", "zone"], { sites: deployedJetstream() });
            assert.strictEqual(zone.stdout, "hub.esipfed.org.\t300\tIN\tA\t149.165.157.42\n");
            const nsupdate = await run(["dns", "jetstream", "--format", "nsupdate"], { sites: deployedJetstream() });
            assert.strictEqual(nsupdate.stdout, "update delete hub.esipfed.org. A\nupdate add hub.esipfed.org. 300 A 149.165.157.42\nsend\n");
            const json = await run(["dns", "jetstream", "--format", "json"], { sites: deployedJetstream() });
            assert.deepStrictEqual(JSON.parse(json.stdout), [{ name: "hub.esipfed.org.", type: "A", ttl: 300, value: "149.165.157.42" }]);
        });

        it("with esiphub:dnsZone (aws: route53, esipfed.org) the nsupdate script names the zone", async () => {
            const sites = { aws: { outputs: { publicIp: { value: "3.91.20.7", secret: false } } } };
            const r = await run(["dns", "aws", "--format", "nsupdate"], { sites });
            assert.strictEqual(r.stdout, "zone esipfed.org.\nupdate delete aws-hub.esipfed.org. A\nupdate add aws-hub.esipfed.org. 300 A 3.91.20.7\nsend\n");
        });

        it("the deployed records (the stack's dnsRecords output) win over the stack file", async () => {
            const deployed = [{ name: "hub.esipfed.org.", type: "A", ttl: 600, value: "149.165.157.42" }];
            const sites = deployedJetstream({ outputs: { ...OUTPUTS, dnsRecords: { value: deployed, secret: false } } });
            const r = await run(["dns", "jetstream", "--format", "json"], { sites });
            assert.deepStrictEqual(JSON.parse(r.stdout), deployed);
        });

        it("a site without a hostname has nothing to publish", async () => {
            const projectDir = projectWith(path.join(tmp, "no-name"), "nebula", { "esiphub:hubHostname": undefined, "esiphub:allowPlainHttp": true });
            const r = await run(["dns", "nebula"], { projectDir, sites: { nebula: { outputs: OUTPUTS } } });
            assertOneLineError(r, /site "nebula" has no esiphub:hubHostname, so there is nothing to publish/);
        });

        it("a site with an automatic name (hubHostname auto) has nothing to publish either: sslip.io answers for it", async () => {
            const r = await run(["dns", "nebula"], { sites: { nebula: { outputs: OUTPUTS } } });
            assertOneLineError(r, /site "nebula" has an automatic name \(esiphub:hubHostname auto\): sslip\.io answers for it, so there is no record to publish/);
        });
    });

    describe("cost", () => {
        const full = { projectDir: PROJECT_DIR };

        it("needs neither the Pulumi CLI nor credentials: only the stack file", async () => {
            const r = await run(["cost", "jetstream", "--json"], { ...full, env: { PATH: "/nonexistent", OS_APPLICATION_CREDENTIAL_ID: undefined } });
            assert.strictEqual(r.code, 0, r.stderr);
            const e = JSON.parse(r.stdout);
            // 8 vCPU × 730 h; 8 × 4 + 5 × 16 × 4 (see test/cost/estimate.test.ts)
            assert.strictEqual(e.development.total, 5840);
            assert.strictEqual(e.workshop.total, 352);
            assert.deepStrictEqual(r.calls, []);
        });

        it("--users N means what esiphub:users means: the extra accounts come on top, as in the deployed site", async () => {
            // Pulumi.jetstream.yaml: users 60 and 2 extra users. Before, --users 60 gave 4 workers / 288 SU.
            const cost = JSON.parse((await run(["cost", "jetstream", "--users", "60", "--json"], full)).stdout);
            const plan = await run(["plan", "jetstream", "--json"], full);
            const planned = JSON.parse(plan.stdout);
            assert.strictEqual(cost.users, 62);
            assert.strictEqual(cost.workshop.workers, planned.outputs.workers);
            assert.strictEqual(cost.workshop.workers, 5);
            assert.strictEqual(cost.workshop.total, planned.summary.cost.perWorkshop);
            assert.strictEqual(cost.workshop.total, 352);
        });

        it("--users and --hours", async () => {
            // 30 + 2 extra = 32 accounts: ceil(32 / 15) = 3 workers; (8 + 3 × 16) × 8 h = 448 SU.
            const r = await run(["cost", "jetstream", "--users", "30", "--hours", "8", "--json"], full);
            const e = JSON.parse(r.stdout);
            assert.strictEqual(e.workshop.workers, 3);
            assert.strictEqual(e.workshop.total, 448);
            // 30 + instructor = 31 on r5.2xlarge (16 each): 2 workers.
            const text = await run(["cost", "aws", "--users", "30", "--hours", "3"], full);
            assert.match(text.stdout, /^Workshop scale: 31 users for 3 h: the master and 2 workers of r5\.2xlarge$/m);
            assert.match(text.stdout, /^ {2}Total +\$3\.97$/m);
        });

        it("--users out of the documented range is esiphub:users's own error, exit 2", async () => {
            const r = await run(["cost", "jetstream", "--users", "1001"], full);
            assert.strictEqual(r.code, 2);
            assert.strictEqual(r.stderr, 'esiphub: Pulumi.jetstream.yaml has 1 problem(s):\n  - esiphub:users: must be an integer from 1 to 1000, got "1001"\n(--users 1001 stands for esiphub:users)\n');
            // The documented maximum with its 2 extra accounts is fine: 1002 accounts on ceil(1002 / 15) = 67 workers.
            const max = JSON.parse((await run(["cost", "jetstream", "--users", "1000", "--json"], full)).stdout);
            assert.strictEqual(max.users, 1002);
            assert.strictEqual(max.workshop.workers, 67);
        });

        it("a limit of servers at once: sized for it; --users N sizes for every account of N and says so", async () => {
            const dir = projectWith(path.join(tmp, "cost-limited"), "jetstream", { "esiphub:maxServers": 45 });
            const limited = await run(["cost", "jetstream"], { projectDir: dir });
            assert.match(limited.stdout, /^Workshop scale: 45 servers at once \(esiphub:maxServers\) of 62 accounts for 4 h: the master and 3 workers of m3\.large$/m);
            // 30 + 2 extra = 32 accounts, all at once: 3 workers (45 would be more than the accounts).
            const users = await run(["cost", "jetstream", "--users", "30"], { projectDir: dir });
            assert.strictEqual(users.code, 0, users.stderr);
            assert.match(users.stdout, /^Workshop scale: 32 users for 4 h: the master and 3 workers of m3\.large$/m);
            assert.match(users.stdout, /^Note: esiphub:maxServers is 45 in the stack; workshop scale is sized for every account's server at once instead$/m);
        });

        it("the kept data volume is a line of its own, per month after destroy", async () => {
            const r = await run(["cost", "aws"], full);
            // 800 GB × $0.08 per GB-month.
            assert.match(r.stdout, /^After destroy: the data volume kept by esiphub:keepDataOnDestroy, per month \(730 h\) until it is deleted\n {2}data volume 800 GB \(kept\) +1 × 800 GB × 0\.08 \$\/GB-month × 1 month +\$64\.00\n {2}Total +\$64\.00$/m);
        });

        it("--config-file estimates another stack file; a bad one exits 2 with every problem", async () => {
            const dir = projectWith(path.join(tmp, "cost-file"), "jetstream", { "esiphub:workers": "3", "esiphub:users": 30 });
            const e = JSON.parse((await run(["cost", "sdsc", "--config-file", path.join(dir, "Pulumi.jetstream.yaml"), "--json"], full)).stdout);
            assert.strictEqual(e.site, "sdsc");
            assert.strictEqual(e.workshop.workers, 3);
            const bad = projectWith(path.join(tmp, "cost-bad"), "jetstream", { "esiphub:workers": "2" });
            const r = await run(["cost", "jetstream"], { projectDir: bad });
            assert.strictEqual(r.code, 2);
            assert.match(r.stderr, /^ {2}- esiphub:workers: 2: 2 workers of m3\.large hold 15 users each/m);
        });
    });

    describe("plan (registered with the CLI's own output)", () => {
        it("--json on a bad config prints JSON naming the key, and exits 2", async () => {
            const dir = projectWith(path.join(tmp, "plan-bad"), "jetstream", { "esiphub:memoryLimt": "8G" });
            const r = await run(["plan", "jetstream", "--json"], { projectDir: dir });
            assert.strictEqual(r.code, 2);
            assert.deepStrictEqual(JSON.parse(r.stdout), {
                site: "jetstream",
                problems: ["esiphub:memoryLimt: unknown setting; did you mean esiphub:memoryLimit? (the settings are listed in Pulumi.yaml and the README)"],
            });
        });
    });

    describe("loadtest (wired to cli/loadtest)", () => {
        it("an option problem is one line naming the option", async () => {
            const r = await run(["loadtest", "--hub", "http://127.0.0.1:9"]);
            assertOneLineError(r, /^esiphub: loadtest: give the accounts with either --credentials FILE or --site SITE \(exactly one\)$/);
        });

        it("--site takes the accounts from the deployed stack; a hub that fails every user means exit 1 and a report", async () => {
            // A hub that answers 503 to everything, on 127.0.0.1.
            const server = http.createServer((_req, res) => {
                res.writeHead(503, { "Content-Type": "text/plain" });
                res.end("unavailable");
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            const port = (server.address() as AddressInfo).port;
            try {
                const r = await run(["loadtest", "--site", "jetstream", "--hub", `http://127.0.0.1:${port}`, "--timeout", "5", "--json"], { sites: deployedJetstream() });
                assert.strictEqual(r.code, 1, r.stderr);
                assert.deepStrictEqual(r.calls, ["stack jetstream select", "outputs jetstream"]);
                const report = JSON.parse(r.stdout);
                assert.strictEqual(report.hub, `http://127.0.0.1:${port}`);
                assert.deepStrictEqual(report.users.map((u: { username: string }) => u.username).sort(), ["instructor", "workshop-01"]);
                assert.strictEqual(report.failed, 2);
            } finally {
                server.close();
            }
        });
    });
});
