#!/bin/bash
# check-debug.sh: the series on a debug kernel. Builds $SRC (the series
# applied) with config/uprobes.config + config/debug.config (KASAN, lockdep
# and PROVE_RCU, DEBUG_ATOMIC_SLEEP, kmemleak, DEBUG_LIST, SLUB_DEBUG,
# DEBUG_VM) into build/obj-debug, boots it with the whole suite
# (guest/check.sh, CHECK_DEBUG=1 adds guest/debug.sh: a kmemleak scan) and
# counts the results with scripts/report.sh. Any splat in the kernel log
# fails kernel/log-clean, and is printed.
. "$(dirname "$0")/lib.sh"
obj=$BUILD/obj-debug frag=$BUILD/debug.config log=$BUILD/check-debug.log
cat "$TOP/config/uprobes.config" "$TOP/config/debug.config" > "$frag"
# A bzImage: KASAN's instrumented memcmp() faults in the PVH entry path
# that QEMU's direct boot of a vmlinux takes, before the shadow exists.
"$TOP/scripts/build.sh" "$SRC" "$obj" "$frag" bzImage
while read -r o; do
	grep -qx "$o" "$obj/.config" || die "$o did not stick in $obj/.config"
done < <(grep '^CONFIG_.*=y$' "$frag")
# KASAN and lockdep make the guest three to four times slower under TCG.
# slub_debug=FZPU: consistency checks, red zones, poisoning, owner tracking.
# acpi=noirq: that slow, the AML of QEMU's _PRT runs into ACPICA's loop
# timeout, virtio gets no interrupt and the 9p root mount hangs. The fuzzer
# runs a tenth of its lines (at KASAN's speed the full count takes an
# hour), fault injection gets 20 min instead of 170 s, and xol_overflow
# reports, without requiring it, a thread seen waiting for an XOL slot.
BOOT_TIMEOUT=${BOOT_TIMEOUT:-5400} \
	BOOT_ARGS="CHECK_DEBUG=1 slub_debug=FZPU acpi=noirq FUZZ_COUNT=10000 FUZZ_DYN_COUNT=2000 FAULTS_TIMEOUT=1200 UPROBES_STRESS_SLOW=1 ${BOOT_ARGS:-}" \
	"$TOP/scripts/boot.sh" "$obj/arch/x86/boot/bzImage" "$TOP/guest/check.sh" "$log"
"$TOP/scripts/report.sh" "$log"
