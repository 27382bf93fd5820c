/* mapview - what a process's mappings and page faults are doing, joined
 * with framefs's own view of the same files.
 *
 * It takes snapshots (`mapview PID`, `mapview --file PATH...`), watches a
 * process (`--watch S`, `-- CMD`; a refresh shows what moved since the
 * last one, `--totals` one line per interval) or a mount's counters
 * (`--stats MOUNT INTERVAL`, rates of .framefs/stats), as text, JSON or
 * CSV.  Per mapping it joins three sources:
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
#include <fts.h>
#include <getopt.h>
#include <signal.h>
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
	bool csv;		/* CSV: a header, then rows */
	bool totals;		/* --watch: one line per interval */
	bool bytes;		/* --file: exact sizes, not 12K/3.4M */
	bool evict;		/* --file: drop the files' clean pages first */
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
"usage: mapview [--json|--csv] [--all | --only framefs|file|anon|TEXT] PID\n"
"       mapview [--json|--csv] [--perf] [--totals] --watch SECONDS PID\n"
"       mapview [--json|--csv] [--perf] [--watch SECONDS] -- CMD [ARGS...]\n"
"       mapview [--json|--csv] [--bytes] [--evict] --file PATH...\n"
"       mapview [--json|--csv] --stats MOUNT [INTERVAL [COUNT]]\n"
"\n"
"Shows what a process's memory mappings are doing: per mapping, the range,\n"
"permissions (s = MAP_SHARED, p = MAP_PRIVATE), offset, path, Size, Rss,\n"
"Pss, the smaps Shared/Private Clean/Dirty sizes, copy-on-write copies and\n"
"a residency bar; the process's minor and major faults; and, for files on\n"
"a framefs mount, the daemon's frames for the same file.\n"
"\n"
"  PID            one snapshot of a running process (file mappings and\n"
"                 the heap; --all for every mapping)\n"
"  --watch S      refresh every S seconds (0.05..3600) until the process\n"
"                 exits or a Ctrl-C: fault rates, the mappings of framefs\n"
"                 files and those whose counters moved in the interval\n"
"                 (--all: every mapping); in place on a terminal\n"
"  --totals       with --watch: one line per interval, like vmstat: faults\n"
"                 in it, rss, framefs pages mapped/cow/cached, the daemon's\n"
"                 frames and reads of those files; the header every 20\n"
"  -- CMD ARGS    run CMD (watched with --watch), then print its faults,\n"
"                 children included, and exit with its status, like time\n"
"  --perf         with -- CMD or --watch: exact minor/major fault counts\n"
"                 from perf_event_open (user-mode faults only: it works\n"
"                 unprivileged, and misses faults the kernel takes on\n"
"                 the process's behalf, e.g. copying exec's arguments)\n"
"  --file PATH    page-cache residency of files, like fincore/vmtouch:\n"
"                 directories walked (symlinks inside not followed), a\n"
"                 summary line, and framefs's view for files on framefs\n"
"  --bytes        with --file: exact byte counts instead of 12K, 3.4M\n"
"  --evict        with --file: first drop the files' pages from the page\n"
"                 cache (posix_fadvise DONTNEED, as vmtouch -e; pages a\n"
"                 process maps stay) and, on framefs, the daemon's frames\n"
"                 ('drop' in MOUNT/.framefs/control: it is MOUNT-WIDE,\n"
"                 every file's clean frames go, dirty frames stay)\n"
"  --stats MOUNT  the counters of a framefs mount (.framefs/stats); with\n"
"                 INTERVAL seconds, like vmstat INTERVAL COUNT: a line of\n"
"                 per-second rates each interval, COUNT lines or until a\n"
"                 Ctrl-C.  Columns: reads/s (READs the kernel sent),\n"
"                 hits/s and misses/s (frame hits, misses), store_rd/s\n"
"                 (reads of the backing store), evict/s, wback/s (frames\n"
"                 written back), dirty and free (frames now)\n"
"  --all          every mapping\n"
"  --only WHAT    framefs, file, anon, or mappings whose path contains WHAT\n"
"  --width N      columns of the residency bar, 1..4096 (default: fits\n"
"                 the terminal, 64 otherwise)\n"
"  --json         JSON: one document (per refresh or interval, one a line)\n"
"  --csv          CSV: a header once, then rows (per mapping, interval or\n"
"                 file), for gnuplot and spreadsheets\n"
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
"Two \"referenced\" counts: smaps' \"referenced\" is the pages whose\n"
"accessed (young) bit is set in THIS mapping's page table entries: the MMU\n"
"sets it on a load or store, reclaim or /proc/PID/clear_refs clears it.\n"
"\"kernel LRU ... referenced\" (root) is the page's own PG_referenced flag\n"
"from /proc/kpageflags, shared by all its mappings: set when the page was\n"
"used through read()/write() or when reclaim found it young once, and one\n"
"step of its way from the inactive to the active list.\n"
"\"(waited-for children: ...)\" are /proc/PID/stat's cminflt/cmajflt: the\n"
"faults of children the process has already waited for, not of running\n"
"ones.  PFNs and kpageflags need root; without them the bars still work.\n"
"Exit status: 0, 1 (a failure: no such process, file or mount), 2 (usage);\n"
"with -- CMD, CMD's own.\n"
"\n"
"examples:\n"
"  mapview $(pidof mmload)                    one snapshot\n"
"  mapview --watch 1 $(pidof mmload)          what moves, every second\n"
"  mapview --watch 1 --totals $(pidof mmload) one line per second\n"
"  mapview --watch 0.5 --csv --totals -- mmload --pattern zipf:1.0 \\\n"
"          /mnt/ff/data > faults.csv\n"
"  mapview --only framefs --json 4242\n"
"  mapview --file /mnt/ff                     like vmtouch /mnt/ff\n"
"  mapview --evict --file /mnt/ff/data.bin    cold cache (mount-wide drop)\n"
"  mapview --stats /mnt/ff 1 10               ten lines of rates\n");
}

/* ---- framefs ------------------------------------------------------------ */

/* The mount point of path if it is on a framefs mount (a FUSE mount with a
 * .framefs/stats); the longest mount point in /proc/self/mountinfo that is
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
	/* stats, not files: on a shared mount files is only for the user
	 * who mounted, and the mount is framefs for everyone. */
	snprintf(probe, sizeof(probe), "%s/.framefs/stats", best);
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
	if (!f) {
		/* Not ours to read (a shared mount's files is for the user
		 * who mounted): no daemon line, rather than one of zeros. */
		ff->mount[0] = '\0';
		return;
	}
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

#define KB(x) ((x) == UINT64_MAX ? 0ull : (unsigned long long)(x))

