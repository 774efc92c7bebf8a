#!/bin/sh
# Installs the Debian packages schemalink needs to build and test, when any is missing.
# Quick when everything is present: one dpkg-query call.
set -eu
# nginx-light is for make bench only: scripts/bench.sh runs a private nginx (its own prefix,
# config and port under the bench's temp dir) as the static-file floor next to srlite's GET
# throughput. The system service the package brings is never used and is kept from starting.
PKGS="gcc make pkg-config libyaml-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev
libmicrohttpd-dev clang clang-format libclang-rt-14-dev valgrind curl openssl
python3 python3-jsonschema python3-yaml procps iproute2 wrk nginx-light"
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
# No package installed here may start a service: Debian's maintainer scripts start nginx on
# port 80 through invoke-rc.d / deb-systemd-invoke, which fails the install when port 80 is
# taken (or, in a container, leaves a root nginx running). Both ask policy-rc.d first; exit
# 101 forbids the start. An administrator's own policy-rc.d is left as it is.
policy=/usr/sbin/policy-rc.d
mark="# schemalink scripts/deps.sh: no service starts during the install"
own_policy=""
if [ ! -e "$policy" ] || grep -qxF "$mark" "$policy" 2>/dev/null; then
	own_policy=1
	trap 'rm -f "$policy"' EXIT
	trap 'exit 1' INT TERM
	printf '#!/bin/sh\n%s\nexit 101\n' "$mark" >"$policy"
	chmod 755 "$policy"
fi
nginx_before=$(dpkg-query -W -f='${db:Status-Status}' nginx 2>/dev/null || true)
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
# Installed just now under systemd: the unit is enabled for the next boot; it is not wanted.
if [ "$nginx_before" != "installed" ] && [ -d /run/systemd/system ] &&
	command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now nginx.service >/dev/null 2>&1 || true
fi
exit 0
