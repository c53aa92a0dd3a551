#!/bin/bash
# Build stock 6.12 (the pristine Debian tree, mainline uprobes included) with
# the same fragment into build/stock-obj: the reference the benchmark
# compares against, and a cross-check for black-box tests.
. "$(dirname "$0")/lib.sh"
tree=$BUILD/stock
[ -d "$tree" ] || git -C "$SRC" worktree add -q --detach "$tree" refs/tags/pristine
"$TOP/scripts/build.sh" "$tree" "$BUILD/stock-obj"
