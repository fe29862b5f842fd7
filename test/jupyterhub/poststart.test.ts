import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { POSTSTART_FILE } from "../../components/jupyterhub/values";

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
    const README = "# Welcome\nthe quickstart\n";

    function run(env: Record<string, string> = {}) {
        return spawnSync("bash", [POSTSTART_FILE], {
            encoding: "utf8",
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ESIPHUB_README_SOURCE: readmeSource, ESIPHUB_SHARED_PATH: shared, ...env },
        });
    }

    beforeEach(function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-poststart-"));
        home = path.join(tmp, "home");
        shared = path.join(tmp, "shared");
        readmeSource = path.join(tmp, "quickstart.md");
        fs.mkdirSync(home);
        fs.mkdirSync(shared);
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

    it("first run copies the README and links the shared mount into the home", function () {
        const result = run();
        assert.strictEqual(result.status, 0, result.stderr);
        assert.strictEqual(fs.readFileSync(path.join(home, "README.md"), "utf8"), README);
        assert.strictEqual(fs.readlinkSync(path.join(home, "shared")), shared);
        assert.match(result.stdout, /esiphub: readme: copied/);
        assert.match(result.stdout, /esiphub: shared: .* -> /);
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

    it("leaves the user's own README and own `shared` alone", function () {
        fs.writeFileSync(path.join(home, "README.md"), "mine\n");
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

    it("fails naming the step when a parameter is missing", function () {
        const result = spawnSync("bash", [POSTSTART_FILE], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ESIPHUB_SHARED_PATH: shared } });
        assert.notStrictEqual(result.status, 0);
        assert.match(result.stderr, /esiphub: check: ESIPHUB_README_SOURCE is not set/);
        assert.deepStrictEqual(fs.readdirSync(home), []);
    });
});
