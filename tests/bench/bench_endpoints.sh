#!/usr/bin/env bash
# bench_endpoints.sh — what one GET of schemalinkd's /status and /metrics costs the daemon with
# N links (default 10,000; docs/internals/operations.md "Status endpoint"). Figures are
# printed, never asserted.
#
# Setup, after tests/bench/bench_apply_scale.sh: ceil(N/PER_SOURCE) source srlite processes
# (Registry src-K; link i runs on src-(i/PER_SOURCE)), one destination srlite, and
# ceil(N/PER_SINK) sinks: every destination Registry (dst-J) has the destination's url and its
# own linkUrl, an srlite that only the exporters write to, so no srlite holds more than its 512
# connections. Each link has its own subject (s-NNNNN) and the default context. STALL more
# links (default 10) write to a context of their own (ro-J) that is READONLY on the
# destination, so they stall with DestinationReadOnly: what ?notReady=true and ?reason= find.
# The daemon runs with the real engine, no request budget, --resync 1h and the fast check and
# the verification off, so once every object is settled nothing but the requests below costs
# it CPU (the idle line shows what does anyway).
#
# Per endpoint: CPU ms per request from the daemon's utime+stime (/proc/PID/stat) over REQS
# requests (default 20; one clock tick is 10 ms, so the resolution is 10/REQS ms), and the
# bytes of one answer; then one walk over every page of /status. Environment: SL_BINDIR
# (default bin/), N, STALL, REQS, PER_SOURCE (default 1000), PER_SINK (default 400), SETTLE
# (seconds to wait for convergence, default 900), HOLD (seconds to keep everything running
# afterwards, e.g. to profile the daemon with perf; default 0).
#
# Then the same /metrics after a verification round (each link has two more gauges then, one
# of them a Unix timestamp with a fraction): the daemon is stopped and started again on the
# same state directory with --verify-interval VERIFY (default 30s), and once the first round
# has run and the daemon has settled again, REQS requests are measured before the next round
# is due (VERIFY=0 skips this part). The CPU of that round is printed too.
set -u
cd "$(dirname "$0")/../.." || exit 1
export SL_BINDIR=${SL_BINDIR:-$(pwd)/bin}
source tests/lib.sh # free_port, srlite_start, sl_serve, T_PIDS, T_TMP and their cleanup
export LC_ALL=C
N=${N:-10000}
STALL=${STALL:-10}
REQS=${REQS:-20}
PER_SOURCE=${PER_SOURCE:-1000}
PER_SINK=${PER_SINK:-400}
SETTLE=${SETTLE:-900}
VERIFY=${VERIFY:-30s}
HZ=$(getconf CLK_TCK)

nsrc=$(( (N + PER_SOURCE - 1) / PER_SOURCE ))
nsink=$(( (N + PER_SINK - 1) / PER_SINK ))
M=$T_TMP/m
mkdir -p "$M"
SOURCES=() SINKS=()
for ((k = 0; k < nsrc; k++)); do
	srlite_start "src$k" || exit 1
	SOURCES+=("$URL")
done
srlite_start dst || exit 1
DST=$URL
for ((k = 0; k < nsink; k++)); do
	srlite_start "sink$k" || exit 1
	SINKS+=("$URL")
done
for ((j = 0; j < STALL; j++)); do
	curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{"mode":"READONLY"}' \
		"$DST/mode/:.ro-$j:?force=true"
done
python3 tests/bench/scale_manifests.py "$M" "$N" "$PER_SOURCE" "$PER_SINK" "$DST" "$nsrc" \
	"${SOURCES[@]}" "${SINKS[@]}"
for ((j = 0; j < STALL; j++)); do
	printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: stalled-%02d}\nspec: {source: src-0, destination: dst-0, subjects: [s-%05d], context: {type: CUSTOM, name: ro-%d}}\n' \
		"$j" $((N + j)) "$j"
done >"$M/stalled.yaml"

# daemon NAME VERIFY_INTERVAL: starts schemalinkd on the bench's state directory; sets D, DPID.
daemon() {
	sl_serve "$1" "$DAEMON_UP" schemalinkd --manifests "$M" --state-dir "$T_TMP/state" \
		--set bench --listen "127.0.0.1:@PORT@" --resync 1h --check-interval 0 \
		--verify-interval "$2" || { tail -5 "$T_TMP/$1.log"; exit 1; }
	D=http://127.0.0.1:$PORT
	DPID=PID_$1
	DPID=${!DPID}
}
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }
running() { # links whose exporter is RUNNING, from /metrics
	curl -s --max-time 30 "$D/metrics" | awk '/^schemalink_exporter_state\{.*state="RUNNING"\} 1$/ {n++} END {print n + 0}'
}
# converge: waits until every link runs; sets conv (seconds).
converge() {
	local t0
	t0=$(date +%s)
	while [ "$(running)" -lt "$N" ]; do
		sleep 1
		kill -0 "$DPID" 2>/dev/null || { echo "schemalinkd died"; exit 1; }
		[ $(( $(date +%s) - t0 )) -gt "$SETTLE" ] && { echo "not converged in $SETTLE s ($(running)/$N running)"; exit 1; }
	done
	conv=$(( $(date +%s) - t0 ))
}
# settle: waits until the daemon's CPU stands still for 2 s (the queue drained, the status
# flushed).
settle() {
	local c c2
	c=$(cpu_ticks "$DPID")
	while :; do
		sleep 2
		c2=$(cpu_ticks "$DPID")
		[ "$c2" = "$c" ] && break
		c=$c2
	done
}
daemon d 0
converge
settle
c0=$(cpu_ticks "$DPID")
sleep 2
idle=$(( $(cpu_ticks "$DPID") - c0 ))
printf 'schemalinkd with %d links + %d stalled, %d Registries (%d sources, %d sinks); converged in %d s; idle %.0f ms CPU in 2 s; %d requests per line, %s cores\n' \
	"$N" "$STALL" $(( nsrc + nsink )) "$nsrc" "$nsink" "$conv" \
	"$(awk -v d="$idle" -v hz="$HZ" 'BEGIN { print d * 1000 / hz }')" "$REQS" "$(nproc)"

