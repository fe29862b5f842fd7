/** The `dns` check: the hub's hostname resolves, and to the site's public IP alone. */
import { promises as dns } from "dns";
import { CheckFailure, fail, pass, Verdict } from "./check";

export interface DnsTarget {
    readonly hostname: string;
    /** The site's public IP; without it the check only asks that the name resolves. */
    readonly expectedIp?: string;
    /** For the fix: `esiphub dns SITE`. */
    readonly site?: string;
}

export interface DnsOptions {
    /** DNS servers to ask ("IP" or "IP:PORT"); the system's resolvers when absent. */
    readonly servers?: readonly string[];
}

/** c-ares' per-try timeout and tries: a resolver that does not answer fails the check in seconds. */
const RESOLVER = { timeout: 2000, tries: 2 };

function publishFix(target: DnsTarget): string {
    const how = target.site ? `esiphub dns ${target.site} --format zone (or nsupdate)` : "an A record for the name";
    return `publish ${how} at your DNS provider; resolvers see a change only after the old record's TTL`;
}

async function lookup(target: DnsTarget, options: DnsOptions): Promise<{ address: string; ttl: number }[]> {
    const resolver = new dns.Resolver(RESOLVER);
    if (options.servers?.length) resolver.setServers([...options.servers]);
    try {
        return await resolver.resolve4(target.hostname, { ttl: true });
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // c-ares codes (https://nodejs.org/api/dns.html#error-codes).
        if (code === dns.NOTFOUND) throw new CheckFailure(`${target.hostname} does not exist in DNS (NXDOMAIN)`, publishFix(target));
        if (code === dns.NODATA) throw new CheckFailure(`${target.hostname} has no A (IPv4) record`, publishFix(target));
        throw new CheckFailure(
            `the resolver did not answer for ${target.hostname} (${code})`,
            `check the resolver${options.servers?.length ? ` ${options.servers.join(", ")}` : "s of this machine"} and the zone's name servers`,
        );
    }
}

export async function checkDns(target: DnsTarget, options: DnsOptions = {}): Promise<Verdict> {
    const records = await lookup(target, options);
    const addresses = records.map((r) => r.address);
    const ttl = Math.min(...records.map((r) => r.ttl));
    const found = `${target.hostname} resolves to ${addresses.join(", ")} (TTL ${ttl} s)`;
    if (!target.expectedIp) return pass(found);
    if (!addresses.includes(target.expectedIp)) {
        return fail(`${found}, not to the hub's public IP ${target.expectedIp}`, publishFix(target));
    }
    if (addresses.length > 1) {
        // Resolvers rotate the answers: some attendees would land on the other address.
        const others = addresses.filter((a) => a !== target.expectedIp);
        return fail(`${found}: besides the hub's ${target.expectedIp} also ${others.join(", ")}`, `delete the other A records of ${target.hostname}; ${publishFix(target)}`);
    }
    return pass(found);
}
