#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reliability part 3: hostile files dropped into watched provider
# directories while katod runs and a normal Claude session keeps growing:
# lines of 64 MiB and of just over 256 MiB (the limit: skipped and
# counted), 200,000-deep JSON nesting, invalid UTF-8, a lone surrogate,
# an escaped NUL, random bytes, a FIFO named x.jsonl, a symlink y.jsonl to
# /dev/zero, and a file that shrinks and grows while it is read.
# After each: katod still runs, the normal session's next line is stored
# within 5 s, peak RSS (VmHWM) stays under 2x the biggest line + 64 MiB,
# and where the text is kept it is exact. SIGTERM must end katod within
# 1 s at several moments (measured). Every wait is bounded: a check that
# hangs fails and the harness goes on (with a fresh katod when needed).
#   HOSTILE_BIG_MIB=N (default 64)  HOSTILE_HUGE=0 skips the 256 MiB line
. "$(cd "$(dirname "$0")" && pwd)/env.sh"
. "$top_srcdir/tests/lib.sh"
set -o pipefail

BIG=$((${HOSTILE_BIG_MIB:-64} * 1024 * 1024))
HUGE=$((256 * 1024 * 1024 + 4096))
P="$CLAUDE_CONFIG_DIR/projects/-hostile"
mkdir -p "$P" "$HOME/.gemini/tmp/abc/chats" "$CODEX_HOME/sessions/$(date -u +%Y/%m/%d)"
NORMAL=99999999-0000-4000-8000-000000000000
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
TICK=0
FFFD=$(printf '\357\277\275')

# user_line SID TEXT-AS-JSON: one Claude user line (TEXT already escaped).
user_line() {
	printf '{"type":"user","uuid":"u-%s","parentUuid":null,"isSidechain":false,"sessionId":"%s","timestamp":"%s","cwd":"/tmp","version":"2.1.39","message":{"role":"user","content":"%s"}}\n' \
		"$RANDOM$RANDOM" "$1" "$(now)" "$2"
}

