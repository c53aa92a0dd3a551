// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection on the uprobes paths, run as root in the guest by
 * guest/suites/faults.sh.
 *
 * A site is one operation (a uprobe_events line, enabling an event,
 * disabling one, an mmap of a probed file, perf_event_open of a uprobe PMU
 * event, a fork inside a return probe, a first hit that needs the XOL
 * page, a return probe hit, a return through the trampoline) and the
 * kernel function below which its allocations are made.  The stack filter of the fault attribute (require-start and
 * require-end = that function) limits injection to what runs below it, and
 * /proc/thread-self/fail-nth of the task doing the operation fails the
 * k-th such allocation: run k = 1, 2, ... fails each allocation in turn,
 * one per run, until a run injects nothing, once with failslab, once with
 * fail_page_alloc, and once with fail_usercopy where the kernel has it.
 * What runs in a task that can not arm fail-nth (the XOL page of a forked
 * child is set up before the child returns to user space) is failed with
 * the task filter instead (make-it-fail, inherited by the child, and
 * times).
 *
 * After every run: the operation either worked or returned an error that
 * the fault explains; the breakpoint is in every process that should have
 * it or in none (each process compares its text page with the file); a
 * probed function returns the right value, the process exits normally,
 * and the hit counts say the hit was taken, skipped or repeated; after
 * disabling, every text is the file's again; after deleting, the event is
 * gone; and the kernel log has no splat.  The exception is a fork whose
 * pending return probes can not be given to the child: the child, which
 * would return into a trampoline it does not have, gets SIGSEGV after the
 * kernel's warning (as on stock 6.12); it is counted as a documented kill.
 *
 * Output: log lines, a table "site, fault type, faults injected, outcomes",
 * and one "R NAME RC WHY" line per result for the suite to report.  The
 * fault attributes are restored and the events deleted on exit.  An
 * argument runs one site only; FAULTS_VERBOSE=2 in the environment makes
 * every injected fault dump its stack (slow, and it floods the log).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRACEFS		"/sys/kernel/tracing"
#define DEBUGFS		"/sys/kernel/debug"
#define GROUP		"faults"
#define PAGE		4096UL
#define MAXK		60	/* runs per site and fault type at most */
#define MAXK_FORK	200	/* ... for all of fork */
#define BURST		50	/* consecutive failures of the burst sites */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define noinline	__attribute__((noinline))

/*
 * The probed functions, alone in one page: fp_mul3 starts with an imul,
 * which x86 does not emulate, so its hits are stepped out of line from
 * the XOL page; fp_add2 is the other probe of the same page.
 */
int fp_mul3(int x);	/* 3 * x + 1 */
int fp_add2(int x);	/* x + 2 */
asm(".pushsection .text\n"
    ".p2align 12\n"
    ".globl fp_mul3\n.type fp_mul3, @function\n"
    "fp_mul3:\n\timul $3, %edi, %eax\n\tadd $1, %eax\n\tret\n"
    ".size fp_mul3, . - fp_mul3\n"
    ".p2align 4\n"
    ".globl fp_add2\n.type fp_add2, @function\n"
    "fp_add2:\n\tleal 2(%rdi), %eax\n\tret\n"
    ".size fp_add2, . - fp_add2\n"
    ".p2align 12\n"
    ".popsection\n");

static volatile pid_t fp_sink;

/* Forks from inside itself: the child returns through its return probe. */
noinline pid_t fp_forker(void)
{
	pid_t pid = fork();

	fp_sink = pid;
	asm volatile("" ::: "memory");
	return pid;
}

static char exe[PATH_MAX];		/* this program, on the suite's tmpfs */
static int exe_fd = -1;
static unsigned char *text_page;	/* fp_mul3's page, as mapped */
static unsigned char file_page[PAGE];	/* the same page, from the file */
static unsigned long page_off;		/* its file offset */
static unsigned long off_mul, off_add, off_fork;	/* file offsets */
static const char *verbose = "0";
static const char *cur_type;		/* the armed fault attribute */
static int cur_times;			/* its times, 0 for fail-nth */

/* ------------------------------------------------------------------ */

static int write_str(const char *path, const char *s, int flags)
{
	ssize_t len = strlen(s), n;
	int fd = open(path, O_WRONLY | flags);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	n = n < 0 ? -errno : n == len ? 0 : -EIO;
	close(fd);
	return n;
}

static char *read_all(const char *path)
{
	size_t len = 0, size = 1 << 16;
	char *buf = malloc(size + 1), *nb;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, size - len)) > 0) {
		len += n;
		if (len == size) {
			nb = realloc(buf, 2 * size + 1);
			if (!nb)
				break;
			buf = nb;
			size *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static int read_line(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static const char *errname(int err)
{
	static char buf[32];

	switch (-err) {
	case 0: return "0";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case EEXIST: return "EEXIST";
	case EBUSY: return "EBUSY";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	}
	snprintf(buf, sizeof(buf), "errno %d", -err);
	return buf;
}

/* ------------------------------------------------------------------ */
/* uprobe events of GROUP.                                              */

static int ev_add(const char *type, const char *name, unsigned long off,
		  const char *args)
{
	char cmd[PATH_MAX + 256];

	snprintf(cmd, sizeof(cmd), "%s:%s/%s %s:0x%lx %s\n", type, GROUP, name,
		 exe, off, args ? args : "");
	return write_str(TRACEFS "/uprobe_events", cmd, O_APPEND);
}

static int ev_enable(const char *name, int on)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/events/%s/%s/enable", GROUP, name);
	return write_str(path, on ? "1\n" : "0\n", O_TRUNC);
}

static int ev_del(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "-:%s/%s\n", GROUP, name);
	return write_str(TRACEFS "/uprobe_events", cmd, O_APPEND);
}

static bool ev_listed(const char *name)
{
	char *buf = read_all(TRACEFS "/uprobe_events"), key[128];
	bool found;

	if (!buf)
		return false;
	snprintf(key, sizeof(key), ":%s/%s ", GROUP, name);
	found = strstr(buf, key);
	free(buf);
	return found;
}

/* Does any event of GROUP remain (in uprobe_events or as a directory)? */
static bool ev_any_left(void)
{
	char *buf = read_all(TRACEFS "/uprobe_events");
	bool left = buf && strstr(buf, ":" GROUP "/");

	free(buf);
	return left || !access(TRACEFS "/events/" GROUP, F_OK);
}

static bool ev_dir(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/events/%s/%s", GROUP, name);
	return !access(path, F_OK);
}

static long ev_hits(const char *name)
{
	char *buf = read_all(TRACEFS "/uprobe_profile"), *line, *save = NULL;
	char file[PATH_MAX], event[256], want[128];
	unsigned long n;
	long hits = -1;

	if (!buf)
		return -1;
	snprintf(want, sizeof(want), "%s/%s", GROUP, name);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%4095s %255s %lu", file, event, &n) == 3 &&
		    (!strcmp(event, want) || !strcmp(event, name))) {
			hits = n;
			break;
		}
	}
	free(buf);
	return hits;
}

