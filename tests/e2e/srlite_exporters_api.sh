#!/usr/bin/env bash
# srlite /exporters API (docs/internals/registry.md §2.1, §8): every error code, defaults, masking,
# preconditions, the Confluent-Schema-Exporter-Name header and destination credentials, and
# the /_srlite fault-injection endpoints.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../srlite_lib.sh"

T=20
reg_start src || { not_ok "source starts" "$(cat "$T_TMP/src.log")"; t_done; }
reg_start dst --enable-fault-injection || { not_ok "destination starts"; t_done; }
SRC=$URL_src
DST=$URL_dst
CFG="{\"schema.registry.url\":\"$DST\"}"

# --- create: validation in §2.1 order ---
check "40950 missing name" POST "$SRC/exporters" "{\"config\":$CFG}" 409 '^\{"error_code":40950,"message":"'
check "40950 invalid characters" POST "$SRC/exporters" "{\"name\":\"a b\",\"config\":$CFG}" 409 '"error_code":40950'
check "40950 name not a string" POST "$SRC/exporters" "{\"name\":7,\"config\":$CFG}" 409 '"error_code":40950'
long=$(printf 'n%.0s' {1..256})
check "40950 256 characters" POST "$SRC/exporters" "{\"name\":\"$long\",\"config\":$CFG}" 409 '"error_code":40950'
check "40950 before 40951" POST "$SRC/exporters" '{"name":"a/b"}' 409 '"error_code":40950'
check "40951 missing config" POST "$SRC/exporters" '{"name":"e1"}' 409 '^\{"error_code":40951,"message":"'
check "40951 config without schema.registry.url" POST "$SRC/exporters" '{"name":"e1","config":{"a":"b"}}' 409 '"error_code":40951'
check "40951 config value not a string" POST "$SRC/exporters" "{\"name\":\"e1\",\"config\":{\"schema.registry.url\":\"$DST\",\"x\":1}}" 409 '"error_code":40951'
check "40951 url not http" POST "$SRC/exporters" '{"name":"e1","config":{"schema.registry.url":"ftp://x"}}' 409 '"error_code":40951'
check "40951 bad contextType" POST "$SRC/exporters" "{\"name\":\"e1\",\"contextType\":\"DEFAULT\",\"config\":$CFG}" 409 '"error_code":40951'
check "40951 CUSTOM without context" POST "$SRC/exporters" "{\"name\":\"e1\",\"contextType\":\"CUSTOM\",\"config\":$CFG}" 409 '"error_code":40951'
check "40951 before 40952" POST "$SRC/exporters" '{"name":"e1","subjects":[":*:x"]}' 409 '"error_code":40951'
check "40952 subjects not a list" POST "$SRC/exporters" "{\"name\":\"e1\",\"subjects\":\"*\",\"config\":$CFG}" 409 '^\{"error_code":40952,"message":"'
check "40952 :*:foo" POST "$SRC/exporters" "{\"name\":\"e1\",\"subjects\":[\":*:foo\"],\"config\":$CFG}" 409 '"error_code":40952'
check "40952 context-only" POST "$SRC/exporters" "{\"name\":\"e1\",\"subjects\":[\":.ctx:\"],\"config\":$CFG}" 409 '"error_code":40952'
check "40952 empty name" POST "$SRC/exporters" "{\"name\":\"e1\",\"subjects\":[\"ok\",\"\"],\"config\":$CFG}" 409 '"error_code":40952'
check "malformed JSON 400" POST "$SRC/exporters" '{"name":' 400 '"error_code":400'
check "no exporter was created" GET "$SRC/exporters" - 200 '^\[\]$'

