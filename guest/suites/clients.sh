# shellcheck shell=bash disable=SC2154 # top, result() come from check.sh
# Real clients against our uprobes (sourced by guest/check.sh): trace-cmd,
# SDT semaphores through uprobe_events, bpftrace 0.17 and the perf uprobe
# PMU. The probe targets (guest/progs/*.c) are built here with the guest's
# gcc into /tmp/clients. Every check asserts exact hit counts and values.

cl=/tmp/clients
cl_tfs=/sys/kernel/tracing

cl_build() {
	mkdir -p $cl || return 1
	gcc -O1 -fno-omit-frame-pointer -o $cl/clients_target \
		"$top/guest/progs/clients_target.c" &&
	gcc -O1 -o $cl/sdt_sem "$top/guest/progs/sdt_sem.c" &&
	gcc -O1 -o $cl/perf_uprobe "$top/guest/progs/perf_uprobe.c"
}

cl_fileoff() {	# cl_fileoff ELF VADDR: file offset of a mapped address
	local type off va pa fsz rest a=$(($2))
	while read -r type off va pa fsz rest; do
		[ "$type" = LOAD ] || continue
		if ((a >= va && a < va + fsz)); then
			printf '0x%x\n' $((a - va + off))
			return 0
		fi
	done <<<"$(readelf -lW "$1")"
	return 1
}

cl_symoff() {	# cl_symoff ELF SYMBOL: file offset of a function
	local a
	a=$(nm "$1" | awk -v s="$2" '$3 == s { print "0x" $1 }')
	[ -n "$a" ] && cl_fileoff "$1" "$a"
}

cl_indent() { sed 's/^/    /'; }

# Long-running "serve" instances driven through a FIFO; replies go to a file.
cl_start() {	# cl_start NAME CMD...: sets cl_pid_NAME, fd cl_fd_NAME
	local n=$1
	shift
	rm -f $cl/$n.in $cl/$n.out
	mkfifo $cl/$n.in
	"$@" < $cl/$n.in > $cl/$n.out 2>&1 &
	eval "cl_pid_$n=$!"
	eval "exec {cl_fd_$n}>$cl/$n.in"
}

cl_send() {	# cl_send NAME LINE NLINES: send, wait until the output has NLINES
	local n=$1 fd i
	eval "fd=\$cl_fd_$n"
	echo "$2" >&"$fd"
	for ((i = 0; i < 600; i++)); do
		[ "$(wc -l < $cl/$n.out)" -ge "$3" ] && return 0
		sleep 0.1
	done
	echo "    $n: no reply to '$2'"
	return 1
}

cl_stop() {	# cl_stop NAME: close its stdin, end it, reap it
	local n=$1 fd pid
	eval "fd=\$cl_fd_$n; pid=\$cl_pid_$n"
	[ -n "$fd" ] && exec {fd}>&-
	# Later children inherited the FIFO's write end: no EOF, so kill it.
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	eval "cl_fd_$n=; cl_pid_$n="
}

cl_expected_adds='a=0 s="alpha"
a=1 s="bravo"
a=2 s="charlie"
a=3 s="delta"
a=4 s="echo"'
cl_expected_rvs='rv=5
rv=15
rv=27
rv=35
rv=44'

# 1. trace-cmd records uprobe_events probes with register and string args.
cl_trace_cmd() {
	local t=$cl/clients_target off rc=0
	off=$(cl_symoff $t target_add) || return 1
	echo "p:clients/add $t:$off a=%di:s32 s=+0(%si):string" >> $cl_tfs/uprobe_events &&
	echo "r:clients/add_ret $t:$off rv=\$retval:s32" >> $cl_tfs/uprobe_events || return 1
	trace-cmd record -q -o $cl/tc.dat -e clients $t run 5 > $cl/tc-run.txt 2>&1 || rc=1
	trace-cmd report -i $cl/tc.dat > $cl/tc.txt 2>&1 || rc=1
	echo '-:clients/add' >> $cl_tfs/uprobe_events
	echo '-:clients/add_ret' >> $cl_tfs/uprobe_events
	grep -E ' add(_ret)?: ' $cl/tc.txt | head -12 | cl_indent
	grep -q 'sum=126' $cl/tc-run.txt || { echo "    target output wrong"; rc=1; }
	# trace-cmd prints the probe address without 0x and pads the name.
	[ "$(grep -E ' add: +\((0x)?[0-9a-f]+\) ' $cl/tc.txt | grep -oE 'a=.*')" = \
		"$cl_expected_adds" ] || { echo "    entry events wrong"; rc=1; }
	[ "$(grep -E ' add_ret: +\((0x)?[0-9a-f]+ <- (0x)?[0-9a-f]+\) ' $cl/tc.txt |
		grep -oE 'rv=.*')" = "$cl_expected_rvs" ] || { echo "    return events wrong"; rc=1; }
	# One probe address for all ten events: the function's, both ways.
	[ "$(grep -E ' add(_ret)?: ' $cl/tc.txt | sed -E 's/.*: +\((0x)?([0-9a-f]+).*/\2/' |
		sort -u | wc -l)" = 1 ] || { echo "    probe addresses differ"; rc=1; }
	return $rc
}

