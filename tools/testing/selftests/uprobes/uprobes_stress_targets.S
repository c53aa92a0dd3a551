/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probe targets for uprobes_stress. Their first instructions are chosen:
 * stress_step starts with one the x86 code single-steps out of line (a
 * RIP-relative SSE load: neither emulated nor boosted), stress_emul with
 * one it emulates (lea). All of them are position independent, and refer
 * only to their own section, so a copy mapped anywhere from the file runs
 * as well.
 */

	.text

#if defined(__x86_64__)

/*
 * int stress_step(int x): returns 5 * x + 7; its first instruction, which
 * only clobbers %xmm1, is stepped in an XOL slot.
 */
	.globl	stress_step
	.type	stress_step, @function
stress_step:
	movdqu	stress_step_k(%rip), %xmm1
	imull	$5, %edi, %eax
	addl	$7, %eax
	ret
	.size	stress_step, . - stress_step
	.p2align 4
stress_step_k:
	.zero	16

/* int stress_emul(int x): returns 2 * x + 3; its lea is emulated. */
	.globl	stress_emul
	.type	stress_emul, @function
stress_emul:
	leal	3(%rdi,%rdi,1), %eax
	ret
	.size	stress_emul, . - stress_emul

/*
 * int stress_sled(int x): returns x + 1000 through 1000 "addl $1, %eax" of
 * 3 bytes each, from stress_sled_body on: 1000 instruction boundaries.
 */
	.globl	stress_sled
	.type	stress_sled, @function
stress_sled:
	movl	%edi, %eax
	.globl	stress_sled_body
stress_sled_body:
	.rept	1000
	addl	$1, %eax
	.endr
	.globl	stress_sled_end
stress_sled_end:
	ret
	.size	stress_sled, . - stress_sled

/*
 * long stress_block(int fd, void *buf): read(fd, buf, 1) by a raw system
 * call, so a thread can block inside it; returns what read returned + 100.
 */
	.globl	stress_block
	.type	stress_block, @function
stress_block:
	movl	$1, %edx
	xorl	%eax, %eax
	syscall
	addq	$100, %rax
	ret
	.size	stress_block, . - stress_block

/* long stress_block_outer(int fd, void *buf): stress_block(fd, buf) + 1. */
	.globl	stress_block_outer
	.type	stress_block_outer, @function
stress_block_outer:
	pushq	%rbx
	call	stress_block
	addq	$1, %rax
	popq	%rbx
	ret
	.size	stress_block_outer, . - stress_block_outer

/*
 * The semaphore of the SDT probe stress:tick (sdt_site() in
 * uprobes_stress.c): file-backed data, which the kernel increments while a
 * probe registered with its offset as reference counter is attached.
 */
	.section .probes, "aw", @progbits
	.globl	stress_tick_semaphore
	.type	stress_tick_semaphore, @object
	.balign	2
stress_tick_semaphore:
	.short	0
	.size	stress_tick_semaphore, 2
	.text

#else
#error "uprobes_stress_targets.S: no probe targets for this architecture"
#endif

	.section .note.GNU-stack, "", @progbits
