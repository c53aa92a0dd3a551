// SPDX-License-Identifier: GPL-2.0
/*
 * uprobes stress tests, each bounded in time: UPROBES_STRESS_SECS seconds
 * (default 4, fractions allowed) of load, then the checks.
 *
 *  churn:            threads of several processes hit entry, return and SDT
 *                    probes while three threads register and unregister
 *                    them through uprobe_events, the perf uprobe PMU and the
 *                    BPF uprobe_multi link, and other processes fork, exec,
 *                    mmap, mremap, mprotect and munmap the probed file.
 *  xol_overflow:     more threads in a single-step at once than the XOL page
 *                    has slots: 200 threads stepping a probed load, with
 *                    SCHED_FIFO threads preempting them; threads seen asleep
 *                    at the breakpoint, waiting for a slot, prove it
 *                    (only reported with UPROBES_STRESS_SLOW set).
 *  kill_stepping:    processes killed (whole, or through one thread) while
 *                    their threads single-step a probed instruction, some
 *                    with more threads than slots.
 *  exit_in_retprobe: exit_group while other threads are blocked inside
 *                    functions under return probes, or just returning.
 *  thousand_probes:  1000 probes on one file: a uprobe_multi link of all of
 *                    them created and closed in a loop, and 1000
 *                    uprobe_events probes enabled and disabled in a loop.
 *  fifty_processes:  one probe on a libc function called by 50 processes,
 *                    registered and unregistered in a loop.
 *
 * After each: the text of every live process reads as the file at every
 * probed site, the pages there are page cache pages again (pagemap), the
 * probed files' bytes are unchanged, unreclaimable slab is back to roughly
 * where it was, and the kernel logged no warning. Every program checks its
 * results; a wrong one, a crash or an unexpected exit status fails.
 *
 * "--hit N" runs N rounds of the churn calls and exits 0 if all were right:
 * the program the churn test execs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/elf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include "../kselftest_harness.h"
#include "uprobes_stress_targets.h"
#include "uprobes_util.h"

#define GROUP		"uprobes_stress"
#define PAGE		4096UL
#define DEFAULT_SECS	4.0
#define MAX_CPUS	16

const char *const probe_group = GROUP;

/* Hide a value from the optimiser so calls cannot be inlined or cloned. */
#define OPAQUE(x) ({ __typeof__(x) __v = (x); asm volatile("" : "+r"(__v)); __v; })

#define LOAD(p)		__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define INC(p)		__atomic_fetch_add(p, 1, __ATOMIC_ACQ_REL)

/*
 * The BPF uprobe_multi ABI, which not every distribution's linux/bpf.h has
 * yet: the uapi values, and BPF_LINK_CREATE's attributes laid out as in
 * the kernel's union bpf_attr.
 */
#define STRESS_BPF_TRACE_UPROBE_MULTI		48
#define STRESS_BPF_F_UPROBE_MULTI_RETURN	1U

struct stress_umulti_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 umulti_flags;
	__u32 pid;
	__u32 pad;
};

/* ---- the SDT probe stress:tick, with a semaphore ---- */

/*
 * Returns 7 * x; fires stress:tick(7 * x) while its semaphore
 * (stress_tick_semaphore, in uprobes_stress_targets.S) is set. Only ever
 * called through OPAQUE(), so it stays out of line.
 */
int sdt_site(int x)
{
	int r = OPAQUE(x) * 7;

	if (LOAD(&stress_tick_semaphore))
		STAP_PROBE1(stress, tick, r);
	return r;
}

/* ---- what is probed: offsets, addresses and the files' bytes ---- */

/* A probed range of this process's memory and the file bytes it must show. */
struct site {
	const char *what;
	unsigned long addr;
	unsigned long len;
	const unsigned char *file;
};

static struct {
	char exe[PATH_MAX];
	char libc[PATH_MAX];
	unsigned char *exe_bytes, *libc_bytes;
	size_t exe_len, libc_len;
	/* file offsets in exe (sem: of the SDT semaphore) and in libc */
	unsigned long step, emul, sled, sled_body, block, outer, sdt, sem;
	unsigned long labs;
	struct site sites[8];
	int nsites;
} tgt;

static double stress_secs(void)
{
	const char *s = getenv("UPROBES_STRESS_SECS");
	double v = s ? strtod(s, NULL) : DEFAULT_SECS;

	return v > 0 ? v : DEFAULT_SECS;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Virtual address to file offset through the PT_LOAD segment holding it. */
static unsigned long elf_va_off(const unsigned char *img, size_t len, unsigned long va)
{
	const struct elf64_hdr *eh = (const void *)img;
	const struct elf64_phdr *ph = (const void *)(img + eh->e_phoff);
	int i;

	if (eh->e_phoff + (size_t)eh->e_phnum * sizeof(*ph) > len)
		return 0;
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr &&
		    va < ph[i].p_vaddr + ph[i].p_filesz)
			return va - ph[i].p_vaddr + ph[i].p_offset;
	return 0;
}

