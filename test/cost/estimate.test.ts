import * as assert from "assert";
import { AWS_PRICES, estimateCost, formatCost, HOURS_PER_MONTH } from "../../components/cost";
import { testConfig } from "../mocks";
import { THREE_WORKSHOPS } from "../workshops/meeting";

const GiB = 2 ** 30;

describe("cost estimate", () => {
    it("the AWS price table carries its region and date, with the figures of DESIGN.md", () => {
        assert.strictEqual(AWS_PRICES.region, "us-east-1");
        assert.match(AWS_PRICES.date, /^\d{4}-\d{2}-\d{2}$/);
        assert.deepStrictEqual(AWS_PRICES.instanceHourly, {
            "t3.large": 0.0832,
            "m5.xlarge": 0.192,
            "m5.2xlarge": 0.384,
            "m5.4xlarge": 0.768,
            "r5.2xlarge": 0.504,
            "r5.4xlarge": 1.008,
        });
        assert.strictEqual(AWS_PRICES.gp3GbMonth, 0.08);
        assert.strictEqual(AWS_PRICES.publicIpv4Hourly, 0.005);
        assert.strictEqual(HOURS_PER_MONTH, 730);
    });

    it("aws: development and workshop scale in USD, line by line", () => {
        const e = estimateCost(testConfig("aws"));
        assert.strictEqual(e.unit, "USD");
        assert.match(e.pricing, /us-east-1/);
        assert.match(e.pricing, new RegExp(AWS_PRICES.date));

        // Development: the m5.xlarge master alone, 730 h.
        //   node      1 × 0.192 × 730           = 140.16
        //   root      1 × 60 GB × 0.08          =   4.80 (a whole month)
        //   data      800 GB × 0.08             =  64.00
        //   IPv4      0.005 × 730               =   3.65
        //   total                                 212.61
        const dev = e.development;
        assert.strictEqual(dev.hours, 730);
        assert.deepStrictEqual(dev.lines.map((l) => [l.kind, l.item, l.quantity, l.amount]), [
            ["node", "m5.xlarge (master)", 1, 140.16],
            ["volume", "root volume 60 GB", 1, 4.8],
            ["volume", "data volume 800 GB", 1, 64],
            ["publicIp", "public IPv4 (the master's elastic IP, one per other node)", 1, 3.65],
        ]);
        assert.strictEqual(dev.total, 212.61);
        assert.strictEqual(dev.nodes, 1);

        // Workshop: 60 accounts + instructor = 61 users, 4 h (the default).
        //   r5.2xlarge: 64 GiB − 2 GiB reserve = 62 GiB = 66 571 993 088 B; / 4G (4e9 B) = 16.64 → 16 users per worker
        //   workers = ceil(61 / 16) = 4
        //   master    1 × 0.192 × 4             = 0.768      → 0.77
        //   workers   4 × 0.504 × 4             = 8.064      → 8.06
        //   root      5 × 60 × 0.08 × 4/730     = 0.131506…  → 0.13
        //   data      800 × 0.08 × 4/730        = 0.350684…  → 0.35
        //   IPv4      5 × 0.005 × 4             = 0.10 (every AWS node has a public address; the master's is the elastic IP)
        //   total     0.77 + 8.06 + 0.13 + 0.35 + 0.10 = 9.41
        assert.strictEqual(Math.floor((64 * GiB - 2 * GiB) / 4e9), 16);
        const ws = e.workshop;
        assert.strictEqual(e.users, 61);
        assert.strictEqual(ws.workers, 4);
        assert.strictEqual(ws.nodes, 5);
        assert.deepStrictEqual(ws.lines.map((l) => [l.item, l.quantity, l.amount]), [
            ["m5.xlarge (master)", 1, 0.77],
            ["r5.2xlarge (worker)", 4, 8.06],
            ["root volume 60 GB", 5, 0.13],
            ["data volume 800 GB", 1, 0.35],
            ["public IPv4 (the master's elastic IP, one per other node)", 5, 0.1],
        ]);
        assert.strictEqual(ws.total, 9.41);
        assert.strictEqual(ws.complete, true);
        assert.deepStrictEqual(e.notes, []);
    });

    it("aws: 29 workshop accounts and the instructor for 3 hours", () => {
        // 29 + 1 extra = 30 accounts: ceil(30 / 16) = 2 workers, 3 nodes.
        //   master    0.192 × 3                 = 0.576      → 0.58
        //   workers   2 × 0.504 × 3             = 3.024      → 3.02
        //   root      3 × 60 × 0.08 × 3/730     = 0.059178…  → 0.06
        //   data      800 × 0.08 × 3/730        = 0.263013…  → 0.26
        //   IPv4      3 × 0.005 × 3             = 0.045      → 0.05 (half up)
        //   total     0.58 + 3.02 + 0.06 + 0.26 + 0.05 = 3.97
        const ws = estimateCost(testConfig("aws", { "esiphub:users": "29" }), { hours: 3 }).workshop;
        assert.strictEqual(ws.workers, 2);
        assert.deepStrictEqual(ws.lines.map((l) => l.amount), [0.58, 3.02, 0.06, 0.26, 0.05]);
        assert.strictEqual(ws.total, 3.97);
    });

    it("jetstream: service units, 1 SU per vCPU-hour; storage and floating IPs are listed but cost no SU", () => {
        const e = estimateCost(testConfig("jetstream"));
        assert.strictEqual(e.unit, "SU");
        // Development: m3.medium (8 vCPU) × 730 h = 5840 SU.
        assert.strictEqual(e.development.total, 5840);
        assert.deepStrictEqual(e.development.lines.map((l) => [l.kind, l.amount]), [
            ["node", 5840],
            ["volume", 0],
            ["volume", 0],
            ["publicIp", 0],
        ]);
        // Workshop: 60 + instructor + helper = 62 users; m3.large 60 GiB − 2 GiB = 58 GiB = 62 277 025 792 B;
        // / 4e9 = 15.57 → 15 per worker; ceil(62 / 15) = 5 workers.
        // master 8 vCPU × 4 h = 32 SU; workers 5 × 16 vCPU × 4 h = 320 SU; total 352 SU.
        assert.strictEqual(Math.floor((60 * GiB - 2 * GiB) / 4e9), 15);
        assert.strictEqual(e.workshop.workers, 5);
        assert.deepStrictEqual(e.workshop.lines.filter((l) => l.kind === "node").map((l) => [l.item, l.quantity, l.rate, l.amount]), [
            ["m3.medium (master)", 1, 8, 32],
            ["m3.large (worker)", 5, 16, 320],
        ]);
        assert.strictEqual(e.workshop.total, 352);
        assert.deepStrictEqual(e.notes, []);
    });

    it("jetstream: large-memory flavors count 2 SU per vCPU-hour", () => {
        // r3.large: 64 vCPU, 500 GiB. With 4G guarantees: (500 − 2) GiB / 4e9 = 133.7 → 133 users per worker; 62 users → 1 worker.
        // Worker: 64 vCPU × 2 SU × 6 h = 768 SU; master m3.medium 8 × 6 = 48 SU; total 816 SU.
        const e = estimateCost(testConfig("jetstream", { "esiphub:workerFlavor": "r3.large" }), { hours: 6 });
        const worker = e.workshop.lines.find((l) => l.item === "r3.large (worker)")!;
        assert.strictEqual(worker.rate, 128);
        assert.strictEqual(worker.amount, 768);
        assert.strictEqual(e.workshop.total, 816);
    });

    it("jetstream: a dedicated NFS node is one more master-sized node at workshop scale, none at development scale", () => {
        // 32 + 320 + m3.medium NFS node 8 × 4 = 32 → 384 SU.
        const e = estimateCost(testConfig("jetstream", { "esiphub:nfsNode": "true" }));
        assert.deepStrictEqual(e.workshop.lines.filter((l) => l.kind === "node").map((l) => l.item), ["m3.medium (master)", "m3.medium (nfs)", "m3.large (worker)"]);
        assert.strictEqual(e.workshop.total, 384);
        assert.strictEqual(e.workshop.nodes, 7);
        assert.strictEqual(e.development.total, 5840);
    });

    it("nebula: custom flavors are vCPU-hours, with a note that the cloud may not charge SU", () => {
        // 40 users; m1.2xlarge 32 GiB − 2 = 30 GiB = 32 212 254 720 B / 4e9 = 8.05 → 8 per worker; 5 workers.
        // master m1.xlarge 8 vCPU × 4 = 32; workers 5 × 16 × 4 = 320; total 352.
        const e = estimateCost(testConfig("nebula"));
        assert.strictEqual(e.workshop.workers, 5);
        assert.strictEqual(e.workshop.total, 352);
        assert.deepStrictEqual(e.notes, ["m1.xlarge, m1.2xlarge are not Jetstream2 flavors: figures are vCPU-hours; this cloud may charge differently or not at all"]);
    });

    it("an instance type with no price leaves its lines out of the total and says so", () => {
        const config = testConfig("aws", { "esiphub:customFlavors": JSON.stringify(["c7i.2xlarge:8:16"]), "esiphub:workerFlavor": "c7i.2xlarge" });
        const e = estimateCost(config);
        const worker = e.workshop.lines.find((l) => l.kind === "node" && l.item.startsWith("c7i"))!;
        assert.strictEqual(worker.amount, null);
        assert.strictEqual(e.workshop.complete, false);
        assert.ok(e.notes.some((n) => n.startsWith("c7i.2xlarge has no price")));
        // c7i.2xlarge 16 GiB − 2 = 14 GiB = 15 032 385 536 B / 4e9 = 3.76 → 3 per worker; ceil(61 / 3) = 21 workers, 22 nodes.
        // Total = the priced lines only: master 0.77 + root 22 × 60 × 0.08 × 4/730 = 0.5786… → 0.58 + data 0.35
        // + IPv4 22 × 0.005 × 4 = 0.44 → 2.14.
        assert.strictEqual(e.workshop.workers, 21);
        assert.strictEqual(e.workshop.total, 2.14);
        assert.match(formatCost(e), /\(incomplete: some lines have no price\)/);
    });

    it("a region other than the table's is flagged", () => {
        const e = estimateCost(testConfig("aws", { "aws:region": "eu-west-1" }));
        assert.deepStrictEqual(e.notes, ["prices are us-east-1 on-demand; eu-west-1 (aws:region) may differ"]);
    });

    it("prices the site's own sizing: a fixed worker count as it is, the accounts counted once (by the config)", () => {
        const fixed = estimateCost(testConfig("jetstream", { "esiphub:workers": "6" }));
        assert.strictEqual(fixed.workshop.workers, 6);
        assert.strictEqual(fixed.users, 62);
        assert.deepStrictEqual(fixed.notes, []);
        // The documented maximum of esiphub:users with Jetstream's 2 extra accounts: 1002 accounts, no exception.
        const max = estimateCost(testConfig("jetstream", { "esiphub:users": "1000" }));
        assert.strictEqual(max.users, 1002);
        assert.strictEqual(max.workshop.workers, 67);
    });

    it("fewer servers at once than accounts (esiphub:maxServers): the workshop scale is sized for them, and says so", () => {
        // 45 at once on m3.large (15 each): 3 workers; (8 + 3 × 16) SU/h × 4 h = 224 SU, against 352 for all 62.
        const e = estimateCost(testConfig("jetstream", { "esiphub:maxServers": "45" }));
        assert.strictEqual(e.users, 62);
        assert.strictEqual(e.maxServers, 45);
        assert.strictEqual(e.workshop.workers, 3);
        assert.strictEqual(e.workshop.total, 224);
        assert.strictEqual(e.workshop.description, "45 servers at once (esiphub:maxServers) of 62 accounts for 4 h: the master and 3 workers of m3.large");
        assert.match(formatCost(e), /^Workshop scale: 45 servers at once \(esiphub:maxServers\) of 62 accounts for 4 h: the master and 3 workers of m3\.large$/m);
        const all = estimateCost(testConfig("jetstream"));
        assert.strictEqual(all.maxServers, 62);
        assert.match(all.workshop.description, /^62 users for 4 h/);
    });

    it("the kept data volume, per month after destroy: its own line, absent when the data goes with the site", () => {
        // AWS: 800 GB × $0.08 per GB-month = $64.00 a month until it is deleted.
        const aws = estimateCost(testConfig("aws")).afterDestroy!;
        assert.deepStrictEqual(aws.lines.map((l) => [l.kind, l.item, l.quantity, l.sizeGb, l.hours, l.amount]), [["volume", "data volume 800 GB (kept)", 1, 800, HOURS_PER_MONTH, 64]]);
        assert.strictEqual(aws.total, 64);
        assert.match(formatCost(estimateCost(testConfig("aws"))), /^After destroy: the data volume kept by esiphub:keepDataOnDestroy, per month \(730 h\) until it is deleted$/m);
        // Jetstream2: volumes use the storage allocation, not SUs.
        const js = estimateCost(testConfig("jetstream")).afterDestroy!;
        assert.strictEqual(js.total, 0);
        assert.strictEqual(js.lines[0].note, "volumes use the storage allocation, not SUs");
        assert.strictEqual(estimateCost(testConfig("aws", { "esiphub:keepDataOnDestroy": "false" })).afterDestroy, undefined);
    });

    it("refuses nonsense options", () => {
        const config = testConfig("jetstream");
        assert.throws(() => estimateCost(config, { hours: 0 }), /hours must be a number above 0/);
        assert.throws(() => estimateCost(config, { hours: Number.NaN }), /hours must be a number above 0/);
    });

    it("the text view lists both scales with their totals", () => {
        const text = formatCost(estimateCost(testConfig("aws")));
        assert.match(text, /^Development scale: the master alone/m);
        assert.match(text, /^ {2}m5\.xlarge \(master\) +1 × 0\.192 \$\/h × 730 h +\$140\.16$/m);
        assert.match(text, /^ {2}data volume 800 GB +1 × 800 GB × 0\.08 \$\/GB-month × 4\/730 month +\$0\.35$/m);
        assert.match(text, /^ {2}Total +\$212\.61$/m);
        assert.match(text, /^ {2}Total +\$9\.41$/m);
        const su = formatCost(estimateCost(testConfig("jetstream")));
        assert.match(su, /^ {2}Total +5,840 SU$/m);
        assert.match(su, /^ {2}Total +352 SU$/m);
    });

    it("a site with workshops: every hub's accounts, and each workshop's share by the memory its servers hold", () => {
        const e = estimateCost(testConfig("jetstream", THREE_WORKSHOPS));
        assert.strictEqual(e.users, 42 + 32 + 22);
        assert.strictEqual(e.maxServers, 96);
        const shares = e.workshops!;
        assert.deepStrictEqual(shares.map((w) => [w.name, w.users, w.memoryGuarantee]), [["python-intro", 42, "4G"], ["remote-sensing", 32, "6G"], ["data-viz", 22, "4G"]]);
        // Memory held: 42 × 4 + 32 × 6 + 22 × 4 = 448 GB.
        assert.deepStrictEqual(shares.map((w) => w.fraction), [168 / 448, 192 / 448, 88 / 448]);
        assert.ok(Math.abs(shares.reduce((n, w) => n + w.amount, 0) - e.workshop.total) <= 0.02);
        assert.match(formatCost(e), /^ {2}remote-sensing +[\d.,]+ SU +43% +\(32 accounts, 32 at once at 6G\)$/m);
        assert.strictEqual(estimateCost(testConfig("jetstream")).workshops, undefined, "a site of one hub has no shares");
    });
});
