#!/usr/bin/env bash
# The walkthrough's replicated contexts with only src-to-tgt-link in the manifests: its peer
# tgt-to-src-link runs on the destination, made by hand (or another team's manifests). The
# peer found live makes .target an import context in every path: diff, apply and describe
# never plan or set IMPORT on .source.target, and the 42205 there is a ReplicationLoop.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

srlite_start src || exit 1
SRC=$URL
srlite_start tgt || exit 1
TGT=$URL
M=$T_TMP/m
mkdir -p "$M"
write_srlite_regs "$M/registries.yaml" "$SRC" "$TGT"
cat >"$M/link.yaml" <<'EOF'
apiVersion: schemalink.io/v1alpha1
kind: SchemaLink
metadata: {name: src-to-tgt-link}
spec: {source: source, destination: target, context: {type: CUSTOM, name: source}}
EOF
register "$SRC" pageviews-value '"string"'
register "$TGT" stock_trades-value '"int"'
# The peer, by hand on the target: IMPORT on .target of the source, then the exporter.
curl -s -X PUT -H 'Content-Type: application/json' -d '{"mode":"IMPORT"}' "$SRC/mode/:.target:" >/dev/null
curl -s -X POST -H 'Content-Type: application/json' \
	-d "{\"name\":\"tgt-to-src-link\",\"contextType\":\"CUSTOM\",\"context\":\"target\",\"subjects\":[\"*\"],\"config\":{\"schema.registry.url\":\"$SRC\"}}" \
	"$TGT/exporters" >/dev/null
wait_until "the peer copied stock_trades-value into the source's .target" 10 \
	'[ "$(curl -s "$SRC/subjects/:.target:stock_trades-value/versions")" = "[1]" ]'
nested() { curl -s "$TGT/mode/:.source.target:?defaultToGlobal=false" | grep -c IMPORT; }

run slctl diff -f "$M" --state-dir "$T_TMP/state" --set t
expect_no_match "diff: no IMPORT planned on .source.target" "$OUT" "source\\.target"
expect_match "diff: IMPORT planned on .source (the link's own context)" "$OUT" "set mode IMPORT on context .source of target"
run slctl apply -f "$M" --state-dir "$T_TMP/state" --set t
expect_eq "apply: no IMPORT on .source.target" "$(nested)" 0
wait_until "the exporter stops on the loop (42205)" 10 \
	'curl -s "$SRC/exporters/src-to-tgt-link/status" | grep -q 42205'
run slctl diff -f "$M" --state-dir "$T_TMP/state" --set t
expect_match "diff: ReplicationLoop, naming the live peer" "$ERR" "ReplicationLoop \\(error code 42205\\).*tgt-to-src-link"
expect_no_match "diff: still no IMPORT planned on .source.target" "$OUT" "source\\.target"
run slctl apply -f "$M" --state-dir "$T_TMP/state" --set t
expect_match "apply: stalled as ReplicationLoop, not healed" "$OUT" "stalled: ReplicationLoop"
expect_eq "apply: still no IMPORT on .source.target" "$(nested)" 0
run slctl describe link src-to-tgt-link -f "$M" --state-dir "$T_TMP/state" --set t
expect_match "describe: ReplicationLoop" "$OUT" "ReplicationLoop"
expect_no_match "describe: no self-heal of the loop in the history" "$OUT" "ImportModeRequired"
# After export: manifests made from what lives on the source (the link alone), the same.
run slctl export --registry source -f "$M" --state-dir "$T_TMP/state" --set t
mkdir -p "$T_TMP/exported"
cp "$M/registries.yaml" "$T_TMP/exported/"
printf '%s\n' "$OUT" | sed '/^kind: Registry$/,/^---$/d' >"$T_TMP/exported/links.yaml"
run slctl diff -f "$T_TMP/exported" --state-dir "$T_TMP/state-exported" --set e
expect_no_match "after export: no IMPORT planned on .source.target" "$OUT" "source\\.target"
expect_match "after export: ReplicationLoop" "$ERR" "ReplicationLoop.*tgt-to-src-link"
# A daemon on the same manifests: the same verdict, no IMPORT there either.
de_start d "$M" --state-dir "$T_TMP/state-d" --set t --resync 1s
wait_until "schemalinkd: ReplicationLoop" 10 \
	'[ "$(cond SchemaLink/src-to-tgt-link Ready | cut -d" " -f2)" = ReplicationLoop ]'
sleep 1.5
expect_eq "schemalinkd: no IMPORT on .source.target" "$(nested)" 0
t_done
