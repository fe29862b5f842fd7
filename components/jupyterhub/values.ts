import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { SiteConfig, UserEgress } from "../config";
import { authenticatorConfig, authenticatorSource, AUTHENTICATOR_CLASS, AUTHENTICATOR_MODULE, materialsHookConfig, materialsHookSource, MATERIALS_HOOK_MODULE } from "./hubconfig";

export const CHART = { chart: "jupyterhub", version: "4.4.0", repo: "https://hub.jupyter.org/helm-chart/" } as const;
/** The Helm release's name: the chart's pods carry it as their `release` label. */
export const RELEASE_NAME = "jupyterhub";

/** Where things are inside the hub pod. */
export const HUB_MODULE_DIR = "/usr/local/etc/jupyterhub/esiphub";
export const HUB_CREDENTIALS_DIR = "/usr/local/etc/jupyterhub/esiphub-credentials";
export const CREDENTIALS_KEY = "credentials.json";
/** The chart mounts its own sqlite volume here; ours takes its place. */
export const HUB_DB_DIR = "/srv/jupyterhub";

/** Where things are inside every user server. */
export const USER_FILES_DIR = "/etc/esiphub";
export const README_PATH = `${USER_FILES_DIR}/README.md`;
export const POSTSTART_PATH = `${USER_FILES_DIR}/poststart.sh`;

export const POSTSTART_FILE = path.join(__dirname, "poststart.sh");
export const DEFAULT_README_FILE = path.join(__dirname, "quickstart-README.md");

/** Names of the two shared volumes in every server's pod; the materials hook finds its mount by this name. */
export const SHARED_VOLUME = "esiphub-shared";
export const MATERIALS_VOLUME = "esiphub-materials";

/**
 * The key of the cookie secret in the Secret named by `hub.existingSecret`: the chart's hub config reads
 * `get_secret_value("hub.config.JupyterHub.cookie_secret")` from that Secret before its own (z2jh 4.4.0
 * files/hub/jupyterhub_config.py and files/hub/z2jh.py, mounted at /usr/local/etc/jupyterhub/existing-secret/ by
 * templates/hub/deployment.yaml). The proxy's token is not read from there: the hub and the proxy take
 * CONFIGPROXY_AUTH_TOKEN from the chart's own Secret (the schema's hub.existingSecret warning), where the chart
 * generates it at install and keeps it across upgrades with `lookup` (templates/hub/_helpers-passwords.tpl). So
 * neither secret is a Helm value.
 */
export const COOKIE_SECRET_KEY = "hub.config.JupyterHub.cookie_secret";

/**
 * The hub pod's CPU. It runs on the master beside etcd, the API server and the NFS server; every login costs a bcrypt
 * check, so without a limit a login flood starves them. The request keeps it a share when the master is busy.
 */
export const HUB_CPU = { request: "500m", limit: "2" } as const;
/** bcrypt checks at once in the authenticator: one below the CPU limit, so that the hub's event loop keeps a CPU. */
export const HUB_LOGIN_CHECKS = 1;

/**
 * A digest travels in the chart's image tag: the pre-puller writes `name:tag` always
 * (templates/image-puller/_helpers-daemonset.tpl) and the hub `name:tag` when the tag is set (KubeSpawner.image in
 * files/hub/jupyterhub_config.py), so the digest follows a tag as `TAG@sha256:...`. A reference with both is pulled by
 * its digest alone (distribution/reference ParseDockerRef, used by containerd). Without esiphub:notebookTag, this word
 * stands in as the tag.
 */
export const DIGEST_ONLY_TAG = "pinned";

export function chartImageTag(image: SiteConfig["hub"]["image"]): string {
    return image.digest ? `${image.tag || DIGEST_ONLY_TAG}@${image.digest}` : image.tag;
}

/** Addresses users' servers never reach, as the chart's own `nonPrivateIPs` rule excepts them, and all of link-local (the metadata server). */
export const EGRESS_EXCEPT = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"] as const;

