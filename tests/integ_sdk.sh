#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The plugin SDK as a plugin author meets it: the example provider
# (examples/provider-hello, a line format that is not JSON) is listed by
# kato providers, imports its sample, names its session by the file name
# without the extension, resumes from save_state, and its bad lines are
# warned about by the name it counted them under, never as "not JSON".
# kato providers exits 1 and gives the fix for every plugin that failed;
# --json has the same keys on every line, null when absent.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "needs jq (contrib/deps.sh)"; exit 1; }

HELLO="$top_builddir/examples/provider-hello/.libs"
[ -f "$HELLO/hello.so" ] || { echo "build examples/provider-hello/hello.la first (make check does)"; exit 1; }
export KATO_PROVIDER_PATH="$HELLO:$top_builddir/plugins/claude/.libs"

# ---- kato providers: a clean directory
"$KATO" providers >"$T/out" 2>"$T/err" && rc=0 || rc=$?
check "providers: exit 0 when every plugin loads" [ "$rc" -eq 0 ]
check "... lists hello with its path" grep -q "^hello .*ABI 1\.[0-9]*  $HELLO/hello.so\$" "$T/out"
"$KATO" providers --json >"$T/json"
# (./kato of the build tree also loads the three plugins built next to it)
check "--json: one object per line" \
	[ "$(jq -c . "$T/json" | wc -l)" -eq "$(wc -l <"$T/json")" -a "$(wc -l <"$T/json")" -eq "$(grep -c ' ABI ' "$T/out")" ]
check "... the same keys on each line, in order" \
	[ "$(jq -c 'keys_unsorted' "$T/json" | sort -u)" = '["name","version","abi","path","description","roots","error","fix"]' ]
check "... error and fix are null, not absent" \
	[ "$(jq -r 'select(.name == "hello") | "\(.error == null) \(.fix == null) \(.roots[0])"' "$T/json")" = 'true true ${HELLO_HOME:-~/.hello}/sessions' ]

# ---- kato providers: broken plugins next to good ones
BAD="$T/bad"
mkdir -p "$BAD"
cp "$top_builddir/tests/plugins/.libs/badabi.so" "$BAD/badabi.so"
cp "$HELLO/hello.so" "$BAD/zz-writable.so" && chmod 666 "$BAD/zz-writable.so"
printf 'not an ELF file\n' >"$BAD/garbage.so"
cp "$HELLO/hello.so" "$BAD/hello-again.so"
KATO_PROVIDER_PATH="$HELLO:$BAD" "$KATO" providers >"$T/out" 2>"$T/err" && rc=0 || rc=$?
check "providers: exit 1 when a plugin failed to load" [ "$rc" -eq 1 ]
check "... still lists the good one" grep -q '^hello ' "$T/out"
check "... one line per failure, each with a fix" \
	[ "$(grep -c '^not loaded: .*\.so: .* (fix: .*)$' "$T/out")" -eq 4 ]
check "... the ABI one says to rebuild" grep -q 'badabi.so: built for provider ABI.*(fix: rebuild it against' "$T/out"
check "... the world-writable one says chmod" grep -q 'zz-writable.so: .*world-writable.*(fix: chmod o-w [^()]*)$' "$T/out"
check "... the duplicate name one says which to remove" grep -q "hello-again.so: provider name 'hello' already loaded.*(fix: remove one" "$T/out"
check "... nothing on stderr" [ ! -s "$T/err" ]
KATO_PROVIDER_PATH="$HELLO:$BAD" "$KATO" providers --json >"$T/json" && rc=0 || rc=$?
check "--json: exit 1 too" [ "$rc" -eq 1 ]
check "... a failure has a null name, its path, error and fix" \
	[ "$(jq -r 'select(.path | endswith("garbage.so")) | "\(.name) \(.version) \(.abi) \(.error | startswith("dlopen failed")) \(.fix != null)"' "$T/json")" = 'null null null true true' ]
check "... the same keys on every line" [ "$(jq -c 'keys_unsorted' "$T/json" | sort -u | wc -l)" -eq 1 ]
# a copy outside the build tree: it does not load the plugins built here
cp "$KATO" "$T/kato-copy"
KATO_PROVIDER_PATH="$T/none" "$T/kato-copy" providers >"$T/out" && rc=0 || rc=$?
check "providers: none found is not a failure" [ "$rc" -eq 0 ] && grep -q 'no provider plugins found' "$T/out"
"$KATO" providers extra >/dev/null 2>&1 && rc=0 || rc=$?
check "providers: an argument is a usage error (2)" [ "$rc" -eq 2 ]

# ---- import the sample: events, session, warnings
S="$T/logs/sample.hello"
mkdir -p "$T/logs"
cp "$top_srcdir/examples/provider-hello/sample.hello" "$S"
"$KATO" import --provider hello "$S" >"$T/out" 2>"$T/err"
check "import: 4 events from the sample" grep -q '4 new event(s)' "$T/out"
"$KATO" export greet-42 --format jsonl >"$T/ev"
check "... under the session the file named" [ "$(jq -r .sessionId "$T/ev" | sort -u)" = greet-42 ]
check "... user and assistant turns" \
	[ "$(jq -r '"\(.kind) \(.turnId)"' "$T/ev" | tr '\n' ,)" = "message.user turn-1,message.assistant turn-1,message.user turn-2,message.assistant turn-2," ]