static void trace_reset(void)
{
	write_str(TRACEFS "/trace", "", O_TRUNC);
}

/*
 * Records of event @name in the trace buffer; *@wrong counts those
 * without @need (a return value, say).
 */
static long trace_count(const char *name, const char *need, long *wrong)
{
	char *buf = read_all(TRACEFS "/trace"), *line, *save = NULL, key[128];
	long n = 0;

	*wrong = 0;
	if (!buf)
		return -1;
	snprintf(key, sizeof(key), " %s: (", name);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || !strstr(line, key))
			continue;
		n++;
		if (need && !strstr(line, need))
			(*wrong)++;
	}
	free(buf);
	return n;
}

/* Disable and delete every event of GROUP. */
static void ev_clear(void)
{
	char *buf = read_all(TRACEFS "/uprobe_events"), *line, *save = NULL;

	write_str(TRACEFS "/events/" GROUP "/enable", "0\n", O_TRUNC);
	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ev = strstr(line, ":" GROUP "/"), *end;

		if (!ev)
			continue;
		ev += strlen(":" GROUP "/");
		end = strchr(ev, ' ');
		if (end)
			*end = '\0';
		ev_enable(ev, 0);
		ev_del(ev);
	}
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Fault attributes: every debugfs directory with a stack filter.       */

static const char *const fi_knobs[] = {
	"probability", "interval", "times", "space", "verbose", "task-filter",
	"stacktrace-depth", "require-start", "require-end", "reject-start",
	"reject-end", "ignore-gfp-wait", "ignore-gfp-highmem", "min-order",
	"cache-filter",
};

struct fi_attr {
	char name[64];
	char saved[ARRAY_SIZE(fi_knobs)][40];	/* "" if the knob is absent */
};

static struct fi_attr fi_attrs[16];
static int fi_nattrs;

static int fi_set(const char *attr, const char *knob, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), DEBUGFS "/%s/%s", attr, knob);
	if (access(path, F_OK))
		return 0;
	return write_str(path, val, O_TRUNC);
}

static bool fi_have(const char *attr)
{
	int i;

	for (i = 0; i < fi_nattrs; i++)
		if (!strcmp(fi_attrs[i].name, attr))
			return true;
	return false;
}

static void fi_find(void)
{
	DIR *d = opendir(DEBUGFS);
	struct dirent *de;
	char path[512];
	size_t i;

	while (d && (de = readdir(d)) && fi_nattrs < (int)ARRAY_SIZE(fi_attrs)) {
		struct fi_attr *a = &fi_attrs[fi_nattrs];

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(a->name))
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/%s/require-start", de->d_name);
		if (access(path, W_OK))
			continue;
		strcpy(a->name, de->d_name);
		for (i = 0; i < ARRAY_SIZE(fi_knobs); i++) {
			snprintf(path, sizeof(path), DEBUGFS "/%s/%s", a->name, fi_knobs[i]);
			if (read_line(path, a->saved[i], sizeof(a->saved[i])))
				a->saved[i][0] = '\0';
		}
		fi_nattrs++;
	}
	if (d)
		closedir(d);
}

static void fi_restore(void)
{
	size_t i;
	int j;

	for (j = 0; j < fi_nattrs; j++) {
		fi_set(fi_attrs[j].name, "probability", "0");
		for (i = 0; i < ARRAY_SIZE(fi_knobs); i++)
			if (fi_attrs[j].saved[i][0])
				fi_set(fi_attrs[j].name, fi_knobs[i], fi_attrs[j].saved[i]);
	}
}

/*
 * Arm @type below [@lo, @hi): with @times == 0 for fail-nth (nothing fails
 * but the fail-nth-th call of a task that armed it), else for the first
 * @times calls of make-it-fail tasks.  The other attributes match nothing.
 */
static void fi_arm(const char *type, unsigned long lo, unsigned long hi, int times)
{
	char buf[32];
	int j;

	for (j = 0; j < fi_nattrs; j++) {
		const char *a = fi_attrs[j].name;
		bool sel = !strcmp(a, type);

		fi_set(a, "probability", "0");
		fi_set(a, "verbose", verbose);
		fi_set(a, "interval", "1");
		fi_set(a, "space", "0");
		fi_set(a, "stacktrace-depth", "32");
		fi_set(a, "reject-start", "0");
		fi_set(a, "reject-end", "0");
		fi_set(a, "task-filter", times ? "Y" : "N");
		snprintf(buf, sizeof(buf), "%d", times ? times : -1);
		fi_set(a, "times", buf);
		snprintf(buf, sizeof(buf), "%#lx", sel ? lo : 0);
		fi_set(a, "require-start", buf);
		snprintf(buf, sizeof(buf), "%#lx", sel ? hi : 1);
		fi_set(a, "require-end", buf);
		fi_set(a, "ignore-gfp-wait", "N");
		fi_set(a, "ignore-gfp-highmem", "N");
		fi_set(a, "min-order", "0");
		fi_set(a, "cache-filter", "N");
	}
	if (times)
		fi_set(type, "probability", "100");
}

static void fi_disarm(void)
{
	int j;

	for (j = 0; j < fi_nattrs; j++) {
		fi_set(fi_attrs[j].name, "probability", "0");
		fi_set(fi_attrs[j].name, "require-start", "0");
		fi_set(fi_attrs[j].name, "require-end", "1");
	}
}

