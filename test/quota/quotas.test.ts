import * as assert from "assert";
import { isStandardInstanceType, QuotaReadings, quotaRefusal, quotaShortfalls, siteNeeds } from "../../components/quota/quotas";
import { testConfig } from "../mocks";

/** Jetstream2's default allocation (js2docs) with Exosphere's router, one kept address and the default security group. */
const JETSTREAM2_DEFAULTS: QuotaReadings = {
    cores: { limit: 150, used: 0 },
    ram: { limit: 585 * 1024, used: 0 },
    instances: { limit: 10, used: 0 },
    server_groups: { limit: 10, used: 0 },
    server_group_members: { limit: 10, used: 0 },
    floatingips: { limit: 10, used: 1 },
    routers: { limit: 1, used: 1 },
    security_groups: { limit: 10, used: 1 },
    security_group_rules: { limit: 100, used: 4 },
    volumes: { limit: 10, used: 0 },
    gigabytes: { limit: 1000, used: 0 },
};

describe("quota: what a site needs and which quotas cannot hold it", () => {
    it("the Jetstream2 stack: six VMs booting from their flavors' disks, one volume of 1000 GB, the project's router", () => {
        assert.deepStrictEqual(siteNeeds(testConfig("jetstream")), {
            cores: 8 + 5 * 16,
            ram: (30 + 5 * 60) * 1024,
            instances: 6,
            server_groups: 1,
            server_group_members: 5,
            floatingips: 1,
            routers: 0,
            security_groups: 3,
            // 11 inbound rules and Neutron's two egress rules in each new group.
            security_group_rules: 17,
            volumes: 1,
            gigabytes: 1000,
        });
    });

    it("boot volumes count where the flavor has no disk (Nebula's declared flavors), and a kept address needs no new one", () => {
        const needs = siteNeeds(testConfig("nebula", { "esiphub:publicIp": "192.0.2.10" }));
        assert.deepStrictEqual([needs.volumes, needs.gigabytes, needs.routers, needs.floatingips], [1 + 6, 600 + 6 * 60, 1, 0]);
    });

    it("AWS: vCPUs of the standard families and one Elastic IP", () => {
        assert.deepStrictEqual(siteNeeds(testConfig("aws")), { vcpus: 4 + 4 * 8, elastic_ips: 1 });
        assert.deepStrictEqual(["m5.xlarge", "r5.2xlarge", "t3.large", "g5.xlarge", "p4d.24xlarge", "inf2.xlarge"].map(isStandardInstanceType), [true, true, true, false, false, true]);
    });

    it("the Jetstream2 stack fits a default allocation", () => {
        assert.deepStrictEqual(quotaShortfalls("openstack", siteNeeds(testConfig("jetstream")), JETSTREAM2_DEFAULTS), []);
    });

    it("a 1500 GB data volume does not, and the message says how much, what is left and what to change", () => {
        const needs = siteNeeds(testConfig("jetstream", { "esiphub:dataVolumeSize": "1500" }));
        assert.deepStrictEqual(quotaShortfalls("openstack", needs, JETSTREAM2_DEFAULTS), [
            "gigabytes (Cinder): the site needs 1500 GB, 1000 GB left of 1000 (0 in use); lower esiphub:dataVolumeSize or esiphub:rootVolumeSize, delete unused volumes (a data volume kept from an earlier deployment counts), or ask the cloud's operators for a larger quota (Jetstream2: more storage is an ACCESS allocation)",
        ]);
    });

    it("one message per short quota, in the cloud's order: a second router and 24 large workers", () => {
        const needs = siteNeeds(testConfig("jetstream", { "esiphub:existingRouter": "", "esiphub:workers": "24", "esiphub:users": "300" }));
        const messages = quotaShortfalls("openstack", needs, JETSTREAM2_DEFAULTS);
        assert.deepStrictEqual(messages.map((m) => m.split(" ")[0]), ["cores", "ram", "instances", "routers"]);
        assert.match(messages[0], /^cores \(Nova\): the site needs 392 vCPUs, 150 vCPUs left of 150 \(0 in use\); use a smaller esiphub:workerFlavor/);
        assert.match(messages[3], /^routers \(Neutron\): the site needs 1 router, 0 routers left of 1 \(1 in use\); name the project's router in esiphub:existingRouter/);
    });

    it("what the site already holds counts as free on a re-run", () => {
        const needs = siteNeeds(testConfig("jetstream"));
        const full = { ...JETSTREAM2_DEFAULTS, gigabytes: { limit: 1000, used: 1000 }, volumes: { limit: 10, used: 1 } };
        assert.strictEqual(quotaShortfalls("openstack", needs, full).length, 1, "someone else's 1000 GB leaves nothing");
        assert.deepStrictEqual(quotaShortfalls("openstack", needs, full, { gigabytes: 1000, volumes: 1 }), [], "the site's own 1000 GB stay its own");
        // Growing by 200 GB on a full allocation is refused, naming the site's share.
        const bigger = siteNeeds(testConfig("jetstream", { "esiphub:dataVolumeSize": "1200" }));
        assert.match(quotaShortfalls("openstack", bigger, full, { gigabytes: 1000, volumes: 1 })[0], /needs 1200 GB, 1000 GB left of 1000 \(1000 in use, 1000 of them this site's\)/);
    });

    it("server_group_members is per group: the largest group against the limit, whatever is in use", () => {
        const needs = siteNeeds(testConfig("jetstream", { "esiphub:workers": "8", "esiphub:users": "20", "esiphub:workerFlavor": "m3.quad", "esiphub:rootVolumeSize": "20" }));
        assert.strictEqual(needs.server_group_members, 8);
        const fewer = { ...JETSTREAM2_DEFAULTS, server_group_members: { limit: 5, used: 0 } };
        assert.deepStrictEqual(quotaShortfalls("openstack", needs, fewer), [
            "server_group_members (Nova): the site needs 8 VMs per group, 5 VMs per group left of 5; ask for server_group_members of 10 (Nova's default)",
        ]);
    });

    it("a limit of -1 is no limit; a quota the site does not use is not judged", () => {
        const unlimited = Object.fromEntries(Object.keys(JETSTREAM2_DEFAULTS).map((k) => [k, { limit: -1, used: 99999 }]));
        assert.deepStrictEqual(quotaShortfalls("openstack", siteNeeds(testConfig("nebula")), unlimited), []);
        const noRouterLeft = { ...JETSTREAM2_DEFAULTS, routers: { limit: 0, used: 0 } };
        assert.deepStrictEqual(quotaShortfalls("openstack", siteNeeds(testConfig("jetstream")), noRouterLeft), [], "the router is the project's own");
    });

    it("AWS: a new account's 5 vCPUs cannot run the AWS stack's 36", () => {
        const messages = quotaShortfalls("aws", siteNeeds(testConfig("aws")), { vcpus: { limit: 5, used: 0 }, elastic_ips: { limit: 5, used: 0 } });
        assert.deepStrictEqual(messages, [
            'vcpus (L-1216C47A): the site needs 36 vCPUs, 5 vCPUs left of 5 (0 in use); use smaller instance types or fewer esiphub:workers, or request more "Running On-Demand Standard instances" (L-1216C47A) in Service Quotas',
        ]);
    });

    it("the refusal lists every short quota and says nothing was created", () => {
        assert.strictEqual(quotaRefusal(["a", "b"]), "esiphub: the site does not fit the project's quotas, so nothing was created:\n  - a\n  - b");
    });
});
