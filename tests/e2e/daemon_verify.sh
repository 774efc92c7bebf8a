#!/usr/bin/env bash
# Replication verification (docs/internals/reconcile.md "Replication verification") with the
# real engine against two srlite processes:
#  - a complete copy: InSync True (Complete), LAG 0 in slctl get links, the gauges
#    schemalink_link_missing_versions 0 and schemalink_link_last_verified_timestamp_seconds;
#  - versions missing: slctl get links shows the LAG and describe names them;
#  - the destination restarted empty: the exporter is reset (a heal DestinationIncomplete) and
#    the copy is complete again;
#  - another schema under a copied id on the destination: Stalled SchemaIdConflict, naming the
#    subject and both ids, never "healed";
#  - one schema listing per registry and verification, not one request per subject.
# The fast check is off (--check-interval 0): what is repaired here, verification repaired.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

srlite_start src --enable-fault-injection || exit 1
SRC=$URL
srlite_start tgt --enable-fault-injection --cluster-id tgt-1 || exit 1
TGT=$URL TGT_PORT=$PORT
CT='Content-Type: application/json'
M=$T_TMP/m
mkdir -p "$M"
write_srlite_regs "$M/registries.yaml" "$SRC" "$TGT"
write_link "$M/link.yaml" l1 "orders-value"
for f in a b c; do
	register "$SRC" orders-value "{\"type\":\"record\",\"name\":\"o\",\"fields\":[{\"name\":\"$f\",\"type\":\"string\"}]}"
done

de_start d "$M" --resync 10m --verify-interval 1s --check-interval 0
wait_until "link Ready" 20 '[ "$(cond SchemaLink/l1 Ready | cut -d" " -f1)" = True ]'
wait_until "InSync True, reason Complete" 20 '[ "$(cond SchemaLink/l1 InSync | cut -d" " -f1-2)" = "True Complete" ]'
expect_eq "schemalink_link_missing_versions 0" "$(metric schemalink_link_missing_versions 'link="l1"')" 0
ts=$(metric schemalink_link_last_verified_timestamp_seconds 'link="l1"')
expect_match "last verified timestamp is recent" "$(python3 -c "import time; print(abs(time.time() - $ts) < 120)")" True
msg=$(curl -s "$D_URL/status/SchemaLink/l1" | python3 -c 'import json,sys; print([c["message"] for c in json.load(sys.stdin)["conditions"] if c["type"]=="InSync"][0])')
expect_eq "InSync message counts the versions" "$msg" "all 3 versions the filter selects are on target"

# ---- the cost: listings, not subjects -----------------------------------------------------------
# The fast check is off and the resync 10 minutes away: all the source hears is the verification,
# one listing page per run (4 versions fit in one page) — not a read per subject or version.
runs() { metric schemalink_job_runs_total 'job="verify"'; }
r0=$(runs); s0=$(sr_count "$SRC" GET)
wait_until "four more verifications" 20 '[ "$(runs)" -ge $((r0 + 4)) ]'
r1=$(runs); s1=$(sr_count "$SRC" GET)
n=$((r1 - r0)); got=$((s1 - s0))
# A run may be in flight at either sample.
[ $got -ge $((n - 1)) ] && [ $got -le $((n + 1)) ] && ok "source GETs over $n verifications: $got (one listing each)" ||
	not_ok "source GETs over $n verifications" "got $got, want $n (one listing per verification)"

# ---- versions missing: LAG and describe -------------------------------------------------------------
# The exporter paused by hand behind the daemon's back (SIGSTOP), then one more version.
kill -STOP "$PID_d"
curl -s -X PUT "$SRC/exporters/l1/pause" >/dev/null
register "$SRC" orders-value '{"type":"record","name":"o","fields":[{"name":"d","type":"string"}]}'
run slctl get links -f "$M" --state-dir "$T_TMP/state" --set default
expect_eq "slctl get links exits 0" "$RC" 0
expect_match "slctl get links has a LAG column" "$(head -1 <<<"$OUT")" 'OFFSET +LAG +READY'
expect_match "LAG 1 for the version not copied" "$(grep '^l1 ' <<<"$OUT")" ' 1 +(True|False) '
run slctl describe link l1 -f "$M" --state-dir "$T_TMP/state" --set default
expect_match "describe names the missing version" "$OUT" 'Replication:
  1 version missing on target: :.source:orders-value v4'
