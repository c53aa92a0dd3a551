#!/bin/bash
# `make bench`, in the guest: the same workloads on whichever kernel booted.
# Every measurement is one line "@@ bench NAME VALUE UNIT" on the console
# (scripts/bench-report.py collects them on the host); "@@ bench-warn NAME
# WHY" flags a measurement that did not go as planned, "@@ done" the end.
# Hit costs are (time of N calls with the probe enabled - time without) / N,
# the median of three on/off pairs, measured inside the calling program.
top=$(cd "$(dirname "$0")/.." && pwd)
t=/sys/kernel/tracing
b=/tmp/bench
libc=$(realpath /lib/x86_64-linux-gnu/libc.so.6)
hits=20000	# per hit-cost measurement: 0.1-1 s under TCG
cd /tmp || exit 1
ulimit -n 65536

bench() { echo "@@ bench $1 $2 $3"; }
warn() { echo "@@ bench-warn $1 # $2"; }
now() { echo "${EPOCHREALTIME/./}"; }	# microseconds
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ns_of() { local out; out=$("$@") || return 1; echo "${out#ns=}"; }

# LOAD segments of an ELF, then file offsets of addresses in them.
segs() {
	local type off va fsz
	seg_off=() seg_va=() seg_sz=()
	while read -r type off va _ fsz _; do
		[ "$type" = LOAD ] || continue
		seg_off+=($((off))) seg_va+=($((va))) seg_sz+=($((fsz)))
	done < <(readelf -lW "$1")
}
fileoff() {
	local a=$(($1)) i
	for i in "${!seg_va[@]}"; do
		if ((a >= seg_va[i] && a < seg_va[i] + seg_sz[i])); then
			printf '0x%x\n' $((a - seg_va[i] + seg_off[i]))
			return 0
		fi
	done
	return 1
}
symoff() {	# symoff ELF SYMBOL [PLUS]
	local a
	a=$(nm "$1" | awk -v s="$2" '$3 == s { print "0x" $1; exit }')
	[ -n "$a" ] && segs "$1" && fileoff $((a + ${3:-0}))
}
nhit() { awk -v e="$1" '$2 == e || $2 ~ ("/" e "$") { print $3; exit }' $t/uprobe_profile; }
slab_kb() {
	echo 1 > /proc/sys/vm/stat_refresh 2>/dev/null
	awk '$1 == "Slab:" { print $2 }' /proc/meminfo
}
anon_kb() { awk '$1 == "AnonPages:" { print $2 }' /proc/meminfo; }
rss_kb() { awk '$1 == "Rss:" { print $2 }' "/proc/$1/smaps_rollup"; }

# measure ROW FUNC CALLS-PER-HIT EVENT...: the hit cost of the defined
# EVENTs (group bench) on bench_hit's FUNC.
measure() {
	local row=$1 fn=$2 per=$3 e off=() on=() ns h0 h1
	shift 3
	h0=$(nhit "$1")
	for _ in 1 2 3; do
		ns=$(ns_of $b/bench_hit run "$fn" $hits) || { warn "$row" "run failed"; return; }
		off+=("$ns")
		for e; do echo 1 > "$t/events/bench/$e/enable"; done
		ns=$(ns_of $b/bench_hit run "$fn" $hits) || { warn "$row" "run failed"; return; }
		on+=("$ns")
		for e; do echo 0 > "$t/events/bench/$e/enable"; done
	done
	h1=$(nhit "$1")
	[ "$((h1 - h0))" = $((3 * hits)) ] ||
		warn "$row" "$1 counted $((h1 - h0)) hits, expected $((3 * hits))"
	bench "$row" "$(calc "($(median "${on[@]}") - $(median "${off[@]}")) / $hits / 1000 / $per")" us/hit
}

# hit ROW FUNC [PLUS]: an entry probe at FUNC+PLUS.
hit() {
	local o
	o=$(symoff $b/bench_hit "$2" "${3:-0}") || { warn "$1" "no $2"; return; }
	echo "p:bench/h $b/bench_hit:$o" >> $t/uprobe_events || { warn "$1" "cannot define"; return; }
	measure "$1" "$2" 1 h
	echo "-:bench/h" >> $t/uprobe_events
}

