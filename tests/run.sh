#!/usr/bin/env bash
# Runs every test that `make unit all` built: cmocka unit suites, golden cases, e2e scripts.
# Prints each suite's own summary and ends with one line "N passed, N failed".
#   tests/run.sh             unit + golden + e2e (fast cases)
#   tests/run.sh --slow      only the slow e2e cases (tests/e2e/slow/)
#   tests/run.sh --valgrind  unit suites and e2e binaries under valgrind
#   tests/run.sh --tsan      as the default run, for a ThreadSanitizer build
# Environment: BUILD, BINDIR (as given to make); T_FILTER=regex limits the suites run;
# T_JOBS=N runs N suites at once (default: nproc + 2; under valgrind nproc, after the unit
# suites one at a time); T_JOBS=1 runs them one after the other.
#
# The suites are independent (each e2e script works in its own mktemp dir, on its own ports):
# up to T_JOBS run at once, the longest first (by the times of the last run, kept in
# $BUILD/tests/durations). Each one's report is captured whole and printed in the order of a
# serial run, as soon as it and those before it are done.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BINDIR=${BINDIR:-bin}
export BUILD
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

# How many at once. Most e2e time is spent waiting (daemon resync periods, observation
# windows), so a few more than the cores keep them busy; valgrind makes the suites CPU-bound.
ncpu=$(nproc 2>/dev/null || echo 2)
case "$mode" in
--valgrind) width=$ncpu ;;
*) width=$((ncpu + 2)) ;;
esac
width=${T_JOBS:-$width}
if ! [[ "$width" =~ ^[1-9][0-9]*$ ]]; then
	echo "tests/run.sh: T_JOBS must be a positive number, not '$width'" >&2
	exit 2
fi

# python3 as the scripts find it, resolved once (tests/lib.sh).
if [ -z "${SL_PYTHON3+set}" ]; then
	SL_PYTHON3=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
	export SL_PYTHON3
fi

want() { [ -z "${T_FILTER:-}" ] || [[ "$1" =~ $T_FILTER ]]; }

