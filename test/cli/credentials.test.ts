import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "csv-parse/sync";
import { chromium, Browser } from "playwright-core";
import { credentialsCsv, credentialsHtml, ORGANISER_MARK, ORGANISERS_HEADING, parseCredentials, splitAccounts } from "../../cli/credentials";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.resolve(__dirname, "..", "..", "test-artifacts");

// Passwords as the hub's generator makes them (no ambiguous characters), plus names that need escaping or quoting.
const ACCOUNTS = [
    ...Array.from({ length: 11 }, (_, i) => ({ username: `workshop-${String(i + 1).padStart(2, "0")}`, password: `Kp7${"mnpqrstuvwx"[i]}Hd4Wz9Ty` })),
    { username: "instructor", password: "Rb3<Nq&8\"Ve,2Ls" },
];

describe("credentials: CSV and printable cards", () => {
    it("CSV has the header username,password and round-trips through a CSV parser (quotes and commas included)", () => {
        const text = credentialsCsv(ACCOUNTS);
        assert.strictEqual(text.split("\n")[0], "username,password");
        assert.strictEqual(text.split("\n")[1], "workshop-01,Kp7mHd4Wz9Ty");
        assert.deepStrictEqual(parse(text, { columns: true }), ACCOUNTS);
    });

    it("the stack output is checked before use", () => {
        assert.deepStrictEqual(parseCredentials([{ username: "a", password: "b", extra: 1 }]), [{ username: "a", password: "b" }]);
        assert.strictEqual(parseCredentials("[secret]"), undefined);
        assert.strictEqual(parseCredentials([{ username: "a" }]), undefined);
        assert.strictEqual(parseCredentials(undefined), undefined);
    });

    it("HTML escapes what it prints", () => {
        const html = credentialsHtml(ACCOUNTS, { hubUrl: "https://hub.esipfed.org/?a=1&b=<2>", site: "jetstream" });
        assert.ok(html.includes("Rb3&lt;Nq&amp;8&quot;Ve,2Ls"));
        assert.ok(html.includes("https://hub.esipfed.org/?a=1&amp;b=&lt;2&gt;"));
        assert.ok(!html.includes("<2>"));
    });

    it("the admins' cards come last, on a sheet of their own, headed and each marked not to be handed out", () => {
        const admins = ["instructor", "workshop-03"];
        const { attendees, organisers } = splitAccounts(ACCOUNTS, admins);
        assert.deepStrictEqual(organisers.map((c) => c.username), ["workshop-03", "instructor"]);
        assert.strictEqual(attendees.length, ACCOUNTS.length - 2);
        const html = credentialsHtml(ACCOUNTS, { hubUrl: "https://hub.esipfed.org", site: "jetstream", admins });
        const [main, sheet] = html.split('<section class="organisers">');
        assert.ok(sheet, "an organisers' sheet");
        assert.strictEqual(main.match(/<section class="card"/g)?.length, ACCOUNTS.length - 2);
        assert.ok(!main.includes('data-username="instructor"') && !main.includes('data-username="workshop-03"'), "no admin card among the attendees'");
        assert.ok(sheet.includes(`<h1 class="sheet-title">${ORGANISERS_HEADING}</h1>`));
        assert.deepStrictEqual([...sheet.matchAll(/<section class="card organiser" data-username="([^"]+)">\s*<h2>[^<]*<\/h2>\s*<p class="mark">([^<]*)<\/p>/g)].map((m) => [m[1], m[2]]), [
            ["workshop-03", ORGANISER_MARK],
            ["instructor", ORGANISER_MARK],
        ]);
        assert.match(html, /: 10 attendee cards, then 2 organiser cards on a sheet of their own<\/h1>/);
        // Without admins, one sheet as before.
        assert.ok(!credentialsHtml(ACCOUNTS, { hubUrl: "https://hub.esipfed.org", site: "jetstream" }).includes('<section class="organisers">'));
    });

    describe("rendered in headless Chromium", () => {
        let browser: Browser | undefined;

        before(async function () {
            if (!fs.existsSync(CHROMIUM)) {
                if (process.env.CI === "true") throw new Error(`${CHROMIUM} is missing: install the Debian package chromium (listed in .ci/apt-packages.txt)`);
                console.log(`      (skipped: no ${CHROMIUM}; apt-get install chromium)`);
                this.skip();
            }
            browser = await chromium.launch({
                executablePath: CHROMIUM,
                args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--no-first-run"],
            });
        });

        after(async () => {
            await browser?.close();
        });

        it("one card per user with the right name and password, black on white, and a screenshot for the record", async () => {
            const html = credentialsHtml(ACCOUNTS, { hubUrl: "https://hub.esipfed.org", site: "jetstream" });
            // A Letter page at 96 dpi is 816 px wide.
            const page = await browser!.newPage({ viewport: { width: 816, height: 1056 } });
            await page.setContent(html);
            await page.emulateMedia({ media: "print" });

            const cards = await page.$$eval(".card", (els) =>
                els.map((el) => ({
                    data: el.getAttribute("data-username"),
                    username: el.querySelector(".username")?.textContent,
                    password: el.querySelector(".password")?.textContent,
                    hub: el.querySelector(".url")?.textContent,
                    how: el.querySelector(".how")?.textContent,
                    box: el.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number; right: number; bottom: number },
                })),
            );
            assert.strictEqual(cards.length, ACCOUNTS.length);
            assert.deepStrictEqual(cards.map((c) => [c.data, c.username, c.password]), ACCOUNTS.map((a) => [a.username, a.username, a.password]));
            for (const c of cards) {
                assert.strictEqual(c.hub, "https://hub.esipfed.org");
                assert.match(c.how ?? "", /sign in with this user name and password/);
            }
            // Two columns, no card overlapping another or running off the page.
            assert.strictEqual(new Set(cards.map((c) => Math.round(c.box.x))).size, 2);
            for (const [i, a] of cards.entries()) {
                assert.ok(a.box.x >= 0 && a.box.right <= 816, `card ${i + 1} fits the page width`);
                for (const b of cards.slice(i + 1)) {
                    const overlap = a.box.x < b.box.right - 1 && b.box.x < a.box.right - 1 && a.box.y < b.box.bottom - 1 && b.box.y < a.box.bottom - 1;
                    assert.ok(!overlap, `cards ${a.data} and ${b.data} do not overlap`);
                }
            }

            // Legible in black-and-white print: every piece of text is black on no background, big enough to read.
            const styles = await page.$$eval(".card, .card *", (els) =>
                els.map((el) => {
                    const s = getComputedStyle(el);
                    return { tag: el.tagName, color: s.color, background: s.backgroundColor, size: parseFloat(s.fontSize), border: s.borderTopColor };
                }),
            );
            for (const s of styles) {
                assert.strictEqual(s.color, "rgb(0, 0, 0)", `${s.tag} text is black`);
                assert.ok(["rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"].includes(s.background), `${s.tag} has no background colour (${s.background})`);
                assert.ok(s.size >= 12, `${s.tag} text is at least 12 px (9 pt), got ${s.size}`);
            }
            const passwordSize = await page.$eval(".card .password", (el) => parseFloat(getComputedStyle(el).fontSize));
            assert.ok(passwordSize >= 19, `passwords are large (${passwordSize} px)`);

            // What a black-and-white printer makes of it.
            await page.addStyleTag({ content: "html { filter: grayscale(1); }" });
            fs.mkdirSync(ARTIFACTS, { recursive: true });
            const file = path.join(ARTIFACTS, "credentials-cards.png");
            await page.screenshot({ path: file, fullPage: true });
            assert.ok(fs.statSync(file).size > 10_000, "the screenshot was written");

            // Cards ask the print engine not to split them across two sheets.
            const breaks = await page.$$eval(".card", (els) => els.map((el) => getComputedStyle(el).breakInside));
            assert.deepStrictEqual(new Set(breaks), new Set(["avoid"]));
            await page.close();
        });

        it("the organisers' sheet starts on a new printed page, its cards visibly different", async () => {
            const html = credentialsHtml(ACCOUNTS, { hubUrl: "https://hub.esipfed.org", site: "jetstream", admins: ["instructor"] });
            const page = await browser!.newPage({ viewport: { width: 816, height: 1056 } });
            await page.setContent(html);
            await page.emulateMedia({ media: "print" });
            assert.strictEqual(await page.$eval(".organisers", (el) => getComputedStyle(el).breakBefore), "page");
            const border = (selector: string) => page.$eval(selector, (el) => getComputedStyle(el).borderTopStyle);
            assert.deepStrictEqual([await border(".card:not(.organiser)"), await border(".card.organiser")], ["dashed", "double"]);
            assert.strictEqual(await page.$eval(".organiser .mark", (el) => (el as HTMLElement).innerText), ORGANISER_MARK.toUpperCase());
            await page.close();
        });
    });
});
