// SPDX-License-Identifier: GPL-2.0-only
/*
 * perf_event_open on the uprobe PMU, as bpftrace and libbpf use it
 * (guest/suites/clients.sh):
 *
 *   perf_uprobe PATH OFFSET RETPROBE N
 *
 * opens a local uprobe event (attr.type from
 * /sys/bus/event_source/devices/uprobe/type, config1 = PATH, config2 =
 * OFFSET, config bit 0 = retprobe) on a forked child, which then execs
 * "PATH run N". A sibling, not the target, runs "PATH run 3" at the same
 * time. Prints "listed=L" (1 if PATH shows in uprobe_events while the event
 * is open: it must not), the child's output, and "count=C" read from the
 * event after the child exited.
 */
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int listed(const char *path)
{
	char buf[4096];
	FILE *f = fopen("/sys/kernel/tracing/uprobe_events", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (strstr(buf, path))
			found = 1;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	struct perf_event_attr attr;
	int go[2], fd, type, status;
	uint64_t count;
	pid_t child, sibling;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: %s PATH OFFSET RETPROBE N\n", argv[0]);
		return 2;
	}
	f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	if (!f || fscanf(f, "%d", &type) != 1) {
		perror("uprobe PMU type");
		return 1;
	}
	fclose(f);

	if (pipe(go))
		return 1;
	child = fork();
	if (child == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		execl(argv[1], argv[1], "run", argv[4], (char *)NULL);
		_exit(127);
	}
	close(go[0]);

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = strtoull(argv[3], NULL, 0) ? 1 : 0;
	attr.config1 = (uint64_t)(uintptr_t)argv[1];
	attr.config2 = strtoull(argv[2], NULL, 0);
	attr.disabled = 1;
	attr.enable_on_exec = 1;
	fd = syscall(__NR_perf_event_open, &attr, child, -1, -1, 0);
	if (fd < 0) {
		perror("perf_event_open");
		kill(child, 9);
		return 1;
	}
	printf("listed=%d\n", listed(argv[1]));
	fflush(stdout);

	sibling = fork();
	if (sibling == 0) {
		execl(argv[1], argv[1], "run", "3", (char *)NULL);
		_exit(127);
	}
	if (write(go[1], "g", 1) != 1)
		return 1;
	waitpid(child, &status, 0);
	waitpid(sibling, NULL, 0);
	if (read(fd, &count, sizeof(count)) != sizeof(count)) {
		perror("read");
		return 1;
	}
	printf("count=%llu child_status=%d\n", (unsigned long long)count, status);
	close(fd);
	return 0;
}
