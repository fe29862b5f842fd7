// Loaded by mocha after ts-node (.mocharc.json "require"): what every test process needs before the tests load.
import { leanPromiseStacks } from "../plan/stacks";

leanPromiseStacks();
