# shellcheck shell=bash disable=SC2154 # top, result() come from check.sh
# Fault injection on the uprobes paths (sourced by guest/check.sh). The
# driver, guest/progs/faults_prog.c, fails every allocation below each
# site's kernel function in turn (failslab, fail_page_alloc, and
# fail_usercopy where the kernel has it, with the stack filter and
# fail-nth): a uprobe_events line, enable and disable, the mmap hook, a
# perf uprobe PMU event, a fork inside a return probe and the child's XOL
# page, a first hit stepped out of line, a return probe's hit and its
# trampoline. Every fault must
# end in a clean error or a skipped (or retried) hit: no breakpoint in some
# processes and not others, no text left unlike the file, no wrong result,
# no process killed (but the forked child that can not be given its return
# probes, which the kernel warns about), no event left, no splat. It prints
# the faults injected per site, and the binary's tmpfs must unmount at the
# end: nothing (a probe waiting to retry a removal, say) still holds it.

faults_suite() {
	local src=${FAULTS_PROG_SRC:-$top/guest/progs/faults_prog.c}
	local mnt=/tmp/faults-mnt dbg=/sys/kernel/debug line name ok why rc

	if [ ! -w $dbg/failslab/require-start ] || [ ! -w $dbg/fail_page_alloc/require-start ]; then
		result faults/setup 1 "no stack filter for failslab and fail_page_alloc in this kernel"
		return
	fi
	mkdir -p "$mnt"
	if ! mount -t tmpfs -o size=16m tmpfs "$mnt"; then
		result faults/setup 1 "no tmpfs at $mnt"
		return
	fi
	if ! gcc -O1 -o "$mnt/faults_prog" "$src"; then
		result faults/setup 1 "cannot build $src"
		umount "$mnt"
		return
	fi
	(cd /tmp && timeout -k 10 "${FAULTS_TIMEOUT:-170}" "$mnt/faults_prog" 2>&1) |
		while IFS= read -r line; do
			case $line in
			"R "*)
				read -r _ name ok why <<<"$line"
				result "$name" "$ok" "$why"
				;;
			*) printf '    %s\n' "$line" ;;
			esac
		done
	rc=${PIPESTATUS[0]}
	result faults/driver "$rc" "faults_prog exited with $rc (124: timed out)"
	# Nothing may still hold the probed binary once its events are gone.
	sleep 1
	umount "$mnt"
	rc=$?
	result faults/file-released "$rc" "umount $mnt failed: the probed binary is still held"
	[ "$rc" = 0 ] || umount -l "$mnt"
}

if [ "$(uname -m)" = x86_64 ]; then
	faults_suite
else
	echo "    faults: skipped on $(uname -m) (the probed functions are x86-64)"
fi
