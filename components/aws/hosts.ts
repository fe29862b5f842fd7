import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { NAMESPACE, SiteConfig } from "../config";
import { QuotaPreflight } from "../quota/preflight";
import { readAwsQuotas } from "../quota/aws";
import { ClusterHosts, ClusterNode, DataVolume } from "../hosts";
import { FIREWALL_GROUPS, FirewallGroup, groupsForRole, inboundRules, ruleKey } from "../firewall";
import { hostPublicKey, lookup, nodeConnection, nodeHostKey, nodeLayout, NodeSpec, nodeUserData, SettingProblem, siteTags, sshCommand } from "../cloud";
import { amiQuery, awsTags, cidrContains, DATA_VOLUME_DEVICE_NAME, elasticIpProblem, zoneChangeProblem, ebsDiskSerial, ingressRuleArgs } from "./specs";

export interface AwsHostsArgs {
    config: SiteConfig;
    privateKey: pulumi.Output<string>;
}

/**
 * The site on AWS: a public subnet (in a new VPC or an existing one) routed to an internet gateway, security groups,
 * the master with an Elastic IP, workers side by side, and the NFS data volume (gp3 EBS).
 * Every node gets a public address for its own outbound traffic (cheaper than a NAT gateway); the security groups
 * let nothing in from outside except what components/firewall.ts lists.
 */
export class AwsHosts extends pulumi.ComponentResource implements ClusterHosts {
    public readonly master: ClusterNode;
    public readonly workers: ClusterNode[];
    public readonly nfs: ClusterNode;
    public readonly publicIp: pulumi.Output<string>;
    public readonly dataVolume: DataVolume;
    public readonly sshCommand: pulumi.Output<string>;
    /** Every resource below waits for it: nothing is created when the account's quotas cannot hold the site. */
    private readonly preflight: QuotaPreflight;

