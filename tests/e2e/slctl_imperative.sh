#!/usr/bin/env bash
# The walkthrough's imperative operations through slctl (schema-exporter --pause, --reset,
# --resume) against two srlite processes, and spec.suspend: observe and report, write nothing.
source "$(dirname "$0")/../lib.sh"

srlite_start src --enable-fault-injection || exit 1
SRC=$URL
srlite_start tgt --enable-fault-injection || exit 1
TGT=$URL
M=$T_TMP/m.yaml
S=(--state-dir "$T_TMP/state")
cat >"$M" <<EOF
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec: {url: "$SRC"}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: target}
spec: {url: "$TGT"}
---
apiVersion: schemalink.io/v1alpha1
kind: SchemaLink
metadata: {name: l1}
spec: {source: source, destination: target, context: {type: NONE}}
EOF
status() { curl -s "$SRC/exporters/l1/status"; }
field() { status | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
writes() { curl -s "$1/_srlite/requests" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["POST"]+d["PUT"]+d["DELETE"])'; }
wait_state() { # STATE OFFSET
	local i
	for i in $(seq 1 50); do
		[ "$(field state)/$(field offset)" = "$1/$2" ] && return 0
		sleep 0.1
	done
	return 1
}

curl -s -H 'Content-Type: application/json' -d '{"schema":"\"int\""}' "$SRC/subjects/a/versions" >/dev/null
run slctl apply -f "$M" --wait "${S[@]}"
expect_eq "apply --wait" "$RC" 0
wait_state RUNNING 0 && ok "exported: RUNNING at offset 0" || not_ok "exported" "$(status)"

# reset needs a paused exporter, as the registry says (40963), and slctl says what to do.
run slctl reset link l1 -f "$M" "${S[@]}"
expect_eq "reset of a running exporter fails" "$RC" 1
expect_match "reset: says to pause first" "$ERR" "run 'slctl pause link l1' first"

run slctl pause link l1 -f "$M" "${S[@]}"
expect_eq "pause exits 0" "$RC" 0
expect_eq "pause: exporter PAUSED" "$(field state)" PAUSED
expect_match "pause: warns that the manifest says Running" "$ERR" "warning: link l1 is declared with spec.state: Running"

run slctl reset link l1 -f "$M" "${S[@]}"
expect_eq "reset exits 0" "$RC" 0
expect_eq "reset: offset back to -1" "$(field state)/$(field offset)" "PAUSED/-1"

run slctl resume link l1 -f "$M" "${S[@]}"
expect_eq "resume exits 0" "$RC" 0
wait_state RUNNING 0 && ok "resume: history exported again" || not_ok "resume" "$(status)"

# spec.suspend: true — observe and report only.
sed -i 's/context: {type: NONE}}/context: {type: NONE}, suspend: true}/' "$M"
curl -s -X PUT "$SRC/exporters/l1/pause" >/dev/null
curl -s -X PUT -H 'Content-Type: application/json' -d '{"mode":"READWRITE"}' "$TGT/mode?force=true" >/dev/null
curl -s -X DELETE "$SRC/_srlite/requests" >/dev/null
curl -s -X DELETE "$TGT/_srlite/requests" >/dev/null
run slctl diff -f "$M" "${S[@]}"
expect_eq "suspend: diff exits 0 (nothing will be written)" "$RC" 0
expect_match "suspend: diff shows what it would do" "$OUT" "spec.suspend: shown, not applied"
run slctl apply -f "$M" "${S[@]}"
expect_eq "suspend: apply exits 0" "$RC" 0
expect_match "suspend: apply reports the writes it did not make" "$OUT" "l1: suspended"
expect_eq "suspend: no write on the source" "$(writes "$SRC")" 0
expect_eq "suspend: no write on the target" "$(writes "$TGT")" 0
expect_eq "suspend: exporter still paused" "$(field state)" PAUSED
expect_eq "suspend: target mode untouched" "$(curl -s "$TGT/mode")" '{"mode":"READWRITE"}'
run slctl get links -f "$M" "${S[@]}"
expect_match "suspend: get reports the paused exporter" "$OUT" "l1 +source +target +\\. +PAUSED"
t_done
