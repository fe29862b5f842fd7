#!/usr/bin/env bash
# Takes a worker out of the cluster before its VM goes: drains it (bounded; pods that will not leave in
# time go with the VM), then deletes its Node. Runs on the master; a re-run once the node is gone
# changes nothing.
#
# Parameters:
#   NODE_NAME      the worker's Kubernetes node name
#   DRAIN_TIMEOUT  seconds for the drain (default 300)
set -Eeuo pipefail

main() {
    step remove-node "taking ${NODE_NAME:-} out of the cluster"
    require_env NODE_NAME
    export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
    if [ -z "$(kubectl get node "$NODE_NAME" --ignore-not-found -o name)" ]; then
        log "not in the cluster; nothing to do"
        return 0
    fi
    local timeout="${DRAIN_TIMEOUT:-300}"
    step drain "evicting the pods of ${NODE_NAME} (up to ${timeout}s)"
    if ! kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout "${timeout}s" >&2; then
        log "drain did not finish within ${timeout}s; deleting the node anyway"
    fi
    step delete-node "deleting Node ${NODE_NAME}"
    kubectl delete node "$NODE_NAME" >&2
}

main
