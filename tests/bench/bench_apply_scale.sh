#!/usr/bin/env bash
# bench_apply_scale.sh — `slctl apply` convergence from scratch with N links (default 100,
# 1,000 and 10,000), then a second, no-op apply. Figures are printed, never asserted.
#
# For each N everything is fresh: new in-memory srlite processes, a new manifest directory,
# a new --state-dir, --set bench.
#   - ceil(N/1000) source srlite processes (10 for 10,000 links: convergence across several
#     registries, each with its own budget), each with its own Registry manifest (src-K);
#     link i runs on src-(i/1000).
#   - One destination srlite. Every link's destination Registry has its url, so the
#     destination modes slctl reads and sets (IMPORT on :.src-K:) are all on that process.
#   - Each SchemaLink has its own single subject (s-NNNNN), the default context (CUSTOM, the
#     source Registry's name) and the default destinationMode (Import).
#   - Data path: a running exporter keeps a connection open to the registry it writes to, and
#     an srlite serves at most 512 connections (beyond that, connections are refused and the
#     exporters pause after their retry window, which would make the "no-op" apply heal them
#     and let slctl's own requests to the destination be refused). So the destination is
#     declared as ceil(N/400) Registry manifests (dst-J) with the same url and each its own
#     linkUrl: an srlite "sink" that only the exporters talk to (they set IMPORT there on
#     their first start). slctl never talks to a linkUrl, and the request counters below are
#     read from the sources and the destination only: they see slctl's requests and nothing
#     else.
# Per apply: wall seconds; CPU seconds of the slctl process (user+sys from /usr/bin/time);
# CPU ms per link; GET and write (POST+PUT+DELETE) requests summed over srlite's counters
# (GET /_srlite/requests, which does not count itself); slctl's exit code. Each apply runs
# under `timeout $TIMEOUT` (default 600 s); one that runs out prints "timeout" and the
# no-op apply of that N is skipped, as it is after manifest errors (exit 2: the first error
# is printed under the row). Between the two applies (outside both measurements) the
# script waits, at most $SETTLE seconds (default 120), until every exporter is RUNNING, so
# the second apply finds nothing to do.
# N=10,000 is 10,000 SchemaLinks plus 35 Registries, within the loader's 50,000 objects per
# load (SL_MANIFEST_MAX_OBJECTS).
# LIMITS=floor (default) gives every Registry rateLimit 0 (the HTTP floor); LIMITS=default
# leaves rateLimit out, so each registry gets the default budget (50 reads and 20 writes a
# second, docs/internals/operations.md "Rate limits") and the apply's time is bounded by it.
# Environment: SL_BINDIR (default bin/), NS="100 1000 10000", TIMEOUT=600, SETTLE=120, LIMITS.
# Everything listens on 127.0.0.1; every process started here is stopped per N and on exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
export SL_BINDIR=${SL_BINDIR:-$(pwd)/bin}
source tests/lib.sh # free_port, srlite_start, T_PIDS, T_TMP and their cleanup on exit
export LC_ALL=C
NS=${NS:-100 1000 10000}
TIMEOUT=${TIMEOUT:-600}
SETTLE=${SETTLE:-120}
LIMITS=${LIMITS:-floor}
case $LIMITS in floor | default) ;; *) echo "bench_apply_scale: LIMITS is floor or default, not $LIMITS" >&2; exit 2 ;; esac
PER_SOURCE=1000 # links per source registry
PER_SINK=400    # exporters per sink, below srlite's 512 connections

