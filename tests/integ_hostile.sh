#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# katod against hostile and unlucky conditions, one regression check per
# finding of the reliability review:
#   - a FIFO and a symlink to /dev/zero named *.jsonl in a watched directory
#     neither block nor spin katod; other sessions are still read;
#   - SIGTERM is honoured within a second, also in the middle of a backfill;
#   - a root added by SIGHUP has its existing files read at once;
#   - directories past the inotify watch limit are still read, and re-read;
#   - whether a command runs depends on the message's own time, not on how
#     katod last stopped: an old session copied in never runs commands, a
#     command typed while katod was down (clean stop or kill -9) does.
. "$(dirname "$0")/lib.sh"

P="$CLAUDE_CONFIG_DIR/projects"
NOTES="$T/notes"
mkdir -p "$P/-p-live" "$NOTES"
printf 'allowedWriteRoots:\n  - %s\n' "$NOTES" >"$KATO_HOME/config.yaml"

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }
# user_line SESSION UUID EPOCH TEXT: one Claude user record.
user_line() {
	printf '{"type":"user","uuid":"%s","parentUuid":null,"isSidechain":false,"sessionId":"%s","timestamp":"%s","cwd":"%s","version":"2.1.39","message":{"role":"user","content":"%s"}}\n' \
		"$2" "$1" "$(iso "$3")" "$NOTES" "$4"
}
stored() { "$KATO" export "$1" --format jsonl 2>/dev/null | grep -q "$2"; }
# secs_to_exit: send SIGTERM, print how long katod took to exit (seconds).
secs_to_exit() {
	local t0 t1
	t0=$(date +%s.%N)
	kill -TERM "$KATOD_PID"
	local i
	for i in $(seq 1 500); do
		kill -0 "$KATOD_PID" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$KATOD_PID/stat" 2>/dev/null)" != Z ] || break
		sleep 0.02
	done
	t1=$(date +%s.%N)
	wait "$KATOD_PID" 2>/dev/null || true
	KATOD_PID=
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}
under_a_second() { awk -v s="$1" 'BEGIN { exit !(s < 1.0) }'; }

# ---- a symlink planted as the lock, a runtime directory of another user
RUN="$KATO_HOME/run"
mkdir -p "$RUN"
printf 'precious\n' >"$T/victim"
ln -s "$T/victim" "$RUN/katod.lock"
rc=0
timeout 10 "$KATOD" --foreground >"$T/lock.log" 2>&1 || rc=$?
check "a symlinked lock makes katod refuse to start (exit $rc)" test "$rc" -eq 1
check "... and says why" grep -q "katod.lock is a symbolic link" "$T/lock.log"
check "... and the file it pointed to is unchanged" grep -qx precious "$T/victim"
rm -f "$RUN/katod.lock"
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$RUN"
	rc=0
	timeout 10 "$KATOD" --foreground >"$T/lock.log" 2>&1 || rc=$?
	check "a runtime directory owned by another user is refused (exit $rc)" test "$rc" -eq 1
	check "... with the reason" grep -q "is owned by another user" "$T/lock.log"
	chown "$(id -u)" "$RUN"
fi
chmod 0777 "$RUN"

# ---- KATO_HOME set to a shared (sticky) directory, as /tmp is: refused,
# never closed to its other users (as root, kato once left /tmp 1700)
SHARED="$T/shared"
mkdir -p "$SHARED"
chmod 1777 "$SHARED"
rc=0
KATO_HOME="$SHARED" timeout 10 "$KATOD" --foreground >"$T/shared.log" 2>&1 || rc=$?
check "a sticky KATO_HOME makes katod refuse to start (exit $rc)" test "$rc" -eq 1
check "... and says why" grep -q "shared with other users" "$T/shared.log"
check "... and its mode is left as it was" test "$(stat -c %a "$SHARED")" = 1777

# ---- a FIFO and /dev/zero named like sessions, while katod runs
start_katod
check "an own runtime directory open to others is made 0700" test "$(stat -c %a "$RUN")" = 700
mkfifo "$P/-p-live/fifo.jsonl"
ln -s /dev/zero "$P/-p-live/zero.jsonl"
sleep 0.5
NOW=$(date -u +%s)
user_line live-1 u1 "$NOW" "after the fifo" >>"$P/-p-live/live-1.jsonl"
check "a session written after a FIFO and a /dev/zero link is stored" wait_for "live-1" stored live-1 "after the fifo"
rss=$(awk '/VmHWM/ {print $2}' "/proc/$KATOD_PID/status")
check "katod did not read /dev/zero (peak RSS ${rss} kB < 64 MiB)" test "$rss" -lt 65536
check "the FIFO and the device are logged as not regular files" grep -q "fifo.jsonl: not a regular file" "$T/katod.log"
s=$(secs_to_exit)
check "SIGTERM with a FIFO in a watched directory: exit in ${s}s" under_a_second "$s"
rm -f "$P/-p-live/fifo.jsonl" "$P/-p-live/zero.jsonl"

# sigterm_in_backfill LOG WHAT SECS: start katod on what is in the roots,
# send SIGTERM SECS into its backfill, check it exits within a second and
# that the signal was taken before the backfill ended.
sigterm_in_backfill() {
	"$KATOD" --foreground --verbose >"$1" 2>&1 &
	KATOD_PID=$!
	wait_for "backfill started" grep -q "starting" "$1"
	sleep "$3"
	local s
	s=$(secs_to_exit)
	check "SIGTERM during $2: exit in ${s}s" under_a_second "$s"
	check "... and it was taken before the backfill ended" bash -c \
		"grep -E 'stopping|backfill done' '$1' | head -1 | grep -q stopping"
}

