/*
 * Address to function name for another process: find the mapping in
 * /proc/PID/maps, turn the address into a file offset and then into the
 * ELF file's virtual address, and look that up among the file's function
 * symbols (.symtab, or .dynsym if stripped). Files are read through
 * /proc/PID/map_files, which works for deleted files and other mount
 * namespaces. Results are cached: message functions are few.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym.h"

struct sym {
	uint64_t start;
	uint64_t size;
	char *name;
};

struct elf_file {
	char *path;
	size_t nsyms;
	struct sym *syms; /* sorted by start */
	size_t nphdrs;
	GElf_Phdr *phdrs; /* PT_LOAD only */
};

struct resolved {
	uint64_t addr;
	char *name;
};

struct rt_symbolizer {
	pid_t pid;
	struct elf_file *files;
	size_t nfiles;
	struct resolved *cache;
	size_t ncache;
};

struct rt_symbolizer *
rt_sym_open(pid_t pid)
{
	struct rt_symbolizer *s = calloc(1, sizeof(*s));

	if (s != NULL) {
		s->pid = pid;
		elf_version(EV_CURRENT);
	}
	return s;
}

static int
cmp_sym(const void *a, const void *b)
{
	const struct sym *sa = a, *sb = b;

	return sa->start < sb->start ? -1 : sa->start > sb->start;
}

/* Function symbols of one section into f->syms. */
static void
load_symtab(Elf *elf, Elf_Scn *scn, GElf_Shdr *shdr, struct elf_file *f)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;
	struct sym *grown;

	if (data == NULL || shdr->sh_entsize == 0) {
		return;
	}
	n = shdr->sh_size / shdr->sh_entsize;
	grown = realloc(f->syms, (f->nsyms + n) * sizeof(*grown));
	if (grown == NULL) {
		return;
	}
	f->syms = grown;
	for (i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (gelf_getsym(data, (int)i, &sym) == NULL ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) {
			continue;
		}
		name = elf_strptr(elf, shdr->sh_link, sym.st_name);
		if (name == NULL || name[0] == '\0') {
			continue;
		}
		f->syms[f->nsyms].start = sym.st_value;
		f->syms[f->nsyms].size = sym.st_size;
		f->syms[f->nsyms].name = strdup(name);
		if (f->syms[f->nsyms].name != NULL) {
			f->nsyms++;
		}
	}
}

static void
load_elf(int fd, struct elf_file *f)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL, *dynsym = NULL;
	GElf_Shdr shdr, dynshdr;
	bool have_symtab = false;
	size_t i, n;

	if (elf == NULL) {
		return;
	}
	if (elf_getphdrnum(elf, &n) == 0 && (f->phdrs = calloc(n, sizeof(GElf_Phdr))) != NULL) {
		for (i = 0; i < n; i++) {
			if (gelf_getphdr(elf, (int)i, &f->phdrs[f->nphdrs]) != NULL &&
			    f->phdrs[f->nphdrs].p_type == PT_LOAD) {
				f->nphdrs++;
			}
		}
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (gelf_getshdr(scn, &shdr) == NULL) {
			continue;
		}
		if (shdr.sh_type == SHT_SYMTAB) {
			load_symtab(elf, scn, &shdr, f);
			have_symtab = true;
		} else if (shdr.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynshdr = shdr;
		}
	}
	if (!have_symtab && dynsym != NULL) {
		load_symtab(elf, dynsym, &dynshdr, f);
	}
	elf_end(elf);
	qsort(f->syms, f->nsyms, sizeof(f->syms[0]), cmp_sym);
}

static struct elf_file *
get_file(struct rt_symbolizer *s, const char *path, const char *map_file)
{
	struct elf_file *f, *grown;
	size_t i;
	int fd;

	for (i = 0; i < s->nfiles; i++) {
		if (strcmp(s->files[i].path, path) == 0) {
			return &s->files[i];
		}
	}
	grown = realloc(s->files, (s->nfiles + 1) * sizeof(*grown));
	if (grown == NULL) {
		return NULL;
	}
	s->files = grown;
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (f->path == NULL) {
		return NULL;
	}
	s->nfiles++;
	fd = open(map_file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		load_elf(fd, f);
		close(fd);
	}
	return f;
}

