import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, chromium } from "playwright-core";
import { chartDatasets, chartJsSource, renderHtmlReport } from "../../cli/loadtest/html";
import { buildReport } from "../../cli/loadtest/report";
import { SAMPLE_RESULTS, SETTINGS } from "./samples";

const CHROMIUM = "/usr/bin/chromium";

const sampleReport = (results = SAMPLE_RESULTS) =>
    buildReport({ hub: "https://hub.example.org", startedAt: new Date("2025-03-01T10:00:00Z"), wallSeconds: 91.2, settings: SETTINGS, results });

describe("loadtest: HTML report", () => {
    it("plots every phase a user got through at the time it began, and every failure", () => {
        const sets = chartDatasets(sampleReport());
        assert.deepStrictEqual(
            sets.map((s) => [s.label, s.points.length, s.failure]),
            [
                ["login", 3, false],
                ["spawn→ready", 3, false],
                ["first page", 2, false],
                ["execute", 2, false],
                ["failures", 2, true],
            ],
        );
        assert.deepStrictEqual(sets[1].points[1], { x: 0.7, y: 20, user: "u2" });
        assert.deepStrictEqual(sets[4].points[0], { x: 30.6, y: 60, user: "u3", note: "first page: http-5xx" });
    });

    it("inlines Chart.js and loads nothing from elsewhere", () => {
        const html = renderHtmlReport(sampleReport());
        assert.ok(html.includes(chartJsSource().slice(0, 200)), "the UMD build is in the page");
        assert.ok(!/<script[^>]+src=/i.test(html), "no external script");
        assert.ok(!/<link[^>]+href=/i.test(html), "no external style sheet");
    });

    it("escapes user names and messages wherever they appear", () => {
        const evil = { ...SAMPLE_RESULTS[3], username: "</script><b>x</b>", failures: [{ ...SAMPLE_RESULTS[3].failures[0], message: "<img src=x onerror=alert(1)>" }] };
        const html = renderHtmlReport(sampleReport([SAMPLE_RESULTS[0], evil]), "/* chart.js */");
        assert.ok(!html.includes("<b>x</b>"));
        assert.ok(!html.includes("<img src=x"));
        assert.ok(html.includes("&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;"), "escaped in the table");
        assert.ok(html.includes("\\u003c/script>\\u003cb>x\\u003c/b>"), "escaped in the chart data");
    });

    describe("opened in headless Chromium, offline", () => {
        let browser: Browser | undefined;
        let dir: string;

        before(async function () {
            if (!fs.existsSync(CHROMIUM)) {
                if (process.env.CI === "true") throw new Error(`${CHROMIUM} is missing: install the Debian package chromium (listed in .ci/apt-packages.txt)`);
                console.log(`      (skipped: no ${CHROMIUM}; apt-get install chromium)`);
                this.skip();
            }
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-loadtest-html-"));
            browser = await chromium.launch({
                executablePath: CHROMIUM,
                args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--no-first-run"],
            });
        });

        after(async () => {
            await browser?.close();
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it("draws the chart from the file alone, with the report's points, and shows the figures", async () => {
            const file = path.join(dir, "report.html");
            fs.writeFileSync(file, renderHtmlReport(sampleReport()));
            const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
            const errors: string[] = [];
            const requests: string[] = [];
            page.on("pageerror", (e) => errors.push(e.message));
            page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
            page.on("request", (r) => requests.push(r.url()));
            await page.goto(`file://${file}`);
            const chart = await page.evaluate(() => {
                const c = (window as unknown as { esiphubChart?: { data: { datasets: { label: string; data: unknown[] }[] } } }).esiphubChart;
                const canvas = document.getElementById("timeline") as HTMLCanvasElement;
                const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
                let painted = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
                return { datasets: c?.data.datasets.map((d) => [d.label, d.data.length]), painted, width: canvas.width };
            });
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(requests, [`file://${file}`], "nothing but the file itself is loaded");
            assert.deepStrictEqual(chart.datasets, [
                ["login", 3],
                ["spawn→ready", 3],
                ["first page", 2],
                ["execute", 2],
                ["failures", 2],
            ]);
            assert.ok(chart.width > 0 && chart.painted > 1000, `the canvas was drawn on (${chart.painted} painted pixels)`);
            assert.strictEqual(await page.textContent("#outcome"), "2 succeeded, 2 failed");
            const spawnRow = await page.$$eval("#phases tbody tr", (rows) => rows.map((r) => Array.from(r.children).map((c) => c.textContent)));
            assert.deepStrictEqual(spawnRow[1], ["spawn→ready", "3", "20.00", "30.00", "30.00", "30.00", "none"]);
            assert.strictEqual(await page.$$eval("#users tbody tr.failed", (rows) => rows.length), 2);
            await page.screenshot({ path: path.join(dir, "report.png"), fullPage: true });
            await page.close();
        });
    });
});
