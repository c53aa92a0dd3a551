// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 uprobes instruction classifier: which instructions can be probed,
 * and for each whether it is emulated (and with what operands) or stepped
 * out of line (and with what fix-ups).  uprobes.c acts on the result at
 * every hit.  Only the instruction decoder is used here, so that
 * tools/uprobes builds this same file in user space.
 */

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <asm/inat.h>
#ifdef __KERNEL__
#include <linux/cache.h>		/* for <asm/text-patching.h> */
#include <asm/text-patching.h>
#endif

#include "uprobes_insn.h"

static bool uprobe_has_prefix(struct insn *insn, insn_byte_t prefix)
{
	insn_byte_t p;
	int i;

	for_each_insn_prefix(insn, i, p) {
		if (p == prefix)
			return true;
	}
	return false;
}

static bool uprobe_has_rep(struct insn *insn)
{
	return uprobe_has_prefix(insn, 0xf3) || uprobe_has_prefix(insn, 0xf2);
}

/*
 * The instruction policy.  Only what is listed below with UOP_OK (or with
 * UOP_SUB and found acceptable by uprobe_refine()) can be probed; any
 * opcode not listed is refused, like an entry saying "unknown".  The test
 * for every entry is the same: in the slot, with TF set, the instruction
 * must do exactly what it does in place, apart from what the fix-ups
 * repair (IP, a pushed return address or EFLAGS image, a RIP-relative
 * operand).  In particular the kernel must not emulate it on an exception
 * and move IP on inside the slot, as the #GP handler does for CLI/STI of
 * iopl(3) tasks and for the UMIP instructions, or a #VC/#VE handler does
 * in confidential guests.  Plain faults are fine: the task gets the signal
 * with IP at the probe, as in place.
 */
enum uop_verdict {
	UOP_NO,		/* refused: the reason says why */
	UOP_OK,		/* accepted: the reason says why it is safe */
	UOP_SUB,	/* depends on prefixes or ModRM: uprobe_refine() */
};

#define UOP_LEGACY32	0x01	/* only exists outside 64-bit mode */

struct uop_rule {
	u8		first, last;
	u8		verdict;
	u8		flags;
	const char	*why;
};

#define UOP(_first, _last, _verdict, _flags, _why) \
	{ .first = _first, .last = _last, .verdict = _verdict, .flags = _flags, .why = _why }

static const char uop_unknown[] = "not known to be safe to step out of line";

