import { Resolver } from "dns/promises";
import { dnsRecords } from "./formats";

/**
 * The dns-ready step: waits until the hub's hostname resolves to its public IP, as resolvers outside the cluster
 * see it, before the chart's HTTPS is switched on. Traefik asks Let's Encrypt for the certificate once, when its
 * pod starts, and does not retry (z2jh #1602, #2150; traefik #9405): a name that does not point at the hub yet at
 * that moment leaves the hub on Traefik's self-signed certificate.
 *
 * Runs on the operator's machine (components/dns/dns-ready.js, started by a command.local.Command), so that it
 * sees DNS the way Let's Encrypt and the participants will, not the way the cluster's resolver does.
 */

export interface DnsWaitOptions {
    readonly hostname: string;
    readonly ip: string;
    readonly ttl: number;
    /** `IPv4` or `IPv4:PORT`, asked directly (not through the machine's resolver, which may know better). */
    readonly resolvers: readonly string[];
    readonly timeoutSeconds: number;
    readonly intervalSeconds: number;
    /**
     * An automatic name (esiphub:hubHostname auto): a wildcard DNS service answers for it, there is no record to
     * create, and a timeout means the service did not answer.
     */
    readonly automatic?: boolean;
    /** One line of progress. */
    readonly log: (line: string) => void;
}

/** What one resolver said about the hostname. */
export interface ResolverAnswer {
    readonly resolver: string;
    /** A records, when the name resolved. */
    readonly addresses?: string[];
    /** c-ares error code otherwise: ENOTFOUND (no such name), ENODATA (no A record), ETIMEOUT, ECONNREFUSED, ... */
    readonly error?: string;
}

/** The record to create, in zone-file form with absolute name: `hub.esipfed.org. 300 IN A 149.165.157.42`. */
export function recordToCreate(hostname: string, ip: string, ttl: number): string {
    const [record] = dnsRecords(hostname, ip, ttl);
    return `${record.name} ${record.ttl} IN ${record.type} ${record.value}`;
}

/** Asks one resolver for the A records of `hostname` (3 s per try, 2 tries). */
export async function askResolver(resolver: string, hostname: string): Promise<ResolverAnswer> {
    const r = new Resolver({ timeout: 3000, tries: 2 });
    // setServers takes `IP` and `IP:PORT` alike.
    r.setServers([resolver]);
    try {
        return { resolver, addresses: (await r.resolve4(hostname)).sort() };
    } catch (e) {
        return { resolver, error: (e as NodeJS.ErrnoException).code ?? String(e) };
    }
}

const ERROR_TEXT: Record<string, string> = {
    ENOTFOUND: "no such name",
    ENODATA: "no A record",
    ETIMEOUT: "no answer (timeout)",
    ECONNREFUSED: "refused the connection",
    ESERVFAIL: "server failure",
    EREFUSED: "refused the query",
};

/** `8.8.8.8: 203.0.113.9` or `8.8.8.8: no such name`. */
export function describeAnswer(answer: ResolverAnswer): string {
    if (answer.addresses) return `${answer.resolver}: ${answer.addresses.join(", ")}`;
    return `${answer.resolver}: ${ERROR_TEXT[answer.error ?? ""] ?? answer.error}`;
}

/** Every resolver answers the hub's IP and nothing else (a second, stale address would get some requests). */
export function allPointAt(answers: readonly ResolverAnswer[], ip: string): boolean {
    return answers.length > 0 && answers.every((a) => a.addresses?.length === 1 && a.addresses[0] === ip);
}

/** Raised when the name still does not point at the hub when the time is up; the message says what to create. */
export class DnsWaitTimeout extends Error {}

const minutes = (ms: number) => `${Math.floor(ms / 60000)}m${String(Math.floor((ms % 60000) / 1000)).padStart(2, "0")}s`;

/**
 * Polls the resolvers every `intervalSeconds` until all of them answer the hub's IP alone; logs what they answer
 * whenever it changes (and at least once a minute); throws DnsWaitTimeout after `timeoutSeconds`.
 */
export async function waitForDns(options: DnsWaitOptions): Promise<ResolverAnswer[]> {
    const now = Date.now;
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const record = recordToCreate(options.hostname, options.ip, options.ttl);
    const waitingFor = options.automatic ? "the wildcard DNS service to answer it" : `the record  ${record}`;
    const start = now();
    const deadline = start + options.timeoutSeconds * 1000;
    let last = "";
    let lastLogged = start;
    options.log(`dns-ready: waiting up to ${minutes(options.timeoutSeconds * 1000)} for ${options.hostname} to resolve to ${options.ip} (asking ${options.resolvers.join(", ")})`);
    for (;;) {
        const answers = await Promise.all(options.resolvers.map((r) => askResolver(r, options.hostname)));
        const seen = answers.map(describeAnswer).join("; ");
        if (allPointAt(answers, options.ip)) {
            options.log(`dns-ready: ${options.hostname} resolves to ${options.ip} (${seen}); HTTPS can be switched on`);
            return answers;
        }
        const elapsed = now() - start;
        if (now() >= deadline) {
            const stuck = `dns-ready: ${options.hostname} does not resolve to ${options.ip} after ${minutes(elapsed)} (${seen}). `;
            throw new DnsWaitTimeout(
                options.automatic
                    ? stuck +
                          `The automatic name (esiphub:hubHostname auto) needs its wildcard DNS service to answer: run \`pulumi up\` again later, ` +
                          `or give the hub a name of your own in esiphub:hubHostname (HTTPS stays off until then)`
                    : stuck + `Create this record in the DNS zone, then run \`pulumi up\` again (HTTPS stays off until then):\n  ${record}`,
            );
        }
        if (seen !== last || now() - lastLogged >= 60000) {
            options.log(`dns-ready: ${minutes(elapsed)}: ${seen}; waiting for ${waitingFor}`);
            last = seen;
            lastLogged = now();
        }
        await sleep(Math.min(options.intervalSeconds * 1000, Math.max(0, deadline - now())));
    }
}

/** The dns-ready step's parameters, from its environment (set by components/dns/records.ts). */
export function optionsFromEnv(env: Record<string, string | undefined>, log: (line: string) => void): DnsWaitOptions {
    const need = (key: string): string => {
        const value = env[key];
        if (!value) throw new Error(`dns-ready: ${key} is not set`);
        return value;
    };
    const positive = (key: string, fallback?: number): number => {
        const text = env[key];
        const n = text === undefined && fallback !== undefined ? fallback : Number(text);
        if (!Number.isFinite(n) || n <= 0) throw new Error(`dns-ready: ${key} must be a number above 0, got "${text}"`);
        return n;
    };
    return {
        hostname: need("ESIPHUB_DNS_HOSTNAME"),
        ip: need("ESIPHUB_DNS_IP"),
        ttl: positive("ESIPHUB_DNS_TTL"),
        resolvers: need("ESIPHUB_DNS_RESOLVERS").split(",").map((s) => s.trim()).filter(Boolean),
        timeoutSeconds: positive("ESIPHUB_DNS_TIMEOUT"),
        intervalSeconds: positive("ESIPHUB_DNS_INTERVAL", 10),
        ...(env.ESIPHUB_DNS_AUTOMATIC === "true" ? { automatic: true } : {}),
        log,
    };
}

/** Entry of dns-ready.js: exit 0 once the name points at the hub, 1 with the record to create otherwise. */
export async function main(env: Record<string, string | undefined> = process.env): Promise<number> {
    const log = (line: string) => process.stdout.write(`${line}\n`);
    try {
        await waitForDns(optionsFromEnv(env, log));
        return 0;
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 1;
    }
}
