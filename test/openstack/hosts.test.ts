import * as assert from "assert";
import { inboundRules } from "../../components/firewall";
import { assertHostKeysPinned, failureCases, HOST_KEY, HostsPlan, planHosts } from "../cloudhosts";
import { findResource, longestChain, PlannedResource, resourcesOfType } from "../mocks";
import { offlineUuid, withOfflineQuotas } from "../../plan/cloud";

const T = {
    network: "openstack:networking/network:Network",
    subnet: "openstack:networking/subnet:Subnet",
    router: "openstack:networking/router:Router",
    routerInterface: "openstack:networking/routerInterface:RouterInterface",
    secGroup: "openstack:networking/secGroup:SecGroup",
    secGroupRule: "openstack:networking/secGroupRule:SecGroupRule",
    port: "openstack:networking/port:Port",
    floatingIp: "openstack:networking/floatingIp:FloatingIp",
    floatingIpAssociate: "openstack:networking/floatingIpAssociate:FloatingIpAssociate",
    keypair: "openstack:compute/keypair:Keypair",
    serverGroup: "openstack:compute/serverGroup:ServerGroup",
    instance: "openstack:compute/instance:Instance",
    volume: "openstack:blockstorage/volume:Volume",
    volumeAttach: "openstack:compute/volumeAttach:VolumeAttach",
};

function countsByType(plan: HostsPlan): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of plan.resources.filter((r) => r.custom)) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
}

const input = <T = unknown>(r: PlannedResource, key: string) => r.inputs[key] as T;

/** The URNs a resource depends on, through dependencies, all the way down. */
function dependsOnTransitively(plan: HostsPlan, r: PlannedResource): Set<string> {
    const byUrn = new Map(plan.resources.map((x) => [x.urn, x]));
    const seen = new Set<string>();
    const walk = (urn: string) => {
        for (const d of byUrn.get(urn)?.dependencies ?? []) {
            if (!seen.has(d)) {
                seen.add(d);
                walk(d);
            }
        }
    };
    walk(r.urn);
    return seen;
}

