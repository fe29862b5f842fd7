/**
 * Getting at a deployed site: `kubeconfig` (the cluster's admin kubeconfig, in a private file), `ssh` (a shell on a
 * node with the stack's key, never shown), `admin-ip` (who may reach SSH and the Kubernetes API).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Command } from "commander";
import * as YAML from "yaml";
import { NAMESPACE } from "../components/config";
import { parseCidr } from "../components/cidr";
import { stackFilePath } from "../plan/stackfile";
import { findExecutable } from "./automation";
import { CliDeps, CliError, CliOutcome, EXIT } from "./deps";
import { replaceFile, writePrivateFile } from "./files";
import { publicIpv4 } from "./publicip";
import { checkSiteName, deployedStack, withWayOut } from "./site";

export function registerAccessCommands(program: Command, deps: CliDeps, outcome: CliOutcome): void {
    program
        .command("kubeconfig")
        .description("the cluster's admin kubeconfig, written to a file readable by you only (kubectl through the public IP)")
        .argument("<site>", "site name")
        .option("--out <file>", "where to write it (mode 600; default kubeconfig-<site>.yaml; - for standard output)")
        .action((site: string, options: { out?: string }) => withWayOut(deps, "kubeconfig", site, () => kubeconfigCommand(deps, site, options)));

    program
        .command("ssh")
        .description("a shell (or a command) on a node, with the stack's SSH key (never printed); workers through the master")
        .argument("<site>", "site name")
        .argument("[node]", "master (default), worker-NN or NN, or a node's name or private IP")
        .argument("[command...]", "a command to run instead of a shell (after --)")
        .action((site: string, node: string | undefined, command: string[]) =>
            withWayOut(deps, "ssh", site, async () => {
                outcome.exitCode = await sshCommand(deps, site, node ?? "master", command);
            }),
        );

    program
        .command("admin-ip")
        .description("the CIDRs that may reach SSH and the Kubernetes API (esiphub:adminCidrs); add one, or your own public IPv4")
        .argument("<site>", "site name")
        .option("--add <cidr>", "add this IPv4 CIDR, e.g. 203.0.113.7/32")
        .option("--mine", "add this machine's public IPv4 address (/32), as an HTTPS echo service sees it over IPv4")
        .option("--echo-url <url>", "the echo service that answers with the caller's address (default: $ESIPHUB_IP_ECHO_URL or https://api.ipify.org)")
        .action((site: string, options: AdminIpOptions) => adminIpCommand(deps, site, options));
}

async function kubeconfigCommand(deps: CliDeps, site: string, options: { out?: string }): Promise<void> {
    const { stack } = await deployedStack(deps, site);
    const kubeconfig = (await stack.outputs()).kubeconfig?.value;
    if (typeof kubeconfig !== "string" || !kubeconfig) throw new CliError(`site "${site}" has no kubeconfig output (is it deployed? run \`esiphub up ${site}\`)`);
    if (options.out === "-") {
        deps.stdout.write(kubeconfig.endsWith("\n") ? kubeconfig : `${kubeconfig}\n`);
        return;
    }
    const file = path.resolve(options.out ?? `kubeconfig-${site}.yaml`);
    writePrivateFile(file, kubeconfig);
    deps.stdout.write(
        `wrote the kubeconfig of site "${site}" to ${file} (mode 600)\n` +
            `  export KUBECONFIG=${file}; kubectl get nodes   (the API answers only addresses in ${NAMESPACE}:adminCidrs: esiphub admin-ip ${site} --mine)\n`,
    );
}

interface NodeAddress {
    readonly name: string;
    readonly host: string;
    /** Through the master's public IP (the other nodes have none of their own). */
    readonly jump: boolean;
}

