import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import {
    AutomationError,
    cloudCredentialsProblem,
    commandErrorLine,
    findExecutable,
    PulumiAutomation,
    StackMissingError,
} from "../../cli/automation";
import { PROJECT_DIR } from "../mocks";

let tmp: string;

describe("automation layer", () => {
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-automation-"));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("findExecutable: an executable file on PATH, not a plain file or a directory", () => {
        const a = path.join(tmp, "a");
        const b = path.join(tmp, "b");
        const c = path.join(tmp, "c");
        for (const d of [a, b, c]) fs.mkdirSync(d);
        fs.writeFileSync(path.join(a, "pulumi"), "not executable", { mode: 0o644 });
        fs.mkdirSync(path.join(b, "pulumi"));
        fs.writeFileSync(path.join(c, "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
        assert.strictEqual(findExecutable("pulumi", [a, b].join(path.delimiter)), undefined);
        assert.strictEqual(findExecutable("pulumi", ["", a, b, c].join(path.delimiter)), path.join(c, "pulumi"));
        assert.strictEqual(findExecutable("pulumi", undefined), undefined);
    });

    describe("cloud credentials", () => {
        const home = () => path.join(tmp, "home");
        before(() => fs.mkdirSync(home(), { recursive: true }));

        it("OpenStack: application credentials, user/password, token, or a clouds.yaml named by OS_CLOUD", () => {
            const problem = (env: Record<string, string>, config: Record<string, string> = {}) => cloudCredentialsProblem("openstack", config, env, home());
            assert.match(problem({})!, /^no OpenStack credentials: source your cloud's openrc/);
            assert.strictEqual(problem({ OS_APPLICATION_CREDENTIAL_ID: "x", OS_APPLICATION_CREDENTIAL_SECRET: "y" }), undefined);
            assert.ok(problem({ OS_APPLICATION_CREDENTIAL_ID: "x" }), "an id without its secret is not enough");
            assert.strictEqual(problem({ OS_USERNAME: "ann", OS_PASSWORD: "pw" }), undefined);
            assert.strictEqual(problem({ OS_TOKEN: "t" }), undefined);
            assert.strictEqual(problem({}, { "openstack:applicationCredentialId": "x", "openstack:applicationCredentialSecret": "y" }), undefined);
            // OS_CLOUD needs a clouds.yaml where the OpenStack tools look for one.
            assert.ok(problem({ OS_CLOUD: "js2" }));
            fs.mkdirSync(path.join(home(), ".config/openstack"), { recursive: true });
            fs.writeFileSync(path.join(home(), ".config/openstack/clouds.yaml"), "clouds: {}\n");
            assert.strictEqual(problem({ OS_CLOUD: "js2" }), undefined);
        });

        it("AWS: keys, a profile, web identity, or the shared files", () => {
            const problem = (env: Record<string, string>, config: Record<string, string> = {}) => cloudCredentialsProblem("aws", config, env, home());
            assert.match(problem({})!, /^no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
            assert.ok(problem({ AWS_ACCESS_KEY_ID: "AKIA" }), "a key id without its secret is not enough");
            assert.strictEqual(problem({ AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s" }), undefined);
            assert.strictEqual(problem({ AWS_PROFILE: "esiphub" }), undefined);
            assert.strictEqual(problem({ AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/token" }), undefined);
            assert.strictEqual(problem({}, { "aws:profile": "esiphub" }), undefined);
            assert.strictEqual(problem({ ESIPHUB_SKIP_CREDENTIALS_CHECK: "1" }), undefined);
            fs.mkdirSync(path.join(home(), ".aws"), { recursive: true });
            fs.writeFileSync(path.join(home(), ".aws/credentials"), "[default]\n");
            assert.strictEqual(problem({}), undefined);
        });
    });

    it("commandErrorLine: the first error line of the CLI's stderr", () => {
        const text = (stderr: string, err = "") => `code: 255\n stdout: \n stderr: ${stderr}\n err?: ${err}\n`;
        assert.strictEqual(
            commandErrorLine(text("error: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables\n")),
            "getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables",
        );
        assert.strictEqual(
            commandErrorLine(text("warning: A new version of Pulumi is available.\n\x1b[31merror: \x1b[0mPULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n")),
            "PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
        );
        assert.strictEqual(commandErrorLine(text("panic: something odd\n")), "panic: something odd");
        assert.strictEqual(commandErrorLine(text("", "Error: spawn pulumi ENOENT\n    at Process.ChildProcess._handle.onexit")), "Error: spawn pulumi ENOENT");
    });

    describe("PulumiAutomation against a scripted Pulumi CLI", () => {
        let savedPath: string | undefined;
        let log: string;

        before(() => {
            const bin = path.join(tmp, "fake-bin");
            fs.mkdirSync(bin);
            fs.copyFileSync(path.join(__dirname, "fake-pulumi.sh"), path.join(bin, "pulumi"));
            fs.chmodSync(path.join(bin, "pulumi"), 0o755);
            log = path.join(tmp, "pulumi.log");
            savedPath = process.env.PATH;
            // The Automation API runs `pulumi` from PATH with the environment of this process.
            process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
            process.env.FAKE_PULUMI_LOG = log;
            process.env.FAKE_PULUMI_FIXTURES = path.join(__dirname, "fixtures");
            process.env.FAKE_PULUMI_EVENTS = path.join(__dirname, "fake-pulumi-events.js");
            process.env.FAKE_PULUMI_IMPORTED = path.join(tmp, "imported.json");
        });
        after(() => {
            process.env.PATH = savedPath;
            delete process.env.FAKE_PULUMI_LOG;
            delete process.env.FAKE_PULUMI_FIXTURES;
            delete process.env.FAKE_PULUMI_EVENTS;
            delete process.env.FAKE_PULUMI_IMPORTED;
        });
        beforeEach(() => fs.writeFileSync(log, ""));
        const invocations = () => fs.readFileSync(log, "utf8").trim().split("\n");

        it("selects the stack in the project folder and reads config, state and outputs", async () => {
            const stack = await new PulumiAutomation(PROJECT_DIR).stack("jetstream", "select");
            assert.strictEqual(await stack.getConfig("esiphub:keepDataOnDestroy"), "false");
            assert.strictEqual(await stack.getConfig("esiphub:dnsZone"), undefined);
            const resources = await stack.resources();
            assert.deepStrictEqual(
                resources.map((r) => [r.type, r.retainOnDelete, r.protect]),
                [
                    ["pulumi:pulumi:Stack", false, false],
                    ["openstack:blockstorage/volume:Volume", true, false],
                    ["openstack:compute/instance:Instance", false, true],
                ],
            );
            const outputs = await stack.outputs();
            assert.deepStrictEqual(outputs.credentials, { value: [{ username: "workshop-01", password: "Kp7mHd4Wz9Ty" }], secret: true });
            assert.deepStrictEqual(outputs.hubUrl, { value: "https://hub.esipfed.org", secret: false });
            const calls = invocations();
            assert.ok(calls.includes("stack select --stack jetstream --non-interactive"), calls.join("\n"));
        });

        it("sets and removes a plain config value the way `pulumi config set/rm` takes it", async () => {
            const stack = await new PulumiAutomation(PROJECT_DIR).stack("jetstream", "select");
            await stack.setConfig("esiphub:workers", "7");
            await stack.removeConfig("esiphub:workers");
            const calls = invocations();
            assert.ok(calls.includes("config set esiphub:workers --stack jetstream --plaintext --non-interactive -- 7"), calls.join("\n"));
            assert.ok(calls.includes("config rm esiphub:workers --stack jetstream --non-interactive"), calls.join("\n"));
        });

        it("up: the engine events reach the display, --target is passed, the summary comes back", async () => {
            const stack = await new PulumiAutomation(PROJECT_DIR).stack("jetstream", "create");
            const events: EngineEvent[] = [];
            const target = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts$openstack:compute/instance:Instance::esiphub-jetstream-worker-1";
            const plan = await stack.preview("up", { target: [target], onEvent: (e) => events.push(e) });
            assert.deepStrictEqual(plan, { same: 15, update: 1, replace: 1, create: 1, delete: 1 });
            const changes = await stack.run("up", { target: [target], onEvent: (e) => events.push(e) });
            assert.deepStrictEqual(changes, { same: 15, update: 1, replace: 1, create: 1, delete: 1 });
            // Both recorded event logs were delivered in full, in order.
            assert.strictEqual(events.length, 48 + 48);
            assert.deepStrictEqual(events.slice(48).map((e) => e.sequence), Array.from({ length: 48 }, (_, i) => i));
            const up = invocations().find((l) => l.startsWith("up "))!;
            assert.match(up, /(^| )--yes( |$)/);
            assert.match(up, /--skip-preview/);
            assert.match(up, new RegExp(`--target ${target.replace(/\$/g, "\\$")}`));
            assert.match(up, /--color never/);
        });

        it("deleteOnDestroy: the state exported and imported with secrets still encrypted, through a private file, only the volume's flags changed", async () => {
            const volume = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts$openstack:blockstorage/volume:Volume::esiphub-jetstream-data";
            const stack = await new PulumiAutomation(PROJECT_DIR).stack("jetstream", "select");
            assert.strictEqual((await stack.resources()).find((r) => r.urn === volume)?.id, "4f1d");
            fs.writeFileSync(log, "");
            await stack.deleteOnDestroy([volume]);
            const calls = invocations();
            assert.ok(calls.includes("stack export --stack jetstream --non-interactive"), calls.join("\n"));
            const imported = calls.find((l) => l.startsWith("stack import "))!;
            const file = /--file (\S+)/.exec(imported)![1];
            assert.ok(calls.includes("import-file-mode 600"), calls.join("\n"));
            assert.ok(!fs.existsSync(file), "the state file is removed after the import");
            const state = fs.readFileSync(process.env.FAKE_PULUMI_IMPORTED!, "utf8");
            assert.ok(!state.includes("plaintext"), "no secret in clear went through the file");
            const resources = JSON.parse(state).deployment.resources as Array<Record<string, unknown>>;
            const byType = (t: string) => resources.find((r) => r.type === t)!;
            assert.strictEqual(byType("openstack:blockstorage/volume:Volume").retainOnDelete, undefined);
            assert.strictEqual(byType("openstack:blockstorage/volume:Volume").protect, false);
            assert.strictEqual(byType("openstack:compute/instance:Instance").protect, true, "other resources untouched");
            assert.match(JSON.stringify(byType("pulumi:pulumi:Stack").outputs), /"ciphertext":"v1:q8Xw2kzR0xY=:v1:Kf3m9\+Lr0aQ="/);

            await assert.rejects(stack.deleteOnDestroy(["urn:pulumi:jetstream::esiphub::aws:ebs/volume:Volume::nope"]), /the deployed state has no resource urn:pulumi:jetstream::esiphub::aws:ebs\/volume:Volume::nope/);
        });

        it("destroy and refresh previews use --preview-only", async () => {
            const stack = await new PulumiAutomation(PROJECT_DIR).stack("jetstream", "select");
            await stack.preview("destroy", { onEvent: () => undefined });
            await stack.preview("refresh", { onEvent: () => undefined });
            const calls = invocations();
            assert.ok(calls.some((l) => /^destroy .*--preview-only/.test(l)), calls.join("\n"));
            assert.ok(calls.some((l) => /^refresh .*--preview-only/.test(l)), calls.join("\n"));
        });

        it("a missing stack, a locked stack and a missing passphrase are one-line errors", async () => {
            const automation = new PulumiAutomation(PROJECT_DIR);
            await assert.rejects(automation.stack("nowhere", "select"), (e: Error) => {
                assert.ok(e instanceof StackMissingError);
                assert.strictEqual(e.message, 'site "nowhere" has no stack in the current Pulumi backend; deploy it with `esiphub up nowhere` (or log in to the backend that has it)');
                return true;
            });
            await assert.rejects(automation.stack("busy", "select"), (e: Error) => {
                assert.ok(e instanceof AutomationError);
                assert.strictEqual(e.message, 'another operation on site "busy" is running; wait for it, or if it crashed, run `pulumi cancel -s busy`');
                return true;
            });
            await assert.rejects(automation.stack("nopass", "create"), (e: Error) => {
                assert.ok(e instanceof AutomationError);
                assert.strictEqual(e.message, "getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables");
                return true;
            });
        });

        it("no pulumi on PATH: the install hint, not a spawn error", async () => {
            const saved = process.env.PATH;
            process.env.PATH = path.join(tmp, "no-such-dir");
            try {
                await assert.rejects(new PulumiAutomation(PROJECT_DIR).stack("jetstream", "select"), (e: Error) => {
                    assert.ok(e instanceof AutomationError);
                    assert.match(e.message, /^the Pulumi CLI \(pulumi\) is not on PATH: install it with scripts\/install-pulumi\.sh \(the pinned version, sha256 checked\)/);
                    return true;
                });
            } finally {
                process.env.PATH = saved;
            }
        });

        it("create makes a stack the backend does not have", async () => {
            await new PulumiAutomation(PROJECT_DIR).stack("aws", "create");
            const calls = invocations();
            assert.ok(calls.includes("stack select --stack aws --non-interactive"));
            assert.ok(calls.includes("stack init aws --non-interactive"), calls.join("\n"));
        });
    });
});
