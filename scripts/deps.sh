#!/bin/bash
# Install what building, booting and testing need, if anything is missing.
# The base tree's package is pinned in config/base-version; if Debian no longer
# serves that exact version we take the candidate and say so loudly.
. "$(dirname "$0")/lib.sh"

pkgs=(flex bison bc libelf-dev libssl-dev cpio busybox-static quilt qemu-system-x86
      linux-perf trace-cmd gcc make git xz-utils ccache python3 gdb strace
      systemtap-sdt-dev gcc-multilib bpftrace)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
have=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true)
[ "$have" = "$BASE_VER" ] || missing+=("$BASE_PKG")
[ ${#missing[@]} -eq 0 ] && exit 0

say "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
src=("$BASE_PKG=$BASE_VER")
served=$(apt-cache madison "$BASE_PKG")
if ! grep -qF "| $BASE_VER |" <<< "$served"; then
	cand=$(apt-cache policy "$BASE_PKG" | awk '/Candidate:/ {print $2}')
	printf '\n!!!!\n!!!! %s %s is no longer served; using the candidate %s.\n!!!! Update config/base-version.\n!!!!\n\n' \
		"$BASE_PKG" "$BASE_VER" "$cand" >&2
	src=("$BASE_PKG")
fi
list=()
for p in "${missing[@]}"; do [ "$p" = "$BASE_PKG" ] || list+=("$p"); done
apt-get install -y -q --no-install-recommends "${list[@]}" "${src[@]}" >/dev/null
