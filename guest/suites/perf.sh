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

# A return probe filtered by perf record -p: only the target's returns, and
# a return-only consumer that leaves other mms alone.
perf_retprobe_pid() {
	local t=$cl/clients_target rc=0 perf_pid ack pa pb
	perf probe -q -d 'probe_clients_target:*' 2>/dev/null
	perf probe -q -x $t 'target_add%return' '$retval' || return 1
	perf probe -l 2>&1 | cl_indent
	cl_start pa $t serve
	cl_start pb $t serve
	pa=$cl_pid_pa pb=$cl_pid_pb
	rm -f $cl/ctl $cl/ack
	mkfifo $cl/ctl $cl/ack
	perf record -q -D -1 --control fifo:$cl/ctl,$cl/ack -o $cl/rrec.data \
		-e 'probe_clients_target:target_add__return' -p "$pa" > $cl/rrec.log 2>&1 &
	perf_pid=$!
	exec {ctl}>$cl/ctl {ack}<$cl/ack
	echo enable >&$ctl
	read -r -t 120 ack <&$ack
	cl_send pa 3 1 || rc=1
	cl_send pb 4 1 || rc=1
	cl_send pa 2 2 || rc=1
	kill -INT $perf_pid
	wait $perf_pid
	exec {ctl}>&- {ack}<&-
	cl_stop pa
	cl_stop pb
	perf script -i $cl/rrec.data -F pid,event > $cl/rrec.txt 2>&1
	cl_indent < $cl/rrec.log
	cat $tracefs/uprobe_profile | cl_indent
	perf probe -q -d 'probe_clients_target:*'
	echo "    pa=$pa pb=$pb; recorded:"
	cl_indent < $cl/rrec.txt
	[ "$(grep -c 'probe_clients_target:target_add__return' $cl/rrec.txt)" = 5 ] || rc=1
	[ "$(grep -c "^ *$pa " $cl/rrec.txt)" = 5 ] || rc=1
	return $rc
}
perf_retprobe_pid
result perf/record-pid-retprobe $? "perf record -p on a return probe did not record exactly the 5 returns of that pid"
# A return-only probe hit in an mm no event wants (a fork child of the only
# perf target, not inherited) asks the core to take the breakpoint out: the
# child hits once, not five times; the parent's three returns are recorded.
perf_retprobe_self_remove() {
	local d=/tmp/retprobe-fork rc=0 perf_pid ack hits
	mkdir -p $d
	gcc -O1 -o $d/retprobe_fork "$top/guest/progs/retprobe_fork.c" || return 1
	perf probe -q -d 'probe_retprobe_fork:*' 2>/dev/null
	perf probe -q -x $d/retprobe_fork 'rf_f%return' '$retval' || return 1
	rm -f $d/in $d/out $d/ctl $d/ack
	mkfifo $d/in $d/ctl $d/ack
	$d/retprobe_fork < $d/in > $d/out 2>&1 &
	local fpid=$!
	exec {fin}>$d/in
	perf record -q --no-inherit -D -1 --control fifo:$d/ctl,$d/ack -o $d/rec.data \
		-e 'probe_retprobe_fork:rf_f__return' -p "$fpid" > $d/rec.log 2>&1 &
	perf_pid=$!
	exec {ctl}>$d/ctl {ack}<$d/ack
	echo enable >&$ctl
	read -r -t 120 ack <&$ack
	echo go >&$fin
	wait $fpid || rc=1
	hits=$(awk '$2 ~ /rf_f__return/ { print $3 }' $tracefs/uprobe_profile)
	kill -INT $perf_pid
	wait $perf_pid
	exec {ctl}>&- {ack}<&- {fin}>&-
	perf script -i $d/rec.data -F pid,event,trace > $d/rec.txt 2>&1
	perf probe -q -d 'probe_retprobe_fork:*'
	sed 's/^/    /' $d/out $d/rec.log $d/rec.txt
	echo "    uprobe_profile hits: $hits (parent 3 + child 1 before it is removed)"
	[ "$(grep -c 'rf_f__return' $d/rec.txt)" = 3 ] || rc=1
	[ "$(grep -c "^ *$fpid " $d/rec.txt)" = 3 ] || rc=1
	[ "$hits" = 4 ] || rc=1
	return $rc
}
perf_retprobe_self_remove
result perf/retprobe-self-remove $? "return probe did not leave the unwanted child, or parent returns missing"
