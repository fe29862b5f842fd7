import * as assert from "assert";
import { bootsFromVolume, bootVolume, cinderDiskSerial, floatingIpProblem, openstackTags, routerGatewayProblem, routerQuery, secGroupRuleArgs, SERVER_GROUP_SIZE, serverGroupCount, serverGroupOf, serverGroupSuffix, WORKER_PLACEMENT_POLICY } from "../../components/openstack/specs";
import { JETSTREAM2_FLAVORS } from "../../components/catalog";

describe("openstack: resource arguments", () => {
    it("renders a firewall rule as an IPv4 ingress rule of Neutron", () => {
        assert.deepStrictEqual(
            secGroupRuleArgs({ group: "cluster", protocol: "udp", fromPort: 4789, toPort: 4789, cidr: "10.42.0.0/24", description: "Calico VXLAN" }),
            { direction: "ingress", ethertype: "IPv4", protocol: "udp", portRangeMin: 4789, portRangeMax: 4789, remoteIpPrefix: "10.42.0.0/24", description: "Calico VXLAN" },
        );
    });

    it("turns tags into Neutron's key=value strings", () => {
        assert.deepStrictEqual(openstackTags({ site: "nebula", stack: "nebula", role: "network" }), ["site=nebula", "stack=nebula", "role=network"]);
    });

    it("boots from a new volume of the image that goes with the VM", () => {
        assert.deepStrictEqual(bootVolume("0f6c1e5e-aaaa", 80), {
            uuid: "0f6c1e5e-aaaa",
            sourceType: "image",
            destinationType: "volume",
            volumeSize: 80,
            bootIndex: 0,
            deleteOnTermination: true,
        });
    });

    it("boots from the flavor's local disk when it holds esiphub:rootVolumeSize, from a volume otherwise", () => {
        const flavor = (name: string) => JETSTREAM2_FLAVORS.find((f) => f.name === name)!;
        assert.strictEqual(bootsFromVolume(flavor("m3.large"), 60), false, "m3.large has a 60 GB disk");
        assert.strictEqual(bootsFromVolume(flavor("m3.large"), 61), true);
        assert.strictEqual(bootsFromVolume(flavor("m3.quad"), 60), true, "m3.quad has 20 GB");
        assert.strictEqual(bootsFromVolume(flavor("m3.quad"), 20), false);
        assert.strictEqual(bootsFromVolume({ name: "m1.xlarge", vcpus: 8, ramGiB: 16 }, 20), true, "a flavor of unknown disk boots from a volume");
    });

    it("the data volume's disk serial is the volume id, on any bus", () => {
        assert.strictEqual(cinderDiskSerial("6a4f5c2e-91b0-4d7e-8c3a-2f1e0d9c8b7a"), "6a4f5c2e-91b0-4d7e-8c3a-2f1e0d9c8b7a");
    });

    it("looks a router up by id when esiphub:existingRouter is a UUID, by name otherwise", () => {
        assert.deepStrictEqual(routerQuery("auto_allocated_router"), { name: "auto_allocated_router" });
        assert.deepStrictEqual(routerQuery("0b4a9e7c-3f2d-4c1b-8a6e-5d9f0e1c2b3a"), { routerId: "0b4a9e7c-3f2d-4c1b-8a6e-5d9f0e1c2b3a" });
    });

    it("accepts an existing router only with its gateway on the external network of the floating IP", () => {
        assert.strictEqual(routerGatewayProblem("auto_allocated_router", "net-public", "net-public", "public"), undefined);
        assert.strictEqual(
            routerGatewayProblem("r1", "", "net-public", "public"),
            'router "r1" cannot route a floating IP of "public" (esiphub:externalNetwork) to the subnet: it has no external gateway; set it with `openstack router set --external-gateway public r1` or name another router',
        );
        assert.match(routerGatewayProblem("r1", "net-other", "net-public", "public")!, /its gateway is on network net-other/);
    });

    it("takes a kept floating IP only from the external network, and only when free or on the master's port", () => {
        const external = { name: "public", id: "net-public" };
        assert.strictEqual(floatingIpProblem({ address: "192.0.2.10", networkId: "net-public", portId: "" }, external, "port-master"), undefined);
        assert.strictEqual(floatingIpProblem({ address: "192.0.2.10", networkId: "net-public", portId: "port-master" }, external, "port-master"), undefined, "a re-run finds it on the master");
        assert.strictEqual(
            floatingIpProblem({ address: "192.0.2.10", networkId: "net-public", portId: "port-other" }, external, "port-master"),
            "192.0.2.10 is in use by port port-other (another VM); free it with `openstack floating ip unset --port 192.0.2.10` or name another address",
        );
        assert.match(floatingIpProblem({ address: "192.0.2.10", networkId: "net-other" }, external, "port-master")!, /belongs to network net-other, not to "public"/);
    });

    it("splits workers into server groups of 10, by worker number, so that adding workers moves none", () => {
        assert.strictEqual(SERVER_GROUP_SIZE, 10);
        assert.deepStrictEqual([0, 1, 10, 11, 24, 100].map(serverGroupCount), [0, 1, 1, 2, 3, 10]);
        assert.deepStrictEqual(["s-worker-01", "s-worker-10", "s-worker-11", "s-worker-100"].map(serverGroupOf), [0, 0, 1, 9]);
        assert.deepStrictEqual([0, 1, 2].map(serverGroupSuffix), ["", "-2", "-3"]);
        assert.throws(() => serverGroupOf("s-master"), /not a worker node name/);
    });

    it("spreads workers softly", () => {
        assert.strictEqual(WORKER_PLACEMENT_POLICY, "soft-anti-affinity");
    });
});
