// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the uprobes selftests: tracefs access, uprobe events of
 * one group (probe_group) and file offsets of ELF64 and ELF32 symbols.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uprobes_util.h"

/* ---- tracefs helpers ---- */

int write_file(const char *path, const char *s, int flags)
{
	ssize_t len = strlen(s), ret;
	int fd = open(path, O_WRONLY | flags);

	if (fd < 0)
		return -errno;
	ret = write(fd, s, len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}

/* Reads a whole file into a NUL-terminated malloc'd buffer. */
char *read_all(const char *path, size_t *lenp)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size + 1);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (len == size) {
			char *nbuf = realloc(buf, size * 2 + 1);

			if (!nbuf)
				goto fail;
			buf = nbuf;
			size *= 2;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

int trace_clear(void)
{
	return write_file(TRACEFS "/trace", "", O_TRUNC);
}

/* Adds a "p" (entry) or "r" (return) probe probe_group/name at path:off. */
int probe_add(const char *type, const char *name, const char *path, unsigned long off,
	      const char *args)
{
	char cmd[PATH_MAX + 512];

	snprintf(cmd, sizeof(cmd), "%s:%s/%s %s:0x%lx %s\n", type, probe_group, name, path,
		 off, args ? args : "");
	return write_file(TRACEFS "/uprobe_events", cmd, O_APPEND);
}

/* Adds and enables probe_group/name at path:off; 0 if it starts with no hits. */
int probe_add_enable(const char *type, const char *name, const char *path, unsigned long off,
		     const char *args)
{
	int ret = probe_add(type, name, path, off, args);

	if (!ret)
		ret = probe_enable(name, 1);
	if (!ret && probe_hits(name) != 0)
		ret = -EBADE;
	return ret;
}

int probe_enable(const char *name, int on)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/events/%s/%s/enable", probe_group, name);
	return write_file(path, on ? "1\n" : "0\n", O_TRUNC);
}

int probe_del(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "-:%s/%s\n", probe_group, name);
	return write_file(TRACEFS "/uprobe_events", cmd, O_APPEND);
}

/* Is probe_group/name listed in uprobe_events? */
bool probe_listed(const char *name)
{
	char *buf = read_all(TRACEFS "/uprobe_events", NULL);
	char key[256];
	bool found;

	if (!buf)
		return false;
	snprintf(key, sizeof(key), ":%s/%s ", probe_group, name);
	found = strstr(buf, key);
	free(buf);
	return found;
}

/* Hit count of probe_group/name from uprobe_profile, or -1 if it is not listed. */
long probe_hits(const char *name)
{
	char *buf = read_all(TRACEFS "/uprobe_profile", NULL);
	char file[PATH_MAX], event[256], *line, *save = NULL;
	long hits = -1;
	unsigned long n;

	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *ev;

		if (sscanf(line, "%4095s %255s %lu", file, event, &n) != 3)
			continue;
		ev = strchr(event, '/');
		ev = ev ? ev + 1 : event;
		if (!strcmp(ev, name)) {
			hits = n;
			break;
		}
	}
	free(buf);
	return hits;
}

/* Disables and removes every probe of probe_group, then empties the trace buffer. */
void probes_clear_all(void)
{
	char *buf = read_all(TRACEFS "/uprobe_events", NULL);
	char prefix[64], path[256], *line, *save = NULL;
	size_t plen;

	snprintf(path, sizeof(path), TRACEFS "/events/%s/enable", probe_group);
	write_file(path, "0\n", O_TRUNC);
	if (buf) {
		plen = snprintf(prefix, sizeof(prefix), "%s/", probe_group);
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *ev = strchr(line, ':'), *end;

			if (!ev || strncmp(ev + 1, prefix, plen))
				continue;
			ev += 1 + plen;
			end = strchr(ev, ' ');
			if (end)
				*end = '\0';
			probe_enable(ev, 0);
			probe_del(ev);
		}
		free(buf);
	}
	trace_clear();
}

/* Returns the value after " key=" in line (NULL if absent). */
const char *field(const char *line, const char *key)
{
	char k[32];
	const char *p;

	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(line, k);
	return p ? p + strlen(k) : NULL;
}

/* ---- ELF: file offset of a symbol, for ELF64 and ELF32 files ---- */

/* A whole ELF64 or ELF32 file, mapped read-only. */
struct elf_image {
	const void *map;
	unsigned long size;
	bool is64;
};

