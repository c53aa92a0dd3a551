// SPDX-License-Identifier: GPL-2.0
/*
 * uprobes selftest, the hard cases: probed code across fork, vfork, raw
 * clone threads and exec; probed text that is moved, reprotected or
 * unmapped under a running thread; signals and faults on probed
 * instructions; ptrace single-stepping and debugger breakpoints; ia32
 * programs; return probes through nesting, recursion and longjmp; and
 * instructions at page and mapping boundaries.  On arm64, whose targets
 * are in uprobes_hard_targets.S too, the x86 cases (ptrace and TF
 * single-stepping, ia32 programs, an instruction across a page boundary)
 * are left out.
 *
 * Probes are driven through the tracefs uprobe_events ABI. Offsets come
 * from the ELF symbol tables of this binary and of uprobes_hard32 (the
 * ia32 program, next to it). Hits are counted with uprobe_profile, and
 * return values are read back from the recorded events in the trace file.
 *
 * "--loop N BASE" calls hard_mul3() N times, "--straddle N" calls
 * hard_straddle() N times: the programs run after exec. "--rec N" prints
 * ret_rec(N) and ret_outer(N), for trying return probes by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "uprobes_hard_targets.h"
#include "uprobes_util.h"

#define GROUP		"uprobes_hard"
#define PAGE		4096UL

const char *const probe_group = GROUP;

/*
 * The signal frame's PC, the uprobes breakpoint, and where hard_last() and
 * its ret start, counted back from the end of their page.
 */
#if defined(__x86_64__)
#define UC_PC(uc)	((uc)->uc_mcontext.gregs[REG_RIP])
static const unsigned char bp_insn[] = { 0xcc };			/* int3 */
#define LAST_ENTRY_END	4
#define LAST_RET_END	1
#elif defined(__aarch64__)
#define UC_PC(uc)	((uc)->uc_mcontext.pc)
static const unsigned char bp_insn[] = { 0xa0, 0x00, 0x20, 0xd4 };	/* brk #0x5 */
#define LAST_ENTRY_END	8
#define LAST_RET_END	4
#endif

/* Does the instruction at p start with the uprobes breakpoint? */
static bool is_bp(const void *p)
{
	return !memcmp(p, bp_insn, sizeof(bp_insn));
}

/* Hide a value from the optimiser so calls cannot be inlined or cloned. */
#define OPAQUE(x) ({ __typeof__(x) __v = (x); asm volatile("" : "+r"(__v)); __v; })

/* Calls f (hard_mul3() or a copy of it) n times; returns how many were wrong. */
static int call_mul3_via(int (*f)(int x), int n, int base)
{
	int i, bad = 0;

	f = OPAQUE(f);
	for (i = 0; i < n; i++)
		if (f(base + i) != (base + i) * 3 + 1)
			bad++;
	return bad;
}

static int call_mul3(int n, int base)
{
	return call_mul3_via(hard_mul3, n, base);
}

/* ---- C return-probe targets: every call is out of line and not a tail call ---- */

int ret_inner(int x)
{
	asm volatile("" ::: "memory");
	return x * 2 + 1;
}

int ret_outer(int x)
{
	int (*f)(int x) = OPAQUE(&ret_inner);

	return f(x) + f(x + 1) + 1;
}

/* Returns n * (n + 1) / 2, recursing n deep. */
int ret_rec(int n)
{
	int (*f)(int n) = OPAQUE(&ret_rec);

	if (n == 0)
		return 0;
	return f(n - 1) + n;
}

static jmp_buf lj_env;

/* Returns 100 + n, or longjmp()s out of all n + 1 frames if jump. */
int lj_rec(int n, int jump)
{
	int (*f)(int n, int jump) = OPAQUE(&lj_rec);

	if (n == 0) {
		if (jump)
			longjmp(lj_env, 1);
		return 100;
	}
	return f(n - 1, jump) + 1;
}

/* ---- probes ---- */

/* Adds ("p" or "r") and enables GROUP/name on sym of path; 0 if it has no hits yet. */
static int probe_sym(const char *type, const char *name, const char *path, const char *sym,
		     const char *args)
{
	unsigned long off;
	int ret;

	ret = elf_sym_offset(path, sym, &off);
	if (ret)
		return ret;
	return probe_add_enable(type, name, path, off, args);
}

/*
 * Collects, in trace order, the "ret=" values recorded by the events in
 * names[]: ev[i] is the index in names[] of the i-th record. Returns the
 * number of records, or -1 if one has no value or there are more than max.
 */
static int trace_rets(const char * const names[], int nnames, int *ev, long *vals, int max)
{
	char *buf = read_all(TRACEFS "/trace", NULL);
	char *line, *save = NULL, key[128];
	int n = 0, j;

	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		for (j = 0; j < nnames; j++) {
			snprintf(key, sizeof(key), " %s: (", names[j]);
			if (strstr(line, key))
				break;
		}
		if (j == nnames)
			continue;
		if (n == max || !field(line, "ret")) {
			n = -1;
			break;
		}
		ev[n] = j;
		vals[n++] = strtol(field(line, "ret"), NULL, 0);
	}
	free(buf);
	return n;
}

/* Keeps this test on one CPU, so the trace records come out in program order. */
static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Maps the file page of exe holding sym; returns sym's address in it. */
static void *map_sym_page(const char *exe, const char *sym, void **mapp)
{
	unsigned long off;
	void *map;
	int fd;

	if (elf_sym_offset(exe, sym, &off))
		return NULL;
	fd = open(exe, O_RDONLY);
	if (fd < 0)
		return NULL;
	map = mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, off & ~(PAGE - 1));
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	*mapp = map;
	return map + (off & (PAGE - 1));
}

/* Waits for pid and returns its wait status (-1 on error). */
static int wait_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static bool exited_ok(int status)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- the fixture ---- */

FIXTURE(hard) {
	char exe[PATH_MAX];
};

FIXTURE_SETUP(hard)
{
	if (access(TRACEFS "/uprobe_events", W_OK))
		SKIP(return, "no " TRACEFS "/uprobe_events (CONFIG_UPROBE_EVENTS)");
	probes_clear_all();
	ASSERT_EQ(0, self_exe(self->exe, sizeof(self->exe)));
}

/* In the parent, so probes go away even if the test process crashes. */
FIXTURE_TEARDOWN_PARENT(hard)
{
	probes_clear_all();
}

/* ---- fork, vfork, clone ---- */

/* A child and a grandchild inherit the breakpoints and hit them. */
TEST_F(hard, fork_inherits)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, probe_sym("p", "fork", self->exe, "hard_mul3", NULL));
	ASSERT_EQ(0, call_mul3(10, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t gpid;

		if (call_mul3(100, 1000))
			_exit(1);
		gpid = fork();
		if (gpid < 0)
			_exit(2);
		if (gpid == 0)
			_exit(call_mul3(50, 2000) ? 1 : 0);
		_exit(exited_ok(wait_status(gpid)) ? 0 : 3);
	}
	status = wait_status(pid);
	ASSERT_TRUE(exited_ok(status))
		TH_LOG("child status 0x%x", status);
	ASSERT_EQ(160, probe_hits("fork"));
	ASSERT_EQ(0, call_mul3(5, 3000));
	ASSERT_EQ(165, probe_hits("fork"));
}

/* A vfork child, running on the parent's mm, calls the probed function. */
TEST_F(hard, vfork_child)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, probe_sym("p", "vfork", self->exe, "hard_mul3", NULL));
	pid = vfork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(call_mul3(80, 100) ? 1 : 0);
	status = wait_status(pid);
	ASSERT_TRUE(exited_ok(status))
		TH_LOG("child status 0x%x", status);
	ASSERT_EQ(80, probe_hits("vfork"));
	ASSERT_EQ(0, call_mul3(20, 0));
	ASSERT_EQ(100, probe_hits("vfork"));
}

struct clone_arg {
	pid_t tid;	/* set by CLONE_PARENT_SETTID, cleared at exit */
	int base;
	int bad;
};

static int clone_fn(void *p)
{
	struct clone_arg *a = p;

	a->bad = call_mul3(150, a->base);
	return 0;
}

/* Threads made by raw clone(CLONE_VM | CLONE_THREAD | ...), not pthreads. */
TEST_F(hard, clone_threads)
{
	const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			  CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	const size_t stack_size = 256 * 1024;
	struct clone_arg args[4];
	char *stacks;
	int i;

	ASSERT_EQ(0, probe_sym("p", "clone", self->exe, "hard_mul3", NULL));
	stacks = mmap(NULL, 4 * stack_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stacks);
	for (i = 0; i < 4; i++) {
		args[i] = (struct clone_arg){ .base = i * 1000, .bad = -1 };
		ASSERT_LT(0, clone(clone_fn, stacks + (i + 1) * stack_size, flags, &args[i],
				   &args[i].tid, NULL, &args[i].tid));
	}
	for (i = 0; i < 4; i++) {
		pid_t t;

		/* The kernel clears tid and wakes its futex when the thread is gone. */
		while ((t = __atomic_load_n(&args[i].tid, __ATOMIC_ACQUIRE)) != 0)
			syscall(SYS_futex, &args[i].tid, FUTEX_WAIT, t, NULL, NULL, 0);
		EXPECT_EQ(0, args[i].bad);
	}
	ASSERT_EQ(600, probe_hits("clone"));
	munmap(stacks, 4 * stack_size);
}

/* ---- exec ---- */

/* A child hits, then execs a fresh image of the probed binary, which hits. */
TEST_F(hard, exec_probed_image)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, probe_sym("p", "execp", self->exe, "hard_mul3", NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (call_mul3(25, 0))
			_exit(1);
		execl(self->exe, self->exe, "--loop", "200", "7", (char *)NULL);
		_exit(127);
	}
	status = wait_status(pid);
	ASSERT_TRUE(exited_ok(status))
		TH_LOG("child status 0x%x", status);
	ASSERT_EQ(225, probe_hits("execp"));
}

/*
 * A child hits, then execs a byte-identical copy of the binary (another
 * inode): the probe on the original sees no hit from it, while a probe
 * on the copy sees every call.
 */
