// SPDX-License-Identifier: GPL-2.0
/*
 * uprobes selftest: bad input to every way of making a uprobe.
 *
 * The perf "uprobe" PMU gets bad path pointers, bad offsets and every single
 * bit of its ref_ctr_offset field; the BPF uprobe_multi link gets bad
 * counts, arrays, paths, pids and flags; uprobe_events gets places that are
 * not executable code in a regular file (a directory, a device node, data,
 * a pseudo file) and files in odd states (open for writing, mapped without
 * PROT_EXEC or shared, truncated under the probe, on tmpfs, memfd or a
 * read-only mount); an unprivileged process tries all three interfaces.
 *
 * Each refusal must come with the expected errno and leave nothing behind:
 * the probed function's bytes in this process must match the file and it
 * must still compute the right value, and a valid probe made afterwards
 * must count exactly. What is accepted must be harmless: no breakpoint in
 * a mapping that is not a private executable one, no byte of a file
 * changed. The last test fails if the kernel logged a splat meanwhile.
 *
 * x86-64 only: bi_never() is hand-written x86 code with known instruction
 * boundaries, and the code files written to tmpfs are x86 instructions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/elf.h>
#include <linux/perf_event.h>

#include "../kselftest_harness.h"
#include "uprobes_util.h"

const char *const probe_group = "badinput";

#define PMU_DIR		"/sys/bus/event_source/devices/uprobe"
#define PG		4096UL
#define NOBODY		65534
/* Neither mapped nor mappable by user space: access_ok() refuses it */
#define KERNEL_PTR	0xffffffff81000000ULL
/* bpf_trace.c's MAX_UPROBE_MULTI_CNT */
#define UM_MAX_CNT	(1024U * 1024U)

/* Hide a value from the optimiser so calls cannot be inlined or cloned. */
#define OPAQUE(x) ({ __typeof__(x) __v = (x); asm volatile("" : "+r"(__v)); __v; })

/* The probed function. Only ever called through OPAQUE(). */
int bi_target(int x)
{
	asm volatile("" ::: "memory");
	return x * 5 + 3;
}

/*
 * Never called: probes go between its instruction boundaries. It is a
 * 10-byte movabs (48 b8 imm64) and a ret.
 */
int bi_never(void);
asm(".text\n"
	".globl bi_never\n"
	".type bi_never, @function\n"
	"bi_never:\n"
	"movabsq $0x1122334455667788, %rax\n"
	"ret\n"
	".size bi_never, . - bi_never\n");

/* Probes on data: one read-only, one writable, never executed */
static const char bi_rodata[64] = "read-only data that a probe must never change";
char bi_data[64] = "writable data that a probe must never change";

/*
 * USDT-style semaphores: the first two, 0 at start; the last makes the
 * array file-backed (.data, not .bss), so that they have file offsets.
 */
unsigned short bi_sema[4] = { 0, 0, 0, 1 };

/* A counter's value; the kernel may change it behind the compiler's back */
static unsigned short peek16(const void *p)
{
	return __atomic_load_n((const unsigned short *)p, __ATOMIC_RELAXED);
}

/* int f(int x) { return x + 7; }: push %rbp; mov %rsp,%rbp; lea 7(%rdi),%eax; pop %rbp; ret */
static const unsigned char code_bytes[] = {
	0x55, 0x48, 0x89, 0xe5, 0x8d, 0x47, 0x07, 0x5d, 0xc3,
};

/* /dev/kmsg from before the first test on (see kernel_log_clean) */
static int kmsg_fd = -1;

static void __attribute__((constructor)) kmsg_mark(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

static int call_code(const void *p, int x)
{
	int (*fn)(int x) = OPAQUE((int (*)(int))p);

	return fn(x);
}

/* Are the len bytes at map those of fd at off? */
static bool same_as_file(int fd, off_t off, const void *map, size_t len)
{
	unsigned char *buf = malloc(len);
	bool same;

	if (!buf)
		return false;
	same = pread(fd, buf, len, off) == (ssize_t)len && !memcmp(buf, map, len);
	free(buf);
	return same;
}

/* A file of npages pages, each starting with code_bytes, the rest zero */
static int code_file_fd(int fd, int npages)
{
	unsigned char page[PG];
	int i;

	if (fd < 0)
		return -1;
	memset(page, 0, sizeof(page));
	memcpy(page, code_bytes, sizeof(code_bytes));
	for (i = 0; i < npages; i++) {
		if (pwrite(fd, page, PG, i * PG) != (ssize_t)PG) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int code_file(const char *path, int npages)
{
	unlink(path);
	return code_file_fd(open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0755), npages);
}

/* A page that is not mapped (mapped, then unmapped) */
static void *hole(void)
{
	void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, PG);
	return p;
}

/*
 * A page of 'a's followed by an unmapped page: the string at its start is
 * exactly PATH_MAX bytes long without a NUL, the one at its end runs into
 * the hole.
 */
static char *unterminated(void)
{
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 'a', PG);
	munmap(p + PG, PG);
	return p;
}

static int read_int(const char *path, int *val)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%d", val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* The bits of attr.config that PMU format file name holds: "config:LO[-HI]" */
static int pmu_format(const char *name, int *lo, int *hi)
{
	char path[256], buf[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), PMU_DIR "/format/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = 0;
	if (fgets(buf, sizeof(buf), f))
		n = sscanf(buf, "config:%d-%d", lo, hi);
	fclose(f);
	if (n == 1)
		*hi = *lo;
	return n >= 1 ? 0 : -EINVAL;
}

/* ---- the perf uprobe PMU ---- */

static int pmu_type = -1;

/* A uprobe PMU event on this process; its fd or -errno */
static int pmu_open(__u64 config, __u64 config1, __u64 config2, bool exclude_kernel)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = pmu_type;
	attr.config = config;
	attr.config1 = config1;
	attr.config2 = config2;
	attr.exclude_kernel = exclude_kernel;
	attr.exclude_hv = exclude_kernel;
	fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static long long pmu_count(int fd)
{
	__u64 n;

	return read(fd, &n, sizeof(n)) == sizeof(n) ? (long long)n : -1;
}

/* ---- the BPF uprobe_multi link ---- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static int map_create(void)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = sizeof(__u32);
	attr.value_size = sizeof(__u64);
	attr.max_entries = 1;
	fd = sys_bpf(BPF_MAP_CREATE, &attr);
	return fd < 0 ? -errno : fd;
}

static long long map_count(int map_fd)
{
	union bpf_attr attr;
	__u32 key = 0;
	__u64 val;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map_fd;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)&val;
	return sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr) ? -1 : (long long)val;
}

/*
 * A BPF_PROG_TYPE_KPROBE program with expected attach type eat: without a
 * map "return 0", with one it also adds 1 to the map's only slot. Its fd
 * or -errno.
 */
static int prog_load(int map_fd, enum bpf_attach_type eat)
{
	struct bpf_insn count[] = {
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4),
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1),
		INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct bpf_insn *insns = count;
	unsigned int cnt = ARRAY_SIZE(count);
	union bpf_attr attr;
	int fd;

	if (map_fd < 0) {
		insns = &count[ARRAY_SIZE(count) - 2];
		cnt = 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_KPROBE;
	attr.expected_attach_type = eat;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = cnt;
	attr.license = (unsigned long)"GPL";
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	return fd < 0 ? -errno : fd;
}

struct um_args {
	__u64 path;
	__u64 offsets;
	__u64 refs;
	__u64 cookies;
	__u32 cnt;
	__u32 flags;
	__u32 pid;
};

#define PTR(p)	((__u64)(unsigned long)(p))

/* BPF_LINK_CREATE of an uprobe_multi link; its fd or -errno */
static int um_link(int prog_fd, const struct um_args *a)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.attach_type = BPF_TRACE_UPROBE_MULTI;
	attr.link_create.uprobe_multi.path = a->path;
	attr.link_create.uprobe_multi.offsets = a->offsets;
	attr.link_create.uprobe_multi.ref_ctr_offsets = a->refs;
	attr.link_create.uprobe_multi.cookies = a->cookies;
	attr.link_create.uprobe_multi.cnt = a->cnt;
	attr.link_create.uprobe_multi.flags = a->flags;
	attr.link_create.uprobe_multi.pid = a->pid;
	fd = sys_bpf(BPF_LINK_CREATE, &attr);
	return fd < 0 ? -errno : fd;
}

