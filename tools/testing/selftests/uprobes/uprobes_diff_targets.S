/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Targets of uprobes_diff: one function per instruction form. Each loads
 * every general register and EFLAGS from the global diff_state (its %rsp
 * points into diff_state.stack), runs the form at its global label
 * diff_<name>_probe (the probe site), and stores every register, %rsp and
 * EFLAGS back into diff_state. Only mov, which leaves EFLAGS alone, runs
 * between the popfq and the form and between the form and the pushfq, so
 * the same code runs natively and probed. Every form also adds a record
 * (struct diff_form) to the table diff_forms .. diff_forms_end.
 */
#include "uprobes_diff_targets.h"

#if defined(__x86_64__)

#define ST(off)		diff_state + (off)(%rip)
#define MEM(off)	diff_state + DIFF_OFF_MEM + (off)(%rip)

	.bss
	.balign	64
	.globl	diff_state
	.type	diff_state, @object
diff_state:
	.zero	DIFF_STATE_SIZE
	.size	diff_state, DIFF_STATE_SIZE
	.balign	8
diff_host_rsp:
	.zero	8

	.pushsection .data.diff_forms, "aw"
	.balign	8
	.globl	diff_forms
diff_forms:
	.popsection

	.text

	.macro	DIFF_LOAD
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, diff_host_rsp(%rip)
	pushq	ST(DIFF_OFF_FLAGS)
	popfq
	movq	ST(0x00), %rax
	movq	ST(0x08), %rcx
	movq	ST(0x10), %rdx
	movq	ST(0x18), %rbx
	movq	ST(0x28), %rbp
	movq	ST(0x30), %rsi
	movq	ST(0x38), %rdi
	movq	ST(0x40), %r8
	movq	ST(0x48), %r9
	movq	ST(0x50), %r10
	movq	ST(0x58), %r11
	movq	ST(0x60), %r12
	movq	ST(0x68), %r13
	movq	ST(0x70), %r14
	movq	ST(0x78), %r15
	movq	ST(0x20), %rsp
	.endm

	.macro	DIFF_STORE
	movq	%rax, ST(0x00)
	movq	%rcx, ST(0x08)
	movq	%rdx, ST(0x10)
	movq	%rbx, ST(0x18)
	movq	%rsp, ST(0x20)
	movq	%rbp, ST(0x28)
	movq	%rsi, ST(0x30)
	movq	%rdi, ST(0x38)
	movq	%r8, ST(0x40)
	movq	%r9, ST(0x48)
	movq	%r10, ST(0x50)
	movq	%r11, ST(0x58)
	movq	%r12, ST(0x60)
	movq	%r13, ST(0x68)
	movq	%r14, ST(0x70)
	movq	%r15, ST(0x78)
	movq	diff_host_rsp(%rip), %rsp
	pushfq
	popq	ST(DIFF_OFF_FLAGS)
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.endm

	/* The struct diff_form record of diff_\name. */
	.macro	FORM_RECORD name, cont, ptr, idx, flags, undef
	.pushsection .rodata.diff_names, "a"
.Lname_\name:
	.asciz	"\name"
	.popsection
	.pushsection .data.diff_forms, "aw"
	.quad	diff_\name, diff_\name\()_probe, \cont, .Lname_\name
	.long	\ptr, \idx, \flags, \undef
	.popsection
	.endm

	/* FORM name, ptr, idx, flags, undef, instruction */
	.macro	FORM name, ptr, idx, flags, undef, insn:vararg
	FORM_RECORD \name, 0, \ptr, \idx, \flags, \undef
	.globl	diff_\name
	.type	diff_\name, @function
diff_\name:
	DIFF_LOAD
	.globl	diff_\name\()_probe
diff_\name\()_probe:
	\insn
	DIFF_STORE
	.size	diff_\name, . - diff_\name
	.endm

	/* A form that returns: to diff_\name\()_cont, put at %rsp by the test. */
	.macro	FORM_RET name, ptr, idx, flags, undef, insn:vararg
	FORM_RECORD \name, diff_\name\()_cont, \ptr, \idx, (\flags | DS_RET), \undef
	.globl	diff_\name
	.type	diff_\name, @function
diff_\name:
	DIFF_LOAD
	.globl	diff_\name\()_probe
