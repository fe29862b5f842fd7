#!/usr/bin/env bash
# Turns the NFS host into the hub's file server: the data volume (XFS, project quotas) mounted by UUID,
# exported to the node subnet only, nfs-server running, and the per-user quota enforcer installed.
#
# Data safety first: the volume is formatted only when `blkid` finds nothing on it at all (exit code 2).
# A volume with any filesystem or partition table is never formatted, and `mkfs.xfs` runs without -f, so it
# refuses too if it sees an old signature that blkid missed. Idempotent: a re-run on a finished host changes
# nothing (no package, mount, unit or export command runs).
#
# Parameters:
#   ESIPHUB_VOLUME_SERIAL       serial the cloud gives the data volume's disk: the Cinder volume id (OpenStack),
#                               the EBS volume id without its dash (AWS, vol0123...)
#   ESIPHUB_EXPORT_DIR          mount point and NFS export, e.g. /srv/esiphub
#   ESIPHUB_EXPORT_CIDR         the node subnet, the only clients allowed
#   ESIPHUB_NFS_ANON_UID/GID    who root on a client becomes (the notebook user, see the exports below)
#   ESIPHUB_NFSD_THREADS        nfsd threads
#   ESIPHUB_QUOTA_PARENT        space-separated directories (under the export) that hold the user directories: a hub's
#                               namespace each, PARENT or PARENT=BYTES (its own per-user limit); see nfs-quota.sh
#   ESIPHUB_QUOTA_BYTES         per-user hard limit in bytes (of a parent without its own)
#   ESIPHUB_QUOTA_SHARED        space-separated NAME=BYTES or PARENT/NAME=BYTES: directories with a limit of their own (may be empty)
#   ESIPHUB_QUOTA_SCRIPT_B64    the quota enforcer as installed (nfs-quota.sh rendered with lib.sh), base64
#   ESIPHUB_DEVICE_TIMEOUT      seconds to wait for the disk to appear after attachment (default 300)
set -Eeuo pipefail

QUOTA_UNIT="esiphub-nfs-quota"
# Set by the steps that write them, read by the services and export steps.
UNITS_CHANGED=false
QUOTA_CHANGED=false
NFS_CONF_CHANGED=false
EXPORTS_CHANGED=false

check_parameters() {
    step check "NFS server for ${ESIPHUB_EXPORT_CIDR:-} on the disk with serial ${ESIPHUB_VOLUME_SERIAL:-}"
    [[ "$(id -u)" == 0 ]] || die "must run as root"
    require_env ESIPHUB_VOLUME_SERIAL ESIPHUB_EXPORT_DIR ESIPHUB_EXPORT_CIDR ESIPHUB_NFS_ANON_UID ESIPHUB_NFS_ANON_GID
    require_env ESIPHUB_NFSD_THREADS ESIPHUB_QUOTA_PARENT ESIPHUB_QUOTA_BYTES ESIPHUB_QUOTA_SCRIPT_B64
    : "${ESIPHUB_QUOTA_SHARED:=}"
    SERIAL="${ESIPHUB_VOLUME_SERIAL}"
    [[ "${SERIAL}" =~ ^[A-Za-z0-9-]{8,}$ ]] || die "ESIPHUB_VOLUME_SERIAL must be a volume id such as 1b7c3e2a-... or vol0123..."
    EXPORT_DIR="${ESIPHUB_EXPORT_DIR}"
    MOUNT="${ROOT}${EXPORT_DIR}"
    [[ "${EXPORT_DIR}" == /* && "${EXPORT_DIR}" != / ]] || die "ESIPHUB_EXPORT_DIR must be an absolute path other than /"
    [[ "${ESIPHUB_QUOTA_BYTES}" =~ ^[1-9][0-9]*$ ]] || die "ESIPHUB_QUOTA_BYTES must be a positive number of bytes"
    [[ "${ESIPHUB_QUOTA_PARENT}" =~ ^([a-z0-9][a-z0-9.-]*(=[1-9][0-9]*)?( |$))+$ ]] || die "ESIPHUB_QUOTA_PARENT must be space-separated plain directory names, each with an optional =BYTES"
    [[ "${ESIPHUB_QUOTA_SHARED}" =~ ^(([a-z0-9][a-z0-9.-]*/)?[a-z0-9][a-z0-9.-]*=[1-9][0-9]*( |$))*$ ]] || die "ESIPHUB_QUOTA_SHARED must be space-separated NAME=BYTES (or PARENT/NAME=BYTES)"
    # The directories themselves, without their limits.
    QUOTA_PARENTS=()
    local entry
    for entry in ${ESIPHUB_QUOTA_PARENT}; do QUOTA_PARENTS+=("${entry%%=*}"); done
}

