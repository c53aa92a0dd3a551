#!/bin/bash
# The guest job of scripts/check-bpf.sh: runs the BPF selftests' test_progs
# (built on the host into build/bpf/selftests) on the booted kernel, named
# by ubpf= on the kernel command line (ours or stock; its bpf_testmod.ko is
# build/bpf/mod-NAME), for the tests in ubpftests= (comma-separated).
# Prints test_progs' output indented, then one line per subtest (or test
# without subtests) "@@ ok|fail|skip bpf/TEST[/SUBTEST]", then "@@ done".
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bpf/selftests
for a in $(cat /proc/cmdline); do
	case $a in
	ubpf=*) kernel=${a#ubpf=} ;;
	ubpftests=*) tests=${a#ubpftests=} ;;
	esac
done
echo "bpf-selftests: kernel $kernel, $(uname -r), tests $tests"

# test_progs opens its BPF objects, bpf_testmod.ko, urandom_read and
# uprobe_multi from the current directory, which must be writable: the
# host's root is read-only, so link what it needs into /tmp.
mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf
w=/tmp/bpf && mkdir -p $w && cd $w || exit 1
ln -s "$out"/test_progs "$out"/*.bpf.o "$out"/urandom_read \
	"$out"/liburandom_read.so "$out"/uprobe_multi .
cp "$top/build/bpf/mod-$kernel/bpf_testmod.ko" .

./test_progs -a "$tests" > $w/log 2>&1
echo "bpf-selftests: test_progs exited with $?"
sed 's/^/    /' $w/log

# "#12/3  test/sub:OK" for subtests, "#12  test:OK" for tests: report the
# subtests, and a test itself only when it has none.
sed -nE 's/^#[0-9]+(\/[0-9]+)? +([^ :]+):(OK|FAIL|SKIP).*/\2 \3/p' $w/log |
awk '{ if (!($1 in st)) order[n++] = $1; st[$1] = $2	# failures print twice
       split($1, p, "/"); if (p[2] != "") parent[p[1]] = 1 }
     END { for (i = 0; i < n; i++) { t = order[i]; if (t in parent) continue
		r = st[t] == "OK" ? "ok" : st[t] == "SKIP" ? "skip" : "fail"
		print "@@ " r " bpf/" t } }'
echo "@@ done"
