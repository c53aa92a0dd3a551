// SPDX-License-Identifier: GPL-2.0
/*
 * uprobes differential selftest (x86-64): every instruction form of
 * uprobes_diff_targets.S runs from the same random machine states natively
 * and with a uprobe on it, and the two runs must end in the same state:
 * every general register, %rsp, EFLAGS, the state's stack area and memory
 * buffer, and
 * for the forms that fault, the same signal, si_code, si_addr, trap number,
 * error code and CR2, with the memory left untouched. Each form's probe
 * must be hit exactly once per probed run. One TAP result per form.
 *
 * Each form gets its own probe at the file offset of its diff_<name>_probe
 * label, opened as a perf uprobe PMU event of this process whose count is
 * its hits (the way libbpf and bpftrace open one), or with
 * UPROBES_DIFF_TRACEFS=1 added to the tracefs uprobe_events, enabled, and
 * counted in uprobe_profile (slower: most of the run goes to tracefs).
 *
 * UPROBES_DIFF_N sets the number of states per form (default 200),
 * UPROBES_DIFF_SEED the random seed (default: from the time; printed), and
 * UPROBES_DIFF_ONLY runs the forms whose names contain it.
 *
 * EFLAGS are compared whole, the bits the SDM leaves undefined for a form
 * included: an emulated form runs the same operation on the same CPU from
 * the same flags, so even those must come out the same.
 * UPROBES_DIFF_DEFINED_FLAGS=1 compares only the defined ones, for a kernel
 * that computes flags by hand.
 * UPROBES_DIFF_VERBOSE=1 prints each form's first state and native outcome.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../kselftest.h"
#include "uprobes_diff_targets.h"
#include "uprobes_util.h"

#define GROUP		"uprobes_diff"
#define PAGE		4096UL
#define DEFAULT_N	200
#define MAX_REPORTS	3	/* differing states printed per form */
#define EDGE		16	/* bytes watched before each straddled page */

const char *const probe_group = GROUP;

static_assert(offsetof(struct diff_state, flags) == DIFF_OFF_FLAGS, "layout");
static_assert(offsetof(struct diff_state, mem) == DIFF_OFF_MEM, "layout");
static_assert(offsetof(struct diff_state, stack) == DIFF_OFF_STACK, "layout");
static_assert(sizeof(struct diff_state) == DIFF_STATE_SIZE, "layout");
static_assert(sizeof(struct diff_form) == DIFF_FORM_SIZE, "layout");

static const char * const reg_names[DIFF_NREGS] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* The ucontext slot of each register of struct diff_state. */
static const int greg_of[DIFF_NREGS] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* How one run ended. */
struct diff_out {
	struct diff_state st;		/* registers and flags from the signal frame if signo */
	int signo, code;
	unsigned long addr, rip, trapno, err, cr2;
	unsigned char edge[2][EDGE];	/* the bytes before pages[1] and pages[3] */
};

/*
 * Four pages: 0 read-write, 1 unmapped, 2 read-write, 3 read-only; the
 * pattern they are filled with is restored before every run.
 */
static unsigned char *pages;

static bool verbose, defined_flags_only;
static int pmu_type = -1;	/* the uprobe PMU, or -1 for tracefs */
static sigjmp_buf run_env;
static struct diff_out caught;

/* ---- random states ---- */

static unsigned long rng;

static unsigned long rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dUL;
}

static const unsigned long edges[] = {
	0, 1, 2, -1UL, -2UL, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
	0x8000000000000000,
};

/* A random register value, often an edge value in some of its widths. */
static unsigned long rand_val(void)
{
	unsigned long r = rnd(), e = edges[rnd() % ARRAY_SIZE(edges)], mask;

	switch (rnd() % 8) {
	case 0:
	case 1:
	case 2:
		return r;
	case 3:
	case 4:
		return e;
	case 5:		/* an edge value in the low 8, 16 or 32 bits */
		mask = (1UL << (8 << (rnd() % 3))) - 1;
		return (r & ~mask) | (e & mask);
	case 6:		/* an edge value in bits 8-15 (%ah, %bh, %ch, %dh) */
		return (r & ~0xff00UL) | ((e & 0xff) << 8);
	default:	/* small, of either sign */
		return (long)(signed char)r;
	}
}

/*
 * A pointer into the memory buffer of diff_state (where the runs' states
 * are copied) or into one of the pages.
 */
