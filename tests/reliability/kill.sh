#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reliability part 1: SIGKILL at random instants. The three providers'
# sessions grow at once (one line each in turn, current timestamps) with
# every in-chat command, so recordings are active in all three; katod is
# killed with SIGKILL right after a random line (after 0-30 ms, so it dies
# mid-batch, mid-commit or mid-append), and sometimes lines are written
# while it is down. Each run's Markdown files and store exports must equal
# those of an uninterrupted run, byte for byte apart from times and random
# ids. Runs go on until KILL_POINTS kills were done.
#   KILL_SEED=N  reproduce   KILL_POINTS=N (default 200)   KILLS=N per run (10)
. "$(cd "$(dirname "$0")" && pwd)/env.sh"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/reliability/common.sh"
set -o pipefail

SEED=${KILL_SEED:-$RANDOM}
RANDOM=$SEED
TARGET=${KILL_POINTS:-200}
KILLS=${KILLS:-10}
PROVIDERS=(claude codex gemini)
NLINES=$((${#CHAT[@]} * 3))
echo "# kill seed $SEED (KILL_SEED=$SEED to reproduce), target $TARGET kill points"

stop_if_running() {
	if [ -n "$KATOD_PID" ]; then stop_katod TERM || true; fi
}

# play "kill points": a fresh store and notes, the three chats at once.
play() {
	local kills=" $1 " i=0 n p down=0
	stop_if_running
	fresh_chat
	start_katod
	for p in codex gemini; do header "$p" >>"$(log_of "$p")"; done
	for n in $(seq 1 "${#CHAT[@]}"); do
		for p in "${PROVIDERS[@]}"; do
			i=$((i + 1))
			chat_line "$p" "$n"
			chat_kill_point "$i" || continue
		done
		sleep 0.02
	done
	[ -n "$KATOD_PID" ] || start_katod
	wait_for "the three chats recorded" chat_settled || true
	stop_katod TERM || true
}

KILLED=0
play ""
{ snapshot_files; snapshot_store; } >"$T/want"
for p in "${PROVIDERS[@]}"; do
	d="$NOTES/$p"
	check "$p: the recording a.md, the capture b.md and the export c.md exist" \
		test -s "$d/proj/a.md" -a -s "$d/b.md" -a -s "$d/c.md"
	check "$p: no file from the quoted command, the fence, the malformed message or the denied path" \
		bash -c "! ls '$d/evil.md' '$d/fenced.md' '$d/failclosed.md' /etc/kato-denied.md 2>/dev/null"
	check "$p: a.md has the talk before ::stop and after ::record, not what came between" bash -c \
		"grep -q answer-04 '$d/proj/a.md' && grep -q answer-06 '$d/proj/a.md' && ! grep -q hidden-05 '$d/proj/a.md'"
	check "$p: b.md holds answer-10 and not answer-11, a.md not answer-10" bash -c \
		"grep -q answer-10 '$d/b.md' && ! grep -q answer-11 '$d/b.md' && ! grep -q answer-10 '$d/proj/a.md'"
	check "$p: the export holds the whole chat" bash -c \
		"\"$KATO\" export $(sid_of "$p") --format jsonl | grep -q answer-11"
done

runs=0
bad=0
start=$SECONDS
while [ "$KILLED" -lt "$TARGET" ]; do
	runs=$((runs + 1))
	pts=" "
	while [ "$(wc -w <<<"$pts")" -lt "$KILLS" ]; do
		k=$((RANDOM % NLINES + 1))
		[[ $pts == *" $k "* ]] || pts="$pts$k "
	done
	play "$pts"
	if ! { snapshot_files; snapshot_store; } | cmp -s - "$T/want"; then
		bad=$((bad + 1))
		echo "# run $runs killed after lines$pts(seed $SEED): files or store differ"
		{ snapshot_files; snapshot_store; } | diff "$T/want" - | head -40 || true
	fi
done
echo "# $KILLED kill points in $runs runs ($((SECONDS - start)) s), seed $SEED; $bad runs differ"
check "every run killed $KILLED times in all gives the uninterrupted run's files and exports ($bad of $runs differ)" \
	[ "$bad" -eq 0 ]
check "at least $TARGET kill points ($KILLED)" [ "$KILLED" -ge "$TARGET" ]
finish