CHILD= # the running `timeout` (its own process group: killing it stops slctl too)
bench_cleanup() {
	[ -n "$CHILD" ] && kill "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
	t_cleanup
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# stop_all: stops every srlite of this N (by pid) and forgets them.
stop_all() {
	local p
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	T_PIDS=()
}

# counts: prints "GET WRITES" summed over the counters of COUNTED (sources + destination).
counts() {
	local u
	for u in "${COUNTED[@]}"; do curl -s "$u/_srlite/requests"; echo; done |
		jq -s -r '"\(map(.GET) | add) \(map(.POST + .PUT + .DELETE) | add)"'
}

# apply_phase N: one `slctl apply` under timeout and /usr/bin/time. Sets WALL (s), CPU (s),
# MSPL (CPU ms per link), G, WR and RC; WALL is "timeout" when it ran out.
apply_phase() {
	local n=$1 g0 w0 g1 w1 t0 t1
	read -r g0 w0 < <(counts)
	t0=$(date +%s%N)
	timeout "$TIMEOUT" /usr/bin/time -f '%U %S' -o "$T_TMP/time" \
		"$SL_BINDIR/slctl" apply -f "$M" --state-dir "$STATE" --set bench \
		>"$T_TMP/apply.out" 2>"$T_TMP/apply.err" &
	CHILD=$!
	wait "$CHILD"
	RC=$?
	CHILD=
	t1=$(date +%s%N)
	read -r g1 w1 < <(counts)
	G=$((g1 - g0)) WR=$((w1 - w0))
	if [ "$RC" = 124 ]; then
		WALL=timeout CPU=- MSPL=-
		return
	fi
	WALL=$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.2f", d / 1e9}')
	CPU=$(tail -1 "$T_TMP/time" | awk '{printf "%.2f", $1 + $2}')
	MSPL=$(awk -v c="$CPU" -v n="$n" 'BEGIN {printf "%.3f", c * 1000 / n}')
}

# settle N: waits until every exporter is RUNNING (at most SETTLE s); prints what it saw.
settle() {
	python3 - "$1" "$PER_SOURCE" "$SETTLE" "${SOURCES[@]}" <<'PY'
import http.client, json, sys, time
n, per, limit = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
hosts = [u.split("//")[1].split(":") for u in sys.argv[4:]]
conns = [http.client.HTTPConnection(*h, timeout=10) for h in hosts]
def state(i):
    k = i // per
    try:
        conns[k].request("GET", "/exporters/link-%05d/status" % i)
        r = conns[k].getresponse()
        body = r.read()
        return json.loads(body).get("state", "?") if r.status == 200 else "HTTP %d" % r.status
    except (OSError, http.client.HTTPException, ValueError) as e:
        conns[k].close()
        conns[k] = http.client.HTTPConnection(*hosts[k], timeout=10)
        return type(e).__name__
t0 = time.monotonic()
pending = list(range(n))
states = {}
while True:
    left = []
    states = {}
    for i in pending:
        s = state(i)
        states[s] = states.get(s, 0) + 1
        if s != "RUNNING":
            left.append(i)
    pending = left
    if not pending or time.monotonic() - t0 > limit:
        break
    time.sleep(0.2)
msg = "all %d RUNNING" % n if not pending else "%d not RUNNING: %s" % (len(pending), states)
print("%s after %.1f s" % (msg, time.monotonic() - t0))
PY
}

printf 'slctl apply from scratch (%s cores; --set bench, fresh --state-dir and srlite processes per N; timeout %s s per apply; request budgets: %s)\n' \
	"$(nproc)" "$TIMEOUT" "$([ "$LIMITS" = floor ] && echo 'none, the HTTP floor' || echo 'the defaults, 50 reads and 20 writes a second per registry')"
row() { printf '%6s %4s %5s | %9s %8s %9s %6s %6s %4s | %9s %8s %9s %6s %6s %4s\n' "$@"; }
# failed WHAT: the first lines slctl printed on stderr, when it exited neither 0 nor 124.
failed() {
	[ "$RC" = 0 ] || [ "$RC" = 124 ] ||
		NOTES+=("$1 exit $RC: $(grep -v -e '^Command exited' -e ': warning: ' "$T_TMP/apply.err" |
			head -2 | tr '\n' ' ')")
}
# dead: a note for each srlite of this N that is no longer running, with its exit status
# and the end of its log (an unreachable registry is then explained, not just counted). A
# reaped pid leaves T_PIDS, so no later kill can reach a process that reused it.
dead() {
	local name pid st p keep
	for name in "${NAMES[@]}"; do
		pid=$(eval echo "\$PID_$name")
		kill -0 "$pid" 2>/dev/null && continue
		wait "$pid" 2>/dev/null
		st=$?
		NOTES+=("srlite $name exited with status $st: $(tail -2 "$T_TMP/$name.log" | tr '\n' ' ')")
		keep=()
		for p in "${T_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
		T_PIDS=("${keep[@]}")
	done
}
row N src sinks "apply s" "CPU s" "CPU ms/l" GET writes rc "no-op s" "CPU s" "CPU ms/l" GET writes rc
for n in $NS; do
	nsrc=$(( (n + PER_SOURCE - 1) / PER_SOURCE ))
	nsink=$(( (n + PER_SINK - 1) / PER_SINK ))
	M=$T_TMP/m$n STATE=$T_TMP/state$n
	mkdir -p "$M" "$STATE"
	SOURCES=() SINKS=() NAMES=(dst)
	for ((k = 0; k < nsrc; k++)); do
		srlite_start "src$k" --enable-fault-injection || exit 1
		SOURCES+=("$URL") NAMES+=("src$k")
	done
	srlite_start dst --enable-fault-injection || exit 1
	DST=$URL
	for ((k = 0; k < nsink; k++)); do
		srlite_start "sink$k" || exit 1
		SINKS+=("$URL") NAMES+=("sink$k")
	done
	COUNTED=("${SOURCES[@]}" "$DST")
	LIMITS=$LIMITS python3 tests/bench/scale_manifests.py "$M" "$n" "$PER_SOURCE" "$PER_SINK" \
		"$DST" "${#SOURCES[@]}" "${SOURCES[@]}" "${SINKS[@]}"
	NOTES=()
	apply_phase "$n"
	a=("$WALL" "$CPU" "$MSPL" "$G" "$WR" "$RC")
	failed apply
	if [ "$RC" = 124 ] || [ "$RC" = 2 ]; then
		b=(skipped - - - - -)
	else
		NOTES+=("exporters before the no-op apply: $(settle "$n")")
		apply_phase "$n"
		b=("$WALL" "$CPU" "$MSPL" "$G" "$WR" "$RC")
		failed "no-op apply"
	fi
	dead
	row "$n" "$nsrc" "$nsink" "${a[@]}" "${b[@]}"
	for note in "${NOTES[@]}"; do echo "        ($note)"; done
	stop_all
	rm -rf "$M" "$STATE"
done
