#!/usr/bin/env bash
# make bench: measured figures, printed (never asserted). Each section runs what is built.
#   srlite: GET and POST throughput and p99 latency (wrk on loopback), each GET next to the
#           same bytes served as a static file by a private nginx in the same run (ratio
#           srlite/nginx), RSS with 10,000 subjects, durable registrations/s next to the disk's
#           own fsync/s (ratio registrations per fsync, c=1 and c=64).
#   exporters: time to export 10,000 subjects between two srlite processes (NONE exporter
#           created after the registrations; until the destination lists them all).
#   engine: slctl plan, apply and a no-op apply with 100, 1,000 and 10,000 links: wall time,
#           CPU and HTTP requests per link from srlite's request counter, against the budget
#           (docs/internals/operations.md "Footprint targets"), and the no-op diff next to curl
#           --parallel fetching exactly the same URLs, as ratios (tests/bench/bench_engine.sh).
#   apply at scale: slctl apply from scratch with 100, 1,000 and 10,000 links (one source
#           srlite per 1,000 links, one destination), then a no-op apply: wall and CPU
#           seconds, CPU ms per link, srlite's GET and write counts; each apply bounded by a
#           600 s timeout; then 10,000 links again with the default request budgets, where
#           the time is the budgets' (tests/bench/bench_apply_scale.sh).
#   schemalinkd: 1,000 links across two srlite processes: convergence, idle RSS and own data
#           per link, one no-op resync's requests and CPU per link, rename() -> exporter
#           p50/p90/p99 over 100 runs with the load average; then 10,000 links, with a soak of
#           BENCH_SOAK seconds (default 1800): RSS, fds and CPU at its start and end
#           (tests/bench/bench_daemon.sh; docs/internals/operations.md "Footprint targets").
#   endpoints: GET /status (pages, filters) and /metrics with 10,000 links: CPU per request
#           and bytes (tests/bench/bench_endpoints.sh).
# Environment: BENCH_SECONDS (wrk seconds per line, default 5); BENCH_SOAK (default 1800);
# BENCH_ONLY, the sections to run in that order, out of "srlite export engine apply_scale
# daemon endpoints" (default all of them), e.g. BENCH_ONLY="srlite daemon" make bench. All of
# them take about an hour on 2 cores, half of it the soak.
set -u
cd "$(dirname "$0")/.."
BINDIR=${BINDIR:-bin}
source tests/lib.sh
source tests/bench/nginx_static.sh
export LC_ALL=C
DUR=${BENCH_SECONDS:-5}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# wrk_run NAME ARGS...: runs wrk, prints requests/s, p50 and p99; sets WRK_RPS and WRK_REQS
# (requests completed).
wrk_run() {
	local name=$1; shift
	wrk --latency "$@" >"$T_TMP/wrk.out" 2>&1
	local rps p50 p99 extra
	rps=$(awk '/^Requests\/sec/ {print $2}' "$T_TMP/wrk.out")
	p50=$(awk '$1 == "50%" {print $2}' "$T_TMP/wrk.out")
	p99=$(awk '$1 == "99%" {print $2}' "$T_TMP/wrk.out")
	extra=$(grep -E '^non2xx' "$T_TMP/wrk.out")
	WRK_REQS=$(awk '/ requests in / {print $1}' "$T_TMP/wrk.out")
	printf '%-44s %10s req/s   p50 %-9s p99 %-9s %s\n' "$name" "$rps" "$p50" "$p99" "$extra"
	WRK_RPS=$rps
}

# ratio A B: A/B with two decimals, "?" when either is missing or B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b + 0 == 0) print "?"; else printf "%.2f\n", a / b }'; }

# cpu_ticks PID...: user + system clock ticks of the processes, all their threads.
cpu_ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

# us_per_req TICKS REQUESTS: CPU microseconds per request.
us_per_req() {
	awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { if (n + 0 == 0) print "?"; else printf "%.1f\n", t * 1e6 / hz / n }'
}

# get_vs_nginx SRLITE_PID SRLITE_URL PATH: the same wrk line (2 threads, 32 connections)
# against srlite and against nginx serving a copy of srlite's answer to GET PATH, one after the
# other; prints both, the ratio srlite/nginx of requests/s and, as the machine may be busy with
# other work (srlite's 33 threads then win a larger share of it than nginx's 2 workers), the
# CPU each server spent per request. Expects NGINX_URL and NGINX_PIDS (nginx_static_start).
get_vs_nginx() {
	local pid=$1 url=$2 path=$3 s n c0 cs cn
	c0=$(cpu_ticks "$pid")
	wrk_run "GET $path (c=32)" -t2 -c32 -d"${DUR}s" "$url$path"
	s=$WRK_RPS cs=$(us_per_req $(($(cpu_ticks "$pid") - c0)) "$WRK_REQS")
	if [ -z "${NGINX_URL:-}" ]; then
		printf 'GET %s srlite %s req/s, nginx not measured (%s)\n' "$path" "$s" "$NGINX_WHY"
		return
	fi
	# shellcheck disable=SC2086
	c0=$(cpu_ticks $NGINX_PIDS)
	wrk_run "  same bytes, static file, nginx (c=32)" -t2 -c32 -d"${DUR}s" "$NGINX_URL$path"
	# shellcheck disable=SC2086
	n=$WRK_RPS cn=$(us_per_req $(($(cpu_ticks $NGINX_PIDS) - c0)) "$WRK_REQS")
	printf 'GET %s srlite %s req/s, nginx %s req/s: ratio %s\n' "$path" "$s" "$n" "$(ratio "$s" "$n")"
	printf '  CPU per request: srlite %s us, nginx %s us: ratio %s\n' "$cs" "$cn" "$(ratio "$cs" "$cn")"
}

