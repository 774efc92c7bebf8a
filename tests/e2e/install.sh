#!/usr/bin/env bash
# make install / make uninstall with DESTDIR and PREFIX: programs, man pages, bash completions.
# Assumes the programs are built (tests/run.sh runs after `make all`). make install runs
# `make all` first: it gets copies of BUILD's objects and of BINDIR (times kept), so it finds
# them up to date, and whatever it might remake would not touch the programs that the scripts
# running alongside this one use.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
dest="$T_TMP/root"
build=${BUILD:-build}
[[ "$build" == /* ]] || build="$root/$build"
mkdir "$T_TMP/build"
for d in pkg cmd lib; do
	[ -d "$build/$d" ] && cp -a "$build/$d" "$T_TMP/build/"
done
cp -a "$SL_BINDIR" "$T_TMP/bin"
vars=(DESTDIR="$dest" PREFIX=/usr BUILD="$T_TMP/build" BINDIR="$T_TMP/bin")

expected=(
	usr/bin/slctl usr/bin/schemalinkd usr/bin/srlite
	usr/share/man/man1/slctl.1 usr/share/man/man1/srlite.1 usr/share/man/man8/schemalinkd.8
	usr/share/bash-completion/completions/slctl
	usr/share/bash-completion/completions/schemalinkd
	usr/share/bash-completion/completions/srlite
)

if make --no-print-directory -C "$root" install "${vars[@]}" >"$T_TMP/install.log" 2>&1; then
	ok "make install DESTDIR PREFIX=/usr"
else
	not_ok "make install DESTDIR PREFIX=/usr" "$(tail -20 "$T_TMP/install.log")"
fi
for f in "${expected[@]}"; do
	if [ -f "$dest/$f" ]; then ok "installed /$f"; else not_ok "installed /$f"; fi
done
for p in slctl schemalinkd srlite; do
	if [ -x "$dest/usr/bin/$p" ]; then ok "/usr/bin/$p is executable"; else not_ok "/usr/bin/$p is executable"; fi
	if cmp -s "$root/completion/$p.bash" "$dest/usr/share/bash-completion/completions/$p"; then
		ok "completion for $p is completion/$p.bash"
	else
		not_ok "completion for $p is completion/$p.bash"
	fi
done
# Nothing outside DESTDIR/PREFIX.
extra=$(cd "$dest" && find . -type f | sed 's|^\./||' | grep -v '^usr/' || true)
expect_eq "nothing installed outside PREFIX" "$extra" ""

if make --no-print-directory -C "$root" uninstall "${vars[@]}" >"$T_TMP/uninstall.log" 2>&1; then
	ok "make uninstall DESTDIR PREFIX=/usr"
else
	not_ok "make uninstall DESTDIR PREFIX=/usr" "$(tail -20 "$T_TMP/uninstall.log")"
fi
for f in "${expected[@]}"; do
	if [ -e "$dest/$f" ]; then not_ok "removed /$f"; else ok "removed /$f"; fi
done
left=$(cd "$dest" && find . -type f | sed 's|^\./||')
expect_eq "no files left after uninstall" "$left" ""

t_done
