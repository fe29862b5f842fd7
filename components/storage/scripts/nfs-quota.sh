#!/usr/bin/env bash
# Puts each new user directory under an XFS project quota, once. The NFS client provisioner ignores PVC
# sizes, so this is what makes "10Gi per user" true. Installed by nfs-server.sh, rendered with lib.sh and
# no parameters (see components/storage/values.ts), as /usr/local/sbin/esiphub-nfs-quota and run by a
# systemd path unit (new directory) and timer (sweep).
#
# A directory whose project id is not 0 already has its quota and is left alone: a limit an admin raised
# by hand stays, and after the NFS host is rebuilt on a kept data volume the ids found on disk are
# recorded again instead of being handed out twice. Ids are recorded in /etc/projects and /etc/projid.
# The quota is a hard block limit; with it `df` in the home shows the user's own size and free space.
#
# Parameters (from /etc/esiphub/nfs-quota.env, the unit's EnvironmentFile):
#   ESIPHUB_EXPORT_DIR      the XFS mount point
#   ESIPHUB_QUOTA_PARENT    directory under it whose subdirectories are the user directories
#   ESIPHUB_QUOTA_BYTES     hard limit per user directory, bytes
#   ESIPHUB_QUOTA_EXCLUDE   space-separated names under the parent that get no per-user quota (shared scratch; may be empty)
set -Eeuo pipefail
shopt -s nullglob

# Ids from here up are ours; lower ones are left to the host's admin.
FIRST_ID=1000

project_of() {
    local out
    out="$(xfs_io -r -c lsproj "$1")"
    sed -n 's/^projid = \([0-9][0-9]*\)$/\1/p' <<<"${out}" | grep . || die "cannot read the project id of $1: ${out}"
}

recorded_id_of() {
    awk -F: -v path="$1" '$2 == path { print $1; exit }' "${PROJECTS}"
}

record() {
    local id="$1" path="$2" name="$3"
    if ! awk -F: -v id="${id}" '$1 == id { found = 1 } END { exit !found }' "${PROJECTS}"; then
        printf '%s:%s\n' "${id}" "${path}" >>"${PROJECTS}"
    fi
    if ! awk -F: -v id="${id}" '$2 == id { found = 1 } END { exit !found }' "${PROJID}"; then
        printf '%s:%s\n' "${name}" "${id}" >>"${PROJID}"
    fi
}

is_excluded() {
    local name
    for name in "${EXCLUDED[@]}"; do
        [[ "$1" == "${name}" ]] && return 0
    done
    return 1
}

# The next id to hand out: above every id seen so far.
bump_next() {
    if (($1 >= NEXT_ID)); then NEXT_ID=$(($1 + 1)); fi
}

main() {
    step check "user directories under ${ESIPHUB_EXPORT_DIR:-}/${ESIPHUB_QUOTA_PARENT:-}"
    require_env ESIPHUB_EXPORT_DIR ESIPHUB_QUOTA_PARENT ESIPHUB_QUOTA_BYTES
    [[ "${ESIPHUB_QUOTA_BYTES}" =~ ^[1-9][0-9]*$ ]] || die "ESIPHUB_QUOTA_BYTES must be a positive number of bytes"
    local mount="${ROOT}${ESIPHUB_EXPORT_DIR}"
    local parent="${ESIPHUB_QUOTA_PARENT}"
    PROJECTS="${ROOT}/etc/projects"
    PROJID="${ROOT}/etc/projid"
    read -r -a EXCLUDED <<<"${ESIPHUB_QUOTA_EXCLUDE:-}"

    step lock "waiting for any other run"
    # The path unit, the timer and a manual run must not hand out the same id twice.
    mkdir -p "${ROOT}/run"
    exec 9>>"${ROOT}/run/esiphub-nfs-quota.lock"
    flock 9

    step scan "user directories in ${mount}/${parent}"
    if [[ ! -d "${mount}/${parent}" ]]; then
        log "no ${mount}/${parent} yet: no user directories"
        return 0
    fi
    local file
    for file in "${PROJECTS}" "${PROJID}"; do
        [[ -e "${file}" ]] || touch "${file}"
    done

    # First pass: what is on disk. Every id in use, recorded or not, is taken into account before a new one is chosen.
    NEXT_ID="${FIRST_ID}"
    local id dir name path
    while IFS=: read -r id _; do
        if [[ "${id}" =~ ^[0-9]+$ ]]; then bump_next "${id}"; fi
    done <"${PROJECTS}"
    local new_dirs=()
    for dir in "${mount}/${parent}"/*/; do
        dir="${dir%/}"
        name="$(basename "${dir}")"
        if [[ ! "${name}" =~ ^[a-z0-9][a-z0-9.-]*$ ]]; then
            log "skipping ${name}: not a name the provisioner makes"
            continue
        fi
        if is_excluded "${name}"; then
            continue
        fi
        id="$(project_of "${dir}")"
        if ((id != 0)); then
            bump_next "${id}"
            record "${id}" "${ESIPHUB_EXPORT_DIR}/${parent}/${name}" "${parent}-${name}"
        else
            new_dirs+=("${dir}")
        fi
    done

    step assign "${#new_dirs[@]} new user directories"
    for dir in "${new_dirs[@]}"; do
        name="$(basename "${dir}")"
        path="${ESIPHUB_EXPORT_DIR}/${parent}/${name}"
        # An id recorded by an earlier run that stopped half way is reused.
        id="$(recorded_id_of "${path}")"
        if [[ -z "${id}" ]]; then
            id="${NEXT_ID}"
            NEXT_ID=$((NEXT_ID + 1))
        fi
        record "${id}" "${path}" "${parent}-${name}"
        # The limit first: a directory that carries an id always has its limit, so a run stopped between the
        # two commands is finished by the next one (the id is still 0 on disk).
        xfs_quota -x -c "limit -p bhard=${ESIPHUB_QUOTA_BYTES} ${id}" "${mount}"
        xfs_quota -x -c "project -s -p ${dir} ${id}" "${mount}"
        log "${parent}/${name}: project ${id}, limit ${ESIPHUB_QUOTA_BYTES} bytes"
    done

    step "done" "new user directories put under quota: ${#new_dirs[@]}"
}

main
