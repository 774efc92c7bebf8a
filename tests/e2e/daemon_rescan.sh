#!/usr/bin/env bash
# schemalinkd's watcher with the real engine against srlite, for what inotify cannot see:
#  - a change that sends no event in the watched tree is picked up by the content-hash rescan
#    (period shortened with the hidden, test-only --test-rescan-interval), and an unchanged
#    tree is not reloaded;
#  - SIGHUP reloads such a change at once;
#  - a forced IN_Q_OVERFLOW (the daemon stopped with SIGSTOP while more events than
#    fs.inotify.max_queued_events pile up) makes it rescan: a sub-directory created while
#    events were lost is loaded and watched afterwards.
#
# How a change escapes inotify here, honestly: links.yaml in the watched directory is a
# symlink to a file in a directory nobody watches. Writing that file in place produces events
# only in its own directory, so the daemon's watches see nothing: the same blind spot as
# filesystems that send no events (NFS, FUSE, some bind mounts). Only the rescan (or SIGHUP)
# notices, as docs/internals/operations.md intends.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

srlite_start src || exit 1
SRC=$URL
srlite_start tgt || exit 1
TGT=$URL
M=$T_TMP/m OUT=$T_TMP/outside
mkdir -p "$M" "$OUT"
write_srlite_regs "$M/registries.yaml" "$SRC" "$TGT"
# links LINK...: the outside links file, one link per name, each with its own subject. Each
# call here names the links of the one before and more.
links() {
	local n
	: >"$OUT/links.yaml.new"
	for n in "$@"; do
		printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: %s}\nspec: {source: source, destination: target, subjects: ["s-%s"]}\n' \
			"$n" "$n" >>"$OUT/links.yaml.new"
	done
	# In place (same inode, events only in $OUT), by one copy over the old text, which the new
	# one extends: not truncated first (1<>), so a rescan meanwhile reads the old text or the
	# new, never an empty file (which would be a load of its own).
	cat "$OUT/links.yaml.new" 1<>"$OUT/links.yaml"
	rm -f "$OUT/links.yaml.new"
}
links l1
ln -s "$OUT/links.yaml" "$M/links.yaml"
has_exporter() { curl -s "$1/exporters" | grep -q "\"$2\""; }

# ---- the content-hash rescan -----------------------------------------------------------------
de_start d "$M" --resync 60s --test-rescan-interval 1s --state-dir "$T_TMP/st1"
wait_until "l1 exported" 15 'has_exporter "$SRC" l1'
wait_until "rescans of an unchanged tree are skipped" 5 '[ "$(loads d unchanged)" -ge 2 ]'
expect_eq "no reload for an unchanged tree" "$(loads d success)" 1
links l1 l2
wait_until "rescan: l2 (written without an event) exported" 10 'has_exporter "$SRC" l2'
expect_match "rescan: loaded by the rescan" "$(cat "$T_TMP/d.log")" "manifests loaded \\(rescan\\): 4 objects"
expect_no_match "rescan: the watcher saw nothing" "$(cat "$T_TMP/d.log")" "manifests loaded \\(change\\)"
expect_eq "rescan: one reload" "$(loads d success)" 2
kill "$PID_d"; wait "$PID_d"

# ---- SIGHUP ------------------------------------------------------------------------------------
de_start h "$M" --resync 60s --state-dir "$T_TMP/st2"
wait_until "HUP daemon: l2 Ready" 15 '[ "$(cond SchemaLink/l2 Ready | cut -d" " -f1)" = True ]'
links l1 l2 l3
sleep 1.5 # ten times the debounce: had the watcher seen the write, l3 would be there
has_exporter "$SRC" l3 && not_ok "the write escaped inotify (test premise)" || ok "the write escaped inotify (test premise)"
kill -HUP "$PID_h"
wait_until "SIGHUP: l3 exported" 10 'has_exporter "$SRC" l3'
expect_match "SIGHUP: logged" "$(cat "$T_TMP/h.log")" "manifests loaded \\(SIGHUP\\): 5 objects"
kill -0 "$PID_h" && ok "SIGHUP: still running" || not_ok "SIGHUP: still running"

# ---- forced inotify overflow -----------------------------------------------------------------
max=$(cat /proc/sys/fs/inotify/max_queued_events)
if [ "$max" -gt 200000 ]; then
	ok "# SKIP overflow: max_queued_events is $max, too many events to generate"
else
	kill -STOP "$PID_h"
	# Each new file queues IN_CREATE + IN_CLOSE_WRITE on the root's watch: 2 per file.
	python3 - "$M/junk" "$(( max / 2 + 1000 ))" <<'PY'
import os, sys
for i in range(int(sys.argv[2])):
    fd = os.open("%s-%d.txt" % (sys.argv[1], i), os.O_CREAT | os.O_WRONLY, 0o644)
    os.close(fd)
PY
	# Lost for sure: the queue is already full. A new directory with a link in it.
	mkdir "$M/sub"
	printf 'apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: l4}\nspec: {source: source, destination: target, subjects: ["s-l4"]}\n' >"$M/sub/l4.yaml"
	kill -CONT "$PID_h"
	wait_until "overflow: logged" 10 'grep -q "inotify queue overflowed" "$T_TMP/h.log"'
	wait_until "overflow: rescanned (l4, created while events were lost, exported)" 10 'has_exporter "$SRC" l4'
	# The rescan re-added watches: the new sub-directory is watched now.
	printf 'apiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: l5}\nspec: {source: source, destination: target, subjects: ["s-l5"]}\n' >"$M/sub/l5.yaml.tmp"
	mv "$M/sub/l5.yaml.tmp" "$M/sub/l5.yaml"
	wait_until "overflow: the new sub-directory is watched (l5 exported)" 10 'has_exporter "$SRC" l5'
	expect_match "overflow: l5 came through the watcher" "$(cat "$T_TMP/h.log")" "manifests loaded \\(change\\): 7 objects"
fi
kill "$PID_h"; wait "$PID_h"
expect_eq "exits 0" "$?" 0
t_done
