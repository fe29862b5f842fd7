import * as pulumi from "@pulumi/pulumi";
import * as openstack from "@pulumi/openstack";
import { NAMESPACE, SiteConfig } from "../config";
import { QuotaPreflight } from "../quota/preflight";
import { readOpenStackQuotas } from "../quota/openstack";
import { ClusterHosts, ClusterNode, DataVolume } from "../hosts";
import { FIREWALL_GROUPS, FirewallGroup, groupsForRole, inboundRules, ruleKey } from "../firewall";
import { hostPublicKey, lookup, nodeConnection, nodeHostKey, nodeLayout, NodeSpec, nodeUserData, SettingProblem, siteTags, sshCommand } from "../cloud";
import {
    bootsFromVolume,
    bootVolume,
    cinderDiskSerial,
    floatingIpProblem,
    openstackTags,
    routerGatewayProblem,
    routerQuery,
    secGroupRuleArgs,
    serverGroupCount,
    serverGroupOf,
    serverGroupSuffix,
    WORKER_PLACEMENT_POLICY,
} from "./specs";

export interface OpenStackHostsArgs {
    config: SiteConfig;
    privateKey: pulumi.Output<string>;
}

/**
 * The site on an OpenStack cloud: a network routed to the external network, security groups, the master with a
 * floating IP, workers side by side in a soft-anti-affinity server group, and the NFS data volume.
 */
export class OpenStackHosts extends pulumi.ComponentResource implements ClusterHosts {
    public readonly master: ClusterNode;
    public readonly workers: ClusterNode[];
    public readonly nfs: ClusterNode;
    public readonly publicIp: pulumi.Output<string>;
    public readonly dataVolume: DataVolume;
    public readonly sshCommand: pulumi.Output<string>;
    /** Every resource below waits for it: nothing is created when the project's quotas cannot hold the site. */
    private readonly preflight: QuotaPreflight;

