#!/usr/bin/env bash
# slctl against real srlite processes, the "Step 5/7" gaps of drift and self-healing:
#   1. a destination URL change (Registry linkUrl) pauses, updates, resets and resumes the
#      exporter, whose history then reaches the new place (a third srlite);
#   2. the non-loop 42205 (destination context flipped to READWRITE by hand) is healed by
#      apply: IMPORT again, resume, Ready, and describe shows the heal;
#   3. re-asserting IMPORT never forces over local writes: DestinationHasLocalWrites, the
#      mode left alone.
source "$(dirname "$0")/../lib.sh"

W=$T_TMP/w
mkdir -p "$W/state" "$W/m"
srlite_start src --enable-fault-injection || exit 1
SRC=$URL
srlite_start tgt --enable-fault-injection || exit 1
TGT=$URL
srlite_start tgt3 --enable-fault-injection || exit 1
TGT3=$URL

slctl() { run slctl "$@" --state-dir "$W/state"; }
jget() { curl -s "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d$2)"; }
register() { # URL SUBJECT [FIELD]
	curl -s -X POST -H 'Content-Type: application/json' \
		-d "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"r\\\",\\\"fields\\\":[{\\\"name\\\":\\\"${3:-a}\\\",\\\"type\\\":\\\"string\\\",\\\"default\\\":\\\"\\\"}]}\"}" \
		"$1/subjects/$2/versions" >/dev/null
}
wait_for() { # SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds
	local n=$(( $1 * 10 )) i; shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
has_subject() { curl -s "$1/subjects" | grep -q "\"$2\""; }
state_is() { [ "$(jget "$SRC/exporters/$1/status" "['state']")" = "$2" ]; }

registries() { # LINKURL-OF-TARGET
	cat >"$W/m/registries.yaml" <<EOF
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec: {url: $SRC}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: target}
spec: {url: $TGT, linkUrl: $1}
EOF
}
registries "$TGT"
cat >"$W/m/links.yaml" <<'EOF'
apiVersion: schemalink.io/v1alpha1
kind: SchemaLink
metadata: {name: src-to-tgt}
spec: {source: source, destination: target, subjects: ["pageviews-value", "orders-value"], context: {type: CUSTOM, name: source}}
EOF

register "$SRC" pageviews-value
register "$SRC" pageviews-value b   # a second version: the offset is past 0 before the move
slctl apply -f "$W/m" --wait --timeout 20s
expect_eq "setup: link Ready" "$RC" 0
wait_for 10 has_subject "$TGT" ":.source:pageviews-value" && ok "setup: schema exported" \
	|| not_ok "setup: schema exported" "$(curl -s "$TGT/subjects")"

# ---- 1. destination URL change ------------------------------------------------------------
# The new place must accept imports into the link's context, as the old one did.
curl -s -X PUT -H 'Content-Type: application/json' -d '{"mode":"IMPORT"}' "$TGT3/mode/:.source:" >/dev/null
registries "$TGT3"
slctl diff -f "$W/m"
expect_eq "url change: diff exits 1" "$RC" 1
expect_match "url change: diff names the URL" "$OUT" "config schema.registry.url: \"$TGT\" -> \"$TGT3\""
expect_match "url change: pause, update, reset, resume" "$OUT" \
	"1\\. pause exporter src-to-tgt.*2\\. update exporter src-to-tgt.*3\\. reset exporter src-to-tgt on source: the destination URL changed.*4\\. resume exporter src-to-tgt"
# The new place answers its first registration slowly, so the restarted offset can be seen.
wait_for 10 bash -c "[ \"\$(curl -s $SRC/exporters/src-to-tgt/status | grep -o '\"offset\":[0-9-]*')\" = '\"offset\":1' ]"
off_before=$(jget "$SRC/exporters/src-to-tgt/status" "['offset']")
curl -s -X POST -H 'Content-Type: application/json' \
	-d '{"method":"POST","pathPrefix":"/subjects","delayMs":1500,"count":1}' "$TGT3/_srlite/faults" >/dev/null
