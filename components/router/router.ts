import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMESPACE, SiteConfig } from "../config";
import {
    CERT_MANAGER_CHART,
    CERT_MANAGER_NAMESPACE,
    CERT_MANAGER_RELEASE,
    certManagerValues,
    clusterIssuer,
    hubCertificate,
    hubIngresses,
    redirectMiddleware,
    ROUTER_NAMESPACE,
    TRAEFIK_CHART,
    TRAEFIK_RELEASE,
    traefikValues,
} from "./values";

/** One workshop's hub as the router sees it. */
export interface HubRoute {
    readonly workshop: string;
    /** The hub's namespace (the workshop's name). */
    readonly namespace: string;
    readonly hostname?: string;
    /** `/` with a hostname, `/<workshop>/` without. */
    readonly baseUrl: string;
    /** The hostname's dns-ready step (../dns/records.ts): its certificate and routes wait for it. */
    readonly dnsReady?: pulumi.Resource;
    /** The hub's Helm release: a route counts as made once its backend has endpoints, so it waits for the hub. */
    readonly hub: pulumi.Resource;
}

export interface RouterArgs {
    config: SiteConfig;
    masterPrivateIp: pulumi.Input<string>;
    publicIp: pulumi.Input<string>;
    provider: k8s.Provider;
    /** The cluster's last step: nothing is sent to the API server before it. */
    clusterReady: pulumi.Resource;
    routes: readonly HubRoute[];
}

/**
 * Several hostnames on one public IP: Traefik (chart 41.3.0) on ports 80 and 443 of the master's address, routing each
 * workshop's hostname to its hub's proxy with a Let's Encrypt certificate from cert-manager (chart v1.21.1, HTTP-01
 * through Traefik), and a workshop without a hostname to its path on plain HTTP. As for the single hub (issue 15's
 * rule), a hostname's certificate is asked for only once its name resolves to the public IP: its Certificate and
 * routes wait for its dns-ready step. cert-manager retries a failed order by itself, with backoff.
 */
export class Router extends pulumi.ComponentResource {
    public readonly traefik: k8s.helm.v3.Release;
    /** Absent when no workshop has a hostname (nothing to certify). */
    public readonly certManager?: k8s.helm.v3.Release;

    constructor(name: string, args: RouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("esiphub:router:Router", name, {}, opts);
        const { config, provider, clusterReady, routes } = args;
        const k8sOpts = { parent: this, provider };
        const strays = routes.filter((r) => r.hostname && !r.dnsReady).map((r) => r.workshop);
        if (strays.length > 0) {
            throw new pulumi.ResourceError(`${NAMESPACE}:workshops: ${strays.join(", ")} have a hostname but no dns-ready step: their certificates would be asked for before DNS points at the hub`, this);
        }

        this.traefik = new k8s.helm.v3.Release(
            `${name}-traefik`,
            {
                name: TRAEFIK_RELEASE,
                chart: TRAEFIK_CHART.chart,
                version: TRAEFIK_CHART.version,
                repositoryOpts: { repo: TRAEFIK_CHART.repo },
                namespace: ROUTER_NAMESPACE,
                createNamespace: true,
                maxHistory: 10,
                values: traefikValues(args.masterPrivateIp, args.publicIp),
            },
            { ...k8sOpts, dependsOn: [clusterReady] },
        );

        const staging = config.hub.letsEncryptStaging;
        let issuer: k8s.apiextensions.CustomResource | undefined;
        if (routes.some((r) => r.hostname)) {
            this.certManager = new k8s.helm.v3.Release(
                `${name}-cert-manager`,
                {
                    name: CERT_MANAGER_RELEASE,
                    chart: CERT_MANAGER_CHART.chart,
                    version: CERT_MANAGER_CHART.version,
                    repositoryOpts: { repo: CERT_MANAGER_CHART.repo },
                    namespace: CERT_MANAGER_NAMESPACE,
                    createNamespace: true,
                    maxHistory: 10,
                    values: certManagerValues(),
                },
                { ...k8sOpts, dependsOn: [clusterReady] },
            );
            // The chart's startupapicheck hook has seen the webhook answer once the release is done.
            issuer = new k8s.apiextensions.CustomResource(`${name}-issuer`, clusterIssuer(config.hub.letsEncryptEmail!, staging), { ...k8sOpts, dependsOn: [this.certManager] });
        }

        for (const route of routes) this.route(`${name}-${route.workshop}`, route, staging, issuer, k8sOpts);
        this.registerOutputs({});
    }

    /** One workshop's certificate (with a hostname) and Ingresses. */
    private route(name: string, route: HubRoute, staging: boolean, issuer: pulumi.Resource | undefined, k8sOpts: { parent: pulumi.Resource; provider: k8s.Provider }): void {
        const after = [this.traefik, route.hub, ...(route.dnsReady ? [route.dnsReady] : [])];
        const ingresses = hubIngresses(route.namespace, route);
        if (ingresses.path) {
            new k8s.networking.v1.Ingress(`${name}-path`, ingresses.path, { ...k8sOpts, dependsOn: after });
            return;
        }
        new k8s.apiextensions.CustomResource(`${name}-certificate`, hubCertificate(route.namespace, route.hostname!, staging), {
            ...k8sOpts,
            dependsOn: [issuer!, route.hub, route.dnsReady!],
        });
        const redirect = new k8s.apiextensions.CustomResource(`${name}-redirect`, redirectMiddleware(route.namespace), {
            ...k8sOpts,
            dependsOn: [this.traefik, route.hub],
        });
        new k8s.networking.v1.Ingress(`${name}-https`, ingresses.https!, { ...k8sOpts, dependsOn: after });
        new k8s.networking.v1.Ingress(`${name}-http`, ingresses.http!, { ...k8sOpts, dependsOn: [...after, redirect] });
    }
}
