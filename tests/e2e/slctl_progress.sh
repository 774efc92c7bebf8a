#!/usr/bin/env bash
# slctl apply's progress line (docs/internals/manifests.md §3 "--progress"): on stderr once an
# apply has run for a second, counting objects and writes, taken off before each result line
# and at the end; never when stderr is not a terminal unless --progress always, never with
# --progress never. Each exporter creation is delayed 100 ms by srlite's fault injection so
# an apply of 20 links runs about two seconds.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon_lib.sh"

N=20
srlite_start src --enable-fault-injection || exit 1
SRC=$URL
srlite_start tgt || exit 1
TGT=$URL
M=$T_TMP/m
mkdir -p "$M"
write_srlite_regs "$M/registries.yaml" "$SRC" "$TGT"
for i in $(seq $N); do
	printf -- '---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: l%02d}\nspec: {source: source, destination: target, subjects: ["s%d-value"], context: {type: CUSTOM, name: c%d}}\n' \
		"$i" "$i" "$i"
done >"$M/links.yaml"
slow() { # every exporter creation on the source delayed 100 ms
	curl -s -o /dev/null -X DELETE "$SRC/_srlite/faults"
	curl -s -o /dev/null -H 'Content-Type: application/json' \
		-d '{"method":"POST","pathPrefix":"/exporters","delayMs":100}' "$SRC/_srlite/faults"
}
fresh() { # deletes every exporter and the state: the next apply creates all N again
	local i
	curl -s -o /dev/null -X DELETE "$SRC/_srlite/faults"
	for i in $(seq $N); do
		curl -s -o /dev/null -X PUT "$SRC/exporters/$(printf l%02d "$i")/pause"
		curl -s -o /dev/null -X DELETE "$SRC/exporters/$(printf l%02d "$i")"
	done
	rm -rf "$T_TMP/state"
	slow
}

slow
run slctl apply -f "$M" --state-dir "$T_TMP/state" --progress always
expect_eq "apply with --progress always succeeds" "$RC" 0
expect_eq "every object reported on stdout" "$(grep -c ': created$' <<<"$OUT")" $N
# The line: "\r\033[Kapplying: D/T objects (P%), W writes, S s, about L s left".
expect_match "a progress line on stderr" "$ERR" \
	$'\r\033\\[Kapplying: [0-9]+/22 objects \\([0-9]+%\\), [0-9]+ writes?, [0-9]+ s, about [0-9]+ s left'
expect_match "taken off at the end" "$ERR" $'\r\033\\[K$'
# Every line drawn is taken off again before the next result: stdout has none of it.
expect_no_match "stdout has no progress" "$OUT" 'applying:'
# What is left on stderr once the drawn lines are taken off: nothing.
left=$(python3 -c 'import re,sys; s=open(sys.argv[1], newline="").read(); print(repr(re.sub(r"\r\x1b\[K(applying: [^\r]*)?", "", s)))' "$T_TMP/err")
expect_eq "nothing else on stderr" "$left" "''"

fresh
run slctl apply -f "$M" --state-dir "$T_TMP/state"
expect_eq "apply with stderr not a terminal succeeds" "$RC" 0
expect_eq "no progress line when stderr is not a terminal" "$ERR" ""

# on_pty ARGS...: slctl ARGS with stderr on a pseudo-terminal (stdout discarded); prints the
# exit code and, as a Python literal, what reached the terminal.
on_pty() {
	python3 - "$SL_BINDIR/slctl" "$@" <<'PY'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
p.wait()
print(p.returncode, repr(data.decode()))
PY
}

fresh
# stderr on a terminal: auto draws the line.
expect_match "auto on a terminal: exit 0 and a progress line" \
	"$(on_pty apply -f "$M" --state-dir "$T_TMP/state")" '^0 .*applying: [0-9]+/22 objects'

fresh
expect_eq "--progress never on a terminal: nothing on stderr" \
	"$(on_pty apply -f "$M" --state-dir "$T_TMP/state" --progress never)" "0 ''"

run slctl apply -f "$M" --progress sometimes
expect_eq "--progress sometimes: usage error" "$RC" 2
expect_match "and says what it takes" "$ERR" 'auto, always or never, not "sometimes"'
t_done
