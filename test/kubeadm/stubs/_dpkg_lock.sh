# shellcheck shell=bash
# Sourced by the apt-get and apt-mark stubs, after _stub.sh: the dpkg frontend lock, held by another apt run when
# $STATE/dpkg-lock exists. apt waits for it only when given -o DPkg::Lock::Timeout=N (apt-pkg/deb/debsystem.cc,
# debSystem::Lock); otherwise it fails at once, as here.
wait_for_dpkg_lock() {
    [ -f "$STATE/dpkg-lock" ] || return 0
    local arg
    for arg in "$@"; do
        if [[ "$arg" == DPkg::Lock::Timeout=* ]] && [ "${arg#*=}" -gt 0 ]; then
            echo "Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (unattended-upgr)" >&2
            rm -f "$STATE/dpkg-lock"
            return 0
        fi
    done
    echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (unattended-upgr)" >&2
    echo "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?" >&2
    exit 100
}
