#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A provider root that does not exist when katod starts (the assistant is
# installed later) is followed from its nearest existing ancestor: a
# session written into it is stored within a second, not at the next
# 5-minute sweep. The same after the root is deleted and created again.
. "$(dirname "$0")/lib.sh"

C="$top_srcdir/tests/corpus/claude"
P="$CLAUDE_CONFIG_DIR/projects"
[ ! -e "$HOME/.claude" ] || { echo "fresh HOME expected"; exit 1; }

stored() { "$KATO" sessions --json 2>/dev/null | grep -q "$1"; }
# within_1s SID: stored within one second (10 polls of 0.1 s)
within_1s() {
	local i
	for i in $(seq 1 10); do
		stored "$1" && return 0
		sleep 0.1
	done
	stored "$1"
}

start_katod
check "katod says it follows the missing root" grep -q "does not exist (yet): it is followed" "$T/katod.log"

mkdir -p "$P/-home-u-x"
cp "$C/entire-tiny-summary.jsonl" "$P/-home-u-x/aaaaaaaa-1111-4111-8111-111111111111.jsonl"
check "a session in a root created after katod started is stored within 1 s" \
	within_1s aaaaaaaa-1111-4111-8111-111111111111
check "katod logged the new root" grep -q "it was just created" "$T/katod.log"

rm -rf "$HOME/.claude"
wait_for "the removal is noticed" grep -q "was removed" "$T/katod.log"
check "katod noticed the root was removed" grep -q "followed again as soon as it is created" "$T/katod.log"
mkdir -p "$P/-home-u-y"
cp "$C/entire-tiny-summary.jsonl" "$P/-home-u-y/bbbbbbbb-1111-4111-8111-111111111111.jsonl"
check "a session in the re-created root is stored within 1 s" \
	within_1s bbbbbbbb-1111-4111-8111-111111111111
check "the first session's events stay in the store" stored aaaaaaaa-1111-4111-8111-111111111111

# Codex: a root two levels down ($CODEX_HOME/sessions/YYYY/MM/DD), made by
# a rename into place (IN_MOVED_TO), as an installer may do.
mkdir -p "$T/staging/sessions/2026/01/02" "$CODEX_HOME"
cp "$top_srcdir/tests/corpus/codex/yoavf-pomodoro.jsonl" \
	"$T/staging/sessions/2026/01/02/rollout-2026-01-02T10-00-00-0192aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee.jsonl"
mv "$T/staging/sessions" "$CODEX_HOME/sessions"
check "a codex root moved into place is stored within 1 s" \
	within_1s '"provider":"codex"'

check "katod stops cleanly" stop_katod
finish
