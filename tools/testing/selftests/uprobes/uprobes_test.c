// SPDX-License-Identifier: GPL-2.0
/*
 * uprobes selftest: drives uprobes through the tracefs uprobe_events ABI.
 *
 * The probed functions live in this binary; their file offsets are computed
 * at run time from its own ELF symbol table (and libc's dynamic symbol table
 * for the libc test), never hard-coded. Hits are counted with uprobe_profile
 * (third column) or by reading the recorded events back from the trace file.
 *
 * The same binary is also the program run after exec and the program whose
 * output is compared with and without probes: "--loop N BASE" calls the
 * target N times, "--output" prints a deterministic report.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "uprobes_targets.h"
#include "uprobes_util.h"

const char *const probe_group = "uprobes_test";

/* The registers of the first two integer arguments, as fetch args name them. */
#if defined(__x86_64__)
#define ARG1_REG	"%di"
#define ARG2_REG	"%si"
#elif defined(__aarch64__)
#define ARG1_REG	"%x0"
#define ARG2_REG	"%x1"
#endif

/* Hide a value from the optimiser so calls cannot be inlined or cloned. */
#define OPAQUE(x) ({ __typeof__(x) __v = (x); asm volatile("" : "+r"(__v)); __v; })

/*
 * The C probe target. It is only ever called through OPAQUE(), so the
 * compiler keeps one out-of-line copy at its symbol's address.
 */
int uprobe_target(int x)
{
	asm volatile("" ::: "memory");
	return x * 3 + 1;
}

/* Written before and read after each rip_func() call (uprobes_targets.S). */
int rip_var;
int rip_var2;
int rip_out;
unsigned long rip_addr;
unsigned long args_ret;

static const char * const rip_insns[] = {
	"rip_insn_load", "rip_insn_add", "rip_insn_cmp", "rip_insn_store", "rip_insn_lea",
};

/* Calls uprobe_target() n times; returns how many results were wrong. */
static int call_target(int n, int base)
{
	int (*fn)(int x) = OPAQUE(&uprobe_target);
	int i, bad = 0;

	for (i = 0; i < n; i++)
		if (fn(base + i) != (base + i) * 3 + 1)
			bad++;
	return bad;
}

/* Calls rip_func() once with fresh operands; returns 0 if it saw them all. */
static int call_rip(int i)
{
	int (*fn)(int x) = OPAQUE(&rip_func);
	int want, got;

	rip_var = (i % 10 == 0) ? 0x12345 : i * 7 + 3;
	rip_var2 = i * 11 - 5;
	rip_out = -1;
	rip_addr = 0;
	want = rip_var + rip_var2 + (rip_var == 0x12345 ? 1000 : 0);
	got = fn(i);
	return got != want || rip_out != i || rip_addr != (unsigned long)&rip_var;
}

