/* SPDX-License-Identifier: GPL-2.0 */
/* The assembly probe targets of uprobes_stress_targets.S. */
#ifndef UPROBES_STRESS_TARGETS_H
#define UPROBES_STRESS_TARGETS_H

/* stress_sled() is 1000 instructions of this many bytes each. */
#define STRESS_SLED_INSNS	1000
#define STRESS_SLED_INSN_LEN	3

int stress_step(int x);
int stress_emul(int x);
int stress_sled(int x);
long stress_block(int fd, void *buf);
long stress_block_outer(int fd, void *buf);

extern const char stress_sled_body[], stress_sled_end[];
extern unsigned short stress_tick_semaphore;

#endif /* UPROBES_STRESS_TARGETS_H */
