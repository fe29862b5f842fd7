import * as pulumi from "@pulumi/pulumi";
import * as openstack from "@pulumi/openstack";
import * as aws from "@pulumi/aws";
import { NAMESPACE, SiteConfig } from "../config";
import { absoluteName, DnsRecord, dnsRecords } from "./formats";

export { DnsRecord, dnsRecords, formatDnsRecords, DnsFormat, DNS_FORMATS } from "./formats";

export interface DnsRecordsArgs {
    config: SiteConfig;
    publicIp: pulumi.Output<string>;
}

/**
 * The hub's DNS: always the records that point `esiphub:hubHostname` at the public IP (for the organisers to
 * paste), and, when `esiphub:dns` is `designate` or `route53`, those records made in the zone `esiphub:dnsZone`.
 */
export class DnsRecords extends pulumi.ComponentResource {
    /** Empty when the site has no hostname. */
    public readonly records: pulumi.Output<DnsRecord[]>;
    /** The records' names as the DNS service stored them; empty when `esiphub:dns` is `none`. */
    public readonly managedNames: pulumi.Output<string[]>;

    constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("esiphub:dns:Records", name, {}, opts);
        const { hub, dns } = args.config;
        const hostname = hub.hostname;
        this.records = hostname ? args.publicIp.apply((ip) => dnsRecords(hostname, ip, dns.ttl)) : pulumi.output([]);

        if (dns.provider !== "none" && !(hostname && dns.zone)) {
            // parseSiteConfig refuses this; a SiteConfig built by hand may not.
            throw new pulumi.ResourceError(`${NAMESPACE}:dns is "${dns.provider}" but ${NAMESPACE}:hubHostname or ${NAMESPACE}:dnsZone is empty`, this);
        }
        if (dns.provider === "designate") {
            // Designate stores zone and record names absolute (with the trailing dot).
            const zone = openstack.dns.getDnsZoneOutput({ name: absoluteName(dns.zone!) }, { parent: this });
            const recordSet = new openstack.dns.RecordSet(
                `${name}-a`,
                {
                    zoneId: zone.id,
                    name: absoluteName(hostname!),
                    type: "A",
                    ttl: dns.ttl,
                    records: [args.publicIp],
                    description: `ESIPHub ${args.config.site}: the hub`,
                },
                { parent: this },
            );
            this.managedNames = pulumi.all([recordSet.name]);
        } else if (dns.provider === "route53") {
            const zone = aws.route53.getZoneOutput({ name: dns.zone!.replace(/\.$/, ""), privateZone: false }, { parent: this });
            const record = new aws.route53.Record(
                `${name}-a`,
                { zoneId: zone.zoneId, name: hostname!, type: "A", ttl: dns.ttl, records: [args.publicIp] },
                { parent: this },
            );
            this.managedNames = pulumi.all([record.fqdn]);
        } else {
            this.managedNames = pulumi.output([]);
        }
        this.registerOutputs({ records: this.records, managedNames: this.managedNames });
    }
}
