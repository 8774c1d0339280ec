#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Operating kato as a user would: kato start/stop/restart/logs/status/clean
# with katod in the background, its log file (rotation, kato logs -f across
# it), the journald priority prefix, systemd taking over when its unit is
# active, format drift in kato status (running and down), and kato clean
# (dry run, old sessions only, no re-import afterwards).
. "$(dirname "$0")/lib.sh"

C="$top_srcdir/tests/corpus/claude"
P="$CLAUDE_CONFIG_DIR/projects/-home-u"
mkdir -p "$P"
OLD=5a3bb1c8-c3ce-466e-b487-24212cbf1da1
NEW=6b4cc2d9-0000-4000-8000-000000000001
# an old session (January), and a recent one (today), with format drift:
# a record type no parser knows and a line that is not JSON
cp "$C/entire-tiny-summary.jsonl" "$P/$OLD.jsonl"
today=$(date -u +%Y-%m-%d)
sed -e "s/2026-01-13/$today/g" -e "s/$OLD/$NEW/g" -e 's/msg_01/msg_02/g' "$C/entire-tiny-summary.jsonl" >"$P/$NEW.jsonl"
[ -z "$(tail -c1 "$P/$NEW.jsonl")" ] || echo >>"$P/$NEW.jsonl"
printf '%s\n' '{"type":"hologram","uuid":"h1","sessionId":"'$NEW'"}' 'this is not json' >>"$P/$NEW.jsonl"
# a Gemini chat: a whole JSON document, read again at its flush unchanged
G="$HOME/.gemini/tmp/0123abcd/chats"
mkdir -p "$G"
sed "s/\"2025-10-21/\"$today/g" "$top_srcdir/tests/corpus/gemini/yoavf-pomodoro.json" >"$G/session-2026-01-13T10-00-pomodoro.json"
SOCK="$KATO_HOME/run/katod.sock"
LOG="$KATO_HOME/katod.log"
json() { "$KATO" status --json; }
events() { json | sed -n 's/.*"store":{[^}]*"events":\([0-9]*\).*/\1/p'; }
sessions() { json | sed -n 's/.*"store":{[^}]*"sessions":\([0-9]*\).*/\1/p'; }
# exited: no such process, or a zombie its reaper has not collected yet
gone() { ! kill -0 "$1" 2>/dev/null || grep -q ') Z' "/proc/$1/stat" 2>/dev/null; }
export KATO KATOD
export -f json events sessions gone

# ---- start
out=$("$KATO" start 2>&1) && rc=0 || rc=$?
check "kato start returns 0 once katod answers ($out)" [ "$rc" -eq 0 ]
check "kato start says it started" grep -q 'katod started (pid [0-9]*)' <<<"$out"
KATOD_PID=$(cat "$KATO_HOME/run/katod.lock")
check "the control socket is a 0600 socket in the runtime directory" \
	bash -c "[ -S '$SOCK' ] && [ \"\$(stat -c %a '$SOCK')\" = 600 ] && [ \"\$(stat -c %a '$KATO_HOME/run')\" = 700 ]"
out=$("$KATO" start 2>&1) && rc=0 || rc=$?
check "a second kato start says katod already runs ($out)" \
	bash -c "[ $rc -eq 0 ] && grep -q 'already running (pid $KATOD_PID)' <<<'$out'"
out=$("$KATOD" --foreground 2>&1) && rc=0 || rc=$?
check "a second katod exits 1 and says why ($out)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'another katod is already running' <<<'$out'"
wait_for "backfill" bash -c "json | grep -q '\"sessions\":3'" || true

# ---- status while running
check "status --json answers from katod" bash -c "json | grep -q '\"answering\":true,\"pid\":$KATOD_PID'"
check "status --json has the claude root watching" bash -c \
	"json | grep -q '\"provider\":\"claude\",\"path\":\"[^\"]*/.claude/projects\",\"state\":\"watching\",\"reason\":null'"
check "status --json shows the missing codex root and why" bash -c \
	"json | grep -q '\"provider\":\"codex\",\"path\":\"[^\"]*/.codex/sessions\",\"state\":\"missing\",\"reason\":\"does not exist'"
check "drift (running): the unknown record type is counted" bash -c "json | grep -q '\"unknown:hologram\":1'"
check "drift (running): the broken line is counted" bash -c "json | grep -q '\"bad-json\":1'"
check "drift has a start date" bash -c "json | grep -q '\"drift\":{\"since\":\"20[0-9-]*T'"
check "status text shows drift per provider" bash -c "\"$KATO\" status | grep -q 'claude: [0-9]* skipped: 1 of unknown types (unknown:hologram 1), [1-9][0-9]* unreadable (bad-json [1-9][0-9]*), [0-9]* of types kato does not keep'"
check "watches are shown against the inotify limit" bash -c \
	"\"$KATO\" status | grep -q 'watches: [1-9][0-9]* director.* fs.inotify.max_user_watches = [0-9]'"

