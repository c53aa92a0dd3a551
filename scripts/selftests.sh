#!/bin/bash
# Build the series' kselftests (tools/testing/selftests/uprobes) on the host
# into build/selftests, for guest/suites/*.sh to run in the guest.
. "$(dirname "$0")/lib.sh"
dir=$SRC/tools/testing/selftests/uprobes
[ -d "$dir" ] || exit 0
mkdir -p "$BUILD/selftests/uprobes"
make -s -C "$dir" OUTPUT="$BUILD/selftests/uprobes"
