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

const escapeHtml = (text: string) =>
    text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

export interface CardsOptions {
    readonly hubUrl: string;
    readonly site: string;
}

/**
 * A printable page of cut-out cards, one per account: hub address, user name, password, one line of instructions.
 * Black on white with dashed cut lines, no backgrounds and no colour (printers drop both), a monospace face for the
 * password, and no card split across two sheets.
 */
export function credentialsHtml(credentials: readonly Credential[], options: CardsOptions): string {
    const hub = escapeHtml(options.hubUrl);
    const cards = credentials
        .map(
            (c) => `  <section class="card" data-username="${escapeHtml(c.username)}">
    <h2>ESIPHub workshop</h2>
    <p class="field"><span class="label">Hub</span><span class="value url">${hub}</span></p>
    <p class="field"><span class="label">User name</span><span class="value secret username">${escapeHtml(c.username)}</span></p>
    <p class="field"><span class="label">Password</span><span class="value secret password">${escapeHtml(c.password)}</span></p>
    <p class="how">Open the hub address in a web browser and sign in with this user name and password.</p>
  </section>`,
        )
        .join("\n");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ESIPHub accounts: ${escapeHtml(options.site)} (${credentials.length})</title>
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
  @media print { body { padding: 0; } header { display: none; } }
</style>
</head>
<body>
<header>
  <h1>ESIPHub accounts for site ${escapeHtml(options.site)}: ${credentials.length} cards</h1>
  <p>Print, cut along the dashed lines, and hand one card to each participant. Keep the unused cards: they are live passwords.</p>
</header>
<main class="cards">
${cards}
</main>
</body>
</html>
`;
}
