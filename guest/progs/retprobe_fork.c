// SPDX-License-Identifier: GPL-2.0
/*
 * A return-probe target for guest/suites/perf.sh: after a line on stdin,
 * a fork child calls rf_f() five times, then the parent three times.
 * Only the parent is traced (perf record --no-inherit -p), so the return
 * probe's consumer wants the child's mm removed after its first hit.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

__attribute__((noipa)) int rf_f(int x)
{
	return x * 3 + 1;
}

int main(void)
{
	char line[16];
	int i, s = 0, status;

	if (!fgets(line, sizeof(line), stdin))
		return 1;
	if (fork() == 0) {
		for (i = 0; i < 5; i++)
			s += rf_f(i);
		return s == 35 ? 0 : 1;
	}
	if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	for (i = 0; i < 3; i++)
		s += rf_f(i);
	printf("done %d\n", s);
	return 0;
}