/* The function symbol covering vaddr, or NULL. */
static const struct sym *
find_sym(const struct elf_file *f, uint64_t vaddr)
{
	size_t lo = 0, hi = f->nsyms;
	const struct sym *best;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->syms[mid].start <= vaddr) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (lo == 0) {
		return NULL;
	}
	best = &f->syms[lo - 1];
	return vaddr == best->start || vaddr < best->start + best->size ? best : NULL;
}

static char *
resolve(struct rt_symbolizer *s, uint64_t addr)
{
	char path[PATH_MAX], line[PATH_MAX + 128], map_file[64], *name = NULL;
	unsigned long long start, end, off;
	const char *base;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)s->pid);
	maps = fopen(path, "re");
	while (maps != NULL && fgets(line, sizeof(line), maps) != NULL) {
		struct elf_file *f;
		const struct sym *sym;
		uint64_t file_off, vaddr = 0;
		bool mapped = false;
		char perms[8];
		int pos = 0;
		size_t i;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off,
			   &pos) != 4 ||
		    pos == 0 || addr < start || addr >= end) {
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		if (line[pos] != '/') {
			break;
		}
		snprintf(map_file, sizeof(map_file), "/proc/%d/map_files/%llx-%llx", (int)s->pid,
			 start, end);
		f = get_file(s, line + pos, map_file);
		if (f == NULL) {
			break;
		}
		file_off = addr - start + off;
		for (i = 0; i < f->nphdrs; i++) {
			const GElf_Phdr *ph = &f->phdrs[i];

			if (file_off >= ph->p_offset && file_off < ph->p_offset + ph->p_filesz) {
				vaddr = file_off - ph->p_offset + ph->p_vaddr;
				mapped = true;
				break;
			}
		}
		base = strrchr(f->path, '/') + 1;
		sym = mapped ? find_sym(f, vaddr) : NULL;
		if (sym != NULL && vaddr == sym->start) {
			name = strdup(sym->name);
		} else if (sym != NULL) {
			if (asprintf(&name, "%s+%#" PRIx64, sym->name, vaddr - sym->start) < 0) {
				name = NULL;
			}
		} else if (asprintf(&name, "%s+%#" PRIx64, base, file_off) < 0) {
			name = NULL;
		}
		break;
	}
	if (maps != NULL) {
		fclose(maps);
	}
	if (name == NULL && asprintf(&name, "%#" PRIx64, addr) < 0) {
		name = NULL;
	}
	return name;
}

const char *
rt_sym_lookup(struct rt_symbolizer *s, uint64_t addr)
{
	struct resolved *grown;
	char *name;
	size_t i;

	for (i = 0; i < s->ncache; i++) {
		if (s->cache[i].addr == addr) {
			return s->cache[i].name;
		}
	}
	name = resolve(s, addr);
	if (name == NULL) {
		return "?";
	}
	grown = realloc(s->cache, (s->ncache + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(name);
		return "?";
	}
	s->cache = grown;
	s->cache[s->ncache].addr = addr;
	s->cache[s->ncache].name = name;
	s->ncache++;
	return name;
}

void
rt_sym_close(struct rt_symbolizer *s)
{
	size_t i, j;

	if (s == NULL) {
		return;
	}
	for (i = 0; i < s->nfiles; i++) {
		for (j = 0; j < s->files[i].nsyms; j++) {
			free(s->files[i].syms[j].name);
		}
		free(s->files[i].syms);
		free(s->files[i].phdrs);
		free(s->files[i].path);
	}
	for (i = 0; i < s->ncache; i++) {
		free(s->cache[i].name);
	}
	free(s->files);
	free(s->cache);
	free(s);
}
