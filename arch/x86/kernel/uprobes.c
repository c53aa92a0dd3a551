// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 half of user-space probes (uprobes), for 64-bit and 32-bit tasks.
 *
 * The generic core (kernel/uprobes.c) replaces the first byte of a probed
 * instruction with int3.  When a task hits it, the core runs the consumers
 * and then has to execute the displaced instruction.  This file decides, once
 * per probe, how that is done:
 *
 *  - emulated: carried out on pt_regs (and user memory) right here, without
 *    leaving the kernel: relative jmp/jcc/call/loop, nop/endbr, "push reg",
 *    and (alu_emulate()) the moves and arithmetic that make up most
 *    prologues and epilogues: mov/movzx/movsx/movsxd/lea, add/sub/and/or/
 *    xor/cmp/test, inc/dec/neg/not, xchg reg,reg, setcc, cmovcc, push imm,
 *    pop reg, leave and ret.  Under virtualization a step costs a second
 *    trap, several times the price of the first;
 *  - stepped out of line (XOL): everything else is copied to a per-task slot
 *    in the XOL area and single-stepped there with EFLAGS.TF, then the
 *    registers are moved back as if it had run at its original address.
 *    An emulation that cannot give exactly the CPU's outcome (a user access
 *    faults, a data breakpoint is armed, a shadow stack is in use) falls
 *    back to this, so signals and siginfo are the hardware's;
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

#include <linux/cc_platform.h>
#include <linux/kdebug.h>
#include <linux/mmu_context.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/syscalls.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/uprobes.h>

#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/insn.h>
#include <asm/insn-eval.h>
#include <asm/msr.h>
#include <asm/shstk.h>
#include <asm/text-patching.h>

/*
 * Written to thread.trap_nr while an instruction is being stepped out of
 * line.  Any exception taken by the stepped instruction overwrites it, which
 * is how arch_uprobe_xol_was_trapped() notices a fault.
 */
#define UPROBE_TRAP_NR		UINT_MAX

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

/* autask.saved_tf: how the task was being traced when the probe was hit */
#define UPROBE_TF_STEPPING	0x01	/* TF set, by a debugger or the program */
#define UPROBE_TF_BLOCKSTEP	0x02	/* debugger used PTRACE_SINGLEBLOCK */

/* Opcodes without a <asm/text-patching.h> name, used in more than one place */
#define PUSHF_OPCODE		0x9c
#define JCXZ_OPCODE		0xe3