/* ---- a process at one moment -------------------------------------------- */

/* One mapping as mapview shows it: smaps' figures (in *v), the classes of
 * its pages, and the daemon's line for its file. */
struct mrow {
	const struct vma *v;
	bool detail;		/* pages, counts, cow, shared, kf and bar set */
	size_t pages;		/* pages in the bar (0: too big for one) */
	size_t counts[PC__N];	/* pages per class */
	uint64_t cow;		/* copy-on-write copies (pagemap) */
	uint64_t shared;	/* pages in shared frames; UINT64_MAX: no PFNs */
	struct kflags kf;	/* kpageflags of the present pages */
	struct ffline ff;	/* ff.mount[0] == 0: not on framefs */
	char *bar;		/* o->width characters, or NULL */
};

/* What snap_take() works out the details (bar, pagemap) of. */
enum detail { DETAIL_WANTED, DETAIL_ALL, DETAIL_FRAMEFS };

struct snap {
	struct procstat st;
	struct vma_list l;
	struct mrow *m;		/* l.n rows */
	bool pagemap;		/* /proc/PID/pagemap was readable */
	bool kflags;		/* /proc/kpageflags was readable */
	double t;		/* CLOCK_MONOTONIC, seconds */
};

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

static void snap_free(struct snap *s)
{
	for (size_t i = 0; s->m && i < s->l.n; i++)
		free(s->m[i].bar);
	free(s->m);
	s->m = NULL;
	procmaps_free(&s->l);
}

/* Reads pid's stat, smaps and, for the mappings `which` asks for, pagemap,
 * mincore and kpage*.  Returns 0, -ESRCH if the process is gone or a
 * zombie, or another -errno; on error *s is empty. */
static int snap_take(const struct opts *o, pid_t pid, enum detail which,
		     struct snap *s)
{
	long ps = sysconf(_SC_PAGESIZE);
	int rc, pmfd, kcfd = -1, kffd = -1;
	char path[64];

	memset(s, 0, sizeof(*s));
	s->t = now_sec(CLOCK_MONOTONIC);
	rc = procstat_read_pid(pid, &s->st);
	if (rc == 0 && s->st.state == 'Z')
		rc = -ESRCH;	/* exited, not reaped yet */
	if (rc == 0)
		rc = procmaps_read_pid(pid, true, &s->l);
	if (rc == -ENOENT)
		rc = -ESRCH;
	if (rc < 0)
		return rc;
	s->m = calloc(s->l.n ? s->l.n : 1, sizeof(*s->m));
	if (!s->m) {
		procmaps_free(&s->l);
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pmfd = open(path, O_RDONLY | O_CLOEXEC);
	s->pagemap = pmfd >= 0;
	for (size_t i = 0; i < s->l.n; i++) {
		struct mrow *r = &s->m[i];
		const struct vma *v = &s->l.v[i];
		size_t n = (size_t)((v->end - v->start) / (uint64_t)ps);
		unsigned char *cls;
		struct stat fst;
		bool want;

		r->v = v;
		r->shared = UINT64_MAX;
		if (vma_is_file(v) && !v->deleted && stat(v->path, &fst) == 0 &&
		    (uint64_t)fst.st_ino == v->inode)
			framefs_lookup(v->path, v->inode, &r->ff);
		want = which == DETAIL_ALL ||
		       (which == DETAIL_WANTED && wanted(o, v, &r->ff)) ||
		       (which == DETAIL_FRAMEFS && r->ff.mount[0]);
		if (!want)
			continue;
		if (kcfd < 0 && pmfd >= 0) {
			kcfd = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
			kffd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
			s->kflags = kffd >= 0;
		}
		/* A huge reservation (a sanitizer's shadow, a JIT heap) would
		 * cost a byte per page: it gets its smaps figures, no bar. */
		if (n > MAX_BAR_PAGES)
			n = 0;
		cls = calloc(n ? n : 1, 1);
		r->bar = malloc(o->width + 1);
		if (!cls || !r->bar) {
			free(cls);
			rc = -ENOMEM;
			break;
		}
		if (n && vma_is_file(v) && !v->deleted)
			file_cached(v->path, v->offset, n, cls);
		if (n && pmfd >= 0)
			vma_pagemap(pmfd, kcfd, kffd, v, cls, &r->cow,
				    &r->shared, &r->kf);
		bar(cls, n, o->width, r->bar, r->counts);
		free(cls);
		r->pages = n;
		r->detail = true;
	}
	if (pmfd >= 0)
		close(pmfd);
	if (kcfd >= 0)
		close(kcfd);
	if (kffd >= 0)
		close(kffd);
	if (rc < 0)
		snap_free(s);
	return rc;
}

/* The row of prev for the same mapping as r (same start, file and
 * offset), or NULL.  Rows are in address order. */
static const struct mrow *snap_find(const struct snap *prev,
				    const struct mrow *r)
{
	size_t a = 0, b = prev->l.n;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (prev->l.v[mid].start < r->v->start)
			a = mid + 1;
		else
			b = mid;
	}
	if (a < prev->l.n && prev->l.v[a].start == r->v->start &&
	    prev->l.v[a].inode == r->v->inode &&
	    prev->l.v[a].offset == r->v->offset)
		return &prev->m[a];
	return NULL;
}

/* Did anything the kernel or the daemon counts for this mapping change
 * since prev?  A mapping that is new counts if it has pages. */
static bool mrow_moved(const struct mrow *r, const struct snap *prev)
{
	const struct mrow *p = snap_find(prev, r);
	const struct vma *a = r->v, *b;

	if (!p)
		return KB(a->rss_kb) || KB(a->swap_kb);
	b = p->v;
	if (a->end != b->end || a->rss_kb != b->rss_kb ||
	    a->anonymous_kb != b->anonymous_kb ||
	    a->private_dirty_kb != b->private_dirty_kb ||
	    a->shared_dirty_kb != b->shared_dirty_kb ||
	    a->referenced_kb != b->referenced_kb || a->swap_kb != b->swap_kb)
		return true;
	if (r->detail && p->detail &&
	    (r->counts[PC_MAPPED] != p->counts[PC_MAPPED] ||
	     r->counts[PC_COW] != p->counts[PC_COW] ||
	     r->counts[PC_CACHED] != p->counts[PC_CACHED]))
		return true;
	return r->ff.reads != p->ff.reads || r->ff.res != p->ff.res ||
	       r->ff.dirty != p->ff.dirty;
}

/* Is row i shown?  A snapshot shows what --all/--only choose (by default
 * the file mappings and the heap).  A refresh of --watch, by default,
 * shows the mappings of framefs files and those whose counters moved
 * since the last one (prev; NULL: nothing to compare with, as before a
 * command's exec). */
