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

/** An SSH wire-format string: a uint32 length, then the bytes (RFC 4251, section 5). */
function sshString(data: Buffer | string): Buffer {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
}

/** A PEM block as Go's pem.EncodeToMemory writes it: base64 in lines of 64. */
function pemBlock(type: string, der: Buffer): string {
    const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${type}-----\n${lines.join("\n")}\n-----END ${type}-----\n`;
}

/**
 * An ED25519 key pair of a name, in the formats terraform-provider-tls gives (internal/provider/resource_private_key.go
 * and common_key.go): private_key_openssh from x/crypto/ssh MarshalPrivateKey (openssh-key-v1, no cipher, no comment,
 * PROTOCOL.key of OpenSSH), public_key_openssh from MarshalAuthorizedKey ("ssh-ed25519 BASE64\n", no comment), the
 * PKCS#8 PEM and the SHA256 fingerprint. The seed comes from the name, so repeated plans print the same key.
 */
export function offlineEd25519(name: string): Record<string, string> {
    const seed = crypto.createHash("sha256").update(`host-key/${name}`).digest();
    // PKCS#8 of an Ed25519 seed (RFC 8410): a fixed prefix, then the 32 bytes.
    const privateKey = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
    const publicRaw = crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(-32);
    const publicBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(publicRaw)]);
    const check = seed.subarray(0, 4);
    let section = Buffer.concat([check, check, sshString("ssh-ed25519"), sshString(publicRaw), sshString(Buffer.concat([seed, publicRaw])), sshString("")]);
    const padding = Buffer.from(Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, i) => i + 1));
    section = Buffer.concat([section, padding]);
    const none = sshString("none");
    const body = Buffer.concat([Buffer.from("openssh-key-v1\0"), none, none, sshString(""), Buffer.from([0, 0, 0, 1]), sshString(publicBlob), sshString(section)]);
    return {
        privateKeyOpenssh: pemBlock("OPENSSH PRIVATE KEY", body),
        publicKeyOpenssh: `ssh-ed25519 ${publicBlob.toString("base64")}\n`,
        privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
        publicKeyPem: crypto.createPublicKey(privateKey).export({ format: "pem", type: "spki" }).toString(),
        publicKeyFingerprintSha256: `SHA256:${crypto.createHash("sha256").update(publicBlob).digest("base64").replace(/=+$/, "")}`,
    };
}

export const OFFLINE_STATE: Record<string, OfflineState> = {
    // @pulumi/tls: a node's SSH host key (components/cloud.ts), in the provider's own formats.
    "tls:index/privateKey:PrivateKey": (name) => offlineEd25519(name),
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