/* ---- the fixture ---- */

/* This program's file: its path, an fd, its size and the symbols' offsets */
static struct {
	char path[PATH_MAX];
	int fd;
	off_t size;
	unsigned long target, never, rodata, data, sema;
} exe;

FIXTURE(badinput) {
	int map_fd;	/* of the counting program */
	int prog_fd;	/* "return 0" for BPF_TRACE_UPROBE_MULTI */
};

FIXTURE_SETUP(badinput)
{
	struct stat st;

	self->map_fd = -1;
	self->prog_fd = -1;
	ASSERT_EQ(0, self_exe(exe.path, sizeof(exe.path)));
	exe.fd = open(exe.path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, exe.fd);
	ASSERT_EQ(0, fstat(exe.fd, &st));
	exe.size = st.st_size;
	ASSERT_EQ(0, elf_sym_offset(exe.path, "bi_target", &exe.target));
	ASSERT_EQ(0, elf_sym_offset(exe.path, "bi_never", &exe.never));
	ASSERT_EQ(0, elf_sym_offset(exe.path, "bi_rodata", &exe.rodata));
	ASSERT_EQ(0, elf_sym_offset(exe.path, "bi_data", &exe.data));
	ASSERT_EQ(0, elf_sym_offset(exe.path, "bi_sema", &exe.sema));
	if (access(TRACEFS "/uprobe_events", W_OK))
		SKIP(return, "no " TRACEFS "/uprobe_events (CONFIG_UPROBE_EVENTS)");
	if (read_int(PMU_DIR "/type", &pmu_type))
		SKIP(return, "no uprobe PMU (" PMU_DIR ")");
	self->map_fd = map_create();
	if (self->map_fd < 0)
		SKIP(return, "BPF_MAP_CREATE: %s (CONFIG_BPF_SYSCALL)", strerror(-self->map_fd));
	self->prog_fd = prog_load(-1, BPF_TRACE_UPROBE_MULTI);
	if (self->prog_fd < 0)
		SKIP(return, "BPF_PROG_LOAD: %s (CONFIG_BPF_EVENTS)", strerror(-self->prog_fd));
	probes_clear_all();
}

/* In the parent, so probes go away even if the test process crashes. */
FIXTURE_TEARDOWN_PARENT(badinput)
{
	if (!access(TRACEFS "/uprobe_events", W_OK))
		probes_clear_all();
	unlink("/tmp/badinput_code");
	unlink("/tmp/badinput_trunc");
	unlink("/tmp/badinput_true");
}

/* No breakpoint left in bi_target(), and it still computes its value */
static bool target_clean(void)
{
	return same_as_file(exe.fd, exe.target, bi_target, 16) &&
	       OPAQUE(&bi_target)(11) == 58;
}

/* A valid probe on bi_target() counts exactly, entry and return */
TEST_F(badinput, pmu_valid_probe_counts)
{
	int lo, hi, fd, i;

	ASSERT_EQ(0, pmu_format("retprobe", &lo, &hi));
	fd = pmu_open(0, PTR(exe.path), exe.target, false);
	ASSERT_LE(0, fd) TH_LOG("valid probe: %s", strerror(-fd));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(i * 5 + 3, OPAQUE(&bi_target)(i));
	EXPECT_EQ(10, pmu_count(fd));
	close(fd);
	EXPECT_TRUE(target_clean());

	fd = pmu_open(1ULL << lo, PTR(exe.path), exe.target, false);
	ASSERT_LE(0, fd) TH_LOG("valid retprobe: %s", strerror(-fd));
	for (i = 0; i < 7; i++)
		ASSERT_EQ(i * 5 + 3, OPAQUE(&bi_target)(i));
	EXPECT_EQ(7, pmu_count(fd));
	close(fd);
	EXPECT_TRUE(target_clean());
}

/* A path argument that is no usable path, and what each interface says */
struct bad_path {
	const char *what;
	__u64 ptr;
	int pmu_err;	/* perf_uprobe_init(): strndup_user(), then the lookup */
	int bpf_err;	/* bpf_uprobe_multi_link_attach(): the same, other codes */
};

static int bad_paths(struct bad_path *c)
{
	static char longp[PATH_MAX + 1000], longname[PATH_MAX];
	char *un = unterminated();
	int n = 0;

	if (!un)
		return -1;
	memset(longp, '/', sizeof(longp) - 1);
	/* A name component far over NAME_MAX, the whole under PATH_MAX */
	longname[0] = '/';
	memset(longname + 1, 'x', PATH_MAX - 100);
	c[n++] = (struct bad_path){ "NULL", 0, EINVAL, EINVAL };
	c[n++] = (struct bad_path){ "unmapped", PTR(hole()), EFAULT, EFAULT };
	c[n++] = (struct bad_path){ "a kernel address", KERNEL_PTR, EFAULT, EFAULT };
	c[n++] = (struct bad_path){ "unterminated, into a hole", PTR(un + PG - 40),
				    EFAULT, EFAULT };
	/* strndup_user()'s EINVAL: perf makes it E2BIG, bpf passes it on */
	c[n++] = (struct bad_path){ "PATH_MAX bytes, no NUL", PTR(un), E2BIG, EINVAL };
	c[n++] = (struct bad_path){ "longer than PATH_MAX", PTR(longp), E2BIG, EINVAL };
	c[n++] = (struct bad_path){ "component over NAME_MAX", PTR(longname),
				    ENAMETOOLONG, ENAMETOOLONG };
	/* perf refuses ""; kern_path() takes it for the working directory */
	c[n++] = (struct bad_path){ "empty", PTR(""), EINVAL, EBADF };
	c[n++] = (struct bad_path){ "nonexistent", PTR("/nonexistent/badinput"),
				    ENOENT, ENOENT };
	c[n++] = (struct bad_path){ "relative, nonexistent", PTR("no-such-file-here"),
				    ENOENT, ENOENT };
	/* Not regular files: perf says EINVAL, bpf EBADF */
	c[n++] = (struct bad_path){ "a directory", PTR("/tmp"), EINVAL, EBADF };
	c[n++] = (struct bad_path){ "the root directory", PTR("/"), EINVAL, EBADF };
	c[n++] = (struct bad_path){ "a magic link to a directory", PTR("/proc/self/cwd"),
				    EINVAL, EBADF };
	c[n++] = (struct bad_path){ "a device node", PTR("/dev/null"), EINVAL, EBADF };
	c[n++] = (struct bad_path){ "tracefs", PTR(TRACEFS), EINVAL, EBADF };
	return n;
}

/* config1 (the path) that is no usable path: each open fails as it should */
TEST_F(badinput, pmu_bad_path)
{
	struct bad_path c[32];
	int i, fd, n = bad_paths(c);

	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		fd = pmu_open(0, c[i].ptr, 0, false);
		TH_LOG("config1 %s: %s", c[i].what, fd < 0 ? strerror(-fd) : "accepted");
		if (fd >= 0)
			close(fd);
		EXPECT_EQ(-c[i].pmu_err, fd) TH_LOG("config1 %s", c[i].what);
	}
	EXPECT_TRUE(target_clean());
}

/* config2 (the offset) past the end of the file, or negative as loff_t */
TEST_F(badinput, pmu_bad_offset)
{
	const __u64 offs[] = {
		exe.size, exe.size + 1, exe.size + PG, 1ULL << 32,
		1ULL << 62, 1ULL << 63, ~0ULL, ~0ULL - PG + 1,
	};
	int i, fd;

	for (i = 0; i < (int)ARRAY_SIZE(offs); i++) {
		fd = pmu_open(0, PTR(exe.path), offs[i], false);
		TH_LOG("config2 %#llx: %s", (unsigned long long)offs[i],
		       fd < 0 ? strerror(-fd) : "accepted");
		if (fd >= 0)
			close(fd);
		EXPECT_EQ(-EINVAL, fd);
	}
	/* The last byte is a valid place (no code, but a probe may go there) */
	fd = pmu_open(0, PTR(exe.path), exe.size - 1, false);
	TH_LOG("config2 at the last byte: %s", fd < 0 ? strerror(-fd) : "accepted");
	if (fd >= 0)
		close(fd);
	EXPECT_TRUE(target_clean());
}

