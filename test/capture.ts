/** A stand-in for stdout or stderr that keeps what was written; a terminal when `isTTY`. */
export class Capture {
    text = "";
    constructor(
        readonly isTTY = false,
        readonly columns = 200,
    ) {}
    write(s: string): boolean {
        this.text += s;
        return true;
    }
}
