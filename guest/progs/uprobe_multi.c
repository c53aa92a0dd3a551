// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF uprobe_multi link the way libbpf drives it, with the raw bpf(2)
 * syscall: one BPF_PROG_TYPE_KPROBE program (expected_attach_type
 * BPF_TRACE_UPROBE_MULTI) counts hits in an array map, in the slot named by
 * its attach cookie. Links on this binary's own functions check entry
 * counts, return counts (BPF_F_UPROBE_MULTI_RETURN), a USDT-style reference
 * counter, and the pid filter.
 *
 * Build with the kernel tree's linux/bpf.h (and linux/bpf_common.h) ahead
 * of the distribution's, e.g. copied into their own include directory.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>

#define NSLOTS		8
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define noinline	__attribute__((noinline))
#define __section(s)	__attribute__((section(s)))

static int failures;

/* The probed functions: never inlined, never merged. */
noinline int um_func_a(int x)
{
	asm volatile("" : "+r" (x));
	return x + 1;
}

noinline int um_func_b(int x)
{
	asm volatile("" : "+r" (x));
	return x + 2;
}

noinline int um_func_c(int x)
{
	asm volatile("" : "+r" (x));
	return x + 3;
}

/* Probed by a program that returns 1 (UPROBE_HANDLER_REMOVE). */
noinline int um_func_d(int x)
{
	asm volatile("" : "+r" (x));
	return x * 3 + 4;
}

/*
 * A USDT-style semaphore: file-backed data (so not .bss), which the kernel
 * bumps behind the compiler's back while a probe using it is attached.
 */
unsigned short um_sema __section(".probes") = 0;

static unsigned int sema(void)
{
	return __atomic_load_n(&um_sema, __ATOMIC_RELAXED);
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void check(const char *name, long long got, long long want)
{
	int ok = got == want;

	printf("%s %s: got %lld, want %lld\n", ok ? "ok" : "FAIL", name,
	       got, want);
	if (!ok)
		failures++;
}

static void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The file offset of symbol NAME in the ELF file mapped at IMG. */
static unsigned long elf_offset(const unsigned char *img, size_t len,
				const char *name)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff);
	int i;

	if (eh->e_shoff + (size_t)eh->e_shnum * sizeof(*sh) > len)
		return 0;
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym = (const void *)(img + sh[i].sh_offset);
		const char *str;
		size_t j, n;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		str = (const char *)img + sh[sh[i].sh_link].sh_offset;
		n = sh[i].sh_size / sizeof(*sym);
		for (j = 0; j < n; j++) {
			const Elf64_Shdr *sec;

			if (strcmp(str + sym[j].st_name, name) ||
			    sym[j].st_shndx == SHN_UNDEF ||
			    sym[j].st_shndx >= eh->e_shnum)
				continue;
			sec = &sh[sym[j].st_shndx];
			return sym[j].st_value - sec->sh_addr + sec->sh_offset;
		}
	}
	return 0;
}

static int map_create(void)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = sizeof(__u32);
	attr.value_size = sizeof(__u64);
	attr.max_entries = NSLOTS;
	fd = sys_bpf(BPF_MAP_CREATE, &attr);
	if (fd < 0)
		die("BPF_MAP_CREATE");
	return fd;
}

static __u64 map_get(int map_fd, __u32 key)
{
	union bpf_attr attr;
	__u64 val = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map_fd;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)&val;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr))
		die("BPF_MAP_LOOKUP_ELEM");
	return val;
}

static void map_clear(int map_fd)
{
	union bpf_attr attr;
	__u64 val = 0;
	__u32 key;

	for (key = 0; key < NSLOTS; key++) {
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = map_fd;
		attr.key = (unsigned long)&key;
		attr.value = (unsigned long)&val;
		if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr))
			die("BPF_MAP_UPDATE_ELEM");
	}
}

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })

/*
 * slot = bpf_get_attach_cookie(ctx); __sync_fetch_and_add(&map[slot], 1);
 * return retval
 */
