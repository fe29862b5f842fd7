/**
 * Helpers of the policy tests on plans of the real program (test/mocks.ts runStack).
 */
import * as fs from "fs";
import * as path from "path";
import { StackContext } from "../../policy/rules";
import { PlannedResource, PlanResult, PROJECT_DIR, Site, testConfig } from "../mocks";

/** Every layer `deploy` builds; the program cannot run without all of them. */
const LAYERS = [
    "components/openstack/hosts.ts",
    "components/aws/hosts.ts",
    "components/kubeadm/cluster.ts",
    "components/storage/storage.ts",
    "components/jupyterhub/hub.ts",
];

/** Skips the calling test, saying which files are missing, while a layer of the program is not written yet. */
export function requireProgram(ctx: Mocha.Context): void {
    const missing = LAYERS.filter((f) => !fs.existsSync(path.join(PROJECT_DIR, f)));
    if (missing.length > 0) {
        if (ctx.currentTest ?? ctx.test) (ctx.currentTest ?? ctx.test)!.title += ` (skipped: the program needs ${missing.join(", ")})`;
        ctx.skip();
    }
}

/** The stack context the offline checker derives from the same configuration. */
export function stackContext(site: Site, overrides: Record<string, string> = {}): StackContext {
    const config = testConfig(site, overrides);
    return { keepDataOnDestroy: config.storage.keepDataOnDestroy, allowPlainHttp: config.hub.allowPlainHttp };
}

export function byType(plan: PlanResult, type: string): PlannedResource[] {
    return plan.resources.filter((r) => r.type === type);
}

/** A copy of a captured resource with some inputs changed, as if the program had been written otherwise. */
export function withInputs(resource: PlannedResource, change: (inputs: Record<string, any>) => void): PlannedResource {
    const inputs = JSON.parse(JSON.stringify(resource.inputs));
    change(inputs);
    return { ...resource, inputs };
}
