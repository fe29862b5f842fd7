import { X509Certificate } from "crypto";
import { Command, InvalidArgumentError } from "commander";
import type { OutputMap } from "@pulumi/pulumi/automation";
import type * as K8s from "@kubernetes/client-node";
import { RELEASE_NAME } from "../components/jupyterhub/values";
import { deployedWorkshops, oneHubOnlyProblem } from "./workshops";

/**
 * `esiphub tls-retry SITE`: makes Traefik ask Let's Encrypt again. The chart's autohttps pod (Traefik) requests the
 * certificate once, when it starts, and does not retry (z2jh #1602, #2150; traefik #9405): if DNS did not point at the
 * hub then, the hub keeps Traefik's self-signed certificate until the pod restarts. This restarts it.
 *
 * What it acts on, as Zero-to-JupyterHub 4.4.0 names it (fullnameOverride "": names without a prefix,
 * templates/_helpers-names.tpl; labels and the secret-sync sidecar, templates/proxy/autohttps/deployment.yaml):
 * the Deployment `autohttps`, its pods (labels component=autohttps, release=<release>), and the Secret
 * `proxy-public-tls-acme` where secret-sync keeps Traefik's acme.json (loaded into a new pod before Traefik starts,
 * saved from it every 30 s once it holds a certificate, images/secret-sync/acme-secret-sync.py).
 */
export const AUTOHTTPS = {
    deployment: "autohttps",
    selector: `component=autohttps,release=${RELEASE_NAME}`,
    acmeSecret: "proxy-public-tls-acme",
    acmeKey: "acme.json",
    /** Traefik's certificate resolver in the chart's static config (templates/proxy/autohttps/_configmap-traefik.yaml). */
    resolver: "default",
} as const;

/** A certificate in Traefik's acme.json. */
export interface StoredCertificate {
    readonly domain: string;
    readonly issuer: string;
    readonly validTo: Date;
    /** Issued by Let's Encrypt's staging CA, whose names start with "(STAGING)" (letsencrypt.org/docs/staging-environment). */
    readonly staging: boolean;
}

/**
 * The certificates of the chart's resolver in Traefik's acme.json: `{"default": {"Account": ..., "Certificates":
 * [{"domain": {"main": ...}, "certificate": <base64 PEM chain>, "key": ..., "Store": ...}]}}`
 * (traefik pkg/provider/acme/store.go StoredData, local_store.go).
 */
export function storedCertificates(acmeJson: string): StoredCertificate[] {
    const data = JSON.parse(acmeJson) as Record<string, { Certificates?: { domain?: { main?: string }; certificate?: string }[] | null }>;
    return (data[AUTOHTTPS.resolver]?.Certificates ?? []).flatMap((c) => {
        if (!c.domain?.main || !c.certificate) return [];
        // The first certificate of the PEM chain is the site's own.
        const cert = new X509Certificate(Buffer.from(c.certificate, "base64"));
        return [{ domain: c.domain.main, issuer: cert.issuer.replace(/\n/g, ", "), validTo: new Date(cert.validTo), staging: /\(STAGING\)/.test(cert.issuer) }];
    });
}

export function describeCertificate(c: StoredCertificate): string {
    return `${c.domain}: issued by ${c.issuer}${c.staging ? " (Let's Encrypt staging: not trusted by browsers)" : ""}, valid until ${c.validTo.toISOString().slice(0, 10)}`;
}

export interface TlsRetryOptions {
    /** Delete Traefik's stored ACME account and certificates first, so that it starts afresh. */
    forget?: boolean;
    /** Seconds to wait for the new pod, and then for a certificate. */
    timeout: number;
}

export interface TlsRetryDeps {
    readonly stdout: { write(text: string): unknown };
    /** A deployed site's stack outputs (fails with an operator-facing error when there are none). */
    outputs(site: string): Promise<OutputMap>;
    /** The hub's namespace of the site (its stack file's esiphub:hubNamespace). */
    hubNamespace(site: string): string;
    /** The CLI's error for the operator: one line, exit status 1. */
    error(message: string): Error;
    /** Milliseconds between two looks at the cluster. */
    pollMs?: number;
}

type Clients = { core: K8s.CoreV1Api; apps: K8s.AppsV1Api; k8s: typeof K8s; server: string };

