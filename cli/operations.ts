/**
 * The steps of `preview`, `up`, `refresh` and `destroy` that api.ts's sites run: the offline checks before Pulumi is
 * reached, the data-volume rules of a destroy, the preview with its question, and the operation with live progress.
 * The progress is written to the caller's output (the esiphub command's, or nowhere for a script), and every engine
 * event also goes to the caller's own handler.
 */
import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";
import { CONFIG_KEYS, NAMESPACE } from "../components/config";
import { formatViolations } from "../policy/rules";
import type { SiteStack, StackOperation, StateResource } from "./automation";
import { Cancelled, CliDeps, CliError, EXIT } from "./deps";
import { BadConfigError, OperationFailedError, PolicyViolationError } from "./errors";
import { offlineChecks, OfflineChecks } from "./plan";
import { ProgressDisplay, ProgressReport, stepCount, summarizeChanges } from "./progress";
import { problemsText, readSite } from "./site";
import { formatSummary } from "./summary";
import { redact } from "./redact";

/** What a script's event handler is told besides the event: the preview before the operation, or the operation. */
export type Phase = "preview" | StackOperation;

export type EventHandler = (event: EngineEvent, phase: Phase) => void;

/** The types of a data volume in the state (older providers' V1/V2 names included). */
const VOLUME_TYPE = /^(openstack:blockstorage\/volume(V[12])?:Volume(V[12])?|aws:ebs\/volume:Volume)$/;

/** What a destroy does with the data volume: the note for after it, and the retained volumes it must release first. */
export interface DataVolumePlan {
    readonly note?: string;
    /** Volumes the state keeps (retainOnDelete or protect) that `--delete-data` deletes. */
    readonly release: StateResource[];
    /** True when the destroy deletes a data volume (the operator types the site's name first). */
    readonly deletes: boolean;
}

/**
 * Refuses a destroy that would delete the data volume (users' homes and the shared scratch) unless the operator
 * said `--delete-data`; with it, the retained volumes are released so that the destroy really deletes them. What
 * happens is decided by the deployed state, as the engine decides it: a volume marked retainOnDelete (the program
 * marks it when `esiphub:keepDataOnDestroy` is true) is left in the cloud, any other is deleted.
 * (Which volume is the data volume is not known here: the program makes no other volume.)
 */
export async function checkDataVolume(stack: SiteStack, deleteData: boolean, target?: string[]): Promise<DataVolumePlan> {
    const site = stack.site;
    // A destroy limited by --target deletes only the targets.
    const volumes: StateResource[] = (await stack.resources()).filter((r) => VOLUME_TYPE.test(r.type) && (!target || target.includes(r.urn)));
    if (volumes.length === 0) return { release: [], deletes: false };
    const kept = volumes.filter((v) => v.retainOnDelete || v.protect);
    if (deleteData) return { release: kept, deletes: true, note: `the data volume of site "${site}" was deleted, with every user's files` };
    if (kept.length === volumes.length) {
        const ids = kept.map((v) => v.id).filter(Boolean);
        const how = ids.length ? ` (${kept[0].type.startsWith("aws:") ? `aws ec2 delete-volume --volume-id ${ids.join(" ")}` : `openstack volume delete ${ids.join(" ")}`})` : "";
        return {
            release: [],
            deletes: false,
            note: `the data volume of site "${site}" is kept (retainOnDelete) and still takes storage quota or money; delete it in the cloud when it is no longer needed${how}`,
        };
    }
    const key = `${NAMESPACE}:keepDataOnDestroy`;
    const keep = ((await stack.getConfig(key)) ?? String(CONFIG_KEYS.find((k) => k.key === "keepDataOnDestroy")!.default)) === "true";
    if (!keep) {
        throw new CliError(`destroy would delete the data volume of site "${site}" (${key} is false), with every user's files: pass --delete-data to go ahead`);
    }
    throw new CliError(
        `destroy would delete the data volume of site "${site}": ${key} is true but the deployed volume is not retained yet; run \`esiphub up ${site}\` first (it marks the volume retainOnDelete), or pass --delete-data`,
    );
}

export const VERB: Record<StackOperation, { noun: string; question: string; heading: string }> = {
    up: { noun: "update", question: "update", heading: "Updating" },
    destroy: { noun: "destroy", question: "DESTROY every resource of", heading: "Destroying" },
    refresh: { noun: "refresh", question: "refresh the state of", heading: "Refreshing" },
};

/**
 * Before `up`, `preview` or `refresh` reach Pulumi: the same offline checks as `esiphub plan` (stack file, settings,
 * capacity, the program planned offline, the policy rules), with its exit statuses; then the site's summary.
 */
