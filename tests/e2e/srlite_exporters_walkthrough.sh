#!/usr/bin/env bash
# The walkthrough's three Schema Linking setups (shared/walkthrough.md), end to end with curl
# against two srlite processes: "source" (the walkthrough's :8081) and "target" (:8082).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../srlite_lib.sh"

T=20 # generous bound for "eventually"; exports normally land within milliseconds

# fresh: (re)starts both registries empty.
fresh() {
	[ -n "${PID_source:-}" ] && reg_kill source
	[ -n "${PID_target:-}" ] && reg_kill target
	reg_start source --cluster-id source || { not_ok "source starts"; t_done; }
	reg_start target --cluster-id target || { not_ok "target starts"; t_done; }
	SRC=$URL_source
	TGT=$URL_target
}

# ===== 1. Active/Passive (NONE) =====
fresh
exporter_create "$SRC" "{\"name\":\"src-to-tgt-link\",\"contextType\":\"NONE\",\"config\":{\"schema.registry.url\":\"$TGT\"}}"
expect_eq "a/p: create answers the name" "$B" '{"name":"src-to-tgt-link"}'
check "a/p: list" GET "$SRC/exporters" - 200 '^\["src-to-tgt-link"\]$'
eventually $T state_is "$SRC" src-to-tgt-link RUNNING
check "a/p: status RUNNING offset -1 ts 0" GET "$SRC/exporters/src-to-tgt-link/status" - 200 \
	'^\{"name":"src-to-tgt-link","state":"RUNNING","offset":-1,"ts":0\}$'
check "a/p: exporter set IMPORT on the target's top level" GET "$TGT/mode" - 200 '"IMPORT"'
register "$SRC" pageviews-value "$PAGEVIEWS" >/dev/null
check "a/p: source subjects" GET "$SRC/subjects/" - 200 '^\["pageviews-value"\]$'
eventually $T has_subject "$TGT" pageviews-value
check "a/p: target subjects" GET "$TGT/subjects/" - 200 '^\["pageviews-value"\]$'
m1=$(curl -s "$SRC/subjects/pageviews-value/versions/1" | md5sum)
m2=$(curl -s "$TGT/subjects/pageviews-value/versions/1" | md5sum)
expect_eq "a/p: versions/1 byte-identical (md5)" "$m2" "$m1"
check "a/p: same id on both sides" GET "$TGT/schemas/ids/1" - 200 '"schema"'
req GET "$SRC/exporters/src-to-tgt-link/status"
expect_match "a/p: status offset 0 after one registration" "$B" '"state":"RUNNING","offset":0,"ts":[1-9][0-9]{12}\}$'
check "a/p: the passive side rejects local writes (IMPORT)" POST "$TGT/subjects/other/versions" \
	"{\"schema\":$STOCK_TRADES}" 422 '"error_code":42205'

# ===== 2. Active/Active with specific subjects (CUSTOM source / target) =====
fresh
exporter_create "$SRC" "{\"name\":\"src-to-tgt-link\",\"subjects\":[\"pageviews-value\"],\"contextType\":\"CUSTOM\",\"context\":\"source\",\"config\":{\"schema.registry.url\":\"$TGT\"}}"
exporter_create "$TGT" "{\"name\":\"tgt-to-src-link\",\"subjects\":[\"stock_trades-value\"],\"contextType\":\"CUSTOM\",\"context\":\"target\",\"config\":{\"schema.registry.url\":\"$SRC\"}}"
eventually $T state_is "$SRC" src-to-tgt-link RUNNING
eventually $T state_is "$TGT" tgt-to-src-link RUNNING
check "a/a: tgt-to-src RUNNING offset -1 ts 0" GET "$TGT/exporters/tgt-to-src-link/status" - 200 \
	'^\{"name":"tgt-to-src-link","state":"RUNNING","offset":-1,"ts":0\}$'
