/**
 * Every documented limit is checked once, in validation, and nothing after validation throws on a value it let
 * through: for each bound written in a setting's description ("1 to 1000", "/16 to /28", "`1.30` to `1.34`"), the
 * values just outside are refused naming that setting, and the bound values themselves plan offline, the whole
 * program with its cost estimate and summary, without an exception.
 */
import * as assert from "assert";
import { CONFIG_KEYS, ConfigError, NAMESPACE, parseSiteConfig } from "../components/config";
import { estimateCost } from "../components/cost";
import { formatSummary, siteSummary } from "../cli/summary";
import { PROJECT_DIR, runStack, stackConfig } from "./mocks";
import { withOfflineQuotas } from "../plan/cloud";
import { quotaNames } from "../components/quota/quotas";

const UNLIMITED = Object.fromEntries(quotaNames("openstack").map((name) => [name, -1]));

type Bound = { key: string; kind: "integer" | "version" | "prefix"; min: string; max: string };

/** A bound that depends on the site: "from 1 to the number of accounts" (esiphub:maxServers). */
const ACCOUNTS_BOUND = "the number of accounts";

/** The bounds the descriptions document, e.g. "Number of workshop accounts (1 to 1000)." */
function documentedBounds(): Bound[] {
    const bounds: Bound[] = [];
    for (const k of CONFIG_KEYS) {
        const m = /`?(\/?)(\d+(?:\.\d+)?)`? to `?\/?(\d+(?:\.\d+)?|the number of accounts)`?/.exec(k.description);
        if (!m) continue;
        const kind = m[1] ? "prefix" : m[2].includes(".") ? "version" : "integer";
        bounds.push({ key: k.key, kind, min: m[2], max: m[3] });
    }
    return bounds;
}

/** The value `step` away from a bound, as the setting is written. */
function valueAt(bound: Bound, value: string, step: number): string {
    if (bound.kind === "version") {
        const [major, minor] = value.split(".").map(Number);
        return `${major}.${minor + step}`;
    }
    const n = Number(value) + step;
    return bound.kind === "prefix" ? `10.42.0.0/${n}` : String(n);
}

/** Jetstream with 2 workshop accounts and small storage, so that every bound of the others fits beside it. */
const BASE = { "esiphub:users": "2", "esiphub:storagePerUser": "1Gi", "esiphub:scratchSize": "1Gi", "esiphub:materialsSize": "1Gi" };

