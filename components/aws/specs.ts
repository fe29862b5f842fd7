/** Pure parts of the AWS layer: resource arguments as data, tested directly. */
import { parseCidr } from "../cidr";
import { InboundRule } from "../firewall";

/** The arguments of one `aws.vpc.SecurityGroupIngressRule` (security groups are stateful: replies go out without rules). */
export function ingressRuleArgs(rule: InboundRule) {
    return { ipProtocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort, cidrIpv4: rule.cidr, description: rule.description };
}

/** EC2 tags: the site's labels and a `Name` for the console. */
export function awsTags(tags: Record<string, string>, name: string): Record<string, string> {
    return { Name: name, ...tags };
}

/**
 * The node AMI: the newest image matching the name filter from the configured owner. The instance types ESIPHub
 * sizes for are x86_64, so is the image.
 */
export function amiQuery(owner: string, nameFilter: string) {
    return {
        mostRecent: true,
        owners: [owner],
        filters: [
            { name: "name", values: [nameFilter] },
            { name: "architecture", values: ["x86_64"] },
            { name: "virtualization-type", values: ["hvm"] },
            { name: "root-device-type", values: ["ebs"] },
        ],
    };
}

/**
 * The serial of an EBS volume's disk: on Nitro instances its NVMe serial is the volume id without its dash
 * (https://docs.aws.amazon.com/ebs/latest/userguide/identify-nvme-ebs-device.html); older Xen types have no serial
 * but are not in the instance table.
 */
export function ebsDiskSerial(volumeId: string): string {
    return volumeId.replace("-", "");
}

/** The device name EC2 is asked for; on Nitro it only orders the NVMe devices, the host finds the disk by serial. */
export const DATA_VOLUME_DEVICE_NAME = "/dev/sdf";

/** Why a kept Elastic IP cannot be the hub's, or undefined when it can (free, or on the master already). */
export function elasticIpProblem(eip: { address: string; domain: string; instanceId?: string; networkInterfaceId?: string }, masterInstanceId: string): string | undefined {
    if (eip.domain !== "vpc") return `${eip.address} is an EC2-Classic address; allocate a VPC one with \`aws ec2 allocate-address --domain vpc\``;
    if (eip.instanceId && eip.instanceId !== masterInstanceId) {
        return `${eip.address} is associated with instance ${eip.instanceId}; free it with \`aws ec2 disassociate-address --public-ip ${eip.address}\` or name another address`;
    }
    if (!eip.instanceId && eip.networkInterfaceId) return `${eip.address} is associated with network interface ${eip.networkInterfaceId}; free it first or name another address`;
    return undefined;
}

/**
 * Why the site cannot move to another zone, or undefined when it stays. An EBS volume lives in one zone and attaches
 * only to instances there (EBS user guide); moving the data takes a snapshot and a new volume, by hand.
 */
export function zoneChangeProblem(volumeZone: string, wanted: string): string | undefined {
    if (!volumeZone || volumeZone === wanted) return undefined;
    return `the data volume is in ${volumeZone} and an EBS volume attaches only to instances of its own zone; set esiphub:availabilityZone to ${volumeZone}, or move the data yourself (snapshot, then a volume in ${wanted}) before changing the zone`;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
    const o = parseCidr(outer);
    const i = parseCidr(inner);
    if (!o || !i || i.prefix < o.prefix) return false;
    return i.base >= o.base && i.base < o.base + 2 ** (32 - o.prefix);
}
