/**
 * The site's router for several workshops (esiphub:workshops): Traefik owns ports 80 and 443 of the public IP and
 * sends each hostname (or path) to its hub's proxy; cert-manager gets a Let's Encrypt certificate per hostname by
 * HTTP-01 through Traefik. Pure: chart values and the manifests of the routes, validated by the tests against the
 * charts' own schemas (../shared/traefik 41.3.0, ../shared/cert-manager v1.21.1).
 */
import * as pulumi from "@pulumi/pulumi";
import { ACME_SERVERS } from "../jupyterhub/values";

/** Traefik, in front of every hub of a site with esiphub:workshops. */
export const ROUTER_NAMESPACE = "esiphub-router";
/** cert-manager, which gets each hostname its certificate. */
export const CERT_MANAGER_NAMESPACE = "cert-manager";

export const TRAEFIK_CHART = { chart: "traefik", version: "41.3.0", repo: "https://traefik.github.io/charts" } as const;
export const CERT_MANAGER_CHART = { chart: "cert-manager", version: "v1.21.1", repo: "https://charts.jetstack.io" } as const;
export const TRAEFIK_RELEASE = "traefik";
export const CERT_MANAGER_RELEASE = "cert-manager";

/** The IngressClass the chart makes for Traefik; every route and cert-manager's HTTP-01 solver use it. */
export const INGRESS_CLASS = "esiphub-router";
/** The chart's proxy service (z2jh templates/proxy/service.yaml: proxy-public, port `http` 80 without the chart's HTTPS). */
export const HUB_SERVICE = { name: "proxy-public", port: "http" } as const;
/** A hub's certificate, its Secret and its routes, in the hub's namespace. */
export const HUB_ROUTE_NAMES = { certificate: "hub", secret: "hub-tls", https: "hub", http: "hub-http", path: "hub", redirect: "hub-redirect-https" } as const;

/** A Kubernetes object of a custom resource (cert-manager's, Traefik's). */
export interface Manifest {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: Record<string, unknown>;
    readonly spec: Record<string, unknown>;
}

/**
 * One ClusterIssuer per ACME server, so that switching esiphub:letsEncryptStaging changes each Certificate's issuerRef
 * and cert-manager issues again from the other server (a changed issuer is a reason to reissue: cert-manager
 * pkg/controller/certificates/trigger/policies, SecretIssuerAnnotationsMismatch).
 */
export function issuerName(staging: boolean): string {
    return staging ? "esiphub-letsencrypt-staging" : "esiphub-letsencrypt";
}

/**
 * Traefik's values: a ClusterIP service on the master's private address (the public IP is NATed to it, as for the
 * single hub's proxy), web (80) and websecure (443); Ingresses of its own class only; their status set to the public
 * IP, which is what Pulumi waits for before an Ingress counts as created (pulumi-kubernetes
 * provider/pkg/await/ingress.go: status.loadBalancer.ingress).
 */
export function traefikValues(masterPrivateIp: pulumi.Input<string>, publicIp: pulumi.Input<string>): Record<string, unknown> {
    // Websockets (kernels, terminals) stay open for long: z2jh's own Traefik sets the same idle timeout
    // (templates/proxy/autohttps/_configmap-traefik.yaml).
    const transport = { respondingTimeouts: { idleTimeout: "10m" } };
    return {
        ingressClass: { enabled: true, isDefaultClass: false, name: INGRESS_CLASS },
        service: { spec: { type: "ClusterIP", externalIPs: [masterPrivateIp] } },
        ports: { web: { transport }, websecure: { transport } },
        providers: {
            kubernetesCRD: { enabled: true },
            kubernetesIngress: {
                enabled: true,
                ingressClass: INGRESS_CLASS,
                // A ClusterIP service has no load-balancer status to copy: say the public IP instead.
                publishedService: { enabled: false },
                ingressEndpoint: { ip: publicIp },
            },
        },
        global: { checkNewVersion: false, sendAnonymousUsage: false },
    };
}

