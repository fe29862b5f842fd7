/**
 * The rules' edge cases that the program itself never produces (other protocols, port ranges, IPv6, the other
 * AWS rule shapes, charts given by URL): the resources here are written by hand, in the shape each provider takes.
 * The rules against what the program really registers are in rules.test.ts.
 */
import * as assert from "assert";
import { checkResource, chartName, hubAdminUsers, hubAttendeeUsers, ResourceView, RULES, StackContext } from "../../policy/rules";

const KEEP: StackContext = { keepDataOnDestroy: true };

function findings(resource: Omit<ResourceView, "name"> & { name?: string }, ctx = KEEP): string[] {
    return checkResource({ name: "r", ...resource }, ctx).map((v) => `${v.policy}: ${v.message}`);
}

const os = (props: Record<string, unknown>) => findings({ type: "openstack:networking/secGroupRule:SecGroupRule", props: { direction: "ingress", ethertype: "IPv4", ...props } });

describe("policy rules: edge cases", () => {
    describe("no-public-admin-ports", () => {
        it("an OpenStack port range that covers 22 is open SSH; one that stops short is not", () => {
            assert.deepStrictEqual(os({ protocol: "tcp", portRangeMin: 20, portRangeMax: 25, remoteIpPrefix: "0.0.0.0/0" }), [
                "no-public-admin-ports: opens SSH (port 22) to 0.0.0.0/0; allow it only from esiphub:adminCidrs",
            ]);
            assert.deepStrictEqual(os({ protocol: "tcp", portRangeMin: 23, portRangeMax: 2048, remoteIpPrefix: "0.0.0.0/0" }), []);
            assert.deepStrictEqual(os({ protocol: "tcp", portRangeMin: 2050, portRangeMax: 6442, remoteIpPrefix: "0.0.0.0/0" }), []);
        });

        it("OpenStack: no protocol, or no port range, opens every guarded port", () => {
            const all = [
                "no-public-admin-ports: opens SSH (port 22) to 0.0.0.0/0; allow it only from esiphub:adminCidrs",
                "no-public-admin-ports: opens the Kubernetes API (port 6443) to 0.0.0.0/0; allow it only from esiphub:adminCidrs",
                "no-public-admin-ports: opens NFS (port 2049) to 0.0.0.0/0; allow it only from the node subnet",
            ];
            assert.deepStrictEqual(os({ remoteIpPrefix: "0.0.0.0/0" }), all);
            assert.deepStrictEqual(os({ protocol: "tcp", remoteIpPrefix: "0.0.0.0/0" }), all);
            assert.deepStrictEqual(os({ protocol: "udp", portRangeMin: 2049, portRangeMax: 2049, remoteIpPrefix: "0.0.0.0/0" }), [all[2]]);
        });

        it("OpenStack: no remote prefix and no remote group is the whole internet of the rule's ethertype", () => {
            assert.deepStrictEqual(os({ protocol: "tcp", portRangeMin: 6443, portRangeMax: 6443, ethertype: "IPv6" }), [
                "no-public-admin-ports: opens the Kubernetes API (port 6443) to ::/0; allow it only from esiphub:adminCidrs",
            ]);
            assert.deepStrictEqual(os({ protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteGroupId: "sg-cluster" }), []);
        });

        it("ICMP, egress and narrow sources open nothing", () => {
            assert.deepStrictEqual(os({ protocol: "icmp", remoteIpPrefix: "0.0.0.0/0" }), []);
            assert.deepStrictEqual(os({ direction: "egress", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "0.0.0.0/0" }), []);
            // Half the internet is not the whole of it (no mandatory violation), but it is far wider than a /24.
            assert.deepStrictEqual(
                os({ protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "0.0.0.0/1" }).map((f) => f.split(":")[0]),
                ["admin-cidrs-narrow"],
            );
        });

        it("AWS ingress rules: protocol -1, IPv6, and a port range by number", () => {
            const aws = (props: Record<string, unknown>) => findings({ type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", props });
            assert.strictEqual(aws({ ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }).length, 3);
            assert.deepStrictEqual(aws({ ipProtocol: "6", fromPort: 2000, toPort: 2100, cidrIpv6: "::/0" }), [
                "no-public-admin-ports: opens NFS (port 2049) to ::/0; allow it only from the node subnet",
            ]);
            assert.deepStrictEqual(aws({ ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }), []);
            assert.deepStrictEqual(aws({ ipProtocol: "tcp", fromPort: 22, toPort: 22, referencedSecurityGroupId: "sg-0123" }), []);
        });

        it("AWS inline ingress of a security group, and the legacy SecurityGroupRule", () => {
            const group = findings({
                type: "aws:ec2/securityGroup:SecurityGroup",
                props: {
                    ingress: [
                        { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] },
                        { protocol: "all", fromPort: 0, toPort: 0, cidrBlocks: ["10.0.0.0/8"], ipv6CidrBlocks: ["::/0"] },
                    ],
                },
            });
            assert.strictEqual(group.length, 3);
            assert.match(group[0], /^no-public-admin-ports: ingress\[1\] opens SSH \(port 22\) to ::\/0;/);
            const legacy = (type: string) =>
                findings({ type: "aws:ec2/securityGroupRule:SecurityGroupRule", props: { type, protocol: "tcp", fromPort: 6443, toPort: 6443, cidrBlocks: ["0.0.0.0/0"] } });
            assert.strictEqual(legacy("ingress").length, 1);
            assert.deepStrictEqual(legacy("egress"), []);
        });
    });

    describe("nfs-data-volume-retained", () => {
        const volume = (extra: Partial<ResourceView>): ResourceView => ({ type: "aws:ebs/volume:Volume", name: "data", props: { size: 500, tags: { role: "storage" } }, ...extra });

        it("retainOnDelete or protect keep it; keepDataOnDestroy false allows neither", () => {
            assert.strictEqual(findings(volume({ retainOnDelete: false, protect: false })).length, 1);
            assert.deepStrictEqual(findings(volume({ retainOnDelete: true, protect: false })), []);
            assert.deepStrictEqual(findings(volume({ retainOnDelete: false, protect: true })), []);
            assert.deepStrictEqual(findings(volume({ retainOnDelete: false }), { keepDataOnDestroy: false }), []);
        });

        it("a volume with another role is not the data volume", () => {
            assert.deepStrictEqual(findings({ ...volume({ retainOnDelete: false }), props: { tags: { role: "root" } } }), []);
        });

        it("where retainOnDelete cannot be seen, the volume is not passed unseen", () => {
            assert.deepStrictEqual(findings(volume({ protect: false })), [
                "nfs-data-volume-retained: cannot be checked: retainOnDelete is not visible here (policy packs do not receive it); `esiphub plan <site>` checks it",
            ]);
        });
    });

    describe("cluster-secrets-not-logged", () => {
        const command = (name: string, props: Record<string, unknown>) => findings({ type: "command:remote:Command", name, props });

        it("a command is known by what it runs (create or the script on stdin) or by its name", () => {
            const printJoin = { create: "sudo kubeadm token create --print-join-command --ttl 1h" };
            assert.strictEqual(command("worker-token", printJoin).length, 1);
            assert.strictEqual(command("fetch", { create: "bash -s", stdin: "set -e\nsudo cat /etc/kubernetes/admin.conf\n" }).length, 1);
            assert.strictEqual(command("site-kubeconfig", { create: "bash -s", logging: "stderr" }).length, 1);
            assert.deepStrictEqual(command("worker-token", { ...printJoin, logging: "none" }), []);
        });

        it("a command that only uses the admin kubeconfig prints no secret", () => {
            assert.deepStrictEqual(command("calico", { create: "kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f calico.yaml" }), []);
        });
    });

    describe("helm charts", () => {
        const release = (props: Record<string, unknown>) => findings({ type: "kubernetes:helm.sh/v3:Release", props });
        const hubValues = (singleuser: Record<string, unknown>, admins = '["a", "b"]') => ({
            hub: { extraConfig: { admins: `c.Authenticator.admin_users = set(${admins})\n` } },
            singleuser: { memory: { limit: "8G" }, storage: { capacity: "10Gi" }, image: { name: "quay.io/jupyter/scipy-notebook", tag: "2025-03-14" }, ...singleuser },
        });

        it("the chart is known by name, repo/name, or archive; a version range or none is not pinned", () => {
            assert.strictEqual(chartName({ type: "kubernetes:helm.sh/v3:Release", name: "r", props: { chart: "jupyterhub/jupyterhub" } }), "jupyterhub");
            assert.strictEqual(chartName({ type: "kubernetes:helm.sh/v3:Release", name: "r", props: { chart: "https://example.org/c/jupyterhub-4.4.0.tgz" } }), "jupyterhub");
            assert.deepStrictEqual(release({ chart: "nfs-subdir-external-provisioner", version: "4.0.18" }), []);
            assert.deepStrictEqual(release({ chart: "nfs-subdir-external-provisioner" }), [
                "charts-pinned: chart nfs-subdir-external-provisioner has no version: pin an exact version so that every deployment installs the same chart",
            ]);
            assert.strictEqual(release({ chart: "nfs-subdir-external-provisioner", version: "^4.0.0" }).length, 1);
            assert.strictEqual(release({ chart: "nfs-subdir-external-provisioner", version: "4.x" }).length, 1);
            assert.deepStrictEqual(release({ chart: "https://example.org/c/nfs-subdir-external-provisioner-4.0.18.tgz" }), []);
            assert.deepStrictEqual(release({ chart: "ingress-nginx" }), [], "other charts are not this rule's business");
        });

        it("the image tag may come with the name; an absent tag is flagged", () => {
            const tagIn = (image: Record<string, unknown>) =>
                release({ chart: "jupyterhub", version: "4.4.0", values: hubValues({ image }) }).filter((f) => f.startsWith("notebook-image-pinned"));
            assert.deepStrictEqual(tagIn({ name: "quay.io/jupyter/scipy-notebook:2025-03-14" }), []);
            assert.strictEqual(tagIn({ name: "quay.io/jupyter/scipy-notebook:latest" }).length, 1);
            assert.match(tagIn({ name: "quay.io/jupyter/scipy-notebook" })[0], /singleuser\.image\.tag is not set/);
        });

        it("values that cannot be read are reported, not passed", () => {
            const blind = release({ chart: "jupyterhub", version: "4.4.0", values: "[secret]" });
            assert.deepStrictEqual(
                blind.map((f) => f.split(":")[0]),
                ["hub-limits-set", "notebook-image-pinned", "two-hub-admins", "admins-not-attendees", "hub-https", "notebook-image-digest"],
            );
        });

        it("admin users are read from hub.config and from extraConfig lines", () => {
            assert.deepStrictEqual(hubAdminUsers({ hub: { config: { Authenticator: { admin_users: ["ada"] } } } }), ["ada"]);
            assert.deepStrictEqual(hubAdminUsers({ hub: { extraConfig: { x: "c.Authenticator.admin_users = {'ada', \"grace\"}" } } }), ["ada", "grace"]);
            assert.deepStrictEqual(hubAdminUsers(hubValues({}, "[]")), []);
        });
    });

    describe("admin-cidrs-narrow", () => {
        const ssh = (remoteIpPrefix: string) =>
            os({ protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix }).filter((f) => f.startsWith("admin-cidrs-narrow"));

        it("a public range wider than a /24 is flagged, naming the port; a /24, a single address or a private range is not", () => {
            assert.deepStrictEqual(ssh("141.142.0.0/16"), [
                "admin-cidrs-narrow: opens SSH (port 22) to 141.142.0.0/16, wider than a /24: a range that wide can hold other projects' floating IPs; list your own addresses in esiphub:adminCidrs (`esiphub admin-ip SITE --mine`)",
            ]);
            assert.strictEqual(ssh("149.165.152.0/23").length, 1);
            for (const narrow of ["149.165.152.0/24", "192.0.2.10/32", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]) {
                assert.deepStrictEqual(ssh(narrow), [], narrow);
            }
        });

        it("is advisory, and looks at SSH and the Kubernetes API only (NFS stays the mandatory rule's)", () => {
            const checked = checkResource(
                { name: "r", type: "openstack:networking/secGroupRule:SecGroupRule", props: { direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 1, portRangeMax: 65535, remoteIpPrefix: "141.142.0.0/16" } },
                KEEP,
            ).filter((v) => v.policy === "admin-cidrs-narrow");
            assert.deepStrictEqual(checked.map((v) => [v.enforcement, /port (\d+)/.exec(v.message)![1]]), [["advisory", "22"], ["advisory", "6443"]]);
        });
    });

    describe("hub rules of issue 21", () => {
        const hubRelease = (values: Record<string, unknown>, ctx = KEEP) =>
            checkResource({ name: "r", type: "kubernetes:helm.sh/v3:Release", props: { chart: "jupyterhub", version: "4.4.0", values } }, ctx);
        const only = (policy: string, values: Record<string, unknown>, ctx = KEEP) =>
            hubRelease(values, ctx).filter((v) => v.policy === policy).map((v) => `${v.enforcement}: ${v.message}`);
        const extraConfig = (admins: string, attendees?: string) => ({
            hub: {
                extraConfig: {
                    auth: `c.Authenticator.admin_users = set(${admins})\n${attendees === undefined ? "" : `c.PregeneratedAuthenticator.attendee_users = set(${attendees})\n`}`,
                },
            },
        });

        it("admins-not-attendees: an admin among the attendees' accounts is mandatory, named; organisers' own accounts pass", () => {
            assert.deepStrictEqual(only("admins-not-attendees", extraConfig('["instructor", "workshop-01"]', '["workshop-01", "workshop-02"]')), [
                "mandatory: hub admin workshop-01 is an attendee's account (esiphub:userPattern / esiphub:userNames), and an admin can open every server and read every home; " +
                    "give the organisers accounts of their own in esiphub:extraUsers and name those in esiphub:adminUsers",
            ]);
            assert.match(only("admins-not-attendees", extraConfig('["workshop-01", "workshop-02"]', '["workshop-01", "workshop-02"]'))[0], /^mandatory: hub admins workshop-01, workshop-02 are attendees' accounts/);
            assert.deepStrictEqual(only("admins-not-attendees", extraConfig('["instructor", "helper"]', '["workshop-01", "workshop-02"]')), []);
            assert.deepStrictEqual(only("admins-not-attendees", extraConfig("[]")), [], "no admins: nothing to tell apart");
        });

        it("admins-not-attendees: admins without the list of attendees' accounts cannot be told apart, so they do not pass unseen", () => {
            assert.match(only("admins-not-attendees", extraConfig('["instructor"]'))[0], /^mandatory: the hub's values do not say which accounts are the attendees'/);
            assert.deepStrictEqual(hubAttendeeUsers({ hub: { config: { PregeneratedAuthenticator: { attendee_users: ["w-1"] } } } }), ["w-1"]);
            assert.strictEqual(hubAttendeeUsers({ hub: {} }), undefined);
        });

        it("hub-https: plain HTTP is mandatory unless the stack allows it (esiphub:allowPlainHttp); HTTPS passes", () => {
            const [plain] = only("hub-https", { proxy: { https: { enabled: false } } });
            assert.match(plain, /^mandatory: the hub serves plain HTTP: attendees' passwords and session cookies would cross the venue's network in clear; set esiphub:hubHostname/);
            assert.strictEqual(only("hub-https", { proxy: {} }).length, 1, "no https block at all is plain HTTP");
            assert.deepStrictEqual(only("hub-https", { proxy: { https: { enabled: true } } }), []);
            assert.deepStrictEqual(only("hub-https", { proxy: { https: { enabled: false } } }, { keepDataOnDestroy: true, allowPlainHttp: true }), []);
        });

        it("hub-https: a workshop's hub behind the router (esiphub:workshops) passes with its https public_url, not with an http one", () => {
            const behind = (publicUrl: string) => ({ hub: { config: { JupyterHub: { public_url: publicUrl } } }, proxy: { https: { enabled: false } } });
            assert.deepStrictEqual(only("hub-https", behind("https://python.hub.esipfed.org/")), []);
            assert.strictEqual(only("hub-https", behind("http://149.165.157.42/data-viz/")).length, 1);
        });

        it("notebook-image-digest: a tag alone is an advisory; a digest after the tag (the chart's form) or the name passes", () => {
            const digest = "@sha256:" + "ab".repeat(32);
            const image = (name: string, tag?: string) => only("notebook-image-digest", { singleuser: { image: { name, ...(tag === undefined ? {} : { tag }) } } });
            assert.deepStrictEqual(image("ghcr.io/esipfed/esiphub-notebook", "2026.11"), [
                "advisory: the notebook image ghcr.io/esipfed/esiphub-notebook:2026.11 is pinned by its tag alone, which its registry lets anyone with push rights move to another image; " +
                    "pin its digest: esiphub:notebookImage NAME@sha256:... (`docker buildx imagetools inspect NAME:TAG` prints it)",
            ]);
            assert.deepStrictEqual(image("ghcr.io/esipfed/esiphub-notebook", `2026.11${digest}`), []);
            assert.deepStrictEqual(image("ghcr.io/esipfed/esiphub-notebook", `pinned${digest}`), []);
            assert.deepStrictEqual(image(`ghcr.io/esipfed/esiphub-notebook${digest}`, ""), []);
            // "latest" with a digest is the digest's image: notebook-image-pinned does not flag it either.
            assert.deepStrictEqual(hubRelease({ singleuser: { image: { name: "quay.io/x", tag: `latest${digest}` } } }).filter((v) => v.policy.startsWith("notebook-image")), []);
        });
    });

    it("every rule has a unique kebab-case name and a description", () => {
        const names = RULES.map((r) => r.name);
        assert.strictEqual(new Set(names).size, names.length);
        for (const r of RULES) {
            assert.match(r.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
            assert.ok(r.description.length > 20, r.name);
        }
    });
});
