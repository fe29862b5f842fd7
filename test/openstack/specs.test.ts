import * as assert from "assert";
import { bootVolume, cinderDevicePath, openstackTags, secGroupRuleArgs, WORKER_PLACEMENT_POLICY } from "../../components/openstack/specs";

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

    it("finds the data volume by its serial, the first 20 characters of its id", () => {
        assert.strictEqual(cinderDevicePath("6a4f5c2e-91b0-4d7e-8c3a-2f1e0d9c8b7a"), "/dev/disk/by-id/virtio-6a4f5c2e-91b0-4d7e-8");
    });

    it("spreads workers softly", () => {
        assert.strictEqual(WORKER_PLACEMENT_POLICY, "soft-anti-affinity");
    });
});
