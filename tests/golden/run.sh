#!/usr/bin/env bash
# Golden tests: each tests/golden/<group>/<case>.cmd holds one command line (run with bash from
# the case's directory, bin/ on PATH); its stdout, stderr and exit code are compared with
# <case>.out, <case>.err and <case>.rc. UPDATE_GOLDEN=1 rewrites the expected files
# (make update-golden); review the diff before committing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
export PATH="$SL_BINDIR:$PATH"
for cmdf in "$here"/*/*.cmd; do
	[ -f "$cmdf" ] || continue
	base=${cmdf%.cmd}
	name=${base#"$here"/}
	dir=$(dirname "$cmdf")
	(cd "$dir" && bash "$cmdf") >"$T_TMP/out" 2>"$T_TMP/err"
	echo $? >"$T_TMP/rc"
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		cp "$T_TMP/out" "$base.out"; cp "$T_TMP/err" "$base.err"; cp "$T_TMP/rc" "$base.rc"
		echo "ok $name (updated)"
		continue
	fi
	d=""
	for k in out err rc; do
		if ! diff -u "$base.$k" "$T_TMP/$k" >"$T_TMP/diff" 2>&1; then
			d+="--- $k differs:"$'\n'"$(head -30 "$T_TMP/diff")"$'\n'
		fi
	done
	if [ -z "$d" ]; then ok "golden $name"; else not_ok "golden $name" "$d"; fi
done
t_done
