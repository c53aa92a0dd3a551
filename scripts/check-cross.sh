#!/bin/bash
# check-cross.sh [ARCH...]: compile-tests the series (build/src, or
# CROSS_SRC=) for other architectures that use the generic core through the
# arch_uprobe_* interface (default: powerpc riscv). For each, installs
# Debian's cross gcc, builds vmlinux from tinyconfig + config/cross.config +
# config/cross-ARCH.config into build/obj-cross-ARCH, checks that the
# uprobes options stuck and that the core, the frontend and the arch's own
# uprobes.c were built into it, then compiles those files again with W=1:
# one "@@ ok|fail cross/ARCH-..." line each, counted by scripts/report.sh;
# W=1 fails on a warning in our files only (the arch's uprobes.c is the
# base tree's).
# Not booted. Like check-arm64, it takes gcc-multilib away.
. "$(dirname "$0")/lib.sh"
src=$(realpath "${CROSS_SRC:-$SRC}") log=$BUILD/check-cross.log
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(powerpc riscv)
export DEBIAN_FRONTEND=noninteractive
declare -A triple=([powerpc]=powerpc64le-linux-gnu [riscv]=riscv64-linux-gnu)
declare -A archfile=([powerpc]=arch/powerpc/kernel/uprobes.o
		     [riscv]=arch/riscv/kernel/probes/uprobes.o)
ours=(kernel/uprobes.o kernel/trace/trace_uprobe.o)

res() { echo "@@ $1 cross/$2" | tee -a "$log"; }
: > "$log"
for arch in "${arches[@]}"; do
	t=${triple[$arch]:-} || true
	[ -n "$t" ] || die "no cross compiler known for $arch"
	if ! command -v "$t-gcc" >/dev/null; then
		say "installing gcc-$t"
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends "gcc-$t" >/dev/null
	fi
	command -v "$t-gcc" >/dev/null || die "no $t-gcc: the package install failed"
	obj=$BUILD/obj-cross-$arch frag=$BUILD/cross-$arch.config
	cat "$TOP/config/cross.config" "$TOP/config/cross-$arch.config" > "$frag"
	if ARCH=$arch CROSS_COMPILE=$t- "$TOP/scripts/build.sh" "$src" "$obj" "$frag" \
		vmlinux 2> "$obj.err"; then
		res ok "$arch-vmlinux"
	else
		tail -20 "$obj.err" >&2
		res fail "$arch-vmlinux"
		continue
	fi
	st=ok
	for o in CONFIG_UPROBES=y CONFIG_UPROBE_EVENTS=y CONFIG_BPF_EVENTS=y \
		 CONFIG_UPROBES_KUNIT_TEST=y; do
		grep -qx "$o" "$obj/.config" || { say "$arch: $o did not stick"; st=fail; }
	done
	for o in "${ours[@]}" "${archfile[$arch]}"; do
		[ -f "$obj/$o" ] || { say "$arch: $o was not built"; st=fail; }
	done
	res $st "$arch-config"
	# W=1 changes the command line, so kbuild compiles these again. The
	# arch's file is the base tree's: its warnings are shown, not counted.
	if make -s -C "$src" O="$obj" ARCH="$arch" CROSS_COMPILE="$t-" W=1 \
		-j"$JOBS" "${ours[@]}" "${archfile[$arch]}" 2> "$obj.w1" &&
	   ! grep 'warning:' "$obj.w1" | grep -v '/arch/' | grep -q -e 'kernel/uprobes' \
		-e 'kernel/trace/trace_uprobe' -e 'include/linux/uprobes.h'; then
		grep 'warning:' "$obj.w1" >&2 || true
		res ok "$arch-w1"
	else
		cat "$obj.w1" >&2
		res fail "$arch-w1"
	fi
done
echo "@@ done" >> "$log"
"$TOP/scripts/report.sh" "$log"
