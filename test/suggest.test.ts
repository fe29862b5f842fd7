import * as assert from "assert";
import { closest, editDistance } from "../components/suggest";

describe("did you mean", () => {
    it("edit distance: insertions, deletions, substitutions and a swap of neighbours count one each", () => {
        assert.strictEqual(editDistance("memoryLimt", "memoryLimit"), 1);
        assert.strictEqual(editDistance("esihub", "esiphub"), 1);
        assert.strictEqual(editDistance("regoin", "region"), 1);
        assert.strictEqual(editDistance("kitten", "sitting"), 3);
        assert.strictEqual(editDistance("", "abc"), 3);
        assert.strictEqual(editDistance("same", "same"), 0);
    });

    it("the nearest candidate within a third of the word (at least 2 edits), case ignored", () => {
        const keys = ["memoryLimit", "memoryGuarantee", "users", "userNames", "extraUsers"];
        assert.strictEqual(closest("memoryLimt", keys), "memoryLimit");
        assert.strictEqual(closest("memorylimit", keys), "memoryLimit");
        assert.strictEqual(closest("user", keys), "users");
        assert.strictEqual(closest("extrausers", keys), "extraUsers");
        assert.strictEqual(closest("colour", keys), undefined);
        assert.strictEqual(closest("azure", ["esiphub", "openstack", "aws", "kubernetes", "random", "command", "pulumi"]), undefined);
    });
});
