#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kato import recognises a provider log by its content, whatever its name
# (issue 10): every committed real log, copied to meaningless names and
# imported with and without --provider, stores exactly the events of the
# correctly named copy; a renamed copy of a file already imported adds
# nothing; empty and unrecognised files are reported.
#
# Compared: `kato export --format jsonl` of every session in a fresh store,
# whole. No field of it depends on the file's path: sessionId is the
# provider session id the records name (claude sessionId or
# agent-<agentId>, codex session_meta id, gemini sessionId) and rawCursor
# is a byte offset into the content.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { echo "1..0 # SKIP jq is not installed"; exit 77; }

# All events of every session in the store $1 (a KATO_HOME), sorted by
# provider session id.
dump() {
	local id
	KATO_HOME=$1 "$KATO" sessions --json | jq -r '.providerSessionId + " " + .id' | sort |
		while read -r _ id; do KATO_HOME=$1 "$KATO" export "$id" --format jsonl; done
}
nsessions() { KATO_HOME=$1 "$KATO" sessions --json | wc -l; }

# import STORE [ARGS...]: a quiet import into a fresh or given store
import() { local h=$1; shift; mkdir -p "$h"; KATO_HOME=$h "$KATO" import -q "$@"; }

# The name its provider gives a file, from its content.
proper_name() { # proper_name PROVIDER FILE INDEX
	local sid
	case $1 in
	claude)
		sid=$(jq -r 'select(.uuid and .sessionId) |
			if .isSidechain and .agentId then "agent-" + .agentId else .sessionId end' "$2" |
			head -n 1)
		echo "$sid.jsonl" ;;
	codex) echo "rollout-2025-01-01T00-00-00-x$3.jsonl" ;;
	gemini)
		case $2 in
		*.jsonl) echo "session-2026-01-01T00-00-x$3.jsonl" ;;
		*) echo "session-2026-01-01T00-00-x$3.json" ;;
		esac ;;
	esac
}

mapfile -t files < <(cd "$top_srcdir/tests/corpus" && find . -type f -name '*.json*' | sed 's|^\./||' | sort)
check "the corpus has its 26 logs" [ "${#files[@]}" -eq 26 ]

table="$T/table"
printf '%-75s %-8s %6s %s\n' "corpus file" provider events identical >"$table"
i=0
for rel in "${files[@]}"; do
	i=$((i + 1))
	src="$top_srcdir/tests/corpus/$rel"
	prov=${rel%%/*}
	d="$T/f$i"
	mkdir -p "$d/named"
	cp "$src" "$d/named/$(proper_name "$prov" "$src" "$i")"
	import "$d/ref" "$d"/named/*
	dump "$d/ref" >"$d/ref.jsonl"
	events=$(wc -l <"$d/ref.jsonl")
	same=yes
	for name in a.jsonl b.json c.txt d; do
		cp "$src" "$d/$name"
		for how in auto forced; do
			args=()
			[ "$how" = forced ] && args=(--provider "$prov")
			if ! import "$d/$name.$how" "${args[@]}" "$d/$name" ||
				! cmp -s "$d/ref.jsonl" <(dump "$d/$name.$how"); then
				same=no
				echo "# $rel as $name ($how) differs from its correctly named copy"
			fi
		done
	done
	detected=$(KATO_HOME="$d/c.txt.auto" "$KATO" sessions --json | jq -r .provider | sort -u | paste -sd,)
	check "$rel: $events events, the same under every name, with and without --provider" \
		[ "$same" = yes ] && [ "$events" -gt 0 ] && [ "$detected" = "$prov" ]
	printf '%-75s %-8s %6s %s\n' "$rel" "$detected" "$events" "$same" >>"$table"

	# a renamed copy of a file already imported adds nothing
	before=$(nsessions "$d/ref")
	out=$(KATO_HOME="$d/ref" "$KATO" import "$d/c.txt")
	check "$rel: a renamed copy adds no session and no event" \
		[ "$(nsessions "$d/ref")" -eq "$before" ] && grep -q " 0 new event" <<<"$out" &&
		cmp -s "$d/ref.jsonl" <(dump "$d/ref")
	rm -rf "$d"
done
cat "$table"

# A compressed Codex rollout, renamed: decompressed, recognised, the same.
cx="$top_srcdir/tests/corpus/codex/yoavf-pomodoro.jsonl"
if command -v zstd >/dev/null; then
	zstd -q -o "$T/rollout-2025-01-01T00-00-00-z.jsonl.zst" "$cx"
	cp "$T/rollout-2025-01-01T00-00-00-z.jsonl.zst" "$T/z.zst"
	import "$T/zref" "$T/rollout-2025-01-01T00-00-00-z.jsonl.zst"
	import "$T/zany" "$T/z.zst"
	check "a renamed .jsonl.zst rollout imports the same events" cmp -s <(dump "$T/zref") <(dump "$T/zany")
	check "... and some" [ "$(dump "$T/zany" | wc -l)" -gt 0 ]
fi

# Nobody's content: one line naming the file and what was tried, exit 1.
printf 'just some text\n' >"$T/notes.jsonl"
set +e
KATO_HOME="$T/x" "$KATO" import "$T/notes.jsonl" >"$T/out" 2>"$T/err"; rc=$?
set -e
check "an unrecognised file exits 1" [ "$rc" -eq 1 ]
check "... with one line naming it and what was tried" bash -c \
	"[ \$(wc -l <'$T/err') -eq 1 ] && grep -q 'notes.jsonl: not recognised' '$T/err' && grep -q 'claude codex gemini' '$T/err'"
check "... and the summary says so" grep -q "1 file(s) not recognised" "$T/out"

# A file with no events: reported, exit 1 unless --allow-empty.
printf '{"type":"summary","summary":"Only a title","leafUuid":"u-1"}\n' >"$T/empty.jsonl"
set +e
KATO_HOME="$T/e" "$KATO" import "$T/empty.jsonl" >"$T/out" 2>"$T/err"; rc=$?
set -e
check "a file with no events exits 1" [ "$rc" -eq 1 ]
check "... names the file" grep -q "empty.jsonl: no events" "$T/err"
check "... and the summary counts it" grep -q "1 file(s) with no events" "$T/out"
set +e
KATO_HOME="$T/e" "$KATO" import --allow-empty "$T/empty.jsonl" >"$T/out" 2>"$T/err"; rc=$?
set -e
check "--allow-empty accepts it" [ "$rc" -eq 0 ]

# A JSON document forced through a lines-only provider: the per-line
# warnings are summarised, and the empty result is a failure.
cp "$top_srcdir/tests/corpus/gemini/yoavf-pomodoro.json" "$T/chat.json"
set +e
KATO_HOME="$T/w" "$KATO" import --provider claude "$T/chat.json" >"$T/out" 2>"$T/err"; rc=$?
set -e
check "a gemini document read as claude exits 1" [ "$rc" -eq 1 ]
check "... with at most 3 per-line warnings" [ "$(grep -c 'skipped a line that is not JSON,' "$T/err")" -le 3 ]
check "... and one count" grep -q 'skipped [0-9]* lines that are not JSON in all' "$T/err"
# and the same document under --provider gemini with a .jsonl name
cp "$T/chat.json" "$T/chat.jsonl"
import "$T/g1" --provider gemini "$T/chat.jsonl"
import "$T/g2" "$top_srcdir/tests/corpus/gemini/yoavf-pomodoro.json"
check "--provider gemini reads a document named .jsonl as a document" cmp -s <(dump "$T/g1") <(dump "$T/g2")

finish
