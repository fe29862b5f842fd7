/** Runs the esiphub CLI in-process for the doctor's and rehearse's tests, with captured output. */
import * as fs from "fs";
import * as path from "path";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { CliDeps, runCli } from "../../cli/esiphub";
import type { Automation } from "../../cli/automation";
import { AutomationDouble } from "../cli/automation-double";
import { PROJECT_DIR } from "../mocks";
import { Capture } from "../capture";
export { Capture };

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

/**
 * A site for the local hub: four accounts (workshop-01..03 and the admin instructor), the image and limits of the
 * recorded cluster (fixtures/cluster/healthy).
 */
const SITE_STACK = `config:
  openstack:authUrl: https://js2.jetstream-cloud.org:5000/v3/
  openstack:region: IU
  esiphub:cloud: openstack
  esiphub:externalNetwork: public
  esiphub:image: Featured-Ubuntu24
  esiphub:masterFlavor: m3.medium
  esiphub:workerFlavor: m3.large
  esiphub:subnetCidr: 10.42.0.0/24
  esiphub:adminCidrs:
    - 149.165.152.0/24
  esiphub:sshPublicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ0v2t8o3Qx5m6fQe7Wc1v2nN8Zb3fTq9yK4aL0sE1r esiphub-rehearsal
  esiphub:users: 3
  esiphub:userPattern: workshop-{nn}
  esiphub:extraUsers:
    - instructor
  esiphub:adminUsers:
    - instructor
  esiphub:notebookImage: ghcr.io/esipfed/esiphub-notebook
  esiphub:notebookTag: "2026.11"
  esiphub:memoryLimit: 8G
  esiphub:memoryGuarantee: 4G
`;

/**
 * The local site: plain HTTP (no hubHostname, so no DNS or TLS leaves this machine), which only a development stack
 * may have (esiphub:allowPlainHttp, or the hub-https rule refuses it).
 */
export const LOCAL_SITE_STACK = `${SITE_STACK}  esiphub:allowPlainHttp: true
`;

/** The local site with a hostname, as a rehearsal stack: Let's Encrypt staging certificates. */
export const STAGING_SITE_STACK = `${SITE_STACK}  esiphub:hubHostname: hub.esipfed.org
  esiphub:letsEncryptEmail: esiphub-admins@esipfed.org
  esiphub:letsEncryptStaging: true
`;

/**
 * A project folder with the sites `rehearsal` (LOCAL_SITE_STACK) and `staging` (STAGING_SITE_STACK), and a folder
 * with a `pulumi` to put on PATH.
 */
export function testProject(tmp: string): { projectDir: string; binDir: string } {
    const projectDir = path.join(tmp, "project");
    const binDir = path.join(tmp, "bin");
    fs.mkdirSync(projectDir);
    fs.mkdirSync(binDir);
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(projectDir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(projectDir, "Pulumi.rehearsal.yaml"), LOCAL_SITE_STACK);
    fs.writeFileSync(path.join(projectDir, "Pulumi.staging.yaml"), STAGING_SITE_STACK);
    // Only found on PATH, never run: the double stands in for it.
    fs.writeFileSync(path.join(binDir, "pulumi"), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
    return { projectDir, binDir };
}
