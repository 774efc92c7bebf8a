#!/usr/bin/env bash
# bench_daemon.sh — schemalinkd's footprint against two srlite processes (docs/internals/operations.md
# "Footprint targets"); figures are printed, never asserted.
#   1. N SchemaLinks (default 1,000; half source->target, half target->source, one explicit
#      subject each) loaded from scratch: time until every exporter is RUNNING.
#   2. Idle RSS of schemalinkd after convergence (VmRSS, split into anonymous and file-backed
#      pages, from /proc), next to the same daemon with no links and to the floor every
#      program linking the same libraries pays (tests/bench/rss_floor.c: libcurl with
#      OpenSSL, libmicrohttpd with GnuTLS, jansson, libyaml, after curl_global_init).
#   3. One no-op resync pass, alone: srlite request counters (GET by route, writes) of both
#      registries and the daemon's CPU (utime+stime from /proc/PID/stat) around exactly one
#      pass, cut from the fast check's rounds by route; against the budget;
#      controller_runtime_reconcile_total, read outside the window, confirms it reconciled
#      every object once.
#   4. rename() of a new link manifest into the watched directory -> its exporter answering
#      200 on the source (GET /exporters/<name> polled every 2 ms), over RUNS runs (default
#      100) with the N links loaded: p50, p90, p99, max, with the load average.
#   5. (SOAK seconds, default 0) no growth: RSS, open fds and CPU over SOAK seconds of resyncs
#      and fast checks, and the CPU of the quiet seconds between them.
# Environment: SL_BINDIR (default bin/), N, RUNS, RESYNC (default 20s), SOAK (default 0).
set -u
cd "$(dirname "$0")/../.."
BIN=${SL_BINDIR:-bin}
N=${N:-1000}
RUNS=${RUNS:-100}
RESYNC=${RESYNC:-20s}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/slbench.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SP=$(port) TP=$(port) DP=$(port)
SRC=http://127.0.0.1:$SP TGT=http://127.0.0.1:$TP D=http://127.0.0.1:$DP
"$BIN/srlite" --listen "127.0.0.1:$SP" --enable-fault-injection >"$TMP/src.log" 2>&1 &
PIDS+=($!)
"$BIN/srlite" --listen "127.0.0.1:$TP" --enable-fault-injection >"$TMP/tgt.log" 2>&1 &
PIDS+=($!)
for u in "$SRC" "$TGT"; do
	for _ in $(seq 100); do curl -s -o /dev/null "$u/" && break; sleep 0.05; done
done

M=$TMP/m STAGE=$TMP/stage
mkdir -p "$M" "$STAGE"
# Every RUNNING exporter keeps a connection open to the registry it writes to, and an srlite
# serves at most 512: each direction's links are spread over destination Registries of at
# most 400 links, with the registry's url and each its own linkUrl, an srlite "sink" only the
# exporters talk to (as tests/bench/bench_apply_scale.sh does). The daemon reads and sets
# modes on the url; the counters below see the daemon's requests only.
PER_SINK=400
half=$(( (N + 1) / 2 ))
nsink=$(( (half + PER_SINK - 1) / PER_SINK ))
SINKS_T=() SINKS_S=()
for ((k = 0; k < 2 * nsink; k++)); do
	p=$(port)
	"$BIN/srlite" --listen "127.0.0.1:$p" >"$TMP/sink$k.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.05; done
	if [ "$k" -lt "$nsink" ]; then SINKS_T+=("http://127.0.0.1:$p"); else SINKS_S+=("http://127.0.0.1:$p"); fi
done
# No request budget (docs/internals/operations.md "Rate limits"): the figures are the HTTP
# floor, not the budget.
python3 - "$M" "$N" "$PER_SINK" "$SRC" "$TGT" "$nsink" "${SINKS_T[@]}" "${SINKS_S[@]}" <<'PY'
import sys
m, n, per, src, tgt, nsink = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \
    sys.argv[5], int(sys.argv[6])
sinks_t, sinks_s = sys.argv[7:7 + nsink], sys.argv[7 + nsink:]
reg = ("---\napiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: %s}\n"
       "spec: {url: \"%s\", %srateLimit: {readsPerSecond: 0, writesPerSecond: 0}}\n")
