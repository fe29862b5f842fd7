import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import { dnsRecords, formatDnsRecords } from "../../components/dns/formats";
import { Named, requireTool, startNamed, ZONE_HEAD } from "./named";

describe("DNS records (pure)", () => {
    it("one A record, absolute name, the given TTL", () => {
        assert.deepStrictEqual(dnsRecords("hub.esipfed.org", "149.165.157.42", 300), [{ name: "hub.esipfed.org.", type: "A", ttl: 300, value: "149.165.157.42" }]);
        // A trailing dot or capitals in the input change nothing.
        assert.deepStrictEqual(dnsRecords("Hub.ESIPfed.org.", "149.165.157.42", 300), dnsRecords("hub.esipfed.org", "149.165.157.42", 300));
    });

    it("refuses what is not a hostname, an IPv4 address or a TTL", () => {
        assert.throws(() => dnsRecords("hub", "149.165.157.42", 300), /not a DNS name/);
        assert.throws(() => dnsRecords("hub..esipfed.org", "149.165.157.42", 300), /not a DNS name/);
        assert.throws(() => dnsRecords("hub.esipfed.org", "149.165.157.420", 300), /not an IPv4 address/);
        assert.throws(() => dnsRecords("hub.esipfed.org", "2001:db8::1", 300), /not an IPv4 address/);
        assert.throws(() => dnsRecords("hub.esipfed.org", "149.165.157.42", -1), /TTL must be an integer/);
        assert.throws(() => dnsRecords("hub.esipfed.org", "149.165.157.42", 2 ** 31), /TTL must be an integer/);
    });

    const records = dnsRecords("hub.esipfed.org", "149.165.157.42", 300);

    it("zone format: one tab-separated line per record", () => {
        assert.strictEqual(formatDnsRecords(records, "zone"), "hub.esipfed.org.\t300\tIN\tA\t149.165.157.42\n");
    });

    it("nsupdate format: replaces the name's A records, in the zone when it is known", () => {
        assert.strictEqual(
            formatDnsRecords(records, "nsupdate", "esipfed.org"),
            "zone esipfed.org.\nupdate delete hub.esipfed.org. A\nupdate add hub.esipfed.org. 300 A 149.165.157.42\nsend\n",
        );
        assert.strictEqual(formatDnsRecords(records, "nsupdate"), "update delete hub.esipfed.org. A\nupdate add hub.esipfed.org. 300 A 149.165.157.42\nsend\n");
    });

    it("json format", () => {
        assert.deepStrictEqual(JSON.parse(formatDnsRecords(records, "json")), [{ name: "hub.esipfed.org.", type: "A", ttl: 300, value: "149.165.157.42" }]);
    });

    it("the zone fragment is accepted by BIND's named-checkzone", function () {
        const checkzone = requireTool(this, "named-checkzone", "bind9-utils");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-zone-"));
        try {
            const file = path.join(dir, "esipfed.org.zone");
            fs.writeFileSync(file, ZONE_HEAD + formatDnsRecords(records, "zone"));
            const result = spawnSync(checkzone, ["-D", "esipfed.org", file], { encoding: "utf8" });
            assert.strictEqual(result.status, 0, result.stdout + result.stderr);
            // -D dumps the zone as BIND read it.
            assert.match(result.stdout, /^hub\.esipfed\.org\.\s+300\s+IN\s+A\s+149\.165\.157\.42$/m);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("the nsupdate script against a real BIND on 127.0.0.1", () => {
        let named: Named;

        before(async function () {
            // The name already points elsewhere: the update must replace that record, not add a second one.
            named = await startNamed(this, "hub\tIN\tA\t203.0.113.9\n");
        });

        after(async () => {
            await named?.stop();
        });

        it("after the update the name resolves to the hub's IP alone, with the TTL", () => {
            named.update(formatDnsRecords(records, "nsupdate", "esipfed.org"));
            const answer = execFileSync("dig", ["@127.0.0.1", "-p", String(named.port), "hub.esipfed.org", "A", "+noall", "+answer"], { encoding: "utf8" });
            assert.deepStrictEqual(
                answer.trim().split("\n").map((l) => l.split(/\s+/).join(" ")),
                ["hub.esipfed.org. 300 IN A 149.165.157.42"],
            );
        });
    });
});
