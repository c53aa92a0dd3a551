#!/bin/bash
# build.sh [TREE [OBJ [FRAGMENT [TARGET...]]]]: configure (tinyconfig + FRAGMENT,
# default config/uprobes.config) and build TARGETs (default vmlinux) of TREE
# (default $SRC) into OBJ (default $OBJ). Incremental: make decides what is
# stale. ARCH and CROSS_COMPILE from the environment cross-build.
. "$(dirname "$0")/lib.sh"
src=$(realpath "${1:-$SRC}") obj=$(realpath -m "${2:-$OBJ}")
frag=${3:-$TOP/config/uprobes.config} targets=("${@:4}")
[ ${#targets[@]} -gt 0 ] || targets=(vmlinux)
cross=${CROSS_COMPILE:-}
cc=${cross}gcc hcc=gcc
export CCACHE_BASEDIR=$BUILD
command -v ccache >/dev/null && cc="ccache $cc" hcc="ccache gcc"
mk() { make -s -C "$src" O="$obj" ${ARCH:+ARCH=$ARCH} ${cross:+CROSS_COMPILE=$cross} \
	CC="$cc" HOSTCC="$hcc" -j"$JOBS" "$@"; }

mkdir -p "$obj"
# Configured again when the fragment or any Kconfig file changes.
want="$(sha1sum "$frag" | cut -c1-12) $(git -C "$src" ls-tree -r HEAD | grep Kconfig | sha1sum | cut -c1-12)"
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/config.stamp" 2>/dev/null)" != "$want" ]; then
	say "configuring $obj"
	mk tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
	mk olddefconfig >/dev/null
	echo "$want" > "$obj/config.stamp"
fi
say "building $obj${ARCH:+ ($ARCH)}"
mk "${targets[@]}"