static int fi_times_left(const char *type)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), DEBUGFS "/%s/times", type);
	if (read_line(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

/* Times mode: did the make-it-fail task get a fault? */
static bool times_injected(void)
{
	int left = fi_times_left(cur_type);

	return left >= 0 && left < cur_times;
}

/* Fail the @k-th allocation below the armed range in this thread. */
static void nth_arm(int k)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", k);
	write_str("/proc/thread-self/fail-nth", buf, 0);
}

/* Was it injected?  Disarms fail-nth either way. */
static bool nth_done(void)
{
	char buf[16];
	bool injected = !read_line("/proc/thread-self/fail-nth", buf, sizeof(buf)) &&
			atoi(buf) == 0;

	write_str("/proc/thread-self/fail-nth", "0", 0);
	return injected;
}

static void make_it_fail(void)
{
	write_str("/proc/self/make-it-fail", "1", 0);
}

/* ------------------------------------------------------------------ */
/* Kernel symbols: [lo, hi) of a function.                              */

struct ksym {
	unsigned long addr;
	char name[64];
};

static struct ksym *ksyms;
static size_t nksyms;

static void ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256], type;
	unsigned long a;
	size_t cap = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s", &a, &type, name) != 3 || !a)
			continue;
		if (nksyms == cap) {
			cap = cap ? 2 * cap : 65536;
			ksyms = realloc(ksyms, cap * sizeof(*ksyms));
			if (!ksyms)
				exit(2);
		}
		ksyms[nksyms].addr = a;
		snprintf(ksyms[nksyms].name, sizeof(ksyms[nksyms].name), "%.63s", name);
		nksyms++;
	}
	if (f)
		fclose(f);
}

/* The function @name (or @name.constprop.0 and the like). */
static int ksym_range(const char *name, unsigned long *lo, unsigned long *hi)
{
	size_t i, n = strlen(name);
	unsigned long start = 0, end = ULONG_MAX;

	for (i = 0; i < nksyms && !start; i++)
		if (!strncmp(ksyms[i].name, name, n) &&
		    (ksyms[i].name[n] == '\0' || ksyms[i].name[n] == '.'))
			start = ksyms[i].addr;
	if (!start)
		return -1;
	for (i = 0; i < nksyms; i++)
		if (ksyms[i].addr > start && ksyms[i].addr < end)
			end = ksyms[i].addr;
	*lo = start;
	*hi = end;
	return end == ULONG_MAX ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The kernel log.                                                      */

static int kmsg_fd = -1;

static const char *const splats[] = {
	"BUG:", "WARNING:", "INFO:", "UBSAN:", "kernel BUG", "Oops", "KASAN",
	"general protection fault", "possible recursive locking",
	"possible circular locking", "inconsistent lock state", "suspicious RCU",
	"list_add corruption", "list_del corruption", "refcount_t: ",
	"unreferenced object", "blocked for more than",
};

struct kmsg_seen {
	int splats;
	int not_copied;		/* "pending return probes not copied" */
	int no_xol;		/* "no XOL page could be mapped" */
	int not_removed;	/* "breakpoint not removed" */
	int uprobes;		/* any "uprobes:" line */
};

/* Read what the kernel logged since the last call; print splats. */
static void kmsg_drain(struct kmsg_seen *s)
{
	char rec[2048], *text;
	int context = 0, printed = 0;
	ssize_t n;
	size_t i;

	if (kmsg_fd < 0)
		return;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		text[strcspn(text, "\n")] = '\0';
		for (i = 0; i < ARRAY_SIZE(splats); i++) {
			if (strstr(text, splats[i])) {
				s->splats++;
				context = 30;
				break;
			}
		}
		if (strstr(text, "pending return probes not copied"))
			s->not_copied++;
		if (strstr(text, "no XOL page could be mapped"))
			s->no_xol++;
		if (strstr(text, "breakpoint not removed"))
			s->not_removed++;
		if (strstr(text, "uprobes: ")) {
			s->uprobes++;
			if (s->uprobes <= 3)
				printf("    kernel: %s\n", text);
		}
		if (context > 0 && printed < 200) {
			printf("    kernel: %s\n", text);
			context--;
			printed++;
		}
	}
}

/* ------------------------------------------------------------------ */
/* This program's text.                                                 */

/* bit 0: breakpoint at fp_mul3, bit 1: at fp_add2, bit 2: other change */
static int text_state_of(const unsigned char *mem)
{
	unsigned long i, a = off_mul - page_off, b = off_add - page_off;
	int st = 0;

	for (i = 0; i < PAGE; i++) {
		if (mem[i] == file_page[i])
			continue;
		if (i == a && mem[i] == 0xcc)
			st |= 1;
		else if (i == b && mem[i] == 0xcc)
			st |= 2;
		else
			st |= 4;
	}
	return st;
}

static int text_state(void)
{
	return text_state_of(text_page);
}

static bool xol_mapped(void)
{
	char *maps = read_all("/proc/self/maps");
	bool yes = maps && strstr(maps, "[uprobes]");

	free(maps);
	return yes;
}

/* File offset of @addr in this program, from /proc/self/maps. */
static int file_offset(const void *addr, unsigned long *off)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long a = (unsigned long)addr, lo, hi, pgoff;
	char line[PATH_MAX + 128], perms[8];
	int ret = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s %lx", &lo, &hi, perms, &pgoff) != 4)
			continue;
		if (a >= lo && a < hi && perms[2] == 'x') {
			*off = a - lo + pgoff;
			ret = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Children.                                                            */

/* A process that answers commands: c(heck text), m(ul3), a(dd2), q(uit). */
struct kid {
	pid_t pid;
	int to, from;
};

static void kid_loop(int in, int out)
{
	unsigned char ans;
	char c;

	alarm(60);
	while (read(in, &c, 1) == 1) {
		switch (c) {
		case 'c':
			ans = text_state();
			break;
		case 'm':
			ans = fp_mul3(5) == 16 ? 0 : 1;
			break;
		case 'a':
			ans = fp_add2(5) == 7 ? 0 : 1;
			break;
		default:
			_exit(0);
		}
		if (write(out, &ans, 1) != 1)
			_exit(3);
	}
	_exit(0);
}

static int kid_start(struct kid *k)
{
	int a[2], b[2];

	if (pipe(a) || pipe(b))
		return -1;
	fflush(stdout);
	k->pid = fork();
	if (k->pid < 0)
		return -1;
	if (!k->pid) {
		close(a[1]);
		close(b[0]);
		kid_loop(a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	k->to = a[1];
	k->from = b[0];
	return 0;
}

static int kid_ask(struct kid *k, char c)
{
	unsigned char ans;

	if (write(k->to, &c, 1) != 1 || read(k->from, &ans, 1) != 1)
		return -1;
	return ans;
}

/* Returns the wait status. */
static int kid_end(struct kid *k)
{
	int status = -1;

	kid_ask(k, 'q');
	close(k->to);
	close(k->from);
	if (waitpid(k->pid, &status, 0) < 0)
		status = -1;
	return status;
}

static bool exited_ok(int status)
{
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static const char *status_str(int status)
{
	static char buf[64];

	if (status < 0)
		snprintf(buf, sizeof(buf), "lost");
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "killed by %s", strsignal(WTERMSIG(status)));
	else
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
	return buf;
}

/* What a child doing the operation reports back. */
struct report {
	int injected;
	int value;		/* fp_mul3(5) */
	int err;		/* of its operation */
	int state;		/* text_state() of what it looked at */
	int xol;		/* [uprobes] mapped afterwards */
	int child_status;	/* of its own child (fork sites) */
};

/* Run @fn(@k, &report) in a child; returns its wait status. */
static int in_child(void (*fn)(int k, struct report *r), int k, struct report *r)
{
	int p[2], status = -1;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->value = -1;
	if (pipe(p))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct report mine = { .value = -1 };

		close(p[0]);
		alarm(30);
		fn(k, &mine);
		if (write(p[1], &mine, sizeof(mine)) != sizeof(mine))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], r, sizeof(*r)) != sizeof(*r))
		r->value = -2;
	close(p[0]);
	waitpid(pid, &status, 0);
	return status;
}

