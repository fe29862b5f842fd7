import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { SiteConfig, workshopView } from "../config";
import { workshopResourceName } from "../workshops";
import { ClusterHosts } from "../hosts";
import { REMOTE_SHELL, renderScript, scriptHash } from "../remote";
import {
    HUB_DB,
    hubDb,
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

/** One hub's namespace and claims: what its JupyterHub needs of the storage layer (../jupyterhub/hub.ts HubStorage). */
export interface HubVolumes {
    /** The workshop's name; undefined for the one hub of a site without esiphub:workshops. */
    readonly workshop?: string;
    readonly namespace: pulumi.Output<string>;
    readonly storageClassName: pulumi.Output<string>;
    readonly scratchClaimName: pulumi.Output<string>;
    readonly materialsClaimName: pulumi.Output<string>;
    readonly hubDbClaimName: pulumi.Output<string>;
    /** The provisioner running, the hub's claims made. */
    readonly ready: pulumi.Resource[];
}

export interface NfsStorageArgs {
    config: SiteConfig;
    hosts: ClusterHosts;
    provider: k8s.Provider;
    /** The cluster's last step: nothing is sent to the API server before it. */
    clusterReady: pulumi.Resource;
}

/**
 * Storage of the hubs: the NFS server on the data volume (with per-user XFS project quotas), the NFS client
 * provisioner and its default StorageClass, and for each hub (one, or one per workshop) its namespace with the
 * shared scratch and materials claims and its database's local volume on the master. Every hub's homes are under
 * its namespace's directory on the share (the provisioner's path pattern), with the same quota enforcer.
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
    /** Each hub's namespace and claims, in the order of config.workshops (the fields above are the first's). */
    public readonly hubs: HubVolumes[];

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

        const k8sOpts = { parent: this, provider };
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

        // The hub databases: volumes on the master's disk, each bound both ways to its one claim. Deleting these
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

        const pieces = { hosts, provider, clusterReady, release, hubDbClass };
        this.hubs = config.workshops.map((workshop) => this.hubVolumes(workshopResourceName(name, workshop.name), workshopView(config, workshop), workshop.name, pieces));
        const first = this.hubs[0];
        this.namespace = first.namespace;
        this.storageClassName = first.storageClassName;
        this.scratchClaimName = first.scratchClaimName;
        this.materialsClaimName = first.materialsClaimName;
        this.hubDbClaimName = first.hubDbClaimName;
        this.ready = first.ready;
        this.registerOutputs({
            namespace: this.namespace,
            storageClassName: this.storageClassName,
            scratchClaimName: this.scratchClaimName,
            materialsClaimName: this.materialsClaimName,
            hubDbClaimName: this.hubDbClaimName,
        });
    }

    /**
     * One hub's namespace, shared claims (scratch, materials) and database volume, named `<prefix>-<piece>`: the
     * storage component's own name for the one hub of a site without workshops (the names it always had), the
     * workshop's name after it otherwise.
     */
    private hubVolumes(
        prefix: string,
        config: SiteConfig,
        workshop: string | undefined,
        pieces: { hosts: ClusterHosts; provider: k8s.Provider; clusterReady: pulumi.Resource; release: k8s.helm.v3.Release; hubDbClass: k8s.storage.v1.StorageClass },
    ): HubVolumes {
        const { hosts, provider, clusterReady, release, hubDbClass } = pieces;
        const k8sOpts = { parent: this, provider };
        const db = hubDb(workshop);
        const hubDbScript = storageScript("hub-db-dir");
        const hubDbDir = new command.remote.Command(
            `${prefix}-hub-db-dir`,
            {
                connection: hosts.master.connection,
                create: REMOTE_SHELL,
                stdin: renderScript(hubDbScript, hubDbDirParams(workshop)),
                triggers: [scriptHash(hubDbScript)],
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn: [hosts.master.instance] },
        );

        const namespace = new k8s.core.v1.Namespace(
            `${prefix}-namespace`,
            { metadata: { name: config.hub.namespace, labels: { "app.kubernetes.io/part-of": "esiphub" } } },
            { ...k8sOpts, dependsOn: [clusterReady] },
        );

        // The shared folders: scratch (everyone writes) and materials (admins write, participants read). Their sizes
        // are enforced by the quota enforcer on the NFS host (the provisioner ignores them).
        const sharedClaim = (suffix: string, claimName: string, size: string) =>
            new k8s.core.v1.PersistentVolumeClaim(
                `${prefix}-${suffix}`,
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

        const hubDbVolume = new k8s.core.v1.PersistentVolume(
            `${prefix}-hub-db-volume`,
            {
                metadata: { name: db.volumeName },
                spec: {
                    capacity: { storage: db.size },
                    accessModes: ["ReadWriteOnce"],
                    volumeMode: "Filesystem",
                    persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: hubDbClass.metadata.name,
                    claimRef: { namespace: namespace.metadata.name, name: db.claimName },
                    local: { path: db.dir },
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
            `${prefix}-hub-db`,
            {
                metadata: { name: db.claimName, namespace: namespace.metadata.name },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: hubDbClass.metadata.name,
                    volumeName: hubDbVolume.metadata.name,
                    resources: { requests: { storage: db.size } },
                },
            },
            { ...k8sOpts, retainOnDelete: true },
        );
        return {
            workshop,
            namespace: namespace.metadata.name,
            storageClassName: pulumi.output(config.storage.storageClass),
            scratchClaimName: scratchClaim.metadata.name,
            materialsClaimName: materialsClaim.metadata.name,
            hubDbClaimName: hubDbClaim.metadata.name,
            ready: [release, scratchClaim, materialsClaim, hubDbClaim],
        };
    }
}