static bool shown(const struct opts *o, const struct snap *s, size_t i,
		  const struct snap *prev, bool watching)
{
	const struct mrow *r = &s->m[i];

	if (!r->detail)
		return false;
	if (!watching || o->only != ONLY_DEFAULT)
		return wanted(o, r->v, &r->ff);
	return r->ff.mount[0] || (prev && mrow_moved(r, prev));
}

/* ---- printing ----------------------------------------------------------- */

/* A CSV field: quoted (RFC 4180) when it holds a comma, a quote or a line
 * break. */
static void csv_str(FILE *out, const char *s)
{
	if (!s)
		s = "";
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* Columns of a line-per-interval table (--totals, --stats): right-aligned
 * under a header in text, one CSV row, or one JSON object per line. */
struct col {
	const char *head;	/* the text header */
	const char *name;	/* the CSV column and JSON member */
	int prec;		/* decimals */
	bool text;		/* in the text table too (else CSV/JSON only) */
};

#define HEADER_EVERY	20	/* text: the header again every 20 lines */

static unsigned col_width(const struct col *c)
{
	size_t w = strlen(c->head);

	return w < 7 ? 7u : (unsigned)w;
}

/* Line `line` (0 first) of a table: its header first where one goes. */
static void cols_row(const struct opts *o, const struct col *c, size_t n,
		     const double *v, unsigned long long line)
{
	if (o->csv && line == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s%s", i ? "," : "", c[i].name);
		printf("\n");
	} else if (!o->csv && !o->json && line % HEADER_EVERY == 0) {
		for (size_t i = 0; i < n; i++)
			if (c[i].text)
				printf(" %*s", col_width(&c[i]), c[i].head);
		printf("\n");
	}
	if (o->json)
		printf("{");
	for (size_t i = 0; i < n; i++) {
		if (o->json)
			printf("%s\"%s\": %.*f", i ? ", " : "", c[i].name,
			       c[i].prec, v[i]);
		else if (o->csv)
			printf("%s%.*f", i ? "," : "", c[i].prec, v[i]);
		else if (c[i].text)
			printf(" %*.*f", col_width(&c[i]), c[i].prec, v[i]);
	}
	printf(o->json ? "}\n" : "\n");
	fflush(stdout);
}

static const char mapping_csv_head[] =
	"time_s,pid,start,end,perms,offset,path,deleted,size_kb,rss_kb,"
	"pss_kb,shared_clean_kb,shared_dirty_kb,private_clean_kb,"
	"private_dirty_kb,referenced_kb,anonymous_kb,swap_kb,pages,"
	"mapped_pages,cow_pages,cached_pages,framefs_mount,frames_resident,"
	"frames_dirty,reads,frame_hits,frame_misses\n";

static void mrow_print(const struct opts *o, const struct snap *s,
		       const struct mrow *r, double t, bool first)
{
	const struct vma *v = r->v;
	const struct ffline *ff = &r->ff;
	const char *nl = o->watch_s > 0 && o->json ? "" : "\n";

	if (o->csv) {
		printf("%.3f,%d,%llx,%llx,%s,%llu,", t, s->st.pid,
		       (unsigned long long)v->start,
		       (unsigned long long)v->end, v->perms,
		       (unsigned long long)v->offset);
		csv_str(stdout, v->path);
		printf(",%d,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,"
		       "%zu,%zu,%zu,%zu,", v->deleted, KB(v->size_kb),
		       KB(v->rss_kb), KB(v->pss_kb), KB(v->shared_clean_kb),
		       KB(v->shared_dirty_kb), KB(v->private_clean_kb),
		       KB(v->private_dirty_kb), KB(v->referenced_kb),
		       KB(v->anonymous_kb), KB(v->swap_kb), r->pages,
		       r->counts[PC_MAPPED], r->counts[PC_COW],
		       r->counts[PC_CACHED]);
		csv_str(stdout, ff->mount);
		if (ff->mount[0])
			printf(",%llu,%llu,%llu,%llu,%llu\n", ff->res,
			       ff->dirty, ff->reads, ff->hits, ff->misses);
		else
			printf(",,,,,\n");
		return;
	}
	if (o->json) {
		printf("%s  {\"start\": \"%llx\", \"end\": \"%llx\", "
		       "\"perms\": \"%s\", \"offset\": %llu, "
		       "\"inode\": %llu, \"path\": ", !first ?
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
		       KB(v->anonymous_kb), KB(v->swap_kb), r->pages,
		       r->counts[PC_MAPPED], r->counts[PC_COW],
		       r->counts[PC_CACHED], r->bar,
		       r->shared == UINT64_MAX ? -1LL : (long long)r->shared);
		if (r->shared != UINT64_MAX && s->kflags)
			printf(", \"kernel_lru\": {\"active\": %llu, "
			       "\"referenced\": %llu, \"dirty\": %llu}",
			       (unsigned long long)r->kf.active,
			       (unsigned long long)r->kf.referenced,
			       (unsigned long long)r->kf.dirty);
		ffline_print(ff, true);
		printf("}");
		return;
	}
	printf("\n%012llx-%012llx %s %8llx  %s%s\n",
	       (unsigned long long)v->start, (unsigned long long)v->end,
	       v->perms, (unsigned long long)v->offset,
	       v->path ? v->path : "[anon]", v->deleted ? " (deleted)" : "");
	printf("  size %llu kB  rss %llu  pss %llu  shared clean/dirty "
	       "%llu/%llu  private clean/dirty %llu/%llu  referenced %llu  "
	       "swap %llu\n", KB(v->size_kb), KB(v->rss_kb), KB(v->pss_kb),
	       KB(v->shared_clean_kb), KB(v->shared_dirty_kb),
	       KB(v->private_clean_kb), KB(v->private_dirty_kb),
	       KB(v->referenced_kb), KB(v->swap_kb));
	if (vma_is_file(v) && !vma_is_shared(v) && KB(v->anonymous_kb))
		printf("  copy-on-write copies: %llu kB (%llu pages)\n",
		       KB(v->anonymous_kb), (unsigned long long)r->cow);
	printf("  [%s] %zu pages: %zu mapped, %zu cow, %zu only cached",
	       r->bar, r->pages, r->counts[PC_MAPPED], r->counts[PC_COW],
	       r->counts[PC_CACHED]);
	if (r->shared != UINT64_MAX)
		printf("; %llu in frames other mappings share",
		       (unsigned long long)r->shared);
	printf("\n");
	if (r->shared != UINT64_MAX && s->kflags)
		printf("  kernel LRU: %llu active, %llu referenced, %llu "
		       "dirty (kpageflags)\n",
		       (unsigned long long)r->kf.active,
		       (unsigned long long)r->kf.referenced,
		       (unsigned long long)r->kf.dirty);
	ffline_print(ff, false);
}

/* One frame: the process, then the mappings shown() picks.  With prev
 * (a refresh of --watch), fault rates since prev too.  t is the time
 * since mapview started (CSV's first column); csv_head: print the CSV
 * header first. */
static void snap_print(const struct opts *o, const struct snap *s,
		       const struct snap *prev, bool watching, double t,
		       bool csv_head)
{
	const char *nl = watching && o->json ? "" : "\n";
	double dt = prev ? s->t - prev->t : 0;
	size_t nshown = 0, hidden = 0;
	bool pfns = false;

	if (o->csv) {
		if (csv_head)
			fputs(mapping_csv_head, stdout);
	} else if (o->json) {
		printf("{\"pid\": %d, \"comm\": ", s->st.pid);
		json_str(stdout, s->st.comm);
		printf(", \"minflt\": %llu, \"majflt\": %llu, \"cminflt\": %llu, "
		       "\"cmajflt\": %llu, \"pagemap\": %s, ",
		       (unsigned long long)s->st.minflt,
		       (unsigned long long)s->st.majflt,
		       (unsigned long long)s->st.cminflt,
		       (unsigned long long)s->st.cmajflt,
		       s->pagemap ? "true" : "false");
		if (prev && dt > 0)
			printf("\"minflt_per_s\": %.1f, \"majflt_per_s\": %.1f, ",
			       (double)(s->st.minflt - prev->st.minflt) / dt,
			       (double)(s->st.majflt - prev->st.majflt) / dt);
		printf("\"mappings\": [%s", nl);
	} else {
		if (o->tty && watching)
			printf("\033[H\033[2J");	/* redraw in place */
		printf("pid %d (%s)  minflt %llu  majflt %llu  (waited-for "
		       "children: minflt %llu  majflt %llu)\n", s->st.pid,
		       s->st.comm, (unsigned long long)s->st.minflt,
		       (unsigned long long)s->st.majflt,
		       (unsigned long long)s->st.cminflt,
		       (unsigned long long)s->st.cmajflt);
		if (prev && dt > 0)
			printf("faults per second: minor %.1f  major %.1f\n",
			       (double)(s->st.minflt - prev->st.minflt) / dt,
			       (double)(s->st.majflt - prev->st.majflt) / dt);
		if (!s->pagemap)
			printf("(no access to /proc/%d/pagemap: bars show the "
			       "page cache only)\n", s->st.pid);
	}
	for (size_t i = 0; i < s->l.n; i++) {
		const struct mrow *r = &s->m[i];

		if (!shown(o, s, i, prev, watching)) {
			hidden++;
			continue;
		}
		mrow_print(o, s, r, t, nshown == 0);
		pfns |= r->shared != UINT64_MAX;
		nshown++;
	}
	if (o->csv) {
		/* nothing after the rows: gnuplot reads them as they are */
	} else if (o->json) {
		printf("%s], \"hidden\": %zu, \"pfns\": %s}\n", nl, hidden,
		       pfns ? "true" : "false");
	} else {
		if (watching && o->only == ONLY_DEFAULT)
			printf("\n(%zu other mappings did not change: --all "
			       "shows them)\n", hidden);
		if (nshown)
			printf("\nlegend: c copy-on-write  # mapped here  : page "
		       "cache only  . absent\nreferenced: smaps, pages "
		       "whose accessed bit is set in this mapping's page "
		       "table; kernel LRU referenced: the page's "
		       "PG_referenced flag (kpageflags)%s\n", pfns ? "" :
		       "\n(PFNs hidden: run as root to see which pages "
		       "other mappings share and the kernel's LRU flags)");
	}
	fflush(stdout);
}

/* One snapshot of pid.  Returns mapview's exit status. */
static int show_pid(const struct opts *o, pid_t pid)
{
	struct snap s;
	int rc = snap_take(o, pid, DETAIL_WANTED, &s);

	if (rc < 0) {
		prog_errf("%d: %s", (int)pid, rc == -ESRCH ?
			  "no such process" : strerror(-rc));
		return 1;
	}
	snap_print(o, &s, NULL, false, 0, true);
	snap_free(&s);
	return 0;
}

/* --totals: what a frame says, in one line per interval. */
static const struct col totals_cols[] = {
	{ "time", "time_s", 1, true },
	{ "minflt", "minflt", 0, true },
	{ "majflt", "majflt", 0, true },
	{ "rss_kB", "rss_kb", 0, true },
	{ "ff_mapped", "ff_mapped_pages", 0, true },
	{ "ff_cow", "ff_cow_pages", 0, true },
	{ "ff_cached", "ff_cached_pages", 0, true },
	{ "ff_frames", "ff_frames", 0, true },
	{ "ff_reads", "ff_reads", 0, true },
};
#define NTOTALS (sizeof(totals_cols) / sizeof(totals_cols[0]))

/* The daemon's counters summed over the framefs files s maps, each file
 * once (a file mapped twice has one line in .framefs/files). */
static void snap_ff_sum(const struct snap *s, double *frames, double *reads)
{
	*frames = *reads = 0;
	for (size_t i = 0; i < s->l.n; i++) {
		const struct ffline *ff = &s->m[i].ff;
		bool seen = false;

		if (!ff->mount[0])
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = s->m[j].ff.mount[0] && s->m[j].ff.ino == ff->ino &&
			       !strcmp(s->m[j].ff.mount, ff->mount);
		if (!seen) {
			*frames += (double)ff->res;
			*reads += (double)ff->reads;
		}
	}
}

static void totals_print(const struct opts *o, const struct snap *s,
			 const struct snap *prev, double t,
			 unsigned long long line)
{
	double v[NTOTALS] = { t }, f0, r0, f1, r1;

	v[1] = (double)(s->st.minflt - prev->st.minflt);
	v[2] = (double)(s->st.majflt - prev->st.majflt);
	for (size_t i = 0; i < s->l.n; i++) {
		const struct mrow *r = &s->m[i];

		v[3] += (double)KB(r->v->rss_kb);
		if (!r->ff.mount[0])
			continue;
		v[4] += (double)r->counts[PC_MAPPED];
		v[5] += (double)r->counts[PC_COW];
		v[6] += (double)r->counts[PC_CACHED];
	}
	snap_ff_sum(prev, &f0, &r0);
	snap_ff_sum(s, &f1, &r1);
	v[7] = f1;
	v[8] = r1 > r0 ? r1 - r0 : 0;
	cols_row(o, totals_cols, NTOTALS, v, line);
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

/* ---- intervals ---------------------------------------------------------- */

/* With SIGINT blocked (intervals_catch_sigint()), a Ctrl-C waits as a
 * pending signal until nap_until() takes it: a line being printed is
 * finished, and the loop ends as it does when its process exits. */
static bool sigint_blocked;

static void intervals_catch_sigint(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == 0)
		sigint_blocked = true;
}

/* Sleeps until deadline (CLOCK_MONOTONIC seconds).  Returns false if a
 * Ctrl-C ended the sleep. */
static bool nap_until(double deadline)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	for (;;) {
		double left = deadline - now_sec(CLOCK_MONOTONIC);
		struct timespec ts;

		if (left <= 0)
			return true;
		if (!sigint_blocked) {
			sleep_sec(left);
			return true;
		}
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		if (sigtimedwait(&set, NULL, &ts) == SIGINT)
			return false;
	}
}

