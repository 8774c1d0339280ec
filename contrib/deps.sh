#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install what building and testing kato needs on Debian 12 / Ubuntu 22.04+
# (jq and zstd are used by the integration tests only).
# --package also installs what building and checking the Debian packages
# needs (tests/package.sh, make package-check).
# Nothing to do when every package is installed already (any user). Else
# it runs apt-get as root: directly when run as root, through sudo when
# sudo exists, and otherwise it says what to run as root.
set -e
PKGS="gcc make pkg-config autoconf automake libtool \
libjson-c-dev libsqlite3-dev libyaml-dev libzstd-dev libxxhash-dev check \
jq zstd"
if [ "${1:-}" = --package ]; then
	PKGS="$PKGS dpkg-dev debhelper lintian"
fi
missing=
if command -v dpkg-query >/dev/null 2>&1; then
	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		echo "contrib/deps.sh: every build package is installed"
		exit 0
	fi
else
	missing=" $PKGS"
fi
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "contrib/deps.sh: these packages are missing:$missing" >&2
	echo "  you are not root and there is no sudo; as root run: apt-get install$missing" >&2
	echo "  (or: su -c '$0 $*')" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
