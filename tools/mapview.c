/* mapview - what a process's mappings and page faults are doing, joined
 * with framefs's own view of the same files.
 *
 * It takes snapshots (`mapview PID`, `mapview --file PATH...`), watches a
 * process (`--watch S`, `-- CMD`), as a table or as JSON.  Per mapping it
 * joins three sources:
 *   /proc/PID/smaps      sizes and the kernel's accounting (Rss, Pss, ...)
 *   /proc/PID/pagemap    per page: present here, and whether the page is a
 *                        file page or an anonymous one (in a private file
 *                        mapping: a copy-on-write copy)
 *   mincore()            per page: in the page cache, mapped here or not
 *                        (on a mapping of our own, which faults nothing in)
 * and, for files on a framefs mount, the daemon's line from
 * MOUNT/.framefs/files.  Parsing lives in procmaps.c; this file only joins
 * and prints.
 */
#define _GNU_SOURCE
#include "clock.h"
#include "json.h"
#include "parse.h"
#include "procmaps.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/perf_event.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG "mapview"
#include "prog.h"

#define FUSE_SUPER_MAGIC 0x65735546
#define PM_PRESENT	(1ull << 63)
#define PM_SWAPPED	(1ull << 62)
#define PM_FILE		(1ull << 61)	/* file page or shared anon */
#define PM_PFN_MASK	((1ull << 55) - 1)
#define MAX_BAR_PAGES	(1u << 22)	/* 16 GiB of 4 KiB pages */

enum only { ONLY_DEFAULT, ONLY_ALL, ONLY_FRAMEFS, ONLY_FILE, ONLY_ANON,
	    ONLY_SUBSTR };

struct opts {
	bool json;
	double watch_s;		/* --watch interval, 0 = one snapshot */
	bool tty;		/* stdout is a terminal: redraw in place */
	bool perf;		/* exact fault counts from perf_event_open */
	enum only only;
	const char *substr;
	unsigned width;		/* residency bar columns */
};

/* Page classes of a residency bar, weakest first. */
enum pclass { PC_ABSENT, PC_CACHED, PC_MAPPED, PC_COW, PC__N };
static const char pc_char[PC__N] = { '.', ':', '#', 'c' };

/* What framefs says of a file (one .framefs/files line). */
struct ffline {
	bool found;
	char mount[PATH_MAX];
	unsigned long long id, ino, size, res, dirty, reads, hits, misses;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: mapview [--json] [--all | --only framefs|file|anon|SUBSTRING] PID\n"
"       mapview [--json] --watch SECONDS PID\n"
"       mapview [--json] [--watch SECONDS] -- CMD [ARGS...]\n"
"       mapview [--json] --file PATH...\n"
"\n"
"Shows what a process's memory mappings are doing: per mapping, the range,\n"
"permissions (s = MAP_SHARED, p = MAP_PRIVATE), offset, path, Size, Rss,\n"
"Pss, the smaps Shared/Private Clean/Dirty sizes, copy-on-write copies and\n"
"a residency bar; the process's minor and major faults; and, for files on\n"
"a framefs mount, the daemon's frames for the same file.\n"
"\n"
"  PID            one snapshot of a running process\n"
"  --watch S      refresh every S seconds, with fault rates, until the\n"
"                 process exits (in place on a terminal; plain frames\n"
"                 otherwise; with --json one document per line)\n"
"  -- CMD ARGS    run CMD (watched with --watch), then print its faults,\n"
"                 children included\n"
"  --perf         with -- CMD or --watch: exact minor/major fault counts\n"
"                 from perf_event_open (user-mode faults only: it works\n"
"                 unprivileged, and misses faults the kernel takes on\n"
"                 the process's behalf, e.g. copying exec's arguments)\n"
"  --file PATH    page-cache residency of files (like fincore/vmtouch),\n"
"                 and framefs's view when PATH is on framefs\n"
"  --all          every mapping (default: file mappings and the heap)\n"
"  --only WHAT    framefs, file, anon, or mappings whose path contains WHAT\n"
"  --width N      columns of the residency bar (default: fits the terminal)\n"
"  --json         one JSON document, one mapping per line\n"
"  -h, --help     this help;  -V, --version\n"
"\n"
"Residency bar, one character per slice of pages (the strongest wins):\n"
"  c  copy-on-write copy (anonymous page in a private file mapping)\n"
"  #  file page mapped by this process\n"
"  :  in the page cache, not mapped by this process\n"
"  .  not resident\n"
"Know the words: smaps' Shared/Private mean \"mapped by more than one\n"
"process / by one\", not MAP_SHARED/MAP_PRIVATE.  One fault can map up to\n"
"16 cached pages around it (fault-around), and with readahead on, pages\n"
"read ahead fault as minor: majflt counts READs only with readahead off.\n"
"PFNs and kpageflags need root; without them the bars still work.\n"
"\n"
"examples:\n"
"  mapview $(pidof mmload)\n"
"  mapview --only framefs --json 4242\n"
"  mapview --file /mnt/ff/data.bin\n");
}

