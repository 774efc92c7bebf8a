#!/usr/bin/env bash
# Runs every test that `make unit all` built: cmocka unit suites, golden cases, e2e scripts.
# Prints each suite's own summary and ends with one line "N passed, N failed".
#   tests/run.sh             unit + golden + e2e (fast cases)
#   tests/run.sh --slow      only the slow e2e cases (tests/e2e/slow/)
#   tests/run.sh --valgrind  unit suites and e2e binaries under valgrind
#   tests/run.sh --tsan      as the default run, for a ThreadSanitizer build
# Environment: BUILD, BINDIR (as given to make); T_FILTER=regex limits the suites run.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BINDIR=${BINDIR:-bin}
export SL_BINDIR=$(cd "$BINDIR" && pwd)
mode=${1:-}
passed=0
failed=0
failed_names=()

VG=""
if [ "$mode" = "--valgrind" ]; then
	# -q: a log file stays empty unless valgrind found something; servers started by e2e
	# scripts (whose exit codes nobody sees) are judged by their logs at the end.
	VGLOG=$(mktemp -d "${TMPDIR:-/tmp}/sl-vg.XXXXXX")
	VG="valgrind -q --log-file=$VGLOG/vg.%p.log --max-threads=2000 --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --track-fds=no"
	export SL_WRAP="$VG"
fi

want() { [ -z "${T_FILTER:-}" ] || [[ "$1" =~ $T_FILTER ]]; }

run_unit() {
	local t out rc p f
	for t in "$BUILD"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.o|*.d) continue ;; esac
		want "$(basename "$t")" || continue
		echo "== unit: $(basename "$t")"
		out=$($VG "$t" 2>&1); rc=$?
		printf '%s\n' "$out" | grep -E '^\[ *(PASSED|FAILED|==========|  ERROR) *\]|^\[  FAILED  \] test|^\[ *ERROR|Assert|error:|==[0-9]+==|runtime error' | head -60
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		p=${p:-0}; f=${f:-0}
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "   suite exited $rc"; printf '%s\n' "$out" | tail -20; f=1
		fi
		passed=$((passed + p)); failed=$((failed + f))
		[ "$f" -eq 0 ] || failed_names+=("unit:$(basename "$t")")
	done
}

# Scripts print TAP-like "ok NAME" / "not ok NAME" lines (tests/lib.sh).
run_script() {
	local s=$1 out rc p f
	want "$s" || return 0
	echo "== ${s#tests/}"
	out=$(bash "$s" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -vE '^ok ' | tail -40
	p=$(printf '%s\n' "$out" | grep -cE '^ok ')
	f=$(printf '%s\n' "$out" | grep -cE '^not ok ')
	echo "   $p ok, $f not ok"
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "   script exited $rc"; f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" -eq 0 ] || failed_names+=("${s#tests/}")
}

if [ "$mode" = "--slow" ]; then
	for s in tests/e2e/slow/*.sh; do [ -f "$s" ] && run_script "$s"; done
else
	run_unit
	[ -x tests/golden/run.sh ] && run_script tests/golden/run.sh
	for s in tests/e2e/*.sh; do [ -f "$s" ] && run_script "$s"; done
fi

if [ -n "${VGLOG:-}" ]; then
	for f in "$VGLOG"/vg.*.log; do
		[ -s "$f" ] || continue
		echo "== valgrind found errors (${f##*/}):"; head -40 "$f"
		failed=$((failed + 1)); failed_names+=("valgrind:${f##*/}")
	done
	rm -rf "$VGLOG"
fi
echo
if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
# A default run that ran nothing is a failure (a broken build dir, say); --slow may be empty.
[ "$failed" -eq 0 ] && { [ "$passed" -gt 0 ] || [ "$mode" = "--slow" ]; }