static unsigned long rand_ptr(const struct diff_form *f)
{
	if (f->flags & DS_UNMAPPED)
		return (unsigned long)pages + PAGE + 32 + rnd() % (PAGE - 256);
	if (f->flags & DS_RO)
		return (unsigned long)pages + 3 * PAGE + 32 + rnd() % (PAGE - 256);
	if (f->flags & DS_STRADDLE)
		return (unsigned long)pages + PAGE - 1 - rnd() % 7;
	if (f->flags & DS_STRADDLE_RO)
		return (unsigned long)pages + 3 * PAGE - 1 - rnd() % 7;
	return (unsigned long)diff_state.mem + 32 + rnd() % 64;
}

/* A pointer into the stack area of diff_state; one in four is not 8-aligned. */
static unsigned long rand_stack(unsigned long lo, unsigned long span)
{
	unsigned long p = (unsigned long)diff_state.stack + lo + rnd() % span;

	return rnd() % 4 ? p & ~7UL : p;
}

static void gen_state(const struct diff_form *f, struct diff_state *s)
{
	unsigned long v;
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < DIFF_NREGS; i++)
		s->regs[i] = rand_val();
	/* Equal operands now and then: zero results, ZF, cmp of equals. */
	if (rnd() % 8 == 0)
		s->regs[rnd() % DIFF_NREGS] = s->regs[rnd() % DIFF_NREGS];
	for (i = 0; i < DIFF_MEM_SIZE; i += 8) {
		v = rand_val();
		memcpy(s->mem + i, &v, 8);
	}
	for (i = 0; i < DIFF_STACK_SIZE; i += 8) {
		v = rand_val();
		memcpy(s->stack + i, &v, 8);
	}
	switch (rnd() % 8) {
	case 0:
		s->flags = 0x2;
		break;
	case 1:
		s->flags = 0x2 | F_ARITH;
		break;
	default:
		s->flags = 0x2 | (rnd() & F_ARITH);
	}
	s->regs[4] = rand_stack(128, 256);
	if (f->flags & DS_BP)
		s->regs[5] = rand_stack(64, 384);
	for (i = 0; i < DIFF_NREGS; i++) {
		if (f->idx & (1U << i))
			s->regs[i] = rnd() % 16;
		if (f->ptr & (1U << i))
			s->regs[i] = rand_ptr(f);
	}
	if (f->flags & DS_RET) {
		v = (unsigned long)f->cont;
		memcpy(s->stack + (s->regs[4] - (unsigned long)diff_state.stack), &v, 8);
	}
}

/* ---- running a form ---- */

static void pages_fill(void)
{
	unsigned long i;

	for (i = 0; i < EDGE; i++) {
		pages[PAGE - EDGE + i] = 0xa0 + i;
		pages[3 * PAGE - EDGE + i] = 0xb0 + i;
	}
}

static void on_signal(int sig, siginfo_t *si, void *ucp)
{
	ucontext_t *uc = ucp;
	greg_t *g = uc->uc_mcontext.gregs;
	int i;

	for (i = 0; i < DIFF_NREGS; i++)
		caught.st.regs[i] = g[greg_of[i]];
	caught.st.flags = g[REG_EFL];
	caught.signo = sig;
	caught.code = si->si_code;
	caught.addr = (unsigned long)si->si_addr;
	caught.rip = g[REG_RIP];
	caught.trapno = g[REG_TRAPNO];
	caught.err = g[REG_ERR];
	caught.cr2 = g[REG_CR2];
	siglongjmp(run_env, 1);
}

/* Runs form f once from state in; out is how it ended. */
static void run_one(const struct diff_form *f, const struct diff_state *in,
		    struct diff_out *out)
{
	memset(out, 0, sizeof(*out));
	memset(&caught, 0, sizeof(caught));
	pages_fill();
	diff_state = *in;
	/* No mask to restore: on_signal() runs with its signal unblocked. */
	if (!sigsetjmp(run_env, 0)) {
		f->fn();
		out->st = diff_state;
	} else {
		/* Registers and flags from the frame, memory as the form left it. */
		*out = caught;
		memcpy(out->st.mem, diff_state.mem, DIFF_MEM_SIZE);
		memcpy(out->st.stack, diff_state.stack, DIFF_STACK_SIZE);
	}
	memcpy(out->edge[0], pages + PAGE - EDGE, EDGE);
	memcpy(out->edge[1], pages + 3 * PAGE - EDGE, EDGE);
}

