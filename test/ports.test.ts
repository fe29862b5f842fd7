/**
 * test/ports.ts: which ports the tests take where, so that a port a test expects to be closed stays closed while
 * other test processes start hubs, kernels and servers beside it.
 */
import * as assert from "assert";
import * as net from "net";
import { ephemeralLow, freePortBlock, quietPort } from "./ports";

describe("test ports (test/ports.ts)", () => {
    it("a quiet port is below the user-server blocks and the kernel's ephemeral range, and refuses connections", async () => {
        const port = await quietPort();
        assert.ok(port >= 1024 && port < Math.min(10000, ephemeralLow()), String(port));
        const refused = await new Promise<string>((resolve) => {
            const socket = net.connect(port, "127.0.0.1");
            socket.once("connect", () => {
                socket.destroy();
                resolve("connected");
            });
            socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        });
        assert.strictEqual(refused, "ECONNREFUSED");
    });

    it("a block of user-server ports lies between the quiet ports and the ephemeral range, clear of the ports to avoid", async () => {
        const base = await freePortBlock(256, [20000]);
        assert.ok(base >= 10000 && base + 256 <= ephemeralLow(), String(base));
        assert.ok(!(20000 >= base && 20000 < base + 256), "the avoided port is not in the block");
    });
});
