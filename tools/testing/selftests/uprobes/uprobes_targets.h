/* SPDX-License-Identifier: GPL-2.0 */
/* The assembly probe targets of uprobes_targets.S and the data they use. */
#ifndef UPROBES_TARGETS_H
#define UPROBES_TARGETS_H

int rip_func(int x);
unsigned long args_target(long a, const char *s);

extern int rip_var, rip_var2, rip_out;
extern unsigned long rip_addr, args_ret;

#endif /* UPROBES_TARGETS_H */
