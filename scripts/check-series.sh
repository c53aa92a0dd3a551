#!/bin/bash
# check-series.sh: the repo and its series must agree. The series applies to
# the base with `git am patches/0*.patch` and with `quilt push -a`, and the
# files it creates are exactly the repo's copies at their kernel paths.
# Prints one "@@ ok|fail NAME" line per check.
. "$(dirname "$0")/lib.sh"
cd "$TOP"
tmp=$(mktemp -d)
trap 'git -C "$SRC" worktree remove --force "$tmp/am" 2>/dev/null; rm -rf "$tmp"' EXIT
result() { if [ "$2" = 0 ]; then echo "@@ ok $1"; else echo "@@ fail $1${3:+ # $3}"; fi; }

# git am, every file in order, the cover letter included.
git -C "$SRC" worktree add -q --detach "$tmp/am" base
(cd "$tmp/am" && git am -q --empty=drop "$TOP"/patches/0*.patch) > "$tmp/am.log" 2>&1
result series/git-am $? "$(tail -n 1 "$tmp/am.log")"

# quilt, from the series file, on a plain copy of the base.
mkdir "$tmp/q" && git -C "$SRC" archive base | tar -x -C "$tmp/q"
ln -s "$TOP/patches" "$tmp/q/patches" && cp series "$tmp/q/series"
(cd "$tmp/q" && QUILT_PATCHES=patches quilt push -a -q) > "$tmp/quilt.log" 2>&1
result series/quilt $? "$(tail -n 1 "$tmp/quilt.log")"

# Created files == the repo's copies.
bad=
created=$(git -C "$tmp/am" diff --name-only --diff-filter=A base HEAD 2>/dev/null)
for f in $created; do
	cmp -s "$tmp/am/$f" "$f" || bad="$bad $f"
	cmp -s "$tmp/q/$f" "$f" || bad="$bad quilt:$f"
done
for f in $(git ls-files -- kernel arch include Documentation tools mm lib); do
	grep -qxF "$f" <<< "$created" || bad="$bad extra:$f"
done
[ -z "$bad" ]
result series/files-agree $? "differ:$bad"

# series lists every patch (the cover letter is for git am and mail only).
diff <(grep -v '^#' series) <(cd patches && ls 0*.patch | grep -v '^0000-') > /dev/null
result series/list $? "series and patches/ differ"
