import * as assert from "assert";
import { rampOffset, runLoadtest, LoadtestRun } from "../../cli/loadtest/runner";
import { FAKE_PASSWORD, FAKE_USER, FakeHub } from "./fakehub";

describe("loadtest: scheduling users", () => {
    it("spreads the starts evenly over the ramp", () => {
        assert.deepStrictEqual([0, 1, 2, 3].map((i) => rampOffset(i, 4, 60)), [0, 15, 30, 45]);
        assert.deepStrictEqual([0, 1, 2].map((i) => rampOffset(i, 3, 0)), [0, 0, 0]);
    });

    describe("against a scripted hub", () => {
        let hub: FakeHub;
        let inFlight = 0;
        let mostInFlight = 0;
        beforeEach(async () => {
            hub = await new FakeHub().start();
            inFlight = 0;
            mostInFlight = 0;
            // A slow home page: users that overlap are all inside it at the same time.
            const home = hub.routes["GET /hub/home"];
            hub.routes["GET /hub/home"] = (req, res, h) => {
                mostInFlight = Math.max(mostInFlight, ++inFlight);
                setTimeout(() => {
                    inFlight--;
                    home(req, res, h);
                }, 300);
            };
        });
        afterEach(() => hub.close());

        const account = { username: FAKE_USER, password: FAKE_PASSWORD };
        const run = (over: Partial<LoadtestRun>): LoadtestRun => ({
            hubUrl: hub.url,
            users: 4,
            concurrency: 4,
            rampSeconds: 0,
            timeoutSeconds: 10,
            execute: false,
            stop: false,
            ...over,
        });

        it("runs every user at once at full concurrency", async () => {
            const report = await runLoadtest([account, account, account, account], run({}));
            assert.strictEqual(report.succeeded, 4);
            assert.strictEqual(mostInFlight, 4);
        });

        it("never has more than --concurrency users in flight", async () => {
            const report = await runLoadtest([account, account, account, account, account], run({ concurrency: 2 }));
            assert.strictEqual(report.succeeded, 4, "only --users of the accounts are used");
            assert.strictEqual(mostInFlight, 2);
        });

        it("starts users along the ramp", async () => {
            const report = await runLoadtest([account, account], run({ users: 2, rampSeconds: 1 }));
            assert.ok(report.users[0].startedAt < 0.3, `first user at ${report.users[0].startedAt}`);
            assert.ok(report.users[1].startedAt >= 0.5, `second user at ${report.users[1].startedAt}`);
        });

        it("refuses to run more users than accounts", async () => {
            await assert.rejects(runLoadtest([account], run({ users: 2 })), RangeError);
        });
    });
});