/* Runs this binary with argv[1..] = args, stdout into out; returns wait status. */
static int run_self(const char *exe, const char * const args[], char *out, size_t outsize,
		    size_t *outlen)
{
	const char *argv[8] = { exe };
	size_t len = 0;
	int pfd[2], status, i;
	pid_t pid;
	ssize_t n;

	for (i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], STDOUT_FILENO);
		execv(exe, (char * const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	while (out && len < outsize && (n = read(pfd[0], out + len, outsize - len)) > 0)
		len += n;
	close(pfd[0]);
	if (outlen)
		*outlen = len;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* ---- the fixture ---- */

FIXTURE(uprobes) {
	char exe[PATH_MAX];
	unsigned long off_target;
};

FIXTURE_SETUP(uprobes)
{
	if (access(TRACEFS "/uprobe_events", W_OK))
		SKIP(return, "no " TRACEFS "/uprobe_events (CONFIG_UPROBE_EVENTS)");
	probes_clear_all();
	ASSERT_EQ(0, self_exe(self->exe, sizeof(self->exe)));
	ASSERT_EQ(0, elf_sym_offset(self->exe, "uprobe_target", &self->off_target));
}

/* In the parent, so probes go away even if the test process crashes. */
FIXTURE_TEARDOWN_PARENT(uprobes)
{
	probes_clear_all();
}

/* Adds and enables a probe on the test binary; 0 if it starts with no hits. */
static int add_probe(const char *exe, const char *name, unsigned long off, const char *args)
{
	return probe_add_enable("p", name, exe, off, args);
}

/*
 * One process, probed after it mapped the binary: exactly N hits, none
 * while the event is disabled, and counting again once it is re-enabled.
 */
TEST_F(uprobes, hits_one_process)
{
	ASSERT_EQ(0, add_probe(self->exe, "one", self->off_target, NULL));
	ASSERT_EQ(0, call_target(500, 0));
	ASSERT_EQ(500, probe_hits("one"));
	ASSERT_EQ(0, probe_enable("one", 0));
	ASSERT_EQ(0, call_target(100, 0));
	ASSERT_EQ(500, probe_hits("one"));
	ASSERT_EQ(0, probe_enable("one", 1));
	ASSERT_EQ(0, call_target(20, 0));
	ASSERT_EQ(520, probe_hits("one"));
}

struct thread_arg {
	pthread_barrier_t *barrier;
	int calls;
	int base;
	int bad;
};

static void *thread_calls(void *p)
{
	struct thread_arg *a = p;

	pthread_barrier_wait(a->barrier);
	a->bad = call_target(a->calls, a->base);
	return NULL;
}

/* Eight threads of one process, all hitting at once. */
TEST_F(uprobes, hits_8_threads)
{
	struct thread_arg args[8];
	pthread_t tids[8];
	pthread_barrier_t barrier;
	int i;

	ASSERT_EQ(0, add_probe(self->exe, "threads", self->off_target, NULL));
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, 8));
	for (i = 0; i < 8; i++) {
		args[i] = (struct thread_arg){ &barrier, 250, i * 1000, -1 };
		ASSERT_EQ(0, pthread_create(&tids[i], NULL, thread_calls, &args[i]));
	}
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_join(tids[i], NULL));
		EXPECT_EQ(0, args[i].bad);
	}
	ASSERT_EQ(2000, probe_hits("threads"));
}

/* Twenty processes that existed before the probe was registered. */
TEST_F(uprobes, hits_20_processes)
{
	pid_t pids[20];
	int go[2], i, status;
	char c;

	ASSERT_EQ(0, pipe(go));
	for (i = 0; i < 20; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			close(go[1]);
			/* EOF on the pipe means: start. */
			if (read(go[0], &c, 1) != 0)
				_exit(2);
			_exit(call_target(100, i * 100) ? 1 : 0);
		}
	}
	close(go[0]);
	ASSERT_EQ(0, add_probe(self->exe, "procs", self->off_target, NULL));
	close(go[1]);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("child %d: status 0x%x", i, status);
	}
	ASSERT_EQ(2000, probe_hits("procs"));
}

/* A process whose mm is created (by exec) after registration. */
TEST_F(uprobes, process_started_after_registration)
{
	static const char * const args[] = { "--loop", "300", "7", NULL };
	int status;

	ASSERT_EQ(0, add_probe(self->exe, "later", self->off_target, NULL));
	status = run_self(self->exe, args, NULL, 0, NULL);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("status 0x%x", status);
	ASSERT_EQ(300, probe_hits("later"));
}

