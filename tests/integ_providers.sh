#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Codex and Gemini under the live daemon: a Codex session that grows in a
# day directory created mid-test, then is compressed to .zst and restored;
# a Gemini JSON file rewritten in place 50 times while growing (one write
# cut off mid-way) and once by temp file + rename; a Gemini JSONL session
# with $set and $rewindTo. Each store must end equal to a one-shot
# `kato import` of the final files: every message exactly once.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null && command -v zstd >/dev/null || { echo "needs jq and zstd (contrib/deps.sh)"; exit 1; }

C="$top_srcdir/tests/corpus"
mkdir -p "$CODEX_HOME/sessions" "$CODEX_HOME/archived_sessions" "$HOME/.gemini/tmp"
start_katod

# ---- Codex: a new day directory, lines appended one by one
DAY="$CODEX_HOME/sessions/2026/11/23"
mkdir -p "$DAY"
CX="$DAY/rollout-2026-11-23T10-00-00-0199aaaa-0000-7000-8000-000000000001.jsonl"
mapfile -t lines <"$C/codex/yoavf-pomodoro.jsonl"
for i in "${!lines[@]}"; do
	if [ "$i" -eq 40 ]; then
		printf '%s' "${lines[$i]:0:25}" >>"$CX"; sleep 0.05; printf '%s\n' "${lines[$i]:25}" >>"$CX"
	else
		printf '%s\n' "${lines[$i]}" >>"$CX"
	fi
	[ $((i % 25)) -eq 0 ] && sleep 0.05
done
CXID=$(head -1 "$CX" | jq -r .payload.id)

# ---- Gemini legacy JSON: 50 in-place rewrites while the message list grows
GD="$HOME/.gemini/tmp/5f2d4c0a/chats"
mkdir -p "$GD"
G="$GD/session-2026-11-23T10-00-aaaabbbb.json"
GSRC="$C/gemini/yoavf-pomodoro.json"
total=$(jq '.messages | length' "$GSRC")
for i in $(seq 1 50); do
	n=$(( 1 + (i - 1) * (total - 1) / 49 ))
	if [ "$i" -eq 30 ]; then
		# a write caught half-way: the reader must wait for the next one
		jq --argjson n "$n" '.messages |= .[:$n]' "$GSRC" | head -c 2000 >"$G"
		sleep 0.1
	fi
	jq --argjson n "$n" '.messages |= .[:$n]' "$GSRC" >"$G"
	sleep 0.02
done
# once by temp file + rename, as gemini-cli's rewriteConversationFile does
jq . "$GSRC" >"$GD/.tmp-123"
mv "$GD/.tmp-123" "$G"
GID=$(jq -r .sessionId "$GSRC")

# ---- Gemini JSONL (0.39+): header, messages re-appended, $set, $rewindTo
GL="$GD/session-2026-11-23T11-00-ccccdddd.jsonl"
JL=(
'{"sessionId":"gl-1","projectHash":"abc","startTime":"2026-11-23T11:00:00.000Z","kind":"main"}'
'{"id":"m1","timestamp":"2026-11-23T11:00:01.000Z","type":"user","content":[{"text":"first question"}]}'
'{"id":"m2","timestamp":"2026-11-23T11:00:02.000Z","type":"gemini","content":"partial ans","model":"gemini-2.5-pro"}'
'{"id":"m2","timestamp":"2026-11-23T11:00:02.000Z","type":"gemini","content":"partial answer, now complete","model":"gemini-2.5-pro","tokens":{"input":1,"output":2,"total":3}}'
'{"$set":{"lastUpdated":"2026-11-23T11:00:03.000Z","summary":"Rewind test"}}'
'{"id":"m3","timestamp":"2026-11-23T11:00:04.000Z","type":"user","content":[{"text":"a question to take back"}]}'
'{"$rewindTo":"m3"}'
'{"id":"m4","timestamp":"2026-11-23T11:00:05.000Z","type":"user","content":[{"text":"the real second question"}]}'
'{"id":"m5","timestamp":"2026-11-23T11:00:06.000Z","type":"gemini","content":"second answer","model":"gemini-2.5-pro","tokens":{"input":1,"output":2,"total":3}}'
)
for l in "${JL[@]}"; do printf '%s\n' "$l" >>"$GL"; sleep 0.05; done

# ---- Codex archived as .zst, then restored (materialised) as plain
sleep 0.5
ARCH="$CODEX_HOME/archived_sessions/$(basename "$CX").zst"
zstd -q -o "$ARCH" "$CX" && rm "$CX"
sleep 0.5
zstd -q -d -o "$CX.tmp" "$ARCH" && ln "$CX.tmp" "$CX" && rm "$CX.tmp" "$ARCH"

# ---- the reference: one-shot imports of the final files
REF="$T/ref"
mkdir -p "$REF"
KATO_HOME="$REF" "$KATO" import -q "$CX" "$G" "$GL"
for id in "$CXID" "$GID" gl-1; do
	KATO_HOME="$REF" "$KATO" export "$id" --format jsonl | sort >"$T/want-$id"
done

same() { cmp -s <(events_of "$1" | sort) "$T/want-$1"; }
# held-back messages are flushed after 10 s of quiet
wait_for "codex caught up" same "$CXID" || true
for i in 1 2 3; do same "$GID" && same gl-1 && break; wait_for "gemini flushed" same "$GID" || true; done

check "codex: the reference import has messages" [ "$(wc -l <"$T/want-$CXID")" -gt 50 ]
check "codex: live store equals a one-shot import" same "$CXID"
check "codex: one session across .jsonl -> .zst -> .jsonl" [ "$("$KATO" sessions --json | grep -c "\"providerSessionId\":\"$CXID\"")" -eq 1 ]
check "codex: no event twice" [ "$(events_of "$CXID" | sort | uniq -d | wc -l)" -eq 0 ]
check "gemini json: the reference import has messages" [ "$(wc -l <"$T/want-$GID")" -gt 15 ]
check "gemini json: 50 rewrites + rename store each message once" same "$GID"
check "gemini json: a half-written file was waited for, not skipped" bash -c \
	"! grep -q 'bad-document\\|not a gemini session' '$T/katod.log'"
check "gemini jsonl: live store equals a one-shot import" same gl-1
check "gemini jsonl: the answer is stored once, in its final form" bash -c \
	"[ \$(\"$KATO\" export gl-1 --format jsonl | grep -c 'partial ans') -eq 1 ] && \"$KATO\" export gl-1 --format jsonl | grep -q 'now complete'"
check "gemini jsonl: the rewind is a provider.info marker" bash -c \
	"\"$KATO\" export gl-1 --format jsonl | grep '\"kind\":\"provider.info\"' | grep -q rewind"
check "gemini jsonl: the taken-back question is kept, not dropped" bash -c \
	"\"$KATO\" export gl-1 --format jsonl | grep -q 'a question to take back'"

stop_katod TERM
finish
