import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

/** What every cloud layer hands to the cloud-agnostic layers after it. */

export type NodeRole = "master" | "worker" | "nfs";

export interface ClusterNode {
    /** Kubernetes node name (also the VM's hostname). */
    readonly name: string;
    readonly role: NodeRole;
    readonly privateIp: pulumi.Output<string>;
    /** The SSH connection for remote commands on this node (workers hop through the master's public IP). */
    readonly connection: pulumi.Output<command.types.input.remote.ConnectionArgs>;
    /** Its SSH host public key (`ssh-ed25519 AAAA...`), made by the program and installed at first boot. */
    readonly hostKey: pulumi.Output<string>;
    /** The VM resource, for `dependsOn`. */
    readonly instance: pulumi.Resource;
}

export interface DataVolume {
    readonly id: pulumi.Output<string>;
    /**
     * The serial the guest sees on the volume's disk, whatever the bus (virtio, SCSI, NVMe): the Cinder volume id
     * (OpenStack), the EBS volume id without its dash (AWS). The NFS host finds the disk by it (nfs-server.sh).
     */
    readonly serial: pulumi.Output<string>;
    /** The attachment resource: NFS setup must wait for it. */
    readonly attachment: pulumi.Resource;
}

export interface ClusterHosts {
    readonly master: ClusterNode;
    /** Created side by side: no worker depends on another. */
    readonly workers: ClusterNode[];
    /** The node that serves NFS from the data volume: the master unless `esiphub:nfsNode` is on. */
    readonly nfs: ClusterNode;
    /** Floating IP (OpenStack) or Elastic IP (AWS) of the master. */
    readonly publicIp: pulumi.Output<string>;
    readonly dataVolume: DataVolume;
    /** `ssh -i KEY user@publicIp` for the organiser. */
    readonly sshCommand: pulumi.Output<string>;
}