/*
 * config2 between instruction boundaries of bi_never(), which is never
 * called: the kernel cannot know and may plant there. Whatever it does,
 * closing restores the bytes, and nothing else in the function changes.
 */
TEST_F(badinput, pmu_mid_instruction)
{
	unsigned char *fn = (unsigned char *)OPAQUE(&bi_never);
	int k, fd, planted = 0;

	ASSERT_TRUE(same_as_file(exe.fd, exe.never, fn, 11));
	ASSERT_EQ(0x48, fn[0]);
	ASSERT_EQ(0xb8, fn[1]);
	for (k = 1; k < 10; k++) {
		fd = pmu_open(0, PTR(exe.path), exe.never + k, false);
		if (fd < 0) {
			TH_LOG("bi_never+%d: %s", k, strerror(-fd));
			EXPECT_TRUE(fd == -EINVAL || fd == -EOPNOTSUPP);
		} else {
			int i, other = 0;

			/* Only the byte at +k may differ, and only as int3 */
			for (i = 0; i < 11; i++) {
				unsigned char b;

				ASSERT_EQ(1, pread(exe.fd, &b, 1, exe.never + i));
				if (fn[i] != b && (i != k || fn[i] != 0xcc))
					other++;
			}
			planted += fn[k] == 0xcc;
			TH_LOG("bi_never+%d: accepted, %s", k,
			       fn[k] == 0xcc ? "int3 planted" : "no int3");
			EXPECT_EQ(0, other);
			EXPECT_EQ(0, pmu_count(fd));
			close(fd);
		}
		EXPECT_TRUE(same_as_file(exe.fd, exe.never, fn, 11))
			TH_LOG("bi_never+%d: bytes not restored", k);
	}
	TH_LOG("%d of 9 mid-instruction probes planted", planted);
	EXPECT_TRUE(target_clean());
}

/* config2 at data: accepted or not, the data never changes */
TEST_F(badinput, pmu_data_offset)
{
	char ro[64], rw[64];
	int fd, fd2;

	memcpy(ro, bi_rodata, sizeof(ro));
	memcpy(rw, bi_data, sizeof(rw));
	fd = pmu_open(0, PTR(exe.path), exe.rodata, false);
	fd2 = pmu_open(0, PTR(exe.path), exe.data, false);
	TH_LOG(".rodata: %s, .data: %s", fd < 0 ? strerror(-fd) : "accepted",
	       fd2 < 0 ? strerror(-fd2) : "accepted");
	EXPECT_EQ(0, memcmp(ro, OPAQUE(&bi_rodata[0]), sizeof(ro)));
	EXPECT_EQ(0, memcmp(rw, OPAQUE(&bi_data[0]), sizeof(rw)));
	EXPECT_TRUE(same_as_file(exe.fd, exe.rodata, bi_rodata, sizeof(ro)));
	if (fd >= 0) {
		EXPECT_EQ(0, pmu_count(fd));
		close(fd);
	}
	if (fd2 >= 0) {
		EXPECT_EQ(0, pmu_count(fd2));
		close(fd2);
	}
	EXPECT_EQ(0, memcmp(rw, OPAQUE(&bi_data[0]), sizeof(rw)));
	EXPECT_TRUE(target_clean());
}

/* Bits of config that no format names: ignored or refused, never harmful */
TEST_F(badinput, pmu_unnamed_config_bits)
{
	int rlo, rhi, clo, chi, k, fd, i, accepted = 0;

	ASSERT_EQ(0, pmu_format("retprobe", &rlo, &rhi));
	ASSERT_EQ(0, pmu_format("ref_ctr_offset", &clo, &chi));
	for (k = 0; k < 64; k++) {
		if ((k >= rlo && k <= rhi) || (k >= clo && k <= chi))
			continue;
		fd = pmu_open(1ULL << k, PTR(exe.path), exe.target, false);
		if (fd < 0) {
			TH_LOG("config bit %d: %s", k, strerror(-fd));
			EXPECT_EQ(-EINVAL, fd);
			continue;
		}
		accepted++;
		for (i = 0; i < 3; i++)
			ASSERT_EQ(i * 5 + 3, OPAQUE(&bi_target)(i));
		EXPECT_EQ(3, pmu_count(fd)) TH_LOG("config bit %d", k);
		close(fd);
		EXPECT_TRUE(target_clean());
	}
	TH_LOG("%d unnamed config bits accepted (ignored)", accepted);
}

/* What a child saw with ref_ctr_offset 1 << k on a valid probe */
struct refctr_seen {
	int err;		/* of the open, 0 if it succeeded */
	long long count;	/* hits of 3 calls */
	int ro_changed;		/* counter bytes changed in non-writable mappings */
	int rw_bumped;		/* counters incremented in writable mappings */
	int not_restored;	/* counters changed after close */
};

struct exe_vma {
	unsigned long start, end, pgoff;
	bool writable;
};

/* This program's mappings of its own file */
static int exe_vmas(const char *exe, struct exe_vma *v, int max)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128], perms[8], path[PATH_MAX];
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned long s, e, pgoff, ino;

		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %lx %*s %lu %4095s", &s, &e, perms, &pgoff,
			   &ino, path) != 6 || strcmp(path, exe))
			continue;
		v[n].start = s;
		v[n].end = e;
		v[n].pgoff = pgoff;
		v[n].writable = perms[1] == 'w' && perms[3] == 'p';
		n++;
	}
	fclose(f);
	return n;
}

static void refctr_child(int k, int lo, const struct exe_vma *v, int nv, int wfd)
{
	unsigned long off = 1UL << k;
	struct refctr_seen seen = { 0 };
	unsigned short before[16];
	int i, fd;

	for (i = 0; i < nv; i++)
		before[i] = peek16((void *)(v[i].start + off - v[i].pgoff));
	fd = pmu_open((__u64)off << lo, PTR(exe.path), exe.target, false);
	if (fd < 0) {
		seen.err = -fd;
	} else {
		for (i = 0; i < nv; i++) {
			unsigned short now;

			now = peek16((void *)(v[i].start + off - v[i].pgoff));
			if (!v[i].writable && now != before[i])
				seen.ro_changed++;
			if (v[i].writable && now == (unsigned short)(before[i] + 1))
				seen.rw_bumped++;
		}
		for (i = 0; i < 3; i++)
			OPAQUE(&bi_target)(i);
		seen.count = pmu_count(fd);
		close(fd);
	}
	for (i = 0; i < nv; i++)
		if (peek16((void *)(v[i].start + off - v[i].pgoff)) != before[i])
			seen.not_restored++;
	if (write(wfd, &seen, sizeof(seen)) != sizeof(seen))
		_exit(2);
	_exit(0);
}

/*
 * Every bit of the ref_ctr_offset field alone, on a valid probe of
 * bi_target(). An odd counter offset is refused; every even one is a valid
 * counter place (past the end of the file too: it may be in the bss). The
 * counter is only ever bumped in a private writable mapping of the file,
 * and back after close. Each try runs in a child: a bumped counter may be
 * any short of this program's data.
 */
