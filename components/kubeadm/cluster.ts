import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { SiteConfig } from "../config";
import { ClusterHosts, ClusterNode } from "../hosts";
import { REMOTE_SHELL, renderScript, ScriptParams, scriptHash } from "../remote";
import {
    calicoParams,
    initMasterParams,
    isNodeName,
    joinWorkerParams,
    kubeadmScript,
    prepareNodeParams,
    publicKubeconfig,
    removeNodeParams,
    ScriptName,
    waitReadyParams,
} from "./commands";

export interface KubeadmClusterArgs {
    config: SiteConfig;
    hosts: ClusterHosts;
}

interface Step {
    /** The node the script runs on. */
    on: ClusterNode;
    script: ScriptName;
    params: pulumi.Input<ScriptParams>;
    dependsOn: pulumi.Resource[];
    /** The nodes whose VMs the step is about (default: `on`); a new VM runs the step again. */
    about?: ClusterNode[];
    /** stdout is a secret (join command, kubeconfig): never logged, stored encrypted. */
    secretOutput?: boolean;
}

/**
 * A kubeadm Kubernetes cluster on the cloud layer's VMs, built over SSH by the scripts in ./scripts.
 * Its steps (remote commands), each with what it waits for:
 *   master  prepare ← VM;  init ← prepare;  calico ← init;  kubeconfig (secret) ← init
 *   worker  prepare ← its VM;  join command (on the master, secret) ← init, its prepare;
 *           join ← init, its prepare, its join command;  removal (on the master) ← its join
 *   ready (all nodes Ready) ← calico, every join;  k8s.Provider ← ready
 *
 * Workers only wait for the master's init and their own preparation, never for one another, so the
 * chain from "VMs exist" to "all nodes Ready" is as long for 20 workers as for 2.
 */
export class KubeadmCluster extends pulumi.ComponentResource {
    /** Admin kubeconfig whose server is https://PUBLIC_IP:6443 (secret). */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** Every node Ready: what the layers after this one wait for. */
    public readonly ready: pulumi.Resource;

    constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("esiphub:kubeadm:Cluster", name, {}, opts);
        const { config, hosts } = args;
        const { master, workers } = hosts;
        checkNodeNames([master, ...workers], this);

        const prepareMaster = this.step(`${name}-prepare-${master.name}`, {
            on: master,
            script: "prepare-node",
            params: prepareNodeParams(config),
            dependsOn: [master.instance],
        });
        const init = this.step(`${name}-init`, {
            on: master,
            script: "init-master",
            params: pulumi
                .all([master.privateIp, hosts.publicIp])
                .apply(([privateIp, publicIp]) => initMasterParams(config, { nodeName: master.name, privateIp, publicIp })),
            dependsOn: [prepareMaster],
        });
        const calico = this.step(`${name}-calico`, { on: master, script: "install-calico", params: calicoParams(config), dependsOn: [init] });
        const adminKubeconfig = this.step(`${name}-kubeconfig`, { on: master, script: "kubeconfig", params: {}, dependsOn: [init], secretOutput: true });

        const joins = workers.map((worker) => {
            const prepare = this.step(`${name}-prepare-${worker.name}`, {
                on: worker,
                script: "prepare-node",
                params: prepareNodeParams(config),
                dependsOn: [worker.instance],
            });
            // A join command of its own, made just before the join: tokens expire after 24 h.
            const joinCommand = this.step(`${name}-join-command-${worker.name}`, {
                on: master,
                about: [worker],
                script: "join-command",
                params: {},
                dependsOn: [init, prepare],
                secretOutput: true,
            });
            const join = this.step(`${name}-join-${worker.name}`, {
                on: worker,
                script: "join-worker",
                params: pulumi.secret(joinCommand.stdout).apply((joinCmd) => joinWorkerParams(worker.name, joinCmd)),
                dependsOn: [init, prepare],
            });
            // Removing a worker from the program drains it and deletes its Node, from the master, while its
            // VM still runs (the VM's deletion waits for this). Draining needs the master's admin
            // credentials, so this is a resource on the master's connection, next to the worker's join.
            // It has no create and no triggers: a replacement would run the delete on a live worker.
            // For the same reason a changed master connection (new key or IP) is not taken in.
            new command.remote.Command(
                `${name}-remove-${worker.name}`,
                {
                    connection: master.connection,
                    // The provider feeds stdin to the delete command too.
                    stdin: renderScript(kubeadmScript("remove-node"), removeNodeParams(worker.name)),
                    delete: REMOTE_SHELL,
                },
                { parent: this, dependsOn: [join], ignoreChanges: ["connection"] },
            );
            return join;
        });

        const ready = this.step(`${name}-ready`, {
            on: master,
            script: "wait-ready",
            params: waitReadyParams([master.name, ...workers.map((w) => w.name)]),
            dependsOn: [calico, ...joins],
            about: [master, ...workers],
        });
        this.ready = ready;

        this.kubeconfig = pulumi.secret(
            pulumi.all([adminKubeconfig.stdout, hosts.publicIp]).apply(([admin, publicIp]) => publicKubeconfig(admin, publicIp)),
        );
        this.provider = new k8s.Provider(`${name}-provider`, { kubeconfig: this.kubeconfig }, { parent: this, dependsOn: [ready] });

        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }

    /** One script run on one node, re-run when the script or the node's VM changes. */
    private step(resourceName: string, step: Step): command.remote.Command {
        const script = kubeadmScript(step.script);
        const vms = (step.about ?? [step.on]).map((node) => node.instance).filter(pulumi.CustomResource.isInstance).map((vm) => vm.id);
        return new command.remote.Command(
            resourceName,
            {
                connection: step.on.connection,
                create: REMOTE_SHELL,
                stdin: pulumi.output(step.params).apply((params) => renderScript(script, params)),
                triggers: [scriptHash(script), ...vms],
                ...(step.secretOutput ? { logging: command.types.enums.remote.Logging.None, addPreviousOutputInEnv: false } : {}),
            },
            {
                parent: this,
                dependsOn: step.dependsOn,
                ...(step.secretOutput ? { additionalSecretOutputs: ["stdout"] } : {}),
            },
        );
    }
}

function checkNodeNames(nodes: ClusterNode[], parent: pulumi.Resource): void {
    const seen = new Set<string>();
    for (const node of nodes) {
        if (!isNodeName(node.name)) {
            throw new pulumi.ResourceError(`node "${node.name}" (${node.role}): not a Kubernetes node name (lower-case letters, digits, - and .)`, parent);
        }
        if (seen.has(node.name)) throw new pulumi.ResourceError(`two nodes are named "${node.name}"; node names must be unique`, parent);
        seen.add(node.name);
    }
}
