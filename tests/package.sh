#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the Debian packages from a clean copy of the source tree, run
# lintian on them, install them, and check the installed kato as a user
# and a plugin author would:
#   - kato providers lists claude, codex and gemini from
#     /usr/lib/<multiarch>/kato/providers and exits 0;
#   - katod runs (systemctl --user start katod when a user manager is
#     there, else katod --foreground) and stops on SIGTERM;
#   - the example plugin from kato-dev builds out of tree with only
#     pkg-config kato-provider, loads from $XDG_DATA_HOME/kato/providers,
#     and kato import --provider hello stores its events.
# Then it purges the packages again (also on failure), so the machine is
# as before. It installs with dpkg, so it needs root or sudo; it refuses
# to touch a kato already installed.
#
# Usage: tests/package.sh [--check]   (--check: also run make check in
# the package build, dh_auto_test; off by default: CI runs it already)
# Needs: dpkg-dev debhelper lintian (contrib/deps.sh --package).
set -euo pipefail
# SUDO and the paths below may be overridden from the environment.
here=$(cd "$(dirname "$0")/.." && pwd)
nocheck=nocheck
[ "${1:-}" = --check ] && nocheck=
SUDO=${SUDO-}
if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then SUDO=sudo; fi
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null || { echo "package.sh: $t not found: run contrib/deps.sh --package"; exit 1; }
done
if dpkg-query -W -f='${Status}' kato 2>/dev/null | grep -q installed ||
   dpkg-query -W -f='${Status}' kato-dev 2>/dev/null | grep -q installed; then
	echo "package.sh: kato is already installed here; remove it first (apt-get purge kato kato-dev)"
	exit 1
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/kato-package.XXXXXX")
chmod 755 "$W"
installed=
PASSED=0
FAILED=0
cleanup() {
	if [ -n "$installed" ]; then $SUDO dpkg --purge kato-dev kato >/dev/null || true; fi
	if [ "$FAILED" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "kept $W"; fi
}
trap cleanup EXIT
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

# ---- a clean copy: the tracked and new files of the tree, no build output
mkdir -p "$W/src"
if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$here" && git ls-files -z -co --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$W/src"
else
	(cd "$here" && tar --exclude=./build-asan -cf - .) | tar -xf - -C "$W/src"
	if [ -f "$W/src/Makefile" ]; then (cd "$W/src" && make -s distclean >/dev/null); fi
fi

# ---- build
start=$(date +%s)
if (cd "$W/src" && DEB_BUILD_OPTIONS="$nocheck parallel=2" dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(( $(date +%s) - start )) s${nocheck:+, nocheck})"
else
	not_ok "dpkg-buildpackage -us -uc -b (see $W/build.log)"
	tail -30 "$W/build.log"
	exit 1
fi
KATO_DEB=$(ls "$W"/kato_*.deb)
DEV_DEB=$(ls "$W"/kato-dev_*.deb)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
dpkg -c "$KATO_DEB" >"$W/kato.contents"
dpkg -c "$DEV_DEB" >"$W/kato-dev.contents"
has() { grep -q " \./$2\( \|$\)" "$W/$1.contents"; }
for f in usr/bin/kato usr/bin/katod usr/lib/$MA/kato/providers/claude.so \
	usr/lib/$MA/kato/providers/codex.so usr/lib/$MA/kato/providers/gemini.so \
	usr/lib/systemd/user/katod.service usr/share/man/man1/kato.1.gz usr/share/man/man1/katod.1.gz usr/share/man/man5/kato-config.5.gz \
	usr/share/bash-completion/completions/kato usr/share/zsh/vendor-completions/_kato; do
	check "kato has /$f" has kato "$f"
done
for f in usr/include/kato/provider.h usr/lib/$MA/pkgconfig/kato-provider.pc \
	usr/share/man/man7/kato-provider.7.gz usr/share/doc/kato-dev/examples/provider-hello/hello.c \
	usr/share/doc/kato-dev/examples/provider-hello/Makefile; do
	check "kato-dev has /$f" has kato-dev "$f"
done
check "no .la file anywhere" bash -c "! grep -q '\.la\$' '$W/kato.contents' '$W/kato-dev.contents'"

# ---- lintian (as a normal user when we are root: it says so otherwise)
lint() { if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
		su nobody -s /bin/sh -c "HOME='$W' lintian $*"
	else lintian "$@"; fi; }
lint -I --pedantic "$W"/kato_*.changes >"$W/lintian.txt" 2>&1 || true
sed 's/^/  lintian: /' "$W/lintian.txt"
check "lintian: no errors" bash -c "! grep -q '^E: ' '$W/lintian.txt'"

# ---- install
$SUDO dpkg -i "$KATO_DEB" "$DEV_DEB" >"$W/install.log" 2>&1 && installed=1 || {
	$SUDO dpkg --purge kato-dev kato >/dev/null 2>&1 || true
	not_ok "dpkg -i kato kato-dev"; cat "$W/install.log"; exit 1; }
ok "dpkg -i kato kato-dev"
check "the user unit is not enabled for every user" \
	bash -c "! ls /etc/systemd/user/default.target.wants/katod.service >/dev/null 2>&1"

# ---- as a user, in a scratch home
# (no KATO_HOME: it would move the plugin directory to $KATO_HOME/providers)
export HOME="$W/home" XDG_DATA_HOME="$W/xdg" XDG_STATE_HOME="$W/state" TZ=UTC LC_ALL=C.UTF-8
unset KATO_HOME KATO_PROVIDER_PATH XDG_CONFIG_HOME
mkdir -p "$HOME"
cd "$W"
/usr/bin/kato providers >"$W/providers.out" 2>&1 && rc=0 || rc=$?
cat "$W/providers.out"
check "kato providers: exit 0" [ "$rc" -eq 0 ]
for p in claude codex gemini; do
	check "kato providers: $p from /usr/lib/$MA/kato/providers" \
		grep -q "^$p .* /usr/lib/$MA/kato/providers/$p.so\$" "$W/providers.out"
done
check "kato --version" bash -c "/usr/bin/kato --version | grep -q '^kato [0-9]'"
check "man kato-provider is installed" test -s /usr/share/man/man7/kato-provider.7.gz

# katod: under the user's systemd when there is one, else by hand
if [ "$(id -u)" -ne 0 ] && systemctl --user show-environment >/dev/null 2>&1; then
	systemctl --user daemon-reload
	systemctl --user start katod
	sleep 2
	check "systemctl --user start katod: active" systemctl --user is-active --quiet katod
	systemctl --user stop katod
else
	/usr/bin/katod --foreground >"$W/katod.log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q 'backfill done' "$W/katod.log" && break; sleep 0.1; done
	check "katod --foreground starts with the 3 installed providers" grep -q 'starting: store .*, 3 provider(s)' "$W/katod.log"
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	check "katod stops on SIGTERM (exit $rc)" [ "$rc" -eq 0 ]
fi

# ---- the example plugin, built out of tree against the installed -dev
cp -r /usr/share/doc/kato-dev/examples/provider-hello "$W/hello"
check "example: make (pkg-config kato-provider only)" make -C "$W/hello" -s
check "example: make install to \$XDG_DATA_HOME/kato/providers" \
	bash -c "make -C '$W/hello' -s install && test -f '$XDG_DATA_HOME/kato/providers/hello.so'"
/usr/bin/kato providers >"$W/providers.out" 2>&1 && rc=0 || rc=$?
check "kato providers lists hello from \$XDG_DATA_HOME (exit $rc)" \
	grep -q "^hello .* $XDG_DATA_HOME/kato/providers/hello.so\$" "$W/providers.out"
/usr/bin/kato import --provider hello "$W/hello/sample.hello" >"$W/import.out" 2>&1 || true
check "kato import --provider hello: 4 events" grep -q '4 new event(s)' "$W/import.out"
check "... stored under session greet-42" \
	bash -c "[ \"\$(/usr/bin/kato export greet-42 --format jsonl | wc -l)\" -eq 4 ]"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