# --- defaults, context as given, rename formats only when given ---
check "create with defaults" POST "$SRC/exporters" "{\"name\":\"e1\",\"config\":$CFG}" 200 '^\{"name":"e1"\}$'
check "defaults: subjects *, AUTO, context ." GET "$SRC/exporters/e1" - 200 \
	"^\\{\"name\":\"e1\",\"subjects\":\\[\"\\*\"\\],\"contextType\":\"AUTO\",\"context\":\".\",\"config\":\\{\"schema.registry.url\":\"$DST\"\\}\\}$"
check "40960 already exists" POST "$SRC/exporters" "{\"name\":\"e1\",\"config\":$CFG}" 409 '^\{"error_code":40960,"message":"'
check "create CUSTOM context as given" POST "$SRC/exporters" \
	"{\"name\":\"e2\",\"contextType\":\"CUSTOM\",\"context\":\"live-test\",\"subjects\":[\"a\",\":.x:*\",\":*:\"],\"subjectRenameFormat\":\"dc_\${subject}\",\"kekRenameFormat\":\"\${kek}\",\"config\":$CFG}" 200 '"e2"'
check "context returned as given" GET "$SRC/exporters/e2" - 200 \
	'^\{"name":"e2","subjects":\["a",":.x:\*",":\*:"\],"contextType":"CUSTOM","context":"live-test","subjectRenameFormat":"dc_\$\{subject\}","kekRenameFormat":"\$\{kek\}","config":'
check "list in name order" GET "$SRC/exporters" - 200 '^\["e1","e2"\]$'

# --- secret masking ---
check "create with secrets" POST "$SRC/exporters" \
	"{\"name\":\"sec\",\"contextType\":\"NONE\",\"config\":{\"schema.registry.url\":\"$DST\",\"basic.auth.credentials.source\":\"USER_INFO\",\"basic.auth.user.info\":\"u:CANARY-1\",\"bearer.auth.token\":\"CANARY-2\",\"bearer.auth.client.secret\":\"CANARY-3\",\"schema.registry.ssl.truststore.password\":\"CANARY-4\",\"my.Password\":\"CANARY-5\",\"bearer.auth.client.id\":\"visible-id\"}}" 200 '"sec"'
req GET "$SRC/exporters/sec"
expect_no_match "info hides every secret" "$B" 'CANARY'
expect_match "info masks basic.auth.user.info" "$B" '"basic.auth.user.info":"\[hidden\]"'
expect_match "info masks bearer.auth.token" "$B" '"bearer.auth.token":"\[hidden\]"'
expect_match "info masks bearer.auth.client.secret" "$B" '"bearer.auth.client.secret":"\[hidden\]"'
expect_match "info masks *password" "$B" '"schema.registry.ssl.truststore.password":"\[hidden\]".*"my.Password":"\[hidden\]"|"my.Password":"\[hidden\]".*"schema.registry.ssl.truststore.password":"\[hidden\]"'
expect_match "info keeps other keys" "$B" '"bearer.auth.client.id":"visible-id"'
req GET "$SRC/exporters/sec/config"
expect_no_match "config hides every secret" "$B" 'CANARY'
expect_match "config is a string map" "$B" '^\{.*"basic.auth.user.info":"\[hidden\]".*"schema.registry.url":"'
expect_no_match "no secret in the log" "$(cat "$T_TMP/src.log")" 'CANARY'

# --- 40450 on every route ---
for r in "GET /exporters/nope" "PUT /exporters/nope" "DELETE /exporters/nope" "GET /exporters/nope/config" \
	"PUT /exporters/nope/config" "GET /exporters/nope/status" "PUT /exporters/nope/pause" \
	"PUT /exporters/nope/resume" "PUT /exporters/nope/reset" "GET /exporters/nope/config/clusterlink"; do
	set -- $r
	body=-
	[ "$1" = PUT ] && body='{}'
	check "40450 $r" "$1" "$SRC$2" "$body" 404 '^\{"error_code":40450,"message":"'
