#!/usr/bin/env bash
# slctl against two real srlite processes, the destination behind basic auth:
#   6. get -o json|yaml|wide and describe on a running link mask the destination credentials;
#      describe shows only the first line of a Java-style trace; a canary password appears in
#      no output of any command and nowhere in the state dir;
#   4. promote link pauses the exporter and makes every destination context of the link
#      READWRITE (nested ones too), prints a whole SchemaLink document to commit, and applying
#      that document leaves the link promoted (no IMPORT forced back, no write at all).
source "$(dirname "$0")/../lib.sh"

CANARY="canary-Fa1l0ver-e2e-7d2b"
W=$T_TMP/w
mkdir -p "$W/state" "$W/m"
printf 'alice:%s\n' "$CANARY" >"$W/users"
printf '%s\n' "$CANARY" >"$W/m/pass"

srlite_start src --enable-fault-injection || exit 1
SRC=$URL
srlite_start tgt --enable-fault-injection --basic-auth-file "$W/users" || exit 1
TGT=$URL
AUTH=(-u "alice:$CANARY")

ALL=$T_TMP/all-output
slctl() {
	run slctl "$@" --state-dir "$W/state"
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$ALL"
}
jget() { local u=$1 k=$2; shift 2; curl -s "$@" "$u" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d$k)"; }
register() { # URL SUBJECT FIELD [curl args]: a record with one more optional field FIELD
	local u=$1 s=$2 f=$3; shift 3
	curl -s "$@" -X POST -H 'Content-Type: application/json' \
		-d "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"r\\\",\\\"fields\\\":[{\\\"name\\\":\\\"$f\\\",\\\"type\\\":\\\"string\\\",\\\"default\\\":\\\"\\\"}]}\"}" \
		"$u/subjects/$s/versions"
}
writes() { curl -s "$@" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["POST"]+d["PUT"]+d["DELETE"])'; }
wait_for() {
	local n=$(( $1 * 10 )) i; shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
state_is() { [ "$(jget "$SRC/exporters/$1/status" "['state']")" = "$2" ]; }

cat >"$W/m/registries.yaml" <<EOF
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec: {url: $SRC}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: target}
spec:
  url: $TGT
  auth: {basic: {username: {value: alice}, password: {file: pass}}}
EOF
cat >"$W/m/links.yaml" <<'EOF'
apiVersion: schemalink.io/v1alpha1
kind: SchemaLink
metadata: {name: src-to-tgt}
spec: {source: source, destination: target, subjects: ["pageviews-value"], context: {type: CUSTOM, name: source}}
EOF

register "$SRC" pageviews-value a >/dev/null
slctl apply -f "$W/m" --wait --timeout 20s
expect_eq "setup: link with basic-auth destination Ready" "$RC" 0
expect_eq "setup: the exporter authenticates as alice" \
	"$(jget "$SRC/exporters/src-to-tgt" "['config']['basic.auth.user.info']")" "[hidden]"
wait_for 10 bash -c "curl -s -u alice:$CANARY $TGT/subjects | grep -q pageviews" \
	&& ok "setup: schema exported with the credentials" || not_ok "setup: schema exported with the credentials"

# ---- 6. secrets masked everywhere ----------------------------------------------------------
slctl get links -f "$W/m"
expect_match "get: text" "$OUT" "src-to-tgt +source +target +\\.source +RUNNING .*True +Running"
slctl get links -f "$W/m" -o wide
expect_eq "get -o wide exits 0" "$RC" 0
expect_match "get -o wide: a row" "$OUT" "src-to-tgt"
slctl get links -f "$W/m" -o json
expect_eq "get -o json exits 0" "$RC" 0
expect_eq "get -o json parses" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; json.load(sys.stdin); print("ok")')" ok
slctl get links -f "$W/m" -o yaml
expect_eq "get -o yaml exits 0" "$RC" 0
expect_match "get -o yaml: the link" "$OUT" "src-to-tgt"
slctl get registries -f "$W/m" -o json
expect_eq "get registries -o json exits 0" "$RC" 0
slctl describe link src-to-tgt -f "$W/m"
expect_match "describe: the user info is masked" "$OUT" '"basic.auth.user.info":"\[hidden\]"'
expect_match "describe: running, empty trace" "$OUT" "trace: +\\(empty\\)"
slctl describe registry target -f "$W/m"
expect_eq "describe registry exits 0" "$RC" 0
slctl diff -f "$W/m" -o json
expect_eq "diff -o json clean" "$RC" 0

# A Java-style trace: describe shows its first line only.
curl -s "${AUTH[@]}" -X PUT -H 'Content-Type: application/json' -d '{"mode":"READONLY"}' \
	"$TGT/mode/:.source:?force=true" >/dev/null