hit_costs() {
	hit hit/nop bf_nop
	hit hit/push-rbp bf_push
	hit hit/endbr64 bf_endbr
	hit hit/nop5 bf_nop5
	hit hit/mov-rsp-rbp bf_movrbp 1
	hit hit/sub-imm-rsp bf_sub
	hit hit/test bf_test
	hit hit/lea bf_lea
	hit hit/xor bf_xor
	hit hit/mov-reg-reg bf_movrr
	hit hit/rip-load bf_rip
	hit hit/jmp bf_jmp
	hit hit/call bf_call
	hit hit/ret bf_ret
	hit hit/shl bf_shl
	hit hit/pxor bf_pxor

	local o
	o=$(symoff $b/bench_hit bf_leaf)
	echo "r:bench/r $b/bench_hit:$o" >> $t/uprobe_events
	measure ret/leaf bf_leaf 1 r
	echo "p:bench/e $b/bench_hit:$o" >> $t/uprobe_events
	# Two events per call: report the cost of one call.
	measure ret/entry+return bf_leaf 1 e r
	echo "-:bench/e" >> $t/uprobe_events
	echo "-:bench/r" >> $t/uprobe_events

	o=$(symoff $b/bench_hit bf_args)
	echo "p:bench/a $b/bench_hit:$o r=%di:u64 m=+0(%si):u64 s=+0(%dx):string" >> $t/uprobe_events
	measure args/reg+mem+string bf_args 1 a
	echo "-:bench/a" >> $t/uprobe_events

	local n=200000 ns
	ns=$(ns_of $b/bench_hit syscall $n)
	bench floor/getppid "$(calc "$ns / $n / 1000" 3)" us/call
}

# real ROW EVENT CMD...: per-hit cost of EVENT (group bench) in a real
# program: (wall time enabled - disabled) / hits, medians of three pairs.
real() {
	local row=$1 ev=$2 t0 off=() on=() h0 h1 n=0
	shift 2
	for _ in 1 2 3; do
		t0=$(now); "$@" > /dev/null 2>&1; off+=($(($(now) - t0)))
		h0=$(nhit "$ev")
		echo 1 > "$t/events/bench/$ev/enable"
		t0=$(now); "$@" > /dev/null 2>&1; on+=($(($(now) - t0)))
		echo 0 > "$t/events/bench/$ev/enable"
		h1=$(nhit "$ev")
		n=$((h1 - h0))
	done
	if [ "$n" -lt 1000 ]; then
		warn "$row" "only $n hits"
		[ "$n" -gt 0 ] || return
	fi
	echo "    $row: $n hits per run"
	bench "$row" "$(calc "($(median "${on[@]}") - $(median "${off[@]}")) / $n")" us/hit
}

real_programs() {
	local a
	a=$(nm -D "$libc" | awk '{ sub(/@.*/, "", $3) } $3 == "malloc" { print "0x" $1; exit }')
	segs "$libc"
	echo "p:bench/malloc $libc:$(fileoff "$a")" >> $t/uprobe_events
	# shellcheck disable=SC2016 # perl's $_
	real real/libc-malloc malloc perl -e 'my @a; push @a, "x" x ($_ % 200) for 1 .. 20000; @a = ()'
	echo "-:bench/malloc" >> $t/uprobe_events

	a=$(nm -D /bin/bash | awk '$3 == "readline" { print "0x" $1; exit }')
	segs /bin/bash
	echo "p:bench/readline /bin/bash:$(fileoff "$a")" >> $t/uprobe_events
	yes : | head -n 3000 > $b/lines
	echo exit >> $b/lines
	real real/bash-readline readline script -q -c "bash --norc -i < $b/lines" /dev/null
	echo "-:bench/readline" >> $t/uprobe_events
}

