/** Runs the esiphub CLI in-process for the doctor's and rehearse's tests, with captured output. */
import type { OutputMap } from "@pulumi/pulumi/automation";
import { CliDeps, runCli } from "../../cli/esiphub";
import type { Automation } from "../../cli/automation";
import { AutomationDouble } from "../cli/automation-double";
import { PROJECT_DIR } from "../mocks";

export class Capture {
    text = "";
    readonly isTTY = false;
    write(s: string) {
        this.text += s;
        return true;
    }
}

export interface CliRun {
    code: number;
    stdout: string;
    stderr: string;
}

export interface CliSetup {
    automation?: Automation;
    /** PATH with a `pulumi` on it, for the commands that want the Pulumi CLI (the double stands in for it). */
    path?: string;
    projectDir?: string;
    confirm?: (question: string) => Promise<boolean>;
}

export async function esiphub(args: string[], setup: CliSetup = {}): Promise<CliRun> {
    const stdout = new Capture();
    const stderr = new Capture();
    const deps: CliDeps = {
        projectDir: setup.projectDir ?? PROJECT_DIR,
        env: { PATH: setup.path ?? "/nonexistent", OS_APPLICATION_CREDENTIAL_ID: "id", OS_APPLICATION_CREDENTIAL_SECRET: "secret", AWS_PROFILE: "esiphub" },
        homeDir: "/nonexistent",
        stdout,
        stderr,
        automation: setup.automation ?? new AutomationDouble({}),
        confirm: setup.confirm,
    };
    const code = await runCli(args, deps);
    return { code, stdout: stdout.text, stderr: stderr.text };
}

/** `esiphub doctor --json` output, parsed. */
export interface DoctorJson {
    site: string | null;
    hub: string;
    ok: boolean;
    checks: { name: string; status: string; detail: string; seconds: number; fix?: string }[];
}

export function doctorJson(run: CliRun): DoctorJson {
    try {
        return JSON.parse(run.stdout) as DoctorJson;
    } catch {
        throw new Error(`doctor --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    }
}

/** A stack output in clear. */
export const plain = (value: unknown): OutputMap[string] => ({ value, secret: false });
export const secret = (value: unknown): OutputMap[string] => ({ value, secret: true });
