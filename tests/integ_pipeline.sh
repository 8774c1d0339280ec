#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# katod's threaded backfill (src/pipeline.c: parsing workers, the store on
# katod's thread) stores exactly what the single-threaded one
# (KATOD_ONE_THREAD=1) stores, with one, two or three workers: the JSONL and Markdown
# export of every session are byte-identical, on the committed corpus
# and on a generated multi-provider one (unicode, a > 1 MiB event written
# in slices, a line that is not JSON, an unterminated last line).
. "$top_srcdir/tests/lib.sh"

C="$top_srcdir/tests/corpus"
R="$T/roots"
# the committed corpus, named and laid out as each provider does
n=0
for f in "$C"/claude/*.jsonl; do
	n=$((n + 1))
	mkdir -p "$R/claude/-corpus"
	cp "$f" "$R/claude/-corpus/$(printf '%08d-0000-4000-8000-%012d' "$n" "$n").jsonl"
done
for f in "$C"/codex/*.jsonl; do
	n=$((n + 1))
	mkdir -p "$R/codex/2025/01/01"
	cp "$f" "$R/codex/2025/01/01/rollout-2025-01-01T00-00-00-$(printf '%08d-0000-4000-8000-%012d' "$n" "$n").jsonl"
done
mkdir -p "$R/gemini/corpus/chats"
for f in "$C"/gemini/*.json "$C"/gemini/*.jsonl; do
	n=$((n + 1))
	case $f in *.jsonl) ext=jsonl ;; *) ext=json ;; esac
	cp "$f" "$R/gemini/corpus/chats/session-2025-01-01T00-00-$(printf '%08d' "$n").$ext"
done
"$top_srcdir/tests/gen_corpus.sh" "$R" 8 80

run() { # run HOME [env...]: backfill the roots into the store at HOME, then dump it
	local home=$1; shift
	mkdir -p "$home"
	printf 'providerSessionRoots:\n  claude: [%s]\n  codex: [%s]\n  gemini: [%s]\n' \
		"$R/claude" "$R/codex" "$R/gemini" >"$home/config.yaml"
	env "$@" KATO_HOME="$home" "$KATOD" --foreground --verbose >"$home/katod.log" 2>&1 &
	KATOD_PID=$!
	wait_for "backfill of $home" grep -q "backfill done" "$home/katod.log"
	stop_katod
	KATO_HOME="$home" "$top_srcdir/tests/store_dump.sh" "$KATO" >"$home.dump"
}
run "$T/two" KATOD_WORKERS=2
run "$T/one" KATOD_ONE_THREAD=1
run "$T/w1" KATOD_WORKERS=1
run "$T/w3" KATOD_WORKERS=3

check "the threaded backfill ran on two workers" grep -q "backfill: files are parsed on 2 more thread(s)" "$T/two/katod.log"
check "... and on three" grep -q "backfill: files are parsed on 3 more thread(s)" "$T/w3/katod.log"
check "the single-threaded backfill did not" sh -c "! grep -q 'files are parsed on' '$T/one/katod.log'"
sessions=$(grep -c '^=== .* jsonl$' "$T/two.dump" || true)
check "every session is in the store ($sessions)" [ "$sessions" -ge 40 ]
check "the big event is stored whole" awk 'length > 1200000 && /"kind":"tool.result"/ {f = 1} END {exit !f}' "$T/two.dump"
check "same backfill summary" [ "$(grep -o 'backfill done: .*' "$T/two/katod.log")" = "$(grep -o 'backfill done: .*' "$T/one/katod.log")" ]
check "byte-identical exports (JSONL and Markdown, every session)" cmp "$T/one.dump" "$T/two.dump"
check "... with one worker" cmp "$T/one.dump" "$T/w1.dump"
check "... with three workers" cmp "$T/one.dump" "$T/w3.dump"
check "same backfill summary with three workers" [ "$(grep -o 'backfill done: .*' "$T/w3/katod.log")" = "$(grep -o 'backfill done: .*' "$T/one/katod.log")" ]

# a restart reads nothing again, and the cursors it stored let it resume
run "$T/two" KATOD_WORKERS=2
check "a restart after the two-thread backfill stores nothing new" grep -q "backfill done: .* 0 new event(s)" "$T/two/katod.log"
check "and the store is unchanged" cmp "$T/one.dump" "$T/two.dump"

# killed part way through the two-thread backfill (SIGTERM, then -9): the
# next start reads the rest and the store ends up the same
for sig in TERM KILL; do
	h="$T/killed-$sig"
	mkdir -p "$h"
	cp "$T/two/config.yaml" "$h/"
	KATO_HOME="$h" KATOD_WORKERS=2 "$KATOD" --foreground >"$h/katod.log" 2>&1 &
	KATOD_PID=$!
	sleep 0.1
	stop_katod "$sig" || true
	run "$h" KATOD_WORKERS=2
	check "SIGTERM/-9 part way ($sig), then a restart: the same store" cmp "$T/one.dump" "$h.dump"
done
# The store cannot grow during the backfill (a file size limit stands in
# for a full disk): katod says so and keeps running; once there is room it
# reads every root again and ends up with the same store.
h="$T/full"
mkdir -p "$h"
cp "$T/two/config.yaml" "$h/"
(trap '' XFSZ; ulimit -S -f 1024; exec env KATO_HOME="$h" KATOD_WORKERS=2 "$KATOD" --foreground --verbose) >"$h/katod.log" 2>&1 &
KATOD_PID=$!
wait_for "the backfill into a store that cannot grow" grep -q "backfill done" "$h/katod.log"
check "katod says part of the backfill is not stored, and what it does" \
	grep -q "part of the backfill could not be stored .*every root is read again" "$h/katod.log"
check "... and keeps running" kill -0 "$KATOD_PID"
prlimit --pid "$KATOD_PID" --fsize=unlimited:
wait_for "every root read again" grep -q "reading every root again" "$h/katod.log"
want=$(KATO_HOME="$T/one" "$KATO" sessions --json | wc -l)
wait_for "every session stored" sh -c "[ \"\$(KATO_HOME='$h' '$KATO' sessions --json | wc -l)\" -eq $want ]"
stop_katod
KATO_HOME="$h" "$top_srcdir/tests/store_dump.sh" "$KATO" >"$h.dump"
check "once there is room, the same store as the single-threaded backfill" cmp "$T/one.dump" "$h.dump"
finish
