// SPDX-License-Identifier: GPL-2.0
/*
 * uprobes_fuzz: a grammar-aware fuzzer for tracefs "uprobe_events" (or
 * "dynamic_events") that checks the error log (issue 11, "Bad input").
 *
 * Every line is a mutation of a valid definition or removal
 *	p[:[GRP/|GRP.][EVENT]] PATH:OFFSET[%return][(REF)] [FETCHARGS]
 *	r[:[GRP/|GRP.][EVENT]] PATH:OFFSET[(REF)] [FETCHARGS]
 *	-:[GRP/][EVENT] [PLACE [ARGS]]
 * written with one write(2). After each rejected line error_log must have
 * one new entry, naming the line, with the caret inside it. Lines rejected
 * without an entry, and lines accepted although the kernel cannot ever
 * probe what they define, are sorted into categories. At checkpoints the
 * events shown by the file are compared with a model built from the
 * accepted lines, and the kernel log is scanned for splats.
 *
 * It deletes every event of the file it writes to, and clears error_log,
 * so it refuses to start while that file lists any event, unless -f says
 * that deleting them is fine.
 *
 * Built by the uprobes kselftest Makefile; run as root.
 * Usage: uprobes_fuzz [-n LINES] [-s SEED] [-c CHECK_EVERY] [-D] [-f] [-g] [-S] [-v]
 *	-D	write to dynamic_events instead of uprobe_events
 *	-f	start even if the file lists events (they are deleted)
 *	-g	only print the lines (escaped), one a line; touch nothing
 *	-S	expect generated event names made of [A-Za-z0-9_] only
 * Exit status: 0 when no splat happened and the final state matched.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TRACEFS		"/sys/kernel/tracing"
#define LINE_MAX_LEN	8192
#define WRITE_BUFSIZE	4096	/* kernel/trace/trace.c */
#define MAX_TRACE_ARGS	128	/* kernel/trace/trace_probe.h */
#define EVENT_NAME_LEN	64	/* MAX_EVENT_NAME_LEN */
#define MAX_LIVE	4096
#define NR_EXAMPLES	3
#define EXAMPLE_LEN	240
#define RESET_ABOVE	150	/* truncate uprobe_events above this many */
#define ERRLOG_CLEAR_AT	5	/* the kernel keeps 8 entries */

/* ---------------------------------------------------------------- rng */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static unsigned int rnd(unsigned int n)
{
	return n ? rnd64() % n : 0;
}

static bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PICK(arr)	((arr)[rnd(ARRAY_SIZE(arr))])
#define ONE_OF(...)	PICK(((const char *const[]){ __VA_ARGS__ }))

/* ------------------------------------------------ kernel's lib/ctype.c */

/* The kernel builds with -funsigned-char: Latin-1 counts as text there */
static bool k_isspace(unsigned char c)
{
	return (c >= 9 && c <= 13) || c == ' ' || c == 0xa0;
}

static bool k_isdigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool k_isalpha(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c >= 0xc0 && c != 0xd7 && c != 0xf7;
}

/* __is_good_name() with the kernel's ctype, or with ASCII only */
static bool good_name(const char *name, bool hyphen, bool ascii)
{
	const unsigned char *p = (const unsigned char *)name;

	for (; *p; p++) {
		bool ok = k_isalpha(*p) || *p == '_' || (hyphen && *p == '-') ||
			  (p != (const unsigned char *)name && k_isdigit(*p));

		if (!ok || (ascii && *p >= 0x80))
			return false;
	}
	return *name != '\0';
}

/* ------------------------------------------------------------- output */

static bool verbose;
/* -S: generated event names keep to [A-Za-z0-9_] (fixes.diff) */
static bool sanitized_names;

static void escape(char *dst, size_t size, const char *src, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = src[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = c;
		else
			o += snprintf(dst + o, size - o, "\\x%02x", c);
	}
	if (i < len && o + 4 < size)
		o += snprintf(dst + o, size - o, "...");
	dst[o] = '\0';
}

/* A named counter with the first examples that fell into it */
struct category {
	char	name[96];
	long	count;
	int	nex;
	char	ex[NR_EXAMPLES][EXAMPLE_LEN];
};

struct cat_set {
	const char	*title;
	int		n;
	struct category	cat[64];
};

static struct cat_set gaps = { .title = "rejected without a new error_log entry" };
static struct cat_set bad_accepts = {
	.title = "accepted, but can never be probed or is malformed"
};

static struct cat_set log_oddities = { .title = "error_log entry present but wrong" };
static struct cat_set model_diffs = { .title = "uprobe_events differs from the accepted lines" };
static struct cat_set splats = { .title = "kernel log" };
static struct cat_set errtexts = { .title = "error_log messages (rejected with an entry)" };

static void count_in(struct cat_set *set, const char *name,
		     const char *line, size_t len)
{
	struct category *c;
	int i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->cat[i].name, name))
			break;
	if (i == set->n) {
		if (set->n == (int)ARRAY_SIZE(set->cat))
			i = set->n - 1;		/* lump the rest together */
		else
			set->n++;
		snprintf(set->cat[i].name, sizeof(set->cat[i].name), "%s",
			 i == set->n - 1 && set->cat[i].count ? "(other)" : name);
	}
	c = &set->cat[i];
	c->count++;
	if (line && c->nex < NR_EXAMPLES)
		escape(c->ex[c->nex++], EXAMPLE_LEN, line, len);
}

static long set_total(const struct cat_set *set)
{
	long sum = 0;
	int i;

	for (i = 0; i < set->n; i++)
		sum += set->cat[i].count;
	return sum;
}

static int cmp_cat(const void *a, const void *b)
{
	const struct category *x = a, *y = b;

	return (y->count > x->count) - (y->count < x->count);
}

static void print_set(struct cat_set *set, bool examples)
{
	int i, j;

	qsort(set->cat, set->n, sizeof(set->cat[0]), cmp_cat);
	printf("\n== %s: %ld line(s), %d categor%s\n", set->title,
	       set_total(set), set->n, set->n == 1 ? "y" : "ies");
	for (i = 0; i < set->n; i++) {
		printf("  %7ld  %s\n", set->cat[i].count, set->cat[i].name);
		for (j = 0; examples && j < set->cat[i].nex; j++)
			printf("             e.g. '%s'\n", set->cat[i].ex[j]);
	}
}

/* ------------------------------------------------------------ targets */

