import * as fs from "fs";
import * as path from "path";
import { stringify } from "csv-stringify/sync";
import type { ArchiveRecord, Manifest, MissingRecord } from "./manifest";
import { formatBytes } from "./progress";

/**
 * Handing the work back: one page per user (handout/<user>.html) with a link to their archive, what is in it and how
 * to open and check it; an index for the organisers; and links.csv for a mail merge. Links are relative to the
 * page (the folder can be zipped, copied to a USB stick or put on any web server as it is), or absolute under
 * --link-base when the folder is published there.
 */

export const HANDOUT_DIR = "handout";

export interface HandoutOptions {
    /** The URL the backup folder is published at; relative links when absent. */
    readonly linkBase?: string;
    /** Overrides the manifest's workshop name. */
    readonly workshop?: string;
}

export interface HandoutResult {
    readonly dir: string;
    readonly pages: number;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
const encodePath = (file: string) => file.split("/").map(encodeURIComponent).join("/");

/** The archive's address as seen from a page in handout/. */
export function archiveLink(file: string, linkBase?: string): string {
    return linkBase ? `${linkBase.replace(/\/+$/, "")}/${encodePath(file)}` : `../${encodePath(file)}`;
}

const pageFile = (user: string) => `${user}.html`;

function page(title: string, body: string): string {
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #111; }
  code, .sum { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.9em; overflow-wrap: anywhere; }
  .download { display: inline-block; margin: 1rem 0; padding: 0.6rem 1.2rem; border: 2px solid #111; border-radius: 0.4rem; font-weight: bold; text-decoration: none; color: #111; }
  table { border-collapse: collapse; } td, th { text-align: left; padding: 0.2rem 0.8rem 0.2rem 0; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function userPage(workshop: string, record: ArchiveRecord, linkBase?: string): string {
    const file = path.posix.basename(record.file);
    const date = record.completedAt.slice(0, 10);
    const warned = record.warnings?.length
        ? `<p>Some files were being changed while they were copied; they are in the archive as they were at that moment.</p>\n`
        : "";
    return page(
        `Your work from ${workshop}`,
        `<h1>Your work from ${escapeHtml(workshop)}</h1>
<p>This is a copy of everything that was in the home folder of <strong>${escapeHtml(record.name)}</strong> on the workshop's JupyterHub on ${escapeHtml(date)}: ${record.files} files and folders, ${escapeHtml(formatBytes(record.contentBytes))}.</p>
<p><a class="download" href="${escapeHtml(archiveLink(record.file, linkBase))}" download>Download ${escapeHtml(file)} (${escapeHtml(formatBytes(record.bytes))})</a></p>
${warned}<h2>Opening it</h2>
<p>It unpacks into a folder named <code>${escapeHtml(record.name)}</code>. On macOS double-click it; on Linux, macOS or Windows 10 and later you can also run <code>tar -xzf ${escapeHtml(file)}</code> in a terminal (or use 7-Zip on Windows).</p>
<h2>Checking it</h2>
<p>Its SHA-256 checksum is <span class="sum">${record.sha256}</span>. <code>sha256sum ${escapeHtml(file)}</code> (Linux), <code>shasum -a 256 ${escapeHtml(file)}</code> (macOS) or <code>certutil -hashfile ${escapeHtml(file)} SHA256</code> (Windows) shows the same value when the download is complete.</p>
`,
    );
}

function missingPage(workshop: string, missing: MissingRecord): string {
    return page(
        `Your work from ${workshop}`,
        `<h1>Your work from ${escapeHtml(workshop)}</h1>
<p>There was no home folder for <strong>${escapeHtml(missing.name)}</strong> on the workshop's JupyterHub: the account was not used to start a notebook server, so there are no files to hand back.</p>
`,
    );
}

/** Writes handout/<user>.html for every user of the manifest (with or without an archive), index.html and links.csv. */
export function writeHandout(dir: string, manifest: Manifest, options: HandoutOptions = {}): HandoutResult {
    const workshop = options.workshop ?? manifest.workshop ?? `site ${manifest.site}`;
    const out = path.join(dir, HANDOUT_DIR);
    fs.mkdirSync(out, { recursive: true });
    const homes = manifest.archives.filter((a) => a.kind === "home");
    const missing = manifest.missing.filter((m) => m.kind === "home" && !homes.some((h) => h.name === m.name));
    for (const record of homes) fs.writeFileSync(path.join(out, pageFile(record.name)), userPage(workshop, record, options.linkBase));
    for (const m of missing) fs.writeFileSync(path.join(out, pageFile(m.name)), missingPage(workshop, m));

    const rows = [
        ...homes.map((r) => ({ user: r.name, page: pageFile(r.name), archive: archiveLink(r.file, options.linkBase), bytes: String(r.bytes), sha256: r.sha256 })),
        ...missing.map((m) => ({ user: m.name, page: pageFile(m.name), archive: "", bytes: "", sha256: "" })),
    ].sort((a, b) => a.user.localeCompare(b.user));
    fs.writeFileSync(path.join(out, "links.csv"), stringify(rows, { header: true, columns: ["user", "page", "archive", "bytes", "sha256"] }));
    const shared = manifest.archives.find((a) => a.kind === "shared");
    const list = rows
        .map((r) => `<tr><td><a href="${escapeHtml(encodeURIComponent(r.page))}">${escapeHtml(r.user)}</a></td><td>${r.archive ? escapeHtml(formatBytes(Number(r.bytes))) : "no files"}</td></tr>`)
        .join("\n");
    fs.writeFileSync(
        path.join(out, "index.html"),
        page(
            `Hand-out pages: ${workshop}`,
            `<h1>Hand-out pages: ${escapeHtml(workshop)}</h1>
<p>One page per account: send each person theirs (links.csv has the same list for a mail merge). The pages link to the archives ${options.linkBase ? `at ${escapeHtml(options.linkBase)}` : "in ../homes/ relative to this folder: publish or copy the whole backup folder, not the pages alone"}.</p>
${shared ? `<p>The shared folder: <a href="${escapeHtml(archiveLink(shared.file, options.linkBase))}">${escapeHtml(path.posix.basename(shared.file))}</a> (${escapeHtml(formatBytes(shared.bytes))}).</p>\n` : ""}<table>
<tr><th>user</th><th>archive</th></tr>
${list}
</table>
`,
        ),
    );
    return { dir: out, pages: rows.length };
}
