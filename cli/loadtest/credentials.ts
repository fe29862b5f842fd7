import * as fs from "fs";
import { parse } from "csv-parse/sync";

export interface Account {
    readonly username: string;
    readonly password: string;
}

/** A credentials file the tester cannot use; the message says what is wrong and where. */
export class CredentialsError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CredentialsError";
    }
}

/**
 * Reads the CSV that `esiphub credentials` writes: a header naming `username` and `password` (other columns are
 * ignored, column order is free), one account per row.
 */
export function parseCredentialsCsv(text: string, source = "credentials CSV"): Account[] {
    let rows: Record<string, string>[];
    try {
        rows = parse(text, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, bom: true });
    } catch (err) {
        throw new CredentialsError(`${source}: not a valid CSV (${(err as Error).message})`);
    }
    if (rows.length === 0) throw new CredentialsError(`${source}: no accounts (expected a header "username,password" and one row per account)`);
    for (const column of ["username", "password"]) {
        if (!(column in rows[0])) throw new CredentialsError(`${source}: no "${column}" column (the header must name username and password)`);
    }
    const seen = new Set<string>();
    return rows.map((row, i) => {
        const line = i + 2;
        const username = row.username.trim();
        const password = row.password;
        if (!username) throw new CredentialsError(`${source}, line ${line}: empty username`);
        if (!password) throw new CredentialsError(`${source}, line ${line}: empty password for ${username}`);
        if (seen.has(username)) throw new CredentialsError(`${source}, line ${line}: ${username} appears twice (each simulated user needs an account of its own)`);
        seen.add(username);
        return { username, password };
    });
}

export function readCredentialsFile(file: string): Account[] {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new CredentialsError(`cannot read ${file}: ${(err as Error).message}`);
    }
    return parseCredentialsCsv(text, file);
}
