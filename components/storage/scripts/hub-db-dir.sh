#!/usr/bin/env bash
# Creates the directory on the master's own disk that backs the hub database's local PersistentVolume:
# the hub's sqlite file never lives on NFS. A local volume is used as it is (Kubernetes does not create
# or chown it), so it is made here for the hub's user, private to it. An existing directory and its
# contents are kept; only owner and mode are corrected. Idempotent.
#
# Environment:
#   ESIPHUB_HUB_DB_DIR   the directory (required)
#   ESIPHUB_HUB_DB_UID   owner: the uid the hub container runs as (required)
#   ESIPHUB_HUB_DB_GID   its group (required)
#   ESIPHUB_ROOT         prefix for the directory (tests only; empty on a host)
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
for var in ESIPHUB_HUB_DB_DIR ESIPHUB_HUB_DB_UID ESIPHUB_HUB_DB_GID; do
  [[ -n "${!var:-}" ]] || fail "${var} is not set"
done
[[ "${ESIPHUB_HUB_DB_DIR}" == /?* ]] || fail "ESIPHUB_HUB_DB_DIR must be an absolute path other than /"
dir="${ESIPHUB_ROOT:-}${ESIPHUB_HUB_DB_DIR}"
owner="${ESIPHUB_HUB_DB_UID}:${ESIPHUB_HUB_DB_GID}"

step="directory"
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

step="done"
log "${dir} ready for the hub database (${owner}, 0700)"
