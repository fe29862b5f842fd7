#!/usr/bin/env bash
# Makes the node a kubeadm control plane; keeps the API server certificate valid for the public IP (and hub
# hostname) when they change later; lets pods run on the master or not. A re-run on an initialised master
# changes nothing.
#
# kubeadm init is not atomic: admin.conf exists from its kubeconfig phase on, long before the cluster does
# (kubernetes/kubernetes cmd/kubeadm/app/cmd/init.go: certs, kubeconfig, etcd, control-plane, kubelet-start,
# wait-control-plane, upload-config, ..., bootstrap-token, addon). So completion is recorded only after kubeadm init
# succeeded (/var/lib/esiphub/kubeadm-init.done, written last), and what an interrupted init left behind is
# reset (kubeadm reset -f, CNI configuration removed) before the next attempt: kubeadm's preflight refuses to run
# over it. Nothing can depend on a cluster whose init never finished, so the reset loses nothing. A control plane
# made by an earlier version of this script (no record) counts as complete when it has what kubeadm init makes
# last: the kubeadm-config and cluster-info ConfigMaps and the kube-proxy DaemonSet.
#
# Parameters:
#   NODE_NAME           Kubernetes node name of the master
#   PRIVATE_IP          address the API server advertises (what the workers join)
#   PUBLIC_IP           floating / elastic IP: a certificate name, the kubeconfig's server
#   HUB_HOSTNAME        optional; also a certificate name
#   POD_CIDR            pod network (Calico's IP pool)
#   SERVICE_CIDR        service network
#   SCHEDULE_ON_MASTER  true: no control-plane taint (pods run on the master); false: tainted
set -Eeuo pipefail

TAINT=node-role.kubernetes.io/control-plane
RECORDS=/var/lib/esiphub

main() {
    step parameters "control plane ${NODE_NAME:-} on ${PRIVATE_IP:-}"
    require_env NODE_NAME PRIVATE_IP PUBLIC_IP POD_CIDR SERVICE_CIDR SCHEDULE_ON_MASTER
    case "$SCHEDULE_ON_MASTER" in
        true | false) ;;
        *) die "SCHEDULE_ON_MASTER must be true or false, got '${SCHEDULE_ON_MASTER}'" ;;
    esac
    export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
    CERT_SANS="${PUBLIC_IP}${HUB_HOSTNAME:+,${HUB_HOSTNAME}}"

    kubeadm_init
    api_server_certificate
    master_taint
    step finished "control plane ready"
}

kubeadm_init() {
    step kubeadm-init "pod network ${POD_CIDR}, API server certificate also for ${CERT_SANS}"
    local finished="$ROOT$RECORDS/kubeadm-init.done" started="$ROOT$RECORDS/kubeadm-init.started" left
    mkdir -p "$ROOT$RECORDS"
    if [ -f "$finished" ]; then
        log "already initialised; left as it is"
        return 0
    fi
    left=$(init_leftovers)
    if [ -n "$left" ]; then
        if [ -f "$started" ]; then
            step kubeadm-reset "a kubeadm init stopped part-way (left ${left}); resetting this node first"
            reset_node
            step kubeadm-init "again, on the reset node"
        elif control_plane_complete; then
            log "initialised by an earlier version of this script; recorded as done"
            touch "$finished"
            return 0
        else
            die "found ${left} from a kubeadm init that did not finish, and no record of it; if nothing on this node matters, run 'sudo kubeadm reset -f' on it and run pulumi up again"
        fi
    fi
    touch "$started"
    # The control plane of the installed kubeadm: without it kubeadm asks dl.k8s.io for the newest patch.
    local version
    version=$(kubeadm version -o short)
    # --skip-token-print: the bootstrap token stays out of the logs; workers get their own tokens.
    kubeadm init \
        --node-name "$NODE_NAME" \
        --kubernetes-version "$version" \
        --apiserver-advertise-address "$PRIVATE_IP" \
        --apiserver-cert-extra-sans "$CERT_SANS" \
        --pod-network-cidr "$POD_CIDR" \
        --service-cidr "$SERVICE_CIDR" \
        --skip-token-print >&2
    mv -f "$started" "$finished"
}