/* Size of one Ehdr, Shdr, Sym or Phdr (type) of im's class. */
#define ELF_SIZE(im, type) ((im)->is64 ? sizeof(Elf64_##type) : sizeof(Elf32_##type))

/*
 * Field pfx##f of the i-th Ehdr, Shdr, Sym or Phdr (type) at file offset off,
 * read as the ELF64 or ELF32 structure that im's class says it is.
 */
#define ELF_GET(im, type, pfx, off, i, f) ({					\
	const struct elf_image *__im = (im);					\
	const void *__p = __im->map + (off);					\
	unsigned long __i = (i);						\
										\
	__im->is64 ? (unsigned long)((const Elf64_##type *)__p)[__i].pfx##f :	\
		     (unsigned long)((const Elf32_##type *)__p)[__i].pfx##f;	\
})

#define EHDR(im, f)		ELF_GET(im, Ehdr, e_, 0, 0, f)
#define SHDR(im, off, i, f)	ELF_GET(im, Shdr, sh_, off, i, f)
#define SYM(im, off, i, f)	ELF_GET(im, Sym, st_, off, i, f)
#define PHDR(im, off, i, f)	ELF_GET(im, Phdr, p_, off, i, f)

/* Looks sym up in im's sections of type stype; stores its st_value in *valuep. */
static bool elf_find_sym(const struct elf_image *im, unsigned long stype, const char *sym,
			 unsigned long *valuep)
{
	unsigned long sh = EHDR(im, shoff);
	unsigned long shnum = EHDR(im, shnum), i, j;

	for (i = 0; i < shnum; i++) {
		unsigned long off = SHDR(im, sh, i, offset);
		unsigned long size = SHDR(im, sh, i, size);
		unsigned long link = SHDR(im, sh, i, link);
		unsigned long stroff, strsize;
		const char *strs;

		if (SHDR(im, sh, i, type) != stype || link >= shnum || off + size > im->size)
			continue;
		stroff = SHDR(im, sh, link, offset);
		strsize = SHDR(im, sh, link, size);
		if (stroff + strsize > im->size)
			continue;
		strs = im->map + stroff;
		for (j = 0; j < size / ELF_SIZE(im, Sym); j++) {
			unsigned long name = SYM(im, off, j, name);

			if (SYM(im, off, j, shndx) == SHN_UNDEF || name >= strsize ||
			    strcmp(strs + name, sym))
				continue;
			*valuep = SYM(im, off, j, value);
			return true;
		}
	}
	return false;
}

/* Virtual address to file offset through the PT_LOAD segment holding it. */
static int elf_vaddr_to_off(const struct elf_image *im, unsigned long va, unsigned long *offp)
{
	unsigned long ph = EHDR(im, phoff);
	unsigned long i;

	for (i = 0; i < EHDR(im, phnum); i++) {
		unsigned long vaddr = PHDR(im, ph, i, vaddr);

		if (PHDR(im, ph, i, type) != PT_LOAD || va < vaddr ||
		    va >= vaddr + PHDR(im, ph, i, filesz))
			continue;
		*offp = va - vaddr + PHDR(im, ph, i, offset);
		return 0;
	}
	return -ENOENT;
}

/*
 * File offset of sym in path (an ELF64 or an ELF32 file): looks it up in
 * .symtab, then .dynsym, and converts its virtual address to a file offset.
 */
int elf_sym_offset(const char *path, const char *sym, unsigned long *offp)
{
	const unsigned char *ident;
	struct elf_image im;
	unsigned long value;
	struct stat st;
	void *map;
	int fd, ret = -ENOENT;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return -EINVAL;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	ident = map;
	im.map = map;
	im.size = st.st_size;
	im.is64 = ident[EI_CLASS] == ELFCLASS64;
	if (memcmp(ident, ELFMAG, SELFMAG) ||
	    (!im.is64 && ident[EI_CLASS] != ELFCLASS32) ||
	    EHDR(&im, shoff) + EHDR(&im, shnum) * ELF_SIZE(&im, Shdr) > im.size ||
	    EHDR(&im, phoff) + EHDR(&im, phnum) * ELF_SIZE(&im, Phdr) > im.size) {
		ret = -EINVAL;
		goto out;
	}
	if (elf_find_sym(&im, SHT_SYMTAB, sym, &value) ||
	    elf_find_sym(&im, SHT_DYNSYM, sym, &value))
		ret = elf_vaddr_to_off(&im, value, offp);
out:
	munmap(map, st.st_size);
	return ret;
}

int self_exe(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}
