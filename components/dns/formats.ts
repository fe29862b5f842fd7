import { parseCidr } from "../cidr";

/** One DNS record with an absolute owner name (trailing dot), as zone files and nsupdate want it. */
export interface DnsRecord {
    readonly name: string;
    readonly type: "A";
    readonly ttl: number;
    readonly value: string;
}

export type DnsFormat = "zone" | "nsupdate" | "json";
export const DNS_FORMATS: readonly DnsFormat[] = ["zone", "nsupdate", "json"];

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** RFC 2181: a TTL is an unsigned 31-bit number. */
const MAX_TTL = 2 ** 31 - 1;

/** Absolute form of a DNS name: lower case, one trailing dot. */
export function absoluteName(name: string): string {
    return `${name.toLowerCase().replace(/\.$/, "")}.`;
}

/** The records that point the hub's hostname at its public IPv4 address. */
export function dnsRecords(hostname: string, ip: string, ttl: number): DnsRecord[] {
    const host = hostname.toLowerCase().replace(/\.$/, "");
    if (!HOSTNAME.test(host)) throw new RangeError(`"${hostname}" is not a DNS name such as hub.example.org`);
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip) || !parseCidr(`${ip}/32`)) throw new RangeError(`"${ip}" is not an IPv4 address`);
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) throw new RangeError(`TTL must be an integer from 0 to ${MAX_TTL}, got ${ttl}`);
    return [{ name: absoluteName(host), type: "A", ttl, value: ip }];
}

/**
 * Records as text ready to paste: a zone-file fragment (absolute names, so it fits any zone file),
 * an nsupdate script (replaces whatever the name pointed at), or JSON.
 */
export function formatDnsRecords(records: readonly DnsRecord[], format: DnsFormat, zone?: string): string {
    switch (format) {
        case "zone":
            return records.map((r) => `${r.name}\t${r.ttl}\tIN\t${r.type}\t${r.value}`).join("\n") + "\n";
        case "nsupdate": {
            const lines = zone ? [`zone ${absoluteName(zone)}`] : [];
            for (const name of new Set(records.map((r) => `${r.name} ${r.type}`))) lines.push(`update delete ${name}`);
            for (const r of records) lines.push(`update add ${r.name} ${r.ttl} ${r.type} ${r.value}`);
            lines.push("send");
            return lines.join("\n") + "\n";
        }
        case "json":
            return JSON.stringify(records, null, 2) + "\n";
    }
}
