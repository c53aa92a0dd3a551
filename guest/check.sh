#!/bin/bash
# The test suite, run inside the guest (as root, in a chroot of the host's
# root). Every result is one line "@@ ok|fail NAME [# why]" on the console,
# which scripts/report.sh collects on the host; "@@ done" marks the end.
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/src
tracefs=/sys/kernel/tracing
cd /tmp || exit 1

result() {	# result NAME RC [WHY]
	if [ "$2" = 0 ]; then echo "@@ ok $1"; else echo "@@ fail $1${3:+ # $3}"; fi
}

# Boot smoke test: we are PID 1's child in the host root, with tracefs.
[ "$(uname -s)" = Linux ] && [ -x /bin/bash ] && [ -f $tracefs/trace ]
result boot/smoke $? "no tracefs in the guest"

# KUnit suites ran at boot; their KTAP results are in debugfs.
for suite in uprobes_x86_insn uprobes_core; do
	r=/sys/kernel/debug/kunit/$suite/results
	if [ ! -f "$r" ]; then
		result "kunit/$suite" 1 "suite not in this kernel"
		continue
	fi
	sed 's/^/    /' "$r"
	grep -Eq '^(# )?ok [0-9]+ ' "$r" && ! grep -Eq '^ *not ok ' "$r"
	result "kunit/$suite" $? "see the KTAP above"
done

# ftracetest's uprobe tests, with unsupported counted as failure.
ft=$src/tools/testing/selftests/ftrace
for t in dynevent/add_remove_uprobe kprobe/uprobe_syntax_errors; do
	(cd "$ft" && ./ftracetest -K --fail-unsupported -l "/tmp/ftrace-logs" "test.d/$t.tc") 2>&1 | sed 's/^/    /'
	result "ftrace/$(basename $t)" "${PIPESTATUS[0]}"
done

# Suites added by the series (kselftests and client checks) register here.
for s in "$top"/guest/suites/*.sh; do
	[ -f "$s" ] && . "$s"
done

# make check-debug (CHECK_DEBUG=1 on the kernel command line): kmemleak.
[ -n "${CHECK_DEBUG:-}" ] && . "$top/guest/debug.sh"

# The kernel log of the whole run: no oops, BUG, WARNING, KASAN, UBSAN,
# lockdep or RCU report, list corruption or hung task. Fault injection's
# own stack dumps ("FAULT_INJECTION: forcing a failure") are not splats.
splat='(^|\] )(BUG|WARNING|INFO|UBSAN|kernel BUG|Oops)[: ]|KASAN|general protection fault'
splat="$splat|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU"
splat="$splat|list_(add|del) corruption|refcount_t: |unreferenced object|blocked for more than"
if dmesg | grep -Eq "$splat"; then
	dmesg | grep -E -A 12 "$splat" | head -n 200 | sed 's/^/    /'
	result kernel/log-clean 1 "splat in the kernel log (above)"
else
	result kernel/log-clean 0
fi
echo "@@ done"