/* ---- framefs ------------------------------------------------------------ */

/* The mount point of path if it is on a framefs mount (a FUSE mount with a
 * .framefs/files); the longest mount point in /proc/self/mountinfo that is
 * a prefix of path. */
static bool framefs_mount_of(const char *path, char *mount, size_t len)
{
	char *line = NULL, best[PATH_MAX] = "", probe[PATH_MAX + 32];
	size_t cap = 0, blen = 0;
	struct statfs sf;
	FILE *f;

	if (statfs(path, &sf) < 0 || sf.f_type != FUSE_SUPER_MAGIC)
		return false;
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		char mp[PATH_MAX];
		size_t n;

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		n = strlen(mp);
		if (n > blen && !strncmp(path, mp, n) &&
		    (path[n] == '/' || path[n] == '\0' || n == 1)) {
			snprintf(best, sizeof(best), "%s", mp);
			blen = n;
		}
	}
	free(line);
	fclose(f);
	if (!blen)
		return false;
	snprintf(probe, sizeof(probe), "%s/.framefs/files", best);
	if (access(probe, R_OK) < 0)
		return false;
	snprintf(mount, len, "%s", best);
	return true;
}

/* The daemon's line for the file with st_ino ino at path.  The mount is
 * found by the path's absolute, symlink-free name: mountinfo lists mount
 * points that way, so "data.bin" run in the mount's directory, or a path
 * through a symlink, finds it too. */
static void framefs_lookup(const char *path, uint64_t ino, struct ffline *ff)
{
	char probe[PATH_MAX + 32], *line = NULL, *real;
	size_t cap = 0;
	FILE *f;
	bool on;

	memset(ff, 0, sizeof(*ff));
	real = realpath(path, NULL);
	if (!real)
		return;
	on = framefs_mount_of(real, ff->mount, sizeof(ff->mount));
	free(real);
	if (!on)
		return;
	snprintf(probe, sizeof(probe), "%s/.framefs/files", ff->mount);
	f = fopen(probe, "r");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		struct ffline l;

		if (sscanf(line, "%llu %llu %llu %llu %llu %llu %llu %llu",
			   &l.id, &l.ino, &l.size, &l.res, &l.dirty, &l.reads,
			   &l.hits, &l.misses) == 8 && l.ino == ino) {
			ff->id = l.id;
			ff->ino = l.ino;
			ff->size = l.size;
			ff->res = l.res;
			ff->dirty = l.dirty;
			ff->reads = l.reads;
			ff->hits = l.hits;
			ff->misses = l.misses;
			ff->found = true;
			break;
		}
	}
	/* No line: the daemon holds no frame of the file and never read it
	 * (all counters 0), which is an answer too. */
	free(line);
	fclose(f);
}

/* The daemon's view of a file, after the process's (nothing if the file
 * is not on framefs): a JSON member, or an indented line. */
static void ffline_print(const struct ffline *ff, bool json)
{
	if (!ff->mount[0])
		return;
	if (json) {
		printf(", \"framefs\": {\"mount\": ");
		json_str(stdout, ff->mount);
		printf(", \"resident\": %llu, \"dirty\": %llu, \"reads\": %llu, "
		       "\"frame_hits\": %llu, \"frame_misses\": %llu}", ff->res,
		       ff->dirty, ff->reads, ff->hits, ff->misses);
	} else
		printf("  framefs %s: %llu frames resident, %llu dirty; reads "
		       "%llu, frame hits %llu, misses %llu\n", ff->mount,
		       ff->res, ff->dirty, ff->reads, ff->hits, ff->misses);
}

/* ---- residency ---------------------------------------------------------- */

/* Classes of the npages pages of a file range [off, off + npages pages):
 * PC_CACHED where mincore says resident.  Returns 0 or -errno. */
