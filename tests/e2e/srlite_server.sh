#!/usr/bin/env bash
# srlite as a server: --data-dir durability across kill -9, torn journal tail, 200 parallel
# registrations, basic auth, HTTPS, oversized bodies, clean SIGTERM, the registry's identity
# (--cluster-id, DIR/cluster-id, a new id per in-memory start) and --max-exporters.
. "$(dirname "$0")/../lib.sh"

CT="Content-Type: application/vnd.schemaregistry.v1+json"
DATA="$T_TMP/data"

# start NAME ARGS...: srlite on a free port (tests/lib.sh srlite_start), sets PORT and URL.
start() { srlite_start "$@" || not_ok "$1 starts"; }
post() { curl -s -H "$CT" -X POST --data-binary "$2" "$1"; }
# ident: the registry's id from GET /v1/metadata/id ("" when none).
ident() { curl -s "$URL/v1/metadata/id" | jq -r '.id // ""' 2>/dev/null; }

# --- durability across kill -9 ---
start d1 --data-dir "$DATA"
ID_D=$(ident)
expect_match "--data-dir: a generated id" "$ID_D" '^[A-Za-z0-9_-]{22}$'
expect_eq "--data-dir: the id is kept in DIR/cluster-id" "$(cat "$DATA/cluster-id")" "$ID_D"
expect_match "--data-dir: the generation is logged" "$(cat "$T_TMP/d1.log")" "generated cluster id $ID_D in $DATA/cluster-id"
expect_eq "register a" "$(post "$URL/subjects/a/versions" '{"schema":"\"int\""}')" '{"id":1,"version":1}'
expect_eq "register b ctx" "$(post "$URL/subjects/:.c:b/versions" '{"schema":"\"long\""}')" '{"id":1,"version":1}'
expect_eq "register a v2" "$(post "$URL/subjects/a/versions" '{"schema":"\"string\""}')" '{"id":2,"version":2}'
curl -s -o /dev/null -X DELETE "$URL/subjects/a/versions/1"
curl -s -o /dev/null -H "$CT" -X PUT --data-binary '{"mode":"READONLY"}' "$URL/mode/:.c:"
curl -s -o /dev/null -H "$CT" -X PUT --data-binary '{"compatibility":"NONE"}' "$URL/config/a"
kill -9 "$PID_d1"; wait "$PID_d1" 2>/dev/null
start d2 --data-dir "$DATA"
expect_eq "--data-dir: the id survives kill -9 and a restart" "$(ident)" "$ID_D"
expect_no_match "--data-dir: no new id at restart" "$(cat "$T_TMP/d2.log")" "generated cluster id"
expect_eq "after kill -9: versions" "$(curl -s "$URL/subjects/a/versions?deleted=true")" '[1,2]'
expect_eq "after kill -9: soft delete kept" "$(curl -s "$URL/subjects/a/versions")" '[2]'
expect_eq "after kill -9: ctx mode" "$(curl -s "$URL/mode/:.c:")" '{"mode":"READONLY"}'
expect_eq "after kill -9: config" "$(curl -s "$URL/config/a")" '{"compatibilityLevel":"NONE"}'
expect_eq "after kill -9: ids keep counting" "$(post "$URL/subjects/z/versions" '{"schema":"\"float\""}')" '{"id":3,"version":1}'
expect_match "replay logged" "$(cat "$T_TMP/d2.log")" "replayed 6 records"
# --- torn tail ---
kill -9 "$PID_d2"; wait "$PID_d2" 2>/dev/null
size=$(stat -c %s "$DATA/journal")
truncate -s $((size - 5)) "$DATA/journal"
start d3 --data-dir "$DATA"
expect_match "torn tail warning" "$(cat "$T_TMP/d3.log")" "WARN.*dropped a torn last record"
expect_eq "torn record lost, rest intact" "$(curl -s "$URL/subjects/z/versions")" \
	'{"error_code":40401,"message":"Subject '"'"'z'"'"' not found."}'
expect_eq "earlier data intact" "$(curl -s "$URL/subjects/a/versions/2" | head -c 40)" '{"subject":"a","version":2,"id":2,"schem'
expect_eq "id reused after torn (never acknowledged)" "$(post "$URL/subjects/y/versions" '{"schema":"\"double\""}')" '{"id":3,"version":1}'

