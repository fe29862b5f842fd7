import * as assert from "assert";
import { request } from "undici";
import { hubAgent, isStagingName, TrustOptions } from "../../cli/loadtest/trust";
import { requireTool } from "../dns/named";
import { CertFactory, KeyPair, startHttpsServer, TlsServer } from "../doctor/certs";

/** The servers listen on 127.0.0.1; "localhost" is the name in their certificates and in the requests. */
const NAME = "localhost";

describe("load tester: TLS trust (cli/loadtest/trust.ts)", function () {
    let certs: CertFactory;
    let localCa: KeyPair;
    let staging: TlsServer;
    let stagingOtherName: TlsServer;
    let selfSigned: TlsServer;
    let localSigned: TlsServer;

    const get = async (server: TlsServer, trust: TrustOptions): Promise<number | string> => {
        const agent = hubAgent(trust);
        try {
            const res = await request(`https://${NAME}:${server.port}/hub/api`, { dispatcher: agent });
            await res.body.text();
            return res.statusCode;
        } catch (e) {
            return (e as Error).message;
        } finally {
            await agent.close();
        }
    };

    before(async function () {
        requireTool(this, "openssl", "openssl");
        certs = new CertFactory();
        localCa = certs.selfSigned("local-ca", "/O=ESIPHub tests/CN=ESIPHub Test CA", { ca: true });
        // Shaped like Let's Encrypt's staging hierarchy (https://letsencrypt.org/docs/staging-environment/).
        const root = certs.selfSigned("stg-root", "/C=US/O=(STAGING) Internet Security Research Group/CN=(STAGING) Pretend Pear X1", { ca: true });
        const intermediate = certs.signed("stg-int", "/C=US/O=(STAGING) Let's Encrypt/CN=(STAGING) Riddling Rhubarb R12", root, { ca: true });
        staging = await startHttpsServer(certs.signed("stg-leaf", `/CN=${NAME}`, intermediate, { names: [NAME] }), [intermediate.cert]);
        stagingOtherName = await startHttpsServer(certs.signed("stg-other", "/CN=hub.example.org", intermediate, { names: ["hub.example.org"] }), [intermediate.cert]);
        selfSigned = await startHttpsServer(certs.selfSigned("self", `/CN=${NAME}`, { names: [NAME] }));
        localSigned = await startHttpsServer(certs.signed("local-leaf", `/CN=${NAME}`, localCa, { names: [NAME] }));
    });

    after(async () => {
        await Promise.all([staging, stagingOtherName, selfSigned, localSigned].filter(Boolean).map((s) => s.close()));
        certs?.remove();
    });

    it("Node's roots alone refuse a staging certificate", async () => {
        assert.match(String(await get(staging, {})), /issuer certificate|UNABLE_TO_GET_ISSUER_CERT/i);
    });

    it("acceptStaging lets a valid staging certificate for the name through", async () => {
        assert.strictEqual(await get(staging, { acceptStaging: true }), 200);
    });

    it("acceptStaging still refuses a staging certificate for another name, and a self-signed one", async () => {
        assert.match(String(await get(stagingOtherName, { acceptStaging: true })), /not valid for localhost/);
        assert.match(String(await get(selfSigned, { acceptStaging: true })), /DEPTH_ZERO_SELF_SIGNED_CERT/);
    });

    it("extraCa trusts a certificate of that CA, and only with it", async () => {
        assert.strictEqual(await get(localSigned, { extraCa: [localCa.cert] }), 200);
        assert.match(String(await get(localSigned, {})), /unable to verify the first certificate/i);
    });

    it("isStagingName reads the (STAGING) prefix of O or CN only", () => {
        assert.ok(isStagingName("C=US\nO=(STAGING) Let's Encrypt\nCN=(STAGING) Ersatz Edamame E1"));
        assert.ok(!isStagingName("C=US\nO=Let's Encrypt\nCN=R11"));
        assert.ok(!isStagingName("C=US\nO=Example (STAGING) Corp\nCN=R11"));
    });
});
