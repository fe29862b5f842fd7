#!/usr/bin/env bash
# Keeps every directory under the user-directory parents on its XFS project quota. The NFS client
# provisioner ignores PVC sizes, so this is what makes "10Gi per user" and "200Gi of scratch" true.
# A parent is a hub's namespace (the provisioner's path pattern is <namespace>/<claim>): one for a site with
# one hub, one per workshop for a site with esiphub:workshops, each with its own per-user limit.
# Installed by nfs-server.sh, rendered with lib.sh and no parameters (see components/storage/values.ts),
# as /usr/local/sbin/esiphub-nfs-quota and run by a systemd path unit (new directory) and timer (sweep).
#
# Each directory gets a project id once (recorded in /etc/projects and /etc/projid), and on every run its
# limit is set to what it should be when it differs: a raised (or lowered) storagePerUser reaches the
# homes that exist already. The limit of a directory is, first found:
#   - its line in /etc/esiphub/nfs-quota.overrides, written by an admin, never by ESIPHub:
#       claim-instructor 50g        (NAME SIZE; SIZE in bytes or with k, m, g, t: powers of 1024)
#       python-intro/claim-ada 20g  (PARENT/NAME SIZE: under that parent only; it wins over NAME SIZE)
#   - its entry in ESIPHUB_QUOTA_SHARED (the shared scratch, the instructors' materials), PARENT/NAME before NAME;
#   - its parent's own limit in ESIPHUB_QUOTA_PARENT, else ESIPHUB_QUOTA_BYTES (every user's home).
# A directory that already has a project id keeps it: after the NFS host is rebuilt on a kept data volume
# the ids found on disk are recorded again instead of being handed out twice.
# The quota is a hard block limit; with it `df` in the home shows the directory's own size and free space.
#
# Parameters (from /etc/esiphub/nfs-quota.env, the unit's EnvironmentFile):
#   ESIPHUB_EXPORT_DIR      the XFS mount point
#   ESIPHUB_QUOTA_PARENT    space-separated directories under it whose subdirectories are the user directories, each
#                           PARENT or PARENT=BYTES (that parent's own per-user limit)
#   ESIPHUB_QUOTA_BYTES     hard limit per user directory, bytes (of a parent without its own)
#   ESIPHUB_QUOTA_SHARED    space-separated NAME=BYTES (under any parent) or PARENT/NAME=BYTES: directories with a
#                           limit of their own (may be empty)
set -Eeuo pipefail
shopt -s nullglob

# Ids from here up are ours; lower ones are left to the host's admin.
FIRST_ID=1000
NAME_RE='^[a-z0-9][a-z0-9.-]*$'
# NAME or PARENT/NAME, in ESIPHUB_QUOTA_SHARED and the overrides file.
KEY_RE='^([a-z0-9][a-z0-9.-]*/)?[a-z0-9][a-z0-9.-]*$'

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

# The next id to hand out: above every id seen so far.
bump_next() {
    if (($1 >= NEXT_ID)); then NEXT_ID=$(($1 + 1)); fi
}

