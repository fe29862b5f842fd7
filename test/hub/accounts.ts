/** Workshop accounts for hub-side tests, made the way the Pulumi program makes them. */
import * as crypto from "crypto";
import * as bcrypt from "bcryptjs";
import { PASSWORD_CHARACTERS, PASSWORD_LENGTH, PROVIDER_BCRYPT_COST, PROVIDER_BCRYPT_VERSION } from "../../components/jupyterhub/accounts";

export interface TestAccount {
    username: string;
    password: string;
    /** bcrypt hash as @pulumi/random's `bcryptHash` has it: `$2a$10$...`. */
    hash: string;
}

/** A password from the same alphabet and of the same length as the program's RandomPassword. */
export function generatePassword(): string {
    return Array.from({ length: PASSWORD_LENGTH }, () => PASSWORD_CHARACTERS[crypto.randomInt(PASSWORD_CHARACTERS.length)]).join("");
}

/** bcryptjs salts as `$2b$`; the provider (Go's x/crypto/bcrypt) writes `$2a$`. Same algorithm, same cost. */
export function providerBcryptHash(password: string): string {
    const salt = bcrypt.genSaltSync(PROVIDER_BCRYPT_COST).replace(/^\$2[aby]\$/, `$${PROVIDER_BCRYPT_VERSION}$`);
    return bcrypt.hashSync(password, salt);
}

export function makeAccounts(usernames: readonly string[]): TestAccount[] {
    return usernames.map((username) => {
        const password = generatePassword();
        return { username, password, hash: providerBcryptHash(password) };
    });
}

/** The authenticator's credentials file content: user name → hash. */
export function credentialsOf(accounts: readonly TestAccount[]): Record<string, string> {
    return Object.fromEntries(accounts.map((a) => [a.username, a.hash]));
}
