#!/usr/bin/env bash
# Prints a join command with a fresh bootstrap token (kubeadm's tokens expire after 24 h, so a worker
# added next week gets its own). Runs on the master, once per worker; stdout is the join command and
# nothing else: a secret, read with logging off. Each run mints a new, expiring token: the only
# script whose re-run is not a no-op, by design.
#
# Parameters:
#   TOKEN_TTL  lifetime of the token (default 24h)
set -Eeuo pipefail

main() {
    step join-token "fresh bootstrap token, valid for ${TOKEN_TTL:-24h}"
    local join
    join=$(kubeadm token create --kubeconfig "$ROOT/etc/kubernetes/admin.conf" --print-join-command --ttl "${TOKEN_TTL:-24h}")
    [[ "$join" == "kubeadm join "* ]] || die "kubeadm token create did not print a 'kubeadm join' command"
    printf '%s\n' "$join"
}

main
