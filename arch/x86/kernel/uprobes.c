// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 half of user-space probes (uprobes), for 64-bit and 32-bit tasks.
 *
 * The generic core (kernel/uprobes.c) replaces the first byte of a probed
 * instruction with int3.  When a task hits it, the core runs the consumers
 * and then has to execute the displaced instruction.  The classifier in
 * uprobes_insn.c decides, once per probe, how that is done, and this file
 * does it at every hit:
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
#include <asm/pkru.h>
#include <asm/shstk.h>
#include <asm/text-patching.h>

#include "uprobes_insn.h"

/*
 * Written to thread.trap_nr while an instruction is being stepped out of
 * line.  Any exception taken by the stepped instruction overwrites it, which
 * is how arch_uprobe_xol_was_trapped() notices a fault.
 */
#define UPROBE_TRAP_NR		UINT_MAX


/* autask.saved_tf: how the task was being traced when the probe was hit */
#define UPROBE_TF_STEPPING	0x01	/* TF set, by a debugger or the program */
#define UPROBE_TF_BLOCKSTEP	0x02	/* debugger used PTRACE_SINGLEBLOCK */


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
const u8 uprobe_gpr_offset[UPROBE_NR_GPRS] = {
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

/* Stepped like the above when it is not run boosted (see below) */
static const struct uprobe_xol_ops boost_xol_ops = {
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
 * logical operations, OF of a multi-bit shift) included: execute the very
 * operation on the operand values here and take the flags it leaves.  It
 * starts from the task's arithmetic flags (@flags on entry), with the
 * kernel's own IF, AC and DF kept, so that a flag the CPU leaves alone is
 * the task's, as it would be natively; the kernel's flags are put back
 * after.  Register operands only, so the operand size follows from the C
 * type and needs no suffix; the stack is ours to push on (the kernel has
 * no red zone).  The unsigned long case is 64-bit on 64-bit kernels, which
 * alone run 64-bit tasks.
 */
#define UA_ASM_FLAGS(op, dst, flags, ...)				\
	asm("pushf\n\tpush %[f]\n\tpopf\n\t" op				\
	    "\n\tpushf\n\tpop %[f]\n\tpopf"				\
	    : [d] "+q" (dst),						\
	      [f] "+r" (flags)						\
	    : __VA_ARGS__ : "cc")

#define UA_ASM(op, type, dst, src, flags)				\
	UA_ASM_FLAGS(op, dst, flags, [s] "q" ((type)(src)))

/* Shifts and rotates: the count goes in %cl, as the instruction wants */
#define UA_ASM_CL(op, type, dst, src, flags)				\
	UA_ASM_FLAGS(op, dst, flags, "c" ((u8)(src)))

/*
 * @op names the destination %[d] and, for binary operations, %[s] (or
 * %%cl for @asm_op UA_ASM_CL)
 */
#define UA_FN(name, op, asm_op)						\
static unsigned long ua_##name(unsigned long d, unsigned long s,	\
			       unsigned int size, unsigned long *flags)	\
{									\
	unsigned long f = (native_save_fl() & ~UA_ARITH_FLAGS) |	\
			  (*flags & UA_ARITH_FLAGS);			\
	u8 b = d;							\
	u16 w = d;							\
	u32 l = d;							\
									\
	switch (size) {							\
	case 1:								\
		asm_op(op, u8, b, s, f);				\
		d = b;							\
		break;							\
	case 2:								\
		asm_op(op, u16, w, s, f);				\
		d = w;							\
		break;							\
	case 4:								\
		asm_op(op, u32, l, s, f);				\
		d = l;							\
		break;							\
	default:							\
		asm_op(op, unsigned long, d, s, f);			\
	}								\
	*flags = f;							\
	return d;							\
}

#define UA_OP(name, op)		UA_FN(name, op, UA_ASM)
#define UA_SHIFT_OP(name, op)	UA_FN(name, op " %%cl, %[d]", UA_ASM_CL)