# tick: the normal session gets a line; it must be in the store within 5 s.
tick() {
	TICK=$((TICK + 1))
	user_line "$NORMAL" "alive-$TICK" >>"$P/$NORMAL.jsonl"
	local i
	for i in $(seq 1 50); do
		if timeout 5 "$KATO" export "$NORMAL" --format jsonl 2>/dev/null | grep -q "\"alive-$TICK\""; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$KATOD_PID/status" 2>/dev/null || echo 0; }
alive() { [ -n "$KATOD_PID" ] && kill -0 "$KATOD_PID" 2>/dev/null; }

# ensure_katod: a running katod; a hung or dead one is replaced (noted).
ensure_katod() {
	if alive; then return 0; fi
	if [ -n "$KATOD_PID" ]; then
		local rc=0
		wait "$KATOD_PID" || rc=$?
		echo "# katod had ended (status $rc); starting a new one"
		KATOD_PID=
	fi
	start_katod || echo "# katod did not report ready within 20 s"
}
restart_katod() {
	if alive; then kill -9 "$KATOD_PID"; wait "$KATOD_PID" 2>/dev/null || true; fi
	KATOD_PID=
	start_katod || echo "# katod did not report ready within 20 s"
}

# term_check WHEN: SIGTERM must end katod within 1 s; then a new one.
term_check() {
	local when=$1 t0 t1 ms rc=0 i
	if ! alive; then
		not_ok "SIGTERM $when: katod was not running"
		ensure_katod
		return
	fi
	t0=$(date +%s%N)
	kill -TERM "$KATOD_PID"
	for i in $(seq 1 100); do
		kill -0 "$KATOD_PID" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$KATOD_PID/status" 2>/dev/null || break
		sleep 0.01
		[ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 1000 ] && break
	done
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	if kill -0 "$KATOD_PID" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$KATOD_PID/status" 2>/dev/null; then
		not_ok "SIGTERM $when: katod still running after ${ms} ms (killed)"
		kill -9 "$KATOD_PID"
		wait "$KATOD_PID" 2>/dev/null || true
	else
		wait "$KATOD_PID" || rc=$?
		echo "# SIGTERM $when: exited in ${ms} ms, status $rc"
		check "SIGTERM $when: exit within 1 s (${ms} ms) with status 0 ($rc)" \
			bash -c "[ $ms -le 1000 ] && [ $rc -eq 0 ]"
	fi
	KATOD_PID=
	start_katod || echo "# katod did not report ready within 20 s"
}

# after WHAT LIMIT_KIB: the common checks after a hostile file.
after() {
	local what=$1 limit=$2 hwm
	sleep 1
	check "$what: katod still runs" alive
	check "$what: the normal session is still ingested within 5 s" tick
	hwm=$(hwm_kib)
	echo "# $what: VmHWM $((hwm / 1024)) MiB (limit $((limit / 1024)) MiB)"
	check "$what: peak RSS $((hwm / 1024)) MiB <= $((limit / 1024)) MiB" [ "$hwm" -le "$limit" ]
}

# wait_stored SID PATTERN SECONDS: the export of SID matches within the
# time (wall clock: one export of a huge event may itself take seconds).
wait_stored() {
	local end=$((SECONDS + $3)) left
	while [ "$SECONDS" -lt "$end" ]; do
		left=$((end - SECONDS))
		[ "$left" -gt 0 ] || left=1
		timeout "$left" "$KATO" export "$1" --format jsonl 2>/dev/null | grep -qF -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

BASE_KIB=$((64 * 1024)) # the fixed budget
start_katod
check "the normal session is ingested" tick

# ---- a 64 MiB line (a user message of BIG bytes of text)
S1=11111111-6464-4000-8000-000000000000
BIGLEN=$(python3 - "$P/$S1.jsonl" "$S1" "$BIG" "$(now)" <<'PY'
import sys
path, sid, n, ts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
head = '{"type":"user","uuid":"big","parentUuid":null,"isSidechain":false,"sessionId":"%s","timestamp":"%s","cwd":"/tmp","version":"2.1.39","message":{"role":"user","content":"' % (sid, ts)
tail = '"}}\n'
text = "BIGSTART" + "x" * (n - len(head) - len(tail) - 14) + "BIGEND"
with open(path, "w") as f:
    f.write(head + text + tail)
print(len(text))
PY
)
check "64 MiB line: stored within 30 s" wait_stored "$S1" BIGEND 30
check "64 MiB line: the text is exact ($BIGLEN bytes, both ends)" bash -c \
	"timeout 60 \"$KATO\" export $S1 --format jsonl | jq -e 'select(.kind==\"message.user\") | .content | (length == $BIGLEN and startswith(\"BIGSTART\") and endswith(\"BIGEND\"))' >/dev/null"
after "64 MiB line" $((2 * BIG / 1024 + BASE_KIB))
BIGGEST=$BIG

# SIGTERM while a big line is being read
S1b=11111111-6465-4000-8000-000000000000
python3 -c "
import sys
sys.stdout.write('{\"type\":\"user\",\"uuid\":\"big2\",\"sessionId\":\"$S1b\",\"timestamp\":\"$(now)\",\"message\":{\"role\":\"user\",\"content\":\"' + 'y' * $BIG + '\"}}\n')" >"$P/$S1b.jsonl"
term_check "right after a 64 MiB line was written"

# ---- a line just over 256 MiB: skipped and counted, never held whole
if [ "${HOSTILE_HUGE:-1}" != 0 ]; then
	restart_katod # a fresh VmHWM
	S2=22222222-2560-4000-8000-000000000000
	python3 -c "
import sys
h = '{\"type\":\"user\",\"uuid\":\"huge\",\"sessionId\":\"$S2\",\"timestamp\":\"$(now)\",\"message\":{\"role\":\"user\",\"content\":\"'
t = '\"}}\n'
sys.stdout.write(h + 'z' * ($HUGE - len(h) - len(t)) + t)" >"$P/$S2.jsonl"
	user_line "$S2" "after-the-huge-line" >>"$P/$S2.jsonl"
	check "256 MiB + 4 KiB line: the next line of the file is stored within 60 s" \
		wait_stored "$S2" after-the-huge-line 60
	check "256 MiB + 4 KiB line: not stored" bash -c \
		"! timeout 60 \"$KATO\" export $S2 --format jsonl | grep -q zzzzzzzz"
	check "256 MiB + 4 KiB line: skipped and counted (log or status)" bash -c \
		"grep -iE 'skip|too long|limit' '$T/katod.log' | grep -q '$S2' || \"$KATO\" status 2>/dev/null | grep -iqE 'skip.*[1-9]|too long'"
	after "256 MiB + 4 KiB line" $((2 * HUGE / 1024 + BASE_KIB))
	term_check "after the 256 MiB line"
	rm -f "$P/$S2.jsonl"
fi

# ---- 200,000-deep JSON nesting
restart_katod
python3 -c "print('{\"type\":\"user\",\"message\":' + '[' * 200000 + ']' * 200000 + '}')" >"$P/deep-1.jsonl"
python3 -c "print('{\"a\":' * 200000 + '1' + '}' * 200000)" >>"$P/deep-1.jsonl"
after "200,000-deep nesting" $((2 * 2 * 1024 + BASE_KIB))
term_check "after the deep nesting"

# ---- invalid UTF-8, a lone surrogate, an escaped NUL: text kept exactly
S3=33333333-0000-4000-8000-000000000000
{
	user_line "$S3" "$(printf 'bad-utf8 <\377\376> end')"
	user_line "$S3" 'lone <\ud800> surrogate'
	user_line "$S3" 'nul <\u0000> byte'
} >>"$P/$S3.jsonl"
check "invalid UTF-8, surrogate, NUL: stored within 5 s" wait_stored "$S3" "byte" 5
timeout 10 "$KATO" export "$S3" --format jsonl >"$T/s3.jsonl" 2>/dev/null || true
timeout 10 "$KATO" export "$S3" >"$T/s3.md" 2>/dev/null || true
check "escaped NUL: the JSONL export keeps it as \\u0000 (text not cut)" grep -qF 'nul <\u0000> byte' "$T/s3.jsonl"
check "JSONL export is valid UTF-8" bash -c "iconv -f UTF-8 -t UTF-8 '$T/s3.jsonl' >/dev/null"
check "Markdown export is valid UTF-8" bash -c "iconv -f UTF-8 -t UTF-8 '$T/s3.md' >/dev/null"
check "invalid UTF-8: U+FFFD in the Markdown" grep -qF "bad-utf8 <$FFFD" "$T/s3.md"
check "lone surrogate: U+FFFD in the Markdown" grep -qF "lone <$FFFD> surrogate" "$T/s3.md"
check "escaped NUL: U+FFFD in the Markdown, the text goes on" grep -qF "nul <$FFFD> byte" "$T/s3.md"
after "invalid UTF-8, surrogate, NUL" $((BIGGEST * 2 / 1024 + BASE_KIB))

# ---- random bytes, in each provider's directory
head -c $((4 * 1024 * 1024)) /dev/urandom >"$P/random-1.jsonl"
head -c $((1024 * 1024)) /dev/urandom >"$CODEX_HOME/sessions/$(date -u +%Y/%m/%d)/rollout-2026-01-01T00-00-00-0199ffff-0000-7000-8000-000000000000.jsonl"
head -c $((1024 * 1024)) /dev/urandom >"$HOME/.gemini/tmp/abc/chats/session-2026-01-01T00-00-random.json"
head -c $((1024 * 1024)) /dev/urandom >"$HOME/.gemini/tmp/abc/chats/session-2026-01-01T00-01-random.jsonl"
after "random bytes" $((BIGGEST * 2 / 1024 + BASE_KIB))

# ---- a file that shrinks and grows while it is read; the store must end
# with every event of the final file exactly once (a one-shot import)
S4=44444444-0000-4000-8000-000000000000
F4="$P/$S4.jsonl"
for r in $(seq 1 15); do
	for i in $(seq 1 40); do user_line "$S4" "round-$r-line-$i"; done >>"$F4"
	sleep 0.05
	head -n 10 "$F4" >"$T/f4" && cat "$T/f4" >"$F4" # shrink in place
	for i in $(seq 1 5); do user_line "$S4" "regrow-$r-$i"; done >>"$F4"
done
user_line "$S4" "shrink-final" >>"$F4"
check "shrinking file: its last line is stored within 10 s" wait_stored "$S4" shrink-final 10
after "shrinking and growing file" $((BIGGEST * 2 / 1024 + BASE_KIB))
mkdir -p "$T/ref"
KATO_HOME="$T/ref" timeout 60 "$KATO" import -q "$F4" || true
KATO_HOME="$T/ref" timeout 60 "$KATO" export "$S4" --format jsonl 2>/dev/null | jq -c '.content' | sort >"$T/want4"
timeout 60 "$KATO" export "$S4" --format jsonl 2>/dev/null | jq -c '.content' | sort >"$T/got4"
check "shrinking file: every line of the final file is stored ($(wc -l <"$T/want4") lines)" \
	bash -c "[ -z \"\$(comm -23 '$T/want4' '$T/got4')\" ]"
check "shrinking file: nothing stored twice" bash -c "[ -z \"\$(uniq -d '$T/got4')\" ]"
term_check "after the shrinking file"

# ---- a FIFO named x.jsonl (known to block katod on main)
mkfifo "$P/x.jsonl"
after "FIFO x.jsonl" $((BIGGEST * 2 / 1024 + BASE_KIB))
term_check "with a FIFO in a watched directory"
rm -f "$P/x.jsonl"
restart_katod

# ---- a symlink y.jsonl to /dev/zero (known to spin on main)
ln -s /dev/zero "$P/y.jsonl"
sleep 1
ensure_katod
cpu0=$(awk '{print $14 + $15}' "/proc/$KATOD_PID/stat" 2>/dev/null || echo 0)
sleep 3
cpu1=$(awk '{print $14 + $15}' "/proc/$KATOD_PID/stat" 2>/dev/null || echo 0)
tps=$(getconf CLK_TCK)
echo "# symlink to /dev/zero: katod used $(( (cpu1 - cpu0) * 1000 / tps )) ms of CPU in 3 s"
check "symlink to /dev/zero: katod does not spin (< 300 ms CPU in 3 s)" [ $(( (cpu1 - cpu0) * 1000 / tps )) -lt 300 ]
after "symlink y.jsonl -> /dev/zero" $((BIGGEST * 2 / 1024 + BASE_KIB))
term_check "with a symlink to /dev/zero in a watched directory"
rm -f "$P/y.jsonl"

if alive; then stop_katod TERM || true; fi
finish