TEST_F_TIMEOUT(badinput, pmu_ref_ctr_every_bit, 120)
{
	struct exe_vma all[32], v[16];
	int lo, hi, k, nall;

	ASSERT_EQ(0, pmu_format("ref_ctr_offset", &lo, &hi));
	TH_LOG("ref_ctr_offset is config:%d-%d", lo, hi);
	ASSERT_LE(1, hi - lo);
	nall = exe_vmas(exe.path, all, ARRAY_SIZE(all));
	ASSERT_LT(0, nall);
	for (k = 0; k <= hi - lo; k++) {
		unsigned long off = 1UL << k;
		struct refctr_seen seen;
		int pfd[2], status, nv = 0, i;
		pid_t pid;

		/* The mappings that hold file offset off (2 bytes of it) */
		for (i = 0; i < nall && nv < (int)ARRAY_SIZE(v); i++) {
			unsigned long len = all[i].end - all[i].start;

			if (off >= all[i].pgoff && off + 2 <= all[i].pgoff + len)
				v[nv++] = all[i];
		}
		ASSERT_EQ(0, pipe(pfd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(pfd[0]);
			refctr_child(k, lo, v, nv, pfd[1]);
		}
		close(pfd[1]);
		memset(&seen, 0, sizeof(seen));
		i = read(pfd[0], &seen, sizeof(seen));
		close(pfd[0]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, status) TH_LOG("bit %d: child status %#x", k, status);
		ASSERT_EQ(sizeof(seen), i) TH_LOG("bit %d: child died", k);
		TH_LOG("ref_ctr_offset %#lx (%d mapping(s)): %s, count %lld, bumped %d",
		       off, nv, seen.err ? strerror(seen.err) : "accepted", seen.count,
		       seen.rw_bumped);
		if (k == 0) {
			EXPECT_EQ(EINVAL, seen.err);
		} else {
			EXPECT_EQ(0, seen.err);
			if (!seen.err)
				EXPECT_EQ(3, seen.count);
		}
		EXPECT_EQ(0, seen.ro_changed);
		EXPECT_EQ(0, seen.not_restored);
		EXPECT_TRUE(target_clean());
	}
	/* No leftover uprobe with a stale counter: a plain probe still works */
	k = pmu_open(0, PTR(exe.path), exe.target, false);
	ASSERT_LE(0, k) TH_LOG("plain probe after the ref_ctr tries: %s", strerror(-k));
	OPAQUE(&bi_target)(1);
	EXPECT_EQ(1, pmu_count(k));
	close(k);
}

/* A real semaphore: bumped while the event is open, back after close */
TEST_F(badinput, pmu_ref_ctr_semaphore)
{
	int lo, hi, fd, fd2;

	ASSERT_EQ(0, pmu_format("ref_ctr_offset", &lo, &hi));
	ASSERT_EQ(0, peek16(&bi_sema[0]));
	fd = pmu_open((__u64)exe.sema << lo, PTR(exe.path), exe.target, false);
	ASSERT_LE(0, fd) TH_LOG("semaphore probe: %s", strerror(-fd));
	EXPECT_EQ(1, peek16(&bi_sema[0]));
	/* The same place with another counter while this one lives */
	fd2 = pmu_open((__u64)(exe.sema + 2) << lo, PTR(exe.path), exe.target,
		       false);
	TH_LOG("second counter on the same place: %s", fd2 < 0 ? strerror(-fd2) : "accepted");
	if (fd2 >= 0)
		close(fd2);
	EXPECT_EQ(-EINVAL, fd2);
	EXPECT_EQ(0, peek16(&bi_sema[1]));
	OPAQUE(&bi_target)(1);
	EXPECT_EQ(1, pmu_count(fd));
	close(fd);
	EXPECT_EQ(0, peek16(&bi_sema[0]));
	EXPECT_TRUE(target_clean());
}

/* ---- the BPF uprobe_multi link ---- */

/*
 * The link must have failed with err and left nothing: bi_target() is
 * clean, and a counting link made now sees exactly its own hits.
 */
static void um_expect(struct __test_metadata *_metadata, int prog_fd, const char *what,
		      const struct um_args *a, int err)
{
	int fd = um_link(prog_fd, a);

	TH_LOG("uprobe_multi %s: %s", what, fd < 0 ? strerror(-fd) : "accepted");
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-err, fd) TH_LOG("uprobe_multi %s", what);
	EXPECT_TRUE(target_clean()) TH_LOG("uprobe_multi %s left a breakpoint", what);
}

/* After the bad ones, a valid link counts exactly and goes cleanly */
static void um_valid_after(struct __test_metadata *_metadata, int map_fd)
{
	unsigned long off = exe.target;
	struct um_args a = { PTR(exe.path), PTR(&off), 0, 0, 1, 0, 0 };
	int prog, fd, i;

	prog = prog_load(map_fd, BPF_TRACE_UPROBE_MULTI);
	ASSERT_LE(0, prog) TH_LOG("counting program: %s", strerror(-prog));
	fd = um_link(prog, &a);
	ASSERT_LE(0, fd) TH_LOG("valid link after bad ones: %s", strerror(-fd));
	for (i = 0; i < 6; i++)
		ASSERT_EQ(i * 5 + 3, OPAQUE(&bi_target)(i));
	EXPECT_EQ(6, map_count(map_fd));
	close(fd);
	close(prog);
	EXPECT_TRUE(target_clean());
	OPAQUE(&bi_target)(1);
	EXPECT_EQ(6, map_count(map_fd));
}

TEST_F_TIMEOUT(badinput, bpf_link_bad_counts, 120)
{
	unsigned long offs[2], *big;
	struct um_args a;

	offs[0] = exe.target;
	offs[1] = exe.target;
	a = (struct um_args){ PTR(exe.path), PTR(offs), 0, 0, 0, 0, 0 };
	um_expect(_metadata, self->prog_fd, "cnt 0", &a, EINVAL);
	a.cnt = UM_MAX_CNT + 1;
	um_expect(_metadata, self->prog_fd, "cnt max+1", &a, E2BIG);
	a.cnt = 1U << 30;
	um_expect(_metadata, self->prog_fd, "cnt 1<<30", &a, E2BIG);
	a.cnt = ~0U;
	um_expect(_metadata, self->prog_fd, "cnt UINT_MAX", &a, E2BIG);
	a.cnt = 1U << 31;
	um_expect(_metadata, self->prog_fd, "cnt 1<<31", &a, E2BIG);

	/* The largest count, with arrays far shorter: a fault, before any probe */
	big = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, big);
	munmap((char *)big + PG, PG);
	big[0] = exe.target;
	a.offsets = PTR(big);
	a.cnt = UM_MAX_CNT;
	{
		int fd = um_link(self->prog_fd, &a);

		TH_LOG("uprobe_multi cnt max, 4 KiB of offsets: %s",
		       fd < 0 ? strerror(-fd) : "accepted");
		if (fd >= 0)
			close(fd);
		EXPECT_TRUE(fd == -EFAULT || fd == -ENOMEM);
		EXPECT_TRUE(target_clean());
	}
	/* A short cookie array with a long offset array */
	big[0] = exe.target;
	a = (struct um_args){ PTR(exe.path), PTR(offs), 0, PTR((char *)big + PG - 8), 2, 0, 0 };
	um_expect(_metadata, self->prog_fd, "cookies 1 of 2", &a, EFAULT);
	munmap(big, PG);
	um_valid_after(_metadata, self->map_fd);
}