/* Hits before fork, in the child, and in the parent after the child is gone. */
TEST_F(uprobes, fork_child)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, add_probe(self->exe, "fork", self->off_target, NULL));
	ASSERT_EQ(0, call_target(100, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(call_target(200, 5000) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status 0x%x", status);
	ASSERT_EQ(300, probe_hits("fork"));
	ASSERT_EQ(0, call_target(50, 9000));
	ASSERT_EQ(350, probe_hits("fork"));
}

/* A child that hits, then execs a new image of the probed binary and hits. */
TEST_F(uprobes, exec_program)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, add_probe(self->exe, "exec", self->off_target, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (call_target(25, 0))
			_exit(1);
		execl(self->exe, self->exe, "--loop", "300", "11", (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status 0x%x", status);
	ASSERT_EQ(325, probe_hits("exec"));
}

/* Finds the path of the libc mapped into this process. */
static int find_libc(char *path, size_t size)
{
	char *maps = read_all("/proc/self/maps", NULL);
	char *line, *save = NULL;
	int ret = -1;

	if (!maps)
		return -1;
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *file = strchr(line, '/');
		char *base;

		if (!file)
			continue;
		base = strrchr(file, '/') + 1;
		if (strncmp(base, "libc.so", 7) && strncmp(base, "libc-", 5))
			continue;
		snprintf(path, size, "%s", file);
		ret = 0;
		break;
	}
	free(maps);
	return ret;
}

/* File offset that the mapping holding addr maps it from, per /proc/self/maps. */
static int maps_file_offset(unsigned long addr, unsigned long *offp)
{
	char *maps = read_all("/proc/self/maps", NULL);
	char *line, *save = NULL;
	unsigned long start, end, off;
	int ret = -1;

	if (!maps)
		return -1;
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%lx-%lx %*s %lx", &start, &end, &off) != 3 ||
		    addr < start || addr >= end)
			continue;
		*offp = addr - start + off;
		ret = 0;
		break;
	}
	free(maps);
	return ret;
}

/* Counts trace lines of event name whose text contains needle. */
static int count_trace_lines(const char *name, const char *needle)
{
	char *buf = read_all(TRACEFS "/trace", NULL);
	char *line, *save = NULL, key[128];
	int n = 0;

	if (!buf)
		return -1;
	snprintf(key, sizeof(key), " %s: (", name);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#' && strstr(line, key) && strstr(line, needle))
			n++;
	free(buf);
	return n;
}

/*
 * A probe on a libc function (l64a(): nothing else in the guest calls it).
 * Every process maps libc, so count only this process's hits, by the comm
 * the probe records, and check the function still returns the right thing.
 */
TEST_F(uprobes, libc_function)
{
	char *(*fn)(long n) = OPAQUE(&l64a);
	char libc[PATH_MAX], want[200][8];
	unsigned long off, mapped_off;
	int i;

	ASSERT_EQ(0, find_libc(libc, sizeof(libc)));
	ASSERT_EQ(0, elf_sym_offset(libc, "l64a", &off));
	/* Cross-check the symbol table against where l64a really is mapped from. */
	ASSERT_EQ(0, maps_file_offset((unsigned long)fn, &mapped_off));
	ASSERT_EQ(off, mapped_off);
	for (i = 0; i < 200; i++)
		snprintf(want[i], sizeof(want[i]), "%s", fn(100000 + i));

	ASSERT_EQ(0, prctl(PR_SET_NAME, "upr_libc_test"));
	ASSERT_EQ(0, probe_add("p", "libc", libc, off, "v=" ARG1_REG ":s64 comm=$comm"));
	ASSERT_EQ(0, probe_enable("libc", 1));
	for (i = 0; i < 200; i++)
		ASSERT_STREQ(want[i], fn(100000 + i));
	ASSERT_EQ(0, probe_enable("libc", 0));

	ASSERT_EQ(200, count_trace_lines("libc", "comm=\"upr_libc_test\""));
	/* The first and the last call carried their own argument. */
	ASSERT_EQ(1, count_trace_lines("libc", "v=100000 comm=\"upr_libc_test\""));
	ASSERT_EQ(1, count_trace_lines("libc", "v=100199 comm=\"upr_libc_test\""));
	ASSERT_LE(200, probe_hits("libc"));
}

/*
 * Probes on RIP-relative loads, an add, a cmp with immediate, a store, a lea
 * (on arm64: ADR, an add, a conditional branch, a store, ADRP).
 */
TEST_F(uprobes, rip_relative)
{
	unsigned long off;
	int i, bad = 0;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, elf_sym_offset(self->exe, rip_insns[i], &off));
		ASSERT_EQ(0, add_probe(self->exe, rip_insns[i], off, NULL));
	}
	for (i = 0; i < 200; i++)
		bad += call_rip(i);
	ASSERT_EQ(0, bad);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(200, probe_hits(rip_insns[i]))
			TH_LOG("%s", rip_insns[i]);
}

/* The whole output of "--output", with and without probes on its code. */
TEST_F(uprobes, output_identical)
{
	static const char * const args[] = { "--output", NULL };
	static char plain[65536], probed[65536];
	size_t plain_len, probed_len;
	unsigned long off;
	int status, i;

	status = run_self(self->exe, args, plain, sizeof(plain), &plain_len);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_LT(1000, plain_len);

	ASSERT_EQ(0, add_probe(self->exe, "out_target", self->off_target, NULL));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, elf_sym_offset(self->exe, rip_insns[i], &off));
		ASSERT_EQ(0, add_probe(self->exe, rip_insns[i], off, NULL));
	}
	ASSERT_EQ(0, elf_sym_offset(self->exe, "args_target", &off));
	ASSERT_EQ(0, add_probe(self->exe, "out_args", off, "s=+0(" ARG2_REG "):string"));

	status = run_self(self->exe, args, probed, sizeof(probed), &probed_len);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(plain_len, probed_len);
	ASSERT_EQ(0, memcmp(plain, probed, plain_len));
	/* The probed run really was probed. */
	ASSERT_EQ(200, probe_hits("out_target"));
	ASSERT_EQ(100, probe_hits("rip_insn_load"));
	ASSERT_EQ(100, probe_hits("out_args"));
}