diff_\name\()_probe:
	\insn
	ud2
	.globl	diff_\name\()_cont
diff_\name\()_cont:
	DIFF_STORE
	.size	diff_\name, . - diff_\name
	.endm

/* ---- mov ---- */
	FORM	mov_rr64,	0, 0, 0, 0, movq %rbx, %rax
	FORM	mov_rr64_ld,	0, 0, 0, 0, {load} movq %rbx, %rax
	FORM	mov_rr32,	0, 0, 0, 0, movl %ebx, %eax
	FORM	mov_rr16,	0, 0, 0, 0, movw %bx, %ax
	FORM	mov_rr8,	0, 0, 0, 0, movb %bl, %al
	FORM	mov_hh8,	0, 0, 0, 0, movb %ah, %bh
	FORM	mov_hl8,	0, 0, 0, 0, movb %ch, %dl
	FORM	mov_lh8,	0, 0, 0, 0, movb %dl, %ch
	FORM	mov_rex8,	0, 0, 0, 0, movb %sil, %dil
	FORM	mov_r8b,	0, 0, 0, 0, movb %r8b, %r15b
	FORM	mov_r64x,	0, 0, 0, 0, movq %r9, %r14
	FORM	mov_r32x,	0, 0, 0, 0, movl %r10d, %r11d
	FORM	mov_imm32,	0, 0, 0, 0, movl $0x89abcdef, %ecx
	FORM	mov_imm64,	0, 0, 0, 0, movabsq $0x0123456789abcdef, %rdx
	FORM	mov_imms,	0, 0, 0, 0, movq $-0x70000000, %r10
	FORM	mov_imm16,	0, 0, 0, 0, movw $0x8001, %si
	FORM	mov_imm8h,	0, 0, 0, 0, movb $0x9c, %bh
	FORM	mov_imm8x,	0, 0, 0, 0, movb $0x7f, %r12b
	FORM	mov_ld64,	B_RSI, 0, 0, 0, movq 8(%rsi), %rax
	FORM	mov_ld32,	B_RSI, 0, 0, 0, movl -4(%rsi), %r11d
	FORM	mov_ld16,	B_RSI, 0, 0, 0, movw 2(%rsi), %dx
	FORM	mov_ld8,	B_RSI, 0, 0, 0, movb 5(%rsi), %r13b
	FORM	mov_ld8h,	B_RSI, 0, 0, 0, movb 3(%rsi), %ah
	FORM	mov_ldsib,	B_RBX, B_RCX, 0, 0, movq 0x10(%rbx,%rcx,8), %r12
	FORM	mov_ldsib2,	B_R13, B_R14, 0, 0, movl -0x20(%r13,%r14,2), %edi
	FORM	mov_ldr12,	B_R12, 0, 0, 0, movq 0x18(%r12), %rbx
	FORM	mov_ldr13,	B_R13, 0, 0, 0, movq (%r13), %rcx
	FORM	mov_ldrsp,	0, 0, 0, 0, movq 8(%rsp), %rax
	FORM	mov_ldrbp,	0, 0, DS_BP, 0, movl -8(%rbp), %edx
	FORM	mov_st64,	B_RSI, 0, 0, 0, movq %rax, (%rsi)
	FORM	mov_st32,	B_RSI, 0, 0, 0, movl %r9d, 5(%rsi)
	FORM	mov_st16,	B_RSI, 0, 0, 0, movw %bx, -2(%rsi)
	FORM	mov_st8,	B_RSI, 0, 0, 0, movb %r12b, 7(%rsi)
	FORM	mov_st8h,	B_RSI, 0, 0, 0, movb %ch, 1(%rsi)
	FORM	mov_stsib,	B_RBX, B_RCX, 0, 0, movq %rdx, 8(%rbx,%rcx,4)
	FORM	mov_strsp,	0, 0, 0, 0, movq %rbx, -8(%rsp)
	FORM	mov_sti32,	B_RSI, 0, 0, 0, movl $0xdeadbeef, (%rsi)
	FORM	mov_sti64,	B_RSI, 0, 0, 0, movq $-2, 8(%rsi)
	FORM	mov_sti16,	B_RSI, 0, 0, 0, movw $0x7fff, 4(%rsi)
	FORM	mov_sti8,	B_RSI, 0, 0, 0, movb $0x80, (%rsi)
	FORM	mov_rip64,	0, 0, 0, 0, movq MEM(0x18), %rax
	FORM	mov_rip32,	0, 0, 0, 0, movl MEM(0x21), %r8d
	FORM	mov_rip8h,	0, 0, 0, 0, movb MEM(0x03), %bh
	FORM	mov_ripst,	0, 0, 0, 0, movq %rcx, MEM(0x20)
	FORM	mov_ripsti,	0, 0, 0, 0, movl $0x12345678, MEM(0x2c)
	FORM	mov_fs28,	0, 0, 0, 0, movq %fs:0x28, %rax
	FORM	mov_fs28r13,	0, 0, 0, 0, movq %fs:0x28, %r13
	FORM	mov_fs28d,	0, 0, 0, 0, movl %fs:0x28, %ecx
	FORM	mov_fs0,	0, 0, 0, 0, movq %fs:0, %rdx

