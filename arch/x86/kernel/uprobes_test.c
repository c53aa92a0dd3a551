// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit test of the x86 uprobes instruction analysis and emulation.
 *
 * Included at the end of arch/x86/kernel/uprobes.c (when
 * CONFIG_UPROBES_KUNIT_TEST=y) so it can call the static helpers.  Most of
 * it needs no task and no mm: it decodes byte patterns with uprobe_analyze()
 * and runs the register-only emulators (jmp, jcc, loop, nop, and the moves
 * and arithmetic of alu_emulate()) on a pt_regs on the stack.  The hooks
 * that touch user memory (call, the memory and stack forms of
 * alu_emulate(), and the post-step fix-ups) run on a KUnit-managed user
 * mapping of the test thread.
 */

#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/unaligned.h>

/* Expected outcome of uprobe_analyze() */
enum ut_class {
	UT_REFUSED,	/* -EOPNOTSUPP */
	UT_INVALID,	/* -EINVAL */
	UT_STEP,	/* stepped, IP moved back (FIX_IP) */
	UT_STEP_ABS,	/* stepped, IP left alone (ret, jmp *) */
	UT_STEP_CALL,	/* stepped, pushed return address fixed (call *) */
	UT_STEP_PUSHF,	/* stepped, TF cleared in the pushed image */
	UT_BRANCH,	/* emulated relative branch */
	UT_PUSH,	/* emulated push reg */
	UT_NOP,		/* emulated no-op */
	UT_ALU,		/* emulated move/arithmetic, stepped fallback FIX_IP */
	UT_ALU_ABS,	/* emulated, stepped fallback leaves IP alone (ret) */
	UT_BOOST,	/* run from a copy that jumps back, or stepped (FIX_IP) */
};

/* Expected RIP-relative scratch register */
enum ut_rip {
	UT_NORIP,
	UT_SI,
	UT_DI,
	UT_BP,
};

struct ut_insn_case {
	const char	*name;
	u8		bytes[MAX_UINSN_BYTES];
	bool		x86_64;
	u8		class;
	u8		rip;
};

#define I64(_name, _class, _rip, ...) \
	{ .name = _name, .bytes = { __VA_ARGS__ }, .x86_64 = true, .class = _class, .rip = _rip }
#define I32(_name, _class, ...) \
	{ .name = _name, .bytes = { __VA_ARGS__ }, .x86_64 = false, .class = _class }

