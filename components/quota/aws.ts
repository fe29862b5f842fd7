/**
 * The account's quotas and usage on AWS: Service Quotas' applied values of "Running On-Demand Standard (A, C, D, H,
 * I, M, R, T, Z) instances" (L-1216C47A, vCPUs) and "EC2-VPC Elastic IPs" (L-0263D0A3), and what is in use: the vCPUs
 * of the pending and running instances of those families, and the Elastic IPs allocated in the region.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { isStandardInstanceType, QuotaReadings } from "./quotas";

export const VCPU_QUOTA_CODE = "L-1216C47A";
export const ELASTIC_IP_QUOTA_CODE = "L-0263D0A3";

export async function readAwsQuotas(parent: pulumi.Resource): Promise<QuotaReadings> {
    const opts = { parent };
    const [vcpus, elasticIps, instances, eips] = await Promise.all([
        aws.servicequotas.getServiceQuota({ serviceCode: "ec2", quotaCode: VCPU_QUOTA_CODE }, opts),
        aws.servicequotas.getServiceQuota({ serviceCode: "ec2", quotaCode: ELASTIC_IP_QUOTA_CODE }, opts),
        aws.ec2.getInstances({ instanceStateNames: ["pending", "running"] }, opts),
        aws.ec2.getEips({}, opts),
    ]);
    const types = await Promise.all(instances.ids.map((instanceId) => aws.ec2.getInstance({ instanceId }, opts).then((i) => i.instanceType)));
    const standard = types.filter(isStandardInstanceType);
    const sizes = new Map(
        await Promise.all([...new Set(standard)].map(async (instanceType) => [instanceType, (await aws.ec2.getInstanceType({ instanceType }, opts)).defaultVcpus] as const)),
    );
    return {
        vcpus: { limit: vcpus.value, used: standard.reduce((total, t) => total + sizes.get(t)!, 0) },
        elastic_ips: { limit: elasticIps.value, used: eips.allocationIds.length },
    };
}
