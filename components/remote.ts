import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * How a layer's shell script reaches a host, for every layer: ONE text on stdin of `sudo bash -s`, made of
 * the script's parameters as `export NAME='value'` lines, then scripts/lib.sh (strict mode, step logging, the
 * failure message, helpers), then the script. Pure, so that components only wire resources and the tests run
 * exactly the text a host receives. Parameters travel in the text, not in the SSH environment, which SSH
 * servers drop unless AcceptEnv lists the variables.
 */

/** The remote command of every script: the rendered script arrives on its stdin. */
export const REMOTE_SHELL = "sudo bash -s";

export const LIB_FILE = path.join(__dirname, "scripts", "lib.sh");

export type ScriptParams = Record<string, string>;

/** A script of a layer; `layer` and `name` title the text sent, `file` is what runs after lib.sh. */
export interface RemoteScript {
    readonly layer: string;
    readonly name: string;
    readonly file: string;
}

/** components/<layer>/scripts/<name>.sh */
export function layerScript(layer: string, name: string): RemoteScript {
    return { layer, name, file: path.join(__dirname, layer, "scripts", `${name}.sh`) };
}

const PARAM_NAME = /^[A-Z][A-Z0-9_]*$/;

/** The script as sent, parameters aside: lib.sh then the script. */
export function scriptBody(script: RemoteScript): string {
    return `${fs.readFileSync(LIB_FILE, "utf8")}\n${fs.readFileSync(script.file, "utf8")}`;
}

/** Content hash of what a script runs; in a command's `triggers`, so that an edited script (or lib.sh) runs again. */
export function scriptHash(script: RemoteScript): string {
    return crypto.createHash("sha256").update(scriptBody(script)).digest("hex");
}

/** Single-quotes a value for bash: the value is taken literally, whatever it holds. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The text sent on stdin of `sudo bash -s`: the parameters as exports, lib.sh, the script. Without
 * parameters it is also a script file that runs on its own (shebang first), parameters from its environment.
 */
export function renderScript(script: RemoteScript, params: ScriptParams): string {
    const exports = Object.entries(params).map(([key, value]) => {
        if (!PARAM_NAME.test(key)) throw new Error(`script ${script.name}: parameter name "${key}" must be upper-case letters, digits and _`);
        if (typeof value !== "string") throw new Error(`script ${script.name}: parameter ${key} must be a string, got ${typeof value}`);
        return `export ${key}=${shellQuote(value)}\n`;
    });
    return `#!/usr/bin/env bash\n# esiphub ${script.layer}: ${script.name}\n${exports.join("")}${scriptBody(script)}`;
}

