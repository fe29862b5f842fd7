import * as pulumi from "@pulumi/pulumi";
import { MockMonitor, MockCallArgs, MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import { OFFLINE_INVOKES } from "./invokes";
import { OFFLINE_STATE } from "./state";

// Not re-exported by the SDK's typings; these modules are part of its public runtime package.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { getStore, withLocalStorage } = require("@pulumi/pulumi/runtime/state") as {
    getStore(): Record<string, unknown>;
    withLocalStorage<T>(callback: () => T): T;
};
// eslint-disable-next-line @typescript-eslint/no-var-requires
const rpc = require("@pulumi/pulumi/runtime/rpc");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export const PROJECT = "esiphub";
export const SECRET = "[secret]";

/** One resource as the engine would receive it: the offline view of a deployment. */
export interface PlannedResource {
    urn: string;
    type: string;
    name: string;
    parent: string | null;
    /** Union of explicit (`dependsOn`) and property dependencies, URNs. */
    dependencies: string[];
    protect: boolean;
    retainOnDelete: boolean;
    /** Inputs with every secret replaced by "[secret]". */
    inputs: Record<string, unknown>;
    custom: boolean;
    provider: string | null;
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    /** The old resource is deleted before its replacement is created (a unique name, port or attachment). */
    deleteBeforeReplace: boolean;
}

export interface PlanResult {
    site: string;
    resources: PlannedResource[];
    /** Stack outputs, secrets replaced by "[secret]". */
    outputs: Record<string, unknown>;
    /** Stack outputs with secret values in clear: for tests only, never printed. */
    rawOutputs: Record<string, unknown>;
    /** Inputs with secret values in clear, by URN: for tests only, never printed. */
    rawInputs: Map<string, Record<string, unknown>>;
}

/** Thrown when the offline run itself fails (an unanswered lookup, a duplicate URN, an error in the program). */
export class PlanError extends Error {}

type Struct = { toJavaScript(): Record<string, unknown> };

/** Replaces each secret envelope by "[secret]" (masked) or its value (clear), and resource references by their URN. */
function unwrap(value: unknown, mask: boolean): unknown {
    if (Array.isArray(value)) return value.map((v) => unwrap(v, mask));
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        const sig = obj[rpc.specialSigKey];
        if (sig === rpc.specialSecretSig) return mask ? SECRET : unwrap(obj.value, mask);
        if (sig === rpc.specialResourceSig) return obj.urn;
        if (sig === rpc.specialOutputValueSig) return obj.secret && mask ? SECRET : unwrap(obj.value, mask);
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrap(v, mask)]));
    }
    return value;
}

/** A mock monitor that records what the program registers and fails loudly on what it cannot answer. */
class RecordingMonitor extends MockMonitor {
    readonly records: PlannedResource[] = [];
    readonly rawInputs = new Map<string, Record<string, unknown>>();
    readonly errors: string[] = [];
    stackOutputs: Record<string, unknown> | undefined;
    rawStackOutputs: Record<string, unknown> | undefined;

    constructor(private readonly onRegister: (type: string) => void = () => undefined) {
        super({
            call: (args: MockCallArgs) => {
                const answer = OFFLINE_INVOKES[args.token];
                if (!answer) {
                    const message = `no offline answer for the lookup ${args.token} (add it to plan/invokes.ts)`;
                    this.errors.push(message);
                    // The SDK rebuilds a failed invoke's error from `details`.
                    throw Object.assign(new Error(message), { details: message });
                }
                return answer(args.inputs);
            },
            newResource: (args: MockResourceArgs) => {
                const extra = OFFLINE_STATE[args.type]?.(args.name, args.inputs) ?? {};
                return { id: args.id || `${args.name}-id`, state: { ...args.inputs, ...extra } };
            },
        });
    }

