#!/usr/bin/env bash
# schemalinkd with the real engine against two srlite processes (--resync 2s):
#  - drift made by hand is repaired within one resync period: an exporter deleted (recreated),
#    paused (resumed), the destination mode flipped (restored), each counted in
#    schemalink_drift_corrections_total{kind,reason} and not in schemalink_self_heal_total;
#  - the non-loop 42205 (ImportModeRequired) is healed unattended: IMPORT set again, exporter
#    resumed, counted in schemalink_self_heal_total{link,reason};
#  - the walkthrough's loop (active/active, CUSTOM contexts, subjects "*") is Stalled with
#    ReplicationLoop and errorCode 42205, no IMPORT lands on target's .source.target, and it
#    is not retried in a storm (srlite's request counters over a few resync periods).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

srlite_start src --enable-fault-injection || exit 1
SRC=$URL
srlite_start tgt --enable-fault-injection || exit 1
TGT=$URL
CT='Content-Type: application/json'
M=$T_TMP/m
mkdir -p "$M"
write_srlite_regs "$M/registries.yaml" "$SRC" "$TGT"
write_link "$M/link.yaml" l1
register "$SRC" a-value '"string"'

de_start d "$M" --resync 2s
wait_until "link Ready" 15 '[ "$(cond SchemaLink/l1 Ready | cut -d" " -f1)" = True ]'
expect_eq "IMPORT on the link's destination context" \
	"$(curl -s "$TGT/mode/:.source:?defaultToGlobal=false")" '{"mode":"IMPORT"}'
