/**
 * The `dns` check: the hub's hostname resolves to the site's public IP and nothing else, as resolvers outside the
 * cluster answer it: the same question, resolvers and verdict as the program's dns-ready step (components/dns/wait.ts).
 */
import { allPointAt, askResolver, describeAnswer, recordToCreate } from "../../components/dns/wait";
import { fail, pass, Verdict } from "./check";

export interface DnsTarget {
    readonly hostname: string;
    /** The site's public IP; without it the check only asks that the name resolves. */
    readonly expectedIp?: string;
    /** TTL of the record to create (esiphub:dnsTtl). */
    readonly ttl?: number;
    /** For the fix: `esiphub dns SITE`. */
    readonly site?: string;
}

export interface DnsOptions {
    /** Resolvers to ask, "IP" or "IP:PORT" (the stack's esiphub:dnsCheckResolvers, or --resolver). */
    readonly servers: readonly string[];
}

const DEFAULT_TTL = 300;

export async function checkDns(target: DnsTarget, options: DnsOptions): Promise<Verdict> {
    const answers = await Promise.all(options.servers.map((resolver) => askResolver(resolver, target.hostname)));
    const said = answers.map(describeAnswer).join("; ");
    const publish = `${target.site ? `esiphub dns ${target.site} prints it` : "at your DNS provider"}; resolvers see a change only after the old answer's TTL`;
    if (!target.expectedIp) {
        if (answers.every((a) => a.addresses?.length)) return pass(`${target.hostname} resolves (${said})`);
        return fail(`${target.hostname} does not resolve everywhere (${said})`, `publish an A record for it ${publish}`);
    }
    if (allPointAt(answers, target.expectedIp)) return pass(`${target.hostname} resolves to ${target.expectedIp} alone (${options.servers.join(", ")})`);
    return fail(
        `${target.hostname} does not point at the hub's ${target.expectedIp} alone (${said})`,
        `the record to have, and no other A record: ${recordToCreate(target.hostname, target.expectedIp, target.ttl ?? DEFAULT_TTL)} (${publish})`,
    );
}
