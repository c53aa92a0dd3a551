#!/bin/bash
# export.sh [TREE]: turn a working tree (base plus one commit per patch, e.g.
# build/dev made by worktree.sh) into patches/, series and the repo's copies
# of the files the series creates, at their kernel paths.
. "$(dirname "$0")/lib.sh"
tree=${1:-$BUILD/dev}
cd "$TOP"
[ -z "$(git -C "$tree" status --porcelain -uno)" ] || die "$tree has uncommitted changes"
rm -rf patches && mkdir patches
git -C "$tree" format-patch -q --cover-letter --no-signature --zero-commit \
	--base=base -o "$TOP/patches" base..HEAD
# Fill the cover letter from cover-letter.txt (first line: subject).
subject=$(head -n 1 cover-letter.txt)
perl -0pi -e '
	BEGIN { local $/; open my $f, "<", "cover-letter.txt"; $b = <$f>; $b =~ s/\A[^\n]*\n\n?//; }
	s/\*\*\* SUBJECT HERE \*\*\*/'"$(printf '%s' "$subject" | sed "s/[\\/'&]/\\\\&/g")"'/;
	s/\*\*\* BLURB HERE \*\*\*\n/$b/;' patches/0000-cover-letter.patch
{
	echo "# The uprobes series, in quilt's format; made by scripts/export.sh."
	(cd patches && ls 0*.patch | grep -v '^0000-cover-letter')
} > series
# The files the series creates, at their kernel paths; drop ones it no longer creates.
created=$(git -C "$tree" diff --name-only --diff-filter=A base HEAD)
for f in $(git ls-files -- kernel arch include Documentation tools mm lib); do
	grep -qxF "$f" <<< "$created" || git rm -q "$f"
done
for f in $created; do
	install -D -m "$(stat -c %a "$tree/$f")" "$tree/$f" "$f"
done
say "exported $(grep -vc '^#' series) patches"
