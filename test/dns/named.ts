/** A real BIND (`named`) on 127.0.0.1 serving one zone, for the DNS tests. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import { waitFor } from "../wait";
import { freePort } from "../ports";
import { findExecutable } from "../../cli/automation";

/** A tool from a Debian package listed in .ci/apt-packages.txt: required under CI, else the test is skipped. */
export function requireTool(ctx: Mocha.Context, tool: string, pkg: string): string {
    const found = findExecutable(tool, `${process.env.PATH}:/usr/sbin:/sbin`);
    if (found) return found;
    if (process.env.CI === "true") throw new Error(`${tool} is missing: install the Debian package ${pkg} (listed in .ci/apt-packages.txt)`);
    console.log(`      (skipped: ${tool} not installed; apt-get install ${pkg})`);
    ctx.skip();
}

export const ZONE_HEAD = `$TTL 3600
@\tIN\tSOA\tns1.esipfed.org. hostmaster.esipfed.org. 2026112501 3600 600 86400 300
@\tIN\tNS\tns1.esipfed.org.
ns1\tIN\tA\t127.0.0.1
`;

export interface Named {
    readonly port: number;
    /** `127.0.0.1:PORT`, as a resolver setting. */
    readonly address: string;
    /** With `tsig`: the key file (BIND's format, made by tsig-keygen) whose key alone may update the zone. */
    readonly keyFile?: string;
    /** The zone's SOA serial now: it moves with every change to the zone, and only then. */
    serial(): number;
    /** Runs an nsupdate script (without `server`) against it. */
    update(script: string): void;
    /** `dig +short` of a name's A records. */
    lookup(name: string): string[];
    stop(): Promise<void>;
}

/** The name of the TSIG key a `tsig` named takes updates signed with. */
export const TSIG_KEY_NAME = "esiphub-update";

/**
 * Starts named in the foreground (-g) with zone esipfed.org from `records` (lines after the SOA and NS), primary,
 * no recursion, and the `otherZones` (zone name → records) beside it. Dynamic updates of esipfed.org: from 127.0.0.1;
 * with `tsig`, only those signed with a key made by tsig-keygen (`allow-update { key NAME; }`, BIND 9 ARM "Dynamic
 * Update Policies"), anything unsigned REFUSED. Resolves once it answers for esipfed.org.
 */
export async function startNamed(ctx: Mocha.Context, records = "", options: { tsig?: boolean; otherZones?: Record<string, string> } = {}): Promise<Named> {
    const namedPath = requireTool(ctx, "named", "bind9");
    requireTool(ctx, "nsupdate", "bind9-dnsutils");
    requireTool(ctx, "dig", "bind9-dnsutils");
    const keygen = options.tsig ? requireTool(ctx, "tsig-keygen", "bind9") : undefined;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-named-"));
    const port = await freePort();
    fs.writeFileSync(path.join(dir, "esipfed.org.zone"), ZONE_HEAD + records);
    const otherZones = options.otherZones ?? {};
    for (const [zone, zoneRecords] of Object.entries(otherZones)) fs.writeFileSync(path.join(dir, `${zone}.zone`), ZONE_HEAD + zoneRecords);
    const otherZoneLines = Object.keys(otherZones).map((zone) => `zone "${zone}" { type primary; file "${dir}/${zone}.zone"; };\n`);
    const keyFile = keygen ? path.join(dir, `${TSIG_KEY_NAME}.key`) : undefined;
    if (keygen && keyFile) fs.writeFileSync(keyFile, execFileSync(keygen, ["-a", "hmac-sha256", TSIG_KEY_NAME], { encoding: "utf8" }), { mode: 0o600 });
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
${keyFile ? `include "${keyFile}";\n` : ""}zone "esipfed.org" { type primary; file "${dir}/esipfed.org.zone"; allow-update { ${keyFile ? `key ${TSIG_KEY_NAME};` : "127.0.0.1;"} }; };
${otherZoneLines.join("")}`,
    );
    let log = "";
    const named: ChildProcess = spawn(namedPath, ["-g", "-c", path.join(dir, "named.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    named.stdout!.on("data", (d) => (log += d));
    named.stderr!.on("data", (d) => (log += d));
    const stop = async () => {
        // named writes its journal on the way out: remove its folder only once it has exited.
        if (named.exitCode === null && named.signalCode === null) {
            const exited = new Promise((resolve) => named.once("exit", resolve));
            named.kill("SIGTERM");
            await exited;
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    // Ready when it answers for the zone.
    try {
        await waitFor("named to answer for esipfed.org", () => {
            if (named.exitCode !== null) throw new Error(`named exited during startup:\n${log}`);
            const soa = spawnSync("dig", ["@127.0.0.1", "-p", String(port), "esipfed.org", "SOA", "+short", "+time=1", "+tries=1"], { encoding: "utf8" });
            return soa.stdout.includes("hostmaster.esipfed.org.") ? true : undefined;
        }, { intervalMs: 100, detail: () => log });
    } catch (e) {
        await stop();
        throw e;
    }
    return {
        port,
        address: `127.0.0.1:${port}`,
        keyFile,
        serial: () => Number(execFileSync("dig", ["@127.0.0.1", "-p", String(port), "esipfed.org", "SOA", "+short"], { encoding: "utf8" }).trim().split(/\s+/)[2]),
        update: (script) => void execFileSync("nsupdate", keyFile ? ["-k", keyFile] : [], { input: `server 127.0.0.1 ${port}\n${script}`, encoding: "utf8" }),
        lookup: (name) => execFileSync("dig", ["@127.0.0.1", "-p", String(port), name, "A", "+short"], { encoding: "utf8" }).split("\n").filter(Boolean).sort(),
        stop,
    };
}
