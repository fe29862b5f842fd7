/**
 * Which TLS certificates a client of the hub trusts. Normally Node's own roots (plus any the operator adds). A
 * rehearsal stack asks Let's Encrypt's staging server for its certificate, whose roots are in no trust store
 * (https://letsencrypt.org/docs/staging-environment/: every name of the staging hierarchy starts with "(STAGING)");
 * for such a hub the client can accept a chain that fails only for want of its staging root, as long as the
 * certificate is for the hub's name, issued by a (STAGING) authority and within its dates.
 */
import * as crypto from "crypto";
import * as tls from "tls";
import { Agent, buildConnector } from "undici";

/** A connection that cannot be made in this time is a hub that is down or firewalled, not a slow one. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface TrustOptions {
    /** PEM certificates trusted besides Node's roots (e.g. Let's Encrypt's staging roots, or a test CA). */
    readonly extraCa?: readonly string[];
    /** Accept a Let's Encrypt staging certificate whose root is not trusted (see the module comment). */
    readonly acceptStaging?: boolean;
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

function connectOptions(trust: TrustOptions): buildConnector.BuildOptions {
    const ca = trust.extraCa?.length ? [...tls.rootCertificates, ...trust.extraCa] : undefined;
    return { timeout: CONNECT_TIMEOUT_MS, ...(ca ? { ca } : {}) };
}

/** A connector that verifies as usual, but lets a staging certificate through (see stagingRefusal). */
function stagingTolerantConnector(trust: TrustOptions): buildConnector.connector {
    const connect = buildConnector({ ...connectOptions(trust), rejectUnauthorized: false });
    return (options, callback) =>
        connect(options, (err, socket) => {
            if (err || !(socket instanceof tls.TLSSocket) || socket.authorized) return err ? callback(err, null) : callback(null, socket!);
            const servername = options.servername || options.hostname;
            const refusal = stagingRefusal(String(socket.authorizationError), socket.getPeerX509Certificate(), servername);
            if (refusal === undefined) return callback(null, socket);
            socket.destroy();
            callback(Object.assign(new Error(`TLS: ${refusal}`), { code: String(socket.authorizationError) }), null);
        });
}

/** The connection pool of a client of the hub, with short connection timeouts and the trust asked for. */
export function hubAgent(trust: TrustOptions = {}, options: { keepAliveTimeout?: number } = {}): Agent {
    const connect = trust.acceptStaging ? stagingTolerantConnector(trust) : connectOptions(trust);
    return new Agent({ keepAliveTimeout: options.keepAliveTimeout ?? 10_000, connect });
}
