import * as assert from "assert";
import { checkCell, executeRequest } from "../../cli/loadtest/kernel";

describe("loadtest: the executed cell", () => {
    it("asks the kernel for a sum only a working kernel can give", () => {
        assert.deepStrictEqual(checkCell(1000), { code: "print(sum(range(1000)))", expected: "499500" });
        assert.strictEqual(checkCell(1_001_000).expected, "500999999500");
        // n(n-1)/2 stays exact in a double for every n the tester draws (below 1 001 000).
        assert.ok(Number.isSafeInteger((1_001_000 * 1_000_999) / 2));
    });

    it("sends a Jupyter protocol 5 execute_request on the shell channel", () => {
        const msg = executeRequest("print(1)", "m-1", "s-1", "alice") as {
            header: Record<string, string>;
            content: Record<string, unknown>;
            channel: string;
            parent_header: object;
        };
        assert.strictEqual(msg.channel, "shell");
        assert.deepStrictEqual(
            { id: msg.header.msg_id, type: msg.header.msg_type, session: msg.header.session, user: msg.header.username, version: msg.header.version },
            { id: "m-1", type: "execute_request", session: "s-1", user: "alice", version: "5.3" },
        );
        assert.strictEqual(msg.content.code, "print(1)");
        assert.strictEqual(msg.content.silent, false);
        assert.strictEqual(msg.content.allow_stdin, false);
        assert.deepStrictEqual(msg.parent_header, {});
    });
});
