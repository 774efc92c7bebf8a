# bash completion for srlite(1) (MANIFESTS.md §5). Self-contained: needs bash only.
_srlite() {
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
	--data-dir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	--basic-auth-file | --tls-cert | --tls-key)
		compopt -o filenames 2>/dev/null
		local IFS=$'\n'
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--wildcard-scope) COMPREPLY=($(compgen -W "all-contexts default-context" -- "$cur")); return 0 ;;
	--listen | --cluster-id | --max-exporters | --rate-limit) return 0 ;;
	esac
	COMPREPLY=($(compgen -W "--listen --data-dir --cluster-id --max-exporters --wildcard-scope
		--basic-auth-file --tls-cert --tls-key --rate-limit --enable-fault-injection -h --help
		--version" \
		-- "$cur"))
	return 0
}
complete -F _srlite srlite
