/**
 * Child process of test/quota/preflight.test.ts: plans one site's hosts component with overrides and prints, as
 * one JSON line, the error the run ended with and every resource the mock engine was asked to register. A failed
 * check leaves the process-global runtime with registrations that never finish, hence a process of its own.
 *
 *   ts-node test/quota/firstrun.ts '{"site": "jetstream", "overrides": {...}, "quotas": {...}}'
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { planProgram, stackConfig, testConfig, Site } from "../mocks";
import { withOfflineQuotas } from "../../plan/cloud";
import { QuotaName } from "../../components/quota/quotas";

interface Case {
    site: Site;
    overrides?: Record<string, string>;
    quotas?: Partial<Record<QuotaName, number>>;
}

async function main(run: Case): Promise<void> {
    const registered: string[] = [];
    // Every registration reaches MockMonitor.registerResource (the recording monitor calls it first thing).
    const original = MockMonitor.prototype.registerResource;
    MockMonitor.prototype.registerResource = function (this: MockMonitor, req: any, callback: any) {
        registered.push(req.getType());
        return original.call(this, req, callback);
    };
    let reported = false;
    const report = (error: string | undefined) => {
        if (reported) return;
        reported = true;
        process.stdout.write(JSON.stringify({ error, registered }) + "\n");
        process.exit(0);
    };
    process.on("unhandledRejection", (reason) => report(reason instanceof Error ? reason.message : String(reason)));
    const config = testConfig(run.site, run.overrides);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { OpenStackHosts } = require("../../components/openstack/hosts") as typeof import("../../components/openstack/hosts");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { AwsHosts } = require("../../components/aws/hosts") as typeof import("../../components/aws/hosts");
    const privateKey = pulumi.secret(config.ssh.privateKey);
    try {
        await withOfflineQuotas(run.quotas ?? {}, () =>
            planProgram(
                run.site,
                () => ({
                    publicIp: (config.cloud === "aws" ? new AwsHosts("hosts", { config, privateKey }) : new OpenStackHosts("hosts", { config, privateKey })).publicIp,
                }),
                stackConfig(run.site, run.overrides),
            ),
        );
        report(undefined);
    } catch (e) {
        report(e instanceof Error ? e.message : String(e));
    }
}

main(JSON.parse(process.argv[2])).catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
    process.exit(1);
});
