#!/usr/bin/env bash
# srlite's idle exporters hold no descriptor (pkg/srlite/exporter_worker.c): a worker that has
# sent everything closes its connection before it sleeps. Each used to keep one socket open,
# so 10,000 running exporters needed 10,000 descriptors (20,000 with the destination in the
# same process) and srlite stopped answering at the machine's limit of 20,000. Here a source
# srlite limited to 128 descriptors runs 150 exporters: all export, all go idle, and the
# source is back to the descriptors it had before them.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../srlite_lib.sh"

N=150
reg_start dst || { not_ok "destination starts"; t_done; }
ulimit -n 128 || { ok "skipped: cannot lower the descriptor limit"; t_done; }
reg_start src || { not_ok "source starts" "$(cat "$T_TMP/src.log")"; t_done; }
SRC=$URL_src
DST=$URL_dst
fds() { ls "/proc/$PID_src/fd" | wc -l; }

check "register on the source" POST "$SRC/subjects/orders-value/versions" \
	'{"schema":"{\"type\":\"string\"}"}' 200 '"id":'
sleep 0.5
before=$(fds)
python3 - "$SRC" "$DST" "$N" <<'PY' || not_ok "create $N exporters"
import http.client, json, sys, urllib.parse
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(src)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
for i in range(n):
    body = json.dumps({"name": "x%d" % i, "contextType": "CUSTOM", "context": "c%d" % i,
                       "config": {"schema.registry.url": dst}})
    c.request("POST", "/exporters", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("exporter %d: HTTP %d" % (i, r.status))
PY

# Every exporter RUNNING and caught up, every context on the destination holding the schema.
exported() {
	local n
	n=$(curl -s --max-time 5 "$DST/subjects?subjectPrefix=:*:" | grep -o ':\.c[0-9]*:orders-value' | sort -u | wc -l)
	[ "$n" -eq "$N" ]
}
eventually 60 exported && ok "$N exporters exported the subject" ||
	not_ok "$N exporters exported the subject" \
		"$(curl -s --max-time 5 "$DST/subjects?subjectPrefix=:*:" | grep -o ':\.c[0-9]*:orders-value' | wc -l) contexts"
running() {
	local i s
	for ((i = 0; i < N; i += 10)); do
		s=$(curl -s --max-time 5 "$SRC/exporters/x$i/status")
		[[ "$s" == *'"state":"RUNNING"'* ]] || return 1
	done
}
eventually 30 running && ok "they are RUNNING" || not_ok "they are RUNNING" "$(curl -s --max-time 5 "$SRC/exporters/x0/status")"
idle() { [ "$(fds)" -le $((before + 2)) ]; }
eventually 10 idle && ok "idle exporters hold no descriptor ($(fds) open, $before before)" ||
	not_ok "idle exporters hold no descriptor" "$(fds) open, $before before them"

# A new version wakes them all; they send it and close again.
check "register a second version" POST "$SRC/subjects/orders-value/versions" \
	'{"schema":"{\"type\":\"int\"}"}' 200 '"id":'
second() {
	local n
	n=$(curl -s --max-time 5 "$DST/schemas?subjectPrefix=:*:" | grep -o '"version":2' | wc -l)
	[ "$n" -eq "$N" ]
}
eventually 60 second && ok "every exporter sent version 2" ||
	not_ok "every exporter sent version 2" "$(curl -s --max-time 5 "$DST/schemas?subjectPrefix=:*:" | grep -o '"version":2' | wc -l)"
eventually 10 idle && ok "and closed its connection again ($(fds) open)" ||
	not_ok "and closed its connection again" "$(fds) open, $before before"
curl -s -o /dev/null --max-time 2 "$SRC/" && ok "the source still answers" || not_ok "the source still answers"
t_done
