/**
 * The HTML report: the figures, the errors, every user, and a chart of each user's phase times against the moment
 * the phase began. Chart.js (UMD build) is inlined so the page works offline, e.g. opened from a laptop at the venue.
 */
import * as fs from "fs";
import * as path from "path";
import { ErrorClass, Phase, PHASE_TITLES } from "./errors";
import type { LoadtestReport, PhaseReport } from "./report";

export function chartJsSource(): string {
    // The package's exports do not list the UMD file; it sits next to the CommonJS entry point.
    return fs.readFileSync(path.join(path.dirname(require.resolve("chart.js")), "chart.umd.js"), "utf8");
}

const escapeHtml = (text: string) =>
    text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** JSON that can sit inside a <script> element: no "<" can close it or open a comment. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

const COLORS: Record<Phase, string> = {
    login: "#1f77b4",
    spawn: "#ff7f0e",
    page: "#2ca02c",
    execute: "#9467bd",
    stop: "#8c564b",
};
const FAILURE_COLOR = "#d62728";

export interface ChartPoint {
    readonly x: number;
    readonly y: number;
    readonly user: string;
    readonly note?: string;
}

export interface ChartDataset {
    readonly label: string;
    readonly color: string;
    readonly failure: boolean;
    readonly points: ChartPoint[];
}

/** One dataset per phase (x: when the phase began, y: how long it took) and one of failures. */
export function chartDatasets(report: LoadtestReport): ChartDataset[] {
    const phases = Object.keys(report.phases) as Phase[];
    const sets: ChartDataset[] = phases.map((phase) => ({
        label: PHASE_TITLES[phase],
        color: COLORS[phase],
        failure: false,
        points: report.users.flatMap((u) => {
            const t = u.phases[phase];
            return t ? [{ x: t.start, y: t.seconds, user: u.username }] : [];
        }),
    }));
    sets.push({
        label: "failures",
        color: FAILURE_COLOR,
        failure: true,
        points: report.users.flatMap((u) =>
            u.failures.map((f) => ({ x: f.start, y: f.seconds, user: u.username, note: `${PHASE_TITLES[f.phase]}: ${f.errorClass}` })),
        ),
    });
    return sets;
}

const secs = (v: number | null | undefined) => (v === null || v === undefined ? "–" : v.toFixed(2));

function countsText(counts: Partial<Record<ErrorClass, number>>): string {
    const parts = Object.entries(counts).map(([c, n]) => `${c} ${n}`);
    return parts.length > 0 ? parts.join(", ") : "none";
}

export function renderHtmlReport(report: LoadtestReport, chartJs: string = chartJsSource()): string {
    const s = report.settings;
    const phases = Object.entries(report.phases) as [Phase, PhaseReport][];
    const phaseRows = phases
        .map(
            ([phase, p]) =>
                `<tr><th scope="row">${escapeHtml(PHASE_TITLES[phase])}</th><td>${p.count}</td><td>${secs(p.p50)}</td><td>${secs(p.p90)}</td><td>${secs(p.p95)}</td><td>${secs(p.max)}</td><td>${escapeHtml(countsText(p.errors))}</td></tr>`,
        )
        .join("\n");
    const userRows = report.users
        .map((u) => {
            const cells = phases.map(([phase]) => `<td>${secs(u.phases[phase]?.seconds)}</td>`).join("");
            const outcome = u.failures.length === 0 ? "ok" : u.failures.map((f) => `${PHASE_TITLES[f.phase]}: ${f.errorClass}: ${f.message}`).join("; ");
            return `<tr class="${u.failures.length === 0 ? "ok" : "failed"}"><th scope="row">${escapeHtml(u.username)}</th><td>${secs(u.startedAt)}</td>${cells}<td>${u.throttled.responses}</td><td class="outcome">${escapeHtml(outcome)}</td></tr>`;
        })
        .join("\n");
    const title = `ESIPHub load test: ${report.hub}`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 1.5em; color: #111; }
  h1 { font-size: 1.4em; }
  table { border-collapse: collapse; margin: 0.5em 0 1.5em 0; }
  th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
  th[scope="row"], td.outcome, thead th:first-child { text-align: left; }
  tr.failed { background: #fde8e8; }
  .chart { position: relative; height: 420px; max-width: 1100px; }
  .summary { font-size: 1.05em; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="summary">Started ${escapeHtml(report.startedAt)}: ${s.users} users, concurrency ${s.concurrency}, ramp ${s.rampSeconds} s,
timeout ${s.timeoutSeconds} s per phase${s.execute ? ", one cell executed" : ""}${s.stop ? ", servers stopped at the end" : ""}.<br>
<strong id="outcome">${report.succeeded} succeeded, ${report.failed} failed</strong> in ${report.wallSeconds.toFixed(1)} s;
429 answers waited out: ${report.throttling.responses} (${report.throttling.users} users, ${report.throttling.waitedSeconds.toFixed(0)} s).</p>

<h2>Time per user over the run</h2>
<div class="chart"><canvas id="timeline" role="img" aria-label="Seconds each user spent in each phase, against when the phase began"></canvas></div>

<h2>Phases (seconds)</h2>
<table id="phases">
<thead><tr><th>phase</th><th>count</th><th>p50</th><th>p90</th><th>p95</th><th>max</th><th>errors</th></tr></thead>
<tbody>
${phaseRows}
</tbody>
</table>
<p>Errors by class: ${escapeHtml(countsText(report.errors))}</p>

<h2>Users</h2>
<table id="users">
<thead><tr><th>user</th><th>started (s)</th>${phases.map(([p]) => `<th>${escapeHtml(PHASE_TITLES[p])} (s)</th>`).join("")}<th>429s</th><th>outcome</th></tr></thead>
<tbody>
${userRows}
</tbody>
</table>

<script>${chartJs.replace(/<\/script/gi, "<\\/script")}</script>
<script>
const datasets = ${scriptJson(chartDatasets(report))};
window.esiphubChart = new Chart(document.getElementById("timeline"), {
  type: "scatter",
  data: {
    datasets: datasets.map((d) => ({
      label: d.label,
      data: d.points,
      backgroundColor: d.color,
      borderColor: d.color,
      pointStyle: d.failure ? "crossRot" : "circle",
      pointRadius: d.failure ? 7 : 4,
      pointBorderWidth: d.failure ? 2 : 1,
    })),
  },
  options: {
    maintainAspectRatio: false,
    animation: false,
    scales: {
      x: { type: "linear", min: 0, title: { display: true, text: "seconds since the run started (when the phase began)" } },
      y: { type: "linear", min: 0, title: { display: true, text: "seconds the phase took" } },
    },
    plugins: {
      tooltip: {
        callbacks: {
          label: (ctx) => ctx.raw.user + ": " + ctx.dataset.label + (ctx.raw.note ? " (" + ctx.raw.note + ")" : "") + " " + ctx.raw.y.toFixed(2) + " s at " + ctx.raw.x.toFixed(1) + " s",
        },
      },
    },
  },
});
</script>
</body>
</html>
`;
}