/* One-byte opcodes (prefix bytes never get here) */
static const struct uop_rule uop_map1[] = {
	UOP(0x00, 0x05, UOP_OK, 0, "add"),
	UOP(0x06, 0x07, UOP_OK, UOP_LEGACY32, "push/pop %es"),
	UOP(0x08, 0x0d, UOP_OK, 0, "or"),
	UOP(0x0e, 0x0e, UOP_OK, UOP_LEGACY32, "push %cs"),
	UOP(0x10, 0x15, UOP_OK, 0, "adc"),
	UOP(0x16, 0x16, UOP_OK, UOP_LEGACY32, "push %ss"),
	UOP(0x17, 0x17, UOP_NO, 0, "pop %ss: suppresses the single-step trap"),
	UOP(0x18, 0x1d, UOP_OK, 0, "sbb"),
	UOP(0x1e, 0x1f, UOP_OK, UOP_LEGACY32, "push/pop %ds"),
	UOP(0x20, 0x25, UOP_OK, 0, "and"),
	UOP(0x27, 0x27, UOP_OK, UOP_LEGACY32, "daa"),
	UOP(0x28, 0x2d, UOP_OK, 0, "sub"),
	UOP(0x2f, 0x2f, UOP_OK, UOP_LEGACY32, "das"),
	UOP(0x30, 0x35, UOP_OK, 0, "xor"),
	UOP(0x37, 0x37, UOP_OK, UOP_LEGACY32, "aaa"),
	UOP(0x38, 0x3d, UOP_OK, 0, "cmp"),
	UOP(0x3f, 0x3f, UOP_OK, UOP_LEGACY32, "aas"),
	UOP(0x40, 0x4f, UOP_OK, UOP_LEGACY32, "inc/dec reg (REX in 64-bit mode)"),
	UOP(0x50, 0x5f, UOP_OK, 0, "push/pop reg (push is emulated)"),
	UOP(0x60, 0x62, UOP_OK, UOP_LEGACY32, "pusha/popa/bound (bound raises #BR)"),
	UOP(0x63, 0x63, UOP_OK, 0, "arpl/movsxd"),
	UOP(0x68, 0x6b, UOP_OK, 0, "push imm, imul imm"),
	UOP(0x6c, 0x6f, UOP_SUB, 0, "ins/outs: not with rep, nor where #VC emulates port I/O"),
	UOP(0x70, 0x7f, UOP_SUB, 0, "jcc rel8: emulated, not with an operand-size prefix"),
	UOP(0x80, 0x81, UOP_OK, 0, "ALU r/m, imm"),
	UOP(0x82, 0x82, UOP_OK, UOP_LEGACY32, "ALU r/m8, imm8 (alias of 0x80)"),
	UOP(0x83, 0x8d, UOP_OK, 0, "ALU r/m, imm8; test; xchg; mov; mov from sreg; lea"),
	UOP(0x8e, 0x8e, UOP_OK, 0, "mov to %es/%ds/%fs/%gs (%ss is refused before)"),
	UOP(0x8f, 0x8f, UOP_SUB, 0, "pop r/m: only /0 (the rest is AMD XOP)"),
	UOP(0x90, 0x99, UOP_OK, 0, "nop/xchg/pause, cbw/cwd"),
	UOP(0x9a, 0x9a, UOP_NO, UOP_LEGACY32, "far call: loads CS"),
	UOP(0x9b, 0x9b, UOP_OK, 0, "fwait"),
	UOP(0x9c, 0x9c, UOP_SUB, 0, "pushf: the image gets TF cleared, not for pushfw"),
	UOP(0x9d, 0x9d, UOP_NO, 0, "popf: rewrites TF, ours and the program's look alike"),
	UOP(0x9e, 0xa3, UOP_OK, 0, "sahf/lahf, mov moffs"),
	UOP(0xa4, 0xa7, UOP_SUB, 0, "movs/cmps: not with rep"),
	UOP(0xa8, 0xa9, UOP_OK, 0, "test imm"),
	UOP(0xaa, 0xaf, UOP_SUB, 0, "stos/lods/scas: not with rep"),
	UOP(0xb0, 0xc1, UOP_OK, 0, "mov imm, shift group 2"),
	UOP(0xc2, 0xc3, UOP_OK, 0, "ret: IP comes from the stack"),
	UOP(0xc4, 0xc5, UOP_OK, UOP_LEGACY32, "les/lds (VEX in 64-bit mode)"),
	UOP(0xc6, 0xc7, UOP_SUB, 0, "mov r/m, imm and xabort; xbegin is refused"),
	UOP(0xc8, 0xc9, UOP_OK, 0, "enter/leave"),
	UOP(0xca, 0xcb, UOP_NO, 0, "far ret: loads CS"),
	UOP(0xcc, 0xcc, UOP_NO, 0, "int3: belongs to a debugger or another probe"),
	UOP(0xcd, 0xce, UOP_NO, 0, "int n/into: syscall/interrupt from the slot"),
	UOP(0xcf, 0xcf, UOP_NO, 0, "iret: loads CS, SS and EFLAGS.TF"),
	UOP(0xd0, 0xd3, UOP_OK, 0, "shift group 2"),
	UOP(0xd4, 0xd5, UOP_OK, UOP_LEGACY32, "aam/aad (REX2 in 64-bit mode)"),
	UOP(0xd7, 0xdf, UOP_OK, 0, "xlat, x87 (FIP will name the slot)"),
	UOP(0xe0, 0xe3, UOP_SUB, 0, "loop/jcxz: emulated, not with size prefixes"),
	UOP(0xe4, 0xe7, UOP_SUB, 0, "in/out imm8: not where #VC emulates port I/O"),
	UOP(0xe8, 0xe9, UOP_SUB, 0, "call/jmp rel32: emulated, not with 66"),
	UOP(0xea, 0xea, UOP_NO, UOP_LEGACY32, "far jmp: loads CS"),
	UOP(0xeb, 0xeb, UOP_SUB, 0, "jmp rel8: emulated, not with 66"),
	UOP(0xec, 0xef, UOP_SUB, 0, "in/out %dx: not where #VC emulates port I/O"),
	UOP(0xf1, 0xf1, UOP_NO, 0, "int1/icebp: #DB indistinguishable from our step"),
	UOP(0xf4, 0xf4, UOP_OK, 0, "hlt: #GP at CPL 3, never emulated"),
	UOP(0xf5, 0xf7, UOP_OK, 0, "cmc, group 3"),
	UOP(0xf8, 0xf9, UOP_OK, 0, "clc/stc"),
	UOP(0xfa, 0xfb, UOP_NO, 0, "cli/sti: emulated on #GP for iopl(3) tasks, IP moves on"),
	UOP(0xfc, 0xfd, UOP_OK, 0, "cld/std"),
	UOP(0xfe, 0xff, UOP_SUB, 0, "groups 4/5: inc/dec/push, near call/jmp; far ones refused"),
};

