import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { renderScript } from "../../components/remote";
import { quotaEnforcer, quotaParents, sharedQuotas, storageScript, StorageScriptName } from "../../components/storage/values";
import { testConfig } from "../mocks";
import { callsOf, Disk, RunResult, SCRIPTS_DIR, StubHost } from "./stubs";

/** The quota enforcer as installed on the NFS host: nfs-quota.sh rendered with lib.sh, no parameters. */
const QUOTA_ENFORCER = quotaEnforcer();
const EXISTING_UUID = "9d1e2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c1b";
const ME = `${process.getuid!()}:${process.getgid!()}`;

/** The data volume (a Cinder id) and another volume attached beside it. */
const VOLUME = "1b7c3e2a-5d4f-4a6b-9c8d-7e6f5a4b3c2d";
const OTHER_VOLUME = "1b7c3e2a-0000-4c1d-8e2f-3a4b5c6d7e8f";
const EBS_VOLUME = "vol0123456789abcdef0";

/**
 * What a VM shows for its disks on each bus, with the data volume and another volume beside the root disk:
 * - virtio-scsi (Jetstream2): QEMU gives the disk the whole volume id as serial (VPD page 0x80, up to 36
 *   characters: lsblk SERIAL) and its first 20 as device id (page 0x83, MAX_SERIAL_LEN_FOR_DEVID), which udev turns
 *   into scsi-0QEMU_QEMU_HARDDISK_<20>; the local root disk has no serial, only QEMU's drive name.
 * - virtio-blk: the kernel reads at most 20 characters of serial (VIRTIO_BLK_ID_BYTES): lsblk and virtio-<20>.
 * - NVMe on a Nitro EC2 instance: serial vol<id> (the EBS id without its dash), nvme-Amazon_Elastic_Block_Store_<serial>.
 */
const LAYOUTS: Record<string, { disks: Disk[]; serial: string; device: string }> = {
    "SCSI (Jetstream2)": {
        serial: VOLUME,
        device: "/dev/sdc",
        disks: [
            { name: "sda", byId: ["scsi-0QEMU_QEMU_HARDDISK_drive-scsi0-0-0-0"] },
            { name: "sdb", serial: OTHER_VOLUME, byId: [`scsi-0QEMU_QEMU_HARDDISK_${OTHER_VOLUME.slice(0, 20)}`] },
            { name: "sdc", serial: VOLUME, byId: [`scsi-0QEMU_QEMU_HARDDISK_${VOLUME.slice(0, 20)}`] },
        ],
    },
    "virtio-blk": {
        serial: VOLUME,
        device: "/dev/vdb",
        disks: [
            { name: "vda" },
            { name: "vdb", serial: VOLUME.slice(0, 20), byId: [`virtio-${VOLUME.slice(0, 20)}`] },
            { name: "vdc", serial: OTHER_VOLUME.slice(0, 20), byId: [`virtio-${OTHER_VOLUME.slice(0, 20)}`] },
        ],
    },
    "NVMe (EBS on Nitro)": {
        serial: EBS_VOLUME,
        device: "/dev/nvme2n1",
        disks: [
            { name: "nvme0n1", serial: "vol0fedcba9876543210", byId: ["nvme-Amazon_Elastic_Block_Store_vol0fedcba9876543210"] },
            { name: "nvme1n1", serial: "vol0aaaabbbbccccdddd0", byId: ["nvme-Amazon_Elastic_Block_Store_vol0aaaabbbbccccdddd0"] },
            { name: "nvme2n1", serial: EBS_VOLUME, byId: [`nvme-Amazon_Elastic_Block_Store_${EBS_VOLUME}`] },
        ],
    },
};

/** Commands that change a host; a no-op run calls none of them (xfs_quota's `report` only reads). */
const MUTATING = ["apt-get", "mkfs.xfs", "mount", "chown", "chmod"];
function changes(result: RunResult): string[] {
    return result.calls
        .filter(
            (c) =>
                MUTATING.includes(c.command) ||
                (c.command === "xfs_quota" && !c.args[2]?.startsWith("report ")) ||
                (c.command === "systemctl" && !["is-enabled", "is-active"].includes(c.args[0])) ||
                (c.command === "exportfs" && c.args[0] !== "-s"),
        )
        .map((c) => [c.command, ...c.args].join(" "));
}

