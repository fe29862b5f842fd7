import { stringify } from "csv-stringify/sync";

export interface Credential {
    readonly username: string;
    readonly password: string;
}

/** The stack's `credentials` output, checked: a list of {username, password}. */
export function parseCredentials(value: unknown): Credential[] | undefined {
    if (!Array.isArray(value)) return undefined;
    const ok = value.every((c) => c && typeof c === "object" && typeof c.username === "string" && typeof c.password === "string");
    return ok ? value.map((c) => ({ username: c.username, password: c.password })) : undefined;
}

/** CSV with the header `username,password` (what `esiphub loadtest --credentials` reads). */
export function credentialsCsv(credentials: readonly Credential[]): string {
    return stringify(
        credentials.map((c) => [c.username, c.password]),
        { header: true, columns: ["username", "password"] },
    );
}

/** The attendees' accounts and the organisers' (the hub's admins), each in the order of the stack's output. */
export function splitAccounts(credentials: readonly Credential[], admins: readonly string[]): { attendees: Credential[]; organisers: Credential[] } {
    return { attendees: credentials.filter((c) => !admins.includes(c.username)), organisers: credentials.filter((c) => admins.includes(c.username)) };
}

/** What the organisers' sheet and each of its cards say, so that no admin card is handed out by mistake. */
export const ORGANISERS_HEADING = "ORGANISERS — do not hand out";
export const ORGANISER_MARK = "ORGANISER ACCOUNT (hub admin): do not hand out";

const escapeHtml = (text: string) =>
    text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

export interface CardsOptions {
    readonly hubUrl: string;
    readonly site: string;
    /** The hub's admins: their cards go on a sheet of their own, marked, after the attendees' cards. */
    readonly admins?: readonly string[];
}

function card(c: Credential, hub: string, organiser: boolean): string {
    return `  <section class="card${organiser ? " organiser" : ""}" data-username="${escapeHtml(c.username)}">
    <h2>ESIPHub workshop</h2>${organiser ? `\n    <p class="mark">${escapeHtml(ORGANISER_MARK)}</p>` : ""}
    <p class="field"><span class="label">Hub</span><span class="value url">${hub}</span></p>
    <p class="field"><span class="label">User name</span><span class="value secret username">${escapeHtml(c.username)}</span></p>
    <p class="field"><span class="label">Password</span><span class="value secret password">${escapeHtml(c.password)}</span></p>
    <p class="how">Open the hub address in a web browser and sign in with this user name and password.</p>
  </section>`;
}

/**
 * A printable page of cut-out cards, one per account: hub address, user name, password, one line of instructions.
 * Black on white with dashed cut lines, no backgrounds and no colour (printers drop both), a monospace face for the
 * password, and no card split across two sheets. The admins' cards (an admin can open every server and read every
 * home) come last, on a sheet of their own that starts on a new page, headed and each card marked as not to be
 * handed out.
 */
export function credentialsHtml(credentials: readonly Credential[], options: CardsOptions): string {
    const hub = escapeHtml(options.hubUrl);
    const { attendees, organisers } = splitAccounts(credentials, options.admins ?? []);
    const cards = attendees.map((c) => card(c, hub, false)).join("\n");
    const organisersSheet =
        organisers.length === 0
            ? ""
            : `
<section class="organisers">
<h1 class="sheet-title">${escapeHtml(ORGANISERS_HEADING)}</h1>
<p class="sheet-note">Hub admin accounts for the instructors and helpers of site ${escapeHtml(options.site)}: they can open every participant's server and files.</p>
<div class="cards">
${organisers.map((c) => card(c, hub, true)).join("\n")}
</div>
</section>`;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    const counts = organisers.length === 0 ? plural(attendees.length, "card") : `${plural(attendees.length, "attendee card")}, then ${plural(organisers.length, "organiser card")} on a sheet of their own`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ESIPHub accounts: ${escapeHtml(options.site)} (${attendees.length + organisers.length})</title>
<style>
  @page { size: auto; margin: 10mm; }
  * { box-sizing: border-box; }
  html, body { margin: 0; background: #fff; color: #000; }
  body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 11pt; padding: 8mm; }
  header { margin-bottom: 6mm; }
  header h1 { font-size: 14pt; margin: 0 0 2mm 0; }
  header p { margin: 0; }
  .cards { display: grid; grid-template-columns: repeat(2, 1fr); gap: 0; }
  .card { border: 1.5pt dashed #000; padding: 4mm 5mm; min-height: 52mm; break-inside: avoid; page-break-inside: avoid; }
  .card h2 { font-size: 12pt; margin: 0 0 3mm 0; border-bottom: 1pt solid #000; padding-bottom: 1.5mm; }
  .field { margin: 0 0 2.5mm 0; display: flex; align-items: baseline; gap: 3mm; }
  .label { flex: 0 0 24mm; font-size: 10pt; }
  .value { font-weight: bold; overflow-wrap: anywhere; }
  .url { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 10.5pt; }
  .secret { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 15pt; letter-spacing: 0.06em; }
  .how { margin: 3mm 0 0 0; font-size: 9.5pt; }
  .organisers { break-before: page; page-break-before: always; }
  .sheet-title { font-size: 20pt; margin: 0 0 2mm 0; border: 3pt double #000; padding: 2mm 4mm; }
  .sheet-note { margin: 0 0 5mm 0; }
  .organiser { border-style: double; border-width: 4pt; }
  .mark { font-weight: bold; font-size: 11pt; margin: 0 0 3mm 0; text-transform: uppercase; }
  @media print { body { padding: 0; } header { display: none; } }
</style>
</head>
<body>
<header>
  <h1>ESIPHub accounts for site ${escapeHtml(options.site)}: ${counts}</h1>
  <p>Print, cut along the dashed lines, and hand one card to each participant. Keep the unused cards: they are live passwords.</p>
</header>
<main class="cards">
${cards}
</main>${organisersSheet}
</body>
</html>
`;
}
