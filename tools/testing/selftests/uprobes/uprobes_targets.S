/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probe targets for uprobes_test whose exact instructions matter, so they
 * are written in assembly. Every probed instruction has its own global
 * label, which the test turns into a file offset through the symbol table.
 */

	.text

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

	.section .note.GNU-stack, "", @progbits