/* ------------------------------------------------------------------ */
/* Outcomes.                                                            */

enum kind { K_NONE, K_ERROR, K_ABSORBED, K_SKIPPED, K_REPEATED, K_KILLED, K_NODIR, K_NR };

static const char *const kind_names[K_NR] = {
	[K_NONE] = "not injected", [K_ERROR] = "clean error",
	[K_ABSORBED] = "absorbed (worked)", [K_SKIPPED] = "hit skipped",
	[K_REPEATED] = "hit repeated", [K_KILLED] = "documented kill",
	[K_NODIR] = "event without its events/ directory",
};

struct step {
	bool injected;
	enum kind kind;
	int err;		/* for K_ERROR */
	char bad[256];		/* empty if all is well */
};

static void bad(struct step *s, const char *fmt, ...)
{
	va_list ap;

	if (s->bad[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->bad, sizeof(s->bad), fmt, ap);
	va_end(ap);
}

struct tally {
	int runs, injected, nbad, splats;
	int kinds[K_NR];
	char errs[96];		/* the errors returned */
	char first_bad[300];
};

static void tally_err(struct tally *t, int err)
{
	const char *e = errname(err);

	if (strstr(t->errs, e))
		return;
	if (strlen(t->errs) + strlen(e) + 2 < sizeof(t->errs)) {
		if (t->errs[0])
			strcat(t->errs, ",");
		strcat(t->errs, e);
	}
}

/* Poll up to 4 s until @ok(@arg) is true. */
static bool wait_until(bool (*ok)(void *), void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int i;

	for (i = 0; i < 40; i++) {
		if (ok(arg))
			return true;
		nanosleep(&ts, NULL);
	}
	return ok(arg);
}

/* ------------------------------------------------------------------ */
/* The sites.                                                           */

/* create: a uprobe_events line (trace_uprobe_run_command). */
static void child_call(int k, struct report *r)
{
	(void)k;
	r->value = fp_mul3(5);
	r->xol = xol_mapped();
}

static void step_create(int k, struct step *s)
{
	char cmd[PATH_MAX + 128];
	struct report r;
	bool listed, dir;
	long h0;
	int err, st;

	snprintf(cmd, sizeof(cmd), "p:%s/c %s:0x%lx x=%%di\n", GROUP, exe, off_mul);
	nth_arm(k);
	err = write_str(TRACEFS "/uprobe_events", cmd, O_APPEND);
	s->injected = nth_done();
	listed = ev_listed("c");
	dir = ev_dir("c");
	s->err = err;
	s->kind = !s->injected ? K_NONE : err ? K_ERROR : K_ABSORBED;
	if (err && !s->injected)
		bad(s, "the line was refused (%s) with no fault injected", errname(err));
	if (!err != listed)
		bad(s, "write returned %s but the event is %slisted", errname(err),
		    listed ? "" : "not ");
	if (listed && !dir) {
		/*
		 * The event is there, but not its directory: ftrace's
		 * trace_add_event_call() does not fail when the directory can
		 * not be made (stock 6.12 does the same for every dynamic
		 * event).  It must still go away cleanly.
		 */
		s->kind = K_NODIR;
		if ((err = ev_del("c")) || ev_listed("c"))
			bad(s, "the event without a directory: delete %s, still listed %d",
			    errname(err), ev_listed("c"));
		listed = false;
	}
	if (!listed && dir)
		bad(s, "no event, but its events/ directory is there");
	/* A failed line leaves nothing that keeps the same line out. */
	if (!listed && (err = ev_add("p", "c", off_mul, "x=%di")))
		bad(s, "the line fails again without a fault (%s)", errname(err));
	/* The event works. */
	h0 = ev_hits("c");
	if ((err = ev_enable("c", 1)))
		bad(s, "enabling the event failed (%s)", errname(err));
	st = in_child(child_call, 0, &r);
	if (!exited_ok(st) || r.value != 16)
		bad(s, "probed process: %s, fp_mul3(5) = %d", status_str(st), r.value);
	if (!err && ev_hits("c") != h0 + 1)
		bad(s, "%ld hits instead of 1", ev_hits("c") - h0);
	ev_enable("c", 0);
	if ((err = ev_del("c")) || ev_listed("c") || ev_dir("c"))
		bad(s, "deleting the event: %s, still listed %d", errname(err), ev_listed("c"));
	if ((st = text_state()))
		bad(s, "text differs from the file after deletion (state %d)", st);
}

/* enable: events/.../enable = 1 (trace_uprobe_reg, uprobe_register). */
#define NKIDS 2

static void step_enable(int k, struct step *s)
{
	struct kid kids[NKIDS];
	int i, err, st, want, n = 0;
	long h0;

	for (i = 0; i < NKIDS; i++)
		if (kid_start(&kids[n]) == 0)
			n++;
	h0 = ev_hits("e");
	nth_arm(k);
	err = ev_enable("e", 1);
	s->injected = nth_done();
	s->err = err;
	s->kind = !s->injected ? K_NONE : err ? K_ERROR : K_ABSORBED;
	if (err && !s->injected)
		bad(s, "enable failed (%s) with no fault injected", errname(err));
	/* All or nothing: the breakpoint is in every process or in none. */
	want = err ? 0 : 1;
	if ((st = text_state()) != want)
		bad(s, "enable %s: text state %d here, not %d", errname(err), st, want);
	for (i = 0; i < n; i++)
		if ((st = kid_ask(&kids[i], 'c')) != want)
			bad(s, "enable %s: text state %d in process %d, not %d",
			    errname(err), st, i, want);
	for (i = 0; i < n; i++)
		if (kid_ask(&kids[i], 'm'))
			bad(s, "fp_mul3 returned a wrong value in process %d", i);
	if (ev_hits("e") - h0 != (err ? 0 : n))
		bad(s, "enable %s: %ld hits in %d processes", errname(err),
		    ev_hits("e") - h0, n);
	if ((err = ev_enable("e", 0)))
		bad(s, "disable failed: %s", errname(err));
	if ((st = text_state()))
		bad(s, "text state %d here after disable", st);
	for (i = 0; i < n; i++) {
		if ((st = kid_ask(&kids[i], 'c')))
			bad(s, "text state %d in process %d after disable", st, i);
		if (kid_ask(&kids[i], 'm'))
			bad(s, "fp_mul3 returned a wrong value in process %d", i);
		st = kid_end(&kids[i]);
		if (!exited_ok(st))
			bad(s, "process %d: %s", i, status_str(st));
	}
	if (n != NKIDS)
		bad(s, "could not start the processes");
}

/* disable: events/.../enable = 0 with another probe in the page. */
struct two_states {
	struct kid *kid;
	int want;
};

static bool states_are(void *arg)
{
	struct two_states *t = arg;

	return text_state() == t->want && kid_ask(t->kid, 'c') == t->want;
}

static void step_disable(int k, struct step *s)
{
	struct two_states ts;
	struct kid kid;
	long h1, h2;
	int err, st;

	if (kid_start(&kid)) {
		bad(s, "could not start a process");
		return;
	}
	ts.kid = &kid;
	if ((err = ev_enable("d1", 1)))
		bad(s, "enable d1 failed: %s", errname(err));
	ts.want = 3;
	if (!states_are(&ts))
		bad(s, "both probes enabled, text state %d, %d", text_state(),
		    kid_ask(&kid, 'c'));
	h1 = ev_hits("d1");
	h2 = ev_hits("d2");
	nth_arm(k);
	err = ev_enable("d1", 0);
	s->injected = nth_done();
	s->err = err;
	s->kind = !s->injected ? K_NONE : err ? K_ERROR : K_ABSORBED;
	/* Hits right away: a breakpoint left behind is stepped over. */
	if (kid_ask(&kid, 'm') || kid_ask(&kid, 'a'))
		bad(s, "a probed function returned a wrong value");
	ts.want = err ? 3 : 2;
	if (!wait_until(states_are, &ts))
		bad(s, "disable %s: text state %d here, %d in the other process after 4 s, not %d",
		    errname(err), text_state(), kid_ask(&kid, 'c'), ts.want);
	if (ev_hits("d1") - h1 != (err ? 1 : 0) || ev_hits("d2") - h2 != 1)
		bad(s, "disable %s: %ld hits of the disabled probe, %ld of the other",
		    errname(err), ev_hits("d1") - h1, ev_hits("d2") - h2);
	if (err)
		ev_enable("d1", 0);
	ev_enable("d2", 0);
	ts.want = 0;
	if (!wait_until(states_are, &ts))
		bad(s, "text state %d here, %d there with both probes disabled",
		    text_state(), kid_ask(&kid, 'c'));
	ev_enable("d2", 1);
	st = kid_end(&kid);
	if (!exited_ok(st))
		bad(s, "the process: %s", status_str(st));
}

/* mmap: a new mapping of the probed page (uprobe_mmap). */
static void child_mmap(int k, struct report *r)
{
	int (*f)(int);
	void *map;

	nth_arm(k);
	map = mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, exe_fd, page_off);
	r->injected = nth_done();
	if (map == MAP_FAILED) {
		r->err = -errno;
		return;
	}
	r->state = text_state_of(map);
	f = (int (*)(int))((char *)map + (off_mul - page_off));
	r->value = f(5);
	munmap(map, PAGE);
}

