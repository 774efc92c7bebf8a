#!/usr/bin/env bash
# srlite's export engine (docs/internals/registry.md §3, §8): pickup, ids and versions in log order,
# renaming, AUTO contexts, --wildcard-scope, 4xx -> PAUSED with a Java trace, a 503 run
# retried then success, resume and reset, first-start IMPORT failure, persistence across
# kill -9, counted with the destination's /_srlite/requests.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../srlite_lib.sh"

T=20
reg_start src --data-dir "$T_TMP/src-data" --cluster-id srcid || { not_ok "source starts"; t_done; }
reg_start dst --enable-fault-injection || { not_ok "destination starts"; t_done; }
SRC=$URL_src
DST=$URL_dst
posts() { curl -s "$DST/_srlite/requests" | jq .POST; }
puts() { curl -s "$DST/_srlite/requests" | jq .PUT; }
trace_of() { curl -s "$1/exporters/$2/status" | jq -r '.trace // ""'; }

# --- pickup, ids, versions, log order (NONE, ":*:" = exact mirror) ---
exporter_create "$SRC" "{\"name\":\"mirror\",\"contextType\":\"NONE\",\"subjects\":[\":*:\"],\"config\":{\"schema.registry.url\":\"$DST\"}}"
eventually $T state_is "$SRC" mirror RUNNING
# §8: the exporter sets IMPORT only on its own destination context (top level for NONE), and
# the top-level mode does not cascade, so a mirrored non-default context needs its own.
check "IMPORT on the destination's .eu" PUT "$DST/mode/:.eu:" '{"mode":"IMPORT"}' 200 'IMPORT'
register "$SRC" filler '"\"long\""' >/dev/null
register "$SRC" orders '"{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"' >/dev/null
register "$SRC" orders '"{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}"' >/dev/null
register "$SRC" :.eu:orders '"\"bytes\""' >/dev/null
t0=$(date +%s%N)
eventually $T has_subject "$DST" :.eu:orders
t1=$(date +%s%N)
echo "# pickup of 4 registrations: $(((t1 - t0) / 1000000)) ms"
check "versions of orders on the destination" GET "$DST/subjects/orders/versions" - 200 '^\[1,2\]$'
for v in 1 2; do
	a=$(curl -s "$SRC/subjects/orders/versions/$v")
	b=$(curl -s "$DST/subjects/orders/versions/$v")
	expect_eq "orders v$v identical (id, version, schema)" "$b" "$a"
done
a=$(curl -s "$SRC/subjects/:.eu:orders/versions/1")
b=$(curl -s "$DST/subjects/:.eu:orders/versions/1")
expect_eq "non-default context mirrored with its id" "$b" "$a"
check "mirror offset = last log index" GET "$SRC/exporters/mirror/status" - 200 '"state":"RUNNING","offset":3,"ts":[1-9]'
# Pickup of one new registration (the engine waits on the change log; bound kept generous).
register "$SRC" late '"\"int\""' >/dev/null
if eventually 5 has_subject "$DST" late; then ok "a new registration reaches the destination"; else not_ok "pickup"; fi

# --- 4xx -> PAUSED with the trace shape; resume retries the failed record ---
curl -s -X POST -H "$CT" --data-binary '{"method":"POST","pathPrefix":"/subjects/bad4","status":422,"errorCode":42201,"message":"Invalid schema boom","count":1}' "$DST/_srlite/faults" >/dev/null
before=$(($(date +%s%N) / 1000000))
register "$SRC" bad4 '"\"float\""' >/dev/null
eventually $T state_is "$SRC" mirror PAUSED
req GET "$SRC/exporters/mirror/status"
tr=$(jq -r .trace <<<"$B")
expect_eq "4xx trace first line" "${tr%%$'\n'*}" \
	"io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: Invalid schema boom; error code: 42201"
