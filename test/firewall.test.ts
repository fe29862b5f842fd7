import * as assert from "assert";
import { ANYWHERE, FIREWALL_GROUPS, groupsForRole, inboundRules, ruleKey } from "../components/firewall";
import { calicoInstallationManifest, calicoNodePorts } from "../components/kubeadm/calico";
import { SITES, testConfig } from "./mocks";

const row = (r: { group: string; protocol: string; fromPort: number; toPort: number; cidr: string }) =>
    `${r.group} ${r.protocol} ${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`} from ${r.cidr}`;

describe("firewall: the inbound rules both clouds render", () => {
    it("is exactly: 22 and 6443 from the admin CIDR, 80/443 from anywhere, cluster ports from the node subnet", () => {
        const rules = inboundRules({ subnetCidr: "10.42.0.0/24", adminCidrs: ["149.165.152.0/24"] });
        assert.deepStrictEqual(rules.map(row), [
            "admin tcp 22 from 149.165.152.0/24",
            "admin tcp 6443 from 149.165.152.0/24",
            "web tcp 80 from 0.0.0.0/0",
            "web tcp 443 from 0.0.0.0/0",
            "cluster tcp 22 from 10.42.0.0/24",
            "cluster tcp 6443 from 10.42.0.0/24",
            "cluster tcp 10250 from 10.42.0.0/24",
            "cluster udp 4789 from 10.42.0.0/24",
            "cluster tcp 5473 from 10.42.0.0/24",
            "cluster tcp 2049 from 10.42.0.0/24",
            "cluster tcp 30000-32767 from 10.42.0.0/24",
        ]);
        for (const r of rules) assert.ok(r.description.length > 0, `${row(r)} says why`);
    });

    it("gives each admin CIDR its own SSH and API rules", () => {
        const rules = inboundRules({ subnetCidr: "10.10.0.0/24", adminCidrs: ["203.0.113.7/32", "198.51.100.0/24"] });
        assert.deepStrictEqual(
            rules.filter((r) => r.group === "admin").map(row),
            ["admin tcp 22 from 203.0.113.7/32", "admin tcp 6443 from 203.0.113.7/32", "admin tcp 22 from 198.51.100.0/24", "admin tcp 6443 from 198.51.100.0/24"],
        );
    });

    for (const site of SITES) {
        it(`${site}: only 80 and 443 are open to the world; SSH, the API and NFS never are`, () => {
            const config = testConfig(site);
            const rules = inboundRules(config.network);
            const open = rules.filter((r) => r.cidr === ANYWHERE || r.cidr === "::/0");
            assert.deepStrictEqual(open.map((r) => `${r.protocol}/${r.fromPort}-${r.toPort}`).sort(), ["tcp/443-443", "tcp/80-80"]);
            for (const port of [22, 2049, 6443]) {
                for (const r of rules.filter((x) => x.fromPort <= port && port <= x.toPort)) {
                    assert.ok(r.cidr === config.network.subnetCidr || config.network.adminCidrs.includes(r.cidr), `${row(r)} is limited to the subnet or an admin CIDR`);
                }
            }
            assert.ok(!rules.some((r) => r.fromPort <= 111 && 111 <= r.toPort), "no rpcbind: NFSv4 only");
        });

        it(`${site}: the node-to-node Calico rules are exactly the ports the Calico Installation needs`, () => {
            const config = testConfig(site);
            const calicoRules = inboundRules(config.network).filter((r) => r.group === "cluster" && /^Calico /.test(r.description));
            const needed = calicoNodePorts(calicoInstallationManifest(config.network.podCidr));
            assert.deepStrictEqual(
                calicoRules.map((r) => `${r.protocol}/${r.fromPort}-${r.toPort} from ${r.cidr}`).sort(),
                needed.map((p) => `${p.protocol}/${p.port}-${p.port} from ${config.network.subnetCidr}`).sort(),
            );
            assert.ok(!needed.some((p) => p.port === 179), "the Installation disables BGP, so 179 stays closed");
        });
    }

    it("applies admin and web only to the master, cluster to every node", () => {
        assert.deepStrictEqual(groupsForRole("master"), ["admin", "web", "cluster"]);
        assert.deepStrictEqual(groupsForRole("worker"), ["cluster"]);
        assert.deepStrictEqual(groupsForRole("nfs"), ["cluster"]);
        assert.deepStrictEqual(FIREWALL_GROUPS.map((g) => g.group), ["admin", "web", "cluster"]);
    });

    it("gives every rule a distinct key usable in resource names", () => {
        const rules = inboundRules({ subnetCidr: "10.10.0.0/24", adminCidrs: ["203.0.113.7/32", "198.51.100.0/24"] });
        const keys = rules.map(ruleKey);
        assert.strictEqual(new Set(keys).size, keys.length);
        for (const k of keys) assert.match(k, /^[a-z0-9-]+$/);
        assert.strictEqual(ruleKey(rules[0]), "admin-tcp-22-203-0-113-7-32");
        assert.strictEqual(ruleKey(rules.find((r) => r.fromPort === 30000)!), "cluster-tcp-30000-32767-10-10-0-0-24");
    });
});
