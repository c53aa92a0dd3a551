/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the uprobes selftests: tracefs access, uprobe events of
 * one group (probe_group, defined by each program) and ELF symbol offsets.
 */
#ifndef __UPROBES_UTIL_H
#define __UPROBES_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define TRACEFS		"/sys/kernel/tracing"

/* The tracefs group of every probe these helpers add, list or remove. */
extern const char *const probe_group;

int write_file(const char *path, const char *s, int flags);
char *read_all(const char *path, size_t *lenp);
int trace_clear(void);

int probe_add(const char *type, const char *name, const char *path, unsigned long off,
	      const char *args);
int probe_add_enable(const char *type, const char *name, const char *path, unsigned long off,
		     const char *args);
int probe_enable(const char *name, int on);
int probe_del(const char *name);
bool probe_listed(const char *name);
long probe_hits(const char *name);
void probes_clear_all(void);
const char *field(const char *line, const char *key);

int elf_sym_offset(const char *path, const char *sym, unsigned long *offp);
int self_exe(char *buf, size_t size);

#endif /* __UPROBES_UTIL_H */