static int file_cached(const char *path, uint64_t off, size_t npages,
		       unsigned char *cls)
{
	long ps = sysconf(_SC_PAGESIZE);
	unsigned char *vec;
	struct stat st;
	size_t len, have;
	void *p;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* Only the part of the range inside the file can be mapped. */
	have = (uint64_t)st.st_size <= off ? 0 :
	       (size_t)(((uint64_t)st.st_size - off + (uint64_t)ps - 1) /
			(uint64_t)ps);
	if (have > npages)
		have = npages;
	if (have) {
		len = have * (size_t)ps;
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
		vec = malloc(have);
		if (p == MAP_FAILED || !vec) {
			rc = -errno;
		} else if (mincore(p, len, vec) < 0) {
			rc = -errno;
		} else {
			for (size_t i = 0; i < have; i++)
				if (vec[i] & 1)
					cls[i] = PC_CACHED;
		}
		if (p != MAP_FAILED)
			munmap(p, len);
		free(vec);
	}
	close(fd);
	return rc;
}

/* Pages of v present in pid (pagemap), as PC_MAPPED or PC_COW. */
/* With root, pagemap carries PFNs and /proc/kpagecount says how many
 * mappings each frame has: *shared_pages counts the present pages mapped
 * more than once (by another process, after fork, or twice here).  It is
 * UINT64_MAX when PFNs are hidden (not root). */
/* The kernel's own LRU view of the pages (kpageflags, root only). */
struct kflags {
	uint64_t active, referenced, dirty;	/* pages with KPF_* set */
};

#define KPF_REFERENCED	2
#define KPF_DIRTY	4
#define KPF_ACTIVE	6

static int vma_pagemap(int pmfd, int kcfd, int kffd, const struct vma *v,
		       unsigned char *cls, uint64_t *cow_pages,
		       uint64_t *shared_pages, struct kflags *kf)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t n = (size_t)((v->end - v->start) / (uint64_t)ps);
	uint64_t buf[512];

	*cow_pages = 0;
	*shared_pages = kcfd >= 0 ? 0 : UINT64_MAX;
	for (size_t i = 0; i < n;) {
		size_t k = n - i < 512 ? n - i : 512;
		ssize_t got = pread(pmfd, buf, k * 8, (off_t)((v->start /
			(uint64_t)ps + i) * 8));

		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		k = (size_t)got / 8;
		for (size_t j = 0; j < k; j++, i++) {
			uint64_t pfn = buf[j] & PM_PFN_MASK, cnt;

			if (!(buf[j] & PM_PRESENT))
				continue;
			if (*shared_pages != UINT64_MAX) {
				if (!pfn)	/* hidden: not root after all */
					*shared_pages = UINT64_MAX;
				else if (pread(kcfd, &cnt, 8, (off_t)(pfn * 8))
					 == 8 && cnt > 1)
					(*shared_pages)++;
			}
			if (*shared_pages != UINT64_MAX && kffd >= 0 &&
			    pread(kffd, &cnt, 8, (off_t)(pfn * 8)) == 8) {
				kf->active += (cnt >> KPF_ACTIVE) & 1;
				kf->referenced += (cnt >> KPF_REFERENCED) & 1;
				kf->dirty += (cnt >> KPF_DIRTY) & 1;
			}
			if (vma_is_file(v) && !(buf[j] & PM_FILE)) {
				cls[i] = PC_COW;
				(*cow_pages)++;
			} else if (cls[i] < PC_MAPPED) {
				cls[i] = PC_MAPPED;
			}
		}
	}
	return 0;
}

/* Renders cls[0..n) into width characters (the strongest class of each
 * slice), plus counts per class. */
static void bar(const unsigned char *cls, size_t n, unsigned width, char *out,
		size_t counts[PC__N])
{
	if (width > n)
		width = (unsigned)n;
	memset(counts, 0, PC__N * sizeof(counts[0]));
	for (size_t i = 0; i < n; i++)
		counts[cls[i]]++;
	for (unsigned c = 0; c < width; c++) {
		size_t a = n * c / width, b = n * (c + 1) / width;
		unsigned char best = PC_ABSENT;

		for (size_t i = a; i < b; i++)
			if (cls[i] > best)
				best = cls[i];
		out[c] = pc_char[best];
	}
	out[width] = '\0';
}

/* ---- output ------------------------------------------------------------- */

static bool wanted(const struct opts *o, const struct vma *v,
		   const struct ffline *ff)
{
	switch (o->only) {
	case ONLY_ALL:
		return true;
	case ONLY_FRAMEFS:
		return ff->mount[0];
	case ONLY_FILE:
		return vma_is_file(v);
	case ONLY_ANON:
		return !vma_is_file(v);
	case ONLY_SUBSTR:
		return v->path && strstr(v->path, o->substr);
	case ONLY_DEFAULT:
		break;
	}
	return vma_is_file(v) || (v->path && !strcmp(v->path, "[heap]"));
}

#define KB(x) ((x) == UINT64_MAX ? 0ull : (unsigned long long)(x))