export async function deployableSite(deps: CliDeps, site: string, what: string): Promise<OfflineChecks> {
    readSite(deps, site);
    const checks = await offlineChecks(site, { projectDir: deps.projectDir, quotas: "project", now: deps.now?.() });
    if (checks.exitCode === EXIT.policy) {
        deps.stdout.write(formatViolations(checks.violations));
        throw new PolicyViolationError(
            `site "${site}" has mandatory policy violation(s), listed above: fix them in Pulumi.${site}.yaml before the ${what} (\`esiphub plan ${site}\` checks offline)`,
            checks.violations,
        );
    }
    if (checks.exitCode === EXIT.badConfig) throw new BadConfigError(problemsText(checks.file, checks.problems), checks.problems, checks.file);
    if (checks.exitCode !== EXIT.ok) throw new CliError(checks.problems.join("\n"), checks.exitCode);
    deps.stdout.write(`${formatSummary(checks.summary!)}\n`);
    for (const note of checks.notes) deps.stdout.write(`Note: ${note}\n`);
    for (const warning of checks.warnings) deps.stdout.write(`Warning: ${warning}\n`);
    if (checks.violations.length > 0) deps.stdout.write(formatViolations(checks.violations));
    return checks;
}

export interface ConfirmOptions {
    /** Go ahead without asking. */
    readonly yes: boolean;
    /** The destroy deletes the data volume: the operator types the site's name. */
    readonly deletesData?: boolean;
}

export async function previewAndConfirm(
    deps: CliDeps,
    stack: SiteStack,
    operation: StackOperation,
    target: string[] | undefined,
    options: ConfirmOptions,
    onEvent?: EventHandler,
): Promise<OpMap> {
    const site = stack.site;
    deps.stdout.write(`Previewing the ${VERB[operation].noun} of site "${site}"${target ? ` (targets: ${target.join(", ")})` : ""}\n`);
    const plan = await showPreview(deps, stack, operation, target, onEvent);
    if (options.yes) return plan;
    if (options.deletesData) {
        if (!deps.ask) throw new CliError(`deleting the data volume of site "${site}" needs confirmation: pass --yes (there is no terminal to ask on)`);
        const answer = await deps.ask(`This deletes every resource of site "${site}" AND its data volume: every user's home and the shared scratch. Type the site's name to go ahead: `);
        if (answer.trim() !== site) throw new Cancelled(`destroy of site "${site}" cancelled (the name typed was not "${site}"); nothing was changed`);
        return plan;
    }
    if (!deps.confirm) throw new CliError(`the ${VERB[operation].noun} of site "${site}" needs confirmation: pass --yes (there is no terminal to ask on)`);
    if (!(await deps.confirm(`Do you want to ${VERB[operation].question} site "${site}"? [y/N] `))) {
        throw new Cancelled(`${VERB[operation].noun} of site "${site}" cancelled; nothing was changed`);
    }
    return plan;
}

/** Runs `operation` with live progress (its total from the preview's `plan`); one summary line when it fails. */
export async function runWithProgress(deps: CliDeps, stack: SiteStack, operation: StackOperation, target: string[] | undefined, plan: OpMap, onEvent?: EventHandler): Promise<OpMap> {
    deps.stdout.write(`\n${VERB[operation].heading} site "${stack.site}"\n`);
    const display = new ProgressDisplay(deps.stdout, { operation, total: stepCount(plan) });
    let changes: OpMap;
    try {
        changes = await stack.run(operation, { target, onEvent: both(display, operation, onEvent) });
    } catch (e) {
        throw failure(`${VERB[operation].noun} of site "${stack.site}"`, display.finish(), e);
    }
    display.finish();
    return changes;
}

/** Runs the preview of `operation` with its display; resolves to the planned steps by operation. */
export async function showPreview(deps: CliDeps, stack: SiteStack, operation: StackOperation, target: string[] | undefined, onEvent?: EventHandler): Promise<OpMap> {
    const display = new ProgressDisplay(deps.stdout, { operation: "preview" });
    let plan: OpMap;
    try {
        plan = await stack.preview(operation, { target, onEvent: both(display, "preview", onEvent) });
    } catch (e) {
        throw failure(`preview of site "${stack.site}"`, display.finish(), e);
    }
    if (!display.finish().changes) deps.stdout.write(`Plan: ${summarizeChanges(plan, true)}\n`);
    return plan;
}

/** Each event to the display, then to the caller's handler. */
function both(display: ProgressDisplay, phase: Phase, onEvent: EventHandler | undefined): (event: EngineEvent) => void {
    return (event) => {
        display.handle(event);
        onEvent?.(event, phase);
    };
}

function failure(what: string, report: ProgressReport, e: unknown): OperationFailedError {
    // The engine's message may quote a failed command's output: redacted, as the progress display's lines are.
    const message = redact((e as Error).message);
    const why = report.failures.length > 0 ? `${report.failures.length} failure${report.failures.length === 1 ? "" : "s"}, listed above` : message;
    const failures = report.failures.length > 0 ? report.failures : [{ message }];
    return new OperationFailedError(`${what} failed: ${why}`, failures);
}
