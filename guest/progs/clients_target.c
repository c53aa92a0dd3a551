// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe target for the client suites (guest/suites/clients.sh): a known
 * function called a known number of times with known arguments.
 *
 *   clients_target run N [MS]  call caller_fn(0..N-1), print the sum, then
 *                              sleep MS milliseconds (lets bpftrace resolve
 *                              ustack symbols while the process still lives)
 *   clients_target serve       for each stdin line K, make K calls and print
 *                              "did K total T" (flushed)
 *
 * target_add(i, word) returns i * 10 + strlen(word) with words cycling
 * alpha bravo charlie delta echo: 5 15 27 35 44 for i = 0..4.
 * noipa keeps the signature and the call sites as written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((noipa)) int target_add(int a, const char *s)
{
	return a * 10 + (int)strlen(s);
}

__attribute__((noipa)) int caller_fn(int i)
{
	static const char *const words[] = {
		"alpha", "bravo", "charlie", "delta", "echo"
	};

	/* + 1 after the call: no tail call, caller_fn stays on the stack. */
	return target_add(i, words[i % 5]) + 1;
}

int main(int argc, char **argv)
{
	long total = 0, sum = 0;
	char line[64];
	int i, n;

	if (argc >= 3 && !strcmp(argv[1], "run")) {
		n = atoi(argv[2]);
		for (i = 0; i < n; i++)
			sum += caller_fn(i) - 1;
		printf("sum=%ld\n", sum);
		fflush(stdout);
		if (argc >= 4) {
			struct timespec ts = { atoi(argv[3]) / 1000,
					       (atoi(argv[3]) % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "serve")) {
		while (fgets(line, sizeof(line), stdin)) {
			n = atoi(line);
			for (i = 0; i < n; i++)
				caller_fn(i);
			total += n;
			printf("did %d total %ld\n", n, total);
			fflush(stdout);
		}
		return 0;
	}
	fprintf(stderr, "usage: %s run N [MS] | serve\n", argv[0]);
	return 2;
}