/* One snapshot of pid.  With prev (watch mode), fault rates over dt
 * seconds too, and *prev is updated.  Returns 0, 1 after an error line, or
 * 3 if the process is gone (quietly: the watch loop ends on it). */
static int show_pid(const struct opts *o, pid_t pid, struct procstat *prev,
		    double dt)
{
	long ps = sysconf(_SC_PAGESIZE);
	const char *nl = o->watch_s > 0 && o->json ? "" : "\n";
	struct vma_list l = { 0 };
	struct procstat st;
	char path[64];
	int rc, pmfd, kcfd, kffd, shown = 0;
	bool pfns = false;

	rc = procstat_read_pid(pid, &st);
	if (rc == 0)
		rc = procmaps_read_pid(pid, true, &l);
	if ((rc == -ENOENT || (rc == 0 && st.state == 'Z')) && prev) {
		procmaps_free(&l);
		return 3;	/* gone, or a zombie nobody reaped yet */
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": %d: %s\n", (int)pid,
			rc == -ENOENT ? "no such process" : strerror(-rc));
		return 1;
	}
	if (o->tty && o->watch_s > 0)
		printf("\033[H\033[2J");	/* redraw in place */
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pmfd = open(path, O_RDONLY | O_CLOEXEC);
	kcfd = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	kffd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (o->json) {
		printf("{\"pid\": %d, \"comm\": ", st.pid);
		json_str(stdout, st.comm);
		printf(", \"minflt\": %llu, \"majflt\": %llu, \"cminflt\": %llu, "
		       "\"cmajflt\": %llu, \"pagemap\": %s, ",
		       (unsigned long long)st.minflt,
		       (unsigned long long)st.majflt,
		       (unsigned long long)st.cminflt,
		       (unsigned long long)st.cmajflt,
		       pmfd >= 0 ? "true" : "false");
		if (prev)
			printf("\"minflt_per_s\": %.1f, \"majflt_per_s\": %.1f, ",
			       (double)(st.minflt - prev->minflt) / dt,
			       (double)(st.majflt - prev->majflt) / dt);
		printf("\"mappings\": [%s", nl);
	} else {
		printf("pid %d (%s)  minflt %llu  majflt %llu  (children: %llu, "
		       "%llu)\n", st.pid, st.comm,
		       (unsigned long long)st.minflt,
		       (unsigned long long)st.majflt,
		       (unsigned long long)st.cminflt,
		       (unsigned long long)st.cmajflt);
		if (prev)
			printf("faults per second: minor %.1f  major %.1f\n",
			       (double)(st.minflt - prev->minflt) / dt,
			       (double)(st.majflt - prev->majflt) / dt);
		if (pmfd < 0)
			printf("(no access to /proc/%d/pagemap: bars show the "
			       "page cache only)\n", (int)pid);
	}
	if (prev)
		*prev = st;
	for (size_t i = 0; i < l.n; i++) {
		struct vma *v = &l.v[i];
		size_t n = (size_t)((v->end - v->start) / (uint64_t)ps);
		size_t counts[PC__N];
		uint64_t cow = 0, shared = UINT64_MAX;
		struct kflags kf = { 0 };
		unsigned char *cls;
		char *b;
		struct ffline ff = { 0 };
		struct stat fst;
		bool big = n > MAX_BAR_PAGES;

		if (vma_is_file(v) && !v->deleted && stat(v->path, &fst) == 0 &&
		    (uint64_t)fst.st_ino == v->inode)
			framefs_lookup(v->path, v->inode, &ff);
		if (!wanted(o, v, &ff))
			continue;
		/* A huge reservation (a sanitizer's shadow, a JIT heap) would
		 * cost a byte per page: it gets its smaps figures, no bar. */
		cls = calloc(big ? 1 : n ? n : 1, 1);
		b = malloc(o->width + 1);
		if (!cls || !b) {
			free(cls);
			free(b);
			fprintf(stderr, PROG ": %s\n", strerror(ENOMEM));
			break;
		}
		if (big)
			n = 0;
		if (!big && vma_is_file(v) && !v->deleted)
			file_cached(v->path, v->offset, n, cls);
		if (!big && pmfd >= 0)
			vma_pagemap(pmfd, kcfd, kffd, v, cls, &cow, &shared,
				    &kf);
		pfns |= shared != UINT64_MAX;
		bar(cls, n, o->width, b, counts);
		if (o->json) {
			printf("%s  {\"start\": \"%llx\", \"end\": \"%llx\", "
			       "\"perms\": \"%s\", \"offset\": %llu, "
			       "\"inode\": %llu, \"path\": ", shown ?
			       (*nl ? ",\n" : ", ") : "",
			       (unsigned long long)v->start,
			       (unsigned long long)v->end, v->perms,
			       (unsigned long long)v->offset,
			       (unsigned long long)v->inode);
			json_str(stdout, v->path ? v->path : "");
			printf(", \"deleted\": %s, \"size_kb\": %llu, "
			       "\"rss_kb\": %llu, \"pss_kb\": %llu, "
			       "\"shared_clean_kb\": %llu, "
			       "\"shared_dirty_kb\": %llu, "
			       "\"private_clean_kb\": %llu, "
			       "\"private_dirty_kb\": %llu, "
			       "\"referenced_kb\": %llu, \"anonymous_kb\": %llu, "
			       "\"swap_kb\": %llu, \"pages\": %zu, "
			       "\"mapped_pages\": %zu, \"cow_pages\": %zu, "
			       "\"cached_pages\": %zu, \"bar\": \"%s\", "
			       "\"shared_pages\": %lld",
			       v->deleted ? "true" : "false", KB(v->size_kb),
			       KB(v->rss_kb), KB(v->pss_kb),
			       KB(v->shared_clean_kb), KB(v->shared_dirty_kb),
			       KB(v->private_clean_kb),
			       KB(v->private_dirty_kb), KB(v->referenced_kb),
			       KB(v->anonymous_kb), KB(v->swap_kb), n,
			       counts[PC_MAPPED], counts[PC_COW],
			       counts[PC_CACHED], b,
			       shared == UINT64_MAX ? -1LL : (long long)shared);
			if (shared != UINT64_MAX && kffd >= 0)
				printf(", \"kernel_lru\": {\"active\": %llu, "
				       "\"referenced\": %llu, \"dirty\": %llu}",
				       (unsigned long long)kf.active,
				       (unsigned long long)kf.referenced,
				       (unsigned long long)kf.dirty);
			ffline_print(&ff, true);
			printf("}");
		} else {
			printf("\n%012llx-%012llx %s %8llx  %s%s\n",
			       (unsigned long long)v->start,
			       (unsigned long long)v->end, v->perms,
			       (unsigned long long)v->offset,
			       v->path ? v->path : "[anon]",
			       v->deleted ? " (deleted)" : "");
			printf("  size %llu kB  rss %llu  pss %llu  shared "
			       "clean/dirty %llu/%llu  private clean/dirty "
			       "%llu/%llu  referenced %llu  swap %llu\n",
			       KB(v->size_kb), KB(v->rss_kb), KB(v->pss_kb),
			       KB(v->shared_clean_kb), KB(v->shared_dirty_kb),
			       KB(v->private_clean_kb),
			       KB(v->private_dirty_kb), KB(v->referenced_kb),
			       KB(v->swap_kb));
			if (vma_is_file(v) && !vma_is_shared(v) &&
			    KB(v->anonymous_kb))
				printf("  copy-on-write copies: %llu kB (%llu "
				       "pages)\n", KB(v->anonymous_kb),
				       (unsigned long long)cow);
			printf("  [%s] %zu pages: %zu mapped, %zu cow, %zu only "
			       "cached", b, n, counts[PC_MAPPED],
			       counts[PC_COW], counts[PC_CACHED]);
			if (shared != UINT64_MAX)
				printf("; %llu in frames other mappings share",
				       (unsigned long long)shared);
			printf("\n");
			if (shared != UINT64_MAX && kffd >= 0)
				printf("  kernel LRU: %llu active, %llu "
				       "referenced, %llu dirty (kpageflags)\n",
				       (unsigned long long)kf.active,
				       (unsigned long long)kf.referenced,
				       (unsigned long long)kf.dirty);
			ffline_print(&ff, false);
		}
		shown++;
		free(cls);
		free(b);
	}
	if (o->json)
		printf("%s], \"pfns\": %s}\n", nl, pfns ? "true" : "false");
	else
		printf("\nlegend: c copy-on-write  # mapped here  : page cache "
		       "only  . absent%s\n", pfns ? "" : "\n(PFNs hidden: "
		       "run as root to see which pages other mappings share "
		       "and the kernel's LRU flags)");
	fflush(stdout);
	if (pmfd >= 0)
		close(pmfd);
	if (kcfd >= 0)
		close(kcfd);
	if (kffd >= 0)
		close(kffd);
	procmaps_free(&l);
	return 0;
}

