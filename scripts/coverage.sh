#!/bin/bash
# coverage.sh: how probes on function entries of real binaries would run.
# Builds tools/uprobes/uprobe_coverage of the series ($SRC) into
# build/coverage, runs it on Debian's libc, bash, python3 and libssl and on
# a program built with -fcf-protection=full (every function starts with
# endbr64), prints its tables and one "@@ ok|fail coverage/NAME" line per
# check: the tool classified the file; ours needs the single-step no more
# often than stock 6.12 (modelled); and at most 1% of entries need it.
. "$(dirname "$0")/lib.sh"
out=$BUILD/coverage
mkdir -p "$out"
result() { if [ "$2" = 0 ]; then echo "@@ ok $1"; else echo "@@ fail $1${3:+ # $3}"; fi; }

make -s -C "$SRC/tools/uprobes" OUTPUT="$out/" >&2 || { result coverage/build 1; exit 0; }
gcc -O2 -fcf-protection=full -o "$out/cf-protected" \
	"$SRC/tools/testing/selftests/uprobes/uprobes_fuzz.c"
for f in /lib/x86_64-linux-gnu/libc.so.6 /bin/bash "$(readlink -f /usr/bin/python3)" \
	 /usr/lib/x86_64-linux-gnu/libssl.so.3 "$out/cf-protected"; do
	name=$(basename "$f")
	name=${name%%.so*}
	name=${name%%[0-9.]*}
	t=$("$out/uprobe_coverage" -a "$f" 2>&1)
	sed 's/^/    /' <<< "$t" >&2
	read -r n ours stock < <(sed -n 's/^COVERAGE file=.* entries=\([0-9]*\) ours_nostep=\([0-9]*\) stock_nostep=\([0-9]*\) .*/\1 \2 \3/p' <<< "$t")
	rc=0; [ "${n:-0}" -gt 0 ] || rc=1
	result "coverage/$name-classified" $rc "no function entries found in $f"
	[ $rc = 0 ] || continue
	rc=0; [ "$ours" -ge "$stock" ] || rc=1
	result "coverage/$name-not-below-stock" $rc "ours $ours, stock $stock of $n"
	rc=0; [ $((100 * ours)) -ge $((99 * n)) ] || rc=1
	result "coverage/$name-99-percent" $rc "$ours of $n entries need no single-step"
done
