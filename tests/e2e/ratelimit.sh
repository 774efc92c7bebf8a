#!/usr/bin/env bash
# The per-registry request budget (docs/internals/operations.md "Rate limits") against srlite's
# --rate-limit and its request counter (docs/internals/registry.md §8.2, §8.4):
#   (a) $RL_LINKS SchemaLinks (default 100) from a source srlite that serves 20 reads a second
#       (and 100 writes), whose Registry declares the same budget: `slctl apply --wait`
#       converges (every object Ready) without one 429, and the reads stay within 20 a second
#       plus the server's one-second burst;
#   (b) the same with the Registry's read limit off (readsPerSecond: 0): srlite refuses reads
#       (the check in (a) can fail), and the apply still converges through the retries;
#   (c) one 429 with Retry-After: 2 to an exporter create, which is not retried: the creates
#       of the other links wait too, so no request at all reaches the registry for about 2 s.
# The parts run at the same time, each on registries of its own (most of their time is spent
# waiting on a budget). tests/e2e/slow/ratelimit_1000.sh runs (a) and (b) with 1,000 links.
# RL_PARTS picks parts ("abc" by default). Figures are printed as "# ..." lines.
. "$(dirname "$0")/../lib.sh"

N=${RL_LINKS:-100}
PARTS=${RL_PARTS:-abc}
READS=20
WRITES=100
PER_SINK=400 # exporters per sink srlite: a running exporter keeps a connection open (§8.2)

# counter URL FIELD: a field of srlite's request counter.
counter() { curl -s "$1/_srlite/requests" | jq -r ".$2"; }

