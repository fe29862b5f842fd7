import * as assert from "assert";
import { amiQuery, awsTags, cidrContains, DATA_VOLUME_DEVICE_NAME, ebsDiskSerial, elasticIpProblem, zoneChangeProblem, ingressRuleArgs } from "../../components/aws/specs";

describe("aws: resource arguments", () => {
    it("renders a firewall rule as a VPC security group ingress rule", () => {
        assert.deepStrictEqual(
            ingressRuleArgs({ group: "cluster", protocol: "tcp", fromPort: 30000, toPort: 32767, cidr: "10.44.0.0/24", description: "Kubernetes NodePorts" }),
            { ipProtocol: "tcp", fromPort: 30000, toPort: 32767, cidrIpv4: "10.44.0.0/24", description: "Kubernetes NodePorts" },
        );
    });

    it("asks for the newest x86_64 HVM EBS image matching the filter from the owner", () => {
        assert.deepStrictEqual(amiQuery("099720109477", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"), {
            mostRecent: true,
            owners: ["099720109477"],
            filters: [
                { name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"] },
                { name: "architecture", values: ["x86_64"] },
                { name: "virtualization-type", values: ["hvm"] },
                { name: "root-device-type", values: ["ebs"] },
            ],
        });
    });

    it("finds the EBS volume by its NVMe serial (the volume id without its dash)", () => {
        assert.strictEqual(ebsDiskSerial("vol-0123456789abcdef0"), "vol0123456789abcdef0");
        assert.strictEqual(DATA_VOLUME_DEVICE_NAME, "/dev/sdf");
    });

    it("takes a kept Elastic IP only when it is a free VPC address or already on the master", () => {
        assert.strictEqual(elasticIpProblem({ address: "192.0.2.20", domain: "vpc" }, "i-master"), undefined);
        assert.strictEqual(elasticIpProblem({ address: "192.0.2.20", domain: "vpc", instanceId: "i-master", networkInterfaceId: "eni-1" }, "i-master"), undefined);
        assert.strictEqual(
            elasticIpProblem({ address: "192.0.2.20", domain: "vpc", instanceId: "i-other" }, "i-master"),
            "192.0.2.20 is associated with instance i-other; free it with `aws ec2 disassociate-address --public-ip 192.0.2.20` or name another address",
        );
        assert.match(elasticIpProblem({ address: "192.0.2.20", domain: "standard" }, "i-master")!, /EC2-Classic/);
    });

    it("refuses to move the site away from its data volume's zone", () => {
        assert.strictEqual(zoneChangeProblem("us-east-1a", "us-east-1a"), undefined);
        assert.strictEqual(zoneChangeProblem("", "us-east-1b"), undefined, "a new volume has no zone yet");
        assert.strictEqual(
            zoneChangeProblem("us-east-1a", "us-east-1b"),
            "the data volume is in us-east-1a and an EBS volume attaches only to instances of its own zone; set esiphub:availabilityZone to us-east-1a, or move the data yourself (snapshot, then a volume in us-east-1b) before changing the zone",
        );
    });

    it("puts a Name beside the site's tags", () => {
        assert.deepStrictEqual(awsTags({ site: "aws", stack: "aws", role: "master" }, "aws-master"), { Name: "aws-master", site: "aws", stack: "aws", role: "master" });
    });

    it("knows when a subnet lies inside a VPC range", () => {
        assert.strictEqual(cidrContains("10.44.0.0/16", "10.44.0.0/24"), true);
        assert.strictEqual(cidrContains("10.44.0.0/16", "10.44.255.0/24"), true);
        assert.strictEqual(cidrContains("10.44.0.0/16", "10.45.0.0/24"), false);
        assert.strictEqual(cidrContains("10.44.0.0/24", "10.44.0.0/16"), false, "a larger range is not inside");
        assert.strictEqual(cidrContains("10.44.0.0/24", "10.44.0.0/24"), true);
        assert.strictEqual(cidrContains("10.44.0.0/16", "not a cidr"), false);
    });
});
