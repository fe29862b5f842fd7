#!/usr/bin/env bash
# Puts each new user directory under an XFS project quota, once. The NFS client provisioner ignores PVC
# sizes, so this is what makes "10Gi per user" true. Installed by nfs-server.sh as
# /usr/local/sbin/esiphub-nfs-quota and run by a systemd path unit (new directory) and timer (sweep).
#
# A directory whose project id is not 0 already has its quota and is left alone: a limit an admin raised
# by hand stays, and after the NFS host is rebuilt on a kept data volume the ids found on disk are
# recorded again instead of being handed out twice. Ids are recorded in /etc/projects and /etc/projid.
# The quota is a hard block limit; with it `df` in the home shows the user's own size and free space.
#
# Environment (from /etc/esiphub/nfs-quota.env):
#   ESIPHUB_EXPORT_DIR      the XFS mount point (required)
#   ESIPHUB_QUOTA_PARENT    directory under it whose subdirectories are the user directories (required)
#   ESIPHUB_QUOTA_BYTES     hard limit per user directory, bytes (required)
#   ESIPHUB_QUOTA_EXCLUDE   space-separated names under the parent that get no per-user quota (shared scratch)
#   ESIPHUB_ROOT            prefix for every path (tests only; empty on a host)
set -Eeuo pipefail
shopt -s nullglob

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
for var in ESIPHUB_EXPORT_DIR ESIPHUB_QUOTA_PARENT ESIPHUB_QUOTA_BYTES; do
  [[ -n "${!var:-}" ]] || fail "${var} is not set"
done
[[ "${ESIPHUB_QUOTA_BYTES}" =~ ^[1-9][0-9]*$ ]] || fail "ESIPHUB_QUOTA_BYTES must be a positive number of bytes"
ROOT="${ESIPHUB_ROOT:-}"
MOUNT="${ROOT}${ESIPHUB_EXPORT_DIR}"
PARENT="${ESIPHUB_QUOTA_PARENT}"
PROJECTS="${ROOT}/etc/projects"
PROJID="${ROOT}/etc/projid"
# Ids from here up are ours; lower ones are left to the host's admin.
FIRST_ID=1000
read -r -a excluded <<<"${ESIPHUB_QUOTA_EXCLUDE:-}"

step="lock"
# The path unit, the timer and a manual run must not hand out the same id twice.
mkdir -p "${ROOT}/run"
exec 9>>"${ROOT}/run/esiphub-nfs-quota.lock"
flock 9

step="scan"
if [[ ! -d "${MOUNT}/${PARENT}" ]]; then
  log "no ${MOUNT}/${PARENT} yet: no user directories"
  exit 0
fi
for file in "${PROJECTS}" "${PROJID}"; do
  [[ -e "${file}" ]] || touch "${file}"
done

project_of() {
  local out
  out="$(xfs_io -r -c lsproj "$1")"
  sed -n 's/^projid = \([0-9][0-9]*\)$/\1/p' <<<"${out}" | grep . || fail "cannot read the project id of $1: ${out}"
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
  for name in "${excluded[@]}"; do
    [[ "$1" == "${name}" ]] && return 0
  done
  return 1
}

# First pass: what is on disk. Every id in use, recorded or not, is taken into account before a new one is chosen.
next_id="${FIRST_ID}"
bump_next() { if (($1 >= next_id)); then next_id=$(($1 + 1)); fi; }
while IFS=: read -r id _; do
  if [[ "${id}" =~ ^[0-9]+$ ]]; then bump_next "${id}"; fi
done <"${PROJECTS}"
new_dirs=()
for dir in "${MOUNT}/${PARENT}"/*/; do
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
    record "${id}" "${ESIPHUB_EXPORT_DIR}/${PARENT}/${name}" "${PARENT}-${name}"
  else
    new_dirs+=("${dir}")
  fi
done

step="assign"
for dir in "${new_dirs[@]}"; do
  name="$(basename "${dir}")"
  path="${ESIPHUB_EXPORT_DIR}/${PARENT}/${name}"
  # An id recorded by an earlier run that stopped half way is reused.
  id="$(recorded_id_of "${path}")"
  if [[ -z "${id}" ]]; then
    id="${next_id}"
    next_id=$((next_id + 1))
  fi
  record "${id}" "${path}" "${PARENT}-${name}"
  # The limit first: a directory that carries an id always has its limit, so a run stopped between the
  # two commands is finished by the next one (the id is still 0 on disk).
  xfs_quota -x -c "limit -p bhard=${ESIPHUB_QUOTA_BYTES} ${id}" "${MOUNT}"
  xfs_quota -x -c "project -s -p ${dir} ${id}" "${MOUNT}"
  log "${PARENT}/${name}: project ${id}, limit ${ESIPHUB_QUOTA_BYTES} bytes"
done

step="done"
log "new user directories put under quota: ${#new_dirs[@]}"
