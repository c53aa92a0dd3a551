#!/bin/bash
# bench.sh: `make bench`. Builds stock 6.12 (scripts/stock.sh; ours comes from
# make's `kernel` prerequisite), then boots the two under the same QEMU
# settings, alternating, for BENCH_ROUNDS rounds (default 3), each boot
# running guest/bench.sh. Console logs land in build/bench/KERNEL-ROUND.log;
# scripts/bench-report.py prints the medians and writes build/bench.json.
. "$(dirname "$0")/lib.sh"
rounds=${BENCH_ROUNDS:-3}
out=$BUILD/bench
"$TOP/scripts/stock.sh"
[ -f "$OBJ/vmlinux" ] || die "$OBJ/vmlinux missing: run make bench (or make kernel) first"
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)
for r in $(seq "$rounds"); do
	for k in stock ours; do
		v=$OBJ/vmlinux
		[ $k = stock ] && v=$BUILD/stock-obj/vmlinux
		BOOT_TIMEOUT=${BOOT_TIMEOUT:-1200} "$TOP/scripts/boot.sh" "$v" \
			"$TOP/guest/bench.sh" "$out/$k-$r.log" | grep --line-buffered '@@ bench' |
			sed -u "s/^/$k $r: /"
		grep -q '^@@ done' "$out/$k-$r.log" || say "$k round $r did not finish: see $out/$k-$r.log"
	done
done
say "$rounds rounds took $((($(date +%s) - start) / 60)) min"
python3 "$TOP/scripts/bench-report.py" "$BUILD/bench.json" "$out"/*.log
