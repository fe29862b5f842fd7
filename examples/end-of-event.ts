/**
 * After the meeting: every deployed site whose event has ended (esiphub:eventEnds at or before now) is backed up, then
 * destroyed, so that no forgotten site keeps burning the allocation. Run it from cron the evening after the meeting.
 *
 *   npx ts-node examples/end-of-event.ts                                  # says what it would do; changes nothing
 *   npx ts-node examples/end-of-event.ts --yes --out ~/esip-backups      # back up into ~/esip-backups/<site>-<date>, then destroy
 *
 * The backup is `esiphub backup` (every home and the shared folder, one archive each, with manifest.json and the
 * hand-out pages); a site whose backup fails is not destroyed. The destroy is `esiphub destroy --yes`: the data volume
 * is kept (esiphub:keepDataOnDestroy) unless --delete-data. Which sites have ended is `esiphub status`'s answer.
 * Exit 0 when every ended site was backed up and destroyed (or there was none), 1 otherwise.
 */
import * as path from "path";
import { Command, CommanderError } from "commander";
import { openSite, SiteOptions, SiteStatus, siteStatuses } from "../api";

interface Output {
    write(text: string): unknown;
}

/** Backs the site up into `out`, then destroys it; what went wrong, or undefined. */
async function endSite(row: SiteStatus, out: string, deleteData: boolean, options: SiteOptions, log: Output): Promise<string | undefined> {
    const site = openSite(row.site, options);
    const dir = path.join(out, `${row.site}-${row.eventEnds!.slice(0, 10)}`);
    log.write(`\n== ${row.site}: backup into ${dir}\n`);
    try {
        const backup = await site.backup({ out: dir, workshop: row.site, perUserLinks: true });
        log.write(`backed up ${backup.manifest.archives.length} archive(s)\n`);
    } catch (e) {
        return `backup failed, so the site was not destroyed: ${(e as Error).message}`;
    }
    log.write(`\n== ${row.site}: destroy${deleteData ? " (with its data volume)" : ""}\n`);
    try {
        const destroyed = await site.destroy({ deleteData });
        log.write(`destroyed; the data volume: ${destroyed.dataVolume}\n`);
    } catch (e) {
        return `destroy failed: ${(e as Error).message}`;
    }
    return undefined;
}

export async function main(argv: string[], options: SiteOptions = {}, log: Output = process.stdout): Promise<number> {
    const program = new Command("end-of-event")
        .description("back up, then destroy, every deployed site past its esiphub:eventEnds")
        .option("--yes", "do it (without it: only say what would be done)")
        .option("--out <dir>", "where the backups go, one folder per site", ".")
        .option("--delete-data", "destroy the data volumes too (after their backup)")
        .exitOverride()
        .parse(argv, { from: "user" });
    const opts = program.opts<{ yes?: boolean; out: string; deleteData?: boolean }>();
    const ended = (await siteStatuses(options)).filter((s) => s.deployed && s.over);
    if (ended.length === 0) {
        log.write("No deployed site is past its end date (esiphub:eventEnds).\n");
        return 0;
    }
    for (const row of ended) log.write(`${row.site}: ended ${(-row.hoursLeft!).toFixed(1)} h ago (${row.eventEnds}), still deployed\n`);
    if (!opts.yes) {
        const them = ended.length === 1 ? ["it", "it"] : ["each", "them"];
        log.write(`Would back ${them[0]} up into ${path.resolve(opts.out)}, then destroy ${them[1]}: run again with --yes\n`);
        return 0;
    }
    const failures: string[] = [];
    for (const row of ended) {
        const problem = await endSite(row, path.resolve(opts.out), !!opts.deleteData, options, log);
        if (problem) failures.push(`${row.site}: ${problem}`);
    }
    log.write(failures.length === 0 ? `\nDone: ${ended.map((r) => r.site).join(", ")} backed up and destroyed.\n` : `\nNot done:\n${failures.map((f) => `  ${f}`).join("\n")}\n`);
    return failures.length === 0 ? 0 : 1;
}

if (require.main === module) {
    // The backups' and destroys' progress, as the esiphub command shows it, goes to this script's output.
    main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
        (code) => (process.exitCode = code),
        (e) => {
            // commander has printed its own message (or the help); CliError and CommanderError carry the exit status.
            if (!(e instanceof CommanderError)) process.stderr.write(`end-of-event: ${e instanceof Error ? e.message : e}\n`);
            process.exitCode = (e as { exitCode?: number }).exitCode ?? 1;
        },
    );
}
