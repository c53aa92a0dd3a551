/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine state that the targets of uprobes_diff_targets.S load and
 * store, and the table of forms they describe. Included by the assembly
 * (with __ASSEMBLER__) and by uprobes_diff.c.
 */
#ifndef UPROBES_DIFF_TARGETS_H
#define UPROBES_DIFF_TARGETS_H

/* Layout of struct diff_state (the global diff_state of the targets). */
#define DIFF_NREGS		16
#define DIFF_MEM_SIZE		256
#define DIFF_STACK_SIZE		512
#define DIFF_OFF_FLAGS		128
#define DIFF_OFF_MEM		192
#define DIFF_OFF_STACK		448
#define DIFF_STATE_SIZE		960

/* General registers, as bits of diff_form.ptr and .idx (encoding order). */
#define B_RAX		0x1
#define B_RCX		0x2
#define B_RDX		0x4
#define B_RBX		0x8
#define B_RSP		0x10
#define B_RBP		0x20
#define B_RSI		0x40
#define B_RDI		0x80
#define B_R8		0x100
#define B_R9		0x200
#define B_R10		0x400
#define B_R11		0x800
#define B_R12		0x1000
#define B_R13		0x2000
#define B_R14		0x4000
#define B_R15		0x8000

/*
 * diff_form.flags: where the .ptr registers point. By default into the
 * state's memory buffer, %rsp into its stack area, everything else random.
 */
#define DS_BP		0x1	/* %rbp points into the stack area too */
#define DS_RET		0x2	/* the return address at %rsp is .cont */
#define DS_UNMAPPED	0x10	/* .ptr registers point into an unmapped page */
#define DS_RO		0x20	/* ... into a read-only page */
#define DS_STRADDLE	0x40	/* ... at the last bytes before an unmapped page */
#define DS_STRADDLE_RO	0x80	/* ... at the last bytes before a read-only page */
#define DS_FAULT	0xf0	/* the form must fault natively */

/* EFLAGS bits, as diff_form.undef: flags the SDM leaves undefined. */
#define F_CF		0x1
#define F_PF		0x4
#define F_AF		0x10
#define F_ZF		0x40
#define F_SF		0x80
#define F_DF		0x400
#define F_OF		0x800
#define F_ARITH		0x8d5
#define F_RF		0x10000

#define DIFF_FORM_SIZE	48

#ifndef __ASSEMBLER__

struct diff_state {
	unsigned long regs[DIFF_NREGS];	/* rax, rcx, rdx, rbx, rsp, ... r15 */
	unsigned long flags;
	unsigned long pad[7];
	unsigned char mem[DIFF_MEM_SIZE];
	unsigned char stack[DIFF_STACK_SIZE];
};

/* One instruction form: a target, its probe site and how to set it up. */
struct diff_form {
	void (*fn)(void);		/* loads diff_state, runs the form, stores it */
	const char *site;		/* the instruction (global diff_<name>_probe) */
	const char *cont;		/* where DS_RET forms return to */
	const char *name;
	unsigned int ptr;		/* registers that are pointers */
	unsigned int idx;		/* registers that are small indexes (0-15) */
	unsigned int flags;		/* DS_* */
	unsigned int undef;		/* EFLAGS bits not compared */
};

extern struct diff_state diff_state;
extern const struct diff_form diff_forms[], diff_forms_end[];

#endif /* __ASSEMBLER__ */

#endif /* UPROBES_DIFF_TARGETS_H */
