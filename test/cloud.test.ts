import * as assert from "assert";
import { cloudInit, nodeLayout, siteTags } from "../components/cloud";
import { testConfig } from "./mocks";

describe("cloud layer: nodes, names and tags shared by both clouds", () => {
    it("names the master and the workers after the site, workers numbered from 01", () => {
        const config = testConfig("jetstream", { "esiphub:workers": "3", "esiphub:users": "10" });
        assert.deepStrictEqual(
            nodeLayout(config).map((n) => `${n.name} ${n.role} ${n.flavor.name}`),
            ["jetstream-master master m3.medium", "jetstream-worker-01 worker m3.large", "jetstream-worker-02 worker m3.large", "jetstream-worker-03 worker m3.large"],
        );
    });

    it("adds an nfs node of the master's flavor when esiphub:nfsNode is on", () => {
        // 6 workshop accounts and the Nebula stack's two organisers' accounts: the one worker's 8.
        const config = testConfig("nebula", { "esiphub:workers": "1", "esiphub:users": "6", "esiphub:nfsNode": "true" });
        assert.deepStrictEqual(
            nodeLayout(config).map((n) => `${n.name} ${n.role} ${n.flavor.name}`),
            ["nebula-master master m1.xlarge", "nebula-nfs nfs m1.xlarge", "nebula-worker-01 worker m1.2xlarge"],
        );
    });

    it("has only the master with no workers, and three digits from worker 100", () => {
        assert.deepStrictEqual(nodeLayout(testConfig("aws", { "esiphub:workers": "0", "esiphub:users": "2" })).map((n) => n.name), ["aws-master"]);
        const names = nodeLayout(testConfig("aws", { "esiphub:workers": "100", "esiphub:users": "1000" })).map((n) => n.name);
        assert.deepStrictEqual([names[1], names[99], names[100]], ["aws-worker-01", "aws-worker-99", "aws-worker-100"]);
    });

    it("refuses a stack name that cannot be a hostname", () => {
        const config = { ...testConfig("aws"), site: "Dev_Stack" };
        assert.throws(() => nodeLayout(config), /stack name "Dev_Stack" cannot prefix node names such as Dev_Stack-worker-\d\d: use lower-case letters, digits and -/);
        // "-worker-05" leaves 53 characters of a 63-character hostname.
        const base = testConfig("aws", { "esiphub:workers": "5" });
        assert.strictEqual(nodeLayout({ ...base, site: "a".repeat(53) }).length, 6);
        assert.throws(() => nodeLayout({ ...base, site: "a".repeat(54) }), /at most 53 characters/);
    });

    it("sets the hostname to the node name on first boot", () => {
        const text = cloudInit("jetstream-worker-07");
        assert.match(text, /^#cloud-config\n/);
        assert.match(text, /^hostname: jetstream-worker-07$/m);
        assert.match(text, /^fqdn: jetstream-worker-07$/m);
    });

    it("tags with site, stack and role", () => {
        assert.deepStrictEqual(siteTags("aws", "aws", "worker"), { site: "aws", stack: "aws", role: "worker" });
    });
});
