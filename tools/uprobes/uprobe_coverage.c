// SPDX-License-Identifier: GPL-2.0-only
/*
 * uprobe_coverage: how a kernel with this series would execute a probe on
 * the first instruction of every function of x86-64 ELF files, and how
 * stock 6.12 would.  "Ours" is the kernel's own classifier,
 * arch/x86/kernel/uprobes_insn.c, built here with the tools copy of the
 * instruction decoder.  "Stock" is a model of mainline 6.12, which
 * emulates only relative jumps and calls and jcc (refusing them with an
 * operand-size prefix), push of a register (one byte, or 41 50-57) and
 * 0x90 with any prefixes, and single-steps everything else it accepts; it
 * is not mainline's code, and its refusals are assumed to be ours.  Both
 * assume a 64-bit task outside a confidential guest (no #VC emulation).
 * Emulated and boosted instructions (run from a copy that jumps back)
 * both take one trap per hit: "no single-step" counts both.
 *
 * Usage: uprobe_coverage [-a] [-v] FILE...
 *	-a	also classify every instruction found by a linear sweep of
 *		the executable sections, not only function entries
 *	-v	list the function entries that would be single-stepped
 *
 * Prints, per file, the counts per class for both and the share that needs
 * no single-step, and a summary line per file for scripts:
 *	COVERAGE file=F entries=N ours_nostep=N stock_nostep=N refused=N boosted=N
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kernel.h>
#include <asm/insn.h>
#include "uprobes_insn.h"

/* The classifier only checks register numbers against the table's size */
const u8 uprobe_gpr_offset[UPROBE_NR_GPRS];

enum cov_class { COV_EMULATE, COV_BOOST, COV_STEP, COV_REFUSE, COV_NR };

static const char *const cov_names[COV_NR] = {
	[COV_EMULATE]	= "emulated",
	[COV_BOOST]	= "boosted",
	[COV_STEP]	= "single-stepped",
	[COV_REFUSE]	= "refused",
};

struct cov_counts {
	unsigned long	ours[COV_NR];
	unsigned long	stock[COV_NR];
	unsigned long	stepped_opc[512];	/* ours, by opcode (0x100 | 0f xx) */
};

static bool verbose;

static enum cov_class classify_ours(const u8 *bytes, size_t len, const char **why)
{
	struct arch_uprobe aup;
	int class;

	memset(&aup, 0, sizeof(aup));
	memcpy(aup.insn, bytes, len < sizeof(aup.insn) ? len : sizeof(aup.insn));
	class = uprobe_insn_classify(&aup, true, false, why);
	if (class < 0)
		return COV_REFUSE;
	if (class == UPROBE_INSN_STEP)
		return COV_STEP;
	return class == UPROBE_INSN_BOOST ? COV_BOOST : COV_EMULATE;
}

static bool has_prefix(struct insn *insn, u8 prefix)
{
	insn_byte_t p;
	int i;

	for_each_insn_prefix(insn, i, p) {
		if (p == prefix)
			return true;
	}
	return false;
}

/* The model of stock 6.12 described at the top */
static enum cov_class classify_stock(struct insn *insn, enum cov_class ours)
{
	u8 opc1 = insn->opcode.bytes[0];
	bool branch;

	if (ours == COV_REFUSE)
		return COV_REFUSE;
	/* no booster */
	/* 0x90 with whatever prefixes */
	if (opc1 == 0x90 && insn->opcode.nbytes == 1)
		return COV_EMULATE;
	/* push reg: one byte, or two with REX.B alone (41 50-57) */
	if (opc1 >= 0x50 && opc1 <= 0x57 && insn->opcode.nbytes == 1 &&
	    (insn->length == 1 || (insn->length == 2 && insn->kaddr[0] == 0x41)))
		return COV_EMULATE;
	branch = (insn->opcode.nbytes == 1 &&
		  (opc1 == 0xe8 || opc1 == 0xe9 || opc1 == 0xeb ||
		   (opc1 >= 0x70 && opc1 <= 0x7f))) ||
		 (opc1 == 0x0f && insn->opcode.nbytes == 2 &&
		  (insn->opcode.bytes[1] & 0xf0) == 0x80);
	if (branch)	/* refused with an operand-size prefix */
		return has_prefix(insn, 0x66) ? COV_REFUSE : COV_EMULATE;
	return COV_STEP;
}