# a file that grows with lines that yield no event
for i in 1 2 3; do printf '{"type":"progress","uuid":"p%s","sessionId":"%s"}\n' "$i" "$NEW" >>"$P/$NEW.jsonl"; done
check "a file that grew without events is listed with its bytes" wait_for "silent file" bash -c \
	"json | grep -q '\"silentFiles\":\\[{\"path\":\"$P/$NEW.jsonl\",\"bytes\":[1-9]'"
check "... also in the text" bash -c "\"$KATO\" status | grep -A1 'grew without yielding any event' | grep -q '$NEW.jsonl'"
check "a document read again at its flush, unchanged, is not listed" bash -c "! json | grep -q 'silentFiles.*pomodoro'"

# ---- a katod that does not answer (stopped by SIGSTOP)
kill -STOP "$KATOD_PID"
out=$("$KATO" status 2>&1)
check "status says a stuck katod does not answer, and shows the store" bash -c \
	"grep -q 'does not answer on its control socket' <<<'$out' && grep -q '^store: ' <<<'$out'"
( sleep 3.5; kill -CONT "$KATOD_PID" ) &
out=$("$KATO" stop 2>&1) && rc=0 || rc=$?
check "kato stop falls back to SIGTERM when katod does not answer ($out)" bash -c \
	"[ $rc -eq 0 ] && grep -q 'sending SIGTERM to pid $KATOD_PID' <<<'$out' && gone $KATOD_PID"
wait
"$KATO" start >/dev/null
KATOD_PID=$(cat "$KATO_HOME/run/katod.lock")

# ---- logs
check "kato logs -n 2 prints two lines" bash -c "[ \"\$(\"$KATO\" logs -n 2 | wc -l)\" -eq 2 ]"
check "kato logs shows timestamped katod lines" bash -c \
	"\"$KATO\" logs -n 100 | grep -q '^20[0-9-]*T[0-9:.]*Z katod: info: backfill done'"

# ---- stop
out=$("$KATO" stop 2>&1) && rc=0 || rc=$?
check "kato stop returns once katod has exited ($out)" bash -c \
	"[ $rc -eq 0 ] && grep -q 'katod stopped (pid $KATOD_PID)' <<<'$out' && gone $KATOD_PID"
KATOD_PID=
check "the socket is removed" [ ! -e "$SOCK" ]
check "kato stop when stopped says so" bash -c "\"$KATO\" stop | grep -q 'katod is not running'"
check "status (down) says so" bash -c "\"$KATO\" status | grep -q '^katod: not running'"
check "drift (down): the counts are still reported" bash -c \
	"json | grep '\"running\":false' | grep -q '\"unknown:hologram\":1'"
check "status --json (down): unknown live values are null" bash -c \
	"json | grep -q '\"roots\":null' && json | grep -q '\"silentFiles\":null' && json | grep -q '\"pid\":null'"

# ---- clean
mkdir -p "$KATO_HOME/recordings"
printf 'my notes\n' >"$KATO_HOME/recordings/notes.md"
e0=$(events)
s0=$(sessions)
out=$("$KATO" clean --sessions 30 --dry-run)
check "clean --dry-run counts the old session ($out)" grep -q 'mode=dry-run by=kato sessions=30d sessionsToDelete=1 ' <<<"$out"
check "clean --dry-run changes nothing" bash -c "[ \"\$(events)\" = $e0 ] && [ \"\$(sessions)\" = $s0 ]"
check "clean without a scope is a usage error" bash -c "\"$KATO\" clean 2>/dev/null; [ \$? -eq 2 ]"
check "clean --sessions 0 is a usage error" bash -c "\"$KATO\" clean --sessions 0 2>/dev/null; [ \$? -eq 2 ]"
"$KATO" start >/dev/null
KATOD_PID=$(cat "$KATO_HOME/run/katod.lock")
out=$("$KATO" clean --sessions 30)
check "clean --sessions 30 is done by the running katod ($out)" grep -q 'mode=execute by=katod sessions=30d sessionsDeleted=1 ' <<<"$out"
check "the old session is gone, the recent one kept" bash -c \
	"! \"$KATO\" sessions --json | grep -q $OLD && \"$KATO\" sessions --json | grep -q $NEW"