check "... the title" [ "$("$KATO" sessions --json | jq -r 'select(.providerSessionId == "greet-42") | .title')" = "Saying hello" ]
check "the bad line is warned about by the name hello counted" \
	grep -q 'sample.hello: skipped a line hello could not read (bad-line), ending at byte 141' "$T/err"
check "... never as not JSON" bash -c "! grep -qi 'JSON' '$T/err'"
check "... and the unknown key is not warned about (counted)" [ "$(wc -l <"$T/err")" -eq 1 ]

# ---- save_state: the file grows, the next import goes on at turn 3
printf 'user: and one more\nassistant: done\n' >>"$S"
"$KATO" import --provider hello "$S" >"$T/out" 2>"$T/err"
check "resume: only the 2 new events" grep -q '2 new event(s), 0 already stored' "$T/out"
check "... in turn 3 of the same session" \
	[ "$("$KATO" export greet-42 --format jsonl | jq -r 'select(.content == "and one more") | "\(.sessionId) \(.turnId)"')" = "greet-42 turn-3" ]

# ---- the default session id: the file name without its extension
printf 'user: no session line\n' >"$T/logs/notes.v2.hello"
"$KATO" import "$T/logs/notes.v2.hello" >/dev/null 2>&1
check "default session id drops the extension (notes.v2.hello -> notes.v2)" \
	[ "$("$KATO" export notes.v2 --format jsonl | jq -r .sessionId)" = notes.v2 ]
printf 'title: too early\nuser: hi\n' >"$T/logs/early.hello"
"$KATO" import "$T/logs/early.hello" >/dev/null 2>"$T/err"
check "... early.hello -> early; a counted line is no warning" \
	[ "$("$KATO" export early --format jsonl | jq -r .sessionId)" = early ] && [ ! -s "$T/err" ]

# ---- many bad lines: three warnings, then one summary, all in hello's words
for i in 1 2 3 4 5 6; do echo "junk $i"; done >"$T/logs/junk.hello"
"$KATO" import "$T/logs/junk.hello" >/dev/null 2>"$T/err" || true
check "many bad lines: 3 per-line warnings" [ "$(grep -c 'could not read (bad-line)' "$T/err")" -eq 3 ]
check "... and a summary naming hello, not JSON" grep -q 'skipped 6 lines hello could not read in all' "$T/err"
check "... never JSON" bash -c "! grep -q JSON '$T/err'"

# ---- garbage: NUL bytes, no separator, huge key, empty file
{ printf 'user: a\0b\n'; printf ':\n'; head -c 100000 /dev/zero | tr '\0' k; printf ': v\n'; printf 'x'; } >"$T/logs/garbage.hello"
"$KATO" import "$T/logs/garbage.hello" >"$T/out" 2>"$T/err" && rc=0 || rc=$?
check "garbage: import survives (exit $rc)" [ "$rc" -le 1 ]
check "... the message with a NUL is stored" grep -q '1 new event(s)' "$T/out"
: >"$T/logs/empty.hello"
"$KATO" import "$T/logs/empty.hello" >/dev/null 2>"$T/err" && rc=0 || rc=$?
check "empty file: no events, exit 1, said without calling it JSON" \
	[ "$rc" -eq 1 ] && grep -q 'no events (read by hello as lines)' "$T/err"

# ---- kato-provider(7)'s EXAMPLE is complete: it builds, loads and imports
CC=${CC:-cc}
if command -v "$CC" >/dev/null; then
	awk '/^\.SH EXAMPLE/ { ex = 1 } ex && /^\.EE/ { exit } ex && code { print } ex && /^\.EX/ { code = 1 }' \
		"$top_srcdir/man/kato-provider.7" | sed -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g' >"$T/mini.c"
	mkdir -p "$T/mini"
	check "man EXAMPLE: compiles warning-free" \
		"$CC" -Wall -Wextra -Wno-unused-parameter -Werror -fPIC -fvisibility=hidden -shared \
		-I"$top_srcdir/include" -o "$T/mini/mini.so" "$T/mini.c"
	check "... loads" bash -c "KATO_PROVIDER_PATH='$T/mini' '$KATO' providers | grep -q '^mini '"
	printf 'user: hi\nassistant: hello\nnonsense\n' >"$T/logs/chat.mini"
	KATO_PROVIDER_PATH="$T/mini" "$KATO" import "$T/logs/chat.mini" >"$T/out" 2>"$T/err" || true
	check "... imports 2 events into session chat" \
		[ "$(KATO_PROVIDER_PATH="$T/mini" "$KATO" export chat --format jsonl | jq -r .kind | tr '\n' ,)" = "message.user,message.assistant," ]
	check "... and warns by the name it counted" grep -q 'could not read (bad-line)' "$T/err"
fi

finish
