#!/usr/bin/env bash
# Reading ahead (docs/internals/operations.md "Reading ahead"): slctl reads what the next
# links of a pass need side by side, and still makes exactly the no-op budget's requests, each
# once, with no answer used after a write made it stale. 150 links (more than one read-ahead
# window) from one source into two Registry names for one destination URL (their exporters
# write to a third registry, the linkUrl, so the destination's counters see slctl alone);
# links 2k and 2k+1 share a destination context, one through each Registry name.
source "$(dirname "$0")/../lib.sh"

srlite_start src --enable-fault-injection || exit 1
SRC=$URL
srlite_start dst --enable-fault-injection || exit 1
DST=$URL
srlite_start sink || exit 1
SINK=$URL
N=150
M=$T_TMP/m
mkdir -p "$M"
{
	printf 'apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: source}\nspec: {url: "%s"}\n' "$SRC"
	for t in a b; do
		printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: target-%s}\nspec: {url: "%s", linkUrl: "%s"}\n' "$t" "$DST" "$SINK"
	done
	for ((i = 0; i < N; i++)); do
		printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: link-%05d}\nspec: {source: source, destination: target-%s, subjects: [s%05d-value], context: {type: CUSTOM, name: c%05d}}\n' \
			"$i" "$([ $((i % 2)) -eq 0 ] && echo a || echo b)" "$i" $((i / 2))
	done
} >"$M/all.yaml"
S=(-f "$M" --state-dir "$T_TMP/state")

run slctl apply "${S[@]}" --wait --timeout 60s
expect_eq "apply --wait converges" "$RC" 0
requests() { curl -s --max-time 5 "$1/_srlite/requests"; }
reset() { curl -s --max-time 5 -o /dev/null -X DELETE "$SRC/_srlite/requests"; curl -s --max-time 5 -o /dev/null -X DELETE "$DST/_srlite/requests"; }
# sum KEY: the count of KEY ("GET", "PUT" or a route such as "GET /mode/{}") on src and dst.
sum() {
	{ requests "$SRC"; echo; requests "$DST"; echo; } | python3 -c '
import json, sys
k = sys.argv[1]; t = 0
for line in sys.stdin:
    if line.strip():
        d = json.loads(line); t += d.get(k, d["routes"].get(k, 0))
print(t)' "$1"
}
writes() { echo $(( $(sum POST) + $(sum PUT) + $(sum DELETE) )); }

# The no-op: per link its exporter's info and status; per Registry name the mode of each
# scope its links manage (75 each); one exporter list per Registry.
reset
run slctl apply "${S[@]}"
expect_eq "no-op apply succeeds" "$RC" 0
expect_eq "no-op: the budget exactly (2/link + 150 scope reads + 3 lists)" "$(sum GET)" $((2 * N + N + 3))
expect_eq "no-op: each exporter's info read once" "$(sum 'GET /exporters/{}')" $N
expect_eq "no-op: each exporter's status read once" "$(sum 'GET /exporters/{}/status')" $N
expect_eq "no-op: each scope read once per Registry name" "$(sum 'GET /mode/{}')" $N
expect_eq "no-op: no writes" "$(writes)" 0
reset
run slctl diff "${S[@]}"
expect_eq "diff: no changes" "$RC" 0
expect_eq "diff: the same budget" "$(sum GET)" $((2 * N + N + 3))

# Someone flips a shared context out of IMPORT. Both links' passes read its mode ahead, the
# first link's repair writes it: the second, through the other Registry name, must not act
# on the answer read before that write.
curl -s --max-time 5 -o /dev/null -X PUT -H 'Content-Type: application/json' \
	--data '{"mode":"READWRITE"}' "$DST/mode/:.c00000:"
reset
run slctl apply "${S[@]}"
expect_eq "repair apply succeeds" "$RC" 0
expect_eq "the shared context is set to IMPORT once, not once per link" "$(sum 'PUT /mode/{}')" 1
expect_eq "and it is IMPORT" "$(curl -s --max-time 5 "$DST/mode/:.c00000:?defaultToGlobal=false" | jq -r .mode)" IMPORT
reset
run slctl apply "${S[@]}"
expect_eq "then a no-op again" "$(writes)" 0
t_done