/* ---- movzx, movsx, movsxd ---- */
	FORM	movzbl,		0, 0, 0, 0, movzbl %al, %ecx
	FORM	movzbl_h,	0, 0, 0, 0, movzbl %ah, %edx
	FORM	movzbw,		0, 0, 0, 0, movzbw %bl, %si
	FORM	movzbq_m,	B_RSI, 0, 0, 0, movzbq 3(%rsi), %r10
	FORM	movzwl,		0, 0, 0, 0, movzwl %dx, %eax
	FORM	movzwq_m,	B_RSI, 0, 0, 0, movzwq -2(%rsi), %rbx
	FORM	movzbl_rip,	0, 0, 0, 0, movzbl MEM(0x07), %r9d
	FORM	movsbl,		0, 0, 0, 0, movsbl %cl, %eax
	FORM	movsbl_h,	0, 0, 0, 0, movsbl %bh, %edi
	FORM	movsbw,		0, 0, 0, 0, movsbw %dl, %cx
	FORM	movsbq_m,	B_RSI, 0, 0, 0, movsbq 1(%rsi), %r9
	FORM	movswq,		0, 0, 0, 0, movswq %si, %rax
	FORM	movswl_m,	B_RSI, 0, 0, 0, movswl 6(%rsi), %r15d
	FORM	movslq,		0, 0, 0, 0, movslq %eax, %rdx
	FORM	movslq_x,	0, 0, 0, 0, movslq %r8d, %r8
	FORM	movslq_m,	B_RSI, 0, 0, 0, movslq 4(%rsi), %r11
	FORM	movslq_rip,	0, 0, 0, 0, movslq MEM(0x30), %rcx

/* ---- lea ---- */
	FORM	lea_bis,	0, 0, 0, 0, leaq 8(%rax,%rbx,4), %rcx
	FORM	lea_32,		0, 0, 0, 0, leal (%rax,%rbx), %ecx
	FORM	lea_16,		0, 0, 0, 0, leaw -1(%rax,%rdx,2), %si
	FORM	lea_noidx,	0, 0, 0, 0, leaq 0x12345678(,%rbx,8), %rdx
	FORM	lea_disp8,	0, 0, 0, 0, leaq -0x80(%rbp), %rax
	FORM	lea_r12r13,	0, 0, 0, 0, leaq 0x7f(%r12,%r13,1), %r14
	FORM	lea_r13,	0, 0, 0, 0, leaq (%r13), %r15
	FORM	lea_rsp,	0, 0, 0, 0, leaq 0x10(%rsp), %rax
	FORM	lea_a32,	0, 0, 0, 0, leal (%eax,%ebx,2), %ecx
	FORM	lea_rip,	0, 0, 0, 0, leaq MEM(0), %rax
	FORM	lea_rip32,	0, 0, 0, 0, leal MEM(0x40), %r9d
	FORM	lea_ripnext,	0, 0, 0, 0, leaq 0(%rip), %r9

