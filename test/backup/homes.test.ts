import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { archiveFile, backupSources, claimNames, escapeSlug, safeSlug, safeUserServer } from "../../cli/backup/homes";
import { archiveCommand, parseSurvey, surveyCommand } from "../../cli/backup/remote";
import { shellQuote } from "../../cli/backup/ssh";
import { makeHome, describeTree, unpack } from "./tree";

describe("backup: where homes are on the NFS host", () => {
    // jupyterhub/kubespawner 7.0.0, tests/test_slugs.py test_safe_slug and test_safe_slug_max_length.
    const upstream: [string, string][] = [
        ["jupyter-alex", "jupyter-alex"],
        ["jupyter-Alex", "jupyter-alex---3a1c285c"],
        ["jupyter-üni", "jupyter-ni---a5aaf5dd"],
        ["endswith-", "endswith---165f1166"],
        ["user@email.com", "user-email-com---0925f997"],
        ["user-_@_emailß.com", "user-email-com---7e3a7efd"],
        ["has.dot", "has-dot---03e27fdf"],
        ["z9", "z9"],
        ["9z9", "x-9z9---224de202"],
        ["-start", "start---f587e2dc"],
        ["üser", "ser---73506260"],
        ["username--servername", "username-servername---d957f1de"],
        ["start---f587e2dc", "start-f587e2dc---cc5bb9c9"],
        ["x".repeat(63), "x".repeat(63)],
        ["x".repeat(64), "xxxxxxxxxxxxxxxxxxxxx---7ce10097"],
        ["x".repeat(65), "xxxxxxxxxxxxxxxxxxxxx---9537c5fd"],
        ["", "x---e3b0c442"],
    ];
    for (const [name, slug] of upstream) {
        it(`safe_slug(${JSON.stringify(name.length > 20 ? `${name[0]}×${name.length}` : name)}) = ${slug} (kubespawner's own test)`, () => assert.strictEqual(safeSlug(name), slug));
    }

    it("safe_slug with max_length, as kubespawner's tests have it", () => {
        assert.strictEqual(safeSlug("x".repeat(16), 16), "x".repeat(16));
        assert.strictEqual(safeSlug("x".repeat(17), 16), "xxxxx---d04fd59f");
        assert.strictEqual(safeSlug("x".repeat(16), 12), "x---9c572959");
        assert.throws(() => safeSlug("x".repeat(16), 11), RangeError);
    });

    it("the claim's {user_server} and the legacy escaped name, as kubespawner 7.0.0's slugs.py computes them", () => {
        // Computed by running kubespawner 7.0.0's slugs.py (with minrk/escapism) on these names:
        // safe_slug(name, max_length=48), multi_slug([name, ""]) past 46 characters, and escape_slug(name).
        const expected: Record<string, { safe: string; escape: string }> = {
            "workshop-01": { safe: "workshop-01", escape: "workshop-2d01" },
            instructor: { safe: "instructor", escape: "instructor" },
            jane_doe: { safe: "jane-doe---a79b84d8", escape: "jane-5fdoe" },
            Alice: { safe: "alice---3bc51062", escape: "-41lice" },
            "user@email.com": { safe: "user-email-com---0925f997", escape: "user-40email-2ecom" },
            "-dash": { safe: "dash---b693fbbf", escape: "-2ddash" },
            ["x".repeat(47)]: { safe: "xxxxxxxxxxxxxxxxx--x---cfcbdd85", escape: "x".repeat(47) },
            ["x".repeat(46)]: { safe: "x".repeat(46), escape: "x".repeat(46) },
            üser: { safe: "ser---73506260", escape: "-c3-bcser" },
            "9lives": { safe: "x-9lives---bc867356", escape: "9lives" },
            "ab--cd": { safe: "ab-cd---867181d6", escape: "ab-2d-2dcd" },
            "tab\there": { safe: "tab-here---5b876593", escape: "tab-9here" },
            "space name": { safe: "space-name---21f96169", escape: "space-20name" },
        };
        for (const [name, slugs] of Object.entries(expected)) {
            assert.deepStrictEqual({ safe: safeUserServer(name), escape: escapeSlug(name) }, slugs, name);
        }
    });

    it("a user's home is claim-<safe slug> under <export>/<hub namespace>, or the legacy claim when that is the one there", () => {
        assert.deepStrictEqual(claimNames("workshop-01"), ["claim-workshop-01", "claim-workshop-2d01"]);
        assert.deepStrictEqual(claimNames("instructor"), ["claim-instructor"]);
        const sources = backupSources(["workshop-01", "instructor"], "jhub", { shared: true });
        assert.deepStrictEqual(sources, [
            { kind: "home", name: "workshop-01", candidates: ["/srv/esiphub/jhub/claim-workshop-01", "/srv/esiphub/jhub/claim-workshop-2d01"], file: "homes/workshop-01.tar.gz" },
            { kind: "home", name: "instructor", candidates: ["/srv/esiphub/jhub/claim-instructor"], file: "homes/instructor.tar.gz" },
            { kind: "shared", name: "shared", candidates: ["/srv/esiphub/jhub/esiphub-scratch"], file: "shared.tar.gz" },
        ]);
        assert.strictEqual(backupSources(["a"], "jhub", { shared: false }).length, 1);
    });

    it("an archive's file name is the user's name, never a path", () => {
        assert.strictEqual(archiveFile("-dash user"), "homes/-dash user.tar.gz");
        for (const bad of ["", ".", "..", "a/b", "a\0b"]) assert.throws(() => archiveFile(bad), RangeError, bad);
    });
});