static void step_mmap(int k, struct step *s)
{
	struct report r;
	long h0 = ev_hits("m");
	int st = in_child(child_mmap, k, &r);
	long hits = ev_hits("m") - h0;

	s->injected = r.injected;
	s->kind = !r.injected ? K_NONE : r.state == 1 ? K_ABSORBED : K_SKIPPED;
	if (!exited_ok(st) || r.value != 16)
		bad(s, "process: %s, fp_mul3(5) = %d, mmap %s", status_str(st), r.value,
		    errname(r.err));
	if (r.err)
		bad(s, "mmap failed (%s): the hook's errors are not the caller's", errname(r.err));
	if (r.state & ~1)
		bad(s, "the new mapping differs from the file (state %d)", r.state);
	if (!r.injected && r.state != 1)
		bad(s, "no breakpoint in the new mapping with no fault injected");
	if (hits != (r.state & 1))
		bad(s, "%ld hits with the breakpoint %s", hits, r.state ? "there" : "absent");
}

/* hit: the first hit of a process, stepped out of line (uprobe_notify_resume). */
static const char *hit_event;	/* whose hits count */

static void child_hit(int k, struct report *r)
{
	if (k > 0)
		nth_arm(k);
	else
		make_it_fail();
	r->value = fp_mul3(5);
	if (k > 0)
		r->injected = nth_done();
	r->xol = xol_mapped();
	r->state = text_state();
}

static bool hit_is_ret;		/* ... and it is a return probe */