# What a kubeadm init leaves that its preflight refuses (cmd/kubeadm/app/preflight/checks.go, InitNodeChecks:
# the static pod manifests, etcd's data directory, the ports of the running pods) or reuses: space-separated.
init_leftovers() {
    local path left=()
    for path in /etc/kubernetes/admin.conf /etc/kubernetes/pki/ca.crt /etc/kubernetes/manifests /var/lib/etcd /var/lib/kubelet/config.yaml; do
        if [ -f "$ROOT$path" ] || compgen -G "$ROOT$path/*" >/dev/null; then left+=("$path"); fi
    done
    echo "${left[*]}"
}

# What kubeadm init makes last, as the API server answers now: its configuration (upload-config), the
# cluster-info the workers join with (bootstrap-token), kube-proxy (addon).
control_plane_complete() {
    kubectl get --raw /readyz >/dev/null 2>&1 || return 1
    [ -n "$(kubectl -n kube-system get configmap kubeadm-config --ignore-not-found -o name)" ] &&
        [ -n "$(kubectl -n kube-public get configmap cluster-info --ignore-not-found -o name)" ] &&
        [ -n "$(kubectl -n kube-system get daemonset kube-proxy --ignore-not-found -o name)" ]
}

# kubeadm reset leaves the CNI configuration (and says so); the new cluster's Calico writes its own. The directory
# stays: containerd watches it for the network configuration.
reset_node() {
    kubeadm reset -f >&2
    rm -rf "$ROOT"/etc/cni/net.d/*
}

# Names on the API server certificate, one per line ("IP Address:203.0.113.7", "DNS:hub.example.org").
certificate_names() {
    openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2 | tr ',' '\n' | sed 's/^ *//'
}

api_server_certificate() {
    step api-certificate "API server certificate valid for ${CERT_SANS}"
    local cert="$ROOT/etc/kubernetes/pki/apiserver.crt"
    local names wanted missing=()
    names=$(certificate_names "$cert")
    for wanted in "IP Address:${PUBLIC_IP}" ${HUB_HOSTNAME:+"DNS:${HUB_HOSTNAME}"}; do
        grep -qxF "$wanted" <<<"$names" || missing+=("$wanted")
    done
    [ "${#missing[@]}" -gt 0 ] || return 0

    log "certificate lacks ${missing[*]}; issuing a new one from the cluster CA"
    mv -f "$cert" "${cert}.replaced"
    mv -f "${cert%.crt}.key" "${cert%.crt}.key.replaced"
    kubeadm init phase certs apiserver \
        --apiserver-advertise-address "$PRIVATE_IP" \
        --apiserver-cert-extra-sans "$CERT_SANS" \
        --service-cidr "$SERVICE_CIDR" >&2
    # The kubelet restarts the static pod's container, which then serves the new certificate.
    local container
    for container in $(crictl ps --quiet --name kube-apiserver); do
        crictl stop "$container" >/dev/null
    done
    wait_for_api_server
}

wait_for_api_server() {
    local deadline=$((SECONDS + ${API_TIMEOUT:-180}))
    until kubectl get --raw /readyz >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || die "API server not ready ${API_TIMEOUT:-180}s after its restart; see: crictl ps -a --name kube-apiserver"
        sleep "${POLL_INTERVAL:-5}"
    done
}

master_taint() {
    step master-taint "pods on the master: ${SCHEDULE_ON_MASTER}"
    local keys tainted=false
    keys=$(kubectl get node "$NODE_NAME" -o jsonpath='{.spec.taints[*].key}')
    if grep -qxF -- "$TAINT" <<<"${keys// /$'\n'}"; then tainted=true; fi
    if [ "$SCHEDULE_ON_MASTER" = true ] && [ "$tainted" = true ]; then
        kubectl taint node "$NODE_NAME" "${TAINT}:NoSchedule-" >&2
    elif [ "$SCHEDULE_ON_MASTER" = false ] && [ "$tainted" = false ]; then
        kubectl taint node "$NODE_NAME" "${TAINT}:NoSchedule" >&2
    fi
}

main
