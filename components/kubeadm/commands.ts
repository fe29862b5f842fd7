import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { SiteConfig } from "../config";

/**
 * The kubeadm layer's scripts and what they are sent with: pure, so that the component only wires
 * resources and the tests run exactly the text a node receives.
 */

export const SCRIPTS_DIR = path.join(__dirname, "scripts");

/** Pinned Calico release, installed with its Tigera operator manifests. */
export const CALICO_VERSION = "v3.30.3";

/** How every script runs on a node: the rendered script arrives on stdin (see scripts/lib.sh). */
export const REMOTE_SHELL = "sudo bash -s";

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

export type ScriptParams = Record<string, string>;

const PARAM_NAME = /^[A-Z][A-Z0-9_]*$/;

function readScriptFile(file: string): string {
    return fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
}

/** The script as sent, parameters aside: lib.sh then the script. */
export function scriptBody(name: ScriptName): string {
    return `${readScriptFile("lib.sh")}\n${readScriptFile(`${name}.sh`)}`;
}

/** Content hash of what a script runs; in a command's `triggers`, so that an edited script runs again. */
export function scriptHash(name: ScriptName): string {
    return crypto.createHash("sha256").update(scriptBody(name)).digest("hex");
}

/** Single-quotes a value for bash: the value is taken literally, whatever it holds. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The text sent on stdin of `sudo bash -s`: the parameters as exports, lib.sh, the script. */
export function renderScript(name: ScriptName, params: ScriptParams): string {
    const exports = Object.entries(params).map(([key, value]) => {
        if (!PARAM_NAME.test(key)) throw new Error(`script ${name}: parameter name "${key}" must be upper-case letters, digits and _`);
        if (typeof value !== "string") throw new Error(`script ${name}: parameter ${key} must be a string, got ${typeof value}`);
        return `export ${key}=${shellQuote(value)}\n`;
    });
    return `#!/usr/bin/env bash\n# esiphub kubeadm: ${name}\n${exports.join("")}${scriptBody(name)}`;
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