static const struct ut_insn_case ut_insn_cases[] = {
	/* emulated */
	I64("nop", UT_NOP, 0, 0x90),
	I64("66 nop", UT_NOP, 0, 0x66, 0x90),
	I64("rex.w nop", UT_NOP, 0, 0x48, 0x90),
	I64("xchg %eax,%r8d", UT_BOOST, 0, 0x41, 0x90),
	I64("pause", UT_NOP, 0, 0xf3, 0x90),
	I64("nopl (%rax)", UT_NOP, 0, 0x0f, 0x1f, 0x00),
	I64("nopw 0(%rax,%rax)", UT_NOP, 0, 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00),
	I64("nopw %cs:0(%rax,%rax)", UT_NOP, 0,
	    0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00),
	I64("nopl 0(%rip) (no access)", UT_NOP, 0, 0x0f, 0x1f, 0x05, 1, 2, 3, 4),
	I64("hint nop 0f 1f /1", UT_BOOST, 0, 0x0f, 0x1f, 0x08),
	I64("endbr64", UT_NOP, 0, 0xf3, 0x0f, 0x1e, 0xfa),
	I64("endbr32", UT_NOP, 0, 0xf3, 0x0f, 0x1e, 0xfb),
	I64("rdsspq %rax", UT_BOOST, 0, 0xf3, 0x48, 0x0f, 0x1e, 0xc8),
	I64("jmp rel8", UT_BRANCH, 0, 0xeb, 0x10),
	I64("jmp rel32", UT_BRANCH, 0, 0xe9, 0x00, 0x10, 0x00, 0x00),
	I64("call rel32", UT_BRANCH, 0, 0xe8, 0xfb, 0xff, 0xff, 0xff),
	I64("bnd jmp rel32", UT_BRANCH, 0, 0xf2, 0xe9, 0x00, 0x10, 0x00, 0x00),
	I64("ds jcc hint", UT_BRANCH, 0, 0x3e, 0x74, 0x02),
	I64("loop", UT_BRANCH, 0, 0xe2, 0xfe),
	I64("loope", UT_BRANCH, 0, 0xe1, 0xfe),
	I64("loopne", UT_BRANCH, 0, 0xe0, 0xfe),
	I64("jrcxz", UT_BRANCH, 0, 0xe3, 0x05),
	I64("push %rbp", UT_PUSH, 0, 0x55),
	I64("push %r15", UT_PUSH, 0, 0x41, 0x57),
	I64("push %r12", UT_PUSH, 0, 0x41, 0x54),
	I64("push %rsp", UT_PUSH, 0, 0x54),
	I64("pushw %bx (16-bit)", UT_BOOST, 0, 0x66, 0x53),
	I32("push %ebp", UT_PUSH, 0x55),
	I32("jmp rel32 (32-bit)", UT_BRANCH, 0xe9, 0x00, 0x10, 0x00, 0x00),
	I32("call rel32 (32-bit)", UT_BRANCH, 0xe8, 0x00, 0x00, 0x00, 0x00),
	I32("jecxz", UT_BRANCH, 0xe3, 0x05),
	I32("inc %eax is not a REX", UT_STEP, 0x40),
	/* stepped, special fix-ups */
	I64("ret", UT_ALU_ABS, 0, 0xc3),
	I64("rep ret", UT_STEP_ABS, 0, 0xf3, 0xc3),
	I64("ret $8", UT_ALU_ABS, 0, 0xc2, 0x08, 0x00),
	I64("jmp *%rax", UT_STEP_ABS, 0, 0xff, 0xe0),
	I64("notrack jmp *%rax", UT_STEP_ABS, 0, 0x3e, 0xff, 0xe0),
	I64("jmp *0x10(%rip)", UT_STEP_ABS, UT_SI, 0xff, 0x25, 0x10, 0, 0, 0),
	I64("call *%rax", UT_STEP_CALL, 0, 0xff, 0xd0),
	I64("call *%rsi", UT_STEP_CALL, 0, 0xff, 0xd6),
	I64("call *0x8(%rbx)", UT_STEP_CALL, 0, 0xff, 0x53, 0x08),
	I64("call *0x10(%rip)", UT_STEP_CALL, UT_SI, 0xff, 0x15, 0x10, 0, 0, 0),
	I64("call *%r11", UT_STEP_CALL, 0, 0x41, 0xff, 0xd3),
	I32("call *%eax (32-bit)", UT_STEP_CALL, 0xff, 0xd0),
	I32("ret (32-bit)", UT_STEP_ABS, 0xc3),
	I64("pushf", UT_STEP_PUSHF, 0, 0x9c),
	I32("pushfl", UT_STEP_PUSHF, 0x9c),
	/* stepped, plain */
	I64("mov %rsp,%rbp", UT_ALU, 0, 0x48, 0x89, 0xe5),
	I64("sub $0x10,%rsp", UT_ALU, 0, 0x48, 0x83, 0xec, 0x10),
	I64("mov %fs:0x28,%rax", UT_ALU, 0,
	    0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0),
	I64("lock cmpxchg %ecx,(%rdx)", UT_BOOST, 0, 0xf0, 0x0f, 0xb1, 0x0a),
	I64("lock addl $1,(%rdi)", UT_BOOST, 0, 0xf0, 0x83, 0x07, 0x01),
	I64("movsb", UT_BOOST, 0, 0xa4),
	I64("stosq", UT_BOOST, 0, 0x48, 0xab),
	I64("in $0x60,%al", UT_BOOST, 0, 0xe4, 0x60),
	I64("out %al,(%dx)", UT_BOOST, 0, 0xee),
	I64("insb", UT_BOOST, 0, 0x6c),
	I64("hlt", UT_BOOST, 0, 0xf4),
	I64("ud2", UT_BOOST, 0, 0x0f, 0x0b),
	I64("cpuid", UT_BOOST, 0, 0x0f, 0xa2),
	I64("rdtsc", UT_BOOST, 0, 0x0f, 0x31),
	I64("xabort $1", UT_BOOST, 0, 0xc6, 0xf8, 0x01),
	I64("xend", UT_BOOST, 0, 0x0f, 0x01, 0xd5),
	I64("rdpkru", UT_BOOST, 0, 0x0f, 0x01, 0xee),
	I64("wrpkru (may deny the jump back)", UT_STEP, 0, 0x0f, 0x01, 0xef),
	I64("xrstor (%rdi) (restores PKRU)", UT_STEP, 0, 0x0f, 0xae, 0x2f),
	I64("xrstor64 (%rdi)", UT_STEP, 0, 0x48, 0x0f, 0xae, 0x2f),
	I64("xsave (%rdi)", UT_BOOST, 0, 0x0f, 0xae, 0x27),
	I64("lfence (0f ae /5, register)", UT_BOOST, 0, 0x0f, 0xae, 0xe8),
	I64("leave", UT_ALU, 0, 0xc9),
	I64("mov %ds,%eax", UT_BOOST, 0, 0x8c, 0xd8),
	I64("mov %eax,%es", UT_BOOST, 0, 0x8e, 0xc0),
	I64("fldz", UT_BOOST, 0, 0xd9, 0xee),
	I64("vzeroupper", UT_BOOST, 0, 0xc5, 0xf8, 0x77),
	I64("movabs 0x1122334455667788,%al", UT_BOOST, 0,
	    0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	I32("mov 0x1234,%eax (disp32, not rip)", UT_STEP,
	    0x8b, 0x05, 0x34, 0x12, 0, 0),
	I32("pop %es", UT_STEP, 0x07),
	I32("bound", UT_STEP, 0x62, 0x03),
	I32("daa", UT_STEP, 0x27),
	/* RIP-relative rewrites */
	I64("mov 0x10(%rip),%rax", UT_ALU, UT_SI, 0x48, 0x8b, 0x05, 0x10, 0, 0, 0),
	I64("mov 0x10(%rip),%rsi", UT_ALU, UT_DI, 0x48, 0x8b, 0x35, 0x10, 0, 0, 0),
	I64("lea 0x10(%rip),%rdi", UT_ALU, UT_SI, 0x48, 0x8d, 0x3d, 0x10, 0, 0, 0),
	I64("lea 0x10(%rip),%r14", UT_ALU, UT_DI, 0x4c, 0x8d, 0x35, 0x10, 0, 0, 0),
	I64("cmpl $1,0x10(%rip) (imm after disp)", UT_ALU, UT_SI,
	    0x83, 0x3d, 0x10, 0, 0, 0, 0x01),
	I64("movl $5,0x10(%rip)", UT_ALU, UT_SI,
	    0xc7, 0x05, 0x10, 0, 0, 0, 5, 0, 0, 0),
	I64("lock incl 0x10(%rip)", UT_STEP, UT_SI, 0xf0, 0xff, 0x05, 0x10, 0, 0, 0),
	I64("cmpxchg16b 0x10(%rip)", UT_STEP, UT_SI,
	    0x48, 0x0f, 0xc7, 0x0d, 0x10, 0, 0, 0),
	I64("mul 0x10(%rip)", UT_STEP, UT_SI, 0x48, 0xf7, 0x25, 0x10, 0, 0, 0),
	I64("eip-relative (addr32)", UT_STEP, UT_SI, 0x67, 0x8b, 0x05, 0x10, 0, 0, 0),
	I64("rex.b ignored on rip (not first byte)", UT_ALU, UT_SI,
	    0x2e, 0x49, 0x8b, 0x05, 0x10, 0, 0, 0),
	I64("rex.b on rip in first byte", UT_REFUSED, 0, 0x49, 0x8b, 0x05, 0x10, 0, 0, 0),
	I64("pushq 0x10(%rip)", UT_STEP, UT_DI, 0xff, 0x35, 0x10, 0, 0, 0),
	I64("vmovdqu 0x10(%rip),%xmm6 (vex2)", UT_STEP, UT_DI,
	    0xc5, 0xfa, 0x6f, 0x35, 0x10, 0, 0, 0),
	I64("vmovdqu 0x10(%rip),%xmm1 (vex3 B set)", UT_STEP, UT_SI,
	    0xc4, 0xc1, 0x7a, 0x6f, 0x0d, 0x10, 0, 0, 0),
	I64("vpaddd 0x10(%rip),%ymm6,%ymm7", UT_STEP, UT_BP,
	    0xc5, 0xcd, 0xfe, 0x3d, 0x10, 0, 0, 0),
	I64("sarx %esi,0x10(%rip),%edi", UT_STEP, UT_BP,
	    0xc4, 0xe2, 0x4a, 0xf7, 0x3d, 0x10, 0, 0, 0),
	I64("vmovdqu32 0x10(%rip),%zmm0 (evex)", UT_STEP, UT_SI,
	    0x62, 0xf1, 0x7e, 0x48, 0x6f, 0x05, 0x10, 0, 0, 0),
	/* emulated moves and arithmetic */
	I64("mov %rdi,%rbx", UT_ALU, 0, 0x48, 0x89, 0xfb),
	I64("mov %edi,%r12d", UT_ALU, 0, 0x41, 0x89, 0xfc),
	I64("mov 0x8(%rsp),%rax", UT_ALU, 0, 0x48, 0x8b, 0x44, 0x24, 0x08),
	I64("mov %rax,-0x8(%rbp)", UT_ALU, 0, 0x48, 0x89, 0x45, 0xf8),
	I64("mov %al,(%rdi,%rcx,1)", UT_ALU, 0, 0x88, 0x04, 0x0f),
	I64("movw $1,(%rax)", UT_ALU, 0, 0x66, 0xc7, 0x00, 0x01, 0x00),
	I64("movb $1,0x10(%rip)", UT_ALU, UT_SI, 0xc6, 0x05, 0x10, 0, 0, 0, 0x01),
	I64("mov $1,%eax", UT_ALU, 0, 0xb8, 0x01, 0, 0, 0),
	I64("mov $1,%ah", UT_ALU, 0, 0xb4, 0x01),
	I64("movabs $imm64,%r8", UT_ALU, 0, 0x49, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8),
	I64("mov %gs:0x10,%rax", UT_ALU, 0, 0x65, 0x48, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0),
	I64("mov %ds:(%rax),%eax (ignored)", UT_ALU, 0, 0x3e, 0x8b, 0x00),
	I64("movzbl %al,%eax", UT_ALU, 0, 0x0f, 0xb6, 0xc0),
	I64("movzwl (%rdi),%eax", UT_ALU, 0, 0x0f, 0xb7, 0x07),
	I64("movsbq %al,%rax", UT_ALU, 0, 0x48, 0x0f, 0xbe, 0xc0),
	I64("movslq %edi,%rdi", UT_ALU, 0, 0x48, 0x63, 0xff),
	I64("movsxd without rex.w", UT_BOOST, 0, 0x63, 0xff),
	I64("lea 0x8(%rdi,%rsi,4),%rax", UT_ALU, 0, 0x48, 0x8d, 0x44, 0xb7, 0x08),
	I64("add $0x8,%rsp", UT_ALU, 0, 0x48, 0x83, 0xc4, 0x08),
	I64("add (%rdi),%eax", UT_ALU, 0, 0x03, 0x07),
	I64("add %eax,(%rdi)", UT_ALU, 0, 0x01, 0x07),
	I64("add $0x10,%al", UT_ALU, 0, 0x04, 0x10),
	I64("and $-16,%rsp", UT_ALU, 0, 0x48, 0x83, 0xe4, 0xf0),
	I64("or $0x1,%ecx", UT_ALU, 0, 0x81, 0xc9, 0x01, 0, 0, 0),
	I64("xor %eax,%eax", UT_ALU, 0, 0x31, 0xc0),
	I64("cmp $0x1,%edi", UT_ALU, 0, 0x83, 0xff, 0x01),
	I64("cmpb $0,(%rdi)", UT_ALU, 0, 0x80, 0x3f, 0x00),
	I64("test %rdi,%rdi", UT_ALU, 0, 0x48, 0x85, 0xff),
	I64("test $0x1,%al", UT_ALU, 0, 0xa8, 0x01),
	I64("testb $1,(%rdi)", UT_ALU, 0, 0xf6, 0x07, 0x01),
	I64("test f7 /1 (alias)", UT_BOOST, 0, 0xf7, 0xc8, 1, 0, 0, 0),
	I64("inc %eax", UT_ALU, 0, 0xff, 0xc0),
	I64("decq (%rdi)", UT_ALU, 0, 0x48, 0xff, 0x0f),
	I64("neg %rax", UT_ALU, 0, 0x48, 0xf7, 0xd8),
	I64("not %r8", UT_ALU, 0, 0x49, 0xf7, 0xd0),
	I64("mul %rax (not emulated)", UT_BOOST, 0, 0x48, 0xf7, 0xe0),
	I64("shl $3,%rax", UT_ALU, 0, 0x48, 0xc1, 0xe0, 0x03),
	I64("shr %edx", UT_ALU, 0, 0xd1, 0xea),
	I64("sar %cl,%r9", UT_ALU, 0, 0x49, 0xd3, 0xf9),
	I64("rol $8,%ax", UT_ALU, 0, 0x66, 0xc1, 0xc0, 0x08),
	I64("ror $1,(%rdi)", UT_ALU, 0, 0xd0, 0x0f),
	I64("shlq $4,0x10(%rip)", UT_ALU, UT_SI, 0x48, 0xc1, 0x25, 0x10, 0, 0, 0, 0x04),
	I64("shl $0,%eax (count zero)", UT_BOOST, 0, 0xc1, 0xe0, 0x00),
	I64("shl $0x40,%rax (masked to zero)", UT_BOOST, 0, 0x48, 0xc1, 0xe0, 0x40),
	I64("rcl $1,%eax (takes CF)", UT_BOOST, 0, 0xd1, 0xd0),
	I64("rcr %cl,%eax (takes CF)", UT_BOOST, 0, 0xd3, 0xd8),
	I64("sal /6 (undocumented)", UT_BOOST, 0, 0xc1, 0xf0, 0x01),
	I32("shl $2,%eax (32-bit)", UT_ALU, 0xc1, 0xe0, 0x02),
	I64("xchg %rax,%rbx", UT_ALU, 0, 0x48, 0x87, 0xd8),
	I64("xchg %al,%ah", UT_ALU, 0, 0x86, 0xc4),
	I64("xchg %eax,(%rdi) (locked)", UT_BOOST, 0, 0x87, 0x07),
	I64("sete %al", UT_ALU, 0, 0x0f, 0x94, 0xc0),
	I64("setne (%rdi)", UT_ALU, 0, 0x0f, 0x95, 0x07),
	I64("cmovne %rcx,%rax", UT_ALU, 0, 0x48, 0x0f, 0x45, 0xc1),
	I64("cmovl 0x10(%rip),%eax", UT_ALU, UT_SI, 0x0f, 0x4c, 0x05, 0x10, 0, 0, 0),
	I64("push $0x10", UT_ALU, 0, 0x6a, 0x10),
	I64("push $0x12345678", UT_ALU, 0, 0x68, 0x78, 0x56, 0x34, 0x12),
	I64("pop %rbp", UT_ALU, 0, 0x5d),
	I64("pop %r15", UT_ALU, 0, 0x41, 0x5f),
	I32("mov %esp,%ebp (32-bit)", UT_ALU, 0x89, 0xe5),
	I32("sub $0x10,%esp (32-bit)", UT_ALU, 0x83, 0xec, 0x10),
	I32("xor %eax,%eax (32-bit)", UT_ALU, 0x31, 0xc0),
	I32("mov $1,%ax (32-bit)", UT_ALU, 0x66, 0xb8, 0x01, 0x00),
	I32("lea 0x4(%esp),%ecx (32-bit)", UT_ALU, 0x8d, 0x4c, 0x24, 0x04),
	/* declined: stepped instead */
	I64("adc %eax,%ebx", UT_BOOST, 0, 0x11, 0xc3),
	I64("sbb $0,%rax", UT_BOOST, 0, 0x48, 0x83, 0xd8, 0x00),
	I64("lock add %eax,(%rdi)", UT_BOOST, 0, 0xf0, 0x01, 0x07),
	I64("rep add (declined)", UT_BOOST, 0, 0xf3, 0x01, 0xc0),
	I64("addr32 mov (%eax),%eax", UT_BOOST, 0, 0x67, 0x8b, 0x00),
	I64("addr32 lea", UT_BOOST, 0, 0x67, 0x8d, 0x04, 0x07),
	I64("fs gs mov (two overrides)", UT_BOOST, 0, 0x64, 0x65, 0x8b, 0x00),
	I64("pushw $1 (16-bit)", UT_BOOST, 0, 0x66, 0x6a, 0x01),
	I64("popw %bx (16-bit)", UT_BOOST, 0, 0x66, 0x5b),
	I64("leavew (16-bit)", UT_BOOST, 0, 0x66, 0xc9),
	I64("retw (16-bit)", UT_STEP_ABS, 0, 0x66, 0xc3),
	I64("bnd ret", UT_STEP_ABS, 0, 0xf2, 0xc3),
	I64("movabs 0x10,%eax (moffs)", UT_BOOST, 0, 0xa1, 0x10, 0, 0, 0, 0, 0, 0, 0),
	I64("vmovd %eax,%xmm0 (vex)", UT_BOOST, 0, 0xc5, 0xf9, 0x6e, 0xc0),
	I32("mov (%eax),%eax (32-bit memory)", UT_STEP, 0x8b, 0x00),
	I32("mov %fs:0x0,%eax (32-bit)", UT_STEP, 0x64, 0xa1, 0, 0, 0, 0),
	I32("pop %ebp (32-bit)", UT_STEP, 0x5d),
	I32("push $1 (32-bit)", UT_STEP, 0x6a, 0x01),
	I32("leave (32-bit)", UT_STEP, 0xc9),
	/* refused */
	I64("int3", UT_REFUSED, 0, 0xcc),
	I64("int $0x80", UT_REFUSED, 0, 0xcd, 0x80),
	I64("int $3", UT_REFUSED, 0, 0xcd, 0x03),
	I64("int1", UT_REFUSED, 0, 0xf1),
	I64("iretq", UT_REFUSED, 0, 0x48, 0xcf),
	I64("syscall", UT_REFUSED, 0, 0x0f, 0x05),
	I64("sysret", UT_REFUSED, 0, 0x0f, 0x07),
	I64("sysenter", UT_REFUSED, 0, 0x0f, 0x34),
	I64("sysexit", UT_REFUSED, 0, 0x0f, 0x35),
	I64("popf", UT_REFUSED, 0, 0x9d),
	I64("pushfw", UT_REFUSED, 0, 0x66, 0x9c),
	I64("lret", UT_REFUSED, 0, 0xcb),
	I64("lret $8", UT_REFUSED, 0, 0xca, 0x08, 0x00),
	I64("ljmp *(%rax)", UT_REFUSED, 0, 0xff, 0x28),
	I64("lcall *(%rax)", UT_REFUSED, 0, 0xff, 0x18),
	I64("xbegin", UT_REFUSED, 0, 0xc7, 0xf8, 0x10, 0, 0, 0),
	I64("mov %eax,%ss", UT_REFUSED, 0, 0x8e, 0xd0),
	I64("enclu", UT_REFUSED, 0, 0x0f, 0x01, 0xd7),
	I64("uiret", UT_REFUSED, 0, 0xf3, 0x0f, 0x01, 0xec),
	I64("rep movsb", UT_REFUSED, 0, 0xf3, 0xa4),
	I64("rep stosq", UT_REFUSED, 0, 0xf3, 0x48, 0xab),
	I64("repne scasb", UT_REFUSED, 0, 0xf2, 0xae),
	I64("rep insb", UT_REFUSED, 0, 0xf3, 0x6c),
	I64("jmpw rel16", UT_REFUSED, 0, 0x66, 0xe9, 0x10, 0x00),
	I64("callw *%ax", UT_REFUSED, 0, 0x66, 0xff, 0xd0),
	I64("addr32 loop", UT_REFUSED, 0, 0x67, 0xe2, 0xfe),
	I64("kvm emulate prefix", UT_REFUSED, 0, 0x0f, 0x0b, 'k', 'v', 'm', 0x90),
	I64("rex2 mov", UT_REFUSED, 0, 0xd5, 0x10, 0x8b, 0x05, 0x10, 0, 0, 0),
	I32("pop %ss", UT_REFUSED, 0x17),
	I32("into", UT_REFUSED, 0xce),
	I32("lcall $0x23,$0", UT_REFUSED, 0x9a, 0, 0, 0, 0, 0x23, 0),
	I32("ljmp $0x23,$0", UT_REFUSED, 0xea, 0, 0, 0, 0, 0x23, 0),
	I32("int $0x80 (32-bit)", UT_REFUSED, 0xcd, 0x80),
	I32("sysenter (32-bit)", UT_REFUSED, 0x0f, 0x34),
	I32("jcxz (addr16)", UT_REFUSED, 0x67, 0xe3, 0x05),
	/* the kernel emulates these on #GP: IP would move inside the slot */
	I64("cli (iopl emulation)", UT_REFUSED, 0, 0xfa),
	I64("sti (iopl emulation)", UT_REFUSED, 0, 0xfb),
	I64("sgdt (%rax) (UMIP)", UT_REFUSED, 0, 0x0f, 0x01, 0x00),
	I64("sidt (%rax) (UMIP)", UT_REFUSED, 0, 0x0f, 0x01, 0x08),
	I64("smsw %eax (UMIP)", UT_REFUSED, 0, 0x0f, 0x01, 0xe0),
	I64("smsw (%rax) (UMIP)", UT_REFUSED, 0, 0x0f, 0x01, 0x20),
	I64("sldt %eax (UMIP)", UT_REFUSED, 0, 0x0f, 0x00, 0xc0),
	I64("sldt (%rax) (UMIP)", UT_REFUSED, 0, 0x0f, 0x00, 0x00),
	I64("str %eax (UMIP)", UT_REFUSED, 0, 0x0f, 0x00, 0xc8),
	I64("sgdt 0x10(%rip) (UMIP)", UT_REFUSED, 0, 0x0f, 0x01, 0x05, 0x10, 0, 0, 0),
	I32("cli (32-bit)", UT_REFUSED, 0xfa),
	I32("sti (32-bit)", UT_REFUSED, 0xfb),
	I32("sgdt (32-bit)", UT_REFUSED, 0x0f, 0x01, 0x00),
	I32("smsw %ax (32-bit)", UT_REFUSED, 0x66, 0x0f, 0x01, 0xe0),
	I32("str (32-bit)", UT_REFUSED, 0x0f, 0x00, 0xc8),
	/* undecodable */
	I64("truncated prefix soup", UT_INVALID, 0,
	    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66),
	I64("vex without opcode", UT_INVALID, 0, 0xc5, 0xf8, 0x0f),
};

static const char * const ut_class_name[] = {
	"refused", "invalid", "step", "step-abs", "step-call", "step-pushf",
	"branch", "push", "nop", "alu", "alu-abs", "boost",
};

static const char * const ut_rip_name[] = { "none", "rsi", "rdi", "rbp" };

/* Classify what uprobe_analyze() decided, in the test's terms */
static void ut_classify(const struct arch_uprobe *aup, int ret, u8 *class, u8 *rip)
{
	u8 fixups = aup->defparam.fixups;

	*rip = UT_NORIP;
	if (ret == -EOPNOTSUPP) {
		*class = UT_REFUSED;
		return;
	}
	if (ret) {
		*class = UT_INVALID;
		return;
	}
	if (aup->ops == &branch_xol_ops) {
		*class = UT_BRANCH;
		return;
	}
	if (aup->ops == &push_xol_ops) {
		*class = UT_PUSH;
		return;
	}
	if (aup->ops == &boost_xol_ops)
		*class = UT_BOOST;
	else if (aup->ops == &nop_xol_ops)
		*class = UT_NOP;
	else if (aup->ops == &alu_xol_ops)
		*class = fixups & UPROBE_FIX_IP ? UT_ALU : UT_ALU_ABS;
	else if (fixups & UPROBE_FIX_CALL)
		*class = UT_STEP_CALL;
	else if (fixups & UPROBE_FIX_PUSHF)
		*class = UT_STEP_PUSHF;
	else if (fixups & UPROBE_FIX_IP)
		*class = UT_STEP;
	else
		*class = UT_STEP_ABS;

	switch (UPROBE_SCRATCH_REG(fixups)) {
	case 6:
		*rip = UT_SI;
		break;
	case 7:
		*rip = UT_DI;
		break;
	case 5:
		*rip = UT_BP;
		break;
	}
}

static void ut_check(struct kunit *test, const char *name, const u8 *bytes,
		     bool x86_64, u8 exp_class, u8 exp_rip)
{
	struct arch_uprobe aup = {};
	u8 class, rip;
	int ret;

	memcpy(aup.insn, bytes, MAX_UINSN_BYTES);
	ret = uprobe_analyze(&aup, x86_64);
	ut_classify(&aup, ret, &class, &rip);
	KUNIT_EXPECT_EQ_MSG(test, class, exp_class, "%s (%s): got %s (ret %d), want %s",
			    name, x86_64 ? "64" : "32", ut_class_name[class], ret,
			    ut_class_name[exp_class]);
	KUNIT_EXPECT_EQ_MSG(test, rip, exp_rip, "%s (%s): scratch %s, want %s",
			    name, x86_64 ? "64" : "32", ut_rip_name[rip],
			    ut_rip_name[exp_rip]);
	/* the core puts insn[0] back when the probe goes away */
	KUNIT_EXPECT_EQ_MSG(test, aup.insn[0], bytes[0], "%s: first byte changed", name);
}

static void ut_get_desc(const struct ut_insn_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s/%s", c->name, c->x86_64 ? "64" : "32");
}

KUNIT_ARRAY_PARAM(ut_insn, ut_insn_cases, ut_get_desc);

static void uprobe_test_named_insns(struct kunit *test)
{
	const struct ut_insn_case *c = test->param_value;

	ut_check(test, c->name, c->bytes, c->x86_64, c->class, c->rip);
}

/*
 * Generated families: every Jcc in both encodings and modes, every push,
 * and RIP-relative ALU/mov/lea forms with each ModRM.reg and with VEX.vvvv,
 * checking the scratch register choice and the rewritten bytes.
 */
static u8 ut_expected_scratch(unsigned int used)
{
	if (!(used & BIT(6)))
		return UT_SI;
	if (!(used & BIT(7)))
		return UT_DI;
	return UT_BP;
}

static void uprobe_test_generated_insns(struct kunit *test)
{
	static const u8 alu_ops[] = {
		0x01, 0x03, 0x09, 0x0b, 0x21, 0x23, 0x29, 0x2b, 0x31, 0x33,
		0x39, 0x3b, 0x85, 0x87, 0x89, 0x8b, 0x8d,
	};
	u8 b[MAX_UINSN_BYTES], b32[MAX_UINSN_BYTES];
	unsigned int i, reg, v, rex, mode, cc;
	char name[48];

	for (mode = 0; mode < 2; mode++) {
		for (cc = 0; cc < 16; cc++) {
			memset(b, 0, sizeof(b));
			b[0] = 0x70 | cc;
			b[1] = 0x7f;
			snprintf(name, sizeof(name), "jcc8 cc=%x", cc);
			ut_check(test, name, b, mode, UT_BRANCH, 0);
			b[0] = 0x0f;
			b[1] = 0x80 | cc;
			b[2] = 0x80;
			snprintf(name, sizeof(name), "jcc32 cc=%x", cc);
			ut_check(test, name, b, mode, UT_BRANCH, 0);
		}
		for (reg = 0; reg < 8; reg++) {
			memset(b, 0, sizeof(b));
			b[0] = 0x50 | reg;
			snprintf(name, sizeof(name), "push reg %u", reg);
			ut_check(test, name, b, mode, UT_PUSH, 0);
			b[0] = 0x58 | reg;
			snprintf(name, sizeof(name), "pop reg %u", reg);
			/* stack operations are emulated for 64-bit tasks only */
			ut_check(test, name, b, mode, mode ? UT_ALU : UT_STEP, 0);
		}
	}

	for (i = 0; i < ARRAY_SIZE(alu_ops); i++) {
		for (reg = 0; reg < 8; reg++) {
			for (rex = 0x48; rex <= 0x4c; rex += 4) {
				struct arch_uprobe aup = {};
				u8 want = ut_expected_scratch(BIT(reg));
				/* xchg with memory is locked: stepped */
				u8 class = alu_ops[i] == 0x87 ? UT_STEP : UT_ALU;

				memset(b, 0, sizeof(b));
				b[0] = rex;
				b[1] = alu_ops[i];
				b[2] = (reg << 3) | 5;
				b[3] = 0x44;
				snprintf(name, sizeof(name), "op %02x reg %u rex %02x rip",
					 alu_ops[i], reg, rex);
				ut_check(test, name, b, true, class, want);

				memcpy(aup.insn, b, sizeof(b));
				KUNIT_ASSERT_EQ(test, uprobe_analyze(&aup, true), 0);
				KUNIT_EXPECT_EQ_MSG(test, aup.ixol[2],
						    0x80 | (reg << 3) | (want == UT_SI ? 6 : 7),
						    "%s: modrm rewrite", name);
				KUNIT_EXPECT_EQ_MSG(test, aup.ixol[3], 0x44, "%s: disp", name);
				KUNIT_EXPECT_EQ(test, aup.defparam.ilen, 7);
			}
			/* the same ModRM is an absolute disp32 in 32-bit mode */
			memset(b32, 0, sizeof(b32));
			b32[0] = alu_ops[i];
			b32[1] = (reg << 3) | 5;
			snprintf(name, sizeof(name), "op %02x reg %u disp32", alu_ops[i], reg);
			/* no memory operands for 32-bit tasks; lea has none */
			ut_check(test, name, b32, false, alu_ops[i] == 0x8d ? UT_ALU : UT_STEP, 0);
			for (v = 0; v < 8; v++) {
				u8 want = ut_expected_scratch(BIT(reg) | BIT(v));

				/* vandps 0x44(%rip),%xmm<v>,%xmm<reg> */
				memset(b, 0, sizeof(b));
				b[0] = 0xc5;
				b[1] = 0x80 | ((~v & 0xf) << 3);
				b[2] = 0x54;
				b[3] = (reg << 3) | 5;
				b[4] = 0x44;
				snprintf(name, sizeof(name), "vandps reg %u vvvv %u rip", reg, v);
				ut_check(test, name, b, true, UT_STEP, want);
			}
		}
	}

	/* non-RIP ModRM forms never get a scratch register */
	for (i = 0; i < 256; i++) {
		if ((i & 0xc7) == 0x05)
			continue;
		memset(b, 0, sizeof(b));
		b[0] = 0x48;
		b[1] = 0x8b;
		b[2] = i;
		snprintf(name, sizeof(name), "mov modrm %02x", i);
		ut_check(test, name, b, true, UT_ALU, 0);
	}
}

/* Reference condition evaluation, written from the SDM Jcc table */
static bool ut_ref_cond(unsigned long fl, u8 cc)
{
	bool of = fl & X86_EFLAGS_OF, sf = fl & X86_EFLAGS_SF;
	bool zf = fl & X86_EFLAGS_ZF, cf = fl & X86_EFLAGS_CF;
	bool pf = fl & X86_EFLAGS_PF;
	bool table[16] = {
		of, !of, cf, !cf, zf, !zf, cf || zf, !cf && !zf,
		sf, !sf, pf, !pf, sf != of, sf == of, zf || sf != of, !zf && sf == of,
	};

	return table[cc];
}

static void uprobe_test_conditions(struct kunit *test)
{
	static const unsigned long bits[] = {
		X86_EFLAGS_OF, X86_EFLAGS_SF, X86_EFLAGS_ZF, X86_EFLAGS_CF, X86_EFLAGS_PF,
	};
	unsigned int combo, i;
	u8 cc;

	for (combo = 0; combo < 32; combo++) {
		unsigned long fl = X86_EFLAGS_FIXED;

		for (i = 0; i < ARRAY_SIZE(bits); i++) {
			if (combo & BIT(i))
				fl |= bits[i];
		}
		for (cc = 0; cc < 16; cc++) {
			struct arch_uprobe aup = { .insn = { 0x70 | cc, 0x10 } };
			struct pt_regs regs = { .cs = __USER_CS, .ip = 0x401000, .flags = fl };

			KUNIT_ASSERT_EQ(test, uprobe_analyze(&aup, true), 0);
			KUNIT_EXPECT_TRUE(test, aup.ops->emulate(&aup, &regs));
			KUNIT_EXPECT_EQ_MSG(test, regs.ip,
					    ut_ref_cond(fl, cc) ? 0x401012UL : 0x401002UL,
					    "cc %x flags %lx", cc, fl);
		}
	}
}

struct ut_emu_case {
	const char	*name;
	u8		bytes[MAX_UINSN_BYTES];
	bool		x86_64;
	unsigned long	ip, flags, cx;
	unsigned long	exp_ip, exp_cx;
};

#define E64(_name, _ip, _fl, _cx, _eip, _ecx, ...) \
	{ _name, { __VA_ARGS__ }, true, _ip, _fl, _cx, _eip, _ecx }
#define E32(_name, _ip, _fl, _cx, _eip, _ecx, ...) \
	{ _name, { __VA_ARGS__ }, false, _ip, _fl, _cx, _eip, _ecx }

static const struct ut_emu_case ut_emu_cases[] = {
	E64("jmp rel8 fwd", 0x401000, 0, 0, 0x401012, 0, 0xeb, 0x10),
	E64("jmp rel8 back", 0x401000, 0, 0, 0x400ff2, 0, 0xeb, 0xf0),
	E64("jmp rel8 self", 0x401000, 0, 0, 0x401000, 0, 0xeb, 0xfe),
	E64("jmp rel32 fwd", 0x401000, 0, 0, 0x501005, 0, 0xe9, 0, 0, 0x10, 0),
	E64("jmp rel32 back", 0x7f0000001000, 0, 0, 0x7eff80001005, 0,
	    0xe9, 0x00, 0x00, 0x00, 0x80),
	E64("je taken", 0x401000, X86_EFLAGS_ZF, 0, 0x401007, 0, 0x74, 0x05),
	E64("je not taken", 0x401000, 0, 0, 0x401002, 0, 0x74, 0x05),
	E64("jne rel32 taken", 0x401000, 0, 0, 0x401106, 0, 0x0f, 0x85, 0, 1, 0, 0),
	E64("jne rel32 not taken", 0x401000, X86_EFLAGS_ZF, 0, 0x401006, 0,
	    0x0f, 0x85, 0, 1, 0, 0),
	E64("jl taken (SF!=OF)", 0x401000, X86_EFLAGS_SF, 0, 0x401012, 0, 0x7c, 0x10),
	E64("jg not taken (ZF)", 0x401000, X86_EFLAGS_ZF, 0, 0x401002, 0, 0x7f, 0x10),
	E64("ja taken", 0x401000, 0, 0, 0x401012, 0, 0x77, 0x10),
	E64("ja not taken (CF)", 0x401000, X86_EFLAGS_CF, 0, 0x401002, 0, 0x77, 0x10),
	E64("prefixed jcc length", 0x401000, X86_EFLAGS_ZF, 0, 0x401013, 0, 0x3e, 0x74, 0x10),
	E64("loop taken", 0x401000, 0, 3, 0x400ffe + 2, 2, 0xe2, 0xfe),
	E64("loop falls through", 0x401000, 0, 1, 0x401002, 0, 0xe2, 0xfe),
	E64("loop wraps rcx", 0x401000, 0, 0, 0x401000, ~0UL, 0xe2, 0xfe),
	E64("loope needs ZF", 0x401000, 0, 5, 0x401002, 4, 0xe1, 0xfe),
	E64("loope taken", 0x401000, X86_EFLAGS_ZF, 5, 0x401000, 4, 0xe1, 0xfe),
	E64("loopne taken", 0x401000, 0, 5, 0x401000, 4, 0xe0, 0xfe),
	E64("jrcxz taken", 0x401000, 0, 0, 0x401007, 0, 0xe3, 0x05),
	E64("jrcxz high bits", 0x401000, 0, 1UL << 40, 0x401002, 1UL << 40, 0xe3, 0x05),
	E64("nop", 0x401000, 0, 0, 0x401001, 0, 0x90),
	E64("long nop", 0x401000, 0, 0, 0x401008, 0,
	    0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00),
	E64("endbr64", 0x401000, 0, 0, 0x401004, 0, 0xf3, 0x0f, 0x1e, 0xfa),
	E32("jmp rel32 wraps 4G", 0xfffff000, 0, 0, 0x00001005, 0, 0xe9, 0, 0x20, 0, 0),
	E32("jecxz ignores high half", 0x8048000, 0, 1UL << 40, 0x8048007, 1UL << 40,
	    0xe3, 0x05),
	E32("loop 32-bit", 0x8048000, 0, 2, 0x8048000, 1, 0xe2, 0xfe),
	E32("je taken 32-bit", 0x8048000, X86_EFLAGS_ZF, 0, 0x8048007, 0, 0x74, 0x05),
};

static void ut_emu_get_desc(const struct ut_emu_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ut_emu, ut_emu_cases, ut_emu_get_desc);

static void uprobe_test_emulation(struct kunit *test)
{
	const struct ut_emu_case *c = test->param_value;
	struct arch_uprobe aup = {};
	struct pt_regs regs = {};

	memcpy(aup.insn, c->bytes, MAX_UINSN_BYTES);
	KUNIT_ASSERT_EQ_MSG(test, uprobe_analyze(&aup, c->x86_64), 0, "%s", c->name);
	KUNIT_ASSERT_NOT_NULL_MSG(test, aup.ops->emulate, "%s: not emulated", c->name);

	regs.cs = c->x86_64 ? __USER_CS : __USER32_CS;
	regs.ip = c->ip;
	regs.flags = c->flags | X86_EFLAGS_FIXED;
	regs.cx = c->cx;
	KUNIT_EXPECT_TRUE_MSG(test, aup.ops->emulate(&aup, &regs), "%s", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.ip, c->exp_ip, "%s: ip", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.cx, c->exp_cx, "%s: cx", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.flags, c->flags | X86_EFLAGS_FIXED,
			    "%s: flags changed", c->name);
}

/*
 * alu_emulate() on register operands, against results and flags worked
 * out by hand from the SDM.  Every case starts at UT_ALU_IP with IF set
 * and whatever stale arithmetic flags it lists; @undef masks the flags the
 * SDM leaves undefined (AF of the logical operations).
 */
#define UT_ALU_IP	0x401000UL
#define UT_FL		(X86_EFLAGS_FIXED | X86_EFLAGS_IF)

struct ut_gprs {
	unsigned long	ax, cx, dx, bx, sp, bp, si, di, r8, flags;
};

struct ut_alu_case {
	const char	*name;
	u8		bytes[MAX_UINSN_BYTES];
	bool		x86_64;
	struct ut_gprs	in, out;
	unsigned long	undef;
};

static const struct ut_alu_case ut_alu_cases[] = {
	{ "sub $0x18,%rsp", { 0x48, 0x83, 0xec, 0x18 }, true,
	  { .sp = 0x7ffe1000, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_ZF },
	  /* 0x...1000 - 0x18 = 0x...0fe8: borrow into bit 4, e8 has 4 ones */
	  { .sp = 0x7ffe0fe8, .flags = UT_FL | X86_EFLAGS_PF | X86_EFLAGS_AF } },
	{ "xor %eax,%eax", { 0x31, 0xc0 }, true,
	  { .ax = 0xffffffff12345678, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_OF |
						X86_EFLAGS_SF },
	  { .ax = 0, .flags = UT_FL | X86_EFLAGS_ZF | X86_EFLAGS_PF }, X86_EFLAGS_AF },
	{ "add %al,%ah", { 0x00, 0xc4 }, true,
	  /* 0xc0 + 0x80 = 0x140: carry, and -64 + -128 overflows */
	  { .ax = 0xdeadc080, .flags = UT_FL },
	  { .ax = 0xdead4080, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_OF } },
	{ "cmp $-1,%ecx", { 0x83, 0xf9, 0xff }, true,
	  /* 5 - 0xffffffff: borrow, 6 (two ones), nibble borrow; no write */
	  { .cx = 0xaaaa000000000005, .flags = UT_FL },
	  { .cx = 0xaaaa000000000005,
	    .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF } },
	{ "test %rdi,%rdi", { 0x48, 0x85, 0xff }, true,
	  { .di = 0x8000000000000000, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_ZF },
	  { .di = 0x8000000000000000, .flags = UT_FL | X86_EFLAGS_SF | X86_EFLAGS_PF },
	  X86_EFLAGS_AF },
	{ "neg %rax", { 0x48, 0xf7, 0xd8 }, true,
	  { .ax = 1, .flags = UT_FL },
	  { .ax = ~0UL, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_SF | X86_EFLAGS_PF |
				 X86_EFLAGS_AF } },
	{ "inc %edx keeps CF", { 0xff, 0xc2 }, true,
	  { .dx = 0x123456787fffffff, .flags = UT_FL | X86_EFLAGS_CF },
	  { .dx = 0x80000000, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_OF | X86_EFLAGS_SF |
				       X86_EFLAGS_PF | X86_EFLAGS_AF } },
	{ "mov $-1,%eax zero-extends", { 0xb8, 0xff, 0xff, 0xff, 0xff }, true,
	  { .ax = 0x1122334455667788, .flags = UT_FL | X86_EFLAGS_ZF },
	  { .ax = 0xffffffff, .flags = UT_FL | X86_EFLAGS_ZF } },
	{ "mov $0x5a,%bh", { 0xb7, 0x5a }, true,
	  { .bx = 0xffff, .flags = UT_FL }, { .bx = 0x5aff, .flags = UT_FL } },
	{ "movabs $imm64,%r8", { 0x49, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 },
	  true, { .flags = UT_FL }, { .r8 = 0x1122334455667788, .flags = UT_FL } },
	{ "movsbl %cl,%eax", { 0x0f, 0xbe, 0xc1 }, true,
	  { .ax = ~0UL, .cx = 0x80, .flags = UT_FL },
	  { .ax = 0xffffff80, .cx = 0x80, .flags = UT_FL } },
	{ "movsbq %cl,%rax", { 0x48, 0x0f, 0xbe, 0xc1 }, true,
	  { .cx = 0x7f80, .flags = UT_FL },
	  { .ax = 0xffffffffffffff80, .cx = 0x7f80, .flags = UT_FL } },
	{ "movzbl %ah,%eax", { 0x0f, 0xb6, 0xc4 }, true,
	  { .ax = 0xffffffffffff1234, .flags = UT_FL }, { .ax = 0x12, .flags = UT_FL } },
	{ "movslq %ecx,%rax", { 0x48, 0x63, 0xc1 }, true,
	  { .cx = 0x80000000, .flags = UT_FL },
	  { .ax = 0xffffffff80000000, .cx = 0x80000000, .flags = UT_FL } },
	{ "lea 0x8(%rdi,%rsi,4),%rax", { 0x48, 0x8d, 0x44, 0xb7, 0x08 }, true,
	  { .ax = 5, .si = 0x10, .di = 0x1000, .flags = UT_FL },
	  { .ax = 0x1048, .si = 0x10, .di = 0x1000, .flags = UT_FL } },
	{ "cmovne %rcx,%rax taken", { 0x48, 0x0f, 0x45, 0xc1 }, true,
	  { .ax = 1, .cx = 0x1122334455667788, .flags = UT_FL },
	  { .ax = 0x1122334455667788, .cx = 0x1122334455667788, .flags = UT_FL } },
	{ "cmovne %ecx,%eax not taken zero-extends", { 0x0f, 0x45, 0xc1 }, true,
	  { .ax = 0xffffffff00000001, .cx = 2, .flags = UT_FL | X86_EFLAGS_ZF },
	  { .ax = 1, .cx = 2, .flags = UT_FL | X86_EFLAGS_ZF } },
	{ "sete %al", { 0x0f, 0x94, 0xc0 }, true,
	  { .ax = 0x1234, .flags = UT_FL | X86_EFLAGS_ZF },
	  { .ax = 0x1201, .flags = UT_FL | X86_EFLAGS_ZF } },
	{ "setl %ah (SF != OF)", { 0x0f, 0x9c, 0xc4 }, true,
	  { .ax = 0x1234, .flags = UT_FL | X86_EFLAGS_OF },
	  { .ax = 0x0134, .flags = UT_FL | X86_EFLAGS_OF } },
	{ "xchg %rax,%rbx", { 0x48, 0x87, 0xd8 }, true,
	  { .ax = 1, .bx = 2, .flags = UT_FL }, { .ax = 2, .bx = 1, .flags = UT_FL } },
	{ "xchg %ecx,%edx zero-extends", { 0x87, 0xca }, true,
	  { .cx = 0x100000001, .dx = 0x200000002, .flags = UT_FL },
	  { .cx = 2, .dx = 1, .flags = UT_FL } },
	{ "mov %rsp,%rbp", { 0x48, 0x89, 0xe5 }, true,
	  { .sp = 0x7ffe1000, .bp = 1, .flags = UT_FL },
	  { .sp = 0x7ffe1000, .bp = 0x7ffe1000, .flags = UT_FL } },
	{ "and $-16,%rsp", { 0x48, 0x83, 0xe4, 0xf0 }, true,
	  { .sp = 0x7ffe100f, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_OF },
	  { .sp = 0x7ffe1000, .flags = UT_FL | X86_EFLAGS_PF }, X86_EFLAGS_AF },
	{ "add $1,%cx (16-bit)", { 0x66, 0x83, 0xc1, 0x01 }, true,
	  { .cx = 0x1234ffff, .flags = UT_FL },
	  { .cx = 0x12340000, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_ZF | X86_EFLAGS_PF |
				      X86_EFLAGS_AF } },
	{ "not %r8 (no flags)", { 0x49, 0xf7, 0xd0 }, true,
	  { .r8 = 0xff, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_ZF },
	  { .r8 = 0xffffffffffffff00, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_ZF } },
	{ "sub $0x10,%esp (32-bit)", { 0x83, 0xec, 0x10 }, false,
	  { .sp = 0xffffd000, .flags = UT_FL },
	  { .sp = 0xffffcff0, .flags = UT_FL | X86_EFLAGS_SF | X86_EFLAGS_PF } },
	{ "dec %esi keeps CF (32-bit)", { 0xff, 0xce }, false,
	  { .si = 0, .flags = UT_FL | X86_EFLAGS_CF },
	  { .si = 0xffffffff, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_SF | X86_EFLAGS_PF |
				      X86_EFLAGS_AF } },
	{ "shl $4,%eax zero-extends", { 0xc1, 0xe0, 0x04 }, true,
	  /* 0x18000001 << 4 = 0x80000010: last bit out 1, SF, OF = CF ^ SF = 0 */
	  { .ax = 0xffffffff18000001, .flags = UT_FL | X86_EFLAGS_ZF },
	  { .ax = 0x80000010, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_SF },
	  X86_EFLAGS_AF | X86_EFLAGS_OF },
	{ "shr %rdx (by one)", { 0x48, 0xd1, 0xea }, true,
	  /* OF of a shr by one is the original sign bit */
	  { .dx = 0x8000000000000003, .flags = UT_FL | X86_EFLAGS_ZF },
	  { .dx = 0x4000000000000001, .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_OF },
	  X86_EFLAGS_AF },
	{ "sar %cl,%bl (count 0x21 masked to 1)", { 0xd2, 0xfb }, true,
	  /* 0x81 >> 1 = 0xc0, two ones: PF; CF the bit out; OF 0 for sar */
	  { .bx = 0x1281, .cx = 0x21, .flags = UT_FL | X86_EFLAGS_OF },
	  { .bx = 0x12c0, .cx = 0x21,
	    .flags = UT_FL | X86_EFLAGS_CF | X86_EFLAGS_SF | X86_EFLAGS_PF },
	  X86_EFLAGS_AF },
	{ "rol $8,%ax keeps SF ZF PF", { 0x66, 0xc1, 0xc0, 0x08 }, true,
	  /* 0x1234 -> 0x3412: CF the new low bit (0); OF undefined past 1 */
	  { .ax = 0xffff1234, .flags = UT_FL | X86_EFLAGS_ZF | X86_EFLAGS_PF | X86_EFLAGS_CF },
	  { .ax = 0xffff3412, .flags = UT_FL | X86_EFLAGS_ZF | X86_EFLAGS_PF },
	  X86_EFLAGS_OF },
	{ "ror %cl,%r8 (count 0x44 masked to 4)", { 0x49, 0xd3, 0xc8 }, true,
	  /* CF the new sign bit (1) */
	  { .r8 = 0x1f, .cx = 0x44, .flags = UT_FL },
	  { .r8 = 0xf000000000000001, .cx = 0x44, .flags = UT_FL | X86_EFLAGS_CF },
	  X86_EFLAGS_OF },
	{ "or %bl,%dh (32-bit)", { 0x08, 0xde }, false,
	  { .bx = 0x80, .dx = 0x0100, .flags = UT_FL | X86_EFLAGS_ZF },
	  /* 0x01 | 0x80 = 0x81: sign bit, two ones */
	  { .bx = 0x80, .dx = 0x8100, .flags = UT_FL | X86_EFLAGS_SF | X86_EFLAGS_PF },
	  X86_EFLAGS_AF },
};

static void ut_alu_get_desc(const struct ut_alu_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ut_alu, ut_alu_cases, ut_alu_get_desc);

static void ut_gprs_to_regs(const struct ut_gprs *g, struct pt_regs *regs)
{
	regs->ax = g->ax;
	regs->cx = g->cx;
	regs->dx = g->dx;
	regs->bx = g->bx;
	regs->sp = g->sp;
	regs->bp = g->bp;
	regs->si = g->si;
	regs->di = g->di;
	regs->r8 = g->r8;
	regs->flags = g->flags;
}

static void uprobe_test_alu_emulation(struct kunit *test)
{
	const struct ut_alu_case *c = test->param_value;
	const struct ut_gprs *o = &c->out;
	struct arch_uprobe aup = {};
	struct pt_regs regs = {};
	struct insn insn;

	memcpy(aup.insn, c->bytes, MAX_UINSN_BYTES);
	KUNIT_ASSERT_EQ_MSG(test, uprobe_analyze(&aup, c->x86_64), 0, "%s", c->name);
	KUNIT_ASSERT_PTR_EQ_MSG(test, aup.ops, &alu_xol_ops, "%s: not emulated", c->name);
	KUNIT_ASSERT_EQ(test, insn_decode(&insn, c->bytes, MAX_UINSN_BYTES,
					  c->x86_64 ? INSN_MODE_64 : INSN_MODE_32), 0);

	ut_gprs_to_regs(&c->in, &regs);
	regs.cs = c->x86_64 ? __USER_CS : __USER32_CS;
	regs.ip = UT_ALU_IP;
	KUNIT_ASSERT_TRUE_MSG(test, alu_emulate(&aup, &regs), "%s: declined", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.ip, UT_ALU_IP + insn.length, "%s: ip", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.ax, o->ax, "%s: ax", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.cx, o->cx, "%s: cx", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.dx, o->dx, "%s: dx", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.bx, o->bx, "%s: bx", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.sp, o->sp, "%s: sp", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.bp, o->bp, "%s: bp", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.si, o->si, "%s: si", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.di, o->di, "%s: di", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.r8, o->r8, "%s: r8", c->name);
	KUNIT_EXPECT_EQ_MSG(test, regs.flags & ~c->undef, o->flags & ~c->undef,
			    "%s: flags %lx, want %lx", c->name, regs.flags, o->flags);
}

static void uprobe_test_is_alive(struct kunit *test)
{
	struct return_instance ri = { .stack = 0x7ffe0000 };
	struct pt_regs regs = {};

	regs.sp = ri.stack;
	KUNIT_EXPECT_FALSE(test, arch_uretprobe_is_alive(&ri, RP_CHECK_CALL, &regs));
	KUNIT_EXPECT_TRUE(test, arch_uretprobe_is_alive(&ri, RP_CHECK_CHAIN_CALL, &regs));
	KUNIT_EXPECT_TRUE(test, arch_uretprobe_is_alive(&ri, RP_CHECK_RET, &regs));
	regs.sp = ri.stack - 8;
	KUNIT_EXPECT_TRUE(test, arch_uretprobe_is_alive(&ri, RP_CHECK_CALL, &regs));
	KUNIT_EXPECT_TRUE(test, arch_uretprobe_is_alive(&ri, RP_CHECK_RET, &regs));
	regs.sp = ri.stack + 8;
	KUNIT_EXPECT_FALSE(test, arch_uretprobe_is_alive(&ri, RP_CHECK_CALL, &regs));
	KUNIT_EXPECT_FALSE(test, arch_uretprobe_is_alive(&ri, RP_CHECK_CHAIN_CALL, &regs));
	KUNIT_EXPECT_FALSE(test, arch_uretprobe_is_alive(&ri, RP_CHECK_RET, &regs));
}

/*
 * Fail closed: opcodes the analysis does not know are refused, whatever
 * the decoder makes of them (it decodes many undefined ones happily).
 */
static void uprobe_test_unknown_refused(struct kunit *test)
{
	static const struct {
		const char	*name;
		u8		bytes[4];
		bool		x86_64;
	} unknown[] = {
		{ "0f 04", { 0x0f, 0x04, 0xc0 }, true },
		{ "0f 0a", { 0x0f, 0x0a, 0xc0 }, true },
		{ "0f 0c", { 0x0f, 0x0c, 0xc0 }, true },
		{ "0f 25", { 0x0f, 0x25, 0xc0 }, true },
		{ "0f 36", { 0x0f, 0x36, 0xc0 }, true },
		{ "0f 39", { 0x0f, 0x39, 0xc0 }, true },
		{ "0f 3b", { 0x0f, 0x3b, 0xc0 }, true },
		{ "0f a6", { 0x0f, 0xa6, 0xc0 }, true },
		{ "0f a7", { 0x0f, 0xa7, 0xc0 }, true },
		{ "0f 7a", { 0x0f, 0x7a, 0xc0 }, true },
		{ "06 (push %es in 64-bit)", { 0x06 }, true },
		{ "1e (push %ds in 64-bit)", { 0x1e }, true },
		{ "27 (daa in 64-bit)", { 0x27 }, true },
		{ "60 (pusha in 64-bit)", { 0x60 }, true },
		{ "82 (invalid in 64-bit)", { 0x82, 0xc0, 0x01 }, true },
		{ "d4 (aam in 64-bit)", { 0xd4, 0x0a }, true },
		{ "d6 (salc)", { 0xd6 }, true },
		{ "d6 (salc, 32-bit)", { 0xd6 }, false },
		{ "0f 04 (32-bit)", { 0x0f, 0x04, 0xc0 }, false },
		{ "0f a6 (32-bit)", { 0x0f, 0xa6, 0xc0 }, false },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		struct arch_uprobe aup = {};
		int ret;

		memcpy(aup.insn, unknown[i].bytes, sizeof(unknown[i].bytes));
		ret = uprobe_analyze(&aup, unknown[i].x86_64);
		KUNIT_EXPECT_NE_MSG(test, ret, 0, "%s: accepted", unknown[i].name);
	}
}

/*
 * The hooks that write user memory need an mm with a stack page and the
 * per-task state: the KUnit thread gets a KUnit-managed mapping, and a
 * uprobe_task of its own for the duration of one call.
 */
#define UT_VADDR	0x401000UL
#define UT_XOL		(0x7ffffffff000UL - 0x80)

static unsigned long ut_user_page(struct kunit *test, unsigned long prot)
{
	unsigned long a = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, prot,
					MAP_ANONYMOUS | MAP_PRIVATE, 0);

	return IS_ERR_VALUE(a) ? 0 : a;
}

