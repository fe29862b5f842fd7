import * as path from "path";
import * as YAML from "yaml";
import { SiteConfig } from "../config";
import { layerScript, RemoteScript, renderScript, ScriptParams } from "../remote";
import { CALICO_BGP, calicoInstallationManifest } from "./calico";

/**
 * The kubeadm layer's scripts and their parameters: pure, so that the component only wires resources and
 * the tests run exactly the text a node receives (rendered by ../remote.ts, with ../scripts/lib.sh).
 */

export const SCRIPTS_DIR = path.join(__dirname, "scripts");

/** Pinned Calico release, installed with its Tigera operator manifests. */
export const CALICO_VERSION = "v3.30.3";

/**
 * The sha256 of each manifest install-calico.sh applies (as cluster-admin), for CALICO_VERSION: a tag can be moved and
 * a download tampered with, a checksum cannot. raw.githubusercontent.com serves a file's git blob byte for byte; these
 * are `git cat-file blob v3.30.3:manifests/<file> | sha256sum` in projectcalico/calico. A new CALICO_VERSION needs
 * its own pair (a test refuses a version without one).
 */
export const CALICO_MANIFEST_SHA256: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    "v3.30.3": {
        "operator-crds.yaml": "fde094dbdfab65687542c8fbde1fd4168bb52657166ea84af75b22544dff1d2e",
        "tigera-operator.yaml": "06d2fec21cb7946c71e910086449e5a1e431e3898cf21e8c874c83ee864956b8",
    },
};

export const SCRIPT_NAMES = [
    "master-ssh",
    "prepare-node",
    "init-master",
    "install-calico",
    "join-worker",
    "join-node",
    "kubeconfig",
    "wait-ready",
    "remove-node",
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** scripts/<name>.sh, as ../remote.ts sends it. */
export function kubeadmScript(name: ScriptName): RemoteScript {
    return layerScript("kubeadm", name);
}

/** The comment of the cluster's join key (master-ssh.sh makes it), by which prepare-node.sh finds its line again. */
export const JOIN_KEY_COMMENT = "esiphub-cluster-join";

/** A worker's side of the join key: who the master logs in as, and the key (master-ssh.sh's stdout) with where from. */
export interface JoinAccess {
    sshUser: string;
    joinPublicKey: string;
    masterPrivateIp: string;
}

export function prepareNodeParams(config: SiteConfig, join?: JoinAccess): ScriptParams {
    const params: ScriptParams = { KUBERNETES_MINOR: config.kubernetes.version };
    if (join) Object.assign(params, { SSH_USER: join.sshUser, JOIN_AUTHORIZED_KEY: joinAuthorizedKey(join.joinPublicKey, join.masterPrivateIp) });
    return params;
}

/**
 * The authorized_keys line of the join key on a worker: from the master's address only, and nothing but a
 * command (sshd(8), AUTHORIZED_KEYS FILE FORMAT: `restrict` turns off forwarding, pty and ~/.ssh/rc).
 */
export function joinAuthorizedKey(publicKey: string, masterPrivateIp: string): string {
    const key = publicKey.trim();
    if (!new RegExp(`^ssh-ed25519 [A-Za-z0-9+/]+=* ${JOIN_KEY_COMMENT}$`).test(key)) {
        throw new Error(`the master's join key is not an ssh-ed25519 public key with the comment ${JOIN_KEY_COMMENT}`);
    }
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(masterPrivateIp)) throw new Error(`the master's private address "${masterPrivateIp}" is not an IPv4 address`);
    return `restrict,from="${masterPrivateIp}" ${key}`;
}

export interface MasterAddresses {
    nodeName: string;
    privateIp: string;
    publicIp: string;
}

export function initMasterParams(config: SiteConfig, master: MasterAddresses): ScriptParams {
    return {
        NODE_NAME: master.nodeName,
        PRIVATE_IP: master.privateIp,
        PUBLIC_IP: master.publicIp,
        HUB_HOSTNAME: config.hub.hostname ?? "",
        POD_CIDR: config.network.podCidr,
        SERVICE_CIDR: config.network.serviceCidr,
        SCHEDULE_ON_MASTER: String(config.nodes.scheduleOnMaster),
    };
}

/** `sha256sum -c` lines (hash, two spaces, file name) of the manifests of a Calico version, applied in this order. */
export function calicoChecksums(version: string): string {
    const sums = CALICO_MANIFEST_SHA256[version];
    if (!sums) throw new Error(`no pinned sha256 for the manifests of Calico ${version} (components/kubeadm/commands.ts, CALICO_MANIFEST_SHA256)`);
    return Object.entries(sums)
        .map(([file, sum]) => `${sum}  ${file}`)
        .join("\n");
}

export function calicoParams(config: SiteConfig): ScriptParams {
    return {
        CALICO_VERSION,
        CALICO_SHA256: calicoChecksums(CALICO_VERSION),
        POD_CIDR: config.network.podCidr,
        INSTALLATION: calicoInstallationManifest(config.network.podCidr),
        CALICO_BGP,
    };
}

/** A known_hosts line (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT: hostnames, then the key) for one address. */
export function knownHostsLine(address: string, publicKey: string): string {
    const key = publicKey.trim();
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) throw new Error(`known_hosts: "${address}" is not an IPv4 address`);
    if (!/^ssh-ed25519 [A-Za-z0-9+/]+=*$/.test(key)) throw new Error(`known_hosts: the host key of ${address} is not an ssh-ed25519 public key without a comment`);
    return `${address} ${key}`;
}

/**
 * join-worker.sh runs on the master; join-node.sh, rendered here, is what it sends to the worker. The master's SSH to
 * the worker checks the worker's host key (the program's, pinned like every other connection) against KNOWN_HOSTS.
 */
export function joinWorkerParams(config: SiteConfig, nodeName: string, workerIp: string, workerHostKey: string): ScriptParams {
    return {
        NODE_NAME: nodeName,
        WORKER_IP: workerIp,
        SSH_USER: config.ssh.user,
        KNOWN_HOSTS: knownHostsLine(workerIp, workerHostKey),
        NODE_SCRIPT: renderScript(kubeadmScript("join-node"), { NODE_NAME: nodeName }),
    };
}

export function waitReadyParams(nodeNames: string[]): ScriptParams {
    return { NODE_NAMES: nodeNames.join(" ") };
}

export function removeNodeParams(nodeName: string): ScriptParams {
    return { NODE_NAME: nodeName };
}

/** A Kubernetes node name: a lower-case DNS subdomain (kubeadm refuses anything else, late). */
export function isNodeName(name: string): boolean {
    return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

/**
 * The admin kubeconfig with every cluster's server pointed at the public IP (the API server's
 * certificate names it; kubeadm wrote the private address, which only the nodes reach).
 */
export function publicKubeconfig(kubeconfig: string, publicIp: string): string {
    let doc: unknown;
    try {
        doc = YAML.parse(kubeconfig);
    } catch (e) {
        throw new Error(`the master's admin.conf is not YAML: ${(e as Error).message}`);
    }
    const clusters = (doc as { clusters?: unknown } | null)?.clusters;
    if (!Array.isArray(clusters) || clusters.length === 0 || clusters.some((c) => typeof c?.cluster?.server !== "string")) {
        throw new Error("the master's admin.conf is not a kubeconfig with clusters[].cluster.server");
    }
    for (const entry of clusters) entry.cluster.server = `https://${publicIp}:6443`;
    return YAML.stringify(doc);
}
