import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AutomationDouble, FakeSite } from "../cli/automation-double";
import { credentialsOf, makeAccounts, TestAccount } from "../hub/accounts";
import { hubRootMissing, LocalHub, startLocalHub } from "../hub/localhub";
import { Named, requireTool, startNamed } from "../dns/named";
import { CertFactory, startTlsProxy, TlsServer } from "./certs";
import { doctorJson, esiphub, LOCAL_SITE_STACK, plain, secret, testProject } from "./doctorcli";
import { ScriptedCluster, startScriptedCluster } from "./kubeapi";

const HOST = "hub.esipfed.org";
/** The local site with a hostname: TLS from Let's Encrypt, whose name the test's named resolves to 127.0.0.1. */
const TLS_SITE_STACK = `${LOCAL_SITE_STACK}  esiphub:hubHostname: ${HOST}\n  esiphub:letsEncryptEmail: esiphub-admins@esipfed.org\n`;

describe("esiphub doctor SITE (on the Automation API double)", function () {
    let tmp: string;
    let projectDir: string;
    let binDir: string;

    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-doctor-site-"));
        ({ projectDir, binDir } = testProject(tmp));
        fs.writeFileSync(path.join(projectDir, "Pulumi.tlssite.yaml"), TLS_SITE_STACK);
    });

    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const doctor = (args: string[], double: AutomationDouble) => esiphub(["doctor", ...args], { automation: double, path: binDir, projectDir });

    it("a site that was never deployed: one line saying so", async () => {
        const run = await doctor(["rehearsal"], new AutomationDouble({ rehearsal: { exists: true, outputs: {} } }));
        assert.strictEqual(run.code, 1);
        assert.strictEqual(run.stderr, 'esiphub: site "rehearsal" has no hubUrl output (is it deployed? run `esiphub up rehearsal`)\n');
    });

    it("a site or a hub, not both; a hub needs its accounts", async () => {
        const both = await doctor(["rehearsal", "--hub", "http://127.0.0.1:1", "--credentials", "x.csv"], new AutomationDouble({}));
        assert.match(both.stderr, /^esiphub: doctor: give a site \(doctor SITE\), or a hub and its accounts \(doctor --hub URL --credentials FILE\), not both\n$/);
        const noAccounts = await doctor(["--hub", "http://127.0.0.1:1"], new AutomationDouble({}));
        assert.match(noAccounts.stderr, /^esiphub: doctor: --hub needs --credentials FILE/);
        const unknownUser = await doctor(["rehearsal", "--user", "nobody"], new AutomationDouble({ rehearsal: { exists: true, outputs: { hubUrl: plain("http://127.0.0.1:1"), credentials: secret([{ username: "instructor", password: "p" }]) } } }));
        assert.match(unknownUser.stderr, /^esiphub: doctor: --user nobody: no such account \(accounts: instructor\)\n$/);
    });

    describe("every layer: DNS (a real named), TLS (a proxy with a staging-shaped chain), JupyterHub 5 and a scripted cluster", () => {
        let hub: LocalHub;
        let accounts: TestAccount[];
        let certs: CertFactory;
        let cluster: ScriptedCluster;
        let named: Named;
        let proxy: TlsServer;

        before(async function () {
            const missing = hubRootMissing();
            if (missing) {
                console.log(`      skipped: ${missing}`);
                this.skip();
            }
            requireTool(this, "openssl", "openssl");
            accounts = makeAccounts(["workshop-01", "workshop-02", "workshop-03", "instructor"]);
            hub = await startLocalHub({ credentials: credentialsOf(accounts), adminUsers: ["instructor"], singleuser: { memoryLimit: "8G", readme: "# Quickstart\n", shared: true } });
            certs = new CertFactory();
            cluster = await startScriptedCluster("healthy");
            named = await startNamed(this, "hub\t300\tIN\tA\t127.0.0.1\n");
            // What a rehearsal stack's autohttps serves: a certificate from Let's Encrypt's staging hierarchy.
            const root = certs.selfSigned("stg-root", "/C=US/O=(STAGING) Internet Security Research Group/CN=(STAGING) Pretend Pear X1", { ca: true });
            const intermediate = certs.signed("stg-int", "/C=US/O=(STAGING) Let's Encrypt/CN=(STAGING) Ersatz Edamame E1", root, { ca: true });
            proxy = await startTlsProxy(certs.signed("stg-hub", `/CN=${HOST}`, intermediate, { names: [HOST] }), [intermediate.cert], Number(new URL(hub.url).port));
        });

        after(async () => {
            await proxy?.close();
            await named?.stop();
            await cluster?.close();
            certs?.remove();
            await hub?.stop();
        });

        const site = (tlsStaging: boolean): AutomationDouble => {
            const fake: FakeSite = {
                exists: true,
                outputs: {
                    tlsStaging: plain(tlsStaging),
                    // The stack's hubUrl is https://hub.esipfed.org; the port is the test proxy's.
                    hubUrl: plain(`https://${HOST}:${proxy.port}`),
                    publicIp: plain("127.0.0.1"),
                    adminUsers: plain(["instructor"]),
                    credentials: secret(accounts.map(({ username, password }) => ({ username, password }))),
                    kubeconfig: secret(cluster.kubeconfig),
                },
            };
            return new AutomationDouble({ tlssite: fake });
        };

        it("a hub deployed with letsEncryptStaging (tlsStaging output): every check passes, through the staging certificate, with the admin", async () => {
            const run = await doctor(["tlssite", "--json", "--resolver", named.address], site(true));
            const report = doctorJson(run);
            assert.strictEqual(run.code, 0, run.stdout + run.stderr);
            assert.strictEqual(report.site, "tlssite");
            assert.deepStrictEqual(
                report.checks.map((c) => `${c.name} ${c.status}`),
                ["dns", "tls", "hub", "login-page", "login", "server", "page", "home", "memory", "stop", "nodes", "calico", "provisioner", "probe-claim", "image", "capacity", "crashloop"].map((n) => `${n} pass`),
            );
            const detail = (name: string) => report.checks.find((c) => c.name === name)!.detail;
            assert.strictEqual(detail("dns"), `hub.esipfed.org resolves to 127.0.0.1 alone (${named.address})`);
            assert.match(detail("tls"), /^valid for hub\.esipfed\.org, issued by \(STAGING\) Ersatz Edamame E1 \(Let's Encrypt staging, as the stack asks: browsers will warn\), \d+ days left$/);
            assert.match(detail("login"), /^instructor logged in/);
            assert.strictEqual(detail("memory"), "MEM_LIMIT 8589934592 (8.0 GiB), as esiphub:memoryLimit 8G");
            assert.deepStrictEqual(cluster.leftovers(), []);
        });

        it("the same hub when the stack asked for production certificates: tls fails, and the hub is not trusted either", async () => {
            const run = await doctor(["tlssite", "--json", "--resolver", named.address], site(false));
            const report = doctorJson(run);
            assert.strictEqual(run.code, 1);
            const tls = report.checks.find((c) => c.name === "tls")!;
            assert.strictEqual(tls.status, "fail");
            assert.match(tls.detail, /STAGING server/);
            const hubCheck = report.checks.find((c) => c.name === "hub")!;
            assert.strictEqual(hubCheck.status, "fail");
            assert.match(hubCheck.detail, /issuer certificate/i);
        });
    });
});