    constructor(name: string, args: AwsHostsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("esiphub:aws:Hosts", name, {}, opts);
        const { config, privateKey } = args;
        if (config.cloud !== "aws" || !config.aws) {
            throw new pulumi.InputPropertyError({ propertyPath: "config.cloud", reason: `esiphub:cloud is "${config.cloud}"; AwsHosts builds aws sites` });
        }
        const site = config.site;
        const region = config.region;
        this.preflight = new QuotaPreflight(config, this, () => readAwsQuotas(this));
        const stack = pulumi.getStack();
        const tags = (role: string, resourceName: string) => awsTags(siteTags(site, stack, role), resourceName);
        const { amiOwner, amiNameFilter, vpcId: existingVpcId } = config.aws;
        const layout = nodeLayout(config);
        const subnetCidr = config.network.subnetCidr;

        // Lookups; each failure names the setting to fix.
        const configuredZone = config.nodes.availabilityZone;
        const zonePromise = aws.getAvailabilityZones({ state: "available" }, { parent: this }).then(
            (zones) => {
                if (configuredZone === undefined) return zones.names[0];
                if (!zones.names.includes(configuredZone)) {
                    throw new SettingProblem("availabilityZone", `"${configuredZone}" is not an available zone of ${region} (${zones.names.join(", ")})`);
                }
                return configuredZone;
            },
            (e: Error) => {
                throw new SettingProblem("availabilityZone", `cannot list the zones of ${region} (${e.message})`);
            },
        );
        const zone = lookup("availabilityZone", `no available zone in ${region}`, this, () => zonePromise);
        const ami = lookup("amiNameFilter", `no AMI named like "${amiNameFilter}" from owner ${amiOwner} in ${region}`, this, () =>
            aws.ec2.getAmi(amiQuery(amiOwner, amiNameFilter), { parent: this }),
        );
        // An instance type that the zone does not offer fails only when the instance is launched; check it now.
        const instanceTypes = new Map<string, () => pulumi.Output<string>>();
        for (const { role, flavor } of layout) {
            if (instanceTypes.has(flavor.name)) continue;
            const key = role === "worker" ? "workerFlavor" : "masterFlavor";
            const offered = lookup(key, `instance type ${flavor.name} is not offered in the zone`, this, async () => {
                const az = await zonePromise;
                const offerings = await aws.ec2.getInstanceTypeOfferings(
                    {
                        locationType: "availability-zone",
                        filters: [
                            { name: "location", values: [az] },
                            { name: "instance-type", values: [flavor.name] },
                        ],
                    },
                    { parent: this },
                );
                if (!offerings.instanceTypes.includes(flavor.name)) throw new SettingProblem(key, `instance type ${flavor.name} is not offered in ${az}`);
                return flavor.name;
            });
            instanceTypes.set(flavor.name, offered);
        }

        // A getter, so that a failed lookup fails each user with its own error.
        let vpcId: () => pulumi.Output<string>;
        let gatewayId: pulumi.Output<string>;
        let gateway: aws.ec2.InternetGateway | undefined;
        if (existingVpcId) {
            const vpc = lookup("vpcId", `no VPC ${existingVpcId} in ${region}`, this, () =>
                aws.ec2.getVpc({ id: existingVpcId }, { parent: this }).then((v) => {
                    const blocks = v.cidrBlockAssociations.map((c) => c.cidrBlock);
                    if (!blocks.some((block) => cidrContains(block, subnetCidr))) {
                        throw new SettingProblem("subnetCidr", `${subnetCidr} is not inside VPC ${v.id} (${blocks.join(", ")}); choose a free range of it`);
                    }
                    return v;
                }),
            );
            vpcId = () => vpc().id;
            gatewayId = lookup("vpcId", `VPC ${existingVpcId} has no internet gateway`, this, () =>
                aws.ec2.getInternetGateway({ filters: [{ name: "attachment.vpc-id", values: [existingVpcId] }] }, { parent: this }),
            )().internetGatewayId;
        } else {
            const vpc = new aws.ec2.Vpc(
                `${name}-vpc`,
                { cidrBlock: subnetCidr, enableDnsSupport: true, enableDnsHostnames: true, tags: tags("network", `${site}-vpc`) },
                this.child(),
            );
            gateway = new aws.ec2.InternetGateway(`${name}-gateway`, { vpcId: vpc.id, tags: tags("network", `${site}-gateway`) }, this.child());
            vpcId = () => vpc.id;
            gatewayId = gateway.id;
        }
        // The data volume first: its zone is where the site has to stay.
        const volume = new aws.ebs.Volume(
            `${name}-data`,
            { availabilityZone: zone(), size: config.storage.dataVolumeSizeGb, type: "gp3", encrypted: true, tags: tags("storage", `${site}-data`) },
            this.child({
                retainOnDelete: config.storage.keepDataOnDestroy,
                // Growing the size or changing the type happens in place; a new zone must not replace the data.
                ignoreChanges: ["availabilityZone"],
            }),
        );
        // A new zone would replace the subnet (colliding on its CIDR) and every node, away from the volume: refused.
        const siteZone = pulumi.all([volume.availabilityZone, zone()]).apply(([volumeZone, wanted]) => {
            const problem = zoneChangeProblem(volumeZone, wanted);
            if (problem) throw new pulumi.ResourceError(`${NAMESPACE}:availabilityZone: ${problem}`, this);
            return wanted;
        });
        const subnet = new aws.ec2.Subnet(
            `${name}-subnet`,
            { vpcId: vpcId(), cidrBlock: subnetCidr, availabilityZone: siteZone, mapPublicIpOnLaunch: true, tags: tags("network", `${site}-subnet`) },
            this.child(),
        );
        const routeTable = new aws.ec2.RouteTable(
            `${name}-routes`,
            { vpcId: vpcId(), routes: [{ cidrBlock: "0.0.0.0/0", gatewayId }], tags: tags("network", `${site}-routes`) },
            this.child(),
        );
        const routeAssociation = new aws.ec2.RouteTableAssociation(`${name}-routes-association`, { subnetId: subnet.id, routeTableId: routeTable.id }, this.child());

        const groups = new Map<FirewallGroup, aws.ec2.SecurityGroup>();
        for (const spec of FIREWALL_GROUPS) {
            groups.set(
                spec.group,
                // Names are unique per VPC and a new description replaces the group: a prefix lets the new one come first.
                new aws.ec2.SecurityGroup(
                    `${name}-sg-${spec.group}`,
                    { namePrefix: `${site}-${spec.group}-`, description: spec.description, vpcId: vpcId(), tags: tags("firewall", `${site}-${spec.group}`) },
                    this.child(),
                ),
            );
        }
        for (const rule of inboundRules(config.network)) {
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-rule-${ruleKey(rule)}`,
                { securityGroupId: groups.get(rule.group)!.id, ...ingressRuleArgs(rule), tags: tags("firewall", `${site}-${ruleKey(rule)}`) },
                this.child(),
            );
        }
        // AWS's default allow-all egress rule is removed when the group is created; every node is in "cluster".
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-rule-cluster-egress`,
            { securityGroupId: groups.get("cluster")!.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: "All outbound traffic", tags: tags("firewall", `${site}-egress`) },
            this.child(),
        );

        // Key names are unique per region: a new key replaces the old one under the same name, so the old goes first.
        const keyPair = new aws.ec2.KeyPair(
            `${name}-keypair`,
            { keyName: `esiphub-${site}`, publicKey: config.ssh.publicKey, tags: tags("access", `esiphub-${site}`) },
            this.child({ deleteBeforeReplace: true }),
        );

        const makeNode = (node: NodeSpec) => {
            const hostKey = nodeHostKey(`${name}-${node.name}-host-key`, this.child());
            const instance = new aws.ec2.Instance(
                `${name}-${node.name}`,
                {
                    ami: ami().id,
                    instanceType: instanceTypes.get(node.flavor.name)!(),
                    subnetId: subnet.id,
                    vpcSecurityGroupIds: groupsForRole(node.role).map((g) => groups.get(g)!.id),
                    keyName: keyPair.keyName,
                    associatePublicIpAddress: true,
                    rootBlockDevice: {
                        volumeType: "gp3",
                        volumeSize: config.nodes.rootVolumeSizeGb,
                        encrypted: true,
                        deleteOnTermination: true,
                        tags: tags(node.role, `${node.name}-root`),
                    },
                    // Instance metadata only with a session token (IMDSv2).
                    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required" },
                    userData: nodeUserData(node.name, hostKey),
                    // A new host key needs a new instance: cloud-init's ssh module runs once per instance, so a
                    // stop/start with new user data (EC2's default) would keep the old key and every pinned
                    // connection would fail.
                    userDataReplaceOnChange: true,
                    tags: tags(node.role, node.name),
                },
                this.child({
                    // The AMI filter finds the newest build; a new build must not replace running nodes.
                    ignoreChanges: ["ami"],
                    dependsOn: [routeAssociation],
                }),
            );
            return { instance, hostKey: hostPublicKey(hostKey) };
        };

        const [masterSpec, ...others] = layout;
        const { instance: master, hostKey: masterHostKey } = makeNode(masterSpec);
        const kept = config.network.publicIp;
        const eip = kept
            ? { allocationId: this.keptElasticIp(kept, region, master), publicIp: pulumi.output(kept) }
            : new aws.ec2.Eip(`${name}-eip`, { domain: "vpc", tags: tags("access", `${site}-hub`) }, this.child({ dependsOn: gateway ? [gateway] : [] }));
        // An address reaches a VPC only through its internet gateway (AssociateAddress refuses otherwise).
        const eipAssociation = new aws.ec2.EipAssociation(
            `${name}-eip-association`,
            { allocationId: eip.allocationId, instanceId: master.id },
            // One association per address: the old one goes before a new one is made.
            this.child({ dependsOn: gateway ? [gateway] : [], deleteBeforeReplace: true }),
        );
        this.publicIp = pulumi.all([eip.publicIp, eipAssociation.id]).apply(([ip]) => ip);
        const user = config.ssh.user;
        this.master = {
            name: masterSpec.name,
            role: "master",
            privateIp: master.privateIp,
            connection: nodeConnection({ node: { host: this.publicIp, hostKey: masterHostKey }, user, privateKey }),
            hostKey: masterHostKey,
            instance: master,
        };
        let nfsInstance = master;
        this.workers = [];
        this.nfs = this.master;
        for (const spec of others) {
            const { instance, hostKey } = makeNode(spec);
            const node: ClusterNode = {
                name: spec.name,
                role: spec.role,
                privateIp: instance.privateIp,
                connection: nodeConnection({
                    node: { host: instance.privateIp, hostKey },
                    user,
                    privateKey,
                    jumpHost: { host: this.publicIp, hostKey: masterHostKey },
                }),
                hostKey,
                instance,
            };
            if (spec.role === "nfs") {
                this.nfs = node;
                nfsInstance = instance;
            } else {
                this.workers.push(node);
            }
        }

        const attachment = new aws.ec2.VolumeAttachment(
            `${name}-data-attachment`,
            // Detaching a mounted volume from a running host can leave the filesystem damaged (EBS user guide,
            // "Detach a volume"), so EC2 stops the host first; a volume attaches to one instance, so detach first.
            { deviceName: DATA_VOLUME_DEVICE_NAME, volumeId: volume.id, instanceId: nfsInstance.id, stopInstanceBeforeDetaching: true },
            this.child({ deleteBeforeReplace: true }),
        );
        // ...and EC2 leaves it stopped: whichever host the volume can be on is started again after a new attachment.
        const hosts = new Map([[this.master.name, master], [this.nfs.name, nfsInstance]]);
        for (const [nodeName, instance] of hosts) {
            new aws.ec2transitgateway.InstanceState(
                `${name}-${nodeName}-running`,
                { instanceId: instance.id, state: "running" },
                this.child({ dependsOn: [attachment], replacementTrigger: attachment.id }),
            );
        }
        this.dataVolume = {
            id: volume.id,
            serial: pulumi.all([volume.id, attachment.id]).apply(([id]) => ebsDiskSerial(id)),
            attachment,
        };
        this.sshCommand = sshCommand(user, this.publicIp);

        this.registerOutputs({
            publicIp: this.publicIp,
            masterPrivateIp: this.master.privateIp,
            workerPrivateIps: this.workers.map((w) => w.privateIp),
            dataVolumeId: this.dataVolume.id,
            sshCommand: this.sshCommand,
        });
    }

