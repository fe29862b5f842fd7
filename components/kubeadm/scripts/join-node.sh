#!/usr/bin/env bash
# The worker's side of join-worker.sh, which sends it over SSH from the master.
#   ACTION=check: prints "joined" when this node's kubelet belongs to the cluster whose CA is CLUSTER_CA, "clean"
#     when kubeadm has left nothing here, otherwise what it left ("left ...", "joined to another cluster ...").
#   ACTION=join: resets what an earlier join or another cluster left (kubeadm reset -f, CNI configuration), then
#     runs the join command. kubeadm join is not atomic: after its kubelet-start phase fails, pki/ca.crt, the
#     kubelet's configuration and the running kubelet (port 10250) remain, bootstrap-kubelet.conf too when kubeadm
#     was killed, and its preflight refuses a retry over any of them (cmd/kubeadm/app/preflight/checks.go,
#     JoinNodeChecks; cmd/kubeadm/app/cmd/phases/join/kubelet.go).
# The join command is a secret: it is run as words (never through eval) and never printed.
#
# Parameters:
#   NODE_NAME     this worker's Kubernetes node name
#   ACTION        check | join (from join-worker.sh)
#   CLUSTER_CA    SHA-256 fingerprint of the cluster's CA (from join-worker.sh)
#   JOIN_COMMAND  ACTION=join: `kubeadm join ...` with a fresh token (from join-worker.sh)
set -Eeuo pipefail

KUBE=/etc/kubernetes

main() {
    step parameters "${ACTION:-} on ${NODE_NAME:-}"
    require_env NODE_NAME ACTION CLUSTER_CA
    case "$ACTION" in
        check)
            step worker-state "kubeadm's files on ${NODE_NAME}"
            state
            ;;
        join) join ;;
        *) die "ACTION must be check or join, got '${ACTION}'" ;;
    esac
}

state() {
    local left
    left=$(leftovers)
    if [ -z "$left" ]; then
        echo clean
    elif [ -f "$ROOT$KUBE/kubelet.conf" ] && [ -f "$ROOT$KUBE/pki/ca.crt" ]; then
        if [ "$(ca_fingerprint)" = "$CLUSTER_CA" ]; then echo joined; else echo "joined to another cluster (its CA differs)"; fi
    else
        echo "left ${left} by a join that did not finish"
    fi
}

# What a kubeadm join leaves, space-separated: its preflight refuses the files, and the port of the kubelet that
# its kubelet-start phase configured and started.
leftovers() {
    local path left=()
    for path in "$KUBE/kubelet.conf" "$KUBE/bootstrap-kubelet.conf" "$KUBE/pki/ca.crt" /var/lib/kubelet/config.yaml; do
        [ ! -f "$ROOT$path" ] || left+=("$path")
    done
    echo "${left[*]}"
}

ca_fingerprint() {
    local fingerprint
    fingerprint=$(openssl x509 -in "$ROOT$KUBE/pki/ca.crt" -noout -fingerprint -sha256)
    echo "${fingerprint#*=}"
}

join() {
    step kubeadm-join "joining ${NODE_NAME} to the cluster"
    require_env JOIN_COMMAND
    local words left
    read -r -a words <<<"$JOIN_COMMAND"
    if [ "${#words[@]}" -lt 3 ] || [ "${words[0]}" != kubeadm ] || [ "${words[1]}" != join ]; then
        die "JOIN_COMMAND is not a 'kubeadm join' command"
    fi
    left=$(leftovers)
    if [ -n "$left" ]; then
        step kubeadm-reset "resetting ${NODE_NAME} first ($(state))"
        kubeadm reset -f >&2
        # kubeadm reset leaves the CNI configuration (and says so); the directory stays, containerd watches it.
        rm -rf "$ROOT"/etc/cni/net.d/*
        step kubeadm-join "joining ${NODE_NAME} to the cluster"
    fi
    kubeadm "${words[@]:1}" --node-name "$NODE_NAME" >&2
    log "joined"
}

main
