#!/usr/bin/env bash
# Joins a prepared worker to the cluster, unless it has joined already (/etc/kubernetes/kubelet.conf).
# The join command is a secret: it is run as words (never through eval) and never printed.
#
# Parameters:
#   NODE_NAME     Kubernetes node name of this worker
#   JOIN_COMMAND  `kubeadm join ...` as printed on the master by join-command.sh
set -Eeuo pipefail

main() {
    step kubeadm-join "joining ${NODE_NAME:-} to the cluster"
    require_env NODE_NAME
    if [ -f "$ROOT/etc/kubernetes/kubelet.conf" ]; then
        log "already joined (/etc/kubernetes/kubelet.conf exists); left as it is"
        return 0
    fi
    require_env JOIN_COMMAND
    local words
    read -r -a words <<<"$JOIN_COMMAND"
    if [ "${#words[@]}" -lt 3 ] || [ "${words[0]}" != kubeadm ] || [ "${words[1]}" != join ]; then
        die "JOIN_COMMAND is not a 'kubeadm join' command"
    fi
    kubeadm "${words[@]:1}" --node-name "$NODE_NAME" >&2
    log "joined"
}

main
