import * as crypto from "crypto";
import * as bcrypt from "bcryptjs";
import { awsRegion, nextPrivateIp, offlineAwsId, offlinePublicIp, offlineUuid, registerSubnet } from "./cloud";

/**
 * Computed outputs of resources in an offline run (what the cloud would fill in: addresses, ids, command output),
 * by resource type: (name, inputs) → properties added to the inputs.
 */
export type OfflineState = (name: string, inputs: Record<string, any>) => Record<string, unknown>;

/** A stable stand-in for a generated value, so that repeated plans print the same thing. */
export function offlineValue(name: string, length: number, alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"): string {
    const digest = crypto.createHash("sha256").update(name).digest();
    return Array.from({ length }, (_, i) => alphabet[digest[i % digest.length] % alphabet.length]).join("");
}

/** The characters a RandomPassword may use, from its options as the provider reads them. */
function randomAlphabet(inputs: Record<string, any>): string {
    const parts = [
        inputs.lower === false ? "" : "abcdefghijklmnopqrstuvwxyz",
        inputs.upper === false ? "" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        inputs.numeric === false ? "" : "0123456789",
        inputs.special === false ? "" : inputs.overrideSpecial ?? "!@#$%&*()-_=+[]{}<>:?",
    ];
    return parts.join("") || "abcdefghijklmnopqrstuvwxyz";
}

export const OFFLINE_STATE: Record<string, OfflineState> = {
    // @pulumi/random: generated values, and the bcrypt hash of a password as the provider makes it.
    "random:index/randomPassword:RandomPassword": (name, inputs) => {
        const result = offlineValue(name, inputs.length ?? 16, randomAlphabet(inputs));
        return { result, bcryptHash: bcrypt.hashSync(result, 4) };
    },
    "random:index/randomString:RandomString": (name, inputs) => ({ result: offlineValue(name, inputs.length ?? 16) }),
    "random:index/randomId:RandomId": (name, inputs) => ({ hex: crypto.createHash("sha256").update(name).digest("hex").slice(0, 2 * (inputs.byteLength ?? 32)) }),
    // DNS layer (components/dns/records.ts): Route 53 reports the record's name as its fqdn.
    "aws:route53/record:Record": (_name, inputs) => ({ fqdn: inputs.name }),
    // The quota check reads the last deployment of the stack (components/quota/preflight.ts): offline, there is none.
    "pulumi:pulumi:StackReference": () => ({ outputs: {}, secretOutputNames: [] }),
    // Cloud layer (components/openstack, components/aws): addresses and ids the clouds assign (plan/cloud.ts).
    "openstack:networking/subnet:Subnet": (_name, inputs) => ({ gatewayIp: registerSubnet(inputs.cidr, "openstack") }),
    "openstack:networking/port:Port": (name) => ({ allFixedIps: [nextPrivateIp(name)], macAddress: `fa:16:3e:${offlineUuid(name).slice(0, 6).replace(/(..)(?!$)/g, "$1:")}` }),
    "openstack:networking/floatingIp:FloatingIp": (name) => ({ address: offlinePublicIp(name) }),
    "aws:ec2/subnet:Subnet": (name, inputs) => {
        registerSubnet(inputs.cidrBlock, "aws");
        return { arn: `arn:aws:ec2:${awsRegion()}:123456789012:subnet/${offlineAwsId("subnet", name)}` };
    },
    "aws:ec2/instance:Instance": (name, inputs) => {
        const privateIp = inputs.privateIp ?? nextPrivateIp(name);
        return {
            privateIp,
            privateDns: `ip-${privateIp.replace(/\./g, "-")}.ec2.internal`,
            publicIp: inputs.associatePublicIpAddress ? offlinePublicIp(name) : "",
            primaryNetworkInterfaceId: offlineAwsId("eni", name),
            arn: `arn:aws:ec2:${awsRegion()}:123456789012:instance/${offlineAwsId("i", name)}`,
        };
    },
    "aws:ec2/eip:Eip": (name) => ({ publicIp: offlinePublicIp(name), allocationId: offlineAwsId("eipalloc", name) }),
    // Kubernetes layer (components/kubeadm/cluster.ts): the two remote commands whose stdout the program reads,
    // the master's join key (master-ssh.sh prints its public half) and the master's admin.conf; the others print
    // only logs.
    "command:remote:Command": (name) => {
        if (/-master-ssh$/.test(name)) {
            const key = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), crypto.createHash("sha256").update(name).digest()]);
            return { stdout: `ssh-ed25519 ${key.toString("base64")} esiphub-cluster-join`, stderr: "" };
        }
        if (/-kubeconfig$/.test(name)) {
            return {
                stdout: [
                    "apiVersion: v1",
                    "clusters:",
                    "- cluster:",
                    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURCVENDQWUyZ0F3SUJBZ0lJ",
                    "    server: https://10.42.0.10:6443",
                    "  name: kubernetes",
                    "contexts:",
                    "- context:",
                    "    cluster: kubernetes",
                    "    user: kubernetes-admin",
                    "  name: kubernetes-admin@kubernetes",
                    "current-context: kubernetes-admin@kubernetes",
                    "kind: Config",
                    "preferences: {}",
                    "users:",
                    "- name: kubernetes-admin",
                    "  user:",
                    "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURLVENDQWhHZ0F3SUJBZ0lJ",
                    "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVB",
                ].join("\n"),
                stderr: "",
            };
        }
        return { stdout: "", stderr: "" };
    },
};
