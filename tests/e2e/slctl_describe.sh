#!/usr/bin/env bash
# slctl describe prints the live exporter's info as one JSON object, whatever its values hold:
# a config value with '"', '\' and a tab parses back to the same value.
source "$(dirname "$0")/../lib.sh"

W=$T_TMP/w
mkdir -p "$W/state" "$W/m"
srlite_start src || exit 1
SRC=$URL
srlite_start dst || exit 1
DST=$URL

cat >"$W/m/m.yaml" <<EOF2
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec: {url: $SRC}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: target}
spec: {url: $DST}
---
apiVersion: schemalink.io/v1alpha1
kind: SchemaLink
metadata: {name: quoted}
spec:
  source: source
  destination: target
  subjects: ["a-value"]
  context: {type: CUSTOM, name: source}
  config:
    x.note: "say \"hi\"\tand \\\\ back"
EOF2

run slctl apply -f "$W/m" --state-dir "$W/state" --wait --timeout 20s
expect_eq "apply: the link with a quoted config value is Ready" "$RC" 0
run slctl describe link quoted -f "$W/m" --state-dir "$W/state"
expect_eq "describe exits 0" "$RC" 0
info=$(printf '%s\n' "$OUT" | sed -n 's/^  info: *//p')
got=$(printf '%s' "$info" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["config"]["x.note"]))' 2>&1)
expect_eq "describe: info is JSON and keeps the value" "$got" '"say \"hi\"\tand \\ back"'
t_done
