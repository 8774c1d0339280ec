#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: kato at work without any assistant installed. Runs the katod
# of this build tree on a scratch HOME (a temporary directory, removed at
# the end), replays a Claude Code conversation from tests/corpus line by
# line as if it were being typed, with "::capture ~/notes/demo.md" typed
# into it, then shows the Markdown kato wrote and `kato status`, and stops
# katod. Takes a few seconds; nothing outside the scratch directory is
# touched. DEMO_KEEP=1 keeps the scratch directory; DEMO_DELAY sets the
# pause between lines (seconds, default 0.02).
set -eu

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
KATO="$top_builddir/kato"
KATOD="$top_builddir/katod"
SRC="$top_srcdir/tests/corpus/claude/yoavf-pomodoro.jsonl"
DELAY=${DEMO_DELAY:-0.02}
for f in "$KATO" "$KATOD" "$SRC"; do
	[ -e "$f" ] || { echo "demo: $f is missing (run make first)" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/kato-demo.XXXXXX")
KATOD_PID=
cleanup() {
	if [ -n "$KATOD_PID" ] && kill -0 "$KATOD_PID" 2>/dev/null; then
		kill -TERM "$KATOD_PID" 2>/dev/null || true
		for _ in $(seq 1 30); do kill -0 "$KATOD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$KATOD_PID" 2>/dev/null || true
		wait "$KATOD_PID" 2>/dev/null || true
	fi
	if [ -n "${DEMO_KEEP:-}" ]; then echo "(kept $T)"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A scratch HOME: kato's config, store and recordings go under KATO_HOME.
export HOME="$T/home" KATO_HOME="$T/kato" TZ=${TZ:-UTC}
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_DATA_HOME XDG_RUNTIME_DIR NOTIFY_SOCKET \
	CLAUDE_CONFIG_DIR CODEX_HOME KATO_CONFIG_PATH KATO_PROVIDER_PATH 2>/dev/null || true
mkdir -p "$HOME/notes" "$KATO_HOME" "$HOME/.claude/projects/-home-demo-pomodoro"
printf 'allowedWriteRoots:\n  - ~/notes\n' >"$KATO_HOME/config.yaml"

# wait_for SECONDS command...: poll every 0.1 s
wait_for() {
	local n=$(( $1 * 10 )); shift
	for _ in $(seq 1 "$n"); do "$@" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

echo "== starting katod on a scratch HOME ($T)"
# setpriv --pdeathsig: katod stops even if this script is killed with -9
PDEATH=
if command -v setpriv >/dev/null 2>&1 && setpriv --pdeathsig TERM true 2>/dev/null; then
	PDEATH="setpriv --pdeathsig TERM"
fi
$PDEATH "$KATOD" --foreground >"$T/katod.log" 2>&1 &
KATOD_PID=$!
echo "   katod pid $KATOD_PID"
if ! wait_for 10 grep -q "backfill done" "$T/katod.log"; then
	echo "demo: katod did not start:" >&2
	cat "$T/katod.log" >&2
	exit 1
fi

SID=$(grep -o '"sessionId":"[^"]*"' "$SRC" | head -1 | cut -d'"' -f4)
LOG="$HOME/.claude/projects/-home-demo-pomodoro/$SID.jsonl"
echo "== replaying a Claude Code session into $LOG"
echo "   (with ::capture ~/notes/demo.md typed after the first reply)"
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
n=0
typed=
while IFS= read -r line || [ -n "$line" ]; do
	# stamp it as written now, so kato treats it as live, not history
	line=$(printf '%s' "$line" | sed -E "s/\"timestamp\":\"[^\"]*\"/\"timestamp\":\"$(now)\"/")
	printf '%s\n' "$line" >>"$LOG"
	n=$((n + 1))
	if [ -z "$typed" ] && printf '%s' "$line" | grep -q '"type":"assistant"'; then
		printf '{"type":"user","uuid":"demo-capture","parentUuid":null,"isSidechain":false,"sessionId":"%s","timestamp":"%s","cwd":"%s","version":"2.1.39","message":{"role":"user","content":"::capture ~/notes/demo.md"}}\n' \
			"$SID" "$(now)" "$HOME" >>"$LOG"
		typed=yes
	fi
	sleep "$DELAY"
done <"$SRC"
echo "   $n lines written"

MD="$HOME/notes/demo.md"
if ! wait_for 10 test -s "$MD"; then
	echo "demo: no Markdown appeared at $MD; katod's log:" >&2
	cat "$T/katod.log" >&2
	exit 1
fi
# let the last appends land: until the file stops growing (at most 5 s)
last=-1
for _ in $(seq 1 25); do
	size=$(wc -c <"$MD")
	[ "$size" = "$last" ] && break
	last=$size
	sleep 0.2
done

echo
echo "== the Markdown kato wrote ($MD), first 40 lines:"
head -n 40 "$MD"
echo "   ... ($(wc -l <"$MD") lines in all)"
echo
echo "== kato status"
"$KATO" status -n 3
echo
echo "== stopping katod"
kill -TERM "$KATOD_PID"
for _ in $(seq 1 50); do kill -0 "$KATOD_PID" 2>/dev/null || break; sleep 0.1; done
wait "$KATOD_PID" 2>/dev/null || true
KATOD_PID=
echo "done. On your machine: katod (or systemctl --user start katod), then type"
echo "::capture ~/notes/x.md in a chat. See kato(1)."
