/**
 * The project's quotas and usage on OpenStack. Nova's limits come through the provider (compute.getLimitsV2: limit and
 * use of cores, RAM, instances, server groups). The provider's blockstorage.getQuotasetV3 and networking.getQuotaV2
 * return limits only, without what is in use, so Cinder's and Neutron's own reports are read with the session's
 * token from the Keystone catalogue: Cinder `GET /v3/{project}/limits` (absolute maxTotalVolumes, totalVolumesUsed,
 * maxTotalVolumeGigabytes, totalGigabytesUsed) and Neutron `GET /v2.0/quotas/{project}/details.json` (limit and used
 * per resource), the numbers `openstack quota show --usage` prints.
 */
import * as pulumi from "@pulumi/pulumi";
import * as openstack from "@pulumi/openstack";
import { request } from "undici";
import { QuotaReadings } from "./quotas";

type Catalog = openstack.identity.GetAuthScopeResult["serviceCatalogs"];

/** The public endpoint of a service type in the region, without a trailing slash. */
export function endpointOf(catalog: Catalog, types: readonly string[], region: string): string {
    for (const type of types) {
        const endpoint = catalog.find((s) => s.type === type)?.endpoints.find((e) => e.interface === "public" && (e.region === region || e.regionId === region));
        if (endpoint) return endpoint.url.replace(/\/+$/, "");
    }
    throw new Error(`the Keystone catalogue has no public ${types.join(" or ")} endpoint in region ${region}`);
}

async function getJson(url: string, token: string): Promise<any> {
    // One connection per request (`reset`): two requests a run need no pool, and a kept-alive socket that the server
    // has just closed would fail the read (ECONNRESET).
    const response = await request(url, { headers: { "X-Auth-Token": token, Accept: "application/json" }, reset: true });
    const body = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${response.statusCode} ${body.slice(0, 200)}`);
    return JSON.parse(body);
}

export async function readOpenStackQuotas(parent: pulumi.Resource, region: string): Promise<QuotaReadings> {
    // The token stays in this function: it is never an input, an output or a log line.
    const scope = await openstack.identity.getAuthScope({ name: "esiphub-quota-check", setTokenId: true }, { parent });
    const [nova, cinder, neutron] = await Promise.all([
        openstack.compute.getLimitsV2({ projectId: scope.projectId }, { parent }),
        getJson(`${endpointOf(scope.serviceCatalogs, ["volumev3", "block-storage"], region)}/limits`, scope.tokenId),
        getJson(`${endpointOf(scope.serviceCatalogs, ["network"], region).replace(/\/v2\.0$/, "")}/v2.0/quotas/${scope.projectId}/details.json`, scope.tokenId),
    ]);
    const volumes = cinder.limits.absolute;
    const network = (name: string) => ({ limit: Number(neutron.quota[name].limit), used: Number(neutron.quota[name].used) });
    return {
        cores: { limit: nova.maxTotalCores, used: nova.totalCoresUsed },
        ram: { limit: nova.maxTotalRamSize, used: nova.totalRamUsed },
        instances: { limit: nova.maxTotalInstances, used: nova.totalInstancesUsed },
        server_groups: { limit: nova.maxServerGroups, used: nova.totalServerGroupsUsed },
        server_group_members: { limit: nova.maxServerGroupMembers, used: 0 },
        floatingips: network("floatingip"),
        routers: network("router"),
        security_groups: network("security_group"),
        security_group_rules: network("security_group_rule"),
        volumes: { limit: volumes.maxTotalVolumes, used: volumes.totalVolumesUsed },
        gigabytes: { limit: volumes.maxTotalVolumeGigabytes, used: volumes.totalGigabytesUsed },
    };
}