static int show_files(const struct opts *o, char **paths, int n)
{
	long ps = sysconf(_SC_PAGESIZE);
	int rc = 0;

	if (o->json)
		printf("{\"files\": [\n");
	for (int i = 0; i < n; i++) {
		size_t np, counts[PC__N];
		unsigned char *cls;
		struct ffline ff;
		struct stat st;
		char *b;
		int err;

		if (stat(paths[i], &st) < 0) {
			fprintf(stderr, PROG ": %s: %s\n", paths[i],
				strerror(errno));
			rc = 1;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, PROG ": %s: not a regular file\n",
				paths[i]);
			rc = 1;
			continue;
		}
		np = (size_t)(((uint64_t)st.st_size + (uint64_t)ps - 1) /
			      (uint64_t)ps);
		cls = calloc(np ? np : 1, 1);
		b = malloc(o->width + 1);
		if (!cls || !b) {
			free(cls);
			free(b);
			return 1;
		}
		err = file_cached(paths[i], 0, np, cls);
		if (err < 0) {
			fprintf(stderr, PROG ": %s: %s\n", paths[i],
				strerror(-err));
			rc = 1;
		}
		bar(cls, np, o->width, b, counts);
		framefs_lookup(paths[i], (uint64_t)st.st_ino, &ff);
		if (o->json) {
			printf("%s  {\"path\": ", i ? ",\n" : "");
			json_str(stdout, paths[i]);
			printf(", \"size\": %llu, \"pages\": %zu, "
			       "\"cached_pages\": %zu, \"bar\": \"%s\"",
			       (unsigned long long)st.st_size, np,
			       counts[PC_CACHED], b);
			ffline_print(&ff, true);
			printf("}");
		} else {
			printf("%s: %zu pages, %zu in the page cache (%.1f%%)\n"
			       "  [%s]\n", paths[i], np, counts[PC_CACHED],
			       np ? 100.0 * (double)counts[PC_CACHED] /
				    (double)np : 0.0, b);
			ffline_print(&ff, false);
		}
		free(cls);
		free(b);
	}
	if (o->json)
		printf("\n]}\n");
	return rc;
}

