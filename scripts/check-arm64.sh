#!/bin/bash
# check-arm64.sh: the series' generic core on arm64. Cross-builds the tree in
# $ARM64_SRC (default build/src, the series applied) with tinyconfig +
# config/arm64.config into build/obj-arm64; cross-builds the kselftests
# uprobes_test and uprobes_hard, and guest/arm64/retprobes.c; packs them
# with Debian's arm64 busybox, glibc's loader and libc into an initramfs;
# boots it on qemu-system-aarch64 -M virt (TCG, cortex-a57) with
# guest/arm64/init; and counts the "@@" lines of the console
# (build/check-arm64.log) with scripts/report.sh.
. "$(dirname "$0")/lib.sh"
src=$(realpath "${ARM64_SRC:-$SRC}") obj=$BUILD/obj-arm64 a=$BUILD/arm64
frag=$TOP/config/arm64.config log=$BUILD/check-arm64.log
cross=aarch64-linux-gnu-
export DEBIAN_FRONTEND=noninteractive CCACHE_BASEDIR=$BUILD

# Packages: the cross compiler and arm64 libc, QEMU, and busybox-static:arm64
# (downloaded and unpacked, not installed).
missing=()
for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing: ${missing[*]}"
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v "${cross}gcc" >/dev/null || die "no ${cross}gcc: the package install failed"
mkdir -p "$a/pkg" "$a/tests" "$obj"
if [ ! -x "$a/pkg/bin/busybox" ]; then
	say "fetching busybox-static:arm64"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		apt-get update -q >/dev/null
	fi
	(cd "$a" && rm -f busybox-static_*.deb && apt-get download -q busybox-static:arm64 2>/dev/null)
	dpkg -x "$a"/busybox-static_*_arm64.deb "$a/pkg"
fi

# The kernel, and the options that must have stuck.
ARCH=arm64 CROSS_COMPILE=$cross "$TOP/scripts/build.sh" "$src" "$obj" "$frag" Image
while read -r o; do
	grep -qx "$o" "$obj/.config" || die "$o did not stick in $obj/.config"
done < <(grep '^CONFIG_.*=y$' "$frag")

# The tests, and the initramfs.
kst=$src/tools/testing/selftests
make -s -C "$kst/uprobes" ARCH=arm64 CROSS_COMPILE=$cross OUTPUT="$a/tests"
${cross}gcc -Wall -O1 -g -I"$kst" -I"$kst/uprobes" -o "$a/tests/retprobes" \
	"$TOP/guest/arm64/retprobes.c" "$kst/uprobes/uprobes_util.c" -lpthread
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d"/{bin,dev,proc,sys,tmp,lib,tests}
cp "$a/pkg/bin/busybox" "$d/bin/busybox"
cp /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 /usr/aarch64-linux-gnu/lib/libc.so.6 "$d/lib/"
cp "$a/tests/uprobes_test" "$a/tests/uprobes_hard" "$a/tests/retprobes" "$d/tests/"
install -m 755 "$TOP/guest/arm64/init" "$d/init"
(cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) > "$a/initramfs.cpio.gz"

# Boot. PSCI powers the guest off; -no-reboot makes a panic end QEMU too.
timeout=${BOOT_TIMEOUT:-1200}
say "booting arm64 (console: $log)"
set +e
timeout --foreground -k 10 "$timeout" qemu-system-aarch64 \
	-M virt -cpu cortex-a57 -accel tcg -smp 2 -m 1G -nographic -nodefaults -no-reboot \
	-serial stdio -kernel "$obj/arch/arm64/boot/Image" -initrd "$a/initramfs.cpio.gz" \
	-append "console=ttyAMA0 panic=-1 oops=panic loglevel=6 ${BOOT_ARGS:-}" \
	</dev/null 2>&1 | tr -d '\r' | tee "$log" | grep --line-buffered -v '^\[ *[0-9.]*\] '
[ "${PIPESTATUS[0]}" = 124 ] && say "guest timed out after ${timeout}s"
set -e
"$TOP/scripts/report.sh" "$log"
