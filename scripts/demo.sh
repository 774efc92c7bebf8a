#!/usr/bin/env bash
# make demo: the walkthrough's three Schema Linking setups on one machine, narrated.
# Two srlite registries stand in for the walkthrough's Docker containers; schemalinkd runs each
# example of examples/ in turn (copied to a temporary folder, its Registry URLs pointed at the
# registries' free ports). Everything started here is stopped on exit.
set -u
cd "$(dirname "$0")/.."
BINDIR=$(cd "${BINDIR:-bin}" && pwd)
export SL_BINDIR=$BINDIR
source tests/lib.sh
CT='Content-Type: application/vnd.schemaregistry.v1+json'
PAGEVIEWS='{"type":"record","name":"pageviews","namespace":"ksql","fields":[{"name":"viewtime","type":"long"},{"name":"userid","type":"string"},{"name":"pageid","type":"string"}]}'
STOCK='{"type":"record","name":"StockTrade","namespace":"ksql","fields":[{"name":"side","type":"string"},{"name":"quantity","type":"int"},{"name":"symbol","type":"string"},{"name":"price","type":"int"},{"name":"account","type":"string"},{"name":"userid","type":"string"}]}'
start_s=$(date +%s)

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() {
	local out
	printf '  $ %s\n' "$*"
	out=$("$@" 2>&1)
	printf '%s\n' "$out" | sed 's/^/    /'
}
die() { echo "demo: $*" >&2; exit 1; }
register() { # URL SUBJECT SCHEMA
	local body
	body=$(python3 -c 'import json,sys; print(json.dumps({"schema": sys.argv[1]}))' "$3")
	curl -s -H "$CT" --data "$body" "$1/subjects/$2/versions"
}
# wait_for SECONDS DESCRIPTION COMMAND...: polls until COMMAND succeeds.
wait_for() {
	local secs=$1 what=$2 i; shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "timed out after ${secs}s waiting for $what"
}
link_field() { # DAEMON_URL LINK FIELD: a field of the link's status (python, no jq needed)
	curl -s "$1/status/SchemaLink/$2" | python3 -c '
import json, sys
st = json.load(sys.stdin)
field = sys.argv[1]
if field in ("Ready", "Stalled", "Reconciling"):
    c = [c for c in st.get("conditions", []) if c["type"] == field][0]
    print(c["status"], c.get("reason") or "-", c.get("errorCode") or "")
else:
    print(st.get("exporter", {}).get(field, ""))' "$3"
}
# exporter_status URL NAME: the exporter's status as schema-exporter --get-status shows it, with
# only the first line of a trace (the Java stack below it says nothing more).
exporter_status() {
	curl -s "$1/exporters/$2/status" | python3 -c '
import json, sys
st = json.load(sys.stdin)
trace = st.pop("trace", "")
print(json.dumps(st, separators=(",", ":")))
if trace:
    print("trace: " + trace.splitlines()[0])'
}
ready() { [ "$(link_field "$1" "$2" Ready | cut -d' ' -f1)" = True ]; }

# --- the two registries ----------------------------------------------------------------------
srlite_start src || die "srlite did not start"
SRC=$URL; SRC_PORT=$PORT
srlite_start tgt || die "srlite did not start"
TGT=$URL; TGT_PORT=$PORT
fresh_registries() {
	kill "$PID_src" "$PID_tgt" 2>/dev/null; wait "$PID_src" "$PID_tgt" 2>/dev/null
	sl_start src srlite --listen "127.0.0.1:$SRC_PORT"
	sl_start tgt srlite --listen "127.0.0.1:$TGT_PORT"
	wait_http "$SRC/" && wait_http "$TGT/" || die "srlite did not restart"
}

