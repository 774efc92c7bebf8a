#!/usr/bin/env bash
# slctl export --registry with exporters, against two real srlite processes: CUSTOM and NONE
# exporters, one paused by hand (state: Paused) and one paused by an error (state: Running);
# the exported manifests plus the Registry documents diff clean; an exporter writing to a URL
# no declared Registry has is a clear error naming that URL.
source "$(dirname "$0")/../lib.sh"

W=$T_TMP/w
mkdir -p "$W/state" "$W/m"
srlite_start src || exit 1
SRC=$URL
srlite_start tgt || exit 1
TGT=$URL

slctl() { run slctl "$@" --state-dir "$W/state"; }
jget() { curl -s "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d$2)"; }
post() { curl -s -X "$1" -H 'Content-Type: application/json' ${3:+-d "$3"} "$2"; }
register() { # URL SUBJECT FIELD
	post POST "$1/subjects/$2/versions" \
		"{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"r\\\",\\\"fields\\\":[{\\\"name\\\":\\\"$3\\\",\\\"type\\\":\\\"string\\\",\\\"default\\\":\\\"\\\"}]}\"}" >/dev/null
}
wait_for() {
	local n=$(( $1 * 10 )) i; shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
state_is() { [ "$(jget "$SRC/exporters/$1/status" "['state']")" = "$2" ]; }
exporter() { # NAME CONTEXT-TYPE CONTEXT SUBJECTS-JSON [EXTRA-CONFIG-JSON]
	post POST "$SRC/exporters" "{\"name\":\"$1\",\"contextType\":\"$2\"${3:+,\"context\":\"$3\"},\"subjects\":$4,\"config\":{\"schema.registry.url\":\"$TGT\"${5:+,$5}}}" >/dev/null
}

cat >"$W/m/registries.yaml" <<EOF
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec: {url: $SRC}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: target}
spec: {url: "${TGT/127.0.0.1/localhost}", linkUrl: $TGT}
EOF
# The exporters carry linkUrl (127.0.0.1); slctl reaches target by url (localhost): export
# must map the destination back through linkUrl.

for s in pageviews-value orders-value stock-value ro-value; do register "$SRC" "$s" a; done
# NONE first: it sets IMPORT on the whole (still empty) target at its first start.
exporter none-link NONE "" '["orders-value"]'
wait_for 10 state_is none-link RUNNING || not_ok "setup: none-link running" "$(curl -s "$SRC/exporters/none-link/status")"
exporter custom-link CUSTOM source '["pageviews-value"]'
exporter paused-link CUSTOM paused '["stock-value"]' '"custom.key":"kept"'
exporter failed-link CUSTOM ro '["ro-value"]'
for x in custom-link paused-link failed-link; do
	wait_for 10 state_is "$x" RUNNING || not_ok "setup: $x running" "$(curl -s "$SRC/exporters/$x/status")"
done
wait_for 10 bash -c "curl -s $TGT/subjects | grep -q ':.ro:ro-value'"
post PUT "$SRC/exporters/paused-link/pause" >/dev/null
post PUT "$TGT/mode/:.ro:?force=true" '{"mode":"READONLY"}' >/dev/null
register "$SRC" ro-value b
wait_for 10 state_is failed-link PAUSED && ok "setup: failed-link paused by an error" \
	|| not_ok "setup: failed-link paused by an error" "$(curl -s "$SRC/exporters/failed-link/status")"
expect_match "setup: its trace says read-only" "$(jget "$SRC/exporters/failed-link/status" "['trace']")" "read-only"

slctl export --registry source -f "$W/m"
expect_eq "export: exits 0" "$RC" 0
printf '%s\n' "$OUT" >"$W/m/exported.yaml"
doc() { # NAME: the exported document of link NAME
	python3 - "$W/m/exported.yaml" "$1" <<'PY'
import sys
docs = open(sys.argv[1]).read().split("---\n")
print(next(d for d in docs if "name: " + sys.argv[2] + "\n" in d))
PY
}
expect_eq "export: four SchemaLinks" "$(grep -c '^kind: SchemaLink' "$W/m/exported.yaml")" 4
expect_match "export: CUSTOM link" "$(doc custom-link)" "destination: target.*type: CUSTOM.*name: source.*state: Running"
expect_match "export: NONE link" "$(doc none-link)" "destination: target.*type: NONE.*state: Running"
expect_match "export: paused by hand is Paused" "$(doc paused-link)" "state: Paused"
expect_match "export: extra config kept" "$(doc paused-link)" "custom.key: kept"
expect_match "export: paused by an error is Running" "$(doc failed-link)" "state: Running"
expect_no_match "export: no Registry documents" "$OUT" "kind: Registry"
slctl validate -f "$W/m"
expect_eq "export: validates with the Registry documents" "$RC" 0
slctl diff -f "$W/m"
expect_eq "export: diff is clean" "$RC:$OUT" "0:"
expect_match "export: the failed link is reported, not planned" "$ERR" "failed-link.*DestinationReadOnly"
slctl apply -f "$W/m" --dry-run
expect_match "export: apply --dry-run plans nothing" "$OUT" "unchanged"
expect_no_match "export: nothing would change" "$OUT" "would (create|configure|delete)"

# An exporter whose destination no declared Registry has.
STRAY="http://127.0.0.1:1/stray"
post POST "$SRC/exporters" "{\"name\":\"stray-link\",\"contextType\":\"NONE\",\"config\":{\"schema.registry.url\":\"$STRAY\"}}" >/dev/null
slctl export --registry source -f "$W/m"
expect_eq "export: unknown destination fails" "$RC" 1
expect_match "export: the error names the exporter and the URL" "$ERR" "stray-link writes to $STRAY, which no declared Registry has"
expect_eq "export: nothing on stdout then" "$OUT" ""
t_done
