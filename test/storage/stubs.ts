/**
 * Stand-ins for the system commands the storage scripts run (blkid, mkfs.xfs, mount, systemctl, exportfs,
 * xfs_quota, apt-get, ...), first on PATH. Each logs its call and keeps what it changed in a state directory,
 * so a second run sees the first run's results the way it would on a host. Files the scripts write go under
 * a temporary root (ESIPHUB_ROOT). Scripts run as a host receives them: rendered, on stdin of `bash -s`.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderScript, ScriptParams } from "../../components/remote";
import { storageScript, StorageScriptName } from "../../components/storage/values";

export const SCRIPTS_DIR = path.resolve(__dirname, "../../components/storage/scripts");

/** A block device: its kernel name, the serial lsblk shows, and the /dev/disk/by-id names udev gives it. */
export interface Disk {
    name: string;
    serial?: string;
    byId?: string[];
}

/** A command invocation as the stub saw it. */
export interface Call {
    command: string;
    args: string[];
}

export interface RunResult {
    status: number | null;
    stdout: string;
    stderr: string;
    /** Calls of this run only. */
    calls: Call[];
}

// bash directly and expansions rather than env and basename: a script run makes dozens of stub calls, and every
// process start counts in the suite's time.
const PREAMBLE = `#!/bin/bash
set -euo pipefail
name="\${0##*/}"
{ printf '%s' "$name"; printf '\\x1f%s' "$@"; printf '\\n'; } >>"$ESIPHUB_STUB_LOG"
state="$ESIPHUB_STUB_STATE"
if [[ -e "$state/fail-$name" ]]; then echo "$name: failing as the test asked" >&2; exit 1; fi
key() { printf '%s' "\${1//\\//_}"; }
`;

