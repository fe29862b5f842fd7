import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { CliDeps, runCli } from "../../cli/esiphub";
import { findExecutable } from "../../cli/automation";
import { describeCertificate, storedCertificates, tlsRetry, TlsRetryDeps } from "../../cli/tlsretry";
import { ACME_SERVERS } from "../../components/jupyterhub/values";
import { PROJECT_DIR } from "../mocks";
import { AutomationDouble } from "./automation-double";
import { acmeJson, ClusterScript, issuedCertificate, makePki, Pki, ScriptedCluster } from "./k8s-api";
import { Capture } from "../capture";

const HOST = "hub.esipfed.org";
const PRODUCTION = { o: "Let's Encrypt", cn: "R11" };
const STAGING = { o: "(STAGING) Let's Encrypt", cn: "(STAGING) Counterfeit Cashew R10" };

class OperatorError extends Error {}

describe("esiphub tls-retry (cli/tlsretry.ts) against a scripted Kubernetes API on 127.0.0.1", function () {
    let pki: Pki;
    let productionAcme: string;
    let stagingAcme: string;
    let cluster: ScriptedCluster | undefined;

    before(function () {
        if (!findExecutable("openssl", process.env.PATH)) {
            if (process.env.CI === "true") throw new Error("openssl is missing: install the Debian package openssl (listed in .ci/apt-packages.txt)");
            console.log("    skipped: openssl is not installed (apt-get install openssl)");
            this.skip();
        }
        pki = makePki();
        productionAcme = acmeJson(ACME_SERVERS.production, [{ host: HOST, chain: issuedCertificate(pki, HOST, PRODUCTION) }]);
        stagingAcme = acmeJson(ACME_SERVERS.staging, [{ host: HOST, chain: issuedCertificate(pki, HOST, STAGING) }]);
    });

    after(function () {
        if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
    });

    afterEach(async function () {
        await cluster?.stop();
        cluster = undefined;
    });

    async function startCluster(script: Partial<ClusterScript>): Promise<ScriptedCluster> {
        cluster = new ScriptedCluster(pki, { namespace: "jhub", host: HOST, ...script });
        await cluster.start();
        return cluster;
    }

    function outputs(c: ScriptedCluster, extra: OutputMap = {}): OutputMap {
        return {
            hubUrl: { value: `https://${HOST}`, secret: false },
            tls: { value: true, secret: false },
            tlsStaging: { value: false, secret: false },
            kubeconfig: { value: c.kubeconfig(), secret: true },
            ...extra,
        };
    }

    /** tlsRetry with the outputs of a deployed site, polling the scripted API quickly. */
    async function retry(out: OutputMap, options: { forget?: boolean; timeout?: number } = {}): Promise<{ stdout: string; error?: Error }> {
        const stdout = new Capture();
        const deps: TlsRetryDeps = {
            stdout,
            outputs: async () => out,
            hubNamespace: () => "jhub",
            error: (m) => new OperatorError(m),
            pollMs: 20,
        };
        try {
            await tlsRetry(deps, "jetstream", { forget: options.forget, timeout: options.timeout ?? 300 });
            return { stdout: stdout.text };
        } catch (e) {
            if (!(e instanceof OperatorError)) throw e;
            return { stdout: stdout.text, error: e };
        }
    }

    const calls = (c: ScriptedCluster) => c.requests.map((r) => `${r.method} ${r.path.replace(/^\/api\/v1\/namespaces\/jhub\/|^\/apis\/apps\/v1\/namespaces\/jhub\//, "")}`);

    it("reads the certificates Traefik stored: issuer, expiry, staging or not", function () {
        const [production] = storedCertificates(productionAcme);
        assert.strictEqual(production.domain, HOST);
        assert.strictEqual(production.issuer, "O=Let's Encrypt, CN=R11");
        assert.strictEqual(production.staging, false);
        const [staging] = storedCertificates(stagingAcme);
        assert.strictEqual(staging.staging, true);
        assert.match(describeCertificate(staging), /^hub\.esipfed\.org: issued by O=\(STAGING\) Let's Encrypt, CN=\(STAGING\) Counterfeit Cashew R10 \(Let's Encrypt staging: not trusted by browsers\), valid until \d{4}-\d\d-\d\d$/);
        assert.deepStrictEqual(storedCertificates(JSON.stringify({ default: { Account: {}, Certificates: null } })), []);
    });

    it("no certificate (the first request failed): restarts the autohttps pod, waits for it and for the certificate", async function () {
        const c = await startCluster({ acme: acmeJson(ACME_SERVERS.production, []), obtains: productionAcme });
        const [oldPod] = c.podNames();
        const { stdout, error } = await retry(outputs(c));
        assert.strictEqual(error, undefined, `${error?.message}\n${stdout}`);
        assert.match(stdout, /^No certificate stored for hub\.esipfed\.org: Let's Encrypt's first attempt failed/m);
        assert.match(stdout, new RegExp(`^Restarting ${oldPod}$`, "m"));
        assert.match(stdout, /^autohttps-\S+ is ready: Traefik asks Let's Encrypt for hub\.esipfed\.org now$/m);
        assert.match(stdout, /^Certificate stored for hub\.esipfed\.org: issued by O=Let's Encrypt, CN=R11, valid until /m);
        assert.ok(!c.podNames().includes(oldPod));
        // A plain restart: the stored account stays, nothing is scaled.
        assert.deepStrictEqual(calls(c).filter((x) => !x.startsWith("GET ")), [`DELETE pods/${oldPod}`]);
    });

    it("after the switch from staging to production: forgets the staging certificate with no pod running, then gets a real one", async function () {
        const c = await startCluster({ acme: stagingAcme, obtains: productionAcme });
        const { stdout, error } = await retry(outputs(c));
        assert.strictEqual(error, undefined, `${error?.message}\n${stdout}`);
        assert.match(stdout, /Stored certificate for hub\.esipfed\.org: issued by .*\(STAGING\)/);
        assert.match(stdout, /The site now asks Let's Encrypt's production server: forgetting the staging certificate/);
        assert.match(stdout, /^Certificate stored for hub\.esipfed\.org: issued by O=Let's Encrypt, CN=R11/m);
        const changes = c.requests.filter((r) => r.method !== "GET");
        assert.deepStrictEqual(
            changes.map((r) => `${r.method} ${r.path.split("/").slice(-2).join("/")}`),
            ["PUT autohttps/scale", "DELETE secrets/proxy-public-tls-acme", "PUT autohttps/scale"],
        );
        // Deleted only once no pod was left whose secret-sync would have saved the staging state back.
        assert.strictEqual(changes[1].podsAlive, 0);
        assert.deepStrictEqual(storedCertificates(c.storedAcme()!).map((s) => s.staging), [false]);
    });

    it("a valid stored certificate: restarts, and says Traefik reuses it unless --forget", async function () {
        const c = await startCluster({ acme: productionAcme, obtains: productionAcme });
        const { stdout, error } = await retry(outputs(c));
        assert.strictEqual(error, undefined, error?.message);
        assert.match(stdout, /Traefik reuses the stored certificate \(hub\.esipfed\.org: issued by O=Let's Encrypt, CN=R11, .*\); pass --forget to ask for a new one/);
        assert.ok(!calls(c).some((x) => x.includes("scale") || x.includes("secrets/") && x.startsWith("DELETE")));
    });

    it("--forget: deletes the stored state even of a good certificate, and waits for a new one", async function () {
        const c = await startCluster({ acme: productionAcme, obtains: productionAcme });
        const { error } = await retry(outputs(c), { forget: true });
        assert.strictEqual(error, undefined, error?.message);
        assert.ok(calls(c).includes("DELETE secrets/proxy-public-tls-acme"));
    });

    it("Let's Encrypt refuses again: fails, saying what to check, once the time is up", async function () {
        const c = await startCluster({ acme: acmeJson(ACME_SERVERS.production, []) });
        const { error } = await retry(outputs(c), { timeout: 10 });
        assert.ok(error);
        assert.match(error.message, /^no certificate for hub\.esipfed\.org within 10 s\. Check that hub\.esipfed\.org resolves to the hub \(`esiphub dns jetstream`\)/);
        assert.match(error.message, /kubectl -n jhub logs deploy\/autohttps -c traefik/);
    });

    it("a site without HTTPS, or without a kubeconfig, fails before contacting anything", async function () {
        const c = await startCluster({});
        const plain = await retry({ ...outputs(c), tls: { value: false, secret: false } });
        assert.match(plain.error!.message, /serves plain HTTP \(no esiphub:hubHostname\): there is no certificate to ask for/);
        const noKubeconfig = await retry({ ...outputs(c), kubeconfig: { value: "", secret: true } });
        assert.match(noKubeconfig.error!.message, /has no kubeconfig output/);
        assert.deepStrictEqual(c.requests, []);
    });

    it("no autohttps pod: says so, naming the labels it looked for", async function () {
        const c = await startCluster({ pods: 0 });
        const { error } = await retry(outputs(c));
        assert.match(error!.message, /no autohttps pod in namespace jhub \(labels component=autohttps,release=jupyterhub\)/);
    });

    it("a kubeconfig the cluster does not accept: one line with the API server's answer", async function () {
        const c = await startCluster({});
        const { error } = await retry(outputs(c, { kubeconfig: { value: c.kubeconfig({ cert: pki.strangerCert, key: pki.strangerKey }), secret: true } }));
        assert.match(error!.message, new RegExp(`^the cluster's API \\(${c.url.replace(/\./g, "\\.")}\\): HTTP 403: .*system:anonymous.*$`));
    });

    describe("as a command of the esiphub CLI, through the Automation API double", function () {
        let tmp: string;
        before(function () {
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-tls-retry-"));
            fs.mkdirSync(path.join(tmp, "bin"));
            // Found on PATH by the CLI's preflight, never run: the double stands in for it.
            fs.writeFileSync(path.join(tmp, "bin", "pulumi"), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
        });
        after(() => fs.rmSync(tmp, { recursive: true, force: true }));

        async function cli(args: string[], out: OutputMap) {
            const stdout = new Capture();
            const stderr = new Capture();
            const double = new AutomationDouble({ jetstream: { outputs: out } });
            const deps: CliDeps = { projectDir: PROJECT_DIR, env: { PATH: path.join(tmp, "bin") }, homeDir: tmp, stdout, stderr, automation: double };
            const code = await runCli(args, deps);
            return { code, stdout: stdout.text, stderr: stderr.text, calls: double.calls };
        }

        it("`esiphub tls-retry jetstream` reads the stack's outputs and restarts Traefik in the site's namespace", async function () {
            const c = await startCluster({ acme: acmeJson(ACME_SERVERS.production, []), obtains: productionAcme });
            const r = await cli(["tls-retry", "jetstream"], outputs(c));
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.calls, ["stack jetstream select", "outputs jetstream"]);
            assert.match(r.stdout, /^Certificate stored for hub\.esipfed\.org/m);
        });

        it("errors are one `esiphub:` line; a bad --timeout is refused by the parser", async function () {
            const c = await startCluster({});
            const plain = await cli(["tls-retry", "jetstream"], { ...outputs(c), tls: { value: false, secret: false } });
            assert.strictEqual(plain.code, 1);
            assert.match(plain.stderr, /^esiphub: site "jetstream" serves plain HTTP/);
            assert.strictEqual(plain.stderr.trimEnd().split("\n").length, 1);
            const bad = await cli(["tls-retry", "jetstream", "--timeout", "2"], outputs(c));
            assert.notStrictEqual(bad.code, 0);
            assert.match(bad.stderr, /must be an integer from 10 to 3600/);
        });
    });
});
