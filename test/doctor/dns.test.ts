import * as assert from "assert";
import { Verdict } from "../../cli/doctor/check";
import { checkDns, DnsTarget } from "../../cli/doctor/dns";
import { Named, startNamed } from "../dns/named";
import { quietPort } from "../ports";

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

    const check = (target: DnsTarget, servers = [named!.address]): Promise<Verdict> => checkDns(target, { servers });

    it("the hostname resolves to the site's public IP alone: pass", async () => {
        assert.deepStrictEqual(await check({ hostname: "hub.esipfed.org", expectedIp: PUBLIC_IP, site: "jetstream" }), {
            status: "pass",
            detail: `hub.esipfed.org resolves to ${PUBLIC_IP} alone (${named!.address})`,
        });
    });

    it("it resolves to another address: fail, with the record to have", async () => {
        const verdict = await check({ hostname: "stale.esipfed.org", expectedIp: PUBLIC_IP, ttl: 300, site: "jetstream" });
        assert.strictEqual(verdict.status, "fail");
        assert.strictEqual(verdict.detail, `stale.esipfed.org does not point at the hub's ${PUBLIC_IP} alone (${named!.address}: 203.0.113.9)`);
        assert.match(verdict.fix!, /^the record to have, and no other A record: stale\.esipfed\.org\. 300 IN A 149\.165\.157\.42 \(esiphub dns jetstream prints it;/);
    });

    it("it resolves to the hub and to another address: fail", async () => {
        const verdict = await check({ hostname: "twice.esipfed.org", expectedIp: PUBLIC_IP });
        assert.strictEqual(verdict.status, "fail");
        assert.match(verdict.detail, /: 149\.165\.157\.42, 203\.0\.113\.9\)$/);
    });

    it("no such name, or no A record: fail, saying which", async () => {
        const missing = await check({ hostname: "nohub.esipfed.org", expectedIp: PUBLIC_IP });
        assert.strictEqual(missing.status, "fail");
        assert.match(missing.detail, /: no such name\)$/);
        const v6 = await check({ hostname: "v6only.esipfed.org", expectedIp: PUBLIC_IP });
        assert.strictEqual(v6.status, "fail");
        assert.match(v6.detail, /: no A record\)$/);
    });

    it("without an expected address (a hub without a stack), resolving is enough", async () => {
        assert.strictEqual((await check({ hostname: "stale.esipfed.org" })).status, "pass");
        assert.strictEqual((await check({ hostname: "nohub.esipfed.org" })).status, "fail");
    });

    it("every resolver must agree; one that does not answer fails the check, named", async () => {
        const silent = `127.0.0.1:${await quietPort()}`;
        const verdict = await check({ hostname: "hub.esipfed.org", expectedIp: PUBLIC_IP }, [named!.address, silent]);
        assert.strictEqual(verdict.status, "fail");
        assert.strictEqual(verdict.detail, `hub.esipfed.org does not point at the hub's ${PUBLIC_IP} alone (${named!.address}: ${PUBLIC_IP}; ${silent}: refused the connection)`);
    });
});
