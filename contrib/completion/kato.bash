# SPDX-License-Identifier: Apache-2.0
# bash completion for kato and katod. The commands and their options are
# read from `kato help` and `kato help COMMAND`, so they follow the
# installed kato; session ids come from `kato sessions --json` (kato id prefix and provider session id).

_kato_commands()
{
	kato help 2>/dev/null | awk '/^Commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 } c && /^$/ { exit }'
}

_kato_options()
{
	kato help "$1" 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u
}

_kato()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$(_kato_commands) --help --version" -- "$cur"))
		return
	fi
	case $cmd in
	help)
		COMPREPLY=($(compgen -W "$(_kato_commands)" -- "$cur"))
		return ;;
	esac
	case $prev in
	--provider)
		COMPREPLY=($(compgen -W "$(kato providers 2>/dev/null | awk '/^[a-z0-9_-]+ / { print $1 }')" -- "$cur"))
		return ;;
	--format)
		COMPREPLY=($(compgen -W "markdown jsonl" -- "$cur"))
		return ;;
	-o|--output)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_kato_options "$cmd")" -- "$cur"))
		return
	fi
	case $cmd in
	import)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	export)
		COMPREPLY=($(compgen -W "$(kato sessions --json 2>/dev/null | sed -n 's/^{"id":"\([0-9a-f]\{8\}\)[^"]*","provider":"[^"]*","providerSessionId":"\([^"\\]*\)".*/\1\n\2/p')" -- "$cur")) ;;
	esac
}
complete -F _kato kato

_katod()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	COMPREPLY=()
	case $prev in
	-c|--config)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	COMPREPLY=($(compgen -W "$(katod --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)" -- "$cur"))
}
complete -F _katod katod