/*
 * ---- two-operand ALU ops: ALU op, undef ----
 * Register, immediate (imm8, imm32 and the accumulator short forms),
 * memory destination and source, SIB and RIP-relative operands, in 8
 * (low and high byte), 16, 32 and 64 bits.
 */
	.macro	ALU op, u
	FORM	\op\()_rr64,	0, 0, 0, \u, \op\()q %rbx, %rax
	FORM	\op\()_rr64_ld,	0, 0, 0, \u, {load} \op\()q %rbx, %rax
	FORM	\op\()_rr32,	0, 0, 0, \u, \op\()l %ecx, %edx
	FORM	\op\()_rr16,	0, 0, 0, \u, \op\()w %si, %di
	FORM	\op\()_rr8,	0, 0, 0, \u, \op\()b %bl, %al
	FORM	\op\()_rh8,	0, 0, 0, \u, \op\()b %ah, %ch
	FORM	\op\()_rx8,	0, 0, 0, \u, \op\()b %r9b, %sil
	FORM	\op\()_rx64,	0, 0, 0, \u, \op\()q %r13, %r8
	FORM	\op\()_same,	0, 0, 0, \u, \op\()l %eax, %eax
	FORM	\op\()_ri8,	0, 0, 0, \u, \op\()q $-3, %rcx
	FORM	\op\()_ri32,	0, 0, 0, \u, \op\()l $0x12345678, %r11d
	FORM	\op\()_ri16,	0, 0, 0, \u, \op\()w $0x1234, %bx
	FORM	\op\()_rih8,	0, 0, 0, \u, \op\()b $0x81, %bh
	FORM	\op\()_acc8,	0, 0, 0, \u, \op\()b $0x80, %al
	FORM	\op\()_acc16,	0, 0, 0, \u, \op\()w $0x8000, %ax
	FORM	\op\()_acc32,	0, 0, 0, \u, \op\()l $0x7fffffff, %eax
	FORM	\op\()_acc64,	0, 0, 0, \u, \op\()q $-0x80000000, %rax
	FORM	\op\()_m64,	B_RSI, 0, 0, \u, \op\()q %rax, (%rsi)
	FORM	\op\()_m8h,	B_RSI, 0, 0, \u, \op\()b %bh, 3(%rsi)
	FORM	\op\()_lm32,	B_RSI, 0, 0, \u, \op\()l 4(%rsi), %ecx
	FORM	\op\()_lm16,	B_RSI, 0, 0, \u, \op\()w -2(%rsi), %r12w
	FORM	\op\()_mi8,	B_RSI, 0, 0, \u, \op\()b $0x7f, 1(%rsi)
	FORM	\op\()_mi16,	B_RSI, 0, 0, \u, \op\()w $-2, 2(%rsi)
	FORM	\op\()_mi32,	B_RSI, 0, 0, \u, \op\()l $0x80000000, (%rsi)
	FORM	\op\()_mis64,	B_RBX, B_RCX, 0, \u, \op\()q $-1, 8(%rbx,%rcx,4)
	FORM	\op\()_rip,	0, 0, 0, \u, \op\()q MEM(0x10), %rdx
	.endm

	ALU	add, 0
	ALU	sub, 0
	ALU	and, F_AF
	ALU	or, F_AF
	ALU	xor, F_AF
	ALU	cmp, 0
	ALU	adc, 0
	ALU	sbb, 0

/* ---- test (AF undefined) ---- */
	FORM	test_rr64,	0, 0, 0, F_AF, testq %rbx, %rax
	FORM	test_rr32,	0, 0, 0, F_AF, testl %ecx, %edx
	FORM	test_same,	0, 0, 0, F_AF, testl %eax, %eax
	FORM	test_rr16,	0, 0, 0, F_AF, testw %si, %di
	FORM	test_rh8,	0, 0, 0, F_AF, testb %ah, %bl
	FORM	test_rx8,	0, 0, 0, F_AF, testb %r10b, %r10b
	FORM	test_acc8,	0, 0, 0, F_AF, testb $0x80, %al
	FORM	test_acc32,	0, 0, 0, F_AF, testl $0x12345678, %eax
	FORM	test_ri64,	0, 0, 0, F_AF, testq $-0x10, %r8
	FORM	test_ri16,	0, 0, 0, F_AF, testw $0x8000, %dx
	FORM	test_rih8,	0, 0, 0, F_AF, testb $0x41, %ch
	FORM	test_mi8,	B_RSI, 0, 0, F_AF, testb $1, (%rsi)
	FORM	test_m64,	B_RSI, 0, 0, F_AF, testq %rax, 8(%rsi)
	FORM	test_mi32,	B_RSI, 0, 0, F_AF, testl $0x80000001, 4(%rsi)
	FORM	test_rip,	0, 0, 0, F_AF, testq %rcx, MEM(0x08)