TEST_F(hard, exec_unprobed_image)
{
	static const char copy[] = "/tmp/uprobes_hard.copy";
	size_t len;
	char *bytes;
	int fd, status;
	pid_t pid;

	bytes = read_all(self->exe, &len);
	ASSERT_NE(NULL, bytes);
	unlink(copy);
	fd = open(copy, O_WRONLY | O_CREAT | O_EXCL, 0755);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, write(fd, bytes, len));
	ASSERT_EQ(0, close(fd));
	free(bytes);

	ASSERT_EQ(0, probe_sym("p", "execorig", self->exe, "hard_mul3", NULL));
	ASSERT_EQ(0, probe_sym("p", "execcopy", copy, "hard_mul3", NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (call_mul3(30, 0))
			_exit(1);
		execl(copy, copy, "--loop", "120", "3", (char *)NULL);
		_exit(127);
	}
	status = wait_status(pid);
	unlink(copy);
	ASSERT_TRUE(exited_ok(status))
		TH_LOG("child status 0x%x", status);
	ASSERT_EQ(30, probe_hits("execorig"));
	ASSERT_EQ(120, probe_hits("execcopy"));
}

/* ---- mremap, mprotect, munmap of probed text ---- */

/*
 * A second mapping of the probed text page is hit like the first, and
 * keeps its breakpoints when mremap() moves it: after a move of a mapping
 * already called through, and of one never touched before the move.
 */
TEST_F(hard, mremap_probed_text)
{
	void *map, *map2, *hole, *moved;
	int (*f)(int x), (*g)(int x);
	unsigned long in_page;

	ASSERT_EQ(0, probe_sym("p", "mremap", self->exe, "hard_mul3", NULL));
	f = map_sym_page(self->exe, "hard_mul3", &map);
	ASSERT_NE(NULL, f);
	g = map_sym_page(self->exe, "hard_mul3", &map2);
	ASSERT_NE(NULL, g);
	in_page = (unsigned long)f - (unsigned long)map;

	ASSERT_EQ(0, call_mul3_via(f, 100, 0));
	ASSERT_EQ(0, call_mul3(50, 0));
	ASSERT_EQ(150, probe_hits("mremap"));

	/* Move both into a reserved hole, away from where they were. */
	hole = mmap(NULL, 6 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	moved = mremap(map, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, hole + PAGE);
	ASSERT_EQ(hole + PAGE, moved);
	f = moved + in_page;
	ASSERT_EQ(0, call_mul3_via(f, 100, 500));
	ASSERT_EQ(250, probe_hits("mremap"));

	moved = mremap(map2, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, hole + 4 * PAGE);
	ASSERT_EQ(hole + 4 * PAGE, moved);
	g = moved + in_page;
	ASSERT_EQ(0, call_mul3_via(g, 70, 900));
	ASSERT_EQ(320, probe_hits("mremap"));
	munmap(hole, 6 * PAGE);
}

/*
 * mprotect() of the probed text page of the running program to RWX (with
 * a write to it, which must not lose the breakpoint) and back to R-X.
 */
TEST_F(hard, mprotect_probed_text)
{
	char *page = (char *)((unsigned long)hard_mul3 & ~(PAGE - 1));
	char *ret = (char *)hard_mul3_ret;

	ASSERT_EQ(0, probe_sym("p", "mprot", self->exe, "hard_mul3", NULL));
	ASSERT_EQ(0, call_mul3(50, 0));
	ASSERT_EQ(50, probe_hits("mprot"));
	ASSERT_EQ(0, mprotect(page, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC));
	ASSERT_EQ(0, call_mul3(50, 100));
	ASSERT_EQ(100, probe_hits("mprot"));
	/* Store the byte already there: the page becomes written-to. */
	__atomic_store_n(ret, __atomic_load_n(ret, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
	ASSERT_EQ(0, call_mul3(50, 200));
	ASSERT_EQ(150, probe_hits("mprot"));
	ASSERT_EQ(0, mprotect(page, PAGE, PROT_READ | PROT_EXEC));
	ASSERT_EQ(0, call_mul3(50, 300));
	ASSERT_EQ(200, probe_hits("mprot"));
}

struct mu_arg {
	int (*f)(int x);
	long calls;
	long bad;
	int faulted;
};

static sigjmp_buf mu_env;
static void *mu_fault_addr;

static void mu_segv(int sig, siginfo_t *si, void *uc)
{
	__atomic_store_n(&mu_fault_addr, si->si_addr, __ATOMIC_RELAXED);
	siglongjmp(mu_env, 1);
}

/* Calls a->f until it faults (a SIGSEGV handler brings it back here). */
static void *mu_thread(void *p)
{
	struct mu_arg *a = p;
	int i;

	if (sigsetjmp(mu_env, 1)) {
		a->faulted = 1;
		return NULL;
	}
	for (i = 0; ; i++) {
		if (a->f(i) != i * 3 + 1)
			a->bad++;
		__atomic_store_n(&a->calls, i + 1L, __ATOMIC_RELEASE);
	}
	return NULL;
}

static bool mu_wait_calls(struct mu_arg *a, long min)
{
	int tries;

	for (tries = 0; tries < 6000; tries++) {
		if (__atomic_load_n(&a->calls, __ATOMIC_ACQUIRE) >= min)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * munmap() of a second mapping of the probed text while a thread keeps
 * calling through it. That thread, and only it, gets SIGSEGV, on the
 * first instruction it fetches from the hole; its handler ends it. Every
 * call it completed was right and was counted by both probes.
 */
TEST_F_TIMEOUT(hard, munmap_while_hitting, 90)
{
	struct sigaction sa = { .sa_sigaction = mu_segv, .sa_flags = SA_SIGINFO };
	struct mu_arg a = {};
	pthread_t tid;
	void *map;
	long calls;

	ASSERT_EQ(0, probe_sym("p", "mu_entry", self->exe, "hard_mul3", NULL));
	ASSERT_EQ(0, probe_sym("p", "mu_ret", self->exe, "hard_mul3_ret", NULL));
	a.f = map_sym_page(self->exe, "hard_mul3", &map);
	ASSERT_NE(NULL, a.f);
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&tid, NULL, mu_thread, &a));
	ASSERT_TRUE(mu_wait_calls(&a, 300));
	ASSERT_EQ(0, munmap(map, PAGE));
	ASSERT_EQ(0, pthread_join(tid, NULL));
	signal(SIGSEGV, SIG_DFL);

	calls = a.calls;
	EXPECT_EQ(1, a.faulted);
	EXPECT_EQ(0, a.bad);
	ASSERT_LE(300, calls);
	/*
	 * The fault is at the entry, or at a later instruction of the call
	 * (the ret on x86, the second add or the ret on arm64), after an
	 * entry that ran.
	 */
	if (mu_fault_addr == (void *)a.f) {
		EXPECT_EQ(calls, probe_hits("mu_entry"));
	} else {
		ASSERT_LT((char *)a.f, (char *)mu_fault_addr);
		ASSERT_GE((char *)a.f + (hard_mul3_ret - (char *)hard_mul3),
			  (char *)mu_fault_addr);
		EXPECT_EQ(calls + 1, probe_hits("mu_entry"));
	}
	EXPECT_EQ(calls, probe_hits("mu_ret"));
	/* The original text is still mapped and probed. */
	ASSERT_EQ(0, call_mul3(10, 0));
	EXPECT_EQ(calls + 10, probe_hits("mu_ret"));
}

/*
 * The same without a handler, in a child process: the unmapped text
 * kills it with SIGSEGV, as it would without probes.
 */
TEST_F_TIMEOUT(hard, munmap_kills_process, 90)
{
	struct mu_arg *a;
	int status;
	pid_t pid;

	ASSERT_EQ(0, probe_sym("p", "mk_ret", self->exe, "hard_mul3_ret", NULL));
	a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	memset(a, 0, sizeof(*a));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		pthread_t tid;
		void *map;

		setrlimit(RLIMIT_CORE, &no_core);
		a->f = map_sym_page(self->exe, "hard_mul3", &map);
		if (!a->f || pthread_create(&tid, NULL, mu_thread, a) ||
		    !mu_wait_calls(a, 200) || munmap(map, PAGE))
			_exit(1);
		pthread_join(tid, NULL);
		_exit(2);
	}
	status = wait_status(pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		TH_LOG("child status 0x%x", status);
	ASSERT_LE(200, a->calls);
	EXPECT_EQ(0, a->bad);
	EXPECT_EQ(a->calls, probe_hits("mk_ret"));
}

/* ---- signals and faults on probed instructions ---- */

#define STORM_SIGNALS	3000

static int storm_handled, storm_bad;

static void storm_handler(int sig)
{
	int n = __atomic_add_fetch(&storm_handled, 1, __ATOMIC_RELAXED);

	if (hard_mul3(n) != n * 3 + 1)
		__atomic_add_fetch(&storm_bad, 1, __ATOMIC_RELAXED);
}

struct storm_arg {
	pid_t tid;
	int sent;
	int done;
	int signo;		/* default SIGRTMIN */
	const int *handled;	/* if set, one signal at a time: wait for it */
};

/*
 * Queues STORM_SIGNALS real-time signals (they are never merged) at tid;
 * or, with ->handled, sends ->signo and waits for the handler each time.
 */
static void *storm_sender(void *p)
{
	struct storm_arg *a = p;

	while (a->sent < STORM_SIGNALS) {
		/* Unbounded: a standard signal sent early would merge. */
		while (a->handled && __atomic_load_n(a->handled, __ATOMIC_RELAXED) < a->sent)
			sched_yield();
		if (syscall(SYS_tgkill, getpid(), a->tid, a->signo ?: SIGRTMIN) == 0)
			a->sent++;
		else if (errno == EAGAIN)
			usleep(1000);
		else
			break;
	}
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Waits until *@handled, counted by the signal handler, reaches @sent:
 * anything still queued is delivered on the way out of a syscall.
 */
static void storm_drain(const int *handled, int sent)
{
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		if (__atomic_load_n(handled, __ATOMIC_RELAXED) >= sent)
			break;
		usleep(1000);
	}
	signal(SIGRTMIN, SIG_DFL);
}

/*
 * Real-time signals sent by a second thread while this one calls the
 * probed function in a loop, so that many arrive while it is on the probed
 * instruction. The handler calls the probed function too. Every signal
 * reaches the handler once, every result is right, every call is counted.
 */
TEST_F_TIMEOUT(hard, signal_storm, 120)
{
	struct sigaction sa = { .sa_handler = storm_handler };
	struct storm_arg a = { .tid = gettid() };
	long calls = 0, bad = 0;
	pthread_t tid;

	ASSERT_EQ(0, probe_sym("p", "storm", self->exe, "hard_mul3", NULL));
	ASSERT_EQ(0, sigaction(SIGRTMIN, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&tid, NULL, storm_sender, &a));
	while (!__atomic_load_n(&a.done, __ATOMIC_ACQUIRE) || calls < 1000) {
		bad += call_mul3(1, calls % 5000);
		calls++;
	}
	ASSERT_EQ(0, pthread_join(tid, NULL));
	ASSERT_EQ(STORM_SIGNALS, a.sent);
	storm_drain(&storm_handled, a.sent);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, storm_bad);
	ASSERT_EQ(a.sent, storm_handled);
	ASSERT_EQ(calls + storm_handled, probe_hits("storm"));
}

static sigjmp_buf fault_env;
static struct {
	void *addr;
	unsigned long rip;
	int code;
} fault_info;

static void fault_segv(int sig, siginfo_t *si, void *ucp)
{
	ucontext_t *uc = ucp;

	fault_info.addr = si->si_addr;
	fault_info.code = si->si_code;
	fault_info.rip = UC_PC(uc);
	siglongjmp(fault_env, 1);
}

/*
 * A probe on "movl (%rdi), %eax" ("ldr w0, [x0]") called with NULL: SIGSEGV
 * for address 0, with RIP at the probed instruction itself, and one hit per
 * attempt.
 */
TEST_F(hard, faulting_insn)
{
	struct sigaction sa = { .sa_sigaction = fault_segv, .sa_flags = SA_SIGINFO };
	int (*f)(const int *p) = OPAQUE(&hard_fault_load);
	static const int value = 0x5a5a;
	static int attempt;

	ASSERT_EQ(0, probe_sym("p", "fault", self->exe, "hard_fault_load", NULL));
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	for (attempt = 0; attempt < 5; attempt++) {
		memset(&fault_info, 0, sizeof(fault_info));
		if (!sigsetjmp(fault_env, 1)) {
			f(OPAQUE((const int *)NULL));
			ASSERT_TRUE(false) TH_LOG("no SIGSEGV");
		}
		ASSERT_EQ(NULL, fault_info.addr);
		ASSERT_EQ(SEGV_MAPERR, fault_info.code);
		ASSERT_EQ((unsigned long)f, fault_info.rip);
		ASSERT_EQ(attempt + 1, probe_hits("fault"));
	}
	signal(SIGSEGV, SIG_DFL);
	ASSERT_EQ(value, f(&value));
	ASSERT_EQ(6, probe_hits("fault"));
}

#ifdef __x86_64__
/* ---- ptrace ---- */

/*
 * Runs hard_step(5) in a traced child, single-stepping from its int3
 * until RIP leaves it; stores the stopped RIPs as offsets from hard_step
 * (-1 for outside). Returns the number of steps, or -1 on a failure.
 */
static int step_child(long *rips, int max)
{
	unsigned long lo = (unsigned long)hard_step, hi = (unsigned long)hard_step_end;
	struct user_regs_struct regs;
	int status, n = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int (*f)(int x) = OPAQUE(&hard_step);

		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(3);
		raise(SIGSTOP);
		_exit(f(5) == 3 * (5 + 8) ? 0 : 1);
	}
	status = wait_status(pid);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP)
		goto kill;
	/* To the int3 at hard_step. */
	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		goto kill;
	status = wait_status(pid);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP ||
	    ptrace(PTRACE_GETREGS, pid, NULL, &regs) || regs.rip != (unsigned long)hard_step_body)
		goto kill;
	while (n < max) {
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL))
			goto kill;
		status = wait_status(pid);
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP ||
		    ptrace(PTRACE_GETREGS, pid, NULL, &regs))
			goto kill;
		if (regs.rip < lo || regs.rip >= hi) {
			rips[n++] = -1;
			break;
		}
		rips[n++] = regs.rip - lo;
	}
	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		goto kill;
	return exited_ok(wait_status(pid)) ? n : -1;