# run_example NAME: copies examples/NAME, points it at our registries, starts schemalinkd.
run_example() {
	local name=$1
	EX="$T_TMP/$name"
	STATE="$T_TMP/state-$name"
	mkdir -p "$EX"
	cp "examples/$name"/*.yaml "$EX/"
	sed -i -e "s#127.0.0.1:8081#127.0.0.1:$SRC_PORT#g" -e "s#127.0.0.1:8082#127.0.0.1:$TGT_PORT#g" "$EX"/*.yaml
	DPORT=$(free_port); D="http://127.0.0.1:$DPORT"
	local var=${name//-/_}
	sl_start "d_$var" schemalinkd --manifests "$EX" --state-dir "$STATE" \
		--listen "127.0.0.1:$DPORT"
	eval "DPID=\$PID_d_$var"
	wait_http "$D/livez" || die "schemalinkd did not start"
}
stop_example() {
	kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null
}
# slctl reads the same state dir as the daemon (same inventory and heal history).
slctl_get() { (cd "$EX" && "$BINDIR/slctl" get links -f . --state-dir "$STATE" 2>/dev/null); }

echo "schemalink demo: the Schema Linking walkthrough on two srlite registries"
echo "  source registry: $SRC   (the walkthrough's localhost:8081)"
echo "  target registry: $TGT   (the walkthrough's localhost:8082)"

# --- 1. active/passive -----------------------------------------------------------------------
say "1. Active/passive (examples/active-passive): copy source's subjects to target, ids kept"
register "$SRC" pageviews-value "$PAGEVIEWS" >/dev/null
run_example active-passive
sed 's/^/    /' "$EX/links.yaml" | grep -v '^    #'
wait_for 20 "src-to-tgt-link to be Ready" ready "$D" src-to-tgt-link
show curl -s "$SRC/subjects/"
wait_for 10 "pageviews-value on target" sh -c "curl -s '$TGT/subjects/' | grep -q pageviews-value"
show curl -s "$TGT/subjects/"
a=$(curl -s "$SRC/subjects/pageviews-value/versions/1" | md5sum | cut -d' ' -f1)
b=$(curl -s "$TGT/subjects/pageviews-value/versions/1" | md5sum | cut -d' ' -f1)
echo "  md5 of /subjects/pageviews-value/versions/1: source $a, target $b"
[ "$a" = "$b" ] || die "versions differ between source and target"
echo "  identical, as in the walkthrough"
show curl -s "$TGT/mode"
show slctl_get

say "   A person flips target's mode by hand, and the next export fails with 42205; schemalink heals it"
show curl -s -X PUT -H "$CT" --data '{"mode":"READWRITE"}' "$TGT/mode?force=true"
register "$SRC" clicks-value '{"type":"record","name":"clicks","fields":[{"name":"ts","type":"long"}]}' >/dev/null
wait_for 20 "IMPORT restored on target" sh -c "curl -s '$TGT/mode' | grep -q IMPORT"
wait_for 20 "clicks-value on target" sh -c "curl -s '$TGT/subjects/' | grep -q clicks-value"
show curl -s "$TGT/mode"
show curl -s "$TGT/subjects/"
echo "  heal history:"
curl -s "$D/status/SchemaLink/src-to-tgt-link" | python3 -c '
import json, sys
for h in json.load(sys.stdin).get("history", []):
    print("    %s  %s: %s" % (h.get("time", ""), h.get("reason", ""), h.get("action", "")))'
stop_example
fresh_registries

# --- 2. active/active, specific subjects -----------------------------------------------------
say "2. Active/active with specific subjects (examples/active-active-subjects)"
register "$SRC" pageviews-value "$PAGEVIEWS" >/dev/null
register "$TGT" stock_trades-value "$STOCK" >/dev/null
run_example active-active-subjects
wait_for 20 "both links Ready" sh -c "$(declare -f link_field ready); ready '$D' src-to-tgt-link && ready '$D' tgt-to-src-link"
wait_for 10 "subjects on both sides" sh -c "curl -s '$TGT/subjects/' | grep -q ':.source:pageviews-value' && curl -s '$SRC/subjects/' | grep -q ':.target:stock_trades-value'"
show curl -s "$SRC/subjects/"
show curl -s "$TGT/subjects/"
show curl -s "$SRC/contexts"
show curl -s "$TGT/contexts"
show curl -s "$TGT/subjects/:.source:pageviews-value/versions/1"
show slctl_get
stop_example
fresh_registries

# --- 3. active/active, replicated contexts: the loop -----------------------------------------
say "3. Active/active with replicated contexts (examples/active-active-contexts)"
echo "  Both links keep the default subjects [\"*\"]; slctl validate warns before anything runs:"
(cd "examples/active-active-contexts" && "$BINDIR/slctl" validate -f . 2>&1 | sed 's/^/    /' | cut -c1-160)
register "$SRC" pageviews-value "$PAGEVIEWS" >/dev/null
register "$TGT" stock_trades-value "$STOCK" >/dev/null
run_example active-active-contexts
stalled_loop() { [ "$(link_field "$D" src-to-tgt-link Stalled | cut -d' ' -f2)" = ReplicationLoop ]; }
wait_for 30 "the loop to be diagnosed" stalled_loop
show exporter_status "$SRC" src-to-tgt-link
show slctl_get
echo "  schemalink's diagnosis:"
(cd "$EX" && "$BINDIR/slctl" describe link src-to-tgt-link -f . --state-dir "$STATE" 2>/dev/null | sed 's/^/    /')
echo "  It does not set IMPORT on target's .source.target: that would let contexts nest again."
show curl -s "$TGT/mode/:.source.target:"

say "   The fix: export only what each registry owns (subjects [\":.:*\"]), saved into the watched folder"
sed -i 's/^  destination: \(.*\)$/  destination: \1\n  subjects: [":.:*"]/' "$EX/links.yaml"
grep -n 'subjects' "$EX/links.yaml" | sed 's/^/    /'
wait_for 30 "both links Ready after the fix" sh -c "$(declare -f link_field ready); ready '$D' src-to-tgt-link && ready '$D' tgt-to-src-link"
show exporter_status "$SRC" src-to-tgt-link
show exporter_status "$TGT" tgt-to-src-link
show slctl_get
stop_example

echo
echo "demo: done in $(( $(date +%s) - start_s ))s"
