#!/usr/bin/env bash
# bench_engine.sh — cost of slctl's plan (diff), apply and a no-op apply right after, with N
# links (default 1, 100 and 1,000) between two srlite processes, measured with srlite's request
# counter (GET /_srlite/requests, which does not count itself). Each link is a CUSTOM exporter
# with its own destination context and one subject, so it manages one mode scope.
# The exporters write to other srlite processes (the target Registries' linkUrl), so the
# counters of the source and the target see slctl's requests only. Prints one line per phase and N:
#   engine N=<n> <phase>: <ms> ms, <cpu> ms CPU, GET <g> (<g/n> per link), writes <w> (...)
# and, for the no-op, the docs/internals/operations.md target: 2 GETs per link + 1 per managed scope + 1 list
# per registry, no writes.
# Environment: SL_BINDIR (default bin/), NS="1 100 1000" (make bench: "100 1000 10000").
set -u
cd "$(dirname "$0")/../.."
BIN=${SL_BINDIR:-bin}
NS=${NS:-1 100 1000}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/slbench.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # NAME: starts srlite with fault injection (its request counter) on a free port
	local p
	p=$(port)
	"$BIN/srlite" --listen "127.0.0.1:$p" --enable-fault-injection >"$TMP/$1.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$1=$! URL_$1=http://127.0.0.1:$p"
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/" && return 0; sleep 0.05; done
	echo "bench_engine: srlite $1 did not start" >&2
	exit 1
}
stop() { kill "$@" 2>/dev/null; wait "$@" 2>/dev/null; }
counts() { # prints "GET WRITES" summed over source and target
	{ curl -s "$URL_src/_srlite/requests"; echo; curl -s "$URL_tgt/_srlite/requests"; echo; } |
		python3 -c 'import json,sys
g=w=0
for line in sys.stdin:
    if line.strip():
        d=json.loads(line); g+=d["GET"]; w+=d["POST"]+d["PUT"]+d["DELETE"]
print(g, w)'
}
# measure CMD...: runs CMD (stdout to $TMP/out, stderr to $TMP/err) and writes "WALL_MS CPU_MS"
# to $TMP/time, both to the microsecond: the wall from fork to exit, the CPU the child's
# user + system time from wait4 (GNU time prints it in 10 ms steps, too coarse for a ratio).
measure() {
	python3 - "$TMP" "$@" <<'PY'
import os, subprocess, sys, time
d = sys.argv[1]
with open(d + "/out", "w") as out, open(d + "/err", "w") as err:
    t0 = time.monotonic()
    p = subprocess.Popen(sys.argv[2:], stdout=out, stderr=err)
    _, st, ru = os.wait4(p.pid, 0)
    t1 = time.monotonic()
open(d + "/time", "w").write("%.3f %.3f\n" % ((t1 - t0) * 1000, (ru.ru_utime + ru.ru_stime) * 1000))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
# phase NAME N CMD...: runs CMD, prints the line for it.
phase() {
	local name=$1 n=$2 g0 w0 g1 w1 cpu; shift 2
	read -r g0 w0 < <(counts)
	measure "$@"
	RC=$?
	read -r g1 w1 < <(counts)
	read -r MS cpu <"$TMP/time"
	G=$((g1 - g0)) WR=$((w1 - w0)) CPU=$cpu
	printf 'engine N=%-5s %-14s %7.0f ms, %6.0f ms CPU (%s ms/link), GET %6d (%s/link), writes %6d (%s/link), exit %d\n' \
		"$n" "$name:" "$MS" "$cpu" \
		"$(awk -v c="$cpu" -v n="$n" 'BEGIN {printf "%.3f", c / n}')" \
		"$G" "$(awk -v g="$G" -v n="$n" 'BEGIN {printf "%.2f", g / n}')" \
		"$WR" "$(awk -v g="$WR" -v n="$n" 'BEGIN {printf "%.2f", g / n}')" "$RC"
}

for n in $NS; do
	# An srlite serves at most 512 connections and an exporter holds one to its destination
	# while it copies (idle ones close theirs, docs/internals/registry.md §8.2), which a
	# thousand starting at once all do: one sink per 400 links, each behind its own target
	# Registry (same url, its own linkUrl).
	start src; start tgt
	sinks=$(( (n + 399) / 400 ))
	m=$TMP/m$n
	mkdir -p "$m" "$TMP/state$n"
	# No request budget (docs/internals/operations.md "Rate limits"): the HTTP floor.
	printf 'apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: source}\nspec: {url: %s, rateLimit: {readsPerSecond: 0, writesPerSecond: 0}}\n' "$URL_src" >"$m/registries.yaml"
	SINK_PIDS=()
	for ((k = 0; k < sinks; k++)); do
		start sink
		SINK_PIDS+=("$PID_sink")
		printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: target-%d}\nspec: {url: %s, linkUrl: %s, rateLimit: {readsPerSecond: 0, writesPerSecond: 0}}\n' \
			"$k" "$URL_tgt" "$URL_sink" >>"$m/registries.yaml"
	done
	# 1,000 links a file: a manifest file holds at most 1 MiB.
	python3 - "$m" "$n" "$sinks" <<'PY'
