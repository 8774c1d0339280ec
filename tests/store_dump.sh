#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# store_dump.sh KATO [KATO_HOME]: print every session of a store, in a
# stable order, as its JSONL export and its Markdown export (kato's own
# session ids, which are random, and the Markdown front matter's
# "created:" stamp, the time of the import, are left out). Two stores with the same
# contents print the same bytes.
set -eu
KATO=$1
[ $# -gt 1 ] && export KATO_HOME="$2"
"$KATO" sessions --json |
	sed -n 's/.*"provider":"\([^"]*\)","providerSessionId":"\([^"]*\)".*/\1:\2/p' | LC_ALL=C sort |
	while read -r s; do
		echo "=== $s jsonl"
		"$KATO" export "$s" --format jsonl
		echo "=== $s markdown"
		"$KATO" export "$s" --format markdown | grep -v '^created: [0-9]*$' || true
	done
