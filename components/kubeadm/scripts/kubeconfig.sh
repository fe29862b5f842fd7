#!/usr/bin/env bash
# Prints the cluster's admin kubeconfig (a secret, read with logging off). Runs on the master.
# Its server is the master's private address; the program points it at the public IP.
set -Eeuo pipefail

main() {
    step kubeconfig "reading /etc/kubernetes/admin.conf"
    local admin="$ROOT/etc/kubernetes/admin.conf"
    [ -s "$admin" ] || die "no /etc/kubernetes/admin.conf: the master is not initialised"
    cat "$admin"
}

main
