/**
 * The one mechanism every layer's scripts reach a host by (components/remote.ts, components/scripts/lib.sh):
 * what is rendered, and how lib.sh behaves in the text as sent, run on stdin of `bash -s`.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { layerScript, LIB_FILE, RemoteScript, renderScript, scriptBody, scriptHash, shellQuote } from "../components/remote";

describe("remote scripts (components/remote.ts)", function () {
    let dir: string;
    let count = 0;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-remote-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** A script of a made-up layer, written to the temporary directory. */
    function script(text: string): RemoteScript {
        const file = path.join(dir, `script-${++count}.sh`);
        fs.writeFileSync(file, `#!/usr/bin/env bash\nset -Eeuo pipefail\n\n${text}`);
        return { layer: "test", name: `script-${count}`, file };
    }

    /** Runs the rendered text as a host does: on stdin of `bash -s`, / being the temporary directory. */
    function send(remote: RemoteScript, params: Record<string, string>) {
        return spawnSync("bash", ["-s"], {
            input: renderScript(remote, params),
            encoding: "utf8",
            env: { PATH: process.env.PATH, ESIPHUB_ROOT: path.join(dir, "root") },
        });
    }

    it("shellQuote: bash reads back exactly the value, whatever it holds", function () {
        const values = ["plain", "it's", "$(touch /tmp/x) `id` $HOME", "a\nb", "'", "", "\\'\"!*?"];
        for (const value of values) {
            const run = spawnSync("bash", ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" });
            assert.strictEqual(run.stdout, value);
        }
    });

    it("renders a shebang, the script's title, the parameters as exports, lib.sh, then the script", function () {
        const remote = script('main() { echo "$GREETING"; }\n\nmain\n');
        const text = renderScript(remote, { GREETING: "it's me", EMPTY: "" });
        const lib = fs.readFileSync(LIB_FILE, "utf8");
        assert.strictEqual(
            text,
            `#!/usr/bin/env bash\n# esiphub test: ${remote.name}\nexport GREETING='it'\\''s me'\nexport EMPTY=''\n${lib}\n${fs.readFileSync(remote.file, "utf8")}`,
        );
        assert.strictEqual(text, `#!/usr/bin/env bash\n# esiphub test: ${remote.name}\nexport GREETING='it'\\''s me'\nexport EMPTY=''\n${scriptBody(remote)}`);
    });

    it("every value reaches the script exactly, whatever it holds", function () {
        const values = { A: "plain", B: "it's $HOME; `rm -rf /` \"quoted\"", C: "", D: "two\nlines" };
        const remote = script('main() { printf "%s\\0" "$A" "$B" "$C" "$D"; }\n\nmain\n');
        const run = send(remote, values);
        assert.strictEqual(run.status, 0, run.stderr);
        assert.deepStrictEqual(run.stdout.split("\0").slice(0, -1), Object.values(values));
    });

    it("refuses a parameter name that is not an upper-case shell name, or a value that is not a string", function () {
        const remote = script("main() { :; }\n\nmain\n");
        assert.throws(() => renderScript(remote, { "bad-name": "x" }), /parameter name "bad-name"/);
        assert.throws(() => renderScript(remote, { lower: "x" }), /parameter name "lower"/);
        assert.throws(() => renderScript(remote, { PATH_X: undefined as unknown as string }), /parameter PATH_X must be a string/);
    });

    it("layerScript names components/<layer>/scripts/<name>.sh", function () {
        const prepare = layerScript("kubeadm", "prepare-node");
        assert.deepStrictEqual(prepare, { layer: "kubeadm", name: "prepare-node", file: path.resolve(__dirname, "../components/kubeadm/scripts/prepare-node.sh") });
        assert.ok(fs.existsSync(prepare.file));
        assert.ok(fs.existsSync(layerScript("storage", "nfs-server").file));
    });

    it("the hash is of lib.sh and the script: a different script, a different hash", function () {
        const a = script("main() { echo a; }\n\nmain\n");
        const b = script("main() { echo b; }\n\nmain\n");
        assert.match(scriptHash(a), /^[0-9a-f]{64}$/);
        assert.notStrictEqual(scriptHash(a), scriptHash(b));
        assert.strictEqual(scriptHash(a), scriptHash({ ...a }));
        assert.ok(scriptBody(a).startsWith(fs.readFileSync(LIB_FILE, "utf8")), "lib.sh is part of what is hashed");
    });

    describe("lib.sh in the text as sent", function () {
        it("logs each step on stderr, leaving stdout to what the script hands back", function () {
            const run = send(script('main() {\n    step first "one"\n    log "more"\n    step second "two"\n    echo result\n}\n\nmain\n'), {});
            assert.strictEqual(run.status, 0, run.stderr);
            assert.strictEqual(run.stdout, "result\n");
            assert.strictEqual(run.stderr, "esiphub: first: one\nesiphub: first: more\nesiphub: second: two\n");
        });

        it("a failing command ends the script with a message naming the step and the exit code", function () {
            const run = send(script('main() {\n    step first "one"\n    step second "two"\n    (exit 7)\n    echo never\n}\n\nmain\n'), {});
            assert.strictEqual(run.status, 7);
            assert.strictEqual(run.stdout, "");
            assert.match(run.stderr, /^esiphub: second: failed \(exit 7\)$/m);
            assert.doesNotMatch(run.stderr, /first: failed/);
        });

        it("die and require_env fail naming the step and what is wrong", function () {
            const required = send(script('main() {\n    step check "parameters"\n    require_env PRESENT MISSING\n}\n\nmain\n'), { PRESENT: "x", MISSING: "" });
            assert.strictEqual(required.status, 1);
            assert.match(required.stderr, /^esiphub: check: parameter MISSING is not set$/m);
            assert.match(required.stderr, /^esiphub: check: failed \(exit 1\)$/m);
            const died = send(script('main() {\n    step work "x"\n    die "the disk is full"\n}\n\nmain\n'), {});
            assert.strictEqual(died.status, 1);
            assert.match(died.stderr, /^esiphub: work: the disk is full\nesiphub: work: failed \(exit 1\)$/m);
        });

        it("write_file writes only what differs (content or mode) and says so in FILE_CHANGED", function () {
            const remote = script(
                'main() {\n    step files "x"\n    write_file "$ROOT/etc/a.conf" "$MODE" "$CONTENT"\n    echo "$FILE_CHANGED"\n}\n\nmain\n',
            );
            const file = path.join(dir, "root/etc/a.conf");
            const first = send(remote, { MODE: "0644", CONTENT: "a=1\nb=2" });
            assert.strictEqual(first.stdout, "true\n", first.stderr);
            assert.strictEqual(fs.readFileSync(file, "utf8"), "a=1\nb=2\n");
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o644);
            assert.match(first.stderr, new RegExp(`^esiphub: files: wrote ${file}$`, "m"));
            const mtime = fs.statSync(file).mtimeMs;
            const same = send(remote, { MODE: "0644", CONTENT: "a=1\nb=2" });
            assert.strictEqual(same.stdout, "false\n", same.stderr);
            assert.strictEqual(fs.statSync(file).mtimeMs, mtime);
            assert.strictEqual(send(remote, { MODE: "0600", CONTENT: "a=1\nb=2" }).stdout, "true\n");
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
            assert.strictEqual(send(remote, { MODE: "0600", CONTENT: "a=2" }).stdout, "true\n");
            assert.strictEqual(fs.readFileSync(file, "utf8"), "a=2\n");
            assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), ["a.conf"], "no temporary file is left");
        });

        it("at_exit runs its functions however the script ends, last registered first, keeping the exit status", function () {
            const body = (ending: string) =>
                script(`first() { echo "first done" >&2; }\nsecond() { echo "second done" >&2; (exit 3); }\nmain() {\n    step work "x"\n    at_exit first\n    at_exit second\n    ${ending}\n}\n\nmain\n`);
            const ok = send(body("echo result"), {});
            assert.strictEqual(ok.status, 0, ok.stderr);
            assert.strictEqual(ok.stdout, "result\n");
            assert.strictEqual(ok.stderr, "esiphub: work: x\nsecond done\nesiphub: work: cleanup second failed\nfirst done\n");
            const failed = send(body("die 'broken'"), {});
            assert.strictEqual(failed.status, 1);
            assert.strictEqual(failed.stderr, "esiphub: work: x\nesiphub: work: broken\nsecond done\nesiphub: work: cleanup second failed\nfirst done\nesiphub: work: failed (exit 1)\n");
        });

        it("with the work in main on the last line, a command that reads stdin cannot swallow the rest of the script", function () {
            const run = send(script('main() {\n    step read "reading stdin"\n    cat >/dev/null\n    echo "still here"\n}\n\nmain\n'), {});
            assert.strictEqual(run.status, 0, run.stderr);
            assert.strictEqual(run.stdout, "still here\n");
            // Why: the same commands outside a function lose the rest of the text to `cat`.
            const unwrapped = send(script('step read "reading stdin"\ncat >/dev/null\necho "still here"\n'), {});
            assert.strictEqual(unwrapped.stdout, "");
        });
    });

    it("lib.sh is shellcheck-clean", function () {
        if (spawnSync("shellcheck", ["--version"]).status !== 0) {
            if (process.env.CI === "true") assert.fail("shellcheck is not installed; CI installs it from .ci/apt-packages.txt");
            this.skip();
        }
        const run = spawnSync("shellcheck", ["--severity=style", LIB_FILE], { encoding: "utf8" });
        assert.strictEqual(run.status, 0, run.stdout + run.stderr);
    });
});