/* ---- inc, dec (CF kept), neg, not ---- */
	.macro	UNARY op
	FORM	\op\()_r64,	0, 0, 0, 0, \op\()q %rax
	FORM	\op\()_r32,	0, 0, 0, 0, \op\()l %r10d
	FORM	\op\()_r16,	0, 0, 0, 0, \op\()w %dx
	FORM	\op\()_r8,	0, 0, 0, 0, \op\()b %bl
	FORM	\op\()_r8h,	0, 0, 0, 0, \op\()b %ch
	FORM	\op\()_r8x,	0, 0, 0, 0, \op\()b %r9b
	FORM	\op\()_m64,	B_RSI, 0, 0, 0, \op\()q (%rsi)
	FORM	\op\()_m32,	B_RSI, 0, 0, 0, \op\()l 4(%rsi)
	FORM	\op\()_m16,	B_RSI, 0, 0, 0, \op\()w 2(%rsi)
	FORM	\op\()_m8,	B_RSI, 0, 0, 0, \op\()b -1(%rsi)
	FORM	\op\()_rip,	0, 0, 0, 0, \op\()l MEM(0x14)
	.endm

	UNARY	inc
	UNARY	dec
	UNARY	neg
	UNARY	not

/*
 * ---- shifts and rotates: by one, by an immediate, by %cl (a random %cl
 * that masks to zero is stepped) ----  AF is undefined for shifts, OF for
 * counts above one; the emulation takes both from this CPU anyway.
 */
	.macro	SHIFT op
	FORM	\op\()_1r64,	0, 0, 0, F_AF, \op\()q %rax
	FORM	\op\()_1r32,	0, 0, 0, F_AF, \op\()l $1, %r10d
	FORM	\op\()_1r8h,	0, 0, 0, F_AF, \op\()b %ch
	FORM	\op\()_ir64,	0, 0, 0, F_AF | F_OF, \op\()q $5, %rbx
	FORM	\op\()_ir32,	0, 0, 0, F_AF | F_OF, \op\()l $31, %edx
	FORM	\op\()_ir16,	0, 0, 0, F_AF | F_OF, \op\()w $9, %si
	FORM	\op\()_ir8,	0, 0, 0, F_AF | F_OF, \op\()b $3, %r9b
	FORM	\op\()_im64,	0, 0, 0, F_AF | F_OF, \op\()q $0x3f, %r12
	FORM	\op\()_clr64,	0, 0, 0, F_AF | F_OF, \op\()q %cl, %rdi
	FORM	\op\()_clr32,	0, 0, 0, F_AF | F_OF, \op\()l %cl, %eax
	FORM	\op\()_clr8,	0, 0, 0, F_AF | F_OF, \op\()b %cl, %bl
	FORM	\op\()_clcl,	0, 0, 0, F_AF | F_OF, \op\()b %cl, %cl
	FORM	\op\()_m64,	B_RSI, 0, 0, F_AF | F_OF, \op\()q $7, 8(%rsi)
	FORM	\op\()_m16,	B_RSI, 0, 0, F_AF, \op\()w 2(%rsi)
	FORM	\op\()_clm32,	B_RSI, 0, 0, F_AF | F_OF, \op\()l %cl, 4(%rsi)
	FORM	\op\()_rip,	0, 0, 0, F_AF | F_OF, \op\()l $3, MEM(0x14)
	.endm

	SHIFT	shl
	SHIFT	shr
	SHIFT	sar
	SHIFT	rol
	SHIFT	ror
	SHIFT	rcl

