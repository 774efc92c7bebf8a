#!/usr/bin/env bash
# make bench: measured figures, printed (never asserted). Each section runs what is built.
#   srlite: GET and POST throughput and p99 latency (wrk on loopback), RSS with 10,000
#           subjects, durable registrations/s next to the disk's own fsync/s.
#   exporters: time to export 10,000 subjects between two srlite processes (NONE exporter
#           created after the registrations; until the destination lists them all).
#   engine: slctl plan, apply and a no-op apply with 1, 100 and 1,000 links: wall time, CPU
#           and HTTP requests per link from srlite's request counter, against the
#           docs/internals/operations.md no-op target (tests/bench/bench_engine.sh).
#   apply at scale: slctl apply from scratch with 100, 1,000 and 10,000 links (one source
#           srlite per 1,000 links, one destination), then a no-op apply: wall and CPU
#           seconds, CPU ms per link, srlite's GET and write counts; each apply bounded by a
#           600 s timeout (tests/bench/bench_apply_scale.sh).
#   schemalinkd: 1,000 links across two srlite processes: convergence, idle RSS, one no-op
#           resync's requests and CPU per link, rename() -> exporter p50/p99 over 100 runs
#           (tests/bench/bench_daemon.sh; docs/internals/operations.md "Footprint targets").
set -u
cd "$(dirname "$0")/.."
BINDIR=${BINDIR:-bin}
source tests/lib.sh
export LC_ALL=C
DUR=${BENCH_SECONDS:-5}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# wrk_run NAME ARGS...: runs wrk, prints requests/s, p50 and p99.
wrk_run() {
	local name=$1; shift
	wrk --latency "$@" >"$T_TMP/wrk.out" 2>&1
	local rps p50 p99 extra
	rps=$(awk '/^Requests\/sec/ {print $2}' "$T_TMP/wrk.out")
	p50=$(awk '$1 == "50%" {print $2}' "$T_TMP/wrk.out")
	p99=$(awk '$1 == "99%" {print $2}' "$T_TMP/wrk.out")
	extra=$(grep -E '^non2xx' "$T_TMP/wrk.out")
	printf '%-44s %10s req/s   p50 %-9s p99 %-9s %s\n' "$name" "$rps" "$p50" "$p99" "$extra"
}

bench_srlite() {
	local url pid n rate
	echo "== srlite ($(nproc) cores, wrk for ${DUR}s per line)"
	srlite_start srl || return 1
	url=$URL pid=$PID_srl
	curl -s -o /dev/null -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
		--data '{"schema":"{\"type\":\"record\",\"name\":\"pageviews\",\"namespace\":\"ksql\",\"fields\":[{\"name\":\"viewtime\",\"type\":\"long\"},{\"name\":\"userid\",\"type\":\"string\"},{\"name\":\"pageid\",\"type\":\"string\"}]}"}' \
		"$url/subjects/pageviews-value/versions"
	wrk_run "GET /subjects/{s}/versions/latest (c=32)" -t2 -c32 -d"${DUR}s" "$url/subjects/pageviews-value/versions/latest"
	wrk_run "GET /schemas/ids/1 (c=32)" -t2 -c32 -d"${DUR}s" "$url/schemas/ids/1"
	wrk_run "POST new subject, in memory (c=32)" -t2 -c32 -d"${DUR}s" -s tests/bench/register.lua "$url"
	n=$(curl -s "$url/subjects" | tr ',' '\n' | grep -c .)
	printf '%-44s %10s subjects, RSS %s KiB\n' "after the POST run" "$n" "$(rss_kib "$pid")"
	kill "$pid"; wait "$pid" 2>/dev/null

	# RSS with exactly 10,000 subjects.
	srlite_start srl2 || return 1
	url=$URL pid=$PID_srl2
	printf '%-44s %10s KiB\n' "RSS empty" "$(rss_kib "$pid")"
	rate=$(/usr/bin/python3 tests/bench/register_n.py "$url" 10000)
	printf '%-44s %10s reg/s (one client, keep-alive, in memory)\n' "10,000 sequential registrations" "$rate"
	n=$(curl -s "$url/subjects" | tr ',' '\n' | grep -c .)
	printf '%-44s %10s KiB (%s subjects)\n' "RSS with 10,000 subjects" "$(rss_kib "$pid")" "$n"
	kill "$pid"; wait "$pid" 2>/dev/null

	# Durable registrations: group commit shares fsyncs between concurrent writers.
	local data="$T_TMP/data" fs
	mkdir -p "$data"
	fs=$(/usr/bin/python3 - "$data" <<'PY'
import os, sys, time
p = os.path.join(sys.argv[1], "fsync.probe")
fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
n, t0 = 0, time.time()
while time.time() - t0 < 2.0:
    os.write(fd, b"x" * 128); os.fsync(fd); n += 1
os.close(fd); os.unlink(p)
print(int(n / (time.time() - t0)))
PY
)
	printf '%-44s %10s fsync/s (one writer, 128-byte appends)\n' "disk under $T_TMP" "$fs"
	srlite_start srl3 --data-dir "$data" || return 1
	url=$URL
	wrk_run "POST durable --data-dir (c=1)" -t1 -c1 -d"${DUR}s" -s tests/bench/register.lua "$url"
	wrk_run "POST durable --data-dir (c=64)" -t2 -c64 -d"${DUR}s" -s tests/bench/register.lua "$url"
	kill "$PID_srl3"; wait "$PID_srl3" 2>/dev/null
}

bench_export() {
	local bin
	bin=$(cd "$BINDIR" && pwd)
	echo "== exporters (tests/bench/bench_export.sh)"
	SL_BINDIR=$bin N=10000 tests/bench/bench_export.sh
	SL_BINDIR=$bin N=10000 DATA_DIR=1 tests/bench/bench_export.sh | sed 's/$/, source with --data-dir/'
}

bench_engine() {
	local bin
	bin=$(cd "$BINDIR" && pwd)
	echo "== engine (tests/bench/bench_engine.sh)"
	SL_BINDIR=$bin tests/bench/bench_engine.sh
}

bench_apply_scale() {
	local bin
	bin=$(cd "$BINDIR" && pwd)
	echo "== apply at scale (tests/bench/bench_apply_scale.sh)"
	SL_BINDIR=$bin tests/bench/bench_apply_scale.sh
}

bench_daemon() {
	local bin
	bin=$(cd "$BINDIR" && pwd)
	echo "== schemalinkd (tests/bench/bench_daemon.sh)"
	SL_BINDIR=$bin N=1000 RUNS=100 tests/bench/bench_daemon.sh
}

command -v wrk >/dev/null || { echo "bench: wrk is missing; run make deps" >&2; exit 1; }
bench_srlite
bench_export
bench_engine
bench_apply_scale
bench_daemon