function assertOk(result: RunResult): void {
    assert.strictEqual(result.status, 0, `exit ${result.status}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

function assertFailedAt(result: RunResult, step: string, detail?: RegExp): void {
    assert.notStrictEqual(result.status, 0, `expected a failure at ${step}; stderr:\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`^esiphub: ${step}: failed \\(exit [1-9][0-9]*\\)$`, "m"), `stderr does not end in step ${step}:\n${result.stderr}`);
    if (detail) assert.match(result.stderr, detail);
}

describe("storage scripts", function () {
    let host: StubHost;
    beforeEach(() => {
        host = new StubHost();
    });
    afterEach(() => host.cleanup());

    describe("nfs-server.sh", function () {
        const device = LAYOUTS["SCSI (Jetstream2)"].device;
        let env: Record<string, string>;
        beforeEach(() => {
            host.setDisks(LAYOUTS["SCSI (Jetstream2)"].disks);
            env = {
                ESIPHUB_VOLUME_SERIAL: VOLUME,
                ESIPHUB_EXPORT_DIR: "/srv/esiphub",
                ESIPHUB_EXPORT_CIDR: "10.42.0.0/24",
                // The test's own user, so that ownership checks pass without root.
                ESIPHUB_NFS_ANON_UID: String(process.getuid!()),
                ESIPHUB_NFS_ANON_GID: String(process.getgid!()),
                ESIPHUB_NFSD_THREADS: "32",
                ESIPHUB_QUOTA_PARENT: "jhub",
                ESIPHUB_QUOTA_BYTES: "10737418240",
                ESIPHUB_QUOTA_SHARED: "esiphub-scratch=214748364800 esiphub-materials=21474836480",
                ESIPHUB_QUOTA_SCRIPT_B64: Buffer.from(QUOTA_ENFORCER).toString("base64"),
                ESIPHUB_DEVICE_TIMEOUT: "0",
            };
        });
        const fstab = () => fs.readFileSync(host.at("etc/fstab"), "utf8");

        it("first run on an empty volume installs, formats, mounts by UUID, exports and installs the quota enforcer", function () {
            const result = host.run("nfs-server", env);
            assertOk(result);
            assert.deepStrictEqual(callsOf(result, "apt-get").filter((c) => c.includes("install")), [
                "-o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends nfs-kernel-server xfsprogs",
            ]);
            assert.deepStrictEqual(callsOf(result, "mkfs.xfs"), [`-q -L esiphub-data ${device}`]);
            assert.deepStrictEqual(callsOf(result, "mount"), [host.at("srv/esiphub")]);
            assert.match(fstab(), /^UUID=5b0c1e6e-2f3a-4c41-9d7e-0a1b2c3d4e5f \/srv\/esiphub xfs defaults,prjquota,nofail 0 2$/m);

            const exportsFile = fs.readFileSync(host.at("etc/exports.d/esiphub.exports"), "utf8");
            assert.strictEqual(
                exportsFile,
                `/srv/esiphub 10.42.0.0/24(rw,sync,no_subtree_check,root_squash,anonuid=${process.getuid!()},anongid=${process.getgid!()})\n`,
            );
            assert.deepStrictEqual(callsOf(result, "exportfs").filter((c) => c !== "-s"), ["-ra"]);
            assert.match(fs.readFileSync(host.at("etc/nfs.conf.d/esiphub.conf"), "utf8"), /^\[nfsd\]\nthreads=32$/m);
            assert.match(fs.readFileSync(host.at("etc/systemd/system/nfs-server.service.d/esiphub.conf"), "utf8"), /RequiresMountsFor=\/srv\/esiphub/);

            // The enforcer: the script as given, its settings, a path unit on the user-directory parent and a timer.
            const installed = host.at("usr/local/sbin/esiphub-nfs-quota");
            assert.strictEqual(fs.readFileSync(installed, "utf8"), QUOTA_ENFORCER.replace(/\n*$/, "\n"));
            assert.strictEqual(fs.statSync(installed).mode & 0o777, 0o755);
            const settings = fs.readFileSync(host.at("etc/esiphub/nfs-quota.env"), "utf8");
            assert.match(settings, /^ESIPHUB_QUOTA_BYTES=10737418240$/m);
            assert.match(settings, /^ESIPHUB_QUOTA_PARENT=jhub$/m);
            assert.match(settings, /^ESIPHUB_QUOTA_SHARED="esiphub-scratch=214748364800 esiphub-materials=21474836480"$/m);
            const pathUnit = fs.readFileSync(host.at("etc/systemd/system/esiphub-nfs-quota.path"), "utf8");
            assert.match(pathUnit, /^PathChanged=\/srv\/esiphub\/jhub$/m);
            // The watch starts only once the data volume is mounted, not on the empty mount point beneath it.
            assert.match(pathUnit, /^\[Unit\]\n(?:.*\n)*?RequiresMountsFor=\/srv\/esiphub\n(?:.*\n)*?\[Path\]/m);
            assert.match(fs.readFileSync(host.at("etc/systemd/system/esiphub-nfs-quota.service"), "utf8"), /^EnvironmentFile=\/etc\/esiphub\/nfs-quota.env$/m);
            assert.match(fs.readFileSync(host.at("etc/systemd/system/esiphub-nfs-quota.timer"), "utf8"), /^OnUnitActiveSec=2min$/m);
            assert.deepStrictEqual(callsOf(result, "systemctl").filter((c) => !c.startsWith("is-")), [
                "daemon-reload",
                "enable --now nfs-server.service",
                "enable --now esiphub-nfs-quota.path",
                "enable --now esiphub-nfs-quota.timer",
                "restart nfs-server.service",
                "start esiphub-nfs-quota.service",
            ]);
            assert.ok(fs.statSync(host.at("srv/esiphub/jhub")).isDirectory());
            assert.match(result.stderr, /^esiphub: done: NFS server ready$/m);
        });

        it("a second run changes nothing", function () {
            assertOk(host.run("nfs-server", env));
            const before = host.snapshot();
            const second = host.run("nfs-server", env);
            assertOk(second);
            assert.deepStrictEqual(changes(second), []);
            assert.deepStrictEqual(host.snapshot(), before);
        });

        it("the installed enforcer runs as its systemd service would, with the settings written beside it", function () {
            assertOk(host.run("nfs-server", env));
            fs.mkdirSync(host.at("srv/esiphub/jhub/claim-workshop-01"));
            fs.mkdirSync(host.at("srv/esiphub/jhub/esiphub-scratch"));
            // systemd's EnvironmentFile= reads the same KEY=VALUE / KEY="VALUE" lines a shell does.
            const service = `set -a; . '${host.at("etc/esiphub/nfs-quota.env")}'; set +a; exec '${host.at("usr/local/sbin/esiphub-nfs-quota")}'`;
            const result = host.exec(["bash", "-c", service], {});
            assertOk(result);
            assert.strictEqual(host.projectOf(host.at("srv/esiphub/jhub/claim-workshop-01")), 1000);
            assert.strictEqual(host.projectOf(host.at("srv/esiphub/jhub/esiphub-scratch")), 1001);
            assert.strictEqual(host.limitOf(1000), 10737418240);
            assert.strictEqual(host.limitOf(1001), 214748364800);
        });

        it("a changed per-user size is applied during the run (the enforcer runs now), not at the next sweep", function () {
            assertOk(host.run("nfs-server", env));
            const raised = host.run("nfs-server", { ...env, ESIPHUB_QUOTA_BYTES: String(20 * 1024 ** 3) });
            assertOk(raised);
            assert.match(fs.readFileSync(host.at("etc/esiphub/nfs-quota.env"), "utf8"), /^ESIPHUB_QUOTA_BYTES=21474836480$/m);
            // Only the settings file is written; no unit, export or nfs-server changes.
            assert.deepStrictEqual(changes(raised).filter((c) => !c.startsWith("chmod ")), ["systemctl start esiphub-nfs-quota.service"]);
        });

        it("refuses shared quotas that are not NAME=BYTES, naming the setting", function () {
            assertFailedAt(host.run("nfs-server", { ...env, ESIPHUB_QUOTA_SHARED: "esiphub-scratch=100Gi" }), "check", /ESIPHUB_QUOTA_SHARED must be space-separated NAME=BYTES/);
        });

        it("never formats a volume that already has an XFS filesystem, and mounts that one", function () {
            host.setState("blkid", `DEVNAME=${device}\nUUID=${EXISTING_UUID}\nBLOCK_SIZE=512\nTYPE=xfs\n`);
            const result = host.run("nfs-server", env);
            assertOk(result);
            assert.deepStrictEqual(callsOf(result, "mkfs.xfs"), []);
            assert.match(fstab(), new RegExp(`^UUID=${EXISTING_UUID} /srv/esiphub xfs defaults,prjquota,nofail 0 2$`, "m"));
            assert.deepStrictEqual(callsOf(result, "mount"), [host.at("srv/esiphub")]);
        });

        for (const [what, blkid, detail] of [
            ["an ext4 filesystem", "UUID=1234\nTYPE=ext4\n", /holds a ext4 filesystem/],
            ["a partition table", "PTTYPE=gpt\nPTUUID=abcd\n", /gpt partition table but no XFS filesystem/],
        ] as const) {
            it(`refuses a volume with ${what}: no format, no mount`, function () {
                host.setState("blkid", blkid);
                const result = host.run("nfs-server", env);
                assertFailedAt(result, "filesystem", detail);
                assert.deepStrictEqual(callsOf(result, "mkfs.xfs"), []);
                assert.deepStrictEqual(callsOf(result, "mount"), []);
                assert.ok(!fs.existsSync(host.at("etc/fstab")));
            });
        }

        it("does not format when blkid fails to probe (only 'nothing found' means empty)", function () {
            host.setState("blkid-rc", "4");
            const result = host.run("nfs-server", env);
            assertFailedAt(result, "filesystem", /could not probe .* \(exit 4\); not formatting it/);
            assert.deepStrictEqual(callsOf(result, "mkfs.xfs"), []);
        });

        it("replaces an older fstab line for the mount point and keeps the others", function () {
            fs.mkdirSync(host.at("etc"), { recursive: true });
            fs.writeFileSync(host.at("etc/fstab"), "LABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1\n/dev/vdb /srv/esiphub xfs defaults 0 0\n");
            assertOk(host.run("nfs-server", env));
            assert.strictEqual(
                fstab(),
                "LABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1\nUUID=5b0c1e6e-2f3a-4c41-9d7e-0a1b2c3d4e5f /srv/esiphub xfs defaults,prjquota,nofail 0 2\n",
            );
        });

        it("skips the package install when the packages are there", function () {
            host.setState("pkg-nfs-kernel-server");
            host.setState("pkg-xfsprogs");
            const result = host.run("nfs-server", env);
            assertOk(result);
            assert.deepStrictEqual(callsOf(result, "apt-get"), []);
        });

        it("stops, naming the step, when the volume is mounted without project quotas", function () {
            host.setState("blkid", `UUID=${EXISTING_UUID}\nTYPE=xfs\n`);
            host.setState("mounts", `${host.at("srv/esiphub")}\tUUID="${EXISTING_UUID}" OPTIONS="rw,relatime,attr2,inode64,noquota"\n`);
            const result = host.run("nfs-server", env);
            assertFailedAt(result, "mount", /mounted without prjquota/);
            assert.deepStrictEqual(callsOf(result, "mount"), []);
        });

        it("stops when another filesystem is mounted at the export", function () {
            host.setState("blkid", `UUID=${EXISTING_UUID}\nTYPE=xfs\n`);
            host.setState("mounts", `${host.at("srv/esiphub")}\tUUID="0000" OPTIONS="rw,prjquota"\n`);
            assertFailedAt(host.run("nfs-server", env), "mount", /has filesystem 0000 mounted, not the data volume/);
        });

        for (const [command, step] of [
            ["mkfs.xfs", "format"],
            ["apt-get", "packages"],
            ["mount", "mount"],
            ["exportfs", "export"],
            ["systemctl", "services"],
        ] as const) {
            it(`exits non-zero naming the step when ${command} fails (${step})`, function () {
                host.setState(`fail-${command}`);
                const result = host.run("nfs-server", env);
                assertFailedAt(result, step);
                assert.doesNotMatch(result.stderr, /NFS server ready/);
            });
        }

        it("retries apt-get update (another apt may hold the lists), then gives up naming the step", function () {
            host.setState("fail-apt-get");
            const result = host.run("nfs-server", env);
            assertFailedAt(result, "packages", /apt-get update kept failing/);
            assert.deepStrictEqual(callsOf(result, "apt-get"), Array(5).fill("-o DPkg::Lock::Timeout=600 update -q"));
            assert.deepStrictEqual(callsOf(result, "sleep"), Array(4).fill("20"));
        });

        for (const [bus, layout] of Object.entries(LAYOUTS)) {
            it(`finds the data volume's disk by its serial on ${bus}, not by its place or bus`, function () {
                host.setDisks(layout.disks);
                const result = host.run("nfs-server", { ...env, ESIPHUB_VOLUME_SERIAL: layout.serial });
                assertOk(result);
                assert.deepStrictEqual(callsOf(result, "mkfs.xfs"), [`-q -L esiphub-data ${layout.device}`]);
                assert.match(result.stderr, new RegExp(`^esiphub: device: ${layout.device} has serial ${layout.serial}$`, "m"));
            });
        }

        it("finds the disk by its by-id link while lsblk has no serial for it yet, and by lsblk alone", function () {
            const [root, , data] = LAYOUTS["SCSI (Jetstream2)"].disks;
            host.setDisks([root, { ...data, serial: undefined }]);
            assertOk(host.run("nfs-server", env));
            const other = new StubHost();
            try {
                other.setDisks([root, { ...data, byId: [] }]);
                const result = other.run("nfs-server", env);
                assertOk(result);
                assert.deepStrictEqual(callsOf(result, "mkfs.xfs"), [`-q -L esiphub-data ${device}`]);
            } finally {
                other.cleanup();
            }
        });

        it("refuses to choose when two disks carry the volume's serial", function () {
            const [root, , data] = LAYOUTS["SCSI (Jetstream2)"].disks;
            host.setDisks([root, data, { name: "sdd", serial: VOLUME }]);
            const result = host.run("nfs-server", env);
            assertFailedAt(result, "device", /more than one disk has serial 1b7c3e2a-5d4f-4a6b-9c8d-7e6f5a4b3c2d: /);
            assert.deepStrictEqual(callsOf(result, "mkfs.xfs"), []);
        });

        it("waits for the disk only as long as allowed, then names the step and the disks it saw", function () {
            host.setDisks(LAYOUTS["SCSI (Jetstream2)"].disks.slice(0, 2));
            const result = host.run("nfs-server", { ...env, ESIPHUB_DEVICE_TIMEOUT: "10" });
            assertFailedAt(result, "device", /no disk with serial 1b7c3e2a-5d4f-4a6b-9c8d-7e6f5a4b3c2d appeared within 10s of the volume attachment \(disks: \/dev\/sda without serial, \/dev\/sdb 1b7c3e2a-0000-4c1d-8e2f-3a4b5c6d7e8f\)$/m);
            assert.deepStrictEqual(callsOf(result, "sleep"), ["5", "5"]);
            assert.deepStrictEqual(callsOf(result, "blkid"), []);
        });

        it("names the missing setting", function () {
            const { ESIPHUB_EXPORT_CIDR: _omitted, ...rest } = env;
            assertFailedAt(host.run("nfs-server", rest), "check", /ESIPHUB_EXPORT_CIDR is not set/);
        });
    });

    describe("nfs-quota.sh (the quota enforcer, run as installed: a file, parameters from its unit's environment)", function () {
        const SCRATCH = 200 * 1024 ** 3;
        const MATERIALS = 20 * 1024 ** 3;
        const env = {
            ESIPHUB_EXPORT_DIR: "/srv/esiphub",
            ESIPHUB_QUOTA_PARENT: "jhub",
            ESIPHUB_QUOTA_BYTES: "10737418240",
            ESIPHUB_QUOTA_SHARED: `esiphub-scratch=${SCRATCH} esiphub-materials=${MATERIALS}`,
        };
        const userDir = (name: string) => host.at(`srv/esiphub/jhub/${name}`);
        const mkdirs = (...names: string[]) => names.forEach((n) => fs.mkdirSync(userDir(n), { recursive: true }));
        const projects = () => fs.readFileSync(host.at("etc/projects"), "utf8");
        const mount = () => host.at("srv/esiphub");
        const limitCall = (bytes: number, id: number) => `-x -c limit -p bhard=${bytes} ${id} ${mount()}`;
        const projectCall = (name: string, id: number) => `-x -c project -s -p ${userDir(name)} ${id} ${mount()}`;
        const writes = (result: RunResult) => callsOf(result, "xfs_quota").filter((c) => !c.startsWith("-x -c report "));

        it("puts each new home under a quota of the per-user size, and scratch and materials under their own", function () {
            mkdirs("claim-workshop-01", "claim-workshop-02", "esiphub-materials", "esiphub-scratch");
            const result = host.runFile(QUOTA_ENFORCER, env);
            assertOk(result);
            assert.deepStrictEqual(writes(result), [
                limitCall(10737418240, 1000),
                projectCall("claim-workshop-01", 1000),
                limitCall(10737418240, 1001),
                projectCall("claim-workshop-02", 1001),
                limitCall(MATERIALS, 1002),
                projectCall("esiphub-materials", 1002),
                limitCall(SCRATCH, 1003),
                projectCall("esiphub-scratch", 1003),
            ]);
            assert.strictEqual(host.projectOf(userDir("claim-workshop-01")), 1000);
            assert.strictEqual(host.projectOf(userDir("esiphub-scratch")), 1003);
            assert.strictEqual(host.limitOf(1000), 10737418240);
            assert.strictEqual(host.limitOf(1002), MATERIALS);
            assert.strictEqual(host.limitOf(1003), SCRATCH);
            assert.strictEqual(
                projects(),
                "1000:/srv/esiphub/jhub/claim-workshop-01\n1001:/srv/esiphub/jhub/claim-workshop-02\n1002:/srv/esiphub/jhub/esiphub-materials\n1003:/srv/esiphub/jhub/esiphub-scratch\n",
            );
            assert.strictEqual(
                fs.readFileSync(host.at("etc/projid"), "utf8"),
                "jhub-claim-workshop-01:1000\njhub-claim-workshop-02:1001\njhub-esiphub-materials:1002\njhub-esiphub-scratch:1003\n",
            );
        });

        it("applies each quota once: a second run only reads the limits, a later directory gets only its own", function () {
            mkdirs("claim-workshop-01", "esiphub-scratch");
            assertOk(host.runFile(QUOTA_ENFORCER, env));
            const before = host.snapshot();
            const second = host.runFile(QUOTA_ENFORCER, env);
            assertOk(second);
            assert.deepStrictEqual(callsOf(second, "xfs_quota"), [`-x -c report -p -b -n -N ${mount()}`]);
            assert.deepStrictEqual(host.snapshot(), before);

            mkdirs("claim-workshop-02");
            const third = host.runFile(QUOTA_ENFORCER, env);
            assertOk(third);
            assert.deepStrictEqual(writes(third), [limitCall(10737418240, 1002), projectCall("claim-workshop-02", 1002)]);
        });

        it("a raised storagePerUser reaches the homes that exist (and scratch keeps its own size)", function () {
            const raised = { ...env, ESIPHUB_QUOTA_BYTES: String(20 * 1024 ** 3) };
            mkdirs("claim-workshop-01", "claim-workshop-02", "esiphub-scratch");
            assertOk(host.runFile(QUOTA_ENFORCER, env));
            const result = host.runFile(QUOTA_ENFORCER, raised);
            assertOk(result);
            assert.deepStrictEqual(writes(result), [limitCall(20 * 1024 ** 3, 1000), limitCall(20 * 1024 ** 3, 1001)]);
            assert.match(result.stderr, /jhub\/claim-workshop-01: project 1000, limit set to 21474836480 bytes \(was 10737418240\)/);
            assert.strictEqual(host.limitOf(1000), 20 * 1024 ** 3);
            assert.strictEqual(host.limitOf(1002), SCRATCH);
            assert.strictEqual(host.projectOf(userDir("claim-workshop-01")), 1000, "the project id stays");
            // And then it holds: nothing more to do.
            assert.deepStrictEqual(writes(host.runFile(QUOTA_ENFORCER, raised)), []);
        });

        it("a raised scratchSize reaches the scratch directory", function () {
            mkdirs("esiphub-scratch");
            assertOk(host.runFile(QUOTA_ENFORCER, env));
            const result = host.runFile(QUOTA_ENFORCER, { ...env, ESIPHUB_QUOTA_SHARED: `esiphub-scratch=${2 * SCRATCH} esiphub-materials=${MATERIALS}` });
            assertOk(result);
            assert.deepStrictEqual(writes(result), [limitCall(2 * SCRATCH, 1000)]);
        });

        it("compares limits as the kernel keeps them: a size that is not whole KiB is not set again on every run", function () {
            mkdirs("claim-workshop-01");
            const odd = { ...env, ESIPHUB_QUOTA_BYTES: "10000000001" };
            assertOk(host.runFile(QUOTA_ENFORCER, odd));
            assert.deepStrictEqual(writes(host.runFile(QUOTA_ENFORCER, odd)), []);
        });

        it("several workshops (esiphub:workshops): each namespace's homes at its own limit, its own scratch, and PARENT/NAME overrides", function () {
            // The parameters as components/storage/values.ts makes them for a site of two workshops.
            const config = testConfig("jetstream", {
                "esiphub:hubHostname": undefined,
                "esiphub:workshops": JSON.stringify([
                    { name: "python-intro", users: 1, userPattern: "py-{nn}", storagePerUser: "5Gi", scratchSize: "50Gi" },
                    { name: "remote-sensing", users: 1, userPattern: "rs-{nn}", storagePerUser: "8Gi", scratchSize: "80Gi" },
                ]),
            });
            const several = { ...env, ESIPHUB_QUOTA_PARENT: quotaParents(config), ESIPHUB_QUOTA_SHARED: sharedQuotas(config) };
            assert.strictEqual(several.ESIPHUB_QUOTA_PARENT, `python-intro=${5 * 1024 ** 3} remote-sensing=${8 * 1024 ** 3}`);
            const dir = (parent: string, name: string) => host.at(`srv/esiphub/${parent}/${name}`);
            const dirs = [
                ["python-intro", "claim-py-01"],
                ["python-intro", "claim-instructor"],
                ["python-intro", "esiphub-scratch"],
                ["remote-sensing", "claim-rs-01"],
                ["remote-sensing", "claim-instructor"],
                ["remote-sensing", "esiphub-scratch"],
            ];
            for (const [parent, name] of dirs) fs.mkdirSync(dir(parent, name), { recursive: true });
            fs.mkdirSync(host.at("etc/esiphub"), { recursive: true });
            fs.writeFileSync(host.at("etc/esiphub/nfs-quota.overrides"), "remote-sensing/claim-instructor 50g\n");
            assertOk(host.runFile(QUOTA_ENFORCER, several));
            const limits = dirs.map(([parent, name]) => (host.limitOf(host.projectOf(dir(parent, name))!) ?? 0) / 1024 ** 3);
            // The same claim name in two namespaces is two projects, each with its own limit.
            assert.deepStrictEqual(limits, [5, 5, 50, 8, 50, 80]);
            assert.notStrictEqual(host.projectOf(dir("python-intro", "claim-instructor")), host.projectOf(dir("remote-sensing", "claim-instructor")));
        });

        it("an admin's override for one directory wins and stays; a malformed line is logged and ignored", function () {
            mkdirs("claim-instructor", "claim-workshop-01");
            fs.mkdirSync(host.at("etc/esiphub"), { recursive: true });
            fs.writeFileSync(host.at("etc/esiphub/nfs-quota.overrides"), "# more room for the instructor\nclaim-instructor 50g\nclaim-workshop-01 lots\n");
            const result = host.runFile(QUOTA_ENFORCER, env);
            assertOk(result);
            assert.strictEqual(host.limitOf(host.projectOf(userDir("claim-instructor"))), 50 * 1024 ** 3);
            assert.strictEqual(host.limitOf(host.projectOf(userDir("claim-workshop-01"))), 10737418240);
            assert.match(result.stderr, /ignoring "claim-workshop-01 lots" in .*nfs-quota\.overrides: not NAME SIZE/);
            assert.deepStrictEqual(writes(host.runFile(QUOTA_ENFORCER, env)), []);
        });

        it("keeps a project id found on disk, records it, never reuses it, and gives it its limit", function () {
            // A kept data volume on a rebuilt NFS host: the id is on disk, /etc/projects is new.
            mkdirs("claim-instructor", "claim-workshop-01");
            host.setProject(userDir("claim-instructor"), 1500);
            const result = host.runFile(QUOTA_ENFORCER, env);
            assertOk(result);
            assert.deepStrictEqual(writes(result), [limitCall(10737418240, 1500), limitCall(10737418240, 1501), projectCall("claim-workshop-01", 1501)]);
            assert.strictEqual(host.projectOf(userDir("claim-instructor")), 1500);
            assert.match(projects(), /^1500:\/srv\/esiphub\/jhub\/claim-instructor$/m);
        });

        it("finishes a directory whose id was recorded by a run that stopped half way", function () {
            mkdirs("claim-workshop-01");
            fs.mkdirSync(host.at("etc"), { recursive: true });
            fs.writeFileSync(host.at("etc/projects"), "1000:/srv/esiphub/jhub/claim-workshop-01\n");
            const result = host.runFile(QUOTA_ENFORCER, env);
            assertOk(result);
            assert.strictEqual(host.projectOf(userDir("claim-workshop-01")), 1000);
            assert.strictEqual(projects(), "1000:/srv/esiphub/jhub/claim-workshop-01\n");
        });

        it("does nothing before the first user directory exists", function () {
            const result = host.runFile(QUOTA_ENFORCER, env);
            assertOk(result);
            assert.deepStrictEqual(callsOf(result, "xfs_quota"), []);
            assert.deepStrictEqual(callsOf(result, "xfs_io"), []);
        });

        it("exits non-zero naming the step when xfs_quota fails, and the next run retries that directory", function () {
            mkdirs("claim-workshop-01");
            host.setState("fail-xfs_quota");
            assertFailedAt(host.runFile(QUOTA_ENFORCER, env), "assign");
            assert.strictEqual(host.projectOf(userDir("claim-workshop-01")), 0);
            fs.rmSync(path.join(host.state, "fail-xfs_quota"));
            const retry = host.runFile(QUOTA_ENFORCER, env);
            assertOk(retry);
            assert.strictEqual(host.projectOf(userDir("claim-workshop-01")), 1000);
        });

        it("exits non-zero naming the step when the limits cannot be read", function () {
            mkdirs("claim-workshop-01");
            assertOk(host.runFile(QUOTA_ENFORCER, env));
            host.setState("fail-xfs_quota");
            assertFailedAt(host.runFile(QUOTA_ENFORCER, env), "limits", /could not report the project quotas/);
        });

        it("names a missing setting, and refuses a malformed shared quota", function () {
            const { ESIPHUB_QUOTA_BYTES: _omitted, ...rest } = env;
            assertFailedAt(host.runFile(QUOTA_ENFORCER, rest), "check", /ESIPHUB_QUOTA_BYTES is not set/);
            assertFailedAt(host.runFile(QUOTA_ENFORCER, { ...env, ESIPHUB_QUOTA_SHARED: "esiphub-scratch" }), "check", /"esiphub-scratch" is not NAME=BYTES/);
        });
    });

    describe("hub-db-dir.sh", function () {
        const env = { ESIPHUB_HUB_DB_DIR: "/var/lib/esiphub/hub-db", ESIPHUB_HUB_DB_UID: String(process.getuid!()), ESIPHUB_HUB_DB_GID: String(process.getgid!()) };
        const dir = () => host.at("var/lib/esiphub/hub-db");

        it("creates the directory private to the hub's user, once", function () {
            assertOk(host.run("hub-db-dir", env));
            const st = fs.statSync(dir());
            assert.strictEqual(st.mode & 0o777, 0o700);
            assert.strictEqual(`${st.uid}:${st.gid}`, ME);
            const second = host.run("hub-db-dir", env);
            assertOk(second);
            assert.deepStrictEqual(changes(second), []);
        });

        it("keeps an existing database and corrects only the mode", function () {
            fs.mkdirSync(dir(), { recursive: true, mode: 0o755 });
            fs.chmodSync(dir(), 0o755);
            fs.writeFileSync(path.join(dir(), "jupyterhub.sqlite"), "SQLite format 3");
            const result = host.run("hub-db-dir", env);
            assertOk(result);
            assert.deepStrictEqual(changes(result), [`chmod 0700 ${dir()}`]);
            assert.strictEqual(fs.readFileSync(path.join(dir(), "jupyterhub.sqlite"), "utf8"), "SQLite format 3");
        });

        it("refuses a relative path, naming the setting", function () {
            assertFailedAt(host.run("hub-db-dir", { ...env, ESIPHUB_HUB_DB_DIR: "hub-db" }), "check", /ESIPHUB_HUB_DB_DIR must be an absolute path/);
        });
    });
});

