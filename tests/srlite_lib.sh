# tests/srlite_lib.sh — helpers for the srlite exporter e2e scripts (sourced after lib.sh).

CT="Content-Type: application/vnd.schemaregistry.v1+json"

# reg_start NAME ARGS...: starts srlite on a free port as NAME (URL_NAME, PORT_NAME set),
# retrying when the port was taken meanwhile (sl_serve). Returns 1 when it never answered.
reg_start() {
	local name=$1 PORT
	shift
	sl_serve "$name" "$SRLITE_UP" srlite --listen "127.0.0.1:@PORT@" "$@" || return 1
	wait_http "http://127.0.0.1:$PORT/" 10 || return 1
	eval "PORT_$name=$PORT URL_$name=http://127.0.0.1:$PORT"
}

# reg_kill NAME [SIGNAL]: stops NAME's srlite and waits for it.
reg_kill() {
	local pid
	pid=$(eval echo "\$PID_$1")
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# req METHOD URL [BODY]: sets S (status) and B (body).
req() {
	local args=(-s -o "$T_TMP/body" -w '%{http_code}' -X "$1" -H "$CT")
	[ $# -ge 3 ] && args+=(--data-binary "$3")
	S=$(curl "${args[@]}" "$2")
	B=$(<"$T_TMP/body")
}

# check NAME METHOD URL BODY|- WANT_STATUS WANT_BODY_REGEX
check() {
	local name=$1 m=$2 u=$3 body=$4 ws=$5 wb=$6
	if [ "$body" = "-" ]; then req "$m" "$u"; else req "$m" "$u" "$body"; fi
	if [ "$S" = "$ws" ] && [[ "$B" =~ $wb ]]; then ok "$name"; else
		not_ok "$name" "$m $u -> $S $B" "want $ws /$wb/"
	fi
}

# eventually SECONDS CMD...: retries CMD every 50 ms until it succeeds or time runs out.
eventually() {
	local i n=$(($1 * 20))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# has_subject URL SUBJECT: true when GET URL/subjects lists SUBJECT.
has_subject() {
	curl -s "$1/subjects" | jq -e --arg s "$2" 'index($s) != null' >/dev/null 2>&1
}

# state_is URL NAME STATE: the exporter's status state.
state_is() {
	[ "$(curl -s "$1/exporters/$2/status" | jq -r .state 2>/dev/null)" = "$3" ]
}

# exporter_create URL BODY: POST /exporters, expecting 200.
exporter_create() {
	req POST "$1/exporters" "$2"
	[ "$S" = 200 ] || echo "exporter create failed: $S $B" >&2
}

# register URL SUBJECT SCHEMA_JSON_STRING: registers and prints the answer.
register() {
	curl -s -X POST -H "$CT" --data-binary "{\"schema\":$3}" "$1/subjects/$2/versions"
}

# Schemas shaped like the walkthrough's datagen ones.
PAGEVIEWS='"{\"type\":\"record\",\"name\":\"pageviews\",\"namespace\":\"ksql\",\"fields\":[{\"name\":\"viewtime\",\"type\":\"long\"},{\"name\":\"userid\",\"type\":\"string\"},{\"name\":\"pageid\",\"type\":\"string\"}],\"connect.name\":\"ksql.pageviews\"}"'
STOCK_TRADES='"{\"type\":\"record\",\"name\":\"StockTrade\",\"namespace\":\"ksql\",\"fields\":[{\"name\":\"side\",\"type\":\"string\"},{\"name\":\"quantity\",\"type\":\"int\"},{\"name\":\"symbol\",\"type\":\"string\"},{\"name\":\"price\",\"type\":\"int\"},{\"name\":\"account\",\"type\":\"string\"},{\"name\":\"userid\",\"type\":\"string\"}],\"connect.name\":\"ksql.StockTrade\"}"'
