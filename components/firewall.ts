/**
 * The inbound firewall of a site, cloud-neutral: both cloud layers render exactly this list as security-group rules.
 * Outbound traffic is open (apt, container images, Let's Encrypt); inbound is only what is listed here.
 */
import { NodeRole } from "./hosts";

export type Protocol = "tcp" | "udp";

/** A security group of the site and the nodes it is applied to. */
export type FirewallGroup = "admin" | "web" | "cluster";

export interface FirewallGroupSpec {
    readonly group: FirewallGroup;
    readonly description: string;
    readonly roles: readonly NodeRole[];
}

export const FIREWALL_GROUPS: readonly FirewallGroupSpec[] = [
    { group: "admin", description: "SSH and the Kubernetes API from the admin CIDRs", roles: ["master"] },
    // The floating/elastic IP is NATed to the master's private IP, where the hub's proxy service listens.
    { group: "web", description: "HTTP and HTTPS to the hub from anywhere", roles: ["master"] },
    { group: "cluster", description: "Node-to-node traffic from the node subnet", roles: ["master", "worker", "nfs"] },
];

export interface InboundRule {
    readonly group: FirewallGroup;
    readonly protocol: Protocol;
    readonly fromPort: number;
    readonly toPort: number;
    /** Source IPv4 CIDR. */
    readonly cidr: string;
    readonly description: string;
}

export const ANYWHERE = "0.0.0.0/0";

/**
 * Ports reachable from the node subnet, and why. The "Calico ..." rules are exactly what the Calico Installation
 * needs between nodes (components/kubeadm/calico.ts, calicoNodePorts; test/firewall.test.ts keeps the two equal):
 * VXLAN and Typha. BGP (179) is not open because the Installation sets `bgp: Disabled`; left unset, the operator
 * would turn BGP on and calico-node would never get Ready without 179.
 */
const NODE_TO_NODE: readonly Omit<InboundRule, "group" | "cidr">[] = [
    // The remote commands reach workers and the NFS node by hopping through the master.
    { protocol: "tcp", fromPort: 22, toPort: 22, description: "SSH from the master (jump host)" },
    { protocol: "tcp", fromPort: 6443, toPort: 6443, description: "Kubernetes API from nodes and pods" },
    { protocol: "tcp", fromPort: 10250, toPort: 10250, description: "kubelet API" },
    { protocol: "udp", fromPort: 4789, toPort: 4789, description: "Calico VXLAN" },
    { protocol: "tcp", fromPort: 5473, toPort: 5473, description: "Calico Typha" },
    // NFSv4.x only: one TCP port, no rpcbind (111) or mountd.
    { protocol: "tcp", fromPort: 2049, toPort: 2049, description: "NFSv4 from the cluster" },
    { protocol: "tcp", fromPort: 30000, toPort: 32767, description: "Kubernetes NodePorts" },
];

/** Every inbound rule of a site: SSH and 6443 from each admin CIDR, 80/443 from anywhere, node traffic from the subnet. */
export function inboundRules(network: { readonly subnetCidr: string; readonly adminCidrs: readonly string[] }): InboundRule[] {
    const admin = network.adminCidrs.flatMap((cidr): InboundRule[] => [
        { group: "admin", protocol: "tcp", fromPort: 22, toPort: 22, cidr, description: "SSH from admins" },
        { group: "admin", protocol: "tcp", fromPort: 6443, toPort: 6443, cidr, description: "Kubernetes API from admins" },
    ]);
    const web: InboundRule[] = [
        { group: "web", protocol: "tcp", fromPort: 80, toPort: 80, cidr: ANYWHERE, description: "HTTP (Let's Encrypt, redirect to HTTPS)" },
        { group: "web", protocol: "tcp", fromPort: 443, toPort: 443, cidr: ANYWHERE, description: "HTTPS to the hub" },
    ];
    const cluster = NODE_TO_NODE.map((r): InboundRule => ({ ...r, group: "cluster", cidr: network.subnetCidr }));
    return [...admin, ...web, ...cluster];
}

/** The groups a node of this role is in. */
export function groupsForRole(role: NodeRole): FirewallGroup[] {
    return FIREWALL_GROUPS.filter((g) => g.roles.includes(role)).map((g) => g.group);
}

/** A short, stable, unique key of a rule, for resource names: `admin-tcp-22-203.0.113.7/32` → `admin-tcp-22-203-0-113-7-32`. */
export function ruleKey(rule: InboundRule): string {
    const ports = rule.fromPort === rule.toPort ? `${rule.fromPort}` : `${rule.fromPort}-${rule.toPort}`;
    return `${rule.group}-${rule.protocol}-${ports}-${rule.cidr.replace(/[./]/g, "-")}`;
}
