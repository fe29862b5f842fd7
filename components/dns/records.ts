import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as openstack from "@pulumi/openstack";
import * as aws from "@pulumi/aws";
import { NAMESPACE, SiteConfig, sslipHostname } from "../config";
import { absoluteName, DnsRecord, dnsRecords } from "./formats";

export { DnsRecord, dnsRecords, formatDnsRecords, DnsFormat, DNS_FORMATS } from "./formats";

export interface DnsRecordsArgs {
    config: SiteConfig;
    publicIp: pulumi.Output<string>;
}

/**
 * The dns-ready step's command, run by the Command provider in the project folder (the Pulumi program's directory:
 * the engine starts providers there, pulumi/pulumi#6368, and pulumi-command runs a command without `dir` in the
 * provider's working directory, provider/pkg/provider/local/commandOutputs.go).
 */
export const DNS_READY_COMMAND = "node components/dns/dns-ready.js";

/**
 * The hub's DNS: always the records that point `esiphub:hubHostname` at the public IP (for the organisers to
 * paste), and, when `esiphub:dns` is `designate` or `route53`, those records made in the zone `esiphub:dnsZone`.
 * With `esiphub:hubHostname: auto` there is nothing to publish: sslip.io answers for `<IP with dashes>.sslip.io` by
 * itself; the dns-ready step still waits until the resolvers say so.
 */
export class DnsRecords extends pulumi.ComponentResource {
    /** Empty when the site has no hostname, or an automatic one. */
    public readonly records: pulumi.Output<DnsRecord[]>;
    /** The records' names as the DNS service stored them; empty when `esiphub:dns` is `none`. */
    public readonly managedNames: pulumi.Output<string[]>;
    /**
     * The dns-ready step: done once `esiphub:hubHostname` resolves to the public IP from outside the cluster (after the
     * record this component makes, if any). Undefined without a hostname. The hub's HTTPS waits for it.
     */
    public readonly ready: command.local.Command | undefined;

    constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("esiphub:dns:Records", name, {}, opts);
        const { hub, dns } = args.config;
        const hostname = hub.autoHostname ? undefined : hub.hostname;
        this.records = hostname ? args.publicIp.apply((ip) => dnsRecords(hostname, ip, dns.ttl)) : pulumi.output([]);

        if (dns.provider !== "none" && !(hostname && dns.zone)) {
            // parseSiteConfig refuses this; a SiteConfig built by hand may not.
            throw new pulumi.ResourceError(`${NAMESPACE}:dns is "${dns.provider}" but ${NAMESPACE}:hubHostname or ${NAMESPACE}:dnsZone is empty`, this);
        }
        let made: pulumi.Resource | undefined;
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
            made = recordSet;
        } else if (dns.provider === "route53") {
            const zone = aws.route53.getZoneOutput({ name: dns.zone!.replace(/\.$/, ""), privateZone: false }, { parent: this });
            const record = new aws.route53.Record(
                `${name}-a`,
                { zoneId: zone.zoneId, name: hostname!, type: "A", ttl: dns.ttl, records: [args.publicIp] },
                { parent: this },
            );
            this.managedNames = pulumi.all([record.fqdn]);
            made = record;
        } else {
            this.managedNames = pulumi.output([]);
        }
        // The automatic name is known once the public IP is (at once with esiphub:publicIp).
        const waitFor = hub.tls ? (hub.hostname ?? args.publicIp.apply(sslipHostname)) : undefined;
        this.ready = waitFor ? this.dnsReady(name, args, waitFor, made) : undefined;
        this.registerOutputs({ records: this.records, managedNames: this.managedNames });
    }

    /** Waits on the operator's machine (bounded, with progress) for the name to resolve to the IP; see ./wait.ts. */
    private dnsReady(name: string, args: DnsRecordsArgs, hostname: pulumi.Input<string>, made: pulumi.Resource | undefined): command.local.Command {
        const { dns } = args.config;
        return new command.local.Command(
            `${name}-ready`,
            {
                create: DNS_READY_COMMAND,
                environment: {
                    ESIPHUB_DNS_HOSTNAME: hostname,
                    ESIPHUB_DNS_IP: args.publicIp,
                    ESIPHUB_DNS_TTL: String(dns.ttl),
                    ESIPHUB_DNS_RESOLVERS: dns.checkResolvers.join(","),
                    ESIPHUB_DNS_TIMEOUT: String(dns.waitTimeoutSeconds),
                    ...(args.config.hub.autoHostname ? { ESIPHUB_DNS_AUTOMATIC: "true" } : {}),
                },
                addPreviousOutputInEnv: false,
            },
            // With a record made here, it waits for that record; otherwise for the one the organisers create.
            { parent: this, dependsOn: made ? [made] : [] },
        );
    }
}
