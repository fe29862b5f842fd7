import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_KEYS, NAMESPACE } from "../components/config";

export interface StackConfig {
    /** `namespace:key` → value as Pulumi hands it to a program: scalars as text, lists and maps as JSON. */
    readonly config: Record<string, string>;
    /** Keys whose values are secret (`secure:` in the file, or declared secret in Pulumi.yaml). */
    readonly secretKeys: string[];
    /** Secret keys with no value in the file, planned with a placeholder (they are set with `pulumi config set --secret`). */
    readonly placeholders: string[];
    /**
     * Values YAML read as a number whose text differs from what the file says (`1.30` → "1.3"): key → the file's text;
     * inside a list of maps (esiphub:workshops) the key is the setting's path, `esiphub:workshops[1].notebookTag`.
     */
    readonly yamlNumbers: Record<string, string>;
}

/** Offline stand-ins for secrets: plausible in shape, useless as credentials. */
const SECRET_PLACEHOLDERS: Record<string, string> = {
    [`${NAMESPACE}:sshPrivateKey`]: "-----BEGIN OPENSSH PRIVATE KEY-----\noffline-plan-placeholder\n-----END OPENSSH PRIVATE KEY-----\n",
};

export class StackFileError extends Error {}

/** Reads `Pulumi.<site>.yaml` the way the Pulumi CLI hands its values to the program, without decrypting anything. */
export function readStackConfig(file: string): StackConfig {
    if (!fs.existsSync(file)) throw new StackFileError(`no stack file at ${file}`);
    let parsed: YAML.Document.Parsed;
    try {
        parsed = YAML.parseDocument(fs.readFileSync(file, "utf8"));
        if (parsed.errors.length > 0) throw parsed.errors[0];
    } catch (e) {
        throw new StackFileError(`${file}: not valid YAML: ${(e as Error).message}`);
    }
    const doc: unknown = parsed.toJS();
    const entries = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
    if (typeof entries !== "object" || Array.isArray(entries)) throw new StackFileError(`${file}: "config" must be a map`);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const yamlNumbers: Record<string, string> = {};
    for (const [rawKey, value] of Object.entries(entries)) {
        const key = rawKey.includes(":") ? rawKey : `${NAMESPACE}:${rawKey}`;
        // Pulumi hands the program the number, not the text (pulumi/pulumi sdk/go/common/resource/config/object.go).
        const node = parsed.getIn(["config", rawKey], true);
        recordRewrittenNumbers(node, key, yamlNumbers);
        if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
            // Encrypted with the stack's secrets provider: only the Pulumi CLI can read it.
            secretKeys.push(key);
            config[key] = SECRET_PLACEHOLDERS[key] ?? "offline-plan-placeholder";
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    const placeholders: string[] = [];
    for (const spec of CONFIG_KEYS.filter((k) => k.secret)) {
        const key = `${NAMESPACE}:${spec.key}`;
        if (!secretKeys.includes(key)) secretKeys.push(key);
        if (config[key] === undefined && SECRET_PLACEHOLDERS[key]) {
            config[key] = SECRET_PLACEHOLDERS[key];
            placeholders.push(key);
        }
    }
    return { config, secretKeys, placeholders, yamlNumbers };
}

/** A number whose text YAML rewrote (`1.30` → 1.3): at the key, or at `key[i].field` in a list of maps (esiphub:workshops). */
function recordRewrittenNumbers(node: unknown, key: string, into: Record<string, string>): void {
    if (YAML.isScalar(node) && typeof node.value === "number" && node.source !== JSON.stringify(node.value)) into[key] = String(node.source);
    if (!YAML.isSeq(node)) return;
    node.items.forEach((item, i) => {
        if (!YAML.isMap(item)) return;
        for (const pair of item.items) {
            if (YAML.isScalar(pair.key)) recordRewrittenNumbers(pair.value, `${key}[${i}].${String(pair.key.value)}`, into);
        }
    });
}

export function stackFilePath(projectDir: string, site: string): string {
    return path.join(projectDir, `Pulumi.${site}.yaml`);
}

/** Sites that have a stack file in the project folder. */
export function knownSites(projectDir: string): string[] {
    return fs
        .readdirSync(projectDir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
}