TEST_F(badinput, bpf_link_bad_arrays)
{
	unsigned long offs[2], refs[2], *edge;
	__u64 cookies[2] = { 1, 2 };
	char *page;
	struct um_args a;

	page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	munmap(page + PG, PG);
	/* One unsigned long right before the hole */
	edge = (unsigned long *)(page + PG) - 1;
	*edge = exe.target;

	offs[0] = exe.target;
	offs[1] = exe.never;
	a = (struct um_args){ PTR(exe.path), 0, 0, 0, 1, 0, 0 };
	um_expect(_metadata, self->prog_fd, "offsets NULL", &a, EINVAL);
	a.offsets = PTR(hole());
	um_expect(_metadata, self->prog_fd, "offsets unmapped", &a, EFAULT);
	a.offsets = KERNEL_PTR;
	um_expect(_metadata, self->prog_fd, "offsets kernel address", &a, EFAULT);
	a.offsets = PTR(edge);
	a.cnt = 2;
	um_expect(_metadata, self->prog_fd, "offsets 1 of 2", &a, EFAULT);

	a.offsets = PTR(offs);
	a.refs = PTR(edge);
	um_expect(_metadata, self->prog_fd, "ref_ctr_offsets 1 of 2", &a, EFAULT);
	a.refs = PTR(hole());
	um_expect(_metadata, self->prog_fd, "ref_ctr_offsets unmapped", &a, EFAULT);
	a.refs = 0;
	a.cookies = PTR(edge);
	um_expect(_metadata, self->prog_fd, "cookies 1 of 2", &a, EFAULT);
	a.cookies = KERNEL_PTR;
	um_expect(_metadata, self->prog_fd, "cookies kernel address", &a, EFAULT);
	a.cookies = PTR(cookies);

	offs[1] = 1UL << 63;
	um_expect(_metadata, self->prog_fd, "second offset negative", &a, EINVAL);
	offs[1] = exe.size;
	um_expect(_metadata, self->prog_fd, "second offset at EOF", &a, EINVAL);
	offs[1] = ~0UL;
	um_expect(_metadata, self->prog_fd, "second offset ~0", &a, EINVAL);

	/* The first probe is registered before the second fails */
	offs[1] = exe.never;
	refs[0] = exe.sema;
	refs[1] = exe.sema + 1;
	a.refs = PTR(refs);
	um_expect(_metadata, self->prog_fd, "second ref_ctr_offset odd", &a, EINVAL);
	EXPECT_EQ(0, peek16(&bi_sema[0]));
	refs[0] = 1;
	refs[1] = 0;
	um_expect(_metadata, self->prog_fd, "first ref_ctr_offset odd", &a, EINVAL);
	/* The same place twice, with two counters */
	offs[1] = exe.target;
	refs[0] = exe.sema;
	refs[1] = exe.sema + 2;
	um_expect(_metadata, self->prog_fd, "one place, two counters", &a, EINVAL);
	EXPECT_EQ(0, peek16(&bi_sema[0]));
	EXPECT_EQ(0, peek16(&bi_sema[1]));
	munmap(page, PG);
	um_valid_after(_metadata, self->map_fd);
}

TEST_F(badinput, bpf_link_bad_paths)
{
	unsigned long off = 0;
	struct um_args a = { 0, PTR(&off), 0, 0, 1, 0, 0 };
	struct bad_path c[32];
	char what[64];
	int i, n = bad_paths(c);

	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		a.path = c[i].ptr;
		snprintf(what, sizeof(what), "path %s", c[i].what);
		um_expect(_metadata, self->prog_fd, what, &a, c[i].bpf_err);
	}
	um_valid_after(_metadata, self->map_fd);
}

static void *thread_park(void *p)
{
	int *fds = p;
	pid_t tid = syscall(SYS_gettid);
	char c;

	if (write(fds[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	/* Until the pipe's write end closes */
	while (read(fds[2], &c, 1) > 0)
		;
	return NULL;
}

/* The id of a live thread that is not its process's main thread (leaves it parked) */
static pid_t other_thread_id(void)
{
	static int fds[4];
	pthread_t t;
	pid_t tid = -1;

	if (pipe(fds) || pipe(fds + 2))
		return -1;
	if (pthread_create(&t, NULL, thread_park, fds))
		return -1;
	if (read(fds[0], &tid, sizeof(tid)) != sizeof(tid))
		return -1;
	return tid;
}

/*
 * A link for a zombie (its mm is gone): refused with ESRCH, or made and
 * then counting nothing here, and closed cleanly.
 */
static void zombie_pid_link(struct __test_metadata *_metadata, int map_fd, struct um_args *a)
{
	siginfo_t info;
	int prog, fd;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);
	ASSERT_EQ(0, waitid(P_PID, pid, &info, WEXITED | WNOWAIT));
	prog = prog_load(map_fd, BPF_TRACE_UPROBE_MULTI);
	ASSERT_LE(0, prog);
	a->pid = pid;
	fd = um_link(prog, a);
	TH_LOG("uprobe_multi pid of a zombie: %s", fd < 0 ? strerror(-fd) : "accepted");
	if (fd >= 0) {
		OPAQUE(&bi_target)(1);
		EXPECT_EQ(0, map_count(map_fd));
		close(fd);
	} else {
		EXPECT_EQ(-ESRCH, fd);
	}
	close(prog);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_TRUE(target_clean());
}

TEST_F(badinput, bpf_link_bad_pid_flags_prog)
{
	unsigned long off = exe.target;
	struct um_args a = { PTR(exe.path), PTR(&off), 0, 0, 1, 0, 0 };
	int pid_max = 0, prog, k, fd;

	a.pid = -1;
	um_expect(_metadata, self->prog_fd, "pid -1", &a, EINVAL);
	a.pid = INT_MIN;
	um_expect(_metadata, self->prog_fd, "pid INT_MIN", &a, EINVAL);
	ASSERT_EQ(0, read_int("/proc/sys/kernel/pid_max", &pid_max));
	/* pids are below pid_max: this one cannot exist */
	a.pid = pid_max;
	um_expect(_metadata, self->prog_fd, "pid of no process", &a, ESRCH);
	a.pid = INT_MAX;
	um_expect(_metadata, self->prog_fd, "pid INT_MAX", &a, ESRCH);
	a.pid = other_thread_id();
	ASSERT_LT(0, (int)a.pid);
	um_expect(_metadata, self->prog_fd, "pid of a thread (not a process)", &a, ESRCH);
	zombie_pid_link(_metadata, self->map_fd, &a);
	a.pid = 0;
	for (k = 1; k < 32; k++) {
		a.flags = 1U << k;
		fd = um_link(self->prog_fd, &a);
		if (fd >= 0)
			close(fd);
		EXPECT_EQ(-EINVAL, fd) TH_LOG("flags bit %d: %s", k,
					      fd < 0 ? strerror(-fd) : "accepted");
	}
	TH_LOG("flags bits 1-31: refused");
	EXPECT_TRUE(target_clean());
	a.flags = 0;

	/* A kprobe program that was not loaded for uprobe_multi */
	prog = prog_load(-1, 0);
	ASSERT_LE(0, prog);
	fd = um_link(prog, &a);
	TH_LOG("uprobe_multi with a plain kprobe program: %s",
	       fd < 0 ? strerror(-fd) : "accepted");
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EINVAL, fd);
	close(prog);
	/* No program at all */
	fd = um_link(exe.fd, &a);
	TH_LOG("uprobe_multi with a file for a program: %s",
	       fd < 0 ? strerror(-fd) : "accepted");
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EINVAL, fd);
	fd = um_link(-1, &a);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EBADF, fd);
	EXPECT_TRUE(target_clean());
	um_valid_after(_metadata, self->map_fd);
}

/* ---- uprobe_events on places that are not code in a regular file ---- */

/* The definition must be refused with err and not be listed */
static void def_refused(struct __test_metadata *_metadata, const char *path, unsigned long off,
			int err)
{
	int ret = probe_add("p", "bad", path, off, NULL);

	TH_LOG("p %s:%#lx: %s", path, off, ret ? strerror(-ret) : "accepted");
	EXPECT_EQ(-err, ret);
	EXPECT_FALSE(probe_listed("bad"));
	if (!ret)
		probe_del("bad");
}

TEST_F(badinput, file_not_regular)
{
	def_refused(_metadata, "/tmp", 0, EINVAL);
	def_refused(_metadata, "/", 0, EINVAL);
	def_refused(_metadata, "/dev/null", 0, EINVAL);
	def_refused(_metadata, "/dev/zero", 0, EINVAL);
	def_refused(_metadata, "/proc/self/cwd", 0, EINVAL);
	def_refused(_metadata, TRACEFS, 0, EINVAL);
	def_refused(_metadata, "/nonexistent/badinput", 0, ENOENT);
	def_refused(_metadata, exe.path, exe.size, EINVAL);
	def_refused(_metadata, exe.path, ~0UL, EINVAL);
	EXPECT_TRUE(target_clean());
}

