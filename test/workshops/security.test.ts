/**
 * Issue 21b's hub settings on a site of workshops (components/config.ts readHub, components/jupyterhub/values.ts):
 * each workshop's hub reads them over the flat keys, and a hub behind the router keeps HTTPS.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { workshopView } from "../../components/config";
import { hubValues } from "../../components/jupyterhub/values";
import { workshopBaseUrl } from "../../components/workshops";
import { checkResource, RULES } from "../../policy/rules";
import { meeting, problemsOf, workshops } from "./meeting";

const DIGEST = "sha256:" + "ab".repeat(32);

describe("issue 21b's hub settings, per workshop", function () {
    it("attendees, egress and a digest-pinned image: each workshop's own, the rest from the flat keys", function () {
        const config = meeting({
            "esiphub:userEgressPorts": JSON.stringify(["8080"]),
            ...workshops([
                { name: "python-intro", users: 2, hubHostname: "python.hub.esipfed.org", notebookImage: `ghcr.io/esipfed/esiphub-notebook@${DIGEST}`, notebookTag: "" },
                { name: "data-viz", users: 2, userPattern: "viz-{nn}", hubHostname: "viz.hub.esipfed.org", userEgressPorts: ["all"] },
            ]),
        });
        const [py, viz] = config.workshops;
        assert.deepStrictEqual(py.hub.attendees, py.hub.users.slice(0, 2));
        assert.deepStrictEqual(py.hub.users.slice(2), ["instructor", "helper"], "the flat extraUsers are accounts, not attendees");
        assert.deepStrictEqual(viz.hub.attendees, ["viz-01", "viz-02"]);
        assert.deepStrictEqual(py.hub.image, { name: "ghcr.io/esipfed/esiphub-notebook", tag: "", digest: DIGEST });
        assert.strictEqual(viz.hub.image.digest, undefined);
        assert.ok(!py.hub.egress.all && py.hub.egress.ports.some((p) => p.port === 8080), "the flat userEgressPorts");
        assert.deepStrictEqual(viz.hub.egress, { all: true }, "the workshop's own");
        assert.deepStrictEqual(
            config.workshops.map((w) => [w.hub.tls, w.hub.autoHostname, w.hub.allowPlainHttp]),
            [
                [true, false, false],
                [true, false, false],
            ],
        );
    });

    it("hubHostname auto: <workshop>.<IP with dashes>.sslip.io for each, with esiphub:publicIp; refused without it, naming the key", function () {
        const config = meeting({ "esiphub:publicIp": "149.165.157.42", "esiphub:hubHostname": "auto", ...workshops([{ name: "python-intro", users: 2 }, { name: "data-viz", users: 2, userPattern: "viz-{nn}" }]) });
        assert.deepStrictEqual(
            config.workshops.map((w) => [w.hub.hostname, w.hub.autoHostname, w.hub.tls]),
            [
                ["python-intro.149-165-157-42.sslip.io", true, true],
                ["data-viz.149-165-157-42.sslip.io", true, true],
            ],
        );
        const problems = problemsOf(() => meeting({ "esiphub:publicIp": undefined, ...workshops([{ name: "python-intro", users: 2, hubHostname: "auto" }]) }));
        assert.ok(problems.some((p) => /^esiphub:workshops\[0\]\.hubHostname: auto on a site of workshops needs esiphub:publicIp/.test(p)), problems.join("\n"));
    });

    it("a workshop's quickstartReadmeFile stays inside the project folder, named by its path", function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-ws-readme-"));
        try {
            fs.writeFileSync(path.join(dir, "intro.md"), "# Python intro\n");
            const config = meeting(workshops([{ name: "python-intro", users: 2, hubHostname: "python.hub.esipfed.org", quickstartReadmeFile: "intro.md" }]), dir);
            assert.strictEqual(config.workshops[0].hub.quickstartReadme, "# Python intro\n");
            const problems = problemsOf(() => meeting(workshops([{ name: "python-intro", users: 2, quickstartReadmeFile: "../outside.md" }]), dir));
            assert.ok(problems.some((p) => /^esiphub:workshops\[0\]\.quickstartReadmeFile: must be a path inside the project folder/.test(p)), problems.join("\n"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("esiphub:allowPlainHttp is the site's: every hub carries it, and the warning names the workshops served in clear", function () {
        const config = meeting({ "esiphub:allowPlainHttp": "true", ...workshops([{ name: "python-intro", users: 2, hubHostname: "python.hub.esipfed.org" }, { name: "data-viz", users: 2, userPattern: "viz-{nn}" }]) });
        assert.deepStrictEqual(config.workshops.map((w) => [w.hub.allowPlainHttp, w.hub.tls]), [
            [true, true],
            [true, false],
        ]);
        assert.ok(config.warnings.some((w) => /^esiphub:allowPlainHttp: true: the hubs of data-viz serve plain HTTP/.test(w)), config.warnings.join("\n"));
    });
});

describe("a workshop's hub behind the router keeps HTTPS (values and the hub-https rule)", function () {
    const config = meeting(workshops([{ name: "python-intro", users: 2, hubHostname: "python.hub.esipfed.org" }, { name: "data-viz", users: 2, userPattern: "viz-{nn}" }]));
    const valuesOf = (name: string) => {
        const workshop = config.workshops.find((w) => w.name === name)!;
        const values = hubValues({
            config: workshopView(config, workshop),
            storageClassName: "nfs-client",
            scratchClaimName: "scratch",
            materialsClaimName: "materials",
            hubDbClaimName: "hub-db",
            masterPrivateIp: "10.42.0.10",
            credentialsSecretName: "esiphub-credentials",
            hubSecretName: "esiphub-hub-secret",
            hostname: workshop.hub.hostname,
            behindRouter: { baseUrl: workshopBaseUrl(name, workshop.hub.hostname) },
        });
        return JSON.parse(JSON.stringify(values));
    };
    const hubHttps = (values: Record<string, unknown>, allowPlainHttp = false) =>
        checkResource({ type: "kubernetes:helm.sh/v3:Release", name: "hub", props: { chart: "jupyterhub", values } }, { keepDataOnDestroy: true, allowPlainHttp }, RULES.filter((r) => r.name === "hub-https"));

    it("with a hostname: TLS is the router's (the chart's off), the hub's public URL is https, and hub-https passes", function () {
        const values = valuesOf("python-intro");
        assert.strictEqual(values.proxy.https.enabled, false);
        assert.strictEqual(values.hub.existingSecret, "esiphub-hub-secret");
        assert.strictEqual(values.hub.config.JupyterHub.public_url, "https://python.hub.esipfed.org/");
        assert.deepStrictEqual(hubHttps(values), []);
    });

    it("without one: plain HTTP under its path, refused unless esiphub:allowPlainHttp", function () {
        const values = valuesOf("data-viz");
        assert.strictEqual(values.hub.baseUrl, "/data-viz/");
        assert.strictEqual(values.hub.config.JupyterHub.public_url, undefined);
        assert.strictEqual(hubHttps(values).length, 1);
        assert.deepStrictEqual(hubHttps(values, true), []);
    });
});
