import * as assert from "assert";
import * as https from "https";
import * as net from "net";
import { request } from "undici";
import WebSocket, { WebSocketServer } from "ws";
import { ConnectOptions, hubAgent, isStagingName, websocketOptions } from "../../cli/loadtest/trust";
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

    const get = async (server: TlsServer, trust: ConnectOptions): Promise<number | string> => {
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

    it("acceptStaging lets a valid staging certificate for the name through, on every new connection", async () => {
        const agent = hubAgent({ acceptStaging: true });
        try {
            for (let i = 0; i < 3; i++) {
                // A new connection each time (the server closes it), where TLS would resume the last session.
                const res = await request(`https://${NAME}:${staging.port}/hub/api`, { dispatcher: agent, headers: { connection: "close" } });
                await res.body.text();
                assert.strictEqual(res.statusCode, 200, `request ${i + 1}`);
            }
        } finally {
            await agent.close();
        }
    });

    it("acceptStaging still refuses a staging certificate for another name, and a self-signed one", async () => {
        assert.match(String(await get(stagingOtherName, { acceptStaging: true })), /not valid for localhost/);
        assert.match(String(await get(selfSigned, { acceptStaging: true })), /DEPTH_ZERO_SELF_SIGNED_CERT/);
    });

    it("extraCa trusts a certificate of that CA, and only with it", async () => {
        assert.strictEqual(await get(localSigned, { extraCa: [localCa.cert] }), 200);
        assert.match(String(await get(localSigned, {})), /unable to verify the first certificate/i);
    });

    describe("the kernel's websocket (the ws package's own connection)", () => {
        const servers: https.Server[] = [];
        let upgrades = 0;
        const wss = async (leaf: KeyPair, chain: string[] = []) => {
            const server = https.createServer({ key: leaf.key, cert: [leaf.cert, ...chain].join("") });
            new WebSocketServer({ server }).on("connection", (socket) => socket.send("hello"));
            server.on("upgrade", () => upgrades++);
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            servers.push(server);
            return (server.address() as net.AddressInfo).port;
        };
        const open = (port: number, connect: ConnectOptions) =>
            new Promise<string>((resolve) => {
                const socket = new WebSocket(`wss://${NAME}:${port}/`, { ...websocketOptions(connect), headers: { cookie: "jupyterhub-session=secret" } });
                socket.on("message", (data) => {
                    resolve(String(data));
                    socket.close();
                });
                socket.on("error", (e) => resolve(e.message));
            });

        after(() => servers.forEach((s) => s.close()));

        it("acceptStaging opens it to a staging certificate; a self-signed one gets not even the upgrade request", async () => {
            const root = certs.selfSigned("ws-root", "/C=US/O=(STAGING) Internet Security Research Group/CN=(STAGING) Pretend Pear X1", { ca: true });
            const intermediate = certs.signed("ws-int", "/C=US/O=(STAGING) Let's Encrypt/CN=(STAGING) Ersatz Edamame E1", root, { ca: true });
            const staging = await wss(certs.signed("ws-leaf", `/CN=${NAME}`, intermediate, { names: [NAME] }), [intermediate.cert]);
            assert.strictEqual(await open(staging, { acceptStaging: true }), "hello");
            assert.match(await open(staging, {}), /issuer certificate/i);
            const before = upgrades;
            const self = await wss(certs.selfSigned("ws-self", `/CN=${NAME}`, { names: [NAME] }));
            assert.match(await open(self, { acceptStaging: true }), /TLS: DEPTH_ZERO_SELF_SIGNED_CERT/);
            assert.strictEqual(upgrades, before, "the request with the cookie was never sent");
        });

        it("extraCa: a certificate of that CA", async () => {
            const port = await wss(certs.signed("ws-local", `/CN=${NAME}`, localCa, { names: [NAME] }));
            assert.strictEqual(await open(port, { extraCa: [localCa.cert] }), "hello");
        });
    });

    it("isStagingName reads the (STAGING) prefix of O or CN only", () => {
        assert.ok(isStagingName("C=US\nO=(STAGING) Let's Encrypt\nCN=(STAGING) Ersatz Edamame E1"));
        assert.ok(!isStagingName("C=US\nO=Let's Encrypt\nCN=R11"));
        assert.ok(!isStagingName("C=US\nO=Example (STAGING) Corp\nCN=R11"));
    });
});