describe("documented limits: checked once, in validation; nothing after it throws", function () {
    // Guards, not measures: the largest plans (100 workers, 1000 accounts each with a bcrypt hash) take minutes on a busy machine.
    this.timeout(20 * 60 * 1000);
    const bounds = documentedBounds();

    it("the descriptions document these bounds (a new one needs a line here)", () => {
        assert.deepStrictEqual(
            bounds.map((b) => `${b.key} ${b.min}..${b.max}`),
            [
                "subnetCidr 16..28",
                "workers 0..100",
                "kubernetesVersion 1.30..1.34",
                "rootVolumeSize 20..2000",
                "dataVolumeSize 10..16000",
                "users 1..1000",
                "startTimeout 60..3600",
                "cullIdleTimeout 300..86400",
                "userPlaceholders 0..1000",
                "dnsTtl 60..86400",
                "dnsWaitTimeout 60..14400",
                `maxServers 1..${ACCOUNTS_BOUND}`,
            ],
        );
    });

    for (const bound of bounds) {
        const key = `${NAMESPACE}:${bound.key}`;
        // The accounts bound is checked against BASE's accounts: its 2 workshop accounts and Jetstream's 2 extra users.
        const max = bound.max === ACCOUNTS_BOUND ? String(accountsOf({})) : bound.max;
        // A smaller prefix is a larger subnet: "below" the documented range is /15.
        const outside = [valueAt(bound, bound.min, -1), valueAt(bound, max, +1)];
        it(`${key}: ${outside.join(" and ")} are refused, naming it`, () => {
            for (const value of outside) {
                const raw = stackConfig("jetstream", { ...BASE, [key]: value }).config;
                assert.throws(() => parseSiteConfig(raw, "jetstream", PROJECT_DIR), (e: ConfigError) => {
                    assert.ok(e instanceof ConfigError, `${value}: ${e}`);
                    assert.deepStrictEqual(e.problems.map((p) => p.split(": ")[0]), [key], `${value}: ${e.problems.join("; ")}`);
                    return true;
                });
            }
        });
    }

    // The bound values themselves, as few whole-program plans as validation allows: each plan takes every bound value
    // that validates beside the ones already in it (a /28 subnet cannot hold 100 workers: those go to two plans).
    for (const group of groupsThatValidate(bounds)) {
        it(`plans offline, with its cost and summary: ${Object.entries(group).map(([k, v]) => `${k.slice(NAMESPACE.length + 1)}=${v}`).join(", ")}`, async () => {
            const overrides = { ...BASE, ...group };
            const config = parseSiteConfig(stackConfig("jetstream", overrides).config, "jetstream", PROJECT_DIR);
            // The offline cloud's quotas would refuse the largest sites (that refusal is the quota check's, tested in
            // test/quota); here every quota is unlimited, so that what is planned is the values themselves.
            const result = await withOfflineQuotas(UNLIMITED, () => runStack("jetstream", overrides));
            assert.strictEqual(result.outputs.workers, config.nodes.workers);
            assert.strictEqual(result.outputs.maxServers, config.hub.maxServers);
            // The accounts are counted once: Jetstream's 2 extra users come on top of esiphub:users (1000 + 2 at the
            // maximum, where the cost estimate used to throw "users must be an integer from 1 to 1000, got 1002").
            assert.strictEqual((result.outputs.cost as { users: number }).users, config.hub.users.length);
            assert.ok(formatSummary(siteSummary(config, estimateCost(config), result.outputs.hubUrl)).includes(`${config.hub.users.length} accounts`));
        });
    }

    it("the plans hold every bound value, both ends of each", () => {
        const planned = groupsThatValidate(bounds).flatMap((g) => Object.entries(g).map(([k, v]) => `${k}=${v}`));
        assert.strictEqual(planned.length, 2 * bounds.length, planned.join(" "));
    });
});

/** The number of accounts of jetstream with BASE and `overrides`. */
function accountsOf(overrides: Record<string, string>): number {
    return parseSiteConfig(stackConfig("jetstream", { ...BASE, ...overrides }).config, "jetstream", PROJECT_DIR).hub.users.length;
}

function validates(overrides: Record<string, string>): boolean {
    try {
        accountsOf(overrides);
        return true;
    } catch (e) {
        if (e instanceof ConfigError) return false;
        throw e;
    }
}

/**
 * Both ends of every bound, grouped first-fit into sets of overrides that validate together. The accounts bound
 * goes last, its maximum being the number of accounts of the group it joins.
 */
function groupsThatValidate(bounds: Bound[]): Record<string, string>[] {
    const groups: Record<string, string>[] = [];
    const place = (key: string, value: (group: Record<string, string>) => string) => {
        const fits = groups.find((g) => !(key in g) && validates({ ...g, [key]: value(g) }));
        if (fits) fits[key] = value(fits);
        else groups.push({ [key]: value({}) });
    };
    const ordered = [...bounds.filter((b) => b.max !== ACCOUNTS_BOUND), ...bounds.filter((b) => b.max === ACCOUNTS_BOUND)];
    for (const bound of ordered) {
        const key = `${NAMESPACE}:${bound.key}`;
        place(key, () => valueAt(bound, bound.min, 0));
        place(key, (g) => (bound.max === ACCOUNTS_BOUND ? String(accountsOf(g)) : valueAt(bound, bound.max, 0)));
    }
    return groups;
}