static void step_hit(int k, struct step *s)
{
	struct report r;
	long h0 = ev_hits(hit_event), hits, rets = 0, wrong = 0;
	int st;

	trace_reset();
	st = in_child(child_hit, k, &r);
	hits = ev_hits(hit_event) - h0;
	if (hit_is_ret)
		rets = trace_count(hit_event, "ret=0x10", &wrong);
	s->injected = k > 0 ? r.injected : times_injected();
	if (!exited_ok(st) || r.value != 16)
		bad(s, "probed process: %s, fp_mul3(5) = %d", status_str(st), r.value);
	if (r.state != 1)
		bad(s, "text state %d in the process after the hit", r.state);
	if (!r.xol)
		bad(s, "no [uprobes] page after the hit: was it stepped?");
	if (wrong)
		bad(s, "%ld of %ld return records without ret=0x10", wrong, rets);
	if (hit_is_ret && rets > 1)
		bad(s, "%ld return records for one return", rets);
	/* a hit retried after a fault must not run its handlers again */
	if (hits > 1) {
		s->kind = K_REPEATED;
		bad(s, "one call counted as %ld hits", hits);
	} else if (hits == 0 || (hit_is_ret && rets == 0))
		s->kind = K_SKIPPED;
	else
		s->kind = s->injected ? K_ABSORBED : K_NONE;
	if (!s->injected && s->kind != K_NONE)
		bad(s, "%ld hits, %ld returns with no fault injected", hits, rets);
	s->err = (int)hits;
}

/* fork: inside a return probe (uprobe_copy_process; xol_fork_work). */
static void child_fork(int k, struct report *r)
{
	int status;
	pid_t pid;

	r->value = fp_mul3(5);	/* the XOL page and the task state exist */
	if (k > 0)
		nth_arm(k);
	else
		make_it_fail();
	pid = fp_forker();
	if (pid == 0)
		_exit(42);	/* the child, back from fp_forker */
	r->err = pid < 0 ? -errno : 0;
	if (k > 0)
		r->injected = nth_done();
	r->state = text_state();
	if (pid < 0)
		return;
	if (waitpid(pid, &status, 0) < 0)
		status = -1;
	r->child_status = status;
	r->state = text_state();
}

static void step_fork(int k, struct step *s)
{
	struct report r;
	long rets, wrong;
	int st, cs;

	trace_reset();
	st = in_child(child_fork, k, &r);
	rets = trace_count("f", NULL, &wrong);
	cs = r.child_status;
	s->injected = k > 0 ? r.injected : times_injected();
	s->err = r.err;
	if (!exited_ok(st) || r.value != 16)
		bad(s, "forking process: %s, fp_mul3(5) = %d", status_str(st), r.value);
	if (r.state != 1)
		bad(s, "text state %d in the forking process", r.state);
	if (r.err) {
		s->kind = K_ERROR;	/* fork() itself failed: a clean error */
		if (!s->injected)
			bad(s, "fork failed (%s) with no fault injected", errname(r.err));
		return;
	}
	if (cs >= 0 && WIFEXITED(cs) && WEXITSTATUS(cs) == 42) {
		s->kind = s->injected ? K_ABSORBED : K_NONE;
		if (rets != 2)
			bad(s, "%ld return records for parent and child, not 2", rets);
	} else if (cs >= 0 && WIFSIGNALED(cs) && WTERMSIG(cs) == SIGSEGV && s->injected) {
		s->kind = K_KILLED;
		if (rets != 1)
			bad(s, "%ld return records for the parent alone, not 1", rets);
	} else {
		bad(s, "the child: %s%s", status_str(cs),
		    s->injected ? "" : " with no fault injected");
	}
}

/* perf: a uprobe PMU event for one process (perf_uprobe_init). */
static bool perf_second;	/* fault the open for B, with A's open */

