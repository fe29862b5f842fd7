/** The `hub` and `login-page` checks: JupyterHub answers on its API with its version, and its login page works. */
import { statusError } from "../loadtest/errors";
import { loginFormXsrf } from "../loadtest/flow";
import { Deadline, HubClient } from "../loadtest/http";
import { CheckFailure, pass, Verdict } from "./check";

/** One request to a hub that is up takes well under a second; this only bounds a hung one (a hub that is down fails at connect). */
export const HUB_REQUEST_MS = 30_000;

export async function checkHubApi(client: HubClient): Promise<Verdict> {
    const answer = await client.send({ path: "/hub/api", mode: "api", deadline: new Deadline(HUB_REQUEST_MS), what: "/hub/api" });
    if (answer.status !== 200) throw statusError(answer.status, "/hub/api", answer.body);
    let version: unknown;
    try {
        version = (JSON.parse(answer.body) as { version?: unknown }).version;
    } catch {
        version = undefined;
    }
    if (typeof version !== "string") {
        throw new CheckFailure(`${answer.url} answers, but not as JupyterHub's API (no version in the answer)`, "is the address the hub's? Another web server answers there");
    }
    return pass(`JupyterHub ${version} answers at ${client.base.toString().replace(/\/$/, "")}`);
}

export async function checkLoginPage(client: HubClient): Promise<Verdict> {
    const page = await client.send({ path: "/hub/login", mode: "navigate", deadline: new Deadline(HUB_REQUEST_MS), what: "login page" });
    if (page.status !== 200) throw statusError(page.status, "login page", page.body);
    if (!/<input[^>]*name=["']password["']/i.test(page.body)) {
        throw new CheckFailure(
            "the login page has no password field: the hub does not use ESIPHub's password authenticator",
            "deploy the site with esiphub up SITE (the chart's hub.config.JupyterHub.authenticator_class is set there)",
        );
    }
    return pass(`login form at /hub/login${loginFormXsrf(page.body) ? " with its _xsrf token" : ""}`);
}