done
check "405 on POST /exporters/e1" POST "$SRC/exporters/e1" '{}' 405 '"error_code":405'
check "404 on unknown sub-route" GET "$SRC/exporters/e1/nope/x/y" - 404 '"error_code":404'
check "clusterlink config" GET "$SRC/exporters/e1/config/clusterlink" - 200 '^\{\}$'

# --- state preconditions (e1 is running: AUTO into the destination) ---
eventually $T state_is "$SRC" e1 RUNNING
check "status shape" GET "$SRC/exporters/e1/status" - 200 '^\{"name":"e1","state":"RUNNING","offset":-1,"ts":0\}$'
check "40961 resume while RUNNING" PUT "$SRC/exporters/e1/resume" - 409 '^\{"error_code":40961,"message":"'
check "40963 update while RUNNING" PUT "$SRC/exporters/e1" '{"subjects":["x"]}' 409 '^\{"error_code":40963,"message":"'
check "40963 config update while RUNNING" PUT "$SRC/exporters/e1/config" "$CFG" 409 '"error_code":40963'
check "40963 reset while RUNNING" PUT "$SRC/exporters/e1/reset" - 409 '"error_code":40963'
check "40963 delete while RUNNING" DELETE "$SRC/exporters/e1" - 409 '"error_code":40963'
check "pause" PUT "$SRC/exporters/e1/pause" - 200 '^\{"name":"e1"\}$'
check "pause again (idempotent)" PUT "$SRC/exporters/e1/pause" - 200 '^\{"name":"e1"\}$'
check "PAUSED" GET "$SRC/exporters/e1/status" - 200 '"state":"PAUSED"'
check "update while PAUSED" PUT "$SRC/exporters/e1" '{"subjects":["x",":.c:*"],"contextType":"CUSTOM","context":"cc","subjectRenameFormat":"p_${subject}"}' 200 '^\{"name":"e1"\}$'
check "update applied" GET "$SRC/exporters/e1" - 200 '^\{"name":"e1","subjects":\["x",":.c:\*"\],"contextType":"CUSTOM","context":"cc","subjectRenameFormat":"p_\$\{subject\}","config":'
check "update 40952 while PAUSED" PUT "$SRC/exporters/e1" '{"subjects":[":*:nope"]}' 409 '"error_code":40952'
check "update 40951 bad config" PUT "$SRC/exporters/e1" '{"config":{"a":"b"}}' 409 '"error_code":40951'
check "config update while PAUSED" PUT "$SRC/exporters/e1/config" "{\"schema.registry.url\":\"$DST\",\"k\":\"v\"}" 200 '^\{"name":"e1"\}$'
check "config replaced" GET "$SRC/exporters/e1/config" - 200 "^\\{\"k\":\"v\",\"schema.registry.url\":\"$DST\"\\}$"
check "config update 40951 without url" PUT "$SRC/exporters/e1/config" '{"k":"v"}' 409 '"error_code":40951'
check "reset while PAUSED" PUT "$SRC/exporters/e1/reset" - 200 '^\{"name":"e1"\}$'
check "reset: offset -1, no trace" GET "$SRC/exporters/e1/status" - 200 '^\{"name":"e1","state":"PAUSED","offset":-1,"ts":[0-9]+\}$'
req DELETE "$SRC/exporters/e1"
expect_eq "delete PAUSED: 200" "$S" 200
expect_eq "delete PAUSED: empty body" "$B" ""
check "deleted is gone" GET "$SRC/exporters/e1" - 404 '"error_code":40450'
check "list after delete" GET "$SRC/exporters" - 200 '^\["e2","sec"\]$'
check "resume a PAUSED exporter" PUT "$SRC/exporters/e2/pause" - 200 'e2'
check "resume" PUT "$SRC/exporters/e2/resume" - 200 '^\{"name":"e2"\}$'
eventually $T state_is "$SRC" e2 RUNNING
check "running again" GET "$SRC/exporters/e2/status" - 200 '"state":"RUNNING"'

