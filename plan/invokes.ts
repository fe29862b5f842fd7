/**
 * Offline answers to the program's lookups (data sources), by invoke token, for `esiphub plan` and the tests.
 * A lookup with no entry here fails the offline run: nothing is answered by accident.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    awsRegion,
    awsZoneOffers,
    awsZones,
    filterValues,
    globMatches,
    lookupFailure,
    NO_RESULTS,
    OFFLINE_AMIS,
    OFFLINE_AWS_QUOTAS,
    offlineAwsQuota,
    offlineQuota,
    OFFLINE_ELASTIC_IPS,
    OFFLINE_VPCS,
    offlineInstanceTypes,
    offlineOpenStack,
    offlineUuid,
    openstackRegion,
} from "./cloud";
import { OFFLINE_TOKEN, offlineCloudApi } from "./openstack-api";
import { AwsQuota, OpenStackQuota } from "../components/quota/quotas";

export type OfflineInvoke = (inputs: Record<string, any>) => Record<string, unknown> | Promise<Record<string, unknown>>;

/**
 * An OpenStack lookup in a region the cloud's Keystone catalogue lists; elsewhere the provider finds no endpoint
 * (gophercloud: "No suitable endpoint could be found in the service catalog.").
 */
function inRegion(answer: OfflineInvoke): OfflineInvoke {
    return async (inputs) => {
        const regions = offlineOpenStack().regions;
        if (regions && !regions.includes(openstackRegion())) throw lookupFailure("No suitable endpoint could be found in the service catalog.");
        return answer(inputs);
    };
}

