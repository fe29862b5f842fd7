#!/usr/bin/env bash
# Prepares an Ubuntu node for kubeadm: waits for cloud-init, swap off, kernel modules and sysctls,
# kubelet/kubeadm/kubectl of one Kubernetes minor from its pkgs.k8s.io repository (held),
# containerd with the systemd cgroup driver, nfs-common for the NFS volumes.
# A re-run on a prepared node changes nothing.
#
# Parameters:
#   KUBERNETES_MINOR  e.g. 1.33
set -Eeuo pipefail

KUBE_PACKAGES=(kubelet kubeadm kubectl)
SYSCTLS=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward)
KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg

export DEBIAN_FRONTEND=noninteractive

# apt-get that waits for another apt/dpkg run (unattended-upgrades, cloud-init) to let go of the dpkg lock.
apt_get() {
    apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"
}

# `apt-get update`, tried a few times: apt-daily may hold the lists lock for a while after boot, and a
# mirror may fail for a moment.
apt_update() {
    local attempt
    for attempt in 1 2 3 4 5 6; do
        if apt_get update; then
            return 0
        fi
        log "apt-get update failed (attempt ${attempt} of 6)"
        [ "$attempt" -eq 6 ] || sleep "${APT_RETRY_DELAY:-20}"
    done
    die "apt-get update failed 6 times; see the messages above"
}

main() {
    step parameters "Kubernetes ${KUBERNETES_MINOR:-}"
    require_env KUBERNETES_MINOR
    [[ "$KUBERNETES_MINOR" =~ ^1\.[0-9]+$ ]] || die "KUBERNETES_MINOR must be a minor version such as 1.33, got '${KUBERNETES_MINOR}'"

    wait_for_cloud_init
    disable_swap
    load_kernel_modules
    set_sysctls
    add_kubernetes_repo
    install_packages
    configure_containerd
    enable_services
    step finished "node ready for kubeadm"
}

wait_for_cloud_init() {
    step cloud-init "waiting for cloud-init to finish (it may still be installing packages)"
    command -v cloud-init >/dev/null || return 0
    local rc=0
    cloud-init status --wait >/dev/null || rc=$?
    case "$rc" in
        0) ;;
        # cloud-init 23.4 and later: finished, with recoverable errors (deprecated keys and the like).
        2) log "finished with recoverable errors; continuing" ;;
        *) die "cloud-init failed (status exit ${rc}); see /var/log/cloud-init-output.log" ;;
    esac
}

disable_swap() {
    step swap "kubelet needs swap off"
    if [ "$(wc -l <"$ROOT/proc/swaps")" -gt 1 ]; then
        swapoff -a
        log "swap turned off"
    fi
    local fstab="$ROOT/etc/fstab"
    local swap_entry='^[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]'
    if [ -f "$fstab" ] && grep -Eq "$swap_entry" "$fstab"; then
        sed -i -E "s/(${swap_entry}.*)$/# \\1  # esiphub: kubelet needs swap off/" "$fstab"
        log "swap entries in /etc/fstab commented out"
    fi
}

load_kernel_modules() {
    step kernel-modules "overlay and br_netfilter, now and at boot"
    write_file "$ROOT/etc/modules-load.d/kubernetes.conf" 0644 "$(printf '%s\n' overlay br_netfilter)"
    local module
    for module in overlay br_netfilter; do
        [ -d "$ROOT/sys/module/${module}" ] || modprobe "$module"
    done
}

set_sysctls() {
    step sysctl "bridged traffic through iptables, IP forwarding"
    write_file "$ROOT/etc/sysctl.d/99-kubernetes.conf" 0644 "$(printf '%s = 1\n' "${SYSCTLS[@]}")"
    if [ "$FILE_CHANGED" = true ] || ! sysctls_applied; then
        sysctl --system >/dev/null
    fi
}

sysctls_applied() {
    local key
    for key in "${SYSCTLS[@]}"; do
        [ "$(cat "$ROOT/proc/sys/${key//.//}" 2>/dev/null)" = 1 ] || return 1
    done
}

add_kubernetes_repo() {
    step apt-repo "pkgs.k8s.io repository of Kubernetes ${KUBERNETES_MINOR}"
    local repo="https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/"
    write_file "$ROOT/etc/apt/sources.list.d/kubernetes.list" 0644 "deb [signed-by=${KEYRING}] ${repo} /"
    if [ "$FILE_CHANGED" = true ] || [ ! -s "$ROOT$KEYRING" ]; then
        local key
        key=$(mktemp)
        curl -fsSL --retry 5 -o "$key" "${repo}Release.key"
        mkdir -p "$ROOT/etc/apt/keyrings"
        gpg --batch --yes --dearmor -o "$ROOT$KEYRING" "$key"
        chmod 0644 "$ROOT$KEYRING"
        rm -f "$key"
        log "signing key of ${repo} installed"
    fi
}

installed() {
    # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not a shell expansion
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

install_packages() {
    step install-packages "containerd, ${KUBE_PACKAGES[*]} ${KUBERNETES_MINOR}, nfs-common"
    local package version missing=()
    for package in containerd "${KUBE_PACKAGES[@]}" nfs-common; do
        installed "$package" || missing+=("$package")
    done
    for package in "${KUBE_PACKAGES[@]}"; do
        installed "$package" || continue
        # shellcheck disable=SC2016 # ${Version} is dpkg-query's field
        version=$(dpkg-query -W -f='${Version}' "$package")
        [[ "$version" == "${KUBERNETES_MINOR}."* ]] ||
            die "${package} ${version} is installed but Kubernetes ${KUBERNETES_MINOR} is asked for; moving a node to another minor is a kubeadm upgrade, which this script does not do"
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_update
        apt_get install --no-install-recommends "${missing[@]}"
        log "installed ${missing[*]}"
    fi
    local held to_hold=()
    held=$(apt-mark showhold)
    for package in "${KUBE_PACKAGES[@]}"; do
        grep -qxF "$package" <<<"$held" || to_hold+=("$package")
    done
    if [ "${#to_hold[@]}" -gt 0 ]; then
        apt-mark hold "${to_hold[@]}" >/dev/null
        log "held ${to_hold[*]} (upgraded only on purpose)"
    fi
}

configure_containerd() {
    step containerd "systemd cgroup driver (SystemdCgroup = true), as the kubelet uses"
    local config="$ROOT/etc/containerd/config.toml"
    if [ -f "$config" ] && grep -q 'SystemdCgroup = true' "$config"; then
        return 0
    fi
    local generated
    generated=$(containerd config default | sed 's/SystemdCgroup = false/SystemdCgroup = true/')
    grep -q 'SystemdCgroup = true' <<<"$generated" ||
        die "containerd's default configuration has no SystemdCgroup setting to turn on"
    write_file "$config" 0644 "$generated"
    systemctl restart containerd
    log "configured and restarted"
}

enable_services() {
    step services "containerd running, containerd and kubelet started at boot"
    local service
    for service in containerd kubelet; do
        systemctl is-enabled --quiet "$service" || systemctl enable "$service"
    done
    systemctl is-active --quiet containerd || systemctl start containerd
}

main
