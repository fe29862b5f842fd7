/**
 * The policy pack as `pulumi preview --policy-pack policy` runs it: started by Pulumi's Node.js policy host in
 * policy/, asked over the analyzer protocol about every resource the program registers, with the inputs and
 * options the engine sends. It must agree with the offline checker, except where the engine does not tell it
 * enough (retainOnDelete), and say so there.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkResource, isDataVolume, RULES, viewOfPlannedResource } from "../../policy/rules";
import { PlannedResource, PlanResult, runStack } from "../mocks";
import { requireProgram, stackContext, withInputs } from "./captured";
import { PackAnswer, POLICY_DIR, ServedPack } from "./servedpack";

/** What the pack reports: CrossGuard prefixes each message with the policy's description. */
function packFindings(answer: PackAnswer): string[] {
    return answer.diagnostics.map((d) => {
        const description = RULES.find((r) => r.name === d.policy)!.description;
        assert.ok(d.message.startsWith(`${description}\n`), d.message);
        return `${d.enforcement} ${d.policy}: ${d.message.slice(description.length + 1)}`;
    });
}

async function analyzeAll(pack: ServedPack, plan: PlanResult): Promise<Map<string, PackAnswer>> {
    const answers = new Map<string, PackAnswer>();
    for (const r of plan.resources) answers.set(r.urn, await pack.analyze(r, plan));
    return answers;
}

describe("policy pack (served as by `pulumi preview --policy-pack policy`)", function () {
    let pack: ServedPack;

    before(async function () {
        pack = await ServedPack.start();
    });
    after(() => pack?.stop());

    it("describes itself: name, the version of policy/package.json, every rule at its level", async () => {
        const info = await pack.info();
        assert.strictEqual(info.name, "esiphub");
        assert.strictEqual(info.version, JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")).version);
        assert.deepStrictEqual(
            info.policies.map((p) => [p.name, p.enforcement]),
            RULES.map((r) => [r.name, r.enforcement]),
        );
        const retained = info.policies.find((p) => p.name === "nfs-data-volume-retained")!;
        // The stack context each rule that needs it reads (policy/pack.ts STACK_CONTEXT_SCHEMA), in protobuf's key order.
        assert.deepStrictEqual(Object.keys(retained.configSchema ?? {}).sort(), ["allowPlainHttp", "keepDataOnDestroy"]);
        const https = info.policies.find((p) => p.name === "hub-https")!;
        assert.deepStrictEqual(Object.keys(https.configSchema ?? {}).sort(), ["allowPlainHttp", "keepDataOnDestroy"]);
    });

    for (const [site, overrides, expected] of [
        // SSH and 6443 open to the internet, and the latest image (by its tag alone).
        ["jetstream", { "esiphub:adminCidrs": '["0.0.0.0/0"]', "esiphub:notebookTag": "latest" }, 4],
        // SSH and 6443 open to the internet, one admin, and the image by its tag alone.
        ["aws", { "esiphub:adminCidrs": '["0.0.0.0/0"]' }, 4],
    ] as const) {
        it(`${site} with ${Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(" ")}: the pack finds on every resource what the offline checker finds`, async function () {
            requireProgram(this);
            const plan = await runStack(site, overrides);
            const ctx = stackContext(site, overrides);
            const answers = await analyzeAll(pack, plan);
            let violations = 0;
            for (const r of plan.resources) {
                const answer = answers.get(r.urn)!;
                const offline = checkResource(viewOfPlannedResource(r), ctx).map((v) => `${v.enforcement} ${v.policy}: ${v.message}`);
                violations += offline.length;
                assert.deepStrictEqual(packFindings(answer), offline, r.urn);
                // The data volume is the one resource the pack cannot judge: it says so instead of passing it.
                const expectedNotApplicable = isDataVolume(viewOfPlannedResource(r)) ? ["nfs-data-volume-retained"] : [];
                assert.deepStrictEqual(answer.notApplicable.map((n) => n.policy), expectedNotApplicable, r.urn);
            }
            assert.strictEqual(violations, expected, "the breaking settings are found");
        });
    }

    describe("the data volume", () => {
        let volume: PlannedResource;
        let plan: PlanResult;

        before(async function () {
            requireProgram(this);
            plan = await runStack("nebula");
            volume = plan.resources.find((r) => isDataVolume(viewOfPlannedResource(r)))!;
        });
        afterEach(() => pack.configure({}));

        it("protected, it keeps the rule; unprotected, the pack cannot tell and points to `esiphub plan`", async () => {
            assert.deepStrictEqual(await pack.analyze(volume, plan, { protect: true }), { diagnostics: [], notApplicable: [] });
            assert.deepStrictEqual((await pack.analyze(volume, plan, { protect: false })).notApplicable, [
                { policy: "nfs-data-volume-retained", reason: "retainOnDelete is not visible here (policy packs do not receive it); `esiphub plan <site>` checks it" },
            ]);
        });

        it("with policy config keepDataOnDestroy false (a stack that may delete its data) nothing is required", async () => {
            await pack.configure({ "nfs-data-volume-retained": { keepDataOnDestroy: false } });
            assert.deepStrictEqual(await pack.analyze(volume, plan, { protect: false }), { diagnostics: [], notApplicable: [] });
        });
    });

    describe("a hub without HTTPS", () => {
        afterEach(() => pack.configure({}));

        it("is refused (hub-https, mandatory) unless the policy config says allowPlainHttp, as esiphub:allowPlainHttp does", async function () {
            requireProgram(this);
            // The same release with its HTTPS switched off: no configuration of the pack's own can say more.
            const plan = await runStack("jetstream");
            const release = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "jupyterhub")!;
            const plain = withInputs(release, (inputs) => (inputs.values.proxy.https = { enabled: false }));
            const policies = async () => (await pack.analyze(plain, plan)).diagnostics.filter((d) => d.policy === "hub-https").map((d) => d.enforcement);
            assert.deepStrictEqual(await policies(), ["mandatory"]);
            await pack.configure({ "hub-https": { allowPlainHttp: true } });
            assert.deepStrictEqual(await policies(), []);
        });
    });

    it("secrets reach the pack as the engine sends them (enveloped), and no message quotes one", async function () {
        requireProgram(this);
        const plan = await runStack("jetstream");
        const joinCommand = plan.resources.find((r) => /-k8s-join-/.test(r.name))!;
        const logged = { ...joinCommand, inputs: { ...joinCommand.inputs, logging: "stdoutAndStderr" } };
        const answer = await pack.analyze(logged, plan);
        assert.deepStrictEqual(packFindings(answer), [
            'mandatory cluster-secrets-not-logged: prints a join command or kubeconfig and logs its output (logging: "stdoutAndStderr"); set logging: "none" so the secret never reaches the Pulumi log',
        ]);
        const connection = plan.rawInputs.get(joinCommand.urn)!.connection as { privateKey: string };
        assert.doesNotMatch(JSON.stringify(answer), new RegExp(connection.privateKey.split("\n")[1]));
    });
});
