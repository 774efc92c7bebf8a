# tests/lib.sh — helpers for e2e and golden scripts (sourced, bash).
# Each check prints "ok NAME" or "not ok NAME" plus details; tests/run.sh counts them.
# Processes started with sl_start are killed when the script exits.
set -u
SL_BINDIR=${SL_BINDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../bin" && pwd)}
SL_WRAP=${SL_WRAP:-}
T_FAILS=0
T_PIDS=()
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sltest.XXXXXX")

t_cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT

ok() { echo "ok $1"; }
not_ok() { echo "not ok $1"; shift; [ $# -gt 0 ] && printf '    %s\n' "$@"; T_FAILS=$((T_FAILS + 1)); }

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}
# expect_match NAME GOT REGEX
expect_match() {
	if [[ "$2" =~ $3 ]]; then ok "$1"; else not_ok "$1" "got:   $2" "regex: $3"; fi
}
# expect_no_match NAME GOT REGEX
expect_no_match() {
	if [[ "$2" =~ $3 ]]; then not_ok "$1" "unexpected match of $3 in: $2"; else ok "$1"; fi
}

# run PROG ARGS...: runs bin/PROG (under $SL_WRAP), sets OUT, ERR, RC.
run() {
	local prog=$1; shift
	$SL_WRAP "$SL_BINDIR/$prog" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err")
}

# free_port: prints a loopback TCP port nobody listens on now. It stays below the kernel's
# ephemeral range (32768 and up by default), where outgoing connections take their ports.
free_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % 22000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# wait_http URL [SECONDS]: waits until URL answers (any status).
wait_http() {
	local i n=$(( ${2:-10} * 20 ))
	for ((i = 0; i < n; i++)); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.05
	done
	return 1
}

# sl_start NAME PROG ARGS...: starts bin/PROG in the background, logs to $T_TMP/NAME.log.
sl_start() {
	local name=$1 prog=$2; shift 2
	$SL_WRAP "$SL_BINDIR/$prog" "$@" >"$T_TMP/$name.log" 2>&1 &
	T_PIDS+=($!)
	eval "PID_$name=$!"
}

t_done() { exit $(( T_FAILS > 0 ? 1 : 0 )); }

# srlite_start NAME ARGS...: starts bin/srlite on a free loopback port with ARGS, waits until it
# answers, sets PORT and URL. free_port only checks that nobody listens right now; another
# process may bind the port first, so a bind failure retries on a new port. Returns 1 (after
# printing the log) when srlite does not come up.
srlite_start() {
	local name=$1 try; shift
	for try in 1 2 3 4 5; do
		PORT=$(free_port); URL="http://127.0.0.1:$PORT"
		sl_start "$name" srlite --listen "127.0.0.1:$PORT" "$@"
		wait_http "$URL/" && return 0
		grep -q "Address already in use" "$T_TMP/$name.log" || break
	done
	cat "$T_TMP/$name.log" >&2
	return 1
}

# inv_owned SETDIR: the exporters a set owns, as the next run would load them (inventory.json,
# then journal.jsonl replayed; a torn last line ignored): one "KEY EXPORTER URL pending|done"
# line each, sorted. Exit 1 when a file does not parse.
inv_owned() {
	python3 - "$1" <<'PY'
import json, os, sys
d = sys.argv[1]
owned, seq = {}, 0
p = os.path.join(d, "inventory.json")
if os.path.exists(p):
    snap = json.load(open(p))
    seq = snap.get("seq", 0)
    if snap.get("version", 1) >= 2:
        owned = dict(snap.get("owned", {}))
    else:
        for k, v in snap.get("objects", {}).items():
            if v.get("exporter"):
                owned[k] = {"key": k, "exporter": v["exporter"], "url": v.get("url"), "pending": False}
j = os.path.join(d, "journal.jsonl")
if os.path.exists(j):
    lines = open(j).read().split("\n")
    for n, line in enumerate(lines[:-1]):   # the part after the last newline is torn
        e = json.loads(line)
        if e["seq"] <= seq or e["type"] != "o":
            continue
        owned.pop(e["id"], None)
        if e["op"] == "put":
            owned[e["id"]] = e["v"]
for v in sorted(owned.values(), key=lambda v: (v["key"], v["url"])):
    print(v["key"], v["exporter"], v["url"], "pending" if v.get("pending") else "done")
PY
}