# to_bytes SIZE: bytes of "123", "20g", "1T" (xfs_quota's units: powers of 1024); fails on anything else.
to_bytes() {
    [[ "$1" =~ ^([0-9]+)([kKmMgGtT]?)$ ]] || return 1
    local n="${BASH_REMATCH[1]}" unit="${BASH_REMATCH[2],,}" power=0
    case "${unit}" in
        k) power=1 ;;
        m) power=2 ;;
        g) power=3 ;;
        t) power=4 ;;
    esac
    echo $((10#${n} * 1024 ** power))
}

# PARENTS (in order) and PARENT_BYTES[parent] from ESIPHUB_QUOTA_PARENT.
read_parents() {
    declare -ga PARENTS=()
    declare -gA PARENT_BYTES=()
    local entry
    for entry in ${ESIPHUB_QUOTA_PARENT}; do
        [[ "${entry}" =~ ^([a-z0-9][a-z0-9.-]*)(=([1-9][0-9]*))?$ ]] || die "ESIPHUB_QUOTA_PARENT: \"${entry}\" is not PARENT or PARENT=BYTES"
        PARENTS+=("${BASH_REMATCH[1]}")
        if [[ -n "${BASH_REMATCH[3]}" ]]; then PARENT_BYTES["${BASH_REMATCH[1]}"]="${BASH_REMATCH[3]}"; fi
    done
    ((${#PARENTS[@]} > 0)) || die "ESIPHUB_QUOTA_PARENT names no directory"
}

# LIMIT_OF[key] from ESIPHUB_QUOTA_SHARED and OVERRIDE_OF[key] from the admin's overrides file (key: NAME or PARENT/NAME).
read_limits() {
    declare -gA LIMIT_OF=() OVERRIDE_OF=()
    local entry name bytes
    for entry in ${ESIPHUB_QUOTA_SHARED:-}; do
        [[ "${entry}" =~ ^([^=]*)=([1-9][0-9]*)$ && "${BASH_REMATCH[1]}" =~ ${KEY_RE} ]] || die "ESIPHUB_QUOTA_SHARED: \"${entry}\" is not NAME=BYTES"
        LIMIT_OF["${entry%%=*}"]="${entry#*=}"
    done
    [[ -f "${OVERRIDES}" ]] || return 0
    local line size
    while read -r line || [[ -n "${line}" ]]; do
        line="${line%%#*}"
        read -r name size _ <<<"${line}" || true
        [[ -n "${name:-}" ]] || continue
        # A typo in the admin's file must not stop the quotas of everyone else.
        if [[ ! "${name}" =~ ${KEY_RE} ]] || ! bytes="$(to_bytes "${size:-}")" || ((bytes == 0)); then
            log "ignoring \"${line}\" in ${OVERRIDES}: not NAME SIZE (e.g. claim-instructor 50g)"
            continue
        fi
        OVERRIDE_OF["${name}"]="${bytes}"
    done <"${OVERRIDES}"
}

# limit_of PARENT NAME: the admin's word first, then the shared folders', the parent's and the default per-user limit.
limit_of() {
    local key
    for key in "$1/$2" "$2"; do
        if [[ -n "${OVERRIDE_OF[${key}]:-}" ]]; then
            echo "${OVERRIDE_OF[${key}]}"
            return
        fi
    done
    for key in "$1/$2" "$2"; do
        if [[ -n "${LIMIT_OF[${key}]:-}" ]]; then
            echo "${LIMIT_OF[${key}]}"
            return
        fi
    done
    echo "${PARENT_BYTES[$1]:-${ESIPHUB_QUOTA_BYTES}}"
}

# HARD_KIB[id]: the block hard limit of each project that has one, in KiB, as `report -p -b -n -N` prints it
# (xfsprogs quota/report.c: "#ID used soft hard warns grace", block counts in 1 KiB units).
read_hard_limits() {
    declare -gA HARD_KIB=()
    local out id _used _soft hard
    out="$(xfs_quota -x -c "report -p -b -n -N" "$1")" || die "xfs_quota could not report the project quotas of $1"
    while read -r id _used _soft hard _; do
        if [[ "${hard:-}" =~ ^[0-9]+$ && "${id}" =~ ^#([0-9]+)$ ]]; then HARD_KIB["${BASH_REMATCH[1]}"]="${hard}"; fi
    done <<<"${out}"
}

main() {
    step check "directories under ${ESIPHUB_EXPORT_DIR:-}: ${ESIPHUB_QUOTA_PARENT:-}"
    require_env ESIPHUB_EXPORT_DIR ESIPHUB_QUOTA_PARENT ESIPHUB_QUOTA_BYTES
    [[ "${ESIPHUB_QUOTA_BYTES}" =~ ^[1-9][0-9]*$ ]] || die "ESIPHUB_QUOTA_BYTES must be a positive number of bytes"
    local mount="${ROOT}${ESIPHUB_EXPORT_DIR}"
    PROJECTS="${ROOT}/etc/projects"
    PROJID="${ROOT}/etc/projid"
    OVERRIDES="${ROOT}/etc/esiphub/nfs-quota.overrides"
    read_parents
    read_limits

    step lock "waiting for any other run"
    # The path unit, the timer and a manual run must not hand out the same id twice.
    mkdir -p "${ROOT}/run"
    exec 9>>"${ROOT}/run/esiphub-nfs-quota.lock"
    flock 9

    step scan "directories in ${mount}: ${PARENTS[*]}"
    local parent present=()
    for parent in "${PARENTS[@]}"; do
        if [[ -d "${mount}/${parent}" ]]; then present+=("${parent}"); else log "no ${mount}/${parent} yet: no user directories"; fi
    done
    ((${#present[@]} > 0)) || return 0
    local file
    for file in "${PROJECTS}" "${PROJID}"; do
        [[ -e "${file}" ]] || touch "${file}"
    done

    # First pass: what is on disk. Every id in use, recorded or not, is taken into account before a new one is chosen.
    # Entries are PARENT/NAME (known ones ID:PARENT/NAME): one numbering for every parent, as the volume has one.
    NEXT_ID="${FIRST_ID}"
    local id dir name path
    while IFS=: read -r id _; do
        if [[ "${id}" =~ ^[0-9]+$ ]]; then bump_next "${id}"; fi
    done <"${PROJECTS}"
    local new_dirs=() known_dirs=()
    for parent in "${present[@]}"; do
        for dir in "${mount}/${parent}"/*/; do
            dir="${dir%/}"
            name="$(basename "${dir}")"
            if [[ ! "${name}" =~ ${NAME_RE} ]]; then
                log "skipping ${name}: not a name the provisioner makes"
                continue
            fi
            id="$(project_of "${dir}")"
            if ((id != 0)); then
                bump_next "${id}"
                record "${id}" "${ESIPHUB_EXPORT_DIR}/${parent}/${name}" "${parent}-${name}"
                known_dirs+=("${id}:${parent}/${name}")
            else
                new_dirs+=("${parent}/${name}")
            fi
        done
    done

    step limits "${#known_dirs[@]} directories with a project"
    local entry bytes changed=0
    if ((${#known_dirs[@]} > 0)); then
        read_hard_limits "${mount}"
        for entry in "${known_dirs[@]}"; do
            id="${entry%%:*}"
            entry="${entry#*:}"
            bytes="$(limit_of "${entry%%/*}" "${entry#*/}")"
            # The kernel keeps limits in 512-byte blocks and the report prints KiB: compare in KiB.
            if [[ "${HARD_KIB[${id}]:-0}" != "$((bytes / 1024))" ]]; then
                xfs_quota -x -c "limit -p bhard=${bytes} ${id}" "${mount}"
                log "${entry}: project ${id}, limit set to ${bytes} bytes (was $((${HARD_KIB[${id}]:-0} * 1024)))"
                changed=$((changed + 1))
            fi
        done
    fi

    step assign "${#new_dirs[@]} new directories"
    for entry in "${new_dirs[@]}"; do
        parent="${entry%%/*}"
        name="${entry#*/}"
        dir="${mount}/${entry}"
        path="${ESIPHUB_EXPORT_DIR}/${entry}"
        bytes="$(limit_of "${parent}" "${name}")"
        # An id recorded by an earlier run that stopped half way is reused.
        id="$(recorded_id_of "${path}")"
        if [[ -z "${id}" ]]; then
            id="${NEXT_ID}"
            NEXT_ID=$((NEXT_ID + 1))
        fi
        record "${id}" "${path}" "${parent}-${name}"
        # The limit first: a directory that carries an id always has its limit, so a run stopped between the
        # two commands is finished by the next one (the id is still 0 on disk).
        xfs_quota -x -c "limit -p bhard=${bytes} ${id}" "${mount}"
        xfs_quota -x -c "project -s -p ${dir} ${id}" "${mount}"
        log "${entry}: project ${id}, limit ${bytes} bytes"
    done

    step "done" "new directories put under quota: ${#new_dirs[@]}; limits changed: ${changed}"
}

main
