# tests/daemon_lib.sh — helpers for the schemalinkd e2e scripts (sourced after lib.sh).

# write_regs FILE: two Registry documents.
write_regs() {
	cat >"$1" <<'YAML'
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec: {url: "http://127.0.0.1:1"}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: target}
spec: {url: "http://127.0.0.1:2"}
YAML
}

# write_link FILE NAME [SUBJECT]: one SchemaLink from source to target.
write_link() {
	printf 'apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: %s}\nspec: {source: source, destination: target, subjects: ["%s"]}\n' \
		"$2" "${3:-:.:*}" >"$1"
}

# d_up NAME RC: after sl_serve (PORT, its status RC): sets D_URL; not_ok unless it serves /livez.
d_up() {
	D_URL="http://127.0.0.1:$PORT"
	[ "$2" -eq 0 ] && wait_http "$D_URL/livez" 10 ||
		not_ok "$1 serves /livez" "$(tail -5 "$T_TMP/$1.log")"
}

# d_start NAME DIR FAKE [ARGS...]: starts schemalinkd with the test-only fake reconciler on a
# free port (sl_serve), state in $T_TMP/state (set "default" unless ARGS give --set); sets
# D_URL and waits for /livez.
d_start() {
	local name=$1 dir=$2 fake=$3 PORT; shift 3
	local set=(--set default) # these scripts read $T_TMP/state/default/
	[[ " $* " == *" --set "* ]] && set=()
	sl_serve "$name" "$DAEMON_UP" schemalinkd --manifests "$dir" --state-dir "$T_TMP/state" \
		"${set[@]}" --listen "127.0.0.1:@PORT@" --test-fake-reconciler "$fake" "$@"
	d_up "$name" $?
}

# loads NAME RESULT: schemalink_manifest_loads_total{result=RESULT} of the daemon at $D_URL.
loads() {
	local v
	v=$(curl -s "$D_URL/metrics" | sed -n "s/^schemalink_manifest_loads_total{result=\"$2\"} \([0-9]*\)$/\1/p")
	echo "${v:-0}"
}

# gen: the number of objects in the snapshot in use.
objects() {
	local v
	v=$(curl -s "$D_URL/metrics" | sed -n 's/^schemalink_manifest_objects \([0-9]*\)$/\1/p')
	echo "${v:-0}"
}

# wait_until NAME SECONDS CONDITION: ok when CONDITION (evaluated) holds within SECONDS.
wait_until() {
	local i n=$(( $2 * 20 ))
	for ((i = 0; i < n; i++)); do
		if eval "$3"; then ok "$1"; return 0; fi
		sleep 0.05
	done
	not_ok "$1" "condition never held: $3"
	return 1
}

# check_prom FILE: validates Prometheus text format 0.0.4 sample lines with python3.
check_prom() {
	python3 - "$1" <<'PY'
import re, sys
lab = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
pat = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{' + lab + r'(,' + lab + r')*\})? (\S+)$')
typed = set()
for l in open(sys.argv[1]).read().splitlines():
    if l.startswith('# HELP '):
        continue
    if l.startswith('# TYPE '):
        name, kind = l[7:].split(' ')
        assert kind in ('counter', 'gauge', 'histogram'), l
        assert name not in typed, 'typed twice: ' + name
        typed.add(name)
        continue
    m = pat.match(l)
    assert m, 'bad line: ' + l
    base = re.sub(r'_(bucket|sum|count)$', '', m.group(1))
    assert m.group(1) in typed or base in typed, 'untyped: ' + l
    float(m.group(4))
PY
}

# ---- the real engine against srlite -----------------------------------------------------------

# write_srlite_regs FILE SRC_URL TGT_URL: Registry "source" and "target" at real srlite URLs.
write_srlite_regs() {
	cat >"$1" <<YAML
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec: {url: "$2"}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: target}
spec: {url: "$3"}
YAML
}

# de_start NAME DIR [ARGS...]: starts schemalinkd with the real engine on a free port
# (sl_serve), state in $T_TMP/state (unless ARGS give --state-dir); sets D_URL and waits for
# /livez.
de_start() {
	local name=$1 dir=$2 PORT; shift 2
	local st=(--state-dir "$T_TMP/state") set=(--set default)
	[[ " $* " == *" --state-dir "* ]] && st=()
	[[ " $* " == *" --set "* ]] && set=()
	sl_serve "$name" "$DAEMON_UP" schemalinkd --manifests "$dir" "${st[@]}" "${set[@]}" \
		--listen "127.0.0.1:@PORT@" "$@"
	d_up "$name" $?
}

# cond KEY TYPE [DAEMON_URL]: "STATUS REASON ERRORCODE" of condition TYPE of object KEY
# ("SchemaLink/l1") in /status/KEY of the daemon at DAEMON_URL (default $D_URL).
cond() {
	curl -s "${3:-$D_URL}/status/$1" | python3 -c '
import json, sys
try:
    st = json.load(sys.stdin)
    c = [c for c in st.get("conditions", []) if c["type"] == sys.argv[1]][0]
    print(c["status"], c.get("reason") or "-", c.get("errorCode") or "-")
except Exception:
    print("? ? ?")' "$2"
}

# metric NAME [LABELS] [DAEMON_URL]: the value of sample NAME{LABELS} (LABELS as rendered,
# e.g. 'link="l1",reason="X"'), 0 when absent.
metric() {
	local v sel=$1
	[ -n "${2:-}" ] && sel="$1{$2}"
	v=$(curl -s "${3:-$D_URL}/metrics" | awk -v s="$sel" '$1 == s {print $2}')
	echo "${v:-0}"
}

# sr_count URL FIELD...: the sum of srlite's request counters FIELD (GET, POST, PUT, DELETE,
# total) at URL. srlite counts every API request it serves; /_srlite/ requests are not counted.
sr_count() {
	local u=$1; shift
	curl -s "$u/_srlite/requests" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(d[k] for k in sys.argv[1:]))' "$@"
}
sr_writes() { sr_count "$1" POST PUT DELETE; }

# register URL SUBJECT SCHEMA_JSON_STRING: registers a schema (e.g. '"string"').
register() {
	curl -s -H 'Content-Type: application/json' \
		-d "$(python3 -c 'import json,sys; print(json.dumps({"schema": sys.argv[1]}))' "$3")" \
		"$1/subjects/$2/versions" >/dev/null
}
