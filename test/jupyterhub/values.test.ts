import * as assert from "assert";
import * as fs from "fs";
import { SiteConfig, sslipHostname } from "../../components/config";
import { authenticatorSource, materialsHookSource } from "../../components/jupyterhub/hubconfig";
import {
    ACME_SERVERS,
    COOKIE_SECRET_KEY,
    CREDENTIALS_KEY,
    DIGEST_ONLY_TAG,
    EGRESS_EXCEPT,
    HUB_CPU,
    HUB_CREDENTIALS_DIR,
    HUB_MODULE_DIR,
    hubValues,
    HubValuesInput,
    POSTSTART_FILE,
    POSTSTART_PATH,
    quickstartReadme,
    README_PATH,
} from "../../components/jupyterhub/values";
import { PROJECT_DIR, SITES, testConfig } from "../mocks";
import { chartSchemaDir, ChartSchema, coalesce, describeErrors, loadChartSchema } from "./helm";

/** The public IP the cloud gives in these tests: the automatic name (esiphub:hubHostname auto) is made from it. */
const PUBLIC_IP = "149.165.157.42";
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

function input(config: SiteConfig): HubValuesInput {
    return {
        config,
        storageClassName: config.storage.storageClass,
        scratchClaimName: "esiphub-shared-scratch",
        materialsClaimName: "esiphub-materials",
        hubDbClaimName: "esiphub-hub-db",
        masterPrivateIp: "10.42.0.10",
        credentialsSecretName: "esiphub-credentials",
        hubSecretName: "esiphub-hub-secret",
        hostname: config.hub.tls ? (config.hub.hostname ?? sslipHostname(PUBLIC_IP)) : undefined,
    };
}

/** Values as Helm receives them (plain JSON data). */
function valuesFor(config: SiteConfig): any {
    return JSON.parse(JSON.stringify(hubValues(input(config))));
}

describe("Helm's coalescing of values (test/jupyterhub/helm.ts)", function () {
    it("merges maps, replaces lists and scalars, and deletes on null", function () {
        const merged = coalesce(
            { a: { b: 1, c: [1, 2], d: "x" }, e: 1, f: { g: 1 } },
            { a: { c: [3], d: null, h: true }, e: { now: "a map" }, f: null, i: { j: null, k: 2 } },
        );
        assert.deepStrictEqual(merged, { a: { b: 1, c: [3], h: true }, e: { now: "a map" }, i: { k: 2 } });
    });
});

