/**
 * Each guardrail against what the program really registers under mocks: the stacks as configured keep the rules,
 * and configurations (or, where no configuration can, a captured resource with one input changed) break them.
 */
import * as assert from "assert";
import {
    checkPlannedResources,
    checkResource,
    hasMandatoryViolation,
    isDataVolume,
    printsClusterSecret,
    Violation,
    viewOfPlannedResource,
} from "../../policy/rules";
import { PlannedResource, PlanResult, runStack, SITES } from "../mocks";
import { byType, requireProgram, stackContext, withInputs } from "./captured";

const SG_RULE_TYPE: Record<string, string> = {
    nebula: "openstack:networking/secGroupRule:SecGroupRule",
    jetstream: "openstack:networking/secGroupRule:SecGroupRule",
    aws: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
};
const RELEASE = "kubernetes:helm.sh/v3:Release";

const KEEP = { keepDataOnDestroy: true };
const briefly = (vs: Violation[]) => vs.map((v) => `${v.enforcement} ${v.policy} ${v.urn.split("::").pop()}: ${v.message}`);
const of = (policy: string, vs: Violation[]) => vs.filter((v) => v.policy === policy);
const check = (r: PlannedResource, ctx = KEEP) => checkResource(viewOfPlannedResource(r), ctx);

function release(plan: PlanResult, chart: string): PlannedResource {
    const found = byType(plan, RELEASE).filter((r) => r.inputs.chart === chart);
    assert.strictEqual(found.length, 1, `one ${chart} release`);
    return found[0];
}

