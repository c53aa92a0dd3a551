// SPDX-License-Identifier: GPL-2.0
/*
 * Return probes on arm64, through uprobe_events: an entry and a return
 * probe on the same function with the argument (%x0) and $retval checked
 * call by call, recursion, a fork inside a probed function (both processes
 * return through the trampoline), and a longjmp() out of probed frames.
 * uprobe_profile counts the entries of return probes too (the breakpoint
 * is at the function's entry); the returns are counted in the trace.
 * Built by scripts/check-arm64.sh with the selftests' uprobes_util.c and
 * kselftest_harness.h; run by guest/arm64/init.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "uprobes_util.h"

const char *const probe_group = "arm64_ret";

#define OPAQUE(x) ({ __typeof__(x) __v = (x); asm volatile("" : "+r"(__v)); __v; })
#define TARGET __attribute__((noinline, noclone, used))

TARGET long ret_target(long a)
{
	asm volatile("" ::: "memory");
	return 2 * a + 1;
}

TARGET long rec_sum(long n)
{
	long (*self)(long) = OPAQUE(&rec_sum);

	return n ? n + self(n - 1) : 0;
}

TARGET long fork_target(long a)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	/* The child returns 1000 + a; the parent a, once the child is gone. */
	if (pid == 0)
		return 1000 + a;
	return waitpid(pid, NULL, 0) == pid ? a : -2;
}

static jmp_buf jb;

TARGET long jump_target(long n)
{
	long (*self)(long) = OPAQUE(&jump_target);

	if (n == 0)
		longjmp(jb, 1);
	return self(n - 1) + 1;
}

/* Values of field key in the trace lines of event name, in trace order. */
static int trace_values(const char *name, const char *key, long *vals, int max)
{
	char *buf = read_all(TRACEFS "/trace", NULL), *line, *save = NULL;
	char needle[64];
	int n = 0;

	if (!buf)
		return -1;
	snprintf(needle, sizeof(needle), " %s: (", name);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *v;

		if (line[0] == '#' || !strstr(line, needle))
			continue;
		v = field(line, key);
		if (!v || n == max) {
			n = -1;
			break;
		}
		vals[n++] = strtol(v, NULL, 10);
	}
	free(buf);
	return n;
}

FIXTURE(ret) {
	char exe[PATH_MAX];
};

FIXTURE_SETUP(ret)
{
	cpu_set_t one;

	if (access(TRACEFS "/uprobe_events", W_OK))
		SKIP(return, "no " TRACEFS "/uprobe_events");
	/* One CPU, so that the trace comes out in program order. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	probes_clear_all();
	ASSERT_EQ(0, self_exe(self->exe, sizeof(self->exe)));
}

FIXTURE_TEARDOWN_PARENT(ret)
{
	probes_clear_all();
}

static int add(const char *exe, const char *type, const char *name, const char *sym,
	       const char *args)
{
	unsigned long off;

	if (elf_sym_offset(exe, sym, &off))
		return -1;
	return probe_add_enable(type, name, exe, off, args);
}

/* 100 calls: the entry probe sees each argument, the return probe 2a + 1. */
TEST_F(ret, entry_and_return)
{
	long (*fn)(long) = OPAQUE(&ret_target);
	static long a[100], v[100];
	int i;

	ASSERT_EQ(0, add(self->exe, "p", "ent", "ret_target", "a=%x0:s64"));
	ASSERT_EQ(0, add(self->exe, "r", "ret", "ret_target", "v=$retval:s64"));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(2 * (i * 7 - 300) + 1, fn(i * 7 - 300));
	ASSERT_EQ(100, probe_hits("ent"));
	ASSERT_EQ(100, probe_hits("ret"));
	ASSERT_EQ(100, trace_values("ent", "a", a, 100));
	ASSERT_EQ(100, trace_values("ret", "v", v, 100));
	for (i = 0; i < 100; i++) {
		EXPECT_EQ(i * 7 - 300, a[i]);
		EXPECT_EQ(2 * (i * 7 - 300) + 1, v[i]);
	}
}

/* rec_sum(10) five times: 11 calls and 11 returns each, innermost first. */
TEST_F(ret, recursive)
{
	long (*fn)(long) = OPAQUE(&rec_sum);
	static long v[64];
	int i, k;

	ASSERT_EQ(0, add(self->exe, "r", "rec", "rec_sum", "v=$retval:s64"));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(55, fn(10));
	ASSERT_EQ(55, probe_hits("rec"));
	ASSERT_EQ(55, trace_values("rec", "v", v, 64));
	for (i = 0; i < 5; i++)
		for (k = 0; k <= 10; k++)
			EXPECT_EQ(k * (k + 1) / 2, v[i * 11 + k]);
}

/* fork() inside a probed function: parent and child both return through it. */
TEST_F(ret, fork_in_probed_function)
{
	long (*fn)(long) = OPAQUE(&fork_target);
	static long v[4];
	long r;

	ASSERT_EQ(0, add(self->exe, "r", "fork", "fork_target", "v=$retval:s64"));
	r = fn(7);
	if (r == 1007) {
		/* The child: its return went through the inherited trampoline. */
		fflush(stdout);
		_exit(0);
	}
	ASSERT_EQ(7, r);
	/* One entry, two returns. */
	ASSERT_EQ(1, probe_hits("fork"));
	ASSERT_EQ(2, trace_values("fork", "v", v, 4));
	/* The child returns first: the parent waits for it. */
	EXPECT_EQ(1007, v[0]);
	EXPECT_EQ(7, v[1]);
}

/* longjmp() out of four probed frames, then normal calls report as before. */
TEST_F(ret, longjmp_out_of_probed_frames)
{
	long (*fn)(long) = OPAQUE(&jump_target);
	long (*rfn)(long) = OPAQUE(&ret_target);
	static long v[20];
	int i;

	ASSERT_EQ(0, add(self->exe, "r", "jump", "jump_target", "v=$retval:s64"));
	ASSERT_EQ(0, add(self->exe, "r", "ret", "ret_target", "v=$retval:s64"));
	for (i = 0; i < 20; i++) {
		if (!setjmp(jb))
			fn(3);
		ASSERT_EQ(2 * i + 1, rfn(i));
	}
	/* Entries are counted, but none of those frames returned. */
	ASSERT_EQ(80, probe_hits("jump"));
	ASSERT_EQ(0, trace_values("jump", "v", v, 20));
	ASSERT_EQ(20, probe_hits("ret"));
	ASSERT_EQ(20, trace_values("ret", "v", v, 20));
	for (i = 0; i < 20; i++)
		EXPECT_EQ(2 * i + 1, v[i]);
}

TEST_HARNESS_MAIN
