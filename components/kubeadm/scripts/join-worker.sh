#!/usr/bin/env bash
# Joins one worker to the cluster, from the master, in one attempt: asks the worker (over SSH, with the cluster's
# join key from master-ssh.sh) whether it is already joined to THIS cluster; if not, deletes a stale Node of its
# name, mints a bootstrap token for this join alone (short-lived, deleted when the script ends) and has the worker
# run join-node.sh with it, which first resets whatever an earlier join or another cluster left there.
# Why from the master: a token made by one Pulumi resource and used by another outlives a failed join (the
# minting resource is not run again), so a retry a day later would carry an expired token. Here a failed attempt
# records nothing and the next attempt mints its own.
# The join command never leaves this node and the worker's stdin: nothing is printed. A re-run on a joined worker
# changes nothing.
#
# Parameters:
#   NODE_NAME    the worker's Kubernetes node name
#   WORKER_IP    its private address
#   SSH_USER     the login user on the worker (its authorized_keys holds the join key)
#   KNOWN_HOSTS  the worker's known_hosts line: its address and the host key the program made for it
#   NODE_SCRIPT  join-node.sh as sent to the worker (rendered with lib.sh)
#   TOKEN_TTL    lifetime of the bootstrap token (default 30m: the join takes minutes; the token is deleted after)
set -Eeuo pipefail

JOIN_KEY=/etc/esiphub/cluster-join/id_ed25519

main() {
    step parameters "joining ${NODE_NAME:-} (${WORKER_IP:-})"
    require_env NODE_NAME WORKER_IP SSH_USER KNOWN_HOSTS NODE_SCRIPT
    export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
    [ -f "$KUBECONFIG" ] || die "no /etc/kubernetes/admin.conf: the master is not initialised"
    [ -s "$ROOT$JOIN_KEY" ] || die "no join key ${JOIN_KEY}: the master-ssh step makes it"
    CLUSTER_CA=$(ca_fingerprint)
    # The worker's pinned host key, for this run only: nothing learnt on first use, nothing kept.
    KNOWN_HOSTS_FILE=$(mktemp)
    at_exit forget_known_hosts
    printf '%s\n' "$KNOWN_HOSTS" >"$KNOWN_HOSTS_FILE"

    step worker-state "is ${NODE_NAME} joined to this cluster (CA ${CLUSTER_CA:0:23}...)?"
    local state registered
    state=$(on_worker check)
    registered=$(kubectl get node "$NODE_NAME" --ignore-not-found -o name)
    if [ "$state" = joined ] && [ -n "$registered" ]; then
        log "already joined; left as it is"
        return 0
    fi
    log "${NODE_NAME}: ${state}; Node ${registered:-not registered}"
    if [ -n "$registered" ]; then
        # kubeadm join refuses a name whose Node is still Ready (cmd/kubeadm/app/cmd/phases/join/kubelet.go).
        step stale-node "deleting the Node ${NODE_NAME} of an earlier VM or cluster"
        kubectl delete node "$NODE_NAME" >&2
    fi

    step join-token "a bootstrap token for this join, valid ${TOKEN_TTL:-30m}"
    local join
    join=$(kubeadm token create --kubeconfig "$KUBECONFIG" --ttl "${TOKEN_TTL:-30m}" --description "esiphub: join of ${NODE_NAME}" --print-join-command)
    [[ "$join" == "kubeadm join "* ]] || die "kubeadm token create did not print a 'kubeadm join' command"
    [[ "$join" =~ --token\ ([a-z0-9]{6})\.[a-z0-9]{16} ]] || die "no bootstrap token in the join command"
    # The token's ID, not its secret: enough to delete it, and not a credential.
    TOKEN_ID="${BASH_REMATCH[1]}"
    at_exit delete_token

    step kubeadm-join "${NODE_NAME} joins (its messages follow)"
    on_worker join "$join"
    step finished "${NODE_NAME} joined"
}

# The cluster CA's SHA-256 fingerprint, which a worker's /etc/kubernetes/pki/ca.crt has when it joined this cluster.
ca_fingerprint() {
    local fingerprint
    fingerprint=$(openssl x509 -in "$ROOT/etc/kubernetes/pki/ca.crt" -noout -fingerprint -sha256)
    echo "${fingerprint#*=}"
}

# on_worker ACTION [JOIN_COMMAND]: join-node.sh on the worker, its parameters as exports in front of it (the
# join command never on a command line). The worker must show the host key the program made for it (ssh_config(5):
# StrictHostKeyChecking yes refuses a host whose key is missing from, or differs from, UserKnownHostsFile): the join
# command goes to that worker or nowhere.
on_worker() {
    {
        printf 'export ACTION=%q CLUSTER_CA=%q\n' "$1" "$CLUSTER_CA"
        [ "$#" -lt 2 ] || printf 'export JOIN_COMMAND=%q\n' "$2"
        printf '%s\n' "$NODE_SCRIPT"
    } | ssh -i "$ROOT$JOIN_KEY" -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 \
        -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN_HOSTS_FILE" -o GlobalKnownHostsFile=/dev/null \
        -o LogLevel=ERROR "${SSH_USER}@${WORKER_IP}" sudo bash -s
}

forget_known_hosts() {
    rm -f "$KNOWN_HOSTS_FILE"
}

delete_token() {
    kubeadm token delete "$TOKEN_ID" --kubeconfig "$KUBECONFIG" >/dev/null
}

main
