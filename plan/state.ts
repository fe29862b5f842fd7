import * as crypto from "crypto";
import * as bcrypt from "bcryptjs";

/**
 * Computed outputs of resources in an offline run (what the cloud would fill in: addresses, ids, command output),
 * by resource type: (name, inputs) → properties added to the inputs.
 */
export type OfflineState = (name: string, inputs: Record<string, any>) => Record<string, unknown>;

/** A stable stand-in for a generated value, so that repeated plans print the same thing. */
export function offlineValue(name: string, length: number, alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"): string {
    const digest = crypto.createHash("sha256").update(name).digest();
    return Array.from({ length }, (_, i) => alphabet[digest[i % digest.length] % alphabet.length]).join("");
}

export const OFFLINE_STATE: Record<string, OfflineState> = {
    // @pulumi/random: generated values, and the bcrypt hash of a password as the provider makes it.
    "random:index/randomPassword:RandomPassword": (name, inputs) => {
        const result = offlineValue(name, inputs.length ?? 16);
        return { result, bcryptHash: bcrypt.hashSync(result, 4) };
    },
    "random:index/randomString:RandomString": (name, inputs) => ({ result: offlineValue(name, inputs.length ?? 16) }),
    "random:index/randomId:RandomId": (name, inputs) => ({ hex: crypto.createHash("sha256").update(name).digest("hex").slice(0, 2 * (inputs.byteLength ?? 32)) }),
};
