#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kato doctor and kato init on a scratch HOME: healthy exits 0; each
# problem (provider retention about to delete unstored logs, an invalid
# config, a plugin others could replace, a damaged store) exits 1 with a
# "problem:" line naming the fix; --json is one object. kato init writes
# a config kato accepts and never overwrites one. ./kato in the build tree
# finds the plugins built there without KATO_PROVIDER_PATH.
. "$(dirname "$0")/lib.sh"

C="$top_srcdir/tests/corpus/claude"
P="$CLAUDE_CONFIG_DIR/projects"
OUT="$T/out"
doctor() { "$KATO" doctor "$@" >"$OUT" 2>&1; }
exits() { # exits CODE command...
	local want=$1 rc=0; shift
	"$@" || rc=$?
	[ "$rc" -eq "$want" ] || { echo "exit $rc, expected $want" >&2; cat "$OUT" >&2; return 1; }
}
says() { grep -q -- "$1" "$OUT" || { echo "missing: $1" >&2; cat "$OUT" >&2; return 1; }; }

check "a fresh HOME is healthy (exit 0)" exits 0 doctor
check "missing roots are reported as followed" says "missing (katod follows it as soon as it is created)"
check "the inotify limits are shown" says "max_user_watches\|inotify    watches"
doctor --json
check "--json is one object with stable keys" bash -c "[ \$(wc -l <'$OUT') -eq 1 ] && grep -q '^{\"config\":{' '$OUT' && grep -q '\"healthy\":true,\"problems\":\[\]}' '$OUT'"
check "--json says null for what is unknown" grep -q '"integrity":null' "$OUT"

# Claude Code deletes transcripts idle for 30 days when it starts: one
# 40 days old that kato has not stored is a problem until it is stored.
mkdir -p "$P/-home-u-old"
OLD="$P/-home-u-old/cccccccc-1111-4111-8111-111111111111.jsonl"
cp "$C/entire-tiny-summary.jsonl" "$OLD"
touch -d '40 days ago' "$OLD"
check "an unstored transcript Claude Code will delete is a problem (exit 1)" exits 1 doctor
check "the problem names the provider, the file and the fix" \
	says "problem: claude will delete 1 session file kato has not stored yet.*$OLD.*; fix: start katod"
doctor --json || true
check "--json counts it" grep -q '"filesDue":1,"filesDueNotStored":1' "$OUT"
"$KATO" import --quiet "$OLD"
check "once kato stored it, it is healthy again" exits 0 doctor
check "and says kato has stored it" says "kato has stored all of them"
doctor --json
check "--json: due but stored" grep -q '"filesDue":1,"filesDueNotStored":0' "$OUT"
check "the store passed quick_check" grep -q '"integrity":"ok"' "$OUT"

echo '{"cleanupPeriodDays": 0}' >"$CLAUDE_CONFIG_DIR/settings.json"
check "cleanupPeriodDays 0 (no transcripts kept) is a problem" exits 1 doctor
check "... naming the fix" says "fix: set cleanupPeriodDays to a large number"
echo '{"cleanupPeriodDays": 365}' >"$CLAUDE_CONFIG_DIR/settings.json"
check "a long cleanupPeriodDays is read from settings.json" exits 0 doctor
check "... and shown" says "cleanupPeriodDays 365 (from $CLAUDE_CONFIG_DIR/settings.json)"

# Gemini CLI: general.sessionRetention (enabled by default, maxAge 30d).
mkdir -p "$HOME/.gemini/tmp/abc/chats"
G="$HOME/.gemini/tmp/abc/chats/session-2026-01-01T10-00-aaaaaaaa.json"
cp "$(ls "$top_srcdir"/tests/corpus/gemini/*.json | head -1)" "$G"
touch -d '10 days ago' "$G"
check "a 10-day-old Gemini chat is kept by the default 30d" exits 0 doctor
echo '{"general":{"sessionRetention":{"enabled":true,"maxAge":"7d"}}}' >"$HOME/.gemini/settings.json"
check "with maxAge 7d it is about to be deleted: a problem" exits 1 doctor
check "... naming gemini" says "problem: gemini will delete 1 session file"
rm "$G"

# Codex compresses, never deletes.
mkdir -p "$CODEX_HOME"
printf '[features]\nlocal_thread_store_compression = true # on\n' >"$CODEX_HOME/config.toml"
check "Codex compression is described, not a problem" exits 0 doctor
check "... as read by kato too" says "which kato reads too"

# A config error: the parser's message, with the line.
mkdir -p "$KATO_HOME"
printf 'allowedWriteRoots: []\nfeatureFlags:\n  writerIncludeThinkin: true\n' >"$KATO_HOME/config.yaml"
check "an invalid config is a problem" exits 1 doctor
check "... with the parser's message and line" says "problem: the configuration is invalid: .*config.yaml:3"
rm "$KATO_HOME/config.yaml"