// The commands read the share as root (directly, or through sudo -n for another user).
const asRoot = process.getuid?.() === 0;

(asRoot ? describe : describe.skip)(`backup: the commands run on the NFS host (here, by the local sh)${asRoot ? "" : " (skipped: needs root)"}`, function () {
    this.timeout(5 * 60_000);
    let tmp: string;
    before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-remote-"))));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    // sshd hands the command to the login shell with -c, as this does.
    const sh = (command: string) => execFileSync("sh", ["-c", command], { maxBuffer: 1 << 30 });

    it("quotes any text as one shell word", () => {
        for (const text of ["plain", "it's", "a b", "$HOME", "`x`", "-n", "new\nline", ""]) {
            assert.strictEqual(execFileSync("sh", ["-c", `printf %s ${shellQuote(text)}`], { encoding: "utf8" }), text);
        }
    });

    it("surveys folders with odd names: existence, entries, bytes of files (hard links once)", () => {
        const odd = path.join(tmp, "srv esiphub", "claim -dash ünï 'q'");
        fs.mkdirSync(odd, { recursive: true });
        makeHome(odd);
        const survey = parseSurvey(sh(surveyCommand([odd, path.join(tmp, "absent")])));
        const expectedBytes = [...describeTree(odd).values()]
            .filter((d) => d.startsWith("file") && !d.includes(" = "))
            .reduce((n, d) => n + Number(d.split(" ")[2]), 0);
        assert.deepStrictEqual(survey, [{ dir: odd, entries: describeTree(odd).size, bytes: expectedBytes }, { dir: path.join(tmp, "absent") }]);
    });

    it("archives a folder as <top>/... whatever the names, symlink targets untouched", () => {
        const home = path.join(tmp, "home -x");
        fs.mkdirSync(home);
        makeHome(home);
        for (const top of ["workshop-01", "-dash, user & co \\ ünï"]) {
            const archive = path.join(tmp, "a.tar.gz");
            fs.writeFileSync(archive, sh(archiveCommand(home, top)));
            const into = path.join(tmp, "into");
            fs.rmSync(into, { recursive: true, force: true });
            unpack(archive, into);
            assert.deepStrictEqual(fs.readdirSync(into), [top]);
            assert.deepStrictEqual(describeTree(path.join(into, top)), describeTree(home));
        }
    });

    it("a survey output cut short is an error, not fewer folders", () => {
        assert.throws(() => parseSurvey(Buffer.from("/a\0")), /cut short/);
    });
});