with open(m + "/registries.yaml", "w") as f:
    f.write(reg % ("source", src, ""))
    f.write(reg % ("target", tgt, ""))
    for k in range(nsink):
        f.write(reg % ("target-%d" % k, tgt, "linkUrl: \"%s\", " % sinks_t[k]))
        f.write(reg % ("source-%d" % k, src, "linkUrl: \"%s\", " % sinks_s[k]))
doc = ("---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: %s}\n"
       "spec: {source: %s, destination: %s, subjects: [\"%s\"]}\n")
files = {}
for i in range(n):
    fwd = i % 2 == 0
    k = (i // 2) // per
    files.setdefault(i // 100, []).append(doc % ("link-%05d" % i, "source" if fwd else "target",
        "target-%d" % k if fwd else "source-%d" % k, "s-%05d" % i))
for k, docs in files.items():
    open("%s/links-%03d.yaml" % (m, k), "w").write("".join(docs))
PY
# The no-op budget (docs/internals/operations.md "Footprint targets"): 2 GETs per link
# (exporter info and status), 1 per managed mode scope (each target-K / source-K manages the
# links' one context on it: .source / .target), 1 exporter list per Registry.
BUDGET=$(( 2 * N + 2 * nsink + 2 + 2 * nsink ))
BUDGET_WHY="2/link + $((2 * nsink)) scopes + $((2 + 2 * nsink)) lists"

running() { # number of links whose exporter is RUNNING, from /metrics
	curl -s "$D/metrics" | awk '/^schemalink_exporter_state\{.*state="RUNNING"\} 1$/ {n++} END {print n + 0}'
}
metric() { curl -s "$D/metrics" | awk -v s="$1" '$1 == s {print $2}'; }
reconciles() { # controller_runtime_reconcile_total summed over labels
	curl -s "$D/metrics" | awk '/^controller_runtime_reconcile_total\{/ {n += $2} END {printf "%d\n", n}'
}
counts() { curl -s "$1/_srlite/requests"; }
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }

rss() { # VmRSS (anon A, file F) of PID, KiB
	awk '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} /^RssFile/ {f = $2}
		END {printf "%d (anon %d, file %d)", r, a, f}' "/proc/$1/status"
}
# The libraries' floor, and the daemon with the two Registries and no links.
if cc -O2 -o "$TMP/rss_floor" tests/bench/rss_floor.c \
	$(pkg-config --cflags --libs yaml-0.1 libcurl jansson libmicrohttpd) 2>"$TMP/cc.log"; then
	"$TMP/rss_floor" | awk '{printf "libraries_floor_rss_kib=%d (anon %d, file %d; tests/bench/rss_floor.c)\n", $1, $2, $3}'
else
	echo "libraries_floor_rss_kib=? (tests/bench/rss_floor.c did not build: $(head -1 "$TMP/cc.log"))"
fi
mkdir -p "$TMP/m0"
cp "$M/registries.yaml" "$TMP/m0/"
"$BIN/schemalinkd" --manifests "$TMP/m0" --state-dir "$TMP/state0" --listen "127.0.0.1:$DP" \
	--resync "$RESYNC" >"$TMP/d0.log" 2>&1 &
D0=$!
PIDS+=($D0)
for _ in $(seq 100); do curl -sf -o /dev/null "$D/readyz" && break; sleep 0.05; done
sleep 2
printf 'daemon_idle_rss_0_links_kib=%s\n' "$(rss "$D0")"
ANON0=$(awk '/^RssAnon/ {print $2}' "/proc/$D0/status")
kill "$D0"; wait "$D0" 2>/dev/null

start=$(date +%s%N)
"$BIN/schemalinkd" --manifests "$M" --state-dir "$TMP/state" --listen "127.0.0.1:$DP" \
	--resync "$RESYNC" >"$TMP/d.log" 2>&1 &
DPID=$!
PIDS+=($DPID)
for _ in $(seq 100); do curl -s -o /dev/null "$D/livez" && break; sleep 0.05; done
while [ "$(running)" -lt "$N" ]; do
	sleep 0.2
	kill -0 "$DPID" 2>/dev/null || { echo "schemalinkd died"; tail "$TMP/d.log"; exit 1; }
	[ $(( ($(date +%s%N) - start) / 1000000000 )) -gt 300 ] && { echo "no convergence in 300 s ($(running)/$N running)"; exit 1; }
