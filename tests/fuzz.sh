#!/usr/bin/env bash
# Build and run the libFuzzer targets (needs clang with libFuzzer:
# apt-get install clang libclang-rt-14-dev). Not part of make check.
#   FUZZ_SECONDS=N   run time per target (default 60)
#   FUZZ_TARGETS="claude codex gemini config command"
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
SECS=${FUZZ_SECONDS:-60}
OUT="$top_builddir/fuzz"
mkdir -p "$OUT"
CC=${FUZZ_CC:-clang}
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -I$top_srcdir/include -I$top_srcdir/src -I$top_srcdir/plugins/common -I$top_builddir"
DEPS=$(pkg-config --cflags --libs json-c sqlite3 yaml-0.1 libzstd libxxhash)
CORE="$top_srcdir/src/buf.c $top_srcdir/src/text.c $top_srcdir/src/json.c $top_srcdir/src/event.c $top_srcdir/plugins/common/pjson.c"

for t in ${FUZZ_TARGETS:-claude codex gemini config command}; do
	seeds="$OUT/$t-seeds"
	mkdir -p "$seeds"
	case $t in
	config)
		$CC $FLAGS -o "$OUT/fuzz_config" "$top_srcdir/tests/fuzz_config.c" \
			$CORE "$top_srcdir/src/config.c" "$top_srcdir/src/paths.c" "$top_srcdir/src/log.c" $DEPS
		cp "$top_srcdir"/tests/data/config/*.yaml "$seeds/" 2>/dev/null || true
		bin="$OUT/fuzz_config"
		;;
	command)
		$CC $FLAGS -o "$OUT/fuzz_command" "$top_srcdir/tests/fuzz_command.c" \
			$CORE "$top_srcdir/src/command.c" "$top_srcdir/src/pathpolicy.c" "$top_srcdir/src/paths.c" \
			"$top_srcdir/src/log.c" $DEPS
		printf '::capture ~/notes/a.md\n' >"$seeds/capture"
		printf 'hi\n```\n::stop\n```\n::record\n' >"$seeds/fence"
		bin="$OUT/fuzz_command"
		;;
	*)
		$CC $FLAGS -o "$OUT/fuzz_$t" "$top_srcdir/tests/fuzz_provider.c" \
			"$top_srcdir/plugins/$t/$t.c" $CORE $DEPS
		find "$top_srcdir/tests/corpus/$t" "$top_srcdir/tests/data/kato-fixtures" -name "*$t*" -o -path "*/$t/*" -type f 2>/dev/null |
			while read -r f; do [ -f "$f" ] && head -c 65536 "$f" >"$seeds/$(basename "$f")"; done
		bin="$OUT/fuzz_$t"
		;;
	esac
	echo "== fuzzing $t for ${SECS}s"
	mkdir -p "$OUT/$t-work"
	"$bin" -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -artifact_prefix="$OUT/$t-" \
		"$OUT/$t-work" "$seeds" >"$OUT/$t.log" 2>&1 && tail -2 "$OUT/$t.log" ||
		{ echo "fuzz target $t found a crash (see $OUT)"; exit 1; }
done
