# Shared settings for the harness scripts; sourced, never run.
# shellcheck shell=bash
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
SRC=$BUILD/src			# git tree: pristine, base, then the series
OBJ=${OBJ:-$BUILD/obj}		# O= build directory of the series kernel
read -r BASE_PKG BASE_VER < <(grep -v '^#' "$TOP/config/base-version")
TARBALL=/usr/src/$BASE_PKG.tar.xz
JOBS=${JOBS:-$(($(nproc) + 1))}
export GIT_AUTHOR_NAME="Uprobes Series" GIT_AUTHOR_EMAIL=uprobes@example.org
export GIT_COMMITTER_NAME="Uprobes Series" GIT_COMMITTER_EMAIL=uprobes@example.org
export GIT_AUTHOR_DATE="2026-11-24T00:00:00Z" GIT_COMMITTER_DATE="2026-11-24T00:00:00Z"

say() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