/* The next deadline after d: one interval on, and never in the past (a
 * slow refresh delays the next one rather than bunching them). */
static double next_deadline(double d, double interval)
{
	double now = now_sec(CLOCK_MONOTONIC);

	d += interval;
	return d < now ? now + interval : d;
}

/* Samples pid every o->watch_s seconds until it is gone or a Ctrl-C;
 * with child, also until waitpid says it exited (*status).  Returns the
 * exit status of mapview. */
static int watch(const struct opts *o, pid_t pid, bool child, int *status)
{
	enum detail which = o->totals ? DETAIL_FRAMEFS :
			    o->only == ONLY_DEFAULT ? DETAIL_ALL :
			    DETAIL_WANTED;
	struct perf pf = { { -1, -1 } };
	struct snap prev, cur;
	struct procstat first;
	unsigned long long line = 0;
	double t0, deadline;
	bool stopped = false;
	int rc;

	rc = snap_take(o, pid, which, &prev);
	if (rc < 0) {
		prog_errf("%d: %s", (int)pid, rc == -ESRCH ?
			  "no such process" : strerror(-rc));
		return 1;
	}
	first = prev.st;
	t0 = deadline = prev.t;
	if (o->perf && !child) {
		rc = perf_open(&pf, pid, false);
		if (rc < 0)
			prog_errf("--perf: %s", strerror(-rc));
	}
	for (;;) {
		deadline = next_deadline(deadline, o->watch_s);
		if (!nap_until(deadline)) {
			stopped = true;
			break;
		}
		if (child && waitpid(pid, status, WNOHANG) == pid)
			break;
		rc = snap_take(o, pid, which, &cur);
		if (rc == -ESRCH)
			break;
		/* An exiting process drops its mappings before it becomes a
		 * zombie: that is the end too, not a line of zeros. */
		if (rc == 0 && !cur.l.n && prev.l.n) {
			snap_free(&cur);
			break;
		}
		if (rc < 0) {
			prog_errf("%d: %s", (int)pid, strerror(-rc));
			snap_free(&prev);
			perf_close(&pf);
			return 1;
		}
		/* Before a command's exec the process was still mapview's
		 * copy: nothing there to compare its mappings with. */
		if (strcmp(prev.st.comm, cur.st.comm)) {
			snap_free(&prev);
			memset(&prev, 0, sizeof(prev));
			prev.st = cur.st;
			prev.t = cur.t;
		}
		if (o->totals) {
			totals_print(o, &cur, &prev, cur.t - t0, line++);
		} else {
			if (!o->tty && !o->json && !o->csv)
				printf("--- %.1f s\n", cur.t - t0);
			snap_print(o, &cur, prev.m ? &prev : NULL, true,
				   cur.t - t0, line++ == 0);
		}
		snap_free(&prev);
		prev = cur;
	}
	/* A command's summary comes from run_command. */
	if (!child && !o->csv) {
		double t = now_sec(CLOCK_MONOTONIC) - t0;

		if (o->json)
			printf("{\"pid\": %d, \"%s\": true, \"watched_s\": %.1f, "
			       "\"minflt\": %llu, \"majflt\": %llu}\n",
			       (int)pid, stopped ? "interrupted" : "exited", t,
			       (unsigned long long)(prev.st.minflt -
						    first.minflt),
			       (unsigned long long)(prev.st.majflt -
						    first.majflt));
		else
			printf("%d %s; in %.1f s of watching it took %llu "
			       "minor and %llu major faults\n", (int)pid,
			       stopped ? "still runs (interrupted)" : "exited",
			       t, (unsigned long long)(prev.st.minflt -
						       first.minflt),
			       (unsigned long long)(prev.st.majflt -
						    first.majflt));
		perf_print(o, &pf);
	}
	snap_free(&prev);
	perf_close(&pf);
	return 0;
}

