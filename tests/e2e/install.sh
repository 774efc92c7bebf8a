#!/usr/bin/env bash
# make install / make uninstall with DESTDIR and PREFIX: programs, man pages, bash completions.
# Assumes the programs are built (tests/run.sh runs after `make all`); passes BUILD and BINDIR
# on so make finds them up to date.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
dest="$T_TMP/root"
vars=(DESTDIR="$dest" PREFIX=/usr BUILD="${BUILD:-build}" BINDIR="$SL_BINDIR")

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
