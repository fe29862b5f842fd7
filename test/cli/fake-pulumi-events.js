// The event stream of test/cli/fake-pulumi.sh, sent as the Pulumi CLI (> 3.205) sends it: every line of a recorded
// engine-event log as one EventRequest on the Automation API's gRPC Events service (`--event-log tcp://host:port`),
// then the stream closed and its answer awaited, so every event has arrived before the fake CLI exits.
//   usage: node fake-pulumi-events.js tcp://127.0.0.1:PORT FIXTURE.jsonl
"use strict";
const fs = require("fs");
const path = require("path");
// The gRPC library the SDK's generated client is bound to, not whichever copy npm hoisted.
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
const { EventsClient } = require("@pulumi/pulumi/proto/events_grpc_pb.js");
const { EventRequest } = require("@pulumi/pulumi/proto/events_pb.js");

const [address, fixture] = process.argv.slice(2);
if (!address?.startsWith("tcp://") || !fixture) {
    process.stderr.write("error: fake pulumi: --event-log must be tcp://host:port (the Automation API's events server)\n");
    process.exit(255);
}
const client = new EventsClient(address.slice("tcp://".length), grpc.credentials.createInsecure());
const call = client.streamEvents((err) => {
    client.close();
    if (err) {
        process.stderr.write(`error: fake pulumi: event stream: ${err.message}\n`);
        process.exit(255);
    }
});
for (const line of fs.readFileSync(fixture, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const request = new EventRequest();
    request.setEvent(line);
    call.write(request);
}
call.end();
