#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Recordings end to end, one scripted chat per provider (Claude, Codex,
# Gemini), written line by line the way each provider writes its log, with
# every in-chat command, an assistant reply that quotes a command, a fenced
# command, a malformed command next to a valid one and a path outside the
# allowed roots.
#
# First an uninterrupted run gives the expected files; then each chat is
# replayed RUNS times with katod killed (SIGKILL) at KILLS random points per
# run, sometimes with lines written while it is down. Every run must produce
# the same files, byte for byte, apart from frontmatter times and recording
# ids (they derive from the store's random session id).
#   KILL_SEED=N   reproduce a run   RUNS=N, KILLS=N   more or fewer kills
#   MIN_KILLS=N   kill points each provider must reach (default 50)
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-18}
KILLS=${KILLS:-4}
MIN_KILLS=${MIN_KILLS:-50} # per provider; lower it with RUNS and KILLS
SEED=${KILL_SEED:-$RANDOM}
RANDOM=$SEED
echo "# kill seed $SEED (KILL_SEED=$SEED to reproduce)"

# Messages are stamped an hour ahead, the same in every run (so the files
# compare byte for byte): newer than any moment katod watched, so live.
BASE=$(($(date -u +%s) + 3600))
NOTES="$T/notes"
CWD="$NOTES/proj"
. "$(dirname "$0")/chat.sh"
CAPTURE_B='~/../notes/b.md' # ~ and .. are resolved: the file is NOTES/b.md

# emit PROVIDER N KIND TEXT: one log line of message N.
emit() { chat_json "$1" "$2" "$3" "$4" "$(date -u -d "@$((BASE + $2))" +%Y-%m-%dT%H:%M:%S.000Z)" "$CWD"; }

# The log file of each provider, and the lines that open it.
log_of() {
	case $1 in
	claude) echo "$CLAUDE_CONFIG_DIR/projects/-notes-proj/$SID_CLAUDE.jsonl" ;;
	codex) echo "$CODEX_HOME/sessions/2026/02/10/rollout-2026-02-10T23-00-00-$SID_CODEX.jsonl" ;;
	gemini) echo "$HOME/.gemini/tmp/0b7dfb1274ee51b3/chats/session-2026-02-10T23-00-$SID_GEMINI.jsonl" ;;
	esac
}
header() { chat_header "$1" 2026-02-10T23:00:00.000Z "$CWD"; }

# The files under the notes and the recordings directory, normalised.
snapshot() {
	local d
	for d in "$NOTES" "$KATO_HOME/recordings"; do
		[ -d "$d" ] || continue
		(cd "$d" && find . -type f ! -name '.kato-*' | sort | while read -r f; do
			echo "== $d/$f" | sed "s|$T|T|"
			sed -E -e 's/^(created|updated): [0-9]+$/\1: X/' \
				-e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g' "$f"
		done)
	done
}

# settled: katod stored the chat's last line, no append waits for a
# retry, and the files stopped changing.
settled() {
	local a b
	"$KATO" export "$SID" --format jsonl 2>/dev/null | grep -q answer-11 || return 1
	a=$(snapshot | md5sum)
	sleep 0.3
	b=$(snapshot | md5sum)
	[ "$a" = "$b" ] && "$KATO" status --json | grep -q '"pendingAppend":true' && return 1
	[ "$a" = "$b" ]
}

# play PROVIDER "kill points": a fresh store and notes, the whole chat.
play() {
	local p=$1 kills=" $2 "
	stop_if_running
	rm -rf "$KATO_HOME" "$NOTES" "$HOME/.claude" "$HOME/.codex" "$HOME/.gemini"
	mkdir -p "$KATO_HOME" "$CWD"
	printf 'allowedWriteRoots:\n  - %s\n' "$NOTES" >"$KATO_HOME/config.yaml"
	local f
	f=$(log_of "$p")
	case $p in claude) SID=$SID_CLAUDE ;; codex) SID=$SID_CODEX ;; gemini) SID=$SID_GEMINI ;; esac
	mkdir -p "$(dirname "$f")"
	start_katod
	header "$p" >>"$f"
	local n=0 item text down=0
	for item in "${CHAT[@]}"; do
		n=$((n + 1))
		text=${item:2}
		text=${text//CAPTURE_B/$CAPTURE_B}
		text=${text//NOTES/$NOTES}
		if [ "$p" = gemini ]; then text=${text//REL/$CWD}; else text=${text//REL\//}; fi
		emit "$p" "$n" "${item:0:1}" "$text" >>"$f"
		chat_kill_point "$n" || continue
		sleep 0.02
	done
	[ -z "$KATOD_PID" ] && start_katod
	wait_for "$p chat recorded" settled
	stop_katod TERM
}

stop_if_running() {
	if [ -n "$KATOD_PID" ]; then stop_katod TERM || true; fi
}

for p in claude codex gemini; do
	play "$p" ""
	snapshot >"$T/want-$p"
	check "$p: the recording a.md, the capture b.md and the export c.md exist" \
		test -s "$NOTES/proj/a.md" -a -s "$NOTES/b.md" -a -s "$NOTES/c.md"
	check "$p: no file from the assistant's quoted command, the fence, the malformed message or the denied path" \
		bash -c "! ls '$NOTES/evil.md' '$NOTES/fenced.md' '$NOTES/failclosed.md' /etc/kato-denied.md 2>/dev/null"
	check "$p: a.md has the talk before ::stop and after ::record, not what came between" bash -c \
		"grep -q answer-04 '$NOTES/proj/a.md' && grep -q answer-06 '$NOTES/proj/a.md' && ! grep -q hidden-05 '$NOTES/proj/a.md'"
	check "$p: the recording moved to b.md with ::capture (b.md holds answer-10, a.md does not)" bash -c \
		"grep -q answer-10 '$NOTES/b.md' && ! grep -q answer-10 '$NOTES/proj/a.md'"
	check "$p: nothing after the last ::stop is recorded" bash -c "! grep -q answer-11 '$NOTES/b.md'"
	check "$p: no message appears in a recording more than once per file" \
		bash -c "for f in '$NOTES/proj/a.md' '$NOTES/b.md'; do [ \"\$(grep -oE '(answer|talk)-[0-9]+' \"\$f\" | sort | uniq -d | wc -l)\" -eq 0 ] || exit 1; done"
	KILLED=0
	bad=0
	for r in $(seq 1 "$RUNS"); do
		pts=" "
		while [ "$(wc -w <<<"$pts")" -lt "$KILLS" ]; do
			k=$((RANDOM % ${#CHAT[@]} + 1))
			[[ $pts == *" $k "* ]] || pts="$pts$k "
		done
		play "$p" "$pts"
		if ! snapshot | cmp -s - "$T/want-$p"; then
			bad=$((bad + 1))
			echo "# $p run $r killed after lines$pts(seed $SEED): files differ"
			snapshot | diff "$T/want-$p" - | head -40
		fi
	done
	echo "# $p: $KILLED kill points in $RUNS runs"
	check "$p: every run killed $KILLED times gives the uninterrupted run's files ($bad differ)" [ "$bad" -eq 0 ]
	check "$p: at least $MIN_KILLS kill points" [ "$KILLED" -ge "$MIN_KILLS" ]
done
finish