struct target {
	const char	*path;
	off_t		size;		/* -1: not a regular file here */
	int		weight;
};

static struct target targets[] = {
	{ "/bin/bash", 0, 30 },
	{ "/bin/true", 0, 30 },
	{ "/lib/x86_64-linux-gnu/libc.so.6", 0, 20 },
	{ "/usr/bin/[", 0, 3 },			/* a basename that is no name */
	{ "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", 0, 3 },
	{ "/usr/bin/bash", 0, 2 },		/* /usr-merged alias of /bin/bash */
	{ "bin/true", 0, 2 },			/* relative to the writer's cwd */
	{ "//bin//true", 0, 1 },
	{ "/bin/../bin/true", 0, 1 },
	{ "/proc/self/exe", 0, 1 },
	{ "/tmp", 0, 1 },
	{ "/dev/null", 0, 1 },
	{ "/sys", 0, 1 },
	{ "/nonexistent/file", 0, 1 },
	{ "/bin/ba", 0, 1 },			/* cut short */
	{ "/bin/bash/", 0, 1 },
	{ "/bin", 0, 1 },
	{ "/", 0, 1 },
};

#define NR_TARGETS	((int)ARRAY_SIZE(targets))

static void init_targets(void)
{
	struct stat st;
	int i;

	for (i = 0; i < NR_TARGETS; i++) {
		if (stat(targets[i].path, &st) == 0 && S_ISREG(st.st_mode))
			targets[i].size = st.st_size;
		else
			targets[i].size = -1;
	}
}

static struct target *pick_target(void)
{
	int i, sum = 0, r;

	for (i = 0; i < NR_TARGETS; i++)
		sum += targets[i].weight;
	r = rnd(sum);
	for (i = 0; i < NR_TARGETS; i++) {
		r -= targets[i].weight;
		if (r < 0)
			return &targets[i];
	}
	return &targets[0];
}

/* ---------------------------------------------------------- generator */

struct buf {
	char	s[LINE_MAX_LEN];
	size_t	len;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= sizeof(b->s) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, sizeof(b->s) - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < sizeof(b->s) - b->len ?
			  (size_t)n : sizeof(b->s) - 1 - b->len;
}

