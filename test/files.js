#!/usr/bin/env node
/**
 * The test files for `npm test`, one per line: the longest first (measured with `npm run test:slow`: real JupyterHub,
 * sshd and the kubeadm scripts over their stubs), so that mocha's parallel workers do not end waiting on one long
 * file started last; then every other test file, in name order.
 */
const fs = require("fs");
const path = require("path");

const LONGEST_FIRST = [
    "test/loadtest/loadtest.test.ts",
    "test/doctor/hub.test.ts",
    "test/storage/scripts.test.ts",
    "test/jupyterhub/authenticator.test.ts",
    "test/kubeadm/scripts-prepare.test.ts",
    "test/doctor/rehearse.test.ts",
    "test/kubeadm/scripts-join.test.ts",
    "test/kubeadm/scripts-init.test.ts",
    "test/doctor/site.test.ts",
    "test/jupyterhub/active-server-limit.test.ts",
    "test/cli/bin.test.ts",
    "test/kubeadm/scripts-nodes.test.ts",
    "test/cli/tlsretry.test.ts",
    "test/cli/plan.test.ts",
    "test/config-limits.test.ts",
    "test/dns/wait.test.ts",
    "test/kubeadm/scripts-calico.test.ts",
    "test/jupyterhub/materials.test.ts",
    "test/hub/localhub.test.ts",
    "test/cli/readme.test.ts",
    "test/backup/backup.test.ts",
];

const root = path.resolve(__dirname, "..");
const all = fs
    .readdirSync(path.join(root, "test"), { recursive: true })
    .map((f) => path.join("test", f))
    .filter((f) => f.endsWith(".test.ts"))
    .sort();
const missing = LONGEST_FIRST.filter((f) => !all.includes(f));
if (missing.length > 0) {
    process.stderr.write(`test/files.js: no such test file: ${missing.join(", ")} (update LONGEST_FIRST)\n`);
    process.exit(1);
}
process.stdout.write([...LONGEST_FIRST, ...all.filter((f) => !LONGEST_FIRST.includes(f))].join("\n") + "\n");
