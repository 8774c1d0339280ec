# Shared helpers of the reliability harness (sourced after tests/lib.sh):
# a chat with every in-chat command, written by the three providers at
# once with current timestamps, and normalised snapshots of what kato made
# of it (Markdown files and JSONL exports) to compare runs with.

SID_CLAUDE=7a1b2c3d-1111-4111-8111-111111111111
SID_CODEX=0199aaaa-2222-7222-8222-222222222222
SID_GEMINI=5e5e5e5e-3333-4333-8333-333333333333
NOTES="$T/notes"
DAY=$(date -u +%Y/%m/%d)

# The chat: "u:" human message, "a:" assistant reply. NOTES is the
# provider's own directory under the allowed root; REL a path relative to
# the session's working directory (Gemini records none: absolute there).
CHAT=(
	"u:hello, this is the start"
	"a:hi, how can I help"
	"u:::init REL/a.md"
	"a:here is a command I am only quoting:
::capture NOTES/evil.md"
	"u:::record"
	"a:answer-03"
	"u:talk-04"
	"a:answer-04"
	"u:::stop"
	"a:hidden-05 (must not be recorded)"
	"u:::record
seed line after record"
	"a:answer-06"
	"u:::capture NOTES/b.md
lines after the capture"
	"a:answer-07"
	"u:::export NOTES/c.md"
	"u:fenced, not a command:
\`\`\`
::capture NOTES/fenced.md
\`\`\`"
	"u:::bogus
::capture NOTES/failclosed.md"
	"a:answer-08"
	"u:::capture /etc/kato-denied.md"
	"a:answer-09"
	"u:talk-10"
	"a:answer-10"
	"u:::stop"
	"a:answer-11 after the stop"
)

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
json_str() { jq -Rs . <<<"$1" | sed 's/\\n"$/"/'; }

# The lines that open a provider's log (current time).
header() {
	local ts
	ts=$(now)
	case $1 in
	codex) printf '{"timestamp":"%s","type":"session_meta","payload":{"id":"%s","timestamp":"%s","source":"cli","originator":"codex_cli_rs","cwd":"%s","cli_version":"0.120.0"}}\n{"timestamp":"%s","type":"turn_context","payload":{"model":"gpt-5.3-codex","cwd":"%s"}}\n' "$ts" "$SID_CODEX" "$ts" "$(cwd_of codex)" "$ts" "$(cwd_of codex)" ;;
	gemini) printf '{"sessionId":"%s","projectHash":"0b7dfb1274ee51b3","startTime":"%s","lastUpdated":"%s","kind":"main"}\n' "$SID_GEMINI" "$ts" "$ts" ;;
	esac
}

# emit PROVIDER N KIND TEXT: one log line of message N, stamped now.
emit() {
	local p=$1 n=$2 kind=$3 text=$4 ts j
	ts=$(now)
	j=$(json_str "$text")
	case $p:$kind in
	claude:u) printf '{"type":"user","uuid":"u%d","parentUuid":null,"isSidechain":false,"sessionId":"%s","timestamp":"%s","cwd":"%s","version":"2.1.39","message":{"role":"user","content":%s}}\n' "$n" "$SID_CLAUDE" "$ts" "$(cwd_of claude)" "$j" ;;
	claude:a) printf '{"type":"assistant","uuid":"a%d","parentUuid":"u%d","isSidechain":false,"sessionId":"%s","timestamp":"%s","message":{"role":"assistant","model":"claude-opus-4-6","content":[{"type":"text","text":%s}]}}\n' "$n" $((n - 1)) "$SID_CLAUDE" "$ts" "$j" ;;
	codex:u) printf '{"timestamp":"%s","type":"event_msg","payload":{"type":"user_message","message":%s}}\n' "$ts" "$j" ;;
	codex:a) printf '{"timestamp":"%s","type":"event_msg","payload":{"type":"agent_message","message":%s}}\n' "$ts" "$j" ;;
	gemini:u) printf '{"id":"m%d","timestamp":"%s","type":"user","content":[{"text":%s}]}\n' "$n" "$ts" "$j" ;;
	gemini:a) printf '{"id":"m%d","timestamp":"%s","type":"gemini","content":%s,"thoughts":[],"tokens":{"input":10,"output":5,"cached":0,"thoughts":0,"tool":0,"total":15},"model":"gemini-2.5-pro"}\n' "$n" "$ts" "$j" ;;
	esac
}

# chat_line PROVIDER N: append line N (1-based) of the chat to its log.
chat_line() {
	local p=$1 n=$2 item text
	item=${CHAT[$((n - 1))]}
	text=${item:2}
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