static void put_run(struct buf *b, char c, int n)
{
	while (n-- > 0 && b->len < sizeof(b->s) - 1)
		b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

/* Separators between words: mostly one space */
static void put_sep(struct buf *b)
{
	static const char *const seps[] = { "  ", "\t", " \t ", "\xa0", "\v" };

	put(b, "%s", chance(94) ? " " : PICK(seps));
}

static const char *const event_pool[] = {
	"e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "ev_x", "_ev", "E9",
};

static const char *const group_pool[] = {
	"fz", "fz1", "fz_2", "uprobes", "fz-3", "-fz",
};

static void put_name(struct buf *b, bool group)
{
	switch (rnd(20)) {
	case 0:
		put_run(b, 'n', 60 + rnd(10));		/* around the limit */
		break;
	case 1:
		put_run(b, 'n', 64 + rnd(300));		/* overlong */
		break;
	case 2:
		put(b, "%s", ONE_OF("1ev", "e-v", "e+v", "e$", "\xe9v\xe8nt", "e\x80", "e\xd7",
				    "common_pid", "ev@", "e[0]", "e,v"));
		break;
	case 3:
		put(b, "%s", group ? ONE_OF("ftrace", "sched", "kprobes", "events", "header_page") :
			ONE_OF("print", "function", "enable", "filter", "format"));
		break;
	default:
		put(b, "%s", group ? PICK(group_pool) : PICK(event_pool));
	}
}

/* The "p[:[GRP/|GRP.][EVENT]]" word */
static void put_cmd(struct buf *b, bool ret)
{
	put(b, "%c", ret ? 'r' : 'p');
	switch (rnd(40)) {
	case 0 ... 11:
		break;
	case 12 ... 21:
		put(b, ":");
		put_name(b, false);
		break;
	case 22 ... 31:
		put(b, ":");
		put_name(b, true);
		put(b, "/");
		put_name(b, false);
		break;
	case 32 ... 33:
		put(b, ":");
		put_name(b, true);
		put(b, ".");
		put_name(b, false);
		break;
	case 34:
		put(b, ":");
		put_name(b, true);
		put(b, "/");
		break;
	case 35:
		put(b, ":/");
		put_name(b, false);
		break;
	case 36:
		put(b, ":");
		break;
	case 37:
		put(b, ":");
		put_name(b, true);
		put(b, "/");
		put_name(b, false);
		put(b, "::");
		break;
	case 38:
		put(b, "%s", ONE_OF("10", "x", "p", "10:e", ":e:f", "r"));
		break;
	default:
		put(b, ":");
		put_name(b, true);
		put(b, "/");
		put_name(b, false);
		put(b, "/");
		put_name(b, false);
		break;
	}
}

static void put_offset(struct buf *b, off_t size)
{
	unsigned long off, fsize = size > 0 ? size : 4096;

	switch (rnd(30)) {
	case 0 ... 11:
		off = rnd64() % fsize & ~0xfUL;
		break;
	case 12 ... 14:
		off = rnd(64);
		break;
	case 15:
		off = fsize - 1;
		break;
	case 16:
		off = fsize;
		break;
	case 17:
		off = fsize + 1 + rnd(1 << 20);
		break;
	case 18:
		off = rnd64();
		break;
	case 19:
		put(b, "%s", PICK(((const char *const[]){
			"0xffffffffffffffff", "0x8000000000000000",
			"18446744073709551616", "0x1ffffffffffffffff",
			"-1", "", "0x", "10a", "+16", "0X10", "0b1", "1e3",
			"0x10 ", "%return", "0x1_0", "00", "08",
			"99999999999999999999999" })));
		return;
	default:
		off = rnd64() % fsize;
		break;
	}
	switch (rnd(8)) {
	case 0:
		put(b, "%lu", off);
		break;
	case 1:
		put(b, "0%lo", off);
		break;
	default:
		put(b, "0x%lx", off);
	}
}

static void put_refctr(struct buf *b, off_t size)
{
	unsigned long fsize = size > 0 ? size : 4096;

	switch (rnd(12)) {
	case 0 ... 3:
		put(b, "(0x%lx)", rnd64() % fsize & ~1UL);
		break;
	case 4:
		put(b, "(0x%lx)", (rnd64() % fsize) | 1);	/* odd */
		break;
	case 5:
		put(b, "(0x%lx)", fsize + rnd(1 << 16));	/* past EOF */
		break;
	case 6:
		put(b, "(%lu)", rnd64());
		break;
	default:
		put(b, "%s", ONE_OF("(0)", "()", "(", "(0x10", "(0x10)x", "(-1)", "(0x10)(0x20)",
				    "(0x10))", "((0x10)", "(0x)", "(16)%return", ")"));
	}
}

static void put_place(struct buf *b, bool ret)
{
	struct target *t = pick_target();

	put(b, "%s:", t->path);
	put_offset(b, t->size);
	if (!ret && chance(10))
		put(b, "%%return");
	else if (chance(2))
		put(b, "%s", ONE_OF("%ret", "%", "%return%return", "%RETURN", "%returnx"));
	if (chance(12))
		put_refctr(b, t->size);
}

static const char *const good_regs[] = {
	"di", "si", "dx", "cx", "ax", "bx", "bp", "sp", "ip", "r8", "r9",
	"r10", "r11", "r12", "r13", "r14", "r15", "flags", "cs", "ss", "ds",
	"es", "fs", "gs", "orig_ax",
};

static void put_fetch(struct buf *b, bool ret, int depth);

static void put_deref(struct buf *b, bool ret, int depth)
{
	long off = chance(70) ? rnd(64) * 8 : (long)rnd64();

	switch (rnd(10)) {
	case 0:
		put(b, "-%ld(", off & 0xffff);
		break;
	case 1:
		put(b, "+u%ld(", off);
		break;
	case 2:
		put(b, "-u%ld(", off & 0xffff);
		break;
	case 3:
		put(b, "%s(", ONE_OF("+", "+x", "+0x", "++0", "u0", "+0u"));
		break;
	default:
		put(b, "+%ld(", off);
	}
	put_fetch(b, ret, depth + 1);
	if (chance(97))
		put(b, ")");
}

static void put_fetch(struct buf *b, bool ret, int depth)
{
	/* Chains of dereferences go deep now and then */
	if (depth > 0 && depth < 24 && chance(depth < 3 ? 50 : 85)) {
		put_deref(b, ret, depth);
		return;
	}
	switch (rnd(40)) {
	case 0 ... 11:
		put(b, "%%%s", PICK(good_regs));
		break;
	case 12:
		put(b, "%%%s", ONE_OF("rax", "eax", "", "xmm0", "DI", "di ", "r16", "%di"));
		break;
	case 13 ... 15:
		put(b, "$stack%u", rnd(16));
		break;
	case 16:
		put(b, "$stack");
		break;
	case 17:
		put(b, "%s", ONE_OF("$stack99999", "$stack4294967296",
				    "$stack18446744073709551616", "$stackx", "$stack-1",
				    "$stack0x10", "$stack 1"));
		break;
	case 18 ... 19:
		put(b, "$retval");
		break;
	case 20:
		put(b, "%s", ONE_OF("$retval2", "$retvalue", "$RETVAL", "$ret"));
		break;
	case 21 ... 22:
		put(b, "%s", ONE_OF("$comm", "$COMM", "$Comm"));
		break;
	case 23 ... 24:
		put(b, "%s", ONE_OF("$arg1", "$arg0", "$argx", "$arg", "$arg9999", "$args"));
		break;
	case 25 ... 26:
		put(b, "@+0x%lx", (unsigned long)rnd(1 << 20));
		break;
	case 27:
		put(b, "@0x%lx", rnd64() & 0x7fffffffffffUL);
		break;
	case 28:
		put(b, "%s", ONE_OF("@main", "@+zz", "@", "@+", "@-1", "@+-16", "@0xz",
				    "@+0x10(%di)"));
		break;
	case 29 ... 30:
		put(b, "\\%ld", (long)rnd64() >> rnd(64));
		break;
	case 31:
		put(b, "%s", ONE_OF("\\\"str\"", "\\\"unclosed", "\\\"\"", "\\x", "\\", "\\-",
				    "\\+7", "\\0x10"));
		break;
	case 32 ... 35:
		put_deref(b, ret, depth);
		break;
	case 36:
		put(b, "%s", ONE_OF("foo", "_x", "1", "", "(", ")", "+0()", "+0(%di", "+0%di",
				    "$", "%"));
		break;
	default:
		put(b, "%%%s", PICK(good_regs));
	}
}

static void put_type(struct buf *b)
{
	static const char *const types[] = {
		"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "x8",
		"x16", "x32", "x64", "char", "string", "ustring",
	};

	switch (rnd(30)) {
	case 0 ... 15:
		put(b, ":%s", PICK(types));
		break;
	case 16 ... 18:
		put(b, ":%s[%u]", PICK(types), rnd(70));
		break;
	case 19:
		put(b, ":%s", ONE_OF("u8[4294967296]", "u8[", "u8[]", "u8[1]x", "u8[-1]",
				     "u8[0x10]", "u8[1][2]", "string[2]", "u64[64]"));
		break;
	case 20 ... 21:
		put(b, ":b%u@%u/%s", rnd(70), rnd(70),
		    ONE_OF("8", "16", "32", "64", "7"));
		break;
	case 22:
		put(b, ":%s", ONE_OF("symbol", "symstr", "u128", "u", "", "int", "b", "b/32",
				     "b4@/32", "U8", "u8:u8", "string:u8"));
		break;
	default:
		break;
	}
}

static void put_arg(struct buf *b, bool ret)
{
	switch (rnd(30)) {
	case 0 ... 16:
		break;
	case 17 ... 24:
		put(b, "a%u=", rnd(8));
		break;
	case 25:
		put(b, "arg%u=", rnd(4) + 1);
		break;
	case 26:
		put_run(b, 'a', 30 + rnd(6));
		put(b, "=");
		break;
	default:
		put(b, "%s=", ONE_OF("", "1a", "a-b", "common_pid", "__probe_ip", "__probe_func",
				     "__probe_ret_ip", "a.b", "\xe9"));
	}
	put_fetch(b, ret, 0);
	put_type(b);
}

static void gen_define(struct buf *b)
{
	bool ret = chance(30);
	int nargs, i;

	put_cmd(b, ret);
	if (chance(99)) {
		put_sep(b);
		put_place(b, ret);
	}
	nargs = chance(3) ? MAX_TRACE_ARGS - 8 + rnd(16) :
		PICK(((const int[]){ 0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 6, 10 }));
	for (i = 0; i < nargs; i++) {
		put_sep(b);
		if (nargs > 16)
			put(b, "%%%s", PICK(good_regs));
		else
			put_arg(b, ret);
	}
}

/* Live events, as uprobe_events should show them */
struct live {
	char	line[LINE_MAX_LEN];
	char	group[EVENT_NAME_LEN * 8];
	char	event[EVENT_NAME_LEN * 8];
};

static struct live *live;
static int nr_live;

/*
 * Deletions name events of recent definitions, accepted or not, so that
 * the lines depend on the seed alone and not on what the kernel took.
 */
#define NR_RECENT	64
static struct live recent[NR_RECENT];
static int nr_recent, recent_next;

static void gen_remove(struct buf *b)
{
	struct live *l = nr_recent ? &recent[rnd(nr_recent)] : NULL;

	switch (rnd(14)) {
	case 0 ... 4:
		if (l)
			put(b, "-:%s", l->event);
		else
			put(b, "-:e0");
		break;
	case 5 ... 7:
		if (l)
			put(b, "-:%s/%s", l->group, l->event);
		else
			put(b, "-:fz/e1");
		break;
	case 8:
		/* The whole line as shown, or its place only */
		if (l) {
			const char *sp = strchr(l->line, ' ');

			put(b, "-:%s/%s%s", l->group, l->event, sp ? sp : "");
			if (chance(30) && b->len > 4)
				b->len -= rnd(4);	/* args cut short */
			b->s[b->len] = '\0';
		} else {
			put(b, "-:fz/e2 /bin/true:0x0000000000000000");
		}
		break;
	case 9:
		put(b, "-:%s/", l ? l->group : "fz");
		break;
	default:
		put(b, "%s", ONE_OF("-:", "-", "-:/", "-:nonexistent", "-:fz/nonexistent",
				    "-: e0", "-e0", "- :e0", "-:e0 /bin/true", "-:/e0",
				    "-:fz/e1/e2", "-:uprobes/", "!:e0", "-:fz.e1"));
	}
}

static const char *const specials[] = {
	":", "(", ")", "%return", "=", "/", "..", "$", "+0(", "[", "]",
	":u8[", "\\\"", "#", " ", "-", "@", "%", ".", ",", "0x", "\xff",
	"\xa0", "\t", ":string", "(0x10)", "$retval", "r", "p:", "//",
};

static void mutate(struct buf *b)
{
	size_t pos = b->len ? rnd(b->len + 1) : 0;
	size_t n;
	char tmp[LINE_MAX_LEN];

	switch (rnd(9)) {
	case 0:		/* insert a byte, binary or not */
	case 1:
		if (b->len + 1 < sizeof(b->s)) {
			memmove(b->s + pos + 1, b->s + pos, b->len - pos + 1);
			b->s[pos] = chance(3) ? '\0' : 1 + rnd(255);
			b->len++;
		}
		break;
	case 2:		/* replace a byte */
		if (b->len)
			b->s[rnd(b->len)] = chance(2) ? '\0' : 1 + rnd(255);
		break;
	case 3:		/* delete a range */
		n = rnd(8) + 1;
		if (pos + n > b->len)
			n = b->len - pos;
		memmove(b->s + pos, b->s + pos + n, b->len - pos - n + 1);
		b->len -= n;
		break;
	case 4:		/* cut short */
		b->len = pos;
		b->s[pos] = '\0';
		break;
	case 5:		/* insert a piece of the grammar */
	case 6:
		n = snprintf(tmp, sizeof(tmp), "%s%s", PICK(specials), b->s + pos);
		if (b->len + n - (b->len - pos) < sizeof(b->s)) {
			memcpy(b->s + pos, tmp, n + 1);
			b->len = pos + n;
		}
		break;
	case 7:		/* duplicate a tail */
		n = b->len - pos;
		if (b->len + n + 1 < sizeof(b->s)) {
			memcpy(b->s + b->len, b->s + pos, n);
			b->len += n;
			b->s[b->len] = '\0';
		}
		break;
	case 8:		/* pad towards or past the 4K line limit */
		n = chance(50) ? WRITE_BUFSIZE - 4 - b->len + rnd(6) :
		    rnd(3 * WRITE_BUFSIZE / 2);
		if (n < sizeof(b->s) - b->len - 1 && n < sizeof(tmp) - 1) {
			memset(tmp, chance(50) ? ' ' : 'A', n);
			tmp[n] = '\0';
			if (chance(50)) {
				memcpy(b->s + b->len, tmp, n + 1);
			} else {
				memmove(b->s + pos + n, b->s + pos, b->len - pos + 1);
				memcpy(b->s + pos, tmp, n);
			}
			b->len += n;
		}
		break;
	}
	/* One write is one line: a newline would start another command */
	for (n = 0; n < b->len; n++)
		if (b->s[n] == '\n')
			b->s[n] = '\v';
}

static void gen_line(struct buf *b)
{
	int i, n;

	b->len = 0;
	b->s[0] = '\0';
	if (chance(8))
		gen_remove(b);
	else
		gen_define(b);
	if (chance(40)) {
		n = 1 + rnd(3);
		for (i = 0; i < n; i++)
			mutate(b);
	}
}

/* ------------------------------------------------------------ analysis */

#define MAX_WORDS	1024

/* A line cut into words as the kernel sees it */
struct words {
	char	cmd[LINE_MAX_LEN];	/* after comment removal */
	char	store[LINE_MAX_LEN];
	char	*argv[MAX_WORDS];
	int	argc;
	bool	has_nul;
	bool	too_long;
	char	joined[LINE_MAX_LEN];	/* what error_log's Command: shows */
};

static void split_words(const char *line, size_t len, struct words *w)
{
	char *p, *hash;

	memset(w, 0, offsetof(struct words, argv));
	w->argc = 0;
	w->has_nul = !!memchr(line, '\0', len);
	/* trace_parse_run_command() takes WRITE_BUFSIZE - 2 and the '\n' */
	w->too_long = len + 1 > WRITE_BUFSIZE - 1;
	memcpy(w->cmd, line, len);
	w->cmd[len] = '\0';
	hash = strchr(w->cmd, '#');
	if (hash)
		*hash = '\0';
	memcpy(w->store, w->cmd, strlen(w->cmd) + 1);
	for (p = w->store; *p && w->argc < MAX_WORDS;) {
		while (*p && k_isspace(*p))
			*p++ = '\0';
		if (!*p)
			break;
		w->argv[w->argc++] = p;
		while (*p && !k_isspace(*p))
			p++;
	}
	w->joined[0] = '\0';
	for (int i = 0, o = 0; i < w->argc; i++)
		o += snprintf(w->joined + o, sizeof(w->joined) - o, "%s%s",
			      i ? " " : "", w->argv[i]);
}

/* What a define line makes, as trace_uprobe_show() prints it */
struct predicted {
	struct live	l;
	const char	*path;
	unsigned long	foffset, refctr;
	bool		has_refctr;
	int		nargs;
	char		*arg_name[MAX_WORDS], *arg_body[MAX_WORDS];
	char		names[MAX_WORDS][40];
};

static void predict(struct words *w, struct predicted *pr)
{
	char spec[LINE_MAX_LEN], nbuf[EVENT_NAME_LEN], gbuf[LINE_MAX_LEN];
	char *num, *open, *pct, *event, *slash;
	const char *group = "uprobes", *base;
	bool ret = w->argv[0][0] == 'r';
	int i, o;

	snprintf(spec, sizeof(spec), "%s", w->argv[1]);
	num = strrchr(spec, ':');
	*num++ = '\0';
	pr->has_refctr = false;
	pr->refctr = 0;
	open = strchr(num, '(');
	if (open) {
		*open = '\0';
		pr->refctr = strtoul(open + 1, NULL, 0);
		pr->has_refctr = pr->refctr != 0;
	}
	pct = strchr(num, '%');
	if (pct) {
		*pct = '\0';
		ret = true;
	}
	pr->foffset = strtoul(num, NULL, 0);
	pr->path = w->argv[1];

	event = strchr(w->argv[0] + 1, ':');
	nbuf[0] = '\0';
	if (event) {
		event++;
		slash = strchr(event, '/');
		if (!slash)
			slash = strchr(event, '.');
		if (slash) {
			snprintf(gbuf, sizeof(gbuf), "%.*s",
				 (int)(slash - event), event);
			group = gbuf;
			event = slash + 1;
		}
		if (!*event)
			event = NULL;
	}
	snprintf(pr->l.group, sizeof(pr->l.group), "%.*s",
		 (int)sizeof(pr->l.group) - 1, group);
	if (!event) {
		base = strrchr(spec, '/');
		base = base ? base + 1 : spec;
		snprintf(nbuf, sizeof(nbuf), "p_%.*s_0x%lx",
			 (int)strcspn(base, ".-_"), base, pr->foffset);
		for (char *q = nbuf + 1; *q; q++)
			if (*q == ':' || *q == '.' || *q == '*' ||
			    (sanitized_names && !isalnum((unsigned char)*q) &&
			     *q != '_'))
				*q = '_';
		event = nbuf;
	}
	snprintf(pr->l.event, sizeof(pr->l.event), "%s", event);

	o = snprintf(pr->l.line, sizeof(pr->l.line), "%c:%s/%s %s:0x%016lx",
		     ret ? 'r' : 'p', pr->l.group, pr->l.event, spec,
		     pr->foffset);
	if (pr->has_refctr)
		o += snprintf(pr->l.line + o, sizeof(pr->l.line) - o,
			      "(0x%lx)", pr->refctr);
	pr->nargs = w->argc - 2;
	for (i = 0; i < pr->nargs; i++) {
		char *arg = w->argv[i + 2], *eq = strchr(arg, '=');

		if (eq) {
			snprintf(pr->names[i], sizeof(pr->names[i]), "%.*s",
				 (int)(eq - arg), arg);
			pr->arg_body[i] = eq + 1;
		} else {
			snprintf(pr->names[i], sizeof(pr->names[i]), "arg%d", i + 1);
			pr->arg_body[i] = arg;
		}
		pr->arg_name[i] = pr->names[i];
		o += snprintf(pr->l.line + o, sizeof(pr->l.line) - o, " %s=%s",
			      pr->arg_name[i], pr->arg_body[i]);
	}
}

static const char *unclaimed_reason(struct words *w);

/* Remember what a generated definition would make, for gen_remove() */
static void remember(struct words *w)
{
	static struct predicted pr;
	bool saved;

	if (w->has_nul || w->too_long || w->argc < 2 || w->cmd[0] == '-' ||
	    unclaimed_reason(w))
		return;
	/* The kernel's names do not matter here: only the line sequence */
	saved = sanitized_names;
	sanitized_names = false;
	predict(w, &pr);
	sanitized_names = saved;
	recent[recent_next] = pr.l;
	recent_next = (recent_next + 1) % NR_RECENT;
	if (nr_recent < NR_RECENT)
		nr_recent++;
}

/* trace_uprobe_claims(): does the uprobe frontend take this command? */
static const char *unclaimed_reason(struct words *w)
{
	const char *cmd;

	if (w->argc == 0)
		return NULL;
	cmd = w->argv[0];
	if (cmd[0] != 'p' && cmd[0] != 'r')
		return "not claimed: command word is not p/r (trace_uprobe_claims)";
	if (cmd[1] != '\0' && cmd[1] != ':')
		return "not claimed: command word is p/r + junk, not 'p:' (trace_uprobe_claims)";
	if (w->argc < 2)
		return "not claimed: no place argument (trace_uprobe_claims)";
	if (!strchr(w->argv[1], '/'))
		return "not claimed: place without '/' (trace_uprobe_claims)";
	if (!strchr(w->argv[1], ':'))
		return "not claimed: place without ':' (trace_uprobe_claims)";
	return NULL;
}

/* ---------------------------------------------------------- tracefs i/o */

static char *read_file(const char *path, size_t *lenp)
{
	size_t cap = 65536, len = 0;
	char *s = malloc(cap);
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !s) {
		free(s);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/* tracefs files have size 0: read until EOF */
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap *= 2;
			s = realloc(s, cap);
			if (!s)
				break;
		}
		n = read(fd, s + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (s)
		s[len] = '\0';
	if (lenp)
		*lenp = len;
	return s;
}

static void clear_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd >= 0)
		close(fd);
}