# --- masked values sent back keep the secret ---
check "pause sec" PUT "$SRC/exporters/sec/pause" - 200 'sec'
req GET "$SRC/exporters/sec/config"
check "PUT back the masked config" PUT "$SRC/exporters/sec/config" "$B" 200 'sec'

# --- header and credentials, seen by a recording destination ---
cat >"$T_TMP/rec.py" <<'EOF'
import http.server, json, sys
log = open(sys.argv[2], "a")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        log.write(json.dumps({"method": self.command, "path": self.path, "body": body,
                              "headers": dict(self.headers.items())}) + "\n")
        log.flush()
        out = b'{"mode":"IMPORT"}' if self.command == "PUT" else b'{"id":1,"version":1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_PUT = do_POST = do_DELETE = answer
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("recording on", sys.argv[1], flush=True)
srv.serve_forever()
EOF
# On a free port, retried when another process took it first (as sl_serve does).
for try in 1 2 3 4 5; do
	RPORT=$(free_port)
	python3 "$T_TMP/rec.py" "$RPORT" "$T_TMP/rec.log" >"$T_TMP/recorder.log" 2>&1 &
	PID_recorder=$!
	T_PIDS+=($!)
	sl_bound recorder '^recording on'
	[ $? -eq 2 ] || break
done
wait_http "http://127.0.0.1:$RPORT/" 10
: >"$T_TMP/rec.log"
REC="http://127.0.0.1:$RPORT"
register "$SRC" hdr-value '"\"string\""' >/dev/null
check "basic creds exporter" POST "$SRC/exporters" "{\"name\":\"hdr-basic\",\"contextType\":\"NONE\",\"subjects\":[\"hdr-value\"],\"config\":{\"schema.registry.url\":\"$REC\",\"basic.auth.credentials.source\":\"USER_INFO\",\"basic.auth.user.info\":\"alice:s3:cret\"}}" 200 'hdr-basic'
check "bearer exporter" POST "$SRC/exporters" "{\"name\":\"hdr-bearer\",\"contextType\":\"CUSTOM\",\"context\":\"bb\",\"subjects\":[\"hdr-value\"],\"config\":{\"schema.registry.url\":\"$REC\",\"bearer.auth.credentials.source\":\"STATIC_TOKEN\",\"bearer.auth.token\":\"tok-123\"}}" 200 'hdr-bearer'
reg_posts() { [ "$(grep -c '"method": "POST"' "$T_TMP/rec.log")" -ge 2 ]; }
eventually $T reg_posts || not_ok "recorder got the registrations" "$(curl -s $SRC/exporters/hdr-basic/status)" "$(curl -s $SRC/exporters/hdr-bearer/status)"
basic=$(printf 'alice:s3:cret' | base64)
L=$(cat "$T_TMP/rec.log")
expect_match "basic: PUT /mode first, with header and Basic auth" "$(grep '"method": "PUT", "path": "/mode"' <<<"$L")" "\"Confluent-Schema-Exporter-Name\": \"hdr-basic\".*\"Authorization\": \"Basic $basic\"|\"Authorization\": \"Basic $basic\".*\"Confluent-Schema-Exporter-Name\": \"hdr-basic\""
P=$(grep '"path": "/subjects/hdr-value/versions?normalize=false"' <<<"$L")
expect_match "basic: register with header" "$P" '"Confluent-Schema-Exporter-Name": "hdr-basic"'
expect_match "basic: register body has schema, schemaType, id, version" "$P" '"body": "\{\\"schema\\":\\"\\\\\\"string\\\\\\"\\",\\"schemaType\\":\\"AVRO\\",\\"id\\":[0-9]+,\\"version\\":1\}"'
expect_match "bearer: mode on :.bb:" "$L" '"method": "PUT", "path": "/mode/%3A.bb%3A".*"Authorization": "Bearer tok-123"'
expect_match "bearer: register into :.bb:" "$L" '"path": "/subjects/%3A.bb%3Ahdr-value/versions\?normalize=false".*"Confluent-Schema-Exporter-Name": "hdr-bearer".*"Authorization": "Bearer tok-123"'
expect_no_match "no credentials in the source's log" "$(cat "$T_TMP/src.log")" 's3:cret|tok-123'

