// SPDX-License-Identifier: GPL-2.0-only
/*
 * SDT probe with a semaphore (guest/suites/clients.sh). The probe
 * clients:tick only fires while its semaphore is non-zero, i.e. while a
 * tracer that registered the probe with its reference counter offset has it
 * enabled.
 *
 *   sdt_sem run N      N ticks, each firing clients:tick(100 + i, hits)
 *                      if enabled; prints "run enabled=E hits=H"
 *   sdt_sem serve      stdin commands: "t" tick, "f" fork a child that
 *                      ticks once, "q" quit. Every tick prints
 *                      "tick who=parent|child pid=P enabled=E hits=H sem=S"
 *                      (flushed)
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

unsigned short clients_tick_semaphore __attribute__((unused))
	__attribute__((section(".probes")));

#define CLIENTS_TICK_ENABLED() __builtin_expect(clients_tick_semaphore, 0)

static int hits;

static int tick(long arg)
{
	int enabled = CLIENTS_TICK_ENABLED() != 0;

	if (enabled) {
		hits++;
		DTRACE_PROBE2(clients, tick, arg, hits);
	}
	return enabled;
}

int main(int argc, char **argv)
{
	char line[64];
	int i, n, e = 0;
	pid_t pid;

	if (argc >= 3 && !strcmp(argv[1], "run")) {
		n = atoi(argv[2]);
		for (i = 0; i < n; i++)
			e |= tick(100 + i);
		printf("run enabled=%d hits=%d\n", e, hits);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "serve")) {
		fprintf(stderr, "usage: %s run N | serve\n", argv[0]);
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		switch (line[0]) {
		case 't':
			e = tick(1);
			printf("tick who=parent pid=%d enabled=%d hits=%d sem=%u\n",
			       getpid(), e, hits, clients_tick_semaphore);
			break;
		case 'f':
			fflush(stdout);
			pid = fork();
			if (pid == 0) {
				e = tick(2);
				printf("tick who=child pid=%d enabled=%d hits=%d sem=%u\n",
				       getpid(), e, hits,
				       clients_tick_semaphore);
				fflush(stdout);
				_exit(0);
			}
			waitpid(pid, NULL, 0);
			break;
		case 'q':
			return 0;
		}
		fflush(stdout);
	}
	return 0;
}
