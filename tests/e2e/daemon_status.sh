#!/usr/bin/env bash
# schemalinkd's GET /status with the real engine against two srlite processes
# (docs/internals/operations.md "Status endpoint"): 30 links, two of them stalled on a READONLY
# destination context, read page by page through "continue"; the kind=, reason= and notReady=
# filters find what they should; an unparameterised GET keeps the old shape; a bad value or an
# unknown parameter is a 400 that names the parameter and the value.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

N=30
srlite_start src || exit 1
SRC=$URL
srlite_start tgt || exit 1
TGT=$URL
M=$T_TMP/m
mkdir -p "$M"
write_srlite_regs "$M/registries.yaml" "$SRC" "$TGT"
for i in $(seq -w $N); do
	printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: l%s}\nspec: {source: source, destination: target, subjects: ["s%s-value"], context: {type: CUSTOM, name: c%s}}\n' \
		"$i" "$i" "$i"
done >"$M/links.yaml"
# Two links whose destination context is READONLY: Stalled, DestinationReadOnly, for good.
for c in c05 c17; do
	curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{"mode":"READONLY"}' \
		"$TGT/mode/:.$c:?force=true"
done

de_start d "$M" --resync 10m
# summary QUERY: "total matched limit continue|- name,name,..." of GET /status?QUERY.
summary() {
	curl -s "$D_URL/status?$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["total"], d["matched"], d["limit"], d.get("continue") or "-",
      ",".join(o["kind"] + "/" + o["name"] for o in d["objects"]))'
}
# Every object Ready but the two stalled ones.
wait_until "converged: only the two stalled links are not Ready" 60 \
	'[ "$(summary notReady=true)" = "32 2 500 - SchemaLink/l05,SchemaLink/l17" ]'
expect_eq "l05 stalled on the READONLY context" "$(cond SchemaLink/l05 Stalled)" "True DestinationReadOnly -"

# --- pages ----------------------------------------------------------------------------------
all=$(python3 -c 'print(",".join(["Registry/source", "Registry/target"] + ["SchemaLink/l%02d" % i for i in range(1, 31)]))')
walk() { # QUERY: follows "continue" from page to page; prints "PAGES names" and checks each page
	python3 - "$D_URL" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
base, query = sys.argv[1], sys.argv[2]
names, pages, token = [], 0, None
while True:
    q = query + ("&continue=" + urllib.parse.quote(token) if token else "")
    d = json.load(urllib.request.urlopen(base + "/status?" + q))
    pages += 1
    objs = [o["kind"] + "/" + o["name"] for o in d["objects"]]
    names += objs
    token = d.get("continue")
    if token is not None and (len(objs) != d["limit"] or token != objs[-1]):
        sys.exit("page %d: continue %r after %d of %d objects" % (pages, token, len(objs), d["limit"]))
    if token is None:
        break
print(pages, ",".join(names))
PY
}
expect_eq "limit=7: every object once, in key order, over 5 pages" "$(walk limit=7)" "5 $all"
expect_eq "a page says total, matched, limit and where to go on" "$(summary limit=7)" \
	"32 32 7 SchemaLink/l05 Registry/source,Registry/target,SchemaLink/l01,SchemaLink/l02,SchemaLink/l03,SchemaLink/l04,SchemaLink/l05"
expect_eq "limit=32: one page, no continue" "$(walk limit=32)" "1 $all"
expect_eq "a continue whose object is gone still goes on after it" \
	"$(summary 'limit=2&continue=SchemaLink/l05x')" "32 32 2 SchemaLink/l07 SchemaLink/l06,SchemaLink/l07"
# Unparameterised: the shape it always had ("objects"), every object, no continuation.
st=$(curl -s "$D_URL/status")
expect_eq "GET /status: all 32 objects, no continue" "$(printf '%s' "$st" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(len(d["objects"]), "continue" in d, d["limit"])')" "32 False 500"
expect_match "GET /status still lists conditions" "$st" '"type": "Ready"'

# --- filters --------------------------------------------------------------------------------
expect_eq "reason=DestinationReadOnly finds the stalled links" "$(summary reason=DestinationReadOnly)" \
	"32 2 500 - SchemaLink/l05,SchemaLink/l17"
expect_eq "reason matches in any case" "$(summary reason=destinationreadonly)" \
	"32 2 500 - SchemaLink/l05,SchemaLink/l17"
expect_eq "kind=Registry" "$(summary kind=Registry)" "32 2 500 - Registry/source,Registry/target"
expect_eq "kind=registry (any case)" "$(summary kind=registry)" "32 2 500 - Registry/source,Registry/target"
expect_eq "kind=Registry&notReady=true: none" "$(summary 'kind=Registry&notReady=true')" "32 0 500 - "
expect_eq "filters page too: first of two" "$(summary 'kind=SchemaLink&notReady=true&limit=1')" \
	"32 2 1 SchemaLink/l05 SchemaLink/l05"
expect_eq "filters page too: second of two" \
	"$(summary 'kind=SchemaLink&notReady=true&limit=1&continue=SchemaLink/l05')" "32 2 1 - SchemaLink/l17"
expect_eq "notReady=false filters nothing" "$(walk 'notReady=false&limit=10')" "4 $all"

# --- bad parameters -------------------------------------------------------------------------
bad() { # QUERY WHAT: 400 with a JSON error naming the parameter and the value
	local body code
	body=$(curl -s -w '\n%{http_code}' "$D_URL/status?$1")
	code=${body##*$'\n'}
	body=${body%$'\n'*}
	expect_eq "?$1: 400" "$code" 400
	expect_match "?$1: the error names $2" "$(printf '%s' "$body" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["error_code"], d["message"])')" "^400 .*$2"
}
bad limit=abc 'limit="abc"'
bad limit=0 'limit="0"'
bad limit=2001 'limit="2001": must be a whole number from 1 to 2000'
bad notReady=maybe 'notReady="maybe": must be true or false'
bad 'kind=Links' 'kind="Links"'
bad 'continue=nope' 'continue="nope"'
bad 'reason=' 'reason=""'
bad 'notready=true' 'unknown query parameter "notready"="true"'
bad 'limit=5&foo=bar' 'unknown query parameter "foo"="bar"'
expect_eq "/status/SchemaLink/l05 still answers" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$D_URL/status/SchemaLink/l05")" 200
t_done
