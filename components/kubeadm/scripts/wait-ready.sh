#!/usr/bin/env bash
# Waits until every expected node is Ready, for a bounded time; on timeout names the nodes that are
# not, and why (not registered, or its Ready condition). Runs on the master; changes nothing.
#
# Parameters:
#   NODE_NAMES     space-separated node names: the master and every worker
#   READY_TIMEOUT  seconds (default 900)
#   POLL_INTERVAL  seconds between checks (default 10)
set -Eeuo pipefail

main() {
    local timeout="${READY_TIMEOUT:-900}"
    step nodes-ready "waiting up to ${timeout}s for ${NODE_NAMES:-}"
    require_env NODE_NAMES
    export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
    local deadline=$((SECONDS + timeout)) pending
    while :; do
        pending=$(nodes_not_ready)
        [ -n "$pending" ] || break
        [ "$SECONDS" -lt "$deadline" ] || die "not Ready after ${timeout}s: ${pending}"
        sleep "${POLL_INTERVAL:-10}"
    done
    log "all $(wc -w <<<"$NODE_NAMES") node(s) Ready"
}

# Prints "name (reason)" for each expected node that is not Ready, comma-separated; nothing when all are.
nodes_not_ready() {
    local status name ready pending=()
    if ! status=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"="}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null); then
        echo "all (the API server does not answer)"
        return 0
    fi
    for name in $NODE_NAMES; do
        ready=$(awk -F= -v name="$name" '$1 == name { print $2 }' <<<"$status")
        case "$ready" in
            True) ;;
            "") pending+=("${name} (not registered)") ;;
            *) pending+=("${name} (Ready=${ready})") ;;
        esac
    done
    local IFS=,
    echo "${pending[*]}"
}

main
