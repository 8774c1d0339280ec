#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# katod --foreground end to end: backfill, live appends written the way
# Claude Code writes them, new project and subagent directories, a
# SIGKILL mid-stream and a restart. The store must end with every event
# exactly once: the same set as a one-shot import of the final files.
. "$(dirname "$0")/lib.sh"

C="$top_srcdir/tests/corpus/claude"
P="$CLAUDE_CONFIG_DIR/projects"
mkdir -p "$P/-home-u-old"

# History that exists before the daemon starts.
cp "$C/entire-tiny-summary.jsonl" "$P/-home-u-old/11111111-1111-4111-8111-111111111111.jsonl"
start_katod
check "backfill stored the existing session" bash -c \
	"\"$KATO\" sessions --json | grep -q 11111111-1111-4111-8111-111111111111"

# A new project directory appears, and a session is appended line by line.
SRC="$C/yoavf-pomodoro.jsonl"
SID=22222222-2222-4222-8222-222222222222
mkdir -p "$P/-home-u-new"
DST="$P/-home-u-new/$SID.jsonl"
mapfile -t lines <"$SRC"
half=$(( ${#lines[@]} / 2 ))
i=0
append_lines() { # append_lines upto
	while [ "$i" -lt "$1" ]; do
		local l=${lines[$i]}
		if [ $((i % 10)) -eq 3 ] && [ ${#l} -gt 40 ]; then
			# one line split across two writes, as a streaming writer may
			printf '%s' "${l:0:20}" >>"$DST"
			sleep 0.05
			printf '%s\n' "${l:20}" >>"$DST"
		else
			printf '%s\n' "$l" >>"$DST"
		fi
		i=$((i + 1))
	done
}
append_lines "$half"
# SIGKILL mid-stream, with a half-written line on disk.
sleep 0.3
printf '%s' "${lines[$i]:0:30}" >>"$DST"
stop_katod KILL || true
check "katod died by SIGKILL" true
printf '%s\n' "${lines[$i]:30}" >>"$DST"
i=$((i + 1))

start_katod
append_lines "${#lines[@]}"

# A 2.1.x subagent directory appears under the session.
SUB="$P/-home-u-new/$SID/subagents"
mkdir -p "$SUB"
cp "$C/codemie-subagent-parent-2.1.7/subagents/agent-a485154.jsonl" "$SUB/agent-a485154.jsonl"

# Reference: a one-shot import of the final files into another store.
REF="$T/ref"
mkdir -p "$REF"
KATO_HOME="$REF" "$KATO" import -q "$DST" "$SUB/agent-a485154.jsonl" \
	"$P/-home-u-old/11111111-1111-4111-8111-111111111111.jsonl"
KATO_HOME="$REF" "$KATO" export "$SID" --format jsonl | sort >"$T/want.jsonl"
KATO_HOME="$REF" "$KATO" export agent-a485154 --format jsonl | sort >"$T/want-agent.jsonl"
want=$(wc -l <"$T/want.jsonl")
check "the reference import has events ($want)" [ "$want" -gt 50 ]

caught_up() { [ "$(events_of "$SID" | wc -l)" -eq "$want" ] && events_of agent-a485154 >/dev/null; }
wait_for "katod caught up" caught_up || true
events_of "$SID" >"$T/got.jsonl"
check "no event stored twice" [ "$(sort "$T/got.jsonl" | uniq -d | wc -l)" -eq 0 ]
check "live store equals a one-shot import (every event once)" cmp -s <(sort "$T/got.jsonl") "$T/want.jsonl"
events_of agent-a485154 | sort >"$T/got-agent.jsonl"
check "the new subagents/ directory was picked up" cmp -s "$T/got-agent.jsonl" "$T/want-agent.jsonl"

# Restart with nothing new: nothing re-read, nothing added.
stop_katod TERM
rc=$?
check "SIGTERM exits 0" [ "$rc" -eq 0 ]
start_katod
sleep 0.5
events_of "$SID" >"$T/again.jsonl"
check "restart with nothing new adds nothing" cmp -s "$T/got.jsonl" "$T/again.jsonl"
check "restart re-read no file from the start" bash -c "! grep -q 'reading it again from the start' '$T/katod.log'"

# Truncate and rewrite: re-read, no duplicates.
head -n 10 "$DST" >"$T/head" && cat "$T/head" >"$DST"
sleep 0.3
cat "$SRC" | tail -n +11 >>"$DST"
wait_for "truncation noticed" grep -q "truncated" "$T/katod.log" || true
sleep 1
check "truncate + regrow stores nothing twice" cmp -s <(events_of "$SID" | sort) "$T/want.jsonl"

# A live capture of the reference fixture: the recording's body is the
# defaults rendering of ref §4.3, then the command line itself.
NOTES="$T/notes"
mkdir -p "$NOTES" "$P/-home-user-project"
printf 'allowedWriteRoots:\n  - %s\n' "$NOTES" >"$KATO_HOME/config.yaml"
kill -HUP "$KATOD_PID"
wait_for "config reloaded" grep -q "SIGHUP" "$T/katod.log"
FIX="$P/-home-user-project/sess-001.jsonl"
while IFS= read -r line; do printf '%s\n' "$line" >>"$FIX"; done <"$top_srcdir/tests/data/kato-fixtures/claude-session.jsonl"
# The command is typed now: a message is live by its own timestamp (the
# copied history before it is older, so its commands would not run).
NOW=$(date -u +%s)
TS_CMD=$(date -u -d "@$NOW" +%Y-%m-%dT%H:%M:%S.000Z)
TS_ANS=$(date -u -d "@$((NOW + 5))" +%Y-%m-%dT%H:%M:%S.000Z)
printf '%s\n' '{"type":"user","uuid":"msg-u3","parentUuid":"msg-a2b","isSidechain":false,"sessionId":"sess-001","timestamp":"'"$TS_CMD"'","cwd":"/home/user/project","version":"2.1.39","message":{"role":"user","content":"::capture '"$NOTES"'/auth.md"}}' >>"$FIX"
wait_for "capture written" test -s "$NOTES/auth.md" || true
{ cat "$top_srcdir/tests/data/golden/claude-session.defaults.md"; printf '\n# User_%s\n\n::capture %s/auth.md\n' "$(date -u -d "@$NOW" +%Y-%m-%d_%H%M_%S)" "$NOTES"; } >"$T/want-auth.md"
check "a live ::capture writes the reference rendering" cmp -s <(sed '1,/^---$/d' "$NOTES/auth.md" | tail -n +2) "$T/want-auth.md"
check "the capture's frontmatter names the session" grep -qx "sessionId: sess-001" "$NOTES/auth.md"
printf '%s\n' '{"type":"assistant","uuid":"msg-a4","parentUuid":"msg-u3","isSidechain":false,"sessionId":"sess-001","timestamp":"'"$TS_ANS"'","message":{"role":"assistant","model":"claude-opus-4-6","content":[{"type":"text","text":"Captured."}]}}' >>"$FIX"
wait_for "append" grep -q "Captured." "$NOTES/auth.md" || true
check "the next message is appended once, under its heading" bash -c \
	"tail -4 '$NOTES/auth.md' | cmp -s - <(printf '\n# claude-opus-4.6_%s\n\nCaptured.\n' $(date -u -d "@$((NOW + 5))" +%Y-%m-%d_%H%M_%S))"
check "kato status shows the active recording" bash -c "\"$KATO\" status | grep -q 'active .*auth.md'"

# A second daemon is refused.
set +e
"$KATOD" --foreground 2>"$T/second.err"; rc=$?
set -e
check "a second katod refuses to start" bash -c "[ $rc -eq 1 ] && grep -q 'already running' '$T/second.err'"

stop_katod TERM
finish
