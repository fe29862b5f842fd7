import * as assert from "assert";
import * as crypto from "crypto";
import { checkTls, fetchCertificate, judgeCertificate, TlsTarget } from "../../cli/doctor/tls";
import { requireTool } from "../dns/named";
import { CertFactory, KeyPair, startHttpsServer, TlsServer } from "./certs";

const HOST = "hub.esipfed.org";
const target = (port: number, stagingExpected = false): TlsTarget => ({ hostname: HOST, port, stagingExpected, site: "jetstream", namespace: "jhub" });

describe("doctor: the tls check against HTTPS servers on 127.0.0.1", function () {
    let certs: CertFactory;
    let localCa: KeyPair;
    let stagingIntermediate: KeyPair;
    const servers: TlsServer[] = [];

    const serve = async (leaf: KeyPair, chain: string[] = []) => {
        const server = await startHttpsServer(leaf, chain);
        servers.push(server);
        return server.port;
    };

    before(function () {
        requireTool(this, "openssl", "openssl");
        certs = new CertFactory();
        localCa = certs.selfSigned("local-ca", "/O=ESIPHub tests/CN=ESIPHub Test CA", { ca: true, days: 365 });
        // Named as Let's Encrypt's staging hierarchy is (https://letsencrypt.org/docs/staging-environment/).
        const stagingRoot = certs.selfSigned("staging-root", "/C=US/O=(STAGING) Internet Security Research Group/CN=(STAGING) Pretend Pear X1", { ca: true, days: 365 });
        stagingIntermediate = certs.signed("staging-int", "/C=US/O=(STAGING) Let's Encrypt/CN=(STAGING) Ersatz Edamame E1", stagingRoot, { ca: true, days: 300 });
    });

    after(async () => {
        await Promise.all(servers.map((s) => s.close()));
        certs?.remove();
    });

    it("a certificate from a trusted CA, for the name: pass, with its issuer and days left", async () => {
        const leaf = certs.signed("good", `/CN=${HOST}`, localCa, { names: [HOST], days: 90 });
        const port = await serve(leaf);
        const verdict = await checkTls(target(port), { connectHost: "127.0.0.1", extraCa: [localCa.cert] });
        assert.strictEqual(verdict.status, "pass", verdict.detail);
        assert.match(verdict.detail, /^valid for hub\.esipfed\.org, issued by ESIPHub Test CA, (89|90) days left$/);
    });

    it("the same certificate when its CA is not trusted: fail, not trusted", async () => {
        const leaf = certs.signed("untrusted", `/CN=${HOST}`, localCa, { names: [HOST] });
        const port = await serve(leaf);
        const verdict = await checkTls(target(port), { connectHost: "127.0.0.1" });
        assert.strictEqual(verdict.status, "fail");
        assert.match(verdict.detail, /not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
        assert.match(verdict.fix!, /esiphub tls-retry jetstream/);
    });

    it("a self-signed certificate: fail", async () => {
        const port = await serve(certs.selfSigned("self", `/CN=${HOST}`, { names: [HOST] }));
        const verdict = await checkTls(target(port), { connectHost: "127.0.0.1" });
        assert.strictEqual(verdict.status, "fail");
        assert.match(verdict.detail, /self-signed/);
    });

    it("Traefik's default certificate (the ACME request failed): fail, with the autohttps restart", async () => {
        // traefik pkg/tls/generate: CN "TRAEFIK DEFAULT CERT", a random name under traefik.default.
        const port = await serve(certs.selfSigned("traefik", "/CN=TRAEFIK DEFAULT CERT", { names: ["3c2f1b0e9d8a7f6e5d4c3b2a1f0e9d8c.4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e.traefik.default"] }));
        const verdict = await checkTls(target(port), { connectHost: "127.0.0.1" });
        assert.strictEqual(verdict.status, "fail");
        assert.match(verdict.detail, /Traefik's default certificate/);
        assert.match(verdict.fix!, /esiphub dns jetstream\), then esiphub tls-retry jetstream$/);
    });

    it("a trusted certificate for another name: fail, naming both", async () => {
        const port = await serve(certs.signed("other", "/CN=other.esipfed.org", localCa, { names: ["other.esipfed.org"] }));
        const verdict = await checkTls(target(port), { connectHost: "127.0.0.1", extraCa: [localCa.cert] });
        assert.strictEqual(verdict.status, "fail");
        assert.match(verdict.detail, /for DNS:other\.esipfed\.org, not hub\.esipfed\.org/);
    });

    it("a Let's Encrypt staging certificate: fail when the stack asks for production, pass when it asks for staging", async () => {
        const leaf = certs.signed("staging-leaf", `/CN=${HOST}`, stagingIntermediate, { names: [HOST] });
        const port = await serve(leaf, [stagingIntermediate.cert]);
        const production = await checkTls(target(port, false), { connectHost: "127.0.0.1" });
        assert.strictEqual(production.status, "fail");
        assert.match(production.detail, /STAGING server \(\(STAGING\) Ersatz Edamame E1\)/);
        assert.match(production.fix!, /esiphub tls-retry jetstream forgets it/);
        const rehearsal = await checkTls(target(port, true), { connectHost: "127.0.0.1" });
        assert.strictEqual(rehearsal.status, "pass", rehearsal.detail);
        assert.match(rehearsal.detail, /issued by \(STAGING\) Ersatz Edamame E1 \(Let's Encrypt staging, as the stack asks/);
    });

    it("days to expiry: a warning two weeks before, a failure after", async () => {
        const leaf = certs.signed("expiry", `/CN=${HOST}`, localCa, { names: [HOST], days: 90 });
        const port = await serve(leaf);
        const served = await fetchCertificate(target(port), { connectHost: "127.0.0.1", extraCa: [localCa.cert] });
        const validTo = new Date(new crypto.X509Certificate(leaf.cert).validTo).getTime();
        const soon = judgeCertificate(served, target(port), new Date(validTo - 5 * 86_400_000 - 60_000));
        assert.strictEqual(soon.status, "warn");
        assert.match(soon.detail, /, 5 days left$/);
        assert.match(soon.fix!, /renewal is overdue/);
        const late = judgeCertificate(served, target(port), new Date(validTo + 60_000));
        assert.strictEqual(late.status, "fail");
        assert.match(late.detail, /expired/);
    });

    it("nothing listening: fail at once with the connection error", async () => {
        const closed = await startHttpsServer(certs.selfSigned("gone", `/CN=${HOST}`, { names: [HOST] }));
        await closed.close();
        const verdict = await checkTls(target(closed.port), { connectHost: "127.0.0.1" }).catch((e: Error) => ({ status: "fail", detail: e.message }));
        assert.strictEqual(verdict.status, "fail");
        assert.match(verdict.detail, /no TLS connection to hub\.esipfed\.org:\d+ \(at 127\.0\.0\.1\): ECONNREFUSED/);
    });
});
