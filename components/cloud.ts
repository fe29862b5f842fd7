/**
 * What the OpenStack and AWS layers share: which nodes a site has and what they are called, their tags, their
 * first-boot settings, SSH connections, and lookups that fail with the config key to fix.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as tls from "@pulumi/tls";
import * as YAML from "yaml";
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

/** A node's SSH host key pair, in OpenSSH formats: the private key (a secret) and its authorized_keys line. */
export interface HostKey {
    readonly privateKey: string;
    readonly publicKey: string;
}

/**
 * First-boot settings: the hostname is the Kubernetes node name (AWS would otherwise call the node
 * ip-10-44-0-12, and OpenStack may add a domain), and the node's SSH host key is the one the program made, so that
 * every connection can pin it. cloud-init's ssh module (cloudinit/config/cc_ssh.py, doc/module-docs/cc_ssh): with
 * `ssh_deletekeys` the image's own host keys are removed; with `ssh_keys` only the keys given are written
 * (ed25519_private 0600, ed25519_public 0644) and no others are generated. It runs once per instance, so a
 * replaced node is the way to a new key. Rendered as YAML, so the multi-line private key stays one value.
 */
export function cloudInit(hostname: string, hostKey: HostKey): string {
    const settings = {
        hostname,
        fqdn: hostname,
        prefer_fqdn_over_hostname: false,
        manage_etc_hosts: true,
        ssh_deletekeys: true,
        ssh_keys: { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey.trim() },
    };
    return `#cloud-config\n${YAML.stringify(settings)}`;
}

/** The program's ED25519 host key of one node (@pulumi/tls, kept in the state as a secret). */
export function nodeHostKey(resourceName: string, opts: pulumi.CustomResourceOptions): tls.PrivateKey {
    return new tls.PrivateKey(resourceName, { algorithm: "ED25519" }, opts);
}

/** A node's user data, made of its host key: secret, since it carries the private key. */
export function nodeUserData(hostname: string, key: tls.PrivateKey): pulumi.Output<string> {
    return pulumi.secret(pulumi.all([key.privateKeyOpenssh, key.publicKeyOpenssh]).apply(([privateKey, publicKey]) => cloudInit(hostname, { privateKey, publicKey })));
}

/** The authorized_keys form of a host key (@pulumi/tls ends it with a newline), as `hostKey` and known_hosts take it. */
export function hostPublicKey(key: tls.PrivateKey): pulumi.Output<string> {
    return key.publicKeyOpenssh.apply((line) => line.trim());
}

/** How long the remote commands keep trying while a new VM boots: 30 attempts of 10 s. */
export const DIAL_ERROR_LIMIT = 30;
export const PER_DIAL_TIMEOUT = 10;

type Connection = command.types.input.remote.ConnectionArgs;

/** Where an SSH connection goes and the host key it must find there. */
export interface SshEndpoint {
    host: pulumi.Input<string>;
    /** The node's host public key (`ssh-ed25519 AAAA...`): the connection fails on any other key. */
    hostKey: pulumi.Input<string>;
}

/**
 * SSH to a node: the master directly on its public IP, every other node through the master. Each hop pins its host
 * key: @pulumi/command 1.2.1 parses `hostKey` as an authorized_keys line, accepts only that key
 * (ssh.FixedHostKey) and offers only its algorithm; without it, any key is accepted (ssh.InsecureIgnoreHostKey)
 * (pulumi-command provider/pkg/provider/remote/connection.go, SSHConfig, for the connection and its proxy alike).
 */
export function nodeConnection(args: {
    node: SshEndpoint;
    user: string;
    privateKey: pulumi.Output<string>;
    /** The master, for nodes without a public IP of their own. */
    jumpHost?: SshEndpoint;
}): pulumi.Output<Connection> {
    const hop = { user: args.user, privateKey: args.privateKey, dialErrorLimit: DIAL_ERROR_LIMIT, perDialTimeout: PER_DIAL_TIMEOUT };
    const target = { host: args.node.host, hostKey: args.node.hostKey, ...hop };
    const connection: pulumi.Input<Connection> = args.jumpHost === undefined ? target : { ...target, proxy: { host: args.jumpHost.host, hostKey: args.jumpHost.hostKey, ...hop } };
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
