#!/bin/sh
# Installs the Debian packages schemalink needs to build and test, when any is missing.
# Quick when everything is present: one dpkg-query call.
set -eu
PKGS="gcc make pkg-config libyaml-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev
libmicrohttpd-dev clang clang-format libclang-rt-14-dev valgrind curl openssl
python3 python3-jsonschema python3-yaml procps iproute2 wrk"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
