/**
 * The quota check of a `pulumi up` or `preview`, before anything is created. The cloud layer reads the project's
 * quotas and usage through lookups (data sources, which the engine answers before and independently of any resource)
 * and makes each of its resources wait for the check: a resource's registration waits for its `dependsOn`, so when
 * the check fails no resource reaches the engine and the run stops with one line per short quota.
 *
 * On a re-run the site's own resources count as in use; what the site held after its last deployment is read back
 * from that deployment's `quotaFootprint` output (a StackReference to the stack itself) and counted as free.
 */
import * as pulumi from "@pulumi/pulumi";
import { SiteConfig } from "../config";
import { FOOTPRINT_OUTPUT, QuotaNeeds, QuotaReadings, quotaRefusal, quotaShortfalls, siteNeeds } from "./quotas";

export class QuotaPreflight {
    /** Settles once the check has passed; rejects with the refusal when a quota is short. */
    private readonly passed: Promise<void>;

    constructor(config: SiteConfig, parent: pulumi.Resource, read: () => Promise<QuotaReadings>) {
        this.passed = Promise.all([readOrWarn(read, parent), heldByThisSite(parent)]).then(([readings, held]) => {
            if (!readings) return;
            const shortfalls = quotaShortfalls(config.cloud, siteNeeds(config), readings, held);
            if (shortfalls.length > 0) throw new pulumi.ResourceError(quotaRefusal(shortfalls), parent);
        });
        // Reported through every resource that waits for it, not as a rejection of its own.
        this.passed.catch(() => undefined);
    }

    /**
     * A `dependsOn` for a resource: these resources, once the check has passed (it fails with the refusal).
     * One promise per resource, in an array: a provider's resource merges any other `dependsOn` through an Output
     * (@pulumi/pulumi resource.js mergeOptions), and the SDK walks every Output's value for unknowns (output.js
     * containsUnknowns), which for a value holding resources is the whole resource graph, once per resource: a
     * tenth of a 100-worker plan's CPU. With no resources, an Output of none is cheap to walk.
     */
    after(...resources: pulumi.Resource[]): pulumi.Input<pulumi.Input<pulumi.Resource>[]> {
        if (resources.length === 0) return pulumi.output(this.passed.then((): pulumi.Resource[] => []));
        return resources.map((resource) => {
            const dependency = this.passed.then(() => resource);
            // The first registration that awaits one reports the refusal; the rest are never awaited.
            dependency.catch(() => undefined);
            return dependency;
        });
    }
}

/** Quotas that cannot be read (an account without servicequotas:GetServiceQuota, say) are not checked, with a warning. */
async function readOrWarn(read: () => Promise<QuotaReadings>, parent: pulumi.Resource): Promise<QuotaReadings | undefined> {
    try {
        return await read();
    } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        await pulumi.log.warn(`the quota check was skipped: the project's quotas cannot be read (${reason.trim()})`, parent);
        return undefined;
    }
}

/** What the last deployment of this stack recorded it holds; nothing for a new stack. */
async function heldByThisSite(parent: pulumi.Resource): Promise<QuotaNeeds> {
    // A bare stack name is resolved in the current project (and organisation) by every backend.
    const self = new pulumi.StackReference(`${pulumi.getStack()}-last-deployment`, { name: pulumi.getStack() }, { parent });
    const footprint = (await self.getOutputDetails(FOOTPRINT_OUTPUT)).value;
    return footprint && typeof footprint === "object" ? (footprint as QuotaNeeds) : {};
}