slctl apply -f "$W/m"
expect_eq "url change: apply exits 0" "$RC" 0
expect_match "url change: apply reports the change" "$OUT" "SchemaLink/src-to-tgt: configured"
off_after=$(jget "$SRC/exporters/src-to-tgt/status" "['offset']")
[ "$off_before" -eq 1 ] && [ "$off_after" -lt "$off_before" ] \
	&& ok "url change: offset restarted ($off_before before, $off_after right after the reset)" \
	|| not_ok "url change: offset restarted" "before $off_before, after $off_after"
expect_eq "url change: exporter config has the new URL" \
	"$(jget "$SRC/exporters/src-to-tgt" "['config']['schema.registry.url']")" "$TGT3"
wait_for 10 has_subject "$TGT3" ":.source:pageviews-value" \
	&& ok "url change: history re-exported to the third registry" \
	|| not_ok "url change: history re-exported to the third registry" "$(curl -s "$TGT3/subjects")"
wait_for 10 bash -c "curl -s $TGT3/subjects/:.source:pageviews-value/versions | grep -q '\[1,2\]'" \
	&& ok "url change: both versions re-exported" \
	|| not_ok "url change: both versions re-exported" "$(curl -s "$TGT3/subjects/:.source:pageviews-value/versions")"
slctl diff -f "$W/m"
expect_eq "url change: diff clean afterwards" "$RC:$OUT" "0:"
# Back to the first target for the rest.
registries "$TGT"
slctl apply -f "$W/m" --wait --timeout 20s
expect_eq "url change back: Ready" "$RC" 0

# ---- 2. non-loop 42205 healed by apply ----------------------------------------------------
curl -s -X PUT -H 'Content-Type: application/json' -d '{"mode":"READWRITE"}' \
	"$TGT/mode/:.source:?force=true" >/dev/null
register "$SRC" orders-value
wait_for 10 state_is src-to-tgt PAUSED && ok "42205: exporter paused by the flip" \
	|| not_ok "42205: exporter paused by the flip" "$(curl -s "$SRC/exporters/src-to-tgt/status")"
expect_match "42205: trace says import mode" "$(jget "$SRC/exporters/src-to-tgt/status" "['trace']")" \
	"42205"
slctl diff -f "$W/m"
expect_match "42205: diff plans IMPORT as a heal" "$OUT" \
	"set mode IMPORT on context .source of target with force.*self-heal ImportModeRequired"
expect_match "42205: then a resume" "$OUT" "resume exporter src-to-tgt on source: ImportModeRequired"
slctl apply -f "$W/m" --wait --timeout 20s
expect_eq "42205: apply --wait heals to Ready" "$RC" 0
expect_eq "42205: IMPORT again" "$(curl -s "$TGT/mode/:.source:")" '{"mode":"IMPORT"}'
wait_for 10 has_subject "$TGT" ":.source:orders-value" && ok "42205: the new schema arrives" \
	|| not_ok "42205: the new schema arrives" "$(curl -s "$TGT/subjects")"
slctl describe link src-to-tgt -f "$W/m"
expect_match "42205: describe Ready" "$OUT" "Ready: +True +Running"
expect_match "42205: describe shows the heal in its history" "$OUT" \
	"Heal history:.*ImportModeRequired +set mode IMPORT on context \\.source of target"

# ---- 3. never force IMPORT over local writes -----------------------------------------------
curl -s -X PUT -H 'Content-Type: application/json' -d '{"mode":"READWRITE"}' \
	"$TGT/mode/:.source:?force=true" >/dev/null
register "$TGT" ":.source:local-only-value"
slctl apply -f "$W/m"
expect_eq "local writes: apply exits 1" "$RC" 1
expect_match "local writes: Stalled DestinationHasLocalWrites" "$OUT$ERR" \
	"DestinationHasLocalWrites.*local-only-value"
expect_eq "local writes: mode untouched" "$(curl -s "$TGT/mode/:.source:")" '{"mode":"READWRITE"}'
slctl get links -f "$W/m"
expect_match "local writes: get shows the reason" "$OUT" "src-to-tgt .* False +DestinationHasLocalWrites"
t_done
