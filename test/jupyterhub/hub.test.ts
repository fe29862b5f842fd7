import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { SiteConfig, sslipHostname } from "../../components/config";
import { ClusterHosts, ClusterNode } from "../../components/hosts";
import { PASSWORD_CHARACTERS, PASSWORD_LENGTH } from "../../components/jupyterhub/accounts";
import { CREDENTIALS_SECRET_NAME, HUB_SECRET_NAME, HubStorage, JupyterHub } from "../../components/jupyterhub/hub";
import { COOKIE_SECRET_KEY, CREDENTIALS_KEY } from "../../components/jupyterhub/values";
import { planJson } from "../../cli/plan";
import { findResource, planProgram, PlanResult, PROJECT_DIR, resourcesOfType, runStack, SITES, testConfig } from "../mocks";
import { chartSchemaDir, describeErrors, loadChartSchema } from "./helm";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const MASTER_IP = "10.42.0.10";
const PUBLIC_IP = "203.0.113.7";
const CREDENTIALS = /-credentials$/;
const HUB_SECRET = /-hub-secret$/;
/** A plain-HTTP site (development only): Nebula without its automatic name. */
const PLAIN = { "esiphub:hubHostname": "", "esiphub:allowPlainHttp": "true" };

/** Stand-ins for what the cloud, storage and DNS layers hand to the hub. */
function stubLayers(config: SiteConfig): { hosts: ClusterHosts; storage: HubStorage; provider: k8s.Provider; dnsReady: pulumi.Resource | undefined } {
    const stub = (name: string) => new pulumi.ComponentResource("test:stub:Resource", name);
    const node = (name: string, role: ClusterNode["role"], ip: string): ClusterNode => ({
        name,
        role,
        privateIp: pulumi.output(ip),
        connection: pulumi.output({ host: ip, user: "ubuntu" }),
        hostKey: pulumi.output("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIStandInHostKeyOfTheNode"),
        instance: stub(`${name}-vm`),
    });
    const master = node("master", "master", MASTER_IP);
    const hosts: ClusterHosts = {
        master,
        workers: [node("worker-1", "worker", "10.42.0.11")],
        nfs: master,
        publicIp: pulumi.output(PUBLIC_IP),
        dataVolume: { id: pulumi.output("vol-1"), serial: pulumi.output("0c9d2a4e-5b7f-4e3a-9c1d-2f6e8a0b4c7d"), attachment: stub("data-attachment") },
        sshCommand: pulumi.output(`ssh ubuntu@${PUBLIC_IP}`),
    };
    const provider = new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
    // The storage layer's readiness: a real (custom) resource, since dependsOn on an empty component is dropped.
    const namespace = new k8s.core.v1.Namespace("storage-ready", { metadata: { name: "jhub" } }, { provider });
    const storage: HubStorage = {
        namespace: namespace.metadata.name,
        storageClassName: pulumi.output("nfs-client"),
        scratchClaimName: pulumi.output("shared-scratch"),
        materialsClaimName: pulumi.output("materials"),
        hubDbClaimName: pulumi.output("hub-db"),
        ready: [namespace],
    };
    // The dns-ready step: a custom resource, as ../dns/records.ts makes it.
    const dnsReady = config.hub.tls ? new k8s.core.v1.ConfigMap("dns-ready", {}, { provider }) : undefined;
    return { hosts, storage, provider, dnsReady };
}

function planHub(config: SiteConfig, layers: Partial<ReturnType<typeof stubLayers>> = {}): Promise<PlanResult> {
    return planProgram(config.site, () => {
        const hub = new JupyterHub("hub", { config, ...stubLayers(config), ...layers });
        return { hubUrl: hub.hubUrl, credentials: hub.credentials, adminUsers: hub.adminUsers, tls: hub.tls, tlsStaging: hub.tlsStaging };
    });
}

