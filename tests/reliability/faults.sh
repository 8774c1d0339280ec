#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reliability part 2: fault injection. katod runs under faultinj.so (an
# LD_PRELOAD interposer, see faultinj.c) while the three providers' chats
# grow; writes to the recordings (under the notes directory) or to the
# database (kato.db, kato.db-wal) fail with ENOSPC, EIO or EINTR, are cut
# short, or fsync/fdatasync fails. Then the faults stop (a control file)
# and katod must converge: the Markdown files and store exports equal an
# uninterrupted run's, nothing lost, nothing twice; katod never crashed
# (a clean exit on a database fault is allowed, and a restart must then
# converge). Last, the recording destination is replaced by a symlink and
# by a hard link to a file outside the notes directory between two
# appends: nothing may be written through them, and kato status must show
# the failure.
#   FAULT_KINDS="enospc eio short eintr fsync"  FAULT_TARGETS="md db"
#   FAULT_EVERY=K (default 3)  FAULT_MAX=M per katod process (default 6)
. "$(cd "$(dirname "$0")" && pwd)/env.sh"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/reliability/common.sh"
set -o pipefail

KINDS=${FAULT_KINDS:-enospc eio short eintr fsync}
TARGETS=${FAULT_TARGETS:-md db}
CC=${CC:-cc}
SO="$T/faultinj.so"
$CC -shared -fPIC -O1 -Wall -o "$SO" "$top_srcdir/tests/reliability/faultinj.c" -ldl
REAL_KATOD=$KATOD
export WAIT_TRIES=${WAIT_TRIES:-900} # the recorder's retry delay doubles (2 s, 4 s, ...)

# A katod that runs under the interposer (exec keeps the pid).
cat >"$T/katod-faulty" <<EOS
#!/bin/sh
exec env LD_PRELOAD="$SO" "$REAL_KATOD" "\$@"
EOS
chmod +x "$T/katod-faulty"

# write_chats: the three chats, one line each in turn, current times.
write_chats() {
	local n p
	for p in codex gemini; do header "$p" >>"$(log_of "$p")"; done
	for n in $(seq 1 "${#CHAT[@]}"); do
		for p in claude codex gemini; do chat_line "$p" "$n"; done
		sleep 0.05
	done
}

snap() { snapshot_files; snapshot_store; }

# The reference: an uninterrupted run.
fresh_chat
start_katod
write_chats
wait_for "reference run settled" chat_settled
stop_katod TERM
snap >"$T/want"
check "the reference run recorded all three chats" bash -c \
	"[ \$(grep -c '^== ' '$T/want') -eq 12 ] && grep -q answer-10 '$NOTES/gemini/b.md'"

# katod_state: sets STATE to "running", or to how katod ended: "exit N"
# or "signal NAME" (not in a subshell: it reaps the child).
katod_state() {
	if [ -n "$KATOD_PID" ] && kill -0 "$KATOD_PID" 2>/dev/null &&
		! grep -q '^State:.*Z' "/proc/$KATOD_PID/status" 2>/dev/null; then
		STATE=running
		return
	fi
	local rc=0
	[ -n "$KATOD_PID" ] && { wait "$KATOD_PID" || rc=$?; }
	KATOD_PID=
	if [ "$rc" -gt 128 ]; then STATE="signal $(kill -l $((rc - 128)))"; else STATE="exit $rc"; fi
}

