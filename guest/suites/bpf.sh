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
