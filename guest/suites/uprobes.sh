# shellcheck shell=bash disable=SC2154 # top, result() come from check.sh
# kselftest uprobes (tools/testing/selftests/uprobes), built on the host by
# scripts/selftests.sh into build/selftests/uprobes. Sourced by check.sh:
# each binary runs with kselftest_harness TAP output, and every TAP result
# becomes one "@@ ok|fail kselftest/uprobes/<test>" line. A missing binary,
# a skip, a crash or a result missing from the plan is a failure.

uprobes_ksft_run() {	# uprobes_ksft_run BINARY
	local bin=$1 dir=$top/build/selftests/uprobes out rc plan=0 seen=0
	local line name why

	if [ ! -x "$dir/$bin" ]; then
		result "kselftest/uprobes/$bin" 1 "$dir/$bin missing (not built?)"
		return
	fi
	out=$(cd /tmp && timeout -k 10 300 "$dir/$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	while IFS= read -r line; do
		case $line in
		1..[0-9]*)
			plan=${line#1..}
			continue
			;;
		"ok "[0-9]*|"not ok "[0-9]*) ;;
		*) continue ;;
		esac
		seen=$((seen + 1))
		# "[not ]ok N fixture.test[ # directive]" -> "test"
		name=${line#not }
		name=${name#ok }
		name=${name#* }
		name=${name%% # *}
		name=${name#*.}
		case $line in
		"not ok "*) result "kselftest/uprobes/$name" 1 "see the TAP above" ;;
		*" # SKIP"*)
			why=${line#* # SKIP}
			result "kselftest/uprobes/$name" 1 "skipped:${why:- no reason}"
			;;
		*) result "kselftest/uprobes/$name" 0 ;;
		esac
	done <<<"$out"
	# The binary as a whole: clean exit and every planned test reported.
	if [ "$plan" -eq 0 ] || [ "$seen" -ne "$plan" ]; then
		result "kselftest/uprobes/$bin" 1 "crashed or hung: $seen of $plan results, exit $rc"
	else
		result "kselftest/uprobes/$bin" "$rc" "exit status $rc"
	fi
}

uprobes_ksft_run uprobes_test
uprobes_ksft_run uprobes_hard
# These exist on x86-64 only (the Makefile builds them there).
if [ "$(uname -m)" = x86_64 ]; then
	uprobes_ksft_run uprobes_diff
	uprobes_ksft_run uprobes_badinput
	uprobes_ksft_run uprobes_stress
fi
