import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseSiteConfig, SiteConfig, Workshop, workshopView } from "./config";
import { ClusterHosts } from "./hosts";
import { OpenStackHosts } from "./openstack/hosts";
import { AwsHosts } from "./aws/hosts";
import { KubeadmCluster } from "./kubeadm/cluster";
import { HubVolumes, NfsStorage } from "./storage/storage";
import { JupyterHub, RELEASE_NAME } from "./jupyterhub/hub";
import { Router } from "./router/router";
import { hubReleaseName, workshopBaseUrl, workshopResourceName } from "./workshops";
import { DnsRecords } from "./dns/records";
import { estimateCost } from "./cost";
import { FOOTPRINT_OUTPUT, siteNeeds } from "./quota/quotas";

export interface EsipHubArgs {
    config: SiteConfig;
}

/** One workshop's pieces: its hub and, with a hostname, its DNS. */
export interface WorkshopSite {
    readonly workshop: Workshop;
    readonly hub: JupyterHub;
    /** Absent for a workshop without a hostname (the one hub of a site without workshops always has its DnsRecords). */
    readonly dns?: DnsRecords;
}

/**
 * The whole site: cloud hosts → kubeadm cluster → NFS storage → a JupyterHub per workshop (one without
 * esiphub:workshops), and with esiphub:workshops the router in front of them.
 */
export class EsipHub extends pulumi.ComponentResource {
    public readonly hosts: ClusterHosts;
    public readonly cluster: KubeadmCluster;
    public readonly storage: NfsStorage;
    /** Each workshop's hub and DNS, in the order of config.workshops. */
    public readonly workshops: WorkshopSite[];
    public readonly router?: Router;

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
        this.workshops = config.workshops.map((workshop, i) => this.workshopSite(name, workshopView(config, workshop), this.storage.hubs[i]));
        if (config.router) {
            this.router = new Router(
                `${name}-router`,
                {
                    config,
                    masterPrivateIp: this.hosts.master.privateIp,
                    publicIp: this.hosts.publicIp,
                    provider: this.cluster.provider,
                    clusterReady: this.cluster.ready,
                    routes: this.workshops.map(({ workshop, hub, dns }) => ({
                        workshop: workshop.name!,
                        namespace: workshop.hub.namespace,
                        hostname: workshop.hub.hostname,
                        baseUrl: workshopBaseUrl(workshop.name!, workshop.hub.hostname),
                        dnsReady: dns?.ready,
                        hub: hub.release,
                    })),
                },
                { parent: this },
            );
        }
        const hubUrl = config.router ? { hubUrls: this.workshops.map((w) => w.hub.hubUrl) } : { hubUrl: this.workshops[0].hub.hubUrl };
        this.registerOutputs({ ...hubUrl, publicIp: this.hosts.publicIp });
    }

    /**
     * A workshop's DNS and hub, named as the one hub of a site without workshops always was (`<site>-dns`,
     * `<site>-hub`), or after the workshop (`<site>-dns-<name>`, `<site>-hub-<name>`).
     */
    private workshopSite(name: string, config: SiteConfig, storage: HubVolumes): WorkshopSite {
        const workshop = config.workshops[0];
        // DNS first: its dns-ready step starts as soon as the public IP exists, while the cluster is built, and the
        // hub's HTTPS waits for it.
        const dns =
            workshop.name === undefined || workshop.hub.hostname
                ? new DnsRecords(workshopResourceName(`${name}-dns`, workshop.name), { config, publicIp: this.hosts.publicIp }, { parent: this })
                : undefined;
        const hub = new JupyterHub(
            workshopResourceName(`${name}-hub`, workshop.name),
            {
                config,
                hosts: this.hosts,
                provider: this.cluster.provider,
                storage,
                dnsReady: dns?.ready,
                ...(workshop.name === undefined
                    ? {}
                    : { releaseName: hubReleaseName(workshop.name, RELEASE_NAME), behindRouter: { baseUrl: workshopBaseUrl(workshop.name, workshop.hub.hostname) } }),
            },
            { parent: this },
        );
        return { workshop, hub, dns };
    }
}

/** Builds the site and returns the stack outputs. */
export function deploy(config: SiteConfig): Record<string, unknown> {
    for (const warning of config.warnings) void pulumi.log.warn(warning);
    const site = new EsipHub(`esiphub-${config.site}`, { config });
    const dns = site.workshops.flatMap((w) => (w.dns ? [w.dns] : []));
    const hubs = config.router ? workshopOutputs(site) : hubOutputs(site.workshops[0]);
    return {
        site: config.site,
        cloud: config.cloud,
        ...hubs.first,
        publicIp: site.hosts.publicIp,
        masterPrivateIp: site.hosts.master.privateIp,
        workerPrivateIps: pulumi.all(site.hosts.workers.map((w) => w.privateIp)),
        /** Where homes and the shared folder are served from (the master unless esiphub:nfsNode): `esiphub backup` reads them there. */
        nfsPrivateIp: site.hosts.nfs.privateIp,
        sshCommand: site.hosts.sshCommand,
        workers: config.nodes.workers,
        usersPerWorker: config.nodes.sizing.usersPerWorker,
        sizing: config.nodes.sizing.explanation,
        ...hubs.then,
        kubeconfig: site.cluster.kubeconfig,
        dnsRecords: pulumi.all(dns.map((d) => d.records)).apply((lists) => lists.flat()),
        dnsManagedRecords: pulumi.all(dns.map((d) => d.managedNames)).apply((lists) => lists.flat()),
        cost: estimateCost(config),
        // Read back by the next deployment's quota check: what this site holds of each quota.
        [FOOTPRINT_OUTPUT]: siteNeeds(config),
    };
}

/** The hubs' outputs, in two groups: those listed after the site's name, and those after its sizing. */
type HubOutputs = { first: Record<string, unknown>; then: Record<string, unknown> };

/** The one hub's outputs of a site without workshops (as they always were, in the same order). */
function hubOutputs({ workshop, hub }: WorkshopSite): HubOutputs {
    return {
        first: { hubUrl: hub.hubUrl, tls: hub.tls, tlsStaging: hub.tlsStaging },
        then: {
            /** Users' servers at once (esiphub:maxServers, resolved): `esiphub scale` reads what the hub enforces. */
            maxServers: workshop.hub.maxServers,
            adminUsers: hub.adminUsers,
            credentials: hub.credentials,
        },
    };
}

/**
 * A site with workshops: `workshops` (name → hubUrl, namespace, users, tls, tlsStaging, adminUsers, maxServers) and
 * `credentials` (name → accounts, secret); the CLI's --workshop NAME reads them (cli/workshops.ts).
 */
function workshopOutputs(site: EsipHub): HubOutputs {
    const entries = site.workshops.map(({ workshop, hub }) => [
        workshop.name!,
        {
            hubUrl: hub.hubUrl,
            namespace: workshop.hub.namespace,
            users: workshop.hub.users.length,
            tls: hub.tls,
            tlsStaging: hub.tlsStaging,
            adminUsers: hub.adminUsers,
            maxServers: workshop.hub.maxServers,
        },
    ]);
    const credentials = site.workshops.map(({ workshop, hub }) => hub.credentials.apply((c) => [workshop.name!, c] as const));
    return {
        first: { workshops: Object.fromEntries(entries) },
        then: { credentials: pulumi.secret(pulumi.all(credentials).apply((pairs) => Object.fromEntries(pairs))) },
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
