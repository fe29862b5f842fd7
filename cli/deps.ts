/**
 * What every command module shares: the outside world it may touch (CliDeps), the error it raises for the operator
 * (CliError, with its exit status) and the exit statuses themselves. Command modules import this, never
 * cli/esiphub.ts, so that registering a command is one line there: `registerXCommand(program, deps, outcome)`.
 */
import type { ProgressOutput } from "./progress";
import type { Automation } from "./automation";

/** Exit statuses, part of the contract with scripts (`esiphub plan`, `up`, `cost`...). */
export const EXIT = { ok: 0, failed: 1, badConfig: 2, policy: 3 } as const;

/** What the CLI touches outside itself; `main` passes the real ones, tests their own. */
export interface CliDeps {
    readonly projectDir: string;
    readonly env: Record<string, string | undefined>;
    readonly homeDir: string;
    readonly stdout: ProgressOutput;
    /** Errors, notes, and the load tester's progress line. */
    readonly stderr: ProgressOutput;
    readonly automation: Automation;
    /** Asks a yes/no question on the terminal; absent when there is no terminal to ask on. */
    readonly confirm?: (question: string) => Promise<boolean>;
    /** Asks for a line of text on the terminal (e.g. the site's name before deleting its data); absent without a terminal. */
    readonly ask?: (question: string) => Promise<string>;
    /** The clock of `status` and of the end-date warnings (the system's when absent). */
    readonly now?: () => Date;
}

/** An error the operator can act on: printed as `esiphub: ...` (one line, or a list), no stack trace. */
export class CliError extends Error {
    constructor(message: string, readonly exitCode: number = EXIT.failed) {
        super(message);
    }
}

/** Set by commands whose outcome is not all-or-nothing (a load test with failed users, `ssh`'s own status). */
export interface CliOutcome {
    exitCode: number;
}

/** The operator said no: not a failure to explain, nothing was changed. */
export class Cancelled extends CliError {}
