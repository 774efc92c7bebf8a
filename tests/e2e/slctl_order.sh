#!/usr/bin/env bash
# The order slctl reconciles in (docs/internals/manifests.md §3): Registries, Contexts and
# Subjects first, then the SchemaLinks one of each source registry in turn (by name within
# each), so a sequential apply spends every source's request budget at once. Two Registry
# names at one URL are one registry (one budget): their links share a turn.
source "$(dirname "$0")/../lib.sh"

srlite_start a || exit 1
A=$URL
srlite_start b || exit 1
B=$URL
srlite_start t || exit 1
T=$URL
M=$T_TMP/m
mkdir -p "$M"
reg() { printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: %s}\nspec: {url: "%s"}\n' "$1" "$2"; }
link() { printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: %s}\nspec: {source: %s, destination: target, subjects: ["%s-value"], context: {type: CUSTOM, name: %s}}\n' "$1" "$2" "$1" "$1"; }
{
	reg src-a "$A"
	reg src-a-alias "${A%/}/"
	reg src-b "$B"
	reg target "$T"
	link a1 src-a; link a2 src-a-alias; link a3 src-a; link a4 src-a
	link b1 src-b; link b2 src-b
} >"$M/all.yaml"

run slctl apply -f "$M" --state-dir "$T_TMP/state"
expect_eq "apply succeeds" "$RC" 0
expect_eq "Registries first, then the links one source at a time, by name within each" \
	"$(cut -d: -f1 <<<"$OUT" | tr '\n' ' ')" \
	"Registry/src-a Registry/src-a-alias Registry/src-b Registry/target SchemaLink/a1 SchemaLink/b1 SchemaLink/a2 SchemaLink/b2 SchemaLink/a3 SchemaLink/a4 "
run slctl diff -f "$M" --state-dir "$T_TMP/state" -o json
expect_eq "diff plans in the same order" "$(jq -r '.[].key' <<<"$OUT" 2>/dev/null | tr '\n' ' ')" \
	"Registry/src-a Registry/src-a-alias Registry/src-b Registry/target SchemaLink/a1 SchemaLink/b1 SchemaLink/a2 SchemaLink/b2 SchemaLink/a3 SchemaLink/a4 "
t_done
