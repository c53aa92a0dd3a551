/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What arch/x86/kernel/uprobes_insn.c takes from kernel headers that the
 * tools headers do not provide: the opcode names of <asm/text-patching.h>.
 */
#ifndef _TOOLS_UPROBES_KERNEL_SHIM_H
#define _TOOLS_UPROBES_KERNEL_SHIM_H

#define RET_INSN_OPCODE		0xC3
#define CALL_INSN_OPCODE	0xE8
#define JMP32_INSN_OPCODE	0xE9
#define JMP8_INSN_OPCODE	0xEB

#endif
