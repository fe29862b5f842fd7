/** Pure parts of the OpenStack layer: resource arguments as data, tested directly. */
import { Flavor } from "../catalog";
import { InboundRule } from "../firewall";

/** Neutron's arguments for one inbound rule (security groups are stateful: replies go out without rules). */
export function secGroupRuleArgs(rule: InboundRule) {
    return {
        direction: "ingress",
        ethertype: "IPv4",
        protocol: rule.protocol,
        portRangeMin: rule.fromPort,
        portRangeMax: rule.toPort,
        remoteIpPrefix: rule.cidr,
        description: rule.description,
    };
}

/** Neutron tags are plain strings: `{site: "jetstream"}` → `["site=jetstream"]`. */
export function openstackTags(tags: Record<string, string>): string[] {
    return Object.entries(tags).map(([k, v]) => `${k}=${v}`);
}

/**
 * Whether a node needs a boot volume: only when its flavor has no local disk or one smaller than
 * esiphub:rootVolumeSize. Jetstream2's m3 flavors have a 20 or 60 GB local disk (js2docs general/vmsizes.md); a
 * boot volume would take storage quota (10 volumes, 1000 GB by default: general/storage.md) from the data volume.
 */
export function bootsFromVolume(flavor: Flavor, rootVolumeSizeGb: number): boolean {
    return (flavor.diskGb ?? 0) < rootVolumeSizeGb;
}

/** The root disk: a volume made from the image, deleted with the VM. */
export function bootVolume(imageId: string, sizeGb: number) {
    return { uuid: imageId, sourceType: "image", destinationType: "volume", volumeSize: sizeGb, bootIndex: 0, deleteOnTermination: true };
}

/**
 * The serial of a Cinder volume's disk in the VM: Nova's libvirt driver gives the disk the volume id as `<serial>`
 * on every bus (nova/virt/libvirt/volume/volume.py). The device name Nova reports (/dev/vdb, /dev/sdb) is only a
 * hint, and the bus differs between clouds (Jetstream2 attaches SCSI disks), so the NFS host looks for the serial.
 */
export function cinderDiskSerial(volumeId: string): string {
    return volumeId;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** esiphub:existingRouter is a router's id or its name; Neutron router ids are UUIDs. */
export function routerQuery(router: string): { routerId: string } | { name: string } {
    return UUID.test(router) ? { routerId: router } : { name: router };
}

/** Why a router cannot carry the site's floating IP, or undefined when its gateway is on the external network. */
export function routerGatewayProblem(router: string, gatewayNetworkId: string, externalNetworkId: string, externalNetwork: string): string | undefined {
    if (gatewayNetworkId === externalNetworkId) return undefined;
    const gateway = gatewayNetworkId ? `its gateway is on network ${gatewayNetworkId}` : "it has no external gateway";
    return `router "${router}" cannot route a floating IP of "${externalNetwork}" (esiphub:externalNetwork) to the subnet: ${gateway}; set it with \`openstack router set --external-gateway ${externalNetwork} ${router}\` or name another router`;
}

/** Why a kept floating IP cannot be the hub's, or undefined when it can (free, or on the master's port already). */
export function floatingIpProblem(
    ip: { address: string; networkId?: string; portId?: string },
    external: { name: string; id: string },
    masterPortId: string,
): string | undefined {
    if (ip.networkId !== external.id) {
        return `${ip.address} belongs to network ${ip.networkId}, not to "${external.name}" (esiphub:externalNetwork), whose router reaches the subnet`;
    }
    if (ip.portId && ip.portId !== masterPortId) {
        return `${ip.address} is in use by port ${ip.portId} (another VM); free it with \`openstack floating ip unset --port ${ip.address}\` or name another address`;
    }
    return undefined;
}

/**
 * Members per worker server group: Nova's default `server_group_members` quota is 10 (nova/conf/quota.py), and
 * worker 11 of one group would fail with "Quota exceeded, too many servers in group".
 */
export const SERVER_GROUP_SIZE = 10;

export function serverGroupCount(workers: number): number {
    return Math.ceil(workers / SERVER_GROUP_SIZE);
}

/** The group (from 0) of a worker by its node name, `<site>-worker-NN`: workers 1-10 in the first, 11-20 in the second... */
export function serverGroupOf(nodeName: string): number {
    const n = Number(/-worker-(\d+)$/.exec(nodeName)?.[1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`not a worker node name: ${nodeName}`);
    return Math.floor((n - 1) / SERVER_GROUP_SIZE);
}

/** The first group keeps the name it had before there were several (so that it and its workers stay), then -2, -3... */
export function serverGroupSuffix(group: number): string {
    return group === 0 ? "" : `-${group + 1}`;
}

/** Workers spread over hypervisors where possible, and still start when there are fewer hypervisors than workers. */
export const WORKER_PLACEMENT_POLICY = "soft-anti-affinity";
