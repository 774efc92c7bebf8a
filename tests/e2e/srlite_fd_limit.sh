#!/usr/bin/env bash
# srlite out of file descriptors: libmicrohttpd busy-waits on "Too many open files" and logs
# every turn; the log gets that message once per 10 s with how often it came again
# (pkg/httpd/httpd.c), not thousands of lines a second (a 10,000-exporter srlite once wrote
# 23 GB of them in 12 minutes). Once the connections close it answers again.
source "$(dirname "$0")/../lib.sh"

# A low descriptor limit for srlite only (a subshell), then more connections than it allows.
ulimit -n 128 || { ok "skipped: cannot lower the descriptor limit"; t_done; }
srlite_start s || exit 1
python3 - "$PORT" <<'PY' &
import socket, sys, time
socks = []
for _ in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        socks.append(s)
    except OSError:
        pass
time.sleep(4)
for s in socks:
    s.close()
PY
HOLD=$!
sleep 3
lines=$(grep -c 'Too many open files' "$T_TMP/s.log")
[ "$lines" -le 6 ] && ok "out of descriptors for 3 s: $lines lines of it in the log" ||
	not_ok "out of descriptors for 3 s: $lines lines of it in the log (want at most 6)"
wait "$HOLD"
wait_until() { local i; for i in $(seq 50); do eval "$1" && return 0; sleep 0.2; done; return 1; }
wait_until 'curl -s -o /dev/null --max-time 2 "$URL/"' && ok "answers again once they close" ||
	not_ok "answers again once they close"
t_done