/* ---- perf_event_open ------------------------------------------------- */

/* Software page-fault counters (minor, major) of pid.  exclude_kernel, so
 * an unprivileged user may count their own processes.  With on_exec the
 * counters start at pid's next exec and follow its children. */
struct perf {
	int fd[2];
};

static int perf_open(struct perf *pf, pid_t pid, bool on_exec)
{
	static const unsigned long long cfg[2] = {
		PERF_COUNT_SW_PAGE_FAULTS_MIN, PERF_COUNT_SW_PAGE_FAULTS_MAJ,
	};

	for (int i = 0; i < 2; i++) {
		struct perf_event_attr a;

		memset(&a, 0, sizeof(a));
		a.type = PERF_TYPE_SOFTWARE;
		a.size = sizeof(a);
		a.config = cfg[i];
		a.exclude_kernel = 1;
		a.exclude_hv = 1;
		a.inherit = on_exec;
		a.disabled = on_exec;
		a.enable_on_exec = on_exec;
		pf->fd[i] = (int)syscall(SYS_perf_event_open, &a, pid, -1, -1,
					 PERF_FLAG_FD_CLOEXEC);
		if (pf->fd[i] < 0) {
			int err = -errno;

			if (i)
				close(pf->fd[0]);
			pf->fd[0] = pf->fd[1] = -1;
			return err;
		}
	}
	return 0;
}

static void perf_read(struct perf *pf, uint64_t *minflt, uint64_t *majflt)
{
	*minflt = *majflt = 0;
	if (pf->fd[0] < 0 || read(pf->fd[0], minflt, 8) != 8 ||
	    read(pf->fd[1], majflt, 8) != 8)
		*minflt = *majflt = 0;
}

static void perf_close(struct perf *pf)
{
	for (int i = 0; i < 2; i++)
		if (pf->fd[i] >= 0)
			close(pf->fd[i]);
}

static void perf_print(const struct opts *o, struct perf *pf)
{
	uint64_t mn, mj;

	if (!o->perf || pf->fd[0] < 0)
		return;
	perf_read(pf, &mn, &mj);
	if (o->json)
		printf("{\"perf\": {\"minflt\": %llu, \"majflt\": %llu}}\n",
		       (unsigned long long)mn, (unsigned long long)mj);
	else
		printf("perf (exact, user-mode faults): minor %llu  major "
		       "%llu\n", (unsigned long long)mn,
		       (unsigned long long)mj);
}

/* Samples pid every o->watch_s seconds until it is gone; with child, also
 * until waitpid says it exited (*status).  Returns the exit status of
 * mapview. */
