#!/bin/bash
# report.sh LOG [HOSTRESULTS]: turn the "@@" result lines of a guest console
# log (and of host-side checks) into per-test lines and the closing count.
# Tests on tests/not-yet are shown but never counted as passed or failed; one
# that starts passing is called out so it comes off the list.
. "$(dirname "$0")/lib.sh"
log=$1 host=${2:-/dev/null}
notyet=$TOP/tests/not-yet
pass=0 fail=0 wait=0 done=0
declare -A later
while read -r name why; do
	[ -n "$name" ] && later[$name]=$why
done < <(grep -v '^#' "$notyet" 2>/dev/null)

while read -r tag st name rest; do
	[ "$tag" = "@@" ] || continue
	if [ "$st" = done ]; then done=1; continue; fi
	if [ -n "${later[$name]+x}" ]; then
		if [ "$st" = ok ]; then
			printf 'PASS %s  <- now passes: take it off tests/not-yet\n' "$name"
			pass=$((pass + 1))
		else
			printf 'NOT YET %s  (%s)\n' "$name" "${later[$name]}"
			wait=$((wait + 1))
		fi
	elif [ "$st" = ok ]; then
		printf 'PASS %s\n' "$name"; pass=$((pass + 1))
	else
		printf 'FAIL %s %s\n' "$name" "$rest"; fail=$((fail + 1))
	fi
done < <(cat "$host"; tr -d '\r' < "$log" | sed -n 's/^.*\(@@ .*\)$/\1/p')

if [ $done = 0 ]; then
	printf 'FAIL guest/complete # the guest did not finish: see %s\n' "$log"
	fail=$((fail + 1))
fi
[ $wait = 0 ] || printf '%d test(s) on the not-yet list (tests/not-yet)\n' "$wait"
[ $fail = 0 ] || printf 'console log kept at %s\n' "$log"
printf '%d passed, %d failed\n' $pass $fail
[ $fail = 0 ]
