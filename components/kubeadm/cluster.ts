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
    /** More that runs the step again when it changes (a join: the init's id, so that a rebuilt master re-joins). */
    triggers?: pulumi.Input<string>[];
    /** stdout is a secret (kubeconfig), or the script handles one (a join command): never logged, stored encrypted. */
    secretOutput?: boolean;
}

/**
 * A kubeadm Kubernetes cluster on the cloud layer's VMs, built over SSH by the scripts in ./scripts.
 * Its steps (remote commands), each with what it waits for:
 *   master  ssh (MaxStartups, the join key) ← VM;  prepare ← VM;  init ← prepare;  calico ← init;
 *           kubeconfig (secret) ← init
 *   worker  prepare (also installs the join key) ← its VM, the master's ssh step;
 *           join (run on the master) ← init, its prepare;  removal (on the master) ← its join
 *   ready (all nodes Ready) ← calico, every join;  k8s.Provider ← ready
 *
 * Workers only wait for the master and their own preparation, never for one another, so the chain from
 * "VMs exist" to "all nodes Ready" is as long for 20 workers as for 2.
 *
 * A join is ONE step, run on the master (join-worker.sh): it mints a short-lived token, deletes a stale Node of
 * the worker's name, and runs the join on the worker over SSH with a key of the cluster's own. Pulumi saves no
 * failed create and runs no unchanged resource again, so a token made by a resource of its own would outlive a
 * failed join and come back, expired, with the retry a day later; inside one step every attempt mints its own.
 * The key is made on the master and never leaves it (it is not in the Pulumi state); a worker accepts it from the
 * master's private address only. It gives the master nothing it lacks: cluster-admin already runs any container
 * on any node. Sending the operator's own key to the master instead would expose a key that opens more than this
 * cluster. The join command stays on the master and on the worker's stdin.
 * Every join also runs again when the init's id changes (a rebuilt master, a new cluster CA): a worker still joined
 * to the old cluster is reset and joins the new one.
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

        // First on the master: the hops to every other node go through it, and workers install its join key.
        const masterSsh = this.step(`${name}-master-ssh`, { on: master, script: "master-ssh", params: {}, dependsOn: [master.instance] });
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
                params: pulumi
                    .all([masterSsh.stdout, master.privateIp])
                    .apply(([joinPublicKey, masterPrivateIp]) => prepareNodeParams(config, { sshUser: config.ssh.user, joinPublicKey, masterPrivateIp })),
                dependsOn: [worker.instance, masterSsh],
            });
            const join = this.step(`${name}-join-${worker.name}`, {
                on: master,
                about: [master, worker],
                script: "join-worker",
                params: pulumi.all([worker.privateIp, worker.hostKey]).apply(([workerIp, hostKey]) => joinWorkerParams(config, worker.name, workerIp, hostKey)),
                dependsOn: [init, prepare],
                triggers: [init.id],
                secretOutput: true,
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
                    addPreviousOutputInEnv: false,
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

    /**
     * One script run on one node, re-run when the script, the node's VM or a trigger changes.
     * addPreviousOutputInEnv off: on an update the provider would send the last stdout and stderr as the SSH
     * environment variables PULUMI_COMMAND_STDOUT/STDERR, which sshd refuses unless AcceptEnv lists them
     * (pulumi-command provider/pkg/provider/remote/commandOutputs.go); a secret stdout would travel with them.
     */
    private step(resourceName: string, step: Step): command.remote.Command {
        const script = kubeadmScript(step.script);
        const vms = (step.about ?? [step.on]).map((node) => node.instance).filter(pulumi.CustomResource.isInstance).map((vm) => vm.id);
        return new command.remote.Command(
            resourceName,
            {
                connection: step.on.connection,
                create: REMOTE_SHELL,
                stdin: pulumi.output(step.params).apply((params) => renderScript(script, params)),
                triggers: [scriptHash(script), ...vms, ...(step.triggers ?? [])],
                addPreviousOutputInEnv: false,
                ...(step.secretOutput ? { logging: command.types.enums.remote.Logging.None } : {}),
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