static int setup_signals(void)
{
	struct sigaction sa = {
		.sa_sigaction = on_signal,
		.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER,
	};
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE };
	stack_t ss = { .ss_size = 1 << 16 };
	unsigned int i;

	/* The forms run on diff_state.stack: signal frames go elsewhere. */
	ss.ss_sp = malloc(ss.ss_size);
	if (!ss.ss_sp || sigaltstack(&ss, NULL))
		return -1;
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

static int setup_pages(void)
{
	pages = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		return -1;
	memset(pages, 0x5a, 4 * PAGE);
	if (munmap(pages + PAGE, PAGE) || mprotect(pages + 3 * PAGE, PAGE, PROT_READ))
		return -1;
	return 0;
}

/* ---- comparing ---- */

static void print_state(const char *what, const struct diff_state *s)
{
	int i;

	ksft_print_msg("  %s: flags=0x%lx", what, s->flags);
	for (i = 0; i < DIFF_NREGS; i++)
		printf("%s%s=0x%lx", i % 6 ? " " : "\n#   ", reg_names[i], s->regs[i]);
	printf("\n");
}

static void print_bytes(const char *what, const unsigned char *in, const unsigned char *a,
			const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i] || (in && a[i] != in[i]))
			break;
	if (i == len)
		return;
	ksft_print_msg("  %s differs first at byte %zu:", what, i);
	if (in)
		printf(" in 0x%02x", in[i]);
	printf(" native 0x%02x probed 0x%02x\n", a[i], b[i]);
}

/* Does one field differ? With print, says how. */
static bool diff_ul(const char *what, unsigned long a, unsigned long b, bool print)
{
	if (a == b)
		return false;
	if (print)
		ksft_print_msg("  %s: native 0x%lx probed 0x%lx\n", what, a, b);
	return true;
}

/*
 * Do a (native) and b (probed) end alike? With print, says how they
 * differ. EFLAGS leave out RF in a signal frame, and f's undefined bits
 * with UPROBES_DIFF_DEFINED_FLAGS.
 */
static bool same_out(const struct diff_form *f, const struct diff_out *a,
		     const struct diff_out *b, bool print)
{
	unsigned long fmask = defined_flags_only ? ~(unsigned long)f->undef : ~0UL;
	bool bad = false;
	int i;

	/* RF is set in the signal frame of a fault. */
	if (a->signo || b->signo)
		fmask &= ~(unsigned long)F_RF;
	for (i = 0; i < DIFF_NREGS; i++) {
		if (a->st.regs[i] == b->st.regs[i])
			continue;
		if (print)
			ksft_print_msg("  %s: native 0x%lx probed 0x%lx\n", reg_names[i],
				       a->st.regs[i], b->st.regs[i]);
		bad = true;
	}
	if ((a->st.flags ^ b->st.flags) & fmask) {
		if (print)
			ksft_print_msg("  eflags: native 0x%lx probed 0x%lx (compared 0x%lx)\n",
				       a->st.flags, b->st.flags, fmask & 0xffffffffUL);
		bad = true;
	}
	bad |= diff_ul("signal", a->signo, b->signo, print);
	bad |= diff_ul("si_code", a->code, b->code, print);
	bad |= diff_ul("si_addr", a->addr, b->addr, print);
	bad |= diff_ul("rip", a->rip, b->rip, print);
	bad |= diff_ul("trapno", a->trapno, b->trapno, print);
	bad |= diff_ul("err", a->err, b->err, print);
	bad |= diff_ul("cr2", a->cr2, b->cr2, print);
	if (memcmp(a->st.mem, b->st.mem, DIFF_MEM_SIZE)) {
		if (print)
			print_bytes("mem", NULL, a->st.mem, b->st.mem, DIFF_MEM_SIZE);
		bad = true;
	}
	if (memcmp(a->st.stack, b->st.stack, DIFF_STACK_SIZE)) {
		if (print)
			print_bytes("stack", NULL, a->st.stack, b->st.stack, DIFF_STACK_SIZE);
		bad = true;
	}
	if (memcmp(a->edge, b->edge, sizeof(a->edge))) {
		if (print)
			print_bytes("page edges", NULL, a->edge[0], b->edge[0], sizeof(a->edge));
		bad = true;
	}
	return !bad;
}

/* A faulting run must leave the memory buffer, the stack and the pages alone. */
static bool fault_untouched(const struct diff_state *in, const struct diff_out *o)
{
	unsigned long i;

	for (i = 0; i < EDGE; i++)
		if (o->edge[0][i] != 0xa0 + i || o->edge[1][i] != 0xb0 + i)
			return false;
	return !memcmp(in->mem, o->st.mem, DIFF_MEM_SIZE) &&
	       !memcmp(in->stack, o->st.stack, DIFF_STACK_SIZE);
}

