import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { archiveLink, writeHandout } from "../../cli/backup/handout";
import { Manifest, MANIFEST_FORMAT } from "../../cli/backup/manifest";

describe("backup: hand-out pages", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-handout-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const odd = `-dash <b>ü #1?`;
    const manifest = (): Manifest => ({
        format: MANIFEST_FORMAT,
        site: "jetstream",
        createdAt: "2026-12-04T16:00:00.000Z",
        updatedAt: "2026-12-04T16:10:00.000Z",
        nfsHost: "149.165.157.42",
        hostKeys: {},
        archives: [
            { kind: "home", user: odd, name: odd, file: `homes/${odd}.tar.gz`, source: "/srv/esiphub/jhub/claim-x", bytes: 2_500_000, files: 12, contentBytes: 9_000_000, sha256: "a".repeat(64), completedAt: "2026-12-04T16:05:00.000Z", warnings: ["./x: file changed as we read it"] },
            { kind: "shared", name: "shared", file: "shared.tar.gz", source: "/srv/esiphub/jhub/esiphub-scratch", bytes: 100, files: 1, contentBytes: 0, sha256: "b".repeat(64), completedAt: "2026-12-04T16:06:00.000Z" },
        ],
        missing: [{ kind: "home", name: "workshop-60", reason: "no home directory on the NFS host (the user never started a server)" }],
    });

    it("links are relative to the page (each path segment encoded) or under --link-base", () => {
        assert.strictEqual(archiveLink(`homes/${odd}.tar.gz`), "../homes/-dash%20%3Cb%3E%C3%BC%20%231%3F.tar.gz");
        assert.strictEqual(archiveLink("homes/a b.tar.gz", "https://example.org/backups//"), "https://example.org/backups/homes/a%20b.tar.gz");
    });

    it("one page per account (with or without an archive), escaped; the relative link reaches the archive", () => {
        fs.mkdirSync(path.join(dir, "homes"));
        fs.writeFileSync(path.join(dir, "homes", `${odd}.tar.gz`), "x");
        const result = writeHandout(dir, manifest(), { workshop: "ESIP & friends" });
        assert.strictEqual(result.pages, 2);
        const page = fs.readFileSync(path.join(dir, "handout", `${odd}.html`), "utf8");
        assert.ok(!page.includes("<b>"), "names are escaped");
        assert.match(page, /Your work from ESIP &amp; friends/);
        assert.match(page, /-dash &lt;b&gt;ü #1\?/);
        assert.match(page, /being changed while they were copied/);
        assert.match(page, /9\.00 MB/);
        const href = /href="([^"]+)" download/.exec(page)![1];
        assert.ok(fs.existsSync(path.resolve(dir, "handout", decodeURIComponent(href))), href);
        assert.match(fs.readFileSync(path.join(dir, "handout", "workshop-60.html"), "utf8"), /no files to hand back/);
        const index = fs.readFileSync(path.join(dir, "handout", "index.html"), "utf8");
        assert.match(index, /<a href="..\/shared\.tar\.gz">shared\.tar\.gz<\/a>/);
        assert.match(index, /publish or copy the whole backup folder/);
    });

    it("without --workshop, the manifest's name or the site's", () => {
        writeHandout(dir, { ...manifest(), workshop: "Cloud notebooks" });
        assert.match(fs.readFileSync(path.join(dir, "handout", "workshop-60.html"), "utf8"), /<h1>Your work from Cloud notebooks<\/h1>/);
        writeHandout(dir, manifest());
        assert.match(fs.readFileSync(path.join(dir, "handout", "workshop-60.html"), "utf8"), /<h1>Your work from site jetstream<\/h1>/);
    });
});
