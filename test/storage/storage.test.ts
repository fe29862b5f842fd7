import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { SiteConfig } from "../../components/config";
import { ClusterHosts, ClusterNode, NodeRole } from "../../components/hosts";
import { REMOTE_SHELL, renderScript, scriptHash } from "../../components/remote";
import { NfsStorage } from "../../components/storage/storage";
import {
    HUB_DB,
    hubDbDirParams,
    MATERIALS_CLAIM_NAME,
    NFS_EXPORT_DIR,
    nfsServerParams,
    PROVISIONER_CHART,
    PROVISIONER_NAMESPACE,
    SCRATCH_CLAIM_NAME,
    storageScript,
    USER_DIR_PATTERN,
} from "../../components/storage/values";
import { nodeLayout } from "../../components/cloud";
import { findResource, planProgram, PlannedResource, PlanResult, resourcesOfType, runStack, Site, SITES, testConfig } from "../mocks";

const COMMAND = "command:remote:Command";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const PV = "kubernetes:core/v1:PersistentVolume";
const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";
const STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass";

/** A resource of this layer, by the end of its name (the whole program prefixes the site's name). */
const own = (suffix: string) => new RegExp(`(^|-)storage-${suffix}$`);

/** The SSH host of a remote command (the connection holds the private key, so it is a secret as a whole). */
const hostOf = (result: PlanResult, r: PlannedResource): unknown => at(result.rawInputs.get(r.urn), "connection.host");

const at = (value: unknown, dotted: string): any => dotted.split(".").reduce((v: any, k) => (v === undefined || v === null ? undefined : v[k]), value);

/** A cloud resource of the test's own (VM, attachment, the cluster's last step). */
class FakeResource extends pulumi.CustomResource {
    constructor(type: string, name: string) {
        super(type, name, {});
    }
}