UA_OP(add, "add %[s], %[d]")
UA_OP(or, "or %[s], %[d]")
UA_OP(and, "and %[s], %[d]")
UA_OP(sub, "sub %[s], %[d]")
UA_OP(xor, "xor %[s], %[d]")
UA_OP(inc, "inc %[d]")
UA_OP(dec, "dec %[d]")
UA_OP(neg, "neg %[d]")
UA_SHIFT_OP(rol, "rol")
UA_SHIFT_OP(ror, "ror")
UA_SHIFT_OP(shl, "shl")
UA_SHIFT_OP(shr, "shr")
UA_SHIFT_OP(sar, "sar")

typedef unsigned long (*ua_fn)(unsigned long d, unsigned long s,
			       unsigned int size, unsigned long *flags);

/* CMP is SUB and TEST is AND without the write-back; NOT has no entry */
static const ua_fn ua_arith_fns[] = {
	[UA_ADD] = ua_add,	[UA_OR] = ua_or,	[UA_AND] = ua_and,
	[UA_SUB] = ua_sub,	[UA_XOR] = ua_xor,	[UA_CMP] = ua_sub,
	[UA_TEST] = ua_and,	[UA_INC] = ua_inc,	[UA_DEC] = ua_dec,
	[UA_NEG] = ua_neg,	[UA_ROL] = ua_rol,	[UA_ROR] = ua_ror,
	[UA_SHL] = ua_shl,	[UA_SHR] = ua_shr,	[UA_SAR] = ua_sar,
};

/*
 * Result of an arithmetic @op on @d and @s; *@flags holds the task's
 * EFLAGS on entry and the EFLAGS the operation leaves on return (none for
 * NOT).
 */
static unsigned long ua_arith(u8 op, unsigned long d, unsigned long s,
			      unsigned int size, unsigned long *flags)
{
	if (op < ARRAY_SIZE(ua_arith_fns) && ua_arith_fns[op])
		return ua_arith_fns[op](d, s, size, flags);
	return ~d;		/* UA_NOT */
}

/*
 * The EFLAGS bits @op writes: INC and DEC leave CF, NOT touches none, a
 * rotate only CF and OF.  Shifts and rotates by a count of zero write none,
 * but they are never emulated.  Bits the SDM leaves undefined (AF of a
 * shift, OF of a shift or rotate by more than one) are written too, with
 * what this CPU gave them.
 */
