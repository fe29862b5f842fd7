/**
 * `esiphub rehearse SITE`: the rehearsal in one command. `up` (a rehearsal stack gets Let's Encrypt staging
 * certificates), `doctor`, the load test with the site's accounts and its HTML report, then `destroy` unless
 * --keep; at the end the go/no-go figures and what the rehearsal cost.
 *
 * A rehearsal stack is one with esiphub:letsEncryptStaging true. A site with a hostname whose stack asks for
 * production certificates is refused unless --production-certs: Let's Encrypt issues 5 certificates per exact set
 * of names per 7 days, and a few rehearsals (each `up` after a `destroy` asks anew) would leave none for the workshop.
 */
import * as path from "path";
import { Command, InvalidArgumentError } from "commander";
import { estimateCost } from "../components/cost";
import { formatAmount } from "../components/cost/format";
import type { CostUnit } from "../components/cost";
import { parseCredentials } from "./credentials";
import { doctorOptions, runDoctor, SiteCommandContext, siteTarget } from "./doctor";
import { NAMESPACE } from "../components/config";
import type { DoctorReport } from "./doctor";
import { countChecks, formatCheck, formatSummary } from "./doctor/check";
import type { LoadtestReport, SiteAccess } from "./loadtest";

export interface RehearseOptions {
    users?: number;
    keep?: boolean;
    yes?: boolean;
    report?: string;
    productionCerts?: boolean;
    deleteData?: boolean;
    maxSpawnP95?: number;
}

/** Spawn p95 above this is a no-go: attendees at the back of the burst wait minutes (the original event's failure). */
export const DEFAULT_MAX_SPAWN_P95_S = 120;

export interface RehearsalOutcome {
    readonly site: string;
    readonly up: boolean;
    readonly doctor?: DoctorReport;
    readonly loadtest?: LoadtestReport;
    /** Why the load test did not run. */
    readonly loadtestSkipped?: string;
    readonly reportFile?: string;
    /** "kept": --keep. */
    readonly destroyed: boolean | "kept";
    readonly hours: number;
    readonly cost: { readonly amount: number; readonly perHour: number; readonly unit: CostUnit };
    readonly maxSpawnP95: number;
}

/** Go only when the site came up, the doctor found nothing failed, and every simulated user got through in time. */
export function rehearsalVerdict(outcome: RehearsalOutcome): { go: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!outcome.up) reasons.push("`up` failed");
    const failed = outcome.doctor?.checks.filter((c) => c.status === "fail").map((c) => c.name) ?? [];
    if (failed.length > 0) reasons.push(`doctor: ${failed.join(", ")} failed`);
    const lt = outcome.loadtest;
    if (!lt) {
        if (outcome.up) reasons.push(`no load test (${outcome.loadtestSkipped ?? "not run"})`);
    } else {
        if (lt.failed > 0) reasons.push(`${lt.failed} of ${lt.settings.users} users not served`);
        const p95 = lt.phases.spawn?.p95;
        if (p95 === null || p95 === undefined) reasons.push("no server started");
        else if (p95 > outcome.maxSpawnP95) reasons.push(`spawn p95 ${p95.toFixed(1)} s is above ${outcome.maxSpawnP95} s`);
    }
    return { go: reasons.length === 0, reasons };
}