/* Classify the instruction at @p (at most @len bytes); its length, or 0 */
static unsigned int count_one(struct cov_counts *c, const u8 *p, size_t len,
			      const char *name)
{
	enum cov_class ours, stock;
	const char *why = NULL;
	struct insn insn;

	if (insn_decode(&insn, p, len < MAX_INSN_SIZE ? len : MAX_INSN_SIZE,
			INSN_MODE_64) < 0) {
		c->ours[COV_REFUSE]++;
		c->stock[COV_REFUSE]++;
		return 0;
	}
	ours = classify_ours(p, len, &why);
	stock = classify_stock(&insn, ours);
	c->ours[ours]++;
	c->stock[stock]++;
	if (ours == COV_STEP) {
		unsigned int opc = insn.opcode.bytes[0];

		if (opc == 0x0f)
			opc = 0x100 | insn.opcode.bytes[1];
		c->stepped_opc[opc]++;
	}
	if (verbose && name && ours != COV_EMULATE && ours != COV_BOOST) {
		printf("  %-14s %s:", cov_names[ours], name);
		for (int i = 0; i < insn.length; i++)
			printf(" %02x", p[i]);
		printf("%s%s\n", why ? "  # " : "", why ? why : "");
	}
	return insn.length;
}

struct elf_file {
	const char	*path;
	const u8	*data;
	size_t		size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
};

/* [@off, @off + @len) lies inside the file */
static bool elf_range_ok(struct elf_file *f, u64 off, u64 len)
{
	return off <= f->size && len <= f->size - off;
}

static const Elf64_Shdr *elf_section(struct elf_file *f, unsigned int i)
{
	const Elf64_Shdr *s = i && i < f->eh->e_shnum ? &f->sh[i] : NULL;

	if (s && s->sh_type != SHT_NOBITS && !elf_range_ok(f, s->sh_offset, s->sh_size))
		return NULL;
	return s;
}

static bool elf_exec_section(const Elf64_Shdr *s)
{
	return s && s->sh_type == SHT_PROGBITS && (s->sh_flags & SHF_EXECINSTR);
}

static int elf_open(struct elf_file *f, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	f->path = path;
	if (fd < 0) {
		perror(path);
		return -1;
	}
	if (fstat(fd, &st)) {
		perror(path);
		close(fd);
		return -1;
	}
	f->size = st.st_size;
	f->data = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f->data == MAP_FAILED) {
		perror(path);
		return -1;
	}
	f->eh = (const Elf64_Ehdr *)f->data;
	if (f->size < sizeof(*f->eh) || memcmp(f->eh->e_ident, ELFMAG, SELFMAG) ||
	    f->eh->e_ident[EI_CLASS] != ELFCLASS64 || f->eh->e_machine != EM_X86_64 ||
	    f->eh->e_shentsize != sizeof(Elf64_Shdr) || !f->eh->e_shnum ||
	    f->eh->e_shoff % 8 ||
	    !elf_range_ok(f, f->eh->e_shoff, (u64)f->eh->e_shnum * sizeof(Elf64_Shdr))) {
		fprintf(stderr, "%s: not an x86-64 ELF file with sections\n", path);
		munmap((void *)f->data, f->size);
		return -1;
	}
	f->sh = (const Elf64_Shdr *)(f->data + f->eh->e_shoff);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Function symbols of .symtab and .dynsym, one per file offset (st_value
 * is section-relative in relocatable files, so it cannot be the key).
 * Each entry is (offset << 16 | section index).
 */
static unsigned long count_entries(struct elf_file *f, struct cov_counts *c)
{
	u64 *ents = NULL, prev = ~0ULL;
	size_t n = 0, cap = 0, i;
	unsigned long entries = 0;

	for (i = 1; i < f->eh->e_shnum; i++) {
		const Elf64_Shdr *s = elf_section(f, i), *t;
		const Elf64_Sym *sym;
		size_t k, nsym;
		bool rel = f->eh->e_type == ET_REL;

		if (!s || (s->sh_type != SHT_SYMTAB && s->sh_type != SHT_DYNSYM) ||
		    s->sh_entsize != sizeof(*sym) || s->sh_offset % 8)
			continue;
		sym = (const Elf64_Sym *)(f->data + s->sh_offset);
		nsym = s->sh_size / sizeof(*sym);
		for (k = 0; k < nsym; k++) {
			unsigned int type = ELF64_ST_TYPE(sym[k].st_info);
			u64 in;

			t = elf_section(f, sym[k].st_shndx);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !elf_exec_section(t))
				continue;
			in = rel ? sym[k].st_value : sym[k].st_value - t->sh_addr;
			if (!rel && sym[k].st_value < t->sh_addr)
				continue;
			if (in >= t->sh_size)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 4096;
				ents = realloc(ents, cap * sizeof(*ents));
				if (!ents)
					exit(2);
			}
			ents[n++] = (t->sh_offset + in) << 16 | sym[k].st_shndx;
		}
	}
	qsort(ents, n, sizeof(*ents), cmp_u64);
	for (i = 0; i < n; i++) {
		u64 off = ents[i] >> 16;
		const Elf64_Shdr *t = elf_section(f, ents[i] & 0xffff);

		if (off == prev)
			continue;
		prev = off;
		count_one(c, f->data + off, t->sh_offset + t->sh_size - off,
			  verbose ? "entry" : NULL);
		entries++;
	}
	free(ents);
	return entries;
}

