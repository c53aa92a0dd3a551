#!/bin/bash
# boot.sh VMLINUX JOB LOG: boot VMLINUX under QEMU (TCG: KVM cannot run nested
# guests here) with the initramfs, run JOB (a script in this repo, seen in the
# guest under /run/uprobes) and copy the console to LOG. A hard timeout
# kills a hung guest.
. "$(dirname "$0")/lib.sh"
vmlinux=$1 job=$(realpath "$2") log=$3
case $job in "$TOP"/*) ;; *) die "$job is not in $TOP" ;; esac
timeout=${BOOT_TIMEOUT:-1500}
say "booting $(basename "$vmlinux") for $(basename "$job") (console: $log)"
set +e
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	-accel tcg -cpu max -smp 2 -m 2G -nodefaults -no-reboot \
	-display none -serial stdio \
	-kernel "$vmlinux" -initrd "$BUILD/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=6 ${BOOT_ARGS:-} urepo=$TOP ujob=${job#"$TOP"/}" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	</dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$log" | grep --line-buffered -v '^\[ *[0-9.]*\] '
rc=${PIPESTATUS[0]}
[ "$rc" = 124 ] && say "guest timed out after ${timeout}s"
exit 0
