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

    /** A `dependsOn` for a resource: these resources, once the check has passed (it fails with the refusal). */
    after(...resources: pulumi.Resource[]): pulumi.Output<pulumi.Resource[]> {
        return pulumi.output(this.passed.then(() => resources));
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
