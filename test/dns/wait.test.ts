import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import { formatDnsRecords, dnsRecords } from "../../components/dns/formats";
import { DNS_READY_COMMAND } from "../../components/dns/records";
import { allPointAt, askResolver, describeAnswer, DnsWaitTimeout, optionsFromEnv, recordToCreate, waitForDns } from "../../components/dns/wait";
import { PROJECT_DIR } from "../mocks";
import { Named, startNamed } from "./named";

const IP = "149.165.157.42";

interface Run {
    child: ChildProcess;
    stdout: string;
    stderr: string;
    exited: Promise<number | null>;
}

/**
 * The dns-ready step as the program's command.local.Command runs it: DNS_READY_COMMAND through /bin/sh in the
 * project folder, its parameters in the environment.
 */
function dnsReady(env: Record<string, string>): Run {
    const child = spawn("/bin/sh", ["-c", DNS_READY_COMMAND], {
        cwd: PROJECT_DIR,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ESIPHUB_DNS_TTL: "300", ESIPHUB_DNS_INTERVAL: "0.2", ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    const run: Run = { child, stdout: "", stderr: "", exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
    child.stdout!.on("data", (d) => (run.stdout += d));
    child.stderr!.on("data", (d) => (run.stderr += d));
    return run;
}

/** Resolves once the step has printed a line matching `pattern` (or rejects if it exits first). */
function progressLine(run: Run, pattern: RegExp): Promise<void> {
    return new Promise((resolve, reject) => {
        const check = () => {
            if (pattern.test(run.stdout)) {
                run.child.stdout!.off("data", check);
                resolve();
            }
        };
        run.child.stdout!.on("data", check);
        void run.exited.then(() => (pattern.test(run.stdout) ? resolve() : reject(new Error(`exited before printing ${pattern}:\n${run.stdout}\n${run.stderr}`))));
        check();
    });
}

describe("dns-ready (components/dns/wait.ts)", function () {
    describe("pure parts", function () {
        it("the record to create, as a zone-file line with the absolute name", function () {
            assert.strictEqual(recordToCreate("hub.esipfed.org", IP, 300), "hub.esipfed.org. 300 IN A 149.165.157.42");
            // The same record `esiphub dns SITE --format zone` prints, spaced instead of tabbed.
            assert.strictEqual(recordToCreate("hub.esipfed.org", IP, 300), formatDnsRecords(dnsRecords("hub.esipfed.org", IP, 300), "zone").trim().split("\t").join(" "));
        });

        it("ready only when every resolver answers the IP and nothing else", function () {
            assert.ok(allPointAt([{ resolver: "a", addresses: [IP] }, { resolver: "b", addresses: [IP] }], IP));
            assert.ok(!allPointAt([{ resolver: "a", addresses: [IP] }, { resolver: "b", error: "ENOTFOUND" }], IP));
            assert.ok(!allPointAt([{ resolver: "a", addresses: [IP, "203.0.113.9"] }], IP), "a stale second address gets part of the requests");
            assert.ok(!allPointAt([], IP));
        });

        it("says what a resolver answered in words", function () {
            assert.strictEqual(describeAnswer({ resolver: "8.8.8.8", error: "ENOTFOUND" }), "8.8.8.8: no such name");
            assert.strictEqual(describeAnswer({ resolver: "8.8.8.8", error: "ENODATA" }), "8.8.8.8: no A record");
            assert.strictEqual(describeAnswer({ resolver: "1.1.1.1", addresses: ["203.0.113.9"] }), "1.1.1.1: 203.0.113.9");
        });

        it("reads its parameters from the environment, naming a missing one", function () {
            const log = () => undefined;
            const options = optionsFromEnv(
                { ESIPHUB_DNS_HOSTNAME: "hub.esipfed.org", ESIPHUB_DNS_IP: IP, ESIPHUB_DNS_TTL: "300", ESIPHUB_DNS_RESOLVERS: "8.8.8.8, 1.1.1.1", ESIPHUB_DNS_TIMEOUT: "1800" },
                log,
            );
            assert.deepStrictEqual({ ...options, log: undefined }, {
                hostname: "hub.esipfed.org",
                ip: IP,
                ttl: 300,
                resolvers: ["8.8.8.8", "1.1.1.1"],
                timeoutSeconds: 1800,
                intervalSeconds: 10,
                log: undefined,
            });
            assert.throws(() => optionsFromEnv({ ESIPHUB_DNS_HOSTNAME: "hub.esipfed.org" }, log), /dns-ready: ESIPHUB_DNS_IP is not set/);
            // The program sets ESIPHUB_DNS_AUTOMATIC for esiphub:hubHostname auto (components/dns/records.ts).
            assert.strictEqual(optionsFromEnv({ ESIPHUB_DNS_HOSTNAME: "h.sslip.io", ESIPHUB_DNS_IP: IP, ESIPHUB_DNS_TTL: "300", ESIPHUB_DNS_RESOLVERS: "8.8.8.8", ESIPHUB_DNS_TIMEOUT: "9", ESIPHUB_DNS_AUTOMATIC: "true" }, log).automatic, true);
        });
    });

    describe("against a real BIND on 127.0.0.1 that first lacks, then has the record", function () {
        let named: Named;
        const running: Run[] = [];

        before(async function () {
            // hub2 points elsewhere; hub3 has a stale address besides the right one; hub does not exist yet. Beside it,
            // sslip.io as that service answers: A-B-C-D.sslip.io is A.B.C.D (https://sslip.io; github.com/cunnie/sslip.io).
            named = await startNamed(this, `hub2\tIN\tA\t203.0.113.9\nhub3\tIN\tA\t203.0.113.9\nhub3\tIN\tA\t${IP}\n`, {
                "sslip.io": `${IP.replace(/\./g, "-")}\tIN\tA\t${IP}\n`,
            });
        });

        afterEach(async function () {
            for (const run of running.splice(0)) {
                if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
                await run.exited;
            }
        });

        after(async function () {
            await named?.stop();
        });

        const start = (env: Record<string, string>) => {
            const run = dnsReady({ ESIPHUB_DNS_RESOLVERS: named.address, ...env });
            running.push(run);
            return run;
        };

        it("asks the resolver it is given, not the machine's", async function () {
            assert.deepStrictEqual(await askResolver(named.address, "hub2.esipfed.org"), { resolver: named.address, addresses: ["203.0.113.9"] });
            assert.deepStrictEqual(await askResolver(named.address, "nothing.esipfed.org"), { resolver: named.address, error: "ENOTFOUND" });
        });

        it("waits while the name does not exist, with progress naming the record to create, and is done once it is created", async function () {
            // The timeout is only a guard: the test ends when the step does.
            const run = start({ ESIPHUB_DNS_HOSTNAME: "hub.esipfed.org", ESIPHUB_DNS_IP: IP, ESIPHUB_DNS_TIMEOUT: "600" });
            await progressLine(run, /no such name; waiting for the record {2}hub\.esipfed\.org\. 300 IN A 149\.165\.157\.42/);
            assert.strictEqual(run.child.exitCode, null, "it gave up while the record was missing");
            named.update(formatDnsRecords(dnsRecords("hub.esipfed.org", IP, 300), "nsupdate", "esipfed.org"));
            assert.strictEqual(await run.exited, 0, run.stderr);
            assert.match(run.stdout, /dns-ready: hub\.esipfed\.org resolves to 149\.165\.157\.42 \(127\.0\.0\.1:\d+: 149\.165\.157\.42\); HTTPS can be switched on/);
            assert.match(run.stdout, /^dns-ready: waiting up to 10m00s for hub\.esipfed\.org to resolve to 149\.165\.157\.42 \(asking 127\.0\.0\.1:\d+\)$/m);
        });

        it("on timeout fails with the exact record to create, and says what the resolvers answered", async function () {
            const run = start({ ESIPHUB_DNS_HOSTNAME: "hub4.esipfed.org", ESIPHUB_DNS_IP: IP, ESIPHUB_DNS_TIMEOUT: "1" });
            assert.strictEqual(await run.exited, 1);
            assert.match(run.stderr, /^dns-ready: hub4\.esipfed\.org does not resolve to 149\.165\.157\.42 after \d+m\d\ds \(127\.0\.0\.1:\d+: no such name\)\. Create this record/m);
            assert.match(run.stderr, /then run `pulumi up` again \(HTTPS stays off until then\):\n {2}hub4\.esipfed\.org\. 300 IN A 149\.165\.157\.42\n$/);
        });

        it("keeps waiting while the name points elsewhere, and says where", async function () {
            const run = start({ ESIPHUB_DNS_HOSTNAME: "hub2.esipfed.org", ESIPHUB_DNS_IP: IP, ESIPHUB_DNS_TIMEOUT: "1" });
            assert.strictEqual(await run.exited, 1);
            assert.match(run.stdout, /127\.0\.0\.1:\d+: 203\.0\.113\.9; waiting for the record {2}hub2\.esipfed\.org\. 300 IN A 149\.165\.157\.42/);
            assert.match(run.stderr, /\(127\.0\.0\.1:\d+: 203\.0\.113\.9\)/);
        });

        it("is not satisfied by the right address beside a stale one", async function () {
            const run = start({ ESIPHUB_DNS_HOSTNAME: "hub3.esipfed.org", ESIPHUB_DNS_IP: IP, ESIPHUB_DNS_TIMEOUT: "1" });
            assert.strictEqual(await run.exited, 1);
            assert.match(run.stderr, /\(127\.0\.0\.1:\d+: 149\.165\.157\.42, 203\.0\.113\.9\)/);
        });

        it("with a second resolver that does not answer, it waits for that one too", async function () {
            const run = start({ ESIPHUB_DNS_HOSTNAME: "hub2.esipfed.org", ESIPHUB_DNS_IP: "203.0.113.9", ESIPHUB_DNS_TIMEOUT: "1", ESIPHUB_DNS_RESOLVERS: `${named.address},127.0.0.1:9` });
            assert.strictEqual(await run.exited, 1);
            assert.match(run.stderr, /127\.0\.0\.1:9: (no answer \(timeout\)|refused the connection|ECONNREFUSED)/);
        });

        it("an automatic name (hubHostname auto): ready once the wildcard service answers; when it does not, says so, with no record to create", async function () {
            const lines: string[] = [];
            const automatic = (resolvers: string[]) =>
                waitForDns({ hostname: "149-165-157-42.sslip.io", ip: IP, ttl: 300, resolvers, timeoutSeconds: 1, intervalSeconds: 0.2, automatic: true, log: (l) => lines.push(l) });
            assert.deepStrictEqual(await automatic([named.address]), [{ resolver: named.address, addresses: [IP] }]);
            // The service unreachable: nothing answers on 127.0.0.1:9.
            const down = await automatic(["127.0.0.1:9"]).then(() => undefined, (e: unknown) => e);
            assert.ok(down instanceof DnsWaitTimeout, String(down));
            assert.match(down.message, /^dns-ready: 149-165-157-42\.sslip\.io does not resolve to 149\.165\.157\.42 after \d+m\d\ds \(127\.0\.0\.1:9: [^)]+\)\. The automatic name \(esiphub:hubHostname auto\) needs its wildcard DNS service to answer/);
            assert.doesNotMatch(down.message, /Create this record/);
            assert.ok(lines.some((l) => /waiting for the wildcard DNS service to answer it$/.test(l)), lines.join("\n"));
        });

        it("fails naming a parameter the program did not give", async function () {
            const run = start({ ESIPHUB_DNS_HOSTNAME: "hub.esipfed.org", ESIPHUB_DNS_TIMEOUT: "1" });
            assert.strictEqual(await run.exited, 1);
            assert.match(run.stderr, /dns-ready: ESIPHUB_DNS_IP is not set/);
        });
    });
});
