#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench: backfill throughput of `kato import` against a bare json-c
# parse of the same bytes, and peak memory. Medians of RUNS runs.
#   BENCH_COPIES=N   how many copies of the JSONL corpus to import (default 8)
#   RUNS=N           runs per measurement (default 5)
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
COPIES=${BENCH_COPIES:-8}
RUNS=${RUNS:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/kato-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KATO_PROVIDER_PATH="$top_builddir/plugins/claude/.libs:$top_builddir/plugins/codex/.libs:$top_builddir/plugins/gemini/.libs"

cc -O2 -o "$W/jsonc-baseline" "$top_srcdir/bench/jsonc_baseline.c" $(pkg-config --cflags --libs json-c)

# The corpus, copied COPIES times under fresh session ids (file names),
# laid out as each provider does.
mkdir -p "$W/data/claude" "$W/data/codex"
for c in $(seq 1 "$COPIES"); do
	for f in "$top_srcdir"/tests/corpus/claude/*.jsonl; do
		cp -p "$f" "$W/data/claude/$(printf '%08d' "$c")-$(basename "$f")"
	done
	for f in "$top_srcdir"/tests/corpus/codex/*.jsonl; do
		cp -p "$f" "$W/data/codex/rollout-$c-$(basename "$f")"
	done
done
mapfile -t files < <(find "$W/data" -name '*.jsonl' | sort)
mb=$(du -cm "${files[@]}" | tail -1 | cut -f1)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

base=()
for r in $(seq 1 "$RUNS"); do base+=("$("$W/jsonc-baseline" "${files[@]}" | cut -d' ' -f3)"); done
base_s=$(printf '%s\n' "${base[@]}" | median)

imp=()
rss=()
for r in $(seq 1 "$RUNS"); do
	rm -rf "$W/home"
	mkdir -p "$W/home"
	start=$(date +%s.%N)
	KATO_HOME="$W/home" "$top_builddir/kato" import -q "${files[@]}" &
	pid=$!
	peak=0
	while kill -0 "$pid" 2>/dev/null; do
		k=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "${k:-0}" -gt "$peak" ] && peak=$k
		sleep 0.02
	done
	wait "$pid"
	end=$(date +%s.%N)
	imp+=("$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')")
	rss+=("$peak")
done
imp_s=$(printf '%s\n' "${imp[@]}" | median)
rss_k=$(printf '%s\n' "${rss[@]}" | median)

# Re-import with nothing new: cursors, not re-parsing.
start=$(date +%s.%N)
KATO_HOME="$W/home" "$top_builddir/kato" import -q "${files[@]}"
end=$(date +%s.%N)
again=$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')

# katod on the same files: restart with nothing new, then idle cost.
mkdir -p "$W/home/cfg"
printf 'providerSessionRoots:\n  claude: [%s]\n  codex: [%s]\n  gemini: [%s]\n' \
	"$W/data/claude" "$W/data/codex" "$W/nothing" >"$W/home/config.yaml"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
KATO_HOME="$W/home" "$top_builddir/katod" --foreground 2>"$W/katod.log" &
kpid=$!
t0=$(date +%s.%N)
until grep -q "backfill done" "$W/katod.log"; do sleep 0.01; done
t1=$(date +%s.%N)
restart=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
sleep 1
before=$(ticks "$kpid")
sleep 10
after=$(ticks "$kpid")
idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$kpid/status")
kill -TERM "$kpid"
wait "$kpid" || true

printf 'corpus: %d files, %d MB (%d copies of tests/corpus claude+codex)\n' "${#files[@]}" "$mb" "$COPIES"
calc() { awk "BEGIN {print $1}"; }
printf 'bare json-c parse:      median %.3f s  (%.0f MB/s)\n' "$base_s" "$(calc "$mb / $base_s")"
printf 'kato import (1 core):   median %.3f s  (%.0f MB/s)\n' "$imp_s" "$(calc "$mb / $imp_s")"
printf 'ratio import/json-c speed: %.2f (SPEC target >= 0.8)\n' "$(calc "$base_s / $imp_s")"
printf 'kato import peak RSS:   median %.1f MiB\n' "$(calc "$rss_k / 1024")"
printf 're-import, nothing new: %.3f s\n' "$again"
printf 'katod restart, nothing new (%d files known): %.3f s to watching\n' "${#files[@]}" "$restart"
printf 'katod idle: %d CPU ticks (1/100 s) in 10 s, RSS %.1f MiB\n' "$((after - before))" "$(calc "$idle_rss / 1024")"