kill:
	kill(pid, SIGKILL);
	wait_status(pid);
	return -1;
}

/* PTRACE_SINGLESTEP over a probed instruction stops where it stops without it. */
TEST_F(hard, ptrace_singlestep)
{
	long plain[16], probed[16];
	int n_plain, n_probed, i;

	n_plain = step_child(plain, 16);
	ASSERT_EQ(6, n_plain);
	ASSERT_EQ(hard_step_probed - (char *)hard_step, plain[1]);
	ASSERT_EQ(hard_step_next - (char *)hard_step, plain[2]);

	ASSERT_EQ(0, probe_sym("p", "step", self->exe, "hard_step_probed", NULL));
	n_probed = step_child(probed, 16);
	ASSERT_EQ(1, probe_hits("step"));
	ASSERT_EQ(n_plain, n_probed);
	for (i = 0; i < n_plain; i++)
		EXPECT_EQ(plain[i], probed[i]) TH_LOG("step %d", i);
}

/*
 * A traced child calls hard_mul3() three times while its debugger has an
 * int3 (written with PTRACE_POKETEXT) at addr. On the SIGTRAP the debugger
 * puts the word it read back and rewinds RIP, as gdb does. Returns the
 * number of SIGTRAPs at addr, or -1 if anything else happened or the
 * child's results were wrong.
 */
static int debugger_child(const char *addr)
{
	struct user_regs_struct regs;
	int status, traps = 0;
	long word;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(3);
		raise(SIGSTOP);
		_exit(call_mul3(3, 40) ? 1 : 0);
	}
	status = wait_status(pid);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP)
		goto kill;
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, pid, addr, NULL);
	if (errno || ptrace(PTRACE_POKETEXT, pid, addr, (void *)((word & ~0xffL) | 0xcc)))
		goto kill;
	for (;;) {
		if (ptrace(PTRACE_CONT, pid, NULL, NULL))
			goto kill;
		status = wait_status(pid);
		if (WIFEXITED(status))
			return WEXITSTATUS(status) ? -1 : traps;
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP ||
		    ptrace(PTRACE_GETREGS, pid, NULL, &regs) ||
		    regs.rip != (unsigned long)addr + 1 || traps++)
			goto kill;
		regs.rip = (unsigned long)addr;
		if (ptrace(PTRACE_POKETEXT, pid, addr, (void *)word) ||
		    ptrace(PTRACE_SETREGS, pid, NULL, &regs))
			goto kill;
	}
kill:
	kill(pid, SIGKILL);
	wait_status(pid);
	return -1;
}

/* A debugger breakpoint on the instruction after the probed one. */
TEST_F(hard, ptrace_breakpoint_next_insn)
{
	ASSERT_EQ(0, probe_sym("p", "dbg_next", self->exe, "hard_mul3", NULL));
	ASSERT_EQ(1, debugger_child(hard_mul3_ret));
	ASSERT_EQ(3, probe_hits("dbg_next"));
}

/*
 * A debugger breakpoint on the probed instruction itself. Whether the
 * debugger sees a SIGTRAP there is up to the kernel (the probe owns that
 * int3); what must hold is that the program runs right and every call is
 * counted.
 */
TEST_F(hard, ptrace_breakpoint_same_insn)
{
	int traps;

	ASSERT_EQ(0, probe_sym("p", "dbg_same", self->exe, "hard_mul3", NULL));
	traps = debugger_child((const char *)hard_mul3);
	TH_LOG("debugger saw %d SIGTRAP(s)", traps);
	ASSERT_LE(0, traps);
	ASSERT_EQ(3, probe_hits("dbg_same"));
}

/*
 * Runs f(5) in a traced child, single-stepping from the int3 at lo until
 * RIP leaves [lo, hi); stores the stopped RIPs as offsets from lo (-1 for
 * outside). Returns the number of steps, or -1 on a failure.
 */
static int step_range_child(int (*f)(int x), int want, const void *lo, const void *hi,
			    long *rips, int max)
{
	unsigned long l = (unsigned long)lo, h = (unsigned long)hi;
	struct user_regs_struct regs;
	int status, n = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		f = OPAQUE(f);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(3);
		raise(SIGSTOP);
		_exit(f(5) == want ? 0 : 1);
	}
	status = wait_status(pid);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP)
		goto kill;
	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		goto kill;
	status = wait_status(pid);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP ||
	    ptrace(PTRACE_GETREGS, pid, NULL, &regs) || regs.rip != l + 1)
		goto kill;
	while (n < max) {
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL))
			goto kill;
		status = wait_status(pid);
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP ||
		    ptrace(PTRACE_GETREGS, pid, NULL, &regs))
			goto kill;
		if (regs.rip < l || regs.rip >= h) {
			rips[n++] = -1;
			break;
		}
		rips[n++] = regs.rip - l;
	}
	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		goto kill;
	return exited_ok(wait_status(pid)) ? n : -1;
kill:
	kill(pid, SIGKILL);
	wait_status(pid);
	return -1;
}

/*
 * PTRACE_SINGLESTEP onto and over probed instructions that the kernel
 * emulates (push, nop, jmp): every stop is where it is without probes,
 * i.e. the emulation ends with the trap the CPU would have raised.
 */
TEST_F(hard, ptrace_singlestep_emulated)
{
	static const char * const syms[] = {
		"hard_estep_push", "hard_estep_nop", "hard_estep_jmp",
	};
	long plain[16], probed[16];
	int n_plain, n_probed, i;
	char name[16];

	n_plain = step_range_child(hard_estep, 7, hard_estep, hard_estep_end, plain, 16);
	ASSERT_EQ(7, n_plain);
	ASSERT_EQ(hard_estep_push - (char *)hard_estep, plain[0]);
	ASSERT_EQ(hard_estep_nop - (char *)hard_estep, plain[1]);
	ASSERT_EQ(hard_estep_jmp - (char *)hard_estep, plain[2]);

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "estep%d", i);
		ASSERT_EQ(0, probe_sym("p", name, self->exe, syms[i], NULL));
	}
	memset(probed, 0, sizeof(probed));
	n_probed = step_range_child(hard_estep, 7, hard_estep, hard_estep_end, probed, 16);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "estep%d", i);
		EXPECT_EQ(1, probe_hits(name)) TH_LOG("%s", syms[i]);
	}
	for (i = 0; i < n_plain && i < n_probed; i++)
		EXPECT_EQ(plain[i], probed[i]) TH_LOG("step %d", i);
	ASSERT_EQ(n_plain, n_probed);
}

static long tf_rips[32];
static int tf_n;

static void tf_trap(int sig, siginfo_t *si, void *ucp)
{
	ucontext_t *uc = ucp;
	unsigned long rip = uc->uc_mcontext.gregs[REG_RIP];

	if (tf_n < (int)ARRAY_SIZE(tf_rips))
		tf_rips[tf_n++] = rip - (unsigned long)hard_tfstep;
	/* past the popf that clears TF: stop stepping whatever happens */
	if (rip >= (unsigned long)hard_tfstep_off)
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100L;
}

/* Runs hard_tfstep(5) with its own TF and collects the trap RIPs. */
static int tf_run(long *rips)
{
	struct sigaction sa = { .sa_sigaction = tf_trap, .sa_flags = SA_SIGINFO };
	int r;

	tf_n = 0;
	if (sigaction(SIGTRAP, &sa, NULL))
		return -1;
	r = OPAQUE(&hard_tfstep)(5);
	signal(SIGTRAP, SIG_DFL);
	if (r != 7)
		return -1;
	memcpy(rips, tf_rips, tf_n * sizeof(*rips));
	return tf_n;
}