static int watch(const struct opts *o, pid_t pid, bool child, int *status)
{
	struct procstat prev, first;
	double t = now_sec(CLOCK_MONOTONIC), t1;
	int rc;

	if (procstat_read_pid(pid, &prev) < 0) {
		fprintf(stderr, PROG ": %d: no such process\n", (int)pid);
		return 1;
	}
	first = prev;
	struct perf pf = { { -1, -1 } };

	if (o->perf && !child) {
		rc = perf_open(&pf, pid, false);
		if (rc < 0)
			fprintf(stderr, PROG ": --perf: %s\n", strerror(-rc));
	}
	for (;;) {
		sleep_sec(o->watch_s);
		if (child && waitpid(pid, status, WNOHANG) == pid)
			return 0;
		t1 = now_sec(CLOCK_MONOTONIC);
		if (!o->tty && !o->json)
			printf("--- %.1f s\n", t1 - t);
		rc = show_pid(o, pid, &prev, o->watch_s);
		if (rc == 3) {
			/* A command's summary comes from run_command. */
			if (child)
				return 0;
			if (o->json)
				printf("{\"pid\": %d, \"exited\": true, "
				       "\"watched_s\": %.1f, \"minflt\": %llu, "
				       "\"majflt\": %llu}\n", (int)pid,
				       now_sec(CLOCK_MONOTONIC) - t,
				       (unsigned long long)(prev.minflt -
							    first.minflt),
				       (unsigned long long)(prev.majflt -
							    first.majflt));
			else
				printf("%d exited; in %.1f s of watching it "
				       "took %llu minor and %llu major faults\n",
				       (int)pid, now_sec(CLOCK_MONOTONIC) - t,
				       (unsigned long long)(prev.minflt -
							    first.minflt),
				       (unsigned long long)(prev.majflt -
							    first.majflt));
			perf_print(o, &pf);
			perf_close(&pf);
			return 0;
		}
		if (rc) {
			perf_close(&pf);
			return rc;
		}
	}
}

/* mapview [--watch S] -- CMD ARGS: runs CMD, watches it if asked, and
 * prints a summary of its faults (its children's included). */
