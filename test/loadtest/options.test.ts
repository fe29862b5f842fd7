import * as assert from "assert";
import { LoadtestUsageError, normalizeHubUrl, parseLoadtestOptions } from "../../cli/loadtest/options";

describe("loadtest: options", () => {
    it("takes defaults: every account, all at once, 300 s per phase", () => {
        assert.deepStrictEqual(parseLoadtestOptions({ hub: "https://hub.example.org/", credentials: "a.csv" }), {
            hub: "https://hub.example.org",
            source: { credentialsFile: "a.csv" },
            users: undefined,
            concurrency: undefined,
            rampSeconds: 0,
            timeoutSeconds: 300,
            execute: false,
            stop: false,
            json: false,
            reportFile: undefined,
        });
    });

    it("reads numbers given as command-line strings", () => {
        const o = parseLoadtestOptions({ site: "nebula", users: "60", concurrency: "20", ramp: "30.5", timeout: "600", execute: true, stop: true, json: true, report: "r.html" });
        assert.deepStrictEqual([o.users, o.concurrency, o.rampSeconds, o.timeoutSeconds, o.execute, o.stop, o.json, o.reportFile], [60, 20, 30.5, 600, true, true, true, "r.html"]);
        assert.deepStrictEqual(o.source, { site: "nebula" });
        assert.strictEqual(o.hub, undefined);
    });

    it("names the option that is wrong", () => {
        const usage = (opts: Parameters<typeof parseLoadtestOptions>[0], pattern: RegExp) =>
            assert.throws(() => parseLoadtestOptions(opts), (e: Error) => e instanceof LoadtestUsageError && pattern.test(e.message));
        usage({ hub: "http://h" }, /--credentials FILE or --site SITE/);
        usage({ hub: "http://h", credentials: "a", site: "b" }, /exactly one/);
        usage({ credentials: "a" }, /--hub URL is required/);
        usage({ hub: "http://h", credentials: "a", users: "0" }, /--users must be an integer of at least 1/);
        usage({ hub: "http://h", credentials: "a", users: "2.5" }, /--users/);
        usage({ hub: "http://h", credentials: "a", concurrency: "many" }, /--concurrency/);
        usage({ hub: "http://h", credentials: "a", ramp: "-1" }, /--ramp must be a number of at least 0/);
        usage({ hub: "http://h", credentials: "a", timeout: "0" }, /--timeout must be a number above 0/);
        usage({ hub: "hub.example.org", credentials: "a" }, /--hub must be a URL/);
        usage({ hub: "ftp://hub", credentials: "a" }, /http:\/\/ or https:\/\//);
        usage({ hub: "http://hub/?next=x", credentials: "a" }, /without \?query/);
    });

    it("takes the hub's base URL, with or without a trailing /hub/", () => {
        assert.strictEqual(normalizeHubUrl("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
        assert.strictEqual(normalizeHubUrl("https://hub.example.org/hub/"), "https://hub.example.org");
        assert.strictEqual(normalizeHubUrl("https://example.org/workshop/"), "https://example.org/workshop");
        assert.strictEqual(normalizeHubUrl("https://example.org/workshop/hub"), "https://example.org/workshop");
    });
});
