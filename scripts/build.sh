#!/bin/bash
# Configure (tinyconfig + config/uprobes.config) and build the kernel of the
# tree in $SRC into $OBJ. Incremental: make decides what is stale.
. "$(dirname "$0")/lib.sh"
src=$(realpath "${1:-$SRC}") obj=$(realpath -m "${2:-$OBJ}")
frag=$TOP/config/uprobes.config
cc=gcc
export CCACHE_BASEDIR=$BUILD
command -v ccache >/dev/null && cc="ccache gcc"
mk() { make -s -C "$src" O="$obj" CC="$cc" HOSTCC="$cc" -j"$JOBS" "$@"; }

mkdir -p "$obj"
want="$(sha1sum "$frag" | cut -c1-12) $(git -C "$src" rev-parse HEAD)"
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/config.stamp" 2>/dev/null)" != "$want" ]; then
	say "configuring $obj"
	mk tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
	mk olddefconfig >/dev/null
	echo "$want" > "$obj/config.stamp"
fi
say "building $obj"
mk vmlinux