/* ---- probes ---- */

/* Puts a probe named name on exe at off; returns a handle (>= 0) or -errno. */
static int probe_open(const char *name, const char *exe, unsigned long off)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int fd, ret;

	if (pmu_type < 0) {
		ret = probe_add_enable("p", name, exe, off, NULL);
		if (ret)
			probe_del(name);
		return ret;
	}
	attr.type = pmu_type;
	attr.config1 = (unsigned long)exe;
	attr.config2 = off;
	fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The probe's hits so far, or -1. */
static long probe_count(const char *name, int fd)
{
	unsigned long long count;

	if (pmu_type < 0)
		return probe_hits(name);
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return -1;
	return count;
}

static void probe_close(const char *name, int fd)
{
	if (pmu_type < 0) {
		probe_enable(name, 0);
		probe_del(name);
	} else {
		close(fd);
	}
}

static void setup_probes(void)
{
	const char *env = getenv("UPROBES_DIFF_TRACEFS");
	char *s;

	if (env && atoi(env)) {
		if (access(TRACEFS "/uprobe_events", W_OK))
			ksft_exit_skip("no " TRACEFS "/uprobe_events (CONFIG_UPROBE_EVENTS)\n");
		probes_clear_all();
		return;
	}
	s = read_all("/sys/bus/event_source/devices/uprobe/type", NULL);
	if (!s)
		ksft_exit_skip("no uprobe PMU (CONFIG_UPROBE_EVENTS, CONFIG_PERF_EVENTS)\n");
	pmu_type = atoi(s);
	free(s);
}

/* ---- the test ---- */

static unsigned long name_hash(const char *s)
{
	unsigned long h = 0xcbf29ce484222325UL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3UL;
	return h;
}

/* Checks that the native runs behave as the form says; 0 if so. */
static int check_native(const struct diff_form *f, const struct diff_out *nat,
			const struct diff_out *again, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		bool fault = f->flags & DS_FAULT;

		if (fault ? nat[i].signo != SIGSEGV : nat[i].signo != 0) {
			ksft_print_msg("%s: state %d: native run ended with signal %d\n",
				       f->name, i, nat[i].signo);
			return -1;
		}
		if (!same_out(f, &nat[i], &again[i], false)) {
			ksft_print_msg("%s: state %d: two native runs differ%s\n", f->name, i,
				       " (\"probed\" is the second)");
			same_out(f, &nat[i], &again[i], true);
			return -1;
		}
	}
	return 0;
}

/* Seconds spent: making states and native runs, the symbol, probe setup, probed runs. */
enum { T_NATIVE, T_SYM, T_PROBE, T_PROBED, T_NR };
static double spent[T_NR];

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* The states and outcomes of one form's runs, n of each. */
static struct diff_state *in;
static struct diff_out *nat, *again, *prb;