import sys
n, sinks = int(sys.argv[2]), int(sys.argv[3])
for f0 in range(0, n, 1000):
    with open("%s/links-%02d.yaml" % (sys.argv[1], f0 // 1000), "w") as f:
        for i in range(f0, min(n, f0 + 1000)):
            f.write("---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\n"
                    "metadata: {name: link-%05d}\n"
                    "spec: {source: source, destination: target-%d, subjects: [s%05d-value], "
                    "context: {type: CUSTOM, name: c%05d}}\n" % (i, i % sinks, i, i))
PY
	S=(--state-dir "$TMP/state$n" -f "$m")
	phase "plan (diff)" "$n" "$BIN/slctl" diff "${S[@]}"
	phase "apply" "$n" "$BIN/slctl" apply "${S[@]}"
	# Let every exporter reach RUNNING first, so the no-op pass finds nothing to do (outside
	# the measured phase: these reads come before its counters are taken).
	python3 - "$URL_src" "$n" <<'PY'
import http.client, json, sys, time
u = sys.argv[1].split("//")[1]; n = int(sys.argv[2])
c = http.client.HTTPConnection(*u.split(":"))
t0 = time.monotonic()
while True:
    states = {}
    for i in range(n):
        c.request("GET", "/exporters/link-%05d/status" % i); r = c.getresponse()
        d = json.loads(r.read()); k = d.get("state", "?") + (" with trace" if d.get("trace") else "")
        states[k] = states.get(k, 0) + 1
    if states.get("RUNNING", 0) == n or time.monotonic() - t0 > 60:
        break
    time.sleep(0.2)
print("engine N=%d exporters before the no-op: %s (after %.1f s)" % (n, states, time.monotonic() - t0))
PY
	phase "no-op apply" "$n" "$BIN/slctl" apply "${S[@]}"
	# The budget (docs/internals/operations.md "Footprint targets"): 2 GETs per link (exporter
	# info and status), 1 per managed mode scope (each link its own context: n), 1 exporter
	# list per Registry (the source and the $sinks target Registries).
	target=$((3 * n + 1 + sinks))
	if [ "$WR" -eq 0 ] && [ "$G" -eq "$target" ]; then
		echo "engine N=$n no-op at the budget exactly: $G GETs = $target (2/link + 1 scope/link + $((1 + sinks)) lists), 0 writes"
	else
		echo "engine N=$n no-op OFF the budget: $G GETs (budget $target), $WR writes"
	fi
	phase "plan (diff)" "$n" "$BIN/slctl" diff "${S[@]}"
	diff_ms=$MS diff_cpu=$CPU
	# The HTTP floor: curl fetching exactly the URLs the no-op diff read, with
	# --parallel-max 10 and, for reference, one at a time (each a keep-alive connection per
	# host), measured the same way; the ratio is slctl's over curl's, from this one run.
	python3 - "$URL_src" "$URL_tgt" "$n" "$sinks" >"$TMP/curl.cfg" <<'PY'
import sys
src, tgt, n, sinks = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
urls = [src + "/exporters"] + [tgt + "/exporters"] * sinks
for i in range(n):
    urls += [src + "/exporters/link-%05d" % i, src + "/exporters/link-%05d/status" % i,
             tgt + "/mode/%%3A.c%05d%%3A?defaultToGlobal=false" % i]
for u in urls:
    print('url = "%s"\noutput = "/dev/null"' % u)
PY
	for par in 10 1; do
		phase "curl -Z max $par" "$n" curl -s -Z --parallel-max "$par" -K "$TMP/curl.cfg"
		[ "$G" -eq "$target" ] || echo "engine N=$n curl fetched $G URLs, not the $target of the budget"
		awk -v n="$n" -v p="$par" -v sm="$diff_ms" -v sc="$diff_cpu" -v cm="$MS" -v cc="$CPU" 'BEGIN {
			printf "engine N=%-5s slctl diff / curl --parallel-max %-2s: wall %.2fx, CPU %.2fx (target <= 1.2x)\n",
				n, p, (cm ? sm / cm : 0), (cc ? sc / cc : 0) }'
	done
	stop "$PID_src" "$PID_tgt" "${SINK_PIDS[@]}"
	PIDS=()
done
