#!/usr/bin/env bash
# schemalinkd: flags and exit codes (64, 73), the missing engine said out loud, endpoints with
# the test-only fake reconciler (/livez, /readyz, /metrics, /status), invalid manifests at
# start (serves, not ready, ManifestsInvalid), SIGTERM and SIGINT exit 0 within 10 s, SIGHUP.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

# --- flags -----------------------------------------------------------------------------------
run schemalinkd
expect_eq "no --manifests exits 64" "$RC" 64
expect_match "no --manifests says so" "$ERR" "--manifests DIR is required"
run schemalinkd --manifests "$T_TMP/m" --resync 5x
expect_eq "bad --resync exits 64" "$RC" 64
run schemalinkd --manifests "$T_TMP/m" --log-level loud
expect_eq "bad --log-level exits 64" "$RC" 64
run schemalinkd --manifests "$T_TMP/m" --bogus
expect_eq "unknown flag exits 64" "$RC" 64
run schemalinkd --manifests "$T_TMP/m" --set ../x
expect_eq "bad --set exits 64" "$RC" 64
run schemalinkd --manifests "$T_TMP/m" extra
expect_eq "stray argument exits 64" "$RC" 64
run schemalinkd --help
expect_eq "--help exits 0" "$RC" 0
expect_no_match "--help hides the test-only flag" "$OUT" "fake"

# --- state dir -------------------------------------------------------------------------------
mkdir -p "$T_TMP/m"
write_regs "$T_TMP/m/regs.yaml"
touch "$T_TMP/notadir"
run schemalinkd --manifests "$T_TMP/m" --state-dir "$T_TMP/notadir/state" --test-fake-reconciler done
expect_eq "state dir under a file exits 73" "$RC" 73
mkdir -p "$T_TMP/ro" && chmod 0555 "$T_TMP/ro"
if [ "$(id -u)" -ne 0 ]; then
	run schemalinkd --manifests "$T_TMP/m" --state-dir "$T_TMP/ro/state" --test-fake-reconciler done
	expect_eq "read-only state dir exits 73" "$RC" 73
fi

# --- endpoints -------------------------------------------------------------------------------
write_link "$T_TMP/m/link.yaml" l1
d_start d1 "$T_TMP/m" done
expect_eq "/livez 200" "$(curl -s -o /dev/null -w '%{http_code}' "$D_URL/livez")" 200
wait_until "ready after the first pass" 10 '[ "$(curl -s -o /dev/null -w "%{http_code}" "$D_URL/readyz")" = 200 ]'
st=$(curl -s "$D_URL/status")
expect_match "/status lists the link" "$st" '"name": "l1"'
expect_eq "/status is JSON with 3 objects" "$(printf '%s' "$st" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["objects"]))')" 3
one=$(curl -s "$D_URL/status/SchemaLink/l1")
expect_match "/status/SchemaLink/l1 has conditions" "$one" '"type": "Ready"'
expect_match "lastTransitionTime is RFC 3339" "$one" '"lastTransitionTime": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"'
expect_eq "/status/schemalink/l1 (any case) 200" "$(curl -s -o /dev/null -w '%{http_code}' "$D_URL/status/schemalink/l1")" 200
expect_eq "/status of an unknown object 404" "$(curl -s -o /dev/null -w '%{http_code}' "$D_URL/status/SchemaLink/nope")" 404
expect_match "404 body is JSON" "$(curl -s "$D_URL/status/SchemaLink/nope")" '"error_code":404'
met=$(curl -s "$D_URL/metrics")
for n in controller_runtime_reconcile_total controller_runtime_reconcile_errors_total \
	controller_runtime_reconcile_time_seconds workqueue_depth workqueue_adds_total \
	workqueue_retries_total schemalink_exporter_state schemalink_exporter_offset \
	schemalink_self_heal_total schemalink_drift_corrections_total \
	schemalink_manifest_load_errors_total process_resident_memory_bytes \
	process_cpu_seconds_total process_start_time_seconds; do
	expect_match "/metrics has $n" "$met" "# TYPE $n "
