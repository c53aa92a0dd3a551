// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 half of user-space probes (uprobes), for 64-bit and 32-bit tasks.
 *
 * The generic core (kernel/uprobes.c) replaces the first byte of a probed
 * instruction with int3.  When a task hits it, the core runs the consumers
 * and then has to execute the displaced instruction.  This file decides, once
 * per probe, how that is done:
 *
 *  - emulated: relative jmp/jcc/call/loop, nop and "push reg" are carried out
 *    on pt_regs right here, without leaving the kernel;
 *  - stepped out of line (XOL): everything else is copied to a per-task slot
 *    in the XOL area and single-stepped there with EFLAGS.TF, then the
 *    registers are moved back as if it had run at its original address;
 *  - refused: instructions that cannot behave the same way in the slot.
 *
 * Lifetime and locking: struct arch_uprobe is filled in once by
 * arch_uprobe_analyze_insn() before the probe is inserted into any mm and is
 * read-only afterwards, so the hooks below need no locking.  They always run
 * in the context of the probed task (current), with interrupts enabled, and
 * may fault on user memory, except arch_uprobe_exception_notify() which runs
 * from the int3/debug trap handlers and only tells the core what happened.
 * The per-task state (struct arch_uprobe_task) belongs to current->utask and
 * lives from arch_uprobe_pre_xol() to arch_uprobe_post_xol() or
 * arch_uprobe_abort_xol().
 *
 * Return probes of 64-bit tasks come back through a trampoline that enters
 * the kernel with the uretprobe system call instead of a breakpoint: a
 * syscall round trip is much cheaper than the #BP exception path.  32-bit
 * tasks keep the core's breakpoint trampoline.
 */

#include <linux/kdebug.h>
#include <linux/mmu_context.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/syscalls.h>
#include <linux/uaccess.h>
#include <linux/uprobes.h>

#include <asm/debugreg.h>
#include <asm/insn.h>
#include <asm/shstk.h>
#include <asm/text-patching.h>

/*
 * Written to thread.trap_nr while an instruction is being stepped out of
 * line.  Any exception taken by the stepped instruction overwrites it, which
 * is how arch_uprobe_xol_was_trapped() notices a fault.
 */
#define UPROBE_TRAP_NR		UINT_MAX

/* defparam.fixups: what stepped_finish() must repair after the step */
#define UPROBE_FIX_IP		0x01	/* IP is relative to the slot */
#define UPROBE_FIX_CALL		0x02	/* a return address was pushed */
#define UPROBE_FIX_PUSHF	0x04	/* an EFLAGS image with our TF was pushed */
#define UPROBE_FIX_RIP_SI	0x08	/* RIP-relative operand now based on %rsi */
#define UPROBE_FIX_RIP_DI	0x10	/* ... on %rdi */
#define UPROBE_FIX_RIP_BP	0x20	/* ... on %rbp */
#define UPROBE_FIX_RIP_MASK	(UPROBE_FIX_RIP_SI | UPROBE_FIX_RIP_DI | UPROBE_FIX_RIP_BP)

/* autask.saved_tf: how the task was being traced when the probe was hit */
#define UPROBE_TF_STEPPING	0x01	/* TF set, by a debugger or the program */
#define UPROBE_TF_BLOCKSTEP	0x02	/* debugger used PTRACE_SINGLEBLOCK */

#define OPCODE_PUSHF		0x9c
#define OPCODE_JMP8		0xeb
#define OPCODE_CALL32		0xe8
#define OPCODE_JCXZ		0xe3

/**
 * struct uprobe_xol_ops - how one class of probed instruction is executed
 * @emulate:  carry the instruction out on @regs; false means "step it instead"
 *            (only when the emulation could not touch user memory)
 * @prepare:  per-class preparation of @regs before the out-of-line step
 * @finish:   repair @regs after a successful step; 0 or -ERESTART
 * @cancel:   undo @prepare when the step is abandoned
 */
struct uprobe_xol_ops {
	bool	(*emulate)(struct arch_uprobe *aup, struct pt_regs *regs);
	void	(*prepare)(struct arch_uprobe *aup, struct pt_regs *regs);
	int	(*finish)(struct arch_uprobe *aup, struct pt_regs *regs);
	void	(*cancel)(struct arch_uprobe *aup, struct pt_regs *regs);
};

/* Width of a stack slot and of IP arithmetic in the mode the task runs in */
static unsigned int uprobe_word_size(struct pt_regs *regs)
{
	return user_64bit_mode(regs) ? 8 : 4;
}

static unsigned long uprobe_ip_mask(struct pt_regs *regs)
{
	return user_64bit_mode(regs) ? ~0UL : 0xffffffffUL;
}

/*
 * Push @val the way the CPU would.  x86 is little endian, so the first
 * @size bytes of an unsigned long are its low part in both modes.
 */
