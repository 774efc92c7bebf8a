#!/usr/bin/env bash
# Ownership with slctl against real srlite processes (docs/ownership.md):
#  - two folders with the default flags are two sets and never prune each other;
#  - an empty folder never prunes; pruning everything a set owns, or more than --max-prune,
#    is refused unless --allow-prune-all; diff shows what --prune would delete either way;
#  - the same link names pointed at new registries that hold local subjects: no forced
#    IMPORT there, and what the set made on the old registries is an orphan "NAME@URL";
#  - a create refused with a 4xx leaves no record; a registry that changed identity (same
#    URL, new cluster id) is never written on the strength of an old record;
#  - a renamed set owns nothing; --adopt takes an exporter over; a link moved to another
#    set that adopted it is left to that set, not deleted by the old one's prune;
#  - a lost state dir: a flipped destination mode is healed from what the registries prove;
#  - no canary password in any output or state file.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

CANARY="canary-Own3rsh1p-5ecret"
W=$T_TMP/w
ST=$W/state
mkdir -p "$ST"
printf 'alice:%s\n' "$CANARY" >"$W/users"
printf '%s\n' "$CANARY" >"$W/pass"
srlite_start src --enable-fault-injection --basic-auth-file "$W/users" || exit 1
SRC=$URL
srlite_start tgt --enable-fault-injection || exit 1
TGT=$URL TGT_PORT=$PORT
AUTH=(-u "alice:$CANARY")
ALL=$T_TMP/all-output
slctl() {
	run slctl "$@"
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$ALL"
}
exporters() { curl -s "${AUTH[@]}" "$SRC/exporters" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))'; }
mode_of() { curl -s "$1/mode/$2?defaultToGlobal=false" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("mode", "-"))'; }
regs() { # FILE SRC_URL TGT_URL
	cat >"$1" <<EOF
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec:
  url: $2
  auth: {basic: {username: {value: alice}, password: {file: $W/pass}}}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: target}
spec: {url: $3}
EOF
}
link() { # FILE NAME SUBJECT [CONTEXT]
	printf 'apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: %s}\nspec: {source: source, destination: target, subjects: ["%s"], context: {type: CUSTOM, name: %s}}\n' \
		"$2" "$3" "${4:-source}" >"$1"
}

# ---- two folders, default flags: two sets -------------------------------------------------
mkdir -p "$W/a" "$W/b"
regs "$W/a/registries.yaml" "$SRC" "$TGT"
regs "$W/b/registries.yaml" "$SRC" "$TGT"
link "$W/a/a1.yaml" a1 a1-value
link "$W/b/b1.yaml" b1 b1-value
link "$W/b/b2.yaml" b2 b2-value
slctl apply -f "$W/a" --state-dir "$ST"
expect_eq "two folders: A applies" "$RC" 0
slctl apply -f "$W/b" --state-dir "$ST" --prune
expect_eq "two folders: B applies with --prune" "$RC" 0
expect_eq "two folders: B's prune left A's exporter" "$(exporters)" "a1 b1 b2"
expect_eq "two folders: A's IMPORT stays" "$(mode_of "$TGT" :.source:)" IMPORT
expect_eq "two folders: two sets in the state dir" "$(ls "$ST" | wc -l)" 2
rm "$W/b/b2.yaml"
slctl apply -f "$W/b" --state-dir "$ST" --prune --allow-prune-all
expect_eq "two folders: B prunes only its own" "$(exporters)" "a1 b1"
expect_eq "two folders: the shared IMPORT stays (A needs it)" "$(mode_of "$TGT" :.source:)" IMPORT
SET_A=$(basename "$(ls -d "$ST"/a-*)")
SET_B=$(basename "$(ls -d "$ST"/b-*)")
expect_match "two folders: A's set is derived from its folder" "$SET_A" '^a-[0-9a-f]{8}$'

# ---- guard rails ----------------------------------------------------------------------------
mkdir -p "$W/empty"
slctl apply -f "$W/empty" --state-dir "$ST" --set "$SET_A" --prune --allow-prune-all
expect_eq "empty folder: apply --prune fails" "$RC" 1
expect_match "empty folder: never prunes" "$ERR" "declare no object, and a manifest set that loads nothing never prunes"
expect_eq "empty folder: nothing deleted" "$(exporters)" "a1 b1"
mkdir -p "$W/a2"
regs "$W/a2/registries.yaml" "$SRC" "$TGT"
slctl diff -f "$W/a2" --state-dir "$ST" --set "$SET_A"
expect_eq "diff without --prune: exit 0" "$RC" 0
expect_match "diff without --prune: shows the orphan, marked" "$OUT" "- SchemaLink/a1.*deleted only by 'apply --prune'"
slctl diff -f "$W/a2" --state-dir "$ST" --set "$SET_A" --prune
expect_eq "diff --prune of everything owned: exit 1" "$RC" 1
expect_match "diff --prune: says it is refused" "$ERR" "prune refused: it would delete every object this set owns"
slctl apply -f "$W/a2" --state-dir "$ST" --set "$SET_A" --prune
expect_eq "apply --prune of everything owned: refused" "$RC" 1
expect_eq "apply --prune refused: a1 is still there" "$(exporters)" "a1 b1"
slctl apply -f "$W/a2" --state-dir "$ST" --set "$SET_A" --prune --allow-prune-all
expect_eq "apply --prune --allow-prune-all: a1 deleted" "$(exporters)" "b1"
expect_eq "B still needs :.source:, so it stays IMPORT" "$(mode_of "$TGT" :.source:)" IMPORT
slctl apply -f "$W/b" --state-dir "$ST" --prune
expect_eq "the last prune of B is nothing to do" "$RC" 0
rm "$W/b/b1.yaml"
slctl apply -f "$W/b" --state-dir "$ST" --prune --allow-prune-all
expect_eq "B's last link pruned" "$(exporters)" ""
# A wrote the IMPORT and let go while B needed it; B only found it in place, so nobody
# restores it (docs/ownership.md: the safe side; the plan said so when A let go).
expect_eq "a mode the writer let go while another set needed it stays" "$(mode_of "$TGT" :.source:)" IMPORT