# --- 200 parallel registrations ---
seq 1 200 | xargs -P 50 -I{} curl -s -H "$CT" -X POST \
	--data-binary '{"schema":"{\"type\":\"fixed\",\"name\":\"f{}\",\"size\":1}"}' \
	"$URL/subjects/par/versions" -o "$T_TMP/par.{}"
ids=$(cat "$T_TMP"/par.* | grep -o '"id":[0-9]*' | sort -u | wc -l)
expect_eq "200 parallel registrations -> 200 distinct ids" "$ids" "200"
expect_eq "200 versions" "$(curl -s "$URL/subjects/par/versions" | grep -o "[0-9][0-9]*" | wc -l)" "200"
# --- SIGTERM is a clean stop; the parallel writes survived ---
kill -TERM "$PID_d3"; wait "$PID_d3"; rc=$?
expect_eq "SIGTERM exit 0" "$rc" "0"
start d4 --data-dir "$DATA"
expect_eq "--data-dir: the id survives SIGTERM and a restart" "$(ident)" "$ID_D"
expect_eq "parallel writes durable" "$(curl -s "$URL/subjects/par/versions" | grep -o "[0-9][0-9]*" | wc -l)" "200"

# --- oversized body ---
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$T_TMP/big"
code=$(curl -s -o "$T_TMP/bigresp" -w '%{http_code}' -H "$CT" -X POST --data-binary @"$T_TMP/big" "$URL/subjects/big/versions")
expect_eq "17 MiB body refused 413" "$code" "413"
expect_eq "still serving after big body" "$(curl -s "$URL/subjects/a/versions")" '[2]'

# --- basic auth ---
printf 'alice:s3cr3t-pw\n' >"$T_TMP/users"
start auth --basic-auth-file "$T_TMP/users"
code=$(curl -s -o "$T_TMP/a" -w '%{http_code}' "$URL/subjects")
expect_eq "no credentials 401" "$code" "401"
expect_match "401 JSON body" "$(cat "$T_TMP/a")" '"error_code":401'
code=$(curl -s -o /dev/null -w '%{http_code}' -u alice:wrong "$URL/subjects")
expect_eq "wrong password 401" "$code" "401"
expect_eq "right password 200" "$(curl -s -u alice:s3cr3t-pw "$URL/subjects")" '[]'
expect_no_match "password never logged" "$(cat "$T_TMP/auth.log")" 's3cr3t-pw'

# --- HTTPS ---
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
	sl_serve tls "$SRLITE_UP" srlite --listen "127.0.0.1:@PORT@" --tls-cert "$T_TMP/cert.pem" --tls-key "$T_TMP/key.pem"
	for i in $(seq 100); do curl -s --cacert "$T_TMP/cert.pem" -o /dev/null "https://127.0.0.1:$PORT/" && break; sleep 0.05; done
	expect_match "https startup line" "$(cat "$T_TMP/tls.log")" "listening on https://127.0.0.1:$PORT"
	expect_eq "https register" "$(curl -s --cacert "$T_TMP/cert.pem" -H "$CT" -X POST --data-binary '{"schema":"\"int\""}' "https://127.0.0.1:$PORT/subjects/t/versions")" '{"id":1,"version":1}'
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")
	expect_match "plain http refused on https port" "$code" '^(000|400)$'
else
	not_ok "openssl makes a test certificate"
fi

# --- flags ---
run srlite --wildcard-scope sideways
expect_eq "bad --wildcard-scope exit 2" "$RC" "2"
run srlite --tls-cert x
expect_eq "--tls-cert alone exit 2" "$RC" "2"
start flags --cluster-id east --wildcard-scope default-context --enable-fault-injection
expect_match "cluster id and scope parsed" "$(cat "$T_TMP/flags.log")" "cluster id east, wildcard scope default-context"

# --- identity: GET /v1/metadata/id ---
expect_eq "--cluster-id east is the identity" "$(curl -s "$URL/v1/metadata/id")" \
	'{"id":"east","scope":{"path":[],"clusters":{"kafka-cluster":"east","schema-registry-cluster":"srlite"}}}'
start x --cluster-id x
expect_eq "--cluster-id x is returned" "$(ident)" x
start mem1
ID_M1=$(ident)
start mem2
ID_M2=$(ident)
expect_match "in memory: a generated id" "$ID_M1" '^[A-Za-z0-9_-]{22}$'
expect_match "in memory: another generated id" "$ID_M2" '^[A-Za-z0-9_-]{22}$'
if [ "$ID_M1" != "$ID_M2" ]; then ok "two in-memory starts have different ids"; else
	not_ok "two in-memory starts have different ids" "both $ID_M1"; fi
