import * as assert from "assert";
import { CheckFailure, Verdict } from "../../cli/doctor/check";
import { checkDns, DnsTarget } from "../../cli/doctor/dns";
import { freePort, Named, startNamed } from "../dns/named";

const PUBLIC_IP = "149.165.157.42";

describe("doctor: the dns check against a real BIND on 127.0.0.1", function () {
    let named: Named | undefined;

    before(async function () {
        named = await startNamed(
            this,
            [
                `hub\t300\tIN\tA\t${PUBLIC_IP}`,
                // The address of an earlier deployment, never updated.
                "stale\t3600\tIN\tA\t203.0.113.9",
                // A second A record left behind: resolvers rotate between the two.
                `twice\t300\tIN\tA\t${PUBLIC_IP}`,
                "twice\t300\tIN\tA\t203.0.113.9",
                "v6only\t300\tIN\tAAAA\t2001:db8::42",
                "",
            ].join("\n"),
        );
    });

    after(async () => {
        await named?.stop();
    });

    const check = (target: DnsTarget): Promise<Verdict> =>
        checkDns(target, { servers: [named!.address] }).catch((e: CheckFailure) => ({ status: "fail" as const, detail: e.message, fix: e.fix }));

    it("the hostname resolves to the site's public IP: pass, with the TTL", async () => {
        assert.deepStrictEqual(await check({ hostname: "hub.esipfed.org", expectedIp: PUBLIC_IP, site: "jetstream" }), {
            status: "pass",
            detail: `hub.esipfed.org resolves to ${PUBLIC_IP} (TTL 300 s)`,
        });
    });

    it("it resolves to another address: fail, with the records to publish", async () => {
        const verdict = await check({ hostname: "stale.esipfed.org", expectedIp: PUBLIC_IP, site: "jetstream" });
        assert.strictEqual(verdict.status, "fail");
        assert.strictEqual(verdict.detail, `stale.esipfed.org resolves to 203.0.113.9 (TTL 3600 s), not to the hub's public IP ${PUBLIC_IP}`);
        assert.match(verdict.fix!, /esiphub dns jetstream --format zone/);
    });

    it("it resolves to the hub and to another address: fail", async () => {
        const verdict = await check({ hostname: "twice.esipfed.org", expectedIp: PUBLIC_IP });
        assert.strictEqual(verdict.status, "fail");
        assert.match(verdict.detail, /besides the hub's 149\.165\.157\.42 also 203\.0\.113\.9/);
    });

    it("no such name, or no A record: fail, saying which", async () => {
        const missing = await check({ hostname: "nohub.esipfed.org", expectedIp: PUBLIC_IP });
        assert.strictEqual(missing.status, "fail");
        assert.match(missing.detail, /nohub\.esipfed\.org does not exist in DNS \(NXDOMAIN\)/);
        const v6 = await check({ hostname: "v6only.esipfed.org", expectedIp: PUBLIC_IP });
        assert.strictEqual(v6.status, "fail");
        assert.match(v6.detail, /has no A \(IPv4\) record/);
    });

    it("without an expected address (a hub without a stack), resolving is enough", async () => {
        assert.strictEqual((await check({ hostname: "stale.esipfed.org" })).status, "pass");
    });

    it("a resolver that does not answer: fail, naming it", async () => {
        const silent = `127.0.0.1:${await freePort()}`;
        const verdict = await checkDns({ hostname: "hub.esipfed.org", expectedIp: PUBLIC_IP }, { servers: [silent] }).catch((e: CheckFailure) => ({ status: "fail", detail: e.message, fix: e.fix }));
        assert.strictEqual(verdict.status, "fail");
        assert.match(verdict.detail, /the resolver did not answer for hub\.esipfed\.org/);
        assert.match(verdict.fix!, new RegExp(`check the resolver ${silent}`));
    });
});
