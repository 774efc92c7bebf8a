#!/usr/bin/env bash
# The programs' command-line surface: version output, and honest "not implemented yet" exits
# for what is not built (each such check is replaced when the feature lands).
source "$(dirname "$0")/../lib.sh"

run slctl version
expect_eq "slctl version exits 0" "$RC" 0
expect_match "slctl version names itself" "$OUT" "^slctl [0-9]+\.[0-9]+\.[0-9]+"
for lib in libcurl libyaml jansson libmicrohttpd; do
	expect_match "slctl version names $lib" "$OUT" $'(^|\n)'"$lib [0-9]+\.[0-9]+"
done
run slctl version extra
expect_eq "slctl version rejects arguments" "$RC" 2

run schemalinkd --version
expect_match "schemalinkd --version" "$OUT" "^schemalinkd [0-9]+\.[0-9]+"
run srlite --version
expect_match "srlite --version" "$OUT" "^srlite [0-9]+\.[0-9]+"

# Every slctl command parses its flags; those not built yet say so and exit 2.
for c in "validate -f x.yaml --strict" "diff -f x.yaml" "apply -f x.yaml --dry-run --prune --wait --timeout 30s" \
	"get links -f x.yaml -o wide" "describe link l -f x.yaml" "delete -f x.yaml" \
	"pause link l -f x.yaml" "resume link l -f x.yaml" "reset link l -f x.yaml" \
	"promote link l -f x.yaml" "export --registry r -f x.yaml -o yaml"; do
	set -- $c
	run slctl "$@"
	if [[ "$ERR" == *"not implemented yet: slctl $1"* ]]; then
		expect_eq "slctl $1 not built yet exits 2" "$RC" 2
	else
		ok "slctl $1 is built"
	fi
done
# $SLCTL_FILES stands in for -f.
SLCTL_FILES=x.yaml run slctl diff
expect_no_match "SLCTL_FILES satisfies -f" "$ERR" "no manifests given"
t_done
