#!/usr/bin/env bash
# postStart hook of every user server: puts the quickstart README and links to the shared scratch and
# the instructors' materials into the user's home. Only adds what is missing; never replaces anything in
# the home, so a user's own README or own `shared` entry stays as it is, and a re-run changes nothing.
#
# It never fails: Kubernetes kills a container whose postStart hook exits non-zero, so a full volume,
# a home at its quota or a read-only home would keep the user out of the very server they need to clean
# up. Every problem is logged ("esiphub: <step>: ...", also in `kubectl logs` of the server) and the hook
# exits 0. Hence no `set -e` or `set -u`: each step checks its own commands and values.
#
# Environment:
#   ESIPHUB_README_SOURCE   the quickstart README as mounted in the server
#   ESIPHUB_README_NAME     its name in the home (default README.md)
#   ESIPHUB_SHARED_PATH     where the shared scratch is mounted
#   ESIPHUB_SHARED_LINK     name of its link in the home (default: last part of ESIPHUB_SHARED_PATH)
#   ESIPHUB_MATERIALS_PATH  where the instructors' materials are mounted (optional)
#   ESIPHUB_MATERIALS_LINK  name of its link in the home (default: last part of ESIPHUB_MATERIALS_PATH)
#   HOME                    the user's home
set -o pipefail
# Whatever happens below, even a mistake in this script, the exit status is 0.
trap 'exit 0' EXIT

step="start"
problems=0
# A hook's output is shown only when it fails (kubelet, pkg/kubelet/lifecycle/handlers.go), and this one never
# does: its lines also go to the container's main process, so that they are in `kubectl logs`.
log_to="${ESIPHUB_LOG_TO:-/proc/1/fd/1}"

say() {
  echo "$*"
  if [[ -w "${log_to}" ]]; then echo "$*" >>"${log_to}" 2>/dev/null || true; fi
}

log() {
  say "esiphub: ${step}: $*"
}

problem() {
  say "esiphub: ${step}: $* (the server starts anyway)"
  problems=$((problems + 1))
}

# try WHAT COMMAND...: runs the command; when it fails, logs WHAT with the command's own error (ENOSPC, EROFS, ...).
try() {
  local what="$1" out rc
  shift
  out="$({ "$@"; } 2>&1)"
  rc=$?
  if ((rc == 0)); then return 0; fi
  problem "${what}: ${out:-exit status ${rc}}"
  return 1
}

# shellcheck disable=SC2317 # called through try
write_copy() {
  cat -- "$1" >"$2"
}

# Copies the README through a temporary file and a hard link: the README appears whole or not at all (a full
# volume leaves no empty README behind that would then count as the user's own), and `ln` refuses to replace
# a file that appeared meanwhile.
copy_readme() {
  local source="$1" readme="$2" tmp
  if [[ -e "${readme}" || -L "${readme}" ]]; then
    log "${readme} exists; left as it is"
    return 0
  fi
  if [[ ! -f "${source}" ]]; then
    log "no quickstart README at ${source}; skipped"
    return 0
  fi
  tmp="${readme}.esiphub-$$"
  if try "could not write ${readme}" write_copy "${source}" "${tmp}" && try "could not put ${readme} in place" ln -- "${tmp}" "${readme}"; then
    log "copied to ${readme}"
  fi
  if [[ -e "${tmp}" ]]; then try "could not remove ${tmp}" rm -f -- "${tmp}"; fi
}

# Links a mounted folder into the home, unless the name is taken.
link_folder() {
  local target="$1" link="$2"
  if [[ -e "${link}" || -L "${link}" ]]; then
    log "${link} exists; left as it is"
  elif [[ ! -d "${target}" ]]; then
    log "${target} is not mounted; no link made"
  elif try "could not link ${link} to ${target}" ln -s -- "${target}" "${link}"; then
    log "${link} -> ${target}"
  fi
}

main() {
  step="check"
  local missing=""
  for name in ESIPHUB_README_SOURCE ESIPHUB_SHARED_PATH HOME; do
    [[ -n "${!name:-}" ]] || missing+=" ${name}"
  done
  if [[ -n "${missing}" ]]; then
    problem "not set:${missing}; nothing done"
    return 0
  fi
  if [[ ! -d "${HOME}" ]]; then
    problem "the home ${HOME} is not a directory; nothing done"
    return 0
  fi

  step="readme"
  copy_readme "${ESIPHUB_README_SOURCE}" "${HOME}/${ESIPHUB_README_NAME:-README.md}"

  step="shared"
  link_folder "${ESIPHUB_SHARED_PATH}" "${HOME}/${ESIPHUB_SHARED_LINK:-$(basename "${ESIPHUB_SHARED_PATH}")}"

  if [[ -n "${ESIPHUB_MATERIALS_PATH:-}" ]]; then
    step="materials"
    link_folder "${ESIPHUB_MATERIALS_PATH}" "${HOME}/${ESIPHUB_MATERIALS_LINK:-$(basename "${ESIPHUB_MATERIALS_PATH}")}"
  fi

  step="done"
  if ((problems > 0)); then log "${problems} problem(s), listed above"; else log "home ready"; fi
}

main
