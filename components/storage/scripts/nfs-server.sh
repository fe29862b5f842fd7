#!/usr/bin/env bash
# Turns the NFS host into the hub's file server: the data volume (XFS, project quotas) mounted by UUID,
# exported to the node subnet only, nfs-server running, and the per-user quota enforcer installed.
#
# Data safety first: the volume is formatted only when `blkid` finds nothing on it at all (exit code 2).
# A volume with any filesystem or partition table is never formatted, and `mkfs.xfs` runs without -f, so it
# refuses too if it sees an old signature that blkid missed. Idempotent: a re-run on a finished host changes
# nothing (no package, mount, unit or export command runs).
#
# Environment:
#   ESIPHUB_DEVICE              block device of the data volume, e.g. /dev/disk/by-id/virtio-... (required)
#   ESIPHUB_EXPORT_DIR          mount point and NFS export (required), e.g. /srv/esiphub
#   ESIPHUB_EXPORT_CIDR         the node subnet, the only clients allowed (required)
#   ESIPHUB_NFS_ANON_UID/GID    who root on a client becomes (required; the notebook user, see the exports below)
#   ESIPHUB_NFSD_THREADS        nfsd threads (required)
#   ESIPHUB_QUOTA_PARENT        directory (under the export) that holds the user directories (required)
#   ESIPHUB_QUOTA_BYTES         per-user hard limit in bytes (required)
#   ESIPHUB_QUOTA_EXCLUDE       space-separated names under the parent that get no per-user quota (may be empty)
#   ESIPHUB_QUOTA_SCRIPT_B64    the quota enforcer (nfs-quota.sh), base64 (required)
#   ESIPHUB_DEVICE_TIMEOUT      seconds to wait for the device to appear after attachment (default 300)
#   ESIPHUB_ROOT                prefix for every file this script writes (tests only; empty on a host)
set -Eeuo pipefail

step="start"
log() { echo "esiphub: ${step}: $*"; }
fail() { echo "esiphub: ${step}: $*" >&2; exit 1; }
on_error() {
  local rc=$?
  echo "esiphub: ${step}: failed (exit ${rc}, line ${BASH_LINENO[0]})" >&2
  exit "${rc}"
}
trap on_error ERR

step="check"
[[ "$(id -u)" == 0 ]] || fail "must run as root"
for var in ESIPHUB_DEVICE ESIPHUB_EXPORT_DIR ESIPHUB_EXPORT_CIDR ESIPHUB_NFS_ANON_UID ESIPHUB_NFS_ANON_GID \
  ESIPHUB_NFSD_THREADS ESIPHUB_QUOTA_PARENT ESIPHUB_QUOTA_BYTES ESIPHUB_QUOTA_SCRIPT_B64; do
  [[ -n "${!var:-}" ]] || fail "${var} is not set"
