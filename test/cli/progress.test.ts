import * as assert from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { ProgressDisplay, stepCount, summarizeChanges, urnName } from "../../cli/progress";
import { loadEvents } from "./automation-double";

/** Collects what the display writes; `isTTY` decides between a live status line and plain log lines. */
class Sink {
    text = "";
    constructor(readonly isTTY: boolean, readonly columns = 200) {}
    write(s: string) {
        this.text += s;
        return true;
    }
    /** What a terminal would show: each `\r\x1b[K` wipes the line being drawn. */
    get screen(): string {
        return this.text
            .split("\n")
            .map((line) => line.split("\r\x1b[K").pop()!)
            .join("\n");
    }
}

const K8S = "urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:kubeadm:Cluster$command:remote:Command::";

describe("progress display (recorded engine events)", () => {
    it("first up of jetstream: resources done / total, warnings, the failed join with its message", () => {
        const events = loadEvents("jetstream-up-failed.jsonl");
        const out = new Sink(false);
        // The preview of this update planned 18 creates: stack, 3 components + 1 more component, 2 providers, 12 custom resources.
        const display = new ProgressDisplay(out, { operation: "up", total: 18 });
        events.forEach((e) => display.handle(e));
        const report = display.finish();

        assert.ok(!out.text.includes("\r"), "no status line when the output is not a terminal");
        const lines = out.text.trimEnd().split("\n");
        // Custom resources in the order the engine finished them, each with the count of finished resources.
        assert.deepStrictEqual(
            lines.filter((l) => / created {2}/.test(l)).map((l) => l.replace(/ {2}\S+ {2}/, " ")),
            [
                "[ 1/18] created default_3_15_2",
                "[ 2/18] created esiphub-jetstream-net",
                "[ 3/18] created esiphub-jetstream-sg",
                "[ 4/18] created esiphub-jetstream-subnet",
                "[ 5/18] created esiphub-jetstream-router",
                "[ 6/18] created esiphub-jetstream-data",
                "[ 7/18] created esiphub-jetstream-master",
                "[ 8/18] created esiphub-jetstream-worker-2",
                "[ 9/18] created esiphub-jetstream-worker-1",
                "[10/18] created esiphub-jetstream-fip",
                "[11/18] created esiphub-jetstream-openstack",
                "[12/18] created default_1_2_1",
                "[13/18] created esiphub-jetstream-k8s-init",
                "[14/18] created esiphub-jetstream-k8s-join-worker-1",
                "[15/18] created esiphub-jetstream-k8s",
            ],
        );
        assert.ok(lines.includes("[ 6/18] warning  openstack:compute/instance:Instance  esiphub-jetstream-worker-1: Instance has no availability zone set; the cloud default (nova) is used"));
        const failed = lines.findIndex((l) => l.startsWith("[14/18] failed  command:remote:Command  esiphub-jetstream-k8s-join-worker-2: 1 error occurred:"));
        assert.ok(failed > 0, out.text);
        assert.match(out.text, /\n {4}esiphub: join: kubeadm join failed: couldn't validate the identity of the API Server: connection refused\n/);
        // The engine's closing "update failed" on the stack is the outcome, not one more failure.
        assert.ok(!/failed .*update failed/.test(out.text));
        assert.match(out.text, /^Resources: 17 created in 6m52s$/m);
        assert.match(out.text, /^1 failure:\n {2}command:remote:Command {2}esiphub-jetstream-k8s-join-worker-2: 1 error occurred:/m);

        assert.strictEqual(report.done, 15);
        assert.strictEqual(report.total, 18);
        assert.deepStrictEqual(report.failures.map((f) => [f.type, f.name]), [["command:remote:Command", "esiphub-jetstream-k8s-join-worker-2"]]);
        assert.match(report.failures[0].message, /kubeadm join failed/);
        assert.deepStrictEqual(report.changes, { create: 17 });
    });

    it("on a terminal, the status line shows the operation under way and its latest log line", () => {
        const events = loadEvents("jetstream-up-failed.jsonl");
        const display = new ProgressDisplay(new Sink(true), { operation: "up", total: 18 });
        const statusAfter = (predicate: (e: EngineEvent) => boolean) => {
            const i = events.findIndex(predicate);
            assert.ok(i >= 0);
            return i;
        };
        let fed = 0;
        const feedThrough = (i: number) => {
            for (; fed <= i; fed++) display.handle(events[fed]);
            return display.statusLine();
        };
        assert.strictEqual(feedThrough(0), "[ 0/18] starting");
        // Three instances start side by side: the latest started is shown, the others counted.
        const w2Started = statusAfter((e) => e.resourcePreEvent?.metadata.urn.endsWith("::esiphub-jetstream-worker-2") ?? false);
        assert.strictEqual(feedThrough(w2Started), "[ 6/18] creating openstack:compute/instance:Instance esiphub-jetstream-worker-2 (+2 more)");
        const waiting = statusAfter((e) => e.diagnosticEvent?.message.includes("waiting for the API server") ?? false);
        assert.strictEqual(feedThrough(waiting), "[12/18] creating command:remote:Command esiphub-jetstream-k8s-init - esiphub: init: waiting for the API server");
        const failedAt = statusAfter((e) => !!e.resOpFailedEvent);
        assert.strictEqual(feedThrough(failedAt), "[14/18] waiting for the engine 1 failed");
    });

    it("on a terminal, finished lines stay and the status line is rewritten in place, never wider than the terminal", () => {
        const out = new Sink(true, 60);
        const display = new ProgressDisplay(out, { operation: "up", total: 18 });
        loadEvents("jetstream-up-failed.jsonl").forEach((e) => display.handle(e));
        display.finish();
        assert.ok(out.text.includes("\r\x1b[K["), "the status line is drawn with carriage return + erase line");
        for (const segment of out.text.split(/\r\x1b\[K|\n/)) {
            if (segment.startsWith("[") && !/ (created|failed|warning) /.test(segment)) assert.ok(segment.length <= 59, `status "${segment}" fits 60 columns`);
        }
        // After finish nothing of the status line is left: the screen holds only the permanent lines.
        assert.ok(!out.screen.split("\n").some((l) => l.includes("creating ")), out.screen);
        assert.match(out.screen, /^Resources: 17 created in 6m52s$/m);
    });

    it("an update: replacement, update, create and delete are reported, unchanged resources are counted but not listed", () => {
        const preview = loadEvents("jetstream-update.preview.jsonl");
        const plan = preview.find((e) => e.summaryEvent)!.summaryEvent!.resourceChanges;
        // 15 same + 1 update + 1 replace + 1 create + 1 delete = 19 resources to go through.
        assert.strictEqual(stepCount(plan), 19);
        const out = new Sink(false);
        const display = new ProgressDisplay(out, { operation: "up", total: stepCount(plan) });
        loadEvents("jetstream-update.jsonl").forEach((e) => display.handle(e));
        const report = display.finish();
        const verbs = out.text
            .trimEnd()
            .split("\n")
            .filter((l) => l.startsWith("["))
            .map((l) => l.replace(/^\[[ \d]+\/19\] /, ""));
        assert.deepStrictEqual(verbs, [
            "updated  openstack:networking/secGroup:SecGroup  esiphub-jetstream-sg",
            "created replacement  openstack:compute/instance:Instance  esiphub-jetstream-worker-1",
            "replaced  openstack:compute/instance:Instance  esiphub-jetstream-worker-1",
            "created  command:remote:Command  esiphub-jetstream-k8s-join-worker-2",
            "deleted  openstack:compute/keypair:Keypair  esiphub-jetstream-key",
        ]);
        assert.match(out.text, /^Resources: 1 created, 1 updated, 1 replaced, 1 deleted, 15 unchanged in 3m21s$/m);
        // Every resource once, however many steps it took (the replacement has three).
        assert.strictEqual(report.done, 19);
        assert.strictEqual(report.failures.length, 0);
    });

    it("a preview lists each planned change once, as `pulumi preview` marks it", () => {
        const out = new Sink(false);
        const display = new ProgressDisplay(out, { operation: "preview" });
        loadEvents("jetstream-update.preview.jsonl").forEach((e) => display.handle(e));
        const report = display.finish();
        assert.strictEqual(
            out.text,
            [
                "~ update  openstack:networking/secGroup:SecGroup  esiphub-jetstream-sg",
                "+-replace  openstack:compute/instance:Instance  esiphub-jetstream-worker-1",
                "+ create  command:remote:Command  esiphub-jetstream-k8s-join-worker-2",
                "- delete  openstack:compute/keypair:Keypair  esiphub-jetstream-key",
                "Plan: 1 to create, 1 to update, 1 to replace, 1 to delete, 15 unchanged",
                "",
            ].join("\n"),
        );
        assert.strictEqual(report.done, 19);
    });

    it("a step the engine marks failed without a diagnostic is still reported as a failure", () => {
        const out = new Sink(false);
        const display = new ProgressDisplay(out, { operation: "destroy", total: 1 });
        const metadata = { op: "delete" as const, urn: `${K8S}esiphub-jetstream-k8s-init`, type: "command:remote:Command", provider: "" };
        display.handle({ sequence: 0, timestamp: 1, resourcePreEvent: { metadata } });
        display.handle({ sequence: 1, timestamp: 2, resOpFailedEvent: { metadata, status: 0, steps: 0 } });
        const report = display.finish();
        assert.deepStrictEqual(report.failures, [
            { urn: metadata.urn, type: "command:remote:Command", name: "esiphub-jetstream-k8s-init", message: "failed (the engine gave no message)" },
        ]);
        assert.match(out.text, /^1 failure:\n {2}command:remote:Command {2}esiphub-jetstream-k8s-init: failed \(the engine gave no message\)$/m);
    });

    it("a program error (no resource) is a failure of its own; color markup is removed", () => {
        const out = new Sink(false);
        const display = new ProgressDisplay(out, { operation: "up", total: 1 });
        display.handle({
            sequence: 0,
            timestamp: 1,
            diagnosticEvent: { message: "<{%fg 1%}>ESIPHub configuration of stack \"jetstream\" has 1 problem(s):\nesiphub:users: must be an integer from 1 to 1000, got \"0\"<{%reset%}>\n", color: "raw", severity: "error" },
        });
        const report = display.finish();
        assert.strictEqual(report.failures.length, 1);
        assert.strictEqual(report.failures[0].urn, undefined);
        assert.strictEqual(report.failures[0].message, 'ESIPHub configuration of stack "jetstream" has 1 problem(s):\nesiphub:users: must be an integer from 1 to 1000, got "0"');
        assert.ok(!out.text.includes("<{%"));
    });

    it("helpers: URN names and change summaries", () => {
        assert.strictEqual(urnName(`${K8S}esiphub-jetstream-k8s-init`), "esiphub-jetstream-k8s-init");
        assert.strictEqual(summarizeChanges({ same: 3, create: 2 }, true), "2 to create, 3 unchanged");
        assert.strictEqual(summarizeChanges({ delete: 5 }, false), "5 deleted");
        assert.strictEqual(summarizeChanges({}, false), "no changes");
        assert.strictEqual(stepCount({ same: 3, create: 2, delete: 1 }), 6);
    });
});