static int perf_open(pid_t pid)
{
	struct perf_event_attr attr = { 0 };
	char buf[32];

	if (read_line("/sys/bus/event_source/devices/uprobe/type", buf, sizeof(buf)))
		return -ENOENT;
	attr.size = sizeof(attr);
	attr.type = atoi(buf);
	attr.uprobe_path = (unsigned long)exe;
	attr.probe_offset = off_mul;
	attr.sample_period = 1;
	attr.inherit = 0;
	return syscall(__NR_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static long perf_count(int fd)
{
	unsigned long long v;

	return fd >= 0 && read(fd, &v, sizeof(v)) == sizeof(v) ? (long)v : -1;
}

struct perf_states {
	struct kid *a, *b;
	int self, want_a, want_b;
};

static bool perf_states_are(void *arg)
{
	struct perf_states *p = arg;

	return text_state() == p->self && kid_ask(p->a, 'c') == p->want_a &&
	       kid_ask(p->b, 'c') == p->want_b;
}

static void step_perf(int k, struct step *s)
{
	struct kid a, b;
	struct perf_states ps = { &a, &b, 0, 0, 0 };
	int fa = -1, fb = -1, err = 0, st;

	if (kid_start(&a) || kid_start(&b)) {
		bad(s, "could not start the processes");
		return;
	}
	if (perf_second && (fa = perf_open(a.pid)) < 0)
		bad(s, "perf_event_open for A: %s", errname(-errno));
	nth_arm(k);
	if (perf_second)
		fb = perf_open(b.pid);
	else
		fa = perf_open(a.pid);
	err = (perf_second ? fb : fa) < 0 ? -errno : 0;
	s->injected = nth_done();
	s->err = err;
	s->kind = !s->injected ? K_NONE : err ? K_ERROR : K_ABSORBED;
	if (err && !s->injected)
		bad(s, "perf_event_open failed (%s) with no fault injected", errname(err));
	/* Only the processes of open events have the breakpoint. */
	ps.want_a = fa >= 0;
	ps.want_b = fb >= 0;
	if (!wait_until(perf_states_are, &ps))
		bad(s, "open %s: text states %d here, %d in A, %d in B, not 0, %d, %d",
		    errname(err), text_state(), kid_ask(&a, 'c'), kid_ask(&b, 'c'),
		    ps.want_a, ps.want_b);
	if (kid_ask(&a, 'm') || kid_ask(&b, 'm'))
		bad(s, "fp_mul3 returned a wrong value");
	if ((fa >= 0 && perf_count(fa) != 1) || (fb >= 0 && perf_count(fb) != 1))
		bad(s, "open %s: counts %ld in A, %ld in B, not 1", errname(err),
		    perf_count(fa), perf_count(fb));
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	ps.want_a = ps.want_b = 0;
	if (!wait_until(perf_states_are, &ps))
		bad(s, "closed: text states %d here, %d in A, %d in B", text_state(),
		    kid_ask(&a, 'c'), kid_ask(&b, 'c'));
	st = kid_end(&a);
	if (!exited_ok(st))
		bad(s, "A: %s", status_str(st));
	st = kid_end(&b);
	if (!exited_ok(st))
		bad(s, "B: %s", status_str(st));
}

/* ------------------------------------------------------------------ */
/* The table of sites.                                                  */

struct site {
	const char *name;
	const char *what;
	const char *funcs[3];		/* the first one in kallsyms */
	void (*setup)(void);
	void (*step)(int k, struct step *s);
	int times;			/* 0: fail-nth; else make-it-fail, times */
	unsigned int expect;		/* types (bits of types[]) that must inject */
};

static int setup_err;

static void setup_add(const char *type, const char *name, unsigned long off,
		      const char *args, bool enable)
{
	int err = ev_add(type, name, off, args);

	if (!err && enable)
		err = ev_enable(name, 1);
	if (err && !setup_err) {
		printf("    setup: %s %s: %s\n", type, name, errname(err));
		setup_err = err;
	}
}

static void setup_create(void) { }
static void setup_enable(void) { setup_add("p", "e", off_mul, NULL, false); }
static void setup_disable(void)
{
	setup_add("p", "d1", off_mul, NULL, false);
	setup_add("p", "d2", off_add, NULL, true);
}
static void setup_mmap(void) { setup_add("p", "m", off_mul, NULL, true); }
static void setup_xol(void)
{
	setup_add("p", "x", off_mul, NULL, true);
	hit_event = "x";
	hit_is_ret = false;
}
static void setup_ret(void)
{
	setup_add("r", "x", off_mul, "ret=$retval top=+0($stack)", true);
	hit_event = "x";
	hit_is_ret = true;
}
static void setup_perf1(void) { perf_second = false; }
static void setup_perf2(void) { perf_second = true; }
static void setup_fork(void)
{
	setup_add("p", "x", off_mul, NULL, true);
	setup_add("r", "f", off_fork, "ret=$retval", true);
}

static const char *const types[] = { "failslab", "fail_page_alloc", "fail_usercopy" };
#define SLAB	1
#define PAGES	2

static const struct site sites[] = {
	{ "create", "a uprobe_events line",
	  { "trace_uprobe_run_command", "trace_probe_create" }, setup_create,
	  step_create, 0, SLAB },
	{ "register", "enable with the file mapped in 3 processes",
	  { "trace_uprobe_reg", "uprobe_register" }, setup_enable, step_enable, 0, SLAB | PAGES },
	{ "unregister", "disable, another probe in the page",
	  { "trace_uprobe_reg", "uprobe_unregister_nosync" }, setup_disable,
	  step_disable, 0, SLAB | PAGES },
	{ "mmap", "mmap of the probed page", { "uprobe_mmap" }, setup_mmap,
	  step_mmap, 0, SLAB | PAGES },
	{ "perf-first", "perf_event_open of a uprobe for process A",
	  { "perf_uprobe_init" }, setup_perf1, step_perf, 0, SLAB },
	{ "perf-second", "perf_event_open for B with A's open (uprobe_apply)",
	  { "perf_uprobe_init" }, setup_perf2, step_perf, 0, SLAB },
	{ "hit-xol", "first hit, stepped out of line", { "uprobe_notify_resume" },
	  setup_xol, step_hit, 0, SLAB | PAGES },
	{ "hit-ret", "first hit of a return probe", { "uprobe_notify_resume" },
	  setup_ret, step_hit, 0, SLAB | PAGES },
	{ "trampoline", "return through the trampoline", { "uprobe_handle_trampoline" },
	  setup_ret, step_hit, 0, 0 },
	{ "fork", "fork inside a return probe", { "uprobe_copy_process" },
	  setup_fork, step_fork, 0, SLAB },
	{ "fork-all", "fork inside a return probe, all of copy_process",
	  { "copy_process", "kernel_clone" }, setup_fork, step_fork, 0, SLAB | PAGES },
	{ "fork-child-xol", "the child's XOL page (task filter, times=1)",
	  { "xol_fork_work" }, setup_fork, step_fork, 1, SLAB | PAGES },
	{ "fork-child-vma", "the child's XOL vma (task filter, times=1)",
	  { "_install_special_mapping" }, setup_fork, step_fork, 1, SLAB },
	{ "hit-burst", "first hit, " "the next 50 allocations fail",
	  { "uprobe_notify_resume" }, setup_xol, step_hit, BURST, SLAB | PAGES },
};

struct row {
	const char *site, *type;
	struct tally t;
	bool skipped;
	char note[128];
};

static struct row rows[ARRAY_SIZE(sites) * ARRAY_SIZE(types)];
static int nrows;

static void result(const char *name, bool ok, const char *fmt, ...)
{
	char why[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	printf("R %s %d %s\n", name, ok ? 0 : 1, why);
	fflush(stdout);
}

static void run_site(const struct site *site, size_t ti)
{
	const char *type = types[ti];
	struct row *row = &rows[nrows++];
	struct tally *t = &row->t;
	struct kmsg_seen seen = { 0 };
	unsigned long lo = 0, hi = 0;
	const char *fn = NULL;
	char name[96];
	int k, i, left, maxk;

	row->site = site->name;
	row->type = type;
	snprintf(name, sizeof(name), "faults/%s/%s", site->name, type);
	for (i = 0; i < 3 && site->funcs[i] && !fn; i++)
		if (!ksym_range(site->funcs[i], &lo, &hi))
			fn = site->funcs[i];
	if (!fn) {
		snprintf(row->note, sizeof(row->note), "no %s in kallsyms", site->funcs[0]);
		row->skipped = true;
		result(name, false, "%s", row->note);
		return;
	}
	printf("  %s (%s), %s below %s [%#lx, %#lx)\n", site->name, site->what, type,
	       fn, lo, hi);
	fflush(stdout);
	ev_clear();
	setup_err = 0;
	site->setup();
	kmsg_drain(&seen);
	seen = (struct kmsg_seen){ 0 };

	maxk = site->times ? 1 : site->step == step_fork ? MAXK_FORK : MAXK;
	for (k = 1; k <= maxk; k++) {
		struct step s = { 0 };

		cur_type = type;
		cur_times = site->times;
		fi_arm(type, lo, hi, site->times);
		site->step(site->times ? 0 : k, &s);
		if (site->times) {
			left = fi_times_left(type);
			t->injected += left >= 0 ? site->times - left : 0;
		}
		fi_disarm();
		t->runs++;
		if (!site->times && s.injected)
			t->injected++;
		if (s.injected || s.bad[0]) {
			t->kinds[s.kind]++;
			if (s.kind == K_ERROR)
				tally_err(t, s.err);
		}
		if (site->step == step_hit && s.kind == K_REPEATED)
			printf("    run %d: hit counted %d times\n", k, s.err);
		if (s.bad[0]) {
			t->nbad++;
			printf("    run %d: BAD: %s\n", k, s.bad);
			if (!t->first_bad[0])
				snprintf(t->first_bad, sizeof(t->first_bad), "run %d: %s", k, s.bad);
		}
		kmsg_drain(&seen);
		if (!s.injected)
			break;
	}
	if (!site->times && k > maxk)
		snprintf(row->note, sizeof(row->note), "stopped after %d runs", maxk);
	ev_clear();
	if (ev_any_left() && !t->nbad++)
		snprintf(t->first_bad, sizeof(t->first_bad), "events of %s left after deletion",
			 GROUP);
	kmsg_drain(&seen);
	t->splats = seen.splats;
	if (seen.splats && !t->nbad++)
		snprintf(t->first_bad, sizeof(t->first_bad), "splat in the kernel log (above)");
	if (t->kinds[K_KILLED] && !seen.not_copied && !seen.no_xol && !t->nbad++)
		snprintf(t->first_bad, sizeof(t->first_bad),
			 "children killed without the kernel's warning");
	if (setup_err && !t->nbad++)
		snprintf(t->first_bad, sizeof(t->first_bad), "setup failed: %s",
			 errname(setup_err));
	if ((site->expect & (1u << ti)) && !t->injected && !t->nbad) {
		t->nbad++;
		snprintf(t->first_bad, sizeof(t->first_bad),
			 "no fault could be injected below %s (tail call? wrong range?)", fn);
	}
	result(name, !t->nbad, "%s", t->first_bad);
}

static void print_table(void)
{
	int i, j;

	printf("\n  Faults injected per site (fail-nth: one fault per run, every allocation\n"
	       "  below the function in turn; burst/child sites: task filter and times):\n\n");
	printf("  %-15s %-16s %6s %8s  %s\n", "site", "fault", "runs", "injected",
	       "outcomes");
	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		char out[400] = "";

		if (r->skipped) {
			printf("  %-15s %-16s %6s %8s  %s\n", r->site, r->type, "-", "-", r->note);
			continue;
		}
		for (j = K_ERROR; j < K_NR; j++) {
			if (!r->t.kinds[j])
				continue;
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%d %s%s%s%s",
				 out[0] ? ", " : "", r->t.kinds[j], kind_names[j],
				 j == K_ERROR ? " (" : "", j == K_ERROR ? r->t.errs : "",
				 j == K_ERROR ? ")" : "");
		}
		if (!out[0])
			snprintf(out, sizeof(out), "no allocation below the function");
		if (r->t.nbad)
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "; %d BAD",
				 r->t.nbad);
		if (r->note[0])
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "; %s", r->note);
		printf("  %-15s %-16s %6d %8d  %s\n", r->site, r->type, r->t.runs,
		       r->t.injected, out);
	}
	printf("\n");
}

