import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { estimateCost } from "../../components/cost";
import type { FakeSite } from "./automation-double";
import { assertOneLineError, CliHarness, DATA_VOLUME, OUTPUTS, projectWith } from "./harness";
import { testConfig } from "../mocks";

const harness = new CliHarness();

/** Changes settings of Pulumi.<site>.yaml in `dir` in place. */
function setIn(dir: string, site: string, settings: Record<string, unknown>): void {
    const file = path.join(dir, `Pulumi.${site}.yaml`);
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    for (const [key, value] of Object.entries(settings)) doc.setIn(["config", key], value);
    fs.writeFileSync(file, doc.toString());
}

/** Jetstream's event ends at 5 pm in Indiana (EST): 22:00 UTC. */
const JETSTREAM_ENDS = "2026-12-04T17:00:00-05:00";
const AWS_ENDS = "2026-12-05T22:00:00Z";

describe("esiphub status (through the Automation double, at a clock the test sets)", () => {
    let projectDir: string;
    before(() => {
        harness.setUp();
        projectDir = projectWith(path.join(harness.tmp, "status"), "jetstream", {
            "esiphub:users": 2,
            "esiphub:extraUsers": ["instructor"],
            "esiphub:adminUsers": ["instructor"],
            "esiphub:eventEnds": JETSTREAM_ENDS,
        });
        setIn(projectDir, "aws", { "esiphub:eventEnds": AWS_ENDS });
    });
    after(() => harness.tearDown());

    /** The backend: jetstream deployed at 08:00 (as the full stack), aws never, nebula destroyed, and a stack with no stack file. */
    function backend(): Record<string, FakeSite> {
        const update = (iso: string, kind: "update" | "destroy" = "update") => ({ kind, result: "succeeded" as const, startTime: new Date(iso), endTime: new Date(iso) });
        return {
            jetstream: {
                resources: [{ ...DATA_VOLUME, retainOnDelete: true }, { urn: "urn:pulumi:jetstream::esiphub::pulumi:pulumi:Stack::esiphub-jetstream", type: "pulumi:pulumi:Stack", protect: false, retainOnDelete: false }],
                // Deployed with the shipped stack's 62 accounts: 88 SU per hour, whatever the stack file says now.
                outputs: { ...OUTPUTS, cost: { value: estimateCost(testConfig("jetstream")), secret: false } },
                history: [update("2026-12-04T08:00:00Z"), update("2026-12-02T09:00:00Z", "destroy"), update("2026-12-01T10:00:00Z")],
            },
            aws: { exists: false },
            nebula: { resources: [], history: [update("2026-12-03T09:00:00Z", "destroy"), update("2026-12-02T10:00:00Z")] },
            forgotten: { resources: [{ ...DATA_VOLUME, urn: DATA_VOLUME.urn.replace(/jetstream/g, "forgotten"), retainOnDelete: true }], outputs: {}, history: [update("2026-11-20T12:00:00Z")] },
        };
    }

    const status = (now: string, args: string[] = []) => harness.run(["status", ...args], { projectDir, sites: backend(), now: () => new Date(now) });

    it("before the end: every stack file and every stack of the backend, deployed or not, the hours left, the cost per hour and so far", async () => {
        const r = await status("2026-12-04T20:00:00Z");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(
            r.stdout,
            [
                "Sites at 2026-12-04 20:00 UTC (deployed or not: the Pulumi backend's state; per hour: workshop scale)",
                "site       state                   event ends                 to the end  per hour  so far    since",
                "aws        not deployed            2026-12-05T22:00:00Z       in 26.0 h   $2.35     -",
                "forgotten  deployed (1 resource)   -                          -           -         -         2026-11-20 12:00 UTC",
                "jetstream  deployed (2 resources)  2026-12-04T17:00:00-05:00  in 2.0 h    88 SU     1,056 SU  2026-12-04 08:00 UTC",
                "nebula     not deployed            -                          -           88 SU     -",
                "",
                "forgotten: in the backend but no Pulumi.forgotten.yaml here",
                "",
            ].join("\n"),
        );
        // One listing, then the outputs and history of each deployed stack only.
        assert.deepStrictEqual(r.calls, ["stacks", "stack forgotten select", "outputs forgotten", "history forgotten", "stack jetstream select", "outputs jetstream", "history jetstream"]);
    });

    it("at the end date the event is over; after it, the hours past", async () => {
        const atEnd = await status("2026-12-04T22:00:00Z");
        assert.match(atEnd.stdout, /^jetstream {2}deployed \(2 resources\) {2}2026-12-04T17:00:00-05:00 {2}over, now {3}88 SU {5}1,232 SU {2}2026-12-04 08:00 UTC$/m);
        assert.match(atEnd.stdout, /^jetstream: past its end date and still deployed: `esiphub backup jetstream --out DIR`, then `esiphub destroy jetstream`$/m);
        const after = await status("2026-12-05T01:00:00Z", ["--json"]);
        const rows = JSON.parse(after.stdout) as Array<Record<string, unknown>>;
        assert.deepStrictEqual(
            rows.find((r) => r.site === "jetstream"),
            {
                site: "jetstream",
                stackFile: true,
                deployed: true,
                resources: 2,
                eventEnds: JETSTREAM_ENDS,
                hoursLeft: -3,
                over: true,
                costPerHour: { amount: 88, unit: "SU", source: "deployed" },
                since: "2026-12-04T08:00:00.000Z",
                costSoFar: 17 * 88,
                notes: ["past its end date and still deployed: `esiphub backup jetstream --out DIR`, then `esiphub destroy jetstream`"],
            },
        );
        // aws is not deployed: its end is still ahead, its price from the stack file.
        assert.deepStrictEqual(rows.find((r) => r.site === "aws"), {
            site: "aws",
            stackFile: true,
            deployed: false,
            resources: 0,
            eventEnds: AWS_ENDS,
            hoursLeft: 21,
            over: false,
            costPerHour: { amount: 2.35, unit: "USD", source: "stack file" },
            since: null,
            costSoFar: null,
            notes: [],
        });
        assert.deepStrictEqual(rows.map((r) => r.site), ["aws", "forgotten", "jetstream", "nebula"]);
    });

    it("a deployed site with no end date, and a stack file that no longer validates, are noted", async () => {
        const dir = projectWith(path.join(harness.tmp, "status-broken"), "nebula", { "esiphub:memoryLimt": "8G" });
        const sites = backend();
        sites.nebula = { resources: [{ ...DATA_VOLUME, urn: DATA_VOLUME.urn.replace(/jetstream/g, "nebula"), retainOnDelete: false }], outputs: {}, history: [] };
        sites.aws = { resources: [{ ...DATA_VOLUME, type: "aws:ebs/volume:Volume", retainOnDelete: false }], outputs: {}, history: [] };
        const r = await harness.run(["status"], { projectDir: dir, sites, now: () => new Date("2026-12-04T20:00:00Z") });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /^aws: deployed with no esiphub:eventEnds: set it so that nothing forgets this site$/m);
        assert.match(r.stdout, /^nebula: Pulumi\.nebula\.yaml does not validate \(`esiphub plan nebula` lists the problems\)$/m);
    });

    it("needs the Pulumi CLI (the backend is where deployed-or-not comes from)", async () => {
        const r = await harness.run(["status"], { projectDir, sites: backend(), env: { PATH: "/nonexistent" } });
        assertOneLineError(r, /^esiphub: the Pulumi CLI \(pulumi\) is not on PATH: install it with/);
        assert.deepStrictEqual(r.calls, []);
    });
});