static bool uprobe_push(struct pt_regs *regs, unsigned long val)
{
	unsigned int size = uprobe_word_size(regs);
	unsigned long sp = regs->sp - size;

	if (copy_to_user((void __user *)sp, &val, size))
		return false;
	regs->sp = sp;
	return true;
}

/* Map an IP inside the XOL slot back to the probed address space */
static void uprobe_fix_ip(struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;

	regs->ip = utask->vaddr + (regs->ip - utask->xol_vaddr);
}

/*
 * A call was stepped in the slot: the return address it pushed (and, with
 * user shadow stacks, the copy on the shadow stack) points into the slot.
 * Make both point after the original instruction.  On failure the push is
 * undone so the core can restart the instruction cleanly.
 */
static int uprobe_fix_call(struct pt_regs *regs, unsigned long retaddr)
{
	unsigned int size = uprobe_word_size(regs);

	if (copy_to_user((void __user *)regs->sp, &retaddr, size) ||
	    shstk_update_last_frame(retaddr)) {
		regs->sp += size;
		return -ERESTART;
	}
	return 0;
}

/*
 * LOOPNE/LOOPE/LOOP decrement the count register (without touching the
 * flags) and branch while it is non-zero; JCXZ only tests it.  Prefix 0x67
 * is refused at analysis time, so the count register has the mode's natural
 * width: %rcx in 64-bit mode, %ecx in 32-bit mode.
 */
static bool uprobe_loop_taken(struct pt_regs *regs, u8 opc1)
{
	unsigned long mask = uprobe_ip_mask(regs);
	unsigned long cx = regs->cx & mask;

	if (opc1 == OPCODE_JCXZ)
		return !cx;

	cx = (cx - 1) & mask;
	regs->cx = (regs->cx & ~mask) | cx;
	switch (opc1) {
	case 0xe0:				/* loopne */
		return cx && !(regs->flags & X86_EFLAGS_ZF);
	case 0xe1:				/* loope */
		return cx && (regs->flags & X86_EFLAGS_ZF);
	default:				/* loop */
		return cx;
	}
}

/*
 * Relative branches.  The core calls ->emulate with regs->ip equal to the
 * probed address.  The target depends on that address, which is why these
 * are emulated: stepped in a slot that may be more than 2 GiB away, a rel32
 * target could even be non-canonical and fault.  branch.opc1 is 0x70 | cc
 * for both Jcc forms, 0xeb for both JMP forms, 0xe8 for CALL and the opcode
 * itself for LOOPcc/JCXZ.
 */
static bool branch_emulate(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned long mask = uprobe_ip_mask(regs);
	unsigned long next_ip = (regs->ip + aup->branch.ilen) & mask;
	unsigned long target = (next_ip + (long)aup->branch.offs) & mask;
	u8 opc1 = aup->branch.opc1;
	bool taken;

	switch (opc1) {
	case OPCODE_CALL32:
		/*
		 * There is no way to push onto a user shadow stack from here;
		 * let the CPU do it in the slot and fix both stacks after.
		 */
		if (shstk_is_enabled() || !uprobe_push(regs, next_ip))
			return false;
		taken = true;
		break;
	case OPCODE_JMP8:
		taken = true;
		break;
	case 0xe0 ... OPCODE_JCXZ:
		taken = uprobe_loop_taken(regs, opc1);
		break;
	default:
		/* Jcc: the kernel's own int3 emulation evaluates the condition. */
		int3_emulate_jcc(regs, opc1 & 0xf, next_ip, (long)aup->branch.offs);
		regs->ip &= mask;
		return true;
	}
	regs->ip = taken ? target : next_ip;
	return true;
}

/*
 * Only reached when branch_emulate() declined a CALL: it was stepped in
 * the slot, where rel32 is relative to the slot.  The whole address
 * arithmetic is relative, so moving IP back by (vaddr - xol_vaddr) gives the
 * real target; the pushed return address needs the same treatment.
 */
static int branch_finish(struct arch_uprobe *aup, struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;

	uprobe_fix_ip(regs);
	regs->ip &= uprobe_ip_mask(regs);
	if (aup->branch.opc1 == OPCODE_CALL32)
		return uprobe_fix_call(regs, utask->vaddr + aup->branch.ilen);
	return 0;
}

static const struct uprobe_xol_ops branch_xol_ops = {
	.emulate	= branch_emulate,
	.finish		= branch_finish,
};

/* "push reg": the first instruction of most non-leaf function prologues */
static bool push_emulate(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned long val = *(unsigned long *)((u8 *)regs + aup->push.reg_offset);

	/* On a fault, step it in the slot so the task gets the real signal */
	if (!uprobe_push(regs, val))
		return false;
	regs->ip += aup->push.ilen;
	return true;
}

