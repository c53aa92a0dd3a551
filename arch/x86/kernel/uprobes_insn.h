/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How a probed x86 instruction is executed, decided once when the probe is
 * analysed: the classifier in uprobes_insn.c and what it tells uprobes.c.
 * The classifier only needs the instruction decoder, so the same source
 * also builds in user space (tools/uprobes/uprobe_coverage.c), where it
 * counts what a kernel with this series would do with real binaries.
 */
#ifndef _X86_KERNEL_UPROBES_INSN_H
#define _X86_KERNEL_UPROBES_INSN_H

#include <linux/types.h>
#include <asm/insn.h>
#include <asm/uprobes.h>

/* How arch_uprobe_analyze_insn() executes the instruction */
enum uprobe_insn_class {
	UPROBE_INSN_STEP,	/* single-stepped out of line */
	UPROBE_INSN_NOP,	/* emulated: nothing to do but move IP on */
	UPROBE_INSN_BRANCH,	/* emulated: relative jmp/jcc/call/loop */
	UPROBE_INSN_PUSH,	/* emulated: push reg */
	UPROBE_INSN_ALU,	/* emulated: moves, arithmetic, stack ops */
	UPROBE_INSN_BOOST,	/* stepped, or run from a copy with a jump back */
	UPROBE_INSN_NR_CLASSES
};

int uprobe_insn_classify(struct arch_uprobe *aup, bool x86_64, bool vc,
			 const char **why);

/* Number of general registers, and their pt_regs offsets (uprobes.c) */
#ifdef CONFIG_X86_64
#define UPROBE_NR_GPRS		16
#else
#define UPROBE_NR_GPRS		8
#endif
extern const u8 uprobe_gpr_offset[UPROBE_NR_GPRS];

/*
 * defparam.fixups: what the end of the step must repair.  The low bits are
 * flags; the high nibble holds the ModRM number of the register a
 * RIP-relative operand was rebased on (0, %rax, is never chosen: "none").
 */
#define UPROBE_FIX_IP		0x01	/* IP is relative to the slot */
#define UPROBE_FIX_CALL		0x02	/* a return address was pushed */
#define UPROBE_FIX_PUSHF	0x04	/* an EFLAGS image with our TF was pushed */
#define UPROBE_FIX_SCRATCH_SHIFT	4
#define UPROBE_FIX_SCRATCH(reg)	((reg) << UPROBE_FIX_SCRATCH_SHIFT)
#define UPROBE_SCRATCH_REG(fixups)	((fixups) >> UPROBE_FIX_SCRATCH_SHIFT)

/* Opcodes without a <asm/text-patching.h> name, used in more than one place */
#define PUSHF_OPCODE		0x9c
#define JCXZ_OPCODE		0xe3

/*
 * Moves, arithmetic and stack operations, the bulk of function prologues
 * and epilogues.  uprobe_setup_alu() decodes the operands once, into
 * aup->alu; alu_emulate() only fetches them, computes and writes back.
 *
 * Register ids in aup->alu: 0-15 are the general registers by ModRM/REX
 * number; UA_HIGH8 | n (n = 0-3) is %ah/%ch/%dh/%bh, which a byte operand
 * 4-7 names when the instruction has no REX prefix; UA_NOREG is none.
 */
enum uprobe_alu_op {
	/* 0-7 in the order of the ALU opcodes 00-3d and group 1 ModRM.reg */
	UA_ADD, UA_OR, UA_ADC, UA_SBB, UA_AND, UA_SUB, UA_XOR, UA_CMP,
	UA_TEST, UA_INC, UA_DEC, UA_NEG, UA_NOT,
	/* shifts and rotates: group 2 of opcodes c0, c1 and d0-d3 */
	UA_ROL, UA_ROR, UA_SHL, UA_SHR, UA_SAR,
	UA_MOV, UA_MOVZX, UA_MOVSX, UA_CMOVCC, UA_SETCC, UA_LEA, UA_XCHG,
	/* stack operations: 64-bit tasks only */
	UA_PUSH, UA_POP, UA_LEAVE, UA_RET,
};

#define UA_HIGH8	0x10
#define UA_NOREG	0xff

/* alu.form */
#define UA_MEM		0x01	/* the ModRM r/m operand is in memory */
#define UA_GE		0x02	/* the ModRM.reg operand is the destination */
#define UA_IMM		0x04	/* the source is alu.imm, the destination r/m */
#define UA_RIP		0x08	/* the memory operand is RIP-relative */
#define UA_64		0x10	/* decoded for 64-bit mode */
#define UA_CL		0x20	/* a shift or rotate count is in %cl */

static inline unsigned long ua_zext(unsigned long val, unsigned int size)
{
	switch (size) {
	case 1:
		return (u8)val;
	case 2:
		return (u16)val;
	case 4:
		return (u32)val;
	}
	return val;
}

#endif /* _X86_KERNEL_UPROBES_INSN_H */