static const struct elf64_shdr *elf_section(const unsigned char *img, size_t len, const char *name)
{
	const struct elf64_hdr *eh = (const void *)img;
	const struct elf64_shdr *sh = (const void *)(img + eh->e_shoff);
	const char *strs;
	int i;

	if (eh->e_shoff + (size_t)eh->e_shnum * sizeof(*sh) > len || eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	strs = (const char *)img + sh[eh->e_shstrndx].sh_offset;
	for (i = 0; i < eh->e_shnum; i++)
		if (!strcmp(strs + sh[i].sh_name, name))
			return &sh[i];
	return NULL;
}

/*
 * File offsets of the SDT probe provider:name in the ELF64 image img: its
 * site (from .note.stapsdt, adjusted by .stapsdt.base) and its semaphore.
 */
static int sdt_offsets(const unsigned char *img, size_t len, const char *provider,
		       const char *name, unsigned long *sitep, unsigned long *semp)
{
	const struct elf64_shdr *notes = elf_section(img, len, ".note.stapsdt");
	const struct elf64_shdr *base = elf_section(img, len, ".stapsdt.base");
	size_t pos, end;

	if (!notes || !base || notes->sh_offset + notes->sh_size > len)
		return -ENOENT;
	pos = notes->sh_offset;
	end = pos + notes->sh_size;
	while (pos + sizeof(struct elf64_note) <= end) {
		const struct elf64_note *nh = (const void *)(img + pos);
		const unsigned char *desc;
		const char *prov, *nm;
		__u64 a[3];

		desc = img + pos + sizeof(*nh) + ((nh->n_namesz + 3) & ~3U);
		pos += sizeof(*nh) + ((nh->n_namesz + 3) & ~3U) + ((nh->n_descsz + 3) & ~3U);
		if (pos > end || nh->n_type != 3 || nh->n_descsz < sizeof(a) + 2)
			continue;
		memcpy(a, desc, sizeof(a));	/* site, base, semaphore */
		prov = (const char *)desc + sizeof(a);
		nm = prov + strlen(prov) + 1;
		if (strcmp(prov, provider) || strcmp(nm, name))
			continue;
		*sitep = elf_va_off(img, len, a[0] + base->sh_addr - a[1]);
		*semp = a[2] ? elf_va_off(img, len, a[2] + base->sh_addr - a[1]) : 0;
		return *sitep && *semp ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* The path of the libc this process runs with, from /proc/self/maps. */
static int find_libc(char *buf, size_t size)
{
	char *maps = read_all("/proc/self/maps", NULL), *line, *save = NULL;
	int ret = -ENOENT;

	if (!maps)
		return -errno;
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(line, '/');
		char *base = path ? strrchr(path, '/') + 1 : NULL;

		if (base && (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5))) {
			snprintf(buf, size, "%s", path);
			ret = 0;
			break;
		}
	}
	free(maps);
	return ret;
}

static void add_site(const char *what, unsigned long addr, unsigned long len,
		     const unsigned char *file)
{
	struct site *s = &tgt.sites[tgt.nsites++];

	s->what = what;
	s->addr = addr;
	s->len = len;
	s->file = file;
}

/* Finds every probe target and reads the probed files; 0 or a -errno. */
static int targets_init(void)
{
	unsigned long text;	/* where exe's file offset 0 would be, for its text */
	unsigned long sem;
	int ret;

	if (tgt.exe_bytes)
		return 0;
	if (self_exe(tgt.exe, sizeof(tgt.exe)) || find_libc(tgt.libc, sizeof(tgt.libc)))
		return -ENOENT;
	ret = elf_sym_offset(tgt.exe, "stress_step", &tgt.step);
	ret = ret ?: elf_sym_offset(tgt.exe, "stress_emul", &tgt.emul);
	ret = ret ?: elf_sym_offset(tgt.exe, "stress_sled", &tgt.sled);
	ret = ret ?: elf_sym_offset(tgt.exe, "stress_sled_body", &tgt.sled_body);
	ret = ret ?: elf_sym_offset(tgt.exe, "stress_block", &tgt.block);
	ret = ret ?: elf_sym_offset(tgt.exe, "stress_block_outer", &tgt.outer);
	ret = ret ?: elf_sym_offset(tgt.libc, "labs", &tgt.labs);
	if (ret)
		return ret;
	tgt.exe_bytes = (unsigned char *)read_all(tgt.exe, &tgt.exe_len);
	tgt.libc_bytes = (unsigned char *)read_all(tgt.libc, &tgt.libc_len);
	if (!tgt.exe_bytes || !tgt.libc_bytes)
		return -EIO;
	ret = sdt_offsets(tgt.exe_bytes, tgt.exe_len, "stress", "tick", &tgt.sdt, &tgt.sem);
	if (ret)
		return ret;
	/* The note names the semaphore this program increments. */
	ret = elf_sym_offset(tgt.exe, "stress_tick_semaphore", &sem);
	if (ret || sem != tgt.sem)
		return ret ?: -EINVAL;

	text = (unsigned long)&stress_step - tgt.step;
	add_site("stress_step", text + tgt.step, 16, tgt.exe_bytes + tgt.step);
	add_site("stress_emul", text + tgt.emul, 16, tgt.exe_bytes + tgt.emul);
	add_site("stress_sled", text + tgt.sled,
		 (unsigned long)stress_sled_end - (unsigned long)stress_sled + 1,
		 tgt.exe_bytes + tgt.sled);
	add_site("stress_block", text + tgt.block, 32, tgt.exe_bytes + tgt.block);
	add_site("sdt site", text + tgt.sdt, 16, tgt.exe_bytes + tgt.sdt);
	add_site("libc labs", (unsigned long)OPAQUE(&labs), 16, tgt.libc_bytes + tgt.labs);
	return 0;
}

/* ---- tracefs, perf and BPF registration ---- */

/* Adds GROUP/name, a "p" or "r" probe at path:off, with a USDT counter at ref if not 0. */
static int tprobe_add(const char *type, const char *name, const char *path, unsigned long off,
		      unsigned long ref)
{
	char cmd[PATH_MAX + 256], refs[32] = "";

	if (ref)
		snprintf(refs, sizeof(refs), "(0x%lx)", ref);
	snprintf(cmd, sizeof(cmd), "%s:%s/%s %s:0x%lx%s\n", type, GROUP, name, path, off, refs);
	return write_file(TRACEFS "/uprobe_events", cmd, O_APPEND);
}

static int group_enable(int on)
{
	return write_file(TRACEFS "/events/" GROUP "/enable", on ? "1\n" : "0\n", O_TRUNC);
}

static int pmu_type(void)
{
	char *s = read_all("/sys/bus/event_source/devices/uprobe/type", NULL);
	int type = s ? atoi(s) : -1;

	free(s);
	return type;
}

/* A counting uprobe PMU event on every task, on one CPU. */
static int perf_uprobe(int type, const char *path, unsigned long off, unsigned long ref,
		       bool ret, int cpu)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = (ret ? 1 : 0) | ((__u64)ref << 32);
	attr.config1 = (unsigned long)path;
	attr.config2 = off;
	return syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static long sys_bpf(int cmd, void *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

static int bpf_array(unsigned int n)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = sizeof(__u32);
	attr.value_size = sizeof(__u64);
	attr.max_entries = n;
	return sys_bpf(BPF_MAP_CREATE, &attr, sizeof(attr));
}

static __u64 bpf_get(int map, __u32 key)
{
	union bpf_attr attr;
	__u64 val = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)&val;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)))
		return ~0ULL;
	return val;
}

#define BPF_INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* A uprobe_multi program: map[bpf_get_attach_cookie()] += 1; return 0. */
static int bpf_counter_prog(int map)
{
	struct bpf_insn insns[] = {
		BPF_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_attach_cookie),
		BPF_INSN(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_0, -4, 0),
		BPF_INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		BPF_INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4),
		BPF_INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map),
		BPF_INSN(0, 0, 0, 0, 0),
		BPF_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		BPF_INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0),
		BPF_INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1),
		BPF_INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD),
		BPF_INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		BPF_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_KPROBE;
	attr.expected_attach_type = STRESS_BPF_TRACE_UPROBE_MULTI;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = ARRAY_SIZE(insns);
	attr.license = (unsigned long)"GPL";
	return sys_bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
}

/* A uprobe_multi link of prog on cnt offsets of path, for every process. */
static int bpf_umulti(int prog, const char *path, const unsigned long *offs,
		      const unsigned long *refs, const __u64 *cookies, unsigned int cnt,
		      unsigned int flags)
{
	struct stress_umulti_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog;
	attr.attach_type = STRESS_BPF_TRACE_UPROBE_MULTI;
	attr.path = (unsigned long)path;
	attr.offsets = (unsigned long)offs;
	attr.ref_ctr_offsets = (unsigned long)refs;
	attr.cookies = (unsigned long)cookies;
	attr.cnt = cnt;
	attr.umulti_flags = flags;
	return sys_bpf(BPF_LINK_CREATE, &attr, sizeof(attr));
}

/* ---- children ---- */

#define KILL_THREADS	48	/* threads of a process of kill_stepping */

/* Memory shared by a test and every process it starts. */
struct shared {
	int stop;	/* stop calling the probed functions, go idle */
	int quit;	/* idle processes exit */
	int ready;	/* threads or processes started */
	int idle;	/* processes idle */
	int bad;	/* wrong results or failed checks */
	long calls;
	char why[200];	/* the first of them */
	pid_t tids[KILL_THREADS];
};

static struct shared *shared_new(void)
{
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void note_bad(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (INC(&sh->bad) == 0) {
		va_start(ap, fmt);
		vsnprintf(sh->why, sizeof(sh->why), fmt, ap);
		va_end(ap);
	}
}

/*
 * Forks a child running fn(sh, arg), then exiting 0; it dies with its
 * parent. Children that only load the machine run at nice 10, so that the
 * threads registering and checking get the CPU when they want it.
 */
static pid_t spawn_nice(void (*fn)(struct shared *sh, long arg), struct shared *sh, long arg,
			int inc)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (inc && nice(inc) == -1)
			note_bad(sh, "nice: %s", strerror(errno));
		fn(sh, arg);
		_exit(0);
	}
	return pid;
}

static pid_t spawn(void (*fn)(struct shared *sh, long arg), struct shared *sh, long arg)
{
	return spawn_nice(fn, sh, arg, 0);
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) != pid)
		if (errno != EINTR)
			return -1;
	return status;
}

static bool exited_ok(int status)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Waits until *ctr >= want, for at most secs; false on timeout. */
static bool wait_count(int *ctr, int want, double secs)
{
	double end = now() + secs;

	while (LOAD(ctr) < want) {
		if (now() > end)
			return false;
		sleep_ms(2);
	}
	return true;
}