/* Data of this program: accepted or not, never changed, never a hit */
TEST_F(badinput, file_data_offset)
{
	char ro[64], rw[64];
	int r1, r2;

	memcpy(ro, bi_rodata, sizeof(ro));
	memcpy(rw, bi_data, sizeof(rw));
	r1 = probe_add_enable("p", "rodata", exe.path, exe.rodata, NULL);
	r2 = probe_add_enable("p", "data", exe.path, exe.data, NULL);
	TH_LOG(".rodata: %s, .data: %s", r1 ? strerror(-r1) : "accepted",
	       r2 ? strerror(-r2) : "accepted");
	EXPECT_EQ(0, memcmp(ro, OPAQUE(&bi_rodata[0]), sizeof(ro)));
	EXPECT_EQ(0, memcmp(rw, OPAQUE(&bi_data[0]), sizeof(rw)));
	EXPECT_TRUE(same_as_file(exe.fd, exe.rodata, bi_rodata, sizeof(ro)));
	EXPECT_TRUE(same_as_file(exe.fd, exe.data, bi_data, sizeof(rw)));
	if (!r1)
		EXPECT_EQ(0, probe_hits("rodata"));
	if (!r2)
		EXPECT_EQ(0, probe_hits("data"));
	probes_clear_all();
	EXPECT_EQ(0, memcmp(rw, OPAQUE(&bi_data[0]), sizeof(rw)));
	EXPECT_TRUE(target_clean());
}

/*
 * A code file probed while mapped in ways that must never get a
 * breakpoint: the mapping's bytes always match the file's, and the file
 * never changes. Mapped before the probe is enabled, and after.
 */
TEST_F(badinput, file_nonexec_or_shared_mapping)
{
	static const struct {
		const char *what;
		int prot, flags, oflags;
	} maps[] = {
		{ "private PROT_READ", PROT_READ, MAP_PRIVATE, O_RDONLY },
		{ "private PROT_READ|PROT_WRITE", PROT_READ | PROT_WRITE, MAP_PRIVATE, O_RDONLY },
		{ "private PROT_READ|PROT_WRITE|PROT_EXEC",
		  PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, O_RDONLY },
		{ "shared PROT_READ|PROT_EXEC, read-only fd", PROT_READ | PROT_EXEC, MAP_SHARED,
		  O_RDONLY },
		{ "shared PROT_READ|PROT_EXEC, read-write fd", PROT_READ | PROT_EXEC, MAP_SHARED,
		  O_RDWR },
		{ "shared PROT_READ|PROT_WRITE|PROT_EXEC",
		  PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED, O_RDWR },
	};
	const char *path = "/tmp/badinput_code";
	int i, order, wfd, fd;

	wfd = code_file(path, 1);
	ASSERT_LE(0, wfd);
	close(wfd);
	for (order = 0; order < 2; order++) {
		for (i = 0; i < (int)ARRAY_SIZE(maps); i++) {
			unsigned char *m = MAP_FAILED;
			long hits;

			fd = open(path, maps[i].oflags | O_CLOEXEC);
			ASSERT_LE(0, fd);
			if (order == 0)
				m = mmap(NULL, PG, maps[i].prot, maps[i].flags, fd, 0);
			ASSERT_EQ(0, probe_add_enable("p", "code", path, 0, NULL));
			if (order == 1)
				m = mmap(NULL, PG, maps[i].prot, maps[i].flags, fd, 0);
			ASSERT_NE(MAP_FAILED, m);
			EXPECT_TRUE(same_as_file(fd, 0, m, PG))
				TH_LOG("%s, mapped %s enable: breakpoint in the mapping (%#x)",
				       maps[i].what, order ? "after" : "before", m[0]);
			if (maps[i].prot & PROT_EXEC)
				EXPECT_EQ(12, call_code(m, 5));
			if (!(maps[i].prot & PROT_EXEC)) {
				/* Made executable later: still right */
				ASSERT_EQ(0, mprotect(m, PG, maps[i].prot | PROT_EXEC));
				EXPECT_EQ(13, call_code(m, 6));
			}
			hits = probe_hits("code");
			TH_LOG("%s, mapped %s enable: %ld hit(s)", maps[i].what,
			       order ? "after" : "before", hits);
			probes_clear_all();
			EXPECT_TRUE(same_as_file(fd, 0, m, PG));
			munmap(m, PG);
			close(fd);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			ASSERT_LE(0, fd);
			m = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
			ASSERT_NE(MAP_FAILED, m);
			EXPECT_EQ(0, memcmp(m, code_bytes, sizeof(code_bytes)))
				TH_LOG("%s: the file changed", maps[i].what);
			munmap(m, PG);
			close(fd);
		}
	}
}

/*
 * A code file on tmpfs (or a memfd, named through /proc/self/fd) probed
 * while a writer has it open and writes to it: probes work in a private
 * executable mapping, the file never gets a breakpoint, the writer's data
 * shows in mappings made after it wrote, and every mapping matches the
 * file once the probe is gone.
 */
static void probe_writable_file(struct __test_metadata *_metadata, const char *path, int wfd)
{
	unsigned char *m, *m2, page[PG];
	int i;

	ASSERT_EQ(0, probe_add_enable("p", "wcode", path, 0, NULL));
	m = mmap(NULL, 2 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, wfd, 0);
	ASSERT_NE(MAP_FAILED, m);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(i + 7, call_code(m, i));
	EXPECT_EQ(10, probe_hits("wcode"));
	TH_LOG("%s: first byte in the mapping %#x, in the file %s", path, m[0],
	       same_as_file(wfd, 0, code_bytes, sizeof(code_bytes)) ? "unchanged" : "CHANGED");
	EXPECT_TRUE(same_as_file(wfd, 0, code_bytes, sizeof(code_bytes)));

	/* The writer rewrites the probed bytes as they are, and changes others */
	ASSERT_EQ(sizeof(code_bytes), pwrite(wfd, code_bytes, sizeof(code_bytes), 0));
	memset(page, 0x90, 64);
	ASSERT_EQ(64, pwrite(wfd, page, 64, 64));
	ASSERT_EQ(64, pwrite(wfd, page, 64, PG + 64));
	m2 = mmap(NULL, 2 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, wfd, 0);
	ASSERT_NE(MAP_FAILED, m2);
	EXPECT_EQ(0, memcmp(m2 + 64, page, 64));
	EXPECT_EQ(0, memcmp(m2 + PG + 64, page, 64));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(i + 7, call_code(m2, i));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(i + 7, call_code(m, i));
	EXPECT_EQ(20, probe_hits("wcode"));
	EXPECT_TRUE(same_as_file(wfd, 0, code_bytes, sizeof(code_bytes)));
	probes_clear_all();
	EXPECT_TRUE(same_as_file(wfd, 0, m2, 2 * PG)) TH_LOG("%s: new mapping differs", path);
	EXPECT_TRUE(same_as_file(wfd, 0, m, 64)) TH_LOG("%s: old mapping's code differs", path);
	EXPECT_EQ(0x55, m[0]);
	EXPECT_EQ(0x55, m2[0]);
	ASSERT_EQ(12, call_code(m2, 5));
	munmap(m, 2 * PG);
	munmap(m2, 2 * PG);
}

TEST_F(badinput, file_tmpfs_open_for_writing)
{
	const char *path = "/tmp/badinput_code";
	struct statvfs sv;
	int wfd;

	wfd = code_file(path, 2);
	ASSERT_LE(0, wfd);
	if (!statvfs("/tmp", &sv))
		TH_LOG("/tmp: f_fsid %#lx, flags %#lx", sv.f_fsid, sv.f_flag);
	probe_writable_file(_metadata, path, wfd);
	close(wfd);
	EXPECT_TRUE(target_clean());
}

