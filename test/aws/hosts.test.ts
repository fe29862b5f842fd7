import * as assert from "assert";
import { inboundRules } from "../../components/firewall";
import { assertHostKeysPinned, failureCases, HOST_KEY, HostsPlan, planHosts } from "../cloudhosts";
import { findResource, longestChain, PlannedResource, resourcesOfType } from "../mocks";

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    gateway: "aws:ec2/internetGateway:InternetGateway",
    subnet: "aws:ec2/subnet:Subnet",
    routeTable: "aws:ec2/routeTable:RouteTable",
    routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    keyPair: "aws:ec2/keyPair:KeyPair",
    instance: "aws:ec2/instance:Instance",
    instanceState: "aws:ec2transitgateway/instanceState:InstanceState",
    eip: "aws:ec2/eip:Eip",
    eipAssociation: "aws:ec2/eipAssociation:EipAssociation",
    volume: "aws:ebs/volume:Volume",
    volumeAttachment: "aws:ec2/volumeAttachment:VolumeAttachment",
};

const input = <V = unknown>(r: PlannedResource, key: string) => r.inputs[key] as V;
const NEWEST_X86_NOBLE = "ami-04b4f1a9cf54c11d0";
const EXISTING_VPC = "vpc-0a1b2c3d4e5f60718";

function countsByType(plan: HostsPlan): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of plan.resources.filter((r) => r.custom)) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
}

function groupNames(plan: HostsPlan): Map<string, string> {
    // Named by prefix: EC2 adds a unique suffix, so that a replacement can exist beside the old group.
    return new Map(resourcesOfType(plan, T.securityGroup).map((g) => [`${g.name}-id`, input<string>(g, "namePrefix").replace(/-$/, "")]));
}