static int prog_load_ret(int map_fd, int retval)
{
	struct bpf_insn insns[] = {
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_attach_cookie),
		INSN(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_0, -4, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4),
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD,
		     0, map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1),
		INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0,
		     BPF_ADD),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, retval),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static char log[65536];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_KPROBE;
	attr.expected_attach_type = BPF_TRACE_UPROBE_MULTI;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = ARRAY_SIZE(insns);
	attr.license = (unsigned long)"GPL";
	attr.log_buf = (unsigned long)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0) {
		printf("%s\n", log);
		die("BPF_PROG_LOAD");
	}
	return fd;
}

static int prog_load(int map_fd)
{
	return prog_load_ret(map_fd, 0);
}

static int link_create(int prog_fd, const char *path, unsigned long *offs,
		       unsigned long *ref_ctrs, __u64 *cookies, __u32 cnt,
		       __u32 flags, __u32 pid)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.attach_type = BPF_TRACE_UPROBE_MULTI;
	attr.link_create.uprobe_multi.path = (unsigned long)path;
	attr.link_create.uprobe_multi.offsets = (unsigned long)offs;
	attr.link_create.uprobe_multi.ref_ctr_offsets = (unsigned long)ref_ctrs;
	attr.link_create.uprobe_multi.cookies = (unsigned long)cookies;
	attr.link_create.uprobe_multi.cnt = cnt;
	attr.link_create.uprobe_multi.flags = flags;
	attr.link_create.uprobe_multi.pid = pid;
	return sys_bpf(BPF_LINK_CREATE, &attr);
}

static void call_n(int (*fn)(int), int n)
{
	int i;

	for (i = 0; i < n; i++)
		fn(i);
}

/*
 * "uprobe_multi remove": a program returning 1 (UPROBE_HANDLER_REMOVE) on a
 * link with no pid filter. The link still wants every mm, so the breakpoint
 * stays and each call runs normally, the program once per call. A kernel
 * that restarts the task at the breakpoint would spin: the child has a
 * deadline (SIGALRM kills it). Note: the base tree's (6.12) bpf_trace.c
 * uprobe_prog_run() discards the program's return value (returns 0), so
 * on 6.12 this only reaches the core's REMOVE path once the BPF side
 * passes the value through (as mainline does from 6.13 on).
 */
static void remove_case(int map_fd, const char *path, unsigned long off_d)
{
	__u64 cookie = 7;
	int prog_fd, lfd, status;
	pid_t child;

	prog_fd = prog_load_ret(map_fd, 1);
	map_clear(map_fd);
	lfd = link_create(prog_fd, path, &off_d, NULL, &cookie, 1, 0, 0);
	if (lfd < 0)
		die("BPF_LINK_CREATE (remove)");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		int i, bad = 0;

		alarm(30);
		for (i = 0; i < 25; i++)
			if (um_func_d(i) != i * 3 + 4)
				bad++;
		_exit(bad ? 1 : 0);
	}
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	if (WIFSIGNALED(status))
		printf("# REMOVE child killed by signal %d (%s)\n", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
	check("REMOVE link: child exit status (no livelock)", status, 0);
	check("REMOVE link: program runs once per call", map_get(map_fd, 7), 25);
	if (status) {
		/* This process would spin in um_func_d() too. */
		failures++;
		close(lfd);
		close(prog_fd);
		return;
	}
	um_func_d(1);
	check("REMOVE link: parent's call counted too", map_get(map_fd, 7), 26);
	close(lfd);
	um_func_d(2);
	check("REMOVE link: nothing after close", map_get(map_fd, 7), 26);
	close(prog_fd);
}