/* ---- a mount's counters (--stats) --------------------------------------- */

/* MOUNT/.framefs/stats, whole, into a malloc'd string (*buf).  Returns 0
 * or -errno. */
static int stats_read(const char *mount, char **buf)
{
	char path[PATH_MAX + 32];
	size_t len = 0;
	FILE *f, *m;
	int c, rc = 0;

	*buf = NULL;
	snprintf(path, sizeof(path), "%s/.framefs/stats", mount);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	m = open_memstream(buf, &len);
	if (!m) {
		rc = -errno;
		fclose(f);
		return rc;
	}
	while ((c = getc(f)) != EOF)
		putc(c, m);
	if (ferror(f))
		rc = -EIO;
	fclose(f);
	if (fclose(m) != 0 && !rc)
		rc = -ENOMEM;
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

/* The value of the line "name value" in a stats text; false if there is
 * no such line or its value is not a number. */
static bool stats_get(const char *buf, const char *name, double *v)
{
	size_t n = strlen(name);
	uint64_t u;

	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ?
	     l + 1 : l) {
		const char *p = l + n + 1;

		if (strncmp(l, name, n) || l[n] != ' ')
			continue;
		if (!parse_u64(&p, NULL, &u) || (*p && *p != '\n'))
			return false;
		*v = (double)u;
		return true;
	}
	return false;
}

/* The columns of --stats INTERVAL and the stats line each comes from:
 * per-second rates of the counters, the pool's dirty and free frames as
 * they are. */
static const struct col stats_cols[] = {
	{ "time", "time_s", 3, false },
	{ "interval", "interval_s", 3, false },
	{ "reads/s", "reads_per_s", 1, true },
	{ "hits/s", "frame_hits_per_s", 1, true },
	{ "misses/s", "frame_misses_per_s", 1, true },
	{ "store_rd/s", "store_reads_per_s", 1, true },
	{ "evict/s", "evictions_per_s", 1, true },
	{ "wback/s", "writebacks_per_s", 1, true },
	{ "dirty", "frames_dirty", 0, true },
	{ "free", "frames_free", 0, true },
};
#define NSTATS (sizeof(stats_cols) / sizeof(stats_cols[0]))
static const char *const stats_names[NSTATS] = {
	NULL, NULL, "reads", "frame_hits", "frame_misses", "store_reads",
	"evictions", "writebacks", "frames_dirty", "frames_free",
};
#define STATS_FIRST_GAUGE 8	/* stats_cols[8..] are levels, not rates */