/* Idles until told to quit; what every long-lived child does once stopped. */
static void idle_until_quit(struct shared *sh)
{
	INC(&sh->idle);
	while (!LOAD(&sh->quit))
		sleep_ms(5);
}

/* ---- checks ---- */

/* Reads len bytes at addr in pid (0: this process); 0 or -1. */
static int pid_read(pid_t pid, unsigned long addr, void *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	if (!pid) {
		memcpy(buf, (const void *)addr, len);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, addr);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/*
 * The pagemap entry of addr in pid (0: this process). A present page that
 * is not a file page is an anonymous copy: the page cache page is not
 * mapped there.
 */
static int pid_page_is_anon(pid_t pid, unsigned long addr)
{
	char path[64];
	__u64 ent;
	ssize_t n;
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = pread(fd, &ent, sizeof(ent), addr / PAGE * sizeof(ent));
	close(fd);
	if (n != sizeof(ent))
		return -1;
	return (ent >> 63 & 1) && !(ent >> 61 & 1);
}

/*
 * Checks every probed site of pid (0: this process): it reads as the file
 * and its pages are page cache pages. Logs what differs if log; returns the
 * number of differences.
 */
static int check_text(struct __test_metadata *_metadata, pid_t pid, bool log)
{
	unsigned char buf[4096];
	unsigned long a;
	int i, bad = 0;

	for (i = 0; i < tgt.nsites; i++) {
		const struct site *s = &tgt.sites[i];

		if (pid_read(pid, s->addr, buf, s->len)) {
			if (log)
				TH_LOG("pid %d: cannot read %s at %#lx", pid, s->what, s->addr);
			bad++;
			continue;
		}
		if (memcmp(buf, s->file, s->len)) {
			unsigned long j = 0;

			while (buf[j] == s->file[j])
				j++;
			if (log)
				TH_LOG("pid %d: %s+%lu reads %02x, the file has %02x", pid,
				       s->what, j, buf[j], s->file[j]);
			bad++;
		}
		for (a = s->addr & ~(PAGE - 1); a < s->addr + s->len; a += PAGE) {
			int anon = pid_page_is_anon(pid, a);

			if (anon && log)
				TH_LOG("pid %d: %s page %#lx: %s", pid, s->what, a,
				       anon < 0 ? "no pagemap" : "an anonymous copy");
			bad += anon != 0;
		}
	}
	return bad;
}

/* Does path still hold exactly the bytes it had when the test began? */
static bool file_unchanged(const char *path, const unsigned char *bytes, size_t len)
{
	size_t n;
	char *now_bytes = read_all(path, &n);
	bool same = now_bytes && n == len && !memcmp(now_bytes, bytes, len);

	free(now_bytes);
	return same;
}

static long meminfo_kb(const char *key)
{
	char *buf = read_all("/proc/meminfo", NULL);
	const char *p = buf ? strstr(buf, key) : NULL;
	long kb = p ? strtol(p + strlen(key), NULL, 10) : -1;

	free(buf);
	return kb;
}

static void drop_kernel_caches(void)
{
	sync();
	write_file("/proc/sys/vm/drop_caches", "3\n", 0);
}

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Logs the kernel messages since fd was opened; returns how many are splats. */
static int kmsg_splats(struct __test_metadata *_metadata, int fd)
{
	static const char * const bad[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "Call Trace",
		"INFO: task", "rcu_sched", "refcount_t", "corruption", "leak",
	};
	char rec[2048];
	int n_bad = 0;
	unsigned int i;
	ssize_t n;

	if (fd < 0)
		return 0;
	for (;;) {
		const char *msg;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(msg, bad[i]))
				break;
		if (i < ARRAY_SIZE(bad)) {
			n_bad++;
			TH_LOG("kernel: %s", msg);
		} else if (strstr(msg, "uprobe") && !strstr(msg, "drop_caches")) {
			TH_LOG("kernel (note): %s", msg);
		}
	}
	return n_bad;
}

/* ---- the calls every churn process makes ---- */

/* One round of calls to the churn targets at i; returns how many were wrong. */
static int call_targets(int i)
{
	int (*step)(int x) = OPAQUE(&stress_step);
	int (*emul)(int x) = OPAQUE(&stress_emul);
	int (*sdt)(int x) = OPAQUE(&sdt_site);
	int bad = 0;

	i &= 0xffff;
	bad += step(i) != 5 * i + 7;
	bad += emul(i) != 2 * i + 3;
	bad += sdt(i) != 7 * i;
	return bad;
}

static int hit_rounds(int n)
{
	int i, bad = 0;

	for (i = 0; i < n; i++)
		bad += call_targets(i);
	return bad;
}

/* ---- the fixture ---- */

/* What the checks after a test compare with. */
struct baseline {
	long slab0, free0;	/* SUnreclaim and MemAvailable, kB */
	int kmsg;		/* /dev/kmsg, at its end */
};

FIXTURE(stress) {
	double secs;
	struct baseline base;
};

FIXTURE_SETUP(stress)
{
	int ret;

	if (access(TRACEFS "/uprobe_events", W_OK))
		SKIP(return, "no " TRACEFS "/uprobe_events (CONFIG_UPROBE_EVENTS)");
	probes_clear_all();
	ret = targets_init();
	ASSERT_EQ(0, ret) TH_LOG("probe targets: %s", strerror(-ret));
	self->secs = stress_secs();
	self->base.kmsg = kmsg_open();
	drop_kernel_caches();
	self->base.slab0 = meminfo_kb("SUnreclaim:");
	self->base.free0 = meminfo_kb("MemAvailable:");
}

FIXTURE_TEARDOWN_PARENT(stress)
{
	probes_clear_all();
}

/* Stops, checks and reaps the idle children in pids[]. */
static void reap(struct __test_metadata *_metadata, struct shared *sh, const pid_t *pids,
		 int n)
{
	int i, status;

	STORE(&sh->quit, 1);
	for (i = 0; i < n; i++) {
		status = wait_status(pids[i]);
		EXPECT_TRUE(exited_ok(status)) TH_LOG("child %d: status %#x", pids[i], status);
	}
}

/*
 * The checks after every test, with every probe gone: the text of this
 * process and of the idle children in pids[] (sharing sh), which are then
 * reaped; the files; slab; the kernel log.
 */
static void final_checks(struct __test_metadata *_metadata, struct baseline *b,
			 struct shared *sh, const pid_t *pids, int npids)
{
	double end = now() + 5;
	long slab, allow;
	int i, bad = 0;

	for (i = 0; i < npids; i++)
		bad += check_text(_metadata, pids[i], true);
	bad += check_text(_metadata, 0, true);
	EXPECT_EQ(0, bad) TH_LOG("%d probed sites differ from the file in %d processes", bad,
				 npids + 1);
	if (npids)
		reap(_metadata, sh, pids, npids);
	EXPECT_TRUE(file_unchanged(tgt.exe, tgt.exe_bytes, tgt.exe_len))
		TH_LOG("%s changed", tgt.exe);
	EXPECT_TRUE(file_unchanged(tgt.libc, tgt.libc_bytes, tgt.libc_len))
		TH_LOG("%s changed", tgt.libc);

	/* RCU and workqueues free some of it late: give them a few seconds. */
	allow = 2048 + b->slab0 / 10;
	do {
		drop_kernel_caches();
		slab = meminfo_kb("SUnreclaim:");
		if (slab <= b->slab0 + allow)
			break;
		sleep_ms(250);
	} while (now() < end);
	TH_LOG("SUnreclaim %ld -> %ld kB, MemAvailable %ld -> %ld kB", b->slab0, slab,
	       b->free0, meminfo_kb("MemAvailable:"));
	EXPECT_GE(b->slab0 + allow, slab)
		TH_LOG("unreclaimable slab grew by %ld kB", slab - b->slab0);
	EXPECT_EQ(0, kmsg_splats(_metadata, b->kmsg));
	if (b->kmsg >= 0)
		close(b->kmsg);
}

