#!/bin/bash
# check-prefixes.sh: the series is bisectable. Applies the patches one by one
# to the base in build/prefix and builds vmlinux after each, twice: with
# config/uprobes.config (build/obj-prefix) and with the same fragment but
# CONFIG_UPROBES=n (build/obj-prefix-n). Both build directories are kept, so
# each step rebuilds only what the patch changed (and ccache serves the
# rest on a new machine). Prints one "@@ ok|fail prefix/NN-{y,n}" line per
# build; the compiler's output of a failed build is kept in build/prefix-*.log.
. "$(dirname "$0")/lib.sh"
tree=$BUILD/prefix
fy=$TOP/config/uprobes.config fn=$BUILD/prefix-n.config
sed -e 's/^CONFIG_UPROBES=y$/# CONFIG_UPROBES is not set/' \
	-e '/^CONFIG_UPROBE_EVENTS=y$/d' -e '/^CONFIG_UPROBES_KUNIT_TEST=y$/d' "$fy" > "$fn"
result() { if [ "$2" = 0 ]; then echo "@@ ok $1"; else echo "@@ fail $1${3:+ # $3}"; fi; }

[ -e "$tree" ] && git -C "$SRC" worktree remove --force "$tree"
git -C "$SRC" worktree add -q --detach "$tree" base
trap 'git -C "$SRC" worktree remove --force "$tree"' EXIT
n=0
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	n=$((n + 1)) nn=$(printf %02d $n)
	if ! git -C "$tree" am -q "$TOP/patches/$p" > "$BUILD/prefix-am.log" 2>&1; then
		result "prefix/$nn-apply" 1 "$p does not apply"
		break
	fi
	for v in y n; do
		frag=$fy obj=$BUILD/obj-prefix
		[ $v = n ] && frag=$fn obj=$BUILD/obj-prefix-n
		start=$SECONDS rc=0
		"$TOP/scripts/build.sh" "$tree" "$obj" "$frag" > "$BUILD/prefix-$nn-$v.log" 2>&1 || rc=$?
		# UPROBES=n must really be off, or the check proves nothing.
		if [ $rc = 0 ] && [ $v = n ] && grep -q '^CONFIG_UPROBES=y' "$obj/.config"; then
			rc=1
		fi
		[ $rc = 0 ] && rm -f "$BUILD/prefix-$nn-$v.log"
		result "prefix/$nn-$v" $rc "$p, CONFIG_UPROBES=$v: see build/prefix-$nn-$v.log"
		say "$nn $v: $((SECONDS - start)) s"
	done
done < "$TOP/series"