# ---- a create refused with a 4xx leaves no record -----------------------------------------
mkdir -p "$W/c"
regs "$W/c/registries.yaml" "$SRC" "$TGT"
link "$W/c/c1.yaml" c1 c1-value
curl -s "${AUTH[@]}" -X POST -H 'Content-Type: application/json' \
	-d '{"method":"POST","pathPrefix":"/exporters","status":422,"errorCode":42201,"message":"refused"}' \
	"$SRC/_srlite/faults" >/dev/null
slctl apply -f "$W/c" --state-dir "$ST" --set c
expect_eq "refused create: apply fails" "$RC" 1
curl -s "${AUTH[@]}" -X DELETE "$SRC/_srlite/faults" >/dev/null
expect_eq "refused create: no owned record" "$(inv_owned "$ST/c")" ""
slctl apply -f "$W/c" --state-dir "$ST" --set c
expect_eq "the next apply creates it" "$(exporters)" "c1"
expect_eq "... and owns it" "$(inv_owned "$ST/c" | awk '{print $1, $4}')" "SchemaLink/c1 done"

# ---- a renamed set owns nothing; --adopt takes over -----------------------------------------
slctl apply -f "$W/c" --state-dir "$ST" --set c-renamed --prune --allow-prune-all
expect_eq "renamed set: nothing deleted" "$(exporters)" "c1"
expect_eq "renamed set: it owns nothing" "$(inv_owned "$ST/c-renamed")" ""
link "$W/c/c1.yaml" c1 c1-other
slctl apply -f "$W/c" --state-dir "$ST" --set c-renamed
expect_eq "renamed set: a changed link it does not own fails" "$RC" 1
expect_match "renamed set: ExporterNotOwned" "$ERR" "ExporterNotOwned"
expect_match "renamed set: the exporter is unchanged" "$(curl -s "${AUTH[@]}" "$SRC/exporters/c1")" '"c1-value"'
slctl apply -f "$W/c" --state-dir "$ST" --set c-renamed --adopt
expect_eq "--adopt: applied" "$RC" 0
expect_match "--adopt: the exporter is updated" "$(curl -s "${AUTH[@]}" "$SRC/exporters/c1")" '"c1-other"'
expect_eq "--adopt: the renamed set owns it" "$(inv_owned "$ST/c-renamed" | awk '{print $1, $4}')" "SchemaLink/c1 done"

# ---- a link moved to another set that adopted it: left to it --------------------------------
# c1 is owned by set c (created) and set c-renamed (adopted): c's prune lets go of it.
mkdir -p "$W/c-empty"
regs "$W/c-empty/registries.yaml" "$SRC" "$TGT"
slctl apply -f "$W/c-empty" --state-dir "$ST" --set c --prune --allow-prune-all
expect_eq "moved link: the old set's prune succeeds" "$RC" 0
expect_eq "moved link: the exporter is not deleted" "$(exporters)" "c1"
expect_match "moved link: the old set says it let go" "$OUT" "SchemaLink/c1: released \\(another set holds it\\)"
expect_eq "moved link: the old set forgot it" "$(inv_owned "$ST/c")" ""
expect_eq "moved link: the new set still owns it" "$(inv_owned "$ST/c-renamed" | awk '{print $1}')" "SchemaLink/c1"
slctl delete -f "$W/c" --state-dir "$ST" --set c-renamed
expect_eq "the new set deletes it when asked" "$(exporters)" ""