/* ---- churn: hits, registrations and mappings, all at once ---- */

#define CHURN_WORKERS	3
#define CHURN_THREADS	3
#define CHURN_MAPPERS	2

static void *churn_thread(void *p)
{
	struct shared *sh = p;
	long i;

	for (i = 0; !LOAD(&sh->stop); i++)
		if (call_targets(i))
			note_bad(sh, "pid %d: wrong result in round %ld", getpid(), i);
	__atomic_fetch_add(&sh->calls, i, __ATOMIC_RELAXED);
	return NULL;
}

/* A worker: threads calling the targets; once stopped, checks its own text. */
static void churn_worker(struct shared *sh, long nthreads)
{
	pthread_t t[CHURN_THREADS];
	unsigned char buf[4096];
	int i, n = 0;

	for (i = 0; i < nthreads && i < CHURN_THREADS; i++, n++)
		if (pthread_create(&t[i], NULL, churn_thread, sh)) {
			note_bad(sh, "pthread_create: %s", strerror(errno));
			break;
		}
	INC(&sh->ready);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < tgt.nsites; i++) {
		memcpy(buf, (const void *)tgt.sites[i].addr, tgt.sites[i].len);
		if (memcmp(buf, tgt.sites[i].file, tgt.sites[i].len))
			note_bad(sh, "pid %d: %s differs from the file", getpid(),
				 tgt.sites[i].what);
	}
	if (LOAD(&stress_tick_semaphore))
		note_bad(sh, "pid %d: semaphore %u with no probe", getpid(),
			 LOAD(&stress_tick_semaphore));
	idle_until_quit(sh);
}

/* Calls stress_step, stress_emul and stress_sled in a copy mapped at base - file offset 0. */
static int call_copy(unsigned long base, int i)
{
	int (*step)(int x), (*emul)(int x), (*sled)(int x);

	step = (void *)(base + tgt.step);
	emul = (void *)(base + tgt.emul);
	sled = (void *)(base + tgt.sled);

	return (step(i) != 5 * i + 7) + (emul(i) != 2 * i + 3) + (sled(i) != i + 1000);
}

/* Maps the probed file's text again, moves, reprotects and unmaps it, calling it. */
static void map_and_call(struct shared *sh, int i)
{
	unsigned long lo = tgt.step & ~(PAGE - 1);
	unsigned long len = ((tgt.outer + 16 + PAGE - 1) & ~(PAGE - 1)) - lo;
	char *map, *moved, *hole;
	int fd;

	fd = open(tgt.exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		note_bad(sh, "open %s: %s", tgt.exe, strerror(errno));
		return;
	}
	map = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, lo);
	close(fd);
	hole = mmap(NULL, len + PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || hole == MAP_FAILED) {
		note_bad(sh, "mmap: %s", strerror(errno));
		return;
	}
	if (call_copy((unsigned long)map - lo, i))
		note_bad(sh, "wrong result in a fresh mapping");
	moved = mremap(map, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, hole + PAGE);
	if (moved == MAP_FAILED) {
		note_bad(sh, "mremap: %s", strerror(errno));
		munmap(map, len);
		munmap(hole, len + PAGE);
		return;
	}
	if (call_copy((unsigned long)moved - lo, i + 1))
		note_bad(sh, "wrong result in a moved mapping");
	if (mprotect(moved, len, PROT_READ) || mprotect(moved, len, PROT_READ | PROT_EXEC))
		note_bad(sh, "mprotect: %s", strerror(errno));
	if (call_copy((unsigned long)moved - lo, i + 2))
		note_bad(sh, "wrong result in a reprotected mapping");
	if (len > PAGE && munmap(moved + PAGE, len - PAGE))
		note_bad(sh, "munmap: %s", strerror(errno));
	munmap(hole, len + PAGE);
}

/* A mapper: forks, execs and maps the probed file, round after round. */
static void churn_mapper(struct shared *sh, long id)
{
	int i, status;
	pid_t pid;

	INC(&sh->ready);
	for (i = 0; !LOAD(&sh->stop); i++) {
		switch (i % 3) {
		case 0:
			pid = fork();
			if (pid == 0)
				_exit(hit_rounds(200) ? 1 : 0);
			status = wait_status(pid);
			if (!exited_ok(status))
				note_bad(sh, "forked child: status %#x", status);
			break;
		case 1:
			pid = fork();
			if (pid == 0) {
				execl(tgt.exe, tgt.exe, "--hit", "100", (char *)NULL);
				_exit(127);
			}
			status = wait_status(pid);
			if (!exited_ok(status))
				note_bad(sh, "exec'd child: status %#x", status);
			break;
		default:
			map_and_call(sh, i);
			break;
		}
	}
	__atomic_fetch_add(&sh->calls, i, __ATOMIC_RELAXED);
}

/* One registration interface's loop, run by a thread, and what it saw. */
struct ctl {
	const char *name;
	double end;
	int rounds;
	long hits[3];	/* entry on stress_step, return of stress_emul, SDT */
	int err;
	char what[96];
};

static void ctl_fail(struct ctl *c, const char *what, int err)
{
	if (!c->err) {
		c->err = err ? err : -EIO;
		snprintf(c->what, sizeof(c->what), "%s", what);
	}
}

static void *ctl_tracefs(void *p)
{
	static const char * const names[] = { "c_step", "c_ret", "c_sdt" };
	struct ctl *c = p;
	unsigned int seed = 1;
	int i, ret;

	while (now() < c->end && !c->err) {
		ret = tprobe_add("p", names[0], tgt.exe, tgt.step, 0);
		if (ret)
			ctl_fail(c, "add entry probe", ret);
		ret = tprobe_add("r", names[1], tgt.exe, tgt.emul, 0);
		if (ret)
			ctl_fail(c, "add return probe", ret);
		ret = tprobe_add("p", names[2], tgt.exe, tgt.sdt, tgt.sem);
		if (ret)
			ctl_fail(c, "add SDT probe", ret);
		for (i = 0; i < 3 && !c->err; i++) {
			ret = probe_enable(names[i], 1);
			if (ret)
				ctl_fail(c, "enable", ret);
		}
		sleep_ms(10 + rand_r(&seed) % 30);
		/* uprobe_profile counts the entries into a return probe's function too. */
		for (i = 0; i < 3; i++) {
			long h = probe_hits(names[i]);

			if (h > 0)
				c->hits[i] += h;
			probe_enable(names[i], 0);
			ret = probe_del(names[i]);
			if (ret && !c->err)
				ctl_fail(c, "remove", ret);
		}
		c->rounds++;
	}
	return NULL;
}

static void *ctl_perf(void *p)
{
	int fds[MAX_CPUS][3], type = pmu_type(), i, j;
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct ctl *c = p;
	unsigned int seed = 2;
	__u64 count;

	if (type < 0) {
		ctl_fail(c, "no uprobe PMU", -ENOENT);
		return NULL;
	}
	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	while (now() < c->end && !c->err) {
		for (i = 0; i < ncpu; i++) {
			fds[i][0] = perf_uprobe(type, tgt.exe, tgt.step, 0, false, i);
			fds[i][1] = perf_uprobe(type, tgt.exe, tgt.emul, 0, true, i);
			fds[i][2] = perf_uprobe(type, tgt.exe, tgt.sdt, tgt.sem, false, i);
			for (j = 0; j < 3; j++)
				if (fds[i][j] < 0)
					ctl_fail(c, "perf_event_open", -errno);
		}
		sleep_ms(10 + rand_r(&seed) % 30);
		for (i = 0; i < ncpu; i++)
			for (j = 0; j < 3; j++) {
				if (fds[i][j] < 0)
					continue;
				if (read(fds[i][j], &count, sizeof(count)) == sizeof(count))
					c->hits[j] += count;
				close(fds[i][j]);
			}
		c->rounds++;
	}
	return NULL;
}