/* Every instruction of the executable sections, by linear sweep */
static unsigned long count_all(struct elf_file *f, struct cov_counts *c)
{
	unsigned long insns = 0;
	unsigned int i;

	for (i = 1; i < f->eh->e_shnum; i++) {
		const Elf64_Shdr *s = elf_section(f, i);
		size_t off, end;

		if (!elf_exec_section(s))
			continue;
		end = s->sh_offset + s->sh_size;
		for (off = s->sh_offset; off < end; insns++) {
			unsigned int len = count_one(c, f->data + off, end - off, NULL);

			off += len ? len : 1;
		}
	}
	return insns;
}

static double pct(unsigned long a, unsigned long n)
{
	return n ? 100.0 * a / n : 0.0;
}

/* emulated or boosted: the hit takes one trap */
static unsigned long nostep(const unsigned long *k)
{
	return k[COV_EMULATE] + k[COV_BOOST];
}

static void print_counts(const char *what, struct cov_counts *c, unsigned long n)
{
	int k;

	printf("  %-28s %12s %12s\n", what, "ours", "stock model");
	for (k = 0; k < COV_NR; k++)
		printf("  %-28s %12lu %12lu\n", cov_names[k], c->ours[k], c->stock[k]);
	printf("  %-28s %11.2f%% %11.2f%%\n", "no single-step (of all)",
	       pct(nostep(c->ours), n), pct(nostep(c->stock), n));
	printf("  (stock model: 6.12's emulation rules; its refusals are assumed to be ours)\n");
}

static void print_top_stepped(struct cov_counts *c)
{
	int k, best, shown;

	printf("  most frequent single-stepped opcodes (ours):");
	for (shown = 0; shown < 8; shown++) {
		best = -1;
		for (k = 0; k < 512; k++) {
			if (c->stepped_opc[k] && (best < 0 || c->stepped_opc[k] > c->stepped_opc[best]))
				best = k;
		}
		if (best < 0)
			break;
		printf(" %s%02x:%lu", best & 0x100 ? "0f " : "", best & 0xff,
		       c->stepped_opc[best]);
		c->stepped_opc[best] = 0;
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	bool sweep = false;
	int opt, i, ret = 0;

	while ((opt = getopt(argc, argv, "av")) != -1) {
		switch (opt) {
		case 'a':
			sweep = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-a] [-v] FILE...\n", argv[0]);
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "usage: %s [-a] [-v] FILE...\n", argv[0]);
		return 2;
	}
	for (i = optind; i < argc; i++) {
		struct cov_counts entries = { 0 }, all = { 0 };
		struct elf_file f;
		unsigned long n, ninsn;

		if (elf_open(&f, argv[i])) {
			ret = 1;
			continue;
		}
		printf("%s:\n", argv[i]);
		n = count_entries(&f, &entries);
		printf("  %lu function entries\n", n);
		print_counts("first instruction", &entries, n);
		printf("COVERAGE file=%s entries=%lu ours_nostep=%lu stock_nostep=%lu"
		       " refused=%lu boosted=%lu\n",
		       argv[i], n, nostep(entries.ours), nostep(entries.stock),
		       entries.ours[COV_REFUSE], entries.ours[COV_BOOST]);
		print_top_stepped(&entries);
		if (sweep) {
			ninsn = count_all(&f, &all);
			printf("  %lu instructions by linear sweep\n", ninsn);
			print_counts("every instruction", &all, ninsn);
			printf("COVERAGE_ALL file=%s insns=%lu ours_nostep=%lu stock_nostep=%lu"
			       " refused=%lu boosted=%lu\n",
			       argv[i], ninsn, nostep(all.ours), nostep(all.stock),
			       all.ours[COV_REFUSE], all.ours[COV_BOOST]);
			print_top_stepped(&all);
		}
		munmap((void *)f.data, f.size);
	}
	return ret;
}