/* Two-byte opcodes, 0f xx (the 0f 38 and 0f 3a maps are handled apart) */
static const struct uop_rule uop_map2[] = {
	UOP(0x00, 0x00, UOP_NO, 0, "group 6: sldt/str are emulated on #GP under UMIP"),
	UOP(0x01, 0x01, UOP_SUB, 0, "group 7: only the unprivileged register forms"),
	UOP(0x02, 0x03, UOP_OK, 0, "lar/lsl"),
	UOP(0x05, 0x05, UOP_NO, 0, "syscall: leaves the slot address in %rcx"),
	UOP(0x07, 0x07, UOP_NO, 0, "sysret"),
	UOP(0x0b, 0x0b, UOP_OK, 0, "ud2: #UD, never emulated for user mode"),
	UOP(0x0d, 0x0d, UOP_OK, 0, "prefetch/prefetchw"),
	UOP(0x10, 0x17, UOP_OK, 0, "SSE moves"),
	UOP(0x18, 0x1f, UOP_OK, 0, "prefetch hints and hint nops (endbr, rdssp)"),
	UOP(0x28, 0x2f, UOP_OK, 0, "SSE moves, conversions, compares"),
	UOP(0x31, 0x31, UOP_SUB, 0, "rdtsc: not where #VC emulates it"),
	UOP(0x33, 0x33, UOP_SUB, 0, "rdpmc: not where #VC emulates it"),
	UOP(0x34, 0x35, UOP_NO, 0, "sysenter/sysexit: returns to the vDSO, not to IP"),
	UOP(0x40, 0x77, UOP_OK, 0, "cmovcc, SSE, MMX, emms"),
	UOP(0x7c, 0x7f, UOP_OK, 0, "SSE3 horizontal ops, movd/movq"),
	UOP(0x80, 0x8f, UOP_SUB, 0, "jcc rel32: emulated, not with an operand-size prefix"),
	UOP(0x90, 0xa1, UOP_OK, 0, "setcc, push/pop %fs"),
	UOP(0xa2, 0xa2, UOP_SUB, 0, "cpuid: not where #VC/#VE emulates it"),
	UOP(0xa3, 0xa5, UOP_OK, 0, "bt, shld"),
	UOP(0xa8, 0xa9, UOP_OK, 0, "push/pop %gs"),
	UOP(0xab, 0xc6, UOP_OK, 0, "bts, shrd, group 15, imul, cmpxchg, lss/lfs/lgs, bt*, xadd"),
	UOP(0xc7, 0xc7, UOP_SUB, 0, "group 9: cmpxchg8b/16b, rdrand, rdseed, rdpid"),
	UOP(0xc8, 0xff, UOP_OK, 0, "bswap, SSE, MMX, ud0"),
};

/* Group 7 register forms (0f 01 c0-ff) that user mode may run */
static const u8 uop_grp7_ok[] = {
	0xd0,	/* xgetbv */
	0xd5,	/* xend */
	0xd6,	/* xtest */
	0xe8,	/* serialize */
	0xee,	/* rdpkru */
	0xef,	/* wrpkru */
	0xf9,	/* rdtscp: see uprobe_vc_emulates() */
};

static const struct uop_rule *uop_lookup(const struct uop_rule *map, size_t n, u8 opc)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (opc >= map[i].first && opc <= map[i].last)
			return &map[i];
	}
	return NULL;
}

static const char *uprobe_refine(struct insn *insn, bool vc)
{
	u8 opc1 = insn->opcode.bytes[0];
	u8 opc2 = insn->opcode.bytes[1];
	u8 modrm = insn->modrm.bytes[0];
	unsigned int i;

	if (opc1 == 0x0f) {
		switch (opc2) {
		case 0x01:
			for (i = 0; i < ARRAY_SIZE(uop_grp7_ok); i++) {
				if (modrm == uop_grp7_ok[i])
					return modrm == 0xf9 && vc ?
					       "rdtscp: emulated by #VC" : NULL;
			}
			if (modrm == 0xec && uprobe_has_prefix(insn, 0xf3))
				return "uiret: loads IP and EFLAGS.TF";
			return "group 7: system instruction (sgdt/sidt/smsw are UMIP-emulated)";
		case 0x31:
		case 0x33:
		case 0xa2:
			return vc ? "emulated by #VC/#VE" : NULL;
		case 0x80 ... 0x8f:
			break;		/* jcc rel32: the 66 check below */
		case 0xc7:
			switch (X86_MODRM_REG(modrm)) {
			case 1:		/* cmpxchg8b/16b m64/m128 */
				return X86_MODRM_MOD(modrm) == 3 ? uop_unknown : NULL;
			case 6:		/* rdrand */
			case 7:		/* rdseed, rdpid */
				return X86_MODRM_MOD(modrm) == 3 ? NULL : "group 9: VMX";
			}
			return "group 9: system or unknown";
		}
	}

	switch (opc1) {
	case 0x6c ... 0x6f:	/* ins/outs */
		if (vc)
			return "port I/O: emulated by #VC";
		fallthrough;
	case 0xa4 ... 0xa7:	/* movs/cmps */
	case 0xaa ... 0xaf:	/* stos/lods/scas */
		return uprobe_has_rep(insn) ? "rep string op: traps after every iteration" : NULL;
	case 0xe4 ... 0xe7:
	case 0xec ... 0xef:
		return vc ? "port I/O: emulated by #VC" : NULL;
	case 0x8f:
		return X86_MODRM_REG(modrm) ? uop_unknown : NULL;
	case 0x9c:
		return uprobe_has_prefix(insn, 0x66) ? "16-bit pushf: image fix-up not supported" :
						       NULL;
	case 0xc6:
		return X86_MODRM_REG(modrm) == 0 || modrm == 0xf8 ? NULL : uop_unknown;
	case 0xc7:
		if (modrm == 0xf8)
			return "xbegin: IP-relative abort address, trap aborts it";
		return X86_MODRM_REG(modrm) == 0 ? NULL : uop_unknown;
	case 0xe0 ... 0xe3:	/* loopcc/jcxz */
		if (uprobe_has_prefix(insn, 0x66) || uprobe_has_prefix(insn, 0x67))
			return "loop/jcxz with size prefix: not emulated";
		return NULL;
	case 0xfe:
		return X86_MODRM_REG(modrm) < 2 ? NULL : uop_unknown;
	case 0xff:
		switch (X86_MODRM_REG(modrm)) {
		case 3:		/* lcall *m16:32 */
		case 5:		/* ljmp *m16:32 */
			return "far indirect call/jmp: loads CS";
		case 7:
			return uop_unknown;
		case 2:		/* call *r/m */
		case 4:		/* jmp *r/m */
			break;
		default:	/* inc, dec, push r/m */
			return NULL;
		}
		break;
	}
	/* near branches left: call/jmp *r/m, jcc, call/jmp rel */
	if (uprobe_has_prefix(insn, 0x66))
		return "16-bit near branch: truncates IP, vendor specific";
	return NULL;
}