static void *ctl_bpf(void *p)
{
	unsigned long offs[2] = { tgt.step, tgt.sdt }, refs[2] = { 0, tgt.sem };
	__u64 cookies[2] = { 0, 2 }, ret_cookie = 1;
	struct ctl *c = p;
	unsigned int seed = 3;
	int map, prog, entry, ret, i;

	map = bpf_array(4);
	prog = map < 0 ? -1 : bpf_counter_prog(map);
	if (prog < 0) {
		ctl_fail(c, "BPF map/program", -errno);
		return NULL;
	}
	while (now() < c->end && !c->err) {
		entry = bpf_umulti(prog, tgt.exe, offs, refs, cookies, 2, 0);
		if (entry < 0)
			ctl_fail(c, "BPF_LINK_CREATE (entry)", -errno);
		ret = bpf_umulti(prog, tgt.exe, &tgt.emul, NULL, &ret_cookie, 1,
				 STRESS_BPF_F_UPROBE_MULTI_RETURN);
		if (ret < 0)
			ctl_fail(c, "BPF_LINK_CREATE (return)", -errno);
		sleep_ms(10 + rand_r(&seed) % 30);
		if (entry >= 0)
			close(entry);
		if (ret >= 0)
			close(ret);
		c->rounds++;
	}
	for (i = 0; i < 3; i++)
		c->hits[i] = bpf_get(map, i);
	close(prog);
	close(map);
	return NULL;
}

TEST_F_TIMEOUT(stress, churn, 300)
{
	void *(*fns[3])(void *) = { ctl_tracefs, ctl_perf, ctl_bpf };
	static const char * const names[] = { "uprobe_events", "perf PMU", "uprobe_multi" };
	pid_t workers[CHURN_WORKERS], mappers[CHURN_MAPPERS];
	struct ctl ctls[3];
	pthread_t th[3];
	struct shared *sh = shared_new(), *msh = shared_new();
	double t0 = now();
	unsigned short sem;
	int i, j, status, bad = 0;

	ASSERT_NE(NULL, sh);
	ASSERT_NE(NULL, msh);
	for (i = 0; i < CHURN_WORKERS; i++) {
		workers[i] = spawn_nice(churn_worker, sh, CHURN_THREADS, 10);
		ASSERT_LT(0, workers[i]);
	}
	for (i = 0; i < CHURN_MAPPERS; i++) {
		mappers[i] = spawn_nice(churn_mapper, msh, i, 10);
		ASSERT_LT(0, mappers[i]);
	}
	ASSERT_TRUE(wait_count(&sh->ready, CHURN_WORKERS, 30));
	ASSERT_TRUE(wait_count(&msh->ready, CHURN_MAPPERS, 30));

	memset(ctls, 0, sizeof(ctls));
	for (i = 0; i < 3; i++) {
		ctls[i].name = names[i];
		ctls[i].end = now() + self->secs;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, fns[i], &ctls[i]));
	}
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);

	/* Every probe is gone now: stop the mappers, then the workers. */
	STORE(&msh->stop, 1);
	for (i = 0; i < CHURN_MAPPERS; i++) {
		status = wait_status(mappers[i]);
		EXPECT_TRUE(exited_ok(status)) TH_LOG("mapper %d: status %#x", i, status);
	}
	STORE(&sh->stop, 1);
	EXPECT_TRUE(wait_count(&sh->idle, CHURN_WORKERS, 30));

	for (i = 0; i < 3; i++) {
		TH_LOG("%s: %d rounds; hits: entry %ld, return %ld, SDT %ld", ctls[i].name,
		       ctls[i].rounds, ctls[i].hits[0], ctls[i].hits[1], ctls[i].hits[2]);
		EXPECT_EQ(0, ctls[i].err) TH_LOG("%s: %s: %s", ctls[i].name, ctls[i].what,
						 strerror(-ctls[i].err));
		EXPECT_LT(0, ctls[i].rounds);
		for (j = 0; j < 3; j++)
			EXPECT_LT(0, ctls[i].hits[j]) TH_LOG("%s: no hit of probe %d",
							     ctls[i].name, j);
	}
	TH_LOG("workers: %ld rounds of calls; mappers: %ld fork/exec/mmap rounds", sh->calls,
	       msh->calls);
	EXPECT_EQ(0, sh->bad) TH_LOG("workers: %d failures, first: %s", sh->bad, sh->why);
	EXPECT_EQ(0, msh->bad) TH_LOG("mappers: %d failures, first: %s", msh->bad, msh->why);
	for (i = 0; i < CHURN_WORKERS; i++) {
		sem = 0xffff;
		pid_read(workers[i], (unsigned long)&stress_tick_semaphore, &sem, sizeof(sem));
		if (sem)
			bad++;
	}
	EXPECT_EQ(0, bad) TH_LOG("%d workers have a non-zero SDT semaphore", bad);
	EXPECT_EQ(0, LOAD(&stress_tick_semaphore));
	final_checks(_metadata, &self->base, sh, workers, CHURN_WORKERS);
	TH_LOG("took %.1f s", now() - t0);
}

/* ---- more threads in a single-step than the XOL page has slots ---- */

#define XOL_THREADS	200
#define XOL_ROUND_MS	1000

struct xol_run {
	pthread_barrier_t go;
	double end;	/* of the round */
	int stop;	/* of the test */
	int bad;
	long calls;
	int max_wait;	/* most threads seen asleep at the breakpoint */
};