register "$SRC" pageviews-value "$PAGEVIEWS" >/dev/null
register "$TGT" stock_trades-value "$STOCK_TRADES" >/dev/null
eventually $T has_subject "$TGT" :.source:pageviews-value
eventually $T has_subject "$SRC" :.target:stock_trades-value
check "a/a: target subjects" GET "$TGT/subjects/" - 200 '^\[":.source:pageviews-value","stock_trades-value"\]$'
check "a/a: source subjects" GET "$SRC/subjects/" - 200 '^\[":.target:stock_trades-value","pageviews-value"\]$'
check "a/a: source contexts" GET "$SRC/contexts" - 200 '^\[".",".target"\]$'
check "a/a: target contexts" GET "$TGT/contexts" - 200 '^\[".",".source"\]$'
check "a/a: target has :.source:pageviews-value" GET "$TGT/subjects/:.source:pageviews-value/versions/1" - 200 '^\{"subject":":.source:pageviews-value",'
check "a/a: source has :.target:stock_trades-value" GET "$SRC/subjects/:.target:stock_trades-value/versions/1" - 200 '^\{"subject":":.target:stock_trades-value",'
m1=$(curl -s "$SRC/subjects/pageviews-value/versions/1" | md5sum)
m2=$(curl -s "$TGT/subjects/:.source:pageviews-value/versions/1" | md5sum)
if [ "$m1" != "$m2" ]; then ok "a/a: md5 differs (subject name carries the context)"; else not_ok "a/a: md5 differs"; fi
s1=$(curl -s "$SRC/subjects/pageviews-value/versions/1" | jq -c '{id,schema}')
s2=$(curl -s "$TGT/subjects/:.source:pageviews-value/versions/1" | jq -c '{id,schema}')
expect_eq "a/a: same id and schema text in the context" "$s2" "$s1"
check "a/a: target's own default context stays writable" GET "$TGT/mode" - 200 '"READWRITE"'
check "a/a: import context is IMPORT" GET "$TGT/mode/:.source:" - 200 '"IMPORT"'

# ===== 3. Active/Active with replicated contexts (default subjects "*") =====
fresh
register "$SRC" pageviews-value "$PAGEVIEWS" >/dev/null
register "$TGT" stock_trades-value "$STOCK_TRADES" >/dev/null
exporter_create "$SRC" "{\"name\":\"src-to-tgt-link\",\"contextType\":\"CUSTOM\",\"context\":\"source\",\"config\":{\"schema.registry.url\":\"$TGT\"}}"
exporter_create "$TGT" "{\"name\":\"tgt-to-src-link\",\"contextType\":\"CUSTOM\",\"context\":\"target\",\"config\":{\"schema.registry.url\":\"$SRC\"}}"
eventually $T has_subject "$SRC" :.target:stock_trades-value
eventually $T has_subject "$TGT" :.source:pageviews-value
check "r/c: source subjects" GET "$SRC/subjects/" - 200 '^\[":.target:stock_trades-value","pageviews-value"\]$'
check "r/c: target subjects" GET "$TGT/subjects/" - 200 '^\[":.source:pageviews-value","stock_trades-value"\]$'
check "r/c: source contexts" GET "$SRC/contexts" - 200 '^\[".",".target"\]$'
check "r/c: target contexts" GET "$TGT/contexts" - 200 '^\[".",".source"\]$'
check "r/c: describe src-to-tgt-link" GET "$SRC/exporters/src-to-tgt-link" - 200 \
	"^\\{\"name\":\"src-to-tgt-link\",\"subjects\":\\[\"\\*\"\\],\"contextType\":\"CUSTOM\",\"context\":\"source\",\"config\":\\{\"schema.registry.url\":\"$TGT\"\\}\\}$"
check "r/c: describe tgt-to-src-link" GET "$TGT/exporters/tgt-to-src-link" - 200 \
	"^\\{\"name\":\"tgt-to-src-link\",\"subjects\":\\[\"\\*\"\\],\"contextType\":\"CUSTOM\",\"context\":\"target\",\"config\":\\{\"schema.registry.url\":\"$SRC\"\\}\\}$"
