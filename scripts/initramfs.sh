#!/bin/bash
# Pack build/initramfs.cpio.gz: busybox-static and guest/init. The init mounts
# the host's root (read-only, virtio-9p) and runs the job there in a chroot.
. "$(dirname "$0")/lib.sh"
out=$BUILD/initramfs.cpio.gz
[ -f "$out" ] && [ "$out" -nt "$TOP/guest/init" ] && [ "$out" -nt /bin/busybox ] && exit 0
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d"/{bin,dev,proc,sys,host}
cp /bin/busybox "$d/bin/busybox"
install -m 755 "$TOP/guest/init" "$d/init"
(cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
