import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { SiteConfig } from "../config";
import { ClusterHosts } from "../hosts";
import { REMOTE_SHELL, renderScript, scriptHash } from "../remote";
import {
    HUB_DB,
    hubDbDirParams,
    MATERIALS_CLAIM_NAME,
    nfsServerParams,
    PROVISIONER_CHART,
    PROVISIONER_NAMESPACE,
    PROVISIONER_RELEASE,
    provisionerValues,
    SCRATCH_CLAIM_NAME,
    storageScript,
} from "./values";

export interface NfsStorageArgs {
    config: SiteConfig;
    hosts: ClusterHosts;
    provider: k8s.Provider;
    /** The cluster's last step: nothing is sent to the API server before it. */
    clusterReady: pulumi.Resource;
}

/**
 * Storage of the hub: the NFS server on the data volume (with per-user XFS project quotas), the NFS client
 * provisioner and its default StorageClass, the hub's namespace with the shared scratch claim, and the hub
 * database's local volume on the master.
 *
 * Keeping data: nothing here deletes user data. The remote commands have no delete step (the volume is never
 * unexported or wiped), the StorageClass keeps the volumes and directories of deleted claims (Retain, and
 * archiveOnDelete besides), a claim made again finds its old directory (fixed path pattern), uninstalling the
 * provisioner leaves the share alone, and the claims that hold shared data are never deleted by Pulumi
 * (retainOnDelete): a change that would replace one fails instead of emptying it.
 */
export class NfsStorage extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly storageClassName: pulumi.Output<string>;
    public readonly scratchClaimName: pulumi.Output<string>;
    public readonly materialsClaimName: pulumi.Output<string>;
    public readonly hubDbClaimName: pulumi.Output<string>;
    /** What the hub must wait for: the provisioner running, every claim made. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: NfsStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("esiphub:storage:Nfs", name, {}, opts);
        const { config, hosts, provider, clusterReady } = args;
        // The NFS server, once the data volume is attached. Re-runs when a script (the installed quota enforcer
        // included) or a setting changes.
        const serverScript = storageScript("nfs-server");
        const nfsServer = new command.remote.Command(
            `${name}-nfs-server`,
            {
                connection: hosts.nfs.connection,
                create: REMOTE_SHELL,
                stdin: hosts.dataVolume.serial.apply((serial) => renderScript(serverScript, nfsServerParams(config, serial))),
                triggers: [scriptHash(serverScript), scriptHash(storageScript("nfs-quota"))],
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn: [hosts.nfs.instance, hosts.dataVolume.attachment] },
        );

        const hubDbScript = storageScript("hub-db-dir");
        const hubDbDir = new command.remote.Command(
            `${name}-hub-db-dir`,
            {
                connection: hosts.master.connection,
                create: REMOTE_SHELL,
                stdin: renderScript(hubDbScript, hubDbDirParams()),
                triggers: [scriptHash(hubDbScript)],
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn: [hosts.master.instance] },
        );

        const k8sOpts = { parent: this, provider };
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: config.hub.namespace, labels: { "app.kubernetes.io/part-of": "esiphub" } } },
            { ...k8sOpts, dependsOn: [clusterReady] },
        );

        const release = new k8s.helm.v3.Release(
            `${name}-provisioner`,
            {
                name: PROVISIONER_RELEASE,
                chart: PROVISIONER_CHART.chart,
                version: PROVISIONER_CHART.version,
                repositoryOpts: { repo: PROVISIONER_CHART.repo },
                namespace: PROVISIONER_NAMESPACE,
                createNamespace: true,
                maxHistory: 10,
                values: provisionerValues(config, hosts.nfs.privateIp),
            },
            // The nodes' NFS client (nfs-common) comes with the cluster layer's node preparation.
            { ...k8sOpts, dependsOn: [clusterReady, nfsServer] },
        );

        // The shared folders: scratch (everyone writes) and materials (admins write, participants read). Their sizes
        // are enforced by the quota enforcer on the NFS host (the provisioner ignores them).
        const sharedClaim = (suffix: string, claimName: string, size: string) =>
            new k8s.core.v1.PersistentVolumeClaim(
                `${name}-${suffix}`,
                {
                    metadata: { name: claimName, namespace: namespace.metadata.name },
                    spec: {
                        accessModes: ["ReadWriteMany"],
                        storageClassName: config.storage.storageClass,
                        resources: { requests: { storage: size } },
                    },
                },
                { ...k8sOpts, dependsOn: [release], retainOnDelete: true },
            );
        const scratchClaim = sharedClaim("scratch", SCRATCH_CLAIM_NAME, config.storage.scratchSize);
        const materialsClaim = sharedClaim("materials", MATERIALS_CLAIM_NAME, config.storage.materialsSize);

        // The hub database: a volume on the master's disk, bound both ways to its one claim. Deleting these
        // objects never touches the directory (no provisioner cleans local volumes).
        const hubDbClass = new k8s.storage.v1.StorageClass(
            `${name}-hub-db-class`,
            {
                metadata: { name: HUB_DB.storageClassName },
                provisioner: "kubernetes.io/no-provisioner",
                volumeBindingMode: "WaitForFirstConsumer",
                reclaimPolicy: "Retain",
            },
            { ...k8sOpts, dependsOn: [clusterReady] },
        );
        const hubDbVolume = new k8s.core.v1.PersistentVolume(
            `${name}-hub-db-volume`,
            {
                metadata: { name: HUB_DB.volumeName },
                spec: {
                    capacity: { storage: HUB_DB.size },
                    accessModes: ["ReadWriteOnce"],
                    volumeMode: "Filesystem",
                    persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: hubDbClass.metadata.name,
                    claimRef: { namespace: namespace.metadata.name, name: HUB_DB.claimName },
                    local: { path: HUB_DB.dir },
                    nodeAffinity: {
                        required: {
                            nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [hosts.master.name] }] }],
                        },
                    },
                },
            },
            { ...k8sOpts, dependsOn: [clusterReady, hubDbDir] },
        );
        const hubDbClaim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-hub-db`,
            {
                metadata: { name: HUB_DB.claimName, namespace: namespace.metadata.name },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: hubDbClass.metadata.name,
                    volumeName: hubDbVolume.metadata.name,
                    resources: { requests: { storage: HUB_DB.size } },
                },
            },
            { ...k8sOpts, retainOnDelete: true },
        );

        this.namespace = namespace.metadata.name;
        this.storageClassName = pulumi.output(config.storage.storageClass);
        this.scratchClaimName = scratchClaim.metadata.name;
        this.materialsClaimName = materialsClaim.metadata.name;
        this.hubDbClaimName = hubDbClaim.metadata.name;
        this.ready = [release, scratchClaim, materialsClaim, hubDbClaim];
        this.registerOutputs({
            namespace: this.namespace,
            storageClassName: this.storageClassName,
            scratchClaimName: this.scratchClaimName,
            materialsClaimName: this.materialsClaimName,
            hubDbClaimName: this.hubDbClaimName,
        });
    }
}
