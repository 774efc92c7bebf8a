#!/usr/bin/env bash
# srlite REST API over real HTTP: every endpoint, status and error code of docs/internals/registry.md
# §0, §1, §2.2-§2.6, §4, §5, and GET /v1/metadata/id.
. "$(dirname "$0")/../lib.sh"

srlite_start reg || { not_ok "srlite starts" "$(cat "$T_TMP/reg.log")"; t_done; }
ok "srlite starts"
expect_match "startup line" "$(cat "$T_TMP/reg.log")" "listening on http://127.0.0.1:$PORT"

CT="Content-Type: application/vnd.schemaregistry.v1+json"
# req METHOD PATH [BODY]: sets S (status), B (body), TYPE (content type).
req() {
	local args=(-s -o "$T_TMP/body" -w '%{http_code} %{content_type}' -X "$1" -H "$CT")
	[ $# -ge 3 ] && args+=(--data-binary "$3")
	local r
	r=$(curl "${args[@]}" "$URL$2")
	S=${r%% *}
	TYPE=${r#* }
	B=$(cat "$T_TMP/body")
}
# check NAME METHOD PATH BODY|- WANT_STATUS WANT_BODY_REGEX
check() {
	local name=$1 m=$2 p=$3 body=$4 ws=$5 wb=$6
	if [ "$body" = "-" ]; then req "$m" "$p"; else req "$m" "$p" "$body"; fi
	if [ "$S" = "$ws" ] && [[ "$B" =~ $wb ]]; then ok "$name"; else
		not_ok "$name" "$m $p -> $S $B" "want $ws /$wb/"
	fi
}
REC='{"schema":"{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"a\", \"type\": \"int\"}]}"}'
REC_CANON='"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"'

# --- registration, ids, versions ---
check "register first schema id 1" POST /subjects/orders/versions "$REC" 200 '^\{"id":1'
expect_eq "json content type" "$TYPE" "application/vnd.schemaregistry.v1+json"
check "re-register returns existing" POST /subjects/orders/versions "$REC" 200 '"id":1,"version":1'
check "same schema other subject reuses id" POST /subjects/payments/versions "$REC" 200 '"id":1,"version":1'
check "second schema id 2 version 2" POST /subjects/orders/versions '{"schema":"\"string\""}' 200 '"id":2,"version":2'
check "trailing slash" GET /subjects/orders/versions/ - 200 '^\[1,2\]$'
req GET /subjects/orders/versions/1
expect_eq "get version 1 canonical, no schemaType" "$B" "{\"subject\":\"orders\",\"version\":1,\"id\":1,$REC_CANON}"
check "get latest" GET /subjects/orders/versions/latest - 200 '"version":2'
check "get -1" GET /subjects/orders/versions/-1 - 200 '"version":2'
check "raw schema" GET /subjects/orders/versions/2/schema - 200 '^"string"$'
check "version 42202" GET /subjects/orders/versions/0 - 422 '"error_code":42202'
check "version abc 42202" GET /subjects/orders/versions/abc - 422 "The specified version 'abc' is not a valid version id"
check "version 40402" GET /subjects/orders/versions/9 - 404 '"error_code":40402,"message":"Version 9 not found."'
check "subject 40401" GET /subjects/nope/versions - 404 "\"error_code\":40401,\"message\":\"Subject 'nope' not found.\""
check "subject 40401 on version" GET /subjects/nope/versions/1 - 404 '"error_code":40401'
check "invalid avro 42201" POST /subjects/bad/versions '{"schema":"{\"type\":\"record\",\"name\":\"R\"}"}' 422 '"error_code":42201,"message":"Invalid schema'
check "empty schema 42201" POST /subjects/bad/versions '{"schema":""}' 422 '"error_code":42201'
check "invalid json schema 42201" POST /subjects/j/versions '{"schema":"{nope","schemaType":"JSON"}' 422 '"error_code":42201'
check "json schema stored as sent" POST /subjects/j/versions '{"schema":"{ \"type\": \"object\" }","schemaType":"JSON"}' 200 '"id":3'
check "json schemaType returned" GET /subjects/j/versions/1 - 200 '"schemaType":"JSON","schema":"\{ \\"type\\": \\"object\\" \}"'
check "protobuf stored" POST /subjects/p/versions '{"schema":"syntax = \"proto3\"; message M {}","schemaType":"PROTOBUF"}' 200 '"id":4'
check "bad schemaType" POST /subjects/p/versions '{"schema":"x","schemaType":"XML"}' 422 '"error_code":42201'
check "malformed json body 400" POST /subjects/x/versions '{"schema":' 400 '"error_code":400'
check "invalid subject 42208" POST /subjects/__GLOBAL/versions "$REC" 422 "\"error_code\":42208,\"message\":\"The specified subject '__GLOBAL' is not a valid.\""
check "explicit version not next 42201" POST /subjects/orders/versions '{"schema":"\"bytes\"","version":7}' 422 'Version is not one more than previous version'
check "unknown query param ignored" GET '/subjects/orders/versions?foo=bar' - 200 '^\[1,2\]$'
check "references stored" POST /subjects/withref/versions '{"schema":"{\"type\":\"record\",\"name\":\"W\",\"fields\":[{\"name\":\"r\",\"type\":\"R\"}]}","references":[{"name":"R","subject":"orders","version":1}]}' 200 '"id":5'
check "references returned" GET /subjects/withref/versions/1 - 200 '"references":\[\{"name":"R","subject":"orders","version":1\}\]'
check "missing reference 42201" POST /subjects/withref2/versions '{"schema":"\"int\"","references":[{"name":"R","subject":"orders","version":9}]}' 422 '"error_code":42201'

# --- lookup ---
check "lookup found" POST /subjects/orders "$REC" 200 '"subject":"orders","version":1,"id":1'
check "lookup schema 40403" POST /subjects/orders '{"schema":"\"long\""}' 404 '"error_code":40403'
check "lookup subject 40401" POST /subjects/nope "$REC" 404 '"error_code":40401'

# --- schemas ---
req GET /schemas/ids/1
expect_eq "schemas/ids/1" "$B" "{$REC_CANON}"
check "schemas/ids/1 fetchMaxId" GET '/schemas/ids/1?fetchMaxId=true' - 200 '"maxId":5'
check "schemas/ids 40403" GET /schemas/ids/99 - 404 '"error_code":40403,"message":"Schema 99 not found"'
check "schemas/ids/1/subjects" GET /schemas/ids/1/subjects - 200 '^\["orders","payments"\]$'
check "schemas/ids/1/versions" GET /schemas/ids/1/versions - 200 '^\[\{"subject":"orders","version":1\},\{"subject":"payments","version":1\}\]$'
check "schemas/ids/1/schema raw" GET /schemas/ids/1/schema - 200 '^\{"type":"record"'
check "schemas list prefix" GET '/schemas?subjectPrefix=pay' - 200 '^\[\{"subject":"payments","version":1,"id":1,'
check "schemas types" GET /schemas/types - 200 'AVRO'

# --- contexts and qualified subjects ---
check "register in context id 1" POST '/subjects/:.ctx1:orders/versions' '{"schema":"\"long\""}' 200 '"id":1,"version":1'
check "percent-encoded qualified subject" POST '/subjects/%3A.ctx1%3Aother/versions' '{"schema":"\"int\""}' 200 '"id":2'
check "context 2 counts from 1" POST '/subjects/:.ctx2:a/versions' '{"schema":"\"int\""}' 200 '"id":1'
check "url-prefix form" GET /contexts/ctx1/subjects/orders/versions/1 - 200 '"subject":":.ctx1:orders","version":1,"id":1'
check "contexts list" GET /contexts - 200 '^\[".",".ctx1",".ctx2"\]$'
check "contexts prefix" GET '/contexts?contextPrefix=.ctx2' - 200 '^\[".ctx2"\]$'
check "subjects default :*:" GET /subjects - 200 '^\[":.ctx1:orders",":.ctx1:other",":.ctx2:a","j","orders","p","payments","withref"\]$'
check "subjects prefix empty = default ctx" GET '/subjects?subjectPrefix=' - 200 '^\["j","orders","p","payments","withref"\]$'
check "subjects prefix ctx" GET '/subjects?subjectPrefix=:.ctx1:' - 200 '^\[":.ctx1:orders",":.ctx1:other"\]$'
check "subjects prefix ctx+name" GET '/subjects?subjectPrefix=:.ctx1:oth' - 200 '^\[":.ctx1:other"\]$'
check "subjects prefix :*:o" GET '/subjects?subjectPrefix=:*:o' - 200 '^\[":.ctx1:orders",":.ctx1:other","orders"\]$'
check "subjects limit/offset" GET '/subjects?offset=1&limit=2' - 200 '^\[":.ctx1:other",":.ctx2:a"\]$'
check "id without subject = default" GET /schemas/ids/2 - 200 'string'
check "id with ctx subject" GET '/schemas/ids/2?subject=:.ctx1:' - 200 'int'
check "id unqualified subject falls to ctx" GET '/schemas/ids/1?subject=a' - 200 'record'
check "id unqualified subject found in default" GET '/schemas/ids/2?subject=other' - 200 'string'
check "delete non-empty ctx 42211" DELETE /contexts/.ctx2 - 422 "\"error_code\":42211,\"message\":\"The specified context '.ctx2' is not empty.\""

# --- deletes ---
check "delete version soft" DELETE /subjects/orders/versions/2 - 200 '^2$'
check "delete version soft again 40406" DELETE /subjects/orders/versions/2 - 404 '"error_code":40406'
check "delete version 40402" DELETE /subjects/orders/versions/9 - 404 '"error_code":40402'
check "delete version 42202" DELETE /subjects/orders/versions/zero - 422 '"error_code":42202'
check "permanent before soft 40407" DELETE '/subjects/orders/versions/1?permanent=true' - 404 '"error_code":40407'
check "deleted hidden" GET /subjects/orders/versions - 200 '^\[1\]$'
check "deleted=true shows" GET '/subjects/orders/versions?deleted=true' - 200 '^\[1,2\]$'
check "deletedAsNegative" GET '/subjects/orders/versions?deletedAsNegative=true' - 200 '^\[1,-2\]$'
check "get deleted version 40402" GET /subjects/orders/versions/2 - 404 '"error_code":40402'
check "get deleted version with deleted" GET '/subjects/orders/versions/2?deleted=true' - 200 '"version":2'
check "permanent version delete" DELETE '/subjects/orders/versions/2?permanent=true' - 200 '^2$'
check "referenced version 42206" DELETE /subjects/orders/versions/1 - 422 '"error_code":42206'
check "delete subject soft" DELETE /subjects/payments - 200 '^\[1\]$'
check "delete subject soft again 40404" DELETE /subjects/payments - 404 '"error_code":40404'
check "subjects deletedOnly" GET '/subjects?deletedOnly=true' - 200 '^\["payments"\]$'
check "subjects deleted" GET '/subjects?deleted=true&subjectPrefix=' - 200 '"payments"'
check "permanent subject delete" DELETE '/subjects/payments?permanent=true' - 200 '^\[1\]$'
check "subject gone 40401" DELETE /subjects/payments - 404 '"error_code":40401'
check "permanent on live subject 40405" DELETE '/subjects/j?permanent=true' - 404 '"error_code":40405'
check "delete ctx subject" DELETE '/subjects/:.ctx2:a' - 200 '^\[1\]$'
check "soft-deleted still not empty 42211" DELETE /contexts/.ctx2 - 422 '"error_code":42211'
check "permanent ctx subject" DELETE '/subjects/:.ctx2:a?permanent=true' - 200 '^\[1\]$'
check "emptied ctx still listed" GET /contexts - 200 '".ctx2"'
check "delete empty ctx 204" DELETE /contexts/:.ctx2: - 204 '^$'
check "ctx gone" GET /contexts - 200 '^\[".",".ctx1"\]$'

# --- modes ---
check "mode default" GET /mode - 200 '^\{"mode":"READWRITE"\}$'
check "subject mode unset 40409" GET /mode/orders - 404 "\"error_code\":40409,\"message\":\"Subject 'orders' does not have subject-level mode configured\""
check "subject mode defaultToGlobal" GET '/mode/orders?defaultToGlobal=true' - 200 'READWRITE'
check "invalid mode 42204" PUT /mode '{"mode":"BOGUS"}' 422 '"error_code":42204'
check "forward only global 42204" PUT /mode '{"mode":"FORWARD"}' 422 'Forward mode only supported on global level'
check "import top-level non-empty 42205" PUT /mode '{"mode":"IMPORT"}' 422 '"error_code":42205,"message":"Cannot import since found existing subjects"'
check "import empty ctx" PUT '/mode/:.fresh:' '{"mode":"IMPORT"}' 200 '^\{"mode":"IMPORT"\}$'
check "import ctx non-empty 42205" PUT '/mode/:.ctx1:' '{"mode":"IMPORT"}' 422 'Cannot import since found existing subjects'
check "import ctx force" PUT '/mode/:.ctx1:?force=true' '{"mode":"IMPORT"}' 200 'IMPORT'
check "register with id outside import 42205" POST /subjects/orders/versions '{"schema":"\"float\"","id":50}' 422 '"error_code":42205,"message":"Subject orders is not in import mode"'
check "import without id 42205" POST '/subjects/:.ctx1:orders/versions' '{"schema":"\"float\""}' 422 'is not in read-write mode'
check "import existing without id ok" POST '/subjects/:.ctx1:orders/versions' '{"schema":"\"long\""}' 200 '"id":1'
check "import with id" POST '/subjects/:.ctx1:imp/versions' '{"schema":"\"float\"","id":100,"version":4}' 200 '"id":100,"version":4'
check "re-import idempotent" POST '/subjects/:.ctx1:imp/versions' '{"schema":"\"float\"","id":100,"version":4}' 200 '"id":100,"version":4'
check "overwrite id 42205" POST '/subjects/:.ctx1:imp2/versions' '{"schema":"\"double\"","id":100,"version":1}' 422 '"error_code":42205,"message":"Overwrite new schema with id 100'
check "top-level does not cascade" PUT /mode '{"mode":"READONLY"}' 200 'READONLY'
check "readonly blocks default ctx" POST /subjects/orders/versions '{"schema":"\"float\""}' 422 'is in read-only mode'
check "readonly not in ctx2" POST '/subjects/:.ctx3:z/versions' '{"schema":"\"float\""}' 200 '"id":1'
check "subject beats context" PUT /mode/orders '{"mode":"READWRITE"}' 200 'READWRITE'
check "subject override writes" POST /subjects/orders/versions '{"schema":"\"float\""}' 200 '"version":2'
check "readonly blocks deletes" DELETE /subjects/j - 422 'read-only mode'
check "delete subject mode" DELETE /mode/orders - 200 '^\{"mode":"READWRITE"\}$'
check "delete unset mode 40401" DELETE /mode/orders - 404 '"error_code":40401'
check "delete top mode" DELETE /mode - 200 'READONLY'
check "global mode" PUT '/mode/:.__GLOBAL:' '{"mode":"READONLY"}' 200 'READONLY'
check "global applies to ctx" POST '/subjects/:.ctx3:z/versions' '{"schema":"\"bytes\""}' 422 'read-only'
check "delete global mode" DELETE '/mode/:.__GLOBAL:' - 200 'READONLY'
check "ctx recursive delete" DELETE '/mode/:.ctx1:?recursive=true' - 200 'IMPORT'
check "url-prefix mode" GET /contexts/.ctx1/mode - 404 '"error_code":40409'

# --- config ---
check "config default" GET /config - 200 '^\{"compatibilityLevel":"BACKWARD"\}$'
check "config put echoes compatibility" PUT /config '{"compatibility":"full"}' 200 '^\{"compatibility":"FULL"\}$'
check "config get" GET /config - 200 '"compatibilityLevel":"FULL"'
check "config invalid 42203" PUT /config/orders '{"compatibility":"SIDEWAYS"}' 422 '"error_code":42203'
check "config subject 40408" GET /config/orders - 404 "\"error_code\":40408,\"message\":\"Subject 'orders' does not have subject-level compatibility configured\""
check "config subject defaultToGlobal" GET '/config/orders?defaultToGlobal=true' - 200 'FULL'
check "config subject put" PUT /config/orders '{"compatibility":"NONE"}' 200 'NONE'
check "config subject get" GET /config/orders - 200 '"compatibilityLevel":"NONE"'
check "config subject delete" DELETE /config/orders - 200 '"compatibilityLevel":"NONE"'
check "config subject delete again 40401" DELETE /config/orders - 404 '"error_code":40401'
check "config ctx" PUT '/config/:.ctx1:' '{"compatibility":"FORWARD"}' 200 'FORWARD'
check "config ctx get" GET '/config/:.ctx1:' - 200 'FORWARD'
check "config bad subject 42208" PUT '/config/:.x:__GLOBAL' '{"compatibility":"NONE"}' 422 '"error_code":42208'
check "config malformed 400" PUT /config '{' 400 '"error_code":400'

# --- misc ---
check "unknown route 404" GET /nothing/here - 404 '^\{"error_code":404,"message":"HTTP 404 Not Found"\}$'
check "fault endpoints 404 without the flag" GET /_srlite/requests - 404 '"error_code":404'
check "wrong method 405" PUT /subjects - 405 '"error_code":405'
check "root" GET / - 200 '^\{\}$'

# --- identity: GET /v1/metadata/id, Confluent's ServerClusterId shape ---
check "metadata id shape" GET /v1/metadata/id - 200 \
	'^\{"id":"[A-Za-z0-9_-]{22}","scope":\{"path":\[\],"clusters":\{"kafka-cluster":"[A-Za-z0-9_-]{22}","schema-registry-cluster":"srlite"\}\}\}$'
expect_eq "metadata id json content type" "$TYPE" "application/vnd.schemaregistry.v1+json"
expect_eq "id and kafka-cluster are the same" "$(jq -r '.id == .scope.clusters["kafka-cluster"]' <<<"$B")" true
expect_match "the startup line names the id" "$(cat "$T_TMP/reg.log")" "cluster id $(jq -r .id <<<"$B"), AUTO contexts \.srlite-$PORT,"
check "metadata id is stable" GET /v1/metadata/id - 200 "\"id\":\"$(jq -r .id <<<"$B")\""
check "metadata id POST 405" POST /v1/metadata/id '{}' 405 '"error_code":405'
check "metadata without id 404" GET /v1/metadata - 404 '^\{"error_code":404,"message":"HTTP 404 Not Found"\}$'
check "other /v1 paths 404" GET /v1/metadata/version - 404 '"error_code":404'
check "metadata id not under the URL-prefix form" GET /contexts/.ctx1/v1/metadata/id - 404 '"error_code":404'

t_done
