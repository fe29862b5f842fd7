import * as assert from "assert";
import { KUBELET_MAX_PODS, MAX_USERS_PER_WORKER, packServers, routedSystemPods, sizePackedWorkers, sizeWorkers, SYSTEM_PODS, SYSTEM_PODS_PER_WORKER } from "../components/sizing";
import { JETSTREAM2_FLAVORS } from "../components/catalog";
import { parseQuantity } from "../components/quantity";

const flavor = (name: string) => JETSTREAM2_FLAVORS.find((f) => f.name === name)!;
const bytes = (q: string) => parseQuantity(q)!;

describe("sizing: workers from users, memory guarantee and the pod limit", () => {
    it("counts the system pods that share a worker's 110 pods with user servers", () => {
        assert.strictEqual(KUBELET_MAX_PODS, 110);
        assert.deepStrictEqual(
            SYSTEM_PODS_PER_WORKER.map((p) => `${p.pod} ${p.count}`),
            ["kube-proxy 1", "calico-node 1", "csi-node-driver 1", "continuous-image-puller 1", "hook-image-puller 1", "proxy 1", "autohttps 1", "user-scheduler 2", "hook-image-awaiter 1", "nfs-subdir-external-provisioner 1"],
        );
        assert.strictEqual(SYSTEM_PODS, 11);
        assert.strictEqual(MAX_USERS_PER_WORKER, 99);
    });

    it("sizes by memory when the pods fit: m3.large at 4G holds 15 users", () => {
        const sizing = sizeWorkers({ users: 62, memoryGuaranteeBytes: bytes("4G"), flavor: flavor("m3.large") });
        assert.ok(typeof sizing !== "string");
        assert.deepStrictEqual({ ...sizing, explanation: undefined }, { workers: 5, usersPerWorker: 15, auto: true, limitedBy: "memory", explanation: undefined });
        assert.strictEqual(sizing.explanation, "15 users per worker, by memory (m3.large: (60 GiB - 2 GiB reserve) / 3.73 GiB guarantee = 15 users; at most 99 by the 110-pod limit)");
    });

    it("caps users per worker below 110 pods less the system pods, and says so (r3.large at 4G would take 133)", () => {
        const sizing = sizeWorkers({ users: 300, memoryGuaranteeBytes: bytes("4G"), flavor: flavor("r3.large") });
        assert.ok(typeof sizing !== "string");
        assert.strictEqual(sizing.usersPerWorker, 99);
        assert.strictEqual(sizing.limitedBy, "pods");
        assert.strictEqual(sizing.workers, 4, "ceil(300 / 99), not ceil(300 / 133) = 3");
        assert.match(sizing.explanation, /^99 users per worker, capped by pods: a node runs at most 110 pods \(kubelet maxPods\) and 11 of them are system pods \(r3\.large: .* = 133 users by memory\)$/);
    });

    it("caps small guarantees too: 200 users at 1G on one r3.xl become three workers", () => {
        const sizing = sizeWorkers({ users: 200, memoryGuaranteeBytes: bytes("1G"), flavor: flavor("r3.xl") });
        assert.ok(typeof sizing !== "string");
        assert.deepStrictEqual([sizing.workers, sizing.usersPerWorker, sizing.limitedBy], [3, 99, "pods"]);
    });

    it("keeps a fixed worker count and still reports the per-worker cap", () => {
        const sizing = sizeWorkers({ users: 60, memoryGuaranteeBytes: bytes("4G"), flavor: flavor("r3.large"), fixedWorkers: 1 });
        assert.ok(typeof sizing !== "string");
        assert.deepStrictEqual([sizing.workers, sizing.usersPerWorker, sizing.auto], [1, 99, false]);
    });

    it("refuses a flavor that cannot hold one guarantee", () => {
        assert.strictEqual(
            sizeWorkers({ users: 10, memoryGuaranteeBytes: bytes("8G"), flavor: flavor("m3.small") }),
            "m3.small has 6 GiB RAM; less the 2 GiB node reserve it cannot hold one user's memory guarantee of 7.45 GiB",
        );
    });
});