/*
 * Probing must not change the file: neither its bytes on disk nor what
 * read() or a shared mapping returns from the page cache, while a process
 * has the probes installed and after they are removed.
 */
TEST_F(uprobes, file_unchanged)
{
	size_t len, len2;
	char *before, *now, c;
	unsigned long off;
	int ready[2], go[2], status, fd, i;
	void *map;
	pid_t pid;

	before = read_all(self->exe, &len);
	ASSERT_NE(NULL, before);
	ASSERT_EQ(0, add_probe(self->exe, "file_target", self->off_target, NULL));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, elf_sym_offset(self->exe, rip_insns[i], &off));
		ASSERT_EQ(0, add_probe(self->exe, rip_insns[i], off, NULL));
	}

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Hit the probes, then hold the probed mapping until told to go. */
		int bad = call_target(50, 0) + call_rip(1);

		close(ready[0]);
		close(go[1]);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 0)
			_exit(2);
		_exit(bad ? 1 : 0);
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(50, probe_hits("file_target"));
	ASSERT_EQ(1, probe_hits("rip_insn_load"));

	now = read_all(self->exe, &len2);
	ASSERT_NE(NULL, now);
	ASSERT_EQ(len, len2);
	ASSERT_EQ(0, memcmp(before, now, len));
	free(now);

	fd = open(self->exe, O_RDONLY);
	ASSERT_LE(0, fd);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, memcmp(before, map, len));
	munmap(map, len);

	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	probes_clear_all();
	now = read_all(self->exe, &len2);
	ASSERT_NE(NULL, now);
	ASSERT_EQ(len, len2);
	ASSERT_EQ(0, memcmp(before, now, len));
	free(now);
	free(before);
}

struct spin_arg {
	int stop;
	int id;
	long calls;
	long bad;
};

static void *thread_spin(void *p)
{
	struct spin_arg *a = p;
	int i = 0;

	while (!__atomic_load_n(&a->stop, __ATOMIC_RELAXED)) {
		a->bad += call_target(1, a->id * 100000 + (i++ % 1000));
		__atomic_store_n(&a->calls, a->calls + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static long spin_calls(struct spin_arg *a, int n)
{
	long total = 0;
	int i;

	for (i = 0; i < n; i++)
		total += __atomic_load_n(&a[i].calls, __ATOMIC_RELAXED);
	return total;
}

/* Waits (up to 60 s) until name has at least min hits. */
static bool wait_hits(const char *name, long min)
{
	int tries;

	for (tries = 0; tries < 12000; tries++) {
		if (probe_hits(name) >= min)
			return true;
		usleep(5000);
	}
	return false;
}

/* Waits (up to 60 s) until the n spinning threads made min calls in all. */
static bool wait_calls(struct spin_arg *a, int n, long min)
{
	int tries;

	for (tries = 0; tries < 12000; tries++) {
		if (spin_calls(a, n) >= min)
			return true;
		usleep(5000);
	}
	return false;
}

/*
 * Register and unregister three times while eight threads keep calling
 * the probed function: no crash, every call returns the right value, and
 * calls go on after the last unregistration.
 */
TEST_F_TIMEOUT(uprobes, unregister_while_hitting, 120)
{
	struct spin_arg args[8] = {};
	pthread_t tids[8];
	long before;
	int i, round;

	for (i = 0; i < 8; i++) {
		args[i].id = i;
		ASSERT_EQ(0, pthread_create(&tids[i], NULL, thread_spin, &args[i]));
	}
	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, probe_add("p", "spin", self->exe, self->off_target, NULL));
		ASSERT_EQ(0, probe_enable("spin", 1));
		ASSERT_TRUE(wait_hits("spin", 200));
		ASSERT_EQ(0, probe_enable("spin", 0));
		ASSERT_EQ(0, probe_del("spin"));
		ASSERT_FALSE(probe_listed("spin"));
	}
	before = spin_calls(args, 8);
	ASSERT_TRUE(wait_calls(args, 8, before + 2000));
	for (i = 0; i < 8; i++)
		__atomic_store_n(&args[i].stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_join(tids[i], NULL));
		EXPECT_EQ(0, args[i].bad);
		EXPECT_LT(0, args[i].calls);
	}
}

