/**
 * The `tls` check: the certificate the hub serves is valid for its name, trusted, not self-signed, not from Let's
 * Encrypt's staging server unless the stack asked for staging, and how long it has left.
 */
import * as crypto from "crypto";
import type { LookupFunction } from "net";
import * as tls from "tls";
import { isStagingName, stagingRefusal } from "../loadtest/trust";
import { CheckFailure, fail, pass, Verdict, warn } from "./check";

export interface TlsTarget {
    readonly hostname: string;
    readonly port: number;
    /** The stack asked Let's Encrypt's staging server for its certificate (a rehearsal). */
    readonly stagingExpected: boolean;
    /** For the fixes. */
    readonly site?: string;
    readonly namespace: string;
}

export interface TlsOptions {
    /** Where to connect instead of the hostname's address (the name is still sent and checked). */
    readonly connectHost?: string;
    /** PEM certificates trusted besides Node's roots. */
    readonly extraCa?: readonly string[];
    /** Resolves the hub's name instead of the system (the doctor's --resolver). */
    readonly lookup?: LookupFunction;
    readonly timeoutMs?: number;
}

/** What the check learnt from the handshake. */
export interface ServedCertificate {
    readonly certificate: crypto.X509Certificate;
    /** Node's verdict on the chain and the name (undefined: trusted). */
    readonly authorizationError?: string;
}

/** Traefik's own certificate when it has none for the name (traefik pkg/tls/generate/generate.go: DefaultDomain). */
const TRAEFIK_DEFAULT_CN = "TRAEFIK DEFAULT CERT";
const DAY_MS = 86_400_000;
/** Traefik renews Let's Encrypt certificates 30 days before they expire; two weeks left means renewal is failing. */
const RENEWAL_OVERDUE_DAYS = 14;

const dnField = (dn: string, key: string) => dn.split("\n").find((p) => p.startsWith(`${key}=`))?.slice(key.length + 1);
const describeDn = (dn: string) => dnField(dn, "CN") ?? dnField(dn, "O") ?? dn.replace(/\n/g, ", ");

/** `esiphub tls-retry` restarts the autohttps pod so that Traefik asks Let's Encrypt again, and waits for the certificate. */
const tlsRetry = (target: TlsTarget) => `esiphub tls-retry ${target.site ?? "SITE"}`;

function acmeFix(target: TlsTarget): string {
    return (
        "the chart's autohttps (Traefik) asks Let's Encrypt once, when its pod starts, and never again: make the name resolve to the hub " +
        `(${target.site ? `esiphub dns ${target.site}` : "the DNS check"}), then ${tlsRetry(target)}`
    );
}

/** The verdict on a served certificate; pure, for a given `now`. */
export function judgeCertificate(served: ServedCertificate, target: TlsTarget, now: Date): Verdict {
    const cert = served.certificate;
    const subject = describeDn(cert.subject);
    const issuer = describeDn(cert.issuer);
    if (dnField(cert.subject, "CN") === TRAEFIK_DEFAULT_CN) {
        return fail(`the hub serves Traefik's default certificate: the Let's Encrypt request for ${target.hostname} failed`, acmeFix(target));
    }
    if (!cert.checkHost(target.hostname)) {
        const names = cert.subjectAltName ?? `CN=${subject}`;
        return fail(`the certificate is for ${names}, not ${target.hostname}`, acmeFix(target));
    }
    const validTo = new Date(cert.validTo);
    if (now < new Date(cert.validFrom)) return fail(`the certificate is not valid before ${cert.validFrom}`, "check the clock of this machine and of the hub's nodes");
    if (now > validTo) return fail(`the certificate expired on ${cert.validTo}`, acmeFix(target));
    const staging = isStagingName(cert.issuer);
    if (cert.checkIssued(cert) && !staging) {
        return fail(`the certificate is self-signed (${subject}); browsers refuse it`, acmeFix(target));
    }
    if (staging && !target.stagingExpected) {
        return fail(
            `the certificate comes from Let's Encrypt's STAGING server (${issuer}); browsers refuse it`,
            `the stack does not ask for staging (any more): Traefik keeps a stored certificate when its server changes; ${tlsRetry(target)} forgets it and waits for a real one`,
        );
    }
    if (served.authorizationError) {
        const refusal = staging ? stagingRefusal(served.authorizationError, cert, target.hostname, now) : served.authorizationError;
        if (refusal !== undefined) return fail(`the certificate (issuer ${issuer}) is not trusted: ${refusal}`, acmeFix(target));
    }
    const days = Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
    const what = `valid for ${target.hostname}, issued by ${issuer}${staging ? " (Let's Encrypt staging, as the stack asks: browsers will warn)" : ""}, ${days} days left`;
    if (days < RENEWAL_OVERDUE_DAYS) return warn(what, `renewal is overdue (Traefik renews 30 days ahead): look at the autohttps log (kubectl -n ${target.namespace} logs deploy/autohttps -c traefik)`);
    return pass(what);
}

/** Connects to the hub's HTTPS port and takes its certificate and Node's verdict on it. */
export function fetchCertificate(target: TlsTarget, options: TlsOptions = {}): Promise<ServedCertificate> {
    const host = options.connectHost ?? target.hostname;
    const ca = options.extraCa?.length ? [...tls.rootCertificates, ...options.extraCa] : undefined;
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host, port: target.port, servername: target.hostname, rejectUnauthorized: false, ...(ca ? { ca } : {}), ...(options.lookup ? { lookup: options.lookup } : {}) });
        const timeout = options.timeoutMs ?? 10_000;
        socket.setTimeout(timeout, () => socket.destroy(Object.assign(new Error(`no TLS handshake within ${timeout / 1000} s`), { code: "ETIMEDOUT" })));
        socket.once("secureConnect", () => {
            const certificate = socket.getPeerX509Certificate();
            const authorizationError = socket.authorized ? undefined : String(socket.authorizationError);
            socket.destroy();
            if (!certificate) reject(new CheckFailure(`${host}:${target.port} completed a handshake without a certificate`, "see the proxy's TLS settings"));
            else resolve({ certificate, authorizationError });
        });
        socket.once("error", (e: NodeJS.ErrnoException) => {
            reject(
                new CheckFailure(
                    `no TLS connection to ${target.hostname}:${target.port}${host !== target.hostname ? ` (at ${host})` : ""}: ${e.code ?? e.message}`,
                    `is port ${target.port} open to the world and the proxy running (kubectl -n ${target.namespace} get pods -l component=autohttps)?`,
                ),
            );
        });
    });
}

export async function checkTls(target: TlsTarget, options: TlsOptions = {}, now: () => Date = () => new Date()): Promise<Verdict> {
    return judgeCertificate(await fetchCertificate(target, options), target, now());
}