/*
 * Instructions that cannot be probed, with the reason.  Returns NULL when
 * @insn is acceptable.  Deliberately accepted, for the record (see also
 * the reasons in the tables):
 *  - LOCK: atomicity does not depend on where the instruction sits;
 *  - IN/OUT/INS/OUTS: ports are not IP-relative; without ioperm() the task
 *    gets the same #GP in the slot, which is reported at the probe;
 *  - HLT, UD0/UD1/UD2: they fault in the slot as in place, with the
 *    signal's IP mapped back to the probe; CLI/STI, the UMIP instructions
 *    and other system instructions are refused instead;
 *  - near RET, indirect JMP/CALL: absolute targets (CALL gets a fix-up);
 *  - segment loads other than SS: segment bases are not IP-relative;
 *  - x87: the FPU "last instruction pointer" will name the slot, which only
 *    a SIGFPE handler inspecting FIP could ever notice;
 *  - XABORT, and XEND/XTEST: a probe inside a transaction aborts it anyway;
 *  - VEX/EVEX: vector and bit-manipulation data operations, none of which
 *    reads or writes IP; the decoder rejects undefined ones.
 */
static const char *uprobe_refusal(struct insn *insn, bool x86_64, bool vc)
{
	const struct uop_rule *rule;
	u8 opc1 = insn->opcode.bytes[0];

	if (insn_has_emulate_prefix(insn))
		return "KVM/Xen forced-emulation prefix: ud2 in disguise";
	if (insn_is_rex2(insn))
		return "REX2 (APX): r16-r31 are not in pt_regs, JMPABS unhandled";
	if (insn_masking_exception(insn))
		return "mov to %ss: suppresses the single-step trap";
	if (insn_is_avx(insn))
		return NULL;	/* maps below are legacy ones; RIP-rel is handled */

	if (opc1 == 0x0f && insn->opcode.nbytes == 3) {
		/* 0f 38 / 0f 3a: SIMD, SHA, crc32, movbe; all take ModRM */
		if (insn->opcode.bytes[1] == 0x38 && insn->opcode.bytes[2] >= 0x80 &&
		    insn->opcode.bytes[2] <= 0x82)
			return "invept/invvpid/invpcid: privileged";
		return insn->attr ? NULL : uop_unknown;
	}
	if (opc1 == 0x0f)
		rule = uop_lookup(uop_map2, ARRAY_SIZE(uop_map2), insn->opcode.bytes[1]);
	else
		rule = uop_lookup(uop_map1, ARRAY_SIZE(uop_map1), opc1);

	if (!rule || (x86_64 && (rule->flags & UOP_LEGACY32)))
		return uop_unknown;
	switch (rule->verdict) {
	case UOP_OK:
		return NULL;
	case UOP_SUB:
		return uprobe_refine(insn, vc);
	default:
		return rule->why;
	}
}

/*
 * Rewrite a RIP-relative operand of the copy in aup->ixol to be relative
 * to a scratch register instead, one the instruction does not otherwise
 * name.  Candidates are %rsi, %rdi and %rbp because no instruction with a
 * ModRM memory operand uses them implicitly (unlike %rax, %rcx, %rdx and
 * %rbx: mul/div, shifts by %cl, cmpxchg, cmpxchg16b, pcmpestri, xsave,
 * mulx, ...) and %rsp cannot be a base without SIB.  The instruction can
 * name at most two general registers besides the memory operand (ModRM.reg
 * and VEX.vvvv), so one candidate always remains.  The REX/VEX extension
 * bits are ignored by the CPU for RIP-relative operands, so they may hold
 * anything; REX.B/VEX.B/EVEX.B must be cleared for the new base register.
 */
static int uprobe_fix_riprel(struct arch_uprobe *aup, struct insn *insn)
{
	u8 *vex = aup->ixol + insn_offset_vex_prefix(insn);
	u8 modrm = insn->modrm.bytes[0];
	unsigned int named = BIT(X86_MODRM_REG(modrm));
	unsigned int scratch;

	switch (insn->vex_prefix.nbytes) {
	case 2:			/* c5 R.vvvv.L.pp */
		named |= BIT(~X86_VEX_V(vex[1]) & 7);
		break;
	case 4:			/* 62 P0 P1 P2: APX uses P0 bit 3 as B4 */
		if (vex[1] & 0x08)
			return -EOPNOTSUPP;
		fallthrough;
	case 3:			/* c4 RXB.mmmmm W.vvvv.L.pp */
		named |= BIT(~X86_VEX_V(vex[2]) & 7);
		vex[1] |= 0x20;	/* B is stored inverted */
		break;
	}

	if (insn->rex_prefix.nbytes) {
		int off = insn_offset_rex_prefix(insn);

		/*
		 * The core restores the first byte of aup->insn when the
		 * probe goes away; it must stay the original byte.
		 */
		if (!off && X86_REX_B(aup->ixol[0]))
			return -EOPNOTSUPP;
		aup->ixol[off] &= ~1;
	}

	/* %rsi if free, else %rdi if free, else %rbp */
	if (!(named & BIT(6)))
		scratch = 6;
	else if (!(named & BIT(7)))
		scratch = 7;
	else
		scratch = 5;
	/* mod = 10: [reg + disp32]; reg field kept; disp32 stays in place */
	aup->ixol[insn_offset_modrm(insn)] = (modrm & 0x38) | 0x80 | scratch;
	aup->defparam.fixups |= UPROBE_FIX_SCRATCH(scratch);
	return 0;
}