# --- many exporters: the default limit is 10000 (--max-exporters), no longer 1000 ---
before=$(curl -s "$SRC/exporters" | jq length)
python3 - "$PORT_src" "$REC" >"$T_TMP/many.out" <<'EOF'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
codes = {}
for i in range(1001):
    c.request("POST", "/exporters", json.dumps({"name": "m%04d" % i, "contextType": "NONE",
              "subjects": ["nothing-matches"], "config": {"schema.registry.url": sys.argv[2]}}),
              {"Content-Type": "application/json"})
    r = c.getresponse(); body = r.read()
    codes[r.status] = codes.get(r.status, 0) + 1
    if r.status == 409:
        print(body.decode())
print(json.dumps(codes, sort_keys=True))
EOF
n=$(curl -s "$SRC/exporters" | jq length)
expect_eq "1001 more exporters under the default limit" "$n" $((before + 1001))
expect_eq "every create answered 200" "$(tail -1 "$T_TMP/many.out")" '{"200": 1001}'

# --- fault injection ---
reg_start plain || { not_ok "plain srlite starts"; t_done; }
reg_start fi --enable-fault-injection || { not_ok "fault-injection srlite starts"; t_done; }
DST=$URL_fi
check "/_srlite/faults 404 without the flag" POST "$URL_plain/_srlite/faults" '{"status":503}' 404 '^\{"error_code":404,"message":"HTTP 404 Not Found"\}$'
check "/_srlite/requests 404 without the flag" GET "$URL_plain/_srlite/requests" - 404 '"error_code":404'
check "DELETE /_srlite/faults 404 without the flag" DELETE "$URL_plain/_srlite/faults" - 404 '"error_code":404'
check "requests reset" DELETE "$DST/_srlite/requests" - 200 '^\{"GET":0,"POST":0,"PUT":0,"DELETE":0,"total":0,"limited":0,"routes":\{\}\}$'
check "clear faults" DELETE "$DST/_srlite/faults" - 200 '^\{\}$'
check "bad rule 422" POST "$DST/_srlite/faults" '{"status":"x"}' 422 '"error_code":422'
check "add a 503 x2 rule" POST "$DST/_srlite/faults" '{"method":"GET","pathPrefix":"/subjects","status":503,"count":2}' 200 '"id":[0-9]+,"method":"GET","pathPrefix":"/subjects","status":503,"count":2'
check "fault 1" GET "$DST/subjects" - 503 '^\{"error_code":503,"message":"Service Unavailable"\}$'
check "fault 2" GET "$DST/subjects" - 503 '"error_code":503'
check "then the registry answers" GET "$DST/subjects" - 200 '^\['
check "other paths unaffected" GET "$DST/contexts" - 200 '^\['
check "registry error code rule" POST "$DST/_srlite/faults" '{"method":"POST","pathPrefix":"/subjects/x","errorCode":50002,"message":"slow store","count":1}' 200 '"errorCode":50002'
check "errorCode gives its family's status" POST "$DST/subjects/x/versions" '{"schema":"\"int\""}' 500 '^\{"error_code":50002,"message":"slow store"\}$'
check "rawBody rule" POST "$DST/_srlite/faults" '{"pathPrefix":"/config","rawBody":"{\"compatibilityLevel\":","count":1}' 200 '"rawBody"'
check "rawBody replaces the body (200)" GET "$DST/config" - 200 '^\{"compatibilityLevel":$'
check "rawBody with status and type" POST "$DST/_srlite/faults" '{"pathPrefix":"/mode","status":503,"rawBody":"<html>busy</html>","contentType":"text/html","count":1}' 200 'text/html'
ctype=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$DST/mode")
expect_eq "HTML 503" "$ctype" "503 text/html"
check "headers rule" POST "$DST/_srlite/faults" '{"pathPrefix":"/mode","status":429,"headers":{"Retry-After":"2","X-Fault":"yes"},"count":1}' 200 '"headers":\{"Retry-After":"2","X-Fault":"yes"\}'
hdrs=$(curl -s -D - -o /dev/null "$DST/mode" | tr -d '\r')
expect_match "headers rule: 429 with Retry-After" "$hdrs" $'^HTTP/1.1 429.*\nRetry-After: 2\n'
expect_match "headers rule: every header" "$hdrs" $'\nX-Fault: yes\n'
check "headers must be strings" POST "$DST/_srlite/faults" '{"status":429,"headers":{"Retry-After":2}}' 422 '"error_code":422'
check "headers must not set Content-Type" POST "$DST/_srlite/faults" '{"status":429,"headers":{"content-type":"x"}}' 422 '"error_code":422'
check "header values without CR/LF" POST "$DST/_srlite/faults" '{"status":429,"headers":{"X-A":"a\r\nX-B: b"}}' 422 '"error_code":422'
check "headers must be an object" POST "$DST/_srlite/faults" '{"status":429,"headers":["Retry-After: 2"]}' 422 '"error_code":422'
check "delay rule" POST "$DST/_srlite/faults" '{"pathPrefix":"/schemas","delayMs":1500,"count":1}' 200 '"delayMs":1500'
start=$(date +%s%N)
curl -s -o "$T_TMP/slow.out" "$DST/schemas" &
slow=$!
sleep 0.2
t0=$(date +%s%N)
req GET "$DST/contexts"
t1=$(date +%s%N)
wait $slow
end=$(date +%s%N)
if [ $(((t1 - t0) / 1000000)) -lt 1000 ]; then ok "a delayed answer does not block other connections"; else not_ok "delay blocks others" "$(((t1 - t0) / 1000000)) ms"; fi
if [ $(((end - start) / 1000000)) -ge 1400 ]; then ok "delayMs delays the real answer"; else not_ok "delayMs delays" "$(((end - start) / 1000000)) ms"; fi
expect_match "the delayed answer is the registry's" "$(cat "$T_TMP/slow.out")" '^\['
check "unlimited rule" POST "$DST/_srlite/faults" '{"method":"DELETE","status":429}' 200 '"status":429'
check "unlimited 1" DELETE "$DST/subjects/x" - 429 '"error_code":429'
check "unlimited 2" DELETE "$DST/subjects/x" - 429 '"error_code":429'
check "rules listed" GET "$DST/_srlite/faults" - 200 '^\[\{"id":[0-9]+,"method":"DELETE","status":429\}\]$'
check "DELETE /_srlite/faults clears" DELETE "$DST/_srlite/faults" - 200 '^\{\}$'
check "cleared" DELETE "$DST/subjects/x" - 404 '"error_code":40401'
check "counts (faulted ones too, /_srlite not)" GET "$DST/_srlite/requests" - 200 '^\{"GET":9,"POST":1,"PUT":0,"DELETE":3,"total":13,"limited":0,"routes":'
expect_eq "counted by route, names as {}" "$(jq -c .routes <<<"$B")" '{"GET /subjects":3,"GET /contexts":2,"POST /subjects/{}/versions":1,"GET /config":1,"GET /mode":2,"GET /schemas":1,"DELETE /subjects/{}":3}'
check "counter reset" DELETE "$DST/_srlite/requests" - 200 '"total":0'
check "counter after reset" GET "$DST/_srlite/requests" - 200 '^\{"GET":0,"POST":0,"PUT":0,"DELETE":0,"total":0,"limited":0,"routes":\{\}\}$'
t_done