# Each suite reports on stdout (captured) and leaves "PASSED FAILED [NAME]" in $RES: NAME is
# what the final "failed:" line lists.
run_unit() {
	local t=$1 out rc p f
	echo "== unit: $(basename "$t")"
	out=$($VG "$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^\[ *(PASSED|FAILED|==========|  ERROR) *\]|^\[  FAILED  \] test|^\[ *ERROR|Assert|error:|==[0-9]+==|runtime error' | head -60
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=${p:-0}; f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "   suite exited $rc"; printf '%s\n' "$out" | tail -20; f=1
	fi
	echo "$p $f$([ "$f" -eq 0 ] || echo " unit:$(basename "$t")")" >"$RES"
}

# Scripts print TAP-like "ok NAME" / "not ok NAME" lines (tests/lib.sh).
run_script() {
	local s=$1 out rc p f
	echo "== ${s#tests/}"
	out=$(bash "$s" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -vE '^ok ' | tail -40
	p=$(printf '%s\n' "$out" | grep -cE '^ok ')
	f=$(printf '%s\n' "$out" | grep -cE '^not ok ')
	echo "   $p ok, $f not ok"
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "   script exited $rc"; f=1
	fi
	echo "$p $f$([ "$f" -eq 0 ] || echo " ${s#tests/}")" >"$RES"
}

# The suites, in the order of a serial run: KIND[i] (unit|script), WHAT[i] (the path).
KIND=() WHAT=()
if [ "$mode" = "--slow" ]; then
	for s in tests/e2e/slow/*.sh; do [ -f "$s" ] && want "$s" && KIND+=(script) WHAT+=("$s"); done
else
	for t in "$BUILD"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.o|*.d) continue ;; esac
		want "$(basename "$t")" && KIND+=(unit) WHAT+=("$t")
	done
	s=tests/golden/run.sh
	[ -x "$s" ] && want "$s" && KIND+=(script) WHAT+=("$s")
	for s in tests/e2e/*.sh; do [ -f "$s" ] && want "$s" && KIND+=(script) WHAT+=("$s"); done
fi
n=${#WHAT[@]}

RUN=$(mktemp -d "${TMPDIR:-/tmp}/sl-run.XXXXXX")
pids=()
stop() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait
	rm -rf "$RUN"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start order: longest first, by the last run's times (ms). Suites not timed yet: the e2e
# scripts known to take longest (of the fast set: the daemon scripts with multi-second
# observation windows), then any other script, then the unit suites.
DURATIONS=$BUILD/tests/durations
declare -A est=()
if [ -f "$DURATIONS" ]; then
	while read -r name ms; do
		[[ "$ms" =~ ^[0-9]+$ ]] && est[$name]=$ms
	done <"$DURATIONS"
fi
guess() {
	case "$1" in
	tests/e2e/daemon_faults.sh | tests/e2e/daemon_lifecycle.sh | tests/e2e/daemon_heal.sh) echo 40000 ;;
	tests/e2e/slow/*) echo 35000 ;;
	tests/*) echo 10000 ;;
	*) echo 1000 ;;
	esac
}

# Job i writes $RUN/i.out (its report), $RUN/i.res, and last $RUN/i.ms (its time: done).
start_job() {
	local i=$1 lo hi
	# Its own slice of free_port's range, so suites running at once never pick the same port.
	lo=$((10000 + i * 22000 / n)) hi=$((10000 + (i + 1) * 22000 / n))
	(
		trap - EXIT INT TERM
		export T_PORT_LO=$lo T_PORT_HI=$hi
		RES=$RUN/$i.res
		t0=$(date +%s%N)
		if [ "${KIND[i]}" = unit ]; then run_unit "${WHAT[i]}"; else run_script "${WHAT[i]}"; fi >"$RUN/$i.out" 2>&1
		echo $((($(date +%s%N) - t0) / 1000000)) >"$RUN/$i.ms.tmp" && mv "$RUN/$i.ms.tmp" "$RUN/$i.ms"
	) &
	pids+=($!)
}

# show_done: prints the reports of the finished suites that no unfinished one precedes.
shown=0
show_done() {
	local p f name
	while [ "$shown" -lt "$n" ] && [ -f "$RUN/$shown.ms" ]; do
		cat "$RUN/$shown.out"
		read -r p f name <"$RUN/$shown.res" || { p=0 f=1 name="${WHAT[shown]#tests/}"; }
		passed=$((passed + p)); failed=$((failed + f))
		[ -z "$name" ] || failed_names+=("$name")
		shown=$((shown + 1))
	done
}

# pool FIRST END WIDTH: runs suites FIRST..END-1, WIDTH at once, longest first.
pool() {
	local first=$1 end=$2 w=$3 order=() i j next=0 running=0 lost
	while read -r _ i; do order+=("$i"); done < <(
		for ((i = first; i < end; i++)); do
			echo "${est[${WHAT[i]}]:-$(guess "${WHAT[i]}")} $i"
		done | sort -k1,1nr -k2,2n)
	while :; do
		while [ "$running" -lt "$w" ] && [ "$next" -lt "${#order[@]}" ]; do
			start_job "${order[next]}"
			next=$((next + 1)) running=$((running + 1))
		done
		show_done
		[ "$shown" -lt "$end" ] || break
		wait -n 2>/dev/null
		[ $? -eq 127 ] && lost=1 || lost=0 # no job left: those without a time died unfinished
		running=0
		for ((i = 0; i < next; i++)); do
			j=${order[i]}
			[ -f "$RUN/$j.ms" ] && continue
			if [ $lost -eq 1 ]; then
				echo "   the job running it died" >>"$RUN/$j.out"; echo 0 >"$RUN/$j.ms"
			else
				running=$((running + 1))
			fi
		done
	done
}

# Under valgrind the unit suites are CPU-bound (nothing to gain from running them at once) and
# some time their answers in ms: they run one at a time, before the scripts.
units=0
while [ "$units" -lt "$n" ] && [ "${KIND[units]}" = unit ]; do units=$((units + 1)); done
if [ "$mode" = "--valgrind" ]; then
	pool 0 "$units" 1
	pool "$units" "$n" "$width"
else
	pool 0 "$n" "$width"
fi
pids=()

# The times, for the next run's order (merged: a filtered run keeps the others').
if [ "$n" -gt 0 ] && mkdir -p "$(dirname "$DURATIONS")" 2>/dev/null; then
	for ((i = 0; i < n; i++)); do est[${WHAT[i]}]=$(cat "$RUN/$i.ms"); done
	for name in "${!est[@]}"; do echo "$name ${est[$name]}"; done | sort >"$RUN/durations" &&
		mv "$RUN/durations" "$DURATIONS"
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
