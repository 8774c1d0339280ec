#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kato import / sessions / export end to end on the committed corpus.
. "$(dirname "$0")/lib.sh"

C="$top_srcdir/tests/corpus/claude"
F="$top_srcdir/tests/data/kato-fixtures"

# Import the whole Claude corpus (subagents included).
mapfile -t files < <(find "$C" -name '*.jsonl' | sort)
check "import of the claude corpus succeeds" "$KATO" import "${files[@]}"
n=$("$KATO" sessions --json | wc -l)
check "every claude file is a session ($n of ${#files[@]})" [ "$n" -eq "${#files[@]}" ]

total() { "$KATO" sessions --json | sed -n 's/.*"events":\([0-9]*\)}$/\1/p' | awk '{s+=$1} END {print s+0}'; }
before=$(total)
out=$("$KATO" import "${files[@]}")
after=$(total)
check "a second import adds nothing ($before events)" [ "$before" -eq "$after" ]
check "a second import reports 0 new events" grep -q " 0 new event" <<<"$out"

# Subagent transcripts are linked to their parent session.
check "2.1.x subagent linked to its parent" bash -c \
	"\"$KATO\" sessions --json | grep '\"providerSessionId\":\"agent-a485154\"' | grep -q parentSessionId"

# Export by provider id prefix, as JSONL: one valid event per line, no duplicate ids.
# Claude names a session by its records (sessionId sess-001 here); the file
# is named after it, as Claude Code does.
cp "$F/claude-session.jsonl" "$T/sess-001.jsonl"
"$KATO" import "$T/sess-001.jsonl"
events_of sess-001 >"$T/s.jsonl"
check "jsonl export has the fixture's 10 events + its sidechain line" [ "$(wc -l <"$T/s.jsonl")" -eq 11 ]
check "the sidechain line is marked" [ "$(grep -c '"isSidechain":true}$' "$T/s.jsonl")" -eq 1 ]
check "jsonl export: no duplicate eventId" [ "$(grep -o '"eventId":"[^"]*"' "$T/s.jsonl" | sort | uniq -d | wc -l)" -eq 0 ]
check "jsonl export keeps the reference key order" grep -q '^{"eventId":"msg-a1c:tool.call","provider":"claude","sessionId":"sess-001","timestamp":"2026-02-10T23:36:27.000Z","kind":"tool.call","turnId":"msg-a1c","source":{"providerEventType":"assistant","providerEventId":"msg-a1c","rawCursor":{"kind":"byte-offset","value":1376}},"toolCallId":"toolu_read1","name":"Read","description":"/home/user/project/package.json","input":{"file_path":"/home/user/project/package.json"}}$' "$T/s.jsonl"

# Markdown export to a file and to stdout agree (frontmatter times aside).
"$KATO" export sess-001 -o "$T/s.md"
"$KATO" export sess-001 >"$T/s2.md"
check "export -o FILE and stdout agree" cmp -s <(grep -v '^created:' "$T/s.md") <(grep -v '^created:' "$T/s2.md")
check "markdown export starts with frontmatter naming the session" bash -c \
	"head -1 '$T/s.md' | grep -qx -- --- && grep -qx 'sessionId: sess-001' '$T/s.md'"
# after the frontmatter and one blank line comes the body of ref §4.3
check "markdown body matches the reference rendering" cmp -s \
	<(sed '1,/^---$/d' "$T/s.md" | tail -n +2) "$top_srcdir/tests/data/golden/claude-session.defaults.md"
# and with thinking, tool calls and italics on, the all-flags rendering of ref §4.3
printf 'featureFlags:\n  writerIncludeThinking: true\n  writerIncludeToolCalls: true\n  writerItalicizeUserMessages: true\n' \
	>"$KATO_HOME/config.yaml"
"$KATO" export sess-001 -o "$T/all.md"
rm "$KATO_HOME/config.yaml"
check "markdown body with every flag on matches the reference rendering" cmp -s \
	<(sed '1,/^---$/d' "$T/all.md" | tail -n +2) "$top_srcdir/tests/data/golden/claude-session.all.md"

# Errors are clear and exit with the documented codes.
set +e
"$KATO" export no-such-session >/dev/null 2>"$T/err"; rc=$?
set -e
check "unknown session exits 1" [ "$rc" -eq 1 ]
check "unknown session says so" grep -q "no session matches" "$T/err"
set +e
"$KATO" export sess-001 --format xml >/dev/null 2>"$T/err"; rc=$?
set -e
check "bad --format is a usage error (exit 2)" [ "$rc" -eq 2 ]
set +e
"$KATO" import "$T/does-not-exist.jsonl" 2>"$T/err"; rc=$?
set -e
check "importing a missing file fails clearly" bash -c "[ $rc -eq 1 ] && grep -q 'No such file' '$T/err'"

# Broken input: bad JSON, invalid UTF-8, a binary blob: skipped and counted, never fatal.
mkdir -p "$T/bad"
{ head -3 "$F/claude-session.jsonl"; printf '{"type":"user", broken\n'; printf '\xff\xfe\x00garbage\n';
  sed -n '4,$p' "$F/claude-session.jsonl"; } | sed 's/sess-001/sess-bad/g' >"$T/bad/sess-bad.jsonl"
check "import of a file with broken lines succeeds" "$KATO" import "$T/bad/sess-bad.jsonl"
check "the good lines of the broken file are all kept" [ "$(events_of sess-bad | wc -l)" -eq 11 ]

# SPEC §5: an escaped NUL is stored exactly, text after it included, and
# Markdown shows it as U+FFFD.
mkdir -p "$T/nul"
printf '%s\n' \
	'{"type":"user","uuid":"n1","timestamp":"2026-02-10T23:36:18.000Z","sessionId":"sess-nul","message":{"role":"user","content":"A\u0000B"}}' \
	'{"type":"assistant","uuid":"n2","timestamp":"2026-02-10T23:36:19.000Z","sessionId":"sess-nul","message":{"id":"m","content":[{"type":"tool_use","id":"tu","name":"Bash","input":{"command":"ls"}}]}}' \
	'{"type":"user","uuid":"n3","timestamp":"2026-02-10T23:36:20.000Z","sessionId":"sess-nul","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu","content":"R\u0000S"}]}}' \
	>"$T/nul/sess-nul.jsonl"
check "import of a file with an escaped NUL succeeds" "$KATO" import "$T/nul/sess-nul.jsonl"
events_of sess-nul >"$T/nul.jsonl"
check "jsonl export keeps the user text after an escaped NUL" grep -qF '"content":"A\u0000B"' "$T/nul.jsonl"
check "jsonl export keeps the tool result after an escaped NUL" grep -qF '"result":"R\u0000S"' "$T/nul.jsonl"
"$KATO" export sess-nul -o "$T/nul.md"
check "markdown shows the NUL as U+FFFD" grep -qF "$(printf 'A\xef\xbf\xbdB')" "$T/nul.md"

# The store cannot grow (a file size limit stands in for a full disk): the
# import says nothing was stored and how to recover, claims no events, and
# leaves a sound store; run again with room, it stores everything.
H="$T/full"
mkdir -p "$H"
rc=0
(trap '' XFSZ; ulimit -f 1024; KATO_HOME="$H" "$KATO" import "${files[@]}") >"$T/full.out" 2>"$T/full.err" || rc=$?
check "a store that cannot grow fails the import (exit 1)" [ "$rc" -eq 1 ]
check "... saying so, with the way out" grep -q "cannot store the import: .*make room and run the same import again" "$T/full.err"
check "... without claiming new events" sh -c "! grep -q 'new event' '$T/full.out'"
check "... and the store is sound" sh -c "[ \"\$(KATO_HOME='$H' '$KATO' doctor 2>&1 | grep -c 'store .*ok (quick_check)')\" -eq 1 ]"
out=$(KATO_HOME="$H" "$KATO" import "${files[@]}")
check "the same import with room stores every file" grep -q " $before new event" <<<"$out"

finish