scaling() {
	local o n=$hits ns1 ns2 h1 h2
	o=$(symoff $b/bench_hit bf_nop)
	echo "p:bench/s $b/bench_hit:$o" >> $t/uprobe_events
	echo 1 > $t/events/bench/s/enable
	ns1=$(ns_of $b/bench_hit threads bf_nop 1 $n)
	ns2=$(ns_of $b/bench_hit threads bf_nop 2 $n)
	echo 0 > $t/events/bench/s/enable
	echo "-:bench/s" >> $t/uprobe_events
	h1=$(calc "$n / ($ns1 / 1e9)" 0) h2=$(calc "2 * $n / ($ns2 / 1e9)" 0)
	bench scale/1-thread "$h1" hits/s
	bench scale/2-threads "$h2" hits/s
	bench scale/2-over-1 "$(calc "$h2 / $h1")" x
}

# Function symbols of libc, one per address, as "NAME OFFSET" lines.
libc_funcs() {
	local n a
	segs "$libc"
	while read -r a n; do
		echo "$n $(fileoff "0x$a")"
	done < <(nm -D --defined-only "$libc" |
		awk '$2 == "T" || $2 == "W" { sub(/@.*/, "", $3); print $1, $3 }' |
		sort -u -k1,1 | head -n "$1")
}

# 50 processes that map libc and bench_hit: registration and memory.
fifty() {
	local i o e s0 s1 r0 r1 pids=() t0 h
	for i in $(seq 50); do
		$b/bench_hit hold bf_nop > "$b/hold.$i" &
		pids+=($!)
	done
	for i in $(seq 50); do
		until [ -s "$b/hold.$i" ]; do sleep 0.1; done
	done
	e=$(nm -D "$libc" | awk '{ sub(/@.*/, "", $3) } $3 == "inotify_init" { print "0x" $1; exit }')
	segs "$libc"
	echo "p:bench/libc1 $libc:$(fileoff "$e")" >> $t/uprobe_events
	t0=$(now); echo 1 > $t/events/bench/libc1/enable
	bench reg/libc-50proc-enable "$(calc "($(now) - $t0) / 1000")" ms
	t0=$(now); echo 0 > $t/events/bench/libc1/enable
	bench reg/libc-50proc-disable "$(calc "($(now) - $t0) / 1000")" ms
	echo "-:bench/libc1" >> $t/uprobe_events

	# Memory per probed process: the probe installed in 50 of them, each
	# hit once (the slot area and the task's state).
	o=$(symoff $b/bench_hit bf_nop)
	echo "p:bench/m $b/bench_hit:$o" >> $t/uprobe_events
	s0=$(slab_kb) r0=$(rss_kb "${pids[0]}")
	echo 1 > $t/events/bench/m/enable
	kill -USR1 "${pids[@]}"
	for i in $(seq 50); do
		until grep -q hit "$b/hold.$i"; do sleep 0.1; done
	done
	s1=$(slab_kb) r1=$(rss_kb "${pids[0]}") h=$(nhit m)
	[ "$h" = 50 ] || warn mem/proc "$h hits, expected 50"
	bench mem/proc-slab "$(calc "($s1 - $s0) * 1024 / 50" 0)" B/process
	bench mem/proc-rss "$((r1 - r0))" KiB/process
	echo 0 > $t/events/bench/m/enable
	echo "-:bench/m" >> $t/uprobe_events
	kill "${pids[@]}"
	wait "${pids[@]}" 2>/dev/null
}

