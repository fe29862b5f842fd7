/** Pure parts of the OpenStack layer: resource arguments as data, tested directly. */
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

/** The root disk: a volume made from the image, deleted with the VM. */
export function bootVolume(imageId: string, sizeGb: number) {
    return { uuid: imageId, sourceType: "image", destinationType: "volume", volumeSize: sizeGb, bootIndex: 0, deleteOnTermination: true };
}

/**
 * Where a Cinder volume appears on the VM. The device name Nova reports (/dev/vdb) is only a hint; libvirt gives the
 * virtio disk the volume id as serial, truncated to 20 characters, and udev links it under /dev/disk/by-id.
 */
export function cinderDevicePath(volumeId: string): string {
    return `/dev/disk/by-id/virtio-${volumeId.slice(0, 20)}`;
}

/** Workers spread over hypervisors where possible, and still start when there are fewer hypervisors than workers. */
export const WORKER_PLACEMENT_POLICY = "soft-anti-affinity";
