/** IPv4 CIDR arithmetic for config checks. */
export interface Cidr {
    /** The network address (host bits cleared), as a number. */
    readonly base: number;
    readonly prefix: number;
    /**
     * True when the text has host bits set (`198.51.100.7/24`): AWS refuses such a `cidr_block`/`cidr_ipv4`
     * (Neutron takes it and uses the network, neutron-lib validators.validate_subnet), so it means different things.
     */
    readonly hostBits: boolean;
}

export function parseCidr(text: string): Cidr | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = blockSize(prefix);
    return { base: addr - (addr % size), prefix, hostBits: addr % size !== 0 };
}

/** Addresses in a block of this prefix length. */
export function blockSize(prefix: number): number {
    return 2 ** (32 - prefix);
}

function dotted(addr: number): string {
    return [24, 16, 8, 0].map((s) => Math.floor(addr / 2 ** s) % 256).join(".");
}

/** The CIDR as its network, e.g. `198.51.100.7/24` → `198.51.100.0/24`. */
export function networkCidr(c: Cidr): string {
    return `${dotted(c.base)}/${c.prefix}`;
}

export function cidrsOverlap(a: string, b: string): boolean {
    const x = parseCidr(a);
    const y = parseCidr(b);
    if (!x || !y) return false;
    const xEnd = x.base + blockSize(x.prefix);
    const yEnd = y.base + blockSize(y.prefix);
    return x.base < yEnd && y.base < xEnd;
}

/** The n-th host address of a subnet (n = 1 is the gateway on most clouds). */
export function hostAddress(cidr: string, n: number): string {
    const c = parseCidr(cidr);
    if (!c) throw new Error(`not a CIDR: ${cidr}`);
    return dotted(c.base + n);
}

/**
 * Addresses of a subnet that the cloud can give to VMs.
 * - AWS keeps the first four and the last address of every subnet
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
 * - Neutron leaves the network and broadcast addresses out of the allocation pool and gives the gateway one
 *   (neutron/ipam/utils.py generate_pools), and the network's DHCP port takes one more per DHCP agent
 *   (neutron.conf dhcp_agents_per_network, default 1).
 */
export function assignableAddresses(prefix: number, cloud: "openstack" | "aws"): number {
    return Math.max(0, blockSize(prefix) - (cloud === "aws" ? 5 : 4));
}

/** The longest prefix (smallest subnet) whose assignable addresses hold this many nodes. */
export function smallestPrefixFor(nodes: number, cloud: "openstack" | "aws"): number {
    let prefix = 30;
    while (prefix > 0 && assignableAddresses(prefix, cloud) < nodes) prefix--;
    return prefix;
}
