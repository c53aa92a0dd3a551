/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probe targets for uprobes_test whose exact instructions matter, so they
 * are written in assembly. Every probed instruction has its own global
 * label, which the test turns into a file offset through the symbol table.
 */

	.text

#if defined(__x86_64__)

/*
 * int rip_func(int x): RIP-relative operands of several kinds. A probe on
 * any of these instructions must leave them reaching the same operand as
 * at their original address. Returns rip_var + rip_var2, plus 1000 when
 * rip_var == 0x12345; stores x in rip_out and &rip_var in rip_addr.
 */
	.globl	rip_func
	.type	rip_func, @function
rip_func:
	.globl	rip_insn_load
rip_insn_load:
	movl	rip_var(%rip), %eax
	.globl	rip_insn_add
rip_insn_add:
	addl	rip_var2(%rip), %eax
	/* The displacement is followed by an imm32: rip is the insn's end. */
	.globl	rip_insn_cmp
rip_insn_cmp:
	cmpl	$0x12345, rip_var(%rip)
	jne	1f
	addl	$1000, %eax
1:
	.globl	rip_insn_store
rip_insn_store:
	movl	%edi, rip_out(%rip)
	.globl	rip_insn_lea
rip_insn_lea:
	leaq	rip_var(%rip), %rdx
	movq	%rdx, rip_addr(%rip)
	ret
	.size	rip_func, . - rip_func

/*
 * unsigned long args_target(long a, const char *s): returns the stack
 * pointer at entry, which is what $stack records at a probe on its first
 * instruction, and stores the top of that stack, its return address
 * ($stack0), in args_ret.
 */
	.globl	args_target
	.type	args_target, @function
args_target:
	movq	(%rsp), %rax
	movq	%rax, args_ret(%rip)
	movq	%rsp, %rax
	ret
	.size	args_target, . - args_target

#elif defined(__aarch64__)

/*
 * The arm64 counterparts, with the same contracts.  arm64 has no RIP
 * operands; what the labels of the same names probe here are the kinds of
 * instruction that can not run out of line unchanged either, because they
 * depend on the PC (the kernel emulates them: ADR of a constant in the
 * text, a taken or not taken conditional branch, ADRP), and two ordinary
 * ones that are stepped out of line (an add, a store).  LDR (literal) is
 * not among them: arm64 refuses to probe it in user space.
 */
	.globl	rip_func
	.type	rip_func, @function
rip_func:
	adrp	x1, rip_var
	ldr	w2, [x1, :lo12:rip_var]
	adrp	x3, rip_var2
	ldr	w3, [x3, :lo12:rip_var2]
	.globl	rip_insn_add
rip_insn_add:
	add	w5, w2, w3
	.globl	rip_insn_load
rip_insn_load:
	adr	x4, .Lmagic
	ldr	w4, [x4]
	cmp	w2, w4
	.globl	rip_insn_cmp
rip_insn_cmp:
	b.ne	1f
	add	w5, w5, #1000
1:
	adrp	x6, rip_out
	.globl	rip_insn_store
rip_insn_store:
	str	w0, [x6, :lo12:rip_out]
	.globl	rip_insn_lea
rip_insn_lea:
	adrp	x7, rip_var
	add	x7, x7, :lo12:rip_var
	adrp	x8, rip_addr
	str	x7, [x8, :lo12:rip_addr]
	mov	w0, w5
	ret
	.p2align 2
.Lmagic:
	.word	0x12345
	.size	rip_func, . - rip_func

/*
 * unsigned long args_target(long a, const char *s): returns the stack
 * pointer at entry, which is what $stack records at a probe on its first
 * instruction, and stores the top of that stack ($stack0; on arm64 the
 * return address is in x30, so this is whatever the caller keeps there) in
 * args_ret.
 */
	.globl	args_target
	.type	args_target, @function
args_target:
	ldr	x2, [sp]
	adrp	x3, args_ret
	str	x2, [x3, :lo12:args_ret]
	mov	x0, sp
	ret
	.size	args_target, . - args_target

#else
#error "uprobes_targets.S: no probe targets for this architecture"
#endif

	.section .note.GNU-stack, "", @progbits
