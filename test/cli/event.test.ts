import * as assert from "assert";
import * as path from "path";
import { beyondDevelopmentScale, estimateCost } from "../../components/cost";
import type { UpdateRecord } from "../../cli/automation";
import { eventWarnings, formatHoursLeft, formatStatus, siteStatus, upSince } from "../../cli/event";
import { testConfig } from "../mocks";
import { CliHarness, deployedJetstream, projectWith } from "./harness";

const END = "2026-12-04T17:00:00-05:00"; // 22:00 UTC
const at = (iso: string) => new Date(iso);
const update = (startTime: string, result: UpdateRecord["result"] = "succeeded", kind: UpdateRecord["kind"] = "update"): UpdateRecord => ({ kind, result, startTime: at(startTime), endTime: at(startTime) });

describe("the event's end date (cli/event.ts)", () => {
    describe("warnings of plan and up", () => {
        const jetstream = testConfig("jetstream", { "esiphub:eventEnds": END });

        it("before the end: none; at it and after: the event is over, with what the site costs and how to tear it down", () => {
            assert.deepStrictEqual(eventWarnings(jetstream, at("2026-12-04T21:59:00Z")), []);
            assert.deepStrictEqual(eventWarnings(jetstream, at("2026-12-04T22:00:00Z")), [
                "esiphub:eventEnds: the event ended now (2026-12-04T17:00:00-05:00); at workshop scale the site costs 88 SU per hour: " +
                    "tear it down (`esiphub backup jetstream --out DIR`, then `esiphub destroy jetstream`), or move esiphub:eventEnds if the event goes on",
            ]);
            assert.match(eventWarnings(jetstream, at("2026-12-05T01:30:00Z"))[0], /^esiphub:eventEnds: the event ended 3\.5 h ago \(2026-12-04T17:00:00-05:00\); at workshop scale the site costs 88 SU per hour/);
        });

        it("no end date: a warning beyond development scale only (the master alone is what cost's development estimate prices)", () => {
            const now = at("2026-12-04T12:00:00Z");
            // 62 accounts on 5 workers: 6 VMs, (8 + 5 × 16) SU per hour.
            assert.deepStrictEqual(eventWarnings(testConfig("jetstream"), now), [
                "esiphub:eventEnds is not set: nothing will remind anyone to tear down this site of 6 VMs (88 SU per hour) after the event; " +
                    'set it to when the event ends, e.g. esiphub:eventEnds: "2026-12-04T17:00:00-05:00", so that `esiphub status` and examples/end-of-event.ts know',
            ]);
            // Development scale: no workers, no NFS node; the master alone takes the users (m3.medium: 7 at 4G).
            const development = testConfig("jetstream", { "esiphub:workers": "0", "esiphub:users": "5", "esiphub:extraUsers": "[]", "esiphub:adminUsers": "[]" });
            assert.strictEqual(beyondDevelopmentScale(estimateCost(development)), false);
            assert.deepStrictEqual(eventWarnings(development, now), []);
            // A dedicated NFS node is a second VM: beyond development scale.
            const nfs = testConfig("jetstream", { "esiphub:workers": "0", "esiphub:nfsNode": "true", "esiphub:users": "5", "esiphub:extraUsers": "[]", "esiphub:adminUsers": "[]" });
            assert.strictEqual(beyondDevelopmentScale(estimateCost(nfs)), true);
            assert.match(eventWarnings(nfs, now)[0], /this site of 2 VMs \(16 SU per hour\)/);
        });
    });

    it("hours: until, now, past", () => {
        assert.strictEqual(formatHoursLeft(2), "in 2.0 h");
        assert.strictEqual(formatHoursLeft(0), "now");
        assert.strictEqual(formatHoursLeft(-26.04), "26.0 h ago");
    });

    describe("since when the site's resources exist (the stack's history)", () => {
        it("the first update after the last successful destroy, whatever the order the backend lists them in", () => {
            const history = [
                update("2026-12-01T10:00:00Z"),
                update("2026-12-02T09:00:00Z", "succeeded", "destroy"),
                update("2026-12-04T08:00:00Z", "failed"),
                update("2026-12-04T08:30:00Z"),
                update("2026-12-04T09:00:00Z", "succeeded", "refresh"),
            ];
            // A failed update may have created resources: it counts.
            assert.deepStrictEqual(upSince(history.reverse()), at("2026-12-04T08:00:00Z"));
            // A destroy that failed left the resources: the first update still counts.
            assert.deepStrictEqual(upSince([update("2026-12-01T10:00:00Z"), update("2026-12-02T09:00:00Z", "failed", "destroy")]), at("2026-12-01T10:00:00Z"));
            assert.strictEqual(upSince([update("2026-12-01T10:00:00Z"), update("2026-12-02T09:00:00Z", "succeeded", "destroy")]), undefined);
            assert.strictEqual(upSince([]), undefined);
        });
    });

    describe("a status row", () => {
        const deployed = estimateCost(testConfig("jetstream"));
        const facts = { site: "jetstream", stackFile: true, resourceCount: 40, eventEndsText: END, deployedEstimate: deployed, history: [update("2026-12-04T08:00:00Z")] };

        it("before, at and after the end date: hours left, over or not, the cost per hour and so far", () => {
            const before = siteStatus(facts, at("2026-12-04T20:00:00Z"));
            assert.deepStrictEqual(
                { ...before, notes: undefined },
                {
                    site: "jetstream",
                    stackFile: true,
                    deployed: true,
                    resources: 40,
                    eventEnds: END,
                    hoursLeft: 2,
                    over: false,
                    costPerHour: { amount: 88, unit: "SU", source: "deployed" },
                    since: "2026-12-04T08:00:00.000Z",
                    // 12 h since the update started, at 88 SU per hour.
                    costSoFar: 1056,
                    notes: undefined,
                },
            );
            assert.deepStrictEqual(before.notes, []);
            const atEnd = siteStatus(facts, at("2026-12-04T22:00:00Z"));
            assert.strictEqual(atEnd.hoursLeft, 0);
            assert.strictEqual(atEnd.over, true);
            assert.deepStrictEqual(atEnd.notes, ["past its end date and still deployed: `esiphub backup jetstream --out DIR`, then `esiphub destroy jetstream`"]);
            const after = siteStatus(facts, at("2026-12-05T01:00:00Z"));
            assert.strictEqual(after.hoursLeft, -3);
            assert.strictEqual(after.costSoFar, 17 * 88);
        });

        it("not deployed: the stack file's price per hour, nothing so far; an unreadable end date is a note", () => {
            const small = estimateCost(testConfig("jetstream", { "esiphub:users": "2" }));
            const row = siteStatus({ site: "jetstream", stackFile: true, resourceCount: 0, eventEndsText: "soon", fileEstimate: small, deployedEstimate: deployed, history: [] }, at("2026-12-04T20:00:00Z"));
            assert.strictEqual(row.deployed, false);
            assert.deepStrictEqual(row.costPerHour, { amount: 24, unit: "SU", source: "stack file" });
            assert.strictEqual(row.costSoFar, null);
            assert.strictEqual(row.eventEnds, null);
            assert.match(row.notes[0], /^esiphub:eventEnds: must be empty or an ISO 8601 date-time/);
        });

        it("the table: one row per site, its notes below", () => {
            const now = at("2026-12-04T22:00:00Z");
            const text = formatStatus(
                [
                    siteStatus({ site: "aws", stackFile: true, resourceCount: 0, history: [] }, now),
                    siteStatus(facts, now),
                    siteStatus({ site: "old", stackFile: false, resourceCount: 12, history: [] }, now),
                ],
                now,
            );
            assert.strictEqual(
                text,
                [
                    "Sites at 2026-12-04 22:00 UTC (deployed or not: the Pulumi backend's state; per hour: workshop scale)",
                    "site       state                    event ends                 to the end  per hour  so far    since",
                    "aws        not deployed             -                          -           -         -",
                    "jetstream  deployed (40 resources)  2026-12-04T17:00:00-05:00  over, now   88 SU     1,232 SU  2026-12-04 08:00 UTC",
                    "old        deployed (12 resources)  -                          -           -         -",
                    "",
                    "jetstream: past its end date and still deployed: `esiphub backup jetstream --out DIR`, then `esiphub destroy jetstream`",
                    "old: in the backend but no Pulumi.old.yaml here",
                    "",
                ].join("\n"),
            );
        });
    });

    describe("in the esiphub command (the Automation double)", () => {
        const harness = new CliHarness();
        before(() => harness.setUp());
        after(() => harness.tearDown());

        it("up shows the end date in its summary and, once it is past, warns before the preview", async () => {
            const projectDir = projectWith(path.join(harness.tmp, "ended"), "jetstream", { "esiphub:users": 2, "esiphub:extraUsers": ["instructor"], "esiphub:adminUsers": ["instructor"], "esiphub:eventEnds": END });
            const r = await harness.run(["up", "jetstream", "--yes"], { projectDir, sites: deployedJetstream(), now: () => at("2026-12-05T01:00:00Z") });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /^ {2}Ends: {4}2026-12-04T17:00:00-05:00 \(esiphub:eventEnds; `esiphub status` counts the hours to it\)$/m);
            const warning = r.stdout.indexOf("Warning: esiphub:eventEnds: the event ended 3.0 h ago (2026-12-04T17:00:00-05:00); at workshop scale the site costs 24 SU per hour");
            assert.ok(warning > 0 && warning < r.stdout.indexOf("Previewing the update"), r.stdout);
        });
    });
});
