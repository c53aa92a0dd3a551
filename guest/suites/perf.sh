# Debian's perf against our uprobes (sourced by guest/check.sh).
# perf probe creates the events through uprobe_events; perf record reads
# them back through perf_event_open on the tracepoints.

perf_bash_readline() {
	perf probe -q -d 'probe_bash:*' 2>/dev/null
	perf probe -q -x /bin/bash readline || return 1
	# readline runs once per line an interactive bash reads: three lines.
	printf 'true\ntrue\nexit\n' > /tmp/perf-input
	perf record -q -o /tmp/perf-bash.data -e probe_bash:readline -- \
		script -q -c 'bash --norc -i' /dev/null < /tmp/perf-input > /dev/null 2>&1
	n=$(perf script -i /tmp/perf-bash.data 2>/dev/null | grep -c 'probe_bash:readline')
	perf probe -q -d 'probe_bash:*'
	echo "    readline hits recorded: $n"
	[ "$n" -ge 3 ]
}

perf_libc_malloc() {
	local libc
	libc=$(ldd /bin/true | awk '/libc.so/ { print $3 }')
	cat > /tmp/mallocs.c <<'PROG'
#include <stdlib.h>
int main(void)
{
	static const size_t sizes[] = { 12345, 23456, 34567 };
	void *volatile p;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		p = malloc(sizes[i]);
		free(p);
	}
	return 0;
}
PROG
	gcc -O1 -o /tmp/mallocs /tmp/mallocs.c || return 1
	perf probe -q -d 'probe_libc:*' 2>/dev/null
	perf probe -q -x "$libc" 'malloc size=%di:u64' || return 1
	perf record -q -o /tmp/perf-malloc.data -e probe_libc:malloc -- /tmp/mallocs
	perf script -i /tmp/perf-malloc.data 2>/dev/null | grep mallocs > /tmp/perf-malloc.txt
	perf probe -q -d 'probe_libc:*'
	sed 's/^/    /' /tmp/perf-malloc.txt | grep -E 'size=(12345|23456|34567)'
	for s in 12345 23456 34567; do
		grep -q "size=$s\b" /tmp/perf-malloc.txt || return 1
	done
}

perf_bash_readline
result perf/bash-readline $? "perf record saw fewer than 3 readline hits"
perf_libc_malloc
result perf/libc-malloc $? "perf did not record the sizes malloc was called with"