function hoursText(hours: number): string {
    const minutes = Math.round(hours * 60);
    if (minutes < 1) return "under a minute";
    return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatRehearsal(outcome: RehearsalOutcome): string {
    const { go, reasons } = rehearsalVerdict(outcome);
    const lt = outcome.loadtest;
    const doctor = outcome.doctor;
    const errors = lt ? Object.entries(lt.errors).map(([c, n]) => `${c} ${n}`).join(", ") || "none" : "-";
    const p95 = lt?.phases.spawn?.p95;
    const cost = outcome.cost;
    const lines = [
        "",
        `Rehearsal of site "${outcome.site}": ${go ? "GO" : "NO-GO"}${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}`,
        `  up:            ${outcome.up ? "done" : "failed"}`,
        `  doctor:        ${doctor ? countChecks(doctor.checks) : "not run"}`,
        `  users served:  ${lt ? `${lt.succeeded} of ${lt.settings.users}` : `- (${outcome.loadtestSkipped ?? "no load test"})`}`,
        `  spawn p95:     ${p95 === null || p95 === undefined ? "-" : `${p95.toFixed(1)} s`} (no-go above ${outcome.maxSpawnP95} s)`,
        `  errors:        ${errors}`,
        ...(outcome.reportFile && lt ? [`  report:        ${outcome.reportFile}`] : []),
        `  cost:          ${formatAmount(cost.amount, cost.unit)} for ${hoursText(outcome.hours)} at workshop scale (${formatAmount(cost.perHour, cost.unit)} per hour)`,
        `  destroyed:     ${
            outcome.destroyed === "kept"
                ? `no (--keep): it costs ${formatAmount(cost.perHour, cost.unit)} per hour until \`esiphub destroy ${outcome.site}\``
                : outcome.destroyed
                  ? "yes"
                  : `NO: the destroy failed; run \`esiphub destroy ${outcome.site}\` (it costs ${formatAmount(cost.perHour, cost.unit)} per hour)`
        }`,
    ];
    return lines.join("\n") + "\n";
}

async function siteAccess(ctx: SiteCommandContext, site: string): Promise<SiteAccess> {
    const outputs = await (await ctx.deployedStack(site)).outputs();
    const credentials = parseCredentials(outputs.credentials?.value);
    if (!credentials) throw ctx.error(`site "${site}" has no credentials output`);
    return { credentials, hubUrl: typeof outputs.hubUrl?.value === "string" ? outputs.hubUrl.value : undefined };
}

async function confirmRehearsal(ctx: SiteCommandContext, site: string, plan: string, yes: boolean): Promise<void> {
    ctx.deps.stdout.write(plan);
    if (yes) return;
    if (!ctx.deps.confirm) throw ctx.error(`the rehearsal of site "${site}" creates cloud resources and needs confirmation: pass --yes (there is no terminal to ask on)`);
    if (!(await ctx.deps.confirm(`Rehearse site "${site}"? [y/N] `))) throw ctx.error(`rehearsal of site "${site}" cancelled; nothing was changed`);
}

/** Doctor then load test on the deployed site; the load test is left out when the doctor could not even log in. */
async function exercise(ctx: SiteCommandContext, site: string, users: number, reportFile: string, staging: boolean): Promise<Pick<RehearsalOutcome, "doctor" | "loadtest" | "loadtestSkipped">> {
    const out = ctx.deps.stdout;
    out.write(`\n== doctor\n`);
    const spawnTimeoutS = ctx.siteConfig(site).hub.startTimeoutSeconds;
    const doctor = await runDoctor(await siteTarget(ctx, site), doctorOptions(ctx, {}, spawnTimeoutS, (r) => out.write(formatCheck(r))));
    out.write(formatSummary(doctor));
    const blocking = doctor.checks.find((c) => (c.name === "hub" || c.name === "login") && c.status === "fail");
    if (blocking) return { doctor, loadtestSkipped: `the doctor's ${blocking.name} check failed` };

    out.write(`\n== load test: ${users} users\n`);
    const { runLoadtestCommand } = await import("./loadtest");
    const { report } = await runLoadtestCommand(
        { site, users, execute: true, stop: true, report: reportFile },
        { stdout: out, stderr: ctx.deps.stderr, siteAccess: (s) => siteAccess(ctx, s), connect: { acceptStaging: staging } },
    );
    return { doctor, loadtest: report };
}

export async function rehearseCommand(ctx: SiteCommandContext, site: string, options: RehearseOptions): Promise<number> {
    const config = ctx.siteConfig(site);
    if (config.router) {
        // Checked before anything is created: the doctor and load test of a rehearsal exercise one hub.
        throw ctx.error(
            `site "${site}" has esiphub:workshops: a rehearsal exercises one hub; rehearse a stack file of one workshop, or on the deployed site run \`esiphub doctor ${site} --workshop NAME\` and \`esiphub loadtest --site ${site} --workshop NAME\``,
        );
    }
    const staging = config.hub.letsEncryptStaging;
    if (config.hub.tls && !staging && !options.productionCerts) {
        throw ctx.error(
            `site "${site}" is not a rehearsal stack: it asks Let's Encrypt for production certificates for ${config.hub.hostname ?? "its automatic sslip.io name"} (5 per week for the same names, and every rehearsal asks anew); ` +
                `set ${NAMESPACE}:letsEncryptStaging to true in Pulumi.${site}.yaml for rehearsals, or pass --production-certs`,
        );
    }
    ctx.preflight(site, true);
    const users = options.users ?? config.hub.users.length;
    if (users > config.hub.users.length) throw ctx.error(`rehearse: --users ${users} is more than the site's ${config.hub.users.length} accounts`);
    const reportFile = path.resolve(options.report ?? `${site}-rehearsal.html`);
    const perHour = estimateCost(config, { hours: 1 });
    const maxSpawnP95 = options.maxSpawnP95 ?? DEFAULT_MAX_SPAWN_P95_S;
    await confirmRehearsal(
        ctx,
        site,
        `Rehearsal of site "${site}": up${config.hub.tls ? (staging ? " (Let's Encrypt staging certificates)" : " (production certificates)") : ""}, doctor, ` +
            `load test of ${users} users (report ${reportFile}), ${options.keep ? "kept afterwards (--keep)" : "then destroy"}; ` +
            `about ${formatAmount(perHour.workshop.total, perHour.unit)} per hour while it runs\n`,
        !!options.yes,
    );

    const started = Date.now();
    ctx.deps.stdout.write(`\n== up\n`);
    const up = (await ctx.runCommand(["up", site, "--yes"])) === 0;
    let exercised: Pick<RehearsalOutcome, "doctor" | "loadtest" | "loadtestSkipped"> = { loadtestSkipped: "`up` failed" };
    let destroyed: boolean | "kept" = "kept";
    try {
        if (up) exercised = await exercise(ctx, site, users, reportFile, staging);
    } finally {
        if (!options.keep) {
            ctx.deps.stdout.write(`\n== destroy\n`);
            destroyed = (await ctx.runCommand(["destroy", site, "--yes", ...(options.deleteData ? ["--delete-data"] : [])])) === 0;
        }
    }
    const hours = (Date.now() - started) / 3_600_000;
    const spent = estimateCost(config, { hours: Math.max(hours, 1e-6) });
    const outcome: RehearsalOutcome = {
        site,
        up,
        ...exercised,
        reportFile,
        destroyed,
        hours,
        cost: { amount: spent.workshop.total, perHour: perHour.workshop.total, unit: spent.unit },
        maxSpawnP95,
    };
    ctx.deps.stdout.write(formatRehearsal(outcome));
    return rehearsalVerdict(outcome).go && destroyed !== false ? 0 : 1;
}

function positiveInteger(text: string): number {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1) throw new InvalidArgumentError("must be an integer of at least 1");
    return n;
}

function positiveSeconds(text: string): number {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a number of seconds above 0");
    return n;
}

export function registerRehearseCommand(program: Command, ctx: SiteCommandContext): void {
    program
        .command("rehearse")
        .description("up, doctor, load test with the site's accounts, destroy: go/no-go figures and the rehearsal's cost")
        .argument("<site>", "a rehearsal stack (esiphub:letsEncryptStaging true when it has a hostname)")
        .option("--users <n>", "simulated users (default: every account)", positiveInteger)
        .option("--keep", "leave the site up afterwards (no destroy)")
        .option("-y, --yes", "go ahead without asking")
        .option("--report <file.html>", "where to write the load test's HTML report (default: SITE-rehearsal.html)")
        .option("--max-spawn-p95 <seconds>", `no-go above this spawn p95 (default ${DEFAULT_MAX_SPAWN_P95_S})`, positiveSeconds)
        .option("--delete-data", "let the destroy delete the data volume (the rehearsal's homes and scratch)")
        .option("--production-certs", "rehearse with production Let's Encrypt certificates (counts against the weekly limit)")
        .action(async (site: string, options: RehearseOptions) => {
            ctx.outcome.exitCode = await rehearseCommand(ctx, site, options);
        });
}
