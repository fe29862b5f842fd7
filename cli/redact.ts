/**
 * Known secret shapes taken out of text before the CLI shows it. @pulumi/command puts the full stdout and stderr of a
 * failed remote command in its error (pulumi-command provider/pkg/provider/remote/commandOutputs.go: `%w: running
 * %q:\n%s` with the combined output), and the engine passes that on as the resource's diagnostic: whatever a script
 * printed before it failed would reach the terminal. The scripts print a secret only as their last act (kubeconfig.sh
 * ends with the `cat` of admin.conf; join-worker.sh passes the join command on stdin, never to stdout); this is the
 * second line of defence, for every error and progress line.
 */

export const REDACTED = "[redacted]";
/** What a private key becomes: not a PEM line itself, so that redacting twice changes nothing more. */
export const REDACTED_KEY = "[redacted private key]";

/** A PEM private key (PKCS#1, PKCS#8, EC, OpenSSH), whole or cut off (a message may end inside one). */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(-----END ([A-Z0-9]+ )*PRIVATE KEY-----|$)/g;
/** base64 of a PEM block ("-----BEGIN " is "LS0tLS1CRUdJTi"): kubeconfig's *-data fields and Secrets hold them so. */
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/=]*/g;
/** kubeconfig credentials (client-go's clientcmd/api/v1 AuthInfo): the value after the key, YAML or JSON. */
const KUBECONFIG_CREDENTIAL = /((?<![\w-])["']?(?:client-key-data|client-certificate-data|token|password)["']?\s*[:=][ \t]*)(?!["']?\[redacted)("[^"\n]*"|'[^'\n]*'|[^\s,}\]]+)/g;
/** A kubeadm bootstrap token, ID.SECRET (k8s.io/cluster-bootstrap/token/api: [a-z0-9]{6}\.[a-z0-9]{16}). */
const BOOTSTRAP_TOKEN = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g;
/** The flags of a kubeadm join or init that carry a credential or pin one. */
const KUBEADM_SECRET_FLAG = /(--(?:token|discovery-token-ca-cert-hash|certificate-key)[ =])(?!\[redacted)(\S+)/g;
/** A bcrypt hash (the accounts' password hashes): $2a$, $2b$ or $2y$, cost, 53 characters of salt and hash. */
const BCRYPT_HASH = /\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/g;

/** `text` with every known secret shape replaced by [redacted]; pure, a no-op on text without one, and idempotent. */
export function redact(text: string): string {
    return text
        .replace(PEM_PRIVATE_KEY, REDACTED_KEY)
        .replace(KUBECONFIG_CREDENTIAL, (_, key: string, value: string) => `${key}${quoted(value, REDACTED)}`)
        .replace(BASE64_PEM, REDACTED)
        .replace(KUBEADM_SECRET_FLAG, (_, flag: string) => `${flag}${REDACTED}`)
        .replace(BOOTSTRAP_TOKEN, REDACTED)
        .replace(BCRYPT_HASH, REDACTED);
}

/** `replacement` in the quotes `value` had, so that JSON and YAML stay what they were. */
function quoted(value: string, replacement: string): string {
    const quote = value[0] === '"' || value[0] === "'" ? value[0] : "";
    return `${quote}${replacement}${quote}`;
}
