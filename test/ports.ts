/**
 * Ports on 127.0.0.1 for the tests, which run in several processes at once beside hubs, kernels and servers.
 *
 * The kernel hands out ports for port-0 binds and for outgoing connections from its ephemeral range
 * (/proc/sys/net/ipv4/ip_local_port_range, 32768–60999 by default): a port found free there is free only now, and any
 * process may bind it a moment later (a kernel of another test's hub binds five). So the ports below that range are
 * shared out instead: the hubs' user-server blocks from 10000 up (freePortBlock), and under those the quiet ports,
 * 1024–9999, which nothing binds unless a test asks for one (quietPort): once its listener stops, a quiet port refuses
 * connections, as a stopped service's port does.
 */
import * as fs from "fs";
import * as net from "net";

/** The first port of the hubs' user-server blocks; the quiet ports are below it. */
const BLOCKS_FROM = 10000;
const QUIET_FROM = 1024;

/** A port free now, of the kernel's choosing (ephemeral): for a listener started at once. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** `count` distinct free ports, none of them in `taken`. */
export async function distinctFreePorts(count: number, taken: number[]): Promise<number[]> {
    const ports: number[] = [];
    while (ports.length < count) {
        const port = await freePort();
        if (!ports.includes(port) && !taken.includes(port)) ports.push(port);
    }
    return ports;
}

export function portIsFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.unref();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
}

/** The lowest port the kernel hands out for outgoing connections and port-0 binds. */
export function ephemeralLow(): number {
    try {
        return Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
    } catch {
        return 32768;
    }
}

/**
 * The first port of `size` consecutive free ports, none of them in `avoid`, between the quiet ports and the ephemeral
 * range, so that no outgoing connection or kernel of a running server can take one before its user's server starts.
 */
export async function freePortBlock(size: number, avoid: number[]): Promise<number> {
    const high = Math.max(BLOCKS_FROM + size + 1, ephemeralLow() - size);
    for (let attempt = 0; attempt < 50; attempt++) {
        const base = BLOCKS_FROM + Math.floor(Math.random() * (high - BLOCKS_FROM));
        let free = !avoid.some((p) => p >= base && p < base + size);
        for (let p = base; p < base + size && free; p++) free = await portIsFree(p);
        if (free) return base;
    }
    throw new Error(`no block of ${size} free ports on 127.0.0.1`);
}

/**
 * A quiet port (1024–9999) nothing listens on: connections to it are refused, and stay refused, since neither the
 * kernel nor another test hands it out; or the port of a listener whose stop a test checks.
 */
export async function quietPort(): Promise<number> {
    const high = Math.min(BLOCKS_FROM, ephemeralLow());
    for (let attempt = 0; attempt < 50; attempt++) {
        const port = QUIET_FROM + Math.floor(Math.random() * (high - QUIET_FROM));
        if (await portIsFree(port)) return port;
    }
    throw new Error(`no free port on 127.0.0.1 from ${QUIET_FROM} to ${high - 1}`);
}