# manifests DIR SRC DST READS_LIMIT SINK_URL...: a source Registry with rateLimit
# {readsPerSecond: READS_LIMIT, writesPerSecond: $WRITES}, one destination Registry per sink
# (the same url, each its own linkUrl, no limit: srlite without --rate-limit), N links.
manifests() {
	python3 - "$@" "$N" "$WRITES" "$PER_SINK" <<'PY'
import sys
args = sys.argv[1:]
m, src, dst, reads = args[0], args[1], args[2], args[3]
sinks, n, writes, per = args[4:-3], int(args[-3]), args[-2], int(args[-1])
reg = "---\napiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: %s}\nspec: {%s}\n"
with open(m + "/00-registries.yaml", "w") as f:
    f.write(reg % ("source", "url: %s, rateLimit: {readsPerSecond: %s, writesPerSecond: %s}"
                   % (src, reads, writes)))
    for j, u in enumerate(sinks):
        f.write(reg % ("dst-%d" % j, "url: %s, linkUrl: %s, rateLimit: {readsPerSecond: 0, "
                       "writesPerSecond: 0}" % (dst, u)))
doc = ("---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: link-%05d}\n"
       "spec: {source: source, destination: dst-%d, subjects: [s-%05d]}\n")
with open(m + "/links.yaml", "w") as f:
    for i in range(n):
        f.write(doc % (i, i // per, i))
PY
}

# registries NAME [SRLITE ARGS...]: a source srlite NAME_src (with the args), a destination
# NAME_dst and the sinks; sets SRC, DST, SINKS. Returns 1 when one does not start.
registries() {
	local name=$1 k
	shift
	srlite_start "${name}_src" --enable-fault-injection "$@" || return 1
	SRC=$URL
	srlite_start "${name}_dst" --enable-fault-injection || return 1
	DST=$URL
	SINKS=()
	for ((k = 0; k * PER_SINK < N; k++)); do
		srlite_start "${name}_sink$k" || return 1
		SINKS+=("$URL")
	done
}

# prepare PART READS_LIMIT [SRLITE ARGS...]: fresh registries (the source with the args) and
# the manifests (the source Registry's readsPerSecond READS_LIMIT, writesPerSecond $WRITES) in
# $T_TMP/PART/; sets SRC (also SRC_<PART>), with its counter at zero.
prepare() {
	local part=$1 limit=$2 dir=$T_TMP/$1
	shift 2
	mkdir -p "$dir/m" "$dir/state"
	registries "$part" "$@" || { not_ok "($part) registries start"; return 1; }
	manifests "$dir/m" "$SRC" "$DST" "$limit" "${SINKS[@]}"
	# srlite_start's probe spent a read and was counted: count from zero.
	curl -s -o /dev/null -X DELETE "$SRC/_srlite/requests"
	eval "SRC_$part=\$SRC"
}

# launch PART: PART's `slctl apply --wait` in the background, timed: its out, err and
# "rc ms" result land in $T_TMP/PART/. Sets APPLY_<PART> (the pid).
launch() {
	local dir=$T_TMP/$1
	(
		t0=$(date +%s%N)
		$SL_WRAP "$SL_BINDIR/slctl" apply -f "$dir/m" --state-dir "$dir/state" --set rl \
			--wait --timeout 600s >"$dir/out" 2>"$dir/err"
		rc=$?
		echo "$rc $((($(date +%s%N) - t0) / 1000000))" >"$dir/result"
	) &
	eval "APPLY_$1=$!"
}

# finish PART READS_LIMIT: waits for PART's apply; sets RC, OUT, ERR, ELAPSED_MS, SRC and the
# source's counters GETS, WRITES_N, LIMITED, and prints the figures.
finish() {
	local part=$1 limit=$2 dir=$T_TMP/$1 pid
	pid=APPLY_$part
	wait "${!pid}"
	read -r RC ELAPSED_MS <"$dir/result"
	OUT=$(<"$dir/out") ERR=$(<"$dir/err")
	SRC=SRC_$part
	SRC=${!SRC}
	GETS=$(counter "$SRC" GET)
	WRITES_N=$(counter "$SRC" 'POST + .PUT + .DELETE')
	LIMITED=$(counter "$SRC" limited)
	echo "# ($part) $N links, Registry readsPerSecond $limit: rc $RC in $ELAPSED_MS ms;" \
		"source GET $GETS, writes $WRITES_N, limited $LIMITED;" \
		"$(awk -v g="$GETS" -v ms="$ELAPSED_MS" 'BEGIN {printf "%.1f", g * 1000 / ms}') reads/s"
}

# converged PART: the apply just finished ended with every object Ready, every link created.
converged() {
	expect_eq "($1) slctl apply --wait exits 0" "$RC" 0
	expect_match "($1) every object is Ready" "$ERR" 'every object is Ready'
	expect_eq "($1) every link was created" "$(grep -c ': created$' <<<"$OUT")" "$N"
}

# (a) and (b): the source serves $READS reads and $WRITES writes a second.
for part in a b; do
	[[ $PARTS == *$part* ]] || continue
	limit=$READS
	[ "$part" = b ] && limit=0
	prepare "$part" "$limit" --rate-limit "$READS:$WRITES" && launch "$part"
done
# (c): no budget anywhere (rates 0, srlite unlimited), so only a pause can hold requests; one
# 429 with Retry-After: 2 to the first exporter create. The source's request total is sampled
# every 20 ms while slctl runs ("ms total" lines), from zero, so the wait for slctl's first
# request is not taken for a pause.
if [[ $PARTS == *c* ]]; then
	WRITES=0 prepare c 0
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary \
		'{"method":"POST","pathPrefix":"/exporters","status":429,"headers":{"Retry-After":"2"},"count":1}' \
		"$SRC/_srlite/faults"
	python3 - "$SRC" "$T_TMP/c/stop" >"$T_TMP/c/samples" <<'PY' &
import json, os, sys, time, urllib.request
url, stop = sys.argv[1] + "/_srlite/requests", sys.argv[2]
t0 = time.monotonic()
while not os.path.exists(stop):
    total = json.load(urllib.request.urlopen(url, timeout=5))["total"]
    print("%d %d" % ((time.monotonic() - t0) * 1000, total), flush=True)
    time.sleep(0.02)
PY
	SAMPLER=$!
	sleep 0.2
	launch c
fi

if [[ $PARTS == *a* ]]; then
	finish a "$READS"
	converged a
	expect_eq "(a) the budget held: no request refused" "$LIMITED" 0
	# At most the rate over the run plus the server's one-second burst.
	max=$((READS * ELAPSED_MS / 1000 + READS))
	if [ "$GETS" -le "$max" ]; then ok "(a) reads within $READS/s ($GETS <= $max)"; else
		not_ok "(a) reads within $READS/s" "$GETS reads in $ELAPSED_MS ms (at most $max)"
	fi
	if [ "$GETS" -ge $((2 * N)) ]; then ok "(a) the run read every link (2 reads each)"; else
		not_ok "(a) the run read every link (2 reads each)" "$GETS reads for $N links"
	fi
fi

if [[ $PARTS == *b* ]]; then
	finish b 0
	converged b
	expect_match "(b) without the client's limit srlite refuses reads" "$LIMITED" '^[1-9]'
fi

if [[ $PARTS == *c* ]]; then
	finish c 0
	touch "$T_TMP/c/stop"
	wait "$SAMPLER"
	converged c
	expect_eq "(c) the fault was served" "$(curl -s "$SRC/_srlite/faults")" '[]'
	expect_eq "(c) one more create than links (the refused one, made again)" \
		"$(counter "$SRC" POST)" $((N + 1))
	# The longest stretch, after the first request, in which the total did not move.
	gap=$(awk 'NR == 1 || $2 == 0 {t = $1; n = $2; next}
		$2 != n {if ($1 - t > g) g = $1 - t; t = $1; n = $2; next}
		END {print g + 0}' "$T_TMP/c/samples")
	echo "# (c) the longest stretch with no request at the source: $gap ms (Retry-After: 2)"
	if [ "$gap" -ge 1500 ]; then ok "(c) every request of the registry waited out the 429's pause"; else
		not_ok "(c) every request of the registry waited out the 429's pause" \
			"longest quiet stretch $gap ms: $(tr '\n' ' ' <"$T_TMP/c/samples" | cut -c1-600)"
	fi
fi
t_done