/*
 * The program single-steps itself with EFLAGS.TF: a SIGTRAP after each
 * instruction, probed emulated ones included, at the same RIPs.
 */
TEST_F(hard, self_singlestep_emulated)
{
	static const char * const syms[] = {
		"hard_tfstep_push", "hard_tfstep_nop", "hard_tfstep_jmp",
	};
	long plain[32], probed[32];
	int n_plain, n_probed, i;
	char name[16];

	n_plain = tf_run(plain);
	ASSERT_LE(6, n_plain);
	for (i = 0; i < n_plain; i++)
		if (plain[i] == hard_tfstep_nop - (char *)hard_tfstep)
			break;
	ASSERT_GT(n_plain, i) TH_LOG("no trap after the push");

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "tfstep%d", i);
		ASSERT_EQ(0, probe_sym("p", name, self->exe, syms[i], NULL));
	}
	n_probed = tf_run(probed);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "tfstep%d", i);
		EXPECT_EQ(1, probe_hits(name)) TH_LOG("%s", syms[i]);
	}
	for (i = 0; i < n_plain && i < n_probed; i++)
		EXPECT_EQ(plain[i], probed[i]) TH_LOG("trap %d", i);
	ASSERT_EQ(n_plain, n_probed);
}

/* ---- ia32 ---- */

/*
 * uprobes_hard32, an ia32 static program: an entry probe counts every
 * call and a return probe records every return value, in order.
 */
TEST_F(hard, ia32_entry_and_return)
{
	static const char * const names[] = { "h32_ret" };
	char prog[PATH_MAX], *slash;
	long vals[300];
	int ev[300], n, i, status;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s", self->exe);
	slash = strrchr(prog, '/');
	ASSERT_NE(NULL, slash);
	snprintf(slash + 1, sizeof(prog) - (slash + 1 - prog), "uprobes_hard32");
	ASSERT_EQ(0, access(prog, X_OK)) TH_LOG("%s not built", prog);
	ASSERT_EQ(0, pin_cpu0());
	ASSERT_EQ(0, probe_sym("p", "h32_entry", prog, "h32_target", NULL));
	ASSERT_EQ(0, probe_sym("r", "h32_ret", prog, "h32_ret", "ret=$retval:s32"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl(prog, prog, "200", (char *)NULL);
		_exit(127);
	}
	status = wait_status(pid);
	ASSERT_TRUE(exited_ok(status)) TH_LOG("status 0x%x", status);
	ASSERT_EQ(200, probe_hits("h32_entry"));
	ASSERT_EQ(0, probe_enable("h32_ret", 0));
	n = trace_rets(names, 1, ev, vals, 300);
	ASSERT_EQ(200, n);
	for (i = 0; i < n; i++)
		ASSERT_EQ(i * 7 - 1000, vals[i]) TH_LOG("return %d", i);
}
#endif /* __x86_64__ */

/* ---- return probes ---- */

/* Blocks in read(2) inside a function a return probe can be put on */
int hard_block(int fd);
int __attribute__((noinline)) hard_block(int fd)
{
	char c = 0;

	if (read(fd, &c, 1) != 1)
		return -1;
	return c + 1;
}

static void *hard_block_thread(void *arg)
{
	return (void *)(long)OPAQUE(&hard_block)(*(int *)arg);
}

/*
 * The return handlers that run are those registered when the function
 * returns, as on 6.12: a return probe replaced (the only one removed, a new
 * one added) while a thread is inside reports that thread's return.
 */
TEST_F(hard, uretprobe_replaced_while_inside)
{
	static const char * const names[] = { "r_old", "r_new" };
	int fds[2], ev[4], n, i;
	pthread_t t;
	long vals[4];
	void *rv;

	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, probe_sym("r", "r_old", self->exe, "hard_block", "ret=$retval:s32"));
	ASSERT_EQ(0, pthread_create(&t, NULL, hard_block_thread, &fds[0]));
	/* uprobe_profile counts a return probe's entries */
	for (i = 0; i < 500 && probe_hits("r_old") < 1; i++)
		usleep(10000);
	ASSERT_EQ(1, probe_hits("r_old"));
	ASSERT_EQ(0, probe_enable("r_old", 0));
	ASSERT_EQ(0, probe_del("r_old"));
	ASSERT_EQ(0, probe_sym("r", "r_new", self->exe, "hard_block", "ret=$retval:s32"));
	ASSERT_EQ(1, write(fds[1], "\x29", 1));
	ASSERT_EQ(0, pthread_join(t, &rv));
	ASSERT_EQ(42, (long)rv);
	ASSERT_EQ(0, probe_enable("r_new", 0));
	n = trace_rets(names, 2, ev, vals, 4);
	ASSERT_EQ(1, n);
	ASSERT_EQ(1, ev[0]);
	ASSERT_EQ(42, vals[0]);
	close(fds[0]);
	close(fds[1]);
}

/* Nested calls: inner, inner, outer, with the right values, every time. */
TEST_F(hard, uretprobe_nested)
{
	static const char * const names[] = { "r_inner", "r_outer" };
	long vals[400];
	int ev[400], n, x, i = 0;

	ASSERT_EQ(0, pin_cpu0());
	ASSERT_EQ(0, probe_sym("p", "p_outer", self->exe, "ret_outer", NULL));
	ASSERT_EQ(0, probe_sym("r", "r_inner", self->exe, "ret_inner", "ret=$retval:s32"));
	ASSERT_EQ(0, probe_sym("r", "r_outer", self->exe, "ret_outer", "ret=$retval:s32"));
	for (x = 0; x < 50; x++)
		ASSERT_EQ(4 * x + 5, OPAQUE(&ret_outer)(x));
	write_file(TRACEFS "/events/" GROUP "/enable", "0\n", O_TRUNC);
	ASSERT_EQ(50, probe_hits("p_outer"));
	n = trace_rets(names, 2, ev, vals, 400);
	ASSERT_EQ(150, n);
	for (x = 0; x < 50; x++) {
		ASSERT_EQ(0, ev[i]);
		ASSERT_EQ(2 * x + 1, vals[i++]);
		ASSERT_EQ(0, ev[i]);
		ASSERT_EQ(2 * x + 3, vals[i++]);
		ASSERT_EQ(1, ev[i]);
		ASSERT_EQ(4 * x + 5, vals[i++]);
	}
}

/* Recursion 10 deep, 20 times: each return reports its own frame's value. */
TEST_F(hard, uretprobe_recursive)
{
	static const char * const names[] = { "r_rec" };
	long vals[400];
	int ev[400], n, r, k, i = 0;

	ASSERT_EQ(0, pin_cpu0());
	ASSERT_EQ(0, probe_sym("p", "p_rec", self->exe, "ret_rec", NULL));
	ASSERT_EQ(0, probe_sym("r", "r_rec", self->exe, "ret_rec", "ret=$retval:s32"));
	for (r = 0; r < 20; r++)
		ASSERT_EQ(55, OPAQUE(&ret_rec)(10));
	ASSERT_EQ(0, probe_enable("r_rec", 0));
	ASSERT_EQ(220, probe_hits("p_rec"));
	n = trace_rets(names, 1, ev, vals, 400);
	ASSERT_EQ(220, n);
	for (r = 0; r < 20; r++)
		for (k = 0; k <= 10; k++)
			ASSERT_EQ(k * (k + 1) / 2, vals[i++]);
}

/*
 * longjmp() out of six probed frames, then calls that return normally:
 * the skipped frames report nothing and later returns report their own
 * values (no stale return state is used).
 */
TEST_F(hard, uretprobe_longjmp)
{
	static const char * const names[] = { "r_lj" };
	static int round;
	long vals[400];
	int ev[400], n, k, i = 0;

	ASSERT_EQ(0, pin_cpu0());
	ASSERT_EQ(0, probe_sym("p", "p_lj", self->exe, "lj_rec", NULL));
	ASSERT_EQ(0, probe_sym("r", "r_lj", self->exe, "lj_rec", "ret=$retval:s32"));
	for (round = 0; round < 20; round++) {
		if (!setjmp(lj_env)) {
			OPAQUE(&lj_rec)(5, 1);
			ASSERT_TRUE(false) TH_LOG("lj_rec() returned");
		}
		ASSERT_EQ(103, OPAQUE(&lj_rec)(3, 0));
	}
	ASSERT_EQ(0, probe_enable("r_lj", 0));
	ASSERT_EQ(200, probe_hits("p_lj"));
	n = trace_rets(names, 1, ev, vals, 400);
	ASSERT_EQ(80, n);
	for (round = 0; round < 20; round++)
		for (k = 0; k <= 3; k++)
			ASSERT_EQ(100 + k, vals[i++]);
}

/*
 * Recursion 200 and 1000 deep: no crash, right results, every entry
 * counted. A kernel may stop tracking returns past some depth; the
 * returns it does report are the outermost ones, each with its own value.
 * A shallow call afterwards reports all of its returns.
 */
TEST_F_TIMEOUT(hard, uretprobe_deep, 60)
{
	static const char * const names[] = { "r_deep" };
	static const int depths[] = { 200, 1000 };
	long *vals = calloc(4000, sizeof(long));
	int *ev = calloc(4000, sizeof(int));
	int n, d, i, k, first, from = 0;
	long entries = 0;

	ASSERT_NE(NULL, vals);
	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, pin_cpu0());
	ASSERT_EQ(0, probe_sym("p", "p_deep", self->exe, "ret_rec", NULL));
	ASSERT_EQ(0, probe_sym("r", "r_deep", self->exe, "ret_rec", "ret=$retval:s32"));
	for (d = 0; d < 2; d++) {
		ASSERT_EQ(depths[d] * (depths[d] + 1) / 2, OPAQUE(&ret_rec)(depths[d]));
		entries += depths[d] + 1;
		ASSERT_EQ(entries, probe_hits("p_deep"));
		n = trace_rets(names, 1, ev, vals, 4000);
		ASSERT_LT(from, n);
		ASSERT_GE(from + depths[d] + 1, n);
		/* Consecutive frames, ending with the outermost one. */
		first = depths[d] + 1 - (n - from);
		for (i = from, k = first; i < n; i++, k++)
			ASSERT_EQ(k * (k + 1) / 2, vals[i]) TH_LOG("record %d", i);
		TH_LOG("depth %d: %d returns reported", depths[d], n - from);
		from = n;
	}
	ASSERT_EQ(55, OPAQUE(&ret_rec)(10));
	n = trace_rets(names, 1, ev, vals, 4000);
	ASSERT_EQ(from + 11, n);
	for (k = 0; k <= 10; k++)
		ASSERT_EQ(k * (k + 1) / 2, vals[from + k]);
	free(vals);
	free(ev);
}