kill -TERM "$PID_mem1"; wait "$PID_mem1" 2>/dev/null
start mem1b
if [ "$(ident)" != "$ID_M1" ]; then ok "an in-memory restart is a new registry"; else
	not_ok "an in-memory restart is a new registry" "same id $ID_M1"; fi
# The flag wins over the kept id, and leaves the file alone.
start dflag --data-dir "$DATA" --cluster-id west
expect_eq "--cluster-id over --data-dir" "$(ident)" west
expect_eq "--cluster-id leaves DIR/cluster-id alone" "$(cat "$DATA/cluster-id")" "$ID_D"
kill -TERM "$PID_dflag"; wait "$PID_dflag" 2>/dev/null
# Bad ids on the command line: exit 2 and say why.
run srlite --cluster-id 'east:1'
expect_eq "bad --cluster-id exit 2" "$RC" "2"
expect_eq "bad --cluster-id says why" "$ERR" "srlite: --cluster-id \"east:1\": character ':' at offset 4; want 1-64 characters of [A-Za-z0-9_-]
Run 'srlite --help' for usage."
run srlite --cluster-id ''
expect_eq "empty --cluster-id exit 2" "$RC" "2"
expect_match "empty --cluster-id says why" "$ERR" 'cluster-id "": empty; want 1-64'
run srlite --cluster-id "$(printf 'x%.0s' $(seq 65))"
expect_eq "65-character --cluster-id exit 2" "$RC" "2"
expect_match "65-character --cluster-id says why" "$ERR" '65 bytes long; want 1-64'
run srlite --cluster-id "$(printf 'a\033[2Jb')"
expect_eq "control character in --cluster-id exit 2" "$RC" "2"
expect_match "control characters are not echoed" "$ERR" 'cluster-id "a\?\[2Jb": byte 0x1b at offset 1'
# A malformed DIR/cluster-id stops the start, naming the file.
printf 'not an id\n' >"$DATA/cluster-id"
run srlite --listen "127.0.0.1:$(free_port)" --data-dir "$DATA"
expect_eq "malformed DIR/cluster-id exit 1" "$RC" "1"
expect_match "malformed DIR/cluster-id names the file" "$ERR" "cannot read the cluster id: $DATA/cluster-id: malformed cluster id: byte 0x20 at offset 3"

# --- --max-exporters ---
# mkexp NAME: POST /exporters for an exporter that matches nothing; prints status and body.
mkexp() {
	curl -s -w ' %{http_code}' -H "$CT" -X POST --data-binary \
		"{\"name\":\"$1\",\"contextType\":\"NONE\",\"subjects\":[\"nothing-matches\"],\"config\":{\"schema.registry.url\":\"$URL\"}}" \
		"$URL/exporters"
}
run srlite --max-exporters 0
expect_eq "--max-exporters 0 exit 2" "$RC" "2"
expect_match "--max-exporters 0 says why" "$ERR" 'must be a whole number from 1 to 1000000 \(got "0"\)'
run srlite --max-exporters 2x
expect_eq "--max-exporters 2x exit 2" "$RC" "2"
start maxexp --max-exporters 2 --data-dir "$T_TMP/maxexp"
expect_eq "--max-exporters 2: first" "$(mkexp x1)" '{"name":"x1"} 200'
expect_eq "--max-exporters 2: second" "$(mkexp x2)" '{"name":"x2"} 200'
expect_eq "--max-exporters 2: the third is refused (40964)" "$(mkexp x3)" \
	'{"error_code":40964,"message":"Too many exporters: at most 2 are allowed."} 409'
curl -s -o /dev/null -X PUT "$URL/exporters/x2/pause"
expect_eq "--max-exporters 2: delete one" "$(curl -s -w ' %{http_code}' -X DELETE "$URL/exporters/x2")" ' 200'
expect_eq "--max-exporters 2: room again after a delete" "$(mkexp x3)" '{"name":"x3"} 200'
reg_stop() { kill -TERM "$1"; wait "$1" 2>/dev/null; }
reg_stop "$PID_maxexp"
start maxexp1 --max-exporters 1 --data-dir "$T_TMP/maxexp"
expect_eq "a lower limit keeps the exporters already there" "$(curl -s "$URL/exporters")" '["x1","x3"]'
expect_match "a lower limit refuses new ones" "$(mkexp x4)" '"error_code":40964,"message":"Too many exporters: at most 1 are allowed.".* 409$'
t_done
