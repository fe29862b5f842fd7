#!/usr/bin/env bash
# Creates the directory on the master's own disk that backs the hub database's local PersistentVolume:
# the hub's sqlite file never lives on NFS. A local volume is used as it is (Kubernetes does not create
# or chown it), so it is made here for the hub's user, private to it. An existing directory and its
# contents are kept; only owner and mode are corrected. Idempotent.
#
# Parameters:
#   ESIPHUB_HUB_DB_DIR   the directory
#   ESIPHUB_HUB_DB_UID   owner: the uid the hub container runs as
#   ESIPHUB_HUB_DB_GID   its group
set -Eeuo pipefail

main() {
    step check "hub database directory ${ESIPHUB_HUB_DB_DIR:-}"
    require_env ESIPHUB_HUB_DB_DIR ESIPHUB_HUB_DB_UID ESIPHUB_HUB_DB_GID
    [[ "${ESIPHUB_HUB_DB_DIR}" == /?* ]] || die "ESIPHUB_HUB_DB_DIR must be an absolute path other than /"
    local dir="${ROOT}${ESIPHUB_HUB_DB_DIR}"
    local owner="${ESIPHUB_HUB_DB_UID}:${ESIPHUB_HUB_DB_GID}"

    step directory "${dir} for ${owner}, mode 0700"
    if [[ ! -d "${dir}" ]]; then
        log "creating ${dir}"
        mkdir -p "${dir}"
    fi
    if [[ "$(stat -c %u:%g "${dir}")" != "${owner}" ]]; then
        log "owner of ${dir} set to ${owner}"
        chown "${owner}" "${dir}"
    fi
    if [[ "$(stat -c %a "${dir}")" != 700 ]]; then
        log "mode of ${dir} set to 0700"
        chmod 0700 "${dir}"
    fi

    step "done" "${dir} ready for the hub database (${owner}, 0700)"
}

main
