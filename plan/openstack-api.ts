/**
 * The offline OpenStack cloud's Cinder and Neutron APIs for the quota check (components/quota/openstack.ts), on
 * 127.0.0.1: the two reports it reads, in the shapes of the API references, from the offline cloud's quotas
 * (plan/cloud.ts). The Keystone catalogue of the offline `getAuthScope` points at it.
 */
import * as http from "http";
import { AddressInfo } from "net";
import { OpenStackQuota } from "../components/quota/quotas";
import { offlineOpenStack, offlineQuota, offlineUuid } from "./cloud";

/** The offline session's token: requests without it are refused, as Keystone-protected APIs refuse them. */
export const OFFLINE_TOKEN = "gAAAAABoffline-plan-token";

let started: Promise<string> | undefined;

/** The API's base URL, starting it on first use; it does not keep the process alive. */
export function offlineOpenStackApi(): Promise<string> {
    started ??= new Promise((resolve, reject) => {
        const server = http.createServer(answer);
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
        server.unref();
    });
    return started;
}

/**
 * The base URL of one offline cloud's APIs. The server outlives the plan that started it and answers in that plan's
 * context (AsyncLocalStorage follows the server, not the request), so the cloud travels in the URL: its auth URL,
 * which decides what the offline cloud is (plan/cloud.ts offlineOpenStack).
 */
export async function offlineCloudApi(authUrl: string): Promise<string> {
    return `${await offlineOpenStackApi()}/cloud/${encodeURIComponent(authUrl)}`;
}

function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, body: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json", Connection: "close" });
        res.end(JSON.stringify(body));
    };
    if (req.headers["x-auth-token"] !== OFFLINE_TOKEN) return send(401, { error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } });
    const route = /^\/cloud\/([^/]+)(\/.*)$/.exec(req.url ?? "");
    if (!route) return send(404, { error: { code: 404, title: "Not Found", message: `no offline cloud in ${req.url}` } });
    const cloud = offlineOpenStack({ "openstack:authUrl": decodeURIComponent(route[1]) });
    const reading = (name: OpenStackQuota) => ({ limit: offlineQuota(name, cloud), used: cloud.inUse[name] ?? 0 });
    const url = route[2];
    const project = offlineUuid("project");
    // Cinder, GET /v3/{project_id}/limits (api-ref block-storage v3, "Limits").
    if (req.method === "GET" && url === `/volume/v3/${project}/limits`) {
        const volumes = reading("volumes");
        const gigabytes = reading("gigabytes");
        return send(200, {
            limits: {
                rate: [],
                absolute: {
                    maxTotalVolumes: volumes.limit,
                    totalVolumesUsed: volumes.used,
                    maxTotalVolumeGigabytes: gigabytes.limit,
                    totalGigabytesUsed: gigabytes.used,
                    maxTotalSnapshots: 10,
                    totalSnapshotsUsed: 0,
                    maxTotalBackups: 10,
                    totalBackupsUsed: 0,
                    maxTotalBackupGigabytes: 1000,
                    totalBackupGigabytesUsed: 0,
                },
            },
        });
    }
    // Neutron, GET /v2.0/quotas/{project_id}/details.json (api-ref network v2, "Quotas extension": limit, used, reserved).
    if (req.method === "GET" && url === `/network/v2.0/quotas/${project}/details.json`) {
        const detail = (name: OpenStackQuota) => ({ ...reading(name), reserved: 0 });
        return send(200, {
            quota: {
                router: detail("routers"),
                floatingip: detail("floatingips"),
                security_group: detail("security_groups"),
                security_group_rule: detail("security_group_rules"),
                network: { limit: 100, used: 1, reserved: 0 },
                subnet: { limit: 100, used: 1, reserved: 0 },
                port: { limit: 500, used: 2, reserved: 0 },
            },
        });
    }
    send(404, { NeutronError: { type: "HTTPNotFound", message: `The resource could not be found: ${req.method} ${req.url}`, detail: "" } });
}
