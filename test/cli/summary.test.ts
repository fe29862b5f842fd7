import * as assert from "assert";
import { estimateCost } from "../../components/cost";
import { formatSummary, siteSummary } from "../../cli/summary";
import { testConfig } from "../mocks";
import { THREE_WORKSHOPS } from "../workshops/meeting";

describe("the summary that opens plan and up", () => {
    it("a master-only site without a hostname: user servers on the master, no address before the deployment", () => {
        // m1.xlarge (16 GiB): (16 - 2) GiB / 4G = 3 users.
        const config = testConfig("nebula", {
            "esiphub:workers": "0",
            "esiphub:users": "3",
            "esiphub:extraUsers": "[]",
            "esiphub:adminUsers": "[]",
            "esiphub:hubHostname": undefined,
            "esiphub:allowPlainHttp": "true",
            "esiphub:dataVolumeSize": "500",
            "esiphub:keepDataOnDestroy": "false",
        });
        const summary = siteSummary(config, estimateCost(config), "http://203.0.113.31");
        assert.strictEqual(summary.hubUrl, null, "the offline plan's address is a stand-in, not the hub's");
        assert.deepStrictEqual(summary.users, { accounts: 3, usersPerWorker: 8, workersAuto: false, capacity: 3, onMaster: true, memoryGuarantee: "4G", memoryLimit: "8G", maxServers: 3 });
        assert.deepStrictEqual(summary.nodes, { count: 1, vcpus: 8, ramGiB: 16, groups: [{ role: "master", count: 1, flavor: "m1.xlarge", vcpus: 8, ramGiB: 16 }] });
        assert.strictEqual(summary.cost.afterDestroyPerMonth, null);
        const text = formatSummary(summary);
        assert.match(text, /^ {2}Users: {3}3 accounts; user servers on the master at the 4G guarantee \(limit 8G\); capacity 3: every account fits$/m);
        assert.match(text, /^ {2}Hub: {5}plain HTTP on the public IP, known once deployed/m);
        assert.match(text, /on a 500 GB data volume \(deleted with the site \(esiphub:keepDataOnDestroy false\)\)$/m);
        assert.strictEqual(summary.https, false);
    });

    it("an automatic name (esiphub:hubHostname auto): HTTPS on the sslip.io name of an address known once deployed", () => {
        const config = testConfig("nebula");
        const summary = siteSummary(config, estimateCost(config), "https://203-0-113-31.sslip.io");
        assert.strictEqual(summary.https, true);
        assert.strictEqual(summary.hubUrl, null, "the offline plan's address is a stand-in, not the hub's");
        assert.match(formatSummary(summary), /^ {2}Hub: {5}https:\/\/<public IP with dashes>\.sslip\.io \(esiphub:hubHostname auto\), known once deployed$/m);
    });

    it("fewer servers at once than accounts (esiphub:maxServers): sized for them, and the hub refuses more", () => {
        // 45 at once on m3.large (15 each): 3 workers, for 62 accounts.
        const config = testConfig("jetstream", { "esiphub:maxServers": "45" });
        const summary = siteSummary(config, estimateCost(config), "https://hub.esipfed.org");
        assert.strictEqual(summary.users.maxServers, 45);
        assert.strictEqual(summary.users.accounts, 62);
        assert.strictEqual(summary.users.capacity, 45);
        const text = formatSummary(summary);
        assert.match(
            text,
            /^ {2}Users: {3}62 accounts, 45 servers at once \(esiphub:maxServers; the hub refuses more\); 15 per worker \(workers sized automatically\) at the 4G guarantee \(limit 8G\); capacity 45: all 45 at once fit$/m,
        );
        assert.match(text, /^ {2}Nodes: {3}1 × m3\.medium master \(8 vCPU, 30 GiB\) \+ 3 × m3\.large workers/m);
        // Every account at once is no limit: the line says accounts only.
        const all = formatSummary(siteSummary(testConfig("jetstream", { "esiphub:maxServers": "62" }), estimateCost(testConfig("jetstream")), null));
        assert.match(all, /^ {2}Users: {3}62 accounts; 15 per worker .*capacity 75: every account fits$/m);
    });

    it("a dedicated NFS node and master scheduling count in nodes and capacity", () => {
        // 4 × 15 on m3.large workers + 7 on the m3.medium master = 67.
        const config = testConfig("jetstream", { "esiphub:workers": "4", "esiphub:scheduleOnMaster": "true", "esiphub:nfsNode": "true" });
        const summary = siteSummary(config, estimateCost(config), "https://hub.esipfed.org");
        assert.strictEqual(summary.users.capacity, 67);
        assert.deepStrictEqual(summary.nodes.groups.map((g) => `${g.count} ${g.role} ${g.flavor}`), ["1 master m3.medium", "1 nfs m3.medium", "4 worker m3.large"]);
        assert.strictEqual(summary.nodes.vcpus, 8 + 8 + 4 * 16);
        assert.strictEqual(summary.hubUrl, "https://hub.esipfed.org");
    });

    it("a site with workshops: every hub's accounts, packed capacity, and a line per workshop with its address and cost", () => {
        const config = testConfig("jetstream", THREE_WORKSHOPS);
        const estimate = estimateCost(config);
        const summary = siteSummary(config, estimate, undefined);
        assert.strictEqual(summary.users.accounts, 96);
        assert.strictEqual(summary.users.capacity, 96, "the packed workers hold every workshop's servers");
        assert.deepStrictEqual(summary.workshops!.map((w) => [w.name, w.accounts, w.hubUrl, w.costShare]), [
            ["python-intro", 42, "https://python.hub.esipfed.org", estimate.workshops![0].amount],
            ["remote-sensing", 32, "https://rs.hub.esipfed.org", estimate.workshops![1].amount],
            ["data-viz", 22, null, estimate.workshops![2].amount],
        ]);
        const text = formatSummary(summary);
        assert.match(text, /^ {2}Users: +96 accounts in 3 workshops; workers packed by each workshop's guarantee, .*capacity 96: every account fits$/m);
        assert.match(text, /^ {2}Hub: +remote-sensing: https:\/\/rs\.hub\.esipfed\.org, 32 accounts at 6G \(limit 12G\), [\d.,]+ SU of the workshop cost$/m);
        assert.match(text, /^ {2}Hub: +data-viz: http:\/\/<public IP>\/data-viz\/ \(plain HTTP/m);
        assert.strictEqual(siteSummary(testConfig("jetstream"), estimateCost(testConfig("jetstream")), undefined).workshops, undefined);
    });

    it("a fixed worker count too small for the workshops is refused by the config, so the capacity never reads short", () => {
        assert.throws(() => testConfig("jetstream", { ...THREE_WORKSHOPS, "esiphub:workers": "3" }), /esiphub:workers: 3: 3 workers of m3\.large hold \d+ of the 96 servers of the workshops/);
    });
});

