import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseSiteConfig, SiteConfig } from "./config";
import { ClusterHosts } from "./hosts";
import { OpenStackHosts } from "./openstack/hosts";
import { AwsHosts } from "./aws/hosts";
import { KubeadmCluster } from "./kubeadm/cluster";
import { NfsStorage } from "./storage/storage";
import { JupyterHub } from "./jupyterhub/hub";
import { DnsRecords } from "./dns/records";
import { estimateCost } from "./cost";
import { FOOTPRINT_OUTPUT, siteNeeds } from "./quota/quotas";

export interface EsipHubArgs {
    config: SiteConfig;
}

/** The whole site: cloud hosts → kubeadm cluster → NFS storage → JupyterHub. */
export class EsipHub extends pulumi.ComponentResource {
    public readonly hosts: ClusterHosts;
    public readonly cluster: KubeadmCluster;
    public readonly storage: NfsStorage;
    public readonly hub: JupyterHub;
    public readonly dns: DnsRecords;

    constructor(name: string, args: EsipHubArgs, opts?: pulumi.ComponentResourceOptions) {
        super("esiphub:index:EsipHub", name, {}, opts);
        const { config } = args;
        const privateKey = pulumi.secret(config.ssh.privateKey);

        // Only the cloud layer knows which cloud it is on; everything after it sees ClusterHosts.
        this.hosts =
            config.cloud === "aws"
                ? new AwsHosts(`${name}-aws`, { config, privateKey }, { parent: this })
                : new OpenStackHosts(`${name}-openstack`, { config, privateKey }, { parent: this });
        this.cluster = new KubeadmCluster(`${name}-k8s`, { config, hosts: this.hosts }, { parent: this });
        this.storage = new NfsStorage(
            `${name}-storage`,
            { config, hosts: this.hosts, provider: this.cluster.provider, clusterReady: this.cluster.ready },
            { parent: this },
        );
        // DNS first: its dns-ready step starts as soon as the public IP exists, while the cluster is built, and the
        // hub's HTTPS waits for it.
        this.dns = new DnsRecords(`${name}-dns`, { config, publicIp: this.hosts.publicIp }, { parent: this });
        this.hub = new JupyterHub(
            `${name}-hub`,
            { config, hosts: this.hosts, provider: this.cluster.provider, storage: this.storage, dnsReady: this.dns.ready },
            { parent: this },
        );
        this.registerOutputs({ hubUrl: this.hub.hubUrl, publicIp: this.hosts.publicIp });
    }
}

/** Builds the site and returns the stack outputs. */
export function deploy(config: SiteConfig): Record<string, unknown> {
    for (const warning of config.warnings) void pulumi.log.warn(warning);
    const site = new EsipHub(`esiphub-${config.site}`, { config });
    return {
        site: config.site,
        cloud: config.cloud,
        hubUrl: site.hub.hubUrl,
        tls: site.hub.tls,
        tlsStaging: site.hub.tlsStaging,
        publicIp: site.hosts.publicIp,
        masterPrivateIp: site.hosts.master.privateIp,
        workerPrivateIps: pulumi.all(site.hosts.workers.map((w) => w.privateIp)),
        /** Where homes and the shared folder are served from (the master unless esiphub:nfsNode): `esiphub backup` reads them there. */
        nfsPrivateIp: site.hosts.nfs.privateIp,
        sshCommand: site.hosts.sshCommand,
        workers: config.nodes.workers,
        usersPerWorker: config.nodes.sizing.usersPerWorker,
        sizing: config.nodes.sizing.explanation,
        /** Users' servers at once (esiphub:maxServers, resolved): `esiphub scale` reads what the hub enforces. */
        maxServers: config.hub.maxServers,
        adminUsers: site.hub.adminUsers,
        credentials: site.hub.credentials,
        kubeconfig: site.cluster.kubeconfig,
        dnsRecords: site.dns.records,
        dnsManagedRecords: site.dns.managedNames,
        cost: estimateCost(config),
        // Read back by the next deployment's quota check: what this site holds of each quota.
        [FOOTPRINT_OUTPUT]: siteNeeds(config),
    };
}

/**
 * The stack's configuration as Pulumi hands it to the program, validated. A bad configuration stops the run
 * before any resource is created, with every problem listed and no stack trace.
 */
export function readProgramConfig(projectDir = "."): SiteConfig {
    try {
        return parseSiteConfig(pulumi.runtime.allConfig(), pulumi.getStack(), projectDir);
    } catch (e) {
        if (e instanceof ConfigError) {
            throw new pulumi.RunError(`ESIPHub configuration of stack "${pulumi.getStack()}" has ${e.problems.length} problem(s):\n${e.message}`);
        }
        throw e;
    }
}