/* The counters once: the stats file as it is, or as one CSV row under
 * its names, or one JSON object. */
static void stats_print_once(const struct opts *o, const char *mount,
			     const char *buf)
{
	const char *l;
	int pass;

	if (!o->csv && !o->json) {
		fputs(buf, stdout);
		return;
	}
	if (o->json) {
		printf("{\"mount\": ");
		json_str(stdout, mount);
	}
	/* CSV: the names on one line, the values on the next. */
	for (pass = o->json ? 1 : 0; pass < 2; pass++) {
		bool first = true;

		for (l = buf; *l; l = strchr(l, '\n') + 1) {
			size_t n = strcspn(l, " \n"), len = strcspn(l, "\n");
			char *val = l[n] == ' ' ? strndup(l + n + 1,
							  len - n - 1) : NULL;
			uint64_t u;

			if (val) {
				if (o->json) {
					printf(", \"%.*s\": ", (int)n, l);
					if (parse_u64_all(val, &u))
						fputs(val, stdout);
					else
						json_str(stdout, val);
				} else if (pass == 0) {
					printf("%s%.*s", first ? "" : ",",
					       (int)n, l);
				} else {
					printf("%s", first ? "" : ",");
					csv_str(stdout, val);
				}
				first = false;
			}
			free(val);
			if (!l[len])
				break;
		}
		if (!o->json)
			printf("\n");
	}
	if (o->json)
		printf("}\n");
}

/* mapview --stats PATH [INTERVAL [COUNT]]: the counters of the framefs
 * mount PATH is on; with INTERVAL, a line of rates every INTERVAL seconds
 * (over that interval) until COUNT lines (0: no bound) or a Ctrl-C. */
static int show_stats(const struct opts *o, const char *path, double interval,
		      uint64_t count)
{
	char mount[PATH_MAX], *real, *prev = NULL, *cur = NULL;
	double t0, tprev, deadline, v[NSTATS];
	unsigned long long line = 0;
	struct stat st;
	int rc;

	if (stat(path, &st) < 0) {
		prog_errf("%s: %s", path, strerror(errno));
		return 1;
	}
	real = realpath(path, NULL);
	if (!real || !framefs_mount_of(real, mount, sizeof(mount))) {
		free(real);
		prog_errf("%s: not on a framefs mount (no .framefs/stats)",
			  path);
		return 1;
	}
	free(real);
	rc = stats_read(mount, &prev);
	if (rc < 0)
		goto out_err;
	if (!(interval > 0)) {
		stats_print_once(o, mount, prev);
		free(prev);
		return 0;
	}
	t0 = tprev = deadline = now_sec(CLOCK_MONOTONIC);
	while (!count || line < count) {
		double t, dt;

		deadline = next_deadline(deadline, interval);
		if (!nap_until(deadline))
			break;
		rc = stats_read(mount, &cur);
		if (rc < 0)
			goto out_err;
		t = now_sec(CLOCK_MONOTONIC);
		dt = t - tprev;
		v[0] = t - t0;
		v[1] = dt;
		for (size_t i = 2; i < NSTATS; i++) {
			double a = 0, b = 0;

			stats_get(prev, stats_names[i], &a);
			stats_get(cur, stats_names[i], &b);
			if (i >= STATS_FIRST_GAUGE)
				v[i] = b;
			else	/* after a "reset" b counts from 0 again */
				v[i] = (b >= a ? b - a : b) / dt;
		}
		cols_row(o, stats_cols, NSTATS, v, line++);
		free(prev);
		prev = cur;
		cur = NULL;
		tprev = t;
	}
	free(prev);
	return 0;

out_err:
	prog_errf("%s/.framefs/stats: %s", mount, strerror(-rc));
	free(prev);
	return 1;
}

/* ---- files (--file) ----------------------------------------------------- */

/* The regular files the PATH arguments name, directories walked
 * recursively in name order.  A symlink named on the command line is
 * followed; one met in a walk is not (a walk stays in the tree it was
 * given).  A file with several links is counted once, as vmtouch does. */
struct fileset {
	char **path;		/* n regular files, in walk order */
	size_t n, cap;
	size_t dirs;		/* directories walked */
	struct fileid {
		dev_t dev;
		ino_t ino;
	} *seen;		/* files with more than one link, so far */
	size_t nseen, capseen;
};

static void fileset_free(struct fileset *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->path[i]);
	free(set->path);
	free(set->seen);
	memset(set, 0, sizeof(*set));
}

/* Adds path unless it is a link to a file already added.  Returns 0 or
 * -ENOMEM. */
static int fileset_add(struct fileset *set, const char *path,
		       const struct stat *st)
{
	if (st->st_nlink > 1) {
		for (size_t i = 0; i < set->nseen; i++)
			if (set->seen[i].dev == st->st_dev &&
			    set->seen[i].ino == st->st_ino)
				return 0;
		if (set->nseen == set->capseen) {
			size_t cap = set->capseen ? 2 * set->capseen : 16;
			struct fileid *s = realloc(set->seen,
						   cap * sizeof(*s));

			if (!s)
				return -ENOMEM;
			set->seen = s;
			set->capseen = cap;
		}
		set->seen[set->nseen++] = (struct fileid){ st->st_dev,
							   st->st_ino };
	}
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 16;
		char **p = realloc(set->path, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		set->path = p;
		set->cap = cap;
	}
	set->path[set->n] = strdup(path);
	if (!set->path[set->n])
		return -ENOMEM;
	set->n++;
	return 0;
}