/* ---- page and mapping boundaries ---- */

#ifdef __x86_64__
static int call_straddle(int n)
{
	long (*f)(long x) = OPAQUE(&hard_straddle);
	int i, bad = 0;

	for (i = 0; i < n; i++)
		if (f(i) != i + 0x1122334455667788L)
			bad++;
	return bad;
}

/*
 * A 10-byte movabs that starts 2 bytes before a page boundary, probed in
 * this process and in a freshly exec'd one, which has not touched the
 * second page yet.
 */
TEST_F(hard, page_straddle)
{
	unsigned long off;
	int status;
	pid_t pid;

	ASSERT_EQ(0, elf_sym_offset(self->exe, "hard_straddle_insn", &off));
	ASSERT_EQ(PAGE - 2, off & (PAGE - 1));
	ASSERT_EQ(PAGE - 2, (unsigned long)hard_straddle_insn & (PAGE - 1));
	ASSERT_EQ(0, probe_sym("p", "straddle", self->exe, "hard_straddle_insn", NULL));
	ASSERT_EQ(0, probe_sym("p", "straddle_next", self->exe, "hard_straddle_add", NULL));
	ASSERT_EQ(0, call_straddle(100));
	ASSERT_EQ(100, probe_hits("straddle"));
	ASSERT_EQ(100, probe_hits("straddle_next"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl(self->exe, self->exe, "--straddle", "60", (char *)NULL);
		_exit(127);
	}
	status = wait_status(pid);
	ASSERT_TRUE(exited_ok(status)) TH_LOG("status 0x%x", status);
	ASSERT_EQ(160, probe_hits("straddle"));
	ASSERT_EQ(160, probe_hits("straddle_next"));
}
#endif /* __x86_64__ */

/*
 * The ret of hard_last() is the last instruction of its page; mapped alone,
 * that page ends the mapping right after the probed instruction.
 */
TEST_F(hard, last_insn_of_mapping)
{
	int (*f)(int x);
	unsigned long off;
	void *map;
	int i;

	ASSERT_EQ(0, elf_sym_offset(self->exe, "hard_last_ret", &off));
	ASSERT_EQ(PAGE - LAST_RET_END, off & (PAGE - 1));
	ASSERT_EQ(0, probe_sym("p", "last_entry", self->exe, "hard_last", NULL));
	ASSERT_EQ(0, probe_sym("p", "last_ret", self->exe, "hard_last_ret", NULL));
	f = map_sym_page(self->exe, "hard_last", &map);
	ASSERT_NE(NULL, f);
	ASSERT_EQ((char *)map + PAGE - LAST_ENTRY_END, (char *)f);
	for (i = 0; i < 100; i++)
		ASSERT_EQ(i + 1, f(i));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(i + 1, OPAQUE(&hard_last)(i));
	ASSERT_EQ(150, probe_hits("last_entry"));
	ASSERT_EQ(150, probe_hits("last_ret"));
	munmap(map, PAGE);
}

/* ---- regressions: defects of the core, one test each ---- */

#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <time.h>

/* Reads len bytes of path at off into buf; 0 on success. */
static int pread_file(const char *path, unsigned long off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* Offset of the first byte where a and b differ, or -1 if they are equal. */
static long first_diff(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < len; i++)
		if (x[i] != y[i])
			return i;
	return -1;
}

/* Runs f(x) in a child: its wait status (0 exit if f(x) == 3 * x + 1). */
static int call_mul3_in_child(int (*f)(int x), int x)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		alarm(20);
		_exit(OPAQUE(f)(x) == 3 * x + 1 ? 0 : 1);
	}
	return wait_status(pid);
}

/*
 * Defect 1: a probe removed while its (second) mapping of the text is
 * PROT_READ. Made executable again, the page must read as the file and the
 * function must run normally (no stale breakpoint, no SIGTRAP).
 */
TEST_F(hard, regress_stale_bp_after_mprotect)
{
	unsigned char file[PAGE];
	int (*f)(int x);
	unsigned long off;
	void *map;
	long diff;
	int status;

	ASSERT_EQ(0, elf_sym_offset(self->exe, "hard_mul3", &off));
	ASSERT_EQ(0, pread_file(self->exe, off & ~(PAGE - 1), file, PAGE));
	ASSERT_EQ(0, probe_sym("p", "stale", self->exe, "hard_mul3", NULL));
	f = map_sym_page(self->exe, "hard_mul3", &map);
	ASSERT_NE(NULL, f);
	ASSERT_EQ(16, f(5));
	ASSERT_EQ(1, probe_hits("stale"));
	/* The breakpoint is in this mapping. */
	ASSERT_TRUE(is_bp(f));

	ASSERT_EQ(0, mprotect(map, PAGE, PROT_READ));
	ASSERT_EQ(0, probe_enable("stale", 0));
	ASSERT_EQ(0, probe_del("stale"));
	ASSERT_FALSE(probe_listed("stale"));
	ASSERT_EQ(0, mprotect(map, PAGE, PROT_READ | PROT_EXEC));

	diff = first_diff(map, file, PAGE);
	EXPECT_EQ(-1, diff)
		TH_LOG("text differs from the file at page offset %#lx: %#x, file %#x", diff,
		       ((unsigned char *)map)[diff < 0 ? 0 : diff], file[diff < 0 ? 0 : diff]);
	status = call_mul3_in_child(f, 7);
	EXPECT_TRUE(exited_ok(status))
		TH_LOG("call after removal: status 0x%x (%s)", status,
		       status != -1 && WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "-");
	munmap(map, PAGE);
}

/*
 * The "Anonymous:" kB of the VMA of /proc/self/smaps that contains addr,
 * or -1 if there is none.
 */
static long smaps_anon_kb(const void *addr)
{
	char *buf = read_all("/proc/self/smaps", NULL);
	char *line, *save = NULL;
	unsigned long lo, hi, a = (unsigned long)addr;
	bool in = false;
	long kb = -1;

	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* a VMA header line: "lo-hi perms ..." (the '-' comes before any ' ') */
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && sscanf(line, "Anonymous: %ld kB", &kb) == 1)
			break;
	}
	free(buf);
	return kb;
}

/*
 * Defect 2: after a probe was hit and removed, the text must be the page
 * cache again: "Anonymous: 0 kB" for the VMA, as before probing. Checked
 * for this program's own text and for a second mapping of the same page.
 */
TEST_F(hard, regress_page_cache_restored)
{
	int (*f)(int x);
	void *map;

	f = map_sym_page(self->exe, "hard_mul3", &map);
	ASSERT_NE(NULL, f);
	ASSERT_EQ(16, f(5));
	ASSERT_EQ(0, call_mul3(1, 0));
	ASSERT_EQ(0, smaps_anon_kb(f)) TH_LOG("second mapping, before probing");
	ASSERT_EQ(0, smaps_anon_kb(hard_mul3)) TH_LOG("own text, before probing");

	ASSERT_EQ(0, probe_sym("p", "pcache", self->exe, "hard_mul3", NULL));
	ASSERT_EQ(0, call_mul3_via(f, 5, 0));
	ASSERT_EQ(0, call_mul3(5, 0));
	ASSERT_EQ(10, probe_hits("pcache"));
	/* The breakpoint made both pages private copies: the right VMAs. */
	ASSERT_LT(0, smaps_anon_kb(f)) TH_LOG("second mapping, probed");
	ASSERT_LT(0, smaps_anon_kb(hard_mul3)) TH_LOG("own text, probed");

	ASSERT_EQ(0, probe_enable("pcache", 0));
	ASSERT_EQ(0, probe_del("pcache"));
	EXPECT_EQ(0, smaps_anon_kb(f)) TH_LOG("second mapping, after removal");
	EXPECT_EQ(0, smaps_anon_kb(hard_mul3)) TH_LOG("own text, after removal");
	ASSERT_EQ(0, call_mul3_via(f, 5, 0));
	ASSERT_EQ(0, call_mul3(5, 0));
	munmap(map, PAGE);
}

#ifdef __x86_64__
/* Path of uprobes_hard32, next to this program. */
static void prog32_path(const char *exe, char *prog, size_t size)
{
	char *slash;

	snprintf(prog, size, "%s", exe);
	slash = strrchr(prog, '/');
	snprintf(slash ? slash + 1 : prog, size - (slash ? slash + 1 - prog : 0),
		 "uprobes_hard32");
}
#endif

/* Finds the line of /proc/pid/maps that ends with name; its range in *lo, *hi. */
static int maps_find(pid_t pid, const char *name, unsigned long *lo, unsigned long *hi)
{
	char path[64], *buf, *line, *save = NULL;
	size_t nlen = strlen(name);
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	buf = read_all(path, NULL);
	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		if (len >= nlen && !strcmp(line + len - nlen, name) &&
		    sscanf(line, "%lx-%lx", lo, hi) == 2) {
			ret = 0;
			break;
		}
	}
	free(buf);
	return ret;
}

/*
 * Defect 6: an ia32 program run with ASLR off (ADDR_NO_RANDOMIZE, as
 * "setarch -R"), whose stack takes the top page of its 32-bit space, with an
 * entry and a return probe: it runs right, every return value is right, and
 * its XOL area ([uprobes]) is below 4 GiB. The child is traced only to be
 * stopped at its exit (PTRACE_O_TRACEEXIT), where its maps are read.
 */