done
expect_match "exporter state RUNNING is 1" "$met" 'schemalink_exporter_state\{link="l1",state="RUNNING"\} 1'
printf '%s\n' "$met" >"$T_TMP/metrics.txt"
if check_prom "$T_TMP/metrics.txt"; then ok "/metrics parses as Prometheus text"; else not_ok "/metrics parses as Prometheus text" "$(cat "$T_TMP/metrics.txt" | head -20)"; fi
expect_eq "status.json persisted" "$(sleep 1.5; python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["objects"]))' "$T_TMP/state/default/status.json")" 3

# --- SIGHUP reloads; SIGTERM exits 0 within 10 s ---------------------------------------------
before=$(loads d1 success)
kill -HUP "$PID_d1"
wait_until "SIGHUP reloads" 5 '[ "$(loads d1 success)" -gt "$before" ]'
t0=$(date +%s%N)
kill -TERM "$PID_d1"
wait "$PID_d1"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "SIGTERM exits 0" "$rc" 0
[ "$ms" -lt 10000 ] && ok "SIGTERM exit within 10 s (${ms} ms)" || not_ok "SIGTERM exit within 10 s" "$ms ms"

# --- invalid manifests at start: serves, not ready, ManifestsInvalid -------------------------
mkdir -p "$T_TMP/bad"
printf 'apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: x}\nspec: {sorce: a}\n' >"$T_TMP/bad/x.yaml"
d_start d2 "$T_TMP/bad" done
expect_eq "invalid manifests: /livez 200" "$(curl -s -o /dev/null -w '%{http_code}' "$D_URL/livez")" 200
expect_eq "invalid manifests: /readyz 503" "$(curl -s -o /dev/null -w '%{http_code}' "$D_URL/readyz")" 503
# The first load runs right after start; before it, /readyz says ManifestsNotLoaded.
wait_until "invalid manifests: reason ManifestsInvalid" 10 'curl -s "$D_URL/readyz" | grep -q "\"reason\":\"ManifestsInvalid\""'
expect_match "invalid manifests: the error names the file" "$(curl -s "$D_URL/readyz")" 'x.yaml'
expect_match "load errors counted" "$(curl -s "$D_URL/metrics")" 'schemalink_manifest_load_errors_total 1'
expect_eq "the error is logged once" "$(grep -c 'failed, keeping the last good snapshot' "$T_TMP/d2.log")" 1
kill -INT "$PID_d2"; wait "$PID_d2"; rc=$?
expect_eq "SIGINT exits 0" "$rc" 0

# --- SIGTERM while a reconcile stalls: cancelled, exit 0 within 10 s; /livez fast meanwhile --
d_start d3 "$T_TMP/m" "done,sleep=30s"
sleep 0.5
t=$(curl -s -o /dev/null -w '%{time_total}' "$D_URL/livez")
expect_match "/livez under 100 ms while reconciles stall ($t s)" "$t" '^0\.0[0-9]'
t0=$(date +%s%N)
kill -TERM "$PID_d3"; wait "$PID_d3"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "SIGTERM during a stalled reconcile exits 0" "$rc" 0
[ "$ms" -lt 10000 ] && ok "stalled reconcile: exit within 10 s (${ms} ms)" || not_ok "stalled reconcile: exit within 10 s" "$ms ms"
expect_match "in-flight work was cancelled" "$(cat "$T_TMP/d3.log")" "cancelling [0-9]+ in-flight"

# --- --once ---------------------------------------------------------------------------------
run schemalinkd --manifests "$T_TMP/m" --state-dir "$T_TMP/state1" --once --test-fake-reconciler done
expect_eq "--once all fine exits 0" "$RC" 0
run schemalinkd --manifests "$T_TMP/m" --state-dir "$T_TMP/state1" --once --test-fake-reconciler stalled
expect_eq "--once with a failure exits 1" "$RC" 1
run schemalinkd --manifests "$T_TMP/m" --state-dir "$T_TMP/state1" --once --test-fake-reconciler unreachable
expect_eq "--once with a registry unreachable exits 3" "$RC" 3
run schemalinkd --manifests "$T_TMP/bad" --state-dir "$T_TMP/state1" --once --dry-run --test-fake-reconciler done
expect_eq "--once with manifest errors exits 2" "$RC" 2
t_done