bench_srlite() {
	local url pid n rate p
	echo "== srlite ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), wrk for ${DUR}s per line)"
	srlite_start srl || return 1
	url=$URL pid=$PID_srl
	curl -s -o /dev/null -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
		--data '{"schema":"{\"type\":\"record\",\"name\":\"pageviews\",\"namespace\":\"ksql\",\"fields\":[{\"name\":\"viewtime\",\"type\":\"long\"},{\"name\":\"userid\",\"type\":\"string\"},{\"name\":\"pageid\",\"type\":\"string\"}]}"}' \
		"$url/subjects/pageviews-value/versions"
	# The floor for a GET: nginx serving, as a static file, exactly the bytes srlite answers.
	# srlite serves with libmicrohttpd, a polling thread that accepts and one thread per
	# connection (SL_HTTPD_THREAD_PER_CONNECTION, pkg/httpd/httpd.c), so it may use every core;
	# nginx runs one worker process per core (worker_processes auto). Both on loopback, on the
	# same cores as wrk itself (2 threads, 32 keep-alive connections), one after the other.
	NGINX_DIR=$T_TMP/nginx NGINX_URL="" NGINX_WHY=""
	for p in /subjects/pageviews-value/versions/latest /schemas/ids/1; do
		mkdir -p "$NGINX_DIR/www$(dirname "$p")"
		curl -s -o "$NGINX_DIR/www$p" "$url$p"
	done
	if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
		NGINX_WHY="nginx is missing; run make deps"
	elif ! nginx_static_start "$NGINX_DIR"; then
		NGINX_WHY="nginx did not start"
	else
		for p in /subjects/pageviews-value/versions/latest /schemas/ids/1; do
			curl -s "$NGINX_URL$p" | cmp -s - "$NGINX_DIR/www$p" && continue
			NGINX_WHY="nginx does not answer srlite's bytes for $p" NGINX_URL=""
			kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null
			break
		done
	fi
	get_vs_nginx "$pid" "$url" /subjects/pageviews-value/versions/latest
	get_vs_nginx "$pid" "$url" /schemas/ids/1
	if [ -n "$NGINX_URL" ]; then
		kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null
	fi
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
	local d1 d64
	wrk_run "POST durable --data-dir (c=1)" -t1 -c1 -d"${DUR}s" -s tests/bench/register.lua "$url"
	d1=$WRK_RPS
	wrk_run "POST durable --data-dir (c=64)" -t2 -c64 -d"${DUR}s" -s tests/bench/register.lua "$url"
	d64=$WRK_RPS
	kill "$PID_srl3"; wait "$PID_srl3" 2>/dev/null
	# Above 1 only when concurrent registrations share an fsync (group commit).
	printf 'durable registrations per fsync: c=1 %s, c=64 %s (reg/s %s and %s / %s fsync/s)\n' \
		"$(ratio "$d1" "$fs")" "$(ratio "$d64" "$fs")" "$d1" "$d64" "$fs"
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
	SL_BINDIR=$bin NS="100 1000 10000" tests/bench/bench_engine.sh
}

bench_apply_scale() {
	local bin
	bin=$(cd "$BINDIR" && pwd)
	echo "== apply at scale (tests/bench/bench_apply_scale.sh)"
	SL_BINDIR=$bin tests/bench/bench_apply_scale.sh
	SL_BINDIR=$bin NS=10000 LIMITS=default TIMEOUT=1500 tests/bench/bench_apply_scale.sh
}

bench_daemon() {
	local bin
	bin=$(cd "$BINDIR" && pwd)
	echo "== schemalinkd (tests/bench/bench_daemon.sh)"
	SL_BINDIR=$bin N=1000 RUNS=100 tests/bench/bench_daemon.sh
	echo "== schemalinkd, 10,000 links (tests/bench/bench_daemon.sh)"
	SL_BINDIR=$bin N=10000 RUNS=20 SOAK=${BENCH_SOAK:-1800} tests/bench/bench_daemon.sh
}

bench_endpoints() {
	local bin
	bin=$(cd "$BINDIR" && pwd)
	echo "== daemon endpoints (tests/bench/bench_endpoints.sh)"
	SL_BINDIR=$bin N=10000 tests/bench/bench_endpoints.sh
}

SECTIONS="srlite export engine apply_scale daemon endpoints"
ONLY=${BENCH_ONLY:-$SECTIONS}
ONLY=${ONLY//-/_}
for s in $ONLY; do
	case " $SECTIONS " in
	*" $s "*) ;;
	*) echo "bench: BENCH_ONLY: no section '$s' (sections: $SECTIONS)" >&2; exit 2 ;;
	esac
done
case " $ONLY " in
*" srlite "*) command -v wrk >/dev/null || { echo "bench: wrk is missing; run make deps" >&2; exit 1; } ;;
esac
for s in $ONLY; do
	"bench_$s"
done
