import * as pulumi from "@pulumi/pulumi";
import { SiteConfig } from "../config";
import { layerScript, RemoteScript, renderScript, ScriptParams } from "../remote";

/** The NFS client provisioner: its chart, pinned. */
export const PROVISIONER_CHART = {
    chart: "nfs-subdir-external-provisioner",
    version: "4.0.18",
    repo: "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/",
} as const;
export const PROVISIONER_RELEASE = "nfs-provisioner";
export const PROVISIONER_NAMESPACE = "esiphub-storage";

/** Mount point of the data volume on the NFS host, and the NFS export. */
export const NFS_EXPORT_DIR = "/srv/esiphub";
/**
 * Each claim's directory on the share: `<namespace>/<claim>`, e.g. `jhub/claim-workshop-01`. Predictable, so that
 * the quota enforcer finds user directories under `<hub namespace>/`, and a user whose claim is deleted and made
 * again gets the same directory (and files) back.
 */
export const USER_DIR_PATTERN = "${.PVC.namespace}/${.PVC.name}";
/** Mount options of every NFS volume: NFSv4.2 needs only port 2049 (no rpcbind/mountd); no access-time writes. */
export const NFS_MOUNT_OPTIONS = ["nfsvers=4.2", "noatime"];
/** Ubuntu starts 8 nfsd threads; a workshop starts dozens of servers, each mounting and reading at once. */
export const NFSD_THREADS = 32;
/** The notebook image's user (jovyan, uid 1000, group users 100): who a client's root becomes on the share. */
export const NOTEBOOK_USER = { uid: 1000, gid: 100 } as const;

/**
 * The shared claims, in the hub's namespace beside the users' homes: the scratch everyone writes, and the instructors'
 * materials that participants only read. Not user directories: each has a quota of its own size.
 */
export const SCRATCH_CLAIM_NAME = "esiphub-scratch";
export const MATERIALS_CLAIM_NAME = "esiphub-materials";

/** The hub's sqlite database: a local volume on the master's own disk, never NFS. */
export const HUB_DB = {
    /** On the master. */
    dir: "/var/lib/esiphub/hub-db",
    volumeName: "esiphub-hub-db",
    claimName: "esiphub-hub-db",
    /** A class of its own, so that the claim binds to this volume only, never to an NFS one. */
    storageClassName: "esiphub-hub-db",
    size: "1Gi",
    /** The Zero-to-JupyterHub hub container's user and group. */
    uid: 1000,
    gid: 1000,
} as const;

/**
 * The database volume of one hub: HUB_DB for the one hub of a site without esiphub:workshops, and for a workshop's
 * hub a directory and a volume of its own (`/var/lib/esiphub/hub-db-<name>`, `esiphub-hub-db-<name>`). The claim
 * and the class keep their names: a claim is in its hub's namespace, and one class serves every hub.
 */
export function hubDb(workshop: string | undefined): { readonly [K in keyof typeof HUB_DB]: (typeof HUB_DB)[K] extends string ? string : number } {
    if (workshop === undefined) return HUB_DB;
    return { ...HUB_DB, dir: `${HUB_DB.dir}-${workshop}`, volumeName: `${HUB_DB.volumeName}-${workshop}` };
}

export type StorageScriptName = "nfs-server" | "nfs-quota" | "hub-db-dir";

/** scripts/<name>.sh, as ../remote.ts sends it. */
export function storageScript(name: StorageScriptName): RemoteScript {
    return layerScript("storage", name);
}

/**
 * The quota enforcer as nfs-server.sh installs it on the NFS host: nfs-quota.sh rendered with lib.sh and no
 * parameters, a file that runs on its own; its systemd unit gives it its parameters (EnvironmentFile).
 */
export function quotaEnforcer(): string {
    return renderScript(storageScript("nfs-quota"), {});
}

/** Values for the nfs-subdir-external-provisioner chart: the StorageClass of user homes and the shared scratch. */
export function provisionerValues(config: SiteConfig, nfsServer: pulumi.Input<string>): Record<string, unknown> {
    return {
        nfs: {
            server: nfsServer,
            path: NFS_EXPORT_DIR,
            mountOptions: NFS_MOUNT_OPTIONS,
            // The provisioner's own volume of the whole share.
            reclaimPolicy: "Retain",
        },
        storageClass: {
            name: config.storage.storageClass,
            // Z2JH's user claims and any claim without a class land on NFS, never on a per-spawn cloud volume.
            defaultClass: true,
            // A deleted claim leaves its volume and directory in place: user data goes only when an admin says so.
            reclaimPolicy: "Retain",
            // And if a volume is deleted after all, its directory is renamed to archived-..., not removed.
            archiveOnDelete: true,
            pathPattern: USER_DIR_PATTERN,
        },
    };
}

/** Parameters of nfs-server.sh (see the script's header). */
export function nfsServerParams(config: SiteConfig, volumeSerial: string): ScriptParams {
    return {
        ESIPHUB_VOLUME_SERIAL: volumeSerial,
        ESIPHUB_EXPORT_DIR: NFS_EXPORT_DIR,
        ESIPHUB_EXPORT_CIDR: config.network.subnetCidr,
        ESIPHUB_NFS_ANON_UID: String(NOTEBOOK_USER.uid),
        ESIPHUB_NFS_ANON_GID: String(NOTEBOOK_USER.gid),
        ESIPHUB_NFSD_THREADS: String(NFSD_THREADS),
        ESIPHUB_QUOTA_PARENT: quotaParents(config),
        ESIPHUB_QUOTA_BYTES: String(Math.floor(config.storage.perUserBytes)),
        ESIPHUB_QUOTA_SHARED: sharedQuotas(config),
        ESIPHUB_QUOTA_SCRIPT_B64: Buffer.from(quotaEnforcer()).toString("base64"),
    };
}

/**
 * The directories that hold user homes, as nfs-quota.sh reads them: the hub's namespace, or with esiphub:workshops
 * each workshop's namespace with its own per-user limit, `NAME=BYTES ...`.
 */
export function quotaParents(config: SiteConfig): string {
    if (!config.router) return config.hub.namespace;
    return config.workshops.map((w) => `${w.hub.namespace}=${Math.floor(w.storage.perUserBytes)}`).join(" ");
}

/**
 * The shared claims' directories with their own limits, as nfs-quota.sh reads them: `NAME=BYTES ...`, or with
 * esiphub:workshops each hub's own, `NAMESPACE/NAME=BYTES ...`.
 */
export function sharedQuotas(config: SiteConfig): string {
    const quotas = (prefix: string, storage: { scratchBytes: number; materialsBytes: number }) => [
        `${prefix}${SCRATCH_CLAIM_NAME}=${Math.floor(storage.scratchBytes)}`,
        `${prefix}${MATERIALS_CLAIM_NAME}=${Math.floor(storage.materialsBytes)}`,
    ];
    if (!config.router) return quotas("", config.storage).join(" ");
    return config.workshops.flatMap((w) => quotas(`${w.hub.namespace}/`, w.storage)).join(" ");
}

/** Parameters of hub-db-dir.sh: the directory of the site's hub, or of a workshop's. */
export function hubDbDirParams(workshop?: string): ScriptParams {
    const db = hubDb(workshop);
    return { ESIPHUB_HUB_DB_DIR: db.dir, ESIPHUB_HUB_DB_UID: String(db.uid), ESIPHUB_HUB_DB_GID: String(db.gid) };
}
