/**
 * scripts/install-pulumi.sh against a stand-in release served from a folder (real curl with file://, real tar and
 * sha256sum): the assets named as pulumi/pulumi's .goreleaser.yml names them, the archive wrapped in pulumi/.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../mocks";

const SCRIPT = path.join(PROJECT_DIR, "scripts", "install-pulumi.sh");
const VERSION = /^VERSION=(\S+)$/m.exec(fs.readFileSync(SCRIPT, "utf8"))![1];
const PLATFORM: Record<string, string> = { "linux-x64": "linux-x64", "linux-arm64": "linux-arm64", "darwin-x64": "darwin-x64", "darwin-arm64": "darwin-arm64" };

describe("scripts/install-pulumi.sh: a pinned Pulumi CLI, checked against its release's sha256", () => {
    let tmp: string;
    let releases: string;
    let archiveName: string;

    /** The release folder: the archive (a pulumi/pulumi that prints its version) and the checksums file. */
    function publish(checksums: (sum: string) => string): void {
        const build = path.join(tmp, "build", "pulumi");
        fs.mkdirSync(build, { recursive: true });
        fs.writeFileSync(path.join(build, "pulumi"), `#!/bin/sh\necho v${VERSION}\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(build, "pulumi-language-nodejs"), "#!/bin/sh\n", { mode: 0o755 });
        const dir = path.join(releases, `v${VERSION}`);
        fs.mkdirSync(dir, { recursive: true });
        const tar = spawnSync("tar", ["-czf", path.join(dir, archiveName), "-C", path.join(tmp, "build"), "pulumi"], { encoding: "utf8" });
        assert.strictEqual(tar.status, 0, tar.stderr);
        const sum = crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, archiveName))).digest("hex");
        fs.writeFileSync(path.join(dir, `pulumi-${VERSION}-checksums.txt`), checksums(sum));
    }

    function install() {
        const dest = path.join(tmp, "home", ".pulumi");
        const run = spawnSync("bash", [SCRIPT, dest], { encoding: "utf8", env: { ...process.env, PULUMI_RELEASES: `file://${releases}` } });
        return { ...run, dest };
    }

    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-install-pulumi-"));
        releases = path.join(tmp, "releases");
        const arch = os.arch() === "arm64" ? "arm64" : "x64";
        archiveName = `pulumi-v${VERSION}-${PLATFORM[`${os.platform()}-${arch}`]}.tar.gz`;
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("pins the CLI of the SDK the program is built with", () => {
        const sdk = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
        assert.strictEqual(VERSION, sdk);
    });

    it("installs the archive whose sha256 is the release's", () => {
        publish((sum) => `${"0".repeat(64)}  pulumi-v${VERSION}-windows-x64.zip\n${sum}  ${archiveName}\n`);
        const run = install();
        assert.strictEqual(run.status, 0, run.stderr);
        assert.match(run.stdout, new RegExp(`^Pulumi CLI v${VERSION.replace(/\./g, "\\.")} installed in .*/bin \\(sha256 [0-9a-f]{64} checked\\)`, "m"));
        assert.strictEqual(spawnSync(path.join(run.dest, "bin", "pulumi"), { encoding: "utf8" }).stdout.trim(), `v${VERSION}`);
        assert.ok(fs.existsSync(path.join(run.dest, "bin", "pulumi-language-nodejs")), "with its language hosts");
    });

    it("refuses an archive that does not match, or is not listed, and installs nothing", () => {
        for (const [what, checksums, message] of [
            ["another sha256", () => `${"a".repeat(64)}  ${archiveName}\n`, /has sha256 [0-9a-f]{64}, not the release's a{64}: not installed/],
            ["not listed", () => `${"a".repeat(64)}  pulumi-v${VERSION}-windows-x64.zip\n`, /list no sha256 for pulumi-v/],
        ] as const) {
            publish(checksums);
            const run = install();
            assert.strictEqual(run.status, 1, what);
            assert.match(run.stderr, message, what);
            assert.ok(!fs.existsSync(path.join(run.dest, "bin", "pulumi")), `${what}: nothing installed`);
        }
    });

    it("is what the README and the runbook tell an organiser to run (no curl | sh)", () => {
        for (const doc of ["README.md", "docs/RUNBOOK.md"]) {
            const text = fs.readFileSync(path.join(PROJECT_DIR, doc), "utf8");
            assert.match(text, /scripts\/install-pulumi\.sh/, doc);
            assert.doesNotMatch(text, /\| *sh\b/, `${doc} pipes nothing into a shell`);
        }
    });

    it("is shellcheck-clean", function () {
        const check = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
        if (check.error) {
            if (process.env.CI === "true") assert.fail("shellcheck is not installed; CI installs it from .ci/apt-packages.txt");
            this.skip();
        }
        assert.strictEqual(check.status, 0, check.stdout);
    });
});
