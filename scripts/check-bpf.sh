#!/bin/bash
# check-bpf.sh: the BPF selftests that attach uprobes, on stock 6.12 and on
# ours. Builds both kernels with tinyconfig + config/uprobes.config +
# config/bpf.config (BTF by Debian's pahole, modules): stock from the
# pristine tree (the build/stock worktree of scripts/stock.sh) into
# build/stock-obj-bpf, ours ($SRC) into build/obj-bpf. Builds test_progs of
# the base tree's tools/testing/selftests/bpf with Debian's clang-19,
# lld-19 and llvm-19, once, against stock's vmlinux.h (the tests are
# mainline's; CO-RE relocates them on ours), cut down to $TESTS and the BPF
# programs they use (a copy under build/bpf/src); and bpf_testmod.ko for
# each kernel. Boots each kernel (scripts/boot.sh, guest/bpf-selftests.sh),
# prints the subtests side by side and "stock N passed, ours M passed", and
# fails if a subtest that passes on stock does not pass on ours.
# QEMU_LOCK=FILE serializes the boots with flock(1) (one QEMU at a time).
. "$(dirname "$0")/lib.sh"
b=$BUILD/bpf stree=$BUILD/stock
declare -A kobj=([stock]=$BUILD/stock-obj-bpf [ours]=$BUILD/obj-bpf)
declare -A ktree=([stock]=$stree [ours]=$SRC)
TESTS=${TESTS:-uprobe,uprobe_autoattach,uprobe_multi_test,uretprobe_stack,usdt,attach_probe,bpf_cookie,fill_link_info,task_fd_query_rawtp,task_fd_query_tp,uprobe_syscall,get_func_ip_test,task_pt_regs,build_id}
export DEBIAN_FRONTEND=noninteractive CCACHE_BASEDIR=$BUILD

# Packages: Debian's LLVM 19 for the BPF programs, pahole for BTF.
missing=()
for p in clang-19 lld-19 llvm-19 pahole rsync libelf-dev zlib1g-dev pkg-config; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing: ${missing[*]}"
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH=/usr/lib/llvm-19/bin:$PATH

# The kernels: one fragment of both files; the BPF options must stick
# (stock lacks some of config/uprobes.config, e.g. our KUnit suite).
mkdir -p "$b"
frag=$b/kernel.config
cat "$TOP/config/uprobes.config" "$TOP/config/bpf.config" > "$frag.new"
if cmp -s "$frag.new" "$frag"; then rm "$frag.new"; else mv "$frag.new" "$frag"; fi
[ -d "$stree" ] || git -C "$SRC" worktree add -q --detach "$stree" refs/tags/pristine
for k in stock ours; do
	"$TOP/scripts/build.sh" "${ktree[$k]}" "${kobj[$k]}" "$frag" vmlinux
	"$TOP/scripts/build.sh" "${ktree[$k]}" "${kobj[$k]}" "$frag" modules
	while read -r o; do
		grep -qx "$o" "${kobj[$k]}/.config" || die "$o did not stick in ${kobj[$k]}/.config"
	done < <(grep '^CONFIG_.*=y$' "$TOP/config/bpf.config")
done

