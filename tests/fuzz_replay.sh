#!/usr/bin/env bash
# Replay the kept fuzz inputs (tests/fuzz/<target>/*: crashes and other
# interesting inputs) through each target binary, built by tests/fuzz.sh.
# A fixed input that still crashes fails this script. Not part of make check.
#   FUZZ_TARGETS="claude codex gemini config command path frontmatter"
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
TARGETS=${FUZZ_TARGETS:-claude codex gemini config command path frontmatter}
export KATO_FUZZ_FM_RAW_ITEMS=1 # replay the kept frontmatter inputs as they are
FUZZ_BUILD_ONLY=1 FUZZ_TARGETS="$TARGETS" bash "$top_srcdir/tests/fuzz.sh"
passed=0
failed=0
for t in $TARGETS; do
	mapfile -t inputs < <(find "$top_srcdir/tests/fuzz/$t" -type f ! -name README 2>/dev/null | sort)
	if [ "${#inputs[@]}" -eq 0 ]; then
		echo "ok - $t: no kept inputs"
		passed=$((passed + 1))
		continue
	fi
	if "$top_builddir/fuzz/fuzz_$t" -runs=1 "${inputs[@]}" >"$top_builddir/fuzz/replay-$t.log" 2>&1; then
		echo "ok - $t: ${#inputs[@]} kept inputs replay cleanly"
		passed=$((passed + 1))
	else
		echo "not ok - $t: a kept input still fails (log: fuzz/replay-$t.log)"
		grep -m1 -B2 -A20 -E 'ERROR|deadly signal|runtime error' "$top_builddir/fuzz/replay-$t.log" | head -30 || true
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
