#!/bin/bash
# worktree.sh [DIR]: set up a working tree (default build/dev) from the
# series: base plus one commit per patch, on branch "dev". Edit there, commit
# (amend or fixup the patch's commit), then scripts/export.sh.
. "$(dirname "$0")/lib.sh"
dir=${1:-$BUILD/dev}
"$TOP/scripts/base.sh"
[ -e "$dir" ] && die "$dir exists; remove it (git -C $SRC worktree remove $dir) first"
git -C "$SRC" worktree add -q -B dev "$dir" base
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	git -C "$dir" am -q "$TOP/patches/$p" || die "$p does not apply"
done < "$TOP/series"
say "working tree at $dir"
