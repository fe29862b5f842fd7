import * as assert from "assert";
import { KUBELET_MAX_PODS, MAX_USERS_PER_WORKER, sizeWorkers, SYSTEM_PODS, SYSTEM_PODS_PER_WORKER } from "../components/sizing";
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