/*
 * Fetch arguments: the first argument's register (%di, %x0 on arm64) as
 * s64, a string through the second's (+0(%si):string), the stack pointer
 * and the top of the stack ($stack, $stack0) and the task's comm, read
 * back from the trace.
 */
TEST_F(uprobes, fetch_args)
{
	static const struct { long a; const char *s; } calls[] = {
		{ 42, "hello uprobes" },
		{ -1234567890123L, "second, with spaces" },
		{ 0x7fffffffffffffffL, "" },
	};
	static const char spec[] =
		"a=" ARG1_REG ":s64 sp=$stack ret=$stack0 comm=$comm s=+0(" ARG2_REG "):string";
	unsigned long (*fn)(long a, const char *s) = OPAQUE(&args_target);
	unsigned long sp[3], ret[3], off;
	char *buf, *line, *save = NULL, key[64];
	int i, n = 0;

	ASSERT_EQ(0, elf_sym_offset(self->exe, "args_target", &off));
	ASSERT_EQ(0, add_probe(self->exe, "args", off, spec));
	ASSERT_EQ(0, prctl(PR_SET_NAME, "upr_args_comm"));
	for (i = 0; i < 3; i++) {
		sp[i] = fn(calls[i].a, calls[i].s);
		ret[i] = args_ret;
	}
	ASSERT_EQ(0, probe_enable("args", 0));
	ASSERT_EQ(3, probe_hits("args"));

	buf = read_all(TRACEFS "/trace", NULL);
	ASSERT_NE(NULL, buf);
	snprintf(key, sizeof(key), " args: (0x%lx)", (unsigned long)fn);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *s, *end;

		if (line[0] == '#')
			continue;
		TH_LOG("%s", line);
		ASSERT_NE(NULL, strstr(line, key))
			TH_LOG("want probe address %s", key);
		ASSERT_GT(3, n);
		ASSERT_NE(NULL, field(line, "a"));
		EXPECT_EQ(calls[n].a, strtoll(field(line, "a"), NULL, 10));
		ASSERT_NE(NULL, field(line, "sp"));
		EXPECT_EQ(sp[n], strtoull(field(line, "sp"), NULL, 16));
		ASSERT_NE(NULL, field(line, "ret"));
		EXPECT_EQ(ret[n], strtoull(field(line, "ret"), NULL, 16));
		ASSERT_NE(NULL, field(line, "comm"));
		EXPECT_EQ(0, strncmp(field(line, "comm"), "\"upr_args_comm\" ", 16));
		s = field(line, "s");
		ASSERT_NE(NULL, s);
		end = strrchr(line, '"');
		ASSERT_EQ('"', *s);
		ASSERT_EQ(strlen(calls[n].s), end - s - 1);
		EXPECT_EQ(0, strncmp(s + 1, calls[n].s, end - s - 1));
		n++;
	}
	free(buf);
	ASSERT_EQ(3, n);
}

/* "--output": a deterministic report of what the probed code computes. */
static int output_mode(void)
{
	unsigned long (*afn)(long a, const char *s) = OPAQUE(&args_target);
	int (*fn)(int x) = OPAQUE(&uprobe_target);
	int (*rfn)(int x) = OPAQUE(&rip_func);
	int i, t1, t2, r;
	char s[32];

	for (i = 0; i < 100; i++) {
		rip_var = i * 13;
		rip_var2 = i - 50;
		snprintf(s, sizeof(s), "str%d", i);
		afn(i, s);
		t1 = fn(i);
		t2 = fn(-i);
		r = rfn(i);
		printf("%d target=%d,%d rip=%d out=%d addr_ok=%d ret_ok=%d\n", i, t1, t2, r,
		       rip_out, rip_addr == (unsigned long)&rip_var, args_ret != 0);
	}
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--loop"))
		return call_target(atoi(argv[2]), atoi(argv[3])) ? 1 : 0;
	if (argc == 2 && !strcmp(argv[1], "--output"))
		return output_mode();
	return test_harness_run(argc, argv);
}
