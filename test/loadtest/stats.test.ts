import * as assert from "assert";
import { figures, percentile, roundSeconds } from "../../cli/loadtest/stats";

describe("loadtest: statistics", () => {
    it("takes nearest-rank percentiles: always a measured value", () => {
        const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
        assert.deepStrictEqual(figures(oneToHundred), { count: 100, p50: 50, p90: 90, p95: 95, max: 100 });
        // Ten values: p95 is the 10th (ceil(9.5)), p90 the 9th, p50 the 5th.
        const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5].map((v) => v * 1.5);
        assert.deepStrictEqual(figures(ten), { count: 10, p50: 7.5, p90: 13.5, p95: 15, max: 15 });
    });

    it("does not reorder the caller's values", () => {
        const values = [3, 1, 2];
        figures(values);
        assert.deepStrictEqual(values, [3, 1, 2]);
    });

    it("gives one value as every percentile, and nulls for no values", () => {
        assert.deepStrictEqual(figures([4.2]), { count: 1, p50: 4.2, p90: 4.2, p95: 4.2, max: 4.2 });
        assert.deepStrictEqual(figures([]), { count: 0, p50: null, p90: null, p95: null, max: null });
    });

    it("refuses percentiles outside (0, 100] and of nothing", () => {
        assert.throws(() => percentile([1, 2], 0), RangeError);
        assert.throws(() => percentile([1, 2], 101), RangeError);
        assert.throws(() => percentile([], 50), RangeError);
        assert.strictEqual(percentile([1, 2], 100), 2);
    });

    it("keeps seconds to the millisecond", () => {
        assert.strictEqual(roundSeconds(1.23456), 1.235);
        assert.strictEqual(roundSeconds(0.0004), 0);
    });
});