/* ---- push, pop, leave, ret ---- */
	FORM	push_i8,	0, 0, 0, 0, pushq $-5
	FORM	push_i32,	0, 0, 0, 0, pushq $0x12345678
	FORM	push_i32n,	0, 0, 0, 0, pushq $-0x70000000
	FORM	push_i16,	0, 0, 0, 0, pushw $0x8001
	FORM	push_rbx,	0, 0, 0, 0, pushq %rbx
	FORM	push_r12,	0, 0, 0, 0, pushq %r12
	FORM	push_rsp,	0, 0, 0, 0, pushq %rsp
	FORM	push_m,		B_RSI, 0, 0, 0, pushq 8(%rsi)
	FORM	pop_rax,	0, 0, 0, 0, popq %rax
	FORM	pop_rbp,	0, 0, 0, 0, popq %rbp
	FORM	pop_rdi,	0, 0, 0, 0, popq %rdi
	FORM	pop_r12,	0, 0, 0, 0, popq %r12
	FORM	pop_r15,	0, 0, 0, 0, popq %r15
	FORM	pop_rsp,	0, 0, 0, 0, popq %rsp
	FORM	pop_w,		0, 0, 0, 0, popw %ax
	FORM	pop_m,		B_RSI, 0, 0, 0, popq (%rsi)
	FORM	leave,		0, 0, DS_BP, 0, leaveq
	FORM	leave_w,	0, 0, DS_BP, 0, leavew
	FORM_RET ret,		0, 0, 0, 0, retq
	FORM_RET ret_imm,	0, 0, 0, 0, retq $0x18
	FORM_RET ret_imm0,	0, 0, 0, 0, retq $0
	FORM_RET ret_rep,	0, 0, 0, 0, repz retq

/* ---- xchg reg, reg ---- */
	FORM	xchg_64,	0, 0, 0, 0, xchgq %rcx, %rdx
	FORM	xchg_acc64,	0, 0, 0, 0, xchgq %rbx, %rax
	FORM	xchg_acc32,	0, 0, 0, 0, xchgl %ecx, %eax
	FORM	xchg_eaxeax,	0, 0, 0, 0, xchgl %eax, %eax
	FORM	xchg_32x,	0, 0, 0, 0, xchgl %ecx, %r9d
	FORM	xchg_16,	0, 0, 0, 0, xchgw %dx, %si
	FORM	xchg_8h,	0, 0, 0, 0, xchgb %ah, %bl
	FORM	xchg_8x,	0, 0, 0, 0, xchgb %sil, %r11b
	FORM	xchg_x64,	0, 0, 0, 0, xchgq %r14, %r15

/* ---- setcc ---- */
	FORM	seto,		0, 0, 0, 0, seto %al
	FORM	setno,		0, 0, 0, 0, setno %bl
	FORM	setb,		0, 0, 0, 0, setb %ch
	FORM	setae,		0, 0, 0, 0, setae %dl
	FORM	sete,		0, 0, 0, 0, sete %sil
	FORM	setne,		0, 0, 0, 0, setne %r8b
	FORM	setbe,		0, 0, 0, 0, setbe %ah
	FORM	seta,		0, 0, 0, 0, seta %r15b
	FORM	sets_m,		B_RSI, 0, 0, 0, sets (%rsi)
	FORM	setns_m,	B_RSI, 0, 0, 0, setns 1(%rsi)
	FORM	setp,		0, 0, 0, 0, setp %cl
	FORM	setnp,		0, 0, 0, 0, setnp %dh
	FORM	setl,		0, 0, 0, 0, setl %bh
	FORM	setge,		0, 0, 0, 0, setge %r11b
	FORM	setle,		0, 0, 0, 0, setle %dil
	FORM	setg_m,		B_RSI, 0, 0, 0, setg 7(%rsi)

/* ---- cmovcc (a 32-bit cmov zero-extends even when not taken) ---- */
	FORM	cmovo,		0, 0, 0, 0, cmovoq %rbx, %rax
	FORM	cmovno,		0, 0, 0, 0, cmovnol %ecx, %edx
	FORM	cmovb,		0, 0, 0, 0, cmovbw %si, %di
	FORM	cmovae_m,	B_RSI, 0, 0, 0, cmovaeq 8(%rsi), %r9
	FORM	cmove,		0, 0, 0, 0, cmoveq %r10, %r11
	FORM	cmovne,		0, 0, 0, 0, cmovnel %r12d, %r13d
	FORM	cmovbe,		0, 0, 0, 0, cmovbeq %rax, %rcx
	FORM	cmova_m,	B_RSI, 0, 0, 0, cmoval 4(%rsi), %eax
	FORM	cmovs,		0, 0, 0, 0, cmovsq %rdx, %rbx
	FORM	cmovns,		0, 0, 0, 0, cmovnsl %edi, %esi
	FORM	cmovp,		0, 0, 0, 0, cmovpw %r8w, %r9w
	FORM	cmovnp,		0, 0, 0, 0, cmovnpq %r14, %r15
	FORM	cmovl,		0, 0, 0, 0, cmovlq %rcx, %rax
	FORM	cmovge,		0, 0, 0, 0, cmovgel %eax, %ecx
	FORM	cmovle_rip,	0, 0, 0, 0, cmovleq MEM(0x28), %rdx
	FORM	cmovg,		0, 0, 0, 0, cmovgq %rbp, %rsi

