import { Agent, request } from "undici";
import { parseCidr } from "../components/cidr";
import { CliError } from "./deps";

/** ipify's IPv4-only endpoint: the caller's address as plain text (https://www.ipify.org/). */
export const DEFAULT_ECHO_URL = "https://api.ipify.org";

/** A guard, not a measure: an echo service that says nothing for this long is not going to. */
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * This machine's public IPv4 address, as an HTTPS echo service sees it. The connection is made over IPv4 only
 * (`family: 4`, like `curl -4`): over IPv6 the service would see an IPv6 address, which `esiphub:adminCidrs` cannot hold.
 */
export async function publicIpv4(echoUrl: string = DEFAULT_ECHO_URL): Promise<string> {
    const dispatcher = new Agent({ connect: { family: 4, autoSelectFamily: false } });
    const fail = (why: string) => new CliError(`admin-ip: cannot learn this machine's public IPv4 address from ${echoUrl}: ${why}; give it with --add A.B.C.D/32`);
    let text: string;
    try {
        const response = await request(echoUrl, { dispatcher, signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
        text = (await response.body.text()).trim();
        if (response.statusCode !== 200) throw fail(`HTTP ${response.statusCode}`);
    } catch (e) {
        if (e instanceof CliError) throw e;
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        throw fail(`${(e as Error).message}${cause ? ` (${cause})` : ""}`);
    } finally {
        await dispatcher.close();
    }
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text) || !parseCidr(`${text}/32`)) throw fail(`the answer "${text.slice(0, 60)}" is not an IPv4 address`);
    return text;
}
