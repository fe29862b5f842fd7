/**
 * Every site of the meeting at once: preview (or, with --up, deploy) each Pulumi.<site>.yaml of this folder, a few at a
 * time, with one progress line per site, then a table of the hubs' addresses and what each costs.
 *
 *   npx ts-node examples/all-sites.ts                      # preview: the checks and preview of `esiphub preview`, per site
 *   npx ts-node examples/all-sites.ts --up                 # deploy every site, without questions
 *   npx ts-node examples/all-sites.ts --concurrency 2 jetstream aws
 *
 * Each site goes through api.ts as `esiphub up` would take it (offline checks, policy, credentials, preview, update).
 * Exit 0 when every site got through; otherwise the highest of the failed sites' exit statuses (2 a bad stack file,
 * 3 a policy violation, 1 anything else), as `esiphub` would give for one site.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { BadConfigError, CliError, CostEstimate, formatAmount, listSites, openSite, Phase, Site, SiteOptions, summarizeChanges } from "../api";
import type { EngineEvent } from "@pulumi/pulumi/automation";

interface Output {
    write(text: string): unknown;
    readonly isTTY?: boolean;
}

/** The outcome of one site, for the table. */
interface SiteRow {
    readonly site: string;
    readonly result: string;
    readonly hubUrl?: string | null;
    /** The stack file's estimate: in the table whether or not Pulumi got through (undefined when the file is bad). */
    readonly estimate?: CostEstimate;
    readonly exitCode: number;
}

/**
 * One line per site. On a terminal the block is redrawn in place as the sites move on; elsewhere (a log, a pipe) each
 * site's line is printed once, when it is done.
 */
class SiteLines {
    private readonly lines = new Map<string, string>();
    private drawn = 0;
    private readonly width: number;

    constructor(
        private readonly out: Output,
        sites: string[],
    ) {
        this.width = Math.max(...sites.map((s) => s.length));
        for (const site of sites) this.lines.set(site, "waiting");
        this.draw();
    }

    set(site: string, text: string, done = false): void {
        this.lines.set(site, text);
        if (this.out.isTTY) this.draw();
        else if (done) this.out.write(`${site.padEnd(this.width)}  ${text}\n`);
    }

    private draw(): void {
        if (!this.out.isTTY) return;
        if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A`);
        for (const [site, text] of this.lines) this.out.write(`\r\x1b[K${site.padEnd(this.width)}  ${text}\n`);
        this.drawn = this.lines.size;
    }
}

/** Counts the engine's steps: resources seen by the preview, and resources done by the update. */
function progress(lines: SiteLines, site: string): (event: EngineEvent, phase: Phase) => void {
    let planned = 0;
    let done = 0;
    return (event, phase) => {
        if (phase === "preview" && event.resourcePreEvent) lines.set(site, `previewing: ${++planned} resources`);
        if (phase !== "preview" && event.resOutputsEvent) lines.set(site, `updating: ${++done} of ${planned} resources`);
    };
}

async function runSite(name: string, up: boolean, lines: SiteLines, options: SiteOptions): Promise<SiteRow> {
    const site = openSite(name, options);
    lines.set(name, "offline checks (as `esiphub plan`)");
    const onEvent = progress(lines, name);
    let row: SiteRow;
    try {
        if (up) {
            const result = await site.up({ onEvent });
            row = { site: name, result: `deployed: ${summarizeChanges(result.changes, false)}`, hubUrl: result.outputs.hubUrl, estimate: site.cost(), exitCode: 0 };
        } else {
            const result = await site.preview({ onEvent });
            row = { site: name, result: summarizeChanges(result.changes, true), hubUrl: result.summary.hubUrl, estimate: site.cost(), exitCode: 0 };
        }
    } catch (e) {
        // A bad stack file's message lists its problems under a heading: the table shows the problems themselves.
        const message = e instanceof BadConfigError ? e.problems.join("; ") : (e instanceof Error ? e.message : String(e)).split("\n")[0];
        const exitCode = e instanceof CliError ? e.exitCode : 1;
        row = { site: name, result: `FAILED (exit ${exitCode}): ${message}`, estimate: stackFileCost(site), exitCode };
    }
    lines.set(name, row.result, true);
    return row;
}

/** The stack file's estimate, when the file validates. */
function stackFileCost(site: Site): CostEstimate | undefined {
    try {
        return site.cost();
    } catch (e) {
        if (e instanceof BadConfigError) return undefined;
        throw e;
    }
}

/** Runs `work` on every item, at most `limit` at once; the results in the items' order. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await work(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

export function formatTable(rows: SiteRow[], up: boolean): string {
    const money = (e: CostEstimate | undefined, amount: (e: CostEstimate) => number) => (e ? formatAmount(amount(e), e.unit) : "-");
    const hub = (r: SiteRow) => r.hubUrl || (r.exitCode !== 0 ? "-" : up ? "(no hubUrl output)" : "the public IP, once deployed");
    const hours = rows.find((r) => r.estimate)?.estimate?.workshop.hours;
    const table = [
        ["site", "hub", `per workshop${hours ? ` (${hours} h)` : ""}`, "per hour", "per month (development)", up ? "update" : "preview"],
        ...rows.map((r) => [
            r.site,
            hub(r),
            money(r.estimate, (e) => e.workshop.total),
            money(r.estimate, (e) => Math.round((e.workshop.total / e.workshop.hours) * 100) / 100),
            money(r.estimate, (e) => e.development.total),
            r.result,
        ]),
    ];
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    return table.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join("\n") + "\n";
}

function positiveInteger(text: string): number {
    if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError("must be a whole number of at least 1");
    return Number(text);
}

export async function main(argv: string[], options: SiteOptions = {}, out: Output = process.stdout): Promise<number> {
    const program = new Command("all-sites")
        .description("preview (or --up) every site in parallel; a table of hub URLs and costs at the end")
        .argument("[sites...]", "only these sites (default: every Pulumi.<site>.yaml)")
        .option("--up", "deploy every site instead of previewing it")
        .option("--concurrency <n>", "sites at once", positiveInteger, 3)
        .exitOverride()
        .parse(argv, { from: "user" });
    const { up, concurrency } = program.opts<{ up?: boolean; concurrency: number }>();
    const sites = program.args.length > 0 ? program.args : listSites(options);
    if (sites.length === 0) throw new CliError("no Pulumi.<site>.yaml here");
    out.write(`${up ? "Deploying" : "Previewing"} ${sites.length} site(s), ${concurrency} at a time\n`);
    const lines = new SiteLines(out, sites);
    const rows = await pool(sites, concurrency, (site) => runSite(site, !!up, lines, options));
    out.write(`\n${formatTable(rows, !!up)}`);
    return Math.max(0, ...rows.map((r) => r.exitCode));
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (e) => {
            // commander has printed its own message (or the help); CliError and CommanderError carry the exit status.
            if (!(e instanceof CommanderError)) process.stderr.write(`all-sites: ${e instanceof Error ? e.message : e}\n`);
            process.exitCode = (e as { exitCode?: number }).exitCode ?? 1;
        },
    );
}
