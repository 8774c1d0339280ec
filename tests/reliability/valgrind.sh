#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reliability part 4: valgrind over every Check suite (the SUITES list of
# Makefile.am, with CK_FORK=no) and over every katod and kato run of the
# integration scripts (through KATO_WRAP, see tests/lib.sh). Each program
# run writes one valgrind log; a log with errors (definite leaks count)
# fails. Prints the programs run, the errors, and each report's stack.
#   VG_SUITES="tests/test_text ..."  VG_SCRIPTS="tests/integ_daemon.sh ..."
. "$(cd "$(dirname "$0")" && pwd)/env.sh"
set -euo pipefail

OUT="$top_builddir/reliability-valgrind"
rm -rf "$OUT"
mkdir -p "$OUT/suites" "$OUT/scripts"
VG="valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --num-callers=30"
SUITES=${VG_SUITES:-$(sed -n '/^SUITES = /,/[^\\]$/p' "$top_srcdir/Makefile.am" | sed 's/^SUITES = //; s/\\$//' | tr -s ' \t\n' ' ')}
SCRIPTS=${VG_SCRIPTS:-tests/integ_import.sh tests/integ_daemon.sh tests/integ_providers.sh tests/integ_record.sh}
PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

echo "# building the Check suites"
make -C "$top_builddir" -j2 check TESTS= >"$OUT/build.log" 2>&1 || { echo "build failed: $OUT/build.log"; exit 1; }

export top_srcdir top_builddir KATO_TEST_PLUGINS="$top_builddir/plugins" CK_FORK=no
for s in $SUITES; do
	name=$(basename "$s")
	rc=0
	(cd "$top_builddir" && $VG --log-file="$OUT/suites/$name.%p.log" "./$s") >"$OUT/suites/$name.out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then ok "valgrind $s"; else not_ok "valgrind $s (exit $rc)"; fi
done

# The scripts: every katod and kato they start runs under valgrind. Waits
# are 6x longer; integ_record.sh plays one killed run per provider.
for s in $SCRIPTS; do
	name=$(basename "$s" .sh)
	mkdir -p "$OUT/scripts/$name"
	rc=0
	KATO_WRAP="$VG --log-file=$OUT/scripts/$name/%p.log" WAIT_TRIES=1200 RUNS=1 KILLS=2 MIN_KILLS=1 \
		timeout 1800 bash "$top_srcdir/$s" >"$OUT/scripts/$name.out" 2>&1 || rc=$?
	echo "# $s under valgrind: $(tail -1 "$OUT/scripts/$name.out") (exit $rc)"
done

# Every log: errors (ERROR SUMMARY > 0) are failures; list them.
mapfile -t logs < <(find "$OUT" -name '*.log' ! -name build.log | sort)
nprog=0
nerr=0
for l in "${logs[@]}"; do
	grep -q 'ERROR SUMMARY' "$l" || continue # killed with SIGKILL: no summary
	nprog=$((nprog + 1))
	e=$(grep -oE 'ERROR SUMMARY: [0-9]+' "$l" | tail -1 | grep -oE '[0-9]+$')
	if [ "$e" -gt 0 ]; then
		nerr=$((nerr + e))
		cmdline=$(grep -m1 -oE 'Command: .*' "$l" || true)
		not_ok "valgrind: $e error(s) in ${l#"$OUT"/} ($cmdline)"
		grep -vE '^==[0-9]+== *$' "$l" | grep -A25 -E 'Invalid|uninitialised|definitely lost in|Mismatched|overlap|Syscall param' |
			sed 's/^==[0-9]*== //' | head -60
	fi
done
killed=$(( ${#logs[@]} - nprog ))
echo "# valgrind: ${#logs[@]} program runs ($nprog ran to the end, $killed killed before their summary), $nerr errors"
check_runs=$(( nprog > 0 ? 1 : 0 ))
[ "$check_runs" -eq 1 ] && ok "valgrind ran $nprog programs to the end" || not_ok "no program ran under valgrind"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
