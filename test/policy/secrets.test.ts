/**
 * No secret in the clear: for every stack, the values that must stay secret (the SSH private key, every generated
 * password, the hub's cookie secret (the chart generates the proxy's token in the cluster), the kubeconfig and its
 * client key) are looked for in the stack outputs, in `esiphub plan --json` and in the text plan. Their clear values
 * come from the same offline run (its raw inputs and outputs, and the offline state that played the cloud).
 */
import * as assert from "assert";
import { planText, runPlan } from "../../cli/plan";
import { OFFLINE_STATE } from "../../plan/state";
import { printsClusterSecret, viewOfPlannedResource } from "../../policy/rules";
import { HUB_SECRET_NAME } from "../../components/jupyterhub/hub";
import { COOKIE_SECRET_KEY } from "../../components/jupyterhub/values";
import { PlanResult, SITES, stackConfig } from "../mocks";
import { requireProgram } from "./captured";

interface Secret {
    what: string;
    value: string;
}

/** Every secret of one offline run, with where it comes from. */
function secretsOf(site: (typeof SITES)[number], result: PlanResult): Secret[] {
    const secrets: Secret[] = [];
    const key = stackConfig(site).config["esiphub:sshPrivateKey"];
    secrets.push({ what: "esiphub:sshPrivateKey", value: key });
    // Its key material on its own, in case the key is cut into lines somewhere.
    for (const line of key.split("\n").filter((l) => l && !l.startsWith("-----"))) secrets.push({ what: "esiphub:sshPrivateKey (a line)", value: line });

    for (const r of result.resources) {
        const raw = result.rawInputs.get(r.urn) ?? {};
        if (r.type === "random:index/randomPassword:RandomPassword") {
            secrets.push({ what: `${r.name}.result`, value: String(OFFLINE_STATE[r.type](r.name, raw).result) });
        }
        if (printsClusterSecret(viewOfPlannedResource(r))) {
            const stdout = String(OFFLINE_STATE[r.type](r.name, raw).stdout);
            // A join prints nothing: its join command never leaves the master and the worker.
            if (stdout) secrets.push({ what: `${r.name}.stdout`, value: stdout });
            const token = / --token (\S+)/.exec(stdout)?.[1];
            if (token) secrets.push({ what: `${r.name}.stdout (the token)`, value: token });
            const clientKey = /client-key-data: (\S+)/.exec(stdout)?.[1];
            if (clientKey) secrets.push({ what: `${r.name}.stdout (client-key-data)`, value: clientKey });
        }
    }
    const kubeconfig = result.rawOutputs.kubeconfig;
    assert.strictEqual(typeof kubeconfig, "string");
    secrets.push({ what: "output kubeconfig", value: kubeconfig as string });
    return secrets;
}

/** Every string in a JSON value, with its path. */
function strings(value: unknown, at: string, out: [string, string][] = []): [string, string][] {
    if (typeof value === "string") out.push([at, value]);
    else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${at}[${i}]`, out));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) strings(v, at ? `${at}.${k}` : k, out);
    return out;
}

/** "where: which secret" for each secret (or its base64) found in a string. */
function leaks(places: [string, string][], secrets: Secret[]): string[] {
    const found: string[] = [];
    for (const [where, text] of places) {
        for (const s of secrets) {
            if (text.includes(s.value)) found.push(`${where}: ${s.what}`);
            else if (text.includes(Buffer.from(s.value).toString("base64"))) found.push(`${where}: ${s.what} (base64)`);
        }
    }
    return found;
}

describe("secrets are never in the clear", function () {
    beforeEach(function () {
        requireProgram(this);
    });

    for (const site of SITES) {
        it(`${site}: not in the outputs, not in \`esiphub plan --json\`, not in the text plan`, async () => {
            const outcome = await runPlan(site, { json: true });
            assert.strictEqual(outcome.stderr, "");
            const result = outcome.result!;
            const secrets = secretsOf(site, result);

            // Every secret the brief names is among them, long enough not to match by chance.
            const credentials = result.rawOutputs.credentials as { username: string; password: string }[];
            assert.ok(credentials.length > 0);
            for (const c of credentials) assert.ok(secrets.some((s) => s.value === c.password), `the password of ${c.username} is known`);
            // The cookie secret is in the hub's own Secret (hub.existingSecret), not a Helm value; the proxy's token is the
            // chart's to generate (components/jupyterhub/values.ts, COOKIE_SECRET_KEY), so no value holds either.
            const hub = result.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "jupyterhub")!;
            const hubValues = result.rawInputs.get(hub.urn)!.values as { hub: Record<string, unknown>; proxy: Record<string, unknown> };
            assert.strictEqual(hubValues.hub.cookieSecret, undefined);
            assert.strictEqual(hubValues.proxy.secretToken, undefined);
            const hubSecret = result.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs.metadata as { name?: string })?.name === HUB_SECRET_NAME)!;
            const cookieSecret = (result.rawInputs.get(hubSecret.urn)!.stringData as Record<string, string>)[COOKIE_SECRET_KEY];
            assert.ok(secrets.some((s) => s.value === cookieSecret), "the cookie secret is known");
            // Join commands are minted on the master while a join runs (join-worker.sh): none exists in the program.
            const everything = [...strings(result.rawOutputs, "raw output"), ...strings(Object.fromEntries(result.rawInputs), "raw input")];
            assert.deepStrictEqual(everything.filter(([, text]) => /--token [a-z0-9]{6}\.[a-z0-9]{16}/.test(text)).map(([where]) => where), []);
            for (const s of secrets) assert.ok(s.value.length >= 12, `${s.what} is long enough to search for`);

            const places: [string, string][] = [
                ...strings(result.outputs, "output"),
                ...strings(JSON.parse(outcome.stdout), "plan --json"),
                ["text plan", planText(result, [])],
            ];
            assert.deepStrictEqual(leaks(places, secrets), []);

            // The search finds them where they are meant to be: in the clear values kept for tests.
            const found = leaks([...strings(result.rawOutputs, "raw output"), ...strings(Object.fromEntries(result.rawInputs), "raw input")], secrets);
            for (const c of credentials) assert.ok(found.some((f) => f.endsWith(`-password-${c.username}.result`)), `the search finds ${c.username}'s password`);
            assert.ok(found.some((f) => f.endsWith("esiphub:sshPrivateKey")), "the search finds the private key");
            assert.ok(found.some((f) => f.startsWith("raw output.kubeconfig")), "the search finds the kubeconfig");
            assert.ok(found.some((f) => f.startsWith(`raw input.${hubSecret.urn}.stringData.`)), "the search finds the cookie secret");
        });
    }
});