/* Calls stress_step() until the round ends. */
static void *xol_thread(void *p)
{
	int (*step)(int x) = OPAQUE(&stress_step);
	struct xol_run *r = p;
	long i;

	pthread_barrier_wait(&r->go);
	for (i = 0; (i & 15) || now() < r->end; i++)
		if (step(i & 0xffff) != 5 * (i & 0xffff) + 7)
			INC(&r->bad);
	__atomic_fetch_add(&r->calls, i, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * A SCHED_FIFO thread on one CPU waking every 100 us: each wakeup preempts
 * whatever runs there. A stepping thread is mostly in the kernel, and one
 * preempted on its way from the breakpoint to its slot keeps the slot while
 * it waits for the CPU: with 200 of them, the slots run out.
 */
static void *preempter(void *stop)
{
	struct sched_param sp = { .sched_priority = 1 };

	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	while (!LOAD((int *)stop))
		usleep(100);
	return NULL;
}

/* Starts a preempter() on each of the first n CPUs; 0 or an errno. */
static int start_preempters(pthread_t *th, int n, int *stop)
{
	pthread_attr_t attr;
	cpu_set_t cpus;
	int i, ret = 0;

	for (i = 0; i < n && !ret; i++) {
		ret = pthread_attr_init(&attr);
		if (ret)
			break;
		CPU_ZERO(&cpus);
		CPU_SET(i, &cpus);
		ret = pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
		ret = ret ?: pthread_create(&th[i], &attr, preempter, stop);
		pthread_attr_destroy(&attr);
	}
	return ret;
}

/*
 * Samples where the threads of this process sleep: /proc/self/task/T/syscall
 * shows the user PC of a thread asleep outside a system call. One asleep
 * right after the breakpoint trapped and waits there: for an XOL slot.
 */
static void *xol_watch(void *p)
{
	unsigned long bp = (unsigned long)&stress_step, sp, pc;
	struct xol_run *r = p;
	char path[64], buf[128];
	struct dirent *d;
	int waiting, fd;
	long nr;
	ssize_t n;
	DIR *dir;

	while (!LOAD(&r->stop)) {
		dir = opendir("/proc/self/task");
		waiting = 0;
		while (dir && (d = readdir(dir))) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/self/task/%.16s/syscall", d->d_name);
			fd = open(path, O_RDONLY);
			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			if (sscanf(buf, "%ld 0x%lx 0x%lx", &nr, &sp, &pc) == 3 && nr == -1 &&
			    (pc == bp || pc == bp + 1))
				waiting++;
		}
		if (dir)
			closedir(dir);
		if (waiting > r->max_wait)
			r->max_wait = waiting;
		sleep_ms(5);
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, xol_overflow, 300)
{
	pthread_t th[XOL_THREADS], watcher, preempt[MAX_CPUS];
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), rounds = 0, i, n;
	struct xol_run r = { .bad = 0 };
	double t0 = now(), end = t0 + self->secs;
	pthread_attr_t attr;
	char *maps;

	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	ASSERT_EQ(0, tprobe_add("p", "xol_step", tgt.exe, tgt.step, 0));
	ASSERT_EQ(0, probe_enable("xol_step", 1));
	ASSERT_EQ(0, pthread_create(&watcher, NULL, xol_watch, &r));
	ASSERT_EQ(0, start_preempters(preempt, ncpu, &r.stop));
	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, 64 * 1024));
	do {
		ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, XOL_THREADS));
		r.end = now() + XOL_ROUND_MS / 1000.0;
		for (n = 0; n < XOL_THREADS; n++)
			ASSERT_EQ(0, pthread_create(&th[n], &attr, xol_thread, &r));
		for (i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&r.go);
		rounds++;
		/* Up to three times as long if no thread was seen waiting yet. */
	} while (now() < end || (!LOAD(&r.max_wait) && now() < t0 + 3 * self->secs));
	STORE(&r.stop, 1);
	pthread_join(watcher, NULL);
	for (i = 0; i < ncpu; i++)
		pthread_join(preempt[i], NULL);

	maps = read_all("/proc/self/maps", NULL);
	ASSERT_NE(NULL, maps);
	EXPECT_NE(NULL, strstr(maps, "[uprobes]")) TH_LOG("no XOL area: was nothing stepped?");
	free(maps);
	TH_LOG("%d rounds of %d threads, %ld calls, %ld hits, %.1f us per call", rounds,
	       XOL_THREADS, r.calls, probe_hits("xol_step"),
	       (now() - t0) * 1e6 / (r.calls ? r.calls : 1));
	TH_LOG("at most %d threads seen asleep waiting for one of the %lu XOL slots",
	       r.max_wait, PAGE / 128 - 1);
	/*
	 * On a debug kernel (make check-debug sets UPROBES_STRESS_SLOW) a call
	 * costs half a millisecond, most of it outside the slot, and the
	 * sampler has not caught a thread waiting there: a run that saw none
	 * says so, and the exact hits and results below still have to hold.
	 */
	if (!r.max_wait && getenv("UPROBES_STRESS_SLOW"))
		TH_LOG("no thread seen waiting for a slot (UPROBES_STRESS_SLOW)");
	else
		EXPECT_LT(0, r.max_wait) TH_LOG("the XOL slots never ran out");
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(r.calls, probe_hits("xol_step"));
	/* The checks see a breakpoint: its byte, and the page, an anonymous copy. */
	EXPECT_LE(2, check_text(_metadata, 0, false));
	ASSERT_EQ(0, probe_enable("xol_step", 0));
	ASSERT_EQ(0, probe_del("xol_step"));
	final_checks(_metadata, &self->base, NULL, NULL, 0);
}

/* ---- processes killed while their threads step ---- */

/* The threads of a kill_stepping child start together. */
static pthread_barrier_t kill_go;

static void *kill_thread(void *p)
{
	int (*step)(int x) = OPAQUE(&stress_step);
	int (*emul)(int x) = OPAQUE(&stress_emul);
	struct shared *sh = p;
	int i;

	pthread_barrier_wait(&kill_go);
	STORE(&sh->tids[INC(&sh->ready) % KILL_THREADS], gettid());
	for (i = 0;; i = (i + 1) & 0xffff)
		if (step(i) != 5 * i + 7 || emul(i) != 2 * i + 3)
			note_bad(sh, "pid %d: wrong result at %d", getpid(), i);
	return NULL;
}

/*
 * n threads stepping; if n is KILL_THREADS, more than there are XOL slots,
 * preempted often so that they run out of them.
 */
static void kill_child(struct shared *sh, long n)
{
	static int never;
	pthread_t t, pre[MAX_CPUS];
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), i;

	pthread_barrier_init(&kill_go, NULL, n);
	for (i = 1; i < n; i++)
		if (pthread_create(&t, NULL, kill_thread, sh))
			note_bad(sh, "pthread_create: %s", strerror(errno));
	i = n < KILL_THREADS ? 0 : start_preempters(pre, ncpu < MAX_CPUS ? ncpu : MAX_CPUS,
						     &never);
	if (i)
		note_bad(sh, "preempter threads: %s", strerror(i));
	kill_thread(sh);
}

TEST_F_TIMEOUT(stress, kill_stepping, 300)
{
	int (*step)(int x) = OPAQUE(&stress_step);
	struct shared *sh = shared_new();
	double t0 = now(), end = t0 + self->secs;
	unsigned int seed = 4;
	int rounds = 0, status, i, n;
	double t, ready_s[2] = { 0 }, reap_s[2] = { 0 };
	pid_t pid, tid;
	long h0;

	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, tprobe_add("p", "kill_step", tgt.exe, tgt.step, 0));
	ASSERT_EQ(0, tprobe_add("r", "kill_ret", tgt.exe, tgt.emul, 0));
	ASSERT_EQ(0, probe_enable("kill_step", 1));
	ASSERT_EQ(0, probe_enable("kill_ret", 1));
	do {
		/* Rounds of 8 threads, and of KILL_THREADS preempted ones. */
		n = rounds % 4 < 2 ? 8 : KILL_THREADS;
		STORE(&sh->ready, 0);
		t = now();
		pid = spawn(kill_child, sh, n);
		ASSERT_LT(0, pid);
		ASSERT_TRUE(wait_count(&sh->ready, n, 30));
		ready_s[n > 8] += now() - t;
		sleep_ms(1 + rand_r(&seed) % 15);
		/* One thread, which takes the whole process with it, or the process. */
		tid = LOAD(&sh->tids[rand_r(&seed) % n]);
		if (rounds % 2 == 0 || syscall(SYS_tgkill, pid, tid, SIGKILL))
			kill(pid, SIGKILL);
		t = now();
		status = wait_status(pid);
		reap_s[n > 8] += now() - t;
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: child status %#x", rounds, status);
		rounds++;
	} while (now() < end);
	TH_LOG("%d processes of 8 or %d threads killed, %ld entry and %ld return hits", rounds,
	       KILL_THREADS, probe_hits("kill_step"), probe_hits("kill_ret"));
	TH_LOG("starting them took %.2f s and %.2f s, killing them %.2f s and %.2f s",
	       ready_s[0], ready_s[1], reap_s[0], reap_s[1]);
	EXPECT_EQ(0, sh->bad) TH_LOG("%d failures, first: %s", sh->bad, sh->why);

	/* The probe still works, exactly, in this process. */
	h0 = probe_hits("kill_step");
	for (i = 0; i < 100; i++)
		ASSERT_EQ(5 * i + 7, step(i));
	EXPECT_EQ(h0 + 100, probe_hits("kill_step"));
	probes_clear_all();
	final_checks(_metadata, &self->base, NULL, NULL, 0);
}

/* ---- exit_group while threads are inside return-probed functions ---- */

#define EXIT_THREADS	8

struct exit_arg {
	struct shared *sh;
	int fd;
};