# ---- the same names pointed at new registries ------------------------------------------------
mkdir -p "$W/n"
regs "$W/n/registries.yaml" "$SRC" "$TGT"
link "$W/n/n1.yaml" n1 n1-value
register "$SRC" n1-value '"string"'
slctl apply -f "$W/n" --state-dir "$ST" --set n
expect_eq "old registries: n1 created" "$(exporters)" "n1"
srlite_start src2 --basic-auth-file "$W/users" || exit 1
SRC2=$URL
srlite_start tgt2 || exit 1
TGT2=$URL
register "$TGT2" ":.source:n1-value" '"int"' # a local subject where the link would write
regs "$W/n/registries.yaml" "$SRC2" "$TGT2"
slctl diff -f "$W/n" --state-dir "$ST" --set n
expect_no_match "new registries: no forced IMPORT planned" "$OUT" "IMPORT.*force|force.*IMPORT"
expect_match "new registries: DestinationNotEmpty" "$ERR" "DestinationNotEmpty"
expect_match "new registries: the old exporter is an orphan on the old URL" "$OUT" "- SchemaLink/n1@$SRC"
slctl apply -f "$W/n" --state-dir "$ST" --set n
expect_eq "new registries: apply does not force the mode" "$(mode_of "$TGT2" :.source:)" "-"
expect_eq "new registries: no exporter created there" "$(curl -s "${AUTH[@]}" "$SRC2/exporters")" "[]"

# ---- a registry that changed identity ----------------------------------------------------
# The target is restarted in memory on the same port: same URL, a new cluster id. A prune of
# what the set made there before must not write there.
regs "$W/n/registries.yaml" "$SRC" "$TGT"
mkdir -p "$W/m"
regs "$W/m/registries.yaml" "$SRC" "$TGT"
link "$W/m/m1.yaml" m1 m1-value other
link "$W/m/m2.yaml" m2 m2-value other
slctl apply -f "$W/m" --state-dir "$ST" --set m
expect_eq "identity: IMPORT set on :.other:" "$(mode_of "$TGT" :.other:)" IMPORT
kill "$PID_tgt"; wait "$PID_tgt" 2>/dev/null
sl_start tgt srlite --listen "127.0.0.1:$TGT_PORT" --enable-fault-injection
sl_bound tgt "$SRLITE_UP" && wait_http "$TGT/" || not_ok "target restarts" "$(cat "$T_TMP/tgt.log")"
curl -s -X PUT -H 'Content-Type: application/json' -d '{"mode":"READONLY"}' "$TGT/mode/:.other:" >/dev/null
rm "$W/m/m2.yaml" "$W/m/m1.yaml"
link "$W/m/m3.yaml" m3 m3-value elsewhere
slctl apply -f "$W/m" --state-dir "$ST" --set m --prune --allow-prune-all
expect_match "identity: the prune stops with RegistryIdentityChanged" "$ERR" "RegistryIdentityChanged"
expect_eq "identity: the new registry's mode is untouched" "$(mode_of "$TGT" :.other:)" READONLY
expect_match "identity: the scope record is kept" "$(cat "$ST/m/inventory.json" "$ST/m/journal.jsonl" 2>/dev/null)" ':.other:'

# ---- a lost state dir: what the registries prove is still healed --------------------------
mkdir -p "$W/l"
regs "$W/l/registries.yaml" "$SRC" "$TGT"
link "$W/l/l1.yaml" l1 l1-value lost
curl -s "${AUTH[@]}" -H 'Content-Type: application/json' -d '{"schema":"\"string\""}' \
	"$SRC/subjects/l1-value/versions" >/dev/null
slctl apply -f "$W/l" --state-dir "$W/state-lost" --set l --wait --timeout 20s
wait_until "lost state: replicated" 10 '[ "$(curl -s "$TGT/subjects/:.lost:l1-value/versions")" = "[1]" ]'
rm -rf "$W/state-lost"
curl -s -X PUT -H 'Content-Type: application/json' -d '{"mode":"READWRITE"}' "$TGT/mode/:.lost:" >/dev/null
slctl apply -f "$W/l" --state-dir "$W/state-lost" --set l
expect_eq "lost state: the flipped mode is healed back" "$(mode_of "$TGT" :.lost:)" IMPORT
expect_match "lost state: the heal says it was proven on the registries" "$OUT" "ModeRestoredFromRegistry"
# Healed without a record, the mode it found is recorded as the one to restore; the exporter,
# made under the lost state, is not this set's: delete leaves it (until --adopt).
slctl delete -f "$W/l" --state-dir "$W/state-lost" --set l
expect_eq "lost state: delete restores the mode found at the heal" "$(mode_of "$TGT" :.lost:)" READWRITE
expect_eq "lost state: delete leaves the exporter it does not own" "$(curl -s "${AUTH[@]}" "$SRC/exporters" | grep -c l1)" 1
curl -s -X PUT -H 'Content-Type: application/json' -d '{"mode":"READWRITE"}' "$TGT/mode/:.lost:" >/dev/null
register "$TGT" ":.lost:local-value" '"int"'
rm -rf "$W/state-lost"
slctl apply -f "$W/l" --state-dir "$W/state-lost" --set l
expect_eq "lost state with a local subject: not forced" "$(mode_of "$TGT" :.lost:)" READWRITE
expect_match "lost state with a local subject: DestinationNotEmpty names it" "$ERR" "DestinationNotEmpty.*local-value"

# ---- the canary never leaves its file --------------------------------------------------
if grep -rq "$CANARY" "$ST" "$W/state-lost" "$ALL"; then
	not_ok "canary password in no output or state file" "$(grep -rl "$CANARY" "$ST" "$W/state-lost" "$ALL")"
else
	ok "canary password in no output or state file"
fi
t_done