/** Hosts as a cloud layer hands them over: VMs, their addresses and connections, the attached data volume. */
function fakeHosts(config: SiteConfig, opts: { dedicatedNfs: boolean }): ClusterHosts {
    const node = (name: string, role: NodeRole, ip: string): ClusterNode => ({
        name,
        role,
        privateIp: pulumi.output(ip),
        connection: pulumi.output({ host: ip, user: config.ssh.user, privateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----") }),
        hostKey: pulumi.output("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIStandInHostKeyOfTheNode"),
        instance: new FakeResource("test:index:Vm", name),
    });
    const master = node(`${config.site}-master`, "master", "10.9.0.10");
    const workers = Array.from({ length: config.nodes.workers }, (_, i) => node(`${config.site}-worker-${i + 1}`, "worker", `10.9.0.${20 + i}`));
    const nfs = opts.dedicatedNfs ? node(`${config.site}-nfs`, "nfs", "10.9.0.5") : master;
    const attachment = new FakeResource("test:index:VolumeAttachment", "data-attachment");
    return {
        master,
        workers,
        nfs,
        publicIp: pulumi.output("203.0.113.10"),
        dataVolume: { id: pulumi.output("vol-1"), serial: pulumi.output("0c9d2a4e-5b7f-4e3a-9c1d-2f6e8a0b4c7d"), attachment },
        sshCommand: pulumi.output("ssh ubuntu@203.0.113.10"),
    };
}

/** Plans NfsStorage alone on fake hosts; the program's outputs are the component's. */
function planStorage(site: Site, overrides: Record<string, string> = {}, opts = { dedicatedNfs: false }): Promise<PlanResult> {
    return planProgram(site, () => {
        const config = testConfig(site, overrides);
        const hosts = fakeHosts(config, opts);
        const provider = new k8s.Provider("cluster", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
        const clusterReady = new FakeResource("test:index:ClusterReady", "cluster-ready");
        const storage = new NfsStorage("storage", { config, hosts, provider, clusterReady });
        return {
            namespace: storage.namespace,
            storageClassName: storage.storageClassName,
            scratchClaimName: storage.scratchClaimName,
            materialsClaimName: storage.materialsClaimName,
            hubDbClaimName: storage.hubDbClaimName,
            ready: storage.ready.map((r) => r.urn),
        };
    });
}

function urnOf(result: PlanResult, type: string, name: string): string {
    return findResource(result, type, name).urn;
}

/** What every stack must have, whether planned alone or as part of the whole program. */
function assertStorage(result: PlanResult, config: SiteConfig, nfsServerIp: string, masterName: string): void {
    const release = findResource(result, RELEASE, own("provisioner"));
    const r = release.inputs as any;
    assert.strictEqual(r.chart, PROVISIONER_CHART.chart);
    assert.strictEqual(r.version, "4.0.18");
    assert.strictEqual(r.repositoryOpts.repo, "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/");
    assert.strictEqual(r.namespace, PROVISIONER_NAMESPACE);
    assert.strictEqual(r.values.nfs.server, nfsServerIp);
    assert.strictEqual(r.values.nfs.path, NFS_EXPORT_DIR);
    assert.deepStrictEqual(r.values.storageClass, {
        name: config.storage.storageClass,
        defaultClass: true,
        reclaimPolicy: "Retain",
        archiveOnDelete: true,
        pathPattern: USER_DIR_PATTERN,
    });
    // The chart installs only once the NFS server is set up (which waits for the data volume).
    const nfsServer = findResource(result, COMMAND, own("nfs-server"));
    assert.ok(release.dependencies.includes(nfsServer.urn), "the release does not wait for the NFS server");

    const namespace = findResource(result, NAMESPACE_TYPE, own("namespace"));
    assert.strictEqual(at(namespace.inputs, "metadata.name"), config.hub.namespace);

    const scratch = findResource(result, PVC, own("scratch"));
    assert.deepStrictEqual(scratch.inputs.spec, {
        accessModes: ["ReadWriteMany"],
        storageClassName: config.storage.storageClass,
        resources: { requests: { storage: config.storage.scratchSize } },
    });
    assert.deepStrictEqual(scratch.inputs.metadata, { name: SCRATCH_CLAIM_NAME, namespace: config.hub.namespace });
    assert.ok(scratch.retainOnDelete, "the scratch claim could be deleted by Pulumi");
    assert.ok(scratch.dependencies.includes(release.urn), "the scratch claim does not wait for the provisioner");

    // The instructors' materials: a claim of its own beside the scratch, kept like it.
    const materials = findResource(result, PVC, own("materials"));
    assert.deepStrictEqual(materials.inputs.spec, {
        accessModes: ["ReadWriteMany"],
        storageClassName: config.storage.storageClass,
        resources: { requests: { storage: config.storage.materialsSize } },
    });
    assert.deepStrictEqual(materials.inputs.metadata, { name: MATERIALS_CLAIM_NAME, namespace: config.hub.namespace });
    assert.ok(materials.retainOnDelete, "the materials claim could be deleted by Pulumi");
    assert.ok(materials.dependencies.includes(release.urn), "the materials claim does not wait for the provisioner");

    // The hub database: a local volume on the master, its own class, bound to the one claim.
    const volume = findResource(result, PV, own("hub-db-volume"));
    const claim = findResource(result, PVC, own("hub-db"));
    const hubDbClass = findResource(result, STORAGE_CLASS, own("hub-db-class"));
    assert.strictEqual(at(hubDbClass.inputs, "provisioner"), "kubernetes.io/no-provisioner");
    assert.notStrictEqual(HUB_DB.storageClassName, config.storage.storageClass);
    const pv = volume.inputs.spec as any;
    assert.deepStrictEqual(pv.local, { path: HUB_DB.dir });
    assert.deepStrictEqual(pv.nodeAffinity.required.nodeSelectorTerms, [
        { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [masterName] }] },
    ]);
    assert.strictEqual(pv.storageClassName, HUB_DB.storageClassName);
    assert.strictEqual(pv.persistentVolumeReclaimPolicy, "Retain");
    assert.deepStrictEqual(pv.claimRef, { namespace: config.hub.namespace, name: HUB_DB.claimName });
    assert.deepStrictEqual(claim.inputs.spec, {
        accessModes: ["ReadWriteOnce"],
        storageClassName: HUB_DB.storageClassName,
        volumeName: at(volume.inputs, "metadata.name"),
        resources: { requests: { storage: HUB_DB.size } },
    });
    assert.strictEqual(at(claim.inputs, "metadata.namespace"), config.hub.namespace);
    assert.ok(claim.retainOnDelete, "the hub database claim could be deleted by Pulumi");
    // The local directory is made on the master before the volume points at it.
    const hubDbDir = findResource(result, COMMAND, own("hub-db-dir"));
    assert.ok(volume.dependencies.includes(hubDbDir.urn));
    const hubDbScript = storageScript("hub-db-dir");
    assert.strictEqual(hubDbDir.inputs.create, REMOTE_SHELL);
    assert.strictEqual(hubDbDir.inputs.stdin, renderScript(hubDbScript, hubDbDirParams()));
    assert.match(String(hubDbDir.inputs.stdin), new RegExp(`^export ESIPHUB_HUB_DB_DIR='${HUB_DB.dir}'$`, "m"));
    assert.deepStrictEqual(hubDbDir.inputs.triggers, [scriptHash(hubDbScript)]);
}

describe("NfsStorage", function () {
    describe("alone, on given hosts", function () {
        for (const site of SITES) {
            it(`${site}: provisioner, scratch and materials claims and hub database volume`, async function () {
                const config = testConfig(site);
                const result = await planStorage(site);
                assertStorage(result, config, "10.9.0.10", `${site}-master`);
                assert.deepStrictEqual(result.outputs, {
                    namespace: config.hub.namespace,
                    storageClassName: config.storage.storageClass,
                    scratchClaimName: SCRATCH_CLAIM_NAME,
                    materialsClaimName: MATERIALS_CLAIM_NAME,
                    hubDbClaimName: HUB_DB.claimName,
                    ready: [
                        urnOf(result, RELEASE, "storage-provisioner"),
                        urnOf(result, PVC, "storage-scratch"),
                        urnOf(result, PVC, "storage-materials"),
                        urnOf(result, PVC, "storage-hub-db"),
                    ],
                });
            });
        }

        it("runs nfs-server.sh on the NFS host once the data volume is attached, re-running when a script changes", async function () {
            const result = await planStorage("jetstream");
            const command = findResource(result, COMMAND, "storage-nfs-server");
            const server = storageScript("nfs-server");
            const serial = "0c9d2a4e-5b7f-4e3a-9c1d-2f6e8a0b4c7d";
            assert.strictEqual(command.inputs.stdin, renderScript(server, nfsServerParams(testConfig("jetstream"), serial)));
            assert.deepStrictEqual(command.inputs.triggers, [scriptHash(server), scriptHash(storageScript("nfs-quota"))]);
            assert.ok(command.dependencies.includes(urnOf(result, "test:index:VolumeAttachment", "data-attachment")));
            assert.strictEqual(hostOf(result, command), "10.9.0.10");
            assert.strictEqual(command.inputs.connection, "[secret]");
            assert.strictEqual(command.inputs.create, REMOTE_SHELL);
            const stdin = String(command.inputs.stdin);
            assert.match(stdin, /^export ESIPHUB_VOLUME_SERIAL='0c9d2a4e-5b7f-4e3a-9c1d-2f6e8a0b4c7d'$/m);
            assert.match(stdin, /^export ESIPHUB_EXPORT_CIDR='10\.42\.0\.0\/24'$/m);
            assert.match(stdin, /^export ESIPHUB_QUOTA_BYTES='10737418240'$/m);
            assert.match(stdin, /^export ESIPHUB_QUOTA_PARENT='jhub'$/m);
            assert.match(stdin, /^export ESIPHUB_QUOTA_SHARED='esiphub-scratch=214748364800 esiphub-materials=21474836480'$/m);
            // No delete step: destroying the stack never unexports or wipes the volume.
            assert.strictEqual(command.inputs.delete, undefined);
        });

        it("with a dedicated NFS node: the server runs there and the provisioner points at it", async function () {
            const config = testConfig("nebula");
            const result = await planStorage("nebula", {}, { dedicatedNfs: true });
            assertStorage(result, config, "10.9.0.5", "nebula-master");
            assert.strictEqual(hostOf(result, findResource(result, COMMAND, "storage-nfs-server")), "10.9.0.5");
            assert.ok(findResource(result, COMMAND, "storage-nfs-server").dependencies.includes(urnOf(result, "test:index:Vm", "nebula-nfs")));
        });

        it("follows the configured class name, namespace and sizes", async function () {
            const overrides = { "esiphub:storageClass": "homes", "esiphub:hubNamespace": "workshop", "esiphub:scratchSize": "300Gi", "esiphub:storagePerUser": "20Gi", "esiphub:materialsSize": "50Gi" };
            const config = testConfig("jetstream", overrides);
            const result = await planStorage("jetstream", overrides);
            assertStorage(result, config, "10.9.0.10", "jetstream-master");
            assert.strictEqual(at(findResource(result, PVC, "storage-scratch").inputs, "spec.resources.requests.storage"), "300Gi");
            assert.strictEqual(at(findResource(result, PVC, "storage-materials").inputs, "spec.resources.requests.storage"), "50Gi");
            const stdin = String(findResource(result, COMMAND, "storage-nfs-server").inputs.stdin);
            assert.match(stdin, /^export ESIPHUB_QUOTA_BYTES='21474836480'$/m);
            assert.match(stdin, /^export ESIPHUB_QUOTA_PARENT='workshop'$/m);
        });

        it("every Kubernetes object waits for the cluster and goes through its provider", async function () {
            const result = await planStorage("nebula");
            const ready = urnOf(result, "test:index:ClusterReady", "cluster-ready");
            const objects = result.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");
            assert.strictEqual(objects.length, 7);
            const reaches = (r: PlannedResource, seen = new Set<string>()): boolean =>
                r.dependencies.includes(ready) ||
                r.dependencies.some((d) => {
                    if (seen.has(d)) return false;
                    seen.add(d);
                    const next = result.resources.find((x) => x.urn === d);
                    return next !== undefined && reaches(next, seen);
                });
            for (const o of objects) {
                assert.ok(reaches(o), `${o.type} ${o.name} does not wait for the cluster`);
                assert.match(String(o.provider), /::cluster::/, `${o.type} ${o.name} is not on the cluster's provider`);
            }
        });

        for (const [key, value, problem] of [
            ["esiphub:hubNamespace", PROVISIONER_NAMESPACE, /esiphub:hubNamespace: "esiphub-storage" is the NFS provisioner's namespace/],
            ["esiphub:storageClass", HUB_DB.storageClassName, /esiphub:storageClass: "esiphub-hub-db" is the class of the hub database's local volume/],
        ] as const) {
            it(`refuses ${key} = ${value}, naming the key`, async function () {
                await assert.rejects(planStorage("nebula", { [key]: value }), problem);
            });
        }
    });

    describe("in the whole program", function () {
        /** The release of the hub layer waits for what the storage layer says it must. */
        function assertHubWaits(result: PlanResult): void {
            const needed = [
                findResource(result, RELEASE, own("provisioner")),
                findResource(result, PVC, own("scratch")),
                findResource(result, PVC, own("materials")),
                findResource(result, PVC, own("hub-db")),
            ];
            const hubReleases = resourcesOfType(result, RELEASE).filter((r) => r.urn !== needed[0].urn);
            assert.strictEqual(hubReleases.length, 1);
            for (const n of needed) assert.ok(hubReleases[0].dependencies.includes(n.urn), `the hub does not wait for ${n.name}`);
        }

        for (const site of SITES) {
            it(`${site}: the provisioner on the NFS host's address, scratch claim and hub database volume`, async function () {
                const result = await runStack(site);
                const config = testConfig(site);
                const master = nodeLayout(config).find((n) => n.role === "master")!;
                // These stacks serve NFS from the master.
                assert.strictEqual(config.nodes.dedicatedNfsNode, false);
                const masterIp = result.outputs.masterPrivateIp as string;
                assert.match(masterIp, /^10\.\d+\.\d+\.\d+$/);
                assertStorage(result, config, masterIp, master.name);
                assertHubWaits(result);
            });
        }

        it("with esiphub:nfsNode the provisioner points at the NFS node, not the master", async function () {
            const result = await runStack("jetstream", { "esiphub:nfsNode": "true" });
            const config = testConfig("jetstream", { "esiphub:nfsNode": "true" });
            const server = (findResource(result, RELEASE, own("provisioner")).inputs as any).values.nfs.server as string;
            assert.match(server, /^10\.42\.0\.\d+$/);
            assert.notStrictEqual(server, result.outputs.masterPrivateIp);
            assertStorage(result, config, server, `${config.site}-master`);
            assert.strictEqual(hostOf(result, findResource(result, COMMAND, own("nfs-server"))), server);
        });
    });
});