/* True when PATH reads as empty (tracefs files report size 0: read them) */
static bool file_empty(const char *path)
{
	char c;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return errno == ENOENT;
	n = read(fd, &c, 1);
	close(fd);
	return n == 0;
}

static const char *errlog_path = TRACEFS "/error_log";
static const char *events_path = TRACEFS "/uprobe_events";
static bool dynamic_mode;

/* The entries of error_log: count, and the last one's parts */
struct errlog {
	int	entries;
	char	text[512];	/* "trace_uprobe: error: ..." */
	char	cmd[LINE_MAX_LEN];
	int	caret;
};

static int read_errlog(struct errlog *el)
{
	size_t len;
	char *s = read_file(errlog_path, &len), *line, *next;
	bool want_cmd = false, want_caret = false;

	el->entries = 0;
	if (!s)
		return -1;
	for (line = s; line < s + len; line = next + 1) {
		next = memchr(line, '\n', s + len - line);
		if (!next)
			next = s + len;
		*next = '\0';
		if (line[0] == '[') {
			char *t = strchr(line, ']');

			el->entries++;
			snprintf(el->text, sizeof(el->text), "%s", t ? t + 2 : line);
			want_cmd = true;
		} else if (want_cmd && !strncmp(line, "  Command: ", 11)) {
			snprintf(el->cmd, sizeof(el->cmd), "%s", line + 11);
			want_cmd = false;
			want_caret = true;
		} else if (want_caret) {
			char *c = strchr(line, '^');

			el->caret = c ? (int)(c - line) - 11 : -1;
			want_caret = false;
		}
	}
	free(s);
	return 0;
}

