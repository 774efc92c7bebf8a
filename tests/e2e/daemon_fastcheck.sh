#!/usr/bin/env bash
# schemalinkd's fast check (docs/internals/reconcile.md "Fast check") with 100 links against two
# srlite processes, the full resync pushed out to 10 minutes so only the fast check (default
# --check-interval 5s) can notice anything:
#  - an exporter paused by hand is resumed, one deleted by hand is recreated, a destination
#    mode flipped by hand is set back, each well before any resync could have;
#  - a healthy set costs, per check round, one GET /exporters on the source, one status read
#    per link and one mode read per destination scope, however many links share it (NS more
#    links write into one shared context): srlite's counters over whole rounds;
#  - a link stalled for good is not reconciled by every round (named once per change).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

N=100
srlite_start src --enable-fault-injection || exit 1
SRC=$URL
srlite_start tgt --enable-fault-injection || exit 1
TGT=$URL
CT='Content-Type: application/json'
M=$T_TMP/m
mkdir -p "$M"
write_srlite_regs "$M/registries.yaml" "$SRC" "$TGT"
for i in $(seq $N); do
	printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: l%d}\nspec: {source: source, destination: target, subjects: ["s%d-value"], context: {type: CUSTOM, name: c%d}}\n' \
		"$i" "$i" "$i"
done >"$M/links.yaml"
NS=10
for i in $(seq $NS); do
	printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: sh%d}\nspec: {source: source, destination: target, subjects: ["sh%d-value"], context: {type: CUSTOM, name: shared}}\n' \
		"$i" "$i"
done >>"$M/links.yaml"
register "$SRC" s7-value '"string"'

