#!/usr/bin/env bash
# Slow (about 35 s): a destination that refuses connections is retried with backoff for 30 s
# (docs/internals/registry.md §8), during which the exporter stays RUNNING; then it goes PAUSED with
# "java.net.ConnectException: Connection refused". Once the destination is back, resume
# exports the record.
. "$(dirname "$0")/../../lib.sh"
. "$(dirname "$0")/../../srlite_lib.sh"

reg_start src || { not_ok "source starts"; t_done; }
SRC=$URL_src
DPORT=$(free_port)
DST="http://127.0.0.1:$DPORT"
register "$SRC" orders '"\"string\""' >/dev/null
start=$(date +%s)
exporter_create "$SRC" "{\"name\":\"refused\",\"contextType\":\"NONE\",\"config\":{\"schema.registry.url\":\"$DST\"}}"
sleep 10
check "still retrying after 10 s" GET "$SRC/exporters/refused/status" - 200 '"state":"STARTING"|"state":"RUNNING"'
if eventually 40 state_is "$SRC" refused PAUSED; then ok "PAUSED in the end"; else not_ok "PAUSED in the end"; fi
elapsed=$(($(date +%s) - start))
if [ "$elapsed" -ge 29 ] && [ "$elapsed" -le 45 ]; then ok "after the 30 s retry window ($elapsed s)"; else not_ok "30 s window" "$elapsed s"; fi
req GET "$SRC/exporters/refused/status"
tr=$(jq -r .trace <<<"$B")
expect_eq "refused trace" "${tr%%$'\n'*}" "java.net.ConnectException: Connection refused"
expect_match "trace has at-lines" "$tr" $'\n\tat '
expect_match "ts set" "$B" '"ts":[1-9][0-9]{12}'
sl_start dst srlite --listen "127.0.0.1:$DPORT"
sl_bound dst "$SRLITE_UP" && wait_http "$DST/" 10 || { not_ok "destination starts" "$(cat "$T_TMP/dst.log")"; t_done; }
check "resume" PUT "$SRC/exporters/refused/resume" - 200 'refused'
# The first start never set IMPORT (it failed), and resume does not set modes: the first
# registration fails with 42205 until the destination is IMPORT.
eventually 10 state_is "$SRC" refused PAUSED
expect_match "resume did not set modes: 42205" "$(curl -s "$SRC/exporters/refused/status" | jq -r .trace)" 'is not in import mode; error code: 42205'
check "IMPORT on the destination" PUT "$DST/mode" '{"mode":"IMPORT"}' 200 'IMPORT'
check "resume again" PUT "$SRC/exporters/refused/resume" - 200 'refused'
if eventually 10 has_subject "$DST" orders; then ok "exported once the destination is back"; else not_ok "exported"; fi
t_done
