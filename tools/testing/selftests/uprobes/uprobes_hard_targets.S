/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probe targets for uprobes_hard whose exact instructions and placement
 * matter. Every probed instruction has a global label, which the test turns
 * into a file offset through the symbol table.
 */

	.text

#if defined(__x86_64__)

/*
 * int hard_estep(int x): an int3 for the tracer, then instructions the
 * kernel emulates when probed (push, nop, jmp rel8), to single-step
 * through. hard_estep_body is also callable on its own. Returns x + 2.
 */
	.globl	hard_estep
	.type	hard_estep, @function
hard_estep:
	int3
	.globl	hard_estep_body
hard_estep_body:
	movl	%edi, %eax
	.globl	hard_estep_push
hard_estep_push:
	pushq	%rbp
	.globl	hard_estep_nop
hard_estep_nop:
	nop
	.globl	hard_estep_jmp
hard_estep_jmp:
	jmp	1f
	ud2
1:	popq	%rbp
	addl	$2, %eax
	ret
	.globl	hard_estep_end
hard_estep_end:
	.size	hard_estep, . - hard_estep

/*
 * int hard_tfstep(int x): sets EFLAGS.TF itself, runs the same emulated
 * instructions as hard_estep, clears TF and returns x + 2. The program's
 * SIGTRAP handler sees one trap per instruction run with TF set.
 */
	.globl	hard_tfstep
	.type	hard_tfstep, @function
hard_tfstep:
	pushfq
	orq	$0x100, (%rsp)
	popfq
	movl	%edi, %eax
	.globl	hard_tfstep_push
hard_tfstep_push:
	pushq	%rbp
	.globl	hard_tfstep_nop
hard_tfstep_nop:
	nop
	.globl	hard_tfstep_jmp
hard_tfstep_jmp:
	jmp	1f
	ud2
1:	popq	%rbp
	addl	$2, %eax
	pushfq
	andq	$~0x100, (%rsp)
	popfq
	.globl	hard_tfstep_off
hard_tfstep_off:
	ret
	.globl	hard_tfstep_end
hard_tfstep_end:
	.size	hard_tfstep, . - hard_tfstep

/* int hard_mul3(int x): returns 3 * x + 1; position independent. */
	.globl	hard_mul3
	.type	hard_mul3, @function
hard_mul3:
	leal	1(%rdi,%rdi,2), %eax
	.globl	hard_mul3_ret
hard_mul3_ret:
	ret
	.size	hard_mul3, . - hard_mul3

/* int hard_fault_load(const int *p): returns *p; faults on a bad p. */
	.globl	hard_fault_load
	.type	hard_fault_load, @function
hard_fault_load:
	movl	(%rdi), %eax
	ret
	.size	hard_fault_load, . - hard_fault_load

/*
 * int hard_step(int x): an int3 for the tracer to stop at, then a short
 * straight-line sequence to single-step through. hard_step_probed is the
 * probed instruction, hard_step_next the one after it. Returns 3 * (x + 8).
 */
	.globl	hard_step
	.type	hard_step, @function
hard_step:
	int3
	.globl	hard_step_body
hard_step_body:
	movl	%edi, %eax
	addl	$3, %eax
	.globl	hard_step_probed
hard_step_probed:
	leal	5(%rax), %eax
	.globl	hard_step_next
hard_step_next:
	imull	$3, %eax, %eax
	nop
	ret
	.globl	hard_step_end
hard_step_end:
	.size	hard_step, . - hard_step

/*
 * hard_page0 is page aligned, in memory and in the file. hard_straddle_insn
 * starts 2 bytes before the end of that page, so its 10 bytes cross the page
 * boundary. hard_last_ret is the last byte of the following page, so it is
 * the last instruction of a one-page mapping of that page.
 */
	.balign	4096
	.globl	hard_page0
hard_page0:
	.org	hard_page0 + 4088, 0xcc
/* long hard_straddle(long x): returns x + 0x1122334455667788. */
	.globl	hard_straddle
	.type	hard_straddle, @function
hard_straddle:
	movq	%rdi, %rcx
	.org	hard_page0 + 4094, 0x90
	.globl	hard_straddle_insn
hard_straddle_insn:
	movabsq	$0x1122334455667788, %rax
	.globl	hard_straddle_add
hard_straddle_add:
	addq	%rcx, %rax
	ret
	.size	hard_straddle, . - hard_straddle

	.org	hard_page0 + 2 * 4096 - 4, 0xcc
/* int hard_last(int x): returns x + 1; its ret ends the page. */
	.globl	hard_last
	.type	hard_last, @function
hard_last:
	leal	1(%rdi), %eax
	.globl	hard_last_ret
hard_last_ret:
	ret
	.size	hard_last, . - hard_last
	.globl	hard_page2
hard_page2:

/*
 * long hard_boost_inc(long *p): increments *p with a locked add, which is
 * neither emulated nor RIP-relative, so that a probe on it runs boosted,
 * and returns the new value; faults on a bad p.
 */
	.globl	hard_boost_inc
	.type	hard_boost_inc, @function
hard_boost_inc:
	lock incq (%rdi)
	movq	(%rdi), %rax
	ret
	.size	hard_boost_inc, . - hard_boost_inc

/*
 * unsigned int hard_boost_many(unsigned int x): x * 3^300, by 300 imuls
 * (boosted, three bytes each) from hard_boost_many_first on: more
 * boostable sites than a boost area has slots.
 */
	.globl	hard_boost_many
	.type	hard_boost_many, @function
hard_boost_many:
	movl	%edi, %eax
	.globl	hard_boost_many_first
hard_boost_many_first:
	.rept	300
	imull	$3, %eax, %eax
	.endr
	ret
	.size	hard_boost_many, . - hard_boost_many

#elif defined(__aarch64__)

/*
 * The arm64 targets of the tests that are not x86's own: hard_mul3(),
 * hard_fault_load() and hard_last(), with the same contracts.
 */

/* int hard_mul3(int x): returns 3 * x + 1; position independent. */
	.globl	hard_mul3
	.type	hard_mul3, @function
hard_mul3:
	add	w0, w0, w0, lsl #1
	add	w0, w0, #1
	.globl	hard_mul3_ret
hard_mul3_ret:
	ret
	.size	hard_mul3, . - hard_mul3

/* int hard_fault_load(const int *p): returns *p; faults on a bad p. */
	.globl	hard_fault_load
	.type	hard_fault_load, @function
hard_fault_load:
	ldr	w0, [x0]
	ret
	.size	hard_fault_load, . - hard_fault_load

/*
 * hard_page0 is page aligned, in memory and in the file; hard_last_ret is
 * the last instruction of the following page, so it is the last
 * instruction of a one-page mapping of that page.
 */
	.balign	4096
	.globl	hard_page0
hard_page0:
	.org	hard_page0 + 2 * 4096 - 8, 0
/* int hard_last(int x): returns x + 1; its ret ends the page. */
	.globl	hard_last
	.type	hard_last, @function
hard_last:
	add	w0, w0, #1
	.globl	hard_last_ret
hard_last_ret:
	ret
	.size	hard_last, . - hard_last
	.globl	hard_page2
hard_page2:

#else
#error "uprobes_hard_targets.S: no probe targets for this architecture"
#endif

	.section .note.GNU-stack, "", @progbits
