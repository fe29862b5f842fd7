/**
 * The Calico Installation and the node-to-node ports derived from it (components/kubeadm/calico.ts), with the
 * Tigera operator's defaults (tigera/operator v1.38.x: pkg/controller/installation/core_controller.go, fillDefaults).
 */
import * as assert from "assert";
import * as YAML from "yaml";
import { CALICO_BGP, calicoInstallation, calicoInstallationManifest, calicoNodePorts } from "../../components/kubeadm/calico";

const ports = (manifest: string) => calicoNodePorts(manifest).map((p) => `${p.protocol}/${p.port} ${p.why}`);

describe("Calico Installation (components/kubeadm/calico.ts)", () => {
    it("is one VXLAN pool over the pod network with BGP disabled", () => {
        const doc = YAML.parse(calicoInstallationManifest("192.168.0.0/16")) as { kind: string; spec: { calicoNetwork: { bgp: string; ipPools: { cidr: string; encapsulation: string }[] } } };
        assert.deepStrictEqual(YAML.parse(calicoInstallationManifest("192.168.0.0/16")), calicoInstallation("192.168.0.0/16"));
        assert.strictEqual(doc.kind, "Installation");
        assert.strictEqual(doc.spec.calicoNetwork.bgp, "Disabled");
        assert.strictEqual(CALICO_BGP, "Disabled");
        assert.deepStrictEqual(doc.spec.calicoNetwork.ipPools.map((p) => [p.cidr, p.encapsulation]), [["192.168.0.0/16", "VXLAN"]]);
    });

    it("needs Typha and VXLAN between nodes, and no BGP", () => {
        assert.deepStrictEqual(ports(calicoInstallationManifest("10.244.0.0/16")), ["tcp/5473 Typha", "udp/4789 VXLAN"]);
    });

    it("with bgp unset the operator turns BGP on (every provider but EKS): 179 is needed", () => {
        const unset = calicoInstallation("192.168.0.0/16") as { spec: { calicoNetwork: Record<string, unknown>; kubernetesProvider?: string } };
        delete unset.spec.calicoNetwork.bgp;
        assert.deepStrictEqual(ports(YAML.stringify(unset)), ["tcp/5473 Typha", "udp/4789 VXLAN", "tcp/179 BGP"]);
        unset.spec.kubernetesProvider = "EKS";
        assert.deepStrictEqual(ports(YAML.stringify(unset)), ["tcp/5473 Typha", "udp/4789 VXLAN"]);
    });

    it("an encapsulation the firewall cannot open (IP-in-IP, also the default pool's) is refused", () => {
        assert.throws(() => calicoNodePorts("spec: {calicoNetwork: {bgp: Enabled, ipPools: [{cidr: 10.0.0.0/16, encapsulation: IPIP}]}}"), /IP protocol 4/);
        assert.throws(() => calicoNodePorts("spec: {calicoNetwork: {bgp: Enabled}}"), /IPIP needs IP protocol 4/);
        assert.deepStrictEqual(ports("spec: {calicoNetwork: {bgp: Enabled, ipPools: [{encapsulation: None}]}}"), ["tcp/5473 Typha", "tcp/179 BGP"]);
    });
});