/* The error text without the event-specific part, as a category name */
static void errtext_category(const char *text, char *out, size_t size)
{
	snprintf(out, size, "%.*s", (int)size - 1, text);
}

/* --------------------------------------------------------------- model */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parse a line shown by uprobe_events back into a live entry */
static void parse_shown(const char *line, struct live *l)
{
	const char *sl = strchr(line, '/'), *sp = strchr(line, ' ');

	snprintf(l->line, sizeof(l->line), "%s", line);
	l->group[0] = '\0';
	l->event[0] = '\0';
	if (sl && sp && sl < sp && line[1] == ':') {
		snprintf(l->group, sizeof(l->group), "%.*s", (int)(sl - line - 2),
			 line + 2);
		snprintf(l->event, sizeof(l->event), "%.*s", (int)(sp - sl - 1),
			 sl + 1);
	}
}

/* What dyn_event_release() + trace_uprobe_match() would delete */
static int predict_remove(struct words *w, bool *hit)
{
	char first[LINE_MAX_LEN], *system = NULL, *event, *p;
	int n = 0, i;

	if (w->argv[0][1] != ':')
		return -EINVAL;
	snprintf(first, sizeof(first), "%s", w->argv[0] + 2);
	event = first;
	p = strchr(event, '/');
	if (p) {
		system = event;
		event = p + 1;
		*p = '\0';
	}
	if (!system && !*event)
		return -EINVAL;
	for (i = 0; i < nr_live; i++) {
		struct live *l = &live[i];
		char want[LINE_MAX_LEN];
		int o, a;

		hit[i] = false;
		if (*event && strcmp(event, l->event))
			continue;
		if (system && strcmp(system, l->group))
			continue;
		if (w->argc > 1) {
			/*
			 * The place must be the shown one and the arguments
			 * a prefix of the shown ones, word for word.
			 */
			for (a = 1, o = 0; a < w->argc; a++)
				o += snprintf(want + o, sizeof(want) - o, " %s",
					      w->argv[a]);
			p = strchr(l->line, ' ');
			if (!p || strncmp(p, want, o) ||
			    (p[o] != '\0' && p[o] != ' '))
				continue;
		}
		hit[i] = true;
		n++;
	}
	return n ? n : -ENOENT;
}

