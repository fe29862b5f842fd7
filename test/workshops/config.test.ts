/**
 * esiphub:workshops read and checked (components/workshops.ts, components/config.ts): each entry's settings over the
 * site's flat keys, every problem named by its path and reported together, and the workers packed for all of them.
 */
import * as assert from "assert";
import { parseSiteConfig, workshopView } from "../../components/config";
import { workshopBaseUrl } from "../../components/workshops";
import { PROJECT_DIR, stackConfig } from "../mocks";
import { EXAMPLE, meeting, problemsOf, workshops } from "./meeting";

describe("esiphub:workshops: several workshops on one site", function () {
    it("the example's three workshops: each with its own settings, the rest from the flat keys", function () {
        const config = meeting();
        assert.strictEqual(config.router, true);
        const [py, rs, viz] = config.workshops;
        assert.deepStrictEqual(
            config.workshops.map((w) => [w.name, w.hub.namespace, w.hub.users.length, w.hub.hostname]),
            [
                ["python-intro", "python-intro", 42, "python.hub.esipfed.org"],
                ["remote-sensing", "remote-sensing", 32, "rs.hub.esipfed.org"],
                ["data-viz", "data-viz", 22, "viz.hub.esipfed.org"],
            ],
        );
        assert.deepStrictEqual(rs.hub.users.slice(0, 2), ["rs-01", "rs-02"]);
        assert.deepStrictEqual(rs.hub.users.slice(-2), ["instructor", "helper"], "the flat extraUsers join every workshop");
        assert.deepStrictEqual([rs.hub.memoryGuarantee, rs.hub.memoryLimit, rs.hub.image.name], ["6G", "12G", "ghcr.io/esipfed/esiphub-remote-sensing"]);
        assert.deepStrictEqual([py.hub.memoryGuarantee, py.hub.image.name, py.hub.image.tag], ["4G", "ghcr.io/esipfed/esiphub-notebook", "2026.11"]);
        assert.deepStrictEqual(viz.hub.adminUsers, ["instructor", "helper"]);
        assert.strictEqual(py.storage.perUser, "5Gi");
    });

    it("packs the workers for every workshop's servers at its own guarantee", function () {
        const config = meeting();
        const sizing = config.nodes.sizing as { packing?: { loads: { servers: Record<string, number> }[]; unplaced: Record<string, number> } };
        assert.ok(sizing.packing, "a site with workshops is sized by packing");
        const placed: Record<string, number> = {};
        for (const l of sizing.packing.loads) for (const [w, n] of Object.entries(l.servers)) placed[w] = (placed[w] ?? 0) + n;
        assert.deepStrictEqual(placed, { "python-intro": 42, "remote-sensing": 32, "data-viz": 22 });
        assert.strictEqual(config.nodes.workers, sizing.packing.loads.length);
        assert.match(config.nodes.sizing.explanation, /first-fit decreasing/);
    });

    it("a workshop's view of the site is its own hub and folders, with itself as the only workshop", function () {
        const config = meeting();
        const view = workshopView(config, config.workshops[1]);
        assert.strictEqual(view.hub.namespace, "remote-sensing");
        assert.deepStrictEqual(view.workshops.map((w) => w.name), ["remote-sensing"]);
        assert.strictEqual(view.storage.dataVolumeSizeGb, config.storage.dataVolumeSizeGb);
    });

    it("a workshop without a hostname is served at a path of the public IP", function () {
        assert.strictEqual(workshopBaseUrl("data-viz", undefined), "/data-viz/");
        assert.strictEqual(workshopBaseUrl("data-viz", "viz.hub.esipfed.org"), "/");
        const list = JSON.parse(EXAMPLE.config["esiphub:workshops"]);
        delete list[2].hubHostname;
        const config = meeting(workshops(list));
        assert.strictEqual(config.workshops[2].hub.hostname, undefined);
    });

    it("a stack file without workshops is one hub without a name or a router", function () {
        const { config: raw } = stackConfig("jetstream");
        const config = parseSiteConfig(raw, "jetstream", PROJECT_DIR);
        assert.strictEqual(config.router, false);
        assert.deepStrictEqual(config.workshops.map((w) => [w.name, w.hub.namespace]), [[undefined, config.hub.namespace]]);
    });

    it("reports every problem of the list at once, each by its path", function () {
        const problems = problemsOf(() =>
            meeting({
                "esiphub:hubNamespace": "hubs",
                ...workshops([
                    { name: "python-intro", users: 40, hubHostname: "python.hub.esipfed.org" },
                    { name: "Python", users: 3, memoryGuarantee: "16G", memroyLimit: "1G", cloud: "aws" },
                    { name: "python-intro", hubHostname: "python.hub.esipfed.org", userNames: ["ann", "ann"], users: 2 },
                    { name: "kube-system" },
                    { users: 5 },
                    "data-viz",
                ]),
            }),
        );
        const expect = [
            /^esiphub:workshops\[1\]\.memroyLimit: unknown setting of a workshop; did you mean memoryLimit\?/,
            /^esiphub:workshops\[1\]\.cloud: a setting of the whole site, not of one workshop; set esiphub:cloud instead$/,
            /^esiphub:workshops\[1\]\.name: must be a lower-case DNS label .*got "Python"$/,
            /^esiphub:workshops\[1\]\.memoryGuarantee: 16G is more than esiphub:memoryLimit 8G/,
            /^esiphub:workshops\[2\]\.name: "python-intro" is also the name of esiphub:workshops\[0\]/,
            /^esiphub:workshops\[2\]\.userNames: duplicate user names: ann$/,
            /^esiphub:workshops\[2\]\.hubHostname: python\.hub\.esipfed\.org is also the hostname of esiphub:workshops\[0\]/,
            /^esiphub:workshops\[3\]\.name: "kube-system" is a namespace the cluster uses already/,
            /^esiphub:workshops\[4\]\.name: required;/,
            /^esiphub:workshops\[5\]: must be a map with a name/,
            /^esiphub:hubNamespace: with esiphub:workshops each hub is in a namespace named after its workshop/,
        ];
        for (const re of expect) assert.ok(problems.some((p) => re.test(p)), `no problem matching ${re} in:\n${problems.join("\n")}`);
    });

    it("names a hostname a workshop inherits from the flat key when two workshops end up with it", function () {
        const problems = problemsOf(() => meeting({ "esiphub:hubHostname": "hub.esipfed.org", ...workshops([{ name: "a" }, { name: "b" }]) }));
        assert.ok(
            problems.some((p) => /^esiphub:workshops\[1\]\.hubHostname: not set, so it is esiphub:hubHostname hub\.esipfed\.org, which is also the hostname of esiphub:workshops\[0\]/.test(p)),
            problems.join("\n"),
        );
    });

    it("refuses a list that is not a list of maps, and a YAML number rewritten inside an entry is named by its path", function () {
        assert.ok(problemsOf(() => meeting({ "esiphub:workshops": '"python-intro"' })).some((p) => /^esiphub:workshops: must be a list of workshops/.test(p)));
        const problems = problemsOf(() =>
            parseSiteConfig({ ...EXAMPLE.config, ...workshops([{ name: "a", notebookTag: 2026.1 }]) }, "meeting", PROJECT_DIR, { yamlNumbers: { "esiphub:workshops[0].notebookTag": "2026.10" } }),
        );
        assert.ok(problems.some((p) => p.startsWith("esiphub:workshops[0].notebookTag")), problems.join("\n"));
    });

    it("needs letsEncryptEmail when any workshop has a hostname, and the workshops' folders to fit on the volume", function () {
        const problems = problemsOf(() => meeting({ "esiphub:letsEncryptEmail": undefined, "esiphub:scratchSize": "300Gi" }));
        assert.ok(problems.some((p) => p.startsWith("esiphub:letsEncryptEmail: required")), problems.join("\n"));
        assert.ok(problems.some((p) => /^esiphub:dataVolumeSize: the workshops' scratch and materials folders/.test(p)), problems.join("\n"));
    });
});
