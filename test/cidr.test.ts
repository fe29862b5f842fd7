import * as assert from "assert";
import { assignableAddresses, cidrsOverlap, hostAddress, networkCidr, parseCidr, smallestPrefixFor } from "../components/cidr";

describe("cidr: IPv4 arithmetic of the config checks", () => {
    it("parses a network and flags host bits", () => {
        assert.deepStrictEqual(parseCidr("10.42.0.0/24"), { base: 0x0a2a0000, prefix: 24, hostBits: false });
        const withHost = parseCidr("198.51.100.7/24")!;
        assert.strictEqual(withHost.hostBits, true);
        assert.strictEqual(networkCidr(withHost), "198.51.100.0/24");
        assert.strictEqual(parseCidr("203.0.113.7/32")!.hostBits, false);
        assert.strictEqual(parseCidr("10.0.0.0/33"), undefined);
        assert.strictEqual(parseCidr("10.0.0.256/24"), undefined);
    });

    it("overlap and host addresses", () => {
        assert.ok(cidrsOverlap("10.42.0.0/16", "10.42.0.0/24"));
        assert.ok(!cidrsOverlap("10.42.0.0/24", "10.43.0.0/24"));
        assert.strictEqual(hostAddress("10.42.0.0/24", 10), "10.42.0.10");
    });

    it("counts the addresses each cloud gives to VMs: AWS keeps 5, Neutron 4 (network, gateway, DHCP, broadcast)", () => {
        assert.strictEqual(assignableAddresses(28, "aws"), 11);
        assert.strictEqual(assignableAddresses(28, "openstack"), 12);
        assert.strictEqual(assignableAddresses(24, "aws"), 251);
        assert.strictEqual(smallestPrefixFor(102, "aws"), 25);
        assert.strictEqual(smallestPrefixFor(12, "openstack"), 28);
        assert.strictEqual(smallestPrefixFor(12, "aws"), 27);
    });
});
