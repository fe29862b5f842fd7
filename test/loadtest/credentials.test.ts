import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsCsv } from "../../cli/credentials";
import { CredentialsError, parseCredentialsCsv, readCredentialsFile } from "../../cli/loadtest/credentials";

describe("loadtest: credentials CSV", () => {
    it("reads what `esiphub credentials` writes, passwords with commas and quotes included", () => {
        const accounts = [
            { username: "user01", password: 'a,b"c' },
            { username: "user02", password: "plain7Kx" },
        ];
        assert.deepStrictEqual(parseCredentialsCsv(credentialsCsv(accounts)), accounts);
    });

    it("takes the columns by name, in any order, and ignores others and blank lines", () => {
        const csv = "\uFEFFPassword,site,Username\r\npw1,nebula,alice\r\n\r\npw2,nebula,bob\r\n";
        assert.deepStrictEqual(parseCredentialsCsv(csv), [
            { username: "alice", password: "pw1" },
            { username: "bob", password: "pw2" },
        ]);
    });

    it("says what is wrong with an unusable file", () => {
        assert.throws(() => parseCredentialsCsv("user,pass\nalice,pw\n", "c.csv"), (e: Error) => e instanceof CredentialsError && /c.csv: no "username" column/.test(e.message));
        assert.throws(() => parseCredentialsCsv("username,password\n", "c.csv"), /c.csv: no accounts/);
        assert.throws(() => parseCredentialsCsv("username,password\nalice,pw\nalice,pw2\n"), /line 3: alice appears twice/);
        assert.throws(() => parseCredentialsCsv("username,password\nalice,\n"), /line 2: empty password for alice/);
        assert.throws(() => parseCredentialsCsv('username,password\n"alice,pw\n'), /not a valid CSV/);
    });

    it("reads a file, and names a file it cannot read", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-loadtest-"));
        try {
            const file = path.join(dir, "accounts.csv");
            fs.writeFileSync(file, "username,password\nalice,pw\n");
            assert.deepStrictEqual(readCredentialsFile(file), [{ username: "alice", password: "pw" }]);
            assert.throws(() => readCredentialsFile(path.join(dir, "missing.csv")), /cannot read .*missing.csv/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
