import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { POSTSTART_FILE, postStartCommand, POSTSTART_PATH, README_PATH } from "../../components/jupyterhub/values";
import { testConfig } from "../mocks";

/** Everything in a directory tree: type, content or link target, inode and mtime, to prove "nothing changed". */
function snapshot(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        const st = fs.lstatSync(p);
        const what = st.isSymbolicLink() ? `link:${fs.readlinkSync(p)}` : st.isFile() ? `file:${fs.readFileSync(p, "utf8")}` : "dir";
        out[name] = `${what}|${st.ino}|${st.mtimeMs}`;
        if (st.isDirectory()) for (const [k, v] of Object.entries(snapshot(p))) out[`${name}/${k}`] = v;
    }
    return out;
}

describe("postStart hook (components/jupyterhub/poststart.sh)", function () {
    let tmp: string;
    let home: string;
    let readmeSource: string;
    let shared: string;
    let materials: string;
    /** Stands in for the container's main process output (`kubectl logs`), where the hook also writes. */
    let containerLog: string;
    const README = "# Welcome\nthe quickstart\n";

    function run(env: Record<string, string> = {}) {
        return spawnSync("bash", [POSTSTART_FILE], {
            encoding: "utf8",
            env: {
                PATH: process.env.PATH ?? "/usr/bin:/bin",
                HOME: home,
                ESIPHUB_README_SOURCE: readmeSource,
                ESIPHUB_SHARED_PATH: shared,
                ESIPHUB_MATERIALS_PATH: materials,
                ESIPHUB_LOG_TO: containerLog,
                ...env,
            },
        });
    }

    beforeEach(function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-poststart-"));
        home = path.join(tmp, "home");
        shared = path.join(tmp, "shared");
        materials = path.join(tmp, "materials");
        readmeSource = path.join(tmp, "quickstart.md");
        containerLog = path.join(tmp, "container.log");
        fs.mkdirSync(home);
        fs.mkdirSync(shared);
        fs.mkdirSync(materials);
        fs.writeFileSync(containerLog, "");
        fs.writeFileSync(readmeSource, README);
    });

    afterEach(function () {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("is shellcheck-clean", function () {
        const check = spawnSync("shellcheck", [POSTSTART_FILE], { encoding: "utf8" });
        if (check.error) {
            console.log("    skipped: shellcheck is not installed (apt-get install shellcheck)");
            this.skip();
        }
        assert.strictEqual(check.status, 0, check.stdout);
    });

    it("first run copies the README and links the shared scratch and the materials into the home", function () {
        const result = run();
        assert.strictEqual(result.status, 0, result.stderr);
        assert.strictEqual(fs.readFileSync(path.join(home, "README.md"), "utf8"), README);
        assert.strictEqual(fs.readlinkSync(path.join(home, "shared")), shared);
        assert.strictEqual(fs.readlinkSync(path.join(home, "materials")), materials);
        assert.deepStrictEqual(fs.readdirSync(home).sort(), ["README.md", "materials", "shared"], "no temporary file left behind");
        assert.match(result.stdout, /esiphub: readme: copied/);
        assert.match(result.stdout, /esiphub: shared: .* -> /);
        assert.match(result.stdout, /esiphub: materials: .* -> /);
        assert.match(result.stdout, /^esiphub: done: home ready$/m);
        // The same lines reach the container's log, where an admin sees them (kubectl logs).
        assert.strictEqual(fs.readFileSync(containerLog, "utf8"), result.stdout);
    });

    it("a second run changes nothing, even after the user edited the README", function () {
        assert.strictEqual(run().status, 0);
        const first = snapshot(home);
        assert.strictEqual(run().status, 0);
        assert.deepStrictEqual(snapshot(home), first);

        fs.writeFileSync(path.join(home, "README.md"), "my notes\n");
        const edited = snapshot(home);
        const result = run();
        assert.strictEqual(result.status, 0, result.stderr);
        assert.deepStrictEqual(snapshot(home), edited);
        assert.strictEqual(fs.readFileSync(path.join(home, "README.md"), "utf8"), "my notes\n");
    });

    it("leaves the user's own README, `shared` and `materials` alone", function () {
        fs.writeFileSync(path.join(home, "README.md"), "mine\n");
        fs.writeFileSync(path.join(home, "materials"), "my notes on the materials\n");
        fs.mkdirSync(path.join(home, "shared"));
        fs.writeFileSync(path.join(home, "shared", "data.csv"), "1,2\n");
        const before = snapshot(home);
        const result = run();
        assert.strictEqual(result.status, 0, result.stderr);
        assert.deepStrictEqual(snapshot(home), before);
    });

    it("does not write through a README symlink of the user's, even a dangling one", function () {
        const target = path.join(tmp, "elsewhere.md");
        fs.symlinkSync(target, path.join(home, "README.md"));
        const result = run();
        assert.strictEqual(result.status, 0, result.stderr);
        assert.strictEqual(fs.existsSync(target), false);
        assert.strictEqual(fs.readlinkSync(path.join(home, "README.md")), target);
    });

    it("adds the README only where the user has just the link already", function () {
        fs.symlinkSync(shared, path.join(home, "shared"));
        assert.strictEqual(run().status, 0);
        assert.strictEqual(fs.readFileSync(path.join(home, "README.md"), "utf8"), README);
    });

    it("makes no link to a shared mount that is not there, and still succeeds", function () {
        const result = run({ ESIPHUB_SHARED_PATH: path.join(tmp, "not-mounted") });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.strictEqual(fs.existsSync(path.join(home, "not-mounted")), false);
        assert.ok(fs.existsSync(path.join(home, "README.md")));
        assert.match(result.stdout, /is not mounted/);
    });

    it("uses the configured names for the README and the link", function () {
        assert.strictEqual(run({ ESIPHUB_README_NAME: "WORKSHOP.md", ESIPHUB_SHARED_LINK: "scratch" }).status, 0);
        assert.ok(fs.existsSync(path.join(home, "WORKSHOP.md")));
        assert.strictEqual(fs.readlinkSync(path.join(home, "scratch")), shared);
    });

    it("logs a missing parameter and still exits 0 (a failing postStart kills the container)", function () {
        const result = spawnSync("bash", [POSTSTART_FILE], {
            encoding: "utf8",
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ESIPHUB_SHARED_PATH: shared, ESIPHUB_LOG_TO: containerLog },
        });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(result.stdout, /^esiphub: check: not set: ESIPHUB_README_SOURCE; nothing done \(the server starts anyway\)$/m);
        assert.match(fs.readFileSync(containerLog, "utf8"), /ESIPHUB_README_SOURCE/);
        assert.deepStrictEqual(fs.readdirSync(home), []);
    });

    it("exits 0 when the home is not a directory", function () {
        const result = run({ HOME: path.join(tmp, "no-such-home") });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(result.stdout, /esiphub: check: the home .* is not a directory; nothing done/);
    });

    it("exits 0 when a command fails, and logs the command's own error", function () {
        // A `ln` on PATH that fails as ln does on a read-only filesystem (coreutils: "failed to create ...: ...").
        const bin = path.join(tmp, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "ln"), `#!/bin/sh\necho "ln: failed to create symbolic link '$4': Read-only file system" >&2\nexit 1\n`, { mode: 0o755 });
        const result = run({ PATH: `${bin}:${process.env.PATH}` });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(result.stdout, /^esiphub: shared: could not link .*: ln: failed to create symbolic link .*Read-only file system \(the server starts anyway\)$/m);
        assert.match(result.stdout, /^esiphub: done: 3 problem\(s\), listed above$/m);
        assert.deepStrictEqual(fs.readdirSync(home), [], "the README's temporary copy was removed");
    });
});