describe("JupyterHub component (components/jupyterhub/hub.ts) under mocks", function () {
    for (const site of SITES) {
        describe(`${site} stack`, function () {
            const config = testConfig(site);
            let result: PlanResult;

            before(async function () {
                result = await planHub(config);
            });

            it("installs jupyterhub 4.4.0 from the Z2JH repo on the cluster's provider, after storage and the accounts", function () {
                const release = findResource(result, RELEASE, /(^|-)hub-release$/);
                assert.strictEqual(release.inputs.chart, "jupyterhub");
                assert.strictEqual(release.inputs.version, "4.4.0");
                assert.deepStrictEqual(release.inputs.repositoryOpts, { repo: "https://hub.jupyter.org/helm-chart/" });
                assert.strictEqual(release.inputs.namespace, "jhub");
                assert.match(release.provider ?? "", /::k8s::/);
                const ready = result.resources.find((r) => r.name === "storage-ready")!;
                for (const secret of [findResource(result, SECRET, CREDENTIALS), findResource(result, SECRET, HUB_SECRET)]) {
                    assert.ok(release.dependencies.includes(secret.urn), `the release does not wait for ${secret.name}`);
                }
                assert.ok(release.dependencies.includes(ready.urn));
            });

            it("holds no secret in the values: the cookie secret is in a Secret the chart reads (hub.existingSecret), the proxy token the chart's own", function () {
                const release = findResource(result, RELEASE);
                const values = release.inputs.values as any;
                assert.doesNotMatch(JSON.stringify(values), /\[secret\]/);
                assert.strictEqual(values.hub.cookieSecret, undefined);
                assert.strictEqual(values.proxy.secretToken, undefined);
                // The chart reads hub.config.JupyterHub.cookie_secret from the Secret named by hub.existingSecret, mounted at
                // /usr/local/etc/jupyterhub/existing-secret/ (z2jh 4.4.0 templates/hub/deployment.yaml; files/hub/z2jh.py
                // get_secret_value asks existing-secret/ before secret/). It must be in the release's namespace.
                const hubSecret = findResource(result, SECRET, HUB_SECRET);
                assert.deepStrictEqual(hubSecret.inputs.metadata, { name: HUB_SECRET_NAME, namespace: release.inputs.namespace });
                assert.strictEqual(values.hub.existingSecret, HUB_SECRET_NAME);
                assert.strictEqual(hubSecret.inputs.stringData, "[secret]");
                const stringData = result.rawInputs.get(hubSecret.urn)!.stringData as Record<string, string>;
                assert.deepStrictEqual(Object.keys(stringData), [COOKIE_SECRET_KEY]);
                assert.match(stringData[COOKIE_SECRET_KEY], /^[0-9a-f]{64}$/);
                // The proxy token: CONFIGPROXY_AUTH_TOKEN of the hub and the proxy comes from the chart's own Secret only
                // (hub.existingSecret's documented exception); with neither proxy.secretToken nor
                // hub.config.ConfigurableHTTPProxy.auth_token given, the chart generates it at install and keeps it with
                // `lookup` (templates/hub/_helpers-passwords.tpl). So no value may set it.
                assert.strictEqual(values.hub.config.ConfigurableHTTPProxy, undefined);
                // The rest stays readable in a preview.
                assert.deepStrictEqual(values.proxy.service.externalIPs, [MASTER_IP]);
                assert.strictEqual(values.singleuser.storage.dynamic.storageClass, "nfs-client");
                assert.strictEqual(values.hub.extraVolumes[0].secret.secretName, CREDENTIALS_SECRET_NAME);
            });

            it("passes values the chart's schema accepts", function () {
                const chart = loadChartSchema(chartSchemaDir(PROJECT_DIR));
                if (!chart) {
                    console.log(`    skipped: no z2jh schema in ${chartSchemaDir(PROJECT_DIR)} (see values.test.ts)`);
                    this.skip();
                }
                const release = findResource(result, RELEASE, /(^|-)hub-release$/);
                const errors = chart!.validate(result.rawInputs.get(release.urn)!.values as Record<string, unknown>);
                assert.deepStrictEqual(errors, [], describeErrors(errors));
            });

            it("makes one readable RandomPassword per account and a hex cookie secret", function () {
                const passwords = resourcesOfType(result, PASSWORD);
                const accounts = passwords.filter((p) => /-password-/.test(p.name));
                assert.deepStrictEqual(
                    accounts.map((p) => p.name),
                    config.hub.users.map((u) => `hub-password-${u}`),
                );
                for (const p of accounts) {
                    assert.deepStrictEqual(
                        { length: p.inputs.length, upper: p.inputs.upper, lower: p.inputs.lower, numeric: p.inputs.numeric, special: p.inputs.special, overrideSpecial: p.inputs.overrideSpecial },
                        { length: PASSWORD_LENGTH, upper: false, lower: false, numeric: false, special: true, overrideSpecial: PASSWORD_CHARACTERS },
                    );
                }
                const hex = passwords.filter((p) => !/-password-/.test(p.name));
                assert.deepStrictEqual(hex.map((p) => p.name), ["hub-cookie-secret"]);
                for (const p of hex) assert.deepStrictEqual([p.inputs.length, p.inputs.overrideSpecial], [64, "0123456789abcdef"]);
            });

            it("gives the hub every account's bcrypt hash in a Secret, secret in the plan", function () {
                const secret = findResource(result, SECRET, CREDENTIALS);
                assert.deepStrictEqual(secret.inputs.metadata, { name: CREDENTIALS_SECRET_NAME, namespace: "jhub" });
                assert.strictEqual(secret.inputs.stringData, "[secret]");
                const raw = JSON.parse((result.rawInputs.get(secret.urn)!.stringData as Record<string, string>)[CREDENTIALS_KEY]);
                assert.deepStrictEqual(Object.keys(raw), config.hub.users);
                for (const hash of Object.values(raw)) assert.match(hash as string, /^\$2[aby]\$\d\d\$/);
            });

            it("outputs the hub's https URL (the automatic name from the public IP on Nebula), the admins, and the credentials as a secret", function () {
                const expectedUrl = `https://${config.hub.hostname ?? sslipHostname(PUBLIC_IP)}`;
                assert.strictEqual(result.outputs.hubUrl, expectedUrl);
                assert.strictEqual(result.outputs.tls, true);
                assert.deepStrictEqual(result.outputs.adminUsers, config.hub.adminUsers);
                assert.strictEqual(result.outputs.credentials, "[secret]");
                const credentials = result.rawOutputs.credentials as { username: string; password: string }[];
                assert.deepStrictEqual(credentials.map((c) => c.username), config.hub.users);
                for (const c of credentials) assert.strictEqual(c.password.length, PASSWORD_LENGTH);
            });
        });
    }

    it("adding a user adds its password and leaves the others' names unchanged", async function () {
        const before = await planHub(testConfig("nebula"));
        const after = await planHub(testConfig("nebula", { "esiphub:extraUsers": '["instructor", "helper", "guest"]' }));
        const names = (r: PlanResult) => resourcesOfType(r, PASSWORD).map((p) => p.urn);
        const added = names(after).filter((u) => !names(before).includes(u));
        assert.deepStrictEqual(added.map((u) => u.split("::").pop()), ["hub-password-guest"]);
        assert.deepStrictEqual(names(before).filter((u) => !names(after).includes(u)), []);
    });

    it("with a hostname, given or automatic, the release (HTTPS on) waits for the dns-ready step; plain HTTP has none to wait for", async function () {
        for (const site of ["jetstream", "nebula"] as const) {
            const tls = await planHub(testConfig(site));
            const release = findResource(tls, RELEASE, /(^|-)hub-release$/);
            const dnsReady = tls.resources.find((r) => r.name === "dns-ready")!;
            assert.ok(release.dependencies.includes(dnsReady.urn), `${site}: the release does not wait for DNS`);
        }
        const plain = await planHub(testConfig("nebula", PLAIN));
        assert.strictEqual(plain.resources.find((r) => r.name === "dns-ready"), undefined);
        assert.strictEqual(plain.outputs.hubUrl, `http://${PUBLIC_IP}`);
        assert.strictEqual(plain.outputs.tls, false);
    });

    it("the automatic name is the configured public IP's when esiphub:publicIp is set", async function () {
        const kept = await planHub(testConfig("nebula", { "esiphub:publicIp": "192.0.2.44" }));
        assert.strictEqual(kept.outputs.hubUrl, "https://192-0-2-44.sslip.io");
        assert.deepStrictEqual((findResource(kept, RELEASE).inputs.values as any).proxy.https.hosts, ["192-0-2-44.sslip.io"]);
    });

    it("refuses HTTPS without a dns-ready step to wait for", async function () {
        await assert.rejects(planHub(testConfig("jetstream"), { dnsReady: undefined }), /hubHostname is set but the hub has no dns-ready step/);
    });

    it("outputs tlsStaging: true only for a hostname with esiphub:letsEncryptStaging", async function () {
        assert.strictEqual((await planHub(testConfig("jetstream", { "esiphub:letsEncryptStaging": "true" }))).outputs.tlsStaging, true);
        assert.strictEqual((await planHub(testConfig("jetstream"))).outputs.tlsStaging, false);
        assert.strictEqual((await planHub(testConfig("nebula", { ...PLAIN, "esiphub:letsEncryptStaging": "true" }))).outputs.tlsStaging, false);
    });

    it("refuses admins that are not accounts, naming the setting", async function () {
        const config = testConfig("nebula");
        const bad: SiteConfig = { ...config, hub: { ...config.hub, adminUsers: ["root"] } };
        await assert.rejects(planHub(bad), /esiphub:adminUsers/);
    });
});

