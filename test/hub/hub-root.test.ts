import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../mocks";

const SCRIPT = path.join(PROJECT_DIR, "scripts", "hub-root.sh");

/**
 * scripts/hub-root.sh with debootstrap, chroot and the mount tools stubbed: each stub logs its arguments;
 * debootstrap makes a skeleton root, `chroot ... apt-get install` puts a jupyterhub into it.
 */
describe("scripts/hub-root.sh (stubbed system commands)", function () {
    let tmp: string;
    let root: string;
    let log: string;
    let bin: string;

    function stub(name: string, body: string) {
        fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`, { mode: 0o755 });
    }

    function run(env: Record<string, string> = {}) {
        return spawnSync("bash", [SCRIPT], {
            encoding: "utf8",
            env: { PATH: `${bin}:${process.env.PATH}`, ESIPHUB_HUB_ROOT: root, ESIPHUB_DEBIAN_MIRROR: "http://mirror.invalid/debian", ...env },
        });
    }

    const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);

    before(function () {
        if (process.getuid?.() !== 0) {
            console.log("    skipped: hub-root.sh refuses to run without root; run the tests as root");
            this.skip();
        }
    });

    beforeEach(function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-hubroot-"));
        root = path.join(tmp, "cache", "trixie-root");
        log = path.join(tmp, "calls.log");
        bin = path.join(tmp, "bin");
        fs.mkdirSync(bin);
        stub("debootstrap", 'target="${@: -2:1}"; mkdir -p "$target/etc" "$target/usr/sbin" "$target/usr/bin" "$target/proc"');
        stub(
            "chroot",
            [
                'if [[ " $* " == *" install "* ]]; then',
                '  [[ -n "${FAIL_INSTALL:-}" ]] && exit 100',
                '  printf "#!/bin/sh\\n" > "$1/usr/bin/jupyterhub"; chmod +x "$1/usr/bin/jupyterhub"',
                "fi",
            ].join("\n"),
        );
        stub("mount", "");
        stub("umount", "");
        stub("mountpoint", "exit 1");
    });

    afterEach(function () {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("is shellcheck-clean", function () {
        const check = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
        if (check.error) {
            console.log("    skipped: shellcheck is not installed (apt-get install shellcheck)");
            this.skip();
        }
        assert.strictEqual(check.status, 0, check.stdout);
    });

    it("debootstraps trixie minbase, installs the hub packages, and renames the finished root into place", function () {
        const result = run();
        assert.strictEqual(result.status, 0, result.stderr + result.stdout);
        const partial = `${root}.partial`;
        assert.ok(calls().includes(`debootstrap --variant=minbase trixie ${partial} http://mirror.invalid/debian`), calls().join("\n"));
        assert.ok(calls().some((c) => c === `chroot ${partial} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends jupyterhub python3-bcrypt python3-notebook`));
        assert.ok(fs.existsSync(path.join(root, ".esiphub-complete")));
        assert.ok(fs.existsSync(path.join(root, "usr/bin/jupyterhub")));
        assert.strictEqual(fs.existsSync(partial), false);
        // No service may start while packages install in the root.
        assert.match(fs.readFileSync(path.join(root, "usr/sbin/policy-rc.d"), "utf8"), /exit 101/);
        assert.match(result.stdout, /esiphub: install: hub root ready/);
    });

    it("reuses a finished root without touching it", function () {
        assert.strictEqual(run().status, 0);
        const before = calls().length;
        const again = run();
        assert.strictEqual(again.status, 0);
        assert.strictEqual(calls().length, before, "a second run called system commands");
        assert.match(again.stdout, /already present/);
    });

    it("never leaves a half-built root in place, and starts over from scratch next time", function () {
        const failed = run({ FAIL_INSTALL: "1" });
        assert.notStrictEqual(failed.status, 0);
        assert.match(failed.stderr, /esiphub: apt: failed/);
        assert.strictEqual(fs.existsSync(root), false);

        fs.writeFileSync(path.join(`${root}.partial`, "leftover"), "from the failed run");
        const retried = run();
        assert.strictEqual(retried.status, 0, retried.stderr);
        assert.match(retried.stdout, /removing unfinished build/);
        assert.strictEqual(fs.existsSync(path.join(root, "leftover")), false);
        assert.ok(fs.existsSync(path.join(root, ".esiphub-complete")));
    });
});