/*
 * Relative branches are emulated.  CALL may still have to be stepped (user
 * shadow stack, or a stack that faults), so its copy in the slot gets
 * rel32 = 0: it calls the next byte of the slot, and branch_finish() puts
 * in the real target.  The first byte, the opcode, stays as it was.
 */
static bool uprobe_setup_branch(struct arch_uprobe *aup, struct insn *insn)
{
	u8 opc1 = insn->opcode.bytes[0];

	switch (opc1) {
	case 0x70 ... 0x7f:
	case 0xe0 ... JCXZ_OPCODE:
	case CALL_INSN_OPCODE:
		break;
	case JMP8_INSN_OPCODE:
		opc1 = JMP32_INSN_OPCODE;
		break;
	case JMP32_INSN_OPCODE:
		break;
	case 0x0f:
		if (insn->opcode.nbytes != 2 || (insn->opcode.bytes[1] & 0xf0) != 0x80)
			return false;
		opc1 = 0x70 | (insn->opcode.bytes[1] & 0x0f);
		break;
	default:
		return false;
	}
	aup->branch.opc1 = opc1;
	aup->branch.ilen = insn->length;
	aup->branch.offs = insn->immediate.value;
	if (opc1 == CALL_INSN_OPCODE)
		put_unaligned(0, (s32 *)(aup->ixol + insn_offset_immediate(insn)));
	return true;
}

static bool uprobe_setup_push(struct arch_uprobe *aup, struct insn *insn, bool x86_64)
{
	u8 opc1 = insn->opcode.bytes[0];
	unsigned int reg = opc1 & 7;

	if (opc1 < 0x50 || opc1 > 0x57 || insn->opcode.nbytes != 1 ||
	    uprobe_has_prefix(insn, 0x66))	/* 16-bit push: step it */
		return false;
	if (x86_64 && X86_REX_B(insn->rex_prefix.value))
		reg += 8;
	if (reg >= ARRAY_SIZE(uprobe_gpr_offset))
		return false;
	aup->push.reg_offset = uprobe_gpr_offset[reg];
	aup->push.ilen = insn->length;
	return true;
}

/* nop, pause, 66 nop, 0f 1f /0 (long nop), endbr32/64 */
static bool uprobe_is_nop(struct insn *insn)
{
	u8 opc1 = insn->opcode.bytes[0];
	u8 opc2 = insn->opcode.bytes[1];
	u8 modrm = insn->modrm.bytes[0];

	/* 41 90 is xchg %eax,%r8d; f3 90 (pause) is only a spin-loop hint */
	if (opc1 == 0x90 && insn->opcode.nbytes == 1)
		return !X86_REX_B(insn->rex_prefix.value);
	if (opc1 != 0x0f || insn->opcode.nbytes != 2)
		return false;
	if (opc2 == 0x1f)	/* never touches the memory it names */
		return X86_MODRM_REG(modrm) == 0;
	/* endbr64/endbr32: no user-mode IBT, so just landing-pad markers */
	return opc2 == 0x1e && (modrm == 0xfa || modrm == 0xfb) &&
	       uprobe_has_prefix(insn, 0xf3);
}

/*
 * Prefixes that make an instruction one alu_emulate() does not handle:
 * lock, rep/repne (also bnd, xacquire/xrelease), address size (0x67), more
 * than one segment override, and any override outside 64-bit mode (memory
 * forms are 64-bit only anyway).  In 64-bit mode cs/ds/es/ss overrides are
 * ignored by the CPU, and fs/gs add their base.
 */
static bool ua_prefixes_ok(struct insn *insn, bool x86_64, u8 *seg)
{
	unsigned int nseg = 0;
	insn_byte_t p;
	int i;

	*seg = 0;
	for_each_insn_prefix(insn, i, p) {
		switch (p) {
		case 0x66:
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			nseg++;
			break;
		case 0x64:
			*seg = INAT_SEG_REG_FS;
			nseg++;
			break;
		case 0x65:
			*seg = INAT_SEG_REG_GS;
			nseg++;
			break;
		default:
			return false;
		}
	}
	return nseg == 0 || (x86_64 && nseg == 1);
}

/* Register id of operand number @n (REX included) of @size bytes */
static u8 ua_reg_id(struct insn *insn, unsigned int n, unsigned int size)
{
	if (size == 1 && !insn->rex_prefix.nbytes && n >= 4 && n < 8)
		return UA_HIGH8 | (n - 4);
	return n;
}

/*
 * Decode the ModRM r/m operand of @size bytes into @a: a register, or the
 * parts of a memory address.  Memory operands are only taken from 64-bit
 * tasks (32-bit ones would need their segment limits and bases, and
 * 16-bit addressing): false for the others.
 */