static void model_remove(bool *hit)
{
	int i, o = 0;

	for (i = 0; i < nr_live; i++)
		if (!hit[i])
			live[o++] = live[i];
	nr_live = o;
}

static long checkpoints, mismatching_checkpoints;

/*
 * Compare the model with what the file shows; on a difference, record it
 * and take the file's view as the new model.
 */
static bool check_state(const char *recent, size_t rlen, bool final)
{
	size_t len;
	char *s = read_file(events_path, &len), *line, *next;
	char **got = NULL, **want = NULL;
	int ngot = 0, i, j;
	bool same = true;

	checkpoints++;
	if (!s) {
		count_in(&model_diffs, "cannot read uprobe_events", NULL, 0);
		return false;
	}
	got = calloc(MAX_LIVE, sizeof(*got));
	want = calloc(nr_live + 1, sizeof(*want));
	for (line = s; line < s + len && ngot < MAX_LIVE; line = next + 1) {
		next = strchr(line, '\n');
		if (!next)
			next = s + len;
		*next = '\0';
		if (*line)
			got[ngot++] = line;
	}
	for (i = 0; i < nr_live; i++)
		want[i] = live[i].line;
	qsort(got, ngot, sizeof(*got), cmp_str);
	qsort(want, nr_live, sizeof(*want), cmp_str);
	for (i = j = 0; i < ngot || j < nr_live;) {
		int c = i == ngot ? 1 : j == nr_live ? -1 : strcmp(got[i], want[j]);

		if (c == 0) {
			i++, j++;
			continue;
		}
		same = false;
		if (c < 0) {
			count_in(&model_diffs, final ? "final: shown but not accepted" :
				 "shown but not predicted from accepted lines",
				 got[i], strlen(got[i]));
			i++;
		} else {
			count_in(&model_diffs, final ? "final: accepted but not shown" :
				 "predicted from accepted lines but not shown",
				 want[j], strlen(want[j]));
			j++;
		}
	}
	if (!same) {
		mismatching_checkpoints++;
		if (verbose && recent)
			fprintf(stderr, "state differs; last line '%.*s'\n",
				(int)rlen, recent);
		/* Resynchronize */
		nr_live = 0;
		for (i = 0; i < ngot; i++)
			parse_shown(got[i], &live[nr_live++]);
	}
	free(got);
	free(want);
	free(s);
	return same;
}

/* ------------------------------------------------------------- kmsg */

static int kmsg_fd = -1;
static long kmsg_splats, kmsg_long_lines;

static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

static void kmsg_scan(const char *recent, size_t rlen)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "Call Trace", "general protection",
		"UBSAN", "KASAN", "refcount_t", "list_add corruption",
		"list_del corruption", "kernel BUG", "stack-protector",
		"Unable to handle", "RIP:", "lockdep", "possible recursive",
		"circular locking", "hung_task", "soft lockup", "INFO: task",
	};
	char rec[8192];
	ssize_t n;
	unsigned int i;

	if (kmsg_fd < 0)
		return;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, "Line length is too long")) {
			kmsg_long_lines++;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (strstr(rec, bad[i])) {
				char *msg = strchr(rec, ';');
				char name[96];

				kmsg_splats++;
				snprintf(name, sizeof(name), "splat: %.60s",
					 msg ? msg + 1 : rec);
				for (char *q = name; *q; q++)
					if (*q == '\n')
						*q = ' ';
				count_in(&splats, name, recent, rlen);
				break;
			}
		}
	}
}

