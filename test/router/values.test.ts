import * as assert from "assert";
import * as path from "path";
import {
    certManagerValues,
    clusterIssuer,
    HUB_ROUTE_NAMES,
    hubCertificate,
    hubIngresses,
    INGRESS_CLASS,
    issuerName,
    redirectMiddleware,
    traefikValues,
} from "../../components/router/values";
import { ACME_SERVERS } from "../../components/jupyterhub/values";
import { PROJECT_DIR } from "../mocks";
import { ChartSchema, describeErrors, loadJsonChartSchema } from "../jupyterhub/helm";

/** The pinned charts' schemas and defaults, beside the project (../shared/<chart>, or $ESIPHUB_SHARED/<chart>). */
function chart(name: string, version: string): (ctx: Mocha.Context) => ChartSchema {
    let loaded: ChartSchema | undefined;
    return (ctx) => {
        const dir = path.resolve(process.env.ESIPHUB_SHARED || path.resolve(PROJECT_DIR, "..", "shared"), name);
        loaded ??= loadJsonChartSchema(dir);
        if (!loaded) {
            console.log(`      skipped: no values.schema.json and values.yaml of the ${name} ${version} chart in ${dir} (or set ESIPHUB_SHARED to the folder holding ${name}/)`);
            ctx.skip();
        }
        return loaded!;
    };
}
const traefik = chart("traefik", "41.3.0");
const certManager = chart("cert-manager", "v1.21.1");

/** Values as Helm receives them (the Inputs resolved). */
const plain = (values: unknown) => JSON.parse(JSON.stringify(values));

describe("the router's chart values (components/router/values.ts) against the charts' own schemas", function () {
    it("Traefik 41.3.0: its defaults alone pass, a value of the wrong type fails (the validator is set up right)", function () {
        assert.deepStrictEqual(traefik(this).validate({}), []);
        const errors = traefik(this).validate({ ingressClass: { enabled: "yes" } });
        assert.ok(errors.some((e) => e.instancePath === "/ingressClass/enabled"), describeErrors(errors));
    });

    it("Traefik 41.3.0 accepts ESIPHub's values", function () {
        const errors = traefik(this).validate(plain(traefikValues("10.46.0.10", "149.165.150.20")));
        assert.deepStrictEqual(errors, [], describeErrors(errors));
    });

    it("cert-manager v1.21.1: its defaults alone pass, an unknown key fails", function () {
        assert.deepStrictEqual(certManager(this).validate({}), []);
        assert.notDeepStrictEqual(certManager(this).validate({ crds: { enabled: true, kept: true } }), []);
    });

    it("cert-manager v1.21.1 accepts ESIPHub's values (CRDs installed with the chart and kept)", function () {
        const errors = certManager(this).validate(plain(certManagerValues()));
        assert.deepStrictEqual(errors, [], describeErrors(errors));
    });
});

describe("the router's routes and certificates (components/router/values.ts)", function () {
    it("Traefik listens on the master's private address and reports the public IP as each Ingress's address", function () {
        const values = plain(traefikValues("10.46.0.10", "149.165.150.20"));
        assert.deepStrictEqual(values.service.spec, { type: "ClusterIP", externalIPs: ["10.46.0.10"] });
        assert.deepStrictEqual(values.providers.kubernetesIngress.ingressEndpoint, { ip: "149.165.150.20" });
        assert.strictEqual(values.providers.kubernetesIngress.ingressClass, INGRESS_CLASS);
        assert.strictEqual(values.ingressClass.isDefaultClass, false);
    });

    it("a hostname gets HTTPS with its certificate's Secret, and HTTP redirected through the hub's middleware", function () {
        const r = hubIngresses("python-intro", { hostname: "python.hub.esipfed.org", baseUrl: "/" });
        assert.strictEqual(r.path, undefined);
        const https = r.https! as any;
        assert.deepStrictEqual(https.spec.tls, [{ hosts: ["python.hub.esipfed.org"], secretName: HUB_ROUTE_NAMES.secret }]);
        assert.strictEqual(https.spec.rules[0].host, "python.hub.esipfed.org");
        assert.deepStrictEqual(https.spec.rules[0].http.paths[0].backend, { service: { name: "proxy-public", port: { name: "http" } } });
        assert.strictEqual(https.metadata.annotations["traefik.ingress.kubernetes.io/router.entrypoints"], "websecure");
        const http = r.http! as any;
        assert.strictEqual(http.metadata.annotations["traefik.ingress.kubernetes.io/router.entrypoints"], "web");
        // Traefik's name for a CRD middleware referenced from an Ingress: <namespace>-<name>@kubernetescrd.
        assert.strictEqual(http.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"], `python-intro-${redirectMiddleware("python-intro").metadata.name}@kubernetescrd`);
        assert.strictEqual(http.metadata.namespace, "python-intro");
    });

    it("a workshop without a hostname gets its path on plain HTTP, for any host", function () {
        const r = hubIngresses("data-viz", { baseUrl: "/data-viz/" });
        assert.strictEqual(r.https, undefined);
        assert.strictEqual(r.http, undefined);
        const rule = (r.path! as any).spec.rules[0];
        assert.strictEqual(rule.host, undefined);
        assert.deepStrictEqual(rule.http.paths[0].path, "/data-viz");
        assert.strictEqual(rule.http.paths[0].pathType, "Prefix");
    });

    it("staging and production certificates come from two issuers, so switching letsEncryptStaging reissues", function () {
        assert.notStrictEqual(issuerName(true), issuerName(false));
        assert.strictEqual((clusterIssuer("a@b.org", true).spec.acme as any).server, ACME_SERVERS.staging);
        assert.strictEqual((clusterIssuer("a@b.org", false).spec.acme as any).server, ACME_SERVERS.production);
        assert.deepStrictEqual((clusterIssuer("a@b.org", false).spec.acme as any).solvers, [{ http01: { ingress: { ingressClassName: INGRESS_CLASS } } }]);
        const cert = hubCertificate("rs", "rs.hub.esipfed.org", true);
        assert.deepStrictEqual(cert.spec.issuerRef, { group: "cert-manager.io", kind: "ClusterIssuer", name: issuerName(true) });
        assert.deepStrictEqual(cert.spec.dnsNames, ["rs.hub.esipfed.org"]);
        assert.strictEqual(cert.metadata.namespace, "rs");
    });
});
