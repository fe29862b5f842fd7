/** Results of a small made-up run: two users through, one 504 on the server page, one refused login. */
import type { UserResult } from "../../cli/loadtest/flow";
import type { RunSettings } from "../../cli/loadtest/report";

export const SETTINGS: RunSettings = { users: 4, concurrency: 4, rampSeconds: 0, timeoutSeconds: 300, execute: true, stop: false };

function user(name: string, phases: UserResult["phases"], failures: UserResult["failures"] = [], throttled = { responses: 0, waitedSeconds: 0 }): UserResult {
    return { username: name, startedAt: 0.0001, finishedAt: 10.12345, phases, throttled, failures };
}

export const SAMPLE_RESULTS: UserResult[] = [
    user("u1", { login: { start: 0, seconds: 0.5 }, spawn: { start: 0.5, seconds: 10 }, page: { start: 10.5, seconds: 0.2 }, execute: { start: 10.7, seconds: 2 } }),
    user("u2", { login: { start: 0, seconds: 0.7 }, spawn: { start: 0.7, seconds: 20 }, page: { start: 20.7, seconds: 0.4 }, execute: { start: 21.1, seconds: 3 } }, [], { responses: 2, waitedSeconds: 61 }),
    user("u3", { login: { start: 0, seconds: 0.6 }, spawn: { start: 0.6, seconds: 30.0004 } }, [
        { phase: "page", errorClass: "http-5xx", status: 504, message: "server page: HTTP 504", start: 30.6, seconds: 60 },
    ]),
    user("u4", {}, [{ phase: "login", errorClass: "login-refused", status: 403, message: "login refused for u4 (HTTP 403)", start: 0, seconds: 0.3 }]),
];