    constructor(name: string, args: OpenStackHostsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("esiphub:openstack:Hosts", name, {}, opts);
        const { config, privateKey } = args;
        if (config.cloud !== "openstack" || !config.openstack) {
            throw new pulumi.InputPropertyError({ propertyPath: "config.cloud", reason: `esiphub:cloud is "${config.cloud}"; OpenStackHosts builds openstack sites` });
        }
        const site = config.site;
        const region = config.region;
        this.preflight = new QuotaPreflight(config, this, () => readOpenStackQuotas(this, region));
        const stack = pulumi.getStack();
        const tags = (role: string) => siteTags(site, stack, role);
        const { externalNetwork, image: imageName, existingRouter } = config.openstack;
        const layout = nodeLayout(config);

        // Lookups by name; each failure names the setting to fix.
        const external = lookup("externalNetwork", `no external network named "${externalNetwork}" in region ${region}`, this, () =>
            openstack.networking.getNetwork({ name: externalNetwork, external: true }, { parent: this }),
        );
        const image = lookup("image", `no image named "${imageName}" in region ${region}`, this, () =>
            openstack.images.getImage({ name: imageName, mostRecent: true }, { parent: this }),
        );
        // A zone that Nova does not have fails only when the VMs are created; check it now.
        const configuredZone = config.nodes.availabilityZone;
        const zone = configuredZone
            ? lookup("availabilityZone", `cannot list the zones of region ${region}`, this, () =>
                  openstack.compute.getAvailabilityZones({ state: "available" }, { parent: this }).then((zones) => {
                      if (!zones.names.includes(configuredZone)) {
                          throw new SettingProblem("availabilityZone", `"${configuredZone}" is not an available zone of region ${region} (${zones.names.join(", ")})`);
                      }
                      return configuredZone;
                  }),
              )
            : undefined;
        // One lookup per flavor the nodes use; a missing one names the setting that chose it.
        const flavors = new Map<string, () => pulumi.Output<string>>();
        for (const node of layout) {
            if (flavors.has(node.flavor.name)) continue;
            const key = node.role === "worker" ? "workerFlavor" : "masterFlavor";
            const found = lookup(key, `no flavor named "${node.flavor.name}" in region ${region}`, this, () =>
                openstack.compute.getFlavor({ name: node.flavor.name }, { parent: this }),
            );
            flavors.set(node.flavor.name, () => found().id);
        }

        const network = new openstack.networking.Network(`${name}-network`, { name: `${site}-net`, adminStateUp: true, tags: openstackTags(tags("network")) }, this.child());
        const subnet = new openstack.networking.Subnet(
            `${name}-subnet`,
            {
                name: `${site}-subnet`,
                networkId: network.id,
                cidr: config.network.subnetCidr,
                ipVersion: 4,
                enableDhcp: true,
                dnsNameservers: config.network.dnsNameservers,
                tags: openstackTags(tags("network")),
            },
            this.child(),
        );
        const routerId = existingRouter ? this.findRouter(existingRouter, externalNetwork, region, external) : this.newRouter(name, site, external, tags("network"));
        const routerInterface = new openstack.networking.RouterInterface(`${name}-router-interface`, { routerId, subnetId: subnet.id }, this.child());

        const groups = new Map<FirewallGroup, openstack.networking.SecGroup>();
        for (const spec of FIREWALL_GROUPS) {
            groups.set(
                spec.group,
                new openstack.networking.SecGroup(
                    `${name}-sg-${spec.group}`,
                    { name: `${site}-${spec.group}`, description: spec.description, tags: openstackTags(tags("firewall")) },
                    this.child(),
                ),
            );
        }
        for (const rule of inboundRules(config.network)) {
            new openstack.networking.SecGroupRule(
                `${name}-rule-${ruleKey(rule)}`,
                { securityGroupId: groups.get(rule.group)!.id, ...secGroupRuleArgs(rule) },
                this.child(),
            );
        }

        // Nova key pair names are unique per user: a new key replaces the old one under the same name, so the old goes first.
        const keypair = new openstack.compute.Keypair(
            `${name}-keypair`,
            { name: `esiphub-${site}`, publicKey: config.ssh.publicKey },
            this.child({ deleteBeforeReplace: true }),
        );
        // Workers in server groups of at most SERVER_GROUP_SIZE (Nova's default server_group_members quota).
        const workerGroups = Array.from({ length: serverGroupCount(config.nodes.workers) }, (_, i) =>
            new openstack.compute.ServerGroup(
                `${name}-workers${serverGroupSuffix(i)}`,
                { name: `${site}-workers${serverGroupSuffix(i)}`, policies: [WORKER_PLACEMENT_POLICY] },
                this.child(),
            ),
        );

        const makeNode = (node: NodeSpec) => {
            const port = new openstack.networking.Port(
                `${name}-${node.name}-port`,
                {
                    name: `${node.name}-port`,
                    networkId: network.id,
                    fixedIps: [{ subnetId: subnet.id }],
                    securityGroupIds: groupsForRole(node.role).map((g) => groups.get(g)!.id),
                    adminStateUp: true,
                    tags: openstackTags(tags(node.role)),
                },
                this.child(),
            );
            const hostKey = nodeHostKey(`${name}-${node.name}-host-key`, this.child());
            const fromVolume = bootsFromVolume(node.flavor, config.nodes.rootVolumeSizeGb);
            const instance = new openstack.compute.Instance(
                `${name}-${node.name}`,
                {
                    name: node.name,
                    flavorId: flavors.get(node.flavor.name)!(),
                    keyPair: keypair.name,
                    networks: [{ port: port.id }],
                    // The flavor's local disk when it is large enough (no volume, no storage quota), else a volume.
                    imageId: fromVolume ? undefined : image().id,
                    blockDevices: fromVolume ? [image().id.apply((id) => bootVolume(id, config.nodes.rootVolumeSizeGb))] : undefined,
                    availabilityZone: zone?.(),
                    schedulerHints: node.role === "worker" ? [{ group: workerGroups[serverGroupOf(node.name)].id }] : undefined,
                    // Nova: changing user_data creates a new server, so a new host key comes with a new VM.
                    userData: nodeUserData(node.name, hostKey),
                    metadata: tags(node.role),
                },
                this.child({
                    // A port belongs to one VM: the old VM must free it before a new one can boot on it (Neutron 409 PortInUse).
                    deleteBeforeReplace: true,
                    // The image name points at the newest build; a new build must not replace running nodes.
                    ignoreChanges: [fromVolume ? "blockDevices[0].uuid" : "imageId"],
                    dependsOn: [routerInterface],
                }),
            );
            // Through the instance, so that whoever uses the address waits for the VM.
            const privateIp = pulumi.all([port.allFixedIps, instance.id]).apply(([ips]) => ips[0]);
            return { instance, port, privateIp, hostKey: hostPublicKey(hostKey) };
        };

        const [masterSpec, ...others] = layout;
        const master = makeNode(masterSpec);
        const publicIp = config.network.publicIp;
        const address = publicIp
            ? this.keptFloatingIp(publicIp, externalNetwork, region, external, master.port)
            : new openstack.networking.FloatingIp(
                  `${name}-floating-ip`,
                  { pool: externalNetwork, description: `${site} hub and SSH`, tags: openstackTags(tags("access")) },
                  this.child(),
              ).address;
        const association = new openstack.networking.FloatingIpAssociate(
            `${name}-floating-ip-association`,
            { floatingIp: address, portId: master.port.id },
            // Deleting an association clears the address's port: done after a new one, it would undo the new one.
            this.child({ dependsOn: [routerInterface], deleteBeforeReplace: true }),
        );
        this.publicIp = association.floatingIp;
        const masterHost = pulumi.all([association.floatingIp, master.instance.id]).apply(([ip]) => ip);
        const user = config.ssh.user;
        this.master = {
            name: masterSpec.name,
            role: "master",
            privateIp: master.privateIp,
            connection: nodeConnection({ node: { host: masterHost, hostKey: master.hostKey }, user, privateKey }),
            hostKey: master.hostKey,
            instance: master.instance,
        };
        let nfsInstance = master.instance;
        this.workers = [];
        this.nfs = this.master;
        for (const spec of others) {
            const made = makeNode(spec);
            const node: ClusterNode = {
                name: spec.name,
                role: spec.role,
                privateIp: made.privateIp,
                connection: nodeConnection({ node: { host: made.privateIp, hostKey: made.hostKey }, user, privateKey, jumpHost: { host: masterHost, hostKey: master.hostKey } }),
                hostKey: made.hostKey,
                instance: made.instance,
            };
            if (spec.role === "nfs") {
                this.nfs = node;
                nfsInstance = made.instance;
            } else {
                this.workers.push(node);
            }
        }

        const volume = new openstack.blockstorage.Volume(
            `${name}-data`,
            {
                name: `${site}-data`,
                description: `${site} NFS data: homes and shared scratch`,
                size: config.storage.dataVolumeSizeGb,
                availabilityZone: zone?.(),
                enableOnlineResize: true,
                metadata: tags("storage"),
            },
            this.child({
                retainOnDelete: config.storage.keepDataOnDestroy,
                // Growing the size extends it in place; a new zone must not replace the data.
                ignoreChanges: ["availabilityZone"],
            }),
        );
        // A volume attaches to one VM at a time: detach before attaching it anew.
        const attachment = new openstack.compute.VolumeAttach(
            `${name}-data-attachment`,
            { instanceId: nfsInstance.id, volumeId: volume.id },
            this.child({ deleteBeforeReplace: true }),
        );
        this.dataVolume = {
            id: volume.id,
            serial: pulumi.all([volume.id, attachment.id]).apply(([id]) => cinderDiskSerial(id)),
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
     * The floating IP named by esiphub:publicIp: allocated by the organiser, never created or released here, so it
     * outlives the stack. It must come from the external network, and be free or already on the master's port:
     * Neutron would otherwise move it from the VM that has it.
     */
    private keptFloatingIp(
        address: string,
        externalNetwork: string,
        region: string,
        external: () => pulumi.Output<{ id: string }>,
        masterPort: openstack.networking.Port,
    ): pulumi.Output<string> {
        const found = lookup("publicIp", `no floating IP ${address} in the project in region ${region}; allocate one with \`openstack floating ip create ${externalNetwork}\``, this, () =>
            openstack.networking.getFloatingIp({ address }, { parent: this }),
        );
        return pulumi.all([found(), external().id, masterPort.id]).apply(([ip, externalId, portId]) => {
            // The data source's `pool` is the floating network's id (terraform-provider-openstack data_source_networking_floatingip_v2).
            const problem = floatingIpProblem({ address, networkId: ip.pool, portId: ip.portId }, { name: externalNetwork, id: externalId }, portId);
            if (problem) throw new pulumi.ResourceError(`${NAMESPACE}:publicIp: ${problem}`, this);
            return address;
        });
    }

    /** A router of the site's own, with its gateway on the external network. */
    private newRouter(name: string, site: string, external: () => pulumi.Output<{ id: string }>, labels: Record<string, string>): pulumi.Output<string> {
        return new openstack.networking.Router(
            `${name}-router`,
            { name: `${site}-router`, externalNetworkId: external().id, adminStateUp: true, tags: openstackTags(labels) },
            this.child(),
        ).id;
    }

    /**
     * The project's router named by esiphub:existingRouter (Jetstream2 allows one router per project and asks to re-use
     * it: js2docs general/policies.md, ui/cli/network.md). Its gateway must be on the external network the floating IP
     * comes from, or the floating IP cannot reach the subnet (Neutron: "External network ... is not reachable").
     */
    private findRouter(router: string, externalNetwork: string, region: string, external: () => pulumi.Output<{ id: string }>): pulumi.Output<string> {
        const query = routerQuery(router);
        const found = lookup("existingRouter", `no router ${"routerId" in query ? "with id" : "named"} "${router}" in region ${region}`, this, () =>
            openstack.networking.getRouter(query, { parent: this }),
        );
        return pulumi.all([found(), external().id]).apply(([r, externalId]) => {
            const problem = routerGatewayProblem(router, r.externalNetworkId, externalId, externalNetwork);
            if (problem) throw new pulumi.ResourceError(`${NAMESPACE}:existingRouter: ${problem}`, this);
            return r.id;
        });
    }

    /** Options of each resource here: a child of the component, sent to the engine only once the quota check has passed. */
    private child(opts: Omit<pulumi.CustomResourceOptions, "parent" | "dependsOn"> & { dependsOn?: pulumi.Resource[] } = {}): pulumi.CustomResourceOptions {
        return { ...opts, parent: this, dependsOn: this.preflight.after(...(opts.dependsOn ?? [])) };
    }
}
