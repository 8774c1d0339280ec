#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build and run the libFuzzer targets (needs clang with libFuzzer:
# apt-get install clang libclang-rt-14-dev). Not part of make check.
# Every crash input is copied to tests/fuzz/<target>/ (regression inputs,
# replayed by tests/fuzz_replay.sh); the run goes on with the next target
# and the script fails at the end. A summary line per target gives the
# executions and the final coverage.
#   FUZZ_SECONDS=N   run time per target (default 60)
#   FUZZ_TARGETS="claude codex gemini config command path frontmatter pjson"
#   FUZZ_BUILD_ONLY=1  only build the binaries (into $top_builddir/fuzz)
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
SECS=${FUZZ_SECONDS:-60}
OUT="$top_builddir/fuzz"
KEEP="$top_srcdir/tests/fuzz"
mkdir -p "$OUT"
CC=${FUZZ_CC:-clang}
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -I$top_srcdir/include -I$top_srcdir/src -I$top_srcdir/plugins/common -I$top_builddir"
DEPS=$(pkg-config --cflags --libs json-c sqlite3 yaml-0.1 libzstd libxxhash)
S="$top_srcdir/src"
CORE="$S/buf.c $S/text.c $S/json.c $S/event.c $top_srcdir/plugins/common/pjson.c"
TARGETS=${FUZZ_TARGETS:-claude codex gemini config command path frontmatter pjson}
crashed=