int main(int argc, char **argv)
{
	static char path[PATH_MAX];
	unsigned long off[4], ref[3];
	int map_fd, prog_fd, lfd, rfd, pfd;
	int sync_pipe[2], status;
	unsigned char *img;
	struct stat st;
	__u64 cookies[3];
	pid_t child;
	char c;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (readlink("/proc/self/exe", path, sizeof(path) - 1) < 0)
		die("readlink /proc/self/exe");
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(path);
	img = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (img == MAP_FAILED)
		die("mmap");
	off[0] = elf_offset(img, st.st_size, "um_func_a");
	off[1] = elf_offset(img, st.st_size, "um_func_b");
	off[2] = elf_offset(img, st.st_size, "um_func_c");
	ref[0] = elf_offset(img, st.st_size, "um_sema");
	ref[1] = 0;
	ref[2] = 0;
	if (!off[0] || !off[1] || !off[2] || !ref[0]) {
		printf("FAIL symbols: missing from %s\n", path);
		return 1;
	}
	printf("# %s: a@%#lx b@%#lx c@%#lx sema@%#lx\n", path,
	       off[0], off[1], off[2], ref[0]);

	map_fd = map_create();
	if (argc > 1 && !strcmp(argv[1], "remove")) {
		off[3] = elf_offset(img, st.st_size, "um_func_d");
		if (!off[3])
			die("um_func_d");
		remove_case(map_fd, path, off[3]);
		printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
		return failures ? 1 : 0;
	}
	prog_fd = prog_load(map_fd);

	/* Entry probes on a, b, c with cookies 0, 1, 2; a has the semaphore. */
	cookies[0] = 0;
	cookies[1] = 1;
	cookies[2] = 2;
	check("semaphore before attach", sema(), 0);
	lfd = link_create(prog_fd, path, off, ref, cookies, 3, 0, 0);
	if (lfd < 0)
		die("BPF_LINK_CREATE (entry)");
	check("semaphore while attached", sema() > 0, 1);
	call_n(um_func_a, 3);
	call_n(um_func_b, 5);
	call_n(um_func_c, 7);
	check("entry a (cookie 0)", map_get(map_fd, 0), 3);
	check("entry b (cookie 1)", map_get(map_fd, 1), 5);
	check("entry c (cookie 2)", map_get(map_fd, 2), 7);

	/* Return probes on a and b (cookies 3, 4), alongside the entry ones. */
	map_clear(map_fd);
	cookies[0] = 3;
	cookies[1] = 4;
	rfd = link_create(prog_fd, path, off, ref, cookies, 2,
			  BPF_F_UPROBE_MULTI_RETURN, 0);
	if (rfd < 0)
		die("BPF_LINK_CREATE (return)");
	call_n(um_func_a, 4);
	call_n(um_func_b, 6);
	call_n(um_func_c, 2);
	check("entry a with return link", map_get(map_fd, 0), 4);
	check("entry b with return link", map_get(map_fd, 1), 6);
	check("entry c with return link", map_get(map_fd, 2), 2);
	check("return a (cookie 3)", map_get(map_fd, 3), 4);
	check("return b (cookie 4)", map_get(map_fd, 4), 6);

	close(lfd);
	map_clear(map_fd);
	call_n(um_func_a, 3);
	call_n(um_func_b, 3);
	check("return a after entry link closed", map_get(map_fd, 3), 3);
	check("entry a after its link closed", map_get(map_fd, 0), 0);
	close(rfd);
	check("semaphore after detach", sema(), 0);
	map_clear(map_fd);
	call_n(um_func_a, 2);
	check("return a after return link closed", map_get(map_fd, 3), 0);

	/* Entry probes on b and c (cookies 5, 6) for the child only. */
	if (pipe(sync_pipe))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(sync_pipe[1]);
		if (read(sync_pipe[0], &c, 1) != 1)
			_exit(2);
		call_n(um_func_b, 4);
		call_n(um_func_c, 6);
		_exit(0);
	}
	close(sync_pipe[0]);
	map_clear(map_fd);
	cookies[0] = 5;
	cookies[1] = 6;
	pfd = link_create(prog_fd, path, &off[1], NULL, cookies, 2, 0, child);
	if (pfd < 0)
		die("BPF_LINK_CREATE (pid)");
	call_n(um_func_b, 10);
	call_n(um_func_c, 10);
	check("pid link, parent's calls not counted",
	      map_get(map_fd, 5) + map_get(map_fd, 6), 0);
	if (write(sync_pipe[1], "x", 1) != 1)
		die("write");
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	check("child exit status", status, 0);
	call_n(um_func_b, 1);
	check("pid link b (cookie 5)", map_get(map_fd, 5), 4);
	check("pid link c (cookie 6)", map_get(map_fd, 6), 6);
	close(pfd);

	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