expect_match "4xx trace has at-lines" "$tr" $'\n\tat [^\n]+\\([A-Za-z]+\\.java:[0-9]+\\)'
ts=$(jq .ts <<<"$B")
if [ "$ts" -ge "$before" ]; then ok "ts = time of the failure"; else not_ok "ts = failure time" "$ts < $before"; fi
expect_eq "offset stays at the last handled entry" "$(jq .offset <<<"$B")" 4
check "resume" PUT "$SRC/exporters/mirror/resume" - 200 'mirror'
if eventually $T has_subject "$DST" bad4; then ok "resume retried the failed record"; else not_ok "resume retried"; fi
eventually $T state_is "$SRC" mirror RUNNING
check "RUNNING, trace cleared" GET "$SRC/exporters/mirror/status" - 200 '^\{"name":"mirror","state":"RUNNING","offset":5,"ts":[0-9]+\}$'

# --- a run of 503s is retried, then succeeds; no modes are set on resume ---
curl -s -X DELETE "$DST/_srlite/requests" >/dev/null
curl -s -X POST -H "$CT" --data-binary '{"method":"POST","pathPrefix":"/subjects/flaky","status":503,"count":3}' "$DST/_srlite/faults" >/dev/null
register "$SRC" flaky '"\"double\""' >/dev/null
if eventually $T has_subject "$DST" flaky; then ok "503 run retried then exported"; else not_ok "503 retried" "$(curl -s "$SRC/exporters/mirror/status")"; fi
expect_eq "4 POSTs: 3 faulted + 1 good" "$(posts)" 4
expect_eq "no PUT /mode: resume does not set modes again" "$(puts)" 0
check "still RUNNING, no trace" GET "$SRC/exporters/mirror/status" - 200 '"state":"RUNNING","offset":6,"ts":[0-9]+\}$'

# --- reset re-exports everything, idempotently ---
check "pause" PUT "$SRC/exporters/mirror/pause" - 200 'mirror'
check "reset" PUT "$SRC/exporters/mirror/reset" - 200 'mirror'
check "offset -1 after reset" GET "$SRC/exporters/mirror/status" - 200 '"state":"PAUSED","offset":-1,'
curl -s -X DELETE "$DST/_srlite/requests" >/dev/null
check "resume after reset" PUT "$SRC/exporters/mirror/resume" - 200 'mirror'
done_all() { [ "$(curl -s "$SRC/exporters/mirror/status" | jq .offset)" = 6 ]; }
eventually $T done_all
expect_eq "7 log entries re-sent" "$(posts)" 7
check "still RUNNING after re-export (identical = idempotent)" GET "$SRC/exporters/mirror/status" - 200 '"state":"RUNNING","offset":6,'
check "destination versions unchanged" GET "$DST/subjects/orders/versions" - 200 '^\[1,2\]$'
check "pause mirror for good" PUT "$SRC/exporters/mirror/pause" - 200 'mirror'

# --- first start: IMPORT on a context holding subjects fails -> PAUSED with the error ---
exporter_create "$SRC" "{\"name\":\"blocked\",\"contextType\":\"NONE\",\"subjects\":[\"late\"],\"config\":{\"schema.registry.url\":\"$DST\"}}"
eventually $T state_is "$SRC" blocked RUNNING
check "reset mode on the destination" DELETE "$DST/mode" - 200 'IMPORT'
check "destination has a writable default context" GET "$DST/mode" - 200 'READWRITE'
exporter_create "$SRC" "{\"name\":\"blocked2\",\"contextType\":\"NONE\",\"subjects\":[\"late\"],\"config\":{\"schema.registry.url\":\"$DST\"}}"
eventually $T state_is "$SRC" blocked2 PAUSED
expect_eq "first-start IMPORT refused" "$(trace_of "$SRC" blocked2 | head -1)" \
	"io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: Cannot import since found existing subjects; error code: 42205"

