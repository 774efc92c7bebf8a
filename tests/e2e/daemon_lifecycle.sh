#!/usr/bin/env bash
# schemalinkd with the real engine against srlite: process life and modes of operation.
#  - SIGKILL during an apply (a create held up by srlite), then restart: converges without
#    duplicates (one exporter per link, each link once in the inventory, none pending), the
#    status and inventory files are intact JSON, and a later prune deletes those exporters;
#  - two daemons on the same manifests do not fight: a second one on the same set is refused
#    (exit 73, the holder named), and so is slctl apply; one with its own state dir makes no
#    write at all once the first converged (srlite's request counters);
#  - --once exits 0 when all is Ready, 1 on a failure, 2 for invalid manifests, 3 when a
#    registry is unreachable;
#  - --dry-run writes nothing (request counters), as a daemon and with --once.
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
for n in l1 l2 l3; do write_link "$M/$n.yaml" "$n" "s-$n"; done
ready() { [ "$(cond "SchemaLink/$1" Ready "${2:-$D_URL}" | cut -d' ' -f1)" = True ]; }
all_ready() { ready l1 "$@" && ready l2 "$@" && ready l3 "$@"; }
writes_both() { echo $(( $(sr_writes "$SRC") + $(sr_writes "$TGT") )); }
json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

# ---- SIGKILL during an apply ---------------------------------------------------------------
# srlite holds every exporter create for 1.5 s (then performs it): the daemon is killed while
# its first create is in flight, so the registry ends up with an exporter the daemon never
# saw acknowledged.
curl -s -X POST -H "$CT" -d '{"method":"POST","pathPrefix":"/exporters","delayMs":1500}' \
	"$SRC/_srlite/faults" >/dev/null
p0=$(sr_count "$SRC" POST)
de_start k "$M" --resync 2s
wait_until "kill: a create is in flight" 10 '[ "$(sr_count "$SRC" POST)" -gt "$p0" ]'
kill -KILL "$PID_k"; wait "$PID_k" 2>/dev/null
curl -s -X DELETE "$SRC/_srlite/faults" >/dev/null
sleep 1.7 # the held create completes on srlite
de_start k2 "$M" --resync 2s
wait_until "kill: converged after the restart" 20 all_ready
expect_eq "kill: one exporter per link" "$(curl -s "$SRC/exporters" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))')" "l1 l2 l3"
sleep 2.5 # one more resync, then look at the files the daemon keeps
ST=$T_TMP/state/default
json_ok "$ST/status.json" && ok "kill: status.json is intact JSON" || not_ok "kill: status.json is intact JSON" "$(head -c 300 "$ST/status.json")"
json_ok "$ST/inventory.json" && ok "kill: inventory.json is intact JSON" || not_ok "kill: inventory.json is intact JSON"
# The create in flight at the kill was written ahead (pending); the restart found the exporter
# and settled it: each link owns its one exporter, nothing is left pending or duplicated.
expect_eq "kill: each link once in the inventory, none pending" "$(inv_owned "$ST" | awk '{print $1 "=" $4}' | tr '\n' ' ')" \
	"SchemaLink/l1=done SchemaLink/l2=done SchemaLink/l3=done "
expect_eq "kill: status lists each object once" "$(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))["objects"]
k = ["%s/%s" % (x["kind"], x["name"]) for x in o]
print(len(k), len(set(k)))' "$ST/status.json")" "5 5"

# ---- two daemons on the same manifests ----------------------------------------------------------
D1=$D_URL
sleep 2.5
w0=$(writes_both)
# The same state dir and set: the second is refused at once, naming the holder (73: systemd
# does not restart it), and writes nothing.
run schemalinkd --manifests "$M" --state-dir "$T_TMP/state" --set default --resync 2s --listen "127.0.0.1:$(free_port)"
expect_eq "two daemons, one set: the second exits 73" "$RC" 73
expect_match "two daemons, one set: the error names the holder" "$ERR" 'set "default" is in use by schemalinkd \(pid [0-9]+, since '
expect_eq "two daemons, one set: no write" "$(( $(writes_both) - w0 ))" 0
run slctl apply -f "$M" --state-dir "$T_TMP/state" --set default
expect_eq "slctl apply on the daemon's set is refused" "$RC" 2
expect_match "slctl apply on the daemon's set: names the holder" "$ERR" "in use by schemalinkd \(pid $PID_k2,"
de_start third "$M" --resync 2s --state-dir "$T_TMP/state-other"
wait_until "two daemons: a third with its own state dir sees everything Ready" 15 "all_ready $D_URL"
sleep 4.5
expect_eq "two daemons, separate state dirs: still no write" "$(( $(writes_both) - w0 ))" 0
expect_match "the third took over nothing by force" "$(cat "$T_TMP/third.log")" "Ready Unknown -> True"
kill "$PID_third" "$PID_k2"; wait "$PID_third" "$PID_k2"
# What the killed daemon was creating is the set's for good: removed from the manifests, the
# prune deletes it (it used to stay for ever, its record naming no registry).
# (Which create was in flight is not known: two of the three are pruned, past the default
# guard of half, with --max-prune 2.)
mkdir -p "$T_TMP/m-less"
cp "$M/registries.yaml" "$M/l2.yaml" "$T_TMP/m-less/"
run slctl apply -f "$T_TMP/m-less" --state-dir "$T_TMP/state" --set default --prune
expect_match "kill: pruning two of three is refused by default" "$RC $ERR" "^1 .*more than the 1 allowed at once"
run slctl apply -f "$T_TMP/m-less" --state-dir "$T_TMP/state" --set default --prune --max-prune 2
expect_eq "kill: the links created across the kill are pruned" "$(curl -s "$SRC/exporters" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))')" "l2"
run slctl apply -f "$M" --state-dir "$T_TMP/state" --set default --wait --timeout 20s
expect_eq "kill: and created again" "$RC" 0

