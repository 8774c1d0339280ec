# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the integration tests (sourced). Each test runs in a
# fresh temporary HOME and KATO_HOME and uses the binaries and plugins of
# the build tree.
set -eu

: "${top_srcdir:?run through make check}"
: "${top_builddir:?run through make check}"
KATO="$top_builddir/kato"
KATOD="$top_builddir/katod"
export KATO_PROVIDER_PATH="$top_builddir/plugins/claude/.libs:$top_builddir/plugins/codex/.libs:$top_builddir/plugins/gemini/.libs"
export TZ=UTC LC_ALL=C.UTF-8

T=$(mktemp -d "${TMPDIR:-/tmp}/kato-integ.XXXXXX")
export HOME="$T/home" KATO_HOME="$T/kato"
export CLAUDE_CONFIG_DIR="$HOME/.claude" CODEX_HOME="$HOME/.codex"
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_DATA_HOME XDG_RUNTIME_DIR NOTIFY_SOCKET
mkdir -p "$HOME" "$KATO_HOME"

# KATO_WRAP="valgrind ..." runs every katod and kato through that command
# (tests/reliability/valgrind.sh); WAIT_TRIES scales wait_for's 20 s.
if [ -n "${KATO_WRAP:-}" ]; then
	mkdir -p "$T/bin"
	for b in kato katod; do
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$KATO_WRAP" "$top_builddir/$b" >"$T/bin/$b"
		chmod +x "$T/bin/$b"
	done
	KATO="$T/bin/kato"
	KATOD="$T/bin/katod"
fi
KATOD_PID=
PASSED=0
FAILED=0

cleanup() {
	if [ -n "$KATOD_PID" ]; then kill -9 "$KATOD_PID" 2>/dev/null || true; fi
	if [ "$FAILED" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T"; fi
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() { # check "description" command...
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

backfills() { grep -c "backfill done" "$T/katod.log" 2>/dev/null || true; }

start_katod() {
	local before
	before=$(backfills)
	"$KATOD" --foreground --verbose >>"$T/katod.log" 2>&1 &
	KATOD_PID=$!
	# ready when this run has logged its backfill summary
	wait_for "katod ready" more_backfills_than "${before:-0}"
}

more_backfills_than() { [ "$(backfills)" -gt "$1" ]; }

stop_katod() { # stop_katod [signal]
	local sig=${1:-TERM}
	kill "-$sig" "$KATOD_PID"
	local rc=0
	wait "$KATOD_PID" || rc=$?
	KATOD_PID=
	return "$rc"
}

# wait_for "what" command... : retry for up to 20 s (WAIT_TRIES tenths)
wait_for() {
	local what=$1; shift
	local i
	for i in $(seq 1 "${WAIT_TRIES:-200}"); do
		if "$@" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "timed out waiting for: $what" >&2
	return 1
}

# Events of a session as JSONL from the store.
events_of() { "$KATO" export "$1" --format jsonl; }