# ---- SIGTERM in the middle of a long backfill
mkdir -p "$P/-p-big"
big_line=$(user_line big-1 ub 1600000000 "$(head -c 2000 /dev/zero | tr '\0' x)")
yes "$big_line" | head -n 150000 >"$P/-p-big/big-1.jsonl" # about 300 MB
# a tenth of a second: this file, one line over and over, is now read
# in under half a second
sigterm_in_backfill "$T/big.log" "a 300 MB backfill" 0.1
rm -rf "$P/-p-big"

# ---- SIGTERM while one 200 MB line is being parsed
mkdir -p "$P/-p-huge"
{ printf '{"type":"user","uuid":"h1","parentUuid":null,"isSidechain":false,"sessionId":"huge-1","timestamp":"%s","message":{"role":"user","content":"' "$(iso 1600000000)"
  head -c 200000000 /dev/zero | tr '\0' y
  printf '"}}\n'; } >"$P/-p-huge/huge-1.jsonl"
sigterm_in_backfill "$T/huge.log" "the parse of a 200 MB line" 0.5
rm -rf "$P/-p-huge"

# ---- a root added by SIGHUP: its files are read without another event
R2="$T/more-claude"
mkdir -p "$R2/-p-r2"
user_line r2-1 r1 "$(date -u +%s)" "in the second root" >"$R2/-p-r2/r2-1.jsonl"
start_katod
printf 'allowedWriteRoots:\n  - %s\nproviderSessionRoots:\n  claude:\n    - %s\n    - %s\n' "$NOTES" "$P" "$R2" \
	>"$KATO_HOME/config.yaml"
kill -HUP "$KATOD_PID"
check "a root added by SIGHUP is read at once" wait_for "r2-1" stored r2-1 "in the second root"
printf 'allowedWriteRoots:\n  - %s\n' "$NOTES" >"$KATO_HOME/config.yaml"
stop_katod

# ---- the message's own time decides whether its commands run
OLD=1577880000 # 2020-01-01
mkdir -p "$P/-p-hist"
start_katod
{ user_line old-1 o1 "$OLD" "an old conversation"; user_line old-1 o2 $((OLD + 5)) "::capture $NOTES/old-live.md"; } \
	>"$T/old-1.jsonl"
cp "$T/old-1.jsonl" "$P/-p-hist/old-1.jsonl"
wait_for "old-1" stored old-1 "old-live.md"
sleep 0.5
check "an old session copied in while katod runs does not run its command" test ! -e "$NOTES/old-live.md"
check "its command is reported as skipped history" bash -c "\"$KATO\" status | grep -q 'skipped.*history'"
stop_katod
user_line down-1 d1 "$(date -u +%s)" "::capture $NOTES/down-clean.md" >"$P/-p-hist/down-1.jsonl"
{ user_line old-2 o3 "$OLD" "::capture $NOTES/old-down.md"; } >"$P/-p-hist/old-2.jsonl"
start_katod
check "a command typed while katod was stopped runs at start" wait_for "down-clean" test -s "$NOTES/down-clean.md"
check "an old session written while katod was down does not run its command" bash -c \
	"sleep 0.5; test ! -e '$NOTES/old-down.md'"
stop_katod KILL || true
user_line down-2 d2 "$(date -u +%s)" "::capture $NOTES/down-kill.md" >"$P/-p-hist/down-2.jsonl"
start_katod
check "a command typed after a kill -9 runs at start" wait_for "down-kill" test -s "$NOTES/down-kill.md"
stop_katod

# ---- past the inotify watch limit (a user namespace with its own limit)
if unshare -Ur sh -c 'echo 30 >/proc/sys/user/max_inotify_watches' 2>/dev/null; then
	rm -rf "$P"
	for i in $(seq 1 100); do
		mkdir -p "$P/-p-$i"
		user_line "lim-$i" "l$i" "$(date -u +%s)" "session $i" >"$P/-p-$i/lim-$i.jsonl"
	done
	unshare -Ur sh -c 'echo 30 >/proc/sys/user/max_inotify_watches && exec "$0" --foreground --verbose' \
		"$KATOD" >>"$T/katod.log" 2>&1 &
	KATOD_PID=$!
	wait_for "katod ready" grep -q "director.* cannot be watched" "$T/katod.log"
	n=$("$KATO" sessions --json | grep -c '"lim-')
	check "100 sessions in 100 directories with 30 watches: $n stored" test "$n" -eq 100
	check "kato status says the watch limit is reached" bash -c "\"$KATO\" status | grep -q 'watch limit: reached'"
	user_line lim-100 l100b "$(date -u +%s)" "grew later" >>"$P/-p-100/lim-100.jsonl"
	mkdir -p "$P/-p-new"
	user_line lim-new ln "$(date -u +%s)" "a new directory" >"$P/-p-new/lim-new.jsonl"
	check "growth in an unwatched directory is read by the re-scan" wait_for "lim-100" stored lim-100 "grew later"
	check "a new unwatched directory is found by the re-scan" wait_for "lim-new" stored lim-new "a new directory"
	stop_katod
else
	echo "ok - # skip: no user namespaces here, the watch limit cannot be lowered for katod alone"
fi

finish