check "recording files are untouched" bash -c "[ \"\$(cat '$KATO_HOME/recordings/notes.md')\" = 'my notes' ]"
e1=$(events)
check "the old session's events are gone ($e0 -> $e1)" [ "$e1" -lt "$e0" ]
# a restart re-scans every file: the cleaned log is not imported again
out=$("$KATO" restart 2>&1)
check "kato restart stops and starts ($out)" bash -c "grep -q 'katod stopped' <<<'$out' && grep -q 'katod started' <<<'$out'"
KATOD_PID=$(cat "$KATO_HOME/run/katod.lock")
check "no re-import after clean and restart" bash -c "[ \"\$(events)\" = $e1 ] && ! \"$KATO\" sessions --json | grep -q $OLD"
# a line appended to the cleaned log later is new: it alone is stored
tail -n 1 "$P/$OLD.jsonl" | sed -e 's/msg_01DXz95/msg_03DXz95/' -e 's/"uuid":"[^"]*"/"uuid":"appended-after-clean"/' >>"$P/$OLD.jsonl"
check "a line appended after the clean starts a new session, nothing duplicated" wait_for "append" bash -c \
	"[ \"\$(events)\" -gt $e1 ] && [ \"\$(events)\" -le $((e1 + 3)) ]"
"$KATO" clean --logs >/dev/null
check "clean --logs empties the log" bash -c "[ \"\$(stat -c %s '$LOG')\" -lt 200 ]"
"$KATO" stop >/dev/null
KATOD_PID=

# ---- start failing: a bad configuration
mkdir -p "$KATO_HOME"
printf 'allowedWriteRoots: [/tmp]\nnoSuchKey: 1\n' >"$KATO_HOME/config.yaml"
out=$("$KATO" start 2>&1) && rc=0 || rc=$?
check "kato start with a bad config fails with the reason ($out)" bash -c \
	"[ $rc -eq 1 ] && grep -q 'did not start' <<<'$out' && grep -q 'noSuchKey' <<<'$out'"
rm "$KATO_HOME/config.yaml"

# ---- rotation, and kato logs -f across it
: >"$LOG"
rm -f "$LOG.1"
KATO_LOG_MAX_BYTES=3000 "$KATO" start -v >/dev/null
KATOD_PID=$(cat "$KATO_HOME/run/katod.lock")
"$KATO" logs -f -n 0 >"$T/follow" &
FOLLOW=$!
sleep 0.3
# each line that is not JSON is logged: about 150 bytes a line
for i in $(seq 1 40); do printf 'not json %s\n' "$i" >>"$P/$NEW.jsonl"; sleep 0.02; done
"$KATO" stop >/dev/null
KATOD_PID=
sleep 0.5
kill "$FOLLOW"
wait "$FOLLOW" || true
check "the log was rotated at the cap" bash -c \
	"[ -s '$LOG.1' ] && [ \"\$(stat -c %s '$LOG.1')\" -le 3000 ] && [ \"\$(stat -c %s '$LOG')\" -le 3000 ]"
check "kato logs -f followed across the rotation" bash -c \
	"[ \"\$(grep -c 'skipped a line that is not JSON' '$T/follow')\" -eq 40 ] && grep -q 'stopped:' '$T/follow'"

# ---- journald: the <N> priority prefix when JOURNAL_STREAM names stderr
: >"$T/journal"
(
	exec 2>>"$T/journal"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal") exec "$KATOD" --foreground
) &
KATOD_PID=$!
wait_for "katod under journald" grep -q 'backfill done' "$T/journal"
stop_katod
check "under journald each line carries <N> (info <6>)" grep -q '^<6>katod: info: backfill done' "$T/journal"
check "no plain lines under journald" bash -c "! grep -v '^<[3-7]>' '$T/journal'"
: >"$T/plain"
JOURNAL_STREAM=1:1 "$KATOD" --foreground 2>"$T/plain" &
KATOD_PID=$!
wait_for "katod" grep -q 'backfill done' "$T/plain"
stop_katod
check "no prefix when JOURNAL_STREAM names another stream" grep -q '^katod: info: backfill done' "$T/plain"

# ---- under systemd: start/stop/restart/logs hand over to systemctl/journalctl
mkdir -p "$T/fakebin"
cat >"$T/fakebin/systemctl" <<EOS
#!/bin/sh
echo "systemctl \$*" >>"$T/systemd.log"
[ "\$2" = is-active ] && echo active
exit 0
EOS
cat >"$T/fakebin/journalctl" <<EOS
#!/bin/sh
echo "journalctl \$*" >>"$T/systemd.log"
EOS
chmod +x "$T/fakebin/systemctl" "$T/fakebin/journalctl"
for verb in start stop restart; do
	out=$(PATH="$T/fakebin:$PATH" "$KATO" $verb 2>&1)
	check "kato $verb under systemd says so and calls systemctl" bash -c \
		"grep -q 'katod runs under systemd' <<<'$out' && grep -q 'systemctl --user $verb katod' '$T/systemd.log'"
done
PATH="$T/fakebin:$PATH" "$KATO" logs -n 5 >/dev/null
check "kato logs under systemd runs journalctl" grep -q 'journalctl --user -u katod -n 5' "$T/systemd.log"
check "nothing was started behind systemd's back" [ ! -e "$KATO_HOME/run/katod.sock" ]

for c in start stop restart logs status clean; do
	check "kato $c --help" bash -c "\"$KATO\" $c --help | grep -q '^Usage: kato $c'"
done
finish
