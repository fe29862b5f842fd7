#!/usr/bin/env node
// The `esiphub` command (package.json "bin"): runs cli/esiphub.ts through ts-node, transpile-only (types are
// checked by `npm run typecheck`, not on every start).
const path = require("path");

// main() reports its own errors; this covers a failure to load, still as one line (ESIPHUB_DEBUG=1 for the trace).
function fail(e) {
    const detail = process.env.ESIPHUB_DEBUG ? `\n${e && e.stack}` : "";
    process.stderr.write(`esiphub: ${e && e.message ? e.message.split("\n")[0] : e}${detail}\n`);
    process.exitCode = 1;
}

if (require.main === module) {
    try {
        require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
        require("../plan/stacks.ts").leanPromiseStacks();
        require("./esiphub.ts").main().catch(fail);
    } catch (e) {
        fail(e);
    }
} else {
    // Node resolves `require("./cli/esiphub")` to this file before the .ts one: hand TypeScript importers
    // (already running under ts-node) the real module.
    module.exports = require("./esiphub.ts");
}
