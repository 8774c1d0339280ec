#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# kato search and kato sessions as a user sees them: on a terminal (a
# pty through script(1)) and not, filters, JSON lines, bad input, and a
# store that is not a kato store, from every command and from katod.
. "$(dirname "$0")/lib.sh"

# claude_log FILE SESSION CWD TIME USER-TEXT ASSISTANT-TEXT
claude_log() {
	printf '{"type":"user","uuid":"%s-u","sessionId":"%s","cwd":"%s","timestamp":"%s","message":{"role":"user","content":"%s"}}\n' \
		"$2" "$2" "$3" "$4" "$5" >"$1"
	printf '{"type":"assistant","uuid":"%s-a","parentUuid":"%s-u","sessionId":"%s","cwd":"%s","timestamp":"%s","message":{"role":"assistant","model":"claude-x","content":[{"type":"text","text":"%s"}]}}\n' \
		"$2" "$2" "$2" "$3" "$4" "$6" >>"$1"
}

mkdir -p "$T/logs"
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
claude_log "$T/logs/a.jsonl" s-zebra /work/proj "2025-01-10T10:00:00.000Z" \
	"Why does the zebra parser crash?" "The zebra parser frees the buffer twice."
claude_log "$T/logs/b.jsonl" s-wide /work/proj/sub "2025-06-01T10:00:00.000Z" \
	"日本語のタイトルはとても長いです、本当に長いタイトルです zebra" "はい、zebra です。"
claude_log "$T/logs/c.jsonl" s-new /elsewhere "$NOW" \
	"Crème brûlée and a red \\u0007\\u001b[31mescape\\u001b[0m okapi" "An okapi answer."
check "import the logs" "$KATO" import -q --provider claude "$T/logs/a.jsonl" "$T/logs/b.jsonl" "$T/logs/c.jsonl"
cp -r "$top_srcdir/tests/corpus/claude/yoavf-pomodoro.jsonl" "$T/logs/p.jsonl"
check "import a corpus log" "$KATO" import -q "$T/logs/p.jsonl"

has_esc() { grep -q $'\033' "$@"; }
no_trailing_space() { ! grep -q ' $' "$1"; }
# every line of $1 at most $2 display columns (UTF-8 aware: wc -L)
fits() { [ "$(sed 's/\x1b\[[0-9;]*m//g' "$1" | tr -d '\r' | wc -L)" -le "$2" ]; }

# ---- search, not a terminal
check "search: exit 0" bash -c "'$KATO' search zebra >'$T/s.out' 2>'$T/s.err'"
check "search: four hits, two lines each" [ "$(wc -l <"$T/s.out")" -eq 8 ]
check "search: no escape codes when not a terminal" bash -c "! grep -q \$'\\033' '$T/s.out'"
check "search: hit line has id prefix, time, speaker and title" \
	grep -Eq '^[0-9a-f]{8}  2025-01-10 10:00  (user|assistant) +Why does the zebra parser crash\?$' "$T/s.out"
check "search: snippet line, indented" grep -q '^    The zebra parser frees the buffer twice\.$' "$T/s.out"
check "search: nothing on stderr" [ ! -s "$T/s.err" ]
check "search: no control character reaches the output" bash -c \
	"'$KATO' search okapi | grep -q 'a red .*escape.* okapi' && ! '$KATO' search okapi | grep -q \$'[\\033\\a]'"

# ---- search on a terminal: bold matches, cut to the width
if script -qc true /dev/null >/dev/null 2>&1; then
	COLUMNS=50 script -qc "'$KATO' search zebra" /dev/null >"$T/tty.out"
	check "search tty: matches in bold" grep -q $'\033\\[1mzebra\033\\[22m' "$T/tty.out"
	check "search tty: lines fit 50 columns" fits "$T/tty.out" 50
	COLUMNS=50 script -qc "'$KATO' sessions" /dev/null >"$T/ttys.out"
	check "sessions tty: lines fit 50 columns" fits "$T/ttys.out" 50
	check "sessions tty: title cut with …" grep -q '…' "$T/ttys.out"
	check "sessions tty: no trailing spaces" bash -c "! tr -d '\\r' <'$T/ttys.out' | grep -q ' \$'"
	COLUMNS=50 script -qc "'$KATO' search nothingmatchesthis" /dev/null >"$T/tty0.out"
	check "search tty: says when nothing matched" grep -q 'no matches' "$T/tty0.out"
else
	ok "# skip: no script(1) for a pty"
fi

# ---- search --json
"$KATO" search --json zebra >"$T/j.out"
check "search --json: one object per line" [ "$(grep -c '^{.*}$' "$T/j.out")" -eq 4 ]
for k in session provider providerSessionId seq time speaker title snippet highlights; do
	check "search --json: every line has \"$k\"" [ "$(grep -c "\"$k\":" "$T/j.out")" -eq 4 ]
done
check "search --json: highlights as code point offsets" grep -q '"snippet":"The zebra parser frees the buffer twice.","highlights":\[\[4,9\]\]' "$T/j.out"
check "search --json: highlights count code points, not bytes" \
	bash -c "'$KATO' search --json 'はい' | grep -q '\"highlights\":\[\[0,2\]\]'"

