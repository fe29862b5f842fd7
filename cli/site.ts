import * as fs from "fs";
import { ConfigError, parseSiteConfig, SiteConfig } from "../components/config";
import { knownSites, readStackConfig, StackFileError, stackFilePath } from "../plan/stackfile";
import type { ProgressOutput } from "./statusline";

/**
 * What the commands that act on a deployed site during and after the event (`scale`, `backup`, `handout`) share:
 * reading the site's stack file, and errors an operator can act on.
 */

/** An error the operator can act on: printed as one `esiphub: ...` line, exit status 1, no stack trace. */
export class CommandError extends Error {}

const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The site's stack file, read and validated; its raw `namespace:key` values beside the parsed config. */
export function loadSite(projectDir: string, site: string): { config: SiteConfig; raw: Record<string, string> } {
    const file = stackFilePath(projectDir, site);
    if (!SITE_NAME.test(site) || !fs.existsSync(file)) {
        const sites = knownSites(projectDir);
        throw new CommandError(`unknown site "${site}": there is no Pulumi.${site}.yaml in ${projectDir} (sites: ${sites.join(", ") || "none"})`);
    }
    let raw: Record<string, string>;
    try {
        raw = readStackConfig(file).config;
    } catch (e) {
        if (e instanceof StackFileError) throw new CommandError(e.message);
        throw e;
    }
    try {
        return { config: parseSiteConfig(raw, site, projectDir), raw };
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        throw new CommandError(`Pulumi.${site}.yaml has ${e.problems.length} problem(s): ${e.problems.join("; ")}`);
    }
}

/** Runs a command; a CommandError becomes its one-line message on stderr and exit status 1. Other errors pass on. */
export async function exitStatusOf(stderr: ProgressOutput, command: () => Promise<void>): Promise<number> {
    try {
        await command();
        return 0;
    } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        stderr.write(`esiphub: ${e.message}\n`);
        return 1;
    }
}