# --- AUTO context, rename format, --wildcard-scope default-context ---
reg_start scoped --wildcard-scope default-context --cluster-id east || { not_ok "scoped starts"; t_done; }
SC=$URL_scoped
reg_start dst2 || { not_ok "dst2 starts"; t_done; }
D2=$URL_dst2
register "$SC" pay '"\"string\""' >/dev/null
register "$SC" :.other:pay '"\"int\""' >/dev/null
exporter_create "$SC" "{\"name\":\"auto\",\"subjectRenameFormat\":\"dc_\${subject}\",\"config\":{\"schema.registry.url\":\"$D2\"}}"
check "IMPORT on dst2's .all.other" PUT "$D2/mode/:.all.other:" '{"mode":"IMPORT"}' 200 'IMPORT'
exporter_create "$SC" "{\"name\":\"all\",\"contextType\":\"CUSTOM\",\"context\":\"all\",\"subjects\":[\":*:\"],\"config\":{\"schema.registry.url\":\"$D2\"}}"
eventually $T has_subject "$D2" :.east:dc_pay
eventually $T has_subject "$D2" :.all.other:pay
check "AUTO: .<cluster id> context, renamed" GET "$D2/subjects/:.east:dc_pay/versions/1" - 200 '"subject":":.east:dc_pay"'
check "AUTO: IMPORT set on :.east:" GET "$D2/mode/:.east:" - 200 'IMPORT'
check "default-context scope: * skipped :.other:pay" GET "$D2/subjects" - 200 '^\[":.all.other:pay",":.all:pay",":.east:dc_pay"\]$'

# --- persistence across kill -9 ---
check "pause blocked (stays PAUSED over restarts)" PUT "$SRC/exporters/blocked/pause" - 200 'blocked'
exporter_create "$SRC" "{\"name\":\"keep\",\"contextType\":\"CUSTOM\",\"context\":\"kept\",\"subjects\":[\":.:*\"],\"config\":{\"schema.registry.url\":\"$DST\",\"basic.auth.user.info\":\"u:CANARY-9\"}}"
eventually $T has_subject "$DST" :.kept:flaky
caught_up() { [ "$(curl -s "$SRC/exporters/keep/status" | jq .offset)" = 6 ]; }
if eventually $T caught_up; then ok "keep caught up (:.:* skips :.eu:orders)"; else not_ok "keep caught up" "$(curl -s "$SRC/exporters/keep/status")"; fi
status_before=$(curl -s "$SRC/exporters/keep/status")
paused_before=$(curl -s "$SRC/exporters/blocked2/status")
reg_kill src KILL
curl -s -X DELETE "$DST/_srlite/requests" >/dev/null
reg_start src --data-dir "$T_TMP/src-data" --cluster-id srcid || { not_ok "source restarts"; t_done; }
SRC=$URL_src
check "exporters listed after restart" GET "$SRC/exporters" - 200 '^\["blocked","blocked2","keep","mirror"\]$'
eventually $T state_is "$SRC" keep RUNNING
expect_eq "RUNNING exporter keeps offset and ts" "$(curl -s "$SRC/exporters/keep/status")" "$status_before"
expect_eq "PAUSED exporter stays PAUSED with its trace" "$(curl -s "$SRC/exporters/blocked2/status")" "$paused_before"
check "config survives (masked)" GET "$SRC/exporters/keep/config" - 200 '"basic.auth.user.info":"\[hidden\]"'
register "$SRC" after-restart '"\"boolean\""' >/dev/null
if eventually $T has_subject "$DST" :.kept:after-restart; then ok "continues from its offset"; else not_ok "continues after restart" "$(curl -s "$SRC/exporters/keep/status")"; fi
expect_eq "only the new record was sent" "$(posts)" 1
expect_eq "modes not set again after restart" "$(puts)" 0
expect_no_match "no secret in the logs" "$(cat "$T_TMP"/*.log)" 'CANARY'
t_done
