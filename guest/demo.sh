#!/bin/bash
# `make run`: the demo, in the guest. A probe on bash's readline through
# uprobe_events (offset from bash's dynamic symbol table) and one through
# `perf probe -x /bin/bash shell_execve`; drive an interactive bash; show the
# trace and uprobe_profile.
t=/sys/kernel/tracing
cd /tmp || exit 1
echo "== kernel $(uname -r)"
if [ ! -e $t/uprobe_events ]; then
	echo "== this kernel has no uprobe_events: the series does not implement uprobes yet"
	exit 0
fi

# File offset of a dynamic symbol: its address minus its LOAD segment's
# virtual address plus that segment's file offset.
file_offset() {
	local addr type off va fsz
	addr=$((16#$(readelf -W --dyn-syms "$1" | awk -v s="$2" '$8 == s { print $2; exit }')))
	while read -r type off va _ fsz _; do
		[ "$type" = LOAD ] || continue
		if ((addr >= va && addr < va + fsz)); then
			printf '0x%x\n' $((addr - va + off))
			return
		fi
	done < <(readelf -W -l "$1")
}

off=$(file_offset /bin/bash readline)
echo "== readline is at /bin/bash:$off"
set -x
echo "p:bash/readline /bin/bash:$off" >> $t/uprobe_events
perf probe -q -x /bin/bash shell_execve
cat $t/uprobe_events
echo 1 > $t/events/bash/readline/enable
echo 1 > $t/events/probe_bash/shell_execve/enable
printf 'echo hello from a probed bash\n/bin/true\nexit\n' |
	script -q -c 'bash --norc -i' /dev/null
echo 0 > $t/events/bash/readline/enable
echo 0 > $t/events/probe_bash/shell_execve/enable
cat $t/trace
cat $t/uprobe_profile
perf probe -q -d 'probe_bash:*'
echo '-:bash/readline' >> $t/uprobe_events