done
conv_ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf 'daemon_converge_%d_links_ms=%d\n' "$N" "$conv_ms"

# Idle: let the queue drain and the status flush, then read RSS.
sleep 3
printf 'daemon_idle_rss_kib=%s (VmRSS with %d links loaded; target < 10240)\n' "$(rss "$DPID")" "$N"
anon() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }
awk -v a="$(anon "$DPID")" -v z="$ANON0" -v n="$N" 'BEGIN {
	printf "daemon_own_data_per_link_bytes=%.0f (anonymous RSS over the daemon with no links, per link; target <= 1024)\n", (a - z) * 1024 / n }'

# One no-op resync pass, alone. The pass is followed from the registries' request counters
# (another process), not by polling the daemon: each /metrics render would be counted as the
# pass's CPU. The fast check keeps reading between passes (one status per link, one mode per
# scope, every 5 s), so the window is cut by route (srlite's /_srlite/requests "routes"): the
# counters and the daemon's CPU are sampled every 100 ms; the pass starts when
# GET /exporters/{} (exporter info, which only a reconcile reads) moves, and the window runs
# from the last quiet sample before that (the pass reads the Registries' lists first) to 1 s
# after the last of its N reads. A window in which a check
# round overlapped (more status reads than info reads) is measured again, at most 5 times.
objects=$(metric schemalink_manifest_objects)
r0=$(reconciles)
python3 - "$SRC" "$TGT" "$DPID" "$N" "$objects" "$(getconf CLK_TCK)" "$RESYNC" "$BUDGET" "$BUDGET_WHY" >"$TMP/pass.out" <<'PY'
import http.client, json, sys, time
urls, pid, n, objects, hz = sys.argv[1:3], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
resync = float(sys.argv[7].rstrip("s"))
conns = [http.client.HTTPConnection(*u.split("//")[1].split(":")) for u in urls]
def counts():
    out = []
    for c in conns:
        c.request("GET", "/_srlite/requests"); out.append(json.loads(c.getresponse().read()))
    return out
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
def route(cs, r): return sum(c["routes"].get(r, 0) for c in cs)
def total(cs, k): return sum(c[k] for c in cs)
INFO, STATUS = "GET /exporters/{}", "GET /exporters/{}/status"
for attempt in range(1, 6):
    prev = counts()
    quiet, quiet_cpu = prev, cpu()  # the last sample after which the GETs stood still
    deadline = time.monotonic() + resync + 30
    while True:  # wait for the pass to start
        time.sleep(0.1)
        cur, cur_cpu = counts(), cpu()
        if route(cur, INFO) != route(prev, INFO):
            break
        if total(cur, "GET") == total(prev, "GET"):
            quiet, quiet_cpu = cur, cur_cpu
        prev = cur
        if time.monotonic() > deadline:
            sys.exit("no resync pass within %.0f s" % (resync + 30))
    # The pass reads the Registries' lists before the first link's info: its window starts
    # at the quiet sample before the run of activity that holds that first info read.
    start, c0 = quiet, quiet_cpu
    last_change = time.monotonic()
    while True:  # until its N info reads are in and the GETs stand still for 1 s
        time.sleep(0.1)
        cur = counts()
        if total(cur, "GET") != total(prev, "GET"):
            last_change = time.monotonic()
        prev = cur
        if route(cur, INFO) - route(start, INFO) >= n and time.monotonic() - last_change >= 1.0:
            break
    end, c1 = cur, cpu()
    info = route(end, INFO) - route(start, INFO)
    status = route(end, STATUS) - route(start, STATUS)
    if status == info:
        break
    print("(attempt %d: a check round overlapped the pass: %d status reads for %d info reads)"
          % (attempt, status, info))
get = total(end, "GET") - total(start, "GET")
writes = sum(total(end, k) - total(start, k) for k in ("POST", "PUT", "DELETE"))
routes = {}
for e, s in zip(end, start):
    for k, v in e["routes"].items():
        d = v - s["routes"].get(k, 0)
        if d:
            routes[k] = routes.get(k, 0) + d
