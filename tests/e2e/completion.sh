#!/usr/bin/env bash
# Bash completion in completion/: sources each file and checks COMPREPLY for typical command
# lines (COMP_WORDS / COMP_CWORD as bash sets them).
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

for f in slctl schemalinkd srlite; do
	if bash -n "$root/completion/$f.bash" 2>"$T_TMP/syntax"; then
		ok "completion/$f.bash parses"
	else
		not_ok "completion/$f.bash parses" "$(cat "$T_TMP/syntax")"
	fi
	# shellcheck disable=SC1090
	source "$root/completion/$f.bash"
	expect_match "completion/$f.bash registers a completion for $f" "$(complete -p "$f" 2>&1)" \
		"^complete -F _$f $f\$"
done

# comp NAME FUNC WORD...: completes the last WORD (may be empty) of the command line WORD...,
# or word number $CWORD when set, and compares the sorted, space-joined COMPREPLY with $WANT.
comp() {
	local name=$1 fn=$2; shift 2
	COMP_WORDS=("$@")
	COMP_CWORD=${CWORD:-$((${#COMP_WORDS[@]} - 1))}
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$fn" 2>"$T_TMP/comp.err"
	local got
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ')
	got=${got% }
	if [ -s "$T_TMP/comp.err" ]; then
		not_ok "$name" "stderr: $(cat "$T_TMP/comp.err")"
	else
		expect_eq "$name" "$got" "$WANT"
	fi
}

# slctl: commands, flags, kinds, -o values
WANT="--help apply delete describe diff export get pause promote reset resume validate version"
comp "slctl: commands" _slctl slctl ""
WANT="get"; comp "slctl: command prefix" _slctl slctl ge
WANT="pause promote"; comp "slctl: command prefix p" _slctl slctl p
WANT="contexts links registries subjects"; comp "slctl get: kinds" _slctl slctl get ""
WANT="context link registry subject"; comp "slctl describe: kinds" _slctl slctl describe ""
WANT="link"; comp "slctl pause: kind" _slctl slctl pause ""
WANT="link"; comp "slctl promote: kind" _slctl slctl promote ""
WANT="link"; comp "slctl delete: kind" _slctl slctl delete ""
WANT="json text wide yaml"; comp "slctl get -o: values with wide" _slctl slctl get links -o ""
WANT="json text yaml"; comp "slctl describe -o: values without wide" _slctl slctl describe link x -o ""
WANT="json"; comp "slctl get --output=j" _slctl slctl get links --output = j
WANT="--dry-run"; comp "slctl apply --d" _slctl slctl apply --d
WANT="--state-dir --strict"; comp "slctl validate --st" _slctl slctl validate --st
WANT="--state-dir"; comp "slctl apply --state: not --strict" _slctl slctl apply --st
WANT="--registry"; comp "slctl export --r" _slctl slctl export --r
WANT=""; comp "slctl get --timeout: no flag of apply" _slctl slctl get --ti

# -f completes files and directories
mkdir -p "$T_TMP/m/sub"
cat >"$T_TMP/m/regs.yaml" <<'Y'
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec: {url: "http://127.0.0.1:8081"}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata:
  name: target   # comment
spec:
  url: http://127.0.0.1:8082
Y
cat >"$T_TMP/m/sub/links.yml" <<'Y'
apiVersion: schemalink.io/v1alpha1
kind: SchemaLink
metadata:
  name: src-to-tgt-link
  labels: {team: platform}
spec:
  source: source
  destination: target
  context:
    type: CUSTOM
    name: source
---
kind: SchemaLink
apiVersion: schemalink.io/v1alpha1
metadata: {name: "tgt-to-src-link", labels: {a: b}}
spec: {source: target, destination: source, context: {type: CUSTOM, name: target}}
Y
touch "$T_TMP/m/.hidden.yaml"
WANT="$T_TMP/m/regs.yaml $T_TMP/m/sub"
comp "slctl -f: files and directories" _slctl slctl validate -f "$T_TMP/m/"
WANT="$T_TMP/m/sub/links.yml"
comp "slctl --filename: file in a subdirectory" _slctl slctl apply --filename "$T_TMP/m/sub/l"

# object names from the manifests named by -f, or by $SLCTL_FILES
WANT="src-to-tgt-link tgt-to-src-link"
comp "slctl describe link: names from -f DIR" _slctl slctl describe -f "$T_TMP/m" link ""
WANT="src-to-tgt-link tgt-to-src-link"
CWORD=3 comp "slctl resume link: names from a later -f" _slctl slctl resume link "" -f "$T_TMP/m"
WANT="src-to-tgt-link"
comp "slctl pause link: names, prefix" _slctl slctl pause -f "$T_TMP/m" link src
WANT="source target"
comp "slctl export --registry: Registry names" _slctl slctl export -f "$T_TMP/m/regs.yaml" --registry ""
WANT="source target"
SLCTL_FILES="$T_TMP/nonexistent:$T_TMP/m/regs.yaml" \
	comp "slctl get registries: names from SLCTL_FILES" _slctl slctl get registries ""
WANT=""
comp "slctl describe link: no manifests, no names" _slctl slctl describe link ""

# schemalinkd
WANT="--listen --log-format --log-level"; comp "schemalinkd --l" _schemalinkd schemalinkd --l
WANT="json text"; comp "schemalinkd --log-format" _schemalinkd schemalinkd --log-format ""
WANT="debug error info warn"; comp "schemalinkd --log-level" _schemalinkd schemalinkd --log-level ""
WANT="$T_TMP/m/sub"; comp "schemalinkd --manifests: directories" _schemalinkd schemalinkd --manifests "$T_TMP/m/s"
WANT="--once"; comp "schemalinkd --on" _schemalinkd schemalinkd --manifests /x --on

# srlite
WANT="all-contexts default-context"; comp "srlite --wildcard-scope" _srlite srlite --wildcard-scope ""
WANT="--tls-cert --tls-key"; comp "srlite --tls" _srlite srlite --tls
WANT="$T_TMP/m/regs.yaml"; comp "srlite --basic-auth-file: files" _srlite srlite --basic-auth-file "$T_TMP/m/r"
WANT="--enable-fault-injection"; comp "srlite --en" _srlite srlite --en
WANT="--max-exporters"; comp "srlite --max" _srlite srlite --max
WANT=""; comp "srlite --max-exporters: a number, nothing offered" _srlite srlite --max-exporters ""
WANT=""; comp "srlite --cluster-id: an id, nothing offered" _srlite srlite --cluster-id ""
WANT="--rate-limit"; comp "srlite --ra" _srlite srlite --ra
WANT=""; comp "srlite --rate-limit: rates, nothing offered" _srlite srlite --rate-limit ""

t_done
