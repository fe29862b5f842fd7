import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import { dnsRecords, formatDnsRecords } from "../../components/dns/formats";
import { waitFor } from "../wait";
import { findExecutable } from "../../cli/automation";

/** A tool from a Debian package listed in .ci/apt-packages.txt: required under CI, else the test is skipped. */
function requireTool(ctx: Mocha.Context, tool: string, pkg: string): string {
    const found = findExecutable(tool, `${process.env.PATH}:/usr/sbin:/sbin`);
    if (found) return found;
    if (process.env.CI === "true") throw new Error(`${tool} is missing: install the Debian package ${pkg} (listed in .ci/apt-packages.txt)`);
    console.log(`      (skipped: ${tool} not installed; apt-get install ${pkg})`);
    ctx.skip();
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

const ZONE_HEAD = `$TTL 3600
@\tIN\tSOA\tns1.esipfed.org. hostmaster.esipfed.org. 2026112501 3600 600 86400 300
@\tIN\tNS\tns1.esipfed.org.
ns1\tIN\tA\t127.0.0.1
`;

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
        let dir: string;
        let named: ChildProcess | undefined;
        let port: number;
        let log = "";

        before(async function () {
            const namedPath = requireTool(this, "named", "bind9");
            requireTool(this, "nsupdate", "bind9-dnsutils");
            requireTool(this, "dig", "bind9-dnsutils");
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-named-"));
            port = await freePort();
            // The name already points elsewhere: the update must replace that record, not add a second one.
            fs.writeFileSync(path.join(dir, "esipfed.org.zone"), `${ZONE_HEAD}hub\tIN\tA\t203.0.113.9\n`);
            fs.writeFileSync(
                path.join(dir, "named.conf"),
                `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
};
controls { };
zone "esipfed.org" { type primary; file "${dir}/esipfed.org.zone"; allow-update { 127.0.0.1; }; };
`,
            );
            named = spawn(namedPath, ["-g", "-c", path.join(dir, "named.conf")], { stdio: ["ignore", "pipe", "pipe"] });
            named.stdout!.on("data", (d) => (log += d));
            named.stderr!.on("data", (d) => (log += d));
            // Ready when it answers for the zone.
            await waitFor("named to answer for esipfed.org", () => {
                if (named!.exitCode !== null) throw new Error(`named exited during startup:\n${log}`);
                const soa = spawnSync("dig", ["@127.0.0.1", "-p", String(port), "esipfed.org", "SOA", "+short", "+time=1", "+tries=1"], { encoding: "utf8" });
                return soa.stdout.includes("hostmaster.esipfed.org.") ? true : undefined;
            }, { intervalMs: 100, detail: () => log });
        });

        after(async () => {
            // named writes its journal on the way out: remove its folder only once it has exited.
            if (named && named.exitCode === null) {
                const exited = new Promise((resolve) => named!.once("exit", resolve));
                named.kill("SIGTERM");
                await exited;
            }
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it("after the update the name resolves to the hub's IP alone, with the TTL", () => {
            const script = `server 127.0.0.1 ${port}\n` + formatDnsRecords(records, "nsupdate", "esipfed.org");
            execFileSync("nsupdate", [], { input: script, encoding: "utf8" });
            const answer = execFileSync("dig", ["@127.0.0.1", "-p", String(port), "hub.esipfed.org", "A", "+noall", "+answer"], { encoding: "utf8" });
            assert.deepStrictEqual(
                answer.trim().split("\n").map((l) => l.split(/\s+/).join(" ")),
                ["hub.esipfed.org. 300 IN A 149.165.157.42"],
            );
        });
    });
});
