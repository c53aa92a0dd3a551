/* SPDX-License-Identifier: GPL-2.0-only */
/* <asm/uprobes.h> includes it for the kernel's notifier hooks, unused here */
#ifndef _TOOLS_UPROBES_LINUX_NOTIFIER_H
#define _TOOLS_UPROBES_LINUX_NOTIFIER_H
#endif
