#!/usr/bin/env bash
# Shared part of every script ESIPHub runs on a host: strict mode, step logging, the failure message,
# required parameters, file helpers.
#
# components/remote.ts sends a script to a host as ONE text on stdin of `sudo bash -s`:
#   its parameters (`export NAME='value'` lines), then this file, then the script itself.
# To run one by hand on a host (from components/):
#   { echo "export KUBERNETES_MINOR='1.33'"; cat scripts/lib.sh kubeadm/scripts/prepare-node.sh; } | sudo bash -s
# A script installed on a host to run as a file (the NFS quota enforcer) is the same text without the
# exports: its parameters come from the environment of its systemd unit.
#
# Every script keeps its work in a `main` function called on its last line: bash has then read the
# whole script from stdin before anything runs, so no command can swallow the rest of it.
#
# Logs go to stderr as "esiphub: <step>: ..."; stdout is kept for what a script hands back
# (the join command, the kubeconfig). A failure ends with "esiphub: <step>: failed (exit N)".
set -Eeuo pipefail

# Where / is: a temporary directory in the behaviour tests (test/kubeadm, test/storage), empty on a host.
# shellcheck disable=SC2034 # read by the script that follows this file
ROOT="${ESIPHUB_ROOT:-}"
STEP="start"
# Set by write_file: whether the file's content or mode changed.
FILE_CHANGED=false

# Functions registered with at_exit, run when the script ends, whether it succeeded or not, last registered first.
AT_EXIT=()

# at_exit FUNCTION: cleanup that must happen however the script ends (a temporary file, a paused service).
at_exit() {
    AT_EXIT=("$1" "${AT_EXIT[@]}")
}

# The exit status is the script's own: bash keeps it unless the trap calls exit.
finish() {
    local rc=$? hook
    for hook in "${AT_EXIT[@]}"; do
        "$hook" || echo "esiphub: ${STEP}: cleanup ${hook} failed" >&2
    done
    if [ "$rc" -ne 0 ]; then
        echo "esiphub: ${STEP}: failed (exit ${rc})" >&2
    fi
}
trap finish EXIT

log() {
    echo "esiphub: ${STEP}: $*" >&2
}

# Starts a named step; its name is in every message after it, the failure message included.
step() {
    STEP="$1"
    shift
    log "$*"
}

die() {
    log "$*"
    exit 1
}

# Fails, naming the variable, when a required parameter is empty.
require_env() {
    local name
    for name in "$@"; do
        [ -n "${!name:-}" ] || die "parameter ${name} is not set"
    done
}

# write_file PATH MODE CONTENT: writes CONTENT (plus a newline) only when the file differs; sets FILE_CHANGED.
write_file() {
    local path="$1" mode="$2" content="$3"
    FILE_CHANGED=false
    if [ -f "$path" ] && [ "$(cat "$path")" = "$content" ] && [ "$(stat -c %a "$path")" = "${mode#0}" ]; then
        return 0
    fi
    mkdir -p "$(dirname "$path")"
    local tmp
    tmp=$(mktemp "${path}.XXXXXX")
    printf '%s\n' "$content" >"$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$path"
    # shellcheck disable=SC2034 # read by the script that follows this file
    FILE_CHANGED=true
    log "wrote ${path}"
}
