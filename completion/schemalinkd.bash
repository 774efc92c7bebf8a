# bash completion for schemalinkd(8) (MANIFESTS.md §4). Self-contained: needs bash only.
_schemalinkd() {
	local cur prev
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]:-}
	if [ "$cur" = "=" ]; then
		cur=""
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	case $prev in
	--manifests | --state-dir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	--log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return 0 ;;
	--log-level) COMPREPLY=($(compgen -W "debug info warn error" -- "$cur")); return 0 ;;
	--set | --listen | --resync | --max-prune) return 0 ;;
	esac
	COMPREPLY=($(compgen -W "--manifests --state-dir --set --listen --resync --prune --max-prune
		--allow-prune-all --adopt --once --dry-run --log-format --log-level -h --help --version" -- "$cur"))
	return 0
}
complete -F _schemalinkd schemalinkd