describe("sizing: several workshops' servers packed first-fit decreasing (packServers, sizePackedWorkers)", () => {
    const bin = (name: string, gb: number, pods = 100) => ({ name, capacityBytes: gb * 1e9, pods });

    it("with one guarantee it opens exactly ceil(servers / servers per node), as the single hub's sizing", () => {
        const packing = packServers([{ name: "a", servers: 62, guaranteeBytes: 4e9 }], { open: (i) => bin(`n${i}`, 60) });
        assert.strictEqual(packing.loads.length, Math.ceil(62 / 15));
        assert.deepStrictEqual(packing.unplaced, {});
    });

    it("places the largest guarantees first and fills their leftovers with smaller ones", () => {
        const packing = packServers(
            [
                { name: "small", servers: 5, guaranteeBytes: 2e9 },
                { name: "big", servers: 3, guaranteeBytes: 6e9 },
            ],
            { open: (i) => bin(`n${i}`, 10) },
        );
        // 6+2+2 | 6+2+2 | 6+2: three nodes, where "the largest guarantee for everyone" would need 8 × 6 / 10 → 8 nodes.
        assert.deepStrictEqual(
            packing.loads.map((l) => l.servers),
            [{ big: 1, small: 2 }, { big: 1, small: 2 }, { big: 1, small: 1 }],
        );
        for (const l of packing.loads) assert.ok(l.bytes <= 10e9);
    });

    it("keeps each node under its pod cap, whatever memory is left", () => {
        const packing = packServers([{ name: "tiny", servers: 7, guaranteeBytes: 1e6 }], { open: (i) => bin(`n${i}`, 100, 3) });
        assert.deepStrictEqual(packing.loads.map((l) => l.pods), [3, 3, 1]);
    });

    it("with fixed nodes reports what does not fit, per workshop", () => {
        const packing = packServers(
            [
                { name: "a", servers: 4, guaranteeBytes: 4e9 },
                { name: "b", servers: 2, guaranteeBytes: 6e9 },
            ],
            { fixed: [bin("w1", 12)] },
        );
        assert.deepStrictEqual(packing.loads[0].servers, { b: 2 });
        assert.deepStrictEqual(packing.unplaced, { a: 4 });
    });

    it("sizes fewer m3.large workers for 40 + 30 at 6G + 20 than the largest guarantee for everyone would", () => {
        const groups = [
            { name: "python-intro", servers: 40, guaranteeBytes: bytes("4G") },
            { name: "remote-sensing", servers: 30, guaranteeBytes: bytes("6G") },
            { name: "data-viz", servers: 20, guaranteeBytes: bytes("4G") },
        ];
        const systemPods = routedSystemPods(3, 3).reduce((n, p) => n + p.count, 0);
        const sizing = sizePackedWorkers({ groups, flavor: flavor("m3.large"), systemPods });
        assert.ok(typeof sizing !== "string", String(sizing));
        const largest = sizeWorkers({ users: 90, memoryGuaranteeBytes: bytes("6G"), flavor: flavor("m3.large") });
        assert.ok(typeof largest !== "string");
        assert.ok(sizing.workers < largest.workers, `${sizing.workers} packed against ${largest.workers} at the largest guarantee`);
        const placed = sizing.packing.loads.reduce((n, l) => n + l.pods, 0);
        assert.strictEqual(placed, 90);
        assert.deepStrictEqual(sizing.packing.unplaced, {});
    });

    it("counts each hub's pods and the router's on a worker; cert-manager only with a hostname", () => {
        const count = (hubs: number, hostnames: number) => routedSystemPods(hubs, hostnames).reduce((n, p) => n + p.count, 0);
        // Per hub: both pullers, the proxy, two user-schedulers and the hook-image-awaiter (6); no autohttps.
        assert.strictEqual(count(2, 0) - count(1, 0), 6);
        assert.strictEqual(count(1, 1) - count(1, 0), 3 + 1 + 1);
    });

    it("refuses a guarantee no worker holds, and a site whose system pods leave no room", () => {
        const big = sizePackedWorkers({ groups: [{ name: "a", servers: 1, guaranteeBytes: bytes("64G") }], flavor: flavor("m3.large"), systemPods: 20 });
        assert.match(String(big), /cannot hold one user's memory guarantee/);
        const full = sizePackedWorkers({ groups: [{ name: "a", servers: 1, guaranteeBytes: bytes("1G") }], flavor: flavor("m3.large"), systemPods: KUBELET_MAX_PODS });
        assert.match(String(full), /no room for a user's server/);
    });
});
