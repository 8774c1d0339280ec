#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPEC §8: "No line length limit below 256 MiB; one huge line costs at most
# about 2x its size plus a fixed budget." Imports a Claude file holding one
# huge user message (and one holding one huge tool result), reads the peak
# RSS of `kato import` and checks the stored text is complete.
#
# Slow (seconds per size, up to ~1.5 GiB of RAM for the 256 MiB line before
# the fixes): not part of make check. Run: make hugeline
# Sizes in MiB: HUGELINE_SIZES (default "64 100 256"), HUGELINE_RESULT_SIZES
# (default "100"), HUGELINE_CODEX_SIZES and HUGELINE_GEMINI_SIZES (a Codex
# event_msg user_message, a Gemini JSONL user message; default "100").
# HUGELINE_BUDGET_MIB: the fixed budget (default 48).
. "$(dirname "$0")/lib.sh"

SIZES=${HUGELINE_SIZES-64 100 256}
RESULT_SIZES=${HUGELINE_RESULT_SIZES-100}
CODEX_SIZES=${HUGELINE_CODEX_SIZES-100}
GEMINI_SIZES=${HUGELINE_GEMINI_SIZES-100}
# The fixed budget: what `kato import` of a tiny file peaks at (binary,
# libc, json-c, SQLite with its page cache, three plugins: ~10 MiB), the
# reader's 1 MiB read chunk, SQLite's WAL and page buffers while it writes a
# row spanning many overflow pages, and allocator slack.
BUDGET_MIB=${HUGELINE_BUDGET_MIB:-48}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "hugeline: needs GNU time (/usr/bin/time; Debian package 'time')"; exit 77; }

# write_line FILE BYTES KIND NAME: one line whose text (KIND message or
# result: a Claude user message or tool result; codex or gemini: a user
# message) is BYTES of 'Q' (a letter no other field holds), just under
# BYTES+200 in all; a Codex or Gemini file starts with its session line
# (session id NAME).
write_line() {
	local f=$1 n=$2 kind=$3 name=$4
	{
		if [ "$kind" = codex ]; then
			printf '{"timestamp":"2026-01-01T00:00:00.000Z","type":"session_meta","payload":{"id":"%s","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/tmp","originator":"codex_cli_rs","cli_version":"0.146.0"}}\n' "$name"
			printf '{"timestamp":"2026-01-01T00:00:01.000Z","type":"event_msg","payload":{"type":"user_message","message":"'
		elif [ "$kind" = gemini ]; then
			printf '{"sessionId":"%s","projectHash":"x","startTime":"2026-01-01T00:00:00.000Z","lastUpdated":"2026-01-01T00:00:00.000Z","kind":"main"}\n' "$name"
			printf '{"id":"g-user-1","timestamp":"2026-01-01T00:00:01.000Z","type":"user","content":[{"text":"'
		elif [ "$kind" = result ]; then
			printf '{"type":"assistant","uuid":"h0","timestamp":"2026-01-01T00:00:00.000Z","message":{"id":"m","content":[{"type":"tool_use","id":"tu","name":"Bash","input":{"command":"cat"}}]}}\n'
			printf '{"type":"user","uuid":"h1","timestamp":"2026-01-01T00:00:01.000Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu","content":"'
		else
			printf '{"type":"user","uuid":"h1","timestamp":"2026-01-01T00:00:01.000Z","message":{"role":"user","content":"'
		fi
		head -c "$n" /dev/zero | tr '\0' Q
		case $kind in
		result) printf '"}]}}\n' ;;
		codex) printf '"}}\n' ;;
		gemini) printf '"}]}\n' ;;
		*) printf '"}}\n' ;;
		esac
	} >"$f"
}

# peak_kib CMD...: run CMD, print its peak RSS in KiB
peak_kib() {
	"$TIME" -f '%M' -o "$T/time.out" "$@" >/dev/null
	tail -1 "$T/time.out"
}

measure() { # measure MIB KIND
	local mib=$1 kind=$2
	local n=$((mib * 1048576 - 4096)) # the whole line stays under MIB MiB
	local name="huge-$kind-$mib"
	local f="$T/$name.jsonl"
	case $kind in
	codex) f="$T/rollout-2026-01-01T00-00-00-$name.jsonl" ;;
	gemini) mkdir -p "$T/chats" && f="$T/chats/session-2026-01-01T00-00-$name.jsonl" ;;
	esac
	rm -rf "$KATO_HOME" && mkdir -p "$KATO_HOME"
	write_line "$f" "$n" "$kind" "$name"
	local line
	line=$(tail -1 "$f" | wc -c)
	local peak
	peak=$(peak_kib "$KATO" import "$f")
	local limit=$(((2 * line / 1024) + BUDGET_MIB * 1024))
	echo "# $kind line of $((line / 1048576)) MiB ($line bytes): peak RSS $((peak / 1024)) MiB" \
		"($(awk -v p="$peak" -v l="$line" 'BEGIN { printf "%.2f", p * 1024 / l }')x the line)," \
		"limit 2x + $BUDGET_MIB MiB = $((limit / 1024)) MiB"
	check "$kind line of $mib MiB: peak RSS within 2x + ${BUDGET_MIB} MiB" [ "$peak" -le "$limit" ]
	local got
	got=$("$KATO" export "$name" --format jsonl | tr -cd Q | wc -c)
	check "$kind line of $mib MiB: the stored text is complete ($got of $n bytes)" [ "$got" -eq "$n" ]
	rm -f "$f"
}

# the fixed part, for the record
printf '{"type":"user","uuid":"h1","timestamp":"2026-01-01T00:00:01.000Z","message":{"role":"user","content":"hi"}}\n' >"$T/tiny.jsonl"
echo "# baseline: importing a tiny file peaks at $(($(peak_kib "$KATO" import "$T/tiny.jsonl") / 1024)) MiB"

for mib in $SIZES; do measure "$mib" message; done
for mib in $RESULT_SIZES; do measure "$mib" result; done
for mib in $CODEX_SIZES; do measure "$mib" codex; done
for mib in $GEMINI_SIZES; do measure "$mib" gemini; done

finish