describe("aws: hosts under mocks", () => {
    let plan: HostsPlan;
    before(async () => {
        plan = await planHosts("aws");
    });

    it("has the resource set: counts per type", () => {
        assert.strictEqual(plan.config.nodes.workers, 4);
        assert.deepStrictEqual(countsByType(plan), {
            [T.vpc]: 1,
            [T.gateway]: 1,
            [T.subnet]: 1,
            [T.routeTable]: 1,
            [T.routeTableAssociation]: 1,
            [T.securityGroup]: 3,
            // 22 and 6443 from the one admin CIDR, 80 and 443, seven node-to-node rules.
            [T.ingress]: 11,
            [T.egress]: 1,
            [T.keyPair]: 1,
            [T.instance]: 5,
            [HOST_KEY]: 5,
            [T.eip]: 1,
            [T.eipAssociation]: 1,
            [T.volume]: 1,
            [T.volumeAttachment]: 1,
            [T.instanceState]: 1,
        });
        const component = findResource(plan, "esiphub:aws:Hosts");
        for (const r of plan.resources.filter((x) => x.custom)) assert.strictEqual(r.parent, component.urn, `${r.name} is a child of the component`);
    });

    it("renders exactly the firewall's rules, none opening 22, 6443 or 2049 to the world; all egress allowed", () => {
        const names = groupNames(plan);
        const rendered = resourcesOfType(plan, T.ingress)
            .map((r) => `${names.get(input(r, "securityGroupId"))} ${input(r, "ipProtocol")} ${input(r, "fromPort")}-${input(r, "toPort")} ${input(r, "cidrIpv4")}`)
            .sort();
        const expected = inboundRules(plan.config.network)
            .map((r) => `aws-${r.group} ${r.protocol} ${r.fromPort}-${r.toPort} ${r.cidr}`)
            .sort();
        assert.deepStrictEqual(rendered, expected);
        for (const r of resourcesOfType(plan, T.ingress)) {
            const from = input<number>(r, "fromPort");
            const to = input<number>(r, "toPort");
            if ([22, 6443, 2049].some((p) => from <= p && p <= to)) assert.notStrictEqual(input(r, "cidrIpv4"), "0.0.0.0/0", `${r.name} is not open to the world`);
            assert.strictEqual(input(r, "cidrIpv6"), undefined);
        }
        const egress = findResource(plan, T.egress);
        assert.strictEqual(names.get(input(egress, "securityGroupId")), "aws-cluster");
        assert.strictEqual(input(egress, "ipProtocol"), "-1");
        assert.strictEqual(input(egress, "cidrIpv4"), "0.0.0.0/0");
        for (const g of resourcesOfType(plan, T.securityGroup)) {
            assert.strictEqual(input(g, "ingress"), undefined, "no inline rules beside the rule resources");
            assert.strictEqual(input(g, "vpcId"), `${findResource(plan, T.vpc).name}-id`);
        }
    });

    it("puts the master in admin, web and cluster, workers in cluster only", () => {
        const names = groupNames(plan);
        for (const i of resourcesOfType(plan, T.instance)) {
            const groups = input<string[]>(i, "vpcSecurityGroupIds").map((id) => names.get(id));
            assert.deepStrictEqual(groups, /-master$/.test(i.name) ? ["aws-admin", "aws-web", "aws-cluster"] : ["aws-cluster"], i.name);
        }
    });

    it("looks up the AMI by the configured filter and owner, the newest x86_64 build, and checks the zone offers both instance types", () => {
        const calls = (token: string) => plan.invokes.filter((i) => i.token === token).map((i) => i.inputs);
        assert.deepStrictEqual(calls("aws:ec2/getAmi:getAmi"), [
            {
                mostRecent: true,
                owners: ["099720109477"],
                filters: [
                    { name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"] },
                    { name: "architecture", values: ["x86_64"] },
                    { name: "virtualization-type", values: ["hvm"] },
                    { name: "root-device-type", values: ["ebs"] },
                ],
            },
        ]);
        assert.deepStrictEqual(calls("aws:index/getAvailabilityZones:getAvailabilityZones"), [{ state: "available" }]);
        const offerings = calls("aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings") as { locationType: string; filters: { name: string; values: string[] }[] }[];
        assert.deepStrictEqual(
            offerings.map((o) => `${o.locationType} ${o.filters.map((f) => `${f.name}=${f.values.join(",")}`).join(" ")}`).sort(),
            ["availability-zone location=us-east-1a instance-type=m5.xlarge", "availability-zone location=us-east-1a instance-type=r5.2xlarge"],
        );
        assert.deepStrictEqual(calls("aws:ec2/getVpc:getVpc"), [], "no VPC lookup without esiphub:vpcId");
        for (const i of resourcesOfType(plan, T.instance)) {
            assert.strictEqual(input(i, "ami"), NEWEST_X86_NOBLE);
            assert.strictEqual(input(i, "instanceType"), /-master$/.test(i.name) ? "m5.xlarge" : "r5.2xlarge");
        }
    });

    it("reads the account's vCPU and Elastic IP quotas and what is in use", () => {
        const calls = (token: string) => plan.invokes.filter((i) => i.token === token).map((i) => i.inputs);
        assert.deepStrictEqual(calls("aws:servicequotas/getServiceQuota:getServiceQuota").map((i) => i.quotaCode).sort(), ["L-0263D0A3", "L-1216C47A"]);
        assert.deepStrictEqual(calls("aws:ec2/getInstances:getInstances"), [{ instanceStateNames: ["pending", "running"] }]);
        assert.deepStrictEqual(calls("aws:ec2/getEips:getEips"), [{}]);
    });

    it("gives every node a gp3 root, a hostname, IMDSv2, tags, and keeps it when a newer AMI appears", () => {
        const instances = resourcesOfType(plan, T.instance);
        assert.deepStrictEqual(
            instances.map((i) => input<Record<string, string>>(i, "tags").Name).sort(),
            ["aws-master", "aws-worker-01", "aws-worker-02", "aws-worker-03", "aws-worker-04"],
        );
        for (const i of instances) {
            const name = input<Record<string, string>>(i, "tags").Name;
            const role = name === "aws-master" ? "master" : "worker";
            assert.deepStrictEqual(input(i, "tags"), { Name: name, site: "aws", stack: "aws", role });
            assert.deepStrictEqual(input(i, "rootBlockDevice"), {
                volumeType: "gp3",
                volumeSize: 60,
                encrypted: true,
                deleteOnTermination: true,
                tags: { Name: `${name}-root`, site: "aws", stack: "aws", role },
            });
            assert.deepStrictEqual(input(i, "metadataOptions"), { httpEndpoint: "enabled", httpTokens: "required" });
            assert.strictEqual(input(i, "userDataReplaceOnChange"), true, "a new host key comes with a new instance, where cloud-init installs it");
            assert.strictEqual(input(i, "associatePublicIpAddress"), true, "outbound traffic without a NAT gateway");
            assert.strictEqual(input(i, "keyName"), "esiphub-aws");
            assert.strictEqual(input(i, "subnetId"), `${findResource(plan, T.subnet).name}-id`);
            assert.deepStrictEqual(i.ignoreChanges, ["ami"]);
        }
        assert.strictEqual(input(findResource(plan, T.keyPair), "publicKey"), plan.config.ssh.publicKey);
    });

    it("creates workers side by side: no worker depends on another", () => {
        const workers = resourcesOfType(plan, T.instance).filter((i) => /-worker-\d+$/.test(i.name));
        for (const w of workers) {
            for (const other of workers.filter((o) => o !== w)) assert.ok(!w.dependencies.includes(other.urn), `${w.name} does not depend on ${other.name}`);
        }
    });

    it("builds a public subnet: VPC of the subnet's CIDR, internet gateway, default route", () => {
        const vpc = findResource(plan, T.vpc);
        assert.strictEqual(input(vpc, "cidrBlock"), "10.44.0.0/24");
        assert.strictEqual(input(vpc, "enableDnsHostnames"), true);
        const subnet = findResource(plan, T.subnet);
        assert.strictEqual(input(subnet, "cidrBlock"), "10.44.0.0/24");
        assert.strictEqual(input(subnet, "availabilityZone"), "us-east-1a");
        assert.strictEqual(input(subnet, "mapPublicIpOnLaunch"), true);
        const gateway = findResource(plan, T.gateway);
        assert.deepStrictEqual(input(findResource(plan, T.routeTable), "routes"), [{ cidrBlock: "0.0.0.0/0", gatewayId: `${gateway.name}-id` }]);
        assert.strictEqual(input(findResource(plan, T.routeTableAssociation), "subnetId"), `${subnet.name}-id`);
    });

    it("puts the Elastic IP on the master", () => {
        const eip = findResource(plan, T.eip);
        assert.strictEqual(input(eip, "domain"), "vpc");
        assert.ok(eip.dependencies.includes(findResource(plan, T.gateway).urn), "an EIP needs the gateway attached");
        const association = findResource(plan, T.eipAssociation);
        assert.strictEqual(input(association, "instanceId"), "esiphub-aws-aws-aws-master-id");
        assert.match(String(plan.outputs.publicIp), /^203\.0\.113\.\d+$/);
        assert.strictEqual(plan.outputs.sshCommand, `ssh -i ~/.ssh/esiphub ubuntu@${plan.outputs.publicIp}`);
    });

    it("tags everything that takes tags with site, stack, role and a Name", () => {
        // Associations, attachments and an instance's power state have no tags in EC2; host keys are in the state only.
        const untaggable = [T.routeTableAssociation, T.eipAssociation, T.volumeAttachment, T.instanceState, HOST_KEY];
        for (const r of plan.resources.filter((x) => x.custom && !untaggable.includes(x.type))) {
            const tags = input<Record<string, string>>(r, "tags");
            assert.ok(tags, `${r.name} is tagged`);
            assert.strictEqual(tags.site, "aws", r.name);
            assert.strictEqual(tags.stack, "aws", r.name);
            assert.match(tags.role, /^(master|worker|network|firewall|access|storage)$/, r.name);
            assert.ok(tags.Name, r.name);
        }
    });

    it("keeps the gp3 data volume on destroy, attaches it to the master, and hands on its NVMe serial", () => {
        const volume = findResource(plan, T.volume);
        assert.strictEqual(volume.retainOnDelete, true);
        assert.strictEqual(volume.protect, false);
        assert.deepStrictEqual(volume.ignoreChanges, ["availabilityZone"]);
        assert.strictEqual(input(volume, "type"), "gp3");
        assert.strictEqual(input(volume, "size"), 800);
        assert.strictEqual(input(volume, "encrypted"), true);
        assert.strictEqual(input(volume, "availabilityZone"), "us-east-1a");
        assert.deepStrictEqual(input(volume, "tags"), { Name: "aws-data", site: "aws", stack: "aws", role: "storage" });
        const attachment = findResource(plan, T.volumeAttachment);
        assert.strictEqual(input(attachment, "volumeId"), `${volume.name}-id`);
        assert.strictEqual(input(attachment, "instanceId"), "esiphub-aws-aws-aws-master-id");
        assert.strictEqual(input(attachment, "deviceName"), "/dev/sdf");
        assert.strictEqual(input(attachment, "stopInstanceBeforeDetaching"), true);
        // The EBS id without its dash: what the NVMe disk reports as serial on a Nitro instance.
        assert.strictEqual(plan.outputs.volumeSerial, `${volume.name}-id`.replace("-", ""));
    });

    it("hands the next layers each node's name, role, private IP and SSH connection", () => {
        const nodes = plan.outputs.nodes as { name: string; role: string; privateIp: string }[];
        assert.deepStrictEqual(nodes.map((n) => `${n.name} ${n.role}`), ["aws-master master", "aws-worker-01 worker", "aws-worker-02 worker", "aws-worker-03 worker", "aws-worker-04 worker"]);
        for (const n of nodes) assert.match(n.privateIp, /^10\.44\.0\.\d+$/);
        for (const c of Object.values(plan.outputs.connections as Record<string, unknown>)) assert.strictEqual(c, "[secret]");
        const raw = plan.rawOutputs.connections as Record<string, Record<string, unknown>>;
        const hop = { user: "ubuntu", privateKey: plan.config.ssh.privateKey, dialErrorLimit: 30, perDialTimeout: 10 };
        const keys = plan.rawOutputs.hostKeys as Record<string, string>;
        assert.deepStrictEqual(raw["aws-master"], { host: plan.outputs.publicIp, hostKey: keys["aws-master"], ...hop });
        const worker = nodes[2];
        assert.deepStrictEqual(raw[worker.name], { host: worker.privateIp, hostKey: keys[worker.name], ...hop, proxy: { host: plan.outputs.publicIp, hostKey: keys["aws-master"], ...hop } });
    });

    it("pins every node's host key: made by the program, installed by its secret user data, on every connection and hop", () => {
        assertHostKeysPinned(plan, T.instance, (instance) => (instance.inputs.tags as Record<string, string>).Name);
    });

    it("with esiphub:publicIp associates that Elastic IP and allocates none", async () => {
        const p = await planHosts("aws", { "esiphub:publicIp": "192.0.2.20" });
        assert.strictEqual(resourcesOfType(p, T.eip).length, 0, "the kept address is never allocated (nor released on destroy)");
        const association = findResource(p, T.eipAssociation);
        assert.strictEqual(input(association, "allocationId"), "eipalloc-0a1b2c3d4e5f60718");
        assert.strictEqual(input(association, "instanceId"), "esiphub-aws-aws-aws-master-id");
        assert.ok(association.dependencies.includes(findResource(p, T.gateway).urn), "associated once the gateway is attached");
        assert.strictEqual(p.outputs.publicIp, "192.0.2.20");
        assert.deepStrictEqual(p.invokes.filter((i) => i.token === "aws:ec2/getElasticIp:getElasticIp").map((i) => i.inputs), [{ publicIp: "192.0.2.20" }]);
    });

    it("replaces without collisions: unique names and attachments go first, security groups are named by prefix", () => {
        const dbr = plan.resources.filter((r) => r.custom && r.deleteBeforeReplace).map((r) => r.type).sort();
        assert.deepStrictEqual(dbr, [T.eipAssociation, T.keyPair, T.volumeAttachment].sort());
        for (const g of resourcesOfType(plan, T.securityGroup)) {
            assert.strictEqual(input(g, "name"), undefined);
            assert.match(input<string>(g, "namePrefix"), /^aws-(admin|web|cluster)-$/);
        }
    });

    it("starts the NFS host again after a new data attachment: EC2 stops it to detach and leaves it stopped", async () => {
        const attachment = findResource(plan, T.volumeAttachment);
        assert.strictEqual(input(attachment, "stopInstanceBeforeDetaching"), true, "never detached from a running, mounted host");
        const running = findResource(plan, T.instanceState);
        assert.strictEqual(running.name, "esiphub-aws-aws-aws-master-running");
        assert.deepStrictEqual([input(running, "instanceId"), input(running, "state")], ["esiphub-aws-aws-aws-master-id", "running"]);
        assert.ok(running.dependencies.includes(attachment.urn));
        // With a dedicated NFS node the volume can be on either; both are kept running.
        const p = await planHosts("aws", { "esiphub:nfsNode": "true" });
        assert.deepStrictEqual(resourcesOfType(p, T.instanceState).map((r) => input(r, "instanceId")).sort(), ["esiphub-aws-aws-aws-master-id", "esiphub-aws-aws-aws-nfs-id"]);
    });

    it("puts the site in the data volume's zone: the subnet's zone comes through the volume", () => {
        const volume = findResource(plan, T.volume);
        const subnet = findResource(plan, T.subnet);
        assert.strictEqual(input(volume, "availabilityZone"), "us-east-1a");
        assert.ok(subnet.dependencies.includes(volume.urn), "a zone other than the volume's is refused before the subnet");
    });

    it("lets the data volume go on destroy with keepDataOnDestroy false", async () => {
        const p = await planHosts("aws", { "esiphub:keepDataOnDestroy": "false" });
        assert.strictEqual(findResource(p, T.volume).retainOnDelete, false);
    });

    it("has the same longest dependency chain with 2 and with 20 workers", async () => {
        const two = await planHosts("aws", { "esiphub:workers": "2", "esiphub:users": "20" });
        const twenty = await planHosts("aws", { "esiphub:workers": "20", "esiphub:users": "200" });
        assert.strictEqual(resourcesOfType(twenty, T.instance).length, 21);
        assert.strictEqual(longestChain(twenty), longestChain(two));
    });

    it("raising the workers from 2 to 5 only adds three workers", async () => {
        const two = await planHosts("aws", { "esiphub:workers": "2", "esiphub:users": "20" });
        const five = await planHosts("aws", { "esiphub:workers": "5" });
        const before = new Set(two.resources.map((r) => r.urn));
        const after = new Set(five.resources.map((r) => r.urn));
        for (const urn of before) assert.ok(after.has(urn), `${urn} stays`);
        assert.deepStrictEqual(
            five.resources.filter((r) => !before.has(r.urn)).map((r) => `${r.type} ${r.name}`).sort(),
            [...[3, 4, 5].map((n) => `${T.instance} esiphub-aws-aws-aws-worker-0${n}`), ...[3, 4, 5].map((n) => `${HOST_KEY} esiphub-aws-aws-aws-worker-0${n}-host-key`)],
        );
        const inputsOf = new Map(five.resources.map((r) => [r.urn, r.inputs]));
        for (const r of two.resources) assert.deepStrictEqual(inputsOf.get(r.urn), r.inputs, `${r.name} keeps its inputs`);
    });

    it("with no workers checks only the master's instance type", async () => {
        const p = await planHosts("aws", { "esiphub:workers": "0", "esiphub:users": "2" });
        assert.deepStrictEqual(resourcesOfType(p, T.instance).map((i) => i.name), ["esiphub-aws-aws-aws-master"]);
        const checked = p.invokes
            .filter((i) => i.token === "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings")
            .map((i) => (i.inputs.filters as { name: string; values: string[] }[]).find((f) => f.name === "instance-type")!.values);
        assert.deepStrictEqual(checked, [["m5.xlarge"]]);
    });

    it("in an existing VPC, uses it and its internet gateway instead of creating them", async () => {
        const p = await planHosts("aws", { "esiphub:vpcId": EXISTING_VPC });
        assert.strictEqual(resourcesOfType(p, T.vpc).length, 0);
        assert.strictEqual(resourcesOfType(p, T.gateway).length, 0);
        assert.strictEqual(input(findResource(p, T.subnet), "vpcId"), EXISTING_VPC);
        for (const g of resourcesOfType(p, T.securityGroup)) assert.strictEqual(input(g, "vpcId"), EXISTING_VPC);
        assert.deepStrictEqual(input(findResource(p, T.routeTable), "routes"), [{ cidrBlock: "0.0.0.0/0", gatewayId: "igw-0f1e2d3c4b5a69788" }]);
        const calls = (token: string) => p.invokes.filter((i) => i.token === token).map((i) => i.inputs);
        assert.deepStrictEqual(calls("aws:ec2/getVpc:getVpc"), [{ id: EXISTING_VPC }]);
        assert.deepStrictEqual(calls("aws:ec2/getInternetGateway:getInternetGateway"), [{ filters: [{ name: "attachment.vpc-id", values: [EXISTING_VPC] }] }]);
    });

    it("with a dedicated NFS node and no zone configured, uses the region's first zone and attaches the volume to the nfs node", async () => {
        const p = await planHosts("aws", { "esiphub:nfsNode": "true", "esiphub:availabilityZone": "" });
        const nfs = findResource(p, T.instance, "esiphub-aws-aws-aws-nfs");
        assert.strictEqual(input(nfs, "instanceType"), "m5.xlarge");
        assert.deepStrictEqual(input<string[]>(nfs, "vpcSecurityGroupIds").map((id) => groupNames(p).get(id)), ["aws-cluster"]);
        assert.strictEqual(input(findResource(p, T.volumeAttachment), "instanceId"), `${nfs.name}-id`);
        assert.strictEqual(input(findResource(p, T.subnet), "availabilityZone"), "us-east-1a");
        assert.strictEqual(input(findResource(p, T.volume), "availabilityZone"), "us-east-1a");
        assert.strictEqual(p.outputs.nfs, "aws-nfs");
        assert.strictEqual((p.rawOutputs.connections as Record<string, { proxy?: { host: string } }>)["aws-nfs"].proxy?.host, p.outputs.publicIp);
    });

    failureCases("a lookup that finds nothing names the setting to fix", [
        {
            title: "an AMI filter that matches nothing",
            run: { site: "aws", overrides: { "esiphub:amiNameFilter": "ubuntu/images/hvm-ssd-gp3/ubuntu-jammy-22.04-amd64-server-*" } },
            error: /esiphub:amiNameFilter: no AMI named like "ubuntu\/images\/hvm-ssd-gp3\/ubuntu-jammy-22\.04-amd64-server-\*" from owner 099720109477 in us-east-1 \(Your query returned no results/,
        },
        {
            title: "an AMI owner that has no such image",
            run: { site: "aws", overrides: { "esiphub:amiOwner": "123456789012" } },
            error: /esiphub:amiNameFilter: no AMI named like .* from owner 123456789012/,
        },
        {
            // Sized in customFlavors, but not offered by the cloud it runs against.
            title: "an instance type the zone does not offer",
            run: {
                site: "aws",
                overrides: { "esiphub:customFlavors": JSON.stringify(["m7i.2xlarge:8:32"]), "esiphub:workerFlavor": "m7i.2xlarge" },
                cloudOverrides: { "esiphub:workerFlavor": "m7i.2xlarge" },
            },
            error: /esiphub:workerFlavor: instance type m7i\.2xlarge is not offered in us-east-1a/,
        },
        {
            title: "a zone that is not in the region",
            run: { site: "aws", overrides: { "esiphub:availabilityZone": "us-east-1z" } },
            error: /esiphub:availabilityZone: "us-east-1z" is not an available zone of us-east-1 \(us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f\)/,
        },
        {
            title: "a VPC that does not exist",
            run: { site: "aws", overrides: { "esiphub:vpcId": "vpc-0123456789abcdef0" } },
            error: /esiphub:vpcId: no VPC vpc-0123456789abcdef0 in us-east-1 \(no matching EC2 VPC found\)/,
        },
        {
            title: "a subnet outside the existing VPC",
            run: { site: "aws", overrides: { "esiphub:vpcId": EXISTING_VPC, "esiphub:subnetCidr": "10.50.0.0/24" } },
            error: /esiphub:subnetCidr: 10\.50\.0\.0\/24 is not inside VPC vpc-0a1b2c3d4e5f60718 \(10\.44\.0\.0\/16\)/,
        },
        { title: "(and the stack file's own settings are all found)", run: { site: "aws" }, error: undefined },
    ]);

    failureCases("a lookup the real cloud would fail: a zone's instance types, the region's zones, the account's address", [
        {
            // us-east-1e offers none of the Nitro types (t3, m5, r5).
            title: "a zone that does not offer the instance types",
            run: { site: "aws", overrides: { "esiphub:availabilityZone": "us-east-1e" } },
            error: /esiphub:(masterFlavor|workerFlavor): instance type (m5\.xlarge|r5\.2xlarge) is not offered in us-east-1e/,
        },
        {
            title: "a zone letter the region does not have (us-west-2 has a to d)",
            run: { site: "aws", overrides: { "aws:region": "us-west-2", "esiphub:availabilityZone": "us-west-2f" } },
            error: /esiphub:availabilityZone: "us-west-2f" is not an available zone of us-west-2 \(us-west-2a, us-west-2b, us-west-2c, us-west-2d\)/,
        },
        {
            title: "a public IP the account does not hold",
            run: { site: "aws", overrides: { "esiphub:publicIp": "192.0.2.99" } },
            error: /esiphub:publicIp: no Elastic IP 192\.0\.2\.99 in us-east-1; allocate one with `aws ec2 allocate-address --domain vpc` \(no matching EC2 EIP found\)/,
        },
    ]);
});
