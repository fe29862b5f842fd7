#!/usr/bin/env bash
# Prepares an Ubuntu 24.04 node for kubeadm: waits for cloud-init, swap off, kernel modules and sysctls,
# kubelet/kubeadm/kubectl of one Kubernetes minor from its pkgs.k8s.io repository, containerd with the systemd
# cgroup driver and kubeadm's sandbox (pause) image, crictl's endpoint, nfs-common for the NFS volumes. The
# Kubernetes packages, containerd and runc are held, and needrestart leaves containerd and the kubelet alone: an
# unattended upgrade mid-workshop restarts no pod. A worker also lets the master in with the cluster's join key.
# A re-run on a prepared node changes nothing.
#
# First boot: unattended-upgrades (apt-daily-upgrade.service) may hold the dpkg lock for many minutes. Before the
# first package change the apt-daily timers are stopped and masked (until the script ends), a run under way is
# waited for (APT_WAIT seconds), and every apt call waits for the dpkg lock (DPkg::Lock::Timeout).
#
# Parameters:
#   KUBERNETES_MINOR     e.g. 1.33
#   SSH_USER             workers: the login user the master connects as to join them
#   JOIN_AUTHORIZED_KEY  workers: the master's join key as an authorized_keys line (options, key, comment)
#   APT_WAIT             seconds to wait for a running apt-daily job (default 1200)
set -Eeuo pipefail

KUBE_PACKAGES=(kubelet kubeadm kubectl)
# What a routine upgrade must not touch: it would restart every container on the node.
HELD_PACKAGES=(containerd runc "${KUBE_PACKAGES[@]}")
APT_TIMERS=(apt-daily.timer apt-daily-upgrade.timer)
# The oneshot jobs the timers start; apt-daily-upgrade.service runs unattended-upgrade.
APT_JOBS=(apt-daily.service apt-daily-upgrade.service)
LOCK_TIMEOUT=600
# The comment that marks the join key's line in authorized_keys (made by master-ssh.sh).
JOIN_KEY_COMMENT=esiphub-cluster-join
SYSCTLS=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward)
KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
# The fingerprint of the key that signs every pkgs.k8s.io repository ("isv:kubernetes OBS Project", the same key
# for each minor; kubernetes/kubernetes#128609, kubernetes/release#3818). The Release.key is fetched over HTTPS,
# but trusted only with this fingerprint, and alone: a keyring with another key in it is refused.
SIGNING_KEY=DE15B14486CD377B9E876E1A234654DA9A296436

export DEBIAN_FRONTEND=noninteractive

# apt-get and apt-mark that wait for another apt/dpkg run (unattended-upgrades, cloud-init) to let go of the dpkg lock.
apt_get() {
    apt-get -o DPkg::Lock::Timeout="$LOCK_TIMEOUT" -y -q "$@"
}

apt_mark() {
    apt-mark -o DPkg::Lock::Timeout="$LOCK_TIMEOUT" "$@"
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
    keep_services_running
    configure_containerd
    configure_crictl
    enable_services
    authorize_join_key
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
        local found
        # No key at all (an error page, say) is gpg's failure: found stays empty and the message says so.
        found=$(signing_keys "$key") || true
        if [ "$found" != "$SIGNING_KEY" ]; then
            rm -f "$key"
            found="${found//$'\n'/ }"
            die "${repo}Release.key holds key ${found:-none}, not pkgs.k8s.io's ${SIGNING_KEY}: not trusted"
        fi
        mkdir -p "$ROOT/etc/apt/keyrings"
        gpg --batch --yes --dearmor -o "$ROOT$KEYRING" "$key"
        chmod 0644 "$ROOT$KEYRING"
        rm -f "$key"
        log "signing key of ${repo} installed"
    fi
}

# The fingerprints of the primary keys in a key file (gnupg doc/DETAILS: each "pub" record is followed by its
# "fpr" record, the fingerprint in field 10; a subkey's "sub" record has its own "fpr", not counted).
signing_keys() {
    gpg --batch --show-keys --with-colons "$1" |
        awk -F: '$1 == "pub" { primary = 1; next } $1 == "fpr" && primary { print $10 } { primary = 0 }'
}

installed() {
    # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not a shell expansion
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

install_packages() {
    step install-packages "containerd, ${KUBE_PACKAGES[*]} ${KUBERNETES_MINOR}, nfs-common; held: ${HELD_PACKAGES[*]}"
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
        pause_apt_timers
        apt_update
        apt_get install --no-install-recommends "${missing[@]}"
        log "installed ${missing[*]}"
    fi
    local held to_hold=()
    held=$(apt-mark showhold)
    for package in "${HELD_PACKAGES[@]}"; do
        grep -qxF "$package" <<<"$held" || to_hold+=("$package")
    done
    if [ "${#to_hold[@]}" -gt 0 ]; then
        pause_apt_timers
        apt_mark hold "${to_hold[@]}" >/dev/null
        log "held ${to_hold[*]} (upgraded only on purpose)"
    fi
}

# Stops and masks the apt-daily timers until the script ends, then waits (APT_WAIT) for a job they started.
APT_PAUSED=false
# The timers that ran before the pause: only these start again.
RUNNING_TIMERS=()
pause_apt_timers() {
    [ "$APT_PAUSED" = false ] || return 0
    APT_PAUSED=true
    local wait="${APT_WAIT:-1200}" timer
    for timer in "${APT_TIMERS[@]}"; do
        ! systemctl is-active --quiet "$timer" || RUNNING_TIMERS+=("$timer")
    done
    log "pausing ${APT_TIMERS[*]} while packages change"
    at_exit resume_apt_timers
    systemctl mask --runtime --now "${APT_TIMERS[@]}" >/dev/null
    local deadline=$((SECONDS + wait)) running
    while running=$(running_apt_jobs) && [ -n "$running" ]; do
        [ "$SECONDS" -lt "$deadline" ] ||
            die "${running} (unattended-upgrades) still running after ${wait}s; see /var/log/unattended-upgrades/ and journalctl -u ${running%% *}"
        log "waiting for ${running} (unattended-upgrades on a first boot) to finish"
        sleep "${POLL_INTERVAL:-10}"
    done
}

resume_apt_timers() {
    systemctl unmask --runtime "${APT_TIMERS[@]}" >/dev/null
    [ "${#RUNNING_TIMERS[@]}" -gt 0 ] || return 0
    systemctl start "${RUNNING_TIMERS[@]}"
    log "${RUNNING_TIMERS[*]} running again"
}

# The apt-daily jobs that are running ("activating": a oneshot service at work), space-separated.
running_apt_jobs() {
    local job running=()
    for job in "${APT_JOBS[@]}"; do
        case "$(systemctl show -p ActiveState --value "$job")" in
            activating | deactivating | reloading) running+=("$job") ;;
        esac
    done
    echo "${running[*]}"
}