/** Where `node` (master, worker-NN, NN, a node name or a private IP) is, from the stack's outputs. */
export function nodeAddress(site: string, node: string, outputs: { publicIp?: unknown; masterPrivateIp?: unknown; workerPrivateIps?: unknown }): NodeAddress {
    const publicIp = typeof outputs.publicIp === "string" ? outputs.publicIp : undefined;
    if (!publicIp) throw new CliError(`site "${site}" has no publicIp output (is it deployed? run \`esiphub up ${site}\`)`);
    const workers = Array.isArray(outputs.workerPrivateIps) ? outputs.workerPrivateIps.map(String) : [];
    const workerName = (i: number) => `${site}-worker-${String(i + 1).padStart(2, "0")}`;
    if ([`master`, `${site}-master`, outputs.masterPrivateIp, publicIp].includes(node)) return { name: `${site}-master`, host: publicIp, jump: false };
    const numbered = new RegExp(`^(?:(?:${site.replace(/\./g, "\\.")}-)?worker-)?(\\d+)$`).exec(node);
    const index = numbered ? Number(numbered[1]) - 1 : workers.indexOf(node);
    if (index >= 0 && index < workers.length) return { name: workerName(index), host: workers[index], jump: true };
    const known = ["master", ...workers.map((_, i) => `worker-${String(i + 1).padStart(2, "0")}`)];
    throw new CliError(`site "${site}" has no node "${node}"; its nodes: ${known.join(", ")}`);
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The ssh arguments for a node: the key file for the node and for the hop through the master. */
export function sshArguments(user: string, address: NodeAddress, publicIp: string, keyFile: string, command: string[]): string[] {
    const common = ["-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new"];
    // -J would not use -i for the hop ("configuration on the command line applies to the destination", ssh(1)).
    const hop = address.jump ? ["-o", `ProxyCommand=ssh ${common.map(quote).join(" ")} -W %h:%p ${quote(`${user}@${publicIp}`)}`] : [];
    return [...common, ...hop, `${user}@${address.host}`, ...command];
}

async function sshCommand(deps: CliDeps, site: string, node: string, command: string[]): Promise<number> {
    const ssh = findExecutable("ssh", deps.env.PATH);
    if (!ssh) throw new CliError("ssh is not on PATH: install the OpenSSH client (apt-get install openssh-client)");
    const { stack, raw } = await deployedStack(deps, site);
    const outputs = Object.fromEntries(Object.entries(await stack.outputs()).map(([k, o]) => [k, o.value]));
    const address = nodeAddress(site, node, outputs);
    const key = await stack.getConfig(`${NAMESPACE}:sshPrivateKey`);
    if (!key) throw new CliError(`site "${site}" has no ${NAMESPACE}:sshPrivateKey in its stack config`);
    const user = (await stack.getConfig(`${NAMESPACE}:sshUser`)) ?? raw[`${NAMESPACE}:sshUser`] ?? "ubuntu";
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esiphub-ssh-"));
    const cleanUp = () => fs.rmSync(dir, { recursive: true, force: true });
    process.once("exit", cleanUp);
    try {
        const keyFile = path.join(dir, "key");
        // OpenSSH refuses a key file others can read, and a key without its final newline.
        writePrivateFile(keyFile, key.endsWith("\n") ? key : `${key}\n`);
        deps.stderr.write(`esiphub: ssh ${user}@${address.host} (${address.name}${address.jump ? `, through the master ${outputs.publicIp}` : ""}) with the stack's key\n`);
        const child = spawn(ssh, sshArguments(user, address, String(outputs.publicIp), keyFile, command), { stdio: "inherit", env: deps.env as NodeJS.ProcessEnv });
        // A signal ends ssh, not this process: the key file is removed once ssh has gone (Node's default would exit at once).
        const forward = (signal: NodeJS.Signals) => child.kill(signal);
        const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
        signals.forEach((s) => process.on(s, forward));
        try {
            return await new Promise<number>((resolve, reject) => {
                child.on("error", reject);
                child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
            });
        } finally {
            signals.forEach((s) => process.off(s, forward));
        }
    } finally {
        cleanUp();
        process.off("exit", cleanUp);
    }
}

interface AdminIpOptions {
    add?: string;
    mine?: boolean;
    echoUrl?: string;
}

async function adminIpCommand(deps: CliDeps, site: string, options: AdminIpOptions): Promise<void> {
    checkSiteName(deps, site);
    const file = stackFilePath(deps.projectDir, site);
    if (!fs.existsSync(file)) throw new CliError(`unknown site "${site}": there is no Pulumi.${site}.yaml in ${deps.projectDir}`, EXIT.badConfig);
    if (options.add && options.mine) throw new CliError("admin-ip: give either --add CIDR or --mine, not both");
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    const key = adminCidrsKey(doc);
    const current = (doc.getIn(["config", key]) as YAML.YAMLSeq | undefined)?.toJSON?.() as unknown;
    if (current !== undefined && !(Array.isArray(current) && current.every((c) => typeof c === "string"))) {
        throw new CliError(`${path.basename(file)}: ${NAMESPACE}:adminCidrs is not a list of CIDRs; fix it by hand`, EXIT.badConfig);
    }
    const cidrs = (current as string[] | undefined) ?? [];
    if (!options.add && !options.mine) {
        deps.stdout.write(`${NAMESPACE}:adminCidrs of site "${site}" (SSH and the Kubernetes API):\n${cidrs.map((c) => `  ${c}\n`).join("") || "  (none)\n"}`);
        return;
    }
    const cidr = options.add ? checkedCidr(options.add) : `${await publicIpv4(options.echoUrl ?? deps.env.ESIPHUB_IP_ECHO_URL)}/32`;
    if (cidrs.includes(cidr)) {
        deps.stdout.write(`${cidr} is already in ${NAMESPACE}:adminCidrs of site "${site}"; nothing changed\n`);
        return;
    }
    if (YAML.isSeq(doc.getIn(["config", key], true))) (doc.getIn(["config", key], true) as YAML.YAMLSeq).add(doc.createNode(cidr));
    else doc.setIn(["config", key], doc.createNode([cidr]));
    replaceFile(file, doc.toString(), fs.statSync(file).mode & 0o777);
    deps.stdout.write(
        `added ${cidr} to ${NAMESPACE}:adminCidrs in ${path.basename(file)}\n` + `apply it with \`esiphub up ${site}\` (only the security-group rules for SSH and 6443 change)\n`,
    );
}

/** The key the stack file uses for the setting: `esiphub:adminCidrs`, or the short form Pulumi also reads. */
function adminCidrsKey(doc: YAML.Document): string {
    const short = "adminCidrs";
    return doc.hasIn(["config", `${NAMESPACE}:${short}`]) || !doc.hasIn(["config", short]) ? `${NAMESPACE}:${short}` : short;
}

function checkedCidr(text: string): string {
    const cidr = parseCidr(text);
    if (!cidr) throw new CliError(`admin-ip: --add must be an IPv4 CIDR such as 203.0.113.7/32, got "${text}"`);
    const [address, prefix] = text.trim().split("/");
    const base = [24, 16, 8, 0].map((s) => Math.floor(cidr.base / 2 ** s) % 256).join(".");
    // AWS refuses a CIDR with host bits set (the security-group rule fails at deploy time).
    if (base !== address) throw new CliError(`admin-ip: ${text} has host bits set; the network is ${base}/${prefix}`);
    if (cidr.prefix === 0) throw new CliError(`admin-ip: ${text} opens SSH and the Kubernetes API to the whole internet; the policy pack refuses it`, EXIT.policy);
    return `${base}/${prefix}`;
}
