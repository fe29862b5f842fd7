/**
 * `npm run test:slow`: mocha's spec output, then where the time went: the 20 slowest tests and every test file's
 * wall time (its tests and its hooks: a `before` that plans a stack or starts a hub counts there).
 *
 * Written to stdout and, as JSON, to test-artifacts/slowest.json, so the next person sees where time goes.
 */
const fs = require("fs");
const path = require("path");
const Mocha = require("mocha");

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_PASS, EVENT_TEST_FAIL } = Mocha.Runner.constants;
const SHOWN = 20;

class SlowestReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        const tests = [];
        const files = new Map();
        const fileOf = (suite) => (suite.file ? path.relative(process.cwd(), suite.file) : undefined);

        runner.on(EVENT_SUITE_BEGIN, (suite) => {
            const file = fileOf(suite);
            // A file's top-level suites run one after another: its time is the sum of theirs.
            if (file && suite.parent && suite.parent.root) suite.__started = process.hrtime.bigint();
        });
        runner.on(EVENT_SUITE_END, (suite) => {
            if (suite.__started === undefined) return;
            const file = fileOf(suite);
            const ms = Number(process.hrtime.bigint() - suite.__started) / 1e6;
            files.set(file, (files.get(file) ?? 0) + ms);
        });
        const record = (test) => tests.push({ title: test.fullTitle(), file: fileOf(test) ?? "?", ms: test.duration ?? 0, state: test.state });
        runner.on(EVENT_TEST_PASS, record);
        runner.on(EVENT_TEST_FAIL, record);

        runner.once(EVENT_RUN_END, () => {
            const slowest = [...tests].sort((a, b) => b.ms - a.ms).slice(0, SHOWN);
            const byFile = [...files.entries()].map(([file, ms]) => ({ file, ms })).sort((a, b) => b.ms - a.ms);
            const total = byFile.reduce((sum, f) => sum + f.ms, 0);
            const seconds = (ms) => (ms / 1000).toFixed(1).padStart(7);
            const lines = ["", `  The ${slowest.length} slowest tests (s):`];
            for (const t of slowest) lines.push(`  ${seconds(t.ms)}  ${t.title}  [${t.file}]`);
            lines.push("", `  Test files by wall time, hooks included (s; ${seconds(total).trim()} in all):`);
            for (const f of byFile) lines.push(`  ${seconds(f.ms)}  ${f.file}`);
            process.stdout.write(lines.join("\n") + "\n");
            const out = path.join(process.cwd(), "test-artifacts", "slowest.json");
            fs.mkdirSync(path.dirname(out), { recursive: true });
            fs.writeFileSync(out, JSON.stringify({ slowest, files: byFile, totalMs: total }, null, 2) + "\n");
        });
    }
}

module.exports = SlowestReporter;