describe("storage scripts: shellcheck", function () {
    before(function () {
        const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
        if (probe.error || probe.status !== 0) {
            if (process.env.CI === "true") assert.fail("shellcheck is not installed (it is in .ci/apt-packages.txt)");
            this.skip();
        }
    });

    it("every script is shellcheck-clean", function () {
        const scripts = fs.readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith(".sh"));
        assert.deepStrictEqual(scripts.sort(), ["hub-db-dir.sh", "nfs-quota.sh", "nfs-server.sh"]);
        const result = spawnSync("shellcheck", ["--severity=style", "--external-sources", ...scripts.map((s) => path.join(SCRIPTS_DIR, s))], { encoding: "utf8" });
        assert.strictEqual(result.status, 0, result.stdout + result.stderr);
    });

    for (const name of ["nfs-server", "hub-db-dir"] as StorageScriptName[]) {
        it(`${name} as sent (parameters, lib.sh, the script) is shellcheck-clean`, function () {
            const text = renderScript(storageScript(name), { ESIPHUB_EXAMPLE: "it's quoted" });
            const result = spawnSync("shellcheck", ["--severity=style", "--shell=bash", "-"], { input: text, encoding: "utf8" });
            assert.strictEqual(result.status, 0, result.stdout + result.stderr);
        });
    }

    it("the quota enforcer as installed (lib.sh, nfs-quota.sh) is shellcheck-clean", function () {
        const result = spawnSync("shellcheck", ["--severity=style", "-"], { input: QUOTA_ENFORCER, encoding: "utf8" });
        assert.strictEqual(result.status, 0, result.stdout + result.stderr);
    });
});
