#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The bash completion (contrib/completion/kato.bash) against the built
# kato: commands from `kato help`, options from `kato help COMMAND`,
# providers, formats, session ids; katod's options. And zsh's file parses
# when zsh is installed.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/bin"
ln -s "$KATO" "$T/bin/kato"
ln -s "$KATOD" "$T/bin/katod"
export PATH="$T/bin:$PATH"
# shellcheck source=/dev/null
. "$top_srcdir/contrib/completion/kato.bash"

complete_words() { # complete_words WORD... : COMPREPLY for the last word, sorted, one line
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	local f=_kato
	[ "$1" = katod ] && f=_katod
	"$f"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

want=$( { kato help | awk '/^Commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 } c && /^$/ { exit }'; echo --help; echo --version; } | sort | tr '\n' ' ')
check "commands: those of kato help" [ "$(complete_words kato '')" = "$want" ]
check "... every command kato runs is listed (kato help)" \
	[ "$(echo $want | tr ' ' '\n' | grep -cxE 'import|sessions|search|export|status|providers|start|stop|restart|logs|clean|doctor|init|help')" -eq 14 ]
check "... includes providers and export" bash -c "[[ '$(complete_words kato '')' == *export*providers* ]]"
check "a prefix: pro -> providers" [ "$(complete_words kato pro)" = "providers " ]
check "options of a command: providers --" [ "$(complete_words kato providers --)" = "--help --json " ]
check "export --format" [ "$(complete_words kato export x --format '')" = "jsonl markdown " ]
check "import --provider: the loaded providers" [ "$(complete_words kato import --provider '')" = "claude codex gemini " ]
check "help COMMAND" [ "$(complete_words kato help st)" = "start status stop " ]
printf '%s\n' '{"type":"user","sessionId":"s-compl","uuid":"u1","timestamp":"2026-01-01T00:00:00Z","message":{"role":"user","content":"hi"}}' >"$T/s-compl.jsonl"
"$KATO" import -q "$T/s-compl.jsonl" >/dev/null 2>&1 || true
check "export SESSION: ids from kato sessions" bash -c "[[ '$(complete_words kato export s-)' == 's-compl ' ]]"
check "katod options" [ "$(complete_words katod --v)" = "--verbose --version " ]
if command -v zsh >/dev/null; then
	check "zsh: _kato parses" zsh -n "$top_srcdir/contrib/completion/_kato"
fi
finish
