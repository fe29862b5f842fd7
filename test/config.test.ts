import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_KEYS, ConfigError, notebookImageReference, parseSiteConfig, README_MAX_BYTES, readProjectTextFile, sslipHostname } from "../components/config";
import { readStackConfig } from "../plan/stackfile";
import { PROJECT_DIR, SITES, stackConfig, testConfig } from "./mocks";

/** The problems parseSiteConfig reports for the jetstream stack with these overrides. */
function problems(overrides: Record<string, string | undefined>, site: (typeof SITES)[number] = "jetstream"): string[] {
    try {
        parseSiteConfig(stackConfig(site, overrides).config, site, PROJECT_DIR);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    return [];
}

describe("config", () => {
    describe("the three stack files", () => {
        for (const site of SITES) {
            it(`${site} parses with no problems`, () => assert.deepStrictEqual(problems({}, site), []));
        }

        it("jetstream: 62 accounts on auto-sized m3.large workers", () => {
            const c = testConfig("jetstream");
            assert.strictEqual(c.cloud, "openstack");
            assert.strictEqual(c.region, "IU");
            assert.strictEqual(c.hub.users.length, 62);
            assert.deepStrictEqual(c.hub.users.slice(0, 2), ["workshop-01", "workshop-02"]);
            assert.deepStrictEqual(c.hub.users.slice(-2), ["instructor", "helper"]);
            // m3.large: 60 GiB - 2 GiB reserve = 58 GiB; 4G = 3.725 GiB → 15 users per worker; ceil(62 / 15) = 5.
            assert.deepStrictEqual({ ...c.nodes.sizing, explanation: undefined }, { workers: 5, usersPerWorker: 15, auto: true, limitedBy: "memory", explanation: undefined });
            assert.strictEqual(c.storage.keepDataOnDestroy, true);
            assert.strictEqual(c.hub.memoryLimit, "8G");
            assert.strictEqual(c.storage.perUser, "10Gi");
        });

        it("nebula uses its custom flavors", () => {
            const c = testConfig("nebula");
            assert.deepStrictEqual(c.nodes.workerFlavor, { name: "m1.2xlarge", vcpus: 16, ramGiB: 32 });
            // 30 GiB usable / 3.725 GiB = 8 users per worker; ceil(40 / 8) = 5.
            assert.strictEqual(c.nodes.workers, 5);
            assert.strictEqual(c.hub.hostname, undefined);
        });

        it("a fixed worker count and a one-node development cluster", () => {
            assert.strictEqual(testConfig("aws", { "esiphub:workers": "4" }).nodes.workers, 4);
            // The m5.xlarge master holds 3 users of 4G: 2 accounts and the instructor.
            const dev = testConfig("aws", { "esiphub:workers": "0", "esiphub:users": "2" });
            assert.strictEqual(dev.nodes.workers, 0);
            assert.strictEqual(dev.nodes.scheduleOnMaster, true);
        });

        it("an explicit user list", () => {
            const c = testConfig("nebula", { "esiphub:users": "3", "esiphub:userNames": '["ada","grace","katherine"]', "esiphub:extraUsers": "[]", "esiphub:adminUsers": '["ada"]' });
            assert.deepStrictEqual(c.hub.users, ["ada", "grace", "katherine"]);
            assert.deepStrictEqual(c.hub.adminUsers, ["ada"]);
        });

        it("placeholders are sized like users: each holds a user's memory guarantee on a worker", () => {
            // 62 accounts + 4 placeholders = 66 guarantees; 15 per m3.large; ceil(66 / 15) = 5 → 5; + 14 → 76 → 6.
            assert.strictEqual(testConfig("jetstream", { "esiphub:userPlaceholders": "4" }).nodes.workers, 5);
            assert.strictEqual(testConfig("jetstream", { "esiphub:userPlaceholders": "14" }).nodes.workers, 6);
            assert.strictEqual(testConfig("jetstream").nodes.workers, 5);
            // A fixed count holds the placeholders too: 3 × 15 = 45 = 31 servers at once + 14 placeholders.
            assert.strictEqual(testConfig("jetstream", { "esiphub:userPlaceholders": "14", "esiphub:workers": "3", "esiphub:maxServers": "31" }).nodes.workers, 3);
        });

        it("servers at once (esiphub:maxServers): every account by default, or fewer, and the workers sized for them", () => {
            assert.strictEqual(testConfig("jetstream").hub.maxServers, 62);
            assert.strictEqual(testConfig("jetstream", { "esiphub:maxServers": "all" }).hub.maxServers, 62);
            assert.strictEqual(testConfig("jetstream", { "esiphub:maxServers": "62" }).hub.maxServers, 62);
            // 45 at once on m3.large (15 each): 3 workers, not the 5 that 62 accounts take; + 4 placeholders: ceil(49 / 15) = 4.
            const lunch = testConfig("jetstream", { "esiphub:maxServers": "45" });
            assert.strictEqual(lunch.hub.maxServers, 45);
            assert.deepStrictEqual([lunch.nodes.sizing.workers, lunch.nodes.sizing.usersPerWorker, lunch.nodes.sizing.auto], [3, 15, true]);
            assert.strictEqual(lunch.hub.users.length, 62, "the accounts stay");
            assert.strictEqual(testConfig("jetstream", { "esiphub:maxServers": "45", "esiphub:userPlaceholders": "4" }).nodes.workers, 4);
            assert.strictEqual(testConfig("jetstream", { "esiphub:maxServers": "1" }).nodes.workers, 1);
            // A fixed count that holds the servers at once passes: 2 × 15 = 30; the master alone holds 7.
            assert.strictEqual(testConfig("jetstream", { "esiphub:workers": "2", "esiphub:maxServers": "30" }).nodes.workers, 2);
            const masterOnly = testConfig("jetstream", { "esiphub:workers": "0", "esiphub:maxServers": "7" });
            assert.strictEqual(masterOnly.nodes.scheduleOnMaster, true);
            assert.strictEqual(masterOnly.hub.maxServers, 7);
            // YAML's number 45 reaches the program as "45" (Pulumi stores config as text).
            assert.strictEqual(parseSiteConfig(stackConfig("jetstream", { "esiphub:maxServers": "45" }).config, "jetstream", PROJECT_DIR, { yamlNumbers: {} }).hub.maxServers, 45);
        });

        it("the shared folders and the DNS wait have their defaults", () => {
            const c = testConfig("jetstream");
            assert.strictEqual(c.storage.scratchBytes, 200 * 1024 ** 3);
            assert.strictEqual(c.storage.materialsSize, "20Gi");
            assert.strictEqual(c.storage.materialsBytes, 20 * 1024 ** 3);
            assert.strictEqual(c.storage.materialsMountPath, "/materials");
            assert.strictEqual(c.hub.letsEncryptStaging, false);
            assert.deepStrictEqual(c.dns.checkResolvers, ["8.8.8.8", "1.1.1.1"]);
            assert.strictEqual(c.dns.waitTimeoutSeconds, 1800);
            assert.strictEqual(testConfig("jetstream", { "esiphub:letsEncryptStaging": "true" }).hub.letsEncryptStaging, true);
            assert.deepStrictEqual(testConfig("jetstream", { "esiphub:dnsCheckResolvers": '["127.0.0.1:5353"]' }).dns.checkResolvers, ["127.0.0.1:5353"]);
        });

        it("warns, by how much, when the homes, scratch and materials can outgrow the data volume", () => {
            // jetstream: 62 × 10Gi + 200Gi + 20Gi = 901.9 GB on 1000 GB: fits.
            assert.deepStrictEqual(testConfig("jetstream").warnings, []);
            assert.deepStrictEqual(testConfig("jetstream", { "esiphub:dataVolumeSize": "800" }).warnings, [
                "esiphub:dataVolumeSize: 62 homes × 10Gi + 200Gi scratch + 20Gi materials = 901.9 GB, 101.9 GB more than the 800 GB data volume: " +
                    "it can fill up before the quotas stop anyone, and then every write on it fails (raise esiphub:dataVolumeSize to 902 or lower esiphub:storagePerUser)",
            ]);
        });

        it("the quickstart README from a file", () => {
            const c = testConfig("nebula", { "esiphub:quickstartReadmeFile": "package.json" });
            assert.strictEqual(c.hub.quickstartReadme, fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8"));
        });
    });

    describe("safe in a room of strangers (issue 21)", () => {
        const DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

        it("hubHostname auto: HTTPS on <public IP with dashes>.sslip.io, known now with esiphub:publicIp, later without", () => {
            const later = testConfig("jetstream", { "esiphub:hubHostname": "auto", "esiphub:dns": "none", "esiphub:dnsZone": undefined });
            assert.deepStrictEqual([later.hub.autoHostname, later.hub.tls, later.hub.hostname], [true, true, undefined]);
            const known = testConfig("jetstream", { "esiphub:hubHostname": "auto", "esiphub:dns": "none", "esiphub:dnsZone": undefined, "esiphub:publicIp": "149.165.157.42" });
            assert.strictEqual(known.hub.hostname, "149-165-157-42.sslip.io");
            assert.strictEqual(sslipHostname("10.0.0.1"), "10-0-0-1.sslip.io");
            // The shipped Nebula stack has no name of its own: it takes the automatic one, so it has HTTPS.
            const nebula = testConfig("nebula");
            assert.deepStrictEqual([nebula.hub.autoHostname, nebula.hub.tls], [true, true]);
        });

        it("hubHostname auto needs the Let's Encrypt address and publishes no record of its own", () => {
            assert.deepStrictEqual(problems({ "esiphub:hubHostname": "auto", "esiphub:letsEncryptEmail": undefined, "esiphub:dns": "designate", "esiphub:dnsZone": "esipfed.org." }), [
                "esiphub:letsEncryptEmail: required when esiphub:hubHostname is set (Let's Encrypt's contact address)",
                'esiphub:dns: "designate" publishes a name of esiphub:dnsZone; with esiphub:hubHostname auto, sslip.io answers for the name: set "none", or a hostname in the zone',
            ]);
        });

        it("allowPlainHttp: a warning on every run while true (development only), saying when it changes nothing", () => {
            const plain = { "esiphub:hubHostname": undefined, "esiphub:letsEncryptEmail": undefined, "esiphub:dns": "none", "esiphub:dnsZone": undefined };
            const off = testConfig("jetstream", plain);
            assert.deepStrictEqual([off.hub.tls, off.hub.allowPlainHttp, off.warnings], [false, false, []]);
            const on = testConfig("jetstream", { ...plain, "esiphub:allowPlainHttp": "true" });
            assert.strictEqual(on.hub.allowPlainHttp, true);
            assert.deepStrictEqual(on.warnings, [
                "esiphub:allowPlainHttp: true: the hub serves plain HTTP, so attendees' passwords and session cookies cross the venue's network in clear; " +
                    'for development only: give it a name (esiphub:hubHostname, or "auto") before any workshop',
            ]);
            assert.deepStrictEqual(testConfig("jetstream", { "esiphub:allowPlainHttp": "true" }).warnings, [
                "esiphub:allowPlainHttp: true, but the hub has HTTPS (esiphub:hubHostname), so it changes nothing; remove it",
            ]);
        });

        it("attendees are the workshop accounts, without the extra (organisers') accounts", () => {
            const c = testConfig("jetstream");
            assert.strictEqual(c.hub.attendees.length, 60);
            assert.ok(!c.hub.attendees.includes("instructor") && !c.hub.attendees.includes("helper"));
            assert.deepStrictEqual(testConfig("nebula").hub.adminUsers, ["instructor", "helper"]);
        });

        it("notebookImage pinned by digest: the tag may be empty; a malformed digest, or neither tag nor digest, is refused", () => {
            const pinned = testConfig("jetstream", { "esiphub:notebookImage": `quay.io/jupyter/scipy-notebook@${DIGEST}`, "esiphub:notebookTag": "" });
            assert.deepStrictEqual(pinned.hub.image, { name: "quay.io/jupyter/scipy-notebook", tag: "", digest: DIGEST });
            assert.strictEqual(notebookImageReference(pinned.hub.image), `quay.io/jupyter/scipy-notebook@${DIGEST}`);
            assert.strictEqual(notebookImageReference(testConfig("jetstream").hub.image), "ghcr.io/esipfed/esiphub-notebook:2026.11");
            assert.deepStrictEqual(problems({ "esiphub:notebookTag": "" }), ["esiphub:notebookTag: required unless esiphub:notebookImage pins a digest (NAME@sha256:...)"]);
            assert.deepStrictEqual(problems({ "esiphub:notebookImage": "quay.io/jupyter/scipy-notebook@sha256:abc" }), [
                'esiphub:notebookImage: must be an image name such as quay.io/jupyter/scipy-notebook (no tag), or NAME@sha256: and its 64 hex digits, got "quay.io/jupyter/scipy-notebook@sha256:abc"',
            ]);
        });

        it("userEgressPorts: the workshop's ports (HTTP, HTTPS, git, SSH) always, more by PORT or PORT/udp, or all", () => {
            const tcp = (...ports: number[]) => ports.map((port) => ({ port, protocol: "TCP" }));
            assert.deepStrictEqual(testConfig("jetstream").hub.egress, { all: false, ports: tcp(80, 443, 9418, 22) });
            assert.deepStrictEqual(testConfig("jetstream", { "esiphub:userEgressPorts": '["8080", "123/udp", "443"]' }).hub.egress, {
                all: false,
                ports: [...tcp(80, 443, 9418, 22, 8080), { port: 123, protocol: "UDP" }],
            });
            assert.deepStrictEqual(testConfig("jetstream", { "esiphub:userEgressPorts": '["all"]' }).hub.egress, { all: true });
            assert.deepStrictEqual(problems({ "esiphub:userEgressPorts": '["all", "25", "70000", "smtp"]' }), [
                'esiphub:userEgressPorts: "all" opens every port; list it alone',
            ]);
            assert.deepStrictEqual(problems({ "esiphub:userEgressPorts": '["25", "70000", "smtp"]' }), [
                'esiphub:userEgressPorts: item 2 must be a port from 1 to 65535 as PORT or PORT/udp (or the list ["all"]), got "70000"',
                'esiphub:userEgressPorts: item 3 must be a port from 1 to 65535 as PORT or PORT/udp (or the list ["all"]), got "smtp"',
            ]);
        });

        describe("quickstartReadmeFile stays inside the project folder", () => {
            let project: string;
            let outside: string;
            const readme = (file: string) => {
                try {
                    parseSiteConfig(stackConfig("jetstream", { "esiphub:quickstartReadmeFile": file }).config, "jetstream", project);
                    return [];
                } catch (e) {
                    if (e instanceof ConfigError) return e.problems;
                    throw e;
                }
            };
            before(() => {
                const root = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-readme-"));
                project = path.join(root, "project");
                outside = path.join(root, "outside.md");
                fs.mkdirSync(path.join(project, "docs"), { recursive: true });
                fs.writeFileSync(path.join(project, "docs", "README.md"), "# Welcome\n");
                fs.writeFileSync(outside, "secret notes\n");
                fs.symlinkSync(outside, path.join(project, "link-out.md"));
                fs.symlinkSync(path.join(project, "docs", "README.md"), path.join(project, "link-in.md"));
                fs.writeFileSync(path.join(project, "big.md"), "x".repeat(README_MAX_BYTES + 1));
                fs.writeFileSync(path.join(project, "latin1.md"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
                fs.writeFileSync(path.join(project, "key.md"), "Log in with:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...\n-----END OPENSSH PRIVATE KEY-----\n");
            });
            after(() => fs.rmSync(path.dirname(project), { recursive: true, force: true }));

            it("a file inside, directly or through a link that stays inside, is read", () => {
                assert.deepStrictEqual(readProjectTextFile(project, "docs/README.md"), { text: "# Welcome\n" });
                assert.deepStrictEqual(readProjectTextFile(project, "link-in.md"), { text: "# Welcome\n" });
                assert.deepStrictEqual(readme("docs/README.md"), []);
            });

            it("an absolute path, .., a link out, a directory, a big file, non-UTF-8 text and a private key are refused, naming the key", () => {
                const inside = "esiphub:quickstartReadmeFile: must be a path inside the project folder, relative to it";
                assert.deepStrictEqual(readme("/etc/hostname"), [`${inside} (not an absolute path), got "/etc/hostname"`]);
                assert.deepStrictEqual(readme("../outside.md"), [`${inside}, without "..", got "../outside.md"`]);
                assert.deepStrictEqual(readme("docs/../../outside.md"), [`${inside}, without "..", got "docs/../../outside.md"`]);
                assert.deepStrictEqual(readme("link-out.md"), ['esiphub:quickstartReadmeFile: "link-out.md" leads out of the project folder through a symbolic link; copy the file into the folder']);
                assert.deepStrictEqual(readme("docs"), ['esiphub:quickstartReadmeFile: "docs" is not a regular file']);
                assert.deepStrictEqual(readme("big.md"), [
                    `esiphub:quickstartReadmeFile: "big.md" is ${README_MAX_BYTES + 1} bytes, more than ${README_MAX_BYTES} (it travels in the chart's values to every home); link to larger material instead`,
                ]);
                assert.deepStrictEqual(readme("latin1.md"), ['esiphub:quickstartReadmeFile: "latin1.md" is not UTF-8 text']);
                assert.deepStrictEqual(readme("key.md"), ["esiphub:quickstartReadmeFile: contains a private key, which would be copied into every user's home; remove it"]);
                assert.deepStrictEqual(readme("missing.md"), ['esiphub:quickstartReadmeFile: no file at "missing.md" in the project folder']);
            });

            it("the README text given inline is held to the same size and key rules", () => {
                assert.deepStrictEqual(problems({ "esiphub:quickstartReadme": "PuTTY-User-Key-File-3: ssh-ed25519\n" }), [
                    "esiphub:quickstartReadme: contains a private key, which would be copied into every user's home; remove it",
                ]);
                assert.match(problems({ "esiphub:quickstartReadme": "é".repeat(README_MAX_BYTES / 2 + 1) })[0], /^esiphub:quickstartReadme: is 65538 bytes, more than 65536/);
            });
        });
    });

    describe("bad configuration: every problem, named by key, at once", () => {
        const cases: [string, Record<string, string | undefined>, string[], (typeof SITES)[number]?][] = [
            ["users negative", { "esiphub:users": "-3" }, ['esiphub:users: must be an integer from 1 to 1000, got "-3"']],
            ["users not a number", { "esiphub:users": "sixty" }, ['esiphub:users: must be an integer from 1 to 1000, got "sixty"']],
            ["users too many", { "esiphub:users": "1001" }, ['esiphub:users: must be an integer from 1 to 1000, got "1001"']],
            ["missing cloud", { "esiphub:cloud": undefined }, ["esiphub:cloud: required; Where the hub runs: `openstack` or `aws`."]],
            ["unknown cloud", { "esiphub:cloud": "azure" }, ['esiphub:cloud: must be one of openstack, aws, got "azure"']],
            ["missing public key", { "esiphub:sshPublicKey": undefined }, ["esiphub:sshPublicKey: required; OpenSSH public key installed on every node."]],
            ["malformed public key", { "esiphub:sshPublicKey": "AAAA" }, ['esiphub:sshPublicKey: must be an OpenSSH public key (ssh-ed25519, ssh-rsa or ecdsa-sha2-*), got "AAAA"']],
            ["private key not a key (value not echoed)", { "esiphub:sshPrivateKey": "hunter2" }, ["esiphub:sshPrivateKey: must be a PEM/OpenSSH private key (-----BEGIN ... PRIVATE KEY-----), got a value that is not"]],
            ["malformed subnet CIDR", { "esiphub:subnetCidr": "10.42.0.0/33" }, ['esiphub:subnetCidr: must be an IPv4 CIDR from /16 to /28 such as 10.10.0.0/24, got "10.42.0.0/33"']],
            ["subnet CIDR with host bits", { "esiphub:subnetCidr": "10.42.0.7/24" }, ['esiphub:subnetCidr: "10.42.0.7/24" has host bits set, which AWS refuses; the network meant is 10.42.0.0/24']],
            ["pod CIDR with host bits", { "esiphub:podCidr": "192.168.3.0/16" }, ['esiphub:podCidr: "192.168.3.0/16" has host bits set, which AWS refuses; the network meant is 192.168.0.0/16']],
            ["admin CIDR with host bits", { "esiphub:adminCidrs": '["198.51.100.7/24"]' }, ['esiphub:adminCidrs: item 1 "198.51.100.7/24" has host bits set, which AWS refuses; write the network 198.51.100.0/24 (or 198.51.100.7/32 for the one address)']],
            ["a /28 for 100 workers", { "esiphub:subnetCidr": "10.42.0.0/28", "esiphub:workers": "100", "esiphub:users": "1000" }, ["esiphub:subnetCidr: 10.42.0.0/28 has 12 addresses that OpenStack gives to VMs, but the site has 101 nodes; use a /25 or larger"]],
            ["a /28 one node short on AWS", { "esiphub:subnetCidr": "10.44.0.0/28", "esiphub:workers": "10", "esiphub:nfsNode": "true" }, ["esiphub:subnetCidr: 10.44.0.0/28 has 11 addresses that AWS gives to VMs, but the site has 12 nodes; use a /27 or larger"], "aws"],
            ["public IP with a prefix", { "esiphub:publicIp": "192.0.2.10/32" }, ['esiphub:publicIp: must be empty or an IPv4 address such as 149.165.157.99 (no /prefix), got "192.0.2.10/32"']],
            ["existing router on AWS", { "esiphub:existingRouter": "r1" }, ["esiphub:existingRouter: an OpenStack router; with esiphub:cloud aws leave it empty"], "aws"],
            ["malformed admin CIDR", { "esiphub:adminCidrs": '["149.165.152.0/24","somewhere"]' }, ['esiphub:adminCidrs: item 2 must be an IPv4 CIDR such as 203.0.113.7/32, got "somewhere"']],
            ["admin CIDRs not a list", { "esiphub:adminCidrs": "149.165.152.0/24" }, ['esiphub:adminCidrs: must be a list of strings, got "149.165.152.0/24"']],
            ["no admin CIDR", { "esiphub:adminCidrs": "[]" }, ['esiphub:adminCidrs: must be a list of at least 1 item, got "[]"']],
            ["pod CIDR overlaps node subnet", { "esiphub:podCidr": "10.42.0.0/16" }, ["esiphub:podCidr: 10.42.0.0/16 overlaps the node subnet 10.42.0.0/24 (esiphub:subnetCidr); choose a range outside it"]],
            ["workers not a count", { "esiphub:workers": "many" }, ['esiphub:workers: must be an integer from 0 to 100 or "auto", got "many"']],
            ["workers too many", { "esiphub:workers": "101" }, ['esiphub:workers: must be an integer from 0 to 100 or "auto", got "101"']],
            ["unknown flavor", { "esiphub:workerFlavor": "m3.huge" }, ['esiphub:workerFlavor: unknown flavor "m3.huge"; known: m3.tiny, m3.small, m3.quad, m3.medium, m3.large, m3.xl, m3.2xl, m3.3xl, r3.large, r3.xl, g3.small, g3.medium, g3.large, g3.xl (add others with esiphub:customFlavors)']],
            ["flavor too small for the guarantee", { "esiphub:workerFlavor": "m3.small", "esiphub:memoryGuarantee": "8G", "esiphub:memoryLimit": "8G" }, ["esiphub:workerFlavor: m3.small has 6 GiB RAM; less the 2 GiB node reserve it cannot hold one user's memory guarantee of 7.45 GiB (esiphub:memoryGuarantee is 8G)"]],
            ["guarantee above limit", { "esiphub:memoryGuarantee": "16G" }, ["esiphub:memoryGuarantee: 16G is more than esiphub:memoryLimit 8G; the guarantee must not exceed the limit"]],
            ["malformed memory", { "esiphub:memoryLimit": "8 gigs" }, ['esiphub:memoryLimit: must be a memory size such as 8G or 8Gi, got "8 gigs"']],
            ["duplicate user names", { "esiphub:users": "3", "esiphub:userNames": '["ada","grace","ada"]', "esiphub:adminUsers": '["ada"]' }, ["esiphub:userNames: duplicate user names: ada"]],
            ["user list and count disagree", { "esiphub:users": "60", "esiphub:userNames": '["ada","grace"]', "esiphub:adminUsers": "[]" }, ["esiphub:userNames: lists 2 names but esiphub:users is 60; set esiphub:users to 2"]],
            ["admin not among users", { "esiphub:adminUsers": '["instructor","root"]' }, ['esiphub:adminUsers: "root" is not one of the accounts; admins must be among the users (add it to esiphub:extraUsers)']],
            ["invalid user name", { "esiphub:extraUsers": '["Instructor"]', "esiphub:adminUsers": "[]" }, ['esiphub:extraUsers: "Instructor" is not a valid user name (lower-case letter first, then letters, digits, - or _; at most 32)']],
            ["pattern without a number", { "esiphub:userPattern": "workshop", "esiphub:adminUsers": "[]" }, ['esiphub:userPattern: must contain exactly one of {n}, {nn}, {nnn}, got "workshop"']],
            ["hostname without email", { "esiphub:letsEncryptEmail": undefined }, ["esiphub:letsEncryptEmail: required when esiphub:hubHostname is set (Let's Encrypt's contact address)"]],
            ["malformed hostname", { "esiphub:hubHostname": "Hub_Server" }, ['esiphub:hubHostname: must be empty, "auto" or a lower-case DNS name such as hub.example.org, got "Hub_Server"']],
            ["wrong boolean", { "esiphub:keepDataOnDestroy": "yes" }, ['esiphub:keepDataOnDestroy: must be true or false, got "yes"']],
            ["unknown setting (a typo)", { "esiphub:memoryLimt": "8G" }, ["esiphub:memoryLimt: unknown setting; did you mean esiphub:memoryLimit? (the settings are listed in Pulumi.yaml and the README)"]],
            ["unknown setting, nothing near", { "esiphub:favouriteColour": "blue" }, ["esiphub:favouriteColour: unknown setting; the settings are listed in Pulumi.yaml and the README"]],
            ["unknown namespace (a typo)", { "esihub:users": "10" }, ['esihub:users: unknown namespace "esihub"; did you mean esiphub:users? (namespaces: esiphub, openstack, aws, kubernetes, random, command, pulumi)']],
            ["unknown namespace and setting", { "esipub:memryLimit": "8G" }, ['esipub:memryLimit: unknown namespace "esipub"; did you mean esiphub:memoryLimit? (namespaces: esiphub, openstack, aws, kubernetes, random, command, pulumi)']],
            ["unknown namespace, nothing near", { "azure:location": "westus" }, ['azure:location: unknown namespace "azure"; (namespaces: esiphub, openstack, aws, kubernetes, random, command, pulumi)']],
            ["provider typo", { "opnestack:region": "IU" }, ['opnestack:region: unknown namespace "opnestack"; did you mean openstack:region? (namespaces: esiphub, openstack, aws, kubernetes, random, command, pulumi)']],
            [
                "fixed workers too few for the accounts",
                { "esiphub:workers": "2" },
                ['esiphub:workers: 2: 2 workers of m3.large hold 15 users each at the 4G memory guarantee (esiphub:memoryGuarantee), a capacity of 30 for 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers); set esiphub:workers to 5 or "auto", or esiphub:maxServers to 30 (servers at once)'],
            ],
            [
                "master only, too small for the accounts",
                { "esiphub:workers": "0" },
                ['esiphub:workers: 0 (master only): the m3.medium master holds 7 users at the 4G memory guarantee (esiphub:memoryGuarantee), a capacity of 7 for 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers); set esiphub:workers to 5 or "auto", or esiphub:maxServers to 7 (servers at once)'],
            ],
            [
                "workers and master together still too few",
                { "esiphub:workers": "3", "esiphub:scheduleOnMaster": "true" },
                ['esiphub:workers: 3: 3 workers of m3.large hold 15 users each and the m3.medium master holds 7 users at the 4G memory guarantee (esiphub:memoryGuarantee), a capacity of 52 for 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers); set esiphub:workers to 4 or "auto", or esiphub:maxServers to 52 (servers at once)'],
            ],
            [
                "explicit names count as the accounts",
                { "esiphub:workers": "0", "esiphub:users": "9", "esiphub:userNames": '["a1","a2","a3","a4","a5","a6","a7","a8","a9"]', "esiphub:extraUsers": "[]", "esiphub:adminUsers": "[]" },
                ['esiphub:workers: 0 (master only): the m3.medium master holds 7 users at the 4G memory guarantee (esiphub:memoryGuarantee), a capacity of 7 for 9 accounts (esiphub:userNames 9); set esiphub:workers to 1 or "auto", or esiphub:maxServers to 7 (servers at once)'],
            ],
            [
                "fixed workers too few for the servers at once (esiphub:maxServers)",
                { "esiphub:workers": "2", "esiphub:maxServers": "45" },
                ['esiphub:workers: 2: 2 workers of m3.large hold 15 users each at the 4G memory guarantee (esiphub:memoryGuarantee), a capacity of 30 for 45 servers at once (esiphub:maxServers) of 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers); set esiphub:workers to 3 or "auto", or esiphub:maxServers to 30 (servers at once)'],
            ],
            [
                "fixed workers hold the placeholders too",
                { "esiphub:workers": "3", "esiphub:maxServers": "40", "esiphub:userPlaceholders": "14" },
                ['esiphub:workers: 3: 3 workers of m3.large hold 15 users each at the 4G memory guarantee (esiphub:memoryGuarantee), a capacity of 45 for 40 servers at once (esiphub:maxServers) of 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers) and 14 placeholders (esiphub:userPlaceholders); set esiphub:workers to 4 or "auto", or esiphub:maxServers to 31 (servers at once)'],
            ],
            [
                "placeholders that take all the room leave no number of servers to suggest",
                { "esiphub:workers": "0", "esiphub:maxServers": "1", "esiphub:userPlaceholders": "7" },
                ['esiphub:workers: 0 (master only): the m3.medium master holds 7 users at the 4G memory guarantee (esiphub:memoryGuarantee), a capacity of 7 for 1 servers at once (esiphub:maxServers) of 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers) and 7 placeholders (esiphub:userPlaceholders); set esiphub:workers to 1 or "auto"'],
            ],
            ["servers at once not a number", { "esiphub:maxServers": "many" }, ['esiphub:maxServers: must be "all" or an integer from 1 to the 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers), got "many"']],
            ["servers at once 0", { "esiphub:maxServers": "0" }, ['esiphub:maxServers: must be "all" or an integer from 1 to the 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers), got "0"']],
            ["servers at once negative", { "esiphub:maxServers": "-3" }, ['esiphub:maxServers: must be "all" or an integer from 1 to the 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers), got "-3"']],
            ["servers at once a fraction", { "esiphub:maxServers": "4.5" }, ['esiphub:maxServers: must be "all" or an integer from 1 to the 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers), got "4.5"']],
            ["more servers at once than accounts", { "esiphub:maxServers": "63" }, ['esiphub:maxServers: must be "all" or an integer from 1 to the 62 accounts (esiphub:users 60 + 2 esiphub:extraUsers), got "63"']],
            ["servers at once against explicit names", { "esiphub:maxServers": "4", "esiphub:users": "3", "esiphub:userNames": '["ada","grace","katherine"]', "esiphub:extraUsers": "[]", "esiphub:adminUsers": "[]" }, ['esiphub:maxServers: must be "all" or an integer from 1 to the 3 accounts (esiphub:userNames 3), got "4"']],
            ["servers at once when the accounts are wrong too", { "esiphub:maxServers": "none", "esiphub:users": "0" }, ['esiphub:users: must be an integer from 1 to 1000, got "0"', 'esiphub:maxServers: must be "all" or an integer from 1 to the number of accounts, got "none"']],
            [
                "auto beyond the documented 100 workers",
                { "esiphub:users": "1000", "esiphub:workerFlavor": "m3.quad" },
                ["esiphub:workers: auto needs 334 workers of m3.quad (3 users each at the 4G memory guarantee (esiphub:memoryGuarantee)) for 1002 accounts (esiphub:users 1000 + 2 esiphub:extraUsers), more than 100; choose a larger esiphub:workerFlavor"],
            ],
            [
                "a subnet too small for the nodes",
                { "esiphub:subnetCidr": "10.42.0.0/28", "esiphub:workers": "12" },
                ["esiphub:subnetCidr: 10.42.0.0/28 has 12 addresses that OpenStack gives to VMs, but the site has 13 nodes; use a /27 or larger"],
            ],
            [
                "event end: a date without the time and zone",
                { "esiphub:eventEnds": "2026-12-04" },
                ['esiphub:eventEnds: must be empty or an ISO 8601 date-time with its time zone, such as 2026-12-04T17:00:00-05:00 or 2026-12-04T22:00:00Z, got "2026-12-04"; add the time the event ends and its zone'],
            ],
            [
                "event end: no zone (whose 5 pm?)",
                { "esiphub:eventEnds": "2026-12-04T17:00:00" },
                ['esiphub:eventEnds: must be empty or an ISO 8601 date-time with its time zone, such as 2026-12-04T17:00:00-05:00 or 2026-12-04T22:00:00Z, got "2026-12-04T17:00:00"'],
            ],
            ["event end: not a date", { "esiphub:eventEnds": "2026-02-30T17:00:00Z" }, ["esiphub:eventEnds: 2026-02-30 is not a date"]],
            ["event end: not a time", { "esiphub:eventEnds": "2026-12-04T24:30:00Z" }, ["esiphub:eventEnds: 24:30:00 is not a time of day"]],
            ["event end: not an offset", { "esiphub:eventEnds": "2026-12-04T17:00:00+25:00" }, ["esiphub:eventEnds: +25:00 is not a time zone offset"]],
            ["event end: words", { "esiphub:eventEnds": "friday evening" }, ['esiphub:eventEnds: must be empty or an ISO 8601 date-time with its time zone, such as 2026-12-04T17:00:00-05:00 or 2026-12-04T22:00:00Z, got "friday evening"']],
            ["kubernetes version", { "esiphub:kubernetesVersion": "1.29.3" }, ['esiphub:kubernetesVersion: must be a Kubernetes minor version from 1.30 to 1.34, such as 1.33, got "1.29.3"']],
            ["start timeout out of range", { "esiphub:startTimeout": "5" }, ['esiphub:startTimeout: must be an integer from 60 to 3600, got "5"']],
            ["openstack without external network", { "esiphub:externalNetwork": "" }, ['esiphub:externalNetwork: required when esiphub:cloud is openstack (the external network\'s name, e.g. "public")']],
            ["region missing", { "openstack:region": undefined }, ["openstack:region: required for cloud openstack; set the provider's region in the stack file"]],
            ["dns provider without zone", { "esiphub:dns": "designate" }, ['esiphub:dnsZone: required when esiphub:dns is "designate"']],
                        ["custom flavor malformed", { "esiphub:customFlavors": '["big"]' }, ['esiphub:customFlavors: item 1 must be NAME:VCPUS:RAM_GIB[:DISK_GB] such as m1.xlarge:8:16 or m1.xlarge:8:16:40, got "big"']],
            ["staging not a boolean", { "esiphub:letsEncryptStaging": "staging" }, ['esiphub:letsEncryptStaging: must be true or false, got "staging"']],
            ["DNS wait too short", { "esiphub:dnsWaitTimeout": "10" }, ['esiphub:dnsWaitTimeout: must be an integer from 60 to 14400, got "10"']],
            ["DNS check resolver not an address", { "esiphub:dnsCheckResolvers": '["8.8.8.8","dns.google","127.0.0.1:99999"]' }, [
                'esiphub:dnsCheckResolvers: item 2 must be an IPv4 address with an optional port, such as 1.1.1.1 or 127.0.0.1:5353, got "dns.google"',
                'esiphub:dnsCheckResolvers: item 3 must be an IPv4 address with an optional port, such as 1.1.1.1 or 127.0.0.1:5353, got "127.0.0.1:99999"',
            ]],
            ["no DNS check resolver", { "esiphub:dnsCheckResolvers": "[]" }, ['esiphub:dnsCheckResolvers: must be a list of at least 1 item, got "[]"']],
            ["materials inside the shared scratch", { "esiphub:materialsMountPath": "/shared/materials" }, ["esiphub:materialsMountPath: /shared/materials must be beside esiphub:sharedMountPath /shared, not the same path or inside it"]],
            ["materials at the shared path", { "esiphub:materialsMountPath": "/shared" }, ["esiphub:materialsMountPath: /shared must be beside esiphub:sharedMountPath /shared, not the same path or inside it"]],
            ["materials size malformed", { "esiphub:materialsSize": "lots" }, ['esiphub:materialsSize: must be a storage size such as 20Gi, got "lots"']],
            ["scratch and materials larger than the volume", { "esiphub:scratchSize": "900G", "esiphub:materialsSize": "100G" }, [
                "esiphub:scratchSize: 900G of scratch and 100G of materials (esiphub:materialsSize) do not fit on the 1000 GB data volume (esiphub:dataVolumeSize)",
            ]],
            ["quickstart file missing", { "esiphub:quickstartReadmeFile": "nope.md" }, ['esiphub:quickstartReadmeFile: no file at "nope.md" in the project folder']],
        ];
        for (const [title, overrides, expected, site] of cases) {
            it(title, () => assert.deepStrictEqual(problems(overrides, site), expected));
        }

        it("enough fixed workers, or the master with them, pass", () => {
            assert.deepStrictEqual(problems({ "esiphub:workers": "5" }), []);
            // 4 × 15 + 7 on the master = 67 ≥ 62.
            assert.deepStrictEqual(problems({ "esiphub:workers": "4", "esiphub:scheduleOnMaster": "true" }), []);
        });

        it("the settings of the providers and of Pulumi itself are not this program's to refuse", () => {
            assert.deepStrictEqual(problems({ "pulumi:tags": '{"event":"esip"}', "kubernetes:enableServerSideApply": "true", "openstack:insecure": "false" }), []);
        });

        it("a stack name that cannot prefix the nodes' hostnames", () => {
            assert.throws(() => parseSiteConfig(stackConfig("jetstream").config, "JS2_prod", PROJECT_DIR), (e: ConfigError) => {
                assert.deepStrictEqual(e.problems, [
                    'stack name "JS2_prod": it prefixes node names such as JS2_prod-worker-05; use lower-case letters, digits and -, at most 53 characters (rename Pulumi.JS2_prod.yaml)',
                ]);
                return true;
            });
        });

        it("a /28 that holds every node passes (12 on OpenStack: master and 11 workers)", () => {
            assert.deepStrictEqual(problems({ "esiphub:subnetCidr": "10.42.0.0/28", "esiphub:workers": "11" }), []);
        });

        it("reports all problems together, in key order", () => {
            assert.deepStrictEqual(problems({ "esiphub:users": "-3", "esiphub:cloud": "azure", "esiphub:subnetCidr": "nope" }), [
                'esiphub:cloud: must be one of openstack, aws, got "azure"',
                'esiphub:subnetCidr: must be an IPv4 CIDR from /16 to /28 such as 10.10.0.0/24, got "nope"',
                'esiphub:users: must be an integer from 1 to 1000, got "-3"',
            ]);
        });

        it("never echoes a secret value", () => {
            const all = problems({ "esiphub:sshPrivateKey": "my-very-secret-value" }).join("\n");
            assert.ok(!all.includes("my-very-secret-value"));
        });
    });

    describe("numbers that YAML rewrote (Pulumi hands the program the number, not the text)", () => {
        let dir: string;
        before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-config-"))));
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        /** The problems of Pulumi.<site>.yaml with these lines appended to its config block, read as the CLI reads it. */
        function problemsOfFile(site: "jetstream" | "aws", lines: string[]): string[] {
            const file = path.join(dir, `Pulumi.${site}.yaml`);
            const keys = lines.map((l) => l.split(":").slice(0, 2).join(":"));
            const text = fs
                .readFileSync(path.join(PROJECT_DIR, `Pulumi.${site}.yaml`), "utf8")
                .split("\n")
                .filter((l) => !keys.some((k) => l.startsWith(`  ${k}:`)))
                .join("\n");
            fs.writeFileSync(file, `${text}${lines.map((l) => `  ${l}\n`).join("")}`);
            const stack = readStackConfig(file);
            try {
                parseSiteConfig(stack.config, site, PROJECT_DIR, { yamlNumbers: stack.yamlNumbers });
            } catch (e) {
                if (e instanceof ConfigError) return e.problems;
                throw e;
            }
            return [];
        }

        it('kubernetesVersion: 1.30 is the number 1.3: "quote it"', () => {
            assert.deepStrictEqual(problemsOfFile("jetstream", ["esiphub:kubernetesVersion: 1.30"]), ['esiphub:kubernetesVersion: YAML reads 1.30 as the number 1.3: quote it: "1.30"']);
            assert.deepStrictEqual(problemsOfFile("jetstream", ['esiphub:kubernetesVersion: "1.30"']), []);
            // Unquoted but the same text either way: nothing to say.
            assert.deepStrictEqual(problemsOfFile("jetstream", ["esiphub:kubernetesVersion: 1.33"]), []);
        });

        it("a leading zero lost (amiOwner: 099720109477), a tag that would silently change (2026.10)", () => {
            assert.deepStrictEqual(problemsOfFile("aws", ["esiphub:amiOwner: 099720109477"]), ['esiphub:amiOwner: YAML reads 099720109477 as the number 99720109477: quote it: "099720109477"']);
            assert.deepStrictEqual(problemsOfFile("jetstream", ["esiphub:notebookTag: 2026.10"]).slice(-1), ['esiphub:notebookTag: YAML reads 2026.10 as the number 2026.1: quote it: "2026.10"']);
        });

        it("a number meant as a number may be written either way; a bad one gets the hint too", () => {
            assert.deepStrictEqual(problemsOfFile("jetstream", ["esiphub:cpuLimit: 0.50"]), []);
            assert.deepStrictEqual(problemsOfFile("jetstream", ["esiphub:startTimeout: 0x20"]), ['esiphub:startTimeout: must be an integer from 60 to 3600, got "32"; YAML reads 0x20 as the number 32: quote it: "0x20"']);
        });
    });

    describe("esiphub:eventEnds", () => {
        it("names a moment: the zone's offset applied, seconds and fractions optional", () => {
            const at = (text: string) => testConfig("jetstream", { "esiphub:eventEnds": text }).eventEnds;
            assert.deepStrictEqual(at("2026-12-04T17:00:00-05:00"), { text: "2026-12-04T17:00:00-05:00", time: Date.parse("2026-12-04T22:00:00Z") });
            assert.strictEqual(at("2026-12-04T22:00Z")!.time, Date.parse("2026-12-04T22:00:00Z"));
            assert.strictEqual(at("2026-12-05T07:30:00.5+09:30")!.time, Date.parse("2026-12-04T22:00:00.500Z"));
            // Not set (the default, empty): no end date, and no key in the config at all.
            assert.ok(!("eventEnds" in testConfig("jetstream")));
            assert.ok(!("eventEnds" in testConfig("jetstream", { "esiphub:eventEnds": "" })));
        });

        it("written unquoted in the stack file, it reaches the program as the text written", () => {
            // YAML 1.1 would make it a timestamp; Pulumi (gopkg.in/yaml.v3 into interface{}) and this reader keep the text.
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-event-"));
            try {
                const file = path.join(dir, "Pulumi.jetstream.yaml");
                fs.writeFileSync(file, fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.jetstream.yaml"), "utf8") + "  esiphub:eventEnds: 2026-12-04T17:00:00-05:00\n");
                const stack = readStackConfig(file);
                assert.strictEqual(stack.config["esiphub:eventEnds"], "2026-12-04T17:00:00-05:00");
                assert.strictEqual(parseSiteConfig(stack.config, "jetstream", PROJECT_DIR).eventEnds!.time, Date.parse("2026-12-04T22:00:00Z"));
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("Pulumi.yaml documents every setting", () => {
        const project = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));

        it("declares exactly the keys the program reads, with type, description and default", () => {
            const declared = project.config as Record<string, { type: string; description: string; default?: unknown; secret?: boolean }>;
            // A list of maps (esiphub:workshops) has no type Pulumi.yaml can declare (components/workshops.ts says why).
            const declarable = CONFIG_KEYS.filter((k) => k.type !== "array of maps");
            assert.deepStrictEqual(Object.keys(declared), declarable.map((k) => k.key));
            for (const k of declarable) {
                const d = declared[k.key];
                assert.strictEqual(d.type, k.type, `${k.key}: type`);
                assert.strictEqual(d.description, k.description, `${k.key}: description`);
                assert.deepStrictEqual(d.default, k.default, `${k.key}: default`);
                assert.strictEqual(!!d.secret, !!k.secret, `${k.key}: secret`);
            }
        });

        it("says in a comment which settings it cannot declare, and why", () => {
            const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8");
            for (const k of CONFIG_KEYS.filter((c) => c.type === "array of maps")) assert.match(text, new RegExp(`^# .*esiphub:${k.key}\\b`, "m"));
        });

        it("the README's configuration reference lists every setting with its type and default", () => {
            const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
            const section = readme.split("## Configuration reference")[1].split("\n## ")[0];
            const rows = section.split("\n").filter((l) => /^\| `[a-zA-Z]+` \|/.test(l));
            const table = rows.map((l) => l.split("|").map((c) => c.trim()).slice(1, 5));
            assert.deepStrictEqual(
                table,
                CONFIG_KEYS.map((k) => [`\`${k.key}\``, k.type, k.default === undefined ? "required" : `\`${JSON.stringify(k.default)}\``, k.description.replace(/\|/g, "\\|")]),
            );
        });
    });
});
