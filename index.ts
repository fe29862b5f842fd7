import { deploy, readProgramConfig } from "./components/esiphub";

// `pulumi up -s <site>`: read and check Pulumi.<site>.yaml, then build the site; the returned values are the stack outputs.
export = deploy(readProgramConfig(__dirname));
