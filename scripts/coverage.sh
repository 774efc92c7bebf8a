#!/usr/bin/env bash
# Line coverage of pkg/ from a --coverage build that has run the tests (make coverage).
# Prints one line per source file and a total, using gcov only.
set -eu
build=${1:-build-cov}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
total=0; hit=0
printf '%-40s %8s %8s %7s\n' FILE LINES COVERED PERCENT
for src in pkg/*/*.c; do
	obj="$build/${src%.c}.o"
	[ -f "${obj%.o}.gcno" ] || continue
	out=$(cd "$tmp" && gcov -n -o "$OLDPWD/$(dirname "$obj")" "$OLDPWD/$src" 2>/dev/null | \
		awk -v f="$src" '$0 ~ "^File .*"f"'"'"'" {getline; print; exit}')
	pct=$(sed -n "s/Lines executed:\([0-9.]*\)% of \([0-9]*\)/\1 \2/p" <<<"$out")
	[ -n "$pct" ] || continue
	set -- $pct
	covered=$(awk -v p="$1" -v n="$2" 'BEGIN{printf "%d", p*n/100+0.5}')
	printf '%-40s %8d %8d %6.1f%%\n' "$src" "$2" "$covered" "$1"
	total=$((total + $2)); hit=$((hit + covered))
done
awk -v h=$hit -v t=$total 'BEGIN{printf "%-40s %8d %8d %6.1f%%\n", "TOTAL", t, h, t ? 100*h/t : 0}'