/** Bodies of the stubs, after the preamble. `$REAL_*` are replaced by the real binaries' paths. */
const STUBS: Record<string, string> = {
    id: `if [[ "\${1:-}" == -u ]]; then echo 0; else exec "$REAL_ID" "$@"; fi`,
    sleep: `:`,
    chown: `exec "$REAL_CHOWN" "$@"`,
    chmod: `exec "$REAL_CHMOD" "$@"`,
    "dpkg-query": `pkg="\${!#}"
if [[ -e "$state/pkg-$pkg" ]]; then printf installed; else echo "dpkg-query: no packages found matching $pkg" >&2; exit 1; fi`,
    "apt-get": `seen_install=0
for arg in "$@"; do
  if [[ "$arg" == install ]]; then seen_install=1; elif ((seen_install)) && [[ "$arg" != -* ]]; then touch "$state/pkg-$arg"; fi
done`,
    // util-linux lsblk as nfs-server.sh calls it: whole disks, raw, PATH and SERIAL (the layout is the test's).
    lsblk: `[[ "$*" == "-dnr -o PATH,SERIAL" ]] || { echo "lsblk stub: unexpected $*" >&2; exit 1; }
cat "$state/lsblk" 2>/dev/null || true`,
    blkid: `if [[ -e "$state/blkid-rc" ]]; then exit "$(cat "$state/blkid-rc")"; fi
if [[ -f "$state/blkid" ]]; then cat "$state/blkid"; else exit 2; fi`,
    "mkfs.xfs": `dev="\${!#}"
if [[ -f "$state/blkid" ]]; then echo "mkfs.xfs: $dev appears to contain an existing filesystem. Use the -f option to force overwrite." >&2; exit 1; fi
printf 'DEVNAME=%s\\nLABEL=esiphub-data\\nUUID=5b0c1e6e-2f3a-4c41-9d7e-0a1b2c3d4e5f\\nBLOCK_SIZE=512\\nTYPE=xfs\\n' "$dev" >"$state/blkid"`,
    // Mounts what /etc/fstab says for the mount point, as \`mount DIR\` does.
    mount: `dir="\${!#}"; rel="\${dir#"$ESIPHUB_ROOT"}"
line="$(awk -v d="$rel" '$2 == d' "$ESIPHUB_ROOT/etc/fstab")"
[[ -n "$line" ]] || { echo "mount: $dir: can't find in /etc/fstab." >&2; exit 1; }
read -r source _ type options _ <<<"$line"
[[ "$type" == xfs ]] || { echo "mount: wrong fs type $type" >&2; exit 32; }
opts="rw,relatime,attr2,inode64,logbufs=8,logbsize=32k"
[[ ",$options," == *,prjquota,* ]] && opts="$opts,prjquota"
printf '%s\\tUUID="%s" OPTIONS="%s"\\n' "$dir" "\${source#UUID=}" "$opts" >>"$state/mounts"`,
    findmnt: `dir="\${!#}"
line="$(awk -F'\\t' -v d="$dir" '$1 == d { print $2 }' "$state/mounts" 2>/dev/null || true)"
[[ -n "$line" ]] || exit 1
echo "$line"`,
    systemctl: `case "$1" in
  is-enabled) [[ -e "$state/enabled-\${!#}" ]] ;;
  is-active) [[ -e "$state/active-\${!#}" ]] ;;
  enable) shift; for u in "$@"; do [[ "$u" == --now ]] || touch "$state/enabled-$u" "$state/active-$u"; done ;;
  daemon-reload|restart|start) ;;
  *) echo "systemctl stub: unexpected $*" >&2; exit 1 ;;
esac`,
    exportfs: `case "$1" in
  -s) cat "$state/exports" 2>/dev/null || true ;;
  -ra) cat "$ESIPHUB_ROOT"/etc/exports.d/*.exports >"$state/exports" ;;
  *) echo "exportfs stub: unexpected $*" >&2; exit 1 ;;
esac`,
    xfs_io: `dir="\${!#}"
[[ -d "$dir" ]] || { echo "$dir: No such file or directory" >&2; exit 1; }
echo "projid = $(cat "$state/proj/$(key "$dir")" 2>/dev/null || echo 0)"`,
    // limit: the kernel keeps the block limit in 512-byte basic blocks (bytes >> 9, xfsprogs quota/edit.c).
    // report -p -b -n -N: one line per project quota the kernel has (GETNEXTQUOTA, in id order; project 0 always
    // holds the filesystem's root), "#ID used soft hard warns grace" with block counts in KiB (basic blocks >> 1),
    // then an empty line (xfsprogs quota/report.c, report_mount and report_project_mount).
    xfs_quota: `cmd="$3"
read -r -a words <<<"$cmd"
mkdir -p "$state/proj"
case "\${words[0]}" in
  limit) [[ "\${words[2]}" =~ ^bhard=[0-9]+$ ]] || { echo "xfs_quota stub: unexpected $cmd" >&2; exit 1; }
         echo $(( \${words[2]#bhard=} >> 9 )) >"$state/limit-\${words[3]}" ;;
  project) [[ -d "\${words[3]}" ]] || { echo "xfs_quota: cannot find \${words[3]}" >&2; exit 1; }
           echo "\${words[4]}" >"$state/proj/$(key "\${words[3]}")" ;;
  report) [[ "$cmd" == "report -p -b -n -N" ]] || { echo "xfs_quota stub: unexpected $cmd" >&2; exit 1; }
          { echo 0; for f in "$state"/limit-*; do if [[ -e "$f" ]]; then echo "\${f##*/limit-}"; fi; done; } | sort -n -u | while read -r id; do
            bb="$(cat "$state/limit-$id" 2>/dev/null || echo 0)"
            printf '#%-10d %10d %10d %10d     %02d %9s\\n' "$id" 0 0 $(( bb >> 1 )) 0 "[--------]"
          done
          echo ;;
  *) echo "xfs_quota stub: unexpected $cmd" >&2; exit 1 ;;
esac`,
};

