#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo (contrib/demo.sh): it must show the Markdown the replayed
# ::capture wrote and kato status, in well under 20 s, and leave neither a
# katod process nor its scratch directory behind.
. "$(dirname "$0")/lib.sh"

OUT="$T/demo.out"
start=$(date +%s%N)
rc=0
env -u KATO_PROVIDER_PATH DEMO_DELAY=0.005 timeout 60 bash "$top_srcdir/contrib/demo.sh" >"$OUT" 2>&1 || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "demo took $ms ms"
check "make demo succeeds" test "$rc" -eq 0
check "it shows the Markdown, with the user's ::capture line" grep -q '^::capture ~/notes/demo.md' "$OUT"
check "the Markdown has the assistant's headings" grep -q '^# claude-sonnet-4-5' "$OUT"
check "it shows kato status with the applied capture" grep -q 'applied .*/notes/demo.md' "$OUT"
check "it takes less than 20 s" test "$ms" -lt 20000
pid=$(sed -n 's/^   katod pid \([0-9]*\)$/\1/p' "$OUT")
check "katod ran" test -n "$pid"
check "no katod is left running" bash -c "! kill -0 '$pid' 2>/dev/null"
scratch=$(sed -n 's/^== starting katod on a scratch HOME (\(.*\))$/\1/p' "$OUT")
check "the scratch HOME is removed" bash -c "[ -n '$scratch' ] && [ ! -e '$scratch' ]"

# Stopped half way (SIGTERM; a background job ignores SIGINT): still no
# stray katod and no scratch directory.
interrupt() { # interrupt SIGNAL: run the demo slowly and kill it during the replay
	env -u KATO_PROVIDER_PATH DEMO_DELAY=0.2 bash "$top_srcdir/contrib/demo.sh" >"$T/int.out" 2>&1 &
	demo=$!
	wait_for "the replay to start" grep -q "replaying" "$T/int.out"
	pid=$(sed -n 's/^   katod pid \([0-9]*\)$/\1/p' "$T/int.out")
	scratch=$(sed -n 's/^== starting katod on a scratch HOME (\(.*\))$/\1/p' "$T/int.out")
	kill "-$1" "$demo"
	wait "$demo" || true
}
katod_gone() { [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; }
interrupt TERM
check "stopped: katod is stopped" wait_for "katod to stop" katod_gone
check "stopped: the scratch HOME is removed" bash -c "[ -n '$scratch' ] && [ ! -e '$scratch' ]"
if command -v setpriv >/dev/null 2>&1; then
	interrupt KILL
	check "killed -9: katod stops too (parent-death signal)" wait_for "katod to stop" katod_gone
	[ -z "$scratch" ] || rm -rf "$scratch"
fi
finish
