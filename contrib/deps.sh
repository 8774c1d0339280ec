#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install what building and testing kato needs on Debian 12 / Ubuntu 22.04+
# (jq and zstd are used by the integration tests only).
# --package also installs what building and checking the Debian packages
# needs (tests/package.sh, make package-check).
# Run it as root, or as a user who may use sudo (it asks for it).
set -e
if [ "$(id -u)" -ne 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	gcc make pkg-config autoconf automake libtool \
	libjson-c-dev libsqlite3-dev libyaml-dev libzstd-dev libxxhash-dev check \
	jq zstd
if [ "${1:-}" = --package ]; then
	apt-get install -y -qq --no-install-recommends \
		dpkg-dev debhelper lintian
fi