describe("JupyterHub in the whole program (runStack)", function () {
    const layers = ["openstack/hosts.ts", "aws/hosts.ts", "kubeadm/cluster.ts", "storage/storage.ts"];

    before(function () {
        const missing = layers.filter((l) => !fs.existsSync(path.join(PROJECT_DIR, "components", l)));
        if (missing.length > 0) {
            console.log(`    skipped: the whole program needs components/${missing.join(", components/")}, not yet in this tree`);
            this.skip();
        }
    });

    for (const site of SITES) {
        it(`${site}: one release of jupyterhub 4.4.0 with the hub's Secret and the stack's users`, async function () {
            const result = await runStack(site);
            const release = findResource(result, RELEASE, /(^|-)hub-release$/);
            assert.strictEqual(release.inputs.chart, "jupyterhub");
            assert.strictEqual(release.inputs.version, "4.4.0");
            const values = release.inputs.values as any;
            assert.strictEqual(values.hub.existingSecret, HUB_SECRET_NAME);
            assert.strictEqual(result.outputs.credentials, "[secret]");
            const config = testConfig(site);
            assert.strictEqual((result.rawOutputs.credentials as unknown[]).length, config.hub.users.length);
            assert.strictEqual(values.singleuser.image.tag, config.hub.image.tag);
            // HTTPS is switched on only after the dns-ready step (and, with esiphub:dns, after the record it waits for).
            const dnsReady = resourcesOfType(result, "command:local:Command").filter((r) => /-dns-ready$/.test(r.name));
            assert.strictEqual(dnsReady.length, 1);
            assert.ok(release.dependencies.includes(dnsReady[0].urn), "the hub release does not wait for dns-ready");
            assert.strictEqual(result.outputs.tlsStaging, false);
        });

        it(`${site}: no Helm release's values in \`esiphub plan --json\` hold a secret`, async function () {
            // planJson is what `esiphub plan SITE --json` prints of the plan, every secret shown as "[secret]".
            const doc = planJson(await runStack(site)) as { resources: { type: string; name: string; inputs: { values?: unknown } }[] };
            const releases = doc.resources.filter((r) => r.type.startsWith("kubernetes:helm.sh/"));
            assert.deepStrictEqual(releases.map((r) => r.name.replace(/^esiphub-[a-z]+-/, "")).sort(), ["hub-release", "storage-provisioner"]);
            for (const r of releases) assert.doesNotMatch(JSON.stringify(r.inputs.values), /\[secret\]/, r.name);
        });
    }
});
