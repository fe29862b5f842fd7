/** Helm's handling of user values, for validating generated values the way `helm install` does. */
import * as fs from "fs";
import * as path from "path";
import Ajv, { ErrorObject } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import * as YAML from "yaml";

type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * User values over chart defaults as Helm coalesces them: maps merge key by key, lists and scalars
 * replace, and a null deletes the key.
 */
export function coalesce(defaults: Values, overrides: Values): Values {
    const out: Values = { ...defaults };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === null) delete out[key];
        else if (isMap(value) && isMap(out[key])) out[key] = coalesce(out[key] as Values, value);
        else if (isMap(value)) out[key] = coalesce({}, value);
        else out[key] = value;
    }
    return out;
}

export interface ChartSchema {
    dir: string;
    defaults: Values;
    validate(values: Values): ErrorObject[];
}

/** Where the chart's schema and defaults are: $ESIPHUB_Z2JH_DIR, or ../shared/z2jh beside the project. */
export function chartSchemaDir(projectDir: string): string {
    return process.env.ESIPHUB_Z2JH_DIR || path.resolve(projectDir, "../shared/z2jh");
}

/** The chart's values.schema.yaml and values.yaml, or undefined when they are not there. */
export function loadChartSchema(dir: string): ChartSchema | undefined {
    const schemaFile = path.join(dir, "values.schema.yaml");
    const valuesFile = path.join(dir, "values.yaml");
    if (!fs.existsSync(schemaFile) || !fs.existsSync(valuesFile)) return undefined;
    const schema = YAML.parse(fs.readFileSync(schemaFile, "utf8"));
    const defaults = YAML.parse(fs.readFileSync(valuesFile, "utf8")) as Values;
    // strict off: the schema carries documentation keywords that are not JSON Schema's.
    const check = new Ajv({ allErrors: true, strict: false }).compile(schema);
    return {
        dir,
        defaults,
        validate(values) {
            return check(coalesce(defaults, values)) ? [] : [...(check.errors ?? [])];
        },
    };
}

export function describeErrors(errors: ErrorObject[]): string {
    return errors.map((e) => `${e.instancePath || "/"} ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`).join("\n");
}

/**
 * A chart's values.schema.json and values.yaml (the Traefik and cert-manager charts), or undefined when they are not
 * there. Helm validates with the draft the schema names: Traefik's is 2020-12 (traefik-helm-chart
 * traefik/values.schema.json, "$schema"), cert-manager's names none (draft-07, Ajv's default).
 */
export function loadJsonChartSchema(dir: string): ChartSchema | undefined {
    const schemaFile = path.join(dir, "values.schema.json");
    const valuesFile = path.join(dir, "values.yaml");
    if (!fs.existsSync(schemaFile) || !fs.existsSync(valuesFile)) return undefined;
    const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8")) as { $schema?: string };
    const defaults = (YAML.parse(fs.readFileSync(valuesFile, "utf8")) ?? {}) as Values;
    const ajv = /2020-12/.test(schema.$schema ?? "") ? new Ajv2020({ allErrors: true, strict: false }) : new Ajv({ allErrors: true, strict: false });
    const check = ajv.compile(schema);
    return {
        dir,
        defaults,
        validate(values) {
            return check(coalesce(defaults, values)) ? [] : [...(check.errors ?? [])];
        },
    };
}
