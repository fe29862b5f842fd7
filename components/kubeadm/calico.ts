import * as YAML from "yaml";

/**
 * The Calico `Installation` ESIPHub gives the Tigera operator, and what it needs from the firewall between nodes.
 * Pure: the install script applies exactly this manifest, and test/firewall.test.ts checks that the node-to-node
 * Calico rules of components/firewall.ts are exactly the ports derived from it.
 */

/** BGP off: VXLAN carries pod traffic; with BGP left unset the operator would turn it on (see calicoNodePorts). */
export const CALICO_BGP = "Disabled";

/** operator.tigera.io/v1 Installation "default": one IPv4 pool over the pod network, VXLAN, no BGP. */
export function calicoInstallation(podCidr: string): Record<string, unknown> {
    return {
        apiVersion: "operator.tigera.io/v1",
        kind: "Installation",
        metadata: { name: "default" },
        spec: {
            calicoNetwork: {
                bgp: CALICO_BGP,
                ipPools: [{ name: "default-ipv4-ippool", cidr: podCidr, blockSize: 26, encapsulation: "VXLAN", natOutgoing: "Enabled", nodeSelector: "all()" }],
            },
        },
    };
}

export function calicoInstallationManifest(podCidr: string): string {
    return YAML.stringify(calicoInstallation(podCidr));
}

export interface NodePort {
    readonly protocol: "tcp" | "udp";
    readonly port: number;
    readonly why: string;
}

/**
 * The ports calico-node needs open between nodes for an Installation manifest, as the Tigera operator
 * (v1.38.x, Calico 3.30) renders it:
 * - Typha, 5473/tcp: calico-node talks to Typha on other nodes (tigera/operator pkg/render/typha.go, TyphaPort).
 * - VXLAN, 4789/udp: a pool with VXLAN encapsulation (Felix's default vxlanPort).
 * - BGP, 179/tcp: when BGP is on. `calicoNetwork.bgp` unset means on, on every provider but EKS
 *   (pkg/controller/installation/core_controller.go, "Default BGP enablement"), and then calico-node's readiness
 *   probe includes `-bird-ready`, which fails until every BGP session is up (pkg/render/node.go,
 *   nodeLivenessReadinessProbes): without 179 open, calico-node never gets Ready.
 */
export function calicoNodePorts(manifest: string): NodePort[] {
    const installation = YAML.parse(manifest) as { spec?: { kubernetesProvider?: string; calicoNetwork?: { bgp?: string; ipPools?: { encapsulation?: string }[] } } };
    const network = installation?.spec?.calicoNetwork ?? {};
    const bgp = network.bgp ?? (installation?.spec?.kubernetesProvider === "EKS" ? "Disabled" : "Enabled");
    const ports: NodePort[] = [{ protocol: "tcp", port: 5473, why: "Typha" }];
    // No pools: the operator makes one; without an encapsulation a pool gets IP-in-IP (Calico CNI, not EKS).
    const encapsulations = new Set((network.ipPools ?? [{}]).map((pool) => pool.encapsulation ?? "IPIP"));
    for (const encapsulation of encapsulations) {
        if (encapsulation === "VXLAN" || encapsulation === "VXLANCrossSubnet") ports.push({ protocol: "udp", port: 4789, why: "VXLAN" });
        else if (encapsulation !== "None") throw new Error(`Calico encapsulation ${encapsulation} needs IP protocol 4 (IP-in-IP), which the firewall does not open`);
    }
    if (bgp === "Enabled") ports.push({ protocol: "tcp", port: 179, why: "BGP" });
    return ports;
}