static int fts_by_name(const FTSENT **a, const FTSENT **b)
{
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

/* Walks arg into set.  Returns 0, 1 after an error line (the walk goes
 * on past what it cannot read), or -ENOMEM. */
static int fileset_walk(struct fileset *set, char *arg)
{
	char *args[2] = { arg, NULL };
	FTSENT *e;
	FTS *fts;
	int rc = 0;

	fts = fts_open(args, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_NOCHDIR,
		       fts_by_name);
	if (!fts) {
		prog_errf("%s: %s", arg, strerror(errno));
		return 1;
	}
	while ((e = fts_read(fts))) {
		switch (e->fts_info) {
		case FTS_D:
			set->dirs++;
			break;
		case FTS_F:
			if (fileset_add(set, e->fts_path, e->fts_statp) < 0) {
				fts_close(fts);
				return -ENOMEM;
			}
			break;
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			prog_errf("%s: %s", e->fts_path,
				  strerror(e->fts_errno));
			rc = 1;
			break;
		case FTS_DEFAULT:	/* a device, a fifo, a socket */
			if (e->fts_level == FTS_ROOTLEVEL) {
				prog_errf("%s: not a regular file or "
					  "directory", e->fts_path);
				rc = 1;
			}
			break;
		default:	/* a symlink, a directory left or seen twice */
			break;
		}
	}
	if (errno && !rc) {
		prog_errf("%s: %s", arg, strerror(errno));
		rc = 1;
	}
	fts_close(fts);
	return rc;
}

/* b bytes the way fincore and vmtouch print them: "0B", "4K", "3.4M",
 * "156K" (powers of 1024, at most three digits); exact: the number. */
static const char *human(uint64_t b, bool exact, char *buf, size_t len)
{
	static const char unit[] = "KMGTPE";
	double x = (double)b;
	int u = -1;

	if (exact || b < 1024) {
		snprintf(buf, len, exact ? "%llu" : "%lluB",
			 (unsigned long long)b);
		return buf;
	}
	while (u < 5 && (x >= 1024 || u < 0)) {
		x /= 1024;
		u++;
	}
	/* One decimal below 10 (unless it is .0), none above; a value that
	 * rounds to 1024 is the next unit's 1. */
	if (x < 9.95 && (double)(long long)(x * 10 + 0.5) / 10 !=
	    (double)(long long)(x + 0.5))
		snprintf(buf, len, "%.1f%c", x, unit[u]);
	else if (x + 0.5 >= 1024 && u < 5)
		snprintf(buf, len, "1%c", unit[u + 1]);
	else
		snprintf(buf, len, "%.0f%c", x, unit[u]);
	return buf;
}

/* --evict: drops each file's clean pages from the page cache, as vmtouch
 * -e does (posix_fadvise DONTNEED: dirty pages are written back first,
 * pages a process maps stay), then asks each framefs mount the files are
 * on to drop its clean frames, once: "drop" in .framefs/control is
 * mount-wide, and never drops a dirty frame.  Returns 0 or 1 after an
 * error line. */
static int evict(const struct opts *o, const struct fileset *set)
{
	char **mounts = NULL;
	size_t nmounts = 0;
	int rc = 0;

	for (size_t i = 0; i < set->n; i++) {
		int fd = open(set->path[i], O_RDONLY | O_CLOEXEC), err;
		char *real, mount[PATH_MAX];
		bool dup = false;

		if (fd < 0) {
			prog_errf("%s: %s", set->path[i], strerror(errno));
			rc = 1;
			continue;
		}
		err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
		if (err) {
			prog_errf("%s: posix_fadvise: %s", set->path[i],
				  strerror(err));
			rc = 1;
		}
		real = realpath(set->path[i], NULL);
		if (!real || !framefs_mount_of(real, mount, sizeof(mount))) {
			free(real);
			continue;
		}
		free(real);
		for (size_t j = 0; j < nmounts && !dup; j++)
			dup = !strcmp(mounts[j], mount);
		if (!dup) {
			char **m = realloc(mounts, (nmounts + 1) *
					   sizeof(*m));

			if (!m || !(m[nmounts] = strdup(mount))) {
				prog_errf("--evict: %s", strerror(ENOMEM));
				mounts = m ? m : mounts;
				rc = 1;
				break;
			}
			mounts = m;
			nmounts++;
		}
	}
	for (size_t i = 0; i < nmounts; i++) {
		char path[PATH_MAX + 32], *before = NULL, *after = NULL;
		double r0 = 0, r1 = 0, dirty = 0;
		int fd;

		snprintf(path, sizeof(path), "%s/.framefs/control", mounts[i]);
		if (stats_read(mounts[i], &before) == 0)
			stats_get(before, "frames_resident", &r0);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "drop\n", 5) != 5) {
			prog_errf("%s: drop: %s", path, strerror(errno));
			rc = 1;
		} else if (!o->json && !o->csv) {
			if (stats_read(mounts[i], &after) == 0) {
				stats_get(after, "frames_resident", &r1);
				stats_get(after, "frames_dirty", &dirty);
			}
			printf("framefs %s: drop: %.0f frames resident, then "
			       "%.0f (mount-wide; its %.0f dirty frames stay)\n",
			       mounts[i], r0, r1, dirty);
		}
		if (fd >= 0)
			close(fd);
		free(before);
		free(after);
		free(mounts[i]);
	}
	free(mounts);
	return rc;
}

static const char files_csv_head[] =
	"path,size_bytes,pages,resident_pages,resident_bytes,resident_pct,"
	"framefs_mount,frames_resident,frames_dirty,reads,frame_hits,"
	"frame_misses\n";

/* mapview --file PATH...: the page-cache residency of each file, like
 * fincore, a summary like vmtouch's, and the daemon's view of the files
 * on framefs. */