/**
 * `singleuser.networkPolicy`: DNS by the chart's own rules (kube-system and private addresses, not the metadata
 * server), and public addresses only on the workshop's ports (esiphub:userEgressPorts), or on every port with `all`
 * (the chart's `nonPrivateIPs`). Private addresses (the nodes, NFS, the Kubernetes API) stay closed either way
 * (templates/_helpers-netpol.tpl, z2jh 4.4.0).
 */
export function userNetworkPolicy(egress: UserEgress): Record<string, unknown> {
    return {
        enabled: true,
        egressAllowRules: { nonPrivateIPs: egress.all, privateIPs: false, cloudMetadataServer: false, dnsPortsCloudMetadataServer: false },
        egress: egress.all
            ? []
            : [{ ports: egress.ports.map((p) => ({ port: p.port, protocol: p.protocol })), to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...EGRESS_EXCEPT] } }] }],
    };
}

/** Let's Encrypt's ACME directories (https://letsencrypt.org/docs/staging-environment/). */
export const ACME_SERVERS = {
    production: "https://acme-v02.api.letsencrypt.org/directory",
    staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

/**
 * What the values need besides the site config: names from the other layers and the generated secrets.
 * They are placed into the values as given, so Outputs stay Outputs and secrets stay secret leaves.
 */
export interface HubValuesInput {
    config: SiteConfig;
    storageClassName: pulumi.Input<string>;
    scratchClaimName: pulumi.Input<string>;
    materialsClaimName: pulumi.Input<string>;
    hubDbClaimName: pulumi.Input<string>;
    masterPrivateIp: pulumi.Input<string>;
    /** Name of the Secret that holds `credentials.json` (user → bcrypt hash). */
    credentialsSecretName: pulumi.Input<string>;
    /** Name of the Secret the chart reads before its own (hub.existingSecret): the cookie secret, under COOKIE_SECRET_KEY. */
    hubSecretName: pulumi.Input<string>;
    /**
     * The hub's DNS name for HTTPS (esiphub:hubHostname, or the automatic one); plain HTTP when undefined. Behind the
     * router, the router ends TLS for it.
     */
    hostname: pulumi.Input<string> | undefined;
    /** Behind the site's router (esiphub:workshops): see BehindRouter. */
    behindRouter?: BehindRouter;
}

/**
 * A hub behind the site's router (components/router): the router owns ports 80 and 443 and ends TLS, so the chart's
 * proxy is a plain ClusterIP service on HTTP, and a hub without a hostname lives under a path of the public IP.
 */
export interface BehindRouter {
    /** `/` for a hub with its own hostname, `/<workshop>/` otherwise. */
    readonly baseUrl: string;
}

/** The README users find in their home: the configured text, or the built-in one filled in with this site's limits. */
export function quickstartReadme(config: SiteConfig): string {
    if (config.hub.quickstartReadme !== undefined) return config.hub.quickstartReadme;
    const fill: Record<string, string> = {
        memoryLimit: config.hub.memoryLimit,
        storagePerUser: config.storage.perUser,
        sharedMountPath: config.storage.sharedMountPath,
        sharedLink: path.posix.basename(config.storage.sharedMountPath),
        scratchSize: config.storage.scratchSize,
        materialsMountPath: config.storage.materialsMountPath,
        materialsLink: path.posix.basename(config.storage.materialsMountPath),
        idleMinutes: String(Math.round(config.hub.cullIdleTimeoutSeconds / 60)),
    };
    return fs.readFileSync(DEFAULT_README_FILE, "utf8").replace(/\{\{(\w+)\}\}/g, (whole, key: string) => fill[key] ?? whole);
}

/** The postStart hook: runs poststart.sh (mounted from singleuser.extraFiles) with its parameters. */
export function postStartCommand(config: SiteConfig): string[] {
    return [
        "env",
        `ESIPHUB_README_SOURCE=${README_PATH}`,
        `ESIPHUB_SHARED_PATH=${config.storage.sharedMountPath}`,
        `ESIPHUB_MATERIALS_PATH=${config.storage.materialsMountPath}`,
        "bash",
        POSTSTART_PATH,
    ];
}

/** `https://NAME/`: text when the name is (a workshop's always is), an Output when it follows the public IP. */
function httpsUrl(hostname: pulumi.Input<string>): pulumi.Input<string> {
    return typeof hostname === "string" ? `https://${hostname}/` : pulumi.interpolate`https://${hostname}/`;
}

/** Values for the Zero-to-JupyterHub chart: workshop defaults, the accounts' authenticator, storage and entry point. */
export function hubValues(input: HubValuesInput): Record<string, unknown> {
    const { config, behindRouter } = input;
    const hub = config.hub;
    // Behind the router, TLS is the router's (components/router); the chart's own Let's Encrypt only without it.
    const tls = input.hostname !== undefined && !behindRouter;
    const cpu: Record<string, number> = {};
    if (hub.cpuLimit !== undefined) cpu.limit = hub.cpuLimit;
    if (hub.cpuGuarantee !== undefined) cpu.guarantee = hub.cpuGuarantee;

    return {
        hub: {
            ...(behindRouter && behindRouter.baseUrl !== "/" ? { baseUrl: behindRouter.baseUrl } : {}),
            existingSecret: input.hubSecretName,
            resources: { requests: { cpu: HUB_CPU.request }, limits: { cpu: HUB_CPU.limit } },
            config: {
                JupyterHub: {
                    // The chart's default is "dummy"; the class itself is imported by the extraConfig below.
                    authenticator_class: `${AUTHENTICATOR_MODULE}.${AUTHENTICATOR_CLASS}`,
                    // Behind the router's TLS, the hub would guess http from the request ("Usually the failure is
                    // detecting http when it's really https": JupyterHub.public_url, jupyterhub/app.py); the name is
                    // HTTPS at the router (components/router/values.ts hubIngresses), and the policy's hub-https reads it.
                    ...(behindRouter && input.hostname !== undefined ? { public_url: httpsUrl(input.hostname) } : {}),
                },
            },
            extraFiles: {
                "esiphub-authenticator": {
                    mountPath: `${HUB_MODULE_DIR}/${AUTHENTICATOR_MODULE}.py`,
                    stringData: authenticatorSource(),
                },
                "esiphub-materials-hook": {
                    mountPath: `${HUB_MODULE_DIR}/${MATERIALS_HOOK_MODULE}.py`,
                    stringData: materialsHookSource(),
                },
            },
            extraConfig: {
                "10-esiphub-authenticator": authenticatorConfig({
                    moduleDir: HUB_MODULE_DIR,
                    credentialsPath: `${HUB_CREDENTIALS_DIR}/${CREDENTIALS_KEY}`,
                    adminUsers: hub.adminUsers,
                    attendeeUsers: hub.attendees,
                    maxConcurrentChecks: HUB_LOGIN_CHECKS,
                }),
                "20-esiphub-materials": materialsHookConfig({ moduleDir: HUB_MODULE_DIR, volumeName: MATERIALS_VOLUME }),
            },
            extraVolumes: [
                // Mounted as a directory (no subPath) so that a changed Secret reaches the running hub.
                { name: "esiphub-credentials", secret: { secretName: input.credentialsSecretName, defaultMode: 0o440 } },
                { name: "esiphub-hub-db", persistentVolumeClaim: { claimName: input.hubDbClaimName } },
            ],
            extraVolumeMounts: [
                { name: "esiphub-credentials", mountPath: HUB_CREDENTIALS_DIR, readOnly: true },
                { name: "esiphub-hub-db", mountPath: HUB_DB_DIR },
            ],
            // The database lives on the storage layer's node-local volume, never on NFS. The chart passes
            // --upgrade-db by itself only for db.type sqlite-pvc (templates/hub/deployment.yaml): without `upgrade`,
            // a chart bump whose JupyterHub migrates its schema would leave the hub crash-looping.
            db: { type: "other", url: `sqlite:///${HUB_DB_DIR}/jupyterhub.sqlite`, upgrade: true },
            // That volume is on the master, so the hub must be allowed there even when the master is tainted.
            tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
            // Every account may press "start" at the same moment.
            concurrentSpawnLimit: hub.users.length,
            // JupyterHub stops itself after this many failed starts in a row (the chart's default is 5). In a burst,
            // a few failures (a full node, a slow image pull) are normal and a hub restart only interrupts everyone
            // else's login; only when as many starts fail in a row as there are accounts is a restart worth trying.
            consecutiveFailureLimit: hub.users.length,
            // Fewer servers at once than accounts (esiphub:maxServers): the workers hold only that many, and a server
            // beyond it would wait Pending until its start timeout. The hub refuses it at once instead: the chart hands
            // hub.activeServerLimit to JupyterHub.active_server_limit (files/hub/jupyterhub_config.py), and JupyterHub
            // answers the start with 429 "Active user limit exceeded. Try again in a few minutes." (no Retry-After)
            // while that many servers are not fully stopped (jupyterhub/handlers/base.py, spawn_single_user).
            ...(hub.maxServers < hub.users.length ? { activeServerLimit: hub.maxServers } : {}),
        },
        proxy: {
            // No cloud load balancer: the master's floating/elastic IP is NATed to its private IP. Behind the router,
            // only the router reaches the proxy (its http port is open to any pod: proxy.chp.networkPolicy's
            // allowedIngressPorts defaults to [http, https]).
            service: behindRouter ? { type: "ClusterIP" } : { type: "ClusterIP", externalIPs: [input.masterPrivateIp] },
            // Traefik asks Let's Encrypt once, at its start (z2jh #1602, #2150; traefik #9405): the release waits for
            // DNS (see ../dns/records.ts) before this is switched on.
            https: tls
                ? {
                      enabled: true,
                      type: "letsencrypt",
                      letsencrypt: { contactEmail: hub.letsEncryptEmail, acmeServer: hub.letsEncryptStaging ? ACME_SERVERS.staging : ACME_SERVERS.production },
                      hosts: [input.hostname],
                  }
                : { enabled: false },
        },
        singleuser: {
            image: { name: hub.image.name, tag: chartImageTag(hub.image) },
            memory: { limit: hub.memoryLimit, guarantee: hub.memoryGuarantee },
            ...(Object.keys(cpu).length > 0 ? { cpu } : {}),
            startTimeout: hub.startTimeoutSeconds,
            storage: {
                type: "dynamic",
                capacity: config.storage.perUser,
                dynamic: { storageClass: input.storageClassName },
                extraVolumes: [
                    { name: SHARED_VOLUME, persistentVolumeClaim: { claimName: input.scratchClaimName } },
                    { name: MATERIALS_VOLUME, persistentVolumeClaim: { claimName: input.materialsClaimName } },
                ],
                // Materials are read-only in the container (a read-only bind mount: no user can remount it); the
                // hub's materials hook makes the mount writable in admins' servers only.
                extraVolumeMounts: [
                    { name: SHARED_VOLUME, mountPath: config.storage.sharedMountPath },
                    { name: MATERIALS_VOLUME, mountPath: config.storage.materialsMountPath, readOnly: true },
                ],
            },
            extraFiles: {
                "esiphub-readme": { mountPath: README_PATH, stringData: quickstartReadme(config) },
                "esiphub-poststart": { mountPath: POSTSTART_PATH, stringData: fs.readFileSync(POSTSTART_FILE, "utf8"), mode: 0o555 },
            },
            lifecycleHooks: { postStart: { exec: { command: postStartCommand(config) } } },
            // The cloud's metadata server (credentials!) stays unreachable from user servers.
            cloudMetadata: { blockWithIptables: true },
            // Attendees reach what a workshop needs, not every port of the internet (no outbound SMTP from the project).
            networkPolicy: userNetworkPolicy(hub.egress),
        },
        prePuller: { hook: { enabled: true }, continuous: { enabled: true } },
        // Placeholders hold room for users only if the scheduler may evict them for a real user: that takes pod
        // priority (the chart's NOTES.txt warns about placeholders without it).
        scheduling: {
            podPriority: { enabled: hub.userPlaceholders > 0 },
            userPlaceholder: { enabled: hub.userPlaceholders > 0, replicas: hub.userPlaceholders },
        },
        cull: { enabled: true, timeout: hub.cullIdleTimeoutSeconds },
    };
}
