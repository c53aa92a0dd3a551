// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hit-cost targets for `make bench` (guest/bench.sh): one function per
 * instruction class, written in assembly so that the probed instruction is
 * exactly the named one, and loops that call them.
 *
 *   bench_hit run FUNC N         call FUNC N times, print "ns=T"
 *   bench_hit syscall N          getppid() N times, print "ns=T"
 *   bench_hit threads FUNC T N   T threads, thread i pinned to CPU i, each
 *                                calls FUNC N times; print "ns=T" (wall)
 *   bench_hit hold FUNC          wait for SIGUSR1, call FUNC once, print
 *                                "hit", then wait for SIGTERM
 *   bench_hit idle T             T threads (main included) that sleep;
 *                                print "ready" once all exist
 *
 * Every function takes (long a, const long *m, const char *s) and returns a
 * long, so the same probe arguments work on all of them.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

typedef long (*bench_fn)(long a, const long *m, const char *s);

#define BENCH_FN(name, body)						\
	asm(".text\n.globl " #name "\n.type " #name ", @function\n"	\
	    ".p2align 4\n" #name ":\n" body "\n"			\
	    ".size " #name ", . - " #name "\n");			\
	long name(long a, const long *m, const char *s)

long bench_var = 42;

BENCH_FN(bf_nop, "nop\n ret");
BENCH_FN(bf_push, "push %rbp\n pop %rbp\n ret");
BENCH_FN(bf_endbr, "endbr64\n ret");
BENCH_FN(bf_nop5, ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n ret");
/* The probe goes on the mov, one byte in (bf_movrbp+1). */
BENCH_FN(bf_movrbp, "push %rbp\n mov %rsp, %rbp\n pop %rbp\n ret");
BENCH_FN(bf_sub, "sub $0x18, %rsp\n add $0x18, %rsp\n ret");
BENCH_FN(bf_test, "test %rdi, %rdi\n ret");
BENCH_FN(bf_lea, "lea 8(%rdi), %rax\n ret");
BENCH_FN(bf_xor, "xor %eax, %eax\n ret");
BENCH_FN(bf_movrr, "mov %rdi, %rax\n ret");
BENCH_FN(bf_rip, "mov bench_var(%rip), %rax\n ret");
/* jmp rel8 to the next instruction. */
BENCH_FN(bf_jmp, ".byte 0xeb, 0x00\n ret");
BENCH_FN(bf_callee, "ret");
BENCH_FN(bf_call, "call bf_callee\n ret");
BENCH_FN(bf_ret, "ret");
/* Emulated since the shift patch; boosted (one trap) since the booster. */
BENCH_FN(bf_shl, "shl $3, %rdi\n mov %rdi, %rax\n ret");
BENCH_FN(bf_pxor, "pxor %xmm0, %xmm0\n ret");
/* A leaf for return probes: an emulated first instruction, then work. */
BENCH_FN(bf_leaf, "nop\n lea (%rdi, %rdi), %rax\n ret");
/* For the fetch-argument probe: %di, +0(%si), +0(%dx):string. */
BENCH_FN(bf_args, "nop\n ret");

static const struct {
	const char *name;
	bench_fn fn;
} fns[] = {
	{ "bf_nop", bf_nop }, { "bf_push", bf_push },
	{ "bf_endbr", bf_endbr }, { "bf_nop5", bf_nop5 },
	{ "bf_movrbp", bf_movrbp }, { "bf_sub", bf_sub },
	{ "bf_test", bf_test }, { "bf_lea", bf_lea },
	{ "bf_xor", bf_xor }, { "bf_movrr", bf_movrr },
	{ "bf_rip", bf_rip }, { "bf_jmp", bf_jmp },
	{ "bf_call", bf_call }, { "bf_ret", bf_ret },
	{ "bf_leaf", bf_leaf }, { "bf_args", bf_args },
	{ "bf_shl", bf_shl }, { "bf_pxor", bf_pxor },
};

static const long bench_mem = 0x1234;
static const char bench_str[] = "bench-string";
static bench_fn volatile target;
static long loops;

static int find(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (!strcmp(fns[i].name, name))
			return i;
	fprintf(stderr, "bench_hit: no function %s\n", name);
	exit(2);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long call_loop(long n)
{
	long i, sum = 0;

	for (i = 0; i < n; i++)
		sum += target(i, &bench_mem, bench_str);
	return sum;
}

static void *thread_main(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	call_loop(loops);
	return NULL;
}

static int run_threads(int nr)
{
	pthread_t tid[64];
	long long t0;
	int i;

	if (nr < 1 || nr > 64)
		return 2;
	t0 = now_ns();
	for (i = 0; i < nr; i++)
		if (pthread_create(&tid[i], NULL, thread_main, (void *)(long)i))
			return 1;
	for (i = 0; i < nr; i++)
		pthread_join(tid[i], NULL);
	printf("ns=%lld\n", now_ns() - t0);
	return 0;
}

static void *idle_main(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static int idle(int nr)
{
	pthread_t tid;
	int i;

	for (i = 1; i < nr; i++)
		if (pthread_create(&tid, NULL, idle_main, NULL))
			return 1;
	printf("ready\n");
	fflush(stdout);
	idle_main(NULL);
	return 0;
}

static int hold(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	do {
		sigwait(&set, &sig);
		if (sig == SIGUSR1) {
			target(0, &bench_mem, bench_str);
			printf("hit\n");
			fflush(stdout);
		}
	} while (sig != SIGTERM);
	return 0;
}

int main(int argc, char **argv)
{
	long long t0;
	long i, n;

	if (argc == 3 && !strcmp(argv[1], "syscall")) {
		n = atol(argv[2]);
		t0 = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_getppid);
		printf("ns=%lld\n", now_ns() - t0);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "idle"))
		return idle(atoi(argv[2]));
	if (argc < 3)
		goto usage;
	target = fns[find(argv[2])].fn;
	if (argc == 4 && !strcmp(argv[1], "run")) {
		n = atol(argv[3]);
		t0 = now_ns();
		call_loop(n);
		printf("ns=%lld\n", now_ns() - t0);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "threads")) {
		loops = atol(argv[4]);
		return run_threads(atoi(argv[3]));
	}
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold();
usage:
	fprintf(stderr, "usage: bench_hit run|threads|hold FUNC ... | syscall N | idle T\n");
	return 2;
}
