/**
 * How a client reaches the hub and which TLS certificates it trusts: Node's own roots (plus any the operator adds),
 * the system's name resolution unless a resolver is given, and short connection timeouts. A rehearsal stack asks
 * Let's Encrypt's staging server for its certificate, whose roots are in no trust store
 * (https://letsencrypt.org/docs/staging-environment/: every name of the staging hierarchy starts with "(STAGING)");
 * for such a hub the client can accept a chain that fails only for want of its staging root, as long as the
 * certificate is for the hub's name, issued by a (STAGING) authority and within its dates. Nothing is sent on a
 * connection before its certificate has been judged.
 */
import * as crypto from "crypto";
import { promises as dns } from "dns";
import type { ClientRequest } from "http";
import type { LookupFunction } from "net";
import * as tls from "tls";
import { Agent, buildConnector } from "undici";
import type { ClientOptions } from "ws";

/** A connection that cannot be made in this time is a hub that is down or firewalled, not a slow one. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
    /** PEM certificates trusted besides Node's roots (e.g. Let's Encrypt's staging roots, or a test CA). */
    readonly extraCa?: readonly string[];
    /** Accept a Let's Encrypt staging certificate whose root is not trusted (see the module comment). */
    readonly acceptStaging?: boolean;
    /** Resolves the hub's name instead of the system (see resolverLookup). */
    readonly lookup?: LookupFunction;
}

/** True when a distinguished name (X509Certificate.issuer/subject: one `KEY=value` a line) is Let's Encrypt staging's. */
export function isStagingName(dn: string): boolean {
    return dn.split("\n").some((part) => /^(O|CN)=\(STAGING\)/.test(part.trim()));
}

/** OpenSSL's verdicts that mean "the chain ends at a root I do not have", nothing else. */
const UNTRUSTED_ROOT = new Set(["UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_GET_ISSUER_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"]);

/**
 * Why a TLS connection that Node did not authorize must still be refused under `acceptStaging`; undefined when
 * the only fault is the missing staging root of a valid staging certificate for `servername`.
 */
export function stagingRefusal(authorizationError: string, leaf: crypto.X509Certificate | undefined, servername: string, now = new Date()): string | undefined {
    if (!UNTRUSTED_ROOT.has(authorizationError)) return authorizationError;
    if (!leaf) return "the server sent no certificate";
    if (!isStagingName(leaf.issuer)) return `${authorizationError} (issuer ${leaf.issuer.replace(/\n/g, ", ")} is not Let's Encrypt staging)`;
    if (!leaf.checkHost(servername)) return `the certificate is not valid for ${servername}`;
    if (now < new Date(leaf.validFrom) || now > new Date(leaf.validTo)) return `the certificate is outside its validity (${leaf.validFrom} to ${leaf.validTo})`;
    return undefined;
}

/** A refusal as the error a failed TLS connection gives (its code is OpenSSL's verdict). */
function refusalError(socket: tls.TLSSocket, servername: string): Error | undefined {
    if (socket.authorized) return undefined;
    const refusal = stagingRefusal(String(socket.authorizationError), socket.getPeerX509Certificate(), servername);
    return refusal === undefined ? undefined : Object.assign(new Error(`TLS: ${refusal}`), { code: String(socket.authorizationError) });
}

/**
 * A lookup (for net/tls.connect and undici) that asks these DNS servers ("IP" or "IP:PORT") for the name's IPv4
 * address, as attendees' resolvers would answer, instead of the system's resolver.
 */
export function resolverLookup(servers: readonly string[]): LookupFunction {
    const resolver = new dns.Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers([...servers]);
    return (hostname, options, callback) => {
        resolver.resolve4(hostname).then(
            (addresses) => (options.all ? callback(null, addresses.map((address) => ({ address, family: 4 }))) : callback(null, addresses[0], 4)),
            (e: NodeJS.ErrnoException) => callback(e, "", 4),
        );
    };
}

function connectOptions(connect: ConnectOptions): buildConnector.BuildOptions {
    const ca = connect.extraCa?.length ? [...tls.rootCertificates, ...connect.extraCa] : undefined;
    return { timeout: CONNECT_TIMEOUT_MS, ...(ca ? { ca } : {}), ...(connect.lookup ? { lookup: connect.lookup } : {}) };
}

/** A connector that verifies as usual, but lets a staging certificate through (see stagingRefusal). */
function stagingTolerantConnector(connect: ConnectOptions): buildConnector.connector {
    // No session resumption: a resumed TLS 1.3 session carries no certificate to judge.
    const open = buildConnector({ ...connectOptions(connect), rejectUnauthorized: false, maxCachedSessions: 0 });
    return (options, callback) =>
        open(options, (err, socket) => {
            if (err) return callback(err, null);
            const refused = socket instanceof tls.TLSSocket ? refusalError(socket, options.servername || options.hostname) : undefined;
            if (!refused) return callback(null, socket!);
            socket!.destroy();
            callback(refused, null);
        });
}

/** The connection pool of a client of the hub. */
export function hubAgent(connect: ConnectOptions = {}, options: { keepAliveTimeout?: number } = {}): Agent {
    return new Agent({
        keepAliveTimeout: options.keepAliveTimeout ?? 10_000,
        connect: connect.acceptStaging ? stagingTolerantConnector(connect) : connectOptions(connect),
    });
}

/**
 * The same for a websocket (the `ws` package opens its own connection): the extra roots and the lookup, and under
 * `acceptStaging` the upgrade request (with the user's cookies) leaves only once the certificate has passed.
 */
export function websocketOptions(connect: ConnectOptions): ClientOptions {
    const options: ClientOptions & { lookup?: LookupFunction } = {};
    if (connect.extraCa?.length) options.ca = [...tls.rootCertificates, ...connect.extraCa];
    if (connect.lookup) options.lookup = connect.lookup;
    if (connect.acceptStaging) {
        options.rejectUnauthorized = false;
        options.finishRequest = (request: ClientRequest) => {
            request.once("socket", (socket) => {
                if (!(socket instanceof tls.TLSSocket)) {
                    request.end();
                    return;
                }
                const judge = () => {
                    const refused = refusalError(socket, request.host);
                    if (refused) request.destroy(refused);
                    else request.end();
                };
                if (socket.getPeerX509Certificate()) judge();
                else socket.once("secureConnect", judge);
            });
        };
    }
    return options;
}
