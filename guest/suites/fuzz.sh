# shellcheck shell=bash disable=SC2154 # top, result() come from check.sh
# The uprobe_events fuzzer (tools/testing/selftests/uprobes/uprobes_fuzz.c,
# built by scripts/selftests.sh): 100,000 mutated definitions and removals
# through uprobe_events, 20,000 through dynamic_events, seed fixed. Every
# rejected line must leave one error_log entry naming it with the caret
# inside it, no accepted line may be one the core can never plant, the
# events left must be exactly what the accepted lines made, and the kernel
# log must stay clean. FUZZ_COUNT= (through BOOT_ARGS=) changes the count.

fuzz_field() {	# fuzz_field NAME LOG: a value of the FUZZ_SUMMARY line
	sed -n "s/^FUZZ_SUMMARY.* $1=\([^ ]*\).*/\1/p" "$2"
}

fuzz_run() {	# fuzz_run NAME ARGS...
	local name=$1 log=/tmp/fuzz-$1.log start=$SECONDS
	shift
	"$top/build/selftests/uprobes/uprobes_fuzz" -S "$@" > "$log" 2>&1
	grep -v '^FUZZ_LINE' "$log" | tail -n 60 | sed 's/^/    /'
	echo "    ($name: $((SECONDS - start)) s)"
	[ "$(fuzz_field final "$log")" = ok ]
	result "fuzz/$name-final-state" $? "the events left are not what the accepted lines made"
	[ "$(fuzz_field splats "$log")" = 0 ]
	result "fuzz/$name-no-splat" $? "splat in the kernel log"
	[ "$(fuzz_field gaps "$log")" = 0 ]
	result "fuzz/$name-error-log" $? "$(fuzz_field gaps "$log") rejected line(s) without an error_log entry"
	# dynamic_events also reaches the base tree's event probe parser,
	# which logs some of its refusals twice: carets only for uprobe_events.
	if [ "$name" = uprobe_events ]; then
		[ "$(fuzz_field log_oddities "$log")" = 0 ]
		result "fuzz/$name-carets" $? "$(fuzz_field log_oddities "$log") entries with a wrong command or caret"
	fi
	[ "$(fuzz_field bad_accepts "$log")" = 0 ]
	result "fuzz/$name-accepts" $? "$(fuzz_field bad_accepts "$log") accepted line(s) that can never be probed"
}

if [ -x "$top/build/selftests/uprobes/uprobes_fuzz" ]; then
	fuzz_run uprobe_events -n "${FUZZ_COUNT:-100000}" -s 1
	fuzz_run dynamic_events -D -n "${FUZZ_DYN_COUNT:-20000}" -s 2
	echo > /sys/kernel/tracing/uprobe_events
else
	result fuzz/binary 1 "uprobes_fuzz not built"
fi
