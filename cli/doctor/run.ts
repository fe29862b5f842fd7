/** Runs the doctor's checks from the outside in: DNS, TLS, the hub, one real user, then the cluster. */
import type { Account } from "../loadtest/credentials";
import { HubClient } from "../loadtest/http";
import { ConnectOptions, hubAgent } from "../loadtest/trust";
import { CheckResult, CheckRun, DoctorReport, fail, reportOf, warn } from "./check";
import { ClusterOptions, ClusterTarget, runClusterChecks } from "./cluster";
import { checkDns, DnsOptions } from "./dns";
import { checkHubApi, checkLoginPage } from "./hub";
import { checkTls, TlsOptions } from "./tls";
import { runUserChecks, UserTarget } from "./user";

/** What the doctor examines; made from a site's stack (index.ts) or from `--hub URL --credentials FILE`. */
export interface DoctorTarget {
    readonly site: string | null;
    /** Base URL, no trailing slash. */
    readonly hubUrl: string;
    /** The hub's Kubernetes namespace, for the fixes. */
    readonly namespace: string;
    /** The hub's DNS name; absent when it is reached by IP address. */
    readonly hostname?: string;
    /** The site's public IP, which the name must resolve to. */
    readonly publicIp?: string;
    /** Resolvers outside the cluster that the dns check asks (esiphub:dnsCheckResolvers), and the record's TTL. */
    readonly dns: { readonly resolvers: readonly string[]; readonly ttl?: number };
    /** The stack asked Let's Encrypt's staging server for its certificate. */
    readonly stagingExpected: boolean;
    /** Site mode reports the DNS and TLS checks even when they do not apply (why, and a warning for plain HTTP). */
    readonly reportAllLayers: boolean;
    readonly user: UserTarget;
    /** The cluster, or why its checks cannot run. */
    readonly cluster: ClusterTarget | { readonly skip: string } | undefined;
}

export interface DoctorOptions {
    readonly execute: boolean;
    readonly spawnTimeoutMs: number;
    /** Resolvers to ask instead of the target's (--resolver). */
    readonly dns?: DnsOptions;
    readonly tls?: TlsOptions;
    readonly cluster?: ClusterOptions;
    readonly pollMs?: number;
    /** Sees each check as it finishes (the text report prints as it goes). */
    readonly onResult?: (result: CheckResult) => void;
}

export const USER_CHECKS = ["login", "server", "page", "home", "memory", "execute", "stop"];

/**
 * Bytes of a JupyterHub ByteSpecification ("8G" = 8 × 1024³, as jupyterhub/traitlets.py reads K, M, G, T): what
 * KubeSpawner puts in MEM_LIMIT and in the pods' memory requests for the chart's singleuser.memory settings.
 * Undefined for what JupyterHub would refuse.
 */
export function jupyterhubBytes(spec: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(spec.trim());
    if (!m) return undefined;
    const unit = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2] as "K" | "M" | "G" | "T"] ?? 1;
    return Math.floor(Number(m[1]) * unit);
}

async function dnsAndTls(run: CheckRun, target: DoctorTarget, options: DoctorOptions): Promise<void> {
    const url = new URL(target.hubUrl);
    if (!target.hostname) {
        if (!target.reportAllLayers) return;
        run.skip("dns", `no esiphub:hubHostname: the hub is reached at ${url.host}`);
        await run.run("tls", async () =>
            warn("plain HTTP: passwords cross the network in clear", "set esiphub:hubHostname and esiphub:letsEncryptEmail, point the name at the public IP, then esiphub up SITE"),
        );
        return;
    }
    const hostname = target.hostname;
    const dns = options.dns ?? { servers: target.dns.resolvers };
    await run.run("dns", () => checkDns({ hostname, expectedIp: target.publicIp, ttl: target.dns.ttl, site: target.site ?? undefined }, dns));
    if (url.protocol !== "https:") {
        await run.run("tls", async () => warn(`plain HTTP at ${target.hubUrl}: passwords cross the network in clear`, "use the hub's https:// address"));
        return;
    }
    const port = Number(url.port || 443);
    await run.run("tls", () => checkTls({ hostname, port, stagingExpected: target.stagingExpected, site: target.site ?? undefined, namespace: target.namespace }, options.tls));
}

/** Runs every check that applies to the target; never throws for a failing site (that is the report's content). */
export async function runDoctor(target: DoctorTarget, options: DoctorOptions): Promise<DoctorReport> {
    const run = new CheckRun(target.hubUrl, target.namespace, options.onResult);
    await dnsAndTls(run, target, options);

    const connect: ConnectOptions = { extraCa: options.tls?.extraCa, acceptStaging: target.stagingExpected, lookup: options.tls?.lookup };
    const dispatcher = hubAgent(connect);
    try {
        const client = new HubClient(target.hubUrl, dispatcher, {}, connect);
        const hub = await run.run("hub", () => checkHubApi(client));
        const userChecks = USER_CHECKS.filter((c) => c !== "execute" || options.execute);
        if (hub.status === "fail") {
            ["login-page", ...userChecks].forEach((name) => run.skip(name, "the hub did not answer"));
        } else {
            await run.run("login-page", () => checkLoginPage(client));
            // A client of its own: the login page's cookies must not stand in for the user's login.
            await runUserChecks(run, new HubClient(target.hubUrl, dispatcher, {}, connect), target.user, { execute: options.execute, spawnTimeoutMs: options.spawnTimeoutMs, pollMs: options.pollMs });
        }
    } finally {
        await dispatcher.close();
    }

    if (target.cluster && "skip" in target.cluster) {
        const reason = target.cluster.skip;
        await run.run("cluster", async () => fail(reason, "esiphub outputs SITE shows what the stack has"));
    } else if (target.cluster) {
        await runClusterChecks(run, target.cluster, options.cluster);
    }
    return reportOf(target.site, target.hubUrl, run.results);
}

/** The account the doctor logs in with: the one asked for, else the first admin that has a password, else the first. */
export function chooseAccount(accounts: readonly Account[], admins: readonly string[], asked?: string): Account | string {
    if (asked) return accounts.find((a) => a.username === asked) ?? `--user ${asked}: no such account (accounts: ${accounts.slice(0, 5).map((a) => a.username).join(", ")}${accounts.length > 5 ? ", …" : ""})`;
    return accounts.find((a) => admins.includes(a.username)) ?? accounts[0] ?? "no accounts";
}
