// Loaded by mocha after ts-node (.mocharc.json "require"): what every test process needs before the tests load.
import { leanPromiseStacks } from "../plan/stacks";

leanPromiseStacks();
// mocha's CLI raises this to Infinity (lib/cli/cli.js), and the SDK captures a stack for every promise it makes
// (runtime/debuggable.js): back to Node's default, as the esiphub command runs.
Error.stackTraceLimit = 10;