static bool ua_decode_rm(struct insn *insn, struct arch_uprobe_alu *a,
			 unsigned int size, bool x86_64)
{
	u8 modrm = insn->modrm.bytes[0], sib = insn->sib.bytes[0];
	u8 rex = insn->rex_prefix.value;
	unsigned int mod = X86_MODRM_MOD(modrm), rm = X86_MODRM_RM(modrm);
	unsigned int b = X86_REX_B(rex) ? 8 : 0;

	if (mod == 3) {
		a->rm = ua_reg_id(insn, rm + b, size);
		return true;
	}
	if (!x86_64 && a->op != UA_LEA)
		return false;
	if (a->op != UA_LEA)
		a->form |= UA_MEM;
	a->disp = insn->displacement.value;
	a->rm = UA_NOREG;
	a->index = UA_NOREG;
	if (rm == 4) {
		unsigned int index = X86_SIB_INDEX(sib) + (X86_REX_X(rex) ? 8 : 0);

		/* index 100 means none; with REX.X it is %r12 */
		if (index != 4)
			a->index = index;
		a->scale = X86_SIB_SCALE(sib);
		/* base 101 with mod 00: disp32 only, REX.B or not */
		if (X86_SIB_BASE(sib) != 5 || mod)
			a->rm = X86_SIB_BASE(sib) + b;
	} else if (rm == 5 && !mod) {
		/* RIP-relative in 64-bit mode (REX.B ignored), disp32 else */
		if (x86_64)
			a->form |= UA_RIP;
	} else {
		a->rm = rm + b;
	}
	return true;
}

/*
 * Is @insn one alu_emulate() handles?  Then fill aup->alu, keeping the
 * fixups and length the stepped fallback was set up with, and switch
 * aup->ops.  Not handled, and stepped (see also ua_prefixes_ok()):
 * adc/sbb and rcl/rcr (they take CF as an input; rare in compiled code),
 * shifts and rotates by an immediate count of zero, xchg with memory
 * (implicitly locked), test f6/f7 /1 and shift c0/c1/d0-d3 /6 (undocumented
 * aliases),
 * the moffs forms a0-a3, movsxd without REX.W, memory operands and stack
 * operations of 32-bit tasks, and 16-bit stack operations.
 */
