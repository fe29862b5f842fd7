import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { main } from "../../examples/dns-update";
import { AutomationDouble } from "../cli/automation-double";
import { Capture, CliHarness, deployedJetstream, OUTPUTS } from "../cli/harness";
import { Named, requireTool, startNamed, TSIG_KEY_NAME } from "../dns/named";

const harness = new CliHarness();

/**
 * The example run in-process through its main(), against the Automation double for the deployed site and a real
 * named on 127.0.0.1 that takes only updates signed with its TSIG key.
 */
describe("examples/dns-update.ts (a real named with a TSIG key)", function () {
    let named: Named;
    before(async function () {
        harness.setUp();
        named = await startNamed(this, "", { tsig: true });
    });
    after(async () => {
        await named?.stop();
        harness.tearDown();
    });

    const update = (sites: ReturnType<typeof deployedJetstream>, args: string[] = [], key = named.keyFile!) => {
        const out = new Capture();
        const double = new AutomationDouble(sites);
        return { out, double, done: main(["jetstream", "--server", named.address, "--key", key, ...args], harness.siteOptions(double), out) };
    };

    it("puts the hub's A record on the server; a second run sends nothing; a new address replaces the old", async () => {
        assert.deepStrictEqual(named.lookup("hub.esipfed.org"), []);
        const first = update(deployedJetstream());
        assert.strictEqual(await first.done, 0);
        // Jetstream's stack file names no esiphub:dnsZone: nsupdate finds the zone from the server's SOA.
        assert.strictEqual(first.out.text, `updated 1 record(s) of site "jetstream" on 127.0.0.1:${named.port} (TSIG key ${named.keyFile})\nhub.esipfed.org.\t300\tIN\tA\t149.165.157.42\n`);
        assert.deepStrictEqual(named.lookup("hub.esipfed.org"), ["149.165.157.42"]);
        assert.deepStrictEqual(first.double.calls, ["stack jetstream select", "outputs jetstream"]);

        const serial = named.serial();
        const second = update(deployedJetstream());
        assert.strictEqual(await second.done, 0);
        assert.match(second.out.text, /already answers with the records of site "jetstream": nothing sent/);
        // Nothing reached the zone: its serial moves with every change.
        assert.strictEqual(named.serial(), serial);

        // Rebuilt with a new address (no esiphub:publicIp kept): the record set is replaced, not added to.
        const moved = update(deployedJetstream({ outputs: { ...OUTPUTS, publicIp: { value: "149.165.157.99", secret: false } } }), ["--zone", "esipfed.org"]);
        assert.strictEqual(await moved.done, 0);
        assert.deepStrictEqual(named.lookup("hub.esipfed.org"), ["149.165.157.99"]);
        assert.ok(named.serial() > serial);
    });

    it("a key the server does not know: the server's refusal, and nothing changed", async function () {
        const keygen = requireTool(this, "tsig-keygen", "bind9");
        const wrongKey = path.join(harness.tmp, "wrong.key");
        // The same name with another secret: the server answers NOTAUTH with TSIG error BADSIG (RFC 8945 section 5.2.2).
        fs.writeFileSync(wrongKey, execFileSync(keygen, ["-a", "hmac-sha256", TSIG_KEY_NAME], { encoding: "utf8" }), { mode: 0o600 });
        const before = named.lookup("hub.esipfed.org");
        const serial = named.serial();
        const wrong = update(deployedJetstream({ outputs: { ...OUTPUTS, publicIp: { value: "149.165.157.7", secret: false } } }), [], wrongKey);
        await assert.rejects(wrong.done, (e: Error) => {
            assert.match(e.message, /^nsupdate failed: .*update failed: NOTAUTH\(BADSIG\)$/);
            return true;
        });
        assert.deepStrictEqual(named.lookup("hub.esipfed.org"), before);
        assert.strictEqual(named.serial(), serial);
    });

    it("a bad --server is refused before anything is asked", async () => {
        const bad = new AutomationDouble(deployedJetstream());
        await assert.rejects(main(["jetstream", "--server", "127.0.0.1:99999", "--key", named.keyFile!], harness.siteOptions(bad), new Capture()), /--server: "127.0.0.1:99999" is not HOST or HOST:PORT/);
        assert.deepStrictEqual(bad.calls, []);
    });
});
