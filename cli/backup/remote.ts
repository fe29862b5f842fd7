import { shellQuote } from "./ssh";

/**
 * The commands the backup runs on the NFS host, as text for one SSH `exec` each (the login shell runs them with
 * `-c`). Paths travel as arguments of `sh -c SCRIPT NAME ARGS...`, never spliced into the script. The files on the
 * share belong to the notebook user and may be private, so they are read as root: directly when the SSH user is
 * root, else through `sudo -n` (Ubuntu's cloud images give the default user passwordless sudo).
 */

const AS_ROOT = `as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n -- "$@"; fi; }`;

function shell(script: string, args: string[]): string {
    return ["sh", "-c", shellQuote(`${AS_ROOT}\n${script}`), "esiphub-backup", ...args.map(shellQuote)].join(" ");
}

/**
 * For each directory: its path, then "-" when it is not a directory, else "ENTRIES BYTES" (everything in it, the
 * directory itself included, and the bytes of its regular files: what tar will read), each field ended by a NUL.
 */
export function surveyCommand(dirs: string[]): string {
    const script = [
        'as_root true || { echo "the SSH user cannot run commands as root without a password (sudo -n)" >&2; exit 4; }',
        'for d in "$@"; do',
        '  if as_root test -d "$d"; then',
        // A file with hard links is counted once, as tar stores it once.
        "    r=$(as_root find \"$d\" -printf '%y %n %i %s\\n' | awk '{ n++; if ($1 == \"f\" && ($2 == 1 || !seen[$3]++)) s += $4 } END { printf \"%d %.0f\", n, s }') || exit 3",
        "    printf '%s\\0%s\\0' \"$d\" \"$r\"",
        "  else",
        "    printf '%s\\0-\\0' \"$d\"",
        "  fi",
        "done",
    ].join("\n");
    return shell(script, dirs);
}

export interface SurveyEntry {
    readonly dir: string;
    /** Undefined when the directory does not exist. */
    readonly entries?: number;
    readonly bytes?: number;
}

export function parseSurvey(output: Buffer): SurveyEntry[] {
    const fields = output.toString("utf8").split("\0");
    fields.pop(); // after the last NUL
    if (fields.length % 2 !== 0) throw new Error(`the NFS host's directory survey was cut short (${fields.length} fields)`);
    const entries: SurveyEntry[] = [];
    for (let i = 0; i < fields.length; i += 2) {
        const m = /^(\d+) (\d+)$/.exec(fields[i + 1]);
        entries.push(m ? { dir: fields[i], entries: Number(m[1]), bytes: Number(m[2]) } : { dir: fields[i] });
    }
    return entries;
}

/** A GNU sed replacement for tar's --transform: `\`, `&` and the "," delimiter escaped. */
function sedReplacement(text: string): string {
    return text.replace(/[\\&,]/g, (c) => `\\${c}`);
}

/**
 * GNU tar writing a gzip stream of `dir` to stdout, nothing staged on the server. Members are named `<top>/...`,
 * so that the archive unpacks into one folder named after its user. The transform is not applied to symlink
 * targets (flag S): a link keeps pointing where it pointed. Exit status 1 means a file changed while it was read
 * (GNU tar manual, "Exit status"); 2 is a failure.
 */
export function archiveCommand(dir: string, top: string): string {
    const script = 'as_root tar --create --gzip --file=- --numeric-owner --directory="$1" --transform="$2" .';
    return shell(script, [dir, `s,^\\.,${sedReplacement(top)},S`]);
}
