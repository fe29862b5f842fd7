import * as assert from "assert";
import { StatusLine } from "../../cli/statusline";

function output(isTTY: boolean, columns?: number) {
    const written: string[] = [];
    return { written, out: { isTTY, columns, write: (t: string) => written.push(t) } };
}

describe("StatusLine", () => {
    it("on a terminal: rewrites one line in place, cut to one less than the width (29 characters for 30 columns), and clears it before a printed line", () => {
        const { written, out } = output(true, 30);
        const status = new StatusLine(out);
        status.show("short");
        status.show("a status line that is far too long for thirty columns");
        status.print("a line of its own");
        status.clear();
        assert.deepStrictEqual(written, ["\r\x1b[Kshort", "\r\x1b[Ka status line that is far to…", "\r\x1b[K", "a line of its own\n"]);
    });

    it("elsewhere: no status line and no control characters, only printed lines", () => {
        const { written, out } = output(false);
        const status = new StatusLine(out);
        status.show("hidden");
        status.print("kept");
        status.clear();
        assert.deepStrictEqual(written, ["kept\n"]);
    });
});
