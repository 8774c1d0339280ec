#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replay the kept fuzz inputs (tests/fuzz/<target>/*: crashes and other
# interesting inputs) through each target binary, built by tests/fuzz.sh.
# A fixed input that still crashes fails this script. Not part of make check.
#   FUZZ_TARGETS="claude codex gemini config command path frontmatter pjson"
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
TARGETS=${FUZZ_TARGETS:-claude codex gemini config command path frontmatter pjson}
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
	bad=0
	: >"$top_builddir/fuzz/replay-$t.log"
	for f in "${inputs[@]}"; do
		if ! "$top_builddir/fuzz/fuzz_$t" -runs=1 "$f" >>"$top_builddir/fuzz/replay-$t.log" 2>&1; then
			bad=$((bad + 1))
			echo "# $t: still fails: ${f#"$top_srcdir"/}"
		fi
	done
	if [ "$bad" -eq 0 ]; then
		echo "ok - $t: ${#inputs[@]} kept inputs replay cleanly"
		passed=$((passed + 1))
	else
		echo "not ok - $t: $bad of ${#inputs[@]} kept inputs still fail (log: fuzz/replay-$t.log)"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