# measure LABEL PATH: CPU ms per GET PATH over REQS requests, and the bytes of one answer.
measure() {
	local c0 c1 i code
	c0=$(cpu_ticks "$DPID")
	for ((i = 0; i < REQS; i++)); do
		code=$(curl -s --max-time 60 -o "$T_TMP/out" -w '%{http_code}' "$D$2")
	done
	c1=$(cpu_ticks "$DPID")
	printf '%-44s %7.1f ms CPU %10d bytes  HTTP %s\n' "$1" \
		"$(awk -v d=$(( c1 - c0 )) -v hz="$HZ" -v r="$REQS" 'BEGIN { print d * 1000 / hz / r }')" \
		"$(wc -c <"$T_TMP/out")" "$code"
}
measure "GET /status" /status
# What the answer says about the rest (the counts and the continuation, when there are any).
python3 - "$T_TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
extra = {k: d[k] for k in ("total", "matched", "limit") if k in d}
print("%-44s %s objects%s%s" % ("  (default page)", len(d.get("objects", [])),
      "".join(", %s %s" % kv for kv in extra.items()),
      ", continue %r" % d["continue"] if d.get("continue") else ", no continue"))
PY
measure "GET /status?notReady=true" "/status?notReady=true"
measure "GET /status?reason=DestinationReadOnly" "/status?reason=DestinationReadOnly"
measure "GET /status?kind=Registry" "/status?kind=Registry"
measure "GET /status?limit=2000 (the most)" "/status?limit=2000"
measure "GET /status/SchemaLink/link-00000" /status/SchemaLink/link-00000
measure "GET /metrics" /metrics
# Every page of /status, followed through "continue" (one walk, not REQS).
python3 - "$D" "$DPID" "$HZ" <<'PY'
import json, sys, urllib.parse, urllib.request
base, pid, hz = sys.argv[1], sys.argv[2], int(sys.argv[3])
def ticks():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
t0, pages, objs, size, tok = ticks(), 0, 0, 0, None
while True:
    q = "?continue=" + urllib.parse.quote(tok) if tok else ""
    body = urllib.request.urlopen(base + "/status" + q).read()
    d = json.loads(body)
    pages, objs, size = pages + 1, objs + len(d["objects"]), size + len(body)
    tok = d.get("continue")
    if not tok:
        break
ms = (ticks() - t0) * 1000.0 / hz
print("%-44s %7.1f ms CPU %10d bytes  (%d pages, %d objects, %.1f ms a page)"
      % ("every page of /status", ms, size, pages, objs, ms / pages))
PY
# /metrics again after a verification round, on a daemon started again with verification on.
verify_runs() {
	curl -s --max-time 30 "$D/metrics" | awk '/^schemalink_job_runs_total\{job="verify"\} / {n = $2} END {print n + 0}'
}
if [ "$VERIFY" != 0 ]; then
	kill "$DPID"
	wait "$DPID" 2>/dev/null
	# No longer ours: the cleanup on exit must not kill whatever has its pid by then.
	for i in "${!T_PIDS[@]}"; do [ "${T_PIDS[$i]}" = "$DPID" ] && unset "T_PIDS[$i]"; done
	T_PIDS=("${T_PIDS[@]}")
	daemon d2 "$VERIFY"
	converge
	settle
	c0=$(cpu_ticks "$DPID")
	t0=$(date +%s)
	while [ "$(verify_runs)" -lt 1 ]; do
		sleep 0.5
		[ $(( $(date +%s) - t0 )) -gt "$SETTLE" ] && { echo "no verification round in $SETTLE s"; exit 1; }
	done
	settle
	printf '%-44s %7.1f ms CPU (the round and what it queued, and the polling above)\n' \
		"verification round (--verify-interval $VERIFY)" \
		"$(awk -v d=$(( $(cpu_ticks "$DPID") - c0 )) -v hz="$HZ" 'BEGIN { print d * 1000 / hz }')"
	measure "GET /metrics after a verification round" /metrics
	printf '%-44s %s verified links in the answer, %s verification round(s)\n' "" \
		"$(grep -c '^schemalink_link_last_verified_timestamp_seconds{' "$T_TMP/out")" "$(verify_runs)"
fi
if [ "${HOLD:-0}" -gt 0 ]; then
	echo "holding for $HOLD s: daemon $D pid $DPID"
	sleep "$HOLD"
fi
