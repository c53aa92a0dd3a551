# The uprobes series: `make run` shows it working, `make check` tests it.
# Everything lands in build/ (git-ignored) and is reused while still valid.
SHELL := /bin/bash
B := $(CURDIR)/build

.PHONY: run check bench deps base series kernel initramfs selftests series-check \
	export worktree clean

run: kernel initramfs
	scripts/boot.sh $(B)/obj/vmlinux $(CURDIR)/guest/demo.sh $(B)/demo.log

check: kernel initramfs selftests
	scripts/check-series.sh > $(B)/host-results
	scripts/check-prefixes.sh --quick >> $(B)/host-results || \
		echo "@@ fail prefix/run # check-prefixes.sh stopped with $$?" >> $(B)/host-results
	scripts/coverage.sh >> $(B)/host-results
	scripts/boot.sh $(B)/obj/vmlinux $(CURDIR)/guest/check.sh $(B)/check.log
	scripts/report.sh $(B)/check.log $(B)/host-results

# Not a test: ours against stock 6.12 (scripts/stock.sh), alternating boots.
bench: kernel initramfs
	scripts/bench.sh

deps:
	scripts/deps.sh

base: deps
	scripts/base.sh

series: base
	scripts/apply.sh

kernel: series
	scripts/build.sh

initramfs: deps
	scripts/initramfs.sh

selftests: series
	scripts/selftests.sh

series-check: base
	scripts/check-series.sh

# The whole suite on a debug kernel (KASAN, lockdep, kmemleak, ...): any
# splat fails the run. Not run by CI (several times as long as make check).
.PHONY: check-debug
check-debug: series initramfs selftests
	scripts/check-debug.sh

# Every prefix of the series builds, with CONFIG_UPROBES=y and =n: all of
# vmlinux each time (make check does --quick: the objects each patch can
# break).
.PHONY: check-prefixes
check-prefixes: series
	scripts/check-prefixes.sh

# The generic core on arm64: cross-build, boot under qemu-system-aarch64
# (TCG), run uprobes_test and the return probe tests there. ARM64_SRC=
# picks another tree than build/src.
.PHONY: check-arm64
check-arm64: series
	scripts/check-arm64.sh

# Compile-tests the core on powerpc and riscv (cross gcc, tinyconfig +
# config/cross*.config, W=1 on our files). Not part of `make check`.
.PHONY: check-cross
check-cross: series
	scripts/check-cross.sh

# The BPF selftests that attach uprobes (test_progs, clang-19), on stock
# 6.12 and on ours, side by side. Not part of `make check`.
.PHONY: check-bpf
check-bpf: series initramfs
	scripts/check-bpf.sh

# Developer workflow: a working tree with one commit per patch, and back.
worktree: base
	scripts/worktree.sh

export:
	scripts/export.sh

clean:
	rm -rf $(B)
