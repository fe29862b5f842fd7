import * as assert from "assert";
import { buildReport, formatReport, phasesOf } from "../../cli/loadtest/report";
import { SAMPLE_RESULTS, SETTINGS } from "./samples";

describe("loadtest: report", () => {
    it("lists the phases the run went through", () => {
        assert.deepStrictEqual(phasesOf({ execute: false, stop: false }), ["login", "spawn", "page"]);
        assert.deepStrictEqual(phasesOf({ execute: true, stop: true }), ["login", "spawn", "page", "execute", "stop"]);
        assert.deepStrictEqual(phasesOf({ execute: false, stop: true }), ["login", "spawn", "page", "stop"]);
    });

    it("gives each phase its figures and its errors by class", () => {
        const report = buildReport({ hub: "https://hub.example.org", startedAt: new Date("2025-03-01T10:00:00Z"), wallSeconds: 91.23456, settings: SETTINGS, results: SAMPLE_RESULTS });
        assert.deepStrictEqual(Object.keys(report.phases), ["login", "spawn", "page", "execute"]);
        assert.deepStrictEqual(report.phases.login, { count: 3, p50: 0.6, p90: 0.7, p95: 0.7, max: 0.7, errors: { "login-refused": 1 } });
        assert.deepStrictEqual(report.phases.spawn, { count: 3, p50: 20, p90: 30, p95: 30, max: 30, errors: {} });
        assert.deepStrictEqual(report.phases.page, { count: 2, p50: 0.2, p90: 0.4, p95: 0.4, max: 0.4, errors: { "http-5xx": 1 } });
        assert.deepStrictEqual(report.phases.execute!.count, 2);
        assert.deepStrictEqual(report.errors, { "login-refused": 1, "http-5xx": 1 });
        assert.strictEqual(report.succeeded, 2);
        assert.strictEqual(report.failed, 2);
        assert.strictEqual(report.wallSeconds, 91.235);
        assert.strictEqual(report.startedAt, "2025-03-01T10:00:00.000Z");
        assert.deepStrictEqual(report.throttling, { responses: 2, users: 1, waitedSeconds: 61 });
        assert.strictEqual(report.users[0].finishedAt, 10.123);
        assert.strictEqual(report.users[2].phases.spawn!.seconds, 30);
        // The JSON form is plain data.
        assert.deepStrictEqual(JSON.parse(JSON.stringify(report)), report);
    });

    it("gives nulls, not zeros, for a phase nobody got through", () => {
        const report = buildReport({ hub: "h", startedAt: new Date(), wallSeconds: 1, settings: { ...SETTINGS, users: 1 }, results: [SAMPLE_RESULTS[3]] });
        assert.deepStrictEqual(report.phases.spawn, { count: 0, p50: null, p90: null, p95: null, max: null, errors: {} });
    });

    it("prints a table of the phases and the failures", () => {
        const text = formatReport(buildReport({ hub: "https://hub.example.org", startedAt: new Date(), wallSeconds: 91.2, settings: SETTINGS, results: SAMPLE_RESULTS }));
        const lines = text.split("\n");
        assert.match(lines[0], /https:\/\/hub.example.org: 4 users, concurrency 4/);
        assert.match(text, /2 succeeded, 2 failed, wall time 91.2s/);
        assert.match(text, /throttled \(429 waited out\): 2 answers to 1 users, 61s waited/);
        assert.ok(lines.some((l) => /^spawn→ready\s+3\s+20.00s\s+30.00s\s+30.00s\s+30.00s\s+none$/.test(l)), text);
        assert.ok(lines.some((l) => /^first page\s+2\s+0.20s\s+0.40s\s+0.40s\s+0.40s\s+http-5xx 1$/.test(l)), text);
        assert.match(text, /errors by class: login-refused 1, http-5xx 1/);
        assert.match(text, /u3 {2}first page {2}http-5xx: server page: HTTP 504/);
        assert.match(text, /u4 {2}login {2}login-refused/);
    });
});
