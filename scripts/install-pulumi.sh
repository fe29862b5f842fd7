#!/usr/bin/env bash
# Installs the Pulumi CLI this project is built and tested with (the version of @pulumi/pulumi in package.json) from
# its GitHub release, and checks the archive against the release's sha256 checksums before unpacking anything: no
# `curl | sh`, no "latest". The CLI lands in DIR/bin (default ~/.pulumi/bin, where get.pulumi.com puts it).
#
#   scripts/install-pulumi.sh [DIR]
#
# Asset names: pulumi/pulumi .goreleaser.yml (archives: pulumi-vVERSION-OS-ARCH.tar.gz, amd64 called x64, the files
# wrapped in pulumi/; checksum: pulumi-VERSION-checksums.txt, sha256sum lines).
# PULUMI_RELEASES overrides the download address (a mirror).
set -euo pipefail

VERSION=3.248.0
DEST="${1:-$HOME/.pulumi}"
RELEASES="${PULUMI_RELEASES:-https://github.com/pulumi/pulumi/releases/download}"

die() {
    echo "install-pulumi: $*" >&2
    exit 1
}

platform() {
    case "$(uname -s)-$(uname -m)" in
        Linux-x86_64) echo linux-x64 ;;
        Linux-aarch64 | Linux-arm64) echo linux-arm64 ;;
        Darwin-x86_64) echo darwin-x64 ;;
        Darwin-arm64) echo darwin-arm64 ;;
        *) die "no Pulumi CLI release for $(uname -s) $(uname -m); see https://www.pulumi.com/docs/iac/download-install/" ;;
    esac
}

sha256() {
    if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

main() {
    local archive tmp expected actual
    archive="pulumi-v${VERSION}-$(platform).tar.gz"
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064 # tmp is fixed now, on purpose
    trap "rm -rf '$tmp'" EXIT
    curl -fsSL --retry 3 -o "$tmp/$archive" "$RELEASES/v${VERSION}/$archive"
    curl -fsSL --retry 3 -o "$tmp/checksums.txt" "$RELEASES/v${VERSION}/pulumi-${VERSION}-checksums.txt"
    expected=$(awk -v name="$archive" '$2 == name { print $1 }' "$tmp/checksums.txt")
    [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "the checksums of release v${VERSION} list no sha256 for ${archive}"
    actual=$(sha256 "$tmp/$archive")
    [ "$actual" = "$expected" ] || die "${archive} has sha256 ${actual}, not the release's ${expected}: not installed"
    mkdir -p "$tmp/unpacked" "$DEST/bin"
    tar -xzf "$tmp/$archive" -C "$tmp/unpacked"
    [ -x "$tmp/unpacked/pulumi/pulumi" ] || die "${archive} has no pulumi/pulumi"
    cp -f "$tmp/unpacked/pulumi/"* "$DEST/bin/"
    echo "Pulumi CLI v${VERSION} installed in ${DEST}/bin (sha256 ${actual} checked); add it to PATH:"
    echo "  export PATH=\"${DEST}/bin:\$PATH\""
}

main
