#!/usr/bin/env bash
# Makes the node a kubeadm control plane, with Secrets encrypted at rest and no bootstrap token left over; keeps
# the API server certificate valid for the public IP (and hub hostname) when they change later; lets pods run on
# the master or not. A re-run on an initialised master changes nothing.
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
# The lifetime of kubeadm init's bootstrap token, deleted as soon as the init is done.
INIT_TOKEN_TTL=15m
# Secrets encrypted at rest in etcd (kubernetes.io "Encrypting Confidential Data at Rest"): the API server's
# EncryptionConfiguration, in /etc/kubernetes/pki, which kubeadm's API server pod already mounts (read-only volume
# k8s-certs), and the kubeadm patch that gives the API server its flag (kubeadm init --patches: files named
# TARGET+PATCHTYPE.yaml, here a JSON patch of the kube-apiserver static pod).
ENCRYPTION_CONFIG=/etc/kubernetes/pki/encryption-config.yaml
PATCHES=/etc/esiphub/kubeadm-patches
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
    secrets_encryption
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
    # Here, after any reset: kubeadm reset empties /etc/kubernetes/pki.
    encryption_config
    # The bootstrap token kubeadm init must make (its bootstrap-token phase) is one of ours, so that it can be
    # deleted at once: workers get a token of their own per join (join-worker.sh), and kubeadm's own would stay valid
    # 24 h. Its short TTL covers a run that stops before the deletion. --skip-token-print: it stays out of the logs.
    local token
    token=$(kubeadm token generate)
    kubeadm init \
        --node-name "$NODE_NAME" \
        --kubernetes-version "$version" \
        --apiserver-advertise-address "$PRIVATE_IP" \
        --apiserver-cert-extra-sans "$CERT_SANS" \
        --pod-network-cidr "$POD_CIDR" \
        --service-cidr "$SERVICE_CIDR" \
        --token "$token" \
        --token-ttl "$INIT_TOKEN_TTL" \
        --patches "$ROOT$PATCHES" \
        --skip-token-print >&2
    mv -f "$started" "$finished"
    # Every Secret of this cluster was written by an API server that encrypts.
    touch "$ROOT$RECORDS/secrets-encrypted.done"
    step init-token "deleting the bootstrap token of kubeadm init"
    kubeadm token delete "${token%%.*}" --kubeconfig "$KUBECONFIG" >&2
}

# The encryption key is made here, on the master, once, and never leaves it (not in the program's state, not in a
# log). An existing file is kept as it is: a new key could not read what the old one encrypted. secretbox
# (XSalsa20-Poly1305, a 32-byte key) is the documentation's "strong" choice without a rotation limit; identity last,
# so that Secrets written before encryption was on stay readable until they are rewritten.
# Logged under the step that needs it (kubeadm-init, secrets-encryption).
encryption_config() {
    if [ ! -s "$ROOT$ENCRYPTION_CONFIG" ]; then
        local key config
        key=$(head -c 32 /dev/urandom | base64)
        config=$(printf '%s\n' \
            "apiVersion: apiserver.config.k8s.io/v1" \
            "kind: EncryptionConfiguration" \
            "resources:" \
            "  - resources: [secrets]" \
            "    providers:" \
            "      - secretbox:" \
            "          keys:" \
            "            - name: esiphub-1" \
            "              secret: ${key}" \
            "      - identity: {}")
        write_file "$ROOT$ENCRYPTION_CONFIG" 0600 "$config"
        log "a new key for Secrets at rest, made on this node"
    fi
    write_file "$ROOT$PATCHES/kube-apiserver+json.yaml" 0644 "$(printf '%s\n' \
        "- op: add" \
        "  path: /spec/containers/0/command/-" \
        "  value: --encryption-provider-config=${ENCRYPTION_CONFIG}")"
}

# A control plane initialised before encryption at rest (an earlier version of this script): its API server is
# given the flag (kubeadm regenerates its static pod with the patch, with the init's own settings), and once the
# new one answers, every Secret is rewritten, which stores it encrypted. Recorded when done, so that a rewrite cut
# short is done again.
secrets_encryption() {
    local done="$ROOT$RECORDS/secrets-encrypted.done" manifest="$ROOT/etc/kubernetes/manifests/kube-apiserver.yaml" before
    [ ! -f "$done" ] || return 0
    step secrets-encryption "the API server of this running cluster starts encrypting Secrets"
    encryption_config
    if ! grep -qF -- "--encryption-provider-config=${ENCRYPTION_CONFIG}" "$manifest"; then
        before=$(crictl ps --quiet --name kube-apiserver)
        kubeadm init phase control-plane apiserver \
            --kubernetes-version "$(kubeadm version -o short)" \
            --apiserver-advertise-address "$PRIVATE_IP" \
            --service-cidr "$SERVICE_CIDR" \
            --patches "$ROOT$PATCHES" >&2
        wait_for_new_api_server "$before"
    fi
    kubectl get secrets --all-namespaces -o json | kubectl replace -f - >/dev/null
    touch "$done"
    log "every Secret rewritten, encrypted"
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

# The kubelet replaces the API server's container when its static pod manifest changes (it checks every 20 s): the
# old one may answer until then, so the wait is for another container, then for /readyz.
wait_for_new_api_server() {
    local deadline=$((SECONDS + ${API_TIMEOUT:-180})) now
    while :; do
        now=$(crictl ps --quiet --name kube-apiserver)
        [ -z "$now" ] || [ "$now" = "$1" ] || break
        [ "$SECONDS" -lt "$deadline" ] || die "the API server was not restarted ${API_TIMEOUT:-180}s after its manifest changed; see: crictl ps -a --name kube-apiserver"
        sleep "${POLL_INTERVAL:-5}"
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
