# bash completion for slctl(1) — schemalink's command line (MANIFESTS.md §3).
# Self-contained: needs bash only, not the bash-completion package.
# Completes commands, flags per command, the kinds after get/describe/pause/..., -o values,
# files and directories after -f, and object names read from the manifests given with -f
# (or $SLCTL_FILES) after "describe KIND", "pause|resume|reset|promote|delete link" and
# "export --registry".

_slctl_commands="validate diff apply get describe delete pause resume reset promote export version"

# _slctl_manifest_files WORD...: prints the manifest files named by -f/--filename in the words
# (directories expanded to their *.yaml and *.yml files), else by $SLCTL_FILES.
_slctl_manifest_files() {
	local i paths=() p
	for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
		case ${COMP_WORDS[i]} in
		-f | --filename)
			p=${COMP_WORDS[i + 1]:-}
			[ "$p" = "=" ] && p=${COMP_WORDS[i + 2]:-}
			[ -n "$p" ] && [ "$i" -ne $((COMP_CWORD - 1)) ] && paths+=("$p")
			;;
		esac
	done
	if [ ${#paths[@]} -eq 0 ] && [ -n "${SLCTL_FILES:-}" ]; then
		local IFS=:
		# shellcheck disable=SC2206
		paths=($SLCTL_FILES)
	fi
	for p in "${paths[@]}"; do
		p=${p/#\~/$HOME}
		if [ -d "$p" ]; then
			find -L "$p" -name '.*' -prune -o -type f \( -name '*.yaml' -o -name '*.yml' \) \
				-print 2>/dev/null
		elif [ -f "$p" ]; then
			printf '%s\n' "$p"
		fi
	done
}

# _slctl_names KIND: metadata.name of every document of KIND (Registry, SchemaLink, Context,
# Subject) in the manifest files. A plain reading of YAML: block or flow metadata.
_slctl_names() {
	local kind=$1 files
	files=$(_slctl_manifest_files)
	[ -n "$files" ] || return 0
	local IFS=$'\n'
	# shellcheck disable=SC2086
	awk -v want="$kind" '
		function flush() { if (k == want && n != "") print n; k = ""; n = ""; sect = "" }
		FNR == 1 { flush() }
		/^---/ { flush(); next }
		/^kind:/ { v = $0; sub(/^kind:[ \t]*/, "", v); sub(/[ \t]*(#.*)?$/, "", v); gsub(/["\047]/, "", v); k = v; next }
		/^metadata:[ \t]*\{/ {
			v = $0
			if (match(v, /name:[ \t]*[^,}]+/)) {
				v = substr(v, RSTART, RLENGTH); sub(/name:[ \t]*/, "", v)
				sub(/[ \t]+$/, "", v); gsub(/["\047]/, "", v); n = v
			}
			next
		}
		/^[^ \t#]/ { sect = $1; next }
		sect == "metadata:" && /^[ \t]+name:/ {
			v = $0; sub(/^[ \t]+name:[ \t]*/, "", v); sub(/[ \t]*(#.*)?$/, "", v)
			gsub(/["\047]/, "", v); n = v
		}
		END { flush() }
	' $files 2>/dev/null | sort -u
}

# _slctl_files CUR: files and directories for -f, and "-" (stdin). Hidden entries are left
# out unless CUR names one, as slctl skips them when it reads a directory.
_slctl_files() {
	local f
	compopt -o filenames 2>/dev/null
	local IFS=$'\n'
	COMPREPLY=()
	for f in $(compgen -f -- "$1"); do
		case ${f##*/} in
		.*) [[ "${1##*/}" == .* ]] || continue ;;
		esac
		COMPREPLY+=("$f")
	done
	if [ "$1" = "" ] || [ "$1" = "-" ]; then COMPREPLY+=("-"); fi
}

_slctl() {
	local cur prev cmd i words_after=()
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]:-}
	# --flag=value: bash splits at "=" (COMP_WORDBREAKS).
	if [ "$cur" = "=" ]; then
		cur=""
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$_slctl_commands --help" -- "$cur"))
		return 0
	fi
	cmd=${COMP_WORDS[1]}

	# The value of a flag.
	case $prev in
	-f | --filename) _slctl_files "$cur"; return 0 ;;
	--state-dir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	-o | --output)
		if [ "$cmd" = get ]; then
			COMPREPLY=($(compgen -W "text wide json yaml" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "text json yaml" -- "$cur"))
		fi
		return 0
		;;
	--registry) COMPREPLY=($(compgen -W "$(_slctl_names Registry)" -- "$cur")); return 0 ;;
	--progress) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return 0 ;;
	--set | --timeout | --max-prune) return 0 ;;
	esac

	# Positional words after the command, skipping flags and their values.
	for ((i = 2; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-f | --filename | --state-dir | --set | -o | --output | --registry | --timeout | --max-prune | --progress)
			i=$((i + 1))
			[ "${COMP_WORDS[i]:-}" = "=" ] && i=$((i + 1))
			;;
		-*) ;;
		*) words_after+=("${COMP_WORDS[i]}") ;;
		esac
	done

	if [[ "$cur" == -* ]]; then
		local flags="-f --filename --state-dir --set -o --output -h --help"
		case $cmd in
		validate) flags+=" --strict" ;;
		apply) flags+=" --dry-run --prune --max-prune --allow-prune-all --adopt --wait --timeout --progress" ;;
		export) flags+=" --registry" ;;
		version) flags="-h --help" ;;
		esac
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
		return 0
	fi

	local n=${#words_after[@]}
	case $cmd in
	get)
		if [ "$n" -eq 0 ]; then
			COMPREPLY=($(compgen -W "registries links contexts subjects" -- "$cur"))
		elif [ "$n" -eq 1 ]; then
			local kind
			case ${words_after[0]} in
			registries | registry) kind=Registry ;;
			links | link) kind=SchemaLink ;;
			contexts | context) kind=Context ;;
			subjects | subject) kind=Subject ;;
			esac
			[ -n "${kind:-}" ] && COMPREPLY=($(compgen -W "$(_slctl_names "$kind")" -- "$cur"))
		fi
		;;
	describe)
		if [ "$n" -eq 0 ]; then
			COMPREPLY=($(compgen -W "link context subject registry" -- "$cur"))
		elif [ "$n" -eq 1 ]; then
			local kind
			case ${words_after[0]} in
			link) kind=SchemaLink ;;
			context) kind=Context ;;
			subject) kind=Subject ;;
			registry) kind=Registry ;;
			esac
			[ -n "${kind:-}" ] && COMPREPLY=($(compgen -W "$(_slctl_names "$kind")" -- "$cur"))
		fi
		;;
	pause | resume | reset | promote | delete)
		if [ "$n" -eq 0 ]; then
			COMPREPLY=($(compgen -W "link" -- "$cur"))
		elif [ "$n" -eq 1 ] && [ "${words_after[0]}" = link ]; then
			COMPREPLY=($(compgen -W "$(_slctl_names SchemaLink)" -- "$cur"))
		fi
		;;
	esac
	return 0
}
complete -F _slctl slctl