    async registerResource(req: any, callback: (err: any, response: any) => void): Promise<void> {
        this.onRegister(req.getType());
        return super.registerResource(req, (err: any, response: any) => {
            if (err) {
                this.errors.push(`${req.getType()} "${req.getName()}": ${err.message ?? err}`);
                return callback(err, response);
            }
            const urn: string = response.getUrn();
            if (this.records.some((r) => r.urn === urn)) {
                const message = `duplicate URN ${urn}: two resources share a type and name`;
                this.errors.push(message);
                return callback(new Error(message), undefined);
            }
            const deps = new Set<string>(req.getDependenciesList());
            req.getPropertydependenciesMap().forEach((d: { getUrnsList(): string[] }) => d.getUrnsList().forEach((u) => deps.add(u)));
            const object = (req.getObject() as Struct | undefined)?.toJavaScript() ?? {};
            this.records.push({
                urn,
                type: req.getType(),
                name: req.getName(),
                parent: req.getParent() || null,
                dependencies: [...deps].sort(),
                protect: !!req.getProtect(),
                retainOnDelete: !!req.getRetainondelete(),
                inputs: unwrap(object, true) as Record<string, unknown>,
                custom: !!req.getCustom(),
                provider: req.getProvider() || null,
                ignoreChanges: req.getIgnorechangesList(),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                deleteBeforeReplace: !!req.getDeletebeforereplace(),
            });
            this.rawInputs.set(urn, unwrap(object, false) as Record<string, unknown>);
            callback(null, response);
        });
    }

    registerResourceOutputs(req: any, callback: (err: any, response: any) => void): void {
        if (req.getUrn().split("::")[2] === "pulumi:pulumi:Stack") {
            const outputs = (req.getOutputs() as Struct | undefined)?.toJavaScript() ?? {};
            this.stackOutputs = unwrap(outputs, true) as Record<string, unknown>;
            this.rawStackOutputs = unwrap(outputs, false) as Record<string, unknown>;
        }
        super.registerResourceOutputs(req, callback);
    }
}

export interface PlanOptions {
    /** Raw config (`namespace:key` → value) visible to the program through `pulumi.Config`. */
    config?: Record<string, string>;
    secretKeys?: string[];
    /** Called with the type of each registration the program asks for, before the engine answers (failed runs too). */
    onRegister?: (type: string) => void;
}

let running = false;

/** One macrotask turn: rejections queued by the same cascade are reported before it ends. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs a Pulumi program under the recording monitor, as `pulumi preview` would run it against a real engine,
 * and returns every registered resource and the stack outputs.
 *
 * Each run gets a runtime store of its own (the SDK's `withLocalStorage`, which the Automation API uses for inline
 * programs): the monitor, config and RPC queue of a run that failed, whose dependents wait forever as they would
 * under a real engine that has exited, never reach the next run. So failing runs are planned in this process, one
 * after another. Unhandled rejections are process-wide, so runs still take turns.
 */
export function planProgram(
    site: string,
    program: () => Promise<Record<string, unknown>> | Record<string, unknown>,
    options: PlanOptions = {},
): Promise<PlanResult> {
    if (running) return Promise.reject(new PlanError("planProgram is already running: unhandled rejections are process-wide, so runs take turns"));
    return withLocalStorage(() => planInStore(site, program, options));
}

async function planInStore(
    site: string,
    program: () => Promise<Record<string, unknown>> | Record<string, unknown>,
    options: PlanOptions,
): Promise<PlanResult> {
    running = true;
    const monitor = new RecordingMonitor(options.onRegister);
    const unhandled: string[] = [];
    // A failed registration leaves its dependents waiting forever: end the run at the first failure.
    let failNow: (e: Error) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (failNow = reject));
    const onUnhandled = (reason: unknown) => {
        unhandled.push(reason instanceof Error ? reason.message : String(reason));
        failNow(new PlanError([...new Set([...monitor.errors, ...unhandled])].join("\n")));
    };
    process.on("unhandledRejection", onUnhandled);
    try {
        pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys ?? []);
        setMockOptions(monitor, PROJECT, site, false);
        const store = getStore();
        store.supportsSecrets = true;
        store.supportsResourceReferences = true;
        store.supportsOutputValues = false;
        store.supportsDeletedWith = true;
        store.supportsAliasSpecs = true;
        await Promise.race([
            (async () => {
                await pulumi.runtime.runInPulumiStack(async () => program());
                // Resource registrations that nothing awaited still run; wait for them all.
                await waitForRPCs();
            })(),
            failed,
        ]);
        const errors = [...monitor.errors, ...unhandled];
        if (errors.length > 0) throw new PlanError([...new Set(errors)].join("\n"));
        return {
            site,
            resources: monitor.records,
            outputs: monitor.stackOutputs ?? {},
            rawOutputs: monitor.rawStackOutputs ?? {},
            rawInputs: monitor.rawInputs,
        };
    } catch (e) {
        // The other uses of a failed lookup reject in the same cascade: collect them, so the error lists them all.
        await nextTurn();
        if (e instanceof PlanError) throw new PlanError([...new Set([...monitor.errors, ...unhandled])].join("\n") || e.message);
        throw e;
    } finally {
        process.off("unhandledRejection", onUnhandled);
        running = false;
    }
}