async function clients(kubeconfig: string): Promise<Clients> {
    // Loaded on use (an ES module): the other commands start without it.
    const k8s = await import("@kubernetes/client-node");
    const config = new k8s.KubeConfig();
    config.loadFromString(kubeconfig);
    return { core: config.makeApiClient(k8s.CoreV1Api), apps: config.makeApiClient(k8s.AppsV1Api), k8s, server: config.getCurrentCluster()?.server ?? "?" };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isNotFound(c: Clients, e: unknown): boolean {
    return e instanceof c.k8s.ApiException && e.code === 404;
}

/** Traefik's stored certificates, or undefined when there is no acme.json yet. */
async function readStored(c: Clients, namespace: string): Promise<StoredCertificate[] | undefined> {
    try {
        const secret = await c.core.readNamespacedSecret({ name: AUTOHTTPS.acmeSecret, namespace });
        const data = secret.data?.[AUTOHTTPS.acmeKey];
        return data ? storedCertificates(Buffer.from(data, "base64").toString("utf8")) : undefined;
    } catch (e) {
        if (isNotFound(c, e)) return undefined;
        throw e;
    }
}

async function autohttpsPods(c: Clients, namespace: string): Promise<K8s.V1Pod[]> {
    return (await c.core.listNamespacedPod({ namespace, labelSelector: AUTOHTTPS.selector })).items;
}

const isReady = (pod: K8s.V1Pod) => !pod.metadata?.deletionTimestamp && !!pod.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True");

async function setReplicas(c: Clients, namespace: string, replicas: number): Promise<void> {
    const scale = await c.apps.readNamespacedDeploymentScale({ name: AUTOHTTPS.deployment, namespace });
    await c.apps.replaceNamespacedDeploymentScale({ name: AUTOHTTPS.deployment, namespace, body: { ...scale, spec: { replicas } } });
}

/** Polls `check` until it returns a value or the deadline passes (then undefined). */
async function waitFor<T>(deadline: number, pollMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
    for (;;) {
        const value = await check();
        if (value !== undefined || Date.now() >= deadline) return value;
        await sleep(pollMs);
    }
}

/**
 * Restarts the site's autohttps pod (after deleting Traefik's stored ACME state when asked to, or when the site moved
 * from Let's Encrypt's staging server to production) and waits for the new pod and, when Traefik has to ask, for the
 * certificate. Every failure is an operator-facing error made by `deps.error`.
 */
export async function tlsRetry(deps: TlsRetryDeps, site: string, options: TlsRetryOptions): Promise<void> {
    const outputs = await deps.outputs(site);
    const several = oneHubOnlyProblem(site, deployedWorkshops(outputs), "tls-retry");
    if (several) throw deps.error(several);
    if (outputs.tls?.value !== true) throw deps.error(`site "${site}" serves plain HTTP (no esiphub:hubHostname): there is no certificate to ask for`);
    const kubeconfig = outputs.kubeconfig?.value;
    if (typeof kubeconfig !== "string" || !kubeconfig) throw deps.error(`site "${site}" has no kubeconfig output (is it deployed? run \`esiphub up ${site}\`)`);
    const c = await clients(kubeconfig);
    // Errors said to the operator pass as they are; anything else came from the API server or the network.
    const ours = new WeakSet<Error>();
    const error = (message: string) => {
        const e = deps.error(message);
        ours.add(e);
        return e;
    };
    const own = { ...deps, error };
    try {
        await restartAutohttps(own, site, options, c, outputs);
    } catch (e) {
        if (e instanceof Error && ours.has(e)) throw e;
        throw deps.error(`the cluster's API (${c.server}): ${apiFailure(c, e)}`);
    }
}

/** What went wrong talking to the API server, in one line. */
function apiFailure(c: Clients, e: unknown): string {
    if (e instanceof c.k8s.ApiException) {
        const body = (typeof e.body === "string" ? safeJson(e.body) : e.body) as { message?: string } | undefined;
        return `HTTP ${e.code}${body?.message ? `: ${body.message}` : ""}`;
    }
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return [(e as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(": ").split("\n")[0];
}

function safeJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return { message: text };
    }
}

/**
 * Scales autohttps to 0, deletes the Secret once no pod is left (a running pod's secret-sync would save the state back
 * within 30 s), and scales it to 1 again whatever happened.
 */
async function forgetAcmeState(deps: TlsRetryDeps, c: Clients, namespace: string, deadline: number, timeout: number): Promise<void> {
    await setReplicas(c, namespace, 0);
    try {
        const gone = await waitFor(deadline, deps.pollMs ?? 2000, async () => ((await autohttpsPods(c, namespace)).length === 0 ? true : undefined));
        if (!gone) throw deps.error(`the ${AUTOHTTPS.deployment} pod did not stop within ${timeout} s; nothing was deleted`);
        await c.core.deleteNamespacedSecret({ name: AUTOHTTPS.acmeSecret, namespace }).catch((e) => {
            if (!isNotFound(c, e)) throw e;
        });
    } finally {
        await setReplicas(c, namespace, 1);
    }
}

async function restartAutohttps(deps: TlsRetryDeps, site: string, options: TlsRetryOptions, c: Clients, outputs: OutputMap): Promise<void> {
    const out = (line: string) => deps.stdout.write(`${line}\n`);
    const host = new URL(String(outputs.hubUrl?.value)).hostname;
    const staging = outputs.tlsStaging?.value === true;
    const namespace = deps.hubNamespace(site);
    const pollMs = deps.pollMs ?? 2000;

    const before = (await readStored(c, namespace))?.find((s) => s.domain === host);
    out(before ? `Stored certificate for ${describeCertificate(before)}` : `No certificate stored for ${host}: Let's Encrypt's first attempt failed (was DNS pointing at the hub? \`esiphub dns ${site}\`)`);
    // Traefik keeps stored certificates when its CA changes (it resets only the account, pkg/provider/acme/provider.go
    // Init): a staging certificate would stay until renewal after the switch to production.
    const forget = options.forget || (!!before?.staging && !staging);
    if (forget && !options.forget) out("The site now asks Let's Encrypt's production server: forgetting the staging certificate");

    const deadline = Date.now() + options.timeout * 1000;
    const old = new Set((await autohttpsPods(c, namespace)).map((p) => p.metadata?.name));
    if (forget) {
        out(`Stopping ${AUTOHTTPS.deployment} and deleting its stored ACME state (Secret ${AUTOHTTPS.acmeSecret})`);
        await forgetAcmeState(deps, c, namespace, deadline, options.timeout);
    } else {
        if (old.size === 0) throw deps.error(`no ${AUTOHTTPS.deployment} pod in namespace ${namespace} (labels ${AUTOHTTPS.selector}): is the hub deployed with HTTPS?`);
        for (const name of old) {
            out(`Restarting ${name}`);
            await c.core.deleteNamespacedPod({ name: name!, namespace });
        }
    }

    const ready = await waitFor(deadline, pollMs, async () => (await autohttpsPods(c, namespace)).find((p) => !old.has(p.metadata?.name) && isReady(p)));
    if (!ready) {
        throw deps.error(`no new ${AUTOHTTPS.deployment} pod was ready within ${options.timeout} s: see \`kubectl -n ${namespace} describe pod -l ${AUTOHTTPS.selector}\``);
    }
    out(`${ready.metadata?.name} is ready: Traefik asks Let's Encrypt${staging ? " (staging)" : ""} for ${host} now`);
    if (before && !forget) {
        out(`Traefik reuses the stored certificate (${describeCertificate(before)}); pass --forget to ask for a new one`);
        return;
    }
    const issued = await waitFor(deadline, pollMs, async () => (await readStored(c, namespace))?.find((s) => s.domain === host));
    if (!issued) {
        throw deps.error(
            `no certificate for ${host} within ${options.timeout} s. Check that ${host} resolves to the hub (\`esiphub dns ${site}\`) and that port 80 is open, ` +
                `read Traefik's log (\`kubectl -n ${namespace} logs deploy/${AUTOHTTPS.deployment} -c traefik\`), then run \`esiphub tls-retry ${site}\` again ` +
                `(Let's Encrypt allows 5 failed validations per name per hour)`,
        );
    }
    out(`Certificate stored for ${describeCertificate(issued)}`);
}

function seconds(text: string): number {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 10 || n > 3600) throw new InvalidArgumentError("must be an integer from 10 to 3600");
    return n;
}

export function registerTlsRetryCommand(program: Command, deps: TlsRetryDeps): void {
    program
        .command("tls-retry")
        .description("make Traefik ask Let's Encrypt again for the hub's certificate (restarts the autohttps pod), e.g. after DNS was fixed")
        .argument("<site>", "site name")
        .option("--forget", "delete Traefik's stored ACME account and certificates first (automatic after a switch from staging to production)")
        .option("--timeout <seconds>", "how long to wait for the new pod, then for the certificate (10 to 3600)", seconds, 300)
        .action((site: string, options: { forget?: boolean; timeout: number }) => tlsRetry(deps, site, options));
}