# needrestart (Ubuntu 24.04) restarts the services whose libraries an upgrade replaced, unattended upgrades
# included (discourse.ubuntu.com/t/needrestart-changes-in-ubuntu-24-04-service-restarts/44671): not these two,
# whose restart would restart or disturb every pod on the node.
keep_services_running() {
    step needrestart "unattended upgrades do not restart containerd or the kubelet"
    write_file "$ROOT/etc/needrestart/conf.d/50-esiphub.conf" 0644 "$(
        cat <<'CONF'
# esiphub: restart containerd and the kubelet on purpose only (every pod of the node depends on them).
$nrconf{override_rc}{qr(^containerd)} = 0;
$nrconf{override_rc}{qr(^kubelet)} = 0;
CONF
    )"
}

# The sandbox image kubeadm uses: the default of containerd 1.7 is older, and kubeadm warns about the mismatch
# (kubernetes.io/docs/setup/production-environment/container-runtimes/#override-pause-image-containerd).
pause_image() {
    local image
    image=$(kubeadm config images list --kubernetes-version "$(kubeadm version -o short)" | grep '/pause:' || true)
    [ -n "$image" ] || die "kubeadm config images list names no pause image"
    echo "$image"
}

configure_containerd() {
    step containerd "systemd cgroup driver (SystemdCgroup = true), as the kubelet uses; kubeadm's sandbox image"
    local config="$ROOT/etc/containerd/config.toml" pause
    pause=$(pause_image)
    if [ -f "$config" ] && grep -q 'SystemdCgroup = true' "$config" && grep -qF "sandbox_image = \"${pause}\"" "$config"; then
        return 0
    fi
    local generated
    generated=$(containerd config default | sed -e 's/SystemdCgroup = false/SystemdCgroup = true/' -e "s#sandbox_image = \".*\"#sandbox_image = \"${pause}\"#")
    grep -q 'SystemdCgroup = true' <<<"$generated" ||
        die "containerd's default configuration has no SystemdCgroup setting to turn on"
    grep -qF "sandbox_image = \"${pause}\"" <<<"$generated" ||
        die "containerd's default configuration has no sandbox_image setting to point at ${pause}"
    write_file "$config" 0644 "$generated"
    systemctl restart containerd
    log "configured (sandbox image ${pause}) and restarted"
}

# crictl (which kubeadm's messages point to) talks to containerd, without trying deprecated default endpoints
# (kubernetes.io/docs/tasks/debug/debug-cluster/crictl/).
configure_crictl() {
    step crictl "crictl talks to containerd"
    write_file "$ROOT/etc/crictl.yaml" 0644 "$(printf '%s\n' \
        'runtime-endpoint: unix:///run/containerd/containerd.sock' \
        'image-endpoint: unix:///run/containerd/containerd.sock' \
        'timeout: 10')"
}

enable_services() {
    step services "containerd running, containerd and kubelet started at boot"
    local service
    for service in containerd kubelet; do
        systemctl is-enabled --quiet "$service" || systemctl enable "$service"
    done
    systemctl is-active --quiet containerd || systemctl start containerd
}

# Workers: the master joins this node over SSH with the cluster's own key (components/kubeadm/cluster.ts says why),
# accepted from the master's address only (sshd(8), AUTHORIZED_KEYS FILE FORMAT: from=, restrict).
authorize_join_key() {
    [ -n "${JOIN_AUTHORIZED_KEY:-}" ] || return 0
    step join-key "the master may join this node as ${SSH_USER:-}"
    require_env SSH_USER
    [[ "$JOIN_AUTHORIZED_KEY" == *" ${JOIN_KEY_COMMENT}" ]] || die "JOIN_AUTHORIZED_KEY must end with the comment ${JOIN_KEY_COMMENT}"
    local home keys others newline=$'\n'
    home=$(getent passwd "$SSH_USER" | cut -d: -f6 || true)
    [ -n "$home" ] || die "no user ${SSH_USER} on this node (esiphub:sshUser)"
    keys="$ROOT${home}/.ssh/authorized_keys"
    others=$(grep -vF " ${JOIN_KEY_COMMENT}" "$keys" 2>/dev/null || true)
    write_file "$keys" 0600 "${others:+${others}${newline}}${JOIN_AUTHORIZED_KEY}"
    [ "$FILE_CHANGED" = false ] || chown "${SSH_USER}:" "$keys"
}

main