TEST_F(badinput, file_memfd_open_for_writing)
{
	char path[64];
	int wfd;

	wfd = code_file_fd(memfd_create("badinput", MFD_CLOEXEC), 2);
	ASSERT_LE(0, wfd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", wfd);
	probe_writable_file(_metadata, path, wfd);
	close(wfd);
}

/*
 * The file shrinks under an enabled probe (the probed page goes past
 * EOF), is mapped again, and grows back: no crash, the probe goes away
 * cleanly, and the page that comes back is the file's (zeros).
 */
TEST_F(badinput, file_truncated_under_probe)
{
	const char *path = "/tmp/badinput_trunc";
	unsigned char *m, zero[PG];
	int fd, status;
	pid_t pid;

	fd = code_file(path, 2);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, probe_add_enable("p", "trunc", path, PG, NULL));
	m = mmap(NULL, 2 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(8, call_code(m + PG, 1));
	EXPECT_EQ(1, probe_hits("trunc"));

	ASSERT_EQ(0, ftruncate(fd, PG));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(call_code(m + PG, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TH_LOG("call past EOF: %s %d", WIFSIGNALED(status) ? "signal" : "exit",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS);
	ASSERT_EQ(7, call_code(m, 0));
	munmap(m, 2 * PG);
	/* Mapped again with the probed offset past EOF */
	m = mmap(NULL, 2 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(7, call_code(m, 0));
	EXPECT_TRUE(same_as_file(fd, 0, m, PG));
	probes_clear_all();
	munmap(m, 2 * PG);

	ASSERT_EQ(0, ftruncate(fd, 2 * PG));
	m = mmap(NULL, 2 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	memset(zero, 0, sizeof(zero));
	EXPECT_EQ(0, memcmp(m + PG, zero, PG)) TH_LOG("stale bytes at %#x", m[PG]);
	EXPECT_TRUE(same_as_file(fd, 0, m, 2 * PG));
	munmap(m, 2 * PG);
	close(fd);
}

/* Defines and enables badinput/shsema: code at 0 of path, its counter in page 1 */
static int shsema_enable(const char *path)
{
	char cmd[PATH_MAX + 64];
	int ret;

	snprintf(cmd, sizeof(cmd), "p:%s/shsema %s:0x0(0x%lx)\n", probe_group, path, PG + 0x100);
	ret = write_file(TRACEFS "/uprobe_events", cmd, O_APPEND);
	return ret ? ret : probe_enable("shsema", 1);
}

/*
 * A USDT counter in a file mapped shared and private: the private writable
 * copy counts, the shared mapping (the file itself) never does, whether
 * the counter is there when the probe is enabled or mapped later (the
 * deferred increment).
 */
TEST_F(badinput, file_ref_ctr_in_shared_mapping)
{
	const char *path = "/tmp/badinput_code";
	unsigned char *x, *shared, *priv;
	unsigned short v;
	int fd, later;

	fd = code_file(path, 2);
	ASSERT_LE(0, fd);
	x = mmap(NULL, PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, x);
	for (later = 0; later < 2; later++) {
		shared = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
		priv = later ? MAP_FAILED : mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE,
						 fd, PG);
		ASSERT_EQ(0, shsema_enable(path));
		if (later)
			priv = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PG);
		ASSERT_NE(MAP_FAILED, shared);
		ASSERT_NE(MAP_FAILED, priv);
		TH_LOG("counter mapped %s enable: shared %u, private %u",
		       later ? "after" : "before", peek16(shared + 0x100), peek16(priv + 0x100));
		EXPECT_EQ(0, peek16(shared + 0x100));
		EXPECT_EQ(1, peek16(priv + 0x100));
		ASSERT_EQ(sizeof(v), pread(fd, &v, sizeof(v), PG + 0x100));
		EXPECT_EQ(0, v);
		ASSERT_EQ(8, call_code(x, 1));
		EXPECT_EQ(1, probe_hits("shsema"));
		probes_clear_all();
		EXPECT_EQ(0, peek16(priv + 0x100));
		EXPECT_EQ(0, peek16(shared + 0x100));
		ASSERT_EQ(sizeof(v), pread(fd, &v, sizeof(v), PG + 0x100));
		EXPECT_EQ(0, v);
		EXPECT_TRUE(same_as_file(fd, 0, x, PG));
		munmap(shared, PG);
		munmap(priv, PG);
	}
	munmap(x, PG);
	close(fd);
}

/* The ELF entry point's file offset */
static int elf_entry_offset(const char *path, unsigned long *offp)
{
	struct elf64_hdr eh;
	struct elf64_phdr ph;
	int fd, i, ret = -ENOENT;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		ret = -EINVAL;
	for (i = 0; ret == -ENOENT && i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * eh.e_phentsize) != sizeof(ph)) {
			ret = -EIO;
		} else if (ph.p_type == PT_LOAD && eh.e_entry >= ph.p_vaddr &&
			   eh.e_entry < ph.p_vaddr + ph.p_filesz) {
			*offp = eh.e_entry - ph.p_vaddr + ph.p_offset;
			ret = 0;
		}
	}
	close(fd);
	return ret;
}

/* Runs path with no arguments: its wait status; exit 126 if exec got ETXTBSY */
static int run_true(const char *path)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		execl(path, path, (char *)NULL);
		_exit(errno == ETXTBSY ? 126 : 127);
	}
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

/* Are the files at fd and at path the same bytes? */
static bool same_files(int fd, const char *path)
{
	size_t len, len2;
	char *a, *b;
	bool same;

	a = read_all(path, &len);
	if (!a)
		return false;
	b = malloc(len + 1);
	len2 = b ? pread(fd, b, len + 1, 0) : 0;
	same = b && len2 == len && !memcmp(a, b, len);
	free(a);
	free(b);
	return same;
}

/*
 * A copy of a small program, probed at its entry while a writer has it
 * open and rewrites its entry's bytes as they are: exec refuses to run it
 * then (ETXTBSY, not the probe's doing), and once the writer is gone the
 * probed copy runs and counts. The copy's bytes stay the original's.
 */
TEST_F(badinput, file_program_copy_open_for_writing)
{
	const char *orig = "/bin/true", *path = "/tmp/badinput_true";
	unsigned char entry[16];
	unsigned long off;
	size_t len;
	char *img;
	int wfd, status, i;

	img = read_all(orig, &len);
	ASSERT_NE(NULL, img);
	unlink(path);
	wfd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ASSERT_LE(0, wfd);
	ASSERT_EQ(len, write(wfd, img, len));
	free(img);
	ASSERT_EQ(0, elf_entry_offset(path, &off));
	ASSERT_EQ(0, probe_add_enable("p", "copy", path, off, NULL));
	status = run_true(path);
	TH_LOG("exec of the copy with a writer: %s", status == 126 << 8 ? "ETXTBSY" :
	       status == 0 ? "ran" : "failed");
	EXPECT_TRUE(status == 126 << 8 || status == 0);
	ASSERT_EQ(16, pread(wfd, entry, 16, off));
	ASSERT_EQ(16, pwrite(wfd, entry, 16, off));
	EXPECT_TRUE(same_files(wfd, orig));
	close(wfd);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, run_true(path));
	EXPECT_EQ(status ? 3 : 4, probe_hits("copy"));
	probes_clear_all();
	wfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, wfd);
	EXPECT_TRUE(same_files(wfd, orig));
	close(wfd);
	unlink(path);
}

/*
 * A program on the host's root, which the guest mounts read-only over 9p:
 * probed at its entry, it runs and counts, and its bytes stay the file's.
 */
TEST_F(badinput, file_readonly_mount)
{
	const char *path = "/bin/true";
	unsigned char before[16], after[16];
	unsigned long off;
	struct statvfs sv;
	int fd, i;

	ASSERT_EQ(0, statvfs(path, &sv));
	TH_LOG("%s: %s mount", path, sv.f_flag & ST_RDONLY ? "read-only" : "writable");
	ASSERT_EQ(0, elf_entry_offset(path, &off));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(16, pread(fd, before, 16, off));
	ASSERT_EQ(0, probe_add_enable("p", "true_entry", path, off, NULL));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, run_true(path));
	EXPECT_LE(5, probe_hits("true_entry"));
	ASSERT_EQ(16, pread(fd, after, 16, off));
	EXPECT_EQ(0, memcmp(before, after, 16));
	probes_clear_all();
	ASSERT_EQ(0, run_true(path));
	/* This program is on the same mount in the guest: probed too */
	ASSERT_EQ(0, probe_add_enable("p", "self", exe.path, exe.target, NULL));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(i * 5 + 3, OPAQUE(&bi_target)(i));
	EXPECT_EQ(4, probe_hits("self"));
	probes_clear_all();
	EXPECT_TRUE(target_clean());
	close(fd);
}

/*
 * Pseudo files: a sysfs file (kernfs, page cache but no mmap) and a proc
 * file (no page cache at all): refused, or accepted and harmless; and the
 * FUSE-like case, in which a filesystem has no way to read pages into the
 * page cache, is the proc one.
 */