export const OFFLINE_INVOKES: Record<string, OfflineInvoke> = {
    // DNS layer (components/dns/records.ts): the zone that holds the hub's record, found by name.
    "openstack:dns/getDnsZone:getDnsZone": (inputs) => ({
        id: "a86dba58-0043-4cc6-a1bb-69d5e86f3ca3",
        name: inputs.name,
        email: `hostmaster@${String(inputs.name).replace(/\.$/, "")}`,
        ttl: 3600,
        type: "PRIMARY",
        status: "ACTIVE",
    }),
    "aws:route53/getZone:getZone": (inputs) => ({
        id: "Z0123456789ABCDEFGHIJ",
        zoneId: "Z0123456789ABCDEFGHIJ",
        name: String(inputs.name).replace(/\.$/, ""),
        privateZone: false,
        nameServers: ["ns-1.awsdns-00.org", "ns-2.awsdns-01.net"],
    }),
    // Cloud layer (components/openstack, components/aws): sizes, images, networks, AMIs, zones and VPCs of the
    // offline clouds (plan/cloud.ts). Anything not there fails with the provider's own "no results" message.
    "openstack:compute/getFlavor:getFlavor": inRegion((inputs) => {
        const flavor = offlineOpenStack().flavors.find((f) => f.name === inputs.name);
        if (!flavor) throw lookupFailure();
        return {
            id: offlineUuid(`flavor/${flavor.name}`),
            flavorId: offlineUuid(`flavor/${flavor.name}`),
            name: flavor.name,
            vcpus: flavor.vcpus,
            ram: flavor.ramGiB * 1024,
            disk: flavor.diskGb ?? 0,
            swap: 0,
            rxTxFactor: 1,
            isPublic: true,
            extraSpecs: {},
            region: openstackRegion(),
        };
    }),
    "openstack:images/getImage:getImage": inRegion((inputs) => {
        const image = offlineOpenStack().images.find((i) => i.name === inputs.name);
        if (!image) throw lookupFailure();
        return {
            id: offlineUuid(`image/${image.name}`),
            name: image.name,
            createdAt: image.createdAt,
            updatedAt: image.createdAt,
            containerFormat: "bare",
            diskFormat: "raw",
            minDiskGb: 20,
            minRamMb: 0,
            sizeBytes: 3758096384,
            visibility: "public",
            protected: false,
            tags: [],
            metadata: {},
            properties: { os_distro: "ubuntu", os_version: "24.04" },
            region: openstackRegion(),
        };
    }),
    "openstack:networking/getNetwork:getNetwork": inRegion((inputs) => {
        if (!offlineOpenStack().externalNetworks.includes(inputs.name) || inputs.external === false) throw lookupFailure();
        return {
            id: offlineUuid(`network/${inputs.name}`),
            name: inputs.name,
            external: true,
            adminStateUp: "true",
            shared: "false",
            mtu: 1500,
            subnets: [offlineUuid(`subnet/${inputs.name}`)],
            availabilityZoneHints: [],
            allTags: [],
            region: openstackRegion(),
        };
    }),
    // A router of the project, by name or id (terraform-provider-openstack data_source_networking_router_v2:
    // exactly one match, or the provider's "no results" error).
    "openstack:networking/getRouter:getRouter": inRegion((inputs) => {
        const router = offlineOpenStack().routers.find((r) => (inputs.routerId ? offlineUuid(`router/${r.name}`) === inputs.routerId : r.name === inputs.name));
        if (!router) throw lookupFailure();
        return {
            id: offlineUuid(`router/${router.name}`),
            routerId: offlineUuid(`router/${router.name}`),
            name: router.name,
            adminStateUp: true,
            status: "ACTIVE",
            enableSnat: true,
            distributed: false,
            externalNetworkId: offlineUuid(`network/${router.externalNetwork}`),
            externalFixedIps: [{ subnetId: offlineUuid(`subnet/${router.externalNetwork}`), ipAddress: "149.165.168.20" }],
            availabilityZoneHints: [],
            allTags: [],
            tags: [],
            region: openstackRegion(),
        };
    }),
    // terraform-provider-openstack data_source_networking_floatingip_v2: one match by address; `pool` is the network id.
    "openstack:networking/getFloatingIp:getFloatingIp": inRegion((inputs) => {
        const ip = offlineOpenStack().floatingIps.find((f) => f.address === inputs.address);
        if (!ip) throw lookupFailure("No openstack_networking_floatingip_v2 found");
        return {
            id: offlineUuid(`floatingip/${ip.address}`),
            address: ip.address,
            pool: offlineUuid(`network/${ip.externalNetwork}`),
            portId: "",
            fixedIp: "",
            status: "DOWN",
            description: "",
            dnsName: "",
            dnsDomain: "",
            allTags: [],
            tags: [],
            tenantId: offlineUuid("project"),
            region: openstackRegion(),
        };
    }),
    "aws:ec2/getElasticIp:getElasticIp": (inputs) => {
        const eip = OFFLINE_ELASTIC_IPS.find((e) => e.publicIp === inputs.publicIp || e.allocationId === inputs.id);
        if (!eip) throw lookupFailure("no matching EC2 EIP found");
        return {
            id: eip.allocationId,
            arn: `arn:aws:ec2:${awsRegion()}:123456789012:elastic-ip/${eip.allocationId}`,
            publicIp: eip.publicIp,
            domain: "vpc",
            associationId: "",
            instanceId: "",
            networkInterfaceId: "",
            networkInterfaceOwnerId: "",
            privateIp: "",
            privateDns: "",
            publicDns: `ec2-${eip.publicIp.replace(/\./g, "-")}.compute-1.amazonaws.com`,
            publicIpv4Pool: "amazon",
            carrierIp: "",
            customerOwnedIp: "",
            customerOwnedIpv4Pool: "",
            ipamPoolId: "",
            ptrRecord: "",
            tags: {},
            region: awsRegion(),
        };
    },
    "openstack:compute/getAvailabilityZones:getAvailabilityZones": inRegion(() => ({
        id: offlineUuid(`zones/${openstackRegion()}`),
        names: [...offlineOpenStack().availabilityZones],
        state: "available",
        region: openstackRegion(),
    })),
    // The quota check (components/quota/openstack.ts): the session's scope, with a catalogue whose Cinder and Neutron
    // endpoints are the offline cloud's API (plan/openstack-api.ts), and Nova's limits.
    "openstack:identity/getAuthScope:getAuthScope": inRegion(async (inputs) => {
        const api = await offlineCloudApi(pulumi.runtime.allConfig()["openstack:authUrl"] ?? "");
        const project = offlineUuid("project");
        const endpoint = (type: string, url: string) => ({
            id: offlineUuid(`service/${type}`),
            name: type,
            type,
            endpoints: [{ id: offlineUuid(`endpoint/${type}`), interface: "public", region: openstackRegion(), regionId: openstackRegion(), url }],
        });
        return {
            id: inputs.name,
            name: inputs.name,
            projectId: project,
            projectName: "offline-project",
            projectDomainId: "default",
            projectDomainName: "Default",
            domainId: "",
            domainName: "",
            userId: offlineUuid("user"),
            userName: "offline-user",
            userDomainId: "default",
            userDomainName: "Default",
            roles: [{ roleId: offlineUuid("role/member"), roleName: "member" }],
            serviceCatalogs: [endpoint("volumev3", `${api}/volume/v3/${project}`), endpoint("network", `${api}/network`)],
            tokenId: inputs.setTokenId ? OFFLINE_TOKEN : "",
            region: openstackRegion(),
        };
    }),
    "openstack:compute/getLimitsV2:getLimitsV2": inRegion((inputs) => {
        if (inputs.projectId !== offlineUuid("project")) throw lookupFailure(`Expected HTTP response code [200] when accessing [GET limits?tenant_id=${inputs.projectId}], but got 403 instead`);
        const used = (name: OpenStackQuota) => offlineOpenStack().inUse[name] ?? 0;
        return {
            id: inputs.projectId,
            projectId: inputs.projectId,
            maxTotalCores: offlineQuota("cores"),
            totalCoresUsed: used("cores"),
            maxTotalRamSize: offlineQuota("ram"),
            totalRamUsed: used("ram"),
            maxTotalInstances: offlineQuota("instances"),
            totalInstancesUsed: used("instances"),
            maxServerGroups: offlineQuota("server_groups"),
            totalServerGroupsUsed: used("server_groups"),
            maxServerGroupMembers: offlineQuota("server_group_members"),
            maxTotalKeypairs: 100,
            maxServerMeta: 128,
            maxImageMeta: 128,
            maxPersonality: 5,
            maxPersonalitySize: 10240,
            maxSecurityGroups: -1,
            maxSecurityGroupRules: -1,
            totalSecurityGroupsUsed: 0,
            maxTotalFloatingIps: -1,
            totalFloatingIpsUsed: 0,
            region: openstackRegion(),
        };
    }),
    // The quota check on AWS (components/quota/aws.ts): the account's applied quotas, and an account with nothing
    // running yet and the one Elastic IP above allocated.
    "aws:servicequotas/getServiceQuota:getServiceQuota": (inputs) => {
        const found = (Object.entries(OFFLINE_AWS_QUOTAS) as [AwsQuota, (typeof OFFLINE_AWS_QUOTAS)[AwsQuota]][]).find(([, q]) => q.code === inputs.quotaCode);
        if (inputs.serviceCode !== "ec2" || !found) throw lookupFailure(`NoSuchResourceException: The request failed because the specified service quota ${inputs.quotaCode} does not exist.`);
        const [name, quota] = found;
        return {
            id: `${inputs.serviceCode}/${quota.code}`,
            arn: `arn:aws:servicequotas:${awsRegion()}:123456789012:ec2/${quota.code}`,
            serviceCode: "ec2",
            serviceName: "Amazon Elastic Compute Cloud (Amazon EC2)",
            quotaCode: quota.code,
            quotaName: quota.name,
            adjustable: true,
            globalQuota: false,
            defaultValue: OFFLINE_AWS_QUOTAS[name].value,
            value: offlineAwsQuota(name),
            usageMetrics: [],
            region: awsRegion(),
        };
    },
    "aws:ec2/getInstances:getInstances": (inputs) => ({ id: awsRegion(), ids: [], privateIps: [], publicIps: [], ipv6Addresses: [], instanceTags: {}, instanceStateNames: inputs.instanceStateNames, region: awsRegion() }),
    "aws:ec2/getEips:getEips": () => ({
        id: awsRegion(),
        allocationIds: OFFLINE_ELASTIC_IPS.map((e) => e.allocationId),
        publicIps: OFFLINE_ELASTIC_IPS.map((e) => e.publicIp),
        region: awsRegion(),
    }),
    "aws:ec2/getAmi:getAmi": (inputs) => {
        const owners: string[] | undefined = inputs.owners;
        const names = filterValues(inputs.filters, "name");
        const architectures = filterValues(inputs.filters, "architecture");
        const matches = OFFLINE_AMIS.filter(
            (a) =>
                (!owners || owners.includes(a.ownerId)) &&
                (!names || names.some((n) => globMatches(n, a.name))) &&
                (!architectures || architectures.includes(a.architecture)),
        ).sort((a, b) => b.creationDate.localeCompare(a.creationDate));
        if (matches.length === 0 || (matches.length > 1 && !inputs.mostRecent)) {
            throw lookupFailure(matches.length === 0 ? NO_RESULTS : "Your query returned more than one result. Please try a more specific search criteria, or set `most_recent` attribute to true.");
        }
        const ami = matches[0];
        return {
            id: ami.id,
            imageId: ami.id,
            name: ami.name,
            ownerId: ami.ownerId,
            architecture: ami.architecture,
            creationDate: ami.creationDate,
            rootDeviceName: "/dev/sda1",
            rootDeviceType: "ebs",
            virtualizationType: "hvm",
            state: "available",
            public: true,
            region: awsRegion(),
        };
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => {
        const region = awsRegion();
        const { names, zoneIds } = awsZones();
        return { id: region, names, zoneIds, groupNames: [region], region };
    },
    "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": (inputs) => {
        const wanted = filterValues(inputs.filters, "instance-type");
        const locations = filterValues(inputs.filters, "location") ?? [awsRegion()];
        const types = offlineInstanceTypes()
            .map((f) => f.name)
            .filter((t) => !wanted || wanted.includes(t));
        const offered = locations.filter((l) => (inputs.locationType === "availability-zone" ? awsZoneOffers(l) : l === awsRegion()));
        const pairs = offered.flatMap((l) => types.map((t) => ({ l, t })));
        return {
            id: awsRegion(),
            instanceTypes: pairs.map((p) => p.t),
            locations: pairs.map((p) => p.l),
            locationTypes: pairs.map(() => inputs.locationType ?? "region"),
            region: awsRegion(),
        };
    },
    "aws:ec2/getVpc:getVpc": (inputs) => {
        const vpc = OFFLINE_VPCS.find((v) => v.id === inputs.id);
        if (!vpc) throw lookupFailure("no matching EC2 VPC found");
        return {
            id: vpc.id,
            arn: `arn:aws:ec2:${awsRegion()}:123456789012:vpc/${vpc.id}`,
            cidrBlock: vpc.cidrBlock,
            cidrBlockAssociations: [{ associationId: `vpc-cidr-assoc-${vpc.id.slice(4)}`, cidrBlock: vpc.cidrBlock, state: "associated" }],
            default: false,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            instanceTenancy: "default",
            state: "available",
            ownerId: "123456789012",
            tags: {},
            region: awsRegion(),
        };
    },
    "aws:ec2/getInternetGateway:getInternetGateway": (inputs) => {
        const vpcIds = filterValues(inputs.filters, "attachment.vpc-id") ?? [];
        const vpc = OFFLINE_VPCS.find((v) => vpcIds.includes(v.id));
        if (!vpc) throw lookupFailure("no matching EC2 Internet Gateway found");
        return {
            id: vpc.internetGatewayId,
            internetGatewayId: vpc.internetGatewayId,
            attachments: [{ vpcId: vpc.id, state: "available" }],
            ownerId: "123456789012",
            tags: {},
            region: awsRegion(),
        };
    },
};