# ---- filters
check "search --provider" [ "$("$KATO" search --provider codex zebra | wc -l)" -eq 0 ]
check "search --since" [ "$("$KATO" search --since 2025-03-01 zebra | wc -l)" -eq 4 ]
check "search --session" [ "$("$KATO" search --session claude:s-wide zebra | wc -l)" -eq 4 ]
check "search -n 1" [ "$("$KATO" search -n 1 zebra | wc -l)" -eq 2 ]
check "search phrase" [ "$("$KATO" search '"frees the buffer"' | wc -l)" -eq 2 ]

# ---- bad input: one line, exit 2
for q in 'zebra AND' '"open' 'NEAR(' 'nocol:x' '*'; do
	rc=0
	"$KATO" search "$q" >"$T/b.out" 2>"$T/b.err" || rc=$?
	check "bad query '$q': exit 2, one line naming it" bash -c \
		"[ $rc -eq 2 ] && [ \$(wc -l <'$T/b.err') -eq 1 ] && grep -qF 'kato search: bad query \"$q\"' '$T/b.err' && ! grep -qi 'sqlite\|fts5:' '$T/b.err' && [ ! -s '$T/b.out' ]"
done
rc=0
"$KATO" search >/dev/null 2>"$T/b.err" || rc=$?
check "search without a query: usage error" [ $rc -eq 2 ]
for cmd in "search --since yesterday zebra" "sessions --since 2025-13-01" "sessions --since 7x" "sessions -n 0"; do
	rc=0
	$KATO $cmd >/dev/null 2>"$T/b.err" || rc=$?
	check "kato $cmd: exit 2, one line" bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$T/b.err') -eq 1 ]"
done

# ---- sessions, not a terminal
"$KATO" sessions >"$T/l.out"
check "sessions: header and 4 rows" [ "$(wc -l <"$T/l.out")" -eq 5 ]
check "sessions: header" grep -Eq '^ID +PROVIDER +LAST ACTIVE +EVENTS +TITLE$' "$T/l.out"
check "sessions: nothing cut when not a terminal" grep -q '本当に長いタイトルです zebra$' "$T/l.out"
check "sessions: no trailing spaces" no_trailing_space "$T/l.out"
check "sessions: no escape codes" bash -c "! grep -q \$'\\033' '$T/l.out'"
check "sessions --provider" [ "$("$KATO" sessions --provider gemini | wc -l)" -eq 1 ]
check "sessions --since 1d" [ "$("$KATO" sessions --since 1d | wc -l)" -eq 2 ]
check "sessions --since ISO" [ "$("$KATO" sessions --since 2025-05-31T23:00:00Z | wc -l)" -eq 4 ]
check "sessions --cwd DIR (and below)" [ "$("$KATO" sessions --cwd /work/proj | wc -l)" -eq 3 ]
check "sessions --cwd DIR/ (not a prefix of a name)" [ "$("$KATO" sessions --cwd /work/pro | wc -l)" -eq 1 ]
check "sessions -n 1: the most recent" bash -c "'$KATO' sessions -n 1 | tail -1 | grep -q okapi"
"$KATO" sessions --json >"$T/lj.out"
check "sessions --json: one object per line" [ "$(grep -c '^{.*}$' "$T/lj.out")" -eq 4 ]
for k in id provider providerSessionId parentSessionId title displayTitle snippet cwd model firstEventAt lastEventAt events; do
	check "sessions --json: every line has \"$k\"" [ "$(grep -c "\"$k\":" "$T/lj.out")" -eq 4 ]
done
check "sessions --json: null for absent" grep -q '"parentSessionId":null' "$T/lj.out"

# ---- not a kato store: the same message everywhere
DB="$KATO_HOME/kato.db"
expect_not_store() { # what
	local out
	for cmd in "sessions" "search zebra" "export s-zebra" "status"; do
		out=$("$KATO" $cmd 2>&1 >/dev/null || true)
		check "$1: kato $cmd says not a kato store" grep -qx "kato: not a kato store: $DB: .*; move it aside and re-import" <<<"$out"
	done
	out=$("$KATO" import -q --provider claude "$T/logs/a.jsonl" 2>&1 >/dev/null || true)
	check "$1: kato import says not a kato store" grep -q "not a kato store: $DB: .*; move it aside and re-import" <<<"$out"
	out=$(timeout 10 "$KATOD" --foreground 2>&1 || true)
	check "$1: katod says not a kato store and exits" grep -q "not a kato store: $DB: .*; move it aside and re-import" <<<"$out"
}
rm -f "$DB" "$DB-wal" "$DB-shm"
head -c 65536 /dev/urandom >"$DB"
expect_not_store "random bytes"
if command -v sqlite3 >/dev/null; then
	rm -f "$DB"
	sqlite3 "$DB" 'CREATE TABLE moz_places(id INTEGER PRIMARY KEY, url TEXT);'
	expect_not_store "another application's database"
fi
rm -f "$DB"
"$KATO" import -q --provider claude "$T/logs/a.jsonl"
head -c 1000 "$DB" >"$T/trunc" && mv "$T/trunc" "$DB" && rm -f "$DB-wal" "$DB-shm"
expect_not_store "a truncated store"

finish