cpu_ms = (c1 - c0) * 1000.0 / hz
budget, why = int(sys.argv[8]), sys.argv[9]
print("noop_resync_gets=%d (%.3f per link; budget %d = %s: %s) writes=%d"
      % (get, get / n, budget, why, "exactly" if get == budget else "OFF BY %+d" % (get - budget), writes))
print("noop_resync_routes=%s" % json.dumps(routes, sort_keys=True))
print("noop_resync_cpu_ms=%.0f (%.3f ms per link; target < 0.2; clock tick %.0f ms)"
      % (cpu_ms, cpu_ms / n, 1000.0 / hz))
PY
cat "$TMP/pass.out"
r1=$(reconciles)
# The reconciles counter moves with the pass (and with nothing else: the check flagged none).
echo "noop_resync_reconciles=$(( r1 - r0 )) (objects $objects)"
# The HTTP floor of that pass: curl fetching exactly the URLs of its budget (each Registry's
# exporter list, each link's info and status on its source, each destination Registry's one
# scope: target-K manages .source on the target, source-K .target on the source) with
# --parallel-max 10, measured as the pass was; the pass's wall time is the one the daemon logs
# ("resync pass done in N ms"), its CPU the window's above.
pass_ms=$(grep -o 'resync pass done in [0-9]* ms' "$TMP/d.log" | tail -1 | awk '{print $5}')
pass_cpu=$(sed -n 's/^noop_resync_cpu_ms=\([0-9]*\).*/\1/p' "$TMP/pass.out")
python3 - "$SRC" "$TGT" "$N" "$nsink" >"$TMP/curl.cfg" <<'PY'
import sys
src, tgt, n, nsink = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
urls = [src + "/exporters", tgt + "/exporters"] + [tgt + "/exporters", src + "/exporters"] * nsink
for i in range(n):
    u = src if i % 2 == 0 else tgt
    urls += [u + "/exporters/link-%05d" % i, u + "/exporters/link-%05d/status" % i]
urls += [tgt + "/mode/%3A.source%3A?defaultToGlobal=false"] * nsink
urls += [src + "/mode/%3A.target%3A?defaultToGlobal=false"] * nsink
for u in urls:
    print('url = "%s"\noutput = "/dev/null"' % u)
PY
t0=$(date +%s%N)
/usr/bin/time -f '%U %S' -o "$TMP/curl.time" curl -s -Z --parallel-max 10 -K "$TMP/curl.cfg" >/dev/null 2>&1
curl_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
curl_cpu=$(awk '{printf "%d", ($1 + $2) * 1000}' "$TMP/curl.time")
awk -v pm="${pass_ms:-0}" -v pc="${pass_cpu:-0}" -v cm="$curl_ms" -v cc="$curl_cpu" -v b="$BUDGET" 'BEGIN {
	printf "noop_resync_vs_curl: pass %d ms, %d ms CPU; curl -Z --parallel-max 10 of the same %d URLs %d ms, %d ms CPU: wall %.2fx, CPU %.2fx (target <= 1.2x; CPU in clock ticks)\n",
		pm, pc, b, cm, cc, (cm ? pm / cm : 0), (cc ? pc / cc : 0) }'

# SOAK seconds (default 0: skipped) of resyncs and fast checks, nothing else: RSS, open fds
# and CPU at the start and the end, and the CPU of the quiet seconds (no GET on either
# registry at either end of the second: no pass, no check round): 0 unless something polls.
if [ "${SOAK:-0}" -gt 0 ]; then
	python3 - "$SRC" "$TGT" "$DPID" "$SOAK" "$(getconf CLK_TCK)" "$N" <<'PY'
import http.client, json, os, sys, time
urls, pid, soak, hz, n = sys.argv[1:3], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
conns = [http.client.HTTPConnection(*u.split("//")[1].split(":")) for u in urls]
def gets():
    t = 0
    for c in conns:
        c.request("GET", "/_srlite/requests"); t += json.loads(c.getresponse().read())["GET"]
    return t
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
def rss():
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS"):
            return int(l.split()[1])
