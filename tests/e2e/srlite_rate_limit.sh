#!/usr/bin/env bash
# srlite --rate-limit READS[:WRITES] (docs/internals/registry.md §8.2): a token bucket per kind
# with a one-second burst; over it a 429 {"error_code":429,...} with Retry-After in seconds;
# /_srlite never limited; refusals counted as "limited" in GET /_srlite/requests.
. "$(dirname "$0")/../lib.sh"

CT="Content-Type: application/vnd.schemaregistry.v1+json"

# burst URL METHOD PATH N: N requests on one keep-alive connection as fast as it goes; prints
# the statuses, space-separated; the Retry-After values of the 429s; the last 429's body.
burst() {
	python3 - "$@" <<'PY'
import http.client, sys
host = sys.argv[1].split("//")[1]
method, path, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
body = '{"mode":"IMPORT"}' if method in ("PUT", "POST") else None
c = http.client.HTTPConnection(host, timeout=10)
codes, after, last = [], [], ""
for _ in range(n):
    c.request(method, path, body=body, headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    r = c.getresponse()
    b = r.read().decode()
    codes.append(str(r.status))
    if r.status == 429:
        after.append(r.getheader("Retry-After") or "none")
        last = b
print(" ".join(codes))
print(" ".join(after))
print(last)
PY
}
# count WHAT TEXT: how many times WHAT occurs in the space-separated TEXT.
count() { local n=0 w; for w in $2; do [ "$w" = "$1" ] && n=$((n + 1)); done; echo "$n"; }
counter() { curl -s "$URL/_srlite/requests" | jq -r ".$1"; }

srlite_start rl --rate-limit 2:1 --enable-fault-injection || not_ok "srlite --rate-limit starts"
expect_match "the start line names the limit" "$(head -1 "$T_TMP/rl.log")" 'rate limit 2:1/s\)$'
# srlite_start's own probe (GET /) spent a read: let the bucket fill up again (1 s) and count
# from zero.
sleep 1
curl -s -o /dev/null -X DELETE "$URL/_srlite/requests"

# Reads: a burst of 2 (a second of the rate), then refused.
mapfile -t R < <(burst "$URL" GET /subjects 10)
codes=${R[0]}
expect_match "reads: the burst of two is served" "$codes" '^200 200 '
n429=$(count 429 "$codes")
expect_match "reads: then 429" "$n429" '^[1-9]'
expect_match "429s carry Retry-After in whole seconds, at least 1" "${R[1]}" '^[1-9][0-9]*( [1-9][0-9]*)*$'
expect_match "429 body is a registry error" "${R[2]}" '^\{"error_code":429,"message":"Rate limit exceeded; retry after [0-9]+ s"\}$'
expect_eq "every request is counted" "$(counter GET)" 10
expect_eq "the refused ones as limited" "$(counter limited)" "$n429"

# Writes have their own bucket: a burst of 1 though reads are spent.
mapfile -t R < <(burst "$URL" PUT /mode/x 2)
expect_eq "writes: one served, the next refused" "${R[0]}" "200 429"

# /_srlite is not limited.
all=""
for i in $(seq 15); do all+="$(curl -s -o /dev/null -w '%{http_code}' "$URL/_srlite/requests") "; done
expect_eq "/_srlite is never limited" "$(count 200 "$all")" 15

# The advice holds: after the Retry-After, a read is served.
mapfile -t R < <(burst "$URL" GET /subjects 5)
expect_match "spent again" "${R[0]}" '429$'
sleep "${R[1]##* }"
expect_eq "served after Retry-After" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/subjects")" 200
expect_match "the counters reset, limited too" "$(curl -s -X DELETE "$URL/_srlite/requests")" '"limited":0,"routes":\{\}\}$'

# Without fault injection the limit holds all the same (there is only no counter to read).
srlite_start plain --rate-limit 1 || not_ok "srlite --rate-limit 1 starts"
sleep 1
mapfile -t R < <(burst "$URL" GET /subjects 3)
expect_match "no fault injection: limited too" "${R[0]}" '^200 429'
expect_eq "no fault injection: no /_srlite" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/_srlite/requests")" 404

# 0 = no limit for that kind.
srlite_start reads_free --rate-limit 0:1 --enable-fault-injection || not_ok "srlite --rate-limit 0:1 starts"
mapfile -t R < <(burst "$URL" GET /subjects 30)
expect_eq "0 reads: no read refused" "$(count 200 "${R[0]}")" 30
mapfile -t R < <(burst "$URL" DELETE /mode/x 3)
expect_match "0 reads: writes still limited" "${R[0]}" '429'
t_done