    /**
     * The Elastic IP named by esiphub:publicIp: allocated by the organiser, never allocated or released here, so it
     * outlives the stack. It must be a VPC address, free or already on the master (AssociateAddress would move it).
     */
    private keptElasticIp(address: string, region: string, master: aws.ec2.Instance): pulumi.Output<string> {
        const found = lookup("publicIp", `no Elastic IP ${address} in ${region}; allocate one with \`aws ec2 allocate-address --domain vpc\``, this, () =>
            aws.ec2.getElasticIp({ publicIp: address }, { parent: this }),
        );
        return pulumi.all([found(), master.id]).apply(([eip, instanceId]) => {
            const problem = elasticIpProblem({ address, domain: eip.domain, instanceId: eip.instanceId, networkInterfaceId: eip.networkInterfaceId }, instanceId);
            if (problem) throw new pulumi.ResourceError(`${NAMESPACE}:publicIp: ${problem}`, this);
            return eip.id;
        });
    }

    /** Options of each resource here: a child of the component, sent to the engine only once the quota check has passed. */
    private child(opts: Omit<pulumi.CustomResourceOptions, "parent" | "dependsOn"> & { dependsOn?: pulumi.Resource[] } = {}): pulumi.CustomResourceOptions {
        return { ...opts, parent: this, dependsOn: this.preflight.after(...(opts.dependsOn ?? [])) };
    }
}
