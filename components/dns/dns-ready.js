#!/usr/bin/env node
// The dns-ready step (components/dns/wait.ts), as the program's command.local.Command runs it on the operator's
// machine: `node components/dns/dns-ready.js` in the project folder, parameters in its environment. Runs the
// TypeScript through ts-node, transpile-only, like cli/esiphub.js.
const path = require("path");

require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "..", "tsconfig.json") });
require("./wait.ts")
    .main()
    .then((code) => {
        process.exitCode = code;
    });
