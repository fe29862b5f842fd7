/**
 * `--workshop NAME`: one workshop of a site with esiphub:workshops, seen by the commands (credentials, loadtest,
 * doctor) as they see the one hub of a site without workshops. Pure: from the deployed stack's outputs
 * (components/esiphub.ts: `workshops` name → hubUrl, namespace, users, tls, tlsStaging, adminUsers, maxServers, and
 * `credentials` name → accounts) or the stack file's validated config.
 */
import type { OutputMap } from "@pulumi/pulumi/automation";
import { SiteConfig, workshopView } from "../components/config";
import { closest } from "../components/suggest";

/** The outputs a site without workshops has for its hub, which each entry of `workshops` carries for its own. */
const HUB_OUTPUTS = ["hubUrl", "tls", "tlsStaging", "adminUsers", "maxServers"] as const;

/** Why `workshop` does not pick a hub of a site whose workshops are `names` (none: one hub), or undefined when it does. */
export function workshopChoiceProblem(site: string, names: readonly string[] | undefined, workshop: string | undefined): string | undefined {
    if (names === undefined) {
        return workshop === undefined ? undefined : `site "${site}" is one hub (it has no esiphub:workshops): leave out --workshop`;
    }
    if (workshop === undefined) return `site "${site}" has ${names.length} workshops (${names.join(", ")}): choose one with --workshop NAME`;
    if (names.includes(workshop)) return undefined;
    const near = closest(workshop, names);
    return `site "${site}" has no workshop "${workshop}"${near ? ` (did you mean ${near}?)` : ""}; its workshops: ${names.join(", ")}`;
}

/** The names of a deployed site's workshops (its `workshops` output), or undefined for a site of one hub. */
export function deployedWorkshops(outputs: OutputMap): string[] | undefined {
    const value = outputs.workshops?.value;
    return value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : undefined;
}

/**
 * The outputs as one hub's: for a site with workshops, the chosen workshop's hubUrl, tls, tlsStaging, adminUsers,
 * maxServers and credentials in place of the site's (the site-wide ones, publicIp and kubeconfig, kept). A site of
 * one hub without --workshop: its outputs as they are. A message when `workshop` picks no hub.
 */
export function hubOutputs(outputs: OutputMap, site: string, workshop: string | undefined): OutputMap | string {
    const problem = workshopChoiceProblem(site, deployedWorkshops(outputs), workshop);
    if (problem) return problem;
    if (workshop === undefined) return outputs;
    const entry = (outputs.workshops.value as Record<string, Record<string, unknown>>)[workshop];
    const own: OutputMap = {};
    for (const key of HUB_OUTPUTS) if (entry[key] !== undefined) own[key] = { value: entry[key], secret: false };
    const credentials = outputs.credentials?.value as Record<string, unknown> | undefined;
    if (credentials && typeof credentials === "object" && credentials[workshop] !== undefined) own.credentials = { value: credentials[workshop], secret: true };
    const { credentials: _all, ...siteWide } = outputs;
    return { ...siteWide, ...own };
}

/** The stack file's config as one workshop's hub sees it (its settings in `hub`), or the site's own; a message when `workshop` picks no hub. */
export function workshopConfig(config: SiteConfig, workshop: string | undefined): SiteConfig | string {
    const problem = workshopChoiceProblem(config.site, configWorkshops(config), workshop);
    if (problem) return problem;
    if (workshop === undefined) return config;
    return workshopView(config, config.workshops.find((w) => w.name === workshop)!);
}

/** How to do by hand, on a site of workshops, what a command of one hub does. */
const BY_HAND: Record<string, string> = {
    scale: "set esiphub:workers and each workshop's maxServers in the stack file, then `esiphub up`",
    backup: "copy each workshop's folder (a directory named after it on the share) from the NFS server over `esiphub ssh`",
    "tls-retry": "cert-manager retries each workshop's certificate by itself, with backoff; `kubectl -n <workshop> describe certificate hub` says why one waits",
};

/**
 * Why a command that acts on the one hub of a site (scale, backup, tls-retry) refuses a site with these workshops
 * (from its config or its deployed outputs), or undefined for a site of one hub. Refused rather than run on the first
 * workshop's hub alone.
 */
export function oneHubOnlyProblem(site: string, workshops: readonly string[] | undefined, command: keyof typeof BY_HAND): string | undefined {
    if (!workshops) return undefined;
    return `site "${site}" has esiphub:workshops (${workshops.join(", ")}): esiphub ${command} works on a site of one hub; instead ${BY_HAND[command]}`;
}

/** The workshops' names of a validated config, or undefined for a site of one hub. */
export function configWorkshops(config: SiteConfig): string[] | undefined {
    return config.router ? config.workshops.map((w) => w.name!) : undefined;
}