static bool uprobe_setup_alu(struct arch_uprobe *aup, struct insn *insn, bool x86_64)
{
	struct arch_uprobe_alu a = {
		.fixups = aup->defparam.fixups,
		.ilen = aup->defparam.ilen,
		.size = insn->opnd_bytes,
		.form = x86_64 ? UA_64 : 0,
	};
	u8 opc1 = insn->opcode.bytes[0], opc2 = insn->opcode.bytes[1];
	u8 modrm = insn->modrm.bytes[0];
	unsigned int reg = X86_MODRM_REG(modrm) + (X86_REX_R(insn->rex_prefix.value) ? 8 : 0);
	unsigned int opreg = (opc1 & 7) + (X86_REX_B(insn->rex_prefix.value) ? 8 : 0);
	bool has_rm = true, stack = false;

	/* the stepped fallback reads these through defparam */
	BUILD_BUG_ON(offsetof(struct arch_uprobe, alu.fixups) !=
		     offsetof(struct arch_uprobe, defparam.fixups));
	BUILD_BUG_ON(offsetof(struct arch_uprobe, alu.ilen) !=
		     offsetof(struct arch_uprobe, defparam.ilen));

	if (!ua_prefixes_ok(insn, x86_64, &a.seg))
		return false;

	if (insn->opcode.nbytes == 2 && opc1 == 0x0f) {
		switch (opc2) {
		case 0x40 ... 0x4f:
			a.op = UA_CMOVCC;
			a.cc = opc2 & 0xf;
			a.form |= UA_GE;
			break;
		case 0x90 ... 0x9f:
			a.op = UA_SETCC;	/* ModRM.reg is ignored */
			a.cc = opc2 & 0xf;
			a.size = 1;
			break;
		case 0xb6:
		case 0xb7:
		case 0xbe:
		case 0xbf:
			a.op = opc2 < 0xbe ? UA_MOVZX : UA_MOVSX;
			a.ssize = opc2 & 1 ? 2 : 1;
			a.form |= UA_GE;
			break;
		default:
			return false;
		}
	} else if (insn->opcode.nbytes == 1) {
		switch (opc1) {
		case 0x00 ... 0x3f:
			a.op = opc1 >> 3;
			if ((opc1 & 7) > 5 || a.op == UA_ADC || a.op == UA_SBB)
				return false;
			if (!(opc1 & 1))
				a.size = 1;
			if ((opc1 & 7) >= 4) {		/* al/ax/eax/rax, imm */
				has_rm = false;
				a.rm = 0;
				a.form |= UA_IMM;
			} else if (opc1 & 2) {
				a.form |= UA_GE;
			}
			break;
		case 0x80:
		case 0x81:
		case 0x83:
			a.op = X86_MODRM_REG(modrm);
			if (a.op == UA_ADC || a.op == UA_SBB)
				return false;
			if (opc1 == 0x80)
				a.size = 1;
			a.form |= UA_IMM;
			break;
		case 0x84:
		case 0x85:
			a.op = UA_TEST;
			if (opc1 == 0x84)
				a.size = 1;
			break;
		case 0x86:
		case 0x87:
			if (X86_MODRM_MOD(modrm) != 3)
				return false;
			a.op = UA_XCHG;
			if (opc1 == 0x86)
				a.size = 1;
			break;
		case 0x88 ... 0x8b:
			a.op = UA_MOV;
			if (!(opc1 & 1))
				a.size = 1;
			if (opc1 & 2)
				a.form |= UA_GE;
			break;
		case 0x8d:
			if (X86_MODRM_MOD(modrm) == 3)
				return false;		/* #UD */
			a.op = UA_LEA;
			a.form |= UA_GE;
			break;
		case 0x63:
			/* movsxd; arpl outside 64-bit mode */
			if (!x86_64 || !X86_REX_W(insn->rex_prefix.value))
				return false;
			a.op = UA_MOVSX;
			a.ssize = 4;
			a.form |= UA_GE;
			break;
		case 0xa8:
		case 0xa9:
			a.op = UA_TEST;
			if (opc1 == 0xa8)
				a.size = 1;
			has_rm = false;
			a.rm = 0;
			a.form |= UA_IMM;
			break;
		case 0xb0 ... 0xbf:
			a.op = UA_MOV;
			if (opc1 < 0xb8)
				a.size = 1;
			has_rm = false;
			a.rm = ua_reg_id(insn, opreg, a.size);
			a.form |= UA_IMM;
			break;
		case 0xc6:
		case 0xc7:
			if (X86_MODRM_REG(modrm))
				return false;		/* xabort, xbegin */
			a.op = UA_MOV;
			if (opc1 == 0xc6)
				a.size = 1;
			a.form |= UA_IMM;
			break;
		case 0xf6:
		case 0xf7:
			switch (X86_MODRM_REG(modrm)) {
			case 0:
				a.op = UA_TEST;
				a.form |= UA_IMM;
				break;
			case 2:
				a.op = UA_NOT;
				break;
			case 3:
				a.op = UA_NEG;
				break;
			default:
				return false;
			}
			if (opc1 == 0xf6)
				a.size = 1;
			break;
		case 0xc0:
		case 0xc1:
		case 0xd0 ... 0xd3:
			/* rcl and rcr take CF as an input; /6 is undocumented */
			switch (X86_MODRM_REG(modrm)) {
			case 0:
			case 1:
				a.op = UA_ROL + X86_MODRM_REG(modrm);
				break;
			case 4:
			case 5:
				a.op = UA_SHL + X86_MODRM_REG(modrm) - 4;
				break;
			case 7:
				a.op = UA_SAR;
				break;
			default:
				return false;
			}
			if (!(opc1 & 1))
				a.size = 1;
			a.form |= opc1 >= 0xd2 ? UA_CL : UA_IMM;
			break;
		case 0xfe:
		case 0xff:
			if (X86_MODRM_REG(modrm) > 1)
				return false;
			a.op = X86_MODRM_REG(modrm) ? UA_DEC : UA_INC;
			if (opc1 == 0xfe)
				a.size = 1;
			break;
		case 0x68:
		case 0x6a:
			a.op = UA_PUSH;
			stack = true;
			break;
		case 0x58 ... 0x5f:
			a.op = UA_POP;
			reg = opreg;
			stack = true;
			break;
		case 0xc9:
			a.op = UA_LEAVE;
			stack = true;
			break;
		case 0xc2:
		case 0xc3:
			a.op = UA_RET;
			stack = true;
			break;
		default:
			return false;
		}
	} else {
		return false;
	}

	if (stack) {
		/* 8-byte slots only: no 32-bit tasks, no 16-bit forms */
		if (!x86_64 || uprobe_has_prefix(insn, 0x66) || a.seg)
			return false;
		has_rm = false;
		a.size = 8;
	}
	if (has_rm && !ua_decode_rm(insn, &a, a.ssize && a.ssize < a.size ?
				    a.ssize : a.size, x86_64))
		return false;
	/* segment bases only matter to memory operands */
	if (!(a.form & UA_MEM))
		a.seg = 0;
	a.reg = ua_reg_id(insn, reg, a.size);

	if (insn->immediate2.nbytes)		/* movabs $imm64: two halves */
		a.imm = (u32)insn->immediate1.value |
			(u64)insn->immediate2.value << 32;
	else if (a.op == UA_RET)
		a.imm = (u16)insn->immediate.value;
	else
		a.imm = (long)insn->immediate.value;	/* sign-extended */
	a.imm = ua_zext(a.imm, a.size);

	if (a.op >= UA_ROL && a.op <= UA_SAR && (a.form & UA_IMM)) {
		/* d0/d1 shift by one; the CPU masks the count to 5 or 6 bits */
		a.imm = opc1 >= 0xd0 ? 1 : (u8)insn->immediate.value;
		a.imm &= a.size == 8 ? 0x3f : 0x1f;
		/*
		 * A count of zero changes no flag, and whether it still
		 * writes (zero-extends) a 32-bit destination is not spelled
		 * out by the SDM: leave it to the CPU.
		 */
		if (!a.imm)
			return false;
	}

	if ((a.rm != UA_NOREG && (a.rm & 0xf) >= ARRAY_SIZE(uprobe_gpr_offset)) ||
	    (a.index != UA_NOREG && a.index >= ARRAY_SIZE(uprobe_gpr_offset)) ||
	    (a.reg & 0xf) >= ARRAY_SIZE(uprobe_gpr_offset))
		return false;

	aup->alu = a;
	return true;
}

