import * as assert from "assert";
import * as path from "path";
import { ConfigError, parseSiteConfig, SiteConfig } from "../../components/config";
import { readStackConfig } from "../../plan/stackfile";
import { PROJECT_DIR } from "../mocks";

/** The example stack of several workshops (examples/Pulumi.meeting.yaml), for the workshop tests. */
export const EXAMPLE = readStackConfig(path.join(PROJECT_DIR, "examples", "Pulumi.meeting.yaml"));

/** The example's config with `overrides` (a value of undefined removes the key), validated. */
export function meeting(overrides: Record<string, string | undefined> = {}, projectDir = PROJECT_DIR): SiteConfig {
    const raw = { ...EXAMPLE.config };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete raw[k];
        else raw[k] = v;
    }
    return parseSiteConfig(raw, "meeting", projectDir, { yamlNumbers: EXAMPLE.yamlNumbers });
}

/** The problems a configuration is refused with; fails when it is accepted. */
export function problemsOf(parse: () => unknown): string[] {
    try {
        parse();
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    assert.fail("the configuration was accepted");
}

/** `esiphub:workshops` set to `list`, as the raw config holds it. */
export const workshops = (list: unknown[]) => ({ "esiphub:workshops": JSON.stringify(list) });

/** The three workshops on the shipped Jetstream2 stack: 40, 30 at 6G (limit 12G) and 20 users, each with 2 extra. */
export const THREE_WORKSHOPS = {
    "esiphub:hubHostname": undefined,
    "esiphub:workshops": JSON.stringify([
        { name: "python-intro", users: 40, hubHostname: "python.hub.esipfed.org" },
        { name: "remote-sensing", users: 30, userPattern: "rs-{nn}", hubHostname: "rs.hub.esipfed.org", memoryGuarantee: "6G", memoryLimit: "12G" },
        { name: "data-viz", users: 20, userPattern: "viz-{nn}" },
    ]),
};
