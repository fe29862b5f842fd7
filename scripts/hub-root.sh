#!/usr/bin/env bash
# Builds the Debian trixie root that hub-side tests run a real JupyterHub 5 from
# (`chroot ROOT jupyterhub -f CONFIG`, see test/hub/localhub.ts).
# Idempotent: an existing complete root is reused as is. The root is built in a
# sibling directory and renamed only once complete, so a half-built root is never used.
#
# Environment:
#   ESIPHUB_HUB_ROOT        where the root lives (default /var/cache/esiphub/trixie-root)
#   ESIPHUB_DEBIAN_MIRROR   Debian mirror (default http://deb.debian.org/debian)
set -euo pipefail

ROOT="${ESIPHUB_HUB_ROOT:-/var/cache/esiphub/trixie-root}"
MIRROR="${ESIPHUB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=trixie
PACKAGES=(jupyterhub python3-bcrypt python3-notebook)
PARTIAL="${ROOT}.partial"
LOCK="${ROOT}.lock"

step="start"
log() { echo "esiphub: ${step}: $*"; }
trap 'echo "esiphub: ${step}: failed (hub root ${ROOT})" >&2' ERR

unmount_proc() {
  if mountpoint -q "${PARTIAL}/proc" 2>/dev/null; then
    umount "${PARTIAL}/proc"
  fi
}

step="check"
if [[ "$(id -u)" != 0 ]]; then
  log "must run as root (debootstrap and chroot need it)" >&2
  exit 1
fi
for tool in debootstrap chroot flock mountpoint; do
  command -v "${tool}" >/dev/null || { log "${tool} is not installed" >&2; exit 1; }
done
# The marker is written last, so its presence means the root is complete.
if [[ -x "${ROOT}/usr/bin/jupyterhub" && -f "${ROOT}/.esiphub-complete" ]]; then
  log "hub root already present at ${ROOT}"
  exit 0
fi

step="lock"
mkdir -p "$(dirname "${ROOT}")"
exec 9>"${LOCK}"
flock 9
# Another run may have finished the root while this one waited for the lock.
if [[ -f "${ROOT}/.esiphub-complete" ]]; then
  log "hub root built by a concurrent run at ${ROOT}"
  exit 0
fi

step="clean"
trap unmount_proc EXIT
unmount_proc
if [[ -e "${PARTIAL}" ]]; then
  log "removing unfinished build ${PARTIAL}"
  rm -rf --one-file-system "${PARTIAL}"
fi

step="debootstrap"
log "debootstrap --variant=minbase ${SUITE} into ${PARTIAL} from ${MIRROR}"
debootstrap --variant=minbase "${SUITE}" "${PARTIAL}" "${MIRROR}"

step="apt"
log "installing ${PACKAGES[*]}"
cp /etc/resolv.conf "${PARTIAL}/etc/resolv.conf"
# No service may start inside the chroot while packages install.
printf '#!/bin/sh\nexit 101\n' >"${PARTIAL}/usr/sbin/policy-rc.d"
chmod 0755 "${PARTIAL}/usr/sbin/policy-rc.d"
mount -t proc proc "${PARTIAL}/proc"
chroot "${PARTIAL}" env DEBIAN_FRONTEND=noninteractive apt-get update
chroot "${PARTIAL}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"
chroot "${PARTIAL}" apt-get clean
umount "${PARTIAL}/proc"

step="verify"
chroot "${PARTIAL}" jupyterhub --version
chroot "${PARTIAL}" python3 -c 'import bcrypt, notebook'
touch "${PARTIAL}/.esiphub-complete"

step="install"
if [[ -e "${ROOT}" ]]; then
  log "replacing incomplete root at ${ROOT}"
  rm -rf --one-file-system "${ROOT}"
fi
mv "${PARTIAL}" "${ROOT}"
log "hub root ready at ${ROOT}"
