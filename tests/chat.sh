# SPDX-License-Identifier: Apache-2.0
# The scripted chat of the recording tests (sourced by integ_record.sh and
# tests/reliability/common.sh): every in-chat command, an assistant reply
# that quotes one, a fenced command, a malformed message and a denied path,
# as the three providers write it.
#
# CHAT: "u:" human message, "a:" assistant reply. The caller replaces NOTES
# (an allowed root), REL (a path relative to the session's working
# directory; Gemini records none, so it gets an absolute path there) and
# CAPTURE_B (where the ::capture goes).

SID_CLAUDE=7a1b2c3d-1111-4111-8111-111111111111
SID_CODEX=0199aaaa-2222-7222-8222-222222222222
SID_GEMINI=5e5e5e5e-3333-4333-8333-333333333333

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
	"u:::capture CAPTURE_B
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

json_str() { jq -Rs . <<<"$1" | sed 's/\\n"$/"/'; }

# chat_json PROVIDER N KIND TEXT TIMESTAMP CWD: one log line of message N.
chat_json() {
	local p=$1 n=$2 kind=$3 text=$4 ts=$5 cwd=$6 j
	j=$(json_str "$text")
	case $p:$kind in
	claude:u) printf '{"type":"user","uuid":"u%d","parentUuid":null,"isSidechain":false,"sessionId":"%s","timestamp":"%s","cwd":"%s","version":"2.1.39","message":{"role":"user","content":%s}}\n' "$n" "$SID_CLAUDE" "$ts" "$cwd" "$j" ;;
	claude:a) printf '{"type":"assistant","uuid":"a%d","parentUuid":"u%d","isSidechain":false,"sessionId":"%s","timestamp":"%s","message":{"role":"assistant","model":"claude-opus-4-6","content":[{"type":"text","text":%s}]}}\n' "$n" $((n - 1)) "$SID_CLAUDE" "$ts" "$j" ;;
	codex:u) printf '{"timestamp":"%s","type":"event_msg","payload":{"type":"user_message","message":%s}}\n' "$ts" "$j" ;;
	codex:a) printf '{"timestamp":"%s","type":"event_msg","payload":{"type":"agent_message","message":%s}}\n' "$ts" "$j" ;;
	gemini:u) printf '{"id":"m%d","timestamp":"%s","type":"user","content":[{"text":%s}]}\n' "$n" "$ts" "$j" ;;
	gemini:a) printf '{"id":"m%d","timestamp":"%s","type":"gemini","content":%s,"thoughts":[],"tokens":{"input":10,"output":5,"cached":0,"thoughts":0,"tool":0,"total":15},"model":"gemini-2.5-pro"}\n' "$n" "$ts" "$j" ;;
	esac
}

# chat_header PROVIDER TIMESTAMP CWD: the lines that open its log.
chat_header() {
	local ts=$2 cwd=$3
	case $1 in
	codex) printf '{"timestamp":"%s","type":"session_meta","payload":{"id":"%s","timestamp":"%s","source":"cli","originator":"codex_cli_rs","cwd":"%s","cli_version":"0.120.0"}}\n{"timestamp":"%s","type":"turn_context","payload":{"model":"gpt-5.3-codex","cwd":"%s"}}\n' "$ts" "$SID_CODEX" "$ts" "$cwd" "$ts" "$cwd" ;;
	gemini) printf '{"sessionId":"%s","projectHash":"0b7dfb1274ee51b3","startTime":"%s","lastUpdated":"%s","kind":"main"}\n' "$SID_GEMINI" "$ts" "$ts" ;;
	esac
}

# After line N of a chat with kill points: when " N " is in $kills, kill -9
# katod (KATOD_PID) a few ms after the line and count it in KILLED; then
# it stays down for 0-2 more lines ($down), which are written without it,
# and is started again (start_katod). Fails (1) while katod is down, so the
# caller skips what needs it: `chat_kill_point "$n" || continue`.
chat_kill_point() {
	if [[ $kills == *" $1 "* ]] && [ -n "$KATOD_PID" ]; then
		sleep "0.0$((RANDOM % 4))"
		kill -9 "$KATOD_PID"
		wait "$KATOD_PID" 2>/dev/null || true
		KATOD_PID=
		KILLED=$((KILLED + 1))
		down=$((RANDOM % 3)) # lines written while it is down
	fi
	if [ -z "$KATOD_PID" ]; then
		if [ "$down" -gt 0 ]; then
			down=$((down - 1))
			return 1
		fi
		start_katod
	fi
	return 0
}
