#!/usr/bin/env bash
# The master's SSH side, before anything else reaches through it:
# - sshd's MaxStartups raised: every remote command on a worker or the NFS node hops through the master, all at
#   once (Pulumi runs them in parallel), and sshd drops unauthenticated connections beyond its default 10:30:100
#   (sshd_config(5), MaxStartups). 20 workers mean 20+ hops arriving together.
# - the cluster's join key: the master joins each worker over SSH with it (components/kubeadm/cluster.ts says
#   why), and the workers accept it from the master's address only. Made once, kept root-only; it gives the master
#   no power it does not already have (cluster-admin runs anything on any node).
# Prints the public key (the only stdout). A re-run changes nothing.
#
# Parameters:
#   MAX_STARTUPS  sshd MaxStartups, start:rate:full (default 100:30:200)
set -Eeuo pipefail

SSHD_DROP_IN=/etc/ssh/sshd_config.d/50-esiphub.conf
JOIN_KEY_DIR=/etc/esiphub/cluster-join
JOIN_KEY_COMMENT=esiphub-cluster-join

main() {
    sshd_fan_in
    join_key
    cat "$ROOT$JOIN_KEY_DIR/id_ed25519.pub"
}

sshd_fan_in() {
    local max="${MAX_STARTUPS:-100:30:200}"
    step sshd-fan-in "sshd MaxStartups ${max}: the hops to the other nodes go through this one"
    write_file "$ROOT$SSHD_DROP_IN" 0644 "$(printf '%s\n' \
        '# esiphub: every remote command on the other nodes hops through this node, many at once.' \
        "MaxStartups ${max}")"
    [ "$FILE_CHANGED" = true ] || return 0
    if ! sshd -t; then
        rm -f "$ROOT$SSHD_DROP_IN"
        die "sshd refuses MaxStartups ${max}; ${SSHD_DROP_IN} removed"
    fi
    # Reloading keeps the sessions open (this one included).
    systemctl reload ssh
}

join_key() {
    step join-key "the key this node joins workers with (${JOIN_KEY_DIR})"
    local key="$ROOT$JOIN_KEY_DIR/id_ed25519"
    if [ -s "$key" ] && [ -s "${key}.pub" ]; then
        return 0
    fi
    rm -f "$key" "${key}.pub"
    mkdir -p "$ROOT$JOIN_KEY_DIR"
    chmod 0700 "$ROOT$JOIN_KEY_DIR"
    ssh-keygen -q -t ed25519 -N '' -C "$JOIN_KEY_COMMENT" -f "$key"
    log "made"
}

main
