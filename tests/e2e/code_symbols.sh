#!/usr/bin/env bash
# The libraries' symbols (docs/internals/style.md rule 19; docs/internals/architecture.md "Areas and link order"):
#   - every global symbol an area library defines starts with sl_, so nothing we link can
#     clash with a library of the system or a user's program;
#   - an area uses only itself and the areas after it in the Makefile's AREAS list: every
#     sl_ symbol it needs is defined by itself or by a later area, so there are no cycles.
# Reads the libraries `make` built in $BUILD/lib.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
lib=$root/${BUILD:-build}/lib
areas=$(sed -n 's/^AREAS *:= *//p' "$root/Makefile")

if [ -z "$areas" ] || ! ls "$lib"/libsl_*.a >/dev/null 2>&1; then
	not_ok "the area libraries are built" "no $lib/libsl_*.a or no AREAS in the Makefile"
	t_done
fi

# Names starting with "__" are the compiler's (sanitizer and coverage instrumentation such as
# __odr_asan.*); C reserves them, so none of ours does.
defined() { nm -g --defined-only "$lib/libsl_$1.a" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDBRVWCG]/ && $3 !~ /^__/ {print $3}'; }
needed() { nm -g --undefined-only "$lib/libsl_$1.a" 2>/dev/null | awk '{print $NF}' | grep '^sl_' | sort -u; }

later=""
rev=$(echo $areas | tr ' ' '\n' | tac)
for a in $rev; do
	[ -f "$lib/libsl_$a.a" ] || continue
	bad=$(defined "$a" | grep -v '^sl_' | sort -u)
	expect_eq "area $a: every global symbol starts with sl_" "$bad" ""
	mine=$(defined "$a" | sort -u)
	avail=$(printf '%s\n%s\n' "$mine" "$later" | sort -u)
	missing=$(comm -23 <(needed "$a") <(printf '%s\n' "$avail" | sed '/^$/d'))
	expect_eq "area $a: uses only itself and the areas after it" "$missing" ""
	later=$(printf '%s\n%s\n' "$later" "$mine" | sed '/^$/d' | sort -u)
done

# The check itself can fail: a symbol without the prefix is found.
tmp=$T_TMP/probe
mkdir -p "$tmp"
printf 'int leaky_symbol(void);\nint leaky_symbol(void) { return 1; }\n' >"$tmp/x.c"
cc -c -o "$tmp/x.o" "$tmp/x.c" && ar rcs "$tmp/libsl_probe.a" "$tmp/x.o"
got=$(nm -g --defined-only "$tmp/libsl_probe.a" | awk 'NF == 3 && $2 ~ /[TDBRVWCG]/ {print $3}' | grep -v '^sl_')
expect_eq "the check sees a global without sl_" "$got" "leaky_symbol"
t_done
