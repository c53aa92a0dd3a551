// SPDX-License-Identifier: GPL-2.0
/*
 * Checks for the x86-64 uretprobe syscall (nr 335) trampoline, run as root
 * in the guest:
 *
 *  1. a direct syscall(335) from outside the trampoline gets SIGILL;
 *  2. the return values of a function with an r: probe stay intact over
 *     1000 calls;
 *  3. the [uprobes] page holds the syscall trampoline;
 *  4. rcx, r11, rdx and rax set by an asm function survive its probed return;
 *  5. a return value of -512 (-ERESTARTSYS) is not "restarted" while the
 *     thread takes a storm of SIGUSR1;
 *  6. seccomp strict mode, and a seccomp filter that kills syscall 335, do
 *     not break probed returns (each in a forked child).
 *
 * Prints one "ok: ..." or "FAIL: ..." line per check and exits 0 only if
 * all of them pass. The uprobe events it creates are deleted before exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define noinline	__attribute__((noinline))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define TRACEFS		"/sys/kernel/tracing"
#define GROUP		"uretsys"
#define NR_URETPROBE	335
#define STORM_CALLS	3000

static int fails;

static const char * const probe_names[] = { "probed", "ret_restart", "clob" };

/* The probed functions stay global so that the compiler keeps the calls. */
noinline long probed(long x)
{
	asm volatile("");
	return x * 3;
}

noinline long ret_restart(void)
{
	asm volatile("");
	return -512;
}

/* clob() sets rcx, r11, rdx and rax to known values and returns. */
void clob(void);

asm("	.pushsection .text\n"
	"	.globl	clob\n"
	"	.type	clob, @function\n"
	"clob:\n"
	"	movabs	$0x1111111111111111, %rcx\n"
	"	movabs	$0x2222222222222222, %r11\n"
	"	movabs	$0x3333333333333333, %rdx\n"
	"	movabs	$0x4444444444444444, %rax\n"
	"	ret\n"
	"	.size	clob, . - clob\n"
	"	.popsection\n"
);

static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	if (!cond)
		fails++;
	printf("%s: ", cond ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int file_off(void *fn, char *path, size_t len, unsigned long *off)
{
	unsigned long a = (unsigned long)fn;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, pgoff;
		char p[256] = "";

		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &lo, &hi, &pgoff, p) < 3)
			continue;
		if (a < lo || a >= hi)
			continue;
		snprintf(path, len, "%s", p);
		*off = a - lo + pgoff;
		fclose(f);
		return 0;
	}
	fclose(f);
	return -1;
}