static int run_command(const struct opts *o, char **cmd)
{
	double t0 = now_sec(CLOCK_MONOTONIC), t1;
	struct perf pf = { { -1, -1 } };
	struct rusage ru;
	int status = 0, rc = 0, gate[2];
	pid_t pid;

	fflush(stdout);
	if (pipe2(gate, O_CLOEXEC) < 0) {
		fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		char c;

		/* Wait until the counters are attached; exec starts them. */
		close(gate[1]);
		if (read(gate[0], &c, 1) < 0)
			_exit(127);
		execvp(cmd[0], cmd);
		fprintf(stderr, PROG ": %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(gate[0]);
	if (o->perf) {
		rc = perf_open(&pf, pid, true);
		if (rc < 0)
			fprintf(stderr, PROG ": --perf: %s\n", strerror(-rc));
		rc = 0;
	}
	close(gate[1]);		/* go */
	if (o->watch_s > 0)
		rc = watch(o, pid, true, &status);
	if (waitpid(pid, &status, 0) < 0 && errno != ECHILD)
		rc = 1;
	t1 = now_sec(CLOCK_MONOTONIC);
	getrusage(RUSAGE_CHILDREN, &ru);
	if (o->json) {
		printf("{\"command\": ");
		json_str(stdout, cmd[0]);
		printf(", \"exit\": %d, \"elapsed_s\": %.3f, \"minflt\": %ld, "
		       "\"majflt\": %ld, \"maxrss_kb\": %ld}\n",
		       WIFEXITED(status) ? WEXITSTATUS(status) :
		       128 + WTERMSIG(status), t1 - t0, ru.ru_minflt,
		       ru.ru_majflt, ru.ru_maxrss);
	} else {
		printf("%s: %s %d after %.2f s; minflt %ld  majflt %ld  "
		       "max rss %ld kB (children included)\n", cmd[0],
		       WIFEXITED(status) ? "exit" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) :
		       WTERMSIG(status), t1 - t0, ru.ru_minflt, ru.ru_majflt,
		       ru.ru_maxrss);
	}
	perf_print(o, &pf);
	perf_close(&pf);
	/* Like time(1): the command's own status. */
	if (rc)
		return rc;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	       128 + WTERMSIG(status);
}

/* The options a mode takes, for the refusals after getopt: a mode is what
 * the operands ask for (a PID, -- CMD, --file PATH...). */
enum mode { MODE_PID = 1, MODE_CMD = 2, MODE_FILE = 4 };

static const char *mode_name(enum mode m)
{
	return m == MODE_FILE ? "--file" : m == MODE_CMD ? "-- CMD" : "a PID";
}

/* Refuses an option given where it means nothing: "mapview: --perf: only
 * with --watch or -- CMD", exit 2. */
static void need_mode(bool given, enum mode m, unsigned allowed,
		      const char *opt, const char *where)
{
	if (given && !(m & allowed)) {
		prog_errf("%s: only with %s, not %s", opt, where,
			  mode_name(m));
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "only", required_argument, NULL, 'o' },
		{ "file", no_argument, NULL, 'F' },
		{ "width", required_argument, NULL, 'w' },
		{ "watch", required_argument, NULL, 'W' },
		{ "perf", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct opts o = { .width = 64 };
	bool files = false, width_given = false, only_given = false;
	enum mode mode;
	struct winsize ws;
	uint64_t u;
	char *end;
	int c;

	o.tty = isatty(1);
	if (o.tty && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		o.width = ws.ws_col - 6u;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'a':
			o.only = ONLY_ALL;
			only_given = true;
			break;
		case 'o':
			only_given = true;
			if (!optarg[0])
				prog_usage_fail("--only", "an empty value: "
						"framefs, file, anon or part "
						"of a path");
			if (!strcmp(optarg, "framefs"))
				o.only = ONLY_FRAMEFS;
			else if (!strcmp(optarg, "file"))
				o.only = ONLY_FILE;
			else if (!strcmp(optarg, "anon"))
				o.only = ONLY_ANON;
			else {
				o.only = ONLY_SUBSTR;
				o.substr = optarg;
			}
			break;
		case 'F':
			files = true;
			break;
		case 'w':
			if (!parse_u64_all(optarg, &u) || u < 1 || u > 4096)
				prog_opt_fail("--width", optarg,
					      "not in 1..4096");
			o.width = (unsigned)u;
			width_given = true;
			break;
		case 'P':
			o.perf = true;
			break;
		case 'W':
			o.watch_s = strtod(optarg, &end);
			if (*end || end == optarg || !(o.watch_s >= 0.05) ||
			    o.watch_s > 3600)
				prog_opt_fail("--watch", optarg, "not a number "
					      "of seconds in 0.05..3600");
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " %s\n", FRAMEFS_VERSION);
			return 0;
		default: {
			const char *arg = argv[optind - 1];

			/* "--json=1": getopt says unknown; say what it is. */
			if (c == '?' && optopt && !strncmp(arg, "--", 2) &&
			    strchr(arg, '=')) {
				prog_errf("%.*s: takes no value (mapview "
					  "--help)", (int)strcspn(arg, "="),
					  arg);
				exit(2);
			}
			prog_getopt_fail(c, argv);
		}
		}
	}
	if (files)
		mode = MODE_FILE;
	else if (optind > 1 && !strcmp(argv[optind - 1], "--"))
		mode = MODE_CMD;
	else
		mode = MODE_PID;
	need_mode(o.watch_s > 0, mode, MODE_PID | MODE_CMD, "--watch",
		  "a PID or -- CMD");
	need_mode(only_given, mode, MODE_PID | MODE_CMD,
		  o.only == ONLY_ALL ? "--all" : "--only", "a PID or -- CMD");
	need_mode(width_given, mode, MODE_PID | MODE_CMD | MODE_FILE,
		  "--width", "a PID, -- CMD or --file");
	if (o.perf && mode != MODE_CMD && !(o.watch_s > 0))
		prog_usage_fail("--perf", "only with --watch or -- CMD");
	switch (mode) {
	case MODE_FILE:
		if (optind >= argc)
			prog_usage_fail("--file", "needs at least one PATH "
					"(mapview --help)");
		return show_files(&o, argv + optind, argc - optind);
	case MODE_CMD:
		if (optind >= argc)
			prog_usage_fail("--", "needs a command (mapview "
					"--help)");
		return run_command(&o, argv + optind);
	case MODE_PID:
		break;
	}
	if (optind >= argc)
		prog_usage_fail("no PID given", "a PID, -- CMD or --file PATH "
				"(mapview --help)");
	if (optind + 1 < argc)
		prog_usage_fail(argv[optind + 1], argv[optind + 1][0] == '-' ?
				"options come before the PID (mapview --help)" :
				"one PID only (mapview --help)");
	if (!parse_u64_all(argv[optind], &u) || u < 1 || u > INT_MAX)
		prog_usage_fail(argv[optind], "not a process id");
	if (o.watch_s > 0)
		return watch(&o, (pid_t)u, false, NULL);
	return show_pid(&o, (pid_t)u, NULL, 0);
}