/*
 * ---- faults: memory operands at an unmapped or a read-only page, or
 * straddling into one; %rsp or %rbp there for the stack forms ----
 */
	FORM	f_mov_ld,	B_RSI, 0, DS_UNMAPPED, 0, movq (%rsi), %rax
	FORM	f_mov_ld8h,	B_RSI, 0, DS_UNMAPPED, 0, movb 3(%rsi), %ah
	FORM	f_mov_ldsib,	B_RBX, B_RCX, DS_UNMAPPED, 0, movq 0x10(%rbx,%rcx,8), %rdx
	FORM	f_mov_st,	B_RSI, 0, DS_RO, 0, movq %rax, (%rsi)
	FORM	f_mov_st_unm,	B_RSI, 0, DS_UNMAPPED, 0, movl %ecx, 4(%rsi)
	FORM	f_mov_sti,	B_RSI, 0, DS_RO, 0, movl $1, (%rsi)
	FORM	f_movzx,	B_RSI, 0, DS_UNMAPPED, 0, movzbl (%rsi), %eax
	FORM	f_movslq,	B_RSI, 0, DS_UNMAPPED, 0, movslq (%rsi), %rax
	FORM	f_add_rmw,	B_RSI, 0, DS_RO, 0, addq %rax, (%rsi)
	FORM	f_add_ld,	B_RSI, 0, DS_UNMAPPED, 0, addq 8(%rsi), %rcx
	FORM	f_and_mi,	B_RSI, 0, DS_RO, F_AF, andl $0x7f, (%rsi)
	FORM	f_cmp_ld,	B_RSI, 0, DS_UNMAPPED, 0, cmpq $1, (%rsi)
	FORM	f_test_ld,	B_RSI, 0, DS_UNMAPPED, F_AF, testl %eax, (%rsi)
	FORM	f_cmov,		B_RSI, 0, DS_UNMAPPED, 0, cmovoq (%rsi), %rax
	FORM	f_inc,		B_RSI, 0, DS_RO, 0, incl (%rsi)
	FORM	f_neg,		B_RSI, 0, DS_RO, 0, negq (%rsi)
	FORM	f_not,		B_RSI, 0, DS_RO, 0, notb (%rsi)
	FORM	f_setcc,	B_RSI, 0, DS_RO, 0, sete (%rsi)
	FORM	f_shl,		B_RSI, 0, DS_RO, F_AF | F_OF, shlq $3, (%rsi)
	FORM	f_sar_ld,	B_RSI, 0, DS_UNMAPPED, F_AF | F_OF, sarl %cl, (%rsi)
	FORM	f_ld_straddle,	B_RSI, 0, DS_STRADDLE, 0, movq (%rsi), %rax
	FORM	f_st_straddle,	B_RSI, 0, DS_STRADDLE_RO, 0, movq %rax, (%rsi)
	FORM	f_add_straddle,	B_RSI, 0, DS_STRADDLE_RO, 0, addq %rax, (%rsi)
	FORM	f_pop,		B_RSP, 0, DS_UNMAPPED, 0, popq %rax
	FORM	f_pop_straddle,	B_RSP, 0, DS_STRADDLE, 0, popq %rbx
	FORM	f_push_i,	B_RSP, 0, DS_RO, 0, pushq $1
	FORM	f_push_r,	B_RSP, 0, DS_RO, 0, pushq %rbx
	FORM	f_leave,	B_RBP, 0, DS_UNMAPPED, 0, leaveq
	FORM	f_ret,		B_RSP, 0, DS_UNMAPPED, 0, retq
	FORM	f_ret_imm,	B_RSP, 0, DS_UNMAPPED, 0, retq $8

	.pushsection .data.diff_forms, "aw"
	.globl	diff_forms_end
diff_forms_end:
	.popsection

#else
#error "the uprobes_diff forms are x86-64 instructions"
#endif

	.section .note.GNU-stack, "", @progbits
