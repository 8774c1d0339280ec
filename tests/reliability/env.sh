# SPDX-License-Identifier: Apache-2.0
# Reliability harness: locate the source and build trees (sourced first by
# every part). make reliability sets top_srcdir and top_builddir; run by
# hand from a build directory, they default to this checkout and $PWD.
top_srcdir=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
top_builddir=${top_builddir:-$PWD}
[ -x "$top_builddir/katod" ] || top_builddir=$top_srcdir
if [ ! -x "$top_builddir/katod" ]; then
	echo "no katod in $top_builddir: build first (make), or set top_builddir" >&2
	exit 1
fi
export top_srcdir top_builddir
