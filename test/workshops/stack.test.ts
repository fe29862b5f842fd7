/**
 * The stack: three workshops (40 users, 30 at 6G, 20) on one Jetstream2 site, planned once under the mocks.
 * Three hub releases in three namespaces, one NFS provisioner, Traefik and cert-manager in front, a certificate and
 * routes per hostname, DNS records for each, a `workshops` output with three hub URLs, and workers for all of them.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PlanResult, PROJECT_DIR, resourcesOfType, runStack } from "../mocks";
import { chartSchemaDir, describeErrors, loadChartSchema, loadJsonChartSchema } from "../jupyterhub/helm";

const example = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "examples", "Pulumi.meeting.yaml"), "utf8")).config;
/** The example's workshops on the shipped Jetstream2 stack file. */
const OVERRIDES = { "esiphub:workshops": JSON.stringify(example["esiphub:workshops"]), "esiphub:hubHostname": undefined };
const NAMES = ["python-intro", "remote-sensing", "data-viz"];

const releases = (plan: PlanResult, chart: string) => resourcesOfType(plan, "kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === chart);

describe("a stack with three workshops (esiphub:workshops), planned under the mocks", function () {
    let plan: PlanResult;
    before(async function () {
        plan = await runStack("jetstream", OVERRIDES);
    });

    it("plans three hub releases, each in its namespace, and one NFS provisioner", function () {
        const hubs = releases(plan, "jupyterhub");
        assert.deepStrictEqual(hubs.map((r) => [r.inputs.name, r.inputs.namespace]).sort(), NAMES.map((n) => [`jupyterhub-${n}`, n]).sort());
        assert.strictEqual(releases(plan, "nfs-subdir-external-provisioner").length, 1);
        const namespaces = resourcesOfType(plan, "kubernetes:core/v1:Namespace").map((r) => (r.inputs as any).metadata?.name);
        for (const n of NAMES) assert.ok(namespaces.includes(n) || hubs.some((r) => r.inputs.namespace === n && r.inputs.createNamespace), `no namespace ${n}`);
    });

    it("gives each hub its own accounts Secret in its namespace", function () {
        const secrets = resourcesOfType(plan, "kubernetes:core/v1:Secret").map((r) => (r.inputs as any).metadata?.namespace);
        for (const n of NAMES) assert.ok(secrets.includes(n), `no Secret in ${n}: ${secrets.join(", ")}`);
    });

    it("every hub's values pass the jupyterhub chart's schema, each with its own image and guarantee", function () {
        const chart = loadChartSchema(chartSchemaDir(PROJECT_DIR));
        if (!chart) {
            console.log(`      skipped: no jupyterhub 4.4.0 chart schema in ${chartSchemaDir(PROJECT_DIR)} (or set ESIPHUB_Z2JH_DIR)`);
            return this.skip();
        }
        const byNamespace = new Map(releases(plan, "jupyterhub").map((r) => [r.inputs.namespace as string, r.inputs.values as Record<string, unknown>]));
        for (const n of NAMES) {
            const errors = chart.validate(byNamespace.get(n)!);
            assert.deepStrictEqual(errors, [], `${n}: ${describeErrors(errors)}`);
        }
        const rs = byNamespace.get("remote-sensing") as any;
        assert.strictEqual(rs.singleuser.image.name, "ghcr.io/esipfed/esiphub-remote-sensing");
        assert.strictEqual(rs.singleuser.memory.guarantee, "6G");
        assert.strictEqual((byNamespace.get("python-intro") as any).singleuser.memory.guarantee, "4G");
        // TLS ends at the router: no hub runs the chart's own autohttps on ports 80/443.
        for (const n of NAMES) assert.notStrictEqual((byNamespace.get(n) as any).proxy?.https?.enabled, true, n);
    });

    it("Traefik's values pass its chart's schema", function () {
        const [traefik] = releases(plan, "traefik");
        assert.ok(traefik, "no Traefik release");
        const dir = path.resolve(process.env.ESIPHUB_SHARED || path.resolve(PROJECT_DIR, "..", "shared"), "traefik");
        const schema = loadJsonChartSchema(dir);
        if (!schema) {
            console.log(`      skipped: no values.schema.json and values.yaml of the traefik 41.3.0 chart in ${dir} (or set ESIPHUB_SHARED)`);
            return this.skip();
        }
        const errors = schema.validate(traefik.inputs.values as Record<string, unknown>);
        assert.deepStrictEqual(errors, [], describeErrors(errors));
    });

    it("puts Traefik and cert-manager in front, with a certificate and two routes per hostname", function () {
        assert.strictEqual(releases(plan, "traefik").length, 1);
        assert.strictEqual(releases(plan, "cert-manager").length, 1);
        const certificates = resourcesOfType(plan, "kubernetes:cert-manager.io/v1:Certificate").map((r) => (r.inputs as any).spec.dnsNames[0]).sort();
        assert.deepStrictEqual(certificates, ["python.hub.esipfed.org", "rs.hub.esipfed.org", "viz.hub.esipfed.org"]);
        const hosts = resourcesOfType(plan, "kubernetes:networking.k8s.io/v1:Ingress").map(({ inputs }: any) => `${inputs.metadata.namespace} ${inputs.spec.rules[0].host}`);
        assert.strictEqual(hosts.length, 6);
        assert.ok(hosts.includes("remote-sensing rs.hub.esipfed.org"), hosts.join("\n"));
    });

    it("asks for each hostname's certificate only once that name resolves to the public IP (its own dns-ready step)", function () {
        const ready = resourcesOfType(plan, "command:local:Command").filter((r) => (r.inputs as any).environment?.ESIPHUB_DNS_HOSTNAME || /dns-ready/.test(r.name));
        for (const cert of resourcesOfType(plan, "kubernetes:cert-manager.io/v1:Certificate")) {
            const host = (cert.inputs as any).spec.dnsNames[0] as string;
            const own = ready.filter((r) => cert.dependencies.includes(r.urn));
            assert.strictEqual(own.length, 1, `${host}: waits for ${own.map((r) => r.name).join(", ") || "no dns-ready step"}`);
            assert.ok(JSON.stringify(own[0].inputs).includes(host), `${host} waits for the dns-ready step of another name: ${own[0].name}`);
        }
    });

    it("publishes a DNS record for every hostname, and a workshops output with three hub URLs", function () {
        const records = (plan.outputs.dnsRecords as { name: string }[]).map((r) => r.name).sort();
        assert.deepStrictEqual(records, ["python.hub.esipfed.org.", "rs.hub.esipfed.org.", "viz.hub.esipfed.org."]);
        const out = plan.outputs.workshops as Record<string, { hubUrl: string; namespace: string; users: number }>;
        assert.deepStrictEqual(Object.keys(out).sort(), [...NAMES].sort());
        assert.deepStrictEqual(
            NAMES.map((n) => [out[n].hubUrl, out[n].namespace, out[n].users]),
            [
                ["https://python.hub.esipfed.org", "python-intro", 42],
                ["https://rs.hub.esipfed.org", "remote-sensing", 32],
                ["https://viz.hub.esipfed.org", "data-viz", 22],
            ],
        );
        assert.strictEqual(plan.outputs.credentials, "[secret]", "every workshop's passwords stay a secret");
        assert.strictEqual(plan.outputs.hubUrl, undefined, "a site with workshops has no single hubUrl");
    });

    it("plans enough workers for every workshop's servers at its own guarantee", function () {
        const workers = plan.outputs.workers as number;
        const servers = resourcesOfType(plan, "openstack:compute/instance:Instance").filter((r) => /worker/.test(r.name));
        assert.strictEqual(servers.length, workers);
        // 42 × 4G + 32 × 6G + 22 × 4G = 448 GB on m3.large workers (58 GiB usable): at least 8.
        assert.ok(workers >= Math.ceil(448e9 / (58 * 2 ** 30)), `${workers} workers`);
        assert.match(String(plan.outputs.sizing), /first-fit decreasing/);
    });
});
