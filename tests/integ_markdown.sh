#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every committed real log exported to Markdown with default flags (issue 9):
# no injected text under a "# User_" heading, no title taken from injected
# text, no session with messages exported with an empty body.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "needs jq (contrib/deps.sh)"; exit 1; }

C="$top_srcdir/tests/corpus"
mkdir -p "$T/g"
"$KATO" import --provider codex "$C"/codex/*.jsonl >/dev/null
"$KATO" import --provider claude $(find "$C/claude" -name '*.jsonl' | sort) >/dev/null
# the gemini provider recognises session-*.json by name
for f in "$C"/gemini/*.json; do cp "$f" "$T/g/session-$(basename "$f")"; done
# a sub-agent session: a real log with kind "subagent" and its own id
jq '.kind = "subagent" | .sessionId = "sub-ea9f470a"' "$C/gemini/aim-session-2026-03-18T15-22-ea9f470a.json" \
	>"$T/g/session-sub.json"
"$KATO" import --provider gemini "$T"/g/*.json "$C"/gemini/*.jsonl >/dev/null

# Injected openings seen in the corpus (SPEC §2).
INJ='^(<environment_context>|<session_context>|<recommended_plugins>|# AGENTS\.md|<user_instructions>|<permissions instructions>|Caveat: The messages below)'

id_of() { "$KATO" sessions --json | jq -r "select(.providerSessionId == \"$1\") | .id"; }
# a Claude corpus file's session: the sessionId its records name
claude_id() { id_of "$(jq -r 'select(.uuid and .sessionId) | .sessionId' "$C/claude/$1.jsonl" | head -n 1)"; }
mapfile -t ids < <("$KATO" sessions --json | jq -r '.id')
check "the whole corpus is imported (${#ids[@]} sessions)" [ "${#ids[@]}" -ge 25 ]
for id in "${ids[@]}"; do
	psid=$("$KATO" sessions --json | jq -r "select(.id == \"$id\") | .providerSessionId")
	"$KATO" export "$id" -o "$T/$id.md"
	# the line after each "# User_" heading and its blank line
	if awk '/^# User_/ {h = NR} h && NR == h + 2 {print; h = 0}' "$T/$id.md" | grep -Eq "$INJ"; then
		not_ok "$psid: injected text under a # User_ heading"
	else
		ok "$psid: no injected text under a # User_ heading"
	fi
	title=$(sed -n "s/^title: '\(.*\)'\$/\1/p" "$T/$id.md" | sed "s/''/'/g")
	if grep -Eq "${INJ/^/^#?}" <<<"$title" || grep -q '^<' <<<"$title"; then
		not_ok "$psid: title taken from injected text: $title"
	else
		ok "$psid: title '$title'"
	fi
	# kato sessions shows the same title (cut at 60 characters), or none
	# when export falls back to the session id
	line=$("$KATO" sessions | awk -v id="${id:0:8}" '$1 == id')
	if [ "$title" = "$psid" ]; then
		check "$psid: kato sessions agrees on the title" true
	else
		check "$psid: kato sessions agrees on the title" grep -qF "  ${title:0:40}" <<<"$line"
	fi
done

# The Codex export opens with what the user typed.
CX=$(id_of 019e1625-789d-76c0-80ab-3724b5ddb799)
check "codex export: the first section is the typed prompt" bash -c \
	"sed '1,/^---\$/d' '$T/$CX.md' | grep -m1 -A2 '^# ' | tail -1 | grep -qx 'show tools'"

check "codex export: the title is the typed prompt" grep -qx "title: 'show tools'" "$T/$CX.md"

# Every session with messages exports a body; a sub-agent's own session
# (Gemini kind "subagent", Claude agent-*.jsonl and subagents/**) shows its
# own conversation.
for id in "${ids[@]}"; do
	psid=$("$KATO" sessions --json | jq -r "select(.id == \"$id\") | .providerSessionId")
	msgs=$("$KATO" export "$id" --format jsonl | grep -c '"kind":"message\.\(user\|assistant\)"' || true)
	[ "$msgs" -gt 0 ] || continue
	check "$psid: $msgs messages, a non-empty body" grep -q '^# ' <(sed '1,/^---$/d' "$T/$id.md")
done
SUB=$(id_of sub-ea9f470a)
check "gemini sub-agent session: its first prompt under # User_" bash -c \
	"sed '1,/^---\$/d' '$T/$SUB.md' | grep -m1 -A2 '^# User_' | tail -1 | grep -qx Hello"
AG=$(id_of agent-a485154)
check "claude subagents/** session exported alone shows its conversation" \
	grep -q '^# claude-sonnet-4' "$T/$AG.md"
# ...while a sub-agent run inline in the main session (1.0.x isSidechain
# lines) stays out of the main conversation
KM=$(claude_id kimuson-1.0.98-inline-sidechain-summary)
check "claude 1.0.x inline sidechain prompt is not in the main export" \
	bash -c "! grep -q '^Create React components for the TODO app' '$T/$KM.md'"

# Claude compaction (issue 9 item 4): one marker line where it happened,
# the summary left out, and what follows starts under a new heading.
CP=$(claude_id entire-v2.0.76-compact)
check "compaction marker with its trigger and the flag that shows the summary" grep -qx \
	'> \[compaction:auto\] context compacted (summary not shown; captureIncludeSystemEvents shows it)' "$T/$CP.md"
check "compaction summary not in the default export" \
	bash -c "! grep -q 'This session is being continued from a previous conversation' '$T/$CP.md'"
check "a heading follows the compaction marker" bash -c \
	"grep -A2 '^> \[compaction:auto\]' '$T/$CP.md' | tail -1 | grep -q '^# '"

# Claude summary records name another conversation when their leafUuid is
# not in this session (issue 9 item 5): the title is then the typed prompt.
TS=$(claude_id entire-tiny-summary)
check "claude: a foreign summary is not the title" bash -c \
	"! grep -q \"^title: 'Add session resume command to conflict message'\" '$T/$TS.md'"

# Legacy Codex tool output (issue 9 item 6), with tool calls shown: the
# empty output of yoavf-pomodoro.jsonl line 11 is an explicit result.
printf 'featureFlags:\n  writerIncludeToolCalls: true\n' >"$KATO_HOME/config.yaml"
YC=$(id_of 019a085e-04c1-7f81-a09e-9555f6a1fb40)
"$KATO" export "$YC" -o "$T/yc-tools.md"
rm "$KATO_HOME/config.yaml"
check "codex: an empty tool output shows as (no output)" grep -qx '(no output)' "$T/yc-tools.md"

finish
