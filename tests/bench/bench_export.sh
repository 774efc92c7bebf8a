#!/usr/bin/env bash
# bench_export.sh — time to export N subjects (default 10,000) between two srlite processes:
# register N subjects on the source (keep-alive python3 http.client), create a NONE exporter,
# and time until the destination lists N subjects. Prints one line:
#   export_10000_subjects_ms=<ms> (register: <ms>, <rate> subjects/s exported)
# Environment: SL_BINDIR (default bin/), N, DATA_DIR=1 to give the source a --data-dir.
set -u
cd "$(dirname "$0")/../.."
BIN=${SL_BINDIR:-bin}
N=${N:-10000}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/slbench.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SP=$(port)
DP=$(port)
extra=()
[ "${DATA_DIR:-0}" = 1 ] && extra=(--data-dir "$TMP/src")
"$BIN/srlite" --listen "127.0.0.1:$SP" "${extra[@]}" >"$TMP/src.log" 2>&1 &
PIDS+=($!)
"$BIN/srlite" --listen "127.0.0.1:$DP" >"$TMP/dst.log" 2>&1 &
PIDS+=($!)
for u in "$SP" "$DP"; do
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$u/" && break; sleep 0.05; done
done
python3 - "$SP" "$DP" "$N" <<'PY'
import http.client, json, sys, time
sp, dp, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
H = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
src = http.client.HTTPConnection("127.0.0.1", sp)
t0 = time.monotonic()
for i in range(n):
    schema = json.dumps({"type": "record", "name": "R%d" % i,
                         "fields": [{"name": "f", "type": "int"}]})
    src.request("POST", "/subjects/bench-%05d-value/versions" % i, json.dumps({"schema": schema}), H)
    r = src.getresponse(); r.read()
    if r.status != 200:
        sys.exit("register %d: %d" % (i, r.status))
t1 = time.monotonic()
src.request("POST", "/exporters", json.dumps({"name": "bench", "contextType": "NONE",
            "config": {"schema.registry.url": "http://127.0.0.1:%d" % dp}}), H)
r = src.getresponse(); r.read()
if r.status != 200:
    sys.exit("create exporter: %d" % r.status)
t2 = time.monotonic()
dst = http.client.HTTPConnection("127.0.0.1", dp)
while True:
    dst.request("GET", "/subjects")
    r = dst.getresponse(); got = len(json.loads(r.read()))
    if got >= n:
        break
    if time.monotonic() - t2 > 600:
        sys.exit("timeout: destination has %d of %d" % (got, n))
    time.sleep(0.02)
t3 = time.monotonic()
ms = (t3 - t2) * 1000
print("export_%d_subjects_ms=%d (register: %d ms, %.0f subjects/s exported)"
      % (n, ms, (t1 - t0) * 1000, n / (t3 - t2)))
PY