check "r/c: schemas in all contexts" GET "$SRC/schemas?subjectPrefix=:*:" - 200 ':.target:stock_trades-value'
check "r/c: schemas of .source" GET "$TGT/schemas?subjectPrefix=:.source:" - 200 '^\[\{"subject":":.source:pageviews-value"'
# The source's imported :.target:stock_trades-value is re-exported as
# :.source.target:stock_trades-value, where nobody set IMPORT.
eventually $T state_is "$SRC" src-to-tgt-link PAUSED
req GET "$SRC/exporters/src-to-tgt-link/status"
tr=$(jq -r .trace <<<"$B")
expect_eq "r/c: trace first line" "${tr%%$'\n'*}" \
	"io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: Subject :.source.target:stock_trades-value is not in import mode; error code: 42205"
expect_match "r/c: trace has a Java stack" "$tr" $'\n\tat io\\.confluent\\.kafka\\.schemaregistry\\.client\\.rest\\.RestService\\.'
expect_match "r/c: PAUSED with offset and ts" "$B" '"state":"PAUSED","offset":[0-9]+,"ts":[1-9][0-9]{12},"trace":'
off_paused=$(jq .offset <<<"$B")
# §8 "Symmetric loops": tgt-to-src-link pauses too, on :.target.source:pageviews-value.
eventually $T state_is "$TGT" tgt-to-src-link PAUSED
req GET "$TGT/exporters/tgt-to-src-link/status"
expect_match "r/c: tgt-to-src-link pauses on its own loop" "$(jq -r .trace <<<"$B")" \
	'Subject :\.target\.source:pageviews-value is not in import mode; error code: 42205'
# The walkthrough's fix, applied to the source registry: does not help.
check "r/c: walkthrough fix on the source" PUT "$SRC/mode/:.source.target:" '{"mode": "IMPORT"}' 200 '^\{"mode":"IMPORT"\}$'
check "r/c: mode confirmed on the source" GET "$SRC/mode/:.source.target:" - 200 '^\{"mode":"IMPORT"\}$'
check "r/c: resume" PUT "$SRC/exporters/src-to-tgt-link/resume" - 200 '^\{"name":"src-to-tgt-link"\}$'
eventually $T state_is "$SRC" src-to-tgt-link PAUSED
req GET "$SRC/exporters/src-to-tgt-link/status"
expect_match "r/c: still PAUSED on 42205 after the source-side fix" "$(jq -r .trace <<<"$B")" \
	'Subject :\.source\.target:stock_trades-value is not in import mode; error code: 42205'
if has_subject "$TGT" :.source.target:stock_trades-value; then not_ok "r/c: not exported yet"; else ok "r/c: not exported yet"; fi
# IMPORT on the destination's .source.target plus a resume does.
check "r/c: IMPORT on the target's .source.target" PUT "$TGT/mode/:.source.target:" '{"mode":"IMPORT"}' 200 'IMPORT'
check "r/c: resume again" PUT "$SRC/exporters/src-to-tgt-link/resume" - 200 'src-to-tgt-link'
eventually $T has_subject "$TGT" :.source.target:stock_trades-value
if has_subject "$TGT" :.source.target:stock_trades-value; then ok "r/c: exported after the destination fix"; else not_ok "r/c: exported after the destination fix"; fi
eventually $T state_is "$SRC" src-to-tgt-link RUNNING
req GET "$SRC/exporters/src-to-tgt-link/status"
expect_match "r/c: RUNNING, no trace" "$B" '^\{"name":"src-to-tgt-link","state":"RUNNING","offset":[0-9]+,"ts":[0-9]+\}$'
off_now=$(jq .offset <<<"$B")
if [ "$off_now" -gt "$off_paused" ]; then ok "r/c: offset moved past the failed record"; else not_ok "r/c: offset moved" "$off_paused -> $off_now"; fi
s1=$(curl -s "$TGT/subjects/stock_trades-value/versions/1" | jq -c '{id,schema}')
s2=$(curl -s "$TGT/subjects/:.source.target:stock_trades-value/versions/1" | jq -c '{id,schema}')
expect_eq "r/c: the nested copy is the target's own schema come home" "$s2" "$s1"
t_done
