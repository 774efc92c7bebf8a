#!/usr/bin/env bash
# Ownership with schemalinkd against real srlite processes (docs/ownership.md):
#  - the manifest directory deleted and recreated empty under a running `--prune` daemon:
#    nothing is deleted, no mode restored, the refusal is logged;
#  - a link removed from the manifests is pruned by the daemon (within the guard rails),
#    also after a restart (the orphans are found from the state, not from the old snapshot);
#  - the daemon derives the same set as slctl from the same folder, and holds its lock;
#  - a lost state dir under a running daemon: a destination mode flipped by hand is healed
#    from what the registries prove.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

srlite_start src --enable-fault-injection || exit 1
SRC=$URL
srlite_start tgt --enable-fault-injection || exit 1
TGT=$URL
M=$T_TMP/m
mkdir -p "$M"
exporters() { curl -s "$SRC/exporters" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))'; }
mode_of() { curl -s "$TGT/mode/$1?defaultToGlobal=false" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("mode", "-"))'; }
ready() { [ "$(cond "SchemaLink/$1" Ready | cut -d' ' -f1)" = True ]; }
write_srlite_regs "$M/registries.yaml" "$SRC" "$TGT"
for n in d1 d2 d3; do write_link "$M/$n.yaml" "$n" "s-$n"; register "$SRC" "s-$n" '"string"'; done

# start NAME [ARGS]: schemalinkd on $M with its set derived from the folder, as slctl derives
# it (no --set: de_start would pass one), resync 1 s; sets D_URL.
start() {
	local name=$1 PORT; shift
	sl_serve "$name" "$DAEMON_UP" schemalinkd --manifests "$M" --state-dir "$T_TMP/state" \
		--listen "127.0.0.1:@PORT@" --resync 1s "$@"
	d_up "$name" $?
}
start d --prune
wait_until "converged on three links" 20 'ready d1 && ready d2 && ready d3'
SET=$(basename "$(ls -d "$T_TMP/state"/m-*)")
run slctl diff -f "$M" --state-dir "$T_TMP/state"
expect_match "slctl derives the daemon's set from the same folder: nothing to do" "$RC $OUT" "^0"
run slctl apply -f "$M" --state-dir "$T_TMP/state"
expect_match "slctl apply on the daemon's set is refused, naming it" "$ERR" "set \"$SET\" is in use by schemalinkd \\(pid "

# ---- one link removed: pruned -----------------------------------------------------------------
rm "$M/d3.yaml"
wait_until "a removed link is pruned" 10 '[ "$(exporters)" = "d1 d2" ]'

# ---- the folder deleted and recreated empty: nothing is pruned ----------------------------
w0=$(sr_writes "$SRC")
t0=$(sr_writes "$TGT")
rm -rf "$M"
mkdir -p "$M"
sleep 3.5 # three resyncs
expect_eq "empty folder: the exporters stay" "$(exporters)" "d1 d2"
expect_eq "empty folder: no write on the source" "$(( $(sr_writes "$SRC") - w0 ))" 0
expect_eq "empty folder: no write on the target" "$(( $(sr_writes "$TGT") - t0 ))" 0
expect_eq "empty folder: the mode stays" "$(mode_of :.source:)" IMPORT
expect_match "empty folder: the refusal is logged" "$(cat "$T_TMP/d.log")" "never prunes"

# ---- the manifests back, then a restart with one link less: still pruned ---------------------
write_srlite_regs "$M/registries.yaml" "$SRC" "$TGT"
for n in d1 d2; do write_link "$M/$n.yaml" "$n" "s-$n"; done
wait_until "the manifests back: Ready again" 10 'ready d1 && ready d2'
kill "$PID_d"; wait "$PID_d" 2>/dev/null
rm "$M/d2.yaml"
start d2 --prune
wait_until "after a restart, what it owns and no longer declares is pruned" 10 '[ "$(exporters)" = "d1" ]'
expect_eq "after the prune: the set owns d1 alone" "$(inv_owned "$T_TMP/state/$SET" | awk '{print $1}')" "SchemaLink/d1"

# ---- a lost state dir: the flipped mode is healed from the registries ----------------------
# (In a context of its own: .source still holds the copies d2 and d3 left, which d1 does not
# export, so there the registries prove nothing and it stays DestinationNotEmpty.)
printf 'apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: e1}\nspec: {source: source, destination: target, subjects: ["s-d1"], context: {type: CUSTOM, name: lost}}\n' >"$M/e1.yaml"
wait_until "e1 replicated" 15 '[ "$(curl -s "$TGT/subjects/:.lost:s-d1/versions")" = "[1]" ]'
kill "$PID_d2"; wait "$PID_d2" 2>/dev/null
rm -rf "$T_TMP/state"
curl -s -X PUT -H 'Content-Type: application/json' -d '{"mode":"READWRITE"}' "$TGT/mode/:.lost:" >/dev/null
start d3 # on an empty state dir
wait_until "lost state dir: the flipped mode is healed" 10 '[ "$(mode_of :.lost:)" = IMPORT ]'
expect_match "lost state dir: counted as ModeRestoredFromRegistry" \
	"$(curl -s "$D_URL/metrics" | grep schemalink_drift_corrections_total)" 'reason="ModeRestoredFromRegistry"'
t_done
