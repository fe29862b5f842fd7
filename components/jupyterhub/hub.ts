import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { NAMESPACE, SiteConfig, sslipHostname } from "../config";
import { ClusterHosts } from "../hosts";
import { createAccounts, credentialPairs, credentialsFile } from "./accounts";
import { BehindRouter, CHART, COOKIE_SECRET_KEY, CREDENTIALS_KEY, hubValues, RELEASE_NAME } from "./values";

export { RELEASE_NAME };

/** What the hub needs from the storage layer (NfsStorage provides it). */
export interface HubStorage {
    readonly namespace: pulumi.Output<string>;
    readonly storageClassName: pulumi.Output<string>;
    readonly scratchClaimName: pulumi.Output<string>;
    readonly materialsClaimName: pulumi.Output<string>;
    readonly hubDbClaimName: pulumi.Output<string>;
    readonly ready: pulumi.Resource[];
}

export interface JupyterHubArgs {
    config: SiteConfig;
    hosts: ClusterHosts;
    provider: k8s.Provider;
    storage: HubStorage;
    /**
     * The dns-ready step (../dns/records.ts): the hostname (given or automatic) resolves to the public IP. Required with
     * HTTPS: Traefik asks Let's Encrypt once, when the release starts it, so HTTPS must not be switched on before.
     */
    dnsReady: pulumi.Resource | undefined;
    /** The Helm release's name (RELEASE_NAME when absent): each workshop's hub has its own (components/workshops.ts). */
    releaseName?: string;
    /**
     * Behind the site's router (esiphub:workshops): the router ends TLS and waits for DNS itself (its routes depend on
     * the dns-ready step), so the release does not; a hub without a hostname is under `baseUrl` of the public IP.
     */
    behindRouter?: BehindRouter;
}

export const CREDENTIALS_SECRET_NAME = "esiphub-credentials";
/** The Secret the chart reads before its own (hub.existingSecret): the hub's cookie secret. */
export const HUB_SECRET_NAME = "esiphub-hub-secret";
/** Helm waits this long: the pre-puller hook pulls the notebook image onto every node first. */
export const RELEASE_TIMEOUT_SECONDS = 1800;

/** 64 hex characters, the form the chart expects for its cookie secret. */
const HEX_SECRET: random.RandomPasswordArgs = { length: 64, upper: false, lower: false, numeric: false, special: true, overrideSpecial: "0123456789abcdef" };

/** The Zero-to-JupyterHub release with the workshop accounts. */
export class JupyterHub extends pulumi.ComponentResource {
    public readonly hubUrl: pulumi.Output<string>;
    /** username/password of every account (secret). */
    public readonly credentials: pulumi.Output<{ username: string; password: string }[]>;
    public readonly adminUsers: string[];
    /** HTTPS with Let's Encrypt (a hostname, given or automatic); plain HTTP on the public IP otherwise. */
    public readonly tls: boolean;
    /** The certificate comes from Let's Encrypt's staging server (not trusted by browsers). */
    public readonly tlsStaging: boolean;
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: JupyterHubArgs, opts?: pulumi.ComponentResourceOptions) {
        super("esiphub:jupyterhub:Hub", name, {}, opts);
        const { config, hosts, provider, storage, dnsReady, behindRouter } = args;
        const tls = config.hub.tls;
        // Behind the router, the hub's routes wait for DNS, not the hub.
        const waitsForDns = tls && !behindRouter;
        if (waitsForDns && !dnsReady) {
            throw new pulumi.ResourceError(`${NAMESPACE}:hubHostname is set but the hub has no dns-ready step to wait for: HTTPS would start before DNS points at the hub`, this);
        }
        const strangers = config.hub.adminUsers.filter((a) => !config.hub.users.includes(a));
        if (strangers.length > 0) {
            throw new pulumi.InputPropertyError({
                propertyPath: `${NAMESPACE}:adminUsers`,
                reason: `${NAMESPACE}:adminUsers: ${strangers.join(", ")} not among the accounts; admins must be accounts (add them to ${NAMESPACE}:extraUsers)`,
            });
        }

        const accounts = createAccounts(config.hub.users, name, this);
        // No secret is a Helm value: a release's values are stored in the state, nested secrets included (pulumi/pulumi#9781).
        const cookieSecret = new random.RandomPassword(`${name}-cookie-secret`, HEX_SECRET, { parent: this });
        const hubSecret = new k8s.core.v1.Secret(
            `${name}-hub-secret`,
            {
                metadata: { name: HUB_SECRET_NAME, namespace: storage.namespace },
                type: "Opaque",
                stringData: { [COOKIE_SECRET_KEY]: pulumi.secret(cookieSecret.result) },
            },
            { parent: this, provider, dependsOn: storage.ready },
        );
        // esiphub:hubHostname auto: the name follows the public IP (known here only once the cloud gives it).
        const hostname = tls ? (config.hub.hostname ?? hosts.publicIp.apply(sslipHostname)) : undefined;

        const credentialsSecret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: { name: CREDENTIALS_SECRET_NAME, namespace: storage.namespace },
                type: "Opaque",
                stringData: { [CREDENTIALS_KEY]: credentialsFile(accounts) },
            },
            { parent: this, provider, dependsOn: storage.ready },
        );

        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name: args.releaseName ?? RELEASE_NAME,
                chart: CHART.chart,
                version: CHART.version,
                repositoryOpts: { repo: CHART.repo },
                namespace: storage.namespace,
                timeout: RELEASE_TIMEOUT_SECONDS,
                maxHistory: 10,
                values: hubValues({
                    config,
                    storageClassName: storage.storageClassName,
                    scratchClaimName: storage.scratchClaimName,
                    materialsClaimName: storage.materialsClaimName,
                    hubDbClaimName: storage.hubDbClaimName,
                    masterPrivateIp: hosts.master.privateIp,
                    credentialsSecretName: credentialsSecret.metadata.name,
                    hubSecretName: hubSecret.metadata.name,
                    hostname,
                    behindRouter,
                }),
            },
            { parent: this, provider, dependsOn: [...storage.ready, credentialsSecret, hubSecret, ...(waitsForDns ? [dnsReady!] : [])] },
        );

        this.tls = tls;
        this.tlsStaging = tls && config.hub.letsEncryptStaging;
        const path = behindRouter && behindRouter.baseUrl !== "/" ? behindRouter.baseUrl : "";
        this.hubUrl = hostname ? pulumi.interpolate`https://${hostname}` : pulumi.interpolate`http://${hosts.publicIp}${path}`;
        this.credentials = credentialPairs(accounts);
        this.adminUsers = [...config.hub.adminUsers];
        this.registerOutputs({ hubUrl: this.hubUrl, credentials: this.credentials, adminUsers: this.adminUsers, tls: this.tls, tlsStaging: this.tlsStaging });
    }
}
