#!/bin/bash
# Make the base tree in build/src: commit 1 is Debian's pristine tree, commit 2
# removes mainline's uprobes implementation so that our series can add its own.
# Tag "base" marks commit 2. Reused while the tarball and this script are unchanged.
. "$(dirname "$0")/lib.sh"

ver=$(dpkg-query -W -f='${Version}' "$BASE_PKG")
stamp="$ver $(sha1sum "$0" | cut -c1-12)"
if [ -f "$BUILD/base.stamp" ] && [ "$(cat "$BUILD/base.stamp")" = "$stamp" ] &&
   git -C "$SRC" rev-parse -q --verify base >/dev/null; then
	exit 0
fi

say "unpacking $TARBALL ($ver)"
rm -rf "$SRC" "$BUILD/base.stamp"
mkdir -p "$SRC"
tar -xJf "$TARBALL" -C "$SRC" --strip-components=1
cd "$SRC"
git init -q -b pristine
git config user.name "$GIT_AUTHOR_NAME"
git config user.email "$GIT_AUTHOR_EMAIL"
git config gc.auto 0
git add -A -f
git commit -q -m "Debian $BASE_PKG $ver, pristine"
git tag pristine

# Mainline's implementation: three files, their Makefile lines, and the x86
# switch. Callers keep compiling against the !CONFIG_UPROBES stubs.
git rm -q kernel/events/uprobes.c arch/x86/kernel/uprobes.c kernel/trace/trace_uprobe.c
sed -i '/^obj-\$(CONFIG_UPROBES)[[:space:]]*+= uprobes.o$/d' kernel/events/Makefile arch/x86/kernel/Makefile
sed -i '/^obj-\$(CONFIG_UPROBE_EVENTS) += trace_uprobe.o$/d' kernel/trace/Makefile
sed -i '/^config ARCH_SUPPORTS_UPROBES$/,/^$/d' arch/x86/Kconfig
for f in kernel/events/Makefile arch/x86/kernel/Makefile kernel/trace/Makefile; do
	! grep -q uprobe "$f" || die "$f still builds uprobes"
done
! grep -q '^config ARCH_SUPPORTS_UPROBES' arch/x86/Kconfig || die "Kconfig still has ARCH_SUPPORTS_UPROBES"
git commit -q -a -m "Remove mainline uprobes implementation (base of the series)"
git tag base
git checkout -q -b series
echo "$stamp" > "$BUILD/base.stamp"
say "base ready: $(git rev-parse --short base)"