de_start d "$M" --resync 10m
ready() { curl -s "$D_URL/status" | python3 -c '
import json, sys
d = json.load(sys.stdin)
objs = d if isinstance(d, list) else d.get("objects", d.get("items", []))
print(sum(1 for o in objs if o["kind"] == "SchemaLink" and
          any(c["type"] == "Ready" and c["status"] == "True" for c in o["conditions"])))'; }
wait_until "all $((N + NS)) links Ready" 60 '[ "$(ready)" = $((N + NS)) ]'
state() { curl -s "$SRC/exporters/$1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("state",""))' 2>/dev/null; }
drift() { metric schemalink_drift_corrections_total "kind=\"SchemaLink\",reason=\"$1\""; }
# The resync is 10 minutes away: 30 s is room for a loaded machine (the check runs every 5 s),
# and anything repaired in it was repaired by the fast check.
IN=30

# ---- cost of a healthy round -----------------------------------------------------------------
# Counted over whole rounds (schemalink_job_runs_total{job="check"} before and after), with
# nothing else running: every link is Ready and the resync is minutes away.
runs() { metric schemalink_job_runs_total 'job="check"'; }
wait_until "a check round ran" 15 '[ "$(runs)" -ge 1 ]'
r0=$(runs)
wait_until "the next round started" 15 '[ "$(runs)" -gt $r0 ]'
r0=$(runs)
s0=$(sr_count "$SRC" GET); t0=$(sr_count "$TGT" GET); w0=$(( $(sr_writes "$SRC") + $(sr_writes "$TGT") ))
wait_until "two more rounds" 20 '[ "$(runs)" -ge $((r0 + 2)) ]'
r1=$(runs)
s1=$(sr_count "$SRC" GET); t1=$(sr_count "$TGT" GET); w1=$(( $(sr_writes "$SRC") + $(sr_writes "$TGT") ))
rounds=$((r1 - r0))
# A round may be in flight at either sample: allow one round of slack either way.
src_per=$(( (s1 - s0) ))
tgt_per=$(( (t1 - t0) ))
per=$((N + NS + 1))
lo=$(( (rounds - 1) * per )); hi=$(( (rounds + 1) * per ))
[ $src_per -ge $lo ] && [ $src_per -le $hi ] && ok "source reads: GET /exporters + $((N + NS)) status per round ($src_per in $rounds rounds)" ||
	not_ok "source reads per round" "$src_per reads in $rounds rounds, want $per per round"
per=$((N + 1))
lo=$(( (rounds - 1) * per )); hi=$(( (rounds + 1) * per ))
[ $tgt_per -ge $lo ] && [ $tgt_per -le $hi ] && ok "destination reads: $per modes per round, one for the $NS links sharing a context ($tgt_per in $rounds rounds)" ||
	not_ok "destination reads per round" "$tgt_per reads in $rounds rounds, want $per per round"
expect_eq "a healthy round writes nothing" $((w1 - w0)) 0
expect_eq "a healthy round flags nothing" "$(metric schemalink_job_flagged_total 'job="check"')" 0

# ---- paused by hand -> resumed ------------------------------------------------------------------
now() { date +%s.%N; }
took() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }
t0=$(now)
expect_eq "l7 paused by hand" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$SRC/exporters/l7/pause")" 200
wait_until "paused exporter resumed by the fast check" $IN '[ "$(state l7)" = RUNNING ]'
echo "# pause repaired in $(took "$t0") s"
wait_until "counted as drift ExporterResumed" 5 '[ "$(drift ExporterResumed)" = 1 ]'

# ---- destination mode flipped by hand -> set back -----------------------------------------------
t0=$(now)
curl -s -X PUT -H "$CT" -d '{"mode":"READWRITE"}' "$TGT/mode/:.c42:?force=true" >/dev/null
wait_until "flipped mode set back by the fast check" $IN \
	'[ "$(curl -s "$TGT/mode/:.c42:?defaultToGlobal=false")" = "{\"mode\":\"IMPORT\"}" ]'
echo "# mode flip repaired in $(took "$t0") s"
wait_until "counted as drift ModeRestored" 5 '[ "$(drift ModeRestored)" = 1 ]'

# ---- deleted by hand -> recreated ---------------------------------------------------------------
kill -STOP "$PID_d"
curl -s -X PUT "$SRC/exporters/l99/pause" >/dev/null
expect_eq "l99 deleted by hand" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$SRC/exporters/l99")" 200
kill -CONT "$PID_d"
t0=$(now)
wait_until "deleted exporter recreated by the fast check" $IN \
	'curl -s "$SRC/exporters" | grep -q "\"l99\""'
echo "# delete repaired in $(took "$t0") s"
wait_until "counted as drift ExporterRecreated" 5 '[ "$(drift ExporterRecreated)" -ge 1 ]'
wait_until "recreated exporter runs" $IN '[ "$(state l99)" = RUNNING ]'
wait_until "every link Ready again" $IN '[ "$(ready)" = $((N + NS)) ]'

# ---- stalled for good: named once, not every round ------------------------------------------------
# READONLY on a link's destination context stalls it (DestinationReadOnly, never overridden):
# the fast check names it when the mode changes, then no more while it stays so.
curl -s -X PUT -H "$CT" -d '{"mode":"READONLY"}' "$TGT/mode/:.c5:?force=true" >/dev/null
wait_until "READONLY destination: Stalled" $IN \
	'[ "$(cond SchemaLink/l5 Stalled | cut -d" " -f1-2)" = "True DestinationReadOnly" ]'
f0=$(metric schemalink_job_flagged_total 'job="check"')
r0=$(runs)
wait_until "three more rounds" 25 '[ "$(runs)" -ge $((r0 + 3)) ]'
f1=$(metric schemalink_job_flagged_total 'job="check"')
[ $((f1 - f0)) -le 1 ] && ok "a stalled link is not named by every round ($((f1 - f0)) in 3)" ||
	not_ok "a stalled link is not named by every round" "flagged $((f1 - f0)) times in 3 rounds"

# ---- turned off -------------------------------------------------------------------------------------
run schemalinkd --manifests "$M" --check-interval -1
expect_eq "--check-interval -1 is refused (usage)" "$RC" 64
t_done