static void *exit_thread(void *p)
{
	struct exit_arg *a = p;
	long r;
	char c;

	for (;;) {
		INC(&a->sh->ready);
		r = stress_block_outer(a->fd, &c);
		if (r != 102)
			note_bad(a->sh, "stress_block_outer returned %ld, not 102", r);
		__atomic_fetch_add(&a->sh->calls, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *exit_now(void *p)
{
	struct exit_arg *a = p;

	wait_count(&a->sh->ready, EXIT_THREADS + 1, 20);
	sleep_ms(1);
	syscall(SYS_exit_group, 0);
	return NULL;
}

/*
 * mode 0: the main thread exits while EXIT_THREADS threads are blocked in
 * stress_block() under stress_block_outer(), both return-probed; mode 1:
 * it releases half of them first, which return through the probes as it
 * exits; mode 2: another thread exits while the main thread is blocked too.
 */
static void exit_child(struct shared *sh, long mode)
{
	static struct exit_arg a;
	int p[2], i;
	pthread_t t;

	alarm(30);
	if (pipe(p)) {
		note_bad(sh, "pipe: %s", strerror(errno));
		return;
	}
	a.sh = sh;
	a.fd = p[0];
	for (i = 0; i < EXIT_THREADS; i++)
		if (pthread_create(&t, NULL, exit_thread, &a))
			note_bad(sh, "pthread_create: %s", strerror(errno));
	if (mode == 2) {
		if (pthread_create(&t, NULL, exit_now, &a))
			note_bad(sh, "pthread_create: %s", strerror(errno));
		exit_thread(&a);
	}
	wait_count(&sh->ready, EXIT_THREADS, 20);
	sleep_ms(1);
	if (mode == 1 && write(p[1], "abcd", EXIT_THREADS / 2) != EXIT_THREADS / 2)
		note_bad(sh, "write: %s", strerror(errno));
	syscall(SYS_exit_group, 0);
}

TEST_F_TIMEOUT(stress, exit_in_retprobe, 300)
{
	int fds[MAX_CPUS], ncpu = sysconf(_SC_NPROCESSORS_ONLN), type = pmu_type();
	int rounds = 0, released = 0, status, p[2], i;
	struct shared *sh = shared_new();
	double t0 = now(), end = t0 + self->secs;
	__u64 count, returns = 0;
	long r0, o0;
	pid_t pid;
	char c;

	ASSERT_NE(NULL, sh);
	ASSERT_LE(0, type) TH_LOG("no uprobe PMU");
	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	/* perf counts the returns themselves (uprobe_profile counts entries). */
	for (i = 0; i < ncpu; i++) {
		fds[i] = perf_uprobe(type, tgt.exe, tgt.block, 0, true, i);
		ASSERT_LE(0, fds[i]) TH_LOG("perf_event_open: %m");
	}
	ASSERT_EQ(0, tprobe_add("p", "exit_entry", tgt.exe, tgt.block, 0));
	ASSERT_EQ(0, tprobe_add("r", "exit_ret", tgt.exe, tgt.block, 0));
	ASSERT_EQ(0, tprobe_add("r", "exit_outer", tgt.exe, tgt.outer, 0));
	ASSERT_EQ(0, group_enable(1));
	do {
		STORE(&sh->ready, 0);
		pid = spawn(exit_child, sh, rounds % 3);
		ASSERT_LT(0, pid);
		status = wait_status(pid);
		ASSERT_TRUE(exited_ok(status))
			TH_LOG("round %d (mode %d): child status %#x", rounds, rounds % 3, status);
		if (rounds % 3 == 1)
			released += EXIT_THREADS / 2;
		rounds++;
	} while (now() < end);
	TH_LOG("%d processes exited; hits: entry %ld, return %ld, outer return %ld", rounds,
	       probe_hits("exit_entry"), probe_hits("exit_ret"), probe_hits("exit_outer"));
	EXPECT_EQ(0, sh->bad) TH_LOG("%d failures, first: %s", sh->bad, sh->why);

	/* The return probes still work, exactly, in this process. */
	r0 = probe_hits("exit_ret");
	o0 = probe_hits("exit_outer");
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(1, write(p[1], "x", 1));
	EXPECT_EQ(102, stress_block_outer(p[0], &c));
	EXPECT_EQ(r0 + 1, probe_hits("exit_ret"));
	EXPECT_EQ(o0 + 1, probe_hits("exit_outer"));
	close(p[0]);
	close(p[1]);

	/* No return is reported for a thread that never returned. */
	for (i = 0; i < ncpu; i++) {
		ASSERT_EQ(8, read(fds[i], &count, sizeof(count)));
		returns += count;
		close(fds[i]);
	}
	TH_LOG("returns: %llu seen by perf, %ld counted by the threads, %d released + 1",
	       (unsigned long long)returns, sh->calls, released);
	EXPECT_LE(sh->calls + 1, returns);
	EXPECT_GE(released + 1, returns);
	probes_clear_all();
	final_checks(_metadata, &self->base, NULL, NULL, 0);
}

/* ---- a thousand probes on one file ---- */

#define SLED_HITTERS	3
#define SLED_EXACT	3
#define SLED_PAUSE_MS	30

/*
 * Calls stress_sled() every SLED_PAUSE_MS: one call through 1000 probes
 * takes milliseconds, and without a pause three of these starve the
 * registering thread of the two CPUs under TCG (a 1000-probe link then
 * takes half a minute to create).
 */
static void sled_hitter(struct shared *sh, long id)
{
	int (*sled)(int x) = OPAQUE(&stress_sled);
	long i;

	INC(&sh->ready);
	for (i = 0; !LOAD(&sh->stop); i++) {
		if (sled(i & 0xffff) != (i & 0xffff) + 1000)
			note_bad(sh, "pid %d: stress_sled wrong at %ld", getpid(), i);
		sleep_ms(SLED_PAUSE_MS);
	}
	__atomic_fetch_add(&sh->calls, i, __ATOMIC_RELAXED);
	idle_until_quit(sh);
}

static int call_sled(int n)
{
	int (*sled)(int x) = OPAQUE(&stress_sled);
	int i, bad = 0;

	for (i = 0; i < n; i++)
		bad += sled(i) != i + 1000;
	return bad;
}

/* The uprobe_profile hits of GROUP/t0 .. t<n-1> into hits[] (-1: not listed). */
static int sled_profile(long *hits, int n)
{
	char *buf = read_all(TRACEFS "/uprobe_profile", NULL), *line, *save = NULL;
	char file[PATH_MAX], event[256];
	unsigned long h;
	int i, k;

	if (!buf)
		return -1;
	for (i = 0; i < n; i++)
		hits[i] = -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *ev;

		if (sscanf(line, "%4095s %255s %lu", file, event, &h) != 3)
			continue;
		ev = strchr(event, '/');
		if (sscanf(ev ? ev + 1 : event, "t%d", &k) != 1)
			continue;
		if (k >= 0 && k < n)
			hits[k] = h;
	}
	free(buf);
	return 0;
}

TEST_F_TIMEOUT(stress, thousand_probes, 300)
{
	static unsigned long offs[STRESS_SLED_INSNS];
	static __u64 cookies[STRESS_SLED_INSNS], before[STRESS_SLED_INSNS];
	static long h0[STRESS_SLED_INSNS], h1[STRESS_SLED_INSNS];
	struct shared *sh = shared_new();
	pid_t pids[SLED_HITTERS];
	double t0 = now(), t, link_s = 0, close_s = 0;
	int map, prog, link, i, rounds = 0, wrong = 0;
	char name[32];

	ASSERT_NE(NULL, sh);
	for (i = 0; i < STRESS_SLED_INSNS; i++) {
		offs[i] = tgt.sled_body + i * STRESS_SLED_INSN_LEN;
		cookies[i] = i;
	}
	map = bpf_array(STRESS_SLED_INSNS);
	ASSERT_LE(0, map) TH_LOG("BPF_MAP_CREATE: %m");
	prog = bpf_counter_prog(map);
	ASSERT_LE(0, prog) TH_LOG("BPF_PROG_LOAD: %m");
	for (i = 0; i < SLED_HITTERS; i++) {
		pids[i] = spawn_nice(sled_hitter, sh, i, 10);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_TRUE(wait_count(&sh->ready, SLED_HITTERS, 30));

	/* A uprobe_multi link on all 1000, created and closed in a loop. */
	do {
		t = now();
		link = bpf_umulti(prog, tgt.exe, offs, NULL, cookies, STRESS_SLED_INSNS, 0);
		ASSERT_LE(0, link) TH_LOG("BPF_LINK_CREATE of %d: %m", STRESS_SLED_INSNS);
		link_s += now() - t;
		sleep_ms(5);
		t = now();
		close(link);
		close_s += now() - t;
		rounds++;
	} while (now() < t0 + self->secs / 2);
	TH_LOG("uprobe_multi: %d links of %d probes, %.1f ms to create, %.1f ms to close",
	       rounds, STRESS_SLED_INSNS, link_s * 1e3 / rounds, close_s * 1e3 / rounds);

	/* 1000 uprobe_events probes, enabled and disabled in a loop. */
	t = now();
	for (i = 0; i < STRESS_SLED_INSNS; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		ASSERT_EQ(0, tprobe_add("p", name, tgt.exe, offs[i], 0));
	}
	TH_LOG("%d uprobe_events probes added in %.2f s", STRESS_SLED_INSNS, now() - t);
	t = now();
	rounds = 0;
	do {
		ASSERT_EQ(0, group_enable(1));
		sleep_ms(5);
		ASSERT_EQ(0, group_enable(0));
		rounds++;
	} while (now() < t0 + self->secs);
	TH_LOG("%d rounds of enabling and disabling them, %.1f ms each", rounds,
	       (now() - t) * 1e3 / rounds);

	/* Exact counts, with the hitters stopped. */
	STORE(&sh->stop, 1);
	ASSERT_TRUE(wait_count(&sh->idle, SLED_HITTERS, 30));
	ASSERT_EQ(0, group_enable(1));
	ASSERT_EQ(0, sled_profile(h0, STRESS_SLED_INSNS));
	EXPECT_EQ(0, call_sled(SLED_EXACT));
	ASSERT_EQ(0, sled_profile(h1, STRESS_SLED_INSNS));
	ASSERT_EQ(0, group_enable(0));
	for (i = 0; i < STRESS_SLED_INSNS; i++)
		wrong += h1[i] - h0[i] != SLED_EXACT;
	EXPECT_EQ(0, wrong) TH_LOG("%d uprobe_events probes missed hits (t0: %ld -> %ld)",
				   wrong, h0[0], h1[0]);

	for (i = 0; i < STRESS_SLED_INSNS; i++)
		before[i] = bpf_get(map, i);
	link = bpf_umulti(prog, tgt.exe, offs, NULL, cookies, STRESS_SLED_INSNS, 0);
	ASSERT_LE(0, link) TH_LOG("BPF_LINK_CREATE of %d: %m", STRESS_SLED_INSNS);
	EXPECT_EQ(0, call_sled(SLED_EXACT));
	close(link);
	wrong = 0;
	for (i = 0; i < STRESS_SLED_INSNS; i++)
		wrong += bpf_get(map, i) - before[i] != SLED_EXACT;
	EXPECT_EQ(0, wrong) TH_LOG("%d uprobe_multi probes missed hits", wrong);
	close(prog);
	close(map);

	TH_LOG("hitters: %ld calls of stress_sled", sh->calls);
	EXPECT_EQ(0, sh->bad) TH_LOG("%d failures, first: %s", sh->bad, sh->why);
	t = now();
	/* Only this test's group: other users' events stay */
	EXPECT_EQ(0, write_file(TRACEFS "/uprobe_events", "-:" GROUP "/\n", O_APPEND));
	TH_LOG("removing the %d uprobe_events probes took %.2f s", STRESS_SLED_INSNS, now() - t);
	final_checks(_metadata, &self->base, sh, pids, SLED_HITTERS);
	TH_LOG("took %.1f s", now() - t0);
}

/* ---- one probe on libc, in fifty processes ---- */

#define LIBC_PROCS	50

static void labs_caller(struct shared *sh, long id)
{
	long (*f)(long x) = OPAQUE(&labs);
	long i;

	INC(&sh->ready);
	for (i = 1; !LOAD(&sh->stop); i++) {
		if (f(-i) != i)
			note_bad(sh, "pid %d: labs(-%ld) wrong", getpid(), i);
		if (i % 10 == 0)
			sleep_ms(5);
	}
	__atomic_fetch_add(&sh->calls, i, __ATOMIC_RELAXED);
	idle_until_quit(sh);
}

TEST_F_TIMEOUT(stress, fifty_processes, 300)
{
	static const char * const names[] = { "uprobe_events", "perf PMU", "uprobe_multi" };
	int fds[MAX_CPUS], ncpu = sysconf(_SC_NPROCESSORS_ONLN), type = pmu_type();
	long (*f)(long x) = OPAQUE(&labs);
	struct shared *sh = shared_new();
	pid_t pids[LIBC_PROCS];
	double t0 = now(), end;
	long hits[3] = { 0 }, h;
	int rounds[3] = { 0 }, empty[3] = { 0 };
	int map, prog, link, i, k, round;
	__u64 cookie = 0, before;

	ASSERT_NE(NULL, sh);
	ASSERT_LE(0, type) TH_LOG("no uprobe PMU");
	ASSERT_EQ(5, f(-5));
	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	map = bpf_array(1);
	ASSERT_LE(0, map) TH_LOG("BPF_MAP_CREATE: %m");
	prog = bpf_counter_prog(map);
	ASSERT_LE(0, prog) TH_LOG("BPF_PROG_LOAD: %m");
	for (i = 0; i < LIBC_PROCS; i++) {
		pids[i] = spawn_nice(labs_caller, sh, i, 10);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_TRUE(wait_count(&sh->ready, LIBC_PROCS, 60));
	TH_LOG("%d processes calling labs() from %s, started in %.1f s", LIBC_PROCS, tgt.libc,
	       now() - t0);

	end = now() + self->secs;
	for (round = 0; now() < end; round++) {
		k = round % 3;
		switch (k) {
		case 0:
			ASSERT_EQ(0, tprobe_add("p", "labs", tgt.libc, tgt.labs, 0));
			ASSERT_EQ(0, probe_enable("labs", 1));
			sleep_ms(30);
			h = probe_hits("labs");
			ASSERT_EQ(0, probe_enable("labs", 0));
			ASSERT_EQ(0, probe_del("labs"));
			break;
		case 1:
			for (i = 0; i < ncpu; i++) {
				fds[i] = perf_uprobe(type, tgt.libc, tgt.labs, 0, false, i);
				ASSERT_LE(0, fds[i]) TH_LOG("perf_event_open: %m");
			}
			sleep_ms(30);
			for (h = 0, i = 0; i < ncpu; i++) {
				__u64 count = 0;

				ASSERT_EQ(8, read(fds[i], &count, sizeof(count)));
				h += count;
				close(fds[i]);
			}
			break;
		default:
			before = bpf_get(map, 0);
			link = bpf_umulti(prog, tgt.libc, &tgt.labs, NULL, &cookie, 1, 0);
			ASSERT_LE(0, link) TH_LOG("BPF_LINK_CREATE: %m");
			sleep_ms(30);
			close(link);
			h = bpf_get(map, 0) - before;
			break;
		}
		hits[k] += h;
		rounds[k]++;
		empty[k] += h <= 0;
	}
	STORE(&sh->stop, 1);
	ASSERT_TRUE(wait_count(&sh->idle, LIBC_PROCS, 60));
	for (k = 0; k < 3; k++) {
		TH_LOG("%s: %d rounds, %ld hits, %d rounds without any", names[k], rounds[k],
		       hits[k], empty[k]);
		EXPECT_LT(0, hits[k]);
	}
	TH_LOG("%ld calls of labs() in all", sh->calls);
	EXPECT_EQ(0, sh->bad) TH_LOG("%d failures, first: %s", sh->bad, sh->why);
	close(prog);
	close(map);
	final_checks(_metadata, &self->base, sh, pids, LIBC_PROCS);
	TH_LOG("took %.1f s", now() - t0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--hit"))
		return hit_rounds(atoi(argv[2])) ? 1 : 0;
	return test_harness_run(argc, argv);
}