describe("JupyterHub chart values (components/jupyterhub/values.ts)", function () {
    describe("validated against the chart's own schema, over its defaults", function () {
        let chart: ChartSchema | undefined;

        before(function () {
            const dir = chartSchemaDir(PROJECT_DIR);
            chart = loadChartSchema(dir);
            if (!chart) {
                console.log(
                    `    skipped: no values.schema.yaml and values.yaml of the jupyterhub 4.4.0 chart in ${dir}; ` +
                        "put them there (from zero-to-jupyterhub-k8s tag 4.4.0, folder jupyterhub/) or set ESIPHUB_Z2JH_DIR to their folder",
                );
                this.skip();
            }
        });

        it("accepts the chart's defaults alone (the validator is set up right)", function () {
            assert.deepStrictEqual(chart!.validate({}), []);
        });

        for (const site of SITES) {
            it(`accepts the values of the ${site} stack`, function () {
                const errors = chart!.validate(valuesFor(testConfig(site)));
                assert.deepStrictEqual(errors, [], describeErrors(errors));
            });
        }

        it("accepts the values with CPU limits, placeholders, staging certificates and other shared paths", function () {
            const config = testConfig("jetstream", {
                "esiphub:cpuLimit": "2",
                "esiphub:cpuGuarantee": "0.5",
                "esiphub:userPlaceholders": "5",
                "esiphub:sharedMountPath": "/srv/scratch",
                "esiphub:materialsMountPath": "/srv/materials",
                "esiphub:letsEncryptStaging": "true",
            });
            const errors = chart!.validate(valuesFor(config));
            assert.deepStrictEqual(errors, [], describeErrors(errors));
        });

        it("accepts the values with fewer servers at once than accounts (hub.activeServerLimit)", function () {
            const values = valuesFor(testConfig("jetstream", { "esiphub:maxServers": "45" }));
            assert.strictEqual(values.hub.activeServerLimit, 45);
            const errors = chart!.validate(values);
            assert.deepStrictEqual(errors, [], describeErrors(errors));
            // The schema types it: a text where the chart wants a number would fail the release.
            assert.notDeepStrictEqual(chart!.validate({ ...values, hub: { ...values.hub, activeServerLimit: "45" } }), []);
        });

        it("rejects a misspelled key, deep or at the top", function () {
            const values = valuesFor(testConfig("jetstream"));
            values.singleuser.memory.limt = values.singleuser.memory.limit;
            const deep = chart!.validate(values);
            assert.ok(deep.some((e) => e.instancePath === "/singleuser/memory" && e.keyword === "additionalProperties"), describeErrors(deep));

            const top = chart!.validate({ ...valuesFor(testConfig("jetstream")), singelUser: {} });
            assert.ok(top.some((e) => e.keyword === "additionalProperties" && (e.params as { additionalProperty: string }).additionalProperty === "singelUser"), describeErrors(top));
        });

        it("accepts the egress of every port (esiphub:userEgressPorts all), a digest-pinned image and plain HTTP", function () {
            for (const overrides of [
                { "esiphub:userEgressPorts": '["all"]' },
                { "esiphub:userEgressPorts": '["8080", "123/udp"]' },
                { "esiphub:notebookImage": `ghcr.io/esipfed/esiphub-notebook@${DIGEST}`, "esiphub:notebookTag": "" },
                { "esiphub:hubHostname": "", "esiphub:allowPlainHttp": "true" },
            ]) {
                const errors = chart!.validate(valuesFor(testConfig("nebula", overrides)));
                assert.deepStrictEqual(errors, [], `${JSON.stringify(overrides)}: ${describeErrors(errors)}`);
            }
        });

        it("hub.resources goes to the hub pod as it is: the schema checks none of it, so it is a ResourceRequirements of Kubernetes here", function () {
            // values.schema.yaml: resources (&resources-spec) is any object; templates/hub/deployment.yaml renders it verbatim.
            assert.deepStrictEqual(chart!.validate({ hub: { resources: { limit: "anything" } } }), []);
            const resources = valuesFor(testConfig("jetstream")).hub.resources;
            assert.deepStrictEqual(Object.keys(resources).sort(), ["limits", "requests"]);
            // Kubernetes CPU quantities: whole cores or millicores, the request within the limit.
            const cores = (q: string) => (/^\d+m$/.test(q) ? Number(q.slice(0, -1)) / 1000 : /^\d+(\.\d+)?$/.test(q) ? Number(q) : NaN);
            assert.deepStrictEqual([cores(resources.requests.cpu), cores(resources.limits.cpu)], [0.5, 2]);
            assert.deepStrictEqual(resources, { requests: { cpu: HUB_CPU.request }, limits: { cpu: HUB_CPU.limit } });
        });

        it("rejects a value of the wrong type", function () {
            const values = valuesFor(testConfig("aws"));
            values.proxy.https.type = "letsencrypted";
            assert.notDeepStrictEqual(chart!.validate(values), []);
        });
    });

    it("serves TLS from Let's Encrypt for the stack's hostname or the automatic one, plain HTTP without either", function () {
        const jetstream = valuesFor(testConfig("jetstream"));
        assert.deepStrictEqual(jetstream.proxy.https, {
            enabled: true,
            type: "letsencrypt",
            letsencrypt: { contactEmail: "esiphub-admins@esipfed.org", acmeServer: "https://acme-v02.api.letsencrypt.org/directory" },
            hosts: ["hub.esipfed.org"],
        });
        // Pulumi.nebula.yaml: esiphub:hubHostname auto.
        assert.deepStrictEqual(valuesFor(testConfig("nebula")).proxy.https.hosts, ["149-165-157-42.sslip.io"]);
        assert.deepStrictEqual(valuesFor(testConfig("nebula", { "esiphub:hubHostname": "", "esiphub:allowPlainHttp": "true" })).proxy.https, { enabled: false });
    });

    it("rehearsal stacks get certificates from Let's Encrypt's staging directory", function () {
        const staging = valuesFor(testConfig("jetstream", { "esiphub:letsEncryptStaging": "true" }));
        assert.strictEqual(staging.proxy.https.letsencrypt.acmeServer, "https://acme-staging-v02.api.letsencrypt.org/directory");
        assert.strictEqual(ACME_SERVERS.staging, staging.proxy.https.letsencrypt.acmeServer);
        // The chart's own default is the production directory (values.yaml proxy.https.letsencrypt.acmeServer).
        assert.strictEqual(ACME_SERVERS.production, "https://acme-v02.api.letsencrypt.org/directory");
    });

    it("placeholders come with pod priority, so that the scheduler evicts them for real users (the chart's NOTES.txt)", function () {
        const values = valuesFor(testConfig("jetstream", { "esiphub:userPlaceholders": "4" }));
        assert.deepStrictEqual(values.scheduling.userPlaceholder, { enabled: true, replicas: 4 });
        assert.strictEqual(values.scheduling.podPriority.enabled, true);
        const none = valuesFor(testConfig("jetstream"));
        assert.deepStrictEqual(none.scheduling.userPlaceholder, { enabled: false, replicas: 0 });
        assert.strictEqual(none.scheduling.podPriority.enabled, false);
    });

    it("burst-safe hub: database upgrades on, no restart after a few failed starts", function () {
        const config = testConfig("jetstream");
        const hub = valuesFor(config).hub;
        // db.type other: the chart adds --upgrade-db only when told (templates/hub/deployment.yaml).
        assert.strictEqual(hub.db.upgrade, true);
        assert.ok(hub.consecutiveFailureLimit === 0 || hub.consecutiveFailureLimit >= config.hub.users.length, `consecutiveFailureLimit ${hub.consecutiveFailureLimit}`);
        assert.strictEqual(hub.consecutiveFailureLimit, 62);
    });

    it("the hub refuses servers beyond esiphub:maxServers only when that is fewer than the accounts", function () {
        assert.strictEqual(valuesFor(testConfig("jetstream", { "esiphub:maxServers": "45" })).hub.activeServerLimit, 45);
        assert.strictEqual(valuesFor(testConfig("jetstream", { "esiphub:maxServers": "1" })).hub.activeServerLimit, 1);
        // Every account (62 on jetstream), written either way: no limit, as the chart's default (null) has it.
        for (const maxServers of ["all", "62"]) {
            assert.ok(!("activeServerLimit" in valuesFor(testConfig("jetstream", { "esiphub:maxServers": maxServers })).hub), maxServers);
        }
        assert.ok(!("activeServerLimit" in valuesFor(testConfig("nebula")).hub));
    });

    it("publishes the proxy on the master's private IP, without a cloud load balancer", function () {
        const values = valuesFor(testConfig("aws"));
        assert.deepStrictEqual(values.proxy.service, { type: "ClusterIP", externalIPs: ["10.42.0.10"] });
    });

    it("holds no secret: the cookie secret comes from hub.existingSecret, the proxy token from the chart's own Secret", function () {
        const values = valuesFor(testConfig("nebula"));
        assert.strictEqual(values.hub.existingSecret, "esiphub-hub-secret");
        // The key the chart's jupyterhub_config.py reads with get_secret_value (existing-secret/ before secret/).
        assert.strictEqual(COOKIE_SECRET_KEY, "hub.config.JupyterHub.cookie_secret");
        for (const path of ["hub.cookieSecret", "proxy.secretToken", "hub.config.JupyterHub.cookie_secret", "hub.config.ConfigurableHTTPProxy.auth_token", "hub.config.CryptKeeper.keys"]) {
            const value = path.split(".").reduce((v: any, k) => v?.[k], values);
            assert.strictEqual(value, undefined, `${path} is a value`);
        }
    });

    it("a CPU request and limit for the hub pod, and one bcrypt check at a time below that limit", function () {
        const hub = valuesFor(testConfig("jetstream")).hub;
        assert.deepStrictEqual(hub.resources, { requests: { cpu: "500m" }, limits: { cpu: "2" } });
        assert.match(hub.extraConfig["10-esiphub-authenticator"], /^c\.PregeneratedAuthenticator\.max_concurrent_checks = 1$/m);
    });

    it("users' servers reach DNS and public addresses on the workshop's ports only (more with esiphub:userEgressPorts), never private ones or the metadata server", function () {
        const policy = valuesFor(testConfig("jetstream")).singleuser.networkPolicy;
        assert.deepStrictEqual(policy.egressAllowRules, { nonPrivateIPs: false, privateIPs: false, cloudMetadataServer: false, dnsPortsCloudMetadataServer: false });
        assert.deepStrictEqual(policy.egress, [
            {
                ports: [
                    { port: 80, protocol: "TCP" },
                    { port: 443, protocol: "TCP" },
                    { port: 9418, protocol: "TCP" },
                    { port: 22, protocol: "TCP" },
                ],
                to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"] } }],
            },
        ]);
        assert.ok(EGRESS_EXCEPT.includes("169.254.0.0/16"), "the metadata server 169.254.169.254 is excepted");
        const wider = valuesFor(testConfig("jetstream", { "esiphub:userEgressPorts": '["8080", "123/udp", "443"]' })).singleuser.networkPolicy;
        assert.deepStrictEqual(wider.egress[0].ports.slice(4), [{ port: 8080, protocol: "TCP" }, { port: 123, protocol: "UDP" }]);
        const all = valuesFor(testConfig("jetstream", { "esiphub:userEgressPorts": '["all"]' })).singleuser.networkPolicy;
        // The chart's own rule: every public address, private ones and the metadata server excepted.
        assert.deepStrictEqual([all.egressAllowRules.nonPrivateIPs, all.egressAllowRules.privateIPs, all.egress], [true, false, []]);
        // The metadata server also stays blocked by iptables in every pod.
        assert.deepStrictEqual(valuesFor(testConfig("jetstream")).singleuser.cloudMetadata, { blockWithIptables: true });
    });

    it("a digest-pinned image travels as TAG@sha256:... (the pre-puller always writes name:tag), with a stand-in tag without esiphub:notebookTag", function () {
        const name = "ghcr.io/esipfed/esiphub-notebook";
        const tagged = valuesFor(testConfig("jetstream", { "esiphub:notebookImage": `${name}@${DIGEST}` })).singleuser.image;
        assert.deepStrictEqual(tagged, { name, tag: `2026.11@${DIGEST}` });
        const bare = valuesFor(testConfig("jetstream", { "esiphub:notebookImage": `${name}@${DIGEST}`, "esiphub:notebookTag": "" })).singleuser.image;
        assert.deepStrictEqual(bare, { name, tag: `${DIGEST_ONLY_TAG}@${DIGEST}` });
        // What the pre-puller (templates/image-puller/_helpers-daemonset.tpl) and KubeSpawner (jupyterhub_config.py) make of it:
        // a reference of the grammar name[:tag][@digest] (distribution/reference), pulled by the digest.
        for (const image of [tagged, bare]) assert.match(`${image.name}:${image.tag}`, /^[a-z0-9./-]+:[\w][\w.-]{0,127}@sha256:[0-9a-f]{64}$/);
    });

    it("sets the notebook image, memory and the workshop tuning from the config", function () {
        const config = testConfig("jetstream", { "esiphub:startTimeout": "900", "esiphub:cullIdleTimeout": "1800", "esiphub:userPlaceholders": "4" });
        const values = valuesFor(config);
        assert.deepStrictEqual(values.singleuser.image, { name: "ghcr.io/esipfed/esiphub-notebook", tag: "2026.11" });
        assert.deepStrictEqual(values.singleuser.memory, { limit: "8G", guarantee: "4G" });
        assert.strictEqual(values.singleuser.cpu, undefined);
        assert.strictEqual(values.singleuser.startTimeout, 900);
        assert.deepStrictEqual(values.cull, { enabled: true, timeout: 1800 });
        assert.deepStrictEqual(values.scheduling, { podPriority: { enabled: true }, userPlaceholder: { enabled: true, replicas: 4 } });
        assert.deepStrictEqual(values.prePuller, { hook: { enabled: true }, continuous: { enabled: true } });
        assert.strictEqual(config.hub.users.length, 62);
        assert.ok(values.hub.concurrentSpawnLimit >= config.hub.users.length);
        assert.deepStrictEqual(values.singleuser.cloudMetadata, { blockWithIptables: true });
    });

    it("uses the defaults of the issue: 600 s start timeout, culling on, no placeholders", function () {
        const values = valuesFor(testConfig("nebula"));
        assert.strictEqual(values.singleuser.startTimeout, 600);
        assert.strictEqual(values.cull.enabled, true);
        assert.deepStrictEqual(values.scheduling.userPlaceholder, { enabled: false, replicas: 0 });
        assert.strictEqual(values.singleuser.memory.limit, "8G");
        assert.strictEqual(values.singleuser.storage.capacity, "10Gi");
    });

    it("sets CPU limits only when configured", function () {
        const values = valuesFor(testConfig("nebula", { "esiphub:cpuLimit": "2", "esiphub:cpuGuarantee": "0.5" }));
        assert.deepStrictEqual(values.singleuser.cpu, { limit: 2, guarantee: 0.5 });
        assert.deepStrictEqual(valuesFor(testConfig("nebula", { "esiphub:cpuLimit": "4" })).singleuser.cpu, { limit: 4 });
    });

    it("puts homes on the NFS class, mounts the shared scratch writable and the materials read-only in every server", function () {
        const values = valuesFor(testConfig("nebula", { "esiphub:sharedMountPath": "/srv/scratch", "esiphub:materialsMountPath": "/srv/course", "esiphub:storagePerUser": "20Gi" }));
        const storage = values.singleuser.storage;
        assert.strictEqual(storage.type, "dynamic");
        assert.strictEqual(storage.capacity, "20Gi");
        assert.deepStrictEqual(storage.dynamic, { storageClass: "nfs-client" });
        assert.deepStrictEqual(storage.extraVolumes, [
            { name: "esiphub-shared", persistentVolumeClaim: { claimName: "esiphub-shared-scratch" } },
            { name: "esiphub-materials", persistentVolumeClaim: { claimName: "esiphub-materials" } },
        ]);
        assert.deepStrictEqual(storage.extraVolumeMounts, [
            { name: "esiphub-shared", mountPath: "/srv/scratch" },
            { name: "esiphub-materials", mountPath: "/srv/course", readOnly: true },
        ]);
        const command = values.singleuser.lifecycleHooks.postStart.exec.command;
        assert.ok(command.includes("ESIPHUB_SHARED_PATH=/srv/scratch"));
        assert.ok(command.includes("ESIPHUB_MATERIALS_PATH=/srv/course"));
    });

    it("loads the materials hook, which makes the materials mount writable for admins only", function () {
        const hub = valuesFor(testConfig("jetstream")).hub;
        assert.strictEqual(hub.extraFiles["esiphub-materials-hook"].stringData, materialsHookSource());
        assert.strictEqual(hub.extraFiles["esiphub-materials-hook"].mountPath, `${HUB_MODULE_DIR}/esiphub_materials.py`);
        const snippet: string = hub.extraConfig["20-esiphub-materials"];
        assert.match(snippet, /^from esiphub_materials import admin_writable_mount$/m);
        assert.match(snippet, /^c\.Spawner\.pre_spawn_hook = admin_writable_mount\("esiphub-materials"\)$/m);
    });

    it("keeps the hub database on the storage layer's claim, and lets the hub onto the master", function () {
        const hub = valuesFor(testConfig("aws")).hub;
        assert.deepStrictEqual(hub.db, { type: "other", url: "sqlite:////srv/jupyterhub/jupyterhub.sqlite", upgrade: true });
        const dbVolume = hub.extraVolumes.find((v: any) => v.persistentVolumeClaim?.claimName === "esiphub-hub-db");
        assert.ok(dbVolume, "no volume for the hub database claim");
        assert.deepStrictEqual(
            hub.extraVolumeMounts.find((m: any) => m.name === dbVolume.name),
            { name: dbVolume.name, mountPath: "/srv/jupyterhub" },
        );
        assert.ok(hub.tolerations.some((t: any) => t.key === "node-role.kubernetes.io/control-plane" && t.operator === "Exists"));
    });

    it("loads the repo's authenticator.py in the hub, with the credentials Secret and the admins", function () {
        const config = testConfig("jetstream");
        const hub = valuesFor(config).hub;
        assert.strictEqual(hub.extraFiles["esiphub-authenticator"].stringData, authenticatorSource());
        assert.strictEqual(hub.extraFiles["esiphub-authenticator"].mountPath, `${HUB_MODULE_DIR}/esiphub_authenticator.py`);
        assert.strictEqual(hub.config.JupyterHub.authenticator_class, "esiphub_authenticator.PregeneratedAuthenticator");
        const snippet: string = hub.extraConfig["10-esiphub-authenticator"];
        assert.ok(snippet.includes(`sys.path.insert(0, "${HUB_MODULE_DIR}")`));
        assert.ok(snippet.includes(`c.PregeneratedAuthenticator.credentials_path = "${HUB_CREDENTIALS_DIR}/${CREDENTIALS_KEY}"`));
        assert.ok(snippet.includes(`c.Authenticator.admin_users = set(["instructor", "helper"])`));
        // The attendees' accounts, which the authenticator never makes admins (and the policy pack checks against the admins).
        const attendees = config.hub.users.filter((u) => /^workshop-\d\d$/.test(u));
        assert.strictEqual(attendees.length, 60);
        assert.ok(snippet.includes(`c.PregeneratedAuthenticator.attendee_users = set([${attendees.map((u) => JSON.stringify(u)).join(", ")}])`));
        const secretVolume = hub.extraVolumes.find((v: any) => v.secret);
        assert.deepStrictEqual(secretVolume.secret.secretName, "esiphub-credentials");
        // Mounted without subPath, so that the kubelet updates it when accounts change.
        const mount = hub.extraVolumeMounts.find((m: any) => m.name === secretVolume.name);
        assert.deepStrictEqual(mount, { name: secretVolume.name, mountPath: HUB_CREDENTIALS_DIR, readOnly: true });
    });

    it("runs poststart.sh from the server's files with the quickstart README", function () {
        const config = testConfig("nebula");
        const single = valuesFor(config).singleuser;
        assert.strictEqual(single.extraFiles["esiphub-poststart"].mountPath, POSTSTART_PATH);
        assert.strictEqual(single.extraFiles["esiphub-poststart"].stringData, fs.readFileSync(POSTSTART_FILE, "utf8"));
        assert.strictEqual(single.extraFiles["esiphub-readme"].mountPath, README_PATH);
        assert.strictEqual(single.extraFiles["esiphub-readme"].stringData, quickstartReadme(config));
        assert.deepStrictEqual(single.lifecycleHooks.postStart.exec.command, [
            "env",
            `ESIPHUB_README_SOURCE=${README_PATH}`,
            "ESIPHUB_SHARED_PATH=/shared",
            "ESIPHUB_MATERIALS_PATH=/materials",
            "bash",
            POSTSTART_PATH,
        ]);
    });

    it("fills the built-in README with the site's limits, and takes a configured one as it is", function () {
        const readme = quickstartReadme(testConfig("nebula", { "esiphub:memoryLimit": "6G", "esiphub:cullIdleTimeout": "1800" }));
        assert.match(readme, /up to \*\*6G\*\*/);
        assert.match(readme, /\*\*10Gi\*\*/);
        assert.match(readme, /`\/shared` \(everyone can write\)/);
        assert.match(readme, /`\/materials` \(read-only\)/);
        assert.match(readme, /holds up to \*\*100Gi\*\*/);
        assert.match(readme, /after 30 minutes/);
        assert.doesNotMatch(readme, /\{\{|\}\}/);
        const own = "# Hello\nBring your own data.\n";
        assert.strictEqual(quickstartReadme(testConfig("nebula", { "esiphub:quickstartReadme": own })), own);
    });
});
