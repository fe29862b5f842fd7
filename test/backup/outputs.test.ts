import * as assert from "assert";
import { findResource, runStack } from "../mocks";

/** `esiphub backup` connects to the stack's nfsPrivateIp output: it must be where the provisioner mounts homes from. */
describe("backup: the stack's nfsPrivateIp output", function () {
    this.timeout(5 * 60_000);
    const provisionerServer = (result: Awaited<ReturnType<typeof runStack>>) =>
        (findResource(result, "kubernetes:helm.sh/v3:Release", /(^|-)storage-provisioner$/).inputs as any).values.nfs.server as string;

    it("is the master's address when the master serves NFS", async () => {
        const result = await runStack("jetstream");
        assert.strictEqual(result.outputs.nfsPrivateIp, result.outputs.masterPrivateIp);
        assert.strictEqual(result.outputs.nfsPrivateIp, provisionerServer(result));
    });

    it("is the NFS node's address with esiphub:nfsNode", async () => {
        const result = await runStack("jetstream", { "esiphub:nfsNode": "true" });
        assert.notStrictEqual(result.outputs.nfsPrivateIp, result.outputs.masterPrivateIp);
        assert.strictEqual(result.outputs.nfsPrivateIp, provisionerServer(result));
    });
});
