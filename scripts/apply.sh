#!/bin/bash
# apply.sh [TREE]: make TREE's branch (default build/src, branch "series") the
# base plus the series in patches/, applied with git am in `series` order.
# Skipped when the same patches were applied last time, so file times (and the
# incremental build) survive.
. "$(dirname "$0")/lib.sh"
tree=${1:-$SRC}
stamp=$BUILD/$(basename "$tree").series.stamp
want=$(cd "$TOP" && cat series $(grep -v '^#' series | sed 's|^|patches/|') | sha1sum | cut -c1-12)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -z "$(git -C "$tree" status --porcelain -uno)" ]; then
	exit 0
fi
say "applying the series to $tree"
git -C "$tree" checkout -q -B series base
n=0
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	git -C "$tree" am -q --whitespace=nowarn "$TOP/patches/$p" || die "$p does not apply"
	n=$((n + 1))
done < "$TOP/series"
echo "$want" > "$stamp"
say "$n patches applied"