register "$SRC" pageviews-value b >/dev/null
wait_for 10 state_is src-to-tgt PAUSED && ok "trace: exporter paused by READONLY" || not_ok "trace: exporter paused by READONLY"
trace=$(jget "$SRC/exporters/src-to-tgt/status" "['trace']")
expect_eq "trace: several lines" "$([ "$(printf '%s\n' "$trace" | wc -l)" -gt 1 ] && echo yes)" yes
slctl describe link src-to-tgt -f "$W/m"
first=$(printf '%s\n' "$trace" | head -1)
second=$(printf '%s\n' "$trace" | sed -n 2p | sed 's/^[[:space:]]*//')
expect_match "describe: the trace's first line" "$OUT" "trace: +[^[:cntrl:]]*error code: 42205"
[[ "$OUT" == *"$first"* ]] && ok "describe: first line verbatim" || not_ok "describe: first line verbatim" "$OUT"
[[ "$OUT" == *"$second"* ]] && not_ok "describe: no second trace line" "$OUT" || ok "describe: no second trace line"
expect_match "describe: DestinationReadOnly" "$OUT" "DestinationReadOnly"
slctl get links -f "$W/m" -o json
expect_match "get -o json: trace first line only" "$OUT" '"trace": "[^"]*42205[^"]*"'
[[ "$OUT" == *"$second"* ]] && not_ok "get -o json: no second trace line" || ok "get -o json: no second trace line"
slctl get links -f "$W/m" -o yaml
slctl get links -f "$W/m" -o wide
slctl apply -f "$W/m"
expect_match "apply: DestinationReadOnly stalls" "$OUT$ERR" "DestinationReadOnly"
expect_eq "apply: READONLY left alone" "$(curl -s "${AUTH[@]}" "$TGT/mode/:.source:")" '{"mode":"READONLY"}'
# Back to IMPORT by hand and resume: Ready again.
curl -s "${AUTH[@]}" -X PUT -H 'Content-Type: application/json' -d '{"mode":"IMPORT"}' \
	"$TGT/mode/:.source:?force=true" >/dev/null
slctl resume link src-to-tgt -f "$W/m"
slctl apply -f "$W/m" --wait --timeout 20s
expect_eq "resumed: Ready" "$RC" 0

# ---- 4. promote ----------------------------------------------------------------------------
# A nested destination context of the link (what a filter selecting source contexts writes).
register "$TGT" ":.source.nested:x-value" a "${AUTH[@]}" >/dev/null
curl -s "${AUTH[@]}" -X PUT -H 'Content-Type: application/json' -d '{"mode":"IMPORT"}' \
	"$TGT/mode/:.source.nested:" >/dev/null
slctl promote link src-to-tgt -f "$W/m"
expect_eq "promote: exits 0" "$RC" 0
expect_match "promote: names the scopes" "$OUT" "accepts writes on context \\.source, context \\.source\\.nested"
expect_match "promote: a whole document" "$OUT" "kind: SchemaLink.*source: \"source\".*state: Paused.*destinationMode: Unmanaged"
expect_eq "promote: exporter paused" "$(jget "$SRC/exporters/src-to-tgt/status" "['state']")" PAUSED
expect_eq "promote: .source READWRITE" "$(curl -s "${AUTH[@]}" "$TGT/mode/:.source:")" '{"mode":"READWRITE"}'
expect_eq "promote: nested context READWRITE" "$(curl -s "${AUTH[@]}" "$TGT/mode/:.source.nested:")" '{"mode":"READWRITE"}'
expect_match "promote: the destination takes writes" "$(register "$TGT" ":.source:after-failover-value" a "${AUTH[@]}")" '"id"'
printf '%s\n' "$OUT" >"$W/m/links.yaml"
slctl validate -f "$W/m"
expect_eq "promoted document validates" "$RC:$ERR" "0:"
slctl diff -f "$W/m"
expect_eq "promoted document: diff clean" "$RC:$OUT" "0:"
b1=$(writes "$SRC/_srlite/requests"); b2=$(writes "$TGT/_srlite/requests" "${AUTH[@]}")
slctl apply -f "$W/m"
expect_eq "promoted document: apply exits 0" "$RC" 0
expect_eq "promoted document: apply wrote nothing" \
	"$(writes "$SRC/_srlite/requests")/$(writes "$TGT/_srlite/requests" "${AUTH[@]}")" "$b1/$b2"
expect_eq "promoted: still READWRITE" "$(curl -s "${AUTH[@]}" "$TGT/mode/:.source:")" '{"mode":"READWRITE"}'
expect_eq "promoted: still paused" "$(jget "$SRC/exporters/src-to-tgt/status" "['state']")" PAUSED
slctl get links -f "$W/m"
expect_match "promoted: Ready as Paused" "$OUT" "src-to-tgt .*PAUSED .*True +Paused"

# ---- the canary never leaves its file -------------------------------------------------------
if grep -rq "$CANARY" "$W/state" "$ALL"; then
	not_ok "canary password in no output or state file" "$(grep -rl "$CANARY" "$W/state" "$ALL")"
else
	ok "canary password in no output or state file ($(wc -l <"$ALL") lines checked)"
fi
t_done