# SDT argument "-8@%rdi" -> "%di:s64" (register operands only).
cl_sdt_arg() {
	local sz=${1%%@*} reg=${1#*@%} t=u
	case $sz in -*) t=s; sz=${sz#-} ;; esac
	case $reg in
	r[0-9]*) reg=${reg%[dwb]} ;;
	[re]??) reg=${reg:1} ;;
	??) ;;
	*) return 1 ;;
	esac
	case $1 in *'@%'*) ;; *) return 1 ;; esac
	echo "%$reg:$t$((sz * 8))"
}

# 2. SDT probe with a semaphore: p:sdt/tick PATH:OFF(SEMOFF).
cl_sdt_semaphore() {
	local s=$cl/sdt_sem note loc sem off semoff args a1 a2 rc=0 c
	note=$(readelf -n $s | grep -A3 'Name: tick')
	loc=$(sed -n 's/.*Location: \(0x[0-9a-f]*\),.*/\1/p' <<<"$note")
	sem=$(sed -n 's/.*Semaphore: \(0x[0-9a-f]*\).*/\1/p' <<<"$note")
	args=$(sed -n 's/.*Arguments: //p' <<<"$note")
	off=$(cl_fileoff $s "$loc") && semoff=$(cl_fileoff $s "$sem") || return 1
	a1=$(cl_sdt_arg "${args%% *}") && a2=$(cl_sdt_arg "${args#* }") || return 1
	echo "    note: loc=$loc sem=$sem args='$args' -> $off($semoff) $a1 $a2"
	echo "p:sdt/tick $s:$off($semoff) arg=$a1 hits=$a2" >> $cl_tfs/uprobe_events || return 1
	grep sdt/tick $cl_tfs/uprobe_events | cl_indent
	echo 0 > $cl_tfs/tracing_on
	echo > $cl_tfs/trace
	echo 1 > $cl_tfs/tracing_on

	cl_start p1 $s serve
	cl_send p1 t 1 || rc=1
	echo 1 > $cl_tfs/events/sdt/tick/enable || rc=1
	cl_send p1 t 2 || rc=1
	cl_start p2 $s serve
	cl_send p2 t 1 || rc=1
	cl_send p1 f 3 || rc=1
	echo 0 > $cl_tfs/events/sdt/tick/enable || rc=1
	cl_send p1 t 4 || rc=1
	cl_send p2 t 2 || rc=1
	# Enabled again and off again: the count goes back up, then to 0.
	echo 1 > $cl_tfs/events/sdt/tick/enable || rc=1
	cl_send p2 t 3 || rc=1
	echo 0 > $cl_tfs/events/sdt/tick/enable || rc=1
	cl_send p2 t 4 || rc=1
	local pid1=$cl_pid_p1 pid2=$cl_pid_p2
	cl_stop p1
	cl_stop p2
	cat $cl/p1.out $cl/p2.out | cl_indent
	grep ' tick: ' $cl_tfs/trace > $cl/sdt-trace.txt
	echo '-:sdt/tick' >> $cl_tfs/uprobe_events || rc=1
	cl_indent < $cl/sdt-trace.txt

	# The program's own view: parent p1, then its child, and p2.
	c=$(grep -o 'who=child pid=[0-9]*' $cl/p1.out); c=${c##*=}
	[ "$(sed 's/ pid=[0-9]*//' $cl/p1.out)" = "tick who=parent enabled=0 hits=0 sem=0
tick who=parent enabled=1 hits=1 sem=1
tick who=child enabled=1 hits=2 sem=1
tick who=parent enabled=0 hits=1 sem=0" ] || { echo "    p1 saw the wrong semaphore values"; rc=1; }
	[ "$(sed 's/ pid=[0-9]*//' $cl/p2.out)" = "tick who=parent enabled=1 hits=1 sem=1
tick who=parent enabled=0 hits=1 sem=0
tick who=parent enabled=1 hits=2 sem=1
tick who=parent enabled=0 hits=2 sem=0" ] || { echo "    p2 saw the wrong semaphore values"; rc=1; }
	# The tracer's view: exactly the enabled ticks, by pid, with args.
	[ "$(sed -E 's/^ *[^ ]*-([0-9]+) .* tick: \(0x[0-9a-f]+\) /\1 /' $cl/sdt-trace.txt)" = \
"$pid1 arg=1 hits=1
$pid2 arg=1 hits=1
$c arg=2 hits=2
$pid2 arg=1 hits=2" ] || { echo "    trace has the wrong hits"; rc=1; }
	return $rc
}

cl_bpftrace() {	# cl_bpftrace NAME PROG CMD: run bpftrace, output in $cl/NAME.txt
	timeout -k 10 300 bpftrace -e "$2" -c "$3" > $cl/$1.txt 2>&1
	local rc=$?
	cl_indent < $cl/$1.txt | head -40
	return $rc
}

# 3. bpftrace: uprobe count, uretprobe retval, ustack, usdt with semaphore.
cl_bpftrace_count() {
	local t=$cl/clients_target
	cl_bpftrace bt-count "uprobe:$t:target_add { @n = count(); }" "$t run 7" || return 1
	grep -q '^sum=' $cl/bt-count.txt && grep -qx '@n: 7' $cl/bt-count.txt
}

cl_bpftrace_retval() {
	local t=$cl/clients_target
	cl_bpftrace bt-ret "uretprobe:$t:target_add { printf(\"rv=%d\\n\", retval); }" \
		"$t run 5" || return 1
	[ "$(grep '^rv=' $cl/bt-ret.txt)" = "$cl_expected_rvs" ]
}

# caller_fn's return address points to the return trampoline while
# target_add runs: the unwinder must show main there, not the trampoline.
cl_bpftrace_ustack_tramp() {
	local t=$cl/clients_target
	cl_bpftrace bt-ustack-ret "uretprobe:$t:caller_fn { @r = count(); }
		uprobe:$t:target_add { printf(\"%s\\n\", ustack); }" \
		"$t run 1 1500" || return 1
	grep -q 'caller_fn' $cl/bt-ustack-ret.txt &&
		grep -q 'main' $cl/bt-ustack-ret.txt &&
		! grep -q 'uprobes' $cl/bt-ustack-ret.txt
}

# Nested return probes: in target_add's RETURN handler, caller_fn's return
# address is still the trampoline; the unwinder must resolve it to main's
# address (the pending instance of caller_fn), not to target_add's (already
# returned): each stack starts caller_fn, main. Frames are the indented lines.
cl_bpftrace_ustack_nested_ret() {
	local t=$cl/clients_target got
	cl_bpftrace bt-ustack-nested "uretprobe:$t:target_add { printf(\"%s\\n\", ustack); }
		uretprobe:$t:caller_fn { @o = count(); }" \
		"$t run 3 1500" || return 1
	grep -qx '@o: 3' $cl/bt-ustack-nested.txt || { echo "    @o is not 3"; return 1; }
	got=$(awk 'BEGIN { RS = "" }
		{
			n = split($0, l, "\n"); f = 0
			for (i = 1; i <= n; i++)
				if (l[i] ~ /^[ \t]+[^ \t]/) { sub(/^[ \t]+/, "", l[i]); fr[++f] = l[i] }
			if (!f) next
			if (fr[1] ~ /^caller_fn\+/ && fr[2] ~ /^main\+/) ok++; else bad++
		}
		END { print ok + 0, bad + 0 }' $cl/bt-ustack-nested.txt)
	echo "    stacks starting caller_fn, main / others: $got"
	[ "$got" = "3 0" ]
}

cl_bpftrace_ustack() {
	local t=$cl/clients_target
	cl_bpftrace bt-ustack "uprobe:$t:target_add { printf(\"%s\\n\", ustack); }" \
		"$t run 1 1500" || return 1
	grep -q 'target_add' $cl/bt-ustack.txt && grep -q 'caller_fn' $cl/bt-ustack.txt &&
		grep -q 'main' $cl/bt-ustack.txt
}

cl_bpftrace_usdt() {
	local s=$cl/sdt_sem
	cl_bpftrace bt-usdt "usdt:$s:clients:tick { printf(\"arg=%d hits=%d\\n\", arg0, arg1); }" \
		"$s run 3" || return 1
	grep -qx 'run enabled=1 hits=3' $cl/bt-usdt.txt &&
	[ "$(grep '^arg=' $cl/bt-usdt.txt)" = "arg=100 hits=1
arg=101 hits=2
arg=102 hits=3" ]
}

# 4. perf: the uprobe PMU from C, perf stat, perf record -p.
cl_perf_pmu() {	# cl_perf_pmu RETPROBE
	local t=$cl/clients_target off
	off=$(cl_symoff $t target_add) || return 1
	$cl/perf_uprobe $t "$off" "$1" 6 > $cl/pmu$1.txt 2>&1
	cl_indent < $cl/pmu$1.txt
	grep -qx 'listed=0' $cl/pmu$1.txt && grep -qx 'sum=181' $cl/pmu$1.txt &&
		grep -qx 'count=6 child_status=0' $cl/pmu$1.txt
}

cl_perf_stat() {
	local t=$cl/clients_target rc=0
	perf probe -q -d 'probe_clients_target:*' 2>/dev/null
	perf probe -q -x $t target_add || return 1
	perf stat -x, -e probe_clients_target:target_add -- $t run 9 > $cl/pstat.txt 2>&1 || rc=1
	perf probe -q -d 'probe_clients_target:*'
	cl_indent < $cl/pstat.txt
	grep -q '^9,,probe_clients_target:target_add,' $cl/pstat.txt || rc=1
	return $rc
}

cl_perf_record_pid() {
	local t=$cl/clients_target rc=0 perf_pid ack pa pb
	perf probe -q -d 'probe_clients_target:*' 2>/dev/null
	perf probe -q -x $t target_add || return 1
	cl_start pa $t serve
	cl_start pb $t serve
	pa=$cl_pid_pa pb=$cl_pid_pb
	rm -f $cl/ctl $cl/ack
	mkfifo $cl/ctl $cl/ack
	perf record -q -D -1 --control fifo:$cl/ctl,$cl/ack -o $cl/prec.data \
		-e probe_clients_target:target_add -p "$pa" > $cl/prec.log 2>&1 &
	perf_pid=$!
	exec {ctl}>$cl/ctl {ack}<$cl/ack
	echo enable >&$ctl
	read -r -t 120 ack <&$ack
	echo "    perf control: '$ack'"
	cl_send pa 3 1 || rc=1
	cl_send pb 4 1 || rc=1
	cl_send pa 2 2 || rc=1
	kill -INT $perf_pid
	wait $perf_pid
	exec {ctl}>&- {ack}<&-
	cl_stop pa
	cl_stop pb
	perf script -i $cl/prec.data -F pid,event > $cl/prec.txt 2>&1
	perf probe -q -d 'probe_clients_target:*'
	cat $cl/prec.log | cl_indent
	echo "    pa=$pa pb=$pb; recorded per pid:"
	sort $cl/prec.txt | uniq -c | cl_indent
	[ "$(grep -c 'probe_clients_target:target_add' $cl/prec.txt)" = 5 ] || rc=1
	[ "$(grep -c "^ *$pa " $cl/prec.txt)" = 5 ] || rc=1
	return $rc
}

cl_build
result clients/build $? "gcc failed on guest/progs"
cl_trace_cmd
result clients/trace-cmd $? "trace-cmd report lacks the exact entry/return values"
cl_sdt_semaphore
result clients/sdt-semaphore $? "semaphore or hits wrong (see above)"
cl_bpftrace_count
result clients/bpftrace-uprobe-count $? "@n is not exactly 7"
cl_bpftrace_retval
result clients/bpftrace-uretprobe-retval $? "retvals not 5 15 27 35 44"
cl_bpftrace_ustack_tramp
result clients/bpftrace-ustack-trampoline $? "ustack through a return trampoline lacks caller_fn/main"
cl_bpftrace_ustack_nested_ret
result clients/bpftrace-ustack-nested-uretprobe $? "ustack in a nested return handler is not caller_fn, main"
cl_bpftrace_ustack
result clients/bpftrace-ustack $? "ustack lacks target_add/caller_fn/main"
cl_bpftrace_usdt
result clients/bpftrace-usdt $? "usdt with semaphore did not fire 3 times with args"
cl_perf_pmu 0
result clients/perf-pmu-uprobe $? "uprobe PMU count not exactly 6, or listed"
cl_perf_pmu 1
result clients/perf-pmu-uretprobe $? "uretprobe PMU count not exactly 6, or listed"
cl_perf_stat
result clients/perf-stat $? "perf stat count not exactly 9"
cl_perf_record_pid
result clients/perf-record-pid $? "perf record -p did not record exactly the 5 hits of that pid"