static unsigned long ua_flags_written(u8 op)
{
	switch (op) {
	case UA_INC:
	case UA_DEC:
		return UA_ARITH_FLAGS & ~X86_EFLAGS_CF;
	case UA_ROL:
	case UA_ROR:
		return X86_EFLAGS_CF | X86_EFLAGS_OF;
	case UA_NOT:
		return 0;
	}
	return op <= UA_SAR ? UA_ARITH_FLAGS : 0;
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
	unsigned long e = 0, src, dst, res, flags = 0, ea = 0, count = 0;
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

	if (form & UA_CL) {
		/* masked as the CPU masks it; a zero count is left to the CPU */
		count = regs->cx & (size == 8 ? 0x3f : 0x1f);
		if (!count)
			return false;
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
	else if (form & UA_CL)
		src = count;
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
		flags = regs->flags;
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

static const struct uprobe_xol_ops *const uprobe_class_ops[UPROBE_INSN_NR_CLASSES] = {
	[UPROBE_INSN_STEP]	= &stepped_xol_ops,
	[UPROBE_INSN_NOP]	= &nop_xol_ops,
	[UPROBE_INSN_BRANCH]	= &branch_xol_ops,
	[UPROBE_INSN_PUSH]	= &push_xol_ops,
	[UPROBE_INSN_ALU]	= &alu_xol_ops,
	[UPROBE_INSN_BOOST]	= &boost_xol_ops,
};

/*
 * Analyze the instruction in @aup->insn for a 64-bit (@x86_64) or 32-bit
 * task and choose how to execute it.  Split from arch_uprobe_analyze_insn()
 * so the KUnit test can call it without an mm.
 */
static int uprobe_analyze(struct arch_uprobe *aup, bool x86_64)
{
	const char *why;
	int class = uprobe_insn_classify(aup, x86_64, uprobe_vc_emulates(), &why);

	if (class < 0)
		return class;
	aup->ops = uprobe_class_ops[class];
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

/* jmp *0(%rip), then the 8-byte target */
#define BOOST_JMP_BYTES		14

/**
 * arch_uprobe_boost_image - a boosted copy of the probed instruction
 * @aup: the probe, of class UPROBE_INSN_BOOST
 * @vaddr: the probed address
 * @run: the instruction, then a jump to @vaddr plus its length
 * @hold: the instruction, then int3
 * @size: bytes in each of @run and @hold
 *
 * The jump back is absolute (the copy may be more than 2 GiB away) and
 * indirect through the 8 bytes after it, which only the copy reads.
 *
 * Return: the instruction's length, or -EOPNOTSUPP.
 */
int arch_uprobe_boost_image(struct arch_uprobe *aup, unsigned long vaddr,
			    u8 *run, u8 *hold, size_t size)
{
	unsigned int len = aup->defparam.ilen;

	if (aup->ops != &boost_xol_ops || len + BOOST_JMP_BYTES > size)
		return -EOPNOTSUPP;
	/* int3 after the jump stops straight-line speculation, and strays */
	memset(run, INT3_INSN_OPCODE, size);
	memset(hold, INT3_INSN_OPCODE, size);
	memcpy(run, aup->insn, len);
	run[len] = 0xff;			/* jmp *disp32(%rip), ModRM 25 */
	run[len + 1] = 0x25;
	put_unaligned(0, (u32 *)&run[len + 2]);
	put_unaligned((u64)(vaddr + len), (u64 *)&run[len + 6]);
	memcpy(hold, aup->insn, len);
	hold[len] = INT3_INSN_OPCODE;
	return len;
}

/**
 * arch_uprobe_boost_now - may this hit run the boosted copy?
 * @aup: the probe
 * @regs: the task's registers at the hit
 *
 * Not while the task is single-stepped (by a debugger or itself: the step
 * trap must come after the original instruction, from the step path),
 * nor with data breakpoints armed (a hit in the copy would be reported
 * inside it), nor for a task that is not in 64-bit mode now, nor while
 * the task's PKRU denies reads of protection key 0: the jump back loads
 * its target from the copy's page, which has key 0.  PKRU is switched
 * eagerly with the task, so RDPKRU reads the task's own value here.  A
 * process that has allocated protection keys, or made a mapping
 * execute-only, may have given the copies' page another key
 * (pkey_mprotect(), mprotect(PROT_EXEC)): it is not boosted at all.
 *
 * Return: true to run the copy.
 */
bool arch_uprobe_boost_now(struct arch_uprobe *aup, struct pt_regs *regs)
{
	if (aup->ops != &boost_xol_ops || !user_64bit_mode(regs) ||
	    (regs->flags & X86_EFLAGS_TF) || ua_watchpoints_armed())
		return false;
#ifdef CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		struct mm_struct *mm = current->mm;

		if (READ_ONCE(mm->context.pkey_allocation_map) != 1 ||
		    READ_ONCE(mm->context.execute_only_pkey) != -1 ||
		    !__pkru_allows_read(read_pkru(), 0))
			return false;
	}
#endif
	return true;
}

/**
 * arch_uprobe_boost_hold - mark, or unmark, a held boosted copy in flight
 * @hold: before (true) or after (false) it runs
 *
 * As for a step: an exception in the copy replaces the UPROBE_TRAP_NR
 * mark, which arch_uprobe_xol_was_trapped() then sees.
 */
void arch_uprobe_boost_hold(bool hold)
{
	struct arch_uprobe_task *at = &current->utask->autask;

	if (hold) {
		at->saved_trap_nr = current->thread.trap_nr;
		current->thread.trap_nr = UPROBE_TRAP_NR;
	} else if (current->thread.trap_nr == UPROBE_TRAP_NR) {
		current->thread.trap_nr = at->saved_trap_nr;
	}
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
 * arch_uprobe_regs_match - do two register sets hold the same user state?
 * @a: registers noted at one trap
 * @b: registers of a later trap
 *
 * The general registers, the IP, the flags and the stack pointer.  Not
 * orig_ax, and not cs and ss, where FRED keeps the event type and vector:
 * a retry noted at a #DB is taken again at a #BP.
 *
 * Return: true if @a and @b are the same user register state.
 */
bool arch_uprobe_regs_match(const struct pt_regs *a, const struct pt_regs *b)
{
	return !memcmp(a, b, offsetof(struct pt_regs, orig_ax)) &&
	       a->ip == b->ip && a->flags == b->flags && a->sp == b->sp;
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