describe("openstack: hosts under mocks", () => {
    const plans: Record<string, HostsPlan> = {};
    before(async () => {
        plans.nebula = await planHosts("nebula");
        plans.jetstream = await planHosts("jetstream");
    });

    for (const site of ["nebula", "jetstream"] as const) {
        describe(site, () => {
            it("has the resource set: counts per type", () => {
                const plan = plans[site];
                assert.strictEqual(plan.config.nodes.workers, 5);
                assert.deepStrictEqual(countsByType(plan), {
                    [T.keypair]: 1,
                    [T.serverGroup]: 1,
                    [T.secGroup]: 3,
                    [T.network]: 1,
                    [T.floatingIp]: 1,
                    [T.volume]: 1,
                    // Jetstream2's stack re-uses the project's router (esiphub:existingRouter).
                    ...(site === "nebula" ? { [T.router]: 1 } : {}),
                    // 22 and 6443 from the one admin CIDR, 80 and 443, seven node-to-node rules.
                    [T.secGroupRule]: 11,
                    [T.subnet]: 1,
                    [T.routerInterface]: 1,
                    [T.port]: 6,
                    [T.floatingIpAssociate]: 1,
                    [T.instance]: 6,
                    [HOST_KEY]: 6,
                    [T.volumeAttach]: 1,
                });
                const component = findResource(plan, "esiphub:openstack:Hosts");
                for (const r of plan.resources.filter((x) => x.custom)) assert.strictEqual(r.parent, component.urn, `${r.name} is a child of the component`);
            });

            it("renders exactly the firewall's rules, none opening 22, 6443 or 2049 to the world", () => {
                const plan = plans[site];
                const groupName = new Map(resourcesOfType(plan, T.secGroup).map((g) => [`${g.name}-id`, input<string>(g, "name")]));
                const rendered = resourcesOfType(plan, T.secGroupRule)
                    .map((r) => {
                        assert.strictEqual(input(r, "direction"), "ingress");
                        assert.strictEqual(input(r, "ethertype"), "IPv4");
                        return `${groupName.get(input(r, "securityGroupId"))} ${input(r, "protocol")} ${input(r, "portRangeMin")}-${input(r, "portRangeMax")} ${input(r, "remoteIpPrefix")}`;
                    })
                    .sort();
                const expected = inboundRules(plan.config.network)
                    .map((r) => `${site}-${r.group} ${r.protocol} ${r.fromPort}-${r.toPort} ${r.cidr}`)
                    .sort();
                assert.deepStrictEqual(rendered, expected);
                for (const r of resourcesOfType(plan, T.secGroupRule)) {
                    const from = input<number>(r, "portRangeMin");
                    const to = input<number>(r, "portRangeMax");
                    const prefix = input<string>(r, "remoteIpPrefix");
                    if ([22, 6443, 2049].some((p) => from <= p && p <= to)) assert.ok(prefix !== "0.0.0.0/0" && prefix !== "::/0", `${r.name} is not open to the world`);
                }
            });

            it("puts the master in admin, web and cluster, every other node in cluster only", () => {
                const plan = plans[site];
                const groupName = new Map(resourcesOfType(plan, T.secGroup).map((g) => [`${g.name}-id`, input<string>(g, "name")]));
                for (const port of resourcesOfType(plan, T.port)) {
                    const groups = input<string[]>(port, "securityGroupIds").map((id) => groupName.get(id));
                    const expected = /-master-port$/.test(port.name) ? [`${site}-admin`, `${site}-web`, `${site}-cluster`] : [`${site}-cluster`];
                    assert.deepStrictEqual(groups, expected, port.name);
                }
            });

            it("reads the project's quotas and usage: Nova's limits, and Cinder's and Neutron's reports with the session's token", () => {
                const plan = plans[site];
                const calls = (token: string) => plan.invokes.filter((i) => i.token === token).map((i) => i.inputs);
                assert.deepStrictEqual(calls("openstack:identity/getAuthScope:getAuthScope"), [{ name: "esiphub-quota-check", setTokenId: true }]);
                assert.deepStrictEqual(calls("openstack:compute/getLimitsV2:getLimitsV2"), [{ projectId: offlineUuid("project") }]);
            });

            it("looks up the flavors, the image and the external network by name", () => {
                const plan = plans[site];
                const calls = (token: string) => plan.invokes.filter((i) => i.token === token).map((i) => i.inputs);
                const { masterFlavor, workerFlavor } = plan.config.nodes;
                assert.deepStrictEqual(calls("openstack:compute/getFlavor:getFlavor").map((i) => i.name).sort(), [masterFlavor.name, workerFlavor.name].sort());
                assert.deepStrictEqual(calls("openstack:images/getImage:getImage"), [{ name: plan.config.openstack!.image, mostRecent: true }]);
                assert.deepStrictEqual(calls("openstack:networking/getNetwork:getNetwork"), [{ name: plan.config.openstack!.externalNetwork, external: true }]);
                // The answers reach the resources.
                const master = findResource(plan, T.instance, `esiphub-${site}-openstack-${site}-master`);
                assert.strictEqual(input(master, "flavorId"), offlineUuid(`flavor/${masterFlavor.name}`));
                const worker = findResource(plan, T.instance, `esiphub-${site}-openstack-${site}-worker-01`);
                assert.strictEqual(input(worker, "flavorId"), offlineUuid(`flavor/${workerFlavor.name}`));
                assert.strictEqual(input(findResource(plan, T.floatingIp), "pool"), plan.config.openstack!.externalNetwork);
            });

            it("names every node, labels it, and boots it from the flavor's disk where it holds 60 GB (Jetstream2), else from a volume", () => {
                const plan = plans[site];
                const names = resourcesOfType(plan, T.instance).map((i) => input<string>(i, "name"));
                assert.deepStrictEqual(names, [`${site}-master`, ...[1, 2, 3, 4, 5].map((n) => `${site}-worker-0${n}`)]);
                const imageId = offlineUuid(`image/${plan.config.openstack!.image}`);
                for (const instance of resourcesOfType(plan, T.instance)) {
                    const name = input<string>(instance, "name");
                    if (site === "jetstream") {
                        // m3.medium and m3.large have a 60 GB local disk (js2docs general/vmsizes.md): no boot volume.
                        assert.strictEqual(input(instance, "blockDevices"), undefined);
                        assert.strictEqual(input(instance, "imageId"), imageId);
                        assert.deepStrictEqual(instance.ignoreChanges, ["imageId"], "a newer image build does not replace nodes");
                    } else {
                        // Nebula's flavors are declared without a disk.
                        assert.deepStrictEqual(input(instance, "blockDevices"), [
                            { uuid: imageId, sourceType: "image", destinationType: "volume", volumeSize: 60, bootIndex: 0, deleteOnTermination: true },
                        ]);
                        assert.strictEqual(input(instance, "imageId"), undefined, "boot from volume: no image on the server itself");
                        assert.deepStrictEqual(instance.ignoreChanges, ["blockDevices[0].uuid"], "a newer image build does not replace nodes");
                    }
                    assert.deepStrictEqual(input(instance, "metadata"), { site, stack: site, role: name.endsWith("-master") ? "master" : "worker" });
                    assert.strictEqual(input(instance, "keyPair"), `esiphub-${site}`);
                }
                assert.strictEqual(input(findResource(plan, T.keypair), "publicKey"), plan.config.ssh.publicKey);
            });

            it("spreads workers with a soft-anti-affinity server group; the master is not in it", () => {
                const plan = plans[site];
                const group = findResource(plan, T.serverGroup);
                assert.deepStrictEqual(input(group, "policies"), ["soft-anti-affinity"]);
                for (const instance of resourcesOfType(plan, T.instance)) {
                    const hints = input(instance, "schedulerHints");
                    if (/-master$/.test(instance.name)) assert.strictEqual(hints, undefined);
                    else assert.deepStrictEqual(hints, [{ group: `${group.name}-id` }]);
                }
            });

            it("creates workers side by side: no worker depends on another", () => {
                const plan = plans[site];
                const workers = resourcesOfType(plan, T.instance).filter((i) => /-worker-\d+$/.test(i.name));
                const workerPorts = resourcesOfType(plan, T.port).filter((p) => /-worker-\d+-port$/.test(p.name));
                const mine = (w: PlannedResource) => new Set([w.urn, workerPorts.find((p) => p.name === `${w.name}-port`)!.urn]);
                for (const w of workers) {
                    const deps = dependsOnTransitively(plan, w);
                    for (const other of workers.filter((o) => o !== w)) {
                        for (const urn of mine(other)) assert.ok(!deps.has(urn), `${w.name} does not depend on ${other.name}`);
                    }
                }
            });

            it("puts the floating IP on the master's port, once the router reaches the subnet", () => {
                const plan = plans[site];
                const association = findResource(plan, T.floatingIpAssociate);
                const masterPort = findResource(plan, T.port, /-master-port$/);
                assert.strictEqual(input(association, "portId"), `${masterPort.name}-id`);
                assert.ok(association.dependencies.includes(findResource(plan, T.routerInterface).urn));
                assert.match(String(plan.outputs.publicIp), /^203\.0\.113\.\d+$/);
                assert.strictEqual(plan.outputs.sshCommand, `ssh -i ~/.ssh/esiphub ubuntu@${plan.outputs.publicIp}`);
            });

            it("has a subnet with the configured CIDR and DNS servers, routed to the external network", () => {
                const plan = plans[site];
                const subnet = findResource(plan, T.subnet);
                assert.strictEqual(input(subnet, "cidr"), plan.config.network.subnetCidr);
                assert.deepStrictEqual(input(subnet, "dnsNameservers"), plan.config.network.dnsNameservers);
                assert.strictEqual(input(subnet, "ipVersion"), 4);
                const routerInterface = findResource(plan, T.routerInterface);
                assert.strictEqual(input(routerInterface, "subnetId"), `${subnet.name}-id`);
                const routerLookups = plan.invokes.filter((i) => i.token === "openstack:networking/getRouter:getRouter").map((i) => i.inputs);
                if (site === "jetstream") {
                    // The project's one router (Jetstream2: router quota 1), found by name; the subnet is attached to it.
                    assert.deepStrictEqual(routerLookups, [{ name: "auto_allocated_router" }]);
                    assert.strictEqual(input(routerInterface, "routerId"), offlineUuid("router/auto_allocated_router"));
                } else {
                    assert.deepStrictEqual(routerLookups, []);
                    const router = findResource(plan, T.router);
                    assert.strictEqual(input(router, "externalNetworkId"), offlineUuid(`network/${plan.config.openstack!.externalNetwork}`));
                    assert.strictEqual(input(routerInterface, "routerId"), `${router.name}-id`);
                }
                assert.deepStrictEqual(input(findResource(plan, T.network), "tags"), [`site=${site}`, `stack=${site}`, "role=network"]);
            });

            it("labels everything that takes labels with site, stack and role", () => {
                const plan = plans[site];
                // Nova key pairs and server groups, Neutron rules, router interfaces and associations have no tags; host
                // keys are in the state only, not in the cloud.
                const untaggable = [T.keypair, T.serverGroup, T.secGroupRule, T.routerInterface, T.floatingIpAssociate, T.volumeAttach, HOST_KEY];
                for (const r of plan.resources.filter((x) => x.custom && !untaggable.includes(x.type))) {
                    const labels = [T.instance, T.volume].includes(r.type)
                        ? Object.entries(input<Record<string, string>>(r, "metadata")).map(([k, v]) => `${k}=${v}`)
                        : input<string[]>(r, "tags");
                    assert.ok(Array.isArray(labels), `${r.name} is labelled`);
                    assert.ok(labels.includes(`site=${site}`) && labels.includes(`stack=${site}`), `${r.name}: ${labels}`);
                    assert.ok(labels.some((l) => /^role=(master|worker|network|firewall|access|storage)$/.test(l)), `${r.name}: ${labels}`);
                }
            });

            it("keeps the data volume on destroy and attaches it to the master", () => {
                const plan = plans[site];
                const volume = findResource(plan, T.volume);
                assert.strictEqual(volume.retainOnDelete, true);
                assert.strictEqual(volume.protect, false, "destroy still works; it leaves the volume");
                assert.deepStrictEqual(volume.ignoreChanges, ["availabilityZone"]);
                assert.strictEqual(input(volume, "size"), plan.config.storage.dataVolumeSizeGb);
                assert.strictEqual(input(volume, "name"), `${site}-data`);
                assert.deepStrictEqual(input(volume, "metadata"), { site, stack: site, role: "storage" });
                const attach = findResource(plan, T.volumeAttach);
                assert.strictEqual(input(attach, "volumeId"), `${volume.name}-id`);
                assert.strictEqual(input(attach, "instanceId"), `esiphub-${site}-openstack-${site}-master-id`);
                assert.strictEqual(plan.outputs.nfs, `${site}-master`);
                // The NFS host finds the disk by this serial on any bus (nfs-server.sh), not by a device path.
                assert.strictEqual(plan.outputs.volumeSerial, `${volume.name}-id`);
                assert.strictEqual(input(attach, "device"), undefined, "no device name asked: Nova's guess (vdb/sdb) means nothing");
            });

            it("replaces without collisions: VMs on fixed ports, the key pair, the data attachment and the address association go first", () => {
                const plan = plans[site];
                const dbr = new Set(plan.resources.filter((r) => r.custom && r.deleteBeforeReplace).map((r) => r.type));
                assert.deepStrictEqual([...dbr].sort(), [T.floatingIpAssociate, T.instance, T.keypair, T.volumeAttach].sort());
                for (const i of resourcesOfType(plan, T.instance)) assert.strictEqual(i.deleteBeforeReplace, true, i.name);
                assert.strictEqual(findResource(plan, T.volume).deleteBeforeReplace, false, "the data volume is never replaced");
            });

            it("hands the next layers each node's name, role, private IP and SSH connection", () => {
                const plan = plans[site];
                const nodes = plan.outputs.nodes as { name: string; role: string; privateIp: string }[];
                assert.deepStrictEqual(nodes.map((n) => `${n.name} ${n.role}`), [`${site}-master master`, ...[1, 2, 3, 4, 5].map((n) => `${site}-worker-0${n} worker`)]);
                const prefix = plan.config.network.subnetCidr.replace(/\.0\/\d+$/, ".");
                for (const n of nodes) assert.ok(n.privateIp.startsWith(prefix), `${n.name}: ${n.privateIp} is in the subnet`);
                assert.strictEqual(new Set(nodes.map((n) => n.privateIp)).size, nodes.length);
                // Connections carry the private key: secret in what is shown.
                for (const c of Object.values(plan.outputs.connections as Record<string, unknown>)) assert.strictEqual(c, "[secret]");
                const raw = plan.rawOutputs.connections as Record<string, Record<string, unknown>>;
                const hop = { user: "ubuntu", privateKey: plan.config.ssh.privateKey, dialErrorLimit: 30, perDialTimeout: 10 };
                const keys = plan.rawOutputs.hostKeys as Record<string, string>;
                const master = keys[`${site}-master`];
                assert.deepStrictEqual(raw[`${site}-master`], { host: plan.outputs.publicIp, hostKey: master, ...hop });
                const worker = nodes.find((n) => n.name === `${site}-worker-03`)!;
                assert.deepStrictEqual(raw[worker.name], { host: worker.privateIp, hostKey: keys[worker.name], ...hop, proxy: { host: plan.outputs.publicIp, hostKey: master, ...hop } });
            });

            it("pins every node's host key: made by the program, installed by its secret user data, on every connection and hop", () => {
                assertHostKeysPinned(plans[site], T.instance, (instance) => String(instance.inputs.name));
            });
        });
    }

    it("without esiphub:existingRouter makes a router of its own, its gateway on the external network", async () => {
        const plan = await planHosts("nebula");
        const router = findResource(plan, T.router);
        assert.strictEqual(input(router, "name"), "nebula-router");
        assert.strictEqual(input(findResource(plan, T.routerInterface), "routerId"), `${router.name}-id`);
    });

    it("boots from a volume when esiphub:rootVolumeSize is larger than the flavor's disk", async () => {
        // Six 100 GB boot volumes and a 300 GB data volume fit Jetstream2's 1000 GB.
        const plan = await planHosts("jetstream", { "esiphub:rootVolumeSize": "100", "esiphub:dataVolumeSize": "300", "esiphub:scratchSize": "100Gi" });
        for (const instance of resourcesOfType(plan, T.instance)) {
            assert.strictEqual(input(instance, "imageId"), undefined);
            assert.strictEqual(input<{ volumeSize: number }[]>(instance, "blockDevices")[0].volumeSize, 100);
        }
    });

    it("with esiphub:publicIp associates that floating IP and allocates none", async () => {
        const plan = await planHosts("jetstream", { "esiphub:publicIp": "192.0.2.10" });
        assert.strictEqual(resourcesOfType(plan, T.floatingIp).length, 0, "the kept address is never created (nor released on destroy)");
        const association = findResource(plan, T.floatingIpAssociate);
        assert.strictEqual(input(association, "floatingIp"), "192.0.2.10");
        assert.strictEqual(input(association, "portId"), `${findResource(plan, T.port, /-master-port$/).name}-id`);
        assert.strictEqual(plan.outputs.publicIp, "192.0.2.10");
        assert.strictEqual(plan.outputs.sshCommand, "ssh -i ~/.ssh/esiphub ubuntu@192.0.2.10");
        assert.deepStrictEqual(plan.invokes.filter((i) => i.token === "openstack:networking/getFloatingIp:getFloatingIp").map((i) => i.inputs), [{ address: "192.0.2.10" }]);
    });

    it("puts 24 workers in server groups of at most 10 (Nova's server_group_members), the first group keeping its name", async () => {
        const plan = await planHosts("nebula", { "esiphub:workers": "24", "esiphub:users": "190" });
        const groups = resourcesOfType(plan, T.serverGroup);
        assert.deepStrictEqual(groups.map((g) => `${g.name} ${input(g, "name")}`), [
            "esiphub-nebula-openstack-workers nebula-workers",
            "esiphub-nebula-openstack-workers-2 nebula-workers-2",
            "esiphub-nebula-openstack-workers-3 nebula-workers-3",
        ]);
        const members = new Map<string, string[]>();
        for (const i of resourcesOfType(plan, T.instance).filter((x) => /-worker-\d+$/.test(x.name))) {
            const group = input<{ group: string }[]>(i, "schedulerHints")[0].group;
            members.set(group, [...(members.get(group) ?? []), input<string>(i, "name")]);
        }
        assert.deepStrictEqual([...members.values()].map((m) => m.length), [10, 10, 4]);
        assert.deepStrictEqual(members.get("esiphub-nebula-openstack-workers-2-id")!.slice(0, 2), ["nebula-worker-11", "nebula-worker-12"]);
    });

    it("lets the data volume go on destroy with keepDataOnDestroy false", async () => {
        const plan = await planHosts("jetstream", { "esiphub:keepDataOnDestroy": "false" });
        assert.strictEqual(findResource(plan, T.volume).retainOnDelete, false);
    });

    it("has the same longest dependency chain with 2 and with 20 workers", async () => {
        const two = await planHosts("jetstream", { "esiphub:workers": "2", "esiphub:users": "20" });
        // 21 VMs of 16 cores: beyond a default Jetstream2 allocation, as if the organiser had asked for more.
        const twenty = await withOfflineQuotas({ cores: 400, ram: 1500 * 1024, instances: 30 }, () => planHosts("jetstream", { "esiphub:workers": "20", "esiphub:users": "200" }));
        assert.strictEqual(resourcesOfType(twenty, T.instance).length, 21);
        assert.strictEqual(longestChain(twenty), longestChain(two));
    });

    it("raising the workers from 2 to 5 only adds three workers", async () => {
        const two = await planHosts("jetstream", { "esiphub:workers": "2", "esiphub:users": "20" });
        const five = await planHosts("jetstream", { "esiphub:workers": "5" });
        const urns = (p: HostsPlan) => new Set(p.resources.map((r) => r.urn));
        const before = urns(two);
        const after = urns(five);
        for (const urn of before) assert.ok(after.has(urn), `${urn} stays`);
        const added = five.resources.filter((r) => !before.has(r.urn)).map((r) => `${r.type} ${r.name}`);
        assert.deepStrictEqual(added.sort(), [
            `${T.instance} esiphub-jetstream-openstack-jetstream-worker-03`,
            `${T.instance} esiphub-jetstream-openstack-jetstream-worker-04`,
            `${T.instance} esiphub-jetstream-openstack-jetstream-worker-05`,
            `${T.port} esiphub-jetstream-openstack-jetstream-worker-03-port`,
            `${T.port} esiphub-jetstream-openstack-jetstream-worker-04-port`,
            `${T.port} esiphub-jetstream-openstack-jetstream-worker-05-port`,
            ...[3, 4, 5].map((n) => `${HOST_KEY} esiphub-jetstream-openstack-jetstream-worker-0${n}-host-key`),
        ]);
        // What stays is unchanged, so nothing is updated or replaced either.
        const inputsOf = new Map(five.resources.map((r) => [r.urn, r.inputs]));
        for (const r of two.resources) assert.deepStrictEqual(inputsOf.get(r.urn), r.inputs, `${r.name} keeps its inputs`);
        // Secret inputs too: a node that stays keeps its user data, and with it its host key (no replacement).
        for (const r of resourcesOfType(two, T.instance)) assert.strictEqual(five.rawInputs.get(r.urn)!.userData, two.rawInputs.get(r.urn)!.userData, `${r.name} keeps its host key`);
    });

    it("with a dedicated NFS node, attaches the data volume to it and reaches it through the master", async () => {
        const plan = await planHosts("nebula", { "esiphub:nfsNode": "true", "esiphub:workers": "1", "esiphub:users": "6", "esiphub:availabilityZone": "nova" });
        const nfs = findResource(plan, T.instance, "esiphub-nebula-openstack-nebula-nfs");
        assert.strictEqual(input(nfs, "flavorId"), offlineUuid("flavor/m1.xlarge"));
        assert.deepStrictEqual(input(nfs, "metadata"), { site: "nebula", stack: "nebula", role: "nfs" });
        assert.strictEqual(input(nfs, "schedulerHints"), undefined);
        assert.strictEqual(input(findResource(plan, T.volumeAttach), "instanceId"), `${nfs.name}-id`);
        assert.strictEqual(plan.outputs.nfs, "nebula-nfs");
        assert.deepStrictEqual((plan.rawOutputs.connections as Record<string, { proxy?: { host: string } }>)["nebula-nfs"].proxy?.host, plan.outputs.publicIp);
        // The zone applies to every VM and to the volume.
        for (const i of resourcesOfType(plan, T.instance)) assert.strictEqual(input(i, "availabilityZone"), "nova");
        assert.strictEqual(input(findResource(plan, T.volume), "availabilityZone"), "nova");
        const groupName = new Map(resourcesOfType(plan, T.secGroup).map((g) => [`${g.name}-id`, input<string>(g, "name")]));
        assert.deepStrictEqual(input<string[]>(findResource(plan, T.port, /-nfs-port$/), "securityGroupIds").map((id) => groupName.get(id)), ["nebula-cluster"]);
    });

    it("with no workers has no server group and looks up only the master's flavor", async () => {
        const plan = await planHosts("nebula", { "esiphub:workers": "0", "esiphub:users": "1" });
        assert.strictEqual(resourcesOfType(plan, T.serverGroup).length, 0);
        assert.strictEqual(resourcesOfType(plan, T.instance).length, 1);
        assert.deepStrictEqual(plan.outputs.nodes, [{ name: "nebula-master", role: "master", privateIp: (plan.outputs.nodes as { privateIp: string }[])[0].privateIp }]);
        const flavorLookups = plan.invokes.filter((i) => i.token === "openstack:compute/getFlavor:getFlavor").map((i) => i.inputs.name);
        assert.deepStrictEqual(flavorLookups, ["m1.xlarge"], "the unused worker flavor is not looked up");
    });

    failureCases("a lookup that finds nothing names the setting to fix", [
        {
            title: "an unknown image",
            run: { site: "jetstream", overrides: { "esiphub:image": "Ubuntu-22.04" } },
            error: /esiphub:image: no image named "Ubuntu-22\.04" in region IU \(Your query returned no results/,
        },
        {
            // The config knows m1.xlarge from customFlavors; the cloud it runs against has no such flavor.
            title: "a flavor sized in customFlavors that the cloud does not have",
            run: { site: "nebula", cloudOverrides: { "esiphub:customFlavors": null } },
            error: /esiphub:masterFlavor: no flavor named "m1\.xlarge" in region RegionOne \(Your query returned no results/,
        },
        {
            title: "a worker flavor the cloud does not have",
            run: {
                site: "jetstream",
                overrides: { "esiphub:customFlavors": JSON.stringify(["m9.huge:16:64"]), "esiphub:workerFlavor": "m9.huge" },
                cloudOverrides: { "esiphub:workerFlavor": "m9.huge" },
            },
            error: /esiphub:workerFlavor: no flavor named "m9\.huge" in region IU/,
        },
        {
            title: "an unknown external network",
            run: { site: "jetstream", overrides: { "esiphub:externalNetwork": "publik" } },
            error: /esiphub:externalNetwork: no external network named "publik" in region IU/,
        },
        { title: "(and the stack file's own names are all found)", run: { site: "nebula" }, error: undefined },
    ]);

    failureCases("a lookup the real cloud would fail: its own catalogue, zones and region, the project's router and address", [
        {
            // Jetstream2's catalogue is its own (js2docs general/vmsizes.md): declaring a size does not make the flavor.
            title: "a flavor declared in customFlavors that Jetstream2 does not offer",
            run: { site: "jetstream", overrides: { "esiphub:customFlavors": JSON.stringify(["m1.large:4:8:40"]), "esiphub:workerFlavor": "m1.large" } },
            error: /esiphub:workerFlavor: no flavor named "m1\.large" in region IU \(Your query returned no results/,
        },
        {
            title: "a zone Nova does not have",
            run: { site: "jetstream", overrides: { "esiphub:availabilityZone": "az2" } },
            error: /esiphub:availabilityZone: "az2" is not an available zone of region IU \(nova\)/,
        },
        {
            title: "a region the cloud does not have",
            run: { site: "jetstream", overrides: { "openstack:region": "TACC" } },
            error: /esiphub:(image|externalNetwork|masterFlavor|workerFlavor|existingRouter): .* in region TACC \(No suitable endpoint could be found in the service catalog\.\)/,
        },
        {
            title: "a router the project does not have",
            run: { site: "jetstream", overrides: { "esiphub:existingRouter": "my-router" } },
            error: /esiphub:existingRouter: no router named "my-router" in region IU \(Your query returned no results/,
        },
        {
            title: "a public IP the project does not hold",
            run: { site: "jetstream", overrides: { "esiphub:publicIp": "192.0.2.99" } },
            error: /esiphub:publicIp: no floating IP 192\.0\.2\.99 in the project in region IU; allocate one with `openstack floating ip create public` \(No openstack_networking_floatingip_v2 found\)/,
        },
    ]);
});