static struct uprobe_task *ut_task_enter(struct kunit *test)
{
	struct uprobe_task *ut = kunit_kzalloc(test, sizeof(*ut), GFP_KERNEL);

	if (!ut || current->utask)
		return NULL;
	ut->vaddr = UT_VADDR;
	ut->xol_vaddr = UT_XOL;
	ut->state = UTASK_SSTEP;
	current->utask = ut;
	return ut;
}

static void ut_task_leave(void)
{
	current->utask = NULL;
}

static unsigned long ut_peek(unsigned long uaddr)
{
	unsigned long v = 0xdead;

	if (get_user(v, (unsigned long __user *)uaddr))
		return 0xdead;
	return v;
}

/*
 * CALL rel32 stepped out of line (the shadow stack case): the slot's copy
 * must call within the slot whatever the distance to the probe, and the
 * fix-up must give the original target and return address.
 */
static void uprobe_test_call_in_slot(struct kunit *test)
{
	static const struct {
		const char	*name;
		u8		bytes[8];
		u8		imm;
		u8		ilen;
		s32		rel;
	} cases[] = {
		{ "call rel32", { 0xe8, 0x00, 0x00, 0xff, 0x7f }, 1, 5, 0x7fff0000 },
		{ "call rel32 back", { 0xe8, 0x00, 0xf0, 0xff, 0xff }, 1, 5, -0x1000 },
		{ "bnd call rel32", { 0xf2, 0xe8, 0x10, 0x00, 0x00, 0x00 }, 2, 6, 0x10 },
	};
	unsigned long stack = ut_user_page(test, PROT_READ | PROT_WRITE);
	unsigned int i;

	KUNIT_ASSERT_NE_MSG(test, stack, 0UL, "no user page");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned long top = stack + PAGE_SIZE - 64, ret_slot = top - 8;
		struct pt_regs regs = { .cs = __USER_CS, .flags = X86_EFLAGS_FIXED };
		struct arch_uprobe aup = {};
		struct uprobe_task *ut;
		s32 slot_rel;
		int err;

		memcpy(aup.insn, cases[i].bytes, sizeof(cases[i].bytes));
		KUNIT_ASSERT_EQ(test, uprobe_analyze(&aup, true), 0);
		KUNIT_EXPECT_EQ_MSG(test, aup.insn[0], cases[i].bytes[0], "%s", cases[i].name);
		KUNIT_ASSERT_NOT_NULL(test, aup.ops->finish);
		slot_rel = get_unaligned((s32 *)&aup.ixol[cases[i].imm]);
		KUNIT_EXPECT_EQ_MSG(test, slot_rel, 0, "%s: slot copy calls %d bytes away",
				    cases[i].name, slot_rel);

		/* what the CPU does with the slot's copy */
		KUNIT_ASSERT_EQ(test, put_user(UT_XOL + cases[i].ilen,
					       (unsigned long __user *)ret_slot), 0);
		regs.sp = ret_slot;
		regs.ip = UT_XOL + cases[i].ilen + slot_rel;

		ut = ut_task_enter(test);
		KUNIT_ASSERT_NOT_NULL(test, ut);
		err = aup.ops->finish(&aup, &regs);
		ut_task_leave();

		KUNIT_EXPECT_EQ_MSG(test, err, 0, "%s", cases[i].name);
		KUNIT_EXPECT_EQ_MSG(test, regs.ip, UT_VADDR + cases[i].ilen + cases[i].rel,
				    "%s: ip", cases[i].name);
		KUNIT_EXPECT_EQ_MSG(test, regs.sp, ret_slot, "%s: sp", cases[i].name);
		KUNIT_EXPECT_EQ_MSG(test, ut_peek(ret_slot), UT_VADDR + cases[i].ilen,
				    "%s: return address", cases[i].name);

		/* and without a shadow stack it is emulated in place */
		regs.sp = top;
		regs.ip = UT_VADDR;
		KUNIT_ASSERT_NOT_NULL(test, aup.ops->emulate);
		KUNIT_EXPECT_TRUE(test, aup.ops->emulate(&aup, &regs));
		KUNIT_EXPECT_EQ_MSG(test, regs.ip, UT_VADDR + cases[i].ilen + cases[i].rel,
				    "%s: emulated ip", cases[i].name);
		KUNIT_EXPECT_EQ(test, regs.sp, ret_slot);
		KUNIT_EXPECT_EQ(test, ut_peek(ret_slot), UT_VADDR + cases[i].ilen);
	}
}