describe("policy rules on the program's resources", function () {
    beforeEach(function () {
        requireProgram(this);
    });

    describe("the three stack files", () => {
        // No shipped stack can pin a digest it does not know: each is told to (notebook-image-digest).
        const digest = (site: string) =>
            `advisory notebook-image-digest esiphub-${site}-hub-release: the notebook image ghcr.io/esipfed/esiphub-notebook:2026.11 is pinned by its tag alone, which its registry lets anyone with push rights move to another image; ` +
            "pin its digest: esiphub:notebookImage NAME@sha256:... (`docker buildx imagetools inspect NAME:TAG` prints it)";
        const advisories: Record<string, string[]> = {
            // Nebula and Jetstream name two organisers' accounts as admins; AWS one.
            nebula: [digest("nebula")],
            jetstream: [digest("jetstream")],
            aws: [
                "advisory two-hub-admins esiphub-aws-hub-release: the hub has one admin user (instructor): name at least two in esiphub:adminUsers so that a helper can stop servers and check users",
                digest("aws"),
            ],
        };
        for (const site of SITES) {
            it(`${site}: no mandatory violation; exactly the expected advisories`, async () => {
                const violations = checkPlannedResources((await runStack(site)).resources, stackContext(site));
                assert.deepStrictEqual(briefly(violations), advisories[site]);
                assert.strictEqual(hasMandatoryViolation(violations), false);
            });
        }
    });

    describe("no-public-admin-ports", () => {
        for (const site of SITES) {
            it(`${site}: the admin rules open 22 and 6443 to the admin CIDRs only; adminCidrs 0.0.0.0/0 breaks the rule on exactly those`, async () => {
                const plan = await runStack(site);
                const rules = byType(plan, SG_RULE_TYPE[site]);
                // The rule really looks at SSH, 6443 and NFS openings: from the admin CIDRs and from the subnet.
                assert.ok(rules.filter((r) => /-(admin|cluster)-tcp-(22|6443|2049)-/.test(r.name)).length >= 5, "admin and cluster rules are planned");
                assert.deepStrictEqual(rules.flatMap((r) => check(r)), []);

                const open = await runStack(site, { "esiphub:adminCidrs": '["0.0.0.0/0"]' });
                const violations = of("no-public-admin-ports", checkPlannedResources(open.resources, stackContext(site)));
                assert.deepStrictEqual(
                    violations.map((v) => [v.urn.split("::").pop()!.replace(/^.*-rule-/, ""), v.enforcement, v.message]),
                    [
                        ["admin-tcp-22-0-0-0-0-0", "mandatory", "opens SSH (port 22) to 0.0.0.0/0; allow it only from esiphub:adminCidrs"],
                        ["admin-tcp-6443-0-0-0-0-0", "mandatory", "opens the Kubernetes API (port 6443) to 0.0.0.0/0; allow it only from esiphub:adminCidrs"],
                    ],
                );
            });
        }

        it("the web rules (80, 443 from anywhere) are not the rule's business", async () => {
            const web = byType(await runStack("aws"), SG_RULE_TYPE.aws).filter((r) => /-web-/.test(r.name));
            assert.deepStrictEqual(web.map((r) => (r.inputs as { cidrIpv4?: string }).cidrIpv4), ["0.0.0.0/0", "0.0.0.0/0"]);
            assert.deepStrictEqual(web.flatMap((r) => check(r)), []);
        });

        it("a cluster rule widened to the internet breaks it (NFS)", async () => {
            const nfs = byType(await runStack("jetstream"), SG_RULE_TYPE.jetstream).find((r) => /-cluster-tcp-2049-/.test(r.name))!;
            assert.deepStrictEqual(check(nfs), []);
            const open = withInputs(nfs, (i) => (i.remoteIpPrefix = "0.0.0.0/0"));
            assert.deepStrictEqual(check(open).map((v) => v.message), ["opens NFS (port 2049) to 0.0.0.0/0; allow it only from the node subnet"]);
        });
    });

    describe("nfs-data-volume-retained", () => {
        for (const site of SITES) {
            it(`${site}: the one data volume is retained; planned with keepDataOnDestroy false it is not, which the rule allows only for such a stack`, async () => {
                const dataVolumes = (await runStack(site)).resources.filter((r) => isDataVolume(viewOfPlannedResource(r)));
                assert.strictEqual(dataVolumes.length, 1, "the rule recognises the cloud layer's data volume");
                assert.strictEqual(dataVolumes[0].retainOnDelete, true);
                assert.deepStrictEqual(check(dataVolumes[0]), []);

                const deletable = (await runStack(site, { "esiphub:keepDataOnDestroy": "false" })).resources.find((r) => isDataVolume(viewOfPlannedResource(r)))!;
                assert.strictEqual(deletable.retainOnDelete, false);
                assert.deepStrictEqual(check(deletable, stackContext(site, { "esiphub:keepDataOnDestroy": "false" })), []);
                // The same volume in a stack that must keep its data: a program that ignored the setting.
                assert.deepStrictEqual(
                    check(deletable, KEEP).map((v) => [v.policy, v.enforcement]),
                    [["nfs-data-volume-retained", "mandatory"]],
                );
            });
        }
    });

    describe("cluster-secrets-not-logged", () => {
        it("finds the kubeconfig and every join (each mints a join command), all with logging none and stdout secret", async () => {
            const commands = byType(await runStack("jetstream"), "command:remote:Command");
            const secretPrinters = commands.filter((r) => printsClusterSecret(viewOfPlannedResource(r))).map((r) => r.name);
            assert.deepStrictEqual(secretPrinters, [
                "esiphub-jetstream-k8s-kubeconfig",
                ...[1, 2, 3, 4, 5].map((n) => `esiphub-jetstream-k8s-join-jetstream-worker-0${n}`),
            ]);
            assert.deepStrictEqual(commands.flatMap((r) => check(r)), []);
        });

        it("a join with its logging on, or its stdout not secret, breaks it", async () => {
            const joinCommand = byType(await runStack("nebula"), "command:remote:Command").find((r) => /-k8s-join-/.test(r.name))!;
            const logged = withInputs(joinCommand, (i) => delete i.logging);
            assert.deepStrictEqual(check(logged).map((v) => v.message), [
                'prints a join command or kubeconfig and logs its output (logging: unset, i.e. stdoutAndStderr); set logging: "none" so the secret never reaches the Pulumi log',
            ]);
            const stderrOnly = withInputs(joinCommand, (i) => (i.logging = "stderr"));
            assert.strictEqual(check(stderrOnly).length, 1, "stderr logging still logs (a failing script's messages, a trace)");
            const inClear = { ...joinCommand, additionalSecretOutputs: joinCommand.additionalSecretOutputs.filter((o) => o !== "stdout") };
            assert.deepStrictEqual(check(inClear).map((v) => v.policy), ["cluster-secrets-not-logged"]);
        });
    });

    describe("hub-limits-set and charts-pinned", () => {
        for (const site of SITES) {
            it(`${site}: the hub and provisioner releases keep both rules`, async () => {
                const plan = await runStack(site);
                for (const chart of ["jupyterhub", "nfs-subdir-external-provisioner"]) {
                    const r = release(plan, chart);
                    assert.deepStrictEqual([...of("hub-limits-set", check(r)), ...of("charts-pinned", check(r))], []);
                }
            });
        }

        it("the hub without its memory limit or storage capacity breaks hub-limits-set", async () => {
            const hub = release(await runStack("jetstream"), "jupyterhub");
            const unlimited = withInputs(hub, (i) => {
                delete i.values.singleuser.memory.limit;
                i.values.singleuser.storage.capacity = "";
            });
            assert.deepStrictEqual(
                of("hub-limits-set", check(unlimited)).map((v) => v.message),
                [
                    "singleuser.memory.limit is not set: one user could take a whole node's memory (esiphub:memoryLimit)",
                    "singleuser.storage.capacity is not set: home directories would have no size (esiphub:storagePerUser)",
                ],
            );
        });

        it("either chart without a version, or with a range, breaks charts-pinned", async () => {
            const plan = await runStack("aws");
            for (const chart of ["jupyterhub", "nfs-subdir-external-provisioner"]) {
                const r = release(plan, chart);
                assert.strictEqual(of("charts-pinned", check(withInputs(r, (i) => delete i.version))).length, 1, chart);
                assert.strictEqual(of("charts-pinned", check(withInputs(r, (i) => (i.version = "~4.0")))).length, 1, chart);
            }
        });
    });

    describe("advisories", () => {
        it("notebookTag latest breaks notebook-image-pinned, as an advisory", async () => {
            const latest = checkPlannedResources((await runStack("jetstream", { "esiphub:notebookTag": "latest" })).resources, KEEP);
            assert.deepStrictEqual(briefly(of("notebook-image-pinned", latest)), [
                'advisory notebook-image-pinned esiphub-jetstream-hub-release: the notebook image tag is "latest": servers started minutes apart can get different images; pin a dated tag (esiphub:notebookTag)',
            ]);
            assert.strictEqual(hasMandatoryViolation(latest), false);
        });

        it("two-hub-admins counts the admins the hub really gets: two keep it, one or none break it", async () => {
            const admins = async (list: string) =>
                of("two-hub-admins", checkPlannedResources((await runStack("jetstream", { "esiphub:adminUsers": list })).resources, KEEP)).map((v) => v.message);
            assert.deepStrictEqual(await admins('["instructor", "helper"]'), []);
            assert.deepStrictEqual(await admins('["helper"]'), [
                "the hub has one admin user (helper): name at least two in esiphub:adminUsers so that a helper can stop servers and check users",
            ]);
            assert.deepStrictEqual(await admins("[]"), [
                "the hub has no admin user: name at least two in esiphub:adminUsers so that a helper can stop servers and check users",
            ]);
        });
    });

    it("mandatory violations are listed before advisories, whatever the order of the resources", async () => {
        const plan = await runStack("nebula", { "esiphub:adminCidrs": '["0.0.0.0/0"]', "esiphub:notebookTag": "latest" });
        // Reversed, the hub release (advisories) comes before the security-group rules (two mandatory).
        const violations = checkPlannedResources([...plan.resources].reverse(), KEEP);
        assert.deepStrictEqual(
            violations.map((v) => `${v.enforcement} ${v.policy}`),
            ["mandatory no-public-admin-ports", "mandatory no-public-admin-ports", "advisory notebook-image-pinned", "advisory notebook-image-digest"],
        );
    });
});
