// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exec target for `make bench` (guest/bench.sh): a static binary carrying
 * 1000 functions bx_f0 .. bx_f999 (16 bytes each, "nop; ret"), each of
 * which gets a probe, so that every exec of it installs 1000 breakpoints.
 *
 *   bench_exec child   exit at once
 *   bench_exec run N   vfork + exec "bench_exec child" N times, waiting for
 *                      each; print "ns=T"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

asm(".text\n"
    ".altmacro\n"
    ".macro bx_fn n\n"
    ".globl bx_f\\n\n"
    ".type bx_f\\n, @function\n"
    ".p2align 4\n"
    "bx_f\\n: nop\n ret\n"
    ".size bx_f\\n, . - bx_f\\n\n"
    ".endm\n"
    ".set bx_i, 0\n"
    ".rept 1000\n"
    "bx_fn %bx_i\n"
    ".set bx_i, bx_i + 1\n"
    ".endr\n"
    ".noaltmacro\n");

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char *child[] = { argv[0], "child", NULL };
	long long t0;
	int i, n, status;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "child"))
		return 0;
	if (argc != 3 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: bench_exec child | run N\n");
		return 2;
	}
	n = atoi(argv[2]);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		pid = vfork();
		if (pid < 0)
			return 1;
		if (!pid) {
			execv(argv[0], child);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || status)
			return 1;
	}
	printf("ns=%lld\n", now_ns() - t0);
	return 0;
}
