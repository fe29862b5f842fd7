import * as path from "path";
import * as YAML from "yaml";
import { SiteConfig } from "../config";
import { layerScript, RemoteScript, ScriptParams } from "../remote";

/**
 * The kubeadm layer's scripts and their parameters: pure, so that the component only wires resources and
 * the tests run exactly the text a node receives (rendered by ../remote.ts, with ../scripts/lib.sh).
 */

export const SCRIPTS_DIR = path.join(__dirname, "scripts");

/** Pinned Calico release, installed with its Tigera operator manifests. */
export const CALICO_VERSION = "v3.30.3";

export const SCRIPT_NAMES = [
    "prepare-node",
    "init-master",
    "install-calico",
    "join-command",
    "join-worker",
    "kubeconfig",
    "wait-ready",
    "remove-node",
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** scripts/<name>.sh, as ../remote.ts sends it. */
export function kubeadmScript(name: ScriptName): RemoteScript {
    return layerScript("kubeadm", name);
}

export function prepareNodeParams(config: SiteConfig): ScriptParams {
    return { KUBERNETES_MINOR: config.kubernetes.version };
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

export function calicoParams(config: SiteConfig): ScriptParams {
    return { CALICO_VERSION, POD_CIDR: config.network.podCidr };
}

export function joinWorkerParams(nodeName: string, joinCommand: string): ScriptParams {
    return { NODE_NAME: nodeName, JOIN_COMMAND: joinCommand.trim() };
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