static long meminfo_kb(const char *key)
{
	char *buf = read_all("/proc/meminfo"), *p;
	long v = -1;

	if (buf && (p = strstr(buf, key)))
		v = strtol(p + strlen(key), NULL, 10);
	free(buf);
	return v;
}

static void on_signal(int sig)
{
	fi_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	long slab0, slab1, allow;
	size_t i, j;
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("FAULTS_VERBOSE"))
		verbose = getenv("FAULTS_VERBOSE");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 2;
	exe[n] = '\0';
	exe_fd = open(exe, O_RDONLY);
	text_page = (unsigned char *)((unsigned long)fp_mul3 & ~(PAGE - 1));
	if (exe_fd < 0 || file_offset(fp_mul3, &off_mul) || file_offset(fp_add2, &off_add) ||
	    file_offset(fp_forker, &off_fork)) {
		printf("cannot find the probed functions in %s\n", exe);
		return 2;
	}
	page_off = off_mul & ~(PAGE - 1);
	ev_clear();
	if (pread(exe_fd, file_page, PAGE, page_off) != PAGE || (off_add & ~(PAGE - 1)) != page_off ||
	    text_state()) {
		printf("the probed page of %s is not as expected\n", exe);
		return 2;
	}

	fi_find();
	if (!fi_have("failslab") || !fi_have("fail_page_alloc") ||
	    access("/proc/thread-self/fail-nth", W_OK) ||
	    access("/proc/self/make-it-fail", W_OK)) {
		result("faults/setup", false,
		       "needs failslab and fail_page_alloc with the stack filter and fail-nth");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGALRM, on_signal);
	atexit(fi_restore);
	ksyms_load();
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	printf("  %s: fp_mul3 at file offset %#lx, fp_add2 %#lx, fp_forker %#lx\n", exe,
	       off_mul, off_add, off_fork);
	if (!fi_have("fail_usercopy"))
		printf("  fail_usercopy: not in this kernel (CONFIG_FAULT_INJECTION_USERCOPY "
		       "is not set): its sites are not run\n");
	slab0 = meminfo_kb("SUnreclaim:");

	for (i = 0; i < ARRAY_SIZE(sites); i++) {
		if (only && strcmp(only, sites[i].name))
			continue;
		for (j = 0; j < ARRAY_SIZE(types); j++) {
			if (!fi_have(types[j]))
				continue;
			run_site(&sites[i], j);
		}
	}
	fi_restore();
	ev_clear();
	print_table();

	result("faults/events-gone", !ev_any_left(), "events of %s left in uprobe_events",
	       GROUP);
	if ((i = text_state()))
		result("faults/text-restored", false, "text state %zu here at the end", i);
	else
		result("faults/text-restored", true, NULL);
	sleep(2);	/* deferred frees (SRCU, the settle work) */
	slab1 = meminfo_kb("SUnreclaim:");
	allow = 2048 + slab0 / 10;
	printf("  SUnreclaim %ld -> %ld kB\n", slab0, slab1);
	result("faults/slab-back", slab1 <= slab0 + allow,
	       "unreclaimable slab grew by %ld kB", slab1 - slab0);
	return 0;
}