#ifdef __x86_64__
TEST_F_TIMEOUT(hard, regress_ia32_xol_below_4g, 120)
{
	static const char * const names[] = { "h32n_ret" };
	unsigned long lo = 0, hi = 0, msg = 0;
	int ev[100], n, i, status, stops, sig = 0, found = -1;
	char prog[PATH_MAX];
	long vals[100];
	pid_t pid;

	prog32_path(self->exe, prog, sizeof(prog));
	ASSERT_EQ(0, access(prog, X_OK)) TH_LOG("%s not built", prog);
	ASSERT_EQ(0, pin_cpu0());
	ASSERT_EQ(0, probe_sym("p", "h32n_entry", prog, "h32_target", NULL));
	ASSERT_EQ(0, probe_sym("r", "h32n_ret", prog, "h32_ret", "ret=$retval:s32"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (personality(ADDR_NO_RANDOMIZE) < 0)
			_exit(125);
		/* A program stuck at a probe gets SIGALRM (seen as a signal stop). */
		alarm(30);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(126);
		execl(prog, prog, "50", (char *)NULL);
		_exit(127);
	}
	/* The SIGTRAP after exec. */
	status = wait_status(pid);
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP)
		TH_LOG("status 0x%x", status);
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACEEXIT));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	for (stops = 0; stops < 20; stops++) {
		status = wait_status(pid);
		TH_LOG("stop %d: status 0x%x", stops, status);
		if (status == -1 || !WIFSTOPPED(status))
			break;
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			found = maps_find(pid, "[uprobes]", &lo, &hi);
			ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg);
			ptrace(PTRACE_CONT, pid, NULL, NULL);
			continue;
		}
		/* Any other signal is a failure: deliver it. */
		sig = WSTOPSIG(status);
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	if (status != -1 && WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		status = wait_status(pid);
	}
	TH_LOG("[uprobes] %#lx-%#lx, exit message 0x%lx", lo, hi, msg);
	EXPECT_EQ(0, sig) TH_LOG("the program got signal %d (%s)", sig, strsignal(sig));
	ASSERT_TRUE(exited_ok(status)) TH_LOG("status 0x%x", status);
	ASSERT_EQ(0, found) TH_LOG("no [uprobes] mapping at exit");
	EXPECT_GE(0x100000000UL, hi) TH_LOG("[uprobes] ends above 4 GiB");
	ASSERT_EQ(50, probe_hits("h32n_entry"));
	ASSERT_EQ(0, probe_enable("h32n_ret", 0));
	n = trace_rets(names, 1, ev, vals, 100);
	ASSERT_EQ(50, n);
	for (i = 0; i < n; i++)
		ASSERT_EQ(i * 7 - 1000, vals[i]) TH_LOG("return %d", i);
}
#endif /* __x86_64__ */

/*
 * Defect 8: a probe pins nothing once removed: a binary on a tmpfs mounted
 * here is probed, exec'd (hit), the probe removed, and the tmpfs unmounts.
 */
TEST_F_TIMEOUT(hard, regress_umount_after_probe, 60)
{
	static const char mnt[] = "/tmp/uprobes_hard_mnt";
	static const char copy[] = "/tmp/uprobes_hard_mnt/uprobes_hard";
	int fd, status, ret;
	size_t len;
	char *bytes;
	pid_t pid;

	bytes = read_all(self->exe, &len);
	ASSERT_NE(NULL, bytes);
	umount2(mnt, MNT_DETACH);
	mkdir(mnt, 0755);
	ASSERT_EQ(0, mount("uprobes_hard", mnt, "tmpfs", 0, "size=64m")) TH_LOG("%m");
	fd = open(copy, O_WRONLY | O_CREAT | O_EXCL, 0755);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, write(fd, bytes, len));
	ASSERT_EQ(0, close(fd));
	free(bytes);

	ASSERT_EQ(0, probe_sym("p", "pin", copy, "hard_mul3", NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl(copy, copy, "--loop", "10", "5", (char *)NULL);
		_exit(127);
	}
	status = wait_status(pid);
	EXPECT_TRUE(exited_ok(status)) TH_LOG("child status 0x%x", status);
	EXPECT_EQ(10, probe_hits("pin"));
	EXPECT_EQ(0, probe_enable("pin", 0));
	EXPECT_EQ(0, probe_del("pin"));
	ret = umount2(mnt, 0);
	EXPECT_EQ(0, ret) TH_LOG("umount %s: %m", mnt);
	if (ret)
		umount2(mnt, MNT_DETACH);
	rmdir(mnt);
}

#define FAIL_PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc"

/* [*lo, *hi) of the kernel function name: its address and the next symbol's. */
static int ksym_range(const char *name, unsigned long *lo, unsigned long *hi)
{
	char *buf = read_all("/proc/kallsyms", NULL), *line, *save = NULL, *p;
	unsigned long a, start = 0, end = ULONG_MAX;

	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		p = strrchr(line, ' ');
		if (p && !strcmp(p + 1, name) && sscanf(line, "%lx", &start) == 1)
			break;
	}
	free(buf);
	buf = read_all("/proc/kallsyms", NULL);
	if (!buf || !start)
		goto out;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%lx", &a) == 1 && a > start && a < end)
			end = a;
out:
	free(buf);
	*lo = start;
	*hi = end;
	return start && end != ULONG_MAX ? 0 : -1;
}

static int fail_page_alloc_set(const char *knob, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAIL_PAGE_ALLOC "/%s", knob);
	return write_file(path, val, O_TRUNC);
}

/*
 * Make every page allocation whose call chain passes through [lo, hi)
 * fail (hi == 0: back to the defaults, which fail nothing).
 */
static int fail_page_alloc_in(unsigned long lo, unsigned long hi)
{
	char start[32], end[32];
	int ret = 0;

	snprintf(start, sizeof(start), "%#lx", hi ? lo : 0);
	snprintf(end, sizeof(end), "%#lx", hi ? hi : ULONG_MAX);
	ret |= fail_page_alloc_set("probability", "0");
	ret |= fail_page_alloc_set("task-filter", "N");
	ret |= fail_page_alloc_set("ignore-gfp-wait", hi ? "N" : "Y");
	ret |= fail_page_alloc_set("ignore-gfp-highmem", hi ? "N" : "Y");
	ret |= fail_page_alloc_set("min-order", hi ? "0" : "1");
	ret |= fail_page_alloc_set("verbose", "0");
	ret |= fail_page_alloc_set("interval", "1");
	ret |= fail_page_alloc_set("times", "-1");
	ret |= fail_page_alloc_set("require-start", start);
	ret |= fail_page_alloc_set("require-end", end);
	if (hi)
		ret |= fail_page_alloc_set("probability", "100");
	return ret;
}

/* Did a kernel message containing what arrive on fd (/dev/kmsg) since? */
static bool kmsg_has(int fd, const char *what)
{
	char rec[2048];
	ssize_t n;

	if (fd < 0)
		return false;
	while ((n = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE)	/* overwritten records: go on */
				continue;
			return false;		/* EAGAIN: no more */
		}
		rec[n] = '\0';
		if (strstr(rec, what))
			return true;
	}
	return false;
}

/*
 * Defect 8: a breakpoint whose removal fails (here: every page allocation
 * under uprobe_write_opcode() fails, so the copy without it can not be
 * made; the other probe in the page keeps the page from being the file's)
 * is neither lost nor fatal. The event goes away, the leftover breakpoint
 * is stepped over, the failure is logged, and a retry removes it once
 * memory is available again.
 */
TEST_F_TIMEOUT(hard, regress_failed_removal_retried, 60)
{
	unsigned long lo, hi, off, off_ret;
	unsigned char file[PAGE];
	volatile unsigned char *insn;
	int (*f)(int x);
	int kmsg, status, i;
	bool warned;
	void *map;

	if (access(FAIL_PAGE_ALLOC "/require-start", W_OK))
		SKIP(return, "no " FAIL_PAGE_ALLOC "/require-start (CONFIG_FAIL_PAGE_ALLOC, %s)",
		     "CONFIG_FAULT_INJECTION_STACKTRACE_FILTER");
	ASSERT_EQ(0, ksym_range("uprobe_write_opcode", &lo, &hi));
	ASSERT_EQ(0, elf_sym_offset(self->exe, "hard_mul3", &off));
	ASSERT_EQ(0, elf_sym_offset(self->exe, "hard_mul3_ret", &off_ret));
	if ((off ^ off_ret) & ~(PAGE - 1))
		SKIP(return, "hard_mul3 and its ret are in different pages");
	ASSERT_EQ(0, pread_file(self->exe, off & ~(PAGE - 1), file, PAGE));
	ASSERT_EQ(0, probe_sym("p", "keep", self->exe, "hard_mul3_ret", NULL));
	ASSERT_EQ(0, probe_sym("p", "lost", self->exe, "hard_mul3", NULL));
	f = map_sym_page(self->exe, "hard_mul3", &map);
	ASSERT_NE(NULL, f);
	insn = (volatile unsigned char *)f;
	ASSERT_EQ(16, f(5));
	ASSERT_EQ(1, probe_hits("keep"));
	ASSERT_EQ(1, probe_hits("lost"));

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	ASSERT_EQ(0, fail_page_alloc_in(lo, hi));
	/* From here on, EXPECT only: injection must be switched off below. */
	EXPECT_EQ(0, probe_enable("lost", 0));
	EXPECT_EQ(0, probe_del("lost"));
	EXPECT_FALSE(probe_listed("lost"));
	EXPECT_TRUE(is_bp((const void *)insn));
	/* Hit in a fork child and here: stepped over, the other probe counts. */
	status = call_mul3_in_child(f, 7);
	EXPECT_TRUE(exited_ok(status)) TH_LOG("child status 0x%x", status);
	EXPECT_EQ(16, f(5));
	EXPECT_EQ(3, probe_hits("keep"));
	sleep(2);	/* retries come and fail meanwhile */
	EXPECT_TRUE(is_bp((const void *)insn));
	warned = kmsg_has(kmsg, "breakpoint not removed");
	EXPECT_EQ(0, fail_page_alloc_in(0, 0));

	for (i = 0; i < 50 && is_bp((const void *)insn); i++)
		usleep(100 * 1000);
	EXPECT_EQ(0, memcmp(file + (off & (PAGE - 1)), (const void *)insn, sizeof(bp_insn)))
		TH_LOG("not removed after %d ms", i * 100);
	EXPECT_TRUE(warned) TH_LOG("no \"breakpoint not removed\" in the kernel log");
	EXPECT_EQ(16, f(5));
	EXPECT_EQ(4, probe_hits("keep"));
	EXPECT_EQ(0, probe_enable("keep", 0));
	EXPECT_EQ(0, probe_del("keep"));
	EXPECT_EQ(-1, first_diff(map, file, PAGE));
	if (kmsg >= 0)
		close(kmsg);
	munmap(map, PAGE);
}

/*
 * No breakpoint goes into a writable private mapping: the page is copied
 * while other threads run, and a store they made in between would be lost.
 * Such a mapping keeps the file's bytes and the program's own store; the
 * probe still fires in the executable's read-only text.
 */
