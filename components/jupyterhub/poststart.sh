#!/usr/bin/env bash
# postStart hook of every user server: puts the quickstart README and a link to the shared
# scratch into the user's home. Only adds what is missing; never replaces anything in the home,
# so a user's own README or own `shared` entry stays as it is, and a re-run changes nothing.
#
# Environment:
#   ESIPHUB_README_SOURCE  the quickstart README as mounted in the server (required)
#   ESIPHUB_README_NAME    its name in the home (default README.md)
#   ESIPHUB_SHARED_PATH    where the shared scratch is mounted (required)
#   ESIPHUB_SHARED_LINK    name of the link in the home (default: last part of ESIPHUB_SHARED_PATH)
#   HOME                   the user's home
set -euo pipefail

step="start"
trap 'echo "esiphub: ${step}: failed" >&2' ERR

step="check"
: "${ESIPHUB_README_SOURCE:?esiphub: check: ESIPHUB_README_SOURCE is not set}"
: "${ESIPHUB_SHARED_PATH:?esiphub: check: ESIPHUB_SHARED_PATH is not set}"
: "${HOME:?esiphub: check: HOME is not set}"
readme="${HOME}/${ESIPHUB_README_NAME:-README.md}"
link="${HOME}/${ESIPHUB_SHARED_LINK:-$(basename "${ESIPHUB_SHARED_PATH}")}"

step="readme"
if [[ -e "${readme}" || -L "${readme}" ]]; then
  echo "esiphub: readme: ${readme} exists; left as it is"
elif [[ ! -f "${ESIPHUB_README_SOURCE}" ]]; then
  echo "esiphub: readme: no quickstart README at ${ESIPHUB_README_SOURCE}; skipped"
else
  # noclobber: the write fails rather than replace a file that appeared meanwhile.
  (set -o noclobber; cat -- "${ESIPHUB_README_SOURCE}" >"${readme}")
  echo "esiphub: readme: copied to ${readme}"
fi

step="shared"
if [[ -e "${link}" || -L "${link}" ]]; then
  echo "esiphub: shared: ${link} exists; left as it is"
elif [[ ! -d "${ESIPHUB_SHARED_PATH}" ]]; then
  echo "esiphub: shared: ${ESIPHUB_SHARED_PATH} is not mounted; no link made"
else
  ln -s -- "${ESIPHUB_SHARED_PATH}" "${link}"
  echo "esiphub: shared: ${link} -> ${ESIPHUB_SHARED_PATH}"
fi
