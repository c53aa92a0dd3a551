# The x86-64 uretprobe syscall trampoline (sourced by guest/check.sh):
# direct calls get SIGILL, probed returns keep their values and registers,
# -512 is not restarted under signals, and seccomp does not get in the way.

uretprobe_syscall() {
	gcc -O1 -o /tmp/uretprobe_syscall "$top/guest/progs/uretprobe_syscall.c" -lpthread || return 1
	/tmp/uretprobe_syscall 2>&1 | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}

if [ "$(uname -m)" = x86_64 ]; then
	uretprobe_syscall
	result x86/uretprobe-syscall $? "a uretprobe syscall check failed (see above)"
else
	echo "    x86/uretprobe-syscall: skipped on $(uname -m)"
fi
