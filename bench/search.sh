#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kato search latency on a big store (not part of make check): generates
# about BENCH_MB MB of Claude Code logs (bench/gen_logs.awk), imports
# them, then runs a handful of queries RUNS times each and prints the
# median wall time of `kato search -n 20 QUERY >/dev/null` (the whole
# command: start, open, query, snippets, output). Target: < 50 ms.
#   BENCH_MB=N     size of the generated logs (default 1000)
#   RUNS=N         runs per query (default 7)
#   BENCH_DIR=DIR  keep logs and store in DIR and reuse them next time
# Takes about 2-3 minutes on 2 cores for 1 GB (generation 40-70 s,
# import about 60 s, the queries a few seconds).
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
MB=${BENCH_MB:-1000}
RUNS=${RUNS:-7}
KATO="$top_builddir/kato"
export KATO_PROVIDER_PATH="$top_builddir/plugins/claude/.libs"
if [ -n "${BENCH_DIR:-}" ]; then
	W=$BENCH_DIR
	mkdir -p "$W"
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/kato-search-bench.XXXXXX")
	trap 'rm -rf "$W"' EXIT
fi
export KATO_HOME="$W/home"
mkdir -p "$W/logs" "$KATO_HOME"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }

if [ ! -s "$KATO_HOME/kato.db" ]; then
	if [ -z "$(ls "$W/logs")" ]; then
		t0=$(now)
		awk -v dir="$W/logs" -v mb="$MB" -f "$top_srcdir/bench/gen_logs.awk"
		t1=$(now)
		echo "generated $(du -sm "$W/logs" | cut -f1) MB of logs in $(secs "$t0" "$t1") s"
	fi
	size=$(du -sm "$W/logs" | cut -f1)
	t0=$(now)
	find "$W/logs" -name '*.jsonl' -print0 | sort -z | xargs -0 "$KATO" import -q
	t1=$(now)
	echo "imported in $(secs "$t0" "$t1") s: $(awk -v m="$size" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", m / (b - a)}') MB/s"
fi
echo "store: $(du -m "$KATO_HOME/kato.db" | cut -f1) MB, $("$KATO" status --json | sed -n 's/.*"events":\([0-9]*\).*/\1/p') events"

# words of the generated vocabulary: very common, common, rare
vocab() { awk -v i="$1" 'BEGIN {split("ka lo mi ne ru ta shi po ve za an et ori ul ix qua bre sto gly fen", SY, " ");
	w = ""; k = i; do { w = w SY[k % 20 + 1]; k = int(k / 20) } while (k > 0); print w}'; }
W1=$(vocab 1) W2=$(vocab 2) W50=$(vocab 50) W300=$(vocab 300) W2000=$(vocab 2000) W25000=$(vocab 25000)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # label, kato search arguments...
	local label=$1 t=() hits
	shift
	hits=$("$KATO" search -n 20 "$@" | grep -c '^[0-9a-f]\{8\} ' || true)
	for r in $(seq 1 "$RUNS"); do
		local a b
		a=$(now)
		"$KATO" search -n 20 "$@" >/dev/null
		b=$(now)
		t+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", (b - a) * 1000}')")
	done
	printf '%-44s %4s hits  median %6s ms\n' "$label" "$hits" "$(printf '%s\n' "${t[@]}" | median)"
}
run "rare planted word (zebracrash)" zebracrash
run "rare word ($W25000)" "$W25000"
run "common word ($W2000)" "$W2000"
run "very common word ($W1)" "$W1"
run "two words ($W50 $W2000)" "$W50" "$W2000"
run "phrase (\"$W1 $W2\")" "\"$W1 $W2\""
run "prefix ($W300*)" "$W300*"
run "filtered (--provider --since, $W2000)" --provider claude --since 2025-01-20 "$W2000"
run "ranked, common word (--rank $W2000)" --rank "$W2000"