TEST_F(badinput, file_pseudo)
{
	static const char *const files[] = {
		"/sys/firmware/acpi/tables/DSDT",
		"/sys/firmware/acpi/tables/FACP",
		"/sys/kernel/notes",
	};
	char pci[PATH_MAX] = "";
	unsigned char b1[64], b2[64];
	int i, r, fd, tried = 0;
	FILE *f;

	/* The first PCI device's config space in /proc/bus/pci */
	f = fopen("/proc/bus/pci/devices", "r");
	if (f) {
		unsigned int bdf;

		if (fscanf(f, "%x", &bdf) == 1)
			snprintf(pci, sizeof(pci), "/proc/bus/pci/%02x/%02x.%x", bdf >> 8,
				 (bdf >> 3) & 0x1f, bdf & 7);
		fclose(f);
	}
	for (i = 0; i <= (int)ARRAY_SIZE(files); i++) {
		const char *path = i < (int)ARRAY_SIZE(files) ? files[i] : pci;
		ssize_t n1, n2;
		int e;

		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		tried++;
		n1 = pread(fd, b1, sizeof(b1), 0);
		r = probe_add("p", "pseudo", path, 0, NULL);
		e = r ? r : probe_enable("pseudo", 1);
		TH_LOG("%s: definition %s, enable %s", path, r ? strerror(-r) : "accepted",
		       r ? "-" : e ? strerror(-e) : "accepted");
		if (r)
			EXPECT_TRUE(r == -EINVAL || r == -EIO);
		if (!r && e)
			EXPECT_EQ(-EIO, e);
		n2 = pread(fd, b2, sizeof(b2), 0);
		EXPECT_EQ(n1, n2);
		if (n1 > 0 && n1 == n2)
			EXPECT_EQ(0, memcmp(b1, b2, n1)) TH_LOG("%s changed", path);
		probes_clear_all();
		EXPECT_FALSE(probe_listed("pseudo"));
		close(fd);
	}
	TH_LOG("%d pseudo file(s) tried", tried);
	EXPECT_LT(0, tried);
}

/* ---- unprivileged ---- */

/* Become nobody with no capabilities at all */
static int drop_privileges(void)
{
	char *status, *cap;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	status = read_all("/proc/self/status", NULL);
	if (!status)
		return -EIO;
	cap = strstr(status, "CapEff:");
	if (!cap || strncmp(cap, "CapEff:\t0000000000000000", 24)) {
		free(status);
		return -EPERM;
	}
	cap = strstr(status, "CapPrm:");
	if (!cap || strncmp(cap, "CapPrm:\t0000000000000000", 24)) {
		free(status);
		return -EPERM;
	}
	free(status);
	return 0;
}

TEST_F(badinput, unpriv_uprobe_events)
{
	static const char *const files[] = {
		TRACEFS "/uprobe_events", TRACEFS "/dynamic_events",
	};
	int i, fd, err;

	ASSERT_EQ(0, drop_privileges());
	for (i = 0; i < (int)ARRAY_SIZE(files); i++) {
		fd = open(files[i], O_WRONLY);
		err = fd < 0 ? errno : 0;
		TH_LOG("nobody opens %s for writing: %s", files[i],
		       fd < 0 ? strerror(err) : "accepted");
		if (fd >= 0)
			close(fd);
		EXPECT_EQ(EACCES, err);
	}
	EXPECT_EQ(-EACCES, probe_add("p", "unpriv", exe.path, exe.target, NULL));
	EXPECT_TRUE(target_clean());
}

/*
 * perf_event_open() refuses the uprobe PMU to the unprivileged whatever
 * perf_event_paranoid says: at 2 and up for counting the kernel
 * (perf_allow_kernel()), and perf_uprobe_event_init() itself wants
 * CAP_SYS_ADMIN, which covers exclude_kernel events and lower paranoia.
 */
TEST_F(badinput, unpriv_perf_pmu)
{
	int paranoid = 99, fd, ek;

	ASSERT_EQ(0, read_int("/proc/sys/kernel/perf_event_paranoid", &paranoid));
	ASSERT_EQ(0, drop_privileges());
	for (ek = 0; ek < 2; ek++) {
		fd = pmu_open(0, PTR(exe.path), exe.target, ek);
		TH_LOG("paranoid %d, exclude_kernel %d: %s", paranoid, ek,
		       fd < 0 ? strerror(-fd) : "accepted");
		if (fd >= 0)
			close(fd);
		EXPECT_EQ(-EACCES, fd);
	}
	EXPECT_TRUE(target_clean());
}

/*
 * An unprivileged process may not load the kprobe program a link needs
 * (nor make a map). A program fd handed down by a privileged parent is
 * the privilege itself, as everywhere in bpf(2): with it the link may be
 * made, but then it must work and go cleanly.
 */
TEST_F(badinput, unpriv_bpf)
{
	unsigned long off = exe.target;
	struct um_args a = { PTR(exe.path), PTR(&off), 0, 0, 1, 0, 0 };
	int unpriv = -1, prog, fd, i;

	read_int("/proc/sys/kernel/unprivileged_bpf_disabled", &unpriv);
	prog = prog_load(self->map_fd, BPF_TRACE_UPROBE_MULTI);
	ASSERT_LE(0, prog);
	ASSERT_EQ(0, drop_privileges());
	fd = prog_load(-1, BPF_TRACE_UPROBE_MULTI);
	TH_LOG("unprivileged_bpf_disabled %d: nobody's BPF_PROG_LOAD: %s", unpriv,
	       fd < 0 ? strerror(-fd) : "accepted");
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EPERM, fd);
	fd = map_create();
	TH_LOG("nobody's BPF_MAP_CREATE: %s", fd < 0 ? strerror(-fd) : "accepted");
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EPERM, fd);

	fd = um_link(prog, &a);
	TH_LOG("nobody's BPF_LINK_CREATE with an inherited program: %s",
	       fd < 0 ? strerror(-fd) : "accepted");
	if (fd >= 0) {
		for (i = 0; i < 4; i++)
			ASSERT_EQ(i * 5 + 3, OPAQUE(&bi_target)(i));
		EXPECT_EQ(4, map_count(self->map_fd));
		close(fd);
	} else {
		EXPECT_TRUE(fd == -EPERM || fd == -EACCES);
	}
	close(prog);
	EXPECT_TRUE(target_clean());
}

/*
 * All capabilities, but in a user namespace of nobody's: none of them
 * counts for uprobes, which check capabilities in the initial namespace.
 */
TEST_F(badinput, unpriv_user_namespace)
{
	int fd, err;

	ASSERT_EQ(0, drop_privileges());
	if (unshare(CLONE_NEWUSER)) {
		err = errno;
		TH_LOG("no user namespace for nobody: %s", strerror(err));
		EXPECT_TRUE(err == EINVAL || err == EPERM || err == ENOSPC || err == EUSERS);
		return;
	}
	fd = open(TRACEFS "/uprobe_events", O_WRONLY);
	err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(EACCES, err);
	fd = pmu_open(0, PTR(exe.path), exe.target, true);
	TH_LOG("perf uprobe PMU in a user namespace: %s", fd < 0 ? strerror(-fd) : "accepted");
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EACCES, fd);
	fd = prog_load(-1, BPF_TRACE_UPROBE_MULTI);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EPERM, fd);
	EXPECT_TRUE(target_clean());
}

/* Last (tests run in the order they are defined): no kernel complaint */
TEST_F(badinput, kernel_log_clean)
{
	static const char *const splats[] = {
		"BUG:", "WARNING:", "Oops", "KASAN", "UBSAN", "general protection fault",
		"kernel BUG", "list_add corruption", "list_del corruption", "refcount_t:",
		"unreferenced object", "suspicious RCU", "possible recursive locking",
		"possible circular locking", "inconsistent lock state",
	};
	char rec[8192];
	int bad = 0, lines = 0, i;
	ssize_t n;

	if (kmsg_fd < 0)
		SKIP(return, "no /dev/kmsg");
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		lines++;
		for (i = 0; i < (int)ARRAY_SIZE(splats); i++) {
			if (strstr(rec, splats[i])) {
				TH_LOG("kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				bad++;
				break;
			}
		}
	}
	TH_LOG("%d kernel log record(s) during the run", lines);
	EXPECT_EQ(0, bad);
}

TEST_HARNESS_MAIN