static int write_file(const char *file, const char *s, int append)
{
	ssize_t len = strlen(s);
	int fd;

	fd = open(file, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	if (fd < 0) {
		printf("open %s: %s\n", file, strerror(errno));
		return -1;
	}
	if (write(fd, s, len) != len) {
		printf("write %s '%s': %s\n", file, s, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int add_rprobe(const char *name, void *fn)
{
	char path[256];
	char cmd[600];
	unsigned long off;

	if (file_off(fn, path, sizeof(path), &off)) {
		printf("no mapping for %s\n", name);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "r:" GROUP "/%s %s:0x%lx ret=$retval\n",
		 name, path, off);
	if (write_file(TRACEFS "/uprobe_events", cmd, 1))
		return -1;
	snprintf(cmd, sizeof(cmd), TRACEFS "/events/" GROUP "/%s/enable", name);
	return write_file(cmd, "1", 0);
}

/* Disable and delete our events; quiet, as most of them may not exist. */
static void del_rprobes(void)
{
	char cmd[128];
	unsigned int i;
	int fd;

	fd = open(TRACEFS "/events/" GROUP "/enable", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1)
			printf("disabling " GROUP " events: %s\n", strerror(errno));
		close(fd);
	}
	for (i = 0; i < ARRAY_SIZE(probe_names); i++) {
		snprintf(cmd, sizeof(cmd), "-:" GROUP "/%s\n", probe_names[i]);
		fd = open(TRACEFS "/uprobe_events", O_WRONLY | O_APPEND);
		if (fd < 0)
			continue;
		if (write(fd, cmd, strlen(cmd)) < 0 && errno != ENOENT)
			printf("deleting %s: %s\n", probe_names[i], strerror(errno));
		close(fd);
	}
}

static sigjmp_buf jb;
static int got_sig;
static unsigned long usr1;

static void on_sig(int s)
{
	got_sig = s;
	siglongjmp(jb, 1);
}

static void on_usr1(int s)
{
	__atomic_fetch_add(&usr1, 1, __ATOMIC_RELAXED);
}

static void *pester(void *arg)
{
	pid_t pid = getpid();
	pid_t tid = *(pid_t *)arg;

	for (;;) {
		syscall(SYS_tgkill, pid, tid, SIGUSR1);
		usleep(50);
	}
	return NULL;
}

/* 1: a direct call from outside the trampoline */
static void check_direct_call(void)
{
	long r;

	signal(SIGILL, on_sig);
	if (!sigsetjmp(jb, 1)) {
		r = syscall(NR_URETPROBE);
		check(0, "syscall(335) returned %ld without a signal", r);
	} else {
		check(got_sig == SIGILL, "direct syscall(335) -> signal %d (SIGILL=4)", got_sig);
	}
	signal(SIGILL, SIG_DFL);
}

/* 2: return values survive, many times */
static void check_retvals(void)
{
	long bad = 0;
	int i;

	for (i = 0; i < 1000; i++) {
		if (probed(i) != i * 3)
			bad++;
	}
	check(bad == 0, "probed() return values intact (%ld bad)", bad);
}

/*
 * The trampoline pushes rax, rcx, r11, then loads 335 and does syscall:
 * "mov $335, %eax" (b8 4f 01 00 00, this series) or "mov $335, %rax"
 * (48 c7 c0 4f 01 00 00, 6.12), then 0f 05.
 */
/*
 * The fast path's trampoline loads __NR_uretprobe (335, a 32-bit
 * little-endian immediate) and executes syscall (0f 05) after it; whatever
 * else it does (saving registers) is the kernel's business.
 */
static int is_syscall_tramp(const unsigned char *b)
{
	static const unsigned char nr[4] = { 0x4f, 0x01, 0x00, 0x00 };
	int i, j;

	for (i = 0; i + 4 <= 16; i++) {
		if (memcmp(b + i, nr, sizeof(nr)))
			continue;
		for (j = i + 4; j + 2 <= 16; j++)
			if (b[j] == 0x0f && b[j + 1] == 0x05)
				return 1;
	}
	return 0;
}

/* 3: the trampoline bytes of the [uprobes] page */
static void check_trampoline(void)
{
	unsigned char b[16];
	unsigned long lo = 0;
	char line[512];
	char hex[64];
	FILE *f;
	int n = 0;
	int i;

	f = fopen("/proc/self/maps", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (strstr(line, "[uprobes]"))
				sscanf(line, "%lx", &lo);
		}
		fclose(f);
	}
	check(lo, "[uprobes] at %#lx", lo);
	if (!lo) {
		check(0, "trampoline is the syscall sequence (no [uprobes] page)");
		return;
	}
	memcpy(b, (void *)lo, sizeof(b));
	hex[0] = '\0';
	for (i = 0; i < 13; i++)
		n += snprintf(hex + n, sizeof(hex) - n, " %02x", b[i]);
	check(is_syscall_tramp(b), "trampoline is the syscall sequence (bytes:%s)", hex);
}

/* 4: rcx, r11, rdx, rax of an asm function survive its return probe */
static void check_clobbers(void)
{
	unsigned long c, r11, d, a;

	asm volatile("call clob\n\t"
		     "mov %%r11, %1"
		     : "=c"(c), "=r"(r11), "=d"(d), "=a"(a)
		     :
		     : "r11", "memory");
	check(c == 0x1111111111111111UL && r11 == 0x2222222222222222UL &&
	      d == 0x3333333333333333UL && a == 0x4444444444444444UL,
	      "clob regs rcx=%lx r11=%lx rdx=%lx rax=%lx", c, r11, d, a);
}

/* 5: -ERESTARTSYS-looking return value under a signal storm */
static void check_restart(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	pid_t me = gettid();
	pthread_t th;
	long bad = 0;
	int i;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (pthread_create(&th, NULL, pester, &me)) {
		check(0, "ret_restart() == -512 (no signal thread)");
		return;
	}
	for (i = 0; i < STORM_CALLS; i++) {
		if (ret_restart() != -512)
			bad++;
	}
	check(bad == 0, "ret_restart() == -512 with %lu signals taken (%ld bad)",
	      __atomic_load_n(&usr1, __ATOMIC_RELAXED), bad);
	pthread_cancel(th);
	pthread_join(th, NULL);
	signal(SIGUSR1, SIG_IGN);
}

/* 6a: seccomp strict mode allows 335 (child) */
static void check_seccomp_strict(void)
{
	pid_t p;
	int st = -1;

	fflush(stdout);
	p = fork();
	if (!p) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT))
			syscall(SYS_exit, 4);
		syscall(SYS_exit, probed(7) == 21 ? 0 : 3);
	}
	if (p > 0)
		waitpid(p, &st, 0);
	check(p > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "probed() under seccomp strict: status %#x", st);
}

/*
 * 6b: a seccomp filter killing syscall 335 must not kill probed returns.
 * The child reports through its exit status: bit 0 set if the filter could
 * not be installed, the number of bad return values (at most 100) above it.
 */
static void check_seccomp_filter(void)
{
	struct sock_filter flt[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_URETPROBE, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = flt };
	int st = -1;
	int code;
	pid_t p;
	int i;

	fflush(stdout);
	p = fork();
	if (!p) {
		int bad = 0;

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			syscall(SYS_exit, 1);
		for (i = 0; i < 100; i++) {
			if (probed(i) != i * 3)
				bad++;
		}
		syscall(SYS_exit, bad << 1);
	}
	if (p > 0)
		waitpid(p, &st, 0);
	if (p <= 0 || !WIFEXITED(st)) {
		check(0, "seccomp filter set (child status %#x)", st);
		check(0, "probed() under seccomp filter denying 335 (child status %#x)", st);
		return;
	}
	code = WEXITSTATUS(st);
	check(!(code & 1), "seccomp filter set");
	if (code & 1)
		return;
	check(code == 0, "probed() under seccomp filter denying 335 (%d bad)", code >> 1);
}

int main(void)
{
	check_direct_call();

	del_rprobes();
	if (add_rprobe("probed", probed) ||
	    add_rprobe("ret_restart", ret_restart) ||
	    add_rprobe("clob", clob)) {
		check(0, "creating the r: probes");
		goto out;
	}

	check_retvals();
	check_trampoline();
	check_clobbers();
	check_restart();
	check_seccomp_strict();
	check_seccomp_filter();
out:
	del_rprobes();
	return fails ? 1 : 0;
}