/** cert-manager's values: its CRDs installed with the chart and kept when it goes (their Certificates with them otherwise). */
export function certManagerValues(): Record<string, unknown> {
    return { crds: { enabled: true, keep: true } };
}

/** The issuer: Let's Encrypt (production or staging) by HTTP-01, answered through Traefik. */
export function clusterIssuer(email: string, staging: boolean): Manifest {
    const name = issuerName(staging);
    return {
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: { name },
        spec: {
            acme: {
                email,
                server: staging ? ACME_SERVERS.staging : ACME_SERVERS.production,
                privateKeySecretRef: { name: `${name}-account` },
                solvers: [{ http01: { ingress: { ingressClassName: INGRESS_CLASS } } }],
            },
        },
    };
}

/** A hostname's certificate, in its hub's namespace. */
export function hubCertificate(namespace: string, hostname: string, staging: boolean): Manifest {
    return {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: HUB_ROUTE_NAMES.certificate, namespace },
        spec: {
            secretName: HUB_ROUTE_NAMES.secret,
            dnsNames: [hostname],
            issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: issuerName(staging) },
        },
    };
}

/** Plain HTTP of a hostname goes to HTTPS (the ACME challenge's longer path rule still reaches its solver first). */
export function redirectMiddleware(namespace: string): Manifest {
    return {
        apiVersion: "traefik.io/v1alpha1",
        kind: "Middleware",
        metadata: { name: HUB_ROUTE_NAMES.redirect, namespace },
        spec: { redirectScheme: { scheme: "https", permanent: true } },
    };
}

type IngressArgs = { metadata: Record<string, unknown>; spec: Record<string, unknown> };

const backend = { service: { name: HUB_SERVICE.name, port: { name: HUB_SERVICE.port } } };

/**
 * The hub's routes on Traefik (annotations: Traefik's Kubernetes Ingress provider, routing/providers/kubernetes-ingress):
 * a hostname gets HTTPS with its certificate's Secret and a redirect from HTTP; a hub without one gets its path on
 * plain HTTP, for any host.
 */
export function hubIngresses(namespace: string, route: { hostname?: string; baseUrl: string }): Record<"https" | "http" | "path", IngressArgs | undefined> {
    const rule = (host?: string, path = "/") => ({ ...(host ? { host } : {}), http: { paths: [{ path, pathType: "Prefix", backend }] } });
    const ingress = (name: string, annotations: Record<string, string>, spec: Record<string, unknown>): IngressArgs => ({
        metadata: { name, namespace, annotations },
        spec: { ingressClassName: INGRESS_CLASS, ...spec },
    });
    if (!route.hostname) {
        const path = route.baseUrl.replace(/\/$/, "");
        return { https: undefined, http: undefined, path: ingress(HUB_ROUTE_NAMES.path, { "traefik.ingress.kubernetes.io/router.entrypoints": "web" }, { rules: [rule(undefined, path)] }) };
    }
    const host = route.hostname;
    return {
        https: ingress(
            HUB_ROUTE_NAMES.https,
            { "traefik.ingress.kubernetes.io/router.entrypoints": "websecure", "traefik.ingress.kubernetes.io/router.tls": "true" },
            { tls: [{ hosts: [host], secretName: HUB_ROUTE_NAMES.secret }], rules: [rule(host)] },
        ),
        // Traefik names a CRD middleware from an Ingress as <namespace>-<name>@kubernetescrd.
        http: ingress(
            HUB_ROUTE_NAMES.http,
            { "traefik.ingress.kubernetes.io/router.entrypoints": "web", "traefik.ingress.kubernetes.io/router.middlewares": `${namespace}-${HUB_ROUTE_NAMES.redirect}@kubernetescrd` },
            { rules: [rule(host)] },
        ),
        path: undefined,
    };
}
