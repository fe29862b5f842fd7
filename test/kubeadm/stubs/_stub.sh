# shellcheck shell=bash
# Sourced by every stub of a system command (test/kubeadm/scripts.test.ts puts this folder first on PATH):
# records the call in $STUB_LOG, fails it when "NAME ARGS" matches the glob $STUB_FAIL (only the first
# $STUB_FAIL_TIMES such calls when that is set), and keeps the simulated machine state under
# $ESIPHUB_ROOT/.stub.
set -euo pipefail
# Parameter expansions and a test, not basename and mkdir: a script run makes hundreds of stub calls.
STUB="${0##*/}"
STATE="${ESIPHUB_ROOT:?}/.stub"
# make_dirs DIR...: mkdir -p for the ones missing (a test before the fork: most calls find them all).
make_dirs() {
    local dir
    for dir in "$@"; do
        [ -d "$dir" ] || mkdir -p "$dir"
    done
}
make_dirs "$STATE"
printf '%s\n' "$STUB $*" >>"${STUB_LOG:?}"
if [ -n "${STUB_FAIL:-}" ]; then
    # shellcheck disable=SC2254 # STUB_FAIL is a glob on purpose
    case "$STUB $*" in
        $STUB_FAIL)
            failures=$(cat "$STATE/failures" 2>/dev/null || echo 0)
            if [ -z "${STUB_FAIL_TIMES:-}" ] || [ "$failures" -lt "$STUB_FAIL_TIMES" ]; then
                echo "$((failures + 1))" >"$STATE/failures"
                echo "$STUB: simulated failure" >&2
                exit 1
            fi
            ;;
    esac
fi
