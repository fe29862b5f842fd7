/**
 * What the OpenStack and AWS layers share: which nodes a site has and what they are called, their tags, their
 * first-boot settings, SSH connections, and lookups that fail with the config key to fix.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Flavor } from "./catalog";
import { NAMESPACE, SiteConfig } from "./config";
import { NodeRole } from "./hosts";

export interface NodeSpec {
    /** Kubernetes node name and hostname: `<site>-master`, `<site>-worker-<nn>`, `<site>-nfs`. */
    readonly name: string;
    readonly role: NodeRole;
    readonly flavor: Flavor;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The site's nodes: the master, the dedicated NFS node if configured, then the workers numbered from 01. */
export function nodeLayout(config: SiteConfig): NodeSpec[] {
    const site = config.site;
    const longest = `${site}-worker-${String(Math.max(config.nodes.workers, 1)).padStart(2, "0")}`;
    if (!DNS_LABEL.test(site) || longest.length > 63) {
        throw new Error(
            `stack name "${site}" cannot prefix node names such as ${longest}: use lower-case letters, digits and -, at most ${63 - (longest.length - site.length)} characters`,
        );
    }
    const nodes: NodeSpec[] = [{ name: `${site}-master`, role: "master", flavor: config.nodes.masterFlavor }];
    if (config.nodes.dedicatedNfsNode) nodes.push({ name: `${site}-nfs`, role: "nfs", flavor: config.nodes.masterFlavor });
    for (let i = 1; i <= config.nodes.workers; i++) {
        nodes.push({ name: `${site}-worker-${String(i).padStart(2, "0")}`, role: "worker", flavor: config.nodes.workerFlavor });
    }
    return nodes;
}

/** What a resource is labelled with on both clouds. `role` is a node role or the part of the site a resource is (network, firewall, storage, access). */
export function siteTags(site: string, stack: string, role: string): Record<string, string> {
    return { site, stack, role };
}

/**
 * First-boot settings: the hostname is the Kubernetes node name (AWS would otherwise call the node
 * ip-10-44-0-12, and OpenStack may add a domain).
 */
export function cloudInit(hostname: string): string {
    return ["#cloud-config", `hostname: ${hostname}`, `fqdn: ${hostname}`, "prefer_fqdn_over_hostname: false", "manage_etc_hosts: true", ""].join("\n");
}

/** How long the remote commands keep trying while a new VM boots: 30 attempts of 10 s. */
export const DIAL_ERROR_LIMIT = 30;
export const PER_DIAL_TIMEOUT = 10;

type Connection = command.types.input.remote.ConnectionArgs;

/** SSH to a node: the master directly on its public IP, every other node through the master. */
export function nodeConnection(args: {
    host: pulumi.Input<string>;
    user: string;
    privateKey: pulumi.Output<string>;
    /** The master's public IP, for nodes without one of their own. */
    jumpHost?: pulumi.Input<string>;
}): pulumi.Output<Connection> {
    const hop = { user: args.user, privateKey: args.privateKey, dialErrorLimit: DIAL_ERROR_LIMIT, perDialTimeout: PER_DIAL_TIMEOUT };
    const connection: pulumi.Input<Connection> = args.jumpHost === undefined ? { host: args.host, ...hop } : { host: args.host, ...hop, proxy: { host: args.jumpHost, ...hop } };
    // The private key makes the whole connection secret.
    return pulumi.secret(pulumi.output(connection) as pulumi.Output<Connection>);
}

export function sshCommand(user: string, publicIp: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.interpolate`ssh -i ~/.ssh/esiphub ${user}@${publicIp}`;
}

/** A lookup's answer that is wrong for another setting, e.g. a subnet CIDR outside the VPC found by esiphub:vpcId. */
export class SettingProblem extends Error {
    constructor(readonly key: string, message: string) {
        super(message);
    }
}

/**
 * Runs a cloud lookup (data source) once and returns a getter for its result. When it finds nothing each use fails
 * with its own error naming the setting to fix, e.g. `esiphub:image: no image named "Ubuntu-22.04" in region IU
 * (Your query returned no results...)`: one shared error would collect the prefix of every resource it fails.
 */
export function lookup<T>(key: string, what: string, parent: pulumi.Resource, find: () => Promise<T>): () => pulumi.Output<pulumi.Unwrap<T>> {
    const found = find();
    // Reported through each use below, not as a rejection of its own.
    found.catch(() => undefined);
    return () =>
        pulumi.output(
            found.catch((e: unknown) => {
                if (e instanceof SettingProblem) throw new pulumi.ResourceError(`${NAMESPACE}:${e.key}: ${e.message}`, parent);
                const reason = e instanceof Error ? e.message : String(e);
                throw new pulumi.ResourceError(`${NAMESPACE}:${key}: ${what} (${reason.trim()})`, parent);
            }),
        );
}