thousand() {
	local t0 s0 s1 s2 a0 a1 n
	libc_funcs 1000 > $b/funcs
	n=$(wc -l < $b/funcs)
	[ "$n" = 1000 ] || warn reg/1000 "only $n libc functions"
	awk -v l="$libc" '{ printf "p:bk/f%d %s:%s\n", NR, l, $2 }' $b/funcs > $b/add
	awk '{ printf "-:bk/f%d\n", NR }' $b/funcs > $b/del
	s0=$(slab_kb) a0=$(anon_kb)
	t0=$(now); cat $b/add >> $t/uprobe_events || warn reg/1000-add "write failed"
	bench reg/1000-add "$(calc "($(now) - $t0) / 1e6" 3)" s
	s1=$(slab_kb)
	t0=$(now); echo 1 > $t/events/bk/enable || warn reg/1000-enable "write failed"
	bench reg/1000-enable "$(calc "($(now) - $t0) / 1e6" 3)" s
	s2=$(slab_kb) a1=$(anon_kb)
	bench mem/probe-defined-slab "$(calc "($s1 - $s0) * 1024 / $n" 0)" B/probe
	bench mem/probe-enabled-slab "$(calc "($s2 - $s1) * 1024 / $n" 0)" B/probe
	bench mem/probe-enabled-anon "$(calc "($a1 - $a0) / $n")" KiB/probe
	t0=$(now); echo 0 > $t/events/bk/enable || warn reg/1000-disable "write failed"
	bench reg/1000-disable "$(calc "($(now) - $t0) / 1e6" 3)" s
	t0=$(now); cat $b/del >> $t/uprobe_events || warn reg/1000-remove "write failed"
	bench reg/1000-remove "$(calc "($(now) - $t0) / 1e6" 3)" s
}

perf_record() {
	local pid t0
	head -n 100 $b/funcs | awk -v l="$libc" '{ printf "p:b100/f%d %s:%s\n", NR, l, $2 }' \
		>> $t/uprobe_events
	$b/bench_hit idle 16 > $b/idle &
	pid=$!
	until [ -s $b/idle ]; do sleep 0.1; done
	t0=$(now)
	perf record -q -e 'b100:*' -p "$pid" -o $b/perf.data -- sleep 0.5 > $b/perf.log 2>&1 ||
		{ warn reg/perf-record "perf failed"; sed 's/^/    /' $b/perf.log | head; }
	bench reg/perf-record-16thr-100probes "$(calc "($(now) - $t0) / 1e6 - 0.5" 3)" s
	kill "$pid"
	wait "$pid" 2>/dev/null
	awk '{ printf "-:b100/f%d\n", NR }' $b/funcs | head -n 100 >> $t/uprobe_events
}

exec_probes() {
	local i a n=10 off=() on=()
	segs $b/bench_exec
	nm $b/bench_exec | awk '$3 ~ /^bx_f[0-9]+$/ { print "0x" $1 }' > $b/bx
	while read -r a; do
		i=${i:-0}
		echo "p:bx/f$i $b/bench_exec:$(fileoff "$a")"
		i=$((i + 1))
	done < $b/bx > $b/bx-add
	cat $b/bx-add >> $t/uprobe_events
	for _ in 1 2 3; do
		off+=("$(ns_of $b/bench_exec run $n)")
		echo 1 > $t/events/bx/enable
		on+=("$(ns_of $b/bench_exec run $n)")
		echo 0 > $t/events/bx/enable
	done
	echo "    exec: $(median "${off[@]}") ns for $n without probes"
	bench reg/exec-1000probes "$(calc "($(median "${on[@]}") - $(median "${off[@]}")) / $n / 1e6")" ms/exec
	sed 's/^p:\([^ ]*\) .*/-:\1/' $b/bx-add >> $t/uprobe_events
}

echo "== bench on $(uname -r), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "== tracing_on=$(cat $t/tracing_on)"
mkdir -p $b
if ! gcc -O2 -o $b/bench_hit "$top/guest/progs/bench_hit.c" -lpthread ||
	! gcc -O2 -static -o $b/bench_exec "$top/guest/progs/bench_exec.c"; then
	warn build "gcc failed"
	echo "@@ done"
	exit 1
fi
# BENCH_STEPS=a,b (through BOOT_ARGS=) runs only some of them.
steps=${BENCH_STEPS:-hit_costs real_programs scaling fifty thousand perf_record exec_probes}
for step in ${steps//,/ }; do
	t0=$(now)
	$step
	echo "== $step took $((($(now) - t0) / 1000000)) s"
done
echo "@@ done"