def fds(): return len(os.listdir("/proc/%s/fd" % pid))
r0, f0, c0, t0 = rss(), fds(), cpu(), time.monotonic()
quiet_s = quiet_ticks = 0
g, c = gets(), cpu()
marks, step = [], max(1, soak // 6)  # RSS at each sixth: a step (a first verification) from a slope
while time.monotonic() - t0 < soak:
    time.sleep(1)
    g2, c2 = gets(), cpu()
    if g2 == g:
        quiet_s += 1
        quiet_ticks += c2 - c
    g, c = g2, c2
    el = int(time.monotonic() - t0)
    if el >= (len(marks) + 1) * step:
        marks.append("%ds %d" % (el, rss()))
r1, f1, c1 = rss(), fds(), cpu()
el = time.monotonic() - t0
print("soak_%ds: RSS %d -> %d KiB (%+d), fds %d -> %d, CPU %.1f s in all (%.2f%% of one core, %.3f ms per link per minute)"
      % (soak, r0, r1, r1 - r0, f0, f1, (c1 - c0) / hz, (c1 - c0) / hz / el * 100,
         (c1 - c0) * 1000.0 / hz / n / (el / 60)))
print("soak_idle: %d ticks of CPU in %d quiet seconds (clock tick %.0f ms)" % (quiet_ticks, quiet_s, 1000.0 / hz))
print("soak_rss_kib: " + ", ".join(marks))
PY
fi

# What a scrape costs the daemon with N links: CPU of 20 GET /metrics and 20 GET /status (its
# default page, the first 500 objects; tests/bench/bench_endpoints.sh measures the filters and
# the other pages).
for ep in metrics status; do
	c0=$(cpu_ticks "$DPID")
	for _ in $(seq 20); do curl -s -o "$TMP/$ep.out" "$D/$ep"; done
	c1=$(cpu_ticks "$DPID")
	printf 'daemon_render_%s_ms=%.1f (CPU per GET /%s with %d links; %d bytes)\n' "$ep" \
		"$(awk -v d=$(( c1 - c0 )) -v hz="$(getconf CLK_TCK)" 'BEGIN { print d * 1000 / hz / 20 }')" \
		"$ep" "$N" "$(wc -c <"$TMP/$ep.out")"
done

# rename() -> exporter on the registry, RUNS times, with the N links loaded: p50, p90, p99 and
# max, next to the machine's load average (1, 5 and 15 min, /proc/loadavg) before the first and
# after the last run and its core count: on a busy machine the latency is mostly waiting for one.
python3 - "$M" "$STAGE" "$SP" "$RUNS" <<'PY'
import http.client, math, os, sys, time
m, stage, sp, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conn = http.client.HTTPConnection("127.0.0.1", sp)
def exists(name):
    conn.request("GET", "/exporters/" + name)
    r = conn.getresponse()
    r.read()
    return r.status == 200
def loadavg():
    with open("/proc/loadavg") as f:
        return "/".join(f.read().split()[:3])
load0 = loadavg()
lat = []
for i in range(runs):
    name = "bench-rename-%03d" % i
    tmp = os.path.join(stage, name + ".yaml")
    with open(tmp, "w") as f:
        f.write("apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: %s}\n"
                "spec: {source: source, destination: target, subjects: [\"r-%03d\"]}\n" % (name, i))
    t0 = time.monotonic()
    os.rename(tmp, os.path.join(m, name + ".yaml"))
    while not exists(name):
        if time.monotonic() - t0 > 30:
            sys.exit("exporter %s not created within 30 s" % name)
        time.sleep(0.002)
    lat.append((time.monotonic() - t0) * 1000.0)
    time.sleep(0.05)
load1 = loadavg()
lat.sort()
# Nearest rank: the smallest run time with at least p % of the runs at or below it.
pct = lambda p: lat[max(0, math.ceil(p * len(lat) / 100.0) - 1)]
print("rename_to_exporter_ms p50=%.1f p90=%.1f p99=%.1f max=%.1f (runs=%d; target p99 < 300)"
      % (pct(50), pct(90), pct(99), lat[-1], len(lat)))
print("rename_loadavg start=%s end=%s (1/5/15 min) nproc=%d"
      % (load0, load1, len(os.sched_getaffinity(0))))
PY