/* Runs form f from n random states natively and probed; true if they agree. */
static bool test_form(const struct diff_form *f, int n, unsigned long seed, const char *exe)
{
	int i, fd, ret, reports = 0, bad = 0;
	char site[128];
	unsigned long off;
	double t = now(), t2;
	long hits;

	rng = (seed ^ name_hash(f->name)) | 1;
	for (i = 0; i < n; i++)
		gen_state(f, &in[i]);
	for (i = 0; i < n; i++)
		run_one(f, &in[i], &nat[i]);
	for (i = 0; i < n; i++)
		run_one(f, &in[i], &again[i]);
	t2 = now();
	spent[T_NATIVE] += t2 - t;
	t = t2;
	if (check_native(f, nat, again, n))
		return false;
	if (verbose) {
		ksft_print_msg("%s: state 0, natively: signal %d code %d addr 0x%lx rip 0x%lx\n",
			       f->name, nat[0].signo, nat[0].code, nat[0].addr, nat[0].rip);
		print_state("in", &in[0]);
		print_state("out", &nat[0].st);
	}

	snprintf(site, sizeof(site), "diff_%s_probe", f->name);
	ret = elf_sym_offset(exe, site, &off);
	t2 = now();
	spent[T_SYM] += t2 - t;
	t = t2;
	fd = ret ? ret : probe_open(f->name, exe, off);
	if (fd < 0) {
		ksft_print_msg("%s: cannot probe %s: %s\n", f->name, site, strerror(-fd));
		return false;
	}
	hits = probe_count(f->name, fd);
	if (hits != 0) {
		ksft_print_msg("%s: %ld probe hits before the probed runs\n", f->name, hits);
		probe_close(f->name, fd);
		return false;
	}
	t2 = now();
	spent[T_PROBE] += t2 - t;
	t = t2;
	for (i = 0; i < n; i++)
		run_one(f, &in[i], &prb[i]);
	t2 = now();
	spent[T_PROBED] += t2 - t;
	t = t2;
	hits = probe_count(f->name, fd);
	probe_close(f->name, fd);
	spent[T_PROBE] += now() - t;

	for (i = 0; i < n; i++) {
		bool diff = !same_out(f, &nat[i], &prb[i], false);
		bool touched = (f->flags & DS_FAULT) && !fault_untouched(&in[i], &prb[i]);

		if (!diff && !touched)
			continue;
		bad++;
		if (reports++ >= MAX_REPORTS)
			continue;
		ksft_print_msg("%s: state %d: %s\n", f->name, i,
			       diff ? "native and probed runs differ" :
				      "the faulting probed run changed memory");
		print_state("in", &in[i]);
		same_out(f, &nat[i], &prb[i], true);
		if (touched) {
			print_bytes("mem (vs in)", in[i].mem, in[i].mem, prb[i].st.mem,
				    DIFF_MEM_SIZE);
			print_bytes("stack (vs in)", in[i].stack, in[i].stack, prb[i].st.stack,
				    DIFF_STACK_SIZE);
		}
	}
	if (bad)
		ksft_print_msg("%s: %d of %d states differ\n", f->name, bad, n);
	if (hits != n)
		ksft_print_msg("%s: %ld probe hits for %d probed runs\n", f->name, hits, n);
	return !bad && hits == n;
}

static bool selected(const struct diff_form *f, const char *only)
{
	return !only || strstr(f->name, only);
}

int main(void)
{
	const char *only = getenv("UPROBES_DIFF_ONLY");
	const char *env_n = getenv("UPROBES_DIFF_N");
	const char *env_seed = getenv("UPROBES_DIFF_SEED");
	unsigned long seed;
	const struct diff_form *f;
	char exe[PATH_MAX];
	int n = DEFAULT_N, plan = 0;
	struct timespec t0, t1;

	ksft_print_header();
	verbose = getenv("UPROBES_DIFF_VERBOSE");
	defined_flags_only = getenv("UPROBES_DIFF_DEFINED_FLAGS");
	if (env_n)
		n = atoi(env_n);
	if (n <= 0)
		ksft_exit_fail_msg("bad UPROBES_DIFF_N=%s\n", env_n);
	if (env_seed) {
		seed = strtoul(env_seed, NULL, 0);
	} else {
		clock_gettime(CLOCK_REALTIME, &t0);
		seed = t0.tv_sec ^ ((unsigned long)t0.tv_nsec << 20) ^ getpid();
	}
	for (f = diff_forms; f < diff_forms_end; f++)
		plan += selected(f, only);
	if (!plan)
		ksft_exit_fail_msg("no form matches UPROBES_DIFF_ONLY=%s\n", only);
	setup_probes();
	in = calloc(n, sizeof(*in));
	nat = calloc(n, sizeof(*nat));
	again = calloc(n, sizeof(*again));
	prb = calloc(n, sizeof(*prb));
	if (!in || !nat || !again || !prb || self_exe(exe, sizeof(exe)) || setup_pages() ||
	    setup_signals())
		ksft_exit_fail_msg("setup: %s\n", strerror(errno));
	ksft_set_plan(plan);
	ksft_print_msg("%d forms, %d states each, UPROBES_DIFF_SEED=0x%lx, probes: %s\n", plan, n,
		       seed, pmu_type < 0 ? "tracefs uprobe_events" : "perf uprobe PMU");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (f = diff_forms; f < diff_forms_end; f++) {
		if (!selected(f, only))
			continue;
		ksft_test_result(test_form(f, n, seed, exe), "diff_%s\n", f->name);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ksft_print_msg("%.1f s\n", t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	ksft_print_msg("native %.1f s, symbols %.1f s, probe setup %.1f s, probed runs %.1f s\n",
		       spent[T_NATIVE], spent[T_SYM], spent[T_PROBE], spent[T_PROBED]);
	if (pmu_type < 0)
		probes_clear_all();
	ksft_finished();
}