done
: "${ESIPHUB_QUOTA_EXCLUDE:=}"
ROOT="${ESIPHUB_ROOT:-}"
DEVICE="${ESIPHUB_DEVICE}"
EXPORT_DIR="${ESIPHUB_EXPORT_DIR}"
MOUNT="${ROOT}${EXPORT_DIR}"
QUOTA_UNIT="esiphub-nfs-quota"
[[ "${EXPORT_DIR}" == /* && "${EXPORT_DIR}" != / ]] || fail "ESIPHUB_EXPORT_DIR must be an absolute path other than /"
[[ "${ESIPHUB_QUOTA_BYTES}" =~ ^[1-9][0-9]*$ ]] || fail "ESIPHUB_QUOTA_BYTES must be a positive number of bytes"
[[ "${ESIPHUB_QUOTA_PARENT}" =~ ^[a-z0-9][a-z0-9.-]*$ ]] || fail "ESIPHUB_QUOTA_PARENT must be a plain directory name"
[[ "${ESIPHUB_QUOTA_EXCLUDE}" =~ ^[a-z0-9.\ -]*$ ]] || fail "ESIPHUB_QUOTA_EXCLUDE must be space-separated directory names"

# Writes stdin to a file when its content differs; succeeds only when it wrote.
write_if_changed() {
  local file="$1" mode="$2" content
  content="$(cat)"
  if [[ -f "${file}" && "$(cat "${file}")" == "${content}" ]]; then
    return 1
  fi
  mkdir -p "$(dirname "${file}")"
  printf '%s\n' "${content}" >"${file}.esiphub-new"
  chmod "${mode}" "${file}.esiphub-new"
  mv "${file}.esiphub-new" "${file}"
  log "wrote ${file}"
}

step="packages"
missing=()
for pkg in nfs-kernel-server xfsprogs; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "${pkg}" 2>/dev/null || true)" != installed ]]; then
    missing+=("${pkg}")
  fi
done
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  # The node may still be running cloud-init's or the cluster layer's apt: wait for the lock rather than fail.
  # needrestart must not restart services (kubelet, containerd) behind the cluster's back.
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  for attempt in 1 2 3 4 5; do
    apt-get -o DPkg::Lock::Timeout=600 update -q && break
    ((attempt < 5)) || fail "apt-get update kept failing"
    sleep 20
  done
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
else
  log "nfs-kernel-server and xfsprogs already installed"
fi

step="device"
waited=0
until [[ -e "${DEVICE}" ]]; do
  ((waited < ${ESIPHUB_DEVICE_TIMEOUT:-300})) || fail "${DEVICE} did not appear within ${waited}s of the volume attachment"
  sleep 5
  waited=$((waited + 5))
done
log "${DEVICE} present"

# Low-level probe (-p: no cache): exit 0 with KEY=VALUE lines when something is on the device, 2 when nothing is.
probe() {
  local out rc=0
  out="$(blkid -p -o export "${DEVICE}")" || rc=$?
  FS_TYPE="$(sed -n 's/^TYPE=//p' <<<"${out}")"
  FS_UUID="$(sed -n 's/^UUID=//p' <<<"${out}")"
  PART_TABLE="$(sed -n 's/^PTTYPE=//p' <<<"${out}")"
  return "${rc}"
}

step="filesystem"
rc=0
probe || rc=$?
if ((rc == 2)); then
  step="format"
  log "no filesystem on ${DEVICE}: formatting it as XFS (first use of this volume)"
  # Project quotas need no mkfs option on XFS v5; they are switched on by the prjquota mount option below.
  mkfs.xfs -q -L esiphub-data "${DEVICE}"
  step="filesystem"
  probe || fail "blkid finds nothing on ${DEVICE} right after mkfs.xfs"
elif ((rc != 0)); then
  fail "blkid could not probe ${DEVICE} (exit ${rc}); not formatting it"
fi
if [[ "${FS_TYPE}" != xfs ]]; then
  if [[ -n "${FS_TYPE}" ]]; then
    fail "${DEVICE} holds a ${FS_TYPE} filesystem; ESIPHub needs XFS and never formats a volume with data on it"
  fi
  fail "${DEVICE} has ${PART_TABLE:+a ${PART_TABLE} partition table but }no XFS filesystem; refusing to format it"
fi
[[ -n "${FS_UUID}" ]] || fail "the XFS filesystem on ${DEVICE} has no UUID"
log "XFS filesystem ${FS_UUID} on ${DEVICE}"

step="mount"
units_changed=0
mkdir -p "${MOUNT}"
# By UUID, since device names move between boots. nofail: a missing volume must not stop the node (the
# master is also the control plane) from booting; nfs-server is held back until it is mounted, see below.
fstab_line="UUID=${FS_UUID} ${EXPORT_DIR} xfs defaults,prjquota,nofail 0 2"
fstab="${ROOT}/etc/fstab"
[[ -e "${fstab}" ]] || touch "${fstab}"
if ! grep -qxF "${fstab_line}" "${fstab}"; then
  # Any other line for this mount point is replaced.
  awk -v dir="${EXPORT_DIR}" '$2 != dir' "${fstab}" | { cat; printf '%s\n' "${fstab_line}"; } | write_if_changed "${fstab}" 0644
  # systemd makes its mount units from fstab; nfs-server's RequiresMountsFor refers to this one.
  units_changed=1
fi
if mounted="$(findmnt -n -P -o UUID,OPTIONS --mountpoint "${MOUNT}")"; then
  mounted_uuid="$(sed -n 's/.*UUID="\([^"]*\)".*/\1/p' <<<"${mounted}")"
  mounted_options="$(sed -n 's/.*OPTIONS="\([^"]*\)".*/\1/p' <<<"${mounted}")"
  [[ "${mounted_uuid}" == "${FS_UUID}" ]] || fail "${MOUNT} has filesystem ${mounted_uuid} mounted, not the data volume ${FS_UUID}"
  # XFS cannot switch quota accounting on by remount; it needs a fresh mount.
  [[ ",${mounted_options}," == *,prjquota,* ]] || fail "${MOUNT} is mounted without prjquota; stop nfs-server, unmount it and re-run"
  log "${MOUNT} already mounted with project quotas"
else
  log "mounting ${FS_UUID} at ${MOUNT}"
  mount "${MOUNT}"
fi

step="layout"
# Client root is squashed to the notebook user (see exports): the provisioner, which runs as root, creates
# the user directories as that user, so it must own the export and the user-directory parent.
for dir in "${MOUNT}" "${MOUNT}/${ESIPHUB_QUOTA_PARENT}"; do
  mkdir -p "${dir}"
  if [[ "$(stat -c %u:%g "${dir}")" != "${ESIPHUB_NFS_ANON_UID}:${ESIPHUB_NFS_ANON_GID}" ]]; then
    chown "${ESIPHUB_NFS_ANON_UID}:${ESIPHUB_NFS_ANON_GID}" "${dir}"
  fi
  if [[ "$(stat -c %a "${dir}")" != 755 ]]; then
    chmod 0755 "${dir}"
  fi
done
log "${MOUNT} and ${ESIPHUB_QUOTA_PARENT}/ owned by ${ESIPHUB_NFS_ANON_UID}:${ESIPHUB_NFS_ANON_GID}"

step="quota-enforcer"
base64 -d <<<"${ESIPHUB_QUOTA_SCRIPT_B64}" | write_if_changed "${ROOT}/usr/local/sbin/${QUOTA_UNIT}" 0755 || true
write_if_changed "${ROOT}/etc/esiphub/nfs-quota.env" 0644 <<EOF || true
ESIPHUB_EXPORT_DIR=${EXPORT_DIR}
ESIPHUB_QUOTA_PARENT=${ESIPHUB_QUOTA_PARENT}
ESIPHUB_QUOTA_BYTES=${ESIPHUB_QUOTA_BYTES}
ESIPHUB_QUOTA_EXCLUDE="${ESIPHUB_QUOTA_EXCLUDE}"
EOF
if write_if_changed "${ROOT}/etc/systemd/system/${QUOTA_UNIT}.service" 0644 <<EOF; then units_changed=1; fi
[Unit]
Description=ESIPHub: XFS project quota on each new user directory
RequiresMountsFor=${EXPORT_DIR}

[Service]
Type=oneshot
EnvironmentFile=/etc/esiphub/nfs-quota.env
ExecStart=/usr/local/sbin/${QUOTA_UNIT}
EOF
# The path unit reacts within a second to the provisioner creating a directory; directories created while
# the service runs are not seen by it, so the timer sweeps every two minutes as well.
if write_if_changed "${ROOT}/etc/systemd/system/${QUOTA_UNIT}.path" 0644 <<EOF; then units_changed=1; fi
[Unit]
Description=ESIPHub: watch for new user directories

[Path]
PathChanged=${EXPORT_DIR}/${ESIPHUB_QUOTA_PARENT}
Unit=${QUOTA_UNIT}.service

[Install]
WantedBy=multi-user.target
EOF
if write_if_changed "${ROOT}/etc/systemd/system/${QUOTA_UNIT}.timer" 0644 <<EOF; then units_changed=1; fi
[Unit]
Description=ESIPHub: sweep for user directories without a quota

[Timer]
OnBootSec=1min
OnUnitActiveSec=2min
Unit=${QUOTA_UNIT}.service

[Install]
WantedBy=timers.target
EOF

step="nfs-config"
# Never export the bare mount point: nfs-server waits for the data volume to be mounted.
if write_if_changed "${ROOT}/etc/systemd/system/nfs-server.service.d/esiphub.conf" 0644 <<EOF; then units_changed=1; fi
[Unit]
RequiresMountsFor=${EXPORT_DIR}
EOF
# Ubuntu's default of 8 nfsd threads is too few for a workshop's worth of servers starting at once.
nfs_conf_changed=0
if write_if_changed "${ROOT}/etc/nfs.conf.d/esiphub.conf" 0644 <<EOF; then nfs_conf_changed=1; fi
[nfsd]
threads=${ESIPHUB_NFSD_THREADS}
EOF
# Export options:
#   rw                 homes and scratch are written.
#   sync               the server answers a write only once it is on disk: a server crash loses no saved notebook.
#   no_subtree_check   the provisioner hands out subdirectories of this one export and renames them when it
#                      archives; subtree checking breaks file handles across renames and costs on every request.
#   root_squash,anonuid,anongid  root in any pod (or on any node) acts on the share as the notebook user, never
#                      as root: nobody can plant root-owned or setuid files or bypass permissions; the
#                      provisioner's directories and the notebook servers' files all belong to that one user.
#   secure             (default) only privileged ports, i.e. the nodes' kernels, can mount.
# Only the node subnet can reach the share; the security groups also limit port 2049 to it.
exports_changed=0
if write_if_changed "${ROOT}/etc/exports.d/esiphub.exports" 0644 <<EOF; then exports_changed=1; fi
${EXPORT_DIR} ${ESIPHUB_EXPORT_CIDR}(rw,sync,no_subtree_check,root_squash,anonuid=${ESIPHUB_NFS_ANON_UID},anongid=${ESIPHUB_NFS_ANON_GID})
EOF

step="services"
# nfs-kernel-server's unit is nfs-server.service (nfs-kernel-server.service is only an alias, which
# `systemctl enable` refuses to operate on).
if ((units_changed)); then
  log "reloading systemd units"
  systemctl daemon-reload
fi
for unit in nfs-server.service "${QUOTA_UNIT}.path" "${QUOTA_UNIT}.timer"; do
  if systemctl is-enabled --quiet "${unit}" && systemctl is-active --quiet "${unit}"; then
    log "${unit} enabled and running"
  else
    log "enabling and starting ${unit}"
    systemctl enable --now "${unit}"
  fi
done
if ((nfs_conf_changed)); then
  log "restarting nfs-server for ${ESIPHUB_NFSD_THREADS} threads"
  systemctl restart nfs-server.service
fi

step="export"
# `exportfs -s` lists the live exports as "DIR CLIENT(OPTIONS) ...".
exported() {
  exportfs -s | awk -v dir="${EXPORT_DIR}" -v client="${ESIPHUB_EXPORT_CIDR}(" '
    $1 == dir { for (i = 2; i <= NF; i++) if (index($i, client) == 1) found = 1 }
    END { exit !found }'
}
if ((exports_changed)) || ! exported; then
  log "exporting ${EXPORT_DIR} to ${ESIPHUB_EXPORT_CIDR}"
  exportfs -ra
fi
exported || fail "${EXPORT_DIR} is not exported to ${ESIPHUB_EXPORT_CIDR} after exportfs -ra"
log "${EXPORT_DIR} exported to ${ESIPHUB_EXPORT_CIDR}"

step="done"
log "NFS server ready"
