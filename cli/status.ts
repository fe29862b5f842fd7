/** `esiphub status`: every site, deployed or not, its end date, and what it costs per hour and has cost so far. */
import { Command } from "commander";
import type { CliDeps } from "./deps";
import { formatStatus, SiteStatus } from "./event";

export function registerStatusCommand(program: Command, deps: Pick<CliDeps, "stdout" | "now">, statuses: () => Promise<SiteStatus[]>): void {
    program
        .command("status")
        .description("every site (each stack file, and each stack of the backend): deployed or not, its end date (esiphub:eventEnds), cost per hour and so far")
        .option("--json", "print [{site, stackFile, deployed, resources, eventEnds, hoursLeft, over, costPerHour, since, costSoFar, notes}]")
        .addHelpText(
            "after",
            [
                "",
                "Deployed: the stack's state in the Pulumi backend holds resources (`pulumi stack ls`). Per hour: workshop scale, as the",
                "deployed stack's cost output prices it (else the stack file's). So far: per hour times the hours since the site's first",
                "update after its last destroy (`pulumi stack history`), so a site scaled in between is counted at its current size.",
            ].join("\n"),
        )
        .action(async (options: { json?: boolean }) => {
            const rows = await statuses();
            deps.stdout.write(options.json ? JSON.stringify(rows, null, 2) + "\n" : formatStatus(rows, deps.now?.() ?? new Date()));
        });
}