/*
 * A post-step fix-up that cannot write the stack (another thread made it
 * read-only meanwhile, say) undoes the step: arch_uprobe_post_xol()
 * returns -ERESTART with IP back at the probe, the stack pointer as it
 * was before the instruction and our TF gone, for the core to restart.
 */
static void uprobe_test_post_xol_restart(struct kunit *test)
{
	static const struct {
		const char	*name;
		u8		bytes[8];
	} cases[] = {
		{ "pushf", { 0x9c } },
		{ "call *%rax", { 0xff, 0xd0 } },
		{ "call rel32", { 0xe8, 0x00, 0x01, 0x00, 0x00 } },
	};
	unsigned long stack = ut_user_page(test, PROT_READ);
	unsigned int i;

	KUNIT_ASSERT_NE_MSG(test, stack, 0UL, "no user page");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pt_regs regs = { .cs = __USER_CS };
		unsigned long top = stack + PAGE_SIZE - 64;
		struct arch_uprobe aup = {};
		struct uprobe_task *ut;
		int err;

		memcpy(aup.insn, cases[i].bytes, sizeof(cases[i].bytes));
		KUNIT_ASSERT_EQ(test, uprobe_analyze(&aup, true), 0);

		/* the step ran and pushed; then the stack became read-only */
		regs.flags = X86_EFLAGS_FIXED | X86_EFLAGS_TF;
		regs.sp = top - 8;
		regs.ip = UT_XOL + 2;
		regs.ax = 0x402000;

		ut = ut_task_enter(test);
		KUNIT_ASSERT_NOT_NULL(test, ut);
		ut->autask.saved_trap_nr = current->thread.trap_nr;
		ut->autask.saved_tf = 0;
		err = arch_uprobe_post_xol(&aup, &regs);
		ut_task_leave();

		KUNIT_EXPECT_EQ_MSG(test, err, -ERESTART, "%s", cases[i].name);
		KUNIT_EXPECT_EQ_MSG(test, regs.ip, UT_VADDR, "%s: ip", cases[i].name);
		KUNIT_EXPECT_EQ_MSG(test, regs.sp, top, "%s: sp", cases[i].name);
		KUNIT_EXPECT_FALSE_MSG(test, regs.flags & X86_EFLAGS_TF, "%s: TF", cases[i].name);
	}
}

