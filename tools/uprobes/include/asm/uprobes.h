/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's struct arch_uprobe, which the classifier in
 * arch/x86/kernel/uprobes_insn.c fills in, for its user-space build.
 */
#ifndef _TOOLS_UPROBES_ASM_UPROBES_H
#define _TOOLS_UPROBES_ASM_UPROBES_H

#include <linux/types.h>
#include "../../../../arch/x86/include/asm/uprobes.h"

#endif
