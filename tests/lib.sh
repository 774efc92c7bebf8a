# tests/lib.sh — helpers for e2e and golden scripts (sourced, bash).
# Each check prints "ok NAME" or "not ok NAME" plus details; tests/run.sh counts them.
# Processes started with sl_start are killed when the script exits.
set -u
SL_BINDIR=${SL_BINDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../bin" && pwd)}
SL_WRAP=${SL_WRAP:-}
T_FAILS=0
T_PIDS=()
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sltest.XXXXXX")
# Nothing outside T_TMP is shared with other scripts (tests/run.sh runs several at once): a
# default state dir is this script's own, and no outer systemd socket hears the daemons.
export XDG_STATE_HOME="$T_TMP/xdg-state"
unset SLCTL_STATE_DIR NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID

# python3 on PATH may be a version manager's shim (pyenv's costs about 0.3 s of CPU a call,
# and the scripts call python3 in polling loops): the interpreter it stands for comes first on
# PATH instead, through a one-line wrapper. tests/run.sh resolves it once (SL_PYTHON3).
if [ -z "${SL_PYTHON3+set}" ]; then
	SL_PYTHON3=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
	export SL_PYTHON3
fi
if [ -n "$SL_PYTHON3" ] && [ -x "$SL_PYTHON3" ] && [ "$(command -v python3)" != "$SL_PYTHON3" ]; then
	mkdir "$T_TMP/.bin"
	printf '#!/bin/sh\nexec %q "$@"\n' "$SL_PYTHON3" >"$T_TMP/.bin/python3"
	chmod +x "$T_TMP/.bin/python3"
	PATH="$T_TMP/.bin:$PATH"
fi

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
	OUT=$(<"$T_TMP/out"); ERR=$(<"$T_TMP/err")
}

# free_port: prints a loopback TCP port nobody listens on now and that this script was not
# given before (a port a test keeps dead, or frees to restart a server on, stays its own). It
# stays below the kernel's ephemeral range (32768 and up by default), where outgoing
# connections take their ports, and within T_PORT_LO..T_PORT_HI-1 when set: tests/run.sh gives
# each script it runs at once its own slice, so they never pick each other's ports.
free_port() {
	local p lo=${T_PORT_LO:-10000} hi=${T_PORT_HI:-32000}
	touch "$T_TMP/.ports"
	while :; do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
		grep -qx "$p" "$T_TMP/.ports" && continue
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		echo "$p" >>"$T_TMP/.ports"
		echo "$p"
		return
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

# sl_start NAME PROG ARGS...: starts bin/PROG in the background, logs to $T_TMP/NAME.log (made
# empty first: what an earlier NAME logged is gone once this returns).
sl_start() {
	local name=$1 prog=$2; shift 2
	: >"$T_TMP/$name.log"
	$SL_WRAP "$SL_BINDIR/$prog" "$@" >"$T_TMP/$name.log" 2>&1 &
	T_PIDS+=($!)
	eval "PID_$name=$!"
}

t_done() { exit $(( T_FAILS > 0 ? 1 : 0 )); }

# sl_bound NAME REGEX [SECONDS]: waits (10 s by default) until NAME's log shows REGEX, the
# line by which the program says it has bound its listening port. An answer on the port alone
# does not tell: another process may hold the port and answer instead. Returns 2 when the bind
# failed with EADDRINUSE, 1 when the program exited or timed out.
sl_bound() {
	local name=$1 re=$2 i n=$(( ${3:-10} * 20 )) pid log=$T_TMP/$1.log
	pid=PID_$name; pid=${!pid}
	for ((i = 0; i < n; i++)); do
		grep -Eqs "$re" "$log" && return 0
		grep -qs "Address already in use" "$log" && return 2
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	grep -Eqs "$re" "$log" && return 0
	grep -qs "Address already in use" "$log" && return 2
	return 1
}

# sl_serve NAME REGEX PROG ARGS...: sl_start NAME PROG ARGS... with "@PORT@" in ARGS replaced
# by a free_port, then sl_bound NAME REGEX. free_port only checks that nobody listens right
# now; another process may bind the port first, so a bind failure retries on a new port. Sets
# PORT. Returns 1 when PROG does not come up in 10 s (its log is in $T_TMP/NAME.log).
sl_serve() {
	local name=$1 re=$2 prog=$3 try a args rc pid; shift 3
	for try in 1 2 3 4 5; do
		PORT=$(free_port)
		args=()
		for a in "$@"; do args+=("${a//@PORT@/$PORT}"); done
		sl_start "$name" "$prog" "${args[@]}"
		sl_bound "$name" "$re"; rc=$?
		[ $rc -eq 2 ] || return $(( rc != 0 ))
		# It exited: no longer ours to clean up.
		pid=PID_$name; pid=${!pid}
		wait "$pid" 2>/dev/null
		T_PIDS=("${T_PIDS[@]:0:${#T_PIDS[@]}-1}")
	done
	return 1
}

# The lines by which srlite and schemalinkd say they listen.
SRLITE_UP='^srlite: listening on '
DAEMON_UP='serving on port [0-9]+'

# srlite_start NAME ARGS...: starts bin/srlite on a free loopback port with ARGS (sl_serve),
# waits until it answers, sets PORT and URL. Returns 1 (after printing the log) when srlite
# does not come up.
srlite_start() {
	local name=$1 rc; shift
	sl_serve "$name" "$SRLITE_UP" srlite --listen "127.0.0.1:@PORT@" "$@"; rc=$?
	URL="http://127.0.0.1:$PORT"
	[ $rc -eq 0 ] && wait_http "$URL/" && return 0
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
