/**
 * The errors a script can catch by class (api.ts re-exports them); each is a CliError carrying the exit status the
 * esiphub command ends with, so the command line prints and exits on them as on any other.
 */
import type { Violation } from "../policy/rules";
import { CliError, EXIT } from "./deps";

/** The stack file is missing or has bad settings: `problems` lists each (`esiphub:key: ...`). Exit 2. */
export class BadConfigError extends CliError {
    constructor(
        message: string,
        readonly problems: readonly string[],
        /** The stack file, when there is one. */
        readonly file?: string,
    ) {
        super(message, EXIT.badConfig);
    }
}

/** The planned resources break a mandatory rule of the policy pack (e.g. SSH open to the world). Exit 3. */
export class PolicyViolationError extends CliError {
    constructor(
        message: string,
        readonly violations: readonly Violation[],
    ) {
        super(message, EXIT.policy);
    }
}

/** The Pulumi CLI, which the Automation API drives, is not on PATH. Exit 1. */
export class PulumiCliMissingError extends CliError {}

/** The cloud the stack file names would find no credentials (nothing was asked of the cloud). Exit 1. */
export class CloudCredentialsMissingError extends CliError {
    constructor(
        message: string,
        readonly cloud: "openstack" | "aws",
    ) {
        super(message);
    }
}

/** A preview or an operation failed in the engine: `failures` has each failed resource's message. Exit 1. */
export class OperationFailedError extends CliError {
    constructor(
        message: string,
        readonly failures: readonly { readonly urn?: string; readonly message: string }[],
    ) {
        super(message);
    }
}

/** The deployed site lacks an output (not deployed yet, or deployed before that output existed). Exit 1. */
export class NotDeployedError extends CliError {
    constructor(
        readonly site: string,
        readonly output: string,
    ) {
        super(`site "${site}" has no ${output} output (is it deployed? run \`esiphub up ${site}\`)`);
    }
}
