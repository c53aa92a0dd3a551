/* SPDX-License-Identifier: GPL-2.0 */
/* The assembly probe targets of uprobes_hard_targets.S. */
#ifndef UPROBES_HARD_TARGETS_H
#define UPROBES_HARD_TARGETS_H

int hard_estep(int x);
int hard_tfstep(int x);
int hard_mul3(int x);
int hard_fault_load(const int *p);
int hard_step(int x);
long hard_straddle(long x);
int hard_last(int x);
long hard_boost_inc(long *p);	/* x86-64 only */
unsigned int hard_boost_many(unsigned int x);	/* x86-64 only */
extern const char hard_boost_many_first[];

extern const char hard_estep_body[], hard_estep_push[], hard_estep_nop[];
extern const char hard_estep_jmp[], hard_estep_end[];
extern const char hard_tfstep_push[], hard_tfstep_nop[], hard_tfstep_jmp[];
extern const char hard_tfstep_off[], hard_tfstep_end[];
extern const char hard_mul3_ret[], hard_step_body[], hard_step_probed[];
extern const char hard_step_next[], hard_step_end[];
extern const char hard_page0[], hard_straddle_insn[], hard_straddle_add[];
extern const char hard_last_ret[], hard_page2[];

#endif /* UPROBES_HARD_TARGETS_H */