/* ---------------------------------------------------------------- main */

/*
 * What error_log should show as the command: the words joined by one
 * space, or, for a line trace_parse_run_command() refuses (fixes.diff logs
 * those), the raw line up to the NUL byte or the end of its 4K buffer.
 */
static const char *expected_cmd(const struct words *w, const char *line,
				size_t len)
{
	static char raw[WRITE_BUFSIZE];

	if (!w->has_nul && !w->too_long)
		return w->joined;
	if (len > WRITE_BUFSIZE - 1)
		len = WRITE_BUFSIZE - 1;
	memcpy(raw, line, len);
	raw[len] = '\0';
	return raw;
}

/* A deletion: "-:..." anywhere, "!:..." too in dynamic_events */
static bool is_removal(const struct words *w)
{
	return w->cmd[0] == '-' || (dynamic_mode && w->cmd[0] == '!');
}

static const char *errno_name(int e)
{
	static char buf[32];

	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case EEXIST: return "EEXIST";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ERANGE: return "ERANGE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ELOOP: return "ELOOP";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* Judge an accepted define line: can the uprobes core ever plant it? */
static void judge_accepted(struct predicted *pr, const char *line, size_t len)
{
	struct stat st;
	int i;

	/* A relative path is looked up from the writer's cwd: that is ABI */
	{
		char path[LINE_MAX_LEN];
		char *colon;

		snprintf(path, sizeof(path), "%s", pr->path);
		colon = strrchr(path, ':');
		if (colon)
			*colon = '\0';
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if ((long)pr->foffset < 0)
				count_in(&bad_accepts, "offset >= 2^63 (negative loff_t)",
					 line, len);
			else if (pr->foffset >= (unsigned long)st.st_size)
				count_in(&bad_accepts,
					 "offset at or past EOF (uprobe_register refuses it)",
					 line, len);
			if (pr->has_refctr && pr->refctr & 1)
				count_in(&bad_accepts,
					 "odd ref_ctr_offset (uprobe_register refuses it)",
					 line, len);
			/* past EOF is still fine: the bss of the last page */
		}
	}
	if (!good_name(pr->l.event, false, true) ||
	    !good_name(pr->l.group, true, true)) {
		if (!good_name(pr->l.event, false, false) ||
		    !good_name(pr->l.group, true, false))
			count_in(&bad_accepts,
				 "event/group name that is_good_name() refuses (auto-generated from the basename)",
				 line, len);
		else
			count_in(&bad_accepts, "non-ASCII (Latin-1) event or group name",
				 line, len);
	}
	for (i = 0; i < pr->nargs; i++) {
		const char *b = pr->arg_body[i];
		const char *s;

		for (s = b; (s = strstr(s, "$stack")); s += 6) {
			unsigned long long v;

			if (!isdigit((unsigned char)s[6]))
				continue;
			v = strtoull(s + 6, NULL, 10);
			if (v > 0xffffffffULL)
				count_in(&bad_accepts,
					 "$stackN with N >= 2^32 (silently truncated)",
					 line, len);
		}
		for (s = b; (s = strstr(s, "$retval")); s += 7)
			if (isalnum((unsigned char)s[7]) || s[7] == '_')
				count_in(&bad_accepts, "$retval<suffix> taken as $retval",
					 line, len);
	}
}

/* Why a rejected line left no error_log entry, as far as we can tell */
static const char *gap_reason(struct words *w, int err, bool *hit, char *cat, size_t size)
{
	const char *why = NULL;

	if (w->has_nul)
		return "NUL byte in the line (trace_parse_run_command: 'Line length is too long')";
	if (w->too_long)
		return "line longer than 4094 bytes (trace_parse_run_command)";
	if (is_removal(w)) {
		int p = predict_remove(w, hit);

		snprintf(cat, size, "removal '-:...' refused with %s%s (dyn_event_release)",
			 errno_name(err), p > 0 ? ", MODEL PREDICTED A MATCH" :
			 p == -EINVAL ? ": bad syntax" : ": nothing matched");
		return cat;
	}
	why = unclaimed_reason(w);
	if (!why && w->argc - 2 > MAX_TRACE_ARGS)
		why = "more than 128 fetch arguments (E2BIG)";
	if (!why) {
		snprintf(cat, size, "unexplained, %s", errno_name(err));
		why = cat;
	}
	return why;
}