/*
 * The memory and stack forms on a user page of the KUnit thread: their
 * results, and on a fault (a read-only page, a non-canonical return
 * address) a decline that leaves registers and memory as they were, so
 * that the stepped fallback raises the CPU's own signal.  The operand is
 * at %rdi, or the stack is at %rsp, both UT_SLOT in the page; @at is where
 * the word to check is, relative to UT_SLOT.
 */
struct ut_alu_mem_case {
	const char	*name;
	u8		bytes[MAX_UINSN_BYTES];
	bool		ok;		/* emulated, not declined */
	bool		writes;		/* declined on a read-only page */
	long		at;
	unsigned long	mem, exp_mem, ax, exp_ax;
	long		sp_delta;
	unsigned long	exp_ip;		/* 0: the next instruction */
};

static void uprobe_test_alu_memory(struct kunit *test)
{
	static const struct ut_alu_mem_case cases[] = {
		{ "add %eax,(%rdi)", { 0x01, 0x07 }, true, true, 0,
		  0xaaaaaaaa00000001, 0xaaaaaaaa00000003, 2, 2 },
		{ "mov (%rdi),%eax", { 0x8b, 0x07 }, true, false, 0,
		  0x1122334455667788, 0x1122334455667788, ~0UL, 0x55667788 },
		{ "movb $7,(%rdi)", { 0xc6, 0x07, 0x07 }, true, true, 0,
		  0x1122334455667788, 0x1122334455667707 },
		{ "cmpq $0,(%rdi) (no write)", { 0x48, 0x83, 0x3f, 0x00 }, true, false, 0,
		  5, 5 },
		{ "shlq $4,(%rdi)", { 0x48, 0xc1, 0x27, 0x04 }, true, true, 0,
		  0x8000000000000011, 0x110 },
		{ "shl %cl,(%rdi) with %cl 0 (declined)", { 0xd3, 0x27 }, false, true, 0,
		  0x11, 0x11 },
		{ "pop %rax", { 0x58 }, true, false, 0, 0x1234, 0x1234, 0, 0x1234, 8 },
		{ "push $-2", { 0x6a, 0xfe }, true, true, -8, 0, -2UL, 0, 0, -8 },
		{ "ret", { 0xc3 }, true, false, 0, 0x402000, 0x402000, 0, 0, 8, 0x402000 },
		{ "ret $0x10", { 0xc2, 0x10, 0x00 }, true, false, 0, 0x402000, 0x402000,
		  0, 0, 0x18, 0x402000 },
		{ "ret to non-canonical", { 0xc3 }, false, false, 0,
		  0x8000000000000000, 0x8000000000000000 },
	};
	unsigned long rw = ut_user_page(test, PROT_READ | PROT_WRITE);
	unsigned long ro = ut_user_page(test, PROT_READ);
	unsigned int i, pass;

	KUNIT_ASSERT_NE_MSG(test, rw, 0UL, "no user page");
	KUNIT_ASSERT_NE_MSG(test, ro, 0UL, "no user page");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ut_alu_mem_case *c = &cases[i];
		struct arch_uprobe aup = {};

		memcpy(aup.insn, c->bytes, MAX_UINSN_BYTES);
		KUNIT_ASSERT_EQ(test, uprobe_analyze(&aup, true), 0);
		KUNIT_ASSERT_PTR_EQ_MSG(test, aup.ops, &alu_xol_ops, "%s", c->name);

		for (pass = 0; pass < 2; pass++) {
			unsigned long slot = (pass ? ro : rw) + PAGE_SIZE / 2;
			struct pt_regs regs = {
				.cs = __USER_CS, .flags = UT_FL, .ip = UT_ALU_IP,
				.ax = c->ax, .di = slot, .sp = slot,
			};
			bool ok = pass ? false : c->ok;
			unsigned long mem = pass ? 0 : c->mem;

			/* the read-only page holds zeroes and faults on stores */
			if (pass && !c->writes)
				continue;
			if (!pass)
				KUNIT_ASSERT_EQ(test, put_user(c->mem, (unsigned long __user *)
							       (slot + c->at)), 0);
			KUNIT_EXPECT_EQ_MSG(test, alu_emulate(&aup, &regs), ok,
					    "%s/%s", c->name, pass ? "ro" : "rw");
			KUNIT_EXPECT_EQ_MSG(test, ut_peek(slot + c->at),
					    ok ? c->exp_mem : mem, "%s/%s: memory",
					    c->name, pass ? "ro" : "rw");
			KUNIT_EXPECT_EQ_MSG(test, regs.ax, ok ? c->exp_ax : c->ax,
					    "%s/%s: ax", c->name, pass ? "ro" : "rw");
			KUNIT_EXPECT_EQ_MSG(test, regs.sp, slot + (ok ? c->sp_delta : 0),
					    "%s/%s: sp", c->name, pass ? "ro" : "rw");
			KUNIT_EXPECT_EQ_MSG(test, regs.ip, !ok ? UT_ALU_IP :
					    c->exp_ip ?: UT_ALU_IP + aup.alu.ilen,
					    "%s/%s: ip", c->name, pass ? "ro" : "rw");
			if (!ok)
				KUNIT_EXPECT_EQ_MSG(test, regs.flags, UT_FL, "%s/%s: flags",
						    c->name, pass ? "ro" : "rw");
		}
	}
}

