#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench-latency: SPEC §8's two latencies, with katod running:
#  - append: a Claude Code line appended to its session log until its text
#    is in the active recording (p95 <= 10 ms; the reference: p95 1.8 s);
#  - capture: "::capture FILE" typed in a session of MESSAGES messages
#    until FILE holds the whole conversation so far (p95 <= 10 ms).
#   N=40          appends / captures per run
#   RUNS=3        runs; one table row per run and measure
#   MESSAGES=1000 length of the conversation captured
# Prints a Markdown table (ms); LATENCY_ROWS_ONLY=1 leaves out its head.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
N=${N:-40}
RUNS=${RUNS:-3}
MESSAGES=${MESSAGES:-1000}
W=$(mktemp -d "${TMPDIR:-/tmp}/kato-latency.XXXXXX")
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"' EXIT
export KATO_PROVIDER_PATH="$top_builddir/plugins/claude/.libs"
export HOME="$W/home" KATO_HOME="$W/kato" CLAUDE_CONFIG_DIR="$W/home/.claude"
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_DATA_HOME XDG_RUNTIME_DIR NOTIFY_SOCKET

cc -O2 -o "$W/latency" "$top_srcdir/bench/latency.c"

start() {
	rm -rf "$HOME" "$KATO_HOME"
	mkdir -p "$HOME/notes" "$CLAUDE_CONFIG_DIR/projects/-bench" "$KATO_HOME"
	printf 'allowedWriteRoots:\n  - %s\n' "$HOME/notes" >"$KATO_HOME/config.yaml"
	"$top_builddir/katod" --foreground 2>"$W/katod.log" &
	PID=$!
	for _ in $(seq 1 100); do grep -q "backfill done" "$W/katod.log" && break; sleep 0.05; done
	S="$CLAUDE_CONFIG_DIR/projects/-bench/bench-latency.jsonl"
}
stop() {
	kill "$PID"
	wait "$PID" || true
	PID=
}
row() { # row WHAT RUN: read "median p95 p99 max n failures"
	local med p95 p99 max n fails
	read -r med p95 p99 max n fails
	echo "| $1 | $2 | $n | $med | $p95 | $p99 | $max |"
	[ "$fails" -eq 0 ] || { echo "$fails of them never reached the file; katod's log:" >&2; cat "$W/katod.log" >&2; exit 1; }
}

[ -n "${LATENCY_ROWS_ONLY:-}" ] || {
	echo "| measure | run | samples | p50 ms | p95 ms | p99 ms | max ms |"
	echo "|---|---|---|---|---|---|---|"
}
for r in $(seq 1 "$RUNS"); do
	start
	printf '{"type":"user","uuid":"u0","parentUuid":null,"isSidechain":false,"sessionId":"bench-latency","timestamp":"%s","cwd":"%s","version":"2.1.39","message":{"role":"user","content":"::capture %s/rec.md"}}\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$HOME" "$HOME/notes" >>"$S"
	for _ in $(seq 1 100); do [ -s "$HOME/notes/rec.md" ] && break; sleep 0.05; done
	if ! [ -s "$HOME/notes/rec.md" ]; then
		echo "katod did not start the recording; its log:" >&2
		cat "$W/katod.log" >&2
		exit 1
	fi
	"$W/latency" "$S" "$HOME/notes/rec.md" "$N" | row "append → recording" "$r"
	stop
	start
	"$W/latency" --capture "$S" "$HOME/notes" "$N" "$MESSAGES" | row "::capture, $MESSAGES messages → file" "$r"
	stop
done