int main(int argc, char **argv)
{
	static struct buf b;
	static struct words w;
	static struct predicted pr;
	long count = 100000, check_every = 500, i;
	long accepted = 0, rejected = 0, logged = 0, removes_ok = 0;
	long defines_ok = 0, empty_ok = 0;
	uint64_t seed = 1, lines_hash = 0xcbf29ce484222325ULL;	/* FNV-1a */
	struct errlog el = { 0 };
	int prev_entries = 0, fd, opt;
	bool *hit;
	bool final_ok, dry_run = false, force = false;
	time_t t0 = time(NULL);

	while ((opt = getopt(argc, argv, "n:s:c:DfgSv")) != -1) {
		switch (opt) {
		case 'n':
			count = strtol(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			check_every = strtol(optarg, NULL, 0);
			break;
		case 'D':
			dynamic_mode = true;
			break;
		case 'f':
			force = true;
			break;
		case 'g':
			dry_run = true;
			break;
		case 'S':
			sanitized_names = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n LINES] [-s SEED] [-c N] [-DfgSv]\n",
				argv[0]);
			return 2;
		}
	}
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	if (chdir("/"))
		perror("chdir /");
	init_targets();
	live = calloc(MAX_LIVE, sizeof(*live));
	hit = calloc(MAX_LIVE, sizeof(*hit));
	if (!live || !hit)
		return 2;
	if (dry_run) {
		static char out[4 * LINE_MAX_LEN + 8];

		for (i = 0; i < count; i++) {
			gen_line(&b);
			split_words(b.s, b.len, &w);
			remember(&w);
			escape(out, sizeof(out), b.s, b.len);
			puts(out);
		}
		return 0;
	}

	/*
	 * Start from nothing: no events in the file written to (uprobe_events,
	 * or with -D dynamic_events, which lists kprobes, eprobes and
	 * synthetic events too) and an empty error log. The resets below
	 * delete every event of that file, so never run over someone's
	 * probes without being told to.
	 */
	if (dynamic_mode)
		events_path = TRACEFS "/dynamic_events";
	if (!force && !file_empty(events_path)) {
		fprintf(stderr, "%s: %s lists events: remove them or pass -f\n",
			argv[0], events_path);
		return 4;	/* KSFT_SKIP */
	}
	clear_file(events_path);
	clear_file(errlog_path);
	if (read_errlog(&el) || el.entries) {
		fprintf(stderr, "error_log cannot be read or cleared (%d entries)\n",
			el.entries);
		return 2;
	}
	fd = open(events_path, O_WRONLY | O_APPEND);
	if (fd < 0) {
		perror(events_path);
		return 2;
	}
	kmsg_open();
	printf("uprobes_fuzz: %ld lines, seed %llu, into %s\n", count,
	       (unsigned long long)seed, events_path);
	fflush(stdout);

	for (i = 0; i < count; i++) {
		ssize_t n;
		int err;

		gen_line(&b);
		split_words(b.s, b.len, &w);
		remember(&w);
		for (size_t k = 0; k < b.len; k++)
			lines_hash = (lines_hash ^ (unsigned char)b.s[k]) * 0x100000001b3ULL;
		lines_hash = (lines_hash ^ '\n') * 0x100000001b3ULL;
		b.s[b.len] = '\n';
		n = write(fd, b.s, b.len + 1);
		err = n < 0 ? errno : 0;
		b.s[b.len] = '\0';

		if (!err) {
			accepted++;
			if (is_removal(&w) && !w.has_nul) {
				int p = predict_remove(&w, hit);

				removes_ok++;
				if (p < 0)
					count_in(&model_diffs,
						 "removal accepted, model predicted no match",
						 b.s, b.len);
				else
					model_remove(hit);
			} else if (w.argc == 0) {
				empty_ok++;
			} else if (unclaimed_reason(&w)) {
				count_in(&model_diffs, "accepted although not a uprobe command",
					 b.s, b.len);
			} else if (nr_live < MAX_LIVE) {
				defines_ok++;
				predict(&w, &pr);
				live[nr_live++] = pr.l;
				judge_accepted(&pr, b.s, b.len);
			}
		} else {
			char cat[160];

			rejected++;
			read_errlog(&el);
			if (el.entries > prev_entries) {
				logged++;
				if (el.entries > prev_entries + 1)
					count_in(&log_oddities,
						 "more than one new entry for one line",
						 b.s, b.len);
				if (strcmp(el.cmd, expected_cmd(&w, b.s, b.len)))
					count_in(&log_oddities, "Command: is not the line written",
						 b.s, b.len);
				if (el.caret < 0 || el.caret > (int)strlen(el.cmd) + 1)
					count_in(&log_oddities, "caret outside the command",
						 b.s, b.len);
				errtext_category(el.text, cat, sizeof(cat));
				count_in(&errtexts, cat, b.s, b.len);
				if (is_removal(&w) && !w.has_nul && !w.too_long) {
					int p = predict_remove(&w, hit);

					if (p > 0)
						count_in(&model_diffs,
							 "removal refused, model predicted a match",
							 b.s, b.len);
				}
			} else {
				count_in(&gaps, gap_reason(&w, err, hit, cat, sizeof(cat)),
					 b.s, b.len);
			}
			if (el.entries >= ERRLOG_CLEAR_AT) {
				clear_file(errlog_path);
				el.entries = 0;
			}
			prev_entries = el.entries;
		}
		if (verbose)
			fprintf(stderr, "%s '%.*s'\n", err ? errno_name(err) : "ok",
				(int)b.len, b.s);

		if ((i + 1) % check_every == 0 || i + 1 == count) {
			kmsg_scan(b.s, b.len);
			/* Entries logged for accepted lines show up here */
			read_errlog(&el);
			if (el.entries > prev_entries)
				count_in(&log_oddities, "new entries after an accepted line",
					 b.s, b.len);
			prev_entries = el.entries;
			check_state(b.s, b.len, false);
			if (nr_live > RESET_ABOVE) {
				/* O_TRUNC deletes every event of the file */
				clear_file(events_path);
				nr_live = 0;
				check_state(NULL, 0, false);
			}
		}
		if ((i + 1) % 10000 == 0) {
			printf("  %ld lines, %ld accepted, %ld rejected, %ld gaps, %lds\n",
			       i + 1, accepted, rejected, set_total(&gaps),
			       (long)(time(NULL) - t0));
			fflush(stdout);
		}
	}
	close(fd);
	kmsg_scan(NULL, 0);
	final_ok = check_state(NULL, 0, true);

	printf("\n== totals: %ld lines tried, %ld accepted (%ld definitions, %ld removals, %ld empty/comment), %ld rejected (%ld with a new error_log entry, %ld without), %lds\n",
	       count, accepted, defines_ok, removes_ok, empty_ok, rejected,
	       logged, set_total(&gaps), (long)(time(NULL) - t0));
	printf("== checkpoints %ld, of which the shown events differed from the model: %ld; final state %s\n",
	       checkpoints, mismatching_checkpoints, final_ok ? "matches" : "DIFFERS");
	printf("== kernel log: %ld splat record(s), %ld 'Line length is too long' warning(s)\n",
	       kmsg_splats, kmsg_long_lines);
	print_set(&gaps, true);
	print_set(&bad_accepts, true);
	print_set(&log_oddities, true);
	print_set(&model_diffs, true);
	print_set(&splats, true);
	print_set(&errtexts, false);
	printf("== FNV-1a of all lines written: %016llx (the same for a seed on every kernel)\n",
	       (unsigned long long)lines_hash);
	printf("\nFUZZ_SUMMARY lines=%ld accepted=%ld rejected=%ld logged=%ld gaps=%ld bad_accepts=%ld log_oddities=%ld model_diffs=%ld splats=%ld final=%s\n",
	       count, accepted, rejected, logged, set_total(&gaps),
	       set_total(&bad_accepts), set_total(&log_oddities),
	       set_total(&model_diffs), kmsg_splats, final_ok ? "ok" : "differs");

	/* Leave nothing behind */
	clear_file(events_path);
	return kmsg_splats || !final_ok ? 1 : 0;
}