/*
 * The boosted copy: the instruction, then jmp *0(%rip) to the next
 * original instruction; the hold half ends in int3 instead.  Only the
 * boost class has one, and it must fit its half.
 */
static void uprobe_test_boost_image(struct kunit *test)
{
	static const u8 lock_add[] = { 0xf0, 0x48, 0x01, 0x07 };	/* lock add %rax,(%rdi) */
	static const u8 jmp[] = { 0xff, 0x25, 0, 0, 0, 0 };
	const unsigned long vaddr = 0x7f0012345678UL;
	struct arch_uprobe aup = {};
	u8 run[40], hold[40];
	u64 target;
	int i;

	memcpy(aup.insn, lock_add, sizeof(lock_add));
	KUNIT_ASSERT_EQ(test, uprobe_analyze(&aup, true), 0);
	KUNIT_ASSERT_PTR_EQ(test, aup.ops, &boost_xol_ops);
	memset(run, 0x55, sizeof(run));
	memset(hold, 0x55, sizeof(hold));
	KUNIT_ASSERT_EQ(test, arch_uprobe_boost_image(&aup, vaddr, run, hold, 32),
			(int)sizeof(lock_add));
	KUNIT_EXPECT_MEMEQ(test, run, lock_add, sizeof(lock_add));
	KUNIT_EXPECT_MEMEQ(test, run + 4, jmp, sizeof(jmp));
	memcpy(&target, run + 4 + sizeof(jmp), sizeof(target));
	KUNIT_EXPECT_EQ(test, target, (u64)vaddr + sizeof(lock_add));
	KUNIT_EXPECT_MEMEQ(test, hold, lock_add, sizeof(lock_add));
	/* int3 padding to the end of each half, nothing beyond */
	for (i = 4 + 14; i < 32; i++)
		KUNIT_EXPECT_EQ_MSG(test, run[i], INT3_INSN_OPCODE, "run[%d]", i);
	for (i = 4; i < 32; i++)
		KUNIT_EXPECT_EQ_MSG(test, hold[i], INT3_INSN_OPCODE, "hold[%d]", i);
	KUNIT_EXPECT_EQ(test, run[32], 0x55);
	KUNIT_EXPECT_EQ(test, hold[32], 0x55);

	/* a copy that would not fit its half */
	KUNIT_EXPECT_EQ(test, arch_uprobe_boost_image(&aup, vaddr, run, hold, 17),
			-EOPNOTSUPP);

	/* emulated, RIP-relative and 32-bit instructions are never boosted */
	memset(&aup, 0, sizeof(aup));
	aup.insn[0] = 0x90;
	KUNIT_ASSERT_EQ(test, uprobe_analyze(&aup, true), 0);
	KUNIT_EXPECT_EQ(test, arch_uprobe_boost_image(&aup, vaddr, run, hold, 32), -EOPNOTSUPP);
	memset(&aup, 0, sizeof(aup));
	memcpy(aup.insn, (u8 []){ 0xf0, 0x48, 0x01, 0x05, 0x10, 0, 0, 0 }, 8);
	KUNIT_ASSERT_EQ(test, uprobe_analyze(&aup, true), 0);
	KUNIT_EXPECT_EQ(test, arch_uprobe_boost_image(&aup, vaddr, run, hold, 32), -EOPNOTSUPP);
	memset(&aup, 0, sizeof(aup));
	memcpy(aup.insn, (u8 []){ 0xf0, 0x01, 0x07 }, 3);	/* lock add %eax,(%edi) */
	KUNIT_ASSERT_EQ(test, uprobe_analyze(&aup, false), 0);
	KUNIT_EXPECT_EQ(test, arch_uprobe_boost_image(&aup, vaddr, run, hold, 32), -EOPNOTSUPP);
}

static struct kunit_case uprobe_x86_insn_cases[] = {
	KUNIT_CASE_PARAM(uprobe_test_named_insns, ut_insn_gen_params),
	KUNIT_CASE(uprobe_test_generated_insns),
	KUNIT_CASE(uprobe_test_conditions),
	KUNIT_CASE_PARAM(uprobe_test_emulation, ut_emu_gen_params),
	KUNIT_CASE_PARAM(uprobe_test_alu_emulation, ut_alu_gen_params),
	KUNIT_CASE(uprobe_test_alu_memory),
	KUNIT_CASE(uprobe_test_is_alive),
	KUNIT_CASE(uprobe_test_unknown_refused),
	KUNIT_CASE(uprobe_test_call_in_slot),
	KUNIT_CASE(uprobe_test_post_xol_restart),
	KUNIT_CASE(uprobe_test_boost_image),
	{}
};

static struct kunit_suite uprobe_x86_insn_suite = {
	.name = "uprobes_x86_insn",
	.test_cases = uprobe_x86_insn_cases,
};

kunit_test_suites(&uprobe_x86_insn_suite);
