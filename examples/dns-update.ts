/**
 * Put a site's DNS records on the meeting's DNS server: an RFC 2136 dynamic update signed with a TSIG key (RFC 8945),
 * sent only when the server does not already answer with exactly those records (a second run changes nothing).
 *
 *   npx ts-node examples/dns-update.ts jetstream --server ns1.esipfed.org --key update.key [--zone esipfed.org]
 *
 * The records are the deployed stack's (`esiphub dns jetstream` prints the same); the zone is --zone, else the stack
 * file's esiphub:dnsZone, else the one nsupdate finds by asking the server for the name's SOA. The key file is BIND's
 * (`tsig-keygen -a hmac-sha256 esiphub-update > update.key`), and the server lets that key update the zone
 * (`allow-update { key esiphub-update; };` or an `update-policy` in named.conf).
 *
 * The update is sent by `nsupdate` and the server is asked with `dig`, ISC's own tools (Debian's bind9-dnsutils).
 * Why not an npm library: dns-packet 5.6.1, the most used one, has no TSIG record among its types, so the MAC over the
 * message and the check of the server's signed answer would be ours to write; nsupdate signs, verifies the answer's
 * signature, and says which of the server's refusals it got (REFUSED, NOTAUTH, a bad key). `dig` rather than Node's
 * resolver: it asks that server itself, with no cache between the check before the update and the one after.
 */
import { execFile } from "child_process";
import { Command, CommanderError } from "commander";
import { CliError, DnsRecord, formatDnsRecords, openSite, SiteOptions } from "../api";

interface Output {
    write(text: string): unknown;
}

/** `HOST` or `HOST:PORT` (port 53 by default). */
export function serverAddress(text: string): { host: string; port: number } {
    const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text);
    if (!m || (m[2] && (Number(m[2]) < 1 || Number(m[2]) > 65535))) throw new CliError(`--server: "${text}" is not HOST or HOST:PORT`);
    return { host: m[1], port: m[2] ? Number(m[2]) : 53 };
}

function run(command: string, args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = execFile(command, args, { encoding: "utf8" }, (error, stdout, stderr) => {
            if (!error) return resolve(stdout);
            const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
            const why = missing ? `${command} is not on PATH: apt-get install bind9-dnsutils` : `${command} failed: ${(stderr || stdout || error.message).trim().split("\n").join("; ")}`;
            reject(new CliError(why));
        });
        if (input !== undefined) child.stdin!.end(input);
    });
}

/** What the server answers for a record's name and type now: `ttl value` lines, sorted. */
async function answered(server: { host: string; port: number }, name: string, type: string): Promise<string[]> {
    const out = await run("dig", [`@${server.host}`, "-p", String(server.port), name, type, "+noall", "+answer", "+norecurse", "+time=5", "+tries=2"]);
    return out
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .filter((f) => f.length >= 5 && f[3] === type)
        .map((f) => `${f[1]} ${f.slice(4).join(" ")}`)
        .sort();
}

/** The records whose name and type the server does not answer with exactly the wanted set. */
async function stale(server: { host: string; port: number }, records: DnsRecord[]): Promise<DnsRecord[]> {
    const sets = new Map<string, DnsRecord[]>();
    for (const r of records) sets.set(`${r.name} ${r.type}`, [...(sets.get(`${r.name} ${r.type}`) ?? []), r]);
    const out: DnsRecord[] = [];
    for (const set of sets.values()) {
        const wanted = set.map((r) => `${r.ttl} ${r.value}`).sort();
        const now = await answered(server, set[0].name, set[0].type);
        if (wanted.join("\n") !== now.join("\n")) out.push(...set);
    }
    return out;
}

export async function main(argv: string[], options: SiteOptions = {}, out: Output = process.stdout): Promise<number> {
    const program = new Command("dns-update")
        .description("send a site's records to the meeting's DNS server by RFC 2136 dynamic update, TSIG-signed; nothing when they are there")
        .argument("<site>", "a deployed site")
        .requiredOption("--server <host[:port]>", "the DNS server that takes the updates (the zone's primary)")
        .requiredOption("--key <file>", "the TSIG key, in BIND's key file format (tsig-keygen)")
        .option("--zone <zone>", "the zone to update (default: esiphub:dnsZone, else found from the name's SOA)")
        .exitOverride()
        .parse(argv, { from: "user" });
    const site = program.args[0];
    const opts = program.opts<{ server: string; key: string; zone?: string }>();
    const server = serverAddress(opts.server);
    const { records, zone } = await openSite(site, options).dnsRecords();
    const changes = await stale(server, records);
    if (changes.length === 0) {
        out.write(`${server.host}:${server.port} already answers with the records of site "${site}": nothing sent\n${formatDnsRecords(records, "zone")}`);
        return 0;
    }
    // Every record of the names that changed: the update replaces each name's whole record set.
    const names = new Set(changes.map((r) => `${r.name} ${r.type}`));
    const update = records.filter((r) => names.has(`${r.name} ${r.type}`));
    const script = `server ${server.host} ${server.port}\n${formatDnsRecords(update, "nsupdate", opts.zone ?? zone)}`;
    await run("nsupdate", ["-k", opts.key, "-t", "60"], script);
    const left = await stale(server, update);
    if (left.length > 0) throw new CliError(`the update was accepted but ${server.host}:${server.port} still does not answer with ${left.map((r) => `${r.name} ${r.type} ${r.value}`).join(", ")}`);
    out.write(`updated ${update.length} record(s) of site "${site}" on ${server.host}:${server.port} (TSIG key ${opts.key})\n${formatDnsRecords(update, "zone")}`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (e) => {
            // commander has printed its own message (or the help); CliError and CommanderError carry the exit status.
            if (!(e instanceof CommanderError)) process.stderr.write(`dns-update: ${e instanceof Error ? e.message : e}\n`);
            process.exitCode = (e as { exitCode?: number }).exitCode ?? 1;
        },
    );
}