# kato init: a commented default that kato accepts; never overwritten.
check "kato init writes the default config" "$KATO" init
check "it is where kato reads it" test -s "$KATO_HOME/config.yaml"
check "doctor accepts it" exits 0 doctor
check "doctor says it is ok" says "config.yaml: ok"
cp "$KATO_HOME/config.yaml" "$T/first.yaml"
echo "# mine" >>"$KATO_HOME/config.yaml"
check "kato init refuses to overwrite (exit 1)" exits 1 "$KATO" init
check "... and left the file alone" grep -q '^# mine' "$KATO_HOME/config.yaml"
check "kato init --config FILE" "$KATO" init --config "$T/other/config.yaml"
check "... wrote the same text" cmp -s "$T/first.yaml" "$T/other/config.yaml"
check "kato init --bogus is a usage error (exit 2)" exits 2 "$KATO" init --bogus

# A plugin directory anyone can write to is refused, and reported.
mkdir -p "$T/plugins"
cp "$top_builddir/plugins/claude/.libs/claude.so" "$T/plugins/"
chmod 0777 "$T/plugins"
check "a world-writable plugin directory is a problem" \
	exits 1 env KATO_PROVIDER_PATH="$T/plugins:$KATO_PROVIDER_PATH" "$KATO" doctor
KATO_PROVIDER_PATH="$T/plugins:$KATO_PROVIDER_PATH" "$KATO" doctor >"$OUT" 2>&1 || true
check "... saying why and how to fix it" says "world-writable.*fix: chmod o-w $T/plugins"
KATO_PROVIDER_PATH="$T/plugins:$KATO_PROVIDER_PATH" "$KATO" providers >"$OUT" 2>&1 || true
check "kato providers reports it too" says "not loaded: $T/plugins/claude.so: its directory"
chmod 0755 "$T/plugins"

# A damaged store.
DB="$KATO_HOME/kato.db"
cp "$DB" "$T/good.db"
# the end of page 1 (the schema's rows) and all of page 2, whatever the
# page size (big-endian at byte 16; 1 means 65536)
page=$(od -An -j16 -N2 -tu1 "$DB" | awk '{p = $1 * 256 + $2; print p == 1 ? 65536 : p}')
dd if=/dev/urandom of="$DB" bs=1024 seek=$((page / 1024 - 3)) count=$((page / 1024 + 3)) conv=notrunc 2>/dev/null
rm -f "$DB-wal" "$DB-shm"
check "a damaged store is a problem" exits 1 doctor
check "... it says DAMAGED and how to recover" says "fix: stop katod, keep a copy of the store"
cp "$T/good.db" "$DB"

# Hostile provider settings: a FIFO, garbage, absurd values. doctor must
# neither block nor crash, and falls back to the provider's defaults.
rm -f "$CLAUDE_CONFIG_DIR/settings.json" "$HOME/.gemini/settings.json" "$CODEX_HOME/config.toml"
mkfifo "$CLAUDE_CONFIG_DIR/settings.json" "$HOME/.gemini/settings.json" "$CODEX_HOME/config.toml"
check "FIFOs as settings files do not block doctor" exits 0 timeout 10 "$KATO" doctor
rm -f "$CLAUDE_CONFIG_DIR/settings.json" "$HOME/.gemini/settings.json" "$CODEX_HOME/config.toml"
head -c 4096 /dev/urandom >"$CLAUDE_CONFIG_DIR/settings.json"
printf '[1,2,3]' >"$HOME/.gemini/settings.json"
head -c 4096 /dev/urandom >"$CODEX_HOME/config.toml"
check "garbage settings files are the defaults" exits 0 doctor
for v in 1e308 -5 NaN '"30"' 99999999999999999999; do
	printf '{"cleanupPeriodDays": %s}' "$v" >"$CLAUDE_CONFIG_DIR/settings.json"
	check "cleanupPeriodDays $v does not break doctor" exits 0 doctor
done
for v in '"99999999999999999999d"' '"7x"' '""' '"0d"' '5' '"-3d"'; do
	printf '{"general":{"sessionRetention":{"maxAge":%s,"maxCount":-1}}}' "$v" >"$HOME/.gemini/settings.json"
	check "gemini maxAge $v does not break doctor" exits 0 doctor
done
rm -f "$CLAUDE_CONFIG_DIR/settings.json" "$HOME/.gemini/settings.json" "$CODEX_HOME/config.toml"

# ./kato in the build tree finds the plugins built there by itself; a copy
# of the same binary elsewhere (as if installed) does not look there.
if [ -z "${KATO_WRAP:-}" ]; then
	env -u KATO_PROVIDER_PATH "$top_builddir/kato" providers >"$OUT" 2>&1
	check "./kato finds the build tree's plugins without KATO_PROVIDER_PATH" \
		says "claude .*$top_builddir/plugins/claude/.libs/claude.so"
	mkdir -p "$T/installed"
	cp "$top_builddir/kato" "$T/installed/kato"
	env -u KATO_PROVIDER_PATH "$T/installed/kato" providers >"$OUT" 2>&1 || true
	check "a copy elsewhere does not look in the build tree" says "no provider plugins found"
fi
finish