/* After a fallback step of "push reg" only IP needs moving back */
static int push_finish(struct arch_uprobe *aup, struct pt_regs *regs)
{
	uprobe_fix_ip(regs);
	return 0;
}

static const struct uprobe_xol_ops push_xol_ops = {
	.emulate	= push_emulate,
	.finish		= push_finish,
};

#ifdef CONFIG_X86_64
/* The register a rewritten RIP-relative operand is based on, if any */
static unsigned long *uprobe_scratch_reg(struct arch_uprobe *aup, struct pt_regs *regs)
{
	switch (aup->defparam.fixups & UPROBE_FIX_RIP_MASK) {
	case UPROBE_FIX_RIP_SI:
		return &regs->si;
	case UPROBE_FIX_RIP_DI:
		return &regs->di;
	case UPROBE_FIX_RIP_BP:
		return &regs->bp;
	}
	return NULL;
}

/*
 * The rewritten operand is [scratch + disp32]; loading the scratch register
 * with the address following the original instruction makes that equal to
 * the original [rip + disp32].
 */
static void stepped_prepare(struct arch_uprobe *aup, struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;
	unsigned long *scratch = uprobe_scratch_reg(aup, regs);

	if (scratch) {
		utask->autask.saved_scratch_register = *scratch;
		*scratch = utask->vaddr + aup->defparam.ilen;
	}
}

static void stepped_cancel(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned long *scratch = uprobe_scratch_reg(aup, regs);

	if (scratch)
		*scratch = current->utask->autask.saved_scratch_register;
}
#else
static void stepped_prepare(struct arch_uprobe *aup, struct pt_regs *regs)
{
}

static void stepped_cancel(struct arch_uprobe *aup, struct pt_regs *regs)
{
}
#endif

/*
 * PUSHF in the slot saved our TF.  Unless TF was already set before the
 * probe (then the native PUSHF would have stored it too), clear it in the
 * stored image, or a later POPF would make the program trap on its own.
 * TF is bit 8, so the low 16 bits of the slot are all that need touching.
 */
static int uprobe_fix_pushf(struct pt_regs *regs)
{
	u16 __user *image = (u16 __user *)regs->sp;
	u16 flags;

	if (current->utask->autask.saved_tf & UPROBE_TF_STEPPING)
		return 0;
	if (get_user(flags, image) ||
	    put_user(flags & (u16)~X86_EFLAGS_TF, image)) {
		regs->sp += uprobe_word_size(regs);
		return -ERESTART;
	}
	return 0;
}

static int stepped_finish(struct arch_uprobe *aup, struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;
	u8 fixups = aup->defparam.fixups;

	stepped_cancel(aup, regs);		/* restores the scratch register */
	if (fixups & UPROBE_FIX_IP)
		uprobe_fix_ip(regs);
	if (fixups & UPROBE_FIX_CALL)
		return uprobe_fix_call(regs, utask->vaddr + aup->defparam.ilen);
	if (fixups & UPROBE_FIX_PUSHF)
		return uprobe_fix_pushf(regs);
	return 0;
}

static const struct uprobe_xol_ops stepped_xol_ops = {
	.prepare	= stepped_prepare,
	.finish		= stepped_finish,
	.cancel		= stepped_cancel,
};

/* Architectural no-ops only move IP; uses the defparam layout (FIX_IP) */
static bool nop_emulate(struct arch_uprobe *aup, struct pt_regs *regs)
{
	regs->ip += aup->defparam.ilen;
	return true;
}

static const struct uprobe_xol_ops nop_xol_ops = {
	.emulate	= nop_emulate,
	.prepare	= stepped_prepare,
	.finish		= stepped_finish,
	.cancel		= stepped_cancel,
};

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
 * Instructions that cannot be probed, with the reason.  Returns NULL when
 * @insn is acceptable.  Deliberately accepted, for the record:
 *  - LOCK: atomicity does not depend on where the instruction sits;
 *  - IN/OUT/INS/OUTS: ports are not IP-relative; without ioperm() the task
 *    gets the same #GP in the slot, which the core maps back;
 *  - HLT/CLI/STI/UD0/UD1/UD2 and privileged instructions: they fault in the
 *    slot exactly as in place, and the fault is reported at the probed IP;
 *  - near RET, indirect JMP/CALL: absolute targets (CALL gets a fix-up);
 *  - segment loads other than SS: segment bases are not IP-relative;
 *  - x87: the FPU "last instruction pointer" will name the slot, which only
 *    a SIGFPE handler inspecting FIP could ever notice;
 *  - XABORT, and XEND/XTEST: a probe inside a transaction aborts it anyway.
 */