function realBinary(name: string): string {
    return execFileSync("bash", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
}

let realBinaries: Record<string, string> | undefined;
/** The real binaries the pass-through stubs exec, looked up once per process. */
function reals(): Record<string, string> {
    realBinaries ??= { REAL_ID: realBinary("id"), REAL_CHOWN: realBinary("chown"), REAL_CHMOD: realBinary("chmod") };
    return realBinaries;
}

/** A temporary host: stub commands, their state, and the root the scripts write under. */
export class StubHost {
    readonly dir: string;
    readonly bin: string;
    readonly state: string;
    readonly root: string;
    readonly log: string;

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-storage-"));
        this.bin = path.join(this.dir, "bin");
        this.state = path.join(this.dir, "state");
        this.root = path.join(this.dir, "root");
        this.log = path.join(this.dir, "calls.log");
        // A host has /etc and /run; everything else the scripts make themselves.
        for (const d of [this.bin, this.state, path.join(this.root, "etc"), path.join(this.root, "run")]) fs.mkdirSync(d, { recursive: true });
        fs.writeFileSync(this.log, "");
        for (const [name, body] of Object.entries(STUBS)) {
            const text = Object.entries(reals()).reduce((t, [k, v]) => t.split(`$${k}`).join(v), PREAMBLE + body + "\n");
            fs.writeFileSync(path.join(this.bin, name), text, { mode: 0o755 });
        }
    }

    /** Path inside the temporary root. */
    at(p: string): string {
        return path.join(this.root, p);
    }

    setState(name: string, content = ""): void {
        fs.mkdirSync(path.dirname(path.join(this.state, name)), { recursive: true });
        fs.writeFileSync(path.join(this.state, name), content);
    }

    hasState(name: string): boolean {
        return fs.existsSync(path.join(this.state, name));
    }

    readState(name: string): string {
        return fs.readFileSync(path.join(this.state, name), "utf8");
    }

    /** The block hard limit of a project as the kernel keeps it (512-byte blocks), in bytes; undefined without one. */
    limitOf(id: number): number | undefined {
        return this.hasState(`limit-${id}`) ? Number(this.readState(`limit-${id}`).trim()) * 512 : undefined;
    }

    /**
     * The disks of the host as the kernel and udev present them: a node under /dev, its /dev/disk/by-id links
     * (relative, as udev makes them) and its line of `lsblk -dnr -o PATH,SERIAL` (empty serial: none, or udev has
     * not read it yet).
     */
    setDisks(disks: readonly Disk[]): void {
        const byId = this.at("dev/disk/by-id");
        fs.rmSync(this.at("dev"), { recursive: true, force: true });
        fs.mkdirSync(byId, { recursive: true });
        for (const disk of disks) {
            fs.writeFileSync(this.at(`dev/${disk.name}`), "");
            for (const link of disk.byId ?? []) fs.symlinkSync(`../../${disk.name}`, path.join(byId, link));
        }
        this.setState("lsblk", disks.map((d) => `/dev/${d.name} ${d.serial ?? ""}\n`).join(""));
    }

    /** The project id the xfs_io stub reports for a directory. */
    projectOf(dir: string): number {
        const file = path.join(this.state, "proj", dir.replace(/\//g, "_"));
        return fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8").trim()) : 0;
    }

    setProject(dir: string, id: number): void {
        this.setState(path.join("proj", dir.replace(/\//g, "_")), `${id}\n`);
    }

    /** Runs a script of components/storage/scripts as a host receives it: rendered, on stdin of `bash -s`. */
    run(script: StorageScriptName, params: ScriptParams): RunResult {
        return this.exec(["bash", "-s"], {}, renderScript(storageScript(script), params));
    }

    /** Runs a script installed as a file (made executable here) the way systemd's ExecStart= does, with `env`. */
    runFile(text: string, env: Record<string, string>): RunResult {
        const file = path.join(this.dir, "installed-script");
        fs.writeFileSync(file, text, { mode: 0o755 });
        return this.exec([file], env);
    }

    /** Runs a command with the stubs first on PATH; `input` is its stdin. */
    exec(argv: string[], env: Record<string, string>, input?: string): RunResult {
        const before = fs.readFileSync(this.log, "utf8").length;
        const result = spawnSync(argv[0], argv.slice(1), {
            input,
            encoding: "utf8",
            env: {
                PATH: `${this.bin}:${process.env.PATH}`,
                HOME: this.dir,
                ESIPHUB_ROOT: this.root,
                ESIPHUB_STUB_LOG: this.log,
                ESIPHUB_STUB_STATE: this.state,
                ...env,
            },
        });
        const calls = fs
            .readFileSync(this.log, "utf8")
            .slice(before)
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => {
                const [command, ...args] = l.split("\x1f");
                return { command, args };
            });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    }

    /** Every file under the root with its content and mode: equal snapshots mean a run changed no file. */
    snapshot(): Record<string, string> {
        const files: Record<string, string> = {};
        const walk = (dir: string) => {
            for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, entry.name);
                const st = fs.statSync(p);
                const rel = path.relative(this.root, p);
                if (entry.isDirectory()) {
                    files[`${rel}/`] = `${st.mode.toString(8)} ${st.uid}:${st.gid}`;
                    walk(p);
                } else {
                    files[rel] = `${st.mode.toString(8)} ${st.mtimeMs} ${fs.readFileSync(p, "utf8")}`;
                }
            }
        };
        walk(this.root);
        return files;
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Calls of one command, as "arg1 arg2 ..." strings. */
export function callsOf(result: RunResult, command: string): string[] {
    return result.calls.filter((c) => c.command === command).map((c) => c.args.join(" "));
}