/* WRPKRU, and XRSTOR/XRSTORS, which restore PKRU with the other state. */
static bool uprobe_insn_writes_pkru(struct insn *insn)
{
	u8 modrm = insn->modrm.bytes[0];

	if (insn->opcode.nbytes != 2 || insn->opcode.bytes[0] != 0x0f)
		return false;
	switch (insn->opcode.bytes[1]) {
	case 0x01:			/* 0f 01 ef: wrpkru */
		return modrm == 0xef;
	case 0xae:			/* 0f ae /5, memory: xrstor */
	case 0xc7:			/* 0f c7 /3, memory: xrstors */
		return X86_MODRM_MOD(modrm) != 3 &&
		       X86_MODRM_REG(modrm) == (insn->opcode.bytes[1] == 0xae ? 5 : 3);
	}
	return false;
}

/**
 * uprobe_insn_classify - decide once how a probed instruction is executed
 * @aup: @aup->insn holds the bytes at the probe; the rest of @aup (but
 *       @aup->ops, which is the caller's) is filled in for that class, and
 *       @aup->ixol, which shares the bytes, may be rewritten for the
 *       out-of-line step (never its first byte); undefined on error
 * @x86_64: the task runs in 64-bit mode
 * @vc: a #VC or #VE handler emulates CPUID, RDTSC(P), RDPMC and port I/O
 *      for user mode (confidential guests), so those cannot be stepped
 * @why: set to the reason when the instruction is refused (the coverage
 *       tool in tools/uprobes prints it)
 *
 * Return: an enum uprobe_insn_class, -EINVAL if the bytes do not decode,
 * -EOPNOTSUPP if the instruction cannot be probed.
 */
int uprobe_insn_classify(struct arch_uprobe *aup, bool x86_64, bool vc,
			 const char **why)
{
	struct insn insn;
	u8 opc1;
	int err;

	*why = NULL;
	if (insn_decode(&insn, aup->insn, sizeof(aup->insn),
			x86_64 ? INSN_MODE_64 : INSN_MODE_32) < 0) {
		*why = "does not decode";
		return -EINVAL;
	}
	*why = uprobe_refusal(&insn, x86_64, vc);
	if (*why)
		return -EOPNOTSUPP;

	/* alu is the largest member of the union */
	memset(&aup->alu, 0, sizeof(aup->alu));
	if (!insn_is_avx(&insn)) {
		if (uprobe_setup_branch(aup, &insn))
			return UPROBE_INSN_BRANCH;
		if (uprobe_setup_push(aup, &insn, x86_64))
			return UPROBE_INSN_PUSH;
	}

	aup->defparam.ilen = insn.length;
	aup->defparam.fixups = UPROBE_FIX_IP;
	opc1 = insn.opcode.bytes[0];
	/* No VEX/EVEX instruction reads or writes IP: they keep FIX_IP */
	if (!insn_is_avx(&insn)) {
		if (uprobe_is_nop(&insn))
			return UPROBE_INSN_NOP;
		if (opc1 == PUSHF_OPCODE)
			aup->defparam.fixups |= UPROBE_FIX_PUSHF;
		else if (opc1 == RET_INSN_OPCODE || opc1 == RET_INSN_OPCODE - 1)
			aup->defparam.fixups = 0;	/* ret, ret imm16: IP from the stack */
		else if (opc1 == 0xff && X86_MODRM_REG(insn.modrm.bytes[0]) == 2)
			aup->defparam.fixups = UPROBE_FIX_CALL;	/* absolute target */
		else if (opc1 == 0xff && X86_MODRM_REG(insn.modrm.bytes[0]) == 4)
			aup->defparam.fixups = 0;		/* jmp *r/m: absolute */
	}

	/*
	 * The fallback step of an emulated instruction needs the same
	 * fix-ups and RIP-relative rewrite as any stepped one: set them
	 * up first, then see whether it can be emulated at all.
	 */
	if (x86_64 && insn_rip_relative(&insn)) {
		err = uprobe_fix_riprel(aup, &insn);
		if (err) {
			*why = "RIP-relative operand that cannot be rebased";
			return err;
		}
	}
	if (!insn_is_avx(&insn) && uprobe_setup_alu(aup, &insn, x86_64))
		return UPROBE_INSN_ALU;
	/*
	 * What the step only moves back to the original address, having no
	 * RIP-relative operand, branch, call or pushed flags, behaves the
	 * same at any address: it can also run from a copy that jumps back
	 * to the next instruction.  Refused instructions (system calls,
	 * far transfers, iret, mov to %ss, what the kernel emulates on #GP)
	 * never get here.  64-bit tasks only: the jump back is an absolute
	 * indirect one, which loads its target from the copy's page; so not
	 * what may change PKRU either, which could deny that load.
	 */
	if (x86_64 && aup->defparam.fixups == UPROBE_FIX_IP &&
	    !uprobe_insn_writes_pkru(&insn))
		return UPROBE_INSN_BOOST;
	return UPROBE_INSN_STEP;
}