static const char *uprobe_refusal(struct insn *insn)
{
	u8 opc1 = insn->opcode.bytes[0];
	u8 opc2 = insn->opcode.bytes[1];
	u8 modrm = insn->modrm.bytes[0];

	if (insn_has_emulate_prefix(insn))
		return "KVM/Xen forced-emulation prefix: ud2 in disguise";
	if (insn_is_rex2(insn))
		return "REX2 (APX): r16-r31 are not in pt_regs, JMPABS unhandled";
	/* Also matches 0x1f (pop %ds, 32-bit only): harmless over-refusal */
	if (insn_masking_exception(insn))
		return "mov to %ss: suppresses the single-step trap";
	if (insn_is_avx(insn))
		return NULL;	/* maps below are legacy ones; RIP-rel is handled */

	switch (opc1) {
	case 0x17:		/* pop %ss, 32-bit only; the helper checks 0x1f */
		return "pop %ss: suppresses the single-step trap";
	case 0x6c ... 0x6f:	/* ins/outs */
	case 0xa4 ... 0xa7:	/* movs/cmps */
	case 0xaa ... 0xaf:	/* stos/lods/scas */
		if (uprobe_has_rep(insn))
			return "rep string op: traps after every iteration";
		break;
	case 0x70 ... 0x7f:	/* jcc rel8 */
	case 0xe8:		/* call rel32 */
	case 0xe9:		/* jmp rel32 */
	case 0xeb:		/* jmp rel8 */
		if (uprobe_has_prefix(insn, 0x66))
			return "16-bit near branch: truncates IP, vendor specific";
		break;
	case 0xe0 ... 0xe3:	/* loopcc/jcxz */
		if (uprobe_has_prefix(insn, 0x66) || uprobe_has_prefix(insn, 0x67))
			return "loop/jcxz with size prefix: not emulated";
		break;
	case 0x9a:		/* call ptr16:32 */
	case 0xea:		/* jmp ptr16:32 */
		return "far call/jmp: loads CS";
	case 0x9c:
		if (uprobe_has_prefix(insn, 0x66))
			return "16-bit pushf: image fix-up not supported";
		break;
	case 0x9d:
		return "popf: rewrites TF, ours and the program's look alike";
	case 0xc7:
		if (modrm == 0xf8)
			return "xbegin: IP-relative abort address, trap aborts it";
		break;
	case 0xca:		/* lret imm16 */
	case 0xcb:		/* lret */
		return "far ret: loads CS";
	case 0xcc:
		return "int3: belongs to a debugger or another probe";
	case 0xcd:		/* int n, e.g. int $0x80 system calls */
	case 0xce:		/* into */
		return "int n/into: syscall/interrupt from the slot";
	case 0xcf:
		return "iret: loads CS, SS and EFLAGS.TF";
	case 0xf1:
		return "int1/icebp: #DB indistinguishable from our step";
	case 0xff:
		switch (X86_MODRM_REG(modrm)) {
		case 2:		/* call *r/m */
		case 4:		/* jmp *r/m */
			if (uprobe_has_prefix(insn, 0x66))
				return "16-bit near branch: truncates IP, vendor specific";
			break;
		case 3:		/* lcall *m16:32 */
		case 5:		/* ljmp *m16:32 */
			return "far indirect call/jmp: loads CS";
		}
		break;
	case 0x0f:
		switch (opc2) {
		case 0x05:	/* syscall */
		case 0x07:	/* sysret */
		case 0x34:	/* sysenter */
		case 0x35:	/* sysexit */
			/*
			 * syscall leaves the slot address in %rcx, the kernel
			 * may restart it by IP arithmetic or exec/fork from
			 * the slot; sysenter returns to the vDSO, not to IP.
			 */
			return "syscall/sysenter family: kernel entry from the slot";
		case 0x01:
			if (modrm == 0xd7)
				return "enclu: EENTER saves the next IP for the enclave";
			if (modrm == 0xec && uprobe_has_prefix(insn, 0xf3))
				return "uiret: loads IP and EFLAGS.TF";
			break;
		case 0x80 ... 0x8f:	/* jcc rel32 */
			if (uprobe_has_prefix(insn, 0x66))
				return "16-bit near branch: truncates IP, vendor specific";
			break;
		}
		break;
	}
	return NULL;
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
	static const struct {
		u8 reg;
		u8 fixup;
	} candidates[] = {
		{ 6, UPROBE_FIX_RIP_SI },
		{ 7, UPROBE_FIX_RIP_DI },
		{ 5, UPROBE_FIX_RIP_BP },
	};
	u8 *vex = aup->ixol + insn_offset_vex_prefix(insn);
	u8 modrm = insn->modrm.bytes[0];
	unsigned int used = BIT(X86_MODRM_REG(modrm));
	int i;

	switch (insn->vex_prefix.nbytes) {
	case 2:			/* c5 R.vvvv.L.pp */
		used |= BIT(~X86_VEX_V(vex[1]) & 7);
		break;
	case 4:			/* 62 P0 P1 P2: APX uses P0 bit 3 as B4 */
		if (vex[1] & 0x08)
			return -EOPNOTSUPP;
		fallthrough;
	case 3:			/* c4 RXB.mmmmm W.vvvv.L.pp */
		used |= BIT(~X86_VEX_V(vex[2]) & 7);
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

	for (i = 0; i < ARRAY_SIZE(candidates); i++) {
		if (!(used & BIT(candidates[i].reg)))
			break;
	}
	/* mod = 10: [reg + disp32]; reg field kept; disp32 stays in place */
	aup->ixol[insn_offset_modrm(insn)] = (modrm & 0x38) | 0x80 | candidates[i].reg;
	aup->defparam.fixups |= candidates[i].fixup;
	return 0;
}

static bool uprobe_setup_branch(struct arch_uprobe *aup, struct insn *insn)
{
	u8 opc1 = insn->opcode.bytes[0];

	switch (opc1) {
	case 0x70 ... 0x7f:
	case 0xe0 ... 0xe3:
	case OPCODE_CALL32:
		break;
	case 0xe9:
		opc1 = OPCODE_JMP8;
		break;
	case OPCODE_JMP8:
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
	aup->ops = &branch_xol_ops;
	return true;
}

static bool uprobe_setup_push(struct arch_uprobe *aup, struct insn *insn, bool x86_64)
{
	static const u8 gpr_offset[] = {
		offsetof(struct pt_regs, ax), offsetof(struct pt_regs, cx),
		offsetof(struct pt_regs, dx), offsetof(struct pt_regs, bx),
		offsetof(struct pt_regs, sp), offsetof(struct pt_regs, bp),
		offsetof(struct pt_regs, si), offsetof(struct pt_regs, di),
#ifdef CONFIG_X86_64
		offsetof(struct pt_regs, r8), offsetof(struct pt_regs, r9),
		offsetof(struct pt_regs, r10), offsetof(struct pt_regs, r11),
		offsetof(struct pt_regs, r12), offsetof(struct pt_regs, r13),
		offsetof(struct pt_regs, r14), offsetof(struct pt_regs, r15),
#endif
	};
	u8 opc1 = insn->opcode.bytes[0];
	unsigned int reg = opc1 & 7;

	if (opc1 < 0x50 || opc1 > 0x57 || insn->opcode.nbytes != 1 ||
	    uprobe_has_prefix(insn, 0x66))	/* 16-bit push: step it */
		return false;
	if (x86_64 && X86_REX_B(insn->rex_prefix.value))
		reg += 8;
	if (reg >= ARRAY_SIZE(gpr_offset))
		return false;
	aup->push.reg_offset = gpr_offset[reg];
	aup->push.ilen = insn->length;
	aup->ops = &push_xol_ops;
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
 * Analyze the instruction in @aup->insn for a 64-bit (@x86_64) or 32-bit
 * task and choose how to execute it.  Split from arch_uprobe_analyze_insn()
 * so the KUnit test can call it without an mm.
 */
static int uprobe_analyze(struct arch_uprobe *aup, bool x86_64)
{
	struct insn insn;
	u8 opc1;

	if (insn_decode(&insn, aup->insn, sizeof(aup->insn),
			x86_64 ? INSN_MODE_64 : INSN_MODE_32) < 0)
		return -EINVAL;
	if (uprobe_refusal(&insn))
		return -EOPNOTSUPP;

	memset(&aup->branch, 0, sizeof(aup->branch));
	if (!insn_is_avx(&insn)) {
		if (uprobe_setup_branch(aup, &insn) ||
		    uprobe_setup_push(aup, &insn, x86_64))
			return 0;
	}

	aup->defparam.ilen = insn.length;
	aup->defparam.fixups = UPROBE_FIX_IP;
	aup->ops = &stepped_xol_ops;
	opc1 = insn.opcode.bytes[0];
	if (insn_is_avx(&insn)) {
		/* no VEX/EVEX instruction reads or writes IP */
	} else if (uprobe_is_nop(&insn)) {
		aup->ops = &nop_xol_ops;
		return 0;
	} else if (opc1 == OPCODE_PUSHF) {
		aup->defparam.fixups |= UPROBE_FIX_PUSHF;
	} else if (opc1 == 0xc2 || opc1 == 0xc3) {
		aup->defparam.fixups = 0;	/* ret: IP comes from the stack */
	} else if (opc1 == 0xff && X86_MODRM_REG(insn.modrm.bytes[0]) == 2) {
		aup->defparam.fixups = UPROBE_FIX_CALL;	/* absolute target */
	} else if (opc1 == 0xff && X86_MODRM_REG(insn.modrm.bytes[0]) == 4) {
		aup->defparam.fixups = 0;		/* jmp *r/m: absolute */
	}

	if (x86_64 && insn_rip_relative(&insn))
		return uprobe_fix_riprel(aup, &insn);
	return 0;
}

/**
 * arch_uprobe_analyze_insn - decide how a probed instruction is executed
 * @aup: the probe; @aup->insn holds MAX_UINSN_BYTES read at the probe
 * @mm: an mm the probe is being installed in; tells 64-bit from 32-bit
 * @addr: the probed virtual address (unused: nothing depends on it)
 *
 * May rewrite @aup->ixol (never its first byte) for out-of-line stepping.
 *
 * Return: 0 with @aup->ops set, -EOPNOTSUPP if the instruction cannot be
 * probed, -EINVAL if it does not decode.
 */
int arch_uprobe_analyze_insn(struct arch_uprobe *aup, struct mm_struct *mm,
			     unsigned long addr)
{
	return uprobe_analyze(aup, is_64bit_mm(mm));
}

/**
 * arch_uprobe_skip_sstep - execute the probed instruction by emulation
 * @aup: the probe
 * @regs: the task's registers, regs->ip being the probed address
 *
 * Return: true if the instruction was emulated and @regs now reflect its
 * completion; false if it must be stepped out of line.
 */
bool arch_uprobe_skip_sstep(struct arch_uprobe *aup, struct pt_regs *regs)
{
	return aup->ops->emulate && aup->ops->emulate(aup, regs);
}

/**
 * arch_uprobe_pre_xol - prepare @regs to single-step the slot
 * @aup: the probe; its ixol has been copied to current->utask->xol_vaddr
 * @regs: the task's registers
 *
 * Return: 0.
 */
int arch_uprobe_pre_xol(struct arch_uprobe *aup, struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;
	struct arch_uprobe_task *autask = &utask->autask;

	autask->saved_trap_nr = current->thread.trap_nr;
	current->thread.trap_nr = UPROBE_TRAP_NR;
	regs->ip = utask->xol_vaddr;

	autask->saved_tf = 0;
	if ((regs->flags & X86_EFLAGS_TF) || test_thread_flag(TIF_SINGLESTEP))
		autask->saved_tf |= UPROBE_TF_STEPPING;
	/* With DEBUGCTL.BTF, TF would only trap on a branch: step for real */
	if (test_thread_flag(TIF_BLOCKSTEP)) {
		autask->saved_tf |= UPROBE_TF_BLOCKSTEP;
		set_task_blockstep(current, false);
	}
	regs->flags |= X86_EFLAGS_TF;

	if (aup->ops->prepare)
		aup->ops->prepare(aup, regs);
	return 0;
}

/*
 * Put back the trap number the task had before the step, unless the step
 * itself faulted: then the fault's number is what the pending signal's
 * sigcontext must report.
 */
static void uprobe_restore_trap_nr(void)
{
	if (current->thread.trap_nr == UPROBE_TRAP_NR)
		current->thread.trap_nr = current->utask->autask.saved_trap_nr;
}

/**
 * arch_uprobe_post_xol - repair @regs after a successful out-of-line step
 * @aup: the probe
 * @regs: the task's registers, IP still relative to the slot
 *
 * If the task was being single-stepped before the probe hit, it gets the
 * SIGTRAP the step over the original instruction would have produced.
 *
 * Return: 0, or -ERESTART if user memory could not be fixed up; then the
 * step has been undone and the core restarts the probed instruction.
 */
int arch_uprobe_post_xol(struct arch_uprobe *aup, struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;
	unsigned int saved_tf = utask->autask.saved_tf;
	int ret;

	uprobe_restore_trap_nr();
	ret = aup->ops->finish(aup, regs);
	if (ret) {
		regs->ip = utask->vaddr;
		if (saved_tf & UPROBE_TF_BLOCKSTEP)
			set_task_blockstep(current, true);
	} else if (saved_tf) {
		/* report the step, as traps.c would have done for the DR_STEP */
		current->thread.virtual_dr6 |= DR_STEP;
		send_sigtrap(regs, 0, TRAP_TRACE);
	}
	if (!(saved_tf & UPROBE_TF_STEPPING))
		regs->flags &= ~X86_EFLAGS_TF;
	return ret;
}

/**
 * arch_uprobe_xol_was_trapped - did the out-of-line step raise an exception?
 * @t: the task, current
 *
 * Return: true if an exception handler replaced the UPROBE_TRAP_NR mark.
 */
bool arch_uprobe_xol_was_trapped(struct task_struct *t)
{
	return t->thread.trap_nr != UPROBE_TRAP_NR;
}

/**
 * arch_uprobe_abort_xol - abandon the out-of-line step
 * @aup: the probe
 * @regs: the task's registers
 *
 * Undoes arch_uprobe_pre_xol(): the task resumes at the probed address.
 */
void arch_uprobe_abort_xol(struct arch_uprobe *aup, struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;
	unsigned int saved_tf = utask->autask.saved_tf;

	if (aup->ops->cancel)
		aup->ops->cancel(aup, regs);
	uprobe_restore_trap_nr();
	regs->ip = utask->vaddr;
	if (!(saved_tf & UPROBE_TF_STEPPING))
		regs->flags &= ~X86_EFLAGS_TF;
	if (saved_tf & UPROBE_TF_BLOCKSTEP)
		set_task_blockstep(current, true);
}

/**
 * arch_uprobe_exception_notify - die notifier for int3 and debug traps
 * @self: the notifier block registered by the core
 * @val: DIE_INT3 or DIE_DEBUG (others are ignored)
 * @data: struct die_args; for DIE_DEBUG ->err points to the DR6 value
 *
 * Only user-mode traps are ours.  A debug trap is our step's only if DR6
 * has DR_STEP; that bit is then consumed (cleared in DR6 and in the ptrace
 * view, virtual_dr6) so traps.c does not send a SIGTRAP for it.  Other DR6
 * causes, such as a watchpoint hit by the stepped instruction, are left to
 * traps.c.
 *
 * Return: NOTIFY_STOP if the event was fully handled, else NOTIFY_DONE.
 */
int arch_uprobe_exception_notify(struct notifier_block *self, unsigned long val,
				 void *data)
{
	const struct die_args *args = data;
	unsigned long *dr6;

	if (!args->regs || !user_mode(args->regs))
		return NOTIFY_DONE;

	if (val == DIE_INT3)
		return uprobe_pre_sstep_notifier(args->regs) ? NOTIFY_STOP : NOTIFY_DONE;
	if (val != DIE_DEBUG)
		return NOTIFY_DONE;

	/* traps.c passes a pointer to its copy of DR6 in args->err. */
	dr6 = (unsigned long *)ERR_PTR(args->err);
	if (!(*dr6 & DR_STEP) || !uprobe_post_sstep_notifier(args->regs))
		return NOTIFY_DONE;

	/* The step was ours: consume it so no SIGTRAP is sent for it. */
	*dr6 &= ~DR_STEP;
	current->thread.virtual_dr6 &= ~DR_STEP;
	return *dr6 ? NOTIFY_DONE : NOTIFY_STOP;
}

/**
 * arch_uretprobe_hijack_return_addr - divert a function's return
 * @trampoline_vaddr: where the function should return to instead
 * @regs: registers at the function's first instruction
 *
 * The return address is at the top of the stack (and of the shadow stack,
 * if the task has one); both are replaced.
 *
 * Return: the original return address, or -1 if it could not be replaced.
 */
unsigned long arch_uretprobe_hijack_return_addr(unsigned long trampoline_vaddr,
						struct pt_regs *regs)
{
	void __user *slot = (void __user *)regs->sp;
	unsigned int size = uprobe_word_size(regs);
	unsigned long orig = 0;

	if (copy_from_user(&orig, slot, size))
		return -1;
	if (copy_to_user(slot, &trampoline_vaddr, size))
		return -1;
	if (shstk_update_last_frame(trampoline_vaddr)) {
		/* keep the two stacks consistent: put the original back */
		if (copy_to_user(slot, &orig, size))
			force_sig(SIGSEGV);
		return -1;
	}
	return orig;
}

/**
 * arch_uretprobe_is_alive - is a hijacked frame still on the stack?
 * @ret: the return instance; ret->stack is the sp at function entry, i.e.
 *       the address of the hijacked return-address slot
 * @ctx: where the check is made from
 * @regs: current registers
 *
 * The stack grows down, so a frame is alive while its slot is at or above
 * sp.  The boundary case, slot == sp, depends on @ctx:
 *  - RP_CHECK_CALL: we are at the entry of a newly probed function and the
 *    slot at sp was just written by a call with a real return address.  An
 *    older instance recorded at that slot must have been unwound without
 *    returning (longjmp, exceptions): dead, hence sp < stack.
 *  - RP_CHECK_CHAIN_CALL: the slot at sp holds the trampoline, i.e. the
 *    probed function tail-called (jmp) another probed function, which reuses
 *    the same slot: the older instance is alive, hence sp <= stack.
 *  - RP_CHECK_RET: the trampoline runs after a ret popped the slot at sp - w;
 *    an instance recorded exactly at sp belongs to the caller, which is
 *    still running (it called without pushing anything first): alive,
 *    hence sp <= stack.
 *
 * Return: true if @ret's frame is still live.
 */
bool arch_uretprobe_is_alive(struct return_instance *ret, enum rp_check ctx,
			     struct pt_regs *regs)
{
	if (ctx == RP_CHECK_CALL)
		return regs->sp < ret->stack;
	return regs->sp <= ret->stack;
}

#ifdef CONFIG_X86_64
/*
 * The 64-bit return trampoline.  A probed function's "ret" lands on its
 * first byte with the function's results in %rax (and %rdx, which the
 * system call preserves).  "syscall" itself needs %rax for the number and
 * overwrites %rcx and %r11 with the return IP and the flags, so these
 * three go to the user stack first; sys_uretprobe() takes them back.  The
 * area below the stack pointer is free at this point: the caller's frame
 * ended where the return address was.  The system call never returns to
 * the trampoline unless it fails, and then ud2 stops the task.
 */
static const u8 uretprobe_syscall_tramp[] = {
	0x50,					/* push %rax */
	0x51,					/* push %rcx */
	0x41, 0x53,				/* push %r11 */
	0xb8, __NR_uretprobe & 0xff,		/* mov $__NR_uretprobe, %eax */
	(__NR_uretprobe >> 8) & 0xff, 0x00, 0x00,
	0x0f, 0x05,				/* syscall */
	0x0f, 0x0b,				/* ud2 */
};

/* Where "syscall" leaves the IP: after itself, i.e. before the 2-byte ud2 */
#define URETPROBE_SYSCALL_NEXT_IP	(sizeof(uretprobe_syscall_tramp) - 2)

/* What the trampoline pushed, as found at the stack pointer of "syscall" */
struct uretprobe_saved_regs {
	unsigned long	r11;
	unsigned long	cx;
	unsigned long	ax;
};

/**
 * arch_uprobe_trampoline - instructions for the return probe trampoline
 * @psize: set to the size of the returned instructions
 *
 * Called by the core when it creates the XOL page of current->mm, so the
 * mm tells which kind of task will run the trampoline, as it does for
 * arch_uprobe_analyze_insn().
 *
 * Return: the uretprobe system call sequence for a 64-bit mm, otherwise
 * a lone breakpoint, which the core recognises by its address.
 */
void *arch_uprobe_trampoline(unsigned long *psize)
{
	static uprobe_opcode_t int3_only = UPROBE_SWBP_INSN;

	if (!is_64bit_mm(current->mm)) {
		*psize = UPROBE_SWBP_INSN_SIZE;
		return &int3_only;
	}
	*psize = sizeof(uretprobe_syscall_tramp);
	return (void *)uretprobe_syscall_tramp;
}

/*
 * sys_uretprobe - a 64-bit task returned through the trampoline
 *
 * Only the "syscall" inside current's trampoline may invoke this; anything
 * else is treated like an illegal instruction.  The registers the
 * trampoline saved are put back and popped, so that the return handlers
 * and uprobe_handle_trampoline() see the state right after the probed
 * function's "ret"; the latter then points regs->ip at the real return
 * address.  seccomp lets this call through unfiltered (kernel/seccomp.c),
 * since a sandboxed task must not die just because it was probed.
 *
 * Getting back to user space: do_syscall_64() picks SYSRET only when
 * regs->cx == regs->ip and regs->r11 == regs->flags, because SYSRET loads
 * RIP from %rcx and RFLAGS from %r11.  Here regs->ip is the return address
 * while regs->cx is the caller's %rcx, so almost always IRET is used, which
 * restores every register from pt_regs.  If the restored values happen to
 * match, SYSRET loads exactly the same state.  Both paths take %rsp from
 * pt_regs, so the popped stack pointer is honoured either way.
 *
 * The return value is the probed function's %rax, which the syscall exit
 * stores in regs->ax.  It may look like -ERESTARTSYS and the like, so
 * regs->orig_ax is cleared, as rt_sigreturn does: otherwise a pending
 * signal would "restart" this call by moving regs->ip back two bytes from
 * the real return address.
 */
SYSCALL_DEFINE0(uretprobe)
{
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long tramp = uprobe_get_trampoline_vaddr();
	struct uretprobe_saved_regs saved;

	if (tramp == UPROBE_NO_TRAMPOLINE_VADDR || !is_64bit_mm(current->mm) ||
	    regs->ip != tramp + URETPROBE_SYSCALL_NEXT_IP) {
		force_sig(SIGILL);
		return -1;
	}
	if (copy_from_user(&saved, (void __user *)regs->sp, sizeof(saved))) {
		force_sig(SIGSEGV);
		return -EFAULT;
	}

	regs->r11 = saved.r11;
	regs->cx = saved.cx;
	regs->ax = saved.ax;
	regs->sp += sizeof(saved);
	regs->orig_ax = -1;

	uprobe_handle_trampoline(regs);
	/* as with the breakpoint trampoline, what the handlers left stays */
	return regs->ax;
}
#endif /* CONFIG_X86_64 */

#ifdef CONFIG_UPROBES_KUNIT_TEST
#include "uprobes_test.c"
#endif
