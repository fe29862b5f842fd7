import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Characters of workshop passwords: letters and digits without the look-alikes 0/O/o, 1/l/I/i. */
export const PASSWORD_CHARACTERS = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/** 14 characters of 55: about 80 bits, short enough to type from a printed card. */
export const PASSWORD_LENGTH = 14;

/**
 * How @pulumi/random makes `bcryptHash` (terraform-provider-random: Go's `bcrypt.GenerateFromPassword`
 * with `bcrypt.DefaultCost`): version `2a`, cost 10. Tests make their hashes the same way.
 */
export const PROVIDER_BCRYPT_VERSION = "2a";
export const PROVIDER_BCRYPT_COST = 10;

/**
 * RandomPassword arguments for a readable password. The provider only draws from `overrideSpecial`
 * when every other class is off, which is how the look-alike characters are kept out.
 */
export const PASSWORD_ARGS: random.RandomPasswordArgs = {
    length: PASSWORD_LENGTH,
    upper: false,
    lower: false,
    numeric: false,
    special: true,
    overrideSpecial: PASSWORD_CHARACTERS,
};

export interface Account {
    username: string;
    password: random.RandomPassword;
}

/** One RandomPassword per user; adding a user adds one resource and leaves the others alone. */
export function createAccounts(users: readonly string[], namePrefix: string, parent: pulumi.Resource): Account[] {
    return users.map((username) => ({
        username,
        password: new random.RandomPassword(`${namePrefix}-password-${username}`, PASSWORD_ARGS, { parent }),
    }));
}

/** username → bcrypt hash: the authenticator's credentials file, as JSON (secret). */
export function credentialsFile(accounts: readonly Account[]): pulumi.Output<string> {
    return pulumi.secret(
        pulumi
            .all(accounts.map((a) => a.password.bcryptHash))
            .apply((hashes) => credentialsJson(accounts.map((a, i) => [a.username, hashes[i]]))),
    );
}

export function credentialsJson(entries: readonly (readonly [string, string])[]): string {
    return JSON.stringify(Object.fromEntries(entries), null, 2) + "\n";
}

/** username/password pairs for the organisers (secret). */
export function credentialPairs(accounts: readonly Account[]): pulumi.Output<{ username: string; password: string }[]> {
    return pulumi.secret(
        pulumi.all(accounts.map((a) => a.password.result)).apply((passwords) => accounts.map((a, i) => ({ username: a.username, password: passwords[i] }))),
    );
}
