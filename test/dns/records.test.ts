import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { DnsRecords } from "../../components/dns/records";
import { planProgram, resourcesOfType, testConfig, findResource } from "../mocks";
import { SiteConfig } from "../../components/config";

const IP = "149.165.157.42";

function planDns(config: SiteConfig) {
    return planProgram(config.site, () => {
        const dns = new DnsRecords(`esiphub-${config.site}-dns`, { config, publicIp: pulumi.output(IP) });
        return { records: dns.records, managedNames: dns.managedNames };
    });
}

describe("DnsRecords (esiphub:dns:Records)", () => {
    it("designate: an A record set in the zone found by name, absolute names as Designate stores them", async () => {
        const result = await planDns(testConfig("jetstream", { "esiphub:dns": "designate", "esiphub:dnsZone": "esipfed.org", "esiphub:dnsTtl": "600" }));
        const component = findResource(result, "esiphub:dns:Records");
        const recordSet = findResource(result, "openstack:dns/recordSet:RecordSet");
        assert.strictEqual(recordSet.parent, component.urn);
        // The zone id is the offline answer for the lookup of "esipfed.org." (plan/invokes.ts).
        assert.strictEqual(recordSet.inputs.zoneId, "a86dba58-0043-4cc6-a1bb-69d5e86f3ca3");
        assert.strictEqual(recordSet.inputs.name, "hub.esipfed.org.");
        assert.strictEqual(recordSet.inputs.type, "A");
        assert.strictEqual(recordSet.inputs.ttl, 600);
        assert.deepStrictEqual(recordSet.inputs.records, [IP]);
        assert.deepStrictEqual(result.outputs.records, [{ name: "hub.esipfed.org.", type: "A", ttl: 600, value: IP }]);
        assert.deepStrictEqual(result.outputs.managedNames, ["hub.esipfed.org."]);
        assert.strictEqual(resourcesOfType(result, "aws:route53/record:Record").length, 0);
    });

    it("route53: a record in the public hosted zone found by name", async () => {
        // Pulumi.aws.yaml: esiphub:dns route53, zone esipfed.org, hostname aws-hub.esipfed.org, TTL default 300.
        const result = await planDns(testConfig("aws"));
        const record = findResource(result, "aws:route53/record:Record");
        assert.strictEqual(record.parent, findResource(result, "esiphub:dns:Records").urn);
        assert.deepStrictEqual(
            { zoneId: record.inputs.zoneId, name: record.inputs.name, type: record.inputs.type, ttl: record.inputs.ttl, records: record.inputs.records },
            { zoneId: "Z0123456789ABCDEFGHIJ", name: "aws-hub.esipfed.org", type: "A", ttl: 300, records: [IP] },
        );
        assert.deepStrictEqual(result.outputs.managedNames, ["aws-hub.esipfed.org"]);
        assert.deepStrictEqual(result.outputs.records, [{ name: "aws-hub.esipfed.org.", type: "A", ttl: 300, value: IP }]);
    });

    it("none: no DNS resource, but the records to paste when there is a hostname", async () => {
        const withHost = await planDns(testConfig("jetstream"));
        assert.deepStrictEqual(
            withHost.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")).map((r) => r.type),
            [],
        );
        assert.deepStrictEqual(withHost.outputs.records, [{ name: "hub.esipfed.org.", type: "A", ttl: 300, value: IP }]);
        assert.deepStrictEqual(withHost.outputs.managedNames, []);

        const noHost = await planDns(testConfig("nebula"));
        assert.deepStrictEqual(noHost.outputs.records, []);
    });

    it("a hand-made config with a provider but no zone is refused, naming the keys", async () => {
        const config = testConfig("jetstream", { "esiphub:dns": "designate", "esiphub:dnsZone": "esipfed.org" });
        const broken: SiteConfig = { ...config, dns: { ...config.dns, zone: undefined } };
        await assert.rejects(planDns(broken), /esiphub:dns is "designate" but esiphub:hubHostname or esiphub:dnsZone is empty/);
    });
});