TEST_F(hard, regress_no_bp_in_writable_mapping)
{
	unsigned char file[PAGE];
	volatile unsigned char *page;
	unsigned long off, at, mark;
	int (*f)(int x);
	void *map;
	int fd;

	ASSERT_EQ(0, elf_sym_offset(self->exe, "hard_mul3", &off));
	ASSERT_EQ(0, pread_file(self->exe, off & ~(PAGE - 1), file, PAGE));
	fd = open(self->exe, O_RDONLY);
	ASSERT_LE(0, fd);
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, fd,
		   off & ~(PAGE - 1));
	close(fd);
	ASSERT_NE(MAP_FAILED, map);
	page = map;
	at = off & (PAGE - 1);
	f = (int (*)(int))(page + at);
	/* A store of ours, away from hard_mul3, makes the page our copy. */
	mark = at < PAGE / 2 ? PAGE - 1 : 0;
	page[mark] ^= 0xff;

	ASSERT_EQ(0, probe_sym("p", "rw", self->exe, "hard_mul3", NULL));
	EXPECT_EQ(file[at], page[at]) TH_LOG("a breakpoint went into the writable mapping");
	EXPECT_EQ((unsigned char)(file[mark] ^ 0xff), page[mark]);
	EXPECT_EQ(16, f(5));
	EXPECT_EQ(0, probe_hits("rw"));
	EXPECT_EQ(0, call_mul3(2, 0));
	EXPECT_EQ(2, probe_hits("rw"));
	EXPECT_EQ(0, probe_enable("rw", 0));
	EXPECT_EQ(0, probe_del("rw"));
	EXPECT_EQ((unsigned char)(file[mark] ^ 0xff), page[mark]);
	munmap(map, PAGE);
}

/*
 * Truncating a probed file below the probe zaps the private copy that held
 * the breakpoint. Removing the probe then has nothing left to remove: it
 * must finish at once, not retry for as long as the mapping lives.
 */
TEST_F_TIMEOUT(hard, regress_truncated_removal_final, 30)
{
	char path[] = "/tmp/uprobes_truncXXXXXX";
	volatile unsigned char *insn;
	int (*f)(int x);
	size_t len;
	char *image;
	void *map;
	int fd, kmsg;

	image = read_all(self->exe, &len);
	ASSERT_NE(NULL, image);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, write(fd, image, len));
	free(image);
	close(fd);

	ASSERT_EQ(0, probe_sym("p", "trunc", path, "hard_mul3", NULL));
	f = map_sym_page(path, "hard_mul3", &map);
	ASSERT_NE(NULL, f);
	insn = (volatile unsigned char *)f;
	ASSERT_EQ(16, f(5));
	ASSERT_EQ(1, probe_hits("trunc"));
	ASSERT_TRUE(is_bp((const void *)insn));

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	ASSERT_EQ(0, truncate(path, 0));
	/* The page is gone now: touching it would be SIGBUS. */
	EXPECT_EQ(0, probe_enable("trunc", 0));
	EXPECT_EQ(0, probe_del("trunc"));
	EXPECT_FALSE(probe_listed("trunc"));
	sleep(2);	/* a retry would have come and failed by now */
	EXPECT_FALSE(kmsg_has(kmsg, "breakpoint not removed"))
		TH_LOG("removal from a truncated file is being retried");
	if (kmsg >= 0)
		close(kmsg);
	munmap(map, PAGE);
	unlink(path);
}

/* A "--serve" instance of this program: stdin and stdout are pipes. */
struct server {
	pid_t pid;
	int in, out;
};

static int serve_start(const char *exe, struct server *s)
{
	int to[2], from[2];
	char c;

	/* Close-on-exec: later servers must not hold this one's pipes. */
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		alarm(100);
		execl(exe, exe, "--serve", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	s->in = to[1];
	s->out = from[0];
	/* It says 'r' once exec'd. */
	return read(s->out, &c, 1) == 1 && c == 'r' ? 0 : -1;
}

/* Makes s call hard_mul3() 10 times; 0 if every result was right. */
static int serve_cmd(struct server *s)
{
	char c = 'c';

	if (write(s->in, &c, 1) != 1 || read(s->out, &c, 1) != 1)
		return -1;
	return c == 'k' ? 0 : -1;
}

static int serve_stop(struct server *s)
{
	close(s->in);
	close(s->out);
	return wait_status(s->pid);
}

/* "--serve": 'r', then for each byte read, 10 calls and 'k' (or 'x'). */
static int serve_main(void)
{
	char c = 'r';

	if (write(1, &c, 1) != 1)
		return 1;
	while (read(0, &c, 1) == 1) {
		c = call_mul3(10, 0) ? 'x' : 'k';
		if (write(1, &c, 1) != 1)
			return 1;
	}
	return 0;
}

/* The address of file offset off of path in pid (0 if not mapped). */
static unsigned long pid_file_addr(pid_t pid, const char *path, unsigned long off)
{
	char maps[64], *buf, *line, *save = NULL;
	unsigned long lo, hi, pgoff, addr = 0;
	int name;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	buf = read_all(maps, NULL);
	if (!buf)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		name = 0;
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %n", &lo, &hi, &pgoff, &name) < 3 ||
		    !name || strcmp(line + name, path))
			continue;
		if (off >= pgoff && off < pgoff + (hi - lo)) {
			addr = lo + off - pgoff;
			break;
		}
	}
	free(buf);
	return addr;
}

/* Compares 16 bytes of pid's memory at file offset off of path with the file. */
static int pid_text_vs_file(pid_t pid, const char *path, unsigned long off,
			    unsigned char *mem)
{
	unsigned char file[16];
	unsigned long addr = pid_file_addr(pid, path, off);
	char p[64];
	int fd;
	ssize_t n;

	if (!addr || pread_file(path, off, file, sizeof(file)))
		return -2;
	snprintf(p, sizeof(p), "/proc/%d/mem", pid);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -2;
	n = pread(fd, mem, sizeof(file), addr);
	close(fd);
	if (n != (ssize_t)sizeof(file))
		return -2;
	return memcmp(mem, file, sizeof(file)) ? -1 : 0;
}

/*
 * Prefiltering: a perf uprobe PMU event (the way bpftrace and libbpf open
 * one) filtered to process A. Process B, exec'd before the event was
 * opened, and B2, exec'd after, map the same file: their text at the probe
 * reads exactly as the file, and their calls are not counted; A's are,
 * exactly. A's text has the breakpoint (so the check reads the right place).
 */
TEST_F_TIMEOUT(hard, regress_prefilter_other_process, 120)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	struct server a, b, b2;
	unsigned char mem[16];
	unsigned long off;
	uint64_t count = ~0ULL;
	int fd, type, i, st;
	time_t t0 = time(NULL);
	char *s;

	s = read_all("/sys/bus/event_source/devices/uprobe/type", NULL);
	ASSERT_NE(NULL, s) TH_LOG("no uprobe PMU");
	type = atoi(s);
	free(s);
	ASSERT_EQ(0, elf_sym_offset(self->exe, "hard_mul3", &off));
	ASSERT_EQ(0, serve_start(self->exe, &a));
	ASSERT_EQ(0, serve_start(self->exe, &b));
	ASSERT_EQ(0, serve_cmd(&b));

	attr.type = type;
	attr.config1 = (unsigned long)self->exe;
	attr.config2 = off;
	fd = syscall(__NR_perf_event_open, &attr, a.pid, -1, -1, 0);
	ASSERT_LE(0, fd) TH_LOG("perf_event_open: %m");
	TH_LOG("perf event open after %ld s", (long)(time(NULL) - t0));
	ASSERT_EQ(0, serve_start(self->exe, &b2));

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, serve_cmd(&a));
		ASSERT_EQ(0, serve_cmd(&b));
		ASSERT_EQ(0, serve_cmd(&b2));
	}
	ASSERT_EQ(0, call_mul3(10, 0));
	ASSERT_EQ(sizeof(count), read(fd, &count, sizeof(count)));
	EXPECT_EQ(30, count);
	TH_LOG("calls done after %ld s", (long)(time(NULL) - t0));

	EXPECT_EQ(-1, pid_text_vs_file(a.pid, self->exe, off, mem))
		TH_LOG("A (filtered in) has no breakpoint: %02x %02x", mem[0], mem[1]);
	EXPECT_EQ(0, pid_text_vs_file(b.pid, self->exe, off, mem))
		TH_LOG("B (started before) differs from the file: %02x %02x", mem[0], mem[1]);
	EXPECT_EQ(0, pid_text_vs_file(b2.pid, self->exe, off, mem))
		TH_LOG("B2 (started after) differs from the file: %02x %02x", mem[0], mem[1]);
	EXPECT_EQ(0, pid_text_vs_file(getpid(), self->exe, off, mem))
		TH_LOG("this process differs from the file: %02x %02x", mem[0], mem[1]);
	close(fd);
	st = serve_stop(&a);
	EXPECT_TRUE(exited_ok(st)) TH_LOG("A: status 0x%x", st);
	st = serve_stop(&b);
	EXPECT_TRUE(exited_ok(st)) TH_LOG("B: status 0x%x", st);
	st = serve_stop(&b2);
	EXPECT_TRUE(exited_ok(st)) TH_LOG("B2: status 0x%x", st);
	TH_LOG("took %ld s", (long)(time(NULL) - t0));
}

/*
 * The XOL mapping cannot be moved: mremap() of [uprobes] (made by a return
 * probe) fails with EINVAL or EPERM, leaves it where it was, and return
 * probes keep working, with the right values.
 */
TEST_F(hard, regress_xol_mremap_refused)
{
	static const char * const names[] = { "r_xolmv" };
	unsigned long lo, hi, lo2, hi2;
	long vals[100];
	int ev[100], n, x, err;
	void *hole, *moved;

	ASSERT_EQ(0, pin_cpu0());
	ASSERT_EQ(0, probe_sym("r", "r_xolmv", self->exe, "ret_inner", "ret=$retval:s32"));
	ASSERT_EQ(7, OPAQUE(&ret_inner)(3));
	ASSERT_EQ(0, maps_find(getpid(), "[uprobes]", &lo, &hi))
		TH_LOG("no [uprobes] after a return probe hit");
	hole = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	moved = mremap((void *)lo, hi - lo, hi - lo, MREMAP_MAYMOVE | MREMAP_FIXED, hole + PAGE);
	err = errno;
	ASSERT_EQ(MAP_FAILED, moved) TH_LOG("[uprobes] %#lx-%#lx moved to %p", lo, hi, moved);
	ASSERT_TRUE(err == EINVAL || err == EPERM) TH_LOG("errno %d (%s)", err, strerror(err));
	ASSERT_EQ(0, maps_find(getpid(), "[uprobes]", &lo2, &hi2));
	ASSERT_EQ(lo, lo2);
	ASSERT_EQ(hi, hi2);
	munmap(hole, 4 * PAGE);
	for (x = 0; x < 20; x++)
		ASSERT_EQ(2 * x + 1, OPAQUE(&ret_inner)(x));
	ASSERT_EQ(0, probe_enable("r_xolmv", 0));
	n = trace_rets(names, 1, ev, vals, 100);
	ASSERT_EQ(21, n);
	ASSERT_EQ(7, vals[0]);
	for (x = 0; x < 20; x++)
		ASSERT_EQ(2 * x + 1, vals[x + 1]);
}