TOTAL=0
declare -A PER_KIND
for target in $TARGETS; do
	case $target in
	md) match="$NOTES/" ;;
	db) match="kato.db" ;;
	esac
	for kind in $KINDS; do
		what="$kind on $target"
		fresh_chat
		log="$T/faults-$kind-$target.log"
		rm -f "$log" "$T/stop" "$T/arm"
		export KATO_FAULT=$kind KATO_FAULT_PATH=$match KATO_FAULT_EVERY=${FAULT_EVERY:-3} \
			KATO_FAULT_MAX=${FAULT_MAX:-6} KATO_FAULT_ARM="$T/arm" KATO_FAULT_STOP="$T/stop" \
			KATO_FAULT_LOG="$log"
		KATOD="$T/katod-faulty"
		start_katod
		touch "$T/arm" # the faults start once katod watches
		write_chats
		sleep 1
		katod_state
		state=$STATE
		if [ "$target:$kind" = db:fsync ] && [ "$state" = running ]; then
			# In WAL mode with synchronous=NORMAL SQLite syncs only when it
			# checkpoints, which a short run does at close: stop katod
			# while the faults are on, then restart it.
			stop_katod TERM && state="exit 0 (SIGTERM, faults on)" || state="exit $? (SIGTERM, faults on)"
		fi
		touch "$T/stop" # the faults end here
		n=$(wc -l <"$log" 2>/dev/null || echo 0)
		n=${n// /}
		TOTAL=$((TOTAL + n))
		PER_KIND[$kind]=$(( ${PER_KIND[$kind]:-0} + n ))
		restarted=no
		if [ "$state" != running ]; then
			restarted=yes # a clean exit on a store error: a restart must converge
			KATOD=$REAL_KATOD
			start_katod || true
		fi
		ok=yes
		wait_for "$what: converged" chat_settled || ok=no
		katod_state
		final=$STATE
		if [ "$final" = running ]; then stop_katod TERM || true; fi
		KATOD=$REAL_KATOD
		unset KATO_FAULT KATO_FAULT_PATH KATO_FAULT_EVERY KATO_FAULT_MAX KATO_FAULT_ARM KATO_FAULT_STOP KATO_FAULT_LOG
		echo "# $what: $n faults injected; katod after the faults: $state; restarted: $restarted"
		check "$what: at least one fault injected ($n)" [ "$n" -gt 0 ]
		check "$what: katod did not crash ($state)" bash -c "[[ '$state' != signal* ]]"
		check "$what: katod converged and kept running (settled: $ok, $final)" \
			bash -c "[ $ok = yes ] && [ '$final' = running ]"
		if snap | cmp -s - "$T/want"; then
			ok "$what: files and exports equal the uninterrupted run's"
		else
			not_ok "$what: files and exports equal the uninterrupted run's"
			snap | diff "$T/want" - | head -30 || true
		fi
	done
done

# ---- symlink and hard link swapped in for the destination between appends
fresh_chat
start_katod
OUT="$T/outside"
mkdir -p "$OUT"
printf 'NOT KATO: symlink target\n' >"$OUT/sym-target.md"
printf 'NOT KATO: hard link target\n' >"$OUT/hl-target.md"
cp "$OUT/sym-target.md" "$OUT/sym-target.orig"
cp "$OUT/hl-target.md" "$OUT/hl-target.orig"
f=$(log_of claude)
d="$NOTES/claude"
n=0
say() { # say u|a TEXT
	n=$((n + 1))
	emit claude "$n" "$1" "$2" >>"$f"
}
say u "::capture $d/sym.md"
say a "first append to sym"
say u "talk-sym"
wait_for "sym.md recorded" grep -q talk-sym "$d/sym.md" || true
rm -f "$d/sym.md"
ln -s "$OUT/sym-target.md" "$d/sym.md"
say a "answer-through-symlink"
say u "more talk after the swap"
sleep 3
check "symlink: nothing written through a symlinked destination" cmp -s "$OUT/sym-target.md" "$OUT/sym-target.orig"
"$KATO" status >"$T/status-sym" 2>&1 || true
"$KATO" status --json >"$T/status-sym.json" 2>&1 || true
check "symlink: kato status shows the failed append (or a denial) for sym.md" bash -c \
	"grep -E 'sym\\.md.*(retried|fail|denied|refus)|(fail|denied|refus).*sym\\.md' '$T/status-sym' || jq -e '.recordings[] | select(.path|endswith(\"sym.md\")) | .pendingAppend' '$T/status-sym.json' >/dev/null"

# (another session: the claude one now waits for its blocked append)
g=$(log_of gemini)
header gemini >>"$g"
gsay() { # gsay u|a TEXT
	n=$((n + 1))
	emit gemini "$n" "$1" "$2" >>"$g"
}
gsay u "::capture $d/hl.md"
gsay a "first append to hl"
gsay u "talk-hl"
wait_for "hl.md recorded" grep -q talk-hl "$d/hl.md" || true
rm -f "$d/hl.md"
ln "$OUT/hl-target.md" "$d/hl.md"
gsay a "answer-through-hardlink"
gsay u "more talk after the hard link"
sleep 3
check "hard link: nothing written through a hard-linked destination" cmp -s "$OUT/hl-target.md" "$OUT/hl-target.orig"
"$KATO" status >"$T/status-hl" 2>&1 || true
"$KATO" status --json >"$T/status-hl.json" 2>&1 || true
check "hard link: kato status shows the failed append (or a denial) for hl.md" bash -c \
	"grep -E 'hl\\.md.*(retried|fail|denied|refus)|(fail|denied|refus).*hl\\.md' '$T/status-hl' || jq -e '.recordings[] | select(.path|endswith(\"hl.md\")) | .pendingAppend' '$T/status-hl.json' >/dev/null"
check "katod still runs after the link swaps" kill -0 "$KATOD_PID"
stop_katod TERM || true

echo "# faults injected: $TOTAL in all;$(for k in $KINDS; do printf ' %s %s' "$k" "${PER_KIND[$k]:-0}"; done)"
finish
