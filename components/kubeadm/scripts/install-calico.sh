#!/usr/bin/env bash
# Installs Calico on the cluster through the Tigera operator: the Installation of components/kubeadm/calico.ts
# (one IPv4 pool over the pod network with VXLAN encapsulation, which works on clouds that drop IP-in-IP, and BGP
# disabled), then waits until Calico reports Available. Runs on the master. A re-run changes nothing; a new
# CALICO_VERSION re-applies the operator.
#
# BGP must be set, not left out: unset, the operator turns it on (tigera/operator
# pkg/controller/installation/core_controller.go) and writes that back to the Installation, and calico-node's
# readiness then waits for BGP sessions (pkg/render/node.go), which the firewall (no 179) never lets up. An
# Installation made without it (by an earlier version of this script) is patched.
#
# Parameters:
#   CALICO_VERSION  pinned release, e.g. v3.30.3
#   CALICO_SHA256   the manifests to apply, in order, as sha256sum lines ("HASH  operator-crds.yaml"): each download
#                   must have its pinned hash, or nothing is applied
#   POD_CIDR        the pod network given to kubeadm init
#   INSTALLATION    the Installation manifest (YAML)
#   CALICO_BGP      its spec.calicoNetwork.bgp (Disabled)
#   CALICO_TIMEOUT  seconds to wait for Calico to be Available (default 600)
set -Eeuo pipefail

VERSION_ANNOTATION='esiphub.org/calico-version'

main() {
    step parameters "Calico ${CALICO_VERSION:-} over ${POD_CIDR:-}"
    require_env CALICO_VERSION CALICO_SHA256 POD_CIDR INSTALLATION CALICO_BGP
    [[ "$CALICO_VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "CALICO_VERSION must be a release such as v3.30.3, got '${CALICO_VERSION}'"
    local line
    while IFS= read -r line; do
        [[ "$line" =~ ^[0-9a-f]{64}\ \ [a-z0-9-]+\.yaml$ ]] || die "CALICO_SHA256: '${line}' is not a line 'SHA256  MANIFEST.yaml'"
    done <<<"$CALICO_SHA256"
    export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
    [ -f "$KUBECONFIG" ] || die "no /etc/kubernetes/admin.conf: the master is not initialised"

    operator
    ip_pool
    wait_available
    step finished "Calico ${CALICO_VERSION} Available"
}

operator() {
    step calico-operator "Tigera operator of Calico ${CALICO_VERSION}"
    local current
    current=$(kubectl -n tigera-operator get deployment tigera-operator --ignore-not-found \
        -o jsonpath="{.metadata.annotations.${VERSION_ANNOTATION//./\\.}}")
    if [ "$current" = "$CALICO_VERSION" ]; then
        log "already installed"
        return 0
    fi
    # Kept on the node: what was applied, for a look when something is wrong.
    local dir="$ROOT/var/lib/esiphub/calico-${CALICO_VERSION}" sum manifest actual
    mkdir -p "$dir"
    # All downloaded and checked before any is applied: a manifest runs as cluster-admin, so a moved tag or a
    # tampered download stops here.
    while read -r sum manifest; do
        curl -fsSL --retry 5 -o "${dir}/${manifest}" \
            "https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests/${manifest}"
        actual=$(sha256sum "${dir}/${manifest}")
        actual="${actual%% *}"
        if [ "$actual" != "$sum" ]; then
            rm -f "${dir}/${manifest}"
            die "${manifest} of Calico ${CALICO_VERSION} has sha256 ${actual}, not the pinned ${sum}: not applied (a moved tag or a tampered download)"
        fi
    done <<<"$CALICO_SHA256"
    while read -r _ manifest; do
        # Server-side: the CRDs are too large for the last-applied annotation of a client-side apply.
        kubectl apply --server-side --force-conflicts -f "${dir}/${manifest}" >&2
    done <<<"$CALICO_SHA256"
    kubectl -n tigera-operator annotate deployment tigera-operator --overwrite "${VERSION_ANNOTATION}=${CALICO_VERSION}" >&2
}

ip_pool() {
    step calico-network "IPv4 pool ${POD_CIDR}, VXLAN encapsulation, BGP ${CALICO_BGP}"
    kubectl wait --for=condition=Established --timeout=120s crd/installations.operator.tigera.io >/dev/null
    if [ -z "$(kubectl get installation default --ignore-not-found -o name)" ]; then
        printf '%s\n' "$INSTALLATION" | kubectl create -f - >&2
        return 0
    fi
    local cidr bgp
    cidr=$(kubectl get installation default -o jsonpath='{.spec.calicoNetwork.ipPools[0].cidr}')
    [ "$cidr" = "$POD_CIDR" ] ||
        die "Calico already runs with pod network '${cidr}'; the pod network of a running cluster cannot change to ${POD_CIDR} (esiphub:podCidr)"
    bgp=$(kubectl get installation default -o jsonpath='{.spec.calicoNetwork.bgp}')
    if [ "$bgp" = "$CALICO_BGP" ]; then
        log "already configured"
        return 0
    fi
    log "BGP is ${bgp:-unset, i.e. on}; setting it to ${CALICO_BGP} (calico-node restarts without BIRD)"
    kubectl patch installation default --type merge -p "{\"spec\":{\"calicoNetwork\":{\"bgp\":\"${CALICO_BGP}\"}}}" >&2
}

wait_available() {
    local timeout="${CALICO_TIMEOUT:-600}"
    step calico-ready "waiting up to ${timeout}s for Calico to be Available"
    local deadline=$((SECONDS + timeout))
    until [ "$(kubectl get tigerastatus calico --ignore-not-found \
        -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" = True ]; do
        [ "$SECONDS" -lt "$deadline" ] ||
            die "Calico is not Available after ${timeout}s; see: kubectl get tigerastatus; kubectl -n calico-system get pods"
        sleep "${POLL_INTERVAL:-5}"
    done
}

main