#ifdef __x86_64__
/* ---- boosted instructions: run from a copy that jumps back ---- */

/* Is @addr inside a [uprobes] mapping of @pid? -1 if maps cannot be read. */
static int in_uprobes_vma(pid_t pid, unsigned long addr)
{
	unsigned long lo, hi;
	char path[64], line[512];
	int in = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[uprobes]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    addr >= lo && addr < hi)
			in = 1;
	}
	fclose(f);
	return in;
}

/* Has @pid a four-page [uprobes] mapping, the boost area? */
static bool have_boost_area(pid_t pid)
{
	unsigned long lo, hi;
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[uprobes]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    hi - lo == 4 * PAGE)
			found = true;
	}
	fclose(f);
	return found;
}

#define BOOST_RIPS	4096
static unsigned long boost_rips[BOOST_RIPS];
static int boost_nrips;
static long boost_counter;

static void boost_handler(int sig, siginfo_t *si, void *ucp)
{
	ucontext_t *uc = ucp;
	int n = __atomic_fetch_add(&boost_nrips, 1, __ATOMIC_RELAXED);

	if (n < BOOST_RIPS)
		boost_rips[n] = UC_PC(uc);
	hard_boost_inc(&boost_counter);
}

/*
 * Real-time signals from a second thread while this one runs a boosted
 * probe in a loop, the handlers calling it too: no handler ever sees its
 * IP inside [uprobes], the locked increment runs exactly once per call,
 * and every call is one hit.
 */
TEST_F_TIMEOUT(hard, boost_signal_storm, 120)
{
	struct sigaction sa = { .sa_sigaction = boost_handler, .sa_flags = SA_SIGINFO };
	struct storm_arg a = { .tid = gettid() };
	unsigned long after = (unsigned long)hard_boost_inc + 4;
	int i, in_slot = 0, at_next = 0;
	long calls = 0;
	pthread_t tid;

	ASSERT_EQ(0, probe_sym("p", "boost", self->exe, "hard_boost_inc", NULL));
	ASSERT_EQ(1, hard_boost_inc(&boost_counter));
	calls++;
	ASSERT_TRUE(have_boost_area(getpid())) TH_LOG("no boost area after the first hit");
	ASSERT_EQ(0, sigaction(SIGRTMIN, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&tid, NULL, storm_sender, &a));
	while (!__atomic_load_n(&a.done, __ATOMIC_ACQUIRE) || calls < 1000) {
		hard_boost_inc(&boost_counter);
		calls++;
	}
	ASSERT_EQ(0, pthread_join(tid, NULL));
	ASSERT_EQ(STORM_SIGNALS, a.sent);
	storm_drain(&boost_nrips, a.sent);
	for (i = 0; i < boost_nrips && i < BOOST_RIPS; i++) {
		in_slot += in_uprobes_vma(getpid(), boost_rips[i]) != 0;
		at_next += boost_rips[i] == after;
	}
	TH_LOG("%d signals, %d taken right after the boosted instruction", boost_nrips, at_next);
	/*
	 * Signals sent while a hit is served wait for the copy to run, and
	 * are taken right after it; how many arrive then depends on timing,
	 * so at_next is only reported.
	 */
	EXPECT_EQ(0, in_slot);
	ASSERT_EQ(a.sent, boost_nrips);
	ASSERT_EQ(calls + boost_nrips, boost_counter);
	ASSERT_EQ(calls + boost_nrips, probe_hits("boost"));
}

/*
 * SIGSEGV sent by another thread (si_code SI_TKILL), one at a time, while
 * this one calls the boosted probe in a loop: not a fault of the copied
 * instruction but an asynchronous signal like any other, it waits for the
 * instruction to run, and no call is counted twice.
 */
TEST_F_TIMEOUT(hard, boost_sigsegv_from_thread, 120)
{
	struct sigaction sa = { .sa_sigaction = boost_handler, .sa_flags = SA_SIGINFO };
	struct storm_arg a = { .tid = gettid(), .signo = SIGSEGV, .handled = &boost_nrips };
	int i, in_slot = 0;
	long calls = 0;
	pthread_t tid;

	boost_nrips = 0;
	boost_counter = 0;
	ASSERT_EQ(0, probe_sym("p", "bsegv", self->exe, "hard_boost_inc", NULL));
	ASSERT_EQ(1, hard_boost_inc(&boost_counter));
	calls++;
	ASSERT_TRUE(have_boost_area(getpid()));
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&tid, NULL, storm_sender, &a));
	while (!__atomic_load_n(&a.done, __ATOMIC_ACQUIRE) || calls < 1000) {
		hard_boost_inc(&boost_counter);
		calls++;
	}
	ASSERT_EQ(0, pthread_join(tid, NULL));
	storm_drain(&boost_nrips, a.sent);
	signal(SIGSEGV, SIG_DFL);
	ASSERT_EQ(STORM_SIGNALS, a.sent);
	for (i = 0; i < boost_nrips && i < BOOST_RIPS; i++)
		in_slot += in_uprobes_vma(getpid(), boost_rips[i]) != 0;
	EXPECT_EQ(0, in_slot);
	ASSERT_EQ(a.sent, boost_nrips);
	ASSERT_EQ(calls + boost_nrips, boost_counter);
	ASSERT_EQ(calls + boost_nrips, probe_hits("bsegv"));
}

/*
 * A boosted instruction that faults: SIGSEGV for the bad address with RIP
 * at the probed instruction and one hit per attempt, as for a stepped one.
 */
TEST_F(hard, boost_fault)
{
	struct sigaction sa = { .sa_sigaction = fault_segv, .sa_flags = SA_SIGINFO };
	long (*f)(long *p) = OPAQUE(&hard_boost_inc);
	static int attempt;
	static long v = 41;

	ASSERT_EQ(0, probe_sym("p", "bfault", self->exe, "hard_boost_inc", NULL));
	ASSERT_EQ(42, f(&v));
	ASSERT_TRUE(have_boost_area(getpid()));
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	for (attempt = 0; attempt < 5; attempt++) {
		memset(&fault_info, 0, sizeof(fault_info));
		if (!sigsetjmp(fault_env, 1)) {
			f(OPAQUE((long *)NULL));
			ASSERT_TRUE(false) TH_LOG("no SIGSEGV");
		}
		ASSERT_EQ(NULL, fault_info.addr);
		ASSERT_EQ(SEGV_MAPERR, fault_info.code);
		ASSERT_EQ((unsigned long)f, fault_info.rip);
		ASSERT_EQ(attempt + 2, probe_hits("bfault"));
	}
	signal(SIGSEGV, SIG_DFL);
	ASSERT_EQ(43, f(&v));
	ASSERT_EQ(7, probe_hits("bfault"));
}

#define MANY_SITES	300	/* imuls in hard_boost_many */
#define MANY_CALLS	20

/*
 * More boostable sites in one process than its boost area has slots (256):
 * the first sites hit get slots, the others are stepped, and every hit
 * counts once and computes the right product, through all of them.
 */
TEST_F_TIMEOUT(hard, boost_many_sites, 120)
{
	unsigned int (*f)(unsigned int x) = OPAQUE(&hard_boost_many);
	unsigned long off, first = hard_boost_many_first - (const char *)hard_boost_many;
	unsigned int want, x;
	char name[32];
	int i;

	ASSERT_EQ(0, elf_sym_offset(self->exe, "hard_boost_many", &off));
	for (i = 0; i < MANY_SITES; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		ASSERT_EQ(0, probe_add_enable("p", name, self->exe, off + first + 3 * i, NULL))
			TH_LOG("probe %d", i);
	}
	for (x = 1; x <= MANY_CALLS; x++) {
		for (i = 0, want = x; i < MANY_SITES; i++)
			want *= 3;
		ASSERT_EQ(want, f(x)) TH_LOG("call %u", x);
	}
	ASSERT_TRUE(have_boost_area(getpid()));
	for (i = 0; i < MANY_SITES; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		EXPECT_EQ(MANY_CALLS, probe_hits(name)) TH_LOG("probe %d", i);
		EXPECT_EQ(0, probe_enable(name, 0));
		EXPECT_EQ(0, probe_del(name));
	}
}

#define BOOST_CALLS	20000

/*
 * A tracer interrupts a child that runs a boosted probe in a loop: at no
 * stop is the child's IP inside [uprobes], and the child's count comes
 * out right once it is let go.
 */
TEST_F_TIMEOUT(hard, boost_ptrace_interrupt, 120)
{
	struct user_regs_struct regs;
	int i, status = 0, stops = 0, in_slot = 0;
	bool exited = false;
	pid_t pid;

	ASSERT_EQ(0, probe_sym("p", "bptrace", self->exe, "hard_boost_inc", NULL));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		static long c;
		long k;

		for (k = 0; k < BOOST_CALLS; k++)
			hard_boost_inc(&c);
		_exit(c == BOOST_CALLS ? 0 : 1);
	}
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, pid, NULL, NULL));
	for (i = 0; i < 300 && !exited; i++) {
		if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL))
			break;
		status = wait_status(pid);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			exited = true;
			break;
		}
		if (WIFSTOPPED(status) && !ptrace(PTRACE_GETREGS, pid, NULL, &regs)) {
			stops++;
			in_slot += in_uprobes_vma(pid, regs.rip) != 0;
		}
		if (i == 299) {
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
			break;
		}
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		usleep(200);
	}
	if (!exited)
		status = wait_status(pid);
	TH_LOG("%d stops", stops);
	EXPECT_EQ(0, in_slot);
	ASSERT_TRUE(exited_ok(status)) TH_LOG("child: status %#x", status);
	ASSERT_EQ(BOOST_CALLS, probe_hits("bptrace"));
}
#endif /* __x86_64__ */

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--loop"))
		return call_mul3(atoi(argv[2]), atoi(argv[3])) ? 1 : 0;
#ifdef __x86_64__
	if (argc == 3 && !strcmp(argv[1], "--straddle"))
		return call_straddle(atoi(argv[2])) ? 1 : 0;
#endif
	if (argc == 2 && !strcmp(argv[1], "--serve"))
		return serve_main();
	if (argc == 3 && !strcmp(argv[1], "--rec")) {
		printf("ret_rec(%d) = %d\n", atoi(argv[2]), OPAQUE(&ret_rec)(atoi(argv[2])));
		printf("ret_outer(%d) = %d\n", atoi(argv[2]), OPAQUE(&ret_outer)(atoi(argv[2])));
		return 0;
	}
	return test_harness_run(argc, argv);
}
