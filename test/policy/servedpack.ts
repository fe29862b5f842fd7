/**
 * Runs policy/ the way `pulumi preview --policy-pack policy` does (the Node.js policy host
 * `@pulumi/pulumi/cmd/run-policy-pack` in the pack's folder, which type-checks and serves it over gRPC on 127.0.0.1)
 * and talks to it as the engine does: configure, getAnalyzerInfo, analyze one resource at a time.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { PlannedResource, PlanResult } from "../mocks";

// The engine's protocol, from the SDK's generated code (no typings worth having for these).
/* eslint-disable @typescript-eslint/no-var-requires */
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb.js", { paths: [path.dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"))] }));
const rpc = require("@pulumi/pulumi/runtime/rpc");
/* eslint-enable @typescript-eslint/no-var-requires */

export const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");
const LEVELS: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };

export interface PackDiagnostic {
    policy: string;
    enforcement: string;
    urn: string;
    message: string;
}

export interface PackAnswer {
    diagnostics: PackDiagnostic[];
    notApplicable: { policy: string; reason: string }[];
}

export interface PackInfo {
    name: string;
    version: string;
    policies: { name: string; enforcement: string; configSchema?: Record<string, unknown> }[];
}

/**
 * The inputs as the engine sends them: each "[secret]" of the planned inputs replaced by the clear value in the
 * engine's secret envelope. Everything else comes from the planned inputs, so a test may change them.
 */
export function engineProperties(masked: unknown, raw: unknown): unknown {
    if (masked === "[secret]") return { [rpc.specialSigKey]: rpc.specialSecretSig, value: raw };
    const rawAt = (key: string | number) => (raw && typeof raw === "object" ? (raw as Record<string | number, unknown>)[key] : undefined);
    if (Array.isArray(masked)) return masked.map((m, i) => engineProperties(m, rawAt(i)));
    if (masked && typeof masked === "object") {
        return Object.fromEntries(Object.entries(masked).map(([k, m]) => [k, engineProperties(m, rawAt(k))]));
    }
    return masked;
}

export class ServedPack {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
        private readonly stderr: () => string,
    ) {}

    static async start(): Promise<ServedPack> {
        const host = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
        // The engine address is only used to report errors; nothing listens on port 9 of the loopback.
        const child = spawn(process.execPath, [host, "127.0.0.1:9", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        const port = await new Promise<number>((resolve, reject) => {
            child.stdout!.on("data", (d) => {
                stdout += d;
                const m = /^(\d+)\s*$/m.exec(stdout);
                if (m) resolve(Number(m[1]));
            });
            child.on("exit", (code) => reject(new Error(`the policy pack exited (${code}) before serving:\n${stdout}${stderr}`)));
        });
        const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new ServedPack(child, client, () => stderr);
    }

    private call<T>(method: string, request: unknown): Promise<T> {
        return new Promise((resolve, reject) =>
            this.client[method](request, (err: Error | null, response: T) => (err ? reject(new Error(`${method}: ${err.message}\n${this.stderr()}`)) : resolve(response))),
        );
    }

    async info(): Promise<PackInfo> {
        const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js");
        const info = await this.call<any>("getAnalyzerInfo", new Empty());
        return {
            name: info.getName(),
            version: info.getVersion(),
            policies: info.getPoliciesList().map((p: any) => ({
                name: p.getName(),
                enforcement: LEVELS[p.getEnforcementlevel()],
                configSchema: p.getConfigschema()?.getProperties()?.toJavaScript(),
            })),
        };
    }

    /** Policy configuration, as `--policy-pack-config` hands it over. */
    async configure(config: Record<string, Record<string, unknown>>): Promise<void> {
        const request = new analyzerPb.ConfigureAnalyzerRequest();
        for (const [policy, properties] of Object.entries(config)) {
            const pc = new analyzerPb.PolicyConfig();
            pc.setEnforcementlevel(1);
            pc.setProperties(Struct.fromJavaScript(properties));
            request.getPolicyconfigMap().set(policy, pc);
        }
        await this.call("configure", request);
    }

    /** The pack's verdict on one planned resource, with the inputs and options the engine would send. */
    async analyze(resource: PlannedResource, plan: PlanResult, overrides: { protect?: boolean } = {}): Promise<PackAnswer> {
        const request = new analyzerPb.AnalyzeRequest();
        request.setType(resource.type);
        request.setName(resource.name);
        request.setUrn(resource.urn);
        request.setProperties(Struct.fromJavaScript(engineProperties(resource.inputs, plan.rawInputs.get(resource.urn) ?? resource.inputs)));
        const options = new analyzerPb.AnalyzerResourceOptions();
        options.setProtect(overrides.protect ?? resource.protect);
        options.setIgnorechangesList(resource.ignoreChanges);
        options.setAdditionalsecretoutputsList(resource.additionalSecretOutputs);
        if (resource.parent) options.setParent(resource.parent);
        request.setOptions(options);
        const response = await this.call<any>("analyze", request);
        return {
            diagnostics: response.getDiagnosticsList().map((d: any) => ({
                policy: d.getPolicyname(),
                enforcement: LEVELS[d.getEnforcementlevel()],
                urn: d.getUrn(),
                message: d.getMessage(),
            })),
            notApplicable: response.getNotApplicableList().map((n: any) => ({ policy: n.getPolicyName(), reason: n.getReason() })),
        };
    }

    stop(): void {
        this.client.close();
        if (this.child.exitCode === null) this.child.kill();
    }
}