curl -s -X PUT "$SRC/exporters/l1/resume" >/dev/null
kill -CONT "$PID_d"
wait_until "copied once resumed: InSync Complete again" 20 \
	'[ "$(cond SchemaLink/l1 InSync | cut -d" " -f1-2)" = "True Complete" ]'

# ---- destination restarted empty -> reset -> complete ----------------------------------------------
# The daemon is stopped meanwhile: verifying every second, it could reset the exporter and
# copy everything again before the target is seen empty.
kill -STOP "$PID_d"
kill "$PID_tgt"; wait "$PID_tgt" 2>/dev/null
sl_start tgt srlite --listen "127.0.0.1:$TGT_PORT" --enable-fault-injection --cluster-id tgt-1
sl_bound tgt "$SRLITE_UP" || not_ok "target restarted on its port" "$(tail -3 "$T_TMP/tgt.log")"
expect_eq "the restarted target is empty" "$(curl -s "$TGT/subjects")" "[]"
kill -CONT "$PID_d"
heals() { metric schemalink_self_heal_total 'link="l1",reason="DestinationIncomplete"'; }
wait_until "reset counted as heal DestinationIncomplete" 40 '[ "$(heals)" -ge 1 ]'
wait_until "every version copied again" 30 \
	'[ "$(curl -s "$TGT/subjects/:.source:orders-value/versions")" = "[1,2,3,4]" ]'
wait_until "InSync Complete after the reset" 20 \
	'[ "$(cond SchemaLink/l1 InSync | cut -d" " -f1-2)" = "True Complete" ]'
expect_match "the heal is in the link's history" "$(curl -s "$D_URL/status/SchemaLink/l1")" \
	'"reason": *"DestinationIncomplete"'

# ---- id conflict -> stalled, never healed --------------------------------------------------------------
# A schema registered under the destination subject with another id before the exporter copies
# the source's: the ids differ for that version.
kill -STOP "$PID_d"
curl -s -X PUT "$SRC/exporters/l1/pause" >/dev/null
register "$SRC" orders-value '{"type":"record","name":"o","fields":[{"name":"e","type":"string"}]}'
sid=$(curl -s "$SRC/subjects/orders-value/versions/5" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -s -H "$CT" -d '{"schema":"{\"type\":\"record\",\"name\":\"x\",\"fields\":[]}","id":777,"version":5}' \
	"$TGT/subjects/:.source:orders-value/versions" >/dev/null
expect_eq "destination holds version 5 under id 777" \
	"$(curl -s "$TGT/subjects/:.source:orders-value/versions/5" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" 777
curl -s -X PUT "$SRC/exporters/l1/resume" >/dev/null
kill -CONT "$PID_d"
wait_until "Stalled with SchemaIdConflict" 30 \
	'[ "$(cond SchemaLink/l1 Stalled | cut -d" " -f1-2)" = "True SchemaIdConflict" ]'
msg=$(curl -s "$D_URL/status/SchemaLink/l1" | python3 -c 'import json,sys; print([c["message"] for c in json.load(sys.stdin)["conditions"] if c["type"]=="Ready"][0])')
expect_match "the message names the subject and both ids" "$msg" \
	"subject :.source:orders-value version 5 has id 777 on target but id $sid in orders-value on source"
expect_eq "InSync False SchemaIdConflict" "$(cond SchemaLink/l1 InSync | cut -d" " -f1-2)" "False SchemaIdConflict"
expect_eq "still version 5 under 777 (nothing overwritten)" \
	"$(curl -s "$TGT/subjects/:.source:orders-value/versions/5" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" 777
t_done