# The selftests: a copy of the base tree's tools (the series changes none of
# it) with only the tests we run and the BPF programs their skeletons and
# bpf_object__open_file() calls name.
sel=$b/src/tools/testing/selftests/bpf out=$b/selftests
# test_lsm is built, not run: bpf_cookie calls its stack_mprotect().
build=$TESTS,test_lsm
want="$(git -C "$SRC" rev-parse refs/tags/base) $build"
if [ "$(cat "$b/src.stamp" 2>/dev/null)" != "$want" ]; then
	say "copying the selftests of the base tree into $b/src"
	rm -rf "$b/src"
	mkdir -p "$b/src"
	git -C "$SRC" archive refs/tags/base tools scripts include kernel/bpf | tar -x -C "$b/src"
	keep=(btf_data) lskels=()
	for t in ${build//,/ }; do
		f=$sel/prog_tests/$t.c
		[ -f "$f" ] || die "no test $t in $sel/prog_tests"
		keep+=($(sed -nE 's/.*[^a-z0-9_]([a-z0-9_]+)\.(skel|subskel)\.h.*/\1/p
			s/.*[^a-z0-9_]([a-z0-9_]+)\.bpf\.o.*/\1/p' "$f"))
		lskels+=($(sed -nE 's/.*[^a-z0-9_]([a-z0-9_]+)\.lskel\.h.*/\1.c/p' "$f"))
	done
	keep+=(${lskels[@]//.c/})
	# A linked skeleton (LINKED_SKELS) is made of the objects in its -deps.
	linked=()
	for s in $(printf '%s\n' "${keep[@]}" | sort -u); do
		deps=$(sed -n "s/^$s\.skel\.h-deps := //p" "$sel/Makefile")
		[ -n "$deps" ] || continue
		linked+=("$s.skel.h")
		keep+=(${deps//.bpf.o/})
	done
	for f in "$sel"/prog_tests/*.c; do
		[[ ",$build," == *",$(basename "$f" .c),"* ]] || rm "$f"
	done
	declare -A used
	for s in "${keep[@]}"; do used[$s]=1; done
	for f in "$sel"/progs/*.c; do
		[ -n "${used[$(basename "$f" .c)]:-}" ] || rm "$f"
	done
	# 6.12's rule for prog_tests/tests.h takes "void test_NAME(" at the
	# start of a line only, so it never registers uretprobe_stack
	# ("__weak void test_uretprobe_stack(void)"): take "__weak " too.
	sed -i '/DEFINE_TEST(\\2)/{s/\^void /^(__weak )?void /;s/DEFINE_TEST(\\2)/DEFINE_TEST(\\3)/}' "$sel/Makefile"
	grep -qF '(__weak )?void' "$sel/Makefile" || die "cannot fix the tests.h rule of $sel/Makefile"
	printf 'LINKED_SKELS=%s\nLSKELS=%s\n' "${linked[*]}" "${lskels[*]}" > "$b/skels"
	echo "$want" > "$b/src.stamp"
fi
linked=$(sed -n 's/^LINKED_SKELS=//p' "$b/skels") lskels=$(sed -n 's/^LSKELS=//p' "$b/skels")
say "building test_progs into $out (vmlinux.h from ${kobj[stock]})"
mkdir -p "$out"
btf=$(stat -c '%n %Y' "${kobj[stock]}/vmlinux")
[ "$(cat "$out/btf.stamp" 2>/dev/null)" = "$btf" ] || rm -f "$out/tools/include/vmlinux.h"
make -s -C "$sel" -j"$JOBS" OUTPUT="$out" VMLINUX_BTF="${kobj[stock]}/vmlinux" \
	GENDIR="${kobj[stock]}/include/generated" \
	LINKED_SKELS="$linked" LSKELS="$lskels" LSKELS_EXTRA= \
	TRUNNER_EXTRA_FILES="$out/urandom_read $out/liburandom_read.so $out/uprobe_multi" \
	test_progs
echo "$btf" > "$out/btf.stamp"
for k in stock ours; do
	m=$b/mod-$k
	say "building bpf_testmod.ko for $k into $m"
	rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod*' --exclude=Module.symvers --exclude=modules.order \
		"$sel/bpf_testmod/" "$m/"
	make -s -C "${kobj[$k]}" M="$m" -j"$JOBS" modules
done

# Boot each kernel with the guest job; the results are its "@@" lines.
for k in stock ours; do
	BOOT_ARGS="${BOOT_ARGS:-} ubpf=$k ubpftests=$TESTS" \
		${QEMU_LOCK:+flock "$QEMU_LOCK"} "$TOP/scripts/boot.sh" \
		"${kobj[$k]}/vmlinux" "$TOP/guest/bpf-selftests.sh" "$BUILD/check-bpf-$k.log"
done

# Side by side. A subtest that passes on stock must pass on ours.
res() { sed -nE 's/^.*@@ (ok|fail|skip) bpf\/([^ ]+).*$/\2 \1/p' "$BUILD/check-bpf-$1.log" | LC_ALL=C sort -u -k1,1; }
bad=0
for k in stock ours; do
	grep -q '@@ done' "$BUILD/check-bpf-$k.log" || { say "the $k guest did not finish: see $BUILD/check-bpf-$k.log"; bad=1; }
done
LC_ALL=C join -a1 -a2 -e - -o 0,1.2,2.2 <(res stock) <(res ours) |
	awk -v bad=$bad '
	BEGIN { printf "%-56s %-5s %-5s\n", "subtest", "stock", "ours" }
	{ printf "%-56s %-5s %-5s%s\n", $1, $2, $3, ($2 == "ok" && $3 != "ok") ? "  <- REGRESSION" : ""
	  s += $2 == "ok"; o += $3 == "ok"; if ($2 == "ok" && $3 != "ok") r++ }
	END { printf "stock %d passed, ours %d passed\n", s, o
	      if (r) printf "%d subtest(s) pass on stock and not on ours\n", r
	      exit (r || bad || s == 0) }'