# ---- --once exit codes -------------------------------------------------------------------------
run schemalinkd --manifests "$M" --state-dir "$T_TMP/state" --once
expect_eq "--once: all Ready exits 0" "$RC" 0
mkdir -p "$T_TMP/bad"
printf 'apiVersion: schemalink.io/v1alpha1\nkind: SchemaLnk\nmetadata: {name: x}\nspec: {}\n' >"$T_TMP/bad/x.yaml"
w0=$(writes_both)
run schemalinkd --manifests "$T_TMP/bad" --state-dir "$T_TMP/state" --once
expect_eq "--once: invalid manifests exit 2" "$RC" 2
expect_match "--once: the error names the file" "$ERR" "x.yaml:2:"
mkdir -p "$T_TMP/dead"
DEAD=$(free_port)
write_srlite_regs "$T_TMP/dead/registries.yaml" "http://127.0.0.1:$DEAD" "$TGT"
write_link "$T_TMP/dead/l.yaml" d1 s-d1
start=$(date +%s%N)
run schemalinkd --manifests "$T_TMP/dead" --state-dir "$T_TMP/state-dead" --once
expect_eq "--once: unreachable registry exits 3" "$RC" 3
expect_match "--once: says which registry" "$ERR" "registry source"
mkdir -p "$T_TMP/fail"
cp "$M/registries.yaml" "$T_TMP/fail/"
write_link "$T_TMP/fail/f.yaml" f1 s-f1
curl -s -X POST -H "$CT" -d '{"method":"POST","pathPrefix":"/exporters","status":422,"errorCode":42201,"message":"invalid exporter"}' \
	"$SRC/_srlite/faults" >/dev/null
run schemalinkd --manifests "$T_TMP/fail" --state-dir "$T_TMP/state-fail" --once
expect_eq "--once: a failure exits 1" "$RC" 1
expect_match "--once: the failure is reported" "$ERR" "SchemaLink/f1"
curl -s -X DELETE "$SRC/_srlite/faults" >/dev/null

# ---- --dry-run ---------------------------------------------------------------------------------
mkdir -p "$T_TMP/dry"
cp "$M/registries.yaml" "$T_TMP/dry/"
write_link "$T_TMP/dry/x.yaml" x1 s-x1
curl -s -X PUT -H "$CT" -d '{"mode":"READWRITE"}' "$TGT/mode/:.source:?force=true" >/dev/null
w0=$(writes_both)
run schemalinkd --manifests "$T_TMP/dry" --state-dir "$T_TMP/state-dry" --once --dry-run
expect_eq "--once --dry-run: no write" "$(( $(writes_both) - w0 ))" 0
de_start dry "$T_TMP/dry" --resync 1s --dry-run --state-dir "$T_TMP/state-dry"
wait_until "--dry-run daemon: reports the link" 10 '[ "$(cond SchemaLink/x1 Ready | cut -d" " -f1)" != "?" ]'
sleep 3.5 # three resyncs
expect_eq "--dry-run daemon: no write at all" "$(( $(writes_both) - w0 ))" 0
has=$(curl -s "$SRC/exporters")
expect_no_match "--dry-run daemon: no exporter x1" "$has" '"x1"'
expect_eq "--dry-run daemon: the mode flipped by hand stays" "$(curl -s "$TGT/mode/:.source:?defaultToGlobal=false")" '{"mode":"READWRITE"}'
kill "$PID_dry"; wait "$PID_dry"
t_done