/**
 * struct uprobe_xol_ops - how one class of probed instruction is executed
 * @emulate:  carry the instruction out on @regs; false means "step it instead"
 *            (only when the emulation could not touch user memory)
 * @prepare:  per-class preparation of @regs before the out-of-line step
 * @finish:   repair @regs after a successful step; 0 or -ERESTART, in which
 *            case everything the step did to memory and @regs is undone
 *            except IP, which the caller puts back at the probe
 * @cancel:   undo @prepare; called after the step whatever its outcome
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

/* pt_regs offsets of the general registers, by their ModRM/REX number */
static const u8 uprobe_gpr_offset[] = {
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

static unsigned long *uprobe_regs_at(struct pt_regs *regs, unsigned int offset)
{
	return (unsigned long *)((u8 *)regs + offset);
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

/*
 * A CALL stepped in the slot also pushed onto the user shadow stack, if the
 * task has one.  shstk.c offers no pop, so drop the frame by moving the
 * shadow stack pointer back up, as a RET would.
 */
#ifdef CONFIG_X86_USER_SHADOW_STACK
static void uprobe_shstk_drop_frame(void)
{
	u64 ssp;

	if (!shstk_is_enabled())
		return;
	fpregs_lock_and_load();
	rdmsrl(MSR_IA32_PL3_SSP, ssp);
	wrmsrl(MSR_IA32_PL3_SSP, ssp + 8);
	fpregs_unlock();
}
#else
static void uprobe_shstk_drop_frame(void)
{
}
#endif

/* Map an IP inside the XOL slot back to the probed address space */
static void uprobe_fix_ip(struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;

	regs->ip = utask->vaddr + (regs->ip - utask->xol_vaddr);
}

/*
 * A call was stepped in the slot: the return address it pushed (and, with
 * user shadow stacks, the copy on the shadow stack) points into the slot.
 * Make both point after the original instruction.  On failure both pushes
 * are undone so the core can restart the instruction cleanly.
 */
static int uprobe_fix_call(struct pt_regs *regs, unsigned long retaddr)
{
	unsigned int size = uprobe_word_size(regs);

	if (copy_to_user((void __user *)regs->sp, &retaddr, size) ||
	    shstk_update_last_frame(retaddr)) {
		regs->sp += size;
		uprobe_shstk_drop_frame();
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

	if (opc1 == JCXZ_OPCODE)
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

/* Where a relative branch at @ip goes when taken, and when not */
static unsigned long uprobe_branch_next(struct arch_uprobe *aup, struct pt_regs *regs,
					unsigned long ip)
{
	return (ip + aup->branch.ilen) & uprobe_ip_mask(regs);
}

static unsigned long uprobe_branch_target(struct arch_uprobe *aup, struct pt_regs *regs,
					  unsigned long ip)
{
	return (uprobe_branch_next(aup, regs, ip) + (long)aup->branch.offs) &
	       uprobe_ip_mask(regs);
}

/*
 * Relative branches.  The core calls ->emulate with regs->ip equal to the
 * probed address.  The target depends on that address, which is why these
 * are emulated: stepped in a slot that may be more than 2 GiB away, a rel32
 * target could even be non-canonical and fault.  branch.opc1 is 0x70 | cc
 * for both Jcc forms, JMP32_INSN_OPCODE for both JMP forms,
 * CALL_INSN_OPCODE for CALL and the opcode itself for LOOPcc/JCXZ.
 */
static bool branch_emulate(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned long next_ip = uprobe_branch_next(aup, regs, regs->ip);
	u8 opc1 = aup->branch.opc1;
	bool taken;

	switch (opc1) {
	case CALL_INSN_OPCODE:
		/*
		 * Nothing here can push onto a user shadow stack: then the
		 * CPU does it in the slot, see branch_finish().
		 */
		if (shstk_is_enabled() || !uprobe_push(regs, next_ip))
			return false;
		taken = true;
		break;
	case JMP32_INSN_OPCODE:
		taken = true;
		break;
	case 0xe0 ... JCXZ_OPCODE:
		taken = uprobe_loop_taken(regs, opc1);
		break;
	default:
		/* Jcc: the kernel's own int3 emulation evaluates the condition. */
		int3_emulate_jcc(regs, opc1 & 0xf, next_ip, (long)aup->branch.offs);
		regs->ip &= uprobe_ip_mask(regs);
		return true;
	}
	regs->ip = taken ? uprobe_branch_target(aup, regs, regs->ip) : next_ip;
	return true;
}

/*
 * Only reached when branch_emulate() declined a CALL.  The slot holds it
 * with rel32 = 0 (see uprobe_setup_branch()), so the step called the next
 * byte of the slot, which can neither fault nor be non-canonical, and
 * pushed a slot address onto both stacks.  Now go where the original
 * would have gone and make both return addresses point after it.
 */
static int branch_finish(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned long vaddr = current->utask->vaddr;
	int err;

	err = uprobe_fix_call(regs, uprobe_branch_next(aup, regs, vaddr));
	if (!err)
		regs->ip = uprobe_branch_target(aup, regs, vaddr);
	return err;
}

static const struct uprobe_xol_ops branch_xol_ops = {
	.emulate	= branch_emulate,
	.finish		= branch_finish,
};

/* "push reg": the first instruction of most non-leaf function prologues */
static bool push_emulate(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned long val = *uprobe_regs_at(regs, aup->push.reg_offset);

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

/*
 * A RIP-relative operand was rebased on a scratch register (see
 * uprobe_fix_riprel()).  For the step the register must hold the address
 * following the original instruction, and afterwards the program's value
 * again.  Both are one and the same operation: exchange the register with
 * autask.saved_scratch_register, which holds the value not in use.  Before
 * the step that is the address, prepared by stepped_prepare(); after the
 * second exchange it is that address again, never looked at.
 */
#ifdef CONFIG_X86_64
static void uprobe_swap_scratch(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned int reg = UPROBE_SCRATCH_REG(aup->defparam.fixups);

	if (reg)
		swap(*uprobe_regs_at(regs, uprobe_gpr_offset[reg]),
		     current->utask->autask.saved_scratch_register);
}

static void stepped_prepare(struct arch_uprobe *aup, struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;

	if (!UPROBE_SCRATCH_REG(aup->defparam.fixups))
		return;
	utask->autask.saved_scratch_register = utask->vaddr + aup->defparam.ilen;
	uprobe_swap_scratch(aup, regs);
}
#else
/* 32-bit tasks have no RIP-relative operands */
static void uprobe_swap_scratch(struct arch_uprobe *aup, struct pt_regs *regs)
{
}

static void stepped_prepare(struct arch_uprobe *aup, struct pt_regs *regs)
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
	.cancel		= uprobe_swap_scratch,
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
	.cancel		= uprobe_swap_scratch,
};

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

/* The arithmetic flags: CF PF AF ZF SF OF */
#define UA_ARITH_FLAGS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)

static unsigned long ua_get_reg(struct pt_regs *regs, u8 id)
{
	unsigned long val = *uprobe_regs_at(regs, uprobe_gpr_offset[id & 0xf]);

	return id & UA_HIGH8 ? val >> 8 : val;
}

/* Write the low @size bytes; a 32-bit result zero-extends (SDM 3.4.1.1) */
static void ua_set_reg(struct pt_regs *regs, u8 id, unsigned int size,
		       unsigned long val)
{
	unsigned long *reg = uprobe_regs_at(regs, uprobe_gpr_offset[id & 0xf]);

	switch (size) {
	case 1:
		if (id & UA_HIGH8)
			*reg = (*reg & ~0xff00UL) | ((val & 0xff) << 8);
		else
			*reg = (*reg & ~0xffUL) | (val & 0xff);
		break;
	case 2:
		*reg = (*reg & ~0xffffUL) | (val & 0xffff);
		break;
	case 4:
		*reg = (u32)val;
		break;
	default:
		*reg = val;
	}
}

static unsigned long ua_zext(unsigned long val, unsigned int size)
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

static unsigned long ua_sext(unsigned long val, unsigned int size)
{
	switch (size) {
	case 1:
		return (long)(s8)val;
	case 2:
		return (long)(s16)val;
	case 4:
		return (long)(s32)val;
	}
	return val;
}

/*
 * EFLAGS exactly as the CPU computes them, undefined ones (AF of the
 * logical operations) included: execute the very operation on the operand
 * values here and take the flags it leaves.  Register operands only, so
 * the operand size follows from the C type and needs no suffix; the stack
 * is ours to push on (the kernel has no red zone).  The unsigned long
 * case is 64-bit on 64-bit kernels, which alone run 64-bit tasks.
 */
#define UA_ASM(op, type, dst, src, flags)				\
	asm(op "\n\tpushf\n\tpop %[f]"					\
	    : [d] "+q" (dst), [f] "=r" (flags)				\
	    : [s] "q" ((type)(src)) : "cc")

/* @op names the destination %[d] and, for binary operations, %[s] */
#define UA_OP(name, op)							\
static unsigned long ua_##name(unsigned long d, unsigned long s,	\
			       unsigned int size, unsigned long *flags)	\
{									\
	u8 b = d;							\
	u16 w = d;							\
	u32 l = d;							\
									\
	switch (size) {							\
	case 1:								\
		UA_ASM(op, u8, b, s, *flags);				\
		return b;						\
	case 2:								\
		UA_ASM(op, u16, w, s, *flags);				\
		return w;						\
	case 4:								\
		UA_ASM(op, u32, l, s, *flags);				\
		return l;						\
	}								\
	UA_ASM(op, unsigned long, d, s, *flags);			\
	return d;							\
}

UA_OP(add, "add %[s], %[d]")
UA_OP(or, "or %[s], %[d]")
UA_OP(and, "and %[s], %[d]")
UA_OP(sub, "sub %[s], %[d]")
UA_OP(xor, "xor %[s], %[d]")
UA_OP(inc, "inc %[d]")
UA_OP(dec, "dec %[d]")
UA_OP(neg, "neg %[d]")

/*
 * Result of an arithmetic @op on @d and @s, and in *@flags the EFLAGS it
 * leaves.  CMP is SUB and TEST is AND without the write-back.
 */
static unsigned long ua_arith(u8 op, unsigned long d, unsigned long s,
			      unsigned int size, unsigned long *flags)
{
	switch (op) {
	case UA_ADD:
		return ua_add(d, s, size, flags);
	case UA_OR:
		return ua_or(d, s, size, flags);
	case UA_AND:
	case UA_TEST:
		return ua_and(d, s, size, flags);
	case UA_SUB:
	case UA_CMP:
		return ua_sub(d, s, size, flags);
	case UA_XOR:
		return ua_xor(d, s, size, flags);
	case UA_INC:
		return ua_inc(d, s, size, flags);
	case UA_DEC:
		return ua_dec(d, s, size, flags);
	case UA_NEG:
		return ua_neg(d, s, size, flags);
	}
	return ~d;		/* UA_NOT */
}

/* The EFLAGS bits @op defines: INC and DEC leave CF, NOT touches none */
static unsigned long ua_flags_written(u8 op)
{
	if (op == UA_INC || op == UA_DEC)
		return UA_ARITH_FLAGS & ~X86_EFLAGS_CF;
	return op <= UA_NEG ? UA_ARITH_FLAGS : 0;
}

/* Condition code @cc (the low nibble of jcc/setcc/cmovcc) on @flags */
static bool ua_cond(unsigned long flags, u8 cc)
{
	struct pt_regs tmp = { .flags = flags };

	int3_emulate_jcc(&tmp, cc, 0, 1);
	return tmp.ip;
}

/*
 * An armed hardware breakpoint must see the task's data accesses, and only
 * the CPU can report one with the exact DR6: then step instead.  cpu_dr7
 * holds what this CPU has installed, current's own breakpoints (ptrace or
 * perf) included, so it is read with preemption off.
 */
static bool ua_watchpoints_armed(void)
{
	bool armed;

	preempt_disable();
	armed = hw_breakpoint_active();
	preempt_enable();
	return armed;
}

/*
 * The effective address of the memory operand, without the segment base.
 * regs->ip is the probed address, so a RIP-relative operand is relative to
 * the end of the original instruction.  Address-size prefixes are declined,
 * so the address has the mode's width.
 */
static unsigned long ua_addr(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned long ea = (long)aup->alu.disp;

	if (aup->alu.form & UA_RIP) {
		ea += regs->ip + aup->alu.ilen;
	} else {
		if (aup->alu.rm != UA_NOREG)
			ea += ua_get_reg(regs, aup->alu.rm);
		if (aup->alu.index != UA_NOREG)
			ea += ua_get_reg(regs, aup->alu.index) << aup->alu.scale;
	}
	return aup->alu.form & UA_64 ? ea : (u32)ea;
}

/* user access at the operand's width, so a fault is the CPU's fault */
static bool ua_load(unsigned long addr, unsigned int size, unsigned long *val)
{
	int err;

	switch (size) {
	case 1: {
		u8 v;

		err = get_user(v, (u8 __user *)addr);
		*val = v;
		break;
	}
	case 2: {
		u16 v;

		err = get_user(v, (u16 __user *)addr);
		*val = v;
		break;
	}
	case 4: {
		u32 v;

		err = get_user(v, (u32 __user *)addr);
		*val = v;
		break;
	}
	default:
		err = get_user(*val, (unsigned long __user *)addr);
	}
	return !err;
}

static bool ua_store(unsigned long addr, unsigned int size, unsigned long val)
{
	switch (size) {
	case 1:
		return !put_user((u8)val, (u8 __user *)addr);
	case 2:
		return !put_user((u16)val, (u16 __user *)addr);
	case 4:
		return !put_user((u32)val, (u32 __user *)addr);
	}
	return !put_user(val, (unsigned long __user *)addr);
}

static bool ua_canonical(unsigned long ip)
{
#ifdef CONFIG_X86_64
	return __is_canonical_address(ip, pgtable_l5_enabled() ? 57 : 48);
#else
	return true;
#endif
}

/*
 * push imm, pop reg, leave, ret [imm16] of a 64-bit task (8-byte slots;
 * 16-bit forms were declined).  All loads come first, so a fault leaves
 * @regs as they were.
 */
static bool ua_stack_op(struct arch_uprobe *aup, struct pt_regs *regs)
{
	u64 __user *sp = (u64 __user *)regs->sp;
	unsigned long val;

	switch (aup->alu.op) {
	case UA_PUSH:
		if (put_user(aup->alu.imm, sp - 1))
			return false;
		regs->sp -= 8;
		break;
	case UA_POP:
		if (get_user(val, sp))
			return false;
		/* pop %rsp: the loaded value wins over the increment */
		regs->sp += 8;
		ua_set_reg(regs, aup->alu.reg, 8, val);
		break;
	case UA_LEAVE:
		if (get_user(val, (u64 __user *)regs->bp))
			return false;
		regs->sp = regs->bp + 8;
		regs->bp = val;
		break;
	case UA_RET:
		/*
		 * With a user shadow stack the CPU must pop and check that
		 * one too; a non-canonical target faults on the RET itself,
		 * with IP at it: both are the step's business.
		 */
		if (shstk_is_enabled() || get_user(val, sp) || !ua_canonical(val))
			return false;
		regs->sp += 8 + aup->alu.imm;
		regs->ip = val;
		return true;
	}
	regs->ip += aup->alu.ilen;
	return true;
}

/*
 * Execute the instruction on @regs.  Decline (false, with @regs and memory
 * untouched) where only the CPU gives the exact outcome: a fault on a user
 * access (then the step raises the real signal), an armed data breakpoint,
 * or a task that entered another mode than the one the probe was decoded
 * for.  Memory is written at most once, last, so a faulting store has
 * changed nothing.  A debugger's single-step is reported by
 * arch_uprobe_skip_sstep() as for the other emulated classes; TF itself is
 * not an arithmetic flag and is never changed here.
 *
 * What remains on this path, and why it has to: the mode check (one
 * compare); the breakpoint check, only for memory operands (a per-CPU
 * read); the user accesses themselves; for %fs/%gs operands the segment
 * base, read live from the CPU (thread.fsbase is only saved at a context
 * switch, and a task may change its base with wrfsbase); for arithmetic
 * the operation itself plus pushf, which is what makes the flags exact.
 */
static bool alu_emulate(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned int size = aup->alu.size, esize = size;
	unsigned long e = 0, src, dst, res, flags = 0, ea = 0;
	bool e_dst = !(aup->alu.form & UA_GE);
	u8 form = aup->alu.form, op = aup->alu.op;

	if (!(form & UA_64) != !user_64bit_mode(regs))
		return false;
	if ((form & UA_MEM || op >= UA_PUSH) && ua_watchpoints_armed())
		return false;
	if (op >= UA_PUSH)
		return ua_stack_op(aup, regs);

	switch (op) {
	case UA_LEA:
		/* computes the address only: no segment, no access */
		ua_set_reg(regs, aup->alu.reg, size, ua_addr(aup, regs));
		goto done;
	case UA_XCHG:
		/* register forms only: with memory it is locked, and stepped */
		e = ua_get_reg(regs, aup->alu.rm);
		ua_set_reg(regs, aup->alu.rm, size, ua_get_reg(regs, aup->alu.reg));
		ua_set_reg(regs, aup->alu.reg, size, e);
		goto done;
	case UA_MOVZX:
	case UA_MOVSX:
		esize = aup->alu.ssize;
		break;
	}

	if (form & UA_MEM) {
		unsigned long base = 0;

		if (aup->alu.seg) {
			base = insn_get_seg_base(regs, aup->alu.seg);
			if (base == -1L)
				return false;
		}
		ea = ua_addr(aup, regs) + base;
		/* a store-only operand is not read: it may be MMIO */
		if ((!e_dst || (op != UA_MOV && op != UA_SETCC)) &&
		    !ua_load(ea, esize, &e))
			return false;
	} else if (aup->alu.rm != UA_NOREG) {
		e = ua_get_reg(regs, aup->alu.rm);
	}

	if (form & UA_IMM)
		src = aup->alu.imm;
	else
		src = e_dst ? ua_get_reg(regs, aup->alu.reg) : e;
	dst = e_dst ? e : ua_get_reg(regs, aup->alu.reg);

	switch (op) {
	case UA_MOV:
		res = src;
		break;
	case UA_MOVZX:
		res = ua_zext(src, esize);
		break;
	case UA_MOVSX:
		res = ua_sext(src, esize);
		break;
	case UA_CMOVCC:
		/* written even if false: a 32-bit destination zero-extends */
		res = ua_cond(regs->flags, aup->alu.cc) ? src : dst;
		break;
	case UA_SETCC:
		res = ua_cond(regs->flags, aup->alu.cc);
		break;
	default:
		res = ua_arith(op, dst, src, size, &flags);
		break;
	}

	if (op != UA_CMP && op != UA_TEST) {
		if (!e_dst)
			ua_set_reg(regs, aup->alu.reg, size, res);
		else if (!(form & UA_MEM))
			ua_set_reg(regs, aup->alu.rm, size, res);
		else if (!ua_store(ea, size, res))
			return false;
	}
	regs->flags = (regs->flags & ~ua_flags_written(op)) |
		      (flags & ua_flags_written(op));
done:
	regs->ip = (regs->ip + aup->alu.ilen) & uprobe_ip_mask(regs);
	return true;
}

/* On a decline: the plain out-of-line step of the same instruction */
static const struct uprobe_xol_ops alu_xol_ops = {
	.emulate	= alu_emulate,
	.prepare	= stepped_prepare,
	.finish		= stepped_finish,
	.cancel		= uprobe_swap_scratch,
};

/* Length of the probed instruction, whatever layout its class uses */
static unsigned int uprobe_insn_len(struct arch_uprobe *aup)
{
	if (aup->ops == &branch_xol_ops)
		return aup->branch.ilen;
	if (aup->ops == &push_xol_ops)
		return aup->push.ilen;
	return aup->defparam.ilen;
}

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

/*
 * Confidential guests: the SEV-ES #VC handler emulates CPUID, RDTSC(P),
 * RDPMC and port I/O for user mode too, and the TDX #VE handler CPUID,
 * moving IP past them.  In the slot that would run the bytes after them.
 */
static bool uprobe_vc_emulates(void)
{
	return cc_platform_has(CC_ATTR_GUEST_STATE_ENCRYPT) ||
	       cpu_feature_enabled(X86_FEATURE_TDX_GUEST);
}

static const char *uprobe_refine(struct insn *insn)
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
					return modrm == 0xf9 && uprobe_vc_emulates() ?
					       "rdtscp: emulated by #VC" : NULL;
			}
			if (modrm == 0xec && uprobe_has_prefix(insn, 0xf3))
				return "uiret: loads IP and EFLAGS.TF";
			return "group 7: system instruction (sgdt/sidt/smsw are UMIP-emulated)";
		case 0x31:
		case 0x33:
		case 0xa2:
			return uprobe_vc_emulates() ? "emulated by #VC/#VE" : NULL;
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
		if (uprobe_vc_emulates())
			return "port I/O: emulated by #VC";
		fallthrough;
	case 0xa4 ... 0xa7:	/* movs/cmps */
	case 0xaa ... 0xaf:	/* stos/lods/scas */
		return uprobe_has_rep(insn) ? "rep string op: traps after every iteration" : NULL;
	case 0xe4 ... 0xe7:
	case 0xec ... 0xef:
		return uprobe_vc_emulates() ? "port I/O: emulated by #VC" : NULL;
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
static const char *uprobe_refusal(struct insn *insn, bool x86_64)
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
		return uprobe_refine(insn);
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
	aup->ops = &branch_xol_ops;
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
 * adc/sbb (they take CF as an input; rare in compiled prologues), xchg
 * with memory (implicitly locked), test f6/f7 /1 (an undocumented alias),
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

	if ((a.rm != UA_NOREG && (a.rm & 0xf) >= ARRAY_SIZE(uprobe_gpr_offset)) ||
	    (a.index != UA_NOREG && a.index >= ARRAY_SIZE(uprobe_gpr_offset)) ||
	    (a.reg & 0xf) >= ARRAY_SIZE(uprobe_gpr_offset))
		return false;

	aup->alu = a;
	aup->ops = &alu_xol_ops;
	return true;
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
	if (uprobe_refusal(&insn, x86_64))
		return -EOPNOTSUPP;

	/* alu is the largest member of the union */
	memset(&aup->alu, 0, sizeof(aup->alu));
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
	} else if (opc1 == PUSHF_OPCODE) {
		aup->defparam.fixups |= UPROBE_FIX_PUSHF;
	} else if (opc1 == RET_INSN_OPCODE || opc1 == RET_INSN_OPCODE - 1) {
		aup->defparam.fixups = 0;	/* ret, ret imm16: IP from the stack */
	} else if (opc1 == 0xff && X86_MODRM_REG(insn.modrm.bytes[0]) == 2) {
		aup->defparam.fixups = UPROBE_FIX_CALL;	/* absolute target */
	} else if (opc1 == 0xff && X86_MODRM_REG(insn.modrm.bytes[0]) == 4) {
		aup->defparam.fixups = 0;		/* jmp *r/m: absolute */
	}

	/*
	 * The fallback step of an emulated instruction needs the same
	 * fix-ups and RIP-relative rewrite as any stepped one: set them
	 * up first, then see whether it can be emulated at all.
	 */
	if (x86_64 && insn_rip_relative(&insn)) {
		int err = uprobe_fix_riprel(aup, &insn);

		if (err)
			return err;
	}
	if (!insn_is_avx(&insn))
		uprobe_setup_alu(aup, &insn, x86_64);
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

/*
 * The task was single-stepping (ptrace's TF, or the program's own) over
 * the probed instruction: give it the SIGTRAP the CPU would have raised
 * after the instruction, with DR6.BS in the ptrace view, as traps.c does
 * for a hardware step.  With PTRACE_SINGLEBLOCK the CPU only traps after
 * a branch, so then only a branch reports.
 */
static void uprobe_report_step(struct pt_regs *regs, bool branched)
{
	if (test_thread_flag(TIF_BLOCKSTEP) && !branched)
		return;
	current->thread.virtual_dr6 |= DR_STEP;
	send_sigtrap(regs, 0, TRAP_TRACE);
}

/**
 * arch_uprobe_skip_sstep - execute the probed instruction by emulation
 * @aup: the probe
 * @regs: the task's registers, regs->ip being the probed address
 *
 * An emulated instruction completes like a stepped one, including the
 * single-step trap if the task was being stepped.
 *
 * Return: true if the instruction was emulated and @regs now reflect its
 * completion; false if it must be stepped out of line.
 */
bool arch_uprobe_skip_sstep(struct arch_uprobe *aup, struct pt_regs *regs)
{
	unsigned long next_ip = regs->ip + uprobe_insn_len(aup);
	bool stepping = regs->flags & X86_EFLAGS_TF;

	if (!aup->ops->emulate || !aup->ops->emulate(aup, regs))
		return false;
	if (stepping)
		uprobe_report_step(regs, regs->ip != next_ip);
	return true;
}

/*
 * The state of a step, kept in autask from arch_uprobe_pre_xol() to the
 * end of the step: how the task was traced (saved_tf), the trap number to
 * put back (saved_trap_nr) and, for RIP-relative operands, the value the
 * scratch register does not currently hold (saved_scratch_register).
 * uprobe_step_begin() and uprobe_step_end() are the only two places that
 * touch TF, DEBUGCTL.BTF and trap_nr for a step.
 */
static unsigned int uprobe_tf_state(struct pt_regs *regs)
{
	unsigned int tf = 0;

	if ((regs->flags & X86_EFLAGS_TF) || test_thread_flag(TIF_SINGLESTEP))
		tf |= UPROBE_TF_STEPPING;
	if (test_thread_flag(TIF_BLOCKSTEP))
		tf |= UPROBE_TF_BLOCKSTEP;
	return tf;
}

static void uprobe_step_begin(struct arch_uprobe *aup, struct pt_regs *regs)
{
	struct uprobe_task *utask = current->utask;
	struct arch_uprobe_task *at = &utask->autask;

	if (aup->ops->prepare)
		aup->ops->prepare(aup, regs);

	at->saved_tf = uprobe_tf_state(regs);
	/* With DEBUGCTL.BTF, TF would only trap on a branch: step for real */
	if (at->saved_tf & UPROBE_TF_BLOCKSTEP)
		set_task_blockstep(current, false);
	regs->flags |= X86_EFLAGS_TF;

	at->saved_trap_nr = current->thread.trap_nr;
	current->thread.trap_nr = UPROBE_TRAP_NR;
	regs->ip = utask->xol_vaddr;
}

/*
 * End a step: @done says whether the instruction completed (then it is
 * finished) or the step is being abandoned.  Returns 0 when the task goes
 * on after the instruction, or -ERESTART (also for an abandoned step) when
 * it must execute the probed instruction again: then IP is the probe.
 */
static int uprobe_step_end(struct arch_uprobe *aup, struct pt_regs *regs, bool done)
{
	struct uprobe_task *utask = current->utask;
	unsigned int tf = utask->autask.saved_tf;
	int ret = -ERESTART;

	/* unless the step faulted: the signal must report the fault's number */
	if (current->thread.trap_nr == UPROBE_TRAP_NR)
		current->thread.trap_nr = utask->autask.saved_trap_nr;
	if (aup->ops->cancel)
		aup->ops->cancel(aup, regs);
	if (done)
		ret = aup->ops->finish(aup, regs);
	if (ret)
		regs->ip = utask->vaddr;

	if (!(tf & UPROBE_TF_STEPPING))
		regs->flags &= ~X86_EFLAGS_TF;
	if (tf & UPROBE_TF_BLOCKSTEP)
		set_task_blockstep(current, true);
	if (!ret && (tf & UPROBE_TF_STEPPING))
		uprobe_report_step(regs, regs->ip != utask->vaddr + uprobe_insn_len(aup));
	return ret;
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
	uprobe_step_begin(aup, regs);
	return 0;
}

/**
 * arch_uprobe_post_xol - repair @regs after a successful out-of-line step
 * @aup: the probe
 * @regs: the task's registers, IP still relative to the slot
 *
 * If the task was being single-stepped before the probe hit, it gets the
 * SIGTRAP the step over the original instruction would have produced.
 *
 * Return: 0, or -ERESTART if user memory could not be fixed up.  Then
 * what the step did has been undone and IP is the probed address again;
 * the core must let the task execute from there (hitting the probe again)
 * rather than treat it as a failure.
 */
int arch_uprobe_post_xol(struct arch_uprobe *aup, struct pt_regs *regs)
{
	return uprobe_step_end(aup, regs, true);
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
	uprobe_step_end(aup, regs, false);
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
 * three are parked on the user stack first, in the order of
 * uretprobe_parked[] below, which sys_uretprobe() unparks in reverse.  The
 * area below the stack pointer is free at this point: the caller's frame
 * ended where the return address was.  The system call never returns to
 * the trampoline unless it fails, and then ud2 stops the task.
 */
static const u8 uretprobe_syscall_tramp[] = {
	0x51,					/* push %rcx */
	0x41, 0x53,				/* push %r11 */
	0x50,					/* push %rax */
	0xb8, __NR_uretprobe & 0xff,		/* mov $__NR_uretprobe, %eax */
	(__NR_uretprobe >> 8) & 0xff, 0x00, 0x00,
	0x0f, 0x05,				/* syscall */
	0x0f, 0x0b,				/* ud2 */
};

/* Where "syscall" leaves the IP: after itself, i.e. before the 2-byte ud2 */
#define URETPROBE_SYSCALL_NEXT_IP	(sizeof(uretprobe_syscall_tramp) - 2)

/* The registers the trampoline pushes, first pushed first */
static const u8 uretprobe_parked[] = {
	offsetof(struct pt_regs, cx),
	offsetof(struct pt_regs, r11),
	offsetof(struct pt_regs, ax),
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
	static uprobe_opcode_t int3_only = INT3_INSN_OPCODE;

	if (!is_64bit_mm(current->mm)) {
		*psize = INT3_INSN_SIZE;
		return &int3_only;
	}
	*psize = sizeof(uretprobe_syscall_tramp);
	return (void *)uretprobe_syscall_tramp;
}

/*
 * Take back what the trampoline pushed, last pushed first, into @regs.
 * Nothing is written until all of it has been read, so on a fault @regs
 * are left as the system call found them.
 */
static int uretprobe_unpark(struct pt_regs *regs)
{
	unsigned long val[ARRAY_SIZE(uretprobe_parked)];
	unsigned long __user *sp = (unsigned long __user *)regs->sp;
	int i, n = ARRAY_SIZE(uretprobe_parked);

	for (i = 0; i < n; i++) {
		if (get_user(val[i], sp + i))
			return -EFAULT;
	}
	for (i = 0; i < n; i++)
		*uprobe_regs_at(regs, uretprobe_parked[n - 1 - i]) = val[i];
	regs->sp += n * sizeof(*sp);
	return 0;
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

	if (tramp == UPROBE_NO_TRAMPOLINE_VADDR || !is_64bit_mm(current->mm) ||
	    regs->ip != tramp + URETPROBE_SYSCALL_NEXT_IP) {
		force_sig(SIGILL);
		return -1;
	}
	if (uretprobe_unpark(regs)) {
		force_sig(SIGSEGV);
		return -EFAULT;
	}
	regs->orig_ax = -1;

	uprobe_handle_trampoline(regs);
	/* as with the breakpoint trampoline, what the handlers left stays */
	return regs->ax;
}
#endif /* CONFIG_X86_64 */

#ifdef CONFIG_UPROBES_KUNIT_TEST
#include "uprobes_test.c"
#endif