/**
 * The postStart command exactly as the chart values give it (`env ... bash /etc/esiphub/poststart.sh`), run in a
 * home where writes fail the way they do in a real server: a read-only mount (EROFS) and a full one (ENOSPC, as a
 * full data volume; a home at its XFS quota fails the same writes with EDQUOT). Both are real tmpfs mounts in a
 * private user, mount and PID namespace (`unshare`): /etc is overlaid there so that the hook and README sit at
 * their paths in the values, and PID 1 is the wrapper, standing in for the container's main process.
 */
describe("postStart command from the chart values, in a home that cannot be written", function () {
    let tmp: string;

    before(function () {
        const probe = spawnSync("unshare", ["-rmpf", "--mount-proc", "true"], { encoding: "utf8" });
        if (probe.error || probe.status !== 0) {
            const why = `unshare -rmpf (user, mount and PID namespaces) is not available here: ${probe.stderr || probe.error}`;
            if (process.env.CI === "true") throw new Error(why);
            console.log(`    skipped: ${why}`);
            this.skip();
        }
    });

    beforeEach(function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-poststart-ns-"));
        for (const d of ["ns", "home", "shared", "materials"]) fs.mkdirSync(path.join(tmp, d));
    });

    afterEach(function () {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    const WRAPPER = `set -e
mount -t tmpfs tmpfs "$T/ns"
mkdir "$T/ns/upper" "$T/ns/work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/ns/upper,workdir=$T/ns/work" /etc
mkdir -p "$(dirname "$POSTSTART")" "$(dirname "$README")"
cp "$T/poststart.sh" "$POSTSTART"
cp "$T/README.md" "$README"
case "$HOME_KIND" in
  read-only) mount -t tmpfs -o ro,size=1m tmpfs "$T/home" ;;
  full) mount -t tmpfs -o size=64k tmpfs "$T/home"
        dd if=/dev/zero of="$T/home/data.bin" bs=4096 2>/dev/null || true ;;
esac
mapfile -d '' command < "$T/command"
set +e
exec >"$T/container.log"
HOME="$T/home" "\${command[@]}" >"$T/hook.out" 2>&1
echo $? >"$T/status"
ls -A "$T/home" >"$T/home.list"
`;

    function runInHome(kind: "read-only" | "full") {
        const config = testConfig("jetstream", { "esiphub:sharedMountPath": path.join(tmp, "shared"), "esiphub:materialsMountPath": path.join(tmp, "materials") });
        const command = postStartCommand(config);
        fs.writeFileSync(path.join(tmp, "command"), command.map((a) => `${a}\0`).join(""));
        fs.copyFileSync(POSTSTART_FILE, path.join(tmp, "poststart.sh"));
        fs.writeFileSync(path.join(tmp, "README.md"), "# Welcome\n");
        const wrapper = spawnSync("unshare", ["-rmpf", "--mount-proc", "bash", "-c", WRAPPER], {
            encoding: "utf8",
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", T: tmp, HOME_KIND: kind, POSTSTART: POSTSTART_PATH, README: README_PATH },
        });
        assert.strictEqual(wrapper.status, 0, `the namespace could not be set up: ${wrapper.stderr}`);
        const read = (f: string) => fs.readFileSync(path.join(tmp, f), "utf8");
        const left = read("home.list").split("\n").filter(Boolean);
        return { status: Number(read("status")), output: read("hook.out"), containerLog: read("container.log"), left };
    }

    it("the values run poststart.sh with env and bash, from the server's files", function () {
        const command = postStartCommand(testConfig("jetstream"));
        assert.deepStrictEqual([command[0], ...command.slice(-2)], ["env", "bash", POSTSTART_PATH]);
    });

    it("a read-only home: exits 0, every failed write logged with EROFS, in the container's log too", function () {
        const { status, output, containerLog, left } = runInHome("read-only");
        assert.deepStrictEqual(left, []);
        assert.strictEqual(status, 0, output);
        assert.match(output, /^esiphub: readme: could not write .*README\.md: .*Read-only file system \(the server starts anyway\)$/m);
        assert.match(output, /^esiphub: shared: could not link .*Read-only file system/m);
        assert.match(output, /^esiphub: materials: could not link .*Read-only file system/m);
        assert.match(output, /^esiphub: done: 3 problem\(s\), listed above$/m);
        assert.strictEqual(containerLog, output);
    });

    it("a full home: exits 0, logs ENOSPC, and leaves no empty README that would count as the user's own", function () {
        const { status, output, left } = runInHome("full");
        assert.strictEqual(status, 0, output);
        assert.match(output, /^esiphub: readme: could not write .*README\.md: .*No space left on device \(the server starts anyway\)$/m);
        assert.ok(!left.includes("README.md") && !left.some((f) => f.includes(".esiphub-")), `left in the home: ${left.join(", ")}`);
        assert.ok(left.includes("data.bin"), "the user's files stay");
        assert.match(output, /^esiphub: done: [1-9] problem\(s\), listed above$/m);
    });
});