static int show_files(const struct opts *o, char **paths, int n)
{
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t tpages = 0, tres = 0, tsize = 0;
	struct fileset set = { 0 };
	int rc = 0, w = o->bytes ? 12 : 6;
	size_t shown = 0;
	char h1[32], h2[32];

	for (int i = 0; i < n; i++) {
		int err = fileset_walk(&set, paths[i]);

		if (err < 0) {
			prog_errf("%s: %s", paths[i], strerror(-err));
			fileset_free(&set);
			return 1;
		}
		rc |= err;
	}
	if (o->evict)
		rc |= evict(o, &set);
	if (o->json)
		printf("{\"files\": [\n");
	else if (o->csv)
		fputs(files_csv_head, stdout);
	else if (set.n)
		printf("%*s %15s %*s %6s  %s\n", w, "RES", "PAGES", w, "SIZE",
		       "CACHED", "FILE");
	for (size_t i = 0; i < set.n; i++) {
		const char *path = set.path[i];
		size_t np, counts[PC__N];
		unsigned char *cls;
		struct ffline ff;
		struct stat st;
		double pct;
		char *b;
		int err;

		if (stat(path, &st) < 0) {
			prog_errf("%s: %s", path, strerror(errno));
			rc = 1;
			continue;
		}
		np = (size_t)(((uint64_t)st.st_size + ps - 1) / ps);
		cls = calloc(np ? np : 1, 1);
		b = malloc(o->width + 1);
		if (!cls || !b) {
			free(cls);
			free(b);
			prog_errf("%s: %s", path, strerror(ENOMEM));
			rc = 1;
			break;
		}
		err = file_cached(path, 0, np, cls);
		if (err < 0) {
			prog_errf("%s: %s", path, strerror(-err));
			rc = 1;
		}
		bar(cls, np, o->width, b, counts);
		framefs_lookup(path, (uint64_t)st.st_ino, &ff);
		pct = np ? 100.0 * (double)counts[PC_CACHED] / (double)np : 0;
		tpages += np;
		tres += counts[PC_CACHED];
		tsize += (uint64_t)st.st_size;
		if (o->json) {
			printf("%s  {\"path\": ", shown ? ",\n" : "");
			json_str(stdout, path);
			printf(", \"size\": %llu, \"pages\": %zu, "
			       "\"cached_pages\": %zu, \"resident_bytes\": "
			       "%llu, \"bar\": \"%s\"",
			       (unsigned long long)st.st_size, np,
			       counts[PC_CACHED],
			       (unsigned long long)(counts[PC_CACHED] * ps), b);
			ffline_print(&ff, true);
			printf("}");
		} else if (o->csv) {
			csv_str(stdout, path);
			printf(",%llu,%zu,%zu,%llu,%.1f,",
			       (unsigned long long)st.st_size, np,
			       counts[PC_CACHED],
			       (unsigned long long)(counts[PC_CACHED] * ps),
			       pct);
			csv_str(stdout, ff.mount);
			if (ff.mount[0])
				printf(",%llu,%llu,%llu,%llu,%llu\n", ff.res,
				       ff.dirty, ff.reads, ff.hits, ff.misses);
			else
				printf(",,,,,\n");
		} else {
			char pages[48];

			snprintf(pages, sizeof(pages), "%zu/%zu",
				 counts[PC_CACHED], np);
			printf("%*s %15s %*s %5.1f%%  %s\n", w,
			       human(counts[PC_CACHED] * ps, o->bytes, h1,
				     sizeof(h1)), pages, w,
			       human((uint64_t)st.st_size, o->bytes, h2,
				     sizeof(h2)), pct, path);
			if (np)
				printf("  [%s]\n", b);
			ffline_print(&ff, false);
		}
		shown++;
		free(cls);
		free(b);
	}
	if (o->json) {
		printf("\n], \"summary\": {\"files\": %zu, \"directories\": %zu, "
		       "\"pages\": %llu, \"resident_pages\": %llu, "
		       "\"resident_bytes\": %llu, \"size\": %llu}}\n", shown,
		       set.dirs, (unsigned long long)tpages,
		       (unsigned long long)tres,
		       (unsigned long long)(tres * ps),
		       (unsigned long long)tsize);
	} else if (!o->csv && (set.n || set.dirs)) {
		char h3[32];

		printf("Files: %zu  Directories: %zu  Resident Pages: "
		       "%llu/%llu  %s/%s  %.1f%%\n", shown, set.dirs,
		       (unsigned long long)tres, (unsigned long long)tpages,
		       human(tres * ps, o->bytes, h1, sizeof(h1)),
		       human(tpages * ps, o->bytes, h3, sizeof(h3)),
		       tpages ? 100.0 * (double)tres / (double)tpages : 0.0);
	}
	fileset_free(&set);
	return rc;
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
	/* Like time(1): a Ctrl-C is the command's to handle; mapview waits
	 * for it and reports. */
	signal(SIGINT, SIG_IGN);
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
	} else if (o->csv && !(o->watch_s > 0)) {
		printf("command,exit,elapsed_s,minflt,majflt,maxrss_kb\n");
		csv_str(stdout, cmd[0]);
		printf(",%d,%.3f,%ld,%ld,%ld\n", WIFEXITED(status) ?
		       WEXITSTATUS(status) : 128 + WTERMSIG(status), t1 - t0,
		       ru.ru_minflt, ru.ru_majflt, ru.ru_maxrss);
	} else {
		/* After a watch's CSV rows, on stderr: the table stays one
		 * table. */
		fprintf(o->csv ? stderr : stdout, "%s: %s %d after %.2f s; "
			"minflt %ld  majflt %ld  max rss %ld kB (children "
			"included)\n", cmd[0],
			WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) :
			WTERMSIG(status), t1 - t0, ru.ru_minflt,
			ru.ru_majflt, ru.ru_maxrss);
	}
	if (!o->csv)
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
enum mode { MODE_PID = 1, MODE_CMD = 2, MODE_FILE = 4, MODE_STATS = 8 };

static const char *mode_name(enum mode m)
{
	return m == MODE_FILE ? "--file" : m == MODE_STATS ? "--stats" :
	       m == MODE_CMD ? "-- CMD" : "a PID";
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
		{ "totals", no_argument, NULL, 't' },
		{ "csv", no_argument, NULL, 'c' },
		{ "stats", required_argument, NULL, 's' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "evict", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct opts o = { .width = 64 };
	bool files = false, width_given = false, only_given = false;
	const char *stats = NULL;
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
		case 't':
			o.totals = true;
			break;
		case 'c':
			o.csv = true;
			break;
		case 's':
			stats = optarg;
			break;
		case 'b':
			o.bytes = true;
			break;
		case 'e':
			o.evict = true;
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
	if (files && stats)
		prog_usage_fail("--file and --stats", "choose one");
	if (stats)
		mode = MODE_STATS;
	else if (files)
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
	need_mode(o.bytes, mode, MODE_FILE, "--bytes", "--file");
	need_mode(o.evict, mode, MODE_FILE, "--evict", "--file");
	if (o.perf && mode != MODE_CMD && !(o.watch_s > 0))
		prog_usage_fail("--perf", "only with --watch or -- CMD");
	if (o.totals && !(o.watch_s > 0))
		prog_usage_fail("--totals", "only with --watch (one line per "
				"interval)");
	if (o.json && o.csv)
		prog_usage_fail("--json and --csv", "choose one");
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
	case MODE_STATS: {
		double interval = 0;

		if (optind + 2 < argc)
			prog_usage_fail(argv[optind + 2], "--stats takes MOUNT "
					"[INTERVAL [COUNT]] (mapview --help)");
		u = 0;
		if (optind < argc) {
			interval = strtod(argv[optind], &end);
			if (*end || end == argv[optind] ||
			    !(interval >= 0.05) || interval > 3600)
				prog_opt_fail("INTERVAL", argv[optind],
					      "not a number of seconds in "
					      "0.05..3600");
		}
		if (optind + 1 < argc &&
		    (!parse_u64_all(argv[optind + 1], &u) || u < 1 ||
		     u > UINT32_MAX))
			prog_opt_fail("COUNT", argv[optind + 1],
				      "not in 1..4294967295");
		intervals_catch_sigint();
		return show_stats(&o, stats, interval, u);
	}
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
	if (o.watch_s > 0) {
		intervals_catch_sigint();
		return watch(&o, (pid_t)u, false, NULL);
	}
	return show_pid(&o, (pid_t)u);
}
