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

# The generic core on arm64: cross-build, boot under qemu-system-aarch64
# (TCG), run uprobes_test and the return probe tests there. ARM64_SRC=
# picks another tree than build/src.
.PHONY: check-arm64
check-arm64: series
	scripts/check-arm64.sh

# Developer workflow: a working tree with one commit per patch, and back.
worktree: base
	scripts/worktree.sh

export:
	scripts/export.sh

clean:
	rm -rf $(B)