install_packages() {
    step packages "nfs-kernel-server and xfsprogs"
    local missing=() pkg attempt
    for pkg in nfs-kernel-server xfsprogs; do
        if [[ "$(dpkg-query -W -f='${db:Status-Status}' "${pkg}" 2>/dev/null || true)" != installed ]]; then
            missing+=("${pkg}")
        fi
    done
    if ((${#missing[@]} == 0)); then
        log "nfs-kernel-server and xfsprogs already installed"
        return 0
    fi
    log "installing ${missing[*]}"
    # The node may still be running cloud-init's or the cluster layer's apt: wait for the lock rather than fail.
    # needrestart must not restart services (kubelet, containerd) behind the cluster's back.
    export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
    for attempt in 1 2 3 4 5; do
        apt-get -o DPkg::Lock::Timeout=600 update -q && break
        ((attempt < 5)) || die "apt-get update kept failing"
        sleep 20
    done
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
}

# The disk whose serial is the volume's, on whatever bus the cloud attached it; never a bus-specific path:
#   virtio-blk:        by-id virtio-<first 20 characters> (the kernel's VIRTIO_BLK_ID_BYTES), lsblk SERIAL the same 20;
#   virtio-scsi (Jetstream2): by-id scsi-0QEMU_QEMU_HARDDISK_<first 20> (QEMU scsi-disk.c MAX_SERIAL_LEN_FOR_DEVID),
#                      lsblk SERIAL the whole id (VPD page 0x80, MAX_SERIAL_LEN 36);
#   NVMe (EBS on Nitro): by-id nvme-Amazon_Elastic_Block_Store_vol<id>, lsblk SERIAL vol<id>.
# Sets DEVICE (e.g. /dev/sdb) when one disk has it; leaves it empty while udev has not seen the disk yet.
disk_with_serial() {
    local short="${SERIAL:0:20}" dev serial link name
    local -A found=()
    # Whole disks (-d), raw output (-r: blanks escaped, one line per disk).
    while read -r dev serial; do
        if [[ -n "${serial:-}" && ("${serial}" == "${SERIAL}" || "${serial}" == "${short}") ]]; then found["${dev}"]=1; fi
    done < <(lsblk -dnr -o PATH,SERIAL)
    for link in "${ROOT}"/dev/disk/by-id/*; do
        [[ -L "${link}" ]] || continue
        name="${link##*/}"
        if [[ "${name}" == *[-_]"${SERIAL}" || "${name}" == *[-_]"${short}" ]]; then
            dev="$(readlink -f "${link}")"
            found["${dev#"${ROOT}"}"]=1
        fi
    done
    ((${#found[@]} <= 1)) || die "more than one disk has serial ${SERIAL}: ${!found[*]}; not choosing one"
    DEVICE="${!found[*]}"
}

find_device() {
    step device "waiting for the disk with serial ${SERIAL}"
    local waited=0
    disk_with_serial
    until [[ -n "${DEVICE}" ]]; do
        ((waited < ${ESIPHUB_DEVICE_TIMEOUT:-300})) ||
            die "no disk with serial ${SERIAL} appeared within ${waited}s of the volume attachment (disks: $(lsblk -dnr -o PATH,SERIAL | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), ($2 == "" ? $1 " without serial" : $1 " " $2) }'))"
        sleep 5
        waited=$((waited + 5))
        disk_with_serial
    done
    log "${DEVICE} has serial ${SERIAL}"
}

# Low-level probe (-p: no cache): exit 0 with KEY=VALUE lines when something is on the device, 2 when nothing is.
probe() {
    local out rc=0
    out="$(blkid -p -o export "${DEVICE}")" || rc=$?
    FS_TYPE="$(sed -n 's/^TYPE=//p' <<<"${out}")"
    FS_UUID="$(sed -n 's/^UUID=//p' <<<"${out}")"
    PART_TABLE="$(sed -n 's/^PTTYPE=//p' <<<"${out}")"
    return "${rc}"
}

ensure_filesystem() {
    step filesystem "what is on ${DEVICE}"
    local rc=0
    probe || rc=$?
    if ((rc == 2)); then
        step format "no filesystem on ${DEVICE}: formatting it as XFS (first use of this volume)"
        # Project quotas need no mkfs option on XFS v5; they are switched on by the prjquota mount option below.
        mkfs.xfs -q -L esiphub-data "${DEVICE}"
        step filesystem "probing ${DEVICE} again"
        probe || die "blkid finds nothing on ${DEVICE} right after mkfs.xfs"
    elif ((rc != 0)); then
        die "blkid could not probe ${DEVICE} (exit ${rc}); not formatting it"
    fi
    if [[ "${FS_TYPE}" != xfs ]]; then
        if [[ -n "${FS_TYPE}" ]]; then
            die "${DEVICE} holds a ${FS_TYPE} filesystem; ESIPHub needs XFS and never formats a volume with data on it"
        fi
        die "${DEVICE} has ${PART_TABLE:+a ${PART_TABLE} partition table but }no XFS filesystem; refusing to format it"
    fi
    [[ -n "${FS_UUID}" ]] || die "the XFS filesystem on ${DEVICE} has no UUID"
    log "XFS filesystem ${FS_UUID} on ${DEVICE}"
}

mount_volume() {
    step mount "${FS_UUID} at ${EXPORT_DIR} with project quotas"
    mkdir -p "${MOUNT}"
    # By UUID, since device names move between boots. nofail: a missing volume must not stop the node (the
    # master is also the control plane) from booting; nfs-server is held back until it is mounted, see below.
    local fstab_line="UUID=${FS_UUID} ${EXPORT_DIR} xfs defaults,prjquota,nofail 0 2"
    local fstab="${ROOT}/etc/fstab" kept
    [[ -e "${fstab}" ]] || touch "${fstab}"
    if ! grep -qxF "${fstab_line}" "${fstab}"; then
        # Any other line for this mount point is replaced.
        kept="$(awk -v dir="${EXPORT_DIR}" '$2 != dir' "${fstab}")"
        if [[ -n "${kept}" ]]; then kept+=$'\n'; fi
        write_file "${fstab}" 0644 "${kept}${fstab_line}"
        # systemd makes its mount units from fstab; nfs-server's RequiresMountsFor refers to this one.
        UNITS_CHANGED=true
    fi
    local mounted mounted_uuid mounted_options
    if mounted="$(findmnt -n -P -o UUID,OPTIONS --mountpoint "${MOUNT}")"; then
        mounted_uuid="$(sed -n 's/.*UUID="\([^"]*\)".*/\1/p' <<<"${mounted}")"
        mounted_options="$(sed -n 's/.*OPTIONS="\([^"]*\)".*/\1/p' <<<"${mounted}")"
        [[ "${mounted_uuid}" == "${FS_UUID}" ]] || die "${MOUNT} has filesystem ${mounted_uuid} mounted, not the data volume ${FS_UUID}"
        # XFS cannot switch quota accounting on by remount; it needs a fresh mount.
        [[ ",${mounted_options}," == *,prjquota,* ]] || die "${MOUNT} is mounted without prjquota; stop nfs-server, unmount it and re-run"
        log "${MOUNT} already mounted with project quotas"
    else
        log "mounting ${FS_UUID} at ${MOUNT}"
        mount "${MOUNT}"
    fi
}

lay_out_share() {
    local owner="${ESIPHUB_NFS_ANON_UID}:${ESIPHUB_NFS_ANON_GID}" dir parent dirs=("${MOUNT}")
    step layout "${MOUNT} and ${QUOTA_PARENTS[*]/%//} owned by ${owner}"
    for parent in "${QUOTA_PARENTS[@]}"; do dirs+=("${MOUNT}/${parent}"); done
    # Client root is squashed to the notebook user (see exports): the provisioner, which runs as root, creates
    # the user directories as that user, so it must own the export and the user-directory parents.
    for dir in "${dirs[@]}"; do
        mkdir -p "${dir}"
        if [[ "$(stat -c %u:%g "${dir}")" != "${owner}" ]]; then
            chown "${owner}" "${dir}"
        fi
        if [[ "$(stat -c %a "${dir}")" != 755 ]]; then
            chmod 0755 "${dir}"
        fi
    done
}

# write_unit PATH CONTENT: write_file for a systemd unit; a changed unit asks for a daemon-reload.
write_unit() {
    write_file "$1" 0644 "$2"
    if [[ "${FILE_CHANGED}" == true ]]; then UNITS_CHANGED=true; fi
}

install_quota_enforcer() {
    step quota-enforcer "/usr/local/sbin/${QUOTA_UNIT}, its settings and units"
    local enforcer
    enforcer="$(base64 -d <<<"${ESIPHUB_QUOTA_SCRIPT_B64}")"
    write_file "${ROOT}/usr/local/sbin/${QUOTA_UNIT}" 0755 "${enforcer}"
    QUOTA_CHANGED="${FILE_CHANGED}"
    write_file "${ROOT}/etc/esiphub/nfs-quota.env" 0644 "ESIPHUB_EXPORT_DIR=${EXPORT_DIR}
ESIPHUB_QUOTA_PARENT=${ESIPHUB_QUOTA_PARENT}
ESIPHUB_QUOTA_BYTES=${ESIPHUB_QUOTA_BYTES}
ESIPHUB_QUOTA_SHARED=\"${ESIPHUB_QUOTA_SHARED}\""
    if [[ "${FILE_CHANGED}" == true ]]; then QUOTA_CHANGED=true; fi
    write_unit "${ROOT}/etc/systemd/system/${QUOTA_UNIT}.service" "[Unit]
Description=ESIPHub: XFS project quota on each new user directory
RequiresMountsFor=${EXPORT_DIR}

[Service]
Type=oneshot
EnvironmentFile=/etc/esiphub/nfs-quota.env
ExecStart=/usr/local/sbin/${QUOTA_UNIT}"
    # The path unit reacts within a second to the provisioner creating a directory; directories created while
    # the service runs are not seen by it, so the timer sweeps every two minutes as well.
    # Ordered after the data volume's mount: a watch set up before it would be on the empty mount point beneath.
    # One PathChanged= per parent (systemd.path: the directive may be given more than once).
    local parent watches=()
    for parent in "${QUOTA_PARENTS[@]}"; do watches+=("PathChanged=${EXPORT_DIR}/${parent}"); done
    write_unit "${ROOT}/etc/systemd/system/${QUOTA_UNIT}.path" "[Unit]
Description=ESIPHub: watch for new user directories
RequiresMountsFor=${EXPORT_DIR}

[Path]
$(printf '%s\n' "${watches[@]}")
Unit=${QUOTA_UNIT}.service

[Install]
WantedBy=multi-user.target"
    write_unit "${ROOT}/etc/systemd/system/${QUOTA_UNIT}.timer" "[Unit]
Description=ESIPHub: sweep for user directories without a quota

[Timer]
OnBootSec=1min
OnUnitActiveSec=2min
Unit=${QUOTA_UNIT}.service

[Install]
WantedBy=timers.target"
}

configure_nfs() {
    step nfs-config "${ESIPHUB_NFSD_THREADS} nfsd threads, ${EXPORT_DIR} to ${ESIPHUB_EXPORT_CIDR}"
    # Never export the bare mount point: nfs-server waits for the data volume to be mounted.
    write_unit "${ROOT}/etc/systemd/system/nfs-server.service.d/esiphub.conf" "[Unit]
RequiresMountsFor=${EXPORT_DIR}"
    # Ubuntu's default of 8 nfsd threads is too few for a workshop's worth of servers starting at once.
    write_file "${ROOT}/etc/nfs.conf.d/esiphub.conf" 0644 "[nfsd]
threads=${ESIPHUB_NFSD_THREADS}"
    NFS_CONF_CHANGED="${FILE_CHANGED}"
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
    write_file "${ROOT}/etc/exports.d/esiphub.exports" 0644 \
        "${EXPORT_DIR} ${ESIPHUB_EXPORT_CIDR}(rw,sync,no_subtree_check,root_squash,anonuid=${ESIPHUB_NFS_ANON_UID},anongid=${ESIPHUB_NFS_ANON_GID})"
    EXPORTS_CHANGED="${FILE_CHANGED}"
}

start_services() {
    step services "nfs-server and the quota enforcer's units"
    # nfs-kernel-server's unit is nfs-server.service (nfs-kernel-server.service is only an alias, which
    # `systemctl enable` refuses to operate on).
    if [[ "${UNITS_CHANGED}" == true ]]; then
        log "reloading systemd units"
        systemctl daemon-reload
    fi
    local unit
    for unit in nfs-server.service "${QUOTA_UNIT}.path" "${QUOTA_UNIT}.timer"; do
        if systemctl is-enabled --quiet "${unit}" && systemctl is-active --quiet "${unit}"; then
            log "${unit} enabled and running"
        else
            log "enabling and starting ${unit}"
            systemctl enable --now "${unit}"
        fi
    done
    if [[ "${NFS_CONF_CHANGED}" == true ]]; then
        log "restarting nfs-server for ${ESIPHUB_NFSD_THREADS} threads"
        systemctl restart nfs-server.service
    fi
    # New limits (a raised storagePerUser) reach the existing folders during this `up`, not at the next sweep.
    if [[ "${QUOTA_CHANGED}" == true ]]; then
        log "applying the quota settings now"
        systemctl start "${QUOTA_UNIT}.service"
    fi
}

# `exportfs -s` lists the live exports as "DIR CLIENT(OPTIONS) ...".
exported() {
    exportfs -s | awk -v dir="${EXPORT_DIR}" -v client="${ESIPHUB_EXPORT_CIDR}(" '
        $1 == dir { for (i = 2; i <= NF; i++) if (index($i, client) == 1) found = 1 }
        END { exit !found }'
}

export_share() {
    step export "${EXPORT_DIR} to ${ESIPHUB_EXPORT_CIDR}"
    if [[ "${EXPORTS_CHANGED}" == true ]] || ! exported; then
        log "exporting ${EXPORT_DIR} to ${ESIPHUB_EXPORT_CIDR}"
        exportfs -ra
    fi
    exported || die "${EXPORT_DIR} is not exported to ${ESIPHUB_EXPORT_CIDR} after exportfs -ra"
    log "${EXPORT_DIR} exported to ${ESIPHUB_EXPORT_CIDR}"
}

main() {
    check_parameters
    install_packages
    find_device
    ensure_filesystem
    mount_volume
    lay_out_share
    install_quota_enforcer
    configure_nfs
    start_services
    export_share
    step "done" "NFS server ready"
}

main
