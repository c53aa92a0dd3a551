# The BPF uprobe_multi link, driven like libbpf does (sourced by
# guest/check.sh). The distribution's linux/bpf.h predates uprobe_multi, so
# the program builds against the tree's copy of just that header.

bpf_uprobe_multi() {
	local inc=/tmp/bpf-uapi
	mkdir -p $inc/linux || return 1
	cp "$top/build/src/include/uapi/linux/bpf.h" \
	   "$top/build/src/include/uapi/linux/bpf_common.h" $inc/linux/ || return 1
	gcc -O2 -Wall -I$inc -o /tmp/uprobe_multi "$top/guest/progs/uprobe_multi.c" || return 1
	/tmp/uprobe_multi 2>&1 | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}

bpf_uprobe_multi
result bpf/uprobe-multi $? "per-cookie uprobe_multi counts did not match"

# A program returning 1 (UPROBE_HANDLER_REMOVE) on a link without a pid
# filter: every call proceeds and is counted once (no livelock at the int3).
bpf_uprobe_multi_remove() {
	[ -x /tmp/uprobe_multi ] || return 1
	timeout -k 5 120 /tmp/uprobe_multi remove 2>&1 | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}

bpf_uprobe_multi_remove
result bpf/uprobe-multi-handler-remove $? "REMOVE from a filterless link livelocked or miscounted"
