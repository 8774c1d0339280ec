# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the reliability harness (sourced after tests/lib.sh):
# a chat with every in-chat command, written by the three providers at
# once with current timestamps, and normalised snapshots of what kato made
# of it (Markdown files and JSONL exports) to compare runs with.

. "$top_srcdir/tests/chat.sh"
NOTES="$T/notes"
DAY=$(date -u +%Y/%m/%d)

sid_of() {
	case $1 in claude) echo "$SID_CLAUDE" ;; codex) echo "$SID_CODEX" ;; gemini) echo "$SID_GEMINI" ;; esac
}
cwd_of() { echo "$NOTES/$1/proj"; }

# The log file of each provider.
log_of() {
	case $1 in
	claude) echo "$CLAUDE_CONFIG_DIR/projects/-notes-proj/$SID_CLAUDE.jsonl" ;;
	codex) echo "$CODEX_HOME/sessions/$DAY/rollout-${DAY//\//-}T00-00-00-$SID_CODEX.jsonl" ;;
	gemini) echo "$HOME/.gemini/tmp/0b7dfb1274ee51b3/chats/session-${DAY//\//-}T00-00-$SID_GEMINI.jsonl" ;;
	esac
}

now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# The lines that open a provider's log (current time).
header() { chat_header "$1" "$(now)" "$(cwd_of "$1")"; }

# emit PROVIDER N KIND TEXT: one log line of message N, stamped now.
emit() { chat_json "$1" "$2" "$3" "$4" "$(now)" "$(cwd_of "$1")"; }

# chat_line PROVIDER N: append line N (1-based) of the chat to its log.
chat_line() {
	local p=$1 n=$2 item text
	item=${CHAT[$((n - 1))]}
	text=${item:2}
	text=${text//CAPTURE_B/NOTES/b.md}
	text=${text//NOTES/$NOTES/$p}
	if [ "$p" = gemini ]; then text=${text//REL/$(cwd_of gemini)}; else text=${text//REL\//}; fi
	emit "$p" "$n" "${item:0:1}" "$text" >>"$(log_of "$p")"
}

# fresh_chat: no store, no notes, no provider logs; the config allows NOTES.
fresh_chat() {
	rm -rf "$KATO_HOME" "$NOTES" "$HOME/.claude" "$HOME/.codex" "$HOME/.gemini"
	mkdir -p "$KATO_HOME"
	printf 'allowedWriteRoots:\n  - %s\n' "$NOTES" >"$KATO_HOME/config.yaml"
	local p
	for p in claude codex gemini; do
		mkdir -p "$(cwd_of "$p")" "$(dirname "$(log_of "$p")")"
	done
}

# Times and random ids vary from run to run; everything else must not.
normalise() {
	sed -E -e 's/^(created|updated): [0-9]+$/\1: X/' \
		-e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z/TIME/g' \
		-e 's/_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{4}_[0-9]{2}/_TIME/g' \
		-e 's/"(seq|id|ingestedAt|ingested_at)":[0-9]+/"\1":N/g'
}

# The files under the notes and the recordings directory, normalised.
snapshot_files() {
	local d
	for d in "$NOTES" "$KATO_HOME/recordings"; do
		[ -d "$d" ] || continue
		(cd "$d" && find . -type f ! -name '.kato-*' | sort | while read -r f; do
			echo "== $d/$f" | sed "s|$T|T|"
			normalise <"$f"
		done)
	done
}

# The store's export of each session, normalised.
snapshot_store() {
	local p
	for p in claude codex gemini; do
		echo "== export $p"
		"$KATO" export "$(sid_of "$p")" --format jsonl 2>&1 | normalise
	done
}

# settled: every chat's last line is stored, no append waits for a retry,
# and the files stopped changing.
chat_settled() {
	local p a b
	for p in claude codex gemini; do
		"$KATO" export "$(sid_of "$p")" --format jsonl 2>/dev/null | grep -q answer-11 || return 1
	done
	a=$(snapshot_files | md5sum)
	sleep 0.3
	b=$(snapshot_files | md5sum)
	[ "$a" = "$b" ] || return 1
	! "$KATO" status --json | grep -q '"pendingAppend":true'
}
