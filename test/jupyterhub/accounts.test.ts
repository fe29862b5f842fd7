import * as assert from "assert";
import * as bcrypt from "bcryptjs";
import { credentialsJson, PASSWORD_ARGS, PASSWORD_CHARACTERS, PASSWORD_LENGTH } from "../../components/jupyterhub/accounts";
import { generatePassword, providerBcryptHash } from "../hub/accounts";

describe("workshop accounts (components/jupyterhub/accounts.ts)", function () {
    it("draws passwords only from letters and digits that cannot be misread", function () {
        for (const ambiguous of ["0", "O", "1", "l", "I"]) assert.ok(!PASSWORD_CHARACTERS.includes(ambiguous), `${ambiguous} is in the alphabet`);
        assert.match(PASSWORD_CHARACTERS, /^[A-Za-z2-9]+$/);
        assert.strictEqual(new Set(PASSWORD_CHARACTERS).size, PASSWORD_CHARACTERS.length, "a character appears twice");
    });

    it("makes passwords of at least 12 characters and 64 bits", function () {
        assert.ok(PASSWORD_LENGTH >= 12);
        assert.ok(PASSWORD_LENGTH * Math.log2(PASSWORD_CHARACTERS.length) >= 64);
        assert.strictEqual(PASSWORD_ARGS.length, PASSWORD_LENGTH);
    });

    it("asks the provider for that alphabet alone", function () {
        // RandomPassword draws from upper, lower, numeric and special; only `special` (= overrideSpecial) is on.
        assert.deepStrictEqual(
            [PASSWORD_ARGS.upper, PASSWORD_ARGS.lower, PASSWORD_ARGS.numeric, PASSWORD_ARGS.special, PASSWORD_ARGS.overrideSpecial],
            [false, false, false, true, PASSWORD_CHARACTERS],
        );
    });

    it("writes the credentials file as user name → hash", function () {
        const text = credentialsJson([
            ["workshop-01", "$2a$10$abc"],
            ["instructor", "$2a$10$def"],
        ]);
        assert.deepStrictEqual(JSON.parse(text), { "workshop-01": "$2a$10$abc", instructor: "$2a$10$def" });
    });
});

describe("test accounts (test/hub/accounts.ts)", function () {
    it("hash like @pulumi/random's bcryptHash: $2a$, cost 10, and verify", function () {
        const password = generatePassword();
        assert.strictEqual(password.length, PASSWORD_LENGTH);
        assert.ok([...password].every((c) => PASSWORD_CHARACTERS.includes(c)));
        const hash = providerBcryptHash(password);
        assert.match(hash, /^\$2a\$10\$[./A-Za-z0-9]{53}$/);
        assert.ok(bcrypt.compareSync(password, hash));
        assert.ok(!bcrypt.compareSync(password + "x", hash));
    });
});