drift() { metric schemalink_drift_corrections_total "kind=\"SchemaLink\",reason=\"$1\""; }
heals() { metric schemalink_self_heal_total "link=\"l1\",reason=\"$1\""; }
state() { curl -s "$SRC/exporters/l1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("state",""))' 2>/dev/null; }
# Within one period: 2 s of resync + the pass itself; 4 s leaves room on a loaded machine.
PERIOD=4

# ---- paused by hand -> resumed ----------------------------------------------------------------
# The pause's own answer, not a status read after it: a resync may resume it in between (seen
# under valgrind); the drift counter below proves the daemon found it paused.
expect_eq "paused by hand" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$SRC/exporters/l1/pause")" 200
wait_until "paused exporter resumed within one resync" $PERIOD '[ "$(state)" = RUNNING ]'
wait_until "counted as drift ExporterResumed" 2 '[ "$(drift ExporterResumed)" = 1 ]'

# ---- destination mode flipped by hand -> restored ---------------------------------------------
curl -s -X PUT -H "$CT" -d '{"mode":"READWRITE"}' "$TGT/mode/:.source:?force=true" >/dev/null
wait_until "flipped mode restored within one resync" $PERIOD \
	'[ "$(curl -s "$TGT/mode/:.source:?defaultToGlobal=false")" = "{\"mode\":\"IMPORT\"}" ]'
wait_until "counted as drift ModeRestored" 2 '[ "$(drift ModeRestored)" = 1 ]'

# ---- deleted by hand -> recreated -------------------------------------------------------------
# Only a paused exporter can be deleted (else 409): the daemon is stopped meanwhile, or a
# resync between the two calls may resume it first (drift repaired, as above).
kill -STOP "$PID_d"
curl -s -X PUT "$SRC/exporters/l1/pause" >/dev/null
expect_eq "deleted by hand" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$SRC/exporters/l1")" 200
kill -CONT "$PID_d"
wait_until "deleted exporter recreated within one resync" $PERIOD \
	'[ "$(curl -s "$SRC/exporters")" = "[\"l1\"]" ]'
wait_until "counted as drift ExporterRecreated" 2 '[ "$(drift ExporterRecreated)" -ge 1 ]'
wait_until "recreated exporter runs" $PERIOD '[ "$(state)" = RUNNING ]'
expect_eq "drift is not counted as self-heal" \
	"$(curl -s "$D_URL/metrics" | grep -c '^schemalink_self_heal_total{')" 0

# ---- the non-loop 42205: healed unattended -----------------------------------------------------
# The daemon is stopped while the mode is flipped and a schema registered, so the exporter
# really fails with 42205 before anyone restores the mode (else this is drift, above).
kill -STOP "$PID_d"
curl -s -X PUT -H "$CT" -d '{"mode":"READWRITE"}' "$TGT/mode/:.source:?force=true" >/dev/null
register "$SRC" b-value '"int"'
for _ in $(seq 50); do [ "$(state)" = PAUSED ] && break; sleep 0.1; done
expect_match "the exporter fails with 42205" "$(curl -s "$SRC/exporters/l1/status")" \
	'"state":"PAUSED".*is not in import mode; error code: 42205'
kill -CONT "$PID_d"
wait_until "42205 healed: exporter running again" $PERIOD '[ "$(state)" = RUNNING ]'
expect_eq "42205 healed: IMPORT set again" \
	"$(curl -s "$TGT/mode/:.source:?defaultToGlobal=false")" '{"mode":"IMPORT"}'
wait_until "42205 healed: the new subject reached the target" 5 \
	'curl -s "$TGT/subjects" | grep -q ":.source:b-value"'
wait_until "counted in schemalink_self_heal_total{link,reason=ImportModeRequired}" 2 \
	'[ "$(heals ImportModeRequired)" -ge 1 ]'
wait_until "link Ready after the heal" $PERIOD '[ "$(cond SchemaLink/l1 Ready | cut -d" " -f1)" = True ]'
hist=$(curl -s "$D_URL/status/SchemaLink/l1")
expect_match "the heal is in the link's history" "$hist" '"reason": "ImportModeRequired"'
expect_match "healed is logged" "$(cat "$T_TMP/d.log")" 'healed .*object=SchemaLink/l1 reason=ImportModeRequired'
kill "$PID_d"; wait "$PID_d"

# ---- the walkthrough's loop: diagnosed, not healed, not retried in a storm -------------------
srlite_start src2 --enable-fault-injection || exit 1
SRC=$URL
srlite_start tgt2 --enable-fault-injection || exit 1
TGT=$URL
L=$T_TMP/loop
mkdir -p "$L"
cp examples/active-active-contexts/*.yaml "$L/" 2>/dev/null ||
	cp "$(dirname "$0")"/../../examples/active-active-contexts/*.yaml "$L/"
sed -i -e "s#http://127.0.0.1:8081#$SRC#g" -e "s#http://127.0.0.1:8082#$TGT#g" "$L"/*.yaml
register "$SRC" pageviews-value '{"type":"record","name":"pageviews","fields":[{"name":"viewtime","type":"long"}]}'
register "$TGT" stock_trades-value '{"type":"record","name":"StockTrade","fields":[{"name":"side","type":"string"}]}'
de_start loop "$L" --resync 2s --state-dir "$T_TMP/state-loop"
wait_until "loop diagnosed: Stalled ReplicationLoop 42205" 30 \
	'[ "$(cond SchemaLink/src-to-tgt-link Stalled)" = "True ReplicationLoop 42205" ]'
st=$(curl -s "$D_URL/status")
expect_match "/status names the loop" "$st" '"reason": "ReplicationLoop"'
expect_match "/status has errorCode 42205" "$st" '"errorCode": 42205'
expect_eq "no IMPORT on target's .source.target" \
	"$(curl -s "$TGT/mode/:.source.target:?defaultToGlobal=false" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("error_code"))')" 40409
expect_eq "the loop is not healed (no self-heal counted for it)" \
	"$(metric schemalink_self_heal_total 'link="src-to-tgt-link",reason="ReplicationLoop"')" 0
# Storm check: over 3 resync periods the daemon only re-reads. Budget per period: per link
# 2 exporter GETs + the mode scopes it manages + /contexts and /exporters lists per registry,
# well under 30 requests for this setup; a retry storm (per-key backoff from 5 ms) would make
# hundreds. And no writes at all: nothing resumes the looping exporter or sets a mode.
sleep 2
s0=$(sr_count "$SRC" total); t0=$(sr_count "$TGT" total)
sw0=$(sr_writes "$SRC"); tw0=$(sr_writes "$TGT")
sleep 6
s1=$(sr_count "$SRC" total); t1=$(sr_count "$TGT" total)
n=$(( s1 - s0 + t1 - t0 ))
[ "$n" -le 90 ] && ok "loop not retried in a storm: $n requests in 3 resync periods" ||
	not_ok "loop retried in a storm" "$n requests in 3 resync periods (budget 90)"
[ "$n" -gt 0 ] && ok "the loop is still re-read at each resync ($n requests)" ||
	not_ok "the loop is still re-read at each resync" "no request in 6 s"
expect_eq "no writes to either registry while stalled" \
	"$(( $(sr_writes "$SRC") - sw0 + $(sr_writes "$TGT") - tw0 ))" 0
expect_eq "still Stalled ReplicationLoop" "$(cond SchemaLink/src-to-tgt-link Stalled)" "True ReplicationLoop 42205"
expect_eq "still no IMPORT on .source.target" \
	"$(curl -s "$TGT/mode/:.source.target:?defaultToGlobal=false" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("error_code"))')" 40409
t_done