for t in $TARGETS; do
	seeds="$OUT/$t-seeds"
	mkdir -p "$seeds" "$KEEP/$t"
	case $t in
	config)
		$CC $FLAGS -o "$OUT/fuzz_config" "$top_srcdir/tests/fuzz_config.c" \
			$CORE "$S/config.c" "$S/paths.c" "$S/log.c" $DEPS
		cp "$top_srcdir"/tests/data/config/*.yaml "$seeds/" 2>/dev/null || true
		;;
	command)
		$CC $FLAGS -o "$OUT/fuzz_command" "$top_srcdir/tests/fuzz_command.c" \
			$CORE "$S/command.c" "$S/pathpolicy.c" "$S/paths.c" "$S/log.c" $DEPS
		printf '::capture ~/notes/a.md\n' >"$seeds/capture"
		printf 'hi\n```\n::stop\n```\n::record\n' >"$seeds/fence"
		;;
	path)
		$CC $FLAGS -o "$OUT/fuzz_path" "$top_srcdir/tests/fuzz_path.c" \
			$CORE "$S/command.c" "$S/pathpolicy.c" "$S/paths.c" "$S/log.c" $DEPS
		# first byte: the working directory (0 root, 1 a link out, 2 via a link, 3 none)
		i=0
		for a in '~/notes/a.md' 'sub/a.md' '../outside/x.md' 'out/x.md' 'in/b.md' \
			'file-link.md' 'fifo.md' 'dangling/x.md' 'loop/x.md' '[x](sub/)' "'~/to-notes/c.md'" \
			'@~/notes/../notes-evil/a.md' '~/later/new/d.md' '~' './' '`sub/..`'; do
			for w in 0 1 2 3; do printf '%s%s' "$w" "$a" >"$seeds/s$i-$w"; done
			i=$((i + 1))
		done
		;;
	pjson)
		$CC $FLAGS -o "$OUT/fuzz_pjson" "$top_srcdir/tests/fuzz_pjson.c" $CORE $DEPS
		printf '{"a":"hello \\u00e9 \\ud83d\\ude00 \\u0000 end","b":["xxxxx",{"c":"yyyyyy"}]}' >"$seeds/escapes"
		printf '"top level string"' >"$seeds/top"
		printf '{"k":"\\u0000kato:0","v":"abcdefgh"}' >"$seeds/placeholder"
		# pj_parse_lean: members "a" and "b" (unless it holds "x") left out
		printf '{"z":1,"a":{"n":[1,-2.5e3,true,null,"s\\"t"]},"b":["y"],"c":"d"}' >"$seeds/lean"
		printf '{"e":"gone","c":[{"f":"x","d":[1,2]},2,{"d":{"e":1},"f":"y"}],"e":[]}' >"$seeds/lean-absent"
		printf '{"b":{"x":[{"deep":[[[]]]}]},"a":"tail"} ' >"$seeds/lean-keep"
		printf '{"c":{"d":{"e":[1,2,3]},"f":"g"},"d":{"h":1}}' >"$seeds/lean-inner"
		;;
	frontmatter)
		$CC $FLAGS -o "$OUT/fuzz_frontmatter" "$top_srcdir/tests/fuzz_frontmatter.c" \
			$CORE "$S/frontmatter.c" "$S/markdown.c" "$S/log.c" $DEPS
		printf -- '---\nid: a-1\ntitle: x\nparticipants: [user.me]\nrecordingIds: [r1]\n---\0claude.opus\0r2\0message.user' >"$seeds/basic"
		printf -- "---\ntitle: 'it''s'\ntags:\n  - a\n  - b\nconversationEventKinds: []\n0: x\n---\n\nbody\0p\0\0k" >"$seeds/block-list"
		printf -- '---\nparticipants: [\n---\0x' >"$seeds/broken"
		find "$top_srcdir/tests/data" -name '*.md' -print0 2>/dev/null |
			while IFS= read -r -d '' f; do head -c 4096 "$f" >"$seeds/md-$(basename "$f")"; printf '\0u.x\0rid\0k' >>"$seeds/md-$(basename "$f")"; done
		;;
	*)
		$CC $FLAGS -o "$OUT/fuzz_$t" "$top_srcdir/tests/fuzz_provider.c" \
			"$top_srcdir/plugins/$t/$t.c" $CORE $DEPS
		find "$top_srcdir/tests/corpus/$t" "$top_srcdir/tests/data/kato-fixtures" -name "*$t*" -o -path "*/$t/*" -type f 2>/dev/null |
			while read -r f; do [ -f "$f" ] && head -c 65536 "$f" >"$seeds/$(basename "$f")"; done
		;;
	esac
	bin="$OUT/fuzz_$t"
	[ -n "${FUZZ_BUILD_ONLY:-}" ] && continue
	echo "== fuzzing $t for ${SECS}s"
	mkdir -p "$OUT/$t-work"
	rm -f "$OUT/$t"-crash-* "$OUT/$t"-leak-* "$OUT/$t"-timeout-* "$OUT/$t"-oom-*
	rc=0
	# fork mode: a crash is saved and fuzzing goes on, so one known
	# finding does not end the run
	"$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		-max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -artifact_prefix="$OUT/$t-" \
		"$OUT/$t-work" "$seeds" "$KEEP/$t" >"$OUT/$t.log" 2>&1 || rc=$?
	last=$(grep -E '^#[0-9]+: cov: ' "$OUT/$t.log" | tail -1 || true)
	execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' <<<"$last" || true)
	echo "# $t: ${execs:-?} executions, final ${cov:-cov: ?}, oom/timeout/crash: $(grep -oE 'oom/timeout/crash: [0-9/]+' <<<"$last" | cut -d' ' -f2), exit $rc"
	for a in "$OUT/$t"-crash-* "$OUT/$t"-leak-* "$OUT/$t"-timeout-* "$OUT/$t"-oom-*; do
		[ -e "$a" ] || continue
		for k in "$KEEP/$t"/*; do cmp -s "$a" "$k" && continue 2; done
		cp "$a" "$KEEP/$t/$(basename "$a" | sed "s/^$t-//")"
		echo "# $t: kept $(basename "$a") in tests/fuzz/$t/"
	done
	if [ "$rc" -ne 0 ] || ls "$OUT/$t"-crash-* >/dev/null 2>&1; then
		echo "fuzz target $t found a crash (log: $OUT/$t.log)"
		grep -A30 -m1 -E '^==[0-9]+==ERROR|deadly signal|runtime error' "$OUT/$t.log" | head -40 || true
		crashed="$crashed $t"
	fi
done
if [ -n "$crashed" ]; then
	echo "crashes in:$crashed"
	exit 1
fi
