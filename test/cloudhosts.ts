/**
 * Helpers of the cloud layer's tests (test/openstack, test/aws): the hosts component of one site planned alone,
 * for the runs that succeed and for the runs that fail.
 *
 * A failed lookup fails the resources that use it, and everything that depends on those waits forever; a real
 * `pulumi up` ends on the first such error (the program exits on an unhandled rejection). planProgram ends the
 * run there too, and gives every run a runtime store of its own, so a failed run leaves nothing that reaches the
 * next one: the failure cases run in this process, one after another.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { OFFLINE_INVOKES } from "../plan/invokes";
import { planProgram, PlanResult, stackConfig, testConfig, Site } from "./mocks";
import * as YAML from "yaml";
import { ClusterHosts } from "../components/hosts";
import { SiteConfig } from "../components/config";
import { OFFLINE_STATE } from "../plan/state";
import { resourcesOfType } from "./mocks";

export interface HostsPlan extends PlanResult {
    config: SiteConfig;
    /** Every lookup the run made: token and arguments. */
    invokes: { token: string; inputs: Record<string, unknown> }[];
}

/** The stack outputs of a hosts component: what the next layers read of it. */
function hostOutputs(hosts: ClusterHosts): Record<string, unknown> {
    const nodes = [hosts.master, ...hosts.workers, ...(hosts.nfs === hosts.master ? [] : [hosts.nfs])];
    return {
        publicIp: hosts.publicIp,
        sshCommand: hosts.sshCommand,
        nodes: nodes.map((n) => ({ name: n.name, role: n.role, privateIp: n.privateIp })),
        connections: Object.fromEntries(nodes.map((n) => [n.name, n.connection])),
        hostKeys: Object.fromEntries(nodes.map((n) => [n.name, n.hostKey])),
        nfs: hosts.nfs.name,
        dataVolumeId: hosts.dataVolume.id,
        volumeSerial: hosts.dataVolume.serial,
    };
}

function buildHosts(config: SiteConfig): ClusterHosts {
    // Required here so that each cloud's SDK loads only for its own tests.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { OpenStackHosts } = require("../components/openstack/hosts") as typeof import("../components/openstack/hosts");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { AwsHosts } = require("../components/aws/hosts") as typeof import("../components/aws/hosts");
    const privateKey = pulumi.secret(config.ssh.privateKey);
    return config.cloud === "aws" ? new AwsHosts(`esiphub-${config.site}-aws`, { config, privateKey }) : new OpenStackHosts(`esiphub-${config.site}-openstack`, { config, privateKey });
}

/** Plans the hosts component of a stack file (with overrides) alone, recording its lookups. */
export async function planHosts(site: Site, overrides: Record<string, string | undefined> = {}): Promise<HostsPlan> {
    const config = testConfig(site, overrides);
    const invokes: HostsPlan["invokes"] = [];
    const originals = { ...OFFLINE_INVOKES };
    for (const [token, answer] of Object.entries(originals)) {
        OFFLINE_INVOKES[token] = (inputs) => {
            invokes.push({ token, inputs });
            return answer(inputs);
        };
    }
    try {
        const result = await planProgram(site, () => hostOutputs(buildHosts(config)), stackConfig(site, overrides));
        return { ...result, config, invokes };
    } finally {
        Object.assign(OFFLINE_INVOKES, originals);
    }
}

export interface FailureCase {
    site: "nebula" | "jetstream" | "aws";
    /** Raw config for the SiteConfig the component is built from; `null` removes a key. */
    overrides?: Record<string, string | null>;
    /** Raw config the offline cloud sees (e.g. without a custom flavor, so the cloud lacks it); defaults to `overrides`. */
    cloudOverrides?: Record<string, string | null>;
}

/** JSON has no undefined: null stands for "remove the key". */
const unset = (o: Record<string, string | null> = {}) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v ?? undefined]));

/** The error a run of the site's hosts component ends with, or undefined when it succeeds. */
export async function planFailure(failure: FailureCase): Promise<string | undefined> {
    const config = testConfig(failure.site, unset(failure.overrides));
    const cloud = stackConfig(failure.site, unset(failure.cloudOverrides ?? failure.overrides));
    try {
        await planProgram(failure.site, () => ({ publicIp: buildHosts(config).publicIp }), cloud);
        return undefined;
    } catch (e) {
        return e instanceof Error ? e.message : String(e);
    }
}

/** One test per case, each planning its site in this process and matching the error it ends with. */
export function failureCases(title: string, cases: { title: string; run: FailureCase; error: RegExp | undefined }[]): void {
    describe(title, () => {
        for (const c of cases) {
            it(c.title, async () => {
                const error = await planFailure(c.run);
                if (c.error) assert.match(String(error), c.error);
                else assert.strictEqual(error, undefined);
            });
        }
    });
}

export const HOST_KEY = "tls:index/privateKey:PrivateKey";

/**
 * Pinned host keys, for the instances of `instanceType` named by `nodeName` of the plan: one ED25519 key of the
 * program per VM, installed by its user data (secret: masked in what is shown, the key in the clear values kept for
 * tests), every connection pinning its own node's key and, through the master, the master's.
 */
export function assertHostKeysPinned(plan: HostsPlan, instanceType: string, nodeName: (instance: { inputs: Record<string, unknown>; name: string }) => string): void {
    const keys = resourcesOfType(plan, HOST_KEY);
    const instances = resourcesOfType(plan, instanceType);
    assert.strictEqual(keys.length, instances.length, "one host key per VM");
    const hostKeys = plan.rawOutputs.hostKeys as Record<string, string>;
    const connections = plan.rawOutputs.connections as Record<string, { hostKey: string; proxy?: { host: string; hostKey: string } }>;
    const masterName = Object.keys(hostKeys).find((n) => n.endsWith("-master"))!;
    for (const instance of instances) {
        const node = nodeName(instance);
        const key = keys.find((k) => k.name === `${instance.name}-host-key`);
        assert.ok(key, `${node} has a host key of its own`);
        assert.deepStrictEqual(key.inputs, { algorithm: "ED25519" });
        assert.ok(instance.dependencies.includes(key.urn), `${node}'s VM waits for its key`);
        const made = OFFLINE_STATE[HOST_KEY](key.name, {}) as { privateKeyOpenssh: string; publicKeyOpenssh: string };
        assert.strictEqual(instance.inputs.userData, "[secret]", `${node}'s user data is a secret`);
        const userData = YAML.parse(String(plan.rawInputs.get(instance.urn)!.userData));
        assert.strictEqual(userData.hostname, node);
        assert.deepStrictEqual(userData.ssh_keys, { ed25519_private: made.privateKeyOpenssh, ed25519_public: made.publicKeyOpenssh.trim() });
        assert.strictEqual(userData.ssh_deletekeys, true);
        assert.strictEqual(hostKeys[node], made.publicKeyOpenssh.trim(), `${node} hands its own key to the next layers`);
        assert.strictEqual(connections[node].hostKey, hostKeys[node], `the connection to ${node} pins ${node}'s key`);
        if (node === masterName) assert.strictEqual(connections[node].proxy, undefined);
        else assert.strictEqual(connections[node].proxy?.hostKey, hostKeys[masterName], `the hop to ${node} pins the master's key`);
    }
    assert.strictEqual(new Set(Object.values(hostKeys)).size, Object.keys(hostKeys).length, "no two nodes share a key");
    assert.doesNotMatch(JSON.stringify(plan.resources.map((r) => r.inputs)), /PRIVATE KEY/, "no private key in the inputs shown");
}
