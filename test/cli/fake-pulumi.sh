#!/usr/bin/env bash
# A scripted stand-in for the Pulumi CLI, for test/cli/automation.test.ts: it answers the commands the Automation API
# runs the way the real CLI does (same arguments, same output shapes, same error lines) for a few fixed stacks.
#   FAKE_PULUMI_LOG      every invocation's arguments are appended here, one line each
#   FAKE_PULUMI_FIXTURES folder of recorded engine events (*.jsonl)
#   FAKE_PULUMI_EVENTS   fake-pulumi-events.js, which streams them to the Automation API as the CLI does
#   FAKE_PULUMI_IMPORTED where `stack import --file F` copies F (its mode is logged as "import-file-mode NNN")
set -euo pipefail

echo "$*" >>"$FAKE_PULUMI_LOG"

stack=""
event_log=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
        --stack) stack="${args[i + 1]}" ;;
        --event-log) event_log="${args[i + 1]}" ;;
    esac
done

fail() {
    echo "error: $1" >&2
    exit 255
}

# Stacks: "jetstream" is deployed; "nopass" cannot decrypt its config; "busy" is locked by another update;
# any other name does not exist.
check_stack() {
    case "$stack" in
        jetstream) ;;
        nopass) fail "getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables" ;;
        busy) fail "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`." ;;
        *) fail "no stack named '$stack' found" ;;
    esac
}

case "$1 ${2:-}" in
    "version "*)
        echo "v3.210.0"
        ;;
    "stack select")
        check_stack
        ;;
    "stack init")
        echo "Created stack '$3'"
        ;;
    "config --show-secrets")
        check_stack
        echo '{"esiphub:cloud":{"value":"openstack","secret":false},"esiphub:keepDataOnDestroy":{"value":"false","secret":false},"esiphub:sshPrivateKey":{"value":"-----BEGIN OPENSSH PRIVATE KEY-----","secret":true}}'
        ;;
    "config set" | "config rm")
        # Like the real CLI: silent on success; the value is written to Pulumi.<stack>.yaml.
        check_stack
        ;;
    "stack export")
        check_stack
        # A secret in the state: encrypted by the stack's secrets provider unless --show-secrets decrypts it
        # (the envelope of pulumi/pulumi sdk/go/common/apitype, sig 1b47061264138c4ac30d75fd1eb44270).
        secret='{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"v1:q8Xw2kzR0xY=:v1:Kf3m9+Lr0aQ="}'
        [[ " $* " == *" --show-secrets "* ]] && secret='{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"\"apiVersion: v1\""}'
        state=$(
            cat <<'JSON'
{"version":3,"deployment":{"manifest":{"time":"2026-11-25T20:00:00Z","magic":"","version":"v3.200.0"},"resources":[
{"urn":"urn:pulumi:jetstream::esiphub::pulumi:pulumi:Stack::esiphub-jetstream","custom":false,"type":"pulumi:pulumi:Stack","outputs":{"kubeconfig":__SECRET__}},
{"urn":"urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts$openstack:blockstorage/volume:Volume::esiphub-jetstream-data","custom":true,"id":"4f1d","type":"openstack:blockstorage/volume:Volume","retainOnDelete":true,"parent":"urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts::esiphub-jetstream-openstack"},
{"urn":"urn:pulumi:jetstream::esiphub::esiphub:index:EsipHub$esiphub:openstack:Hosts$openstack:compute/instance:Instance::esiphub-jetstream-master","custom":true,"id":"9a2b","type":"openstack:compute/instance:Instance","protect":true}
]}}
JSON
        )
        echo "${state/__SECRET__/$secret}"
        ;;
    "stack import")
        check_stack
        file=""
        for ((i = 0; i < ${#args[@]}; i++)); do [[ "${args[i]}" == "--file" ]] && file="${args[i + 1]}"; done
        [[ -f "$file" ]] || fail "could not read deployment: open $file: no such file or directory"
        echo "import-file-mode $(stat -c %a "$file")" >>"$FAKE_PULUMI_LOG"
        cp "$file" "$FAKE_PULUMI_IMPORTED"
        echo "Import complete."
        ;;
    "stack output")
        check_stack
        if [[ " $* " == *" --show-secrets "* ]]; then
            echo '{"hubUrl":"https://hub.esipfed.org","credentials":[{"username":"workshop-01","password":"Kp7mHd4Wz9Ty"}]}'
        else
            echo '{"hubUrl":"https://hub.esipfed.org","credentials":"[secret]"}'
        fi
        ;;
    "stack history")
        check_stack
        echo '[{"version":2,"kind":"update","startTime":"2026-11-25T20:00:00Z","endTime":"2026-11-25T20:03:21Z","message":"","environment":{},"config":{},"result":"succeeded","resourceChanges":{"same":15,"update":1,"replace":1,"create":1,"delete":1}}]'
        ;;
    "preview "* | "up "* | "destroy "* | "refresh "*)
        check_stack
        fixture="jetstream-update.jsonl"
        [[ "$1" == "preview" || " $* " == *" --preview-only "* ]] && fixture="jetstream-update.preview.jsonl"
        [[ -n "$event_log" ]] || fail "no --event-log"
        node "$FAKE_PULUMI_EVENTS" "$event_log" "$FAKE_PULUMI_FIXTURES/$fixture"
        ;;
    *)
        fail "fake pulumi: unexpected command: $*"
        ;;
esac
