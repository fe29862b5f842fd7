/**
 * A stack file without `esiphub:workshops` is today's single hub: every resource keeps its type, name and parent
 * chain, so its URN, and a running site sees no replacement when it updates to a program that knows workshops.
 *
 * fixtures/single-hub-urns.json holds the URNs the shipped stack files planned before workshops existed (written by
 * planning each stack with test/mocks.ts's runStack and sorting `resources[].urn`), regenerated from main's own plan at
 * 7c89a9b (issue 21: the SSH host keys, the hub's cookie-secret Secret, no proxy-token password, the stack files'
 * changes), never from this program's. A URN of that list that is no
 * longer planned would be a delete and a create in a real `pulumi up`: the hub's database, accounts or claims gone.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { resourcesOfType, runStack, SITES } from "../mocks";

const BEFORE: Record<string, string[]> = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "single-hub-urns.json"), "utf8"));

/** What only a site with esiphub:workshops has: the router, cert-manager, and routes per hostname. */
const ROUTER_ONLY = /^esiphub:router:|^kubernetes:networking\.k8s\.io\/v1:Ingress$|^kubernetes:cert-manager\.io\/v1:|^kubernetes:traefik\.io\//;

describe("a stack file without esiphub:workshops plans today's single hub (no replacement of a running site)", function () {
    for (const site of SITES) {
        it(`${site}: every URN planned before workshops existed is still planned`, async function () {
            const plan = await runStack(site);
            const now = new Set(plan.resources.map((r) => r.urn));
            const gone = BEFORE[site].filter((urn) => !now.has(urn));
            assert.deepStrictEqual(gone, [], `these resources would be replaced or deleted on the next up:\n${gone.join("\n")}`);
        });

        it(`${site}: no router, no cert-manager, one hub release and one provisioner`, async function () {
            const plan = await runStack(site);
            assert.deepStrictEqual(plan.resources.filter((r) => ROUTER_ONLY.test(r.type)).map((r) => r.urn), []);
            const charts = resourcesOfType(plan, "kubernetes:helm.sh/v3:Release").map((r) => r.inputs.chart).sort();
            assert.deepStrictEqual(charts, ["jupyterhub", "nfs-subdir-external-provisioner"]);
            assert.strictEqual(plan.outputs.workshops, undefined, "the single hub's outputs are today's (hubUrl, credentials, ...)");
            assert.strictEqual(typeof plan.outputs.hubUrl, "string");
        });
    }
});
