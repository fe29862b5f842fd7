import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { DNS_READY_COMMAND, DnsRecords } from "../../components/dns/records";
import { planProgram, resourcesOfType, testConfig, findResource } from "../mocks";
import { SiteConfig } from "../../components/config";

const IP = "149.165.157.42";
const COMMAND = "command:local:Command";

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

    it("none: no DNS record made, the records to paste, and the dns-ready step that waits for them", async () => {
        const withHost = await planDns(testConfig("jetstream"));
        assert.deepStrictEqual(
            withHost.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")).map((r) => r.type),
            [COMMAND],
        );
        const ready = findResource(withHost, COMMAND);
        assert.strictEqual(ready.name, "esiphub-jetstream-dns-ready");
        assert.strictEqual(ready.parent, findResource(withHost, "esiphub:dns:Records").urn);
        assert.strictEqual(ready.inputs.create, DNS_READY_COMMAND);
        assert.deepStrictEqual(ready.inputs.environment, {
            ESIPHUB_DNS_HOSTNAME: "hub.esipfed.org",
            ESIPHUB_DNS_IP: IP,
            ESIPHUB_DNS_TTL: "300",
            ESIPHUB_DNS_RESOLVERS: "8.8.8.8,1.1.1.1",
            ESIPHUB_DNS_TIMEOUT: "1800",
        });
        assert.strictEqual(ready.inputs.delete, undefined);
        assert.deepStrictEqual(withHost.outputs.records, [{ name: "hub.esipfed.org.", type: "A", ttl: 300, value: IP }]);
        assert.deepStrictEqual(withHost.outputs.managedNames, []);

        const noHost = await planDns(testConfig("nebula", { "esiphub:hubHostname": undefined, "esiphub:allowPlainHttp": "true" }));
        assert.deepStrictEqual(noHost.outputs.records, []);
        assert.deepStrictEqual(resourcesOfType(noHost, COMMAND), [], "no hostname, no HTTPS: nothing to wait for");
    });

    it("hubHostname auto (the Nebula stack): no record to publish, and dns-ready waits for the sslip.io name of the public IP", async () => {
        const result = await planDns(testConfig("nebula"));
        assert.deepStrictEqual(result.outputs.records, []);
        assert.deepStrictEqual(result.outputs.managedNames, []);
        const ready = findResource(result, COMMAND);
        const env = ready.inputs.environment as Record<string, string>;
        assert.deepStrictEqual([env.ESIPHUB_DNS_HOSTNAME, env.ESIPHUB_DNS_IP, env.ESIPHUB_DNS_AUTOMATIC], ["149-165-157-42.sslip.io", IP, "true"]);
    });

    for (const [provider, recordType, site, overrides] of [
        ["designate", "openstack:dns/recordSet:RecordSet", "jetstream", { "esiphub:dns": "designate", "esiphub:dnsZone": "esipfed.org" }],
        ["route53", "aws:route53/record:Record", "aws", {}],
    ] as const) {
        it(`${provider}: the dns-ready step waits for the record the program made, with the configured resolvers and timeout`, async () => {
            const result = await planDns(testConfig(site, { ...overrides, "esiphub:dnsCheckResolvers": '["9.9.9.9"]', "esiphub:dnsWaitTimeout": "600" }));
            const ready = findResource(result, COMMAND);
            assert.ok(ready.dependencies.includes(findResource(result, recordType).urn), "dns-ready does not wait for the record");
            const env = ready.inputs.environment as Record<string, string>;
            assert.strictEqual(env.ESIPHUB_DNS_RESOLVERS, "9.9.9.9");
            assert.strictEqual(env.ESIPHUB_DNS_TIMEOUT, "600");
        });
    }

    it("a hand-made config with a provider but no zone is refused, naming the keys", async () => {
        const config = testConfig("jetstream", { "esiphub:dns": "designate", "esiphub:dnsZone": "esipfed.org" });
        const broken: SiteConfig = { ...config, dns: { ...config.dns, zone: undefined } };
        await assert.rejects(planDns(broken), /esiphub:dns is "designate" but esiphub:hubHostname or esiphub:dnsZone is empty/);
    });
});
