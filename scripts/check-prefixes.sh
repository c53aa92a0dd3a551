#!/bin/bash
# check-prefixes.sh [--quick]: the series is bisectable. Applies the patches
# one by one to the base in build/prefix and builds after each, twice: with
# config/uprobes.config (build/obj-prefix) and with the same fragment but
# CONFIG_UPROBES=n (build/obj-prefix-n). Both build directories are kept, so
# each step rebuilds only what the patch changed (and ccache serves the
# rest on a new machine). Prints one "@@ ok|fail prefix/NN-{y,n}" line per
# build; the compiler's output of a failed build is kept in build/prefix-*.log.
#
# Without --quick every build is a whole vmlinux (make check-prefixes, an
# hour or two). With --quick (make check) each step compiles only the
# objects the patch can break: the C files it changes, and when it changes a
# header, Kconfig or a Makefile, every file outside our own that calls the
# uprobes API; an object is compiled only if the prefix's .config builds it.
# The final tree's whole vmlinux is make check's own build.
. "$(dirname "$0")/lib.sh"
quick=
[ "${1:-}" = --quick ] && quick=1
tree=$BUILD/prefix
fy=$TOP/config/uprobes.config fn=$BUILD/prefix-n.config
# UPROBE_EVENTS defaults to y and selects UPROBES: it must be said n too.
sed -e 's/^CONFIG_UPROBES=y$/# CONFIG_UPROBES is not set/' \
	-e 's/^CONFIG_UPROBE_EVENTS=y$/# CONFIG_UPROBE_EVENTS is not set/' \
	-e '/^CONFIG_UPROBES_KUNIT_TEST=y$/d' "$fy" > "$fn"
result() { if [ "$2" = 0 ]; then echo "@@ ok $1"; else echo "@@ fail $1${3:+ # $3}"; fi; }

# The base tree's callers of the uprobes API (include/linux/uprobes.h).
users="arch/x86/events/core.c arch/x86/kernel/signal.c arch/x86/kernel/traps.c
kernel/bpf/syscall.c kernel/entry/common.c kernel/events/callchain.c
kernel/events/core.c kernel/fork.c kernel/seccomp.c kernel/signal.c
kernel/trace/bpf_trace.c kernel/trace/trace_event_perf.c mm/memory.c mm/mmap.c
mm/vma.c"

# Does $obj/.config build the C file $1? Its Makefile line (continuation
# lines joined) names the symbol, or is obj-y.
built() {
	local name sym
	name=$(basename "$1" .c)
	sym=$(sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$tree/${1%/*}/Makefile" |
		sed -n "s/^[a-z0-9_]*-\\(y\\|\\\$(\\(CONFIG_[A-Z0-9_]*\\))\\)[ \t]*[+:]\\?=.*\\b$name\\.o\\b.*/\\1/p" |
		head -n 1)
	case $sym in
	'') return 1 ;;
	y) return 0 ;;
	esac
	sym=${sym#\$(} sym=${sym%)}
	grep -qx "$sym=y" "$obj/.config"
}

# The objects step $1 of the series must compile in $obj (quick mode).
objects() {
	local files f
	files=$(git -C "$tree" diff --name-only HEAD~1 HEAD)
	grep -Eq '(\.h|Kconfig|Makefile)$' <<<"$files" && files="$files $users"
	for f in $files; do
		case $f in
		tools/*|Documentation/*|*_test.c) continue ;;
		*.c) if [ -f "$tree/$f" ] && built "$f"; then echo "${f%.c}.o"; fi ;;
		esac
	done | sort -u
}

[ -e "$tree" ] || git -C "$SRC" worktree add -q --detach "$tree" base
git -C "$tree" am --abort > /dev/null 2>&1 || true
git -C "$tree" checkout -q -f --detach base
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
		start=$SECONDS rc=0 log=$BUILD/prefix-$nn-$v.log targets=vmlinux
		if [ -n "$quick" ]; then
			# configure only, then the objects this prefix makes it build
			"$TOP/scripts/build.sh" "$tree" "$obj" "$frag" prepare > "$log" 2>&1 || rc=$?
			targets=$(objects)
		fi
		if [ $rc = 0 ] && [ -n "$targets" ]; then
			# shellcheck disable=SC2086 # one target per word
			"$TOP/scripts/build.sh" "$tree" "$obj" "$frag" $targets >> "$log" 2>&1 || rc=$?
		fi
		# No new warning in a file the series has touched so far.
		if [ $rc = 0 ] && grep ': warning: ' "$log" |
			grep -qF -f <(git -C "$tree" diff --name-only base HEAD); then
			rc=1
		fi
		# UPROBES=n must really be off, or the check proves nothing.
		if [ $rc = 0 ] && [ $v = n ] && grep -q '^CONFIG_UPROBES=y' "$obj/.config"; then
			rc=1
		fi
		[ $rc = 0 ] && rm -f "$log"
		result "prefix/$nn-$v" $rc "$p, CONFIG_UPROBES=$v: errors or warnings in build/prefix-$nn-$v.log"
		say "$nn $v: $((SECONDS - start)) s: ${targets//$'\n'/ }"
	done
done < "$TOP/series"
git -C "$tree" checkout -q -f --detach base
