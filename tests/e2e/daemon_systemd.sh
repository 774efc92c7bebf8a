#!/usr/bin/env bash
# schemalinkd speaks sd_notify without libsystemd: READY=1 after the first load, WATCHDOG=1 at
# half of $WATCHDOG_USEC, STOPPING=1 on SIGTERM, STATUS=...; to an abstract socket ('@name')
# and to a path. A python3 datagram socket plays systemd.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

mkdir -p "$T_TMP/m"
write_regs "$T_TMP/m/regs.yaml"

for kind in abstract path; do
	if [ "$kind" = abstract ]; then sock="@sl-notify-$$-$RANDOM"; else sock="$T_TMP/notify.sock"; fi
	python3 - "$sock" "$T_TMP/notify-$kind.txt" <<'PY' &
import socket, sys, time
name, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\0' + name[1:] if name.startswith('@') else name)
s.settimeout(0.2)
# Until the script kills it, once the daemon is gone: a fixed lifetime could end before a
# slow daemon (valgrind, a loaded machine) says STOPPING=1. The limit is for a script killed
# before its cleanup.
end = time.time() + 300
with open(out, 'w') as f:
    f.write('bound\n'); f.flush()
    while time.time() < end:
        try:
            f.write(s.recv(4096).decode() + '\n'); f.flush()
        except socket.timeout:
            pass
PY
	pypid=$!
	T_PIDS+=($pypid)
	for i in $(seq 1 100); do [ -s "$T_TMP/notify-$kind.txt" ] && break; sleep 0.05; done
	NOTIFY_SOCKET="$sock" WATCHDOG_USEC=1000000 d_start "sd$kind" "$T_TMP/m" done
	sleep 1.5
	pid_var="PID_sd$kind"
	kill -TERM "${!pid_var}"; wait "${!pid_var}"
	# The daemon is gone, its last datagram sent: wait for the listener to have written it.
	for i in $(seq 1 100); do grep -q '^STOPPING=1$' "$T_TMP/notify-$kind.txt" && break; sleep 0.05; done
	got=$(cat "$T_TMP/notify-$kind.txt")
	expect_match "$kind socket: READY=1" "$got" $'(^|\n)READY=1'
	expect_match "$kind socket: STATUS= after the load" "$got" 'STATUS=2 objects loaded'
	expect_eq "$kind socket: WATCHDOG=1 about every 500 ms" "$([ "$(grep -c '^WATCHDOG=1$' <<<"$got")" -ge 2 ] && echo yes)" yes
	expect_match "$kind socket: STOPPING=1" "$got" $'(^|\n)STOPPING=1'
	kill "$pypid" 2>/dev/null; wait "$pypid" 2>/dev/null
done
t_done
