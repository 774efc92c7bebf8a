#!/usr/bin/env bash
# Every header is self-contained (docs/internals/style.md rule 19): it compiles on its own,
# included first and twice (its guard works), with the project's warnings as errors.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
flags=$(pkg-config --cflags yaml-0.1 libcurl jansson libmicrohttpd 2>/dev/null)
warn="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla"
n=0
for h in include/schemalink/*.h pkg/*/*.h cmd/*/*.h; do
	[ -f "$h" ] || continue
	n=$((n + 1))
	d=$(dirname "$h")
	src=$(printf '#include "%s"\n#include "%s"\n' "$root/$h" "$root/$h")
	if out=$(printf '%s\n' "$src" | ${CC:-cc} -std=c11 -D_GNU_SOURCE -Iinclude -I"$d" $flags $warn \
		-fsyntax-only -x c - 2>&1); then
		ok "$h compiles on its own"
	else
		not_ok "$h compiles on its own" "$(printf '%s\n' "$out" | head -5)"
	fi
done
[ "$n" -gt 30 ] && ok "headers checked ($n)" || not_ok "headers checked ($n)" "expected more than 30"
# The check itself can fail: a header that uses size_t without including anything.
printf 'size_t broken(void);\n' >"$T_TMP/broken.h"
if printf '#include "%s"\n' "$T_TMP/broken.h" | ${CC:-cc} -std=c11 -fsyntax-only -x c - 2>/dev/null; then
	not_ok "a header that is not self-contained fails the check"
else
	ok "a header that is not self-contained fails the check"
fi
t_done
