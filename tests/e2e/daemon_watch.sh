#!/usr/bin/env bash
# schemalinkd's watcher end to end (docs/internals/operations.md "Watching files"), observed through
# /metrics: schemalink_manifest_objects (objects in the snapshot in use) and
# schemalink_manifest_loads_total{result}. Uses the test-only fake reconciler.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

M="$T_TMP/m"
mkdir -p "$M"
write_regs "$M/regs.yaml"
d_start w "$M" done
wait_until "start: 2 objects" 5 '[ "$(objects)" = 2 ]'

# New file.
write_link "$M/l1.yaml" l1
wait_until "new file: 3 objects" 5 '[ "$(objects)" = 3 ]'
# Editor-style atomic save: temp file, then rename over the target.
write_link "$M/.l2.yaml.swp" l2
mv "$M/.l2.yaml.swp" "$M/l1.yaml"
wait_until "atomic save: link renamed to l2" 5 'curl -s "$D_URL/status" | grep -q "\"name\": \"l2\""'
# In-place write (truncate + write through the same inode).
write_link "$T_TMP/x" l3
cat "$T_TMP/x" >"$M/l1.yaml"
wait_until "in-place write: link renamed to l3" 5 'curl -s "$D_URL/status" | grep -q "\"name\": \"l3\""'
# Removed file.
rm "$M/l1.yaml"
wait_until "removed file: 2 objects" 5 '[ "$(objects)" = 2 ]'
wait_until "removed file: its status is gone" 5 '! curl -s "$D_URL/status" | grep -q "\"name\": \"l3\""'
# Sub-directories, created after the start.
mkdir -p "$M/a/b"
write_link "$M/a/b/deep.yaml" deep
wait_until "new sub-directory: 3 objects" 5 '[ "$(objects)" = 3 ]'
# Hidden and editor files are ignored (no reload at all).
before=$(loads w success)
echo "garbage: [" >"$M/.hidden.yaml"; echo "garbage: [" >"$M/x.yaml~"; echo "garbage" >"$M/notes.txt"
sleep 0.5
expect_eq "hidden/editor files: no failed load" "$(loads w error)" 0
# A burst: 1000 writes in about a second cause at most 2 reloads.
before=$(( $(loads w success) + $(loads w error) ))
for i in $(seq 1 1000); do
	printf '# %d\n' "$i" >>"$M/a/b/deep.yaml"
done
sleep 2.5
after=$(( $(loads w success) + $(loads w error) ))
n=$((after - before))
[ "$n" -ge 1 ] && [ "$n" -le 2 ] && ok "1000 writes: $n reload(s)" || not_ok "1000 writes: at most 2 reloads" "got $n"
kill -TERM "$PID_w"; wait "$PID_w"

# A half-written file keeps the last good snapshot.
d_start w2 "$M" done
wait_until "w2: 3 objects" 5 '[ "$(objects)" = 3 ]'
printf 'apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: half\n' >"$M/half.yaml"
wait_until "half-written file: load fails" 5 '[ "$(loads w2 error)" -ge 1 ]'
expect_eq "half-written file: snapshot kept" "$(objects)" 3
expect_match "half-written file: /readyz says ManifestsInvalid" "$(curl -s "$D_URL/readyz")" ManifestsInvalid
rm "$M/half.yaml"
wait_until "fixed: ready again" 5 '[ "$(curl -s -o /dev/null -w "%{http_code}" "$D_URL/readyz")" = 200 ]'
kill -TERM "$PID_w2"; wait "$PID_w2"

# Kubernetes ConfigMap volume: visible names are symlinks through ..data, swapped atomically.
C="$T_TMP/cm"
mkdir -p "$C/..2026_01_01_v1"
write_regs "$C/..2026_01_01_v1/regs.yaml"
ln -s ..2026_01_01_v1 "$C/..data"
ln -s ..data/regs.yaml "$C/regs.yaml"
ln -s ..data/links.yaml "$C/links.yaml"
d_start cm "$C" done
wait_until "configmap: 2 objects (dangling links.yaml ignored or invalid)" 5 '[ "$(objects)" = 2 ] || [ "$(loads cm error)" -ge 1 ]'
mkdir -p "$C/..2026_01_01_v2"
write_regs "$C/..2026_01_01_v2/regs.yaml"
write_link "$C/..2026_01_01_v2/links.yaml" cm-link
ln -s ..2026_01_01_v2 "$C/..data_tmp"
mv -T "$C/..data_tmp" "$C/..data"
rm -rf "$C/..2026_01_01_v1"
wait_until "configmap ..data swap: 3 objects" 5 '[ "$(objects)" = 3 ]'
kill -TERM "$PID_cm"; wait "$PID_cm"

# The directory deleted and recreated.
D="$T_TMP/d/m"
mkdir -p "$D"
write_regs "$D/regs.yaml"
d_start dr "$D" done
wait_until "dir: 2 objects" 5 '[ "$(objects)" = 2 ]'
rm -rf "$D"
sleep 0.5
expect_eq "dir deleted: snapshot kept" "$(objects)" 2
mkdir -p "$D"
write_regs "$D/regs.yaml"
write_link "$D/l.yaml" back
wait_until "dir recreated: 3 objects" 5 '[ "$(objects)" = 3 ]'
kill -TERM "$PID_dr"; wait "$PID_dr"
t_done
