/* http_bench.c - framefs over a web server against the floor the server
 * itself sets (libcurl on the same server), the directory store, davfs2
 * and rclone, in one run, as ratios.
 *
 * The setup.  One tagged file r.dat (--size bytes, each 4 KiB page holds
 * its page number, as in fs_bench) is written three times: into the
 * directory served by a real Apache 2.4 (mod_dav_fs, harness/httpd.c),
 * into the one served by nginx (plain HTTP, read-only for framefs), and
 * into a plain directory for framefs' directory store.  Every mount is
 * framefs -f -o frames=F,readahead=R with F frames enough for the whole
 * file (no eviction); harness/mount.c starts and stops it.
 *
 * What is measured, in four parts.
 *  1 miss   pread() of one 4 KiB page at a random offset, the frames
 *           dropped (`drop` on .framefs/control) and the client's kernel
 *           copy dropped (POSIX_FADV_DONTNEED) before each batch, every
 *           page of a batch distinct, readahead=0: one pread = one FUSE
 *           READ = one frame miss = one Range GET (checked: the stats'
 *           http_requests_get and frame_misses must grow by one per
 *           sample).  The floor: the same 4 KiB Range GET with libcurl on
 *           one kept-alive connection to the same server.  The directory
 *           store's miss (a pread of the backing file, which is in the
 *           host's page cache) is what framefs costs without HTTP, so
 *           miss(http) - miss(dir) is what HTTP adds.
 *  2 seq    read() of the whole file with 1 MiB buffers, frames dropped
 *           and kernel copy dropped first, at readahead=128 and 1024, and
 *           at readahead=128 and 1024 with fetch_ahead=1024 (the daemon
 *           reads the 1 MiB window of a miss, the rest after its reply,
 *           and the next window when a READ reaches it); against one
 *           libcurl GET of the whole file into memory.  The stats give
 *           GETs and FUSE READs per MiB read.  And once more at
 *           readahead=1024 with the file in the frames (read once first;
 *           only the client's kernel copy dropped): FUSE and the frames
 *           without any GET, the ceiling of the cold rows.
 *  3 mmap   mmap(MAP_SHARED, PROT_READ), MADV_RANDOM, one load from each
 *           of N distinct random pages.  "cold": nothing cached anywhere
 *           but on the server (framefs: frames dropped; davfs2 and rclone:
 *           a fresh mount on an empty cache dir), open() timed apart
 *           (davfs2 downloads the whole file in open()); framefs with
 *           fetch_ahead=0 (one GET per fault), 1024 and 4096.  "warm":
 *           munmap, the client's kernel copy dropped, the same N pages
 *           again: the data is in the daemon's cache (frames, davfs2's
 *           and rclone full's cache files; rclone with --vfs-cache-mode
 *           off has none and fetches again).  µs per load, each load
 *           timed.
 *  4 hit    the same pread of part 1 on pages already in frames, the
 *           client's kernel copy dropped (fs_bench's "frame hit" case):
 *           the frame-hit path of the http store against the directory
 *           store's, which should be the same code (goal: ratio ~1.00).
 *
 * How the figures are taken.  Parts 1, 2 and 4 run in rounds; in each
 * round every target runs once, the order rotating, so the drift of a
 * shared machine lands on all of them.  Latencies are medians (and p90)
 * over every sample of every round; throughputs are medians of the
 * rounds.  Part 3 runs once per target (davfs2 and rclone mount once per
 * pass).  Every page read or loaded is checked against its tag: wrong
 * data is a failure (exit 1), never a figure.
 *
 * Exit status: 0 ok whatever the timings (no FUSE or no Apache: skipped),
 * 1 failure (one line on stderr), 2 usage error.  Everything mounted is
 * unmounted and every server and daemon stopped by PID, on failure and on
 * SIGINT/SIGTERM too; davfs2's pid file under /var/run/mount.davfs is
 * removed if its daemon left it.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "httpd.h"
#include "mount.h"
#include "rng.h"
#include "size.h"

#define PROG "http_bench"
#include "prog.h"

#define PAGE_BYTES	4096u
#define IO_BYTES	(1u << 20)	/* read() size, part 2 */
#define SLACK_FRAMES	1024u
#define DEFAULT_SIZE	(64ull << 20)
#define QUICK_SIZE	(8ull << 20)
#define DEFAULT_SAMPLES	2000u		/* part 1 and 4, per target */
#define QUICK_SAMPLES	100u
#define DEFAULT_REPS	5u
#define QUICK_REPS	2u
#define DEFAULT_FAULTS	4000u		/* part 3 */
#define QUICK_FAULTS	200u
#define FUSE_MAGIC	0x65735546
#define TAG_MAGIC	0x66666d6200000000ull	/* "ffmb" + page number */
#define DAVFS_RUN	"/var/run/mount.davfs"

/* ---- targets ---------------------------------------------------------- */

/* framefs mounts of parts 1 and 4 (readahead=0). */
enum ffr { FR_DAV, FR_NGX, FR_DIR, NFR };
static const char *const ffr_name[NFR] = {
	"framefs, Apache", "framefs, nginx", "framefs, dir store"
};

/* Part 2's targets. */
enum seq {
	SQ_CURL_DAV, SQ_FF_DAV_128, SQ_FF_DAV_1024, SQ_FF_DAV_FA,
	SQ_FF_DAV_1024_FA, SQ_FF_DAV_WARM, SQ_CURL_NGX, SQ_FF_NGX_128,
	SQ_FF_DIR_128, NSQ
};
static const char *const sq_name[NSQ] = {
	"curl GET, Apache", "framefs, Apache, ra=128",
	"framefs, Apache, ra=1024", "framefs, Apache, ra=128 fa=1024",
	"framefs, Apache, ra=1024 fa=1024", "framefs, Apache, ra=1024 warm",
	"curl GET, nginx", "framefs, nginx, ra=128", "framefs, dir, ra=128"
};
/* The framefs mounts part 2 needs: server (or dir), readahead and
 * fetch_ahead; warm: the frames hold the file (only the client's kernel
 * copy is dropped), so no GET: what FUSE and the frames alone allow. */
static const struct {
	int ffr;
	unsigned ra_kb, fa_kb;
	bool warm;
} sq_mount[NSQ] = {
	[SQ_FF_DAV_128] = { FR_DAV, 128, 0, false },
	[SQ_FF_DAV_1024] = { FR_DAV, 1024, 0, false },
	[SQ_FF_DAV_FA] = { FR_DAV, 128, 1024, false },
	[SQ_FF_DAV_1024_FA] = { FR_DAV, 1024, 1024, false },
	[SQ_FF_DAV_WARM] = { FR_DAV, 1024, 0, true },
	[SQ_FF_NGX_128] = { FR_NGX, 128, 0, false },
	[SQ_FF_DIR_128] = { FR_DIR, 128, 0, false },
	[SQ_CURL_DAV] = { -1, 0, 0, false },
	[SQ_CURL_NGX] = { -1, 0, 0, false },
};

/* Part 3's targets. */
enum mm {
	MM_FF, MM_FF_FA, MM_FF_FA4, MM_FF_DIR, MM_DAVFS, MM_RCLONE_OFF,
	MM_RCLONE_FULL, NMM
};
static const char *const mm_name[NMM] = {
	"framefs, Apache", "framefs, Apache, fa=1024",
	"framefs, Apache, fa=4096", "framefs, dir store",
	"davfs2, Apache", "rclone, cache off", "rclone, cache full"
};

/* Latency samples of one target, in µs. */
struct lat {
	double *us;
	unsigned n, cap;
};

struct mm_res {
	bool skipped;
	char why[160];		/* why skipped */
	double open_ms;		/* the cold pass's open() */
	double cold_total_ms;	/* open + every load of the cold pass */
	struct lat cold, warm;
	uint64_t cold_flt, warm_flt;	/* client faults (min + maj) */
};

struct opts {
	uint64_t size_bytes;
	unsigned samples;	/* parts 1 and 4, per target */
	unsigned reps;		/* rounds of parts 1, 2, 4 */
	unsigned faults;	/* part 3 */
	uint64_t seed;
	bool no_others;		/* no davfs2 / rclone */
};

/* A daemon we started that is not framefs (rclone) or whose PID we read
 * back (davfs2). */
struct other {
	char mp[300];
	char cache[300];
	pid_t pid;		/* 0: none */
	bool davfs;		/* unmount with umount, pid file to clean */
	char pidfile[400];
	bool mounted;
};

struct bench {
	struct opts o;
	uint64_t npages;
	char tmp[128];			/* /tmp/http_bench.XXXXXX */
	char dirstore[200];		/* the directory store's backing */
	struct httpd dav, ngx;
	bool dav_on, ngx_on;		/* running (cleanup clears them) */
	bool have_ngx;			/* nginx was started: its columns */
	char dav_file[300], ngx_file[300];	/* URLs of r.dat */
	struct mnt ff[NSQ];		/* parts 1, 3, 4: slot = enum ffr;
					 * part 2: slot = enum seq */
	bool ff_on[NSQ];
	struct other oth;
	uint32_t *pages;		/* a permutation of the file's pages */
	char *buf;			/* IO_BYTES, page aligned */
	char *body;			/* whole file, curl GET target */
	size_t body_len;
	CURL *curl;
	/* Results. */
	struct lat miss[NFR], floor_dav, floor_ngx, hit[NFR];
	double miss_gets[NFR];		/* GETs per miss sample */
	double miss_reqs[NFR];		/* requests of any method per miss */
	uint64_t rtt_p50_us, rtt_p90_us;	/* framefs' own, Apache, part 1 */
	double hit_gets[NFR];		/* GETs per hit sample */
	double seq_mbs[NSQ][64];	/* MB/s per round */
	double seq_gets_mib[NSQ], seq_reads_mib[NSQ];
	unsigned seq_n;
	struct mm_res mm[NMM];
	bool davfs_ok, rclone_ok;
	char davfs_why[160], rclone_why[160];
};

static struct bench *cur;
static volatile sig_atomic_t interrupted;
static void cleanup(void);

/* ---- helpers ---------------------------------------------------------- */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prog_verrf(fmt, ap);
	va_end(ap);
	cleanup();
	exit(1);
}

static void check_intr(void)
{
	if (interrupted)
		fail("interrupted");
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static uint64_t tag_of(uint64_t pgno)
{
	return TAG_MAGIC | (pgno & 0xffffffffu);
}

static void fill_pages(char *buf, size_t n, uint64_t pgno)
{
	for (size_t off = 0; off < n; off += PAGE_BYTES, pgno++) {
		uint64_t tag = tag_of(pgno);

		memset(buf + off, (int)(0xa5 ^ (pgno & 0xff)), PAGE_BYTES);
		memcpy(buf + off, &tag, sizeof(tag));
	}
}

static bool tags_ok(const char *buf, size_t n, uint64_t pgno)
{
	for (size_t off = 0; off < n; off += PAGE_BYTES, pgno++) {
		uint64_t tag;

		memcpy(&tag, buf + off, sizeof(tag));
		if (tag != tag_of(pgno))
			return false;
	}
	return true;
}

static bool fuse_mounted(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == FUSE_MAGIC;
}

static const char *path_in(const char *dir, const char *name)
{
	static char buf[2][400];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void lat_add(struct lat *l, double us)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 1024;
		double *p = realloc(l->us, cap * sizeof(*p));

		if (!p)
			fail("memory: %s", strerror(ENOMEM));
		l->us = p;
		l->cap = cap;
	}
	l->us[l->n++] = us;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-quantile (0..1) of n values (sorted in place), or 0. */
static double quantile(double *v, unsigned n, double p)
{
	unsigned i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (unsigned)(p * (n - 1) + 0.5);
	return v[i];
}

static double lat_q(struct lat *l, double p)
{
	return quantile(l->us, l->n, p);
}

/* Drops the client's kernel copy of path (on a FUSE file the daemon's
 * cache is untouched). */
static void drop_kernel(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	if (rc)
		fail("%s: posix_fadvise: %s", path, strerror(rc));
}

/* Shuffles b->pages (a permutation of every page) with the round's seed;
 * the first k entries are then k distinct random pages. */
static void shuffle(struct bench *b, uint64_t round)
{
	uint64_t s = (b->o.seed + round) * 0x9e3779b97f4a7c15ull + 1;

	for (uint64_t i = 0; i < b->npages; i++)
		b->pages[i] = (uint32_t)i;
	for (uint64_t i = 0; i + 1 < b->npages; i++) {
		uint64_t j = i + rng_xorshift64s(&s) % (b->npages - i);
		uint32_t t = b->pages[j];

		b->pages[j] = b->pages[i];
		b->pages[i] = t;
	}
}

/* The sum of every http_requests_* line of m's stats (0 for the dir
 * store). */
static uint64_t requests_of(struct mnt *m)
{
	FILE *f = fopen(mpath(m, ".framefs/stats"), "r");
	unsigned long long v;
	uint64_t sum = 0;
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "http_requests_", 14) &&
		    sscanf(strchr(line, ' ') ? strchr(line, ' ') : line, "%llu",
			   &v) == 1)
			sum += v;
	if (f)
		fclose(f);
	return sum;
}

static uint64_t stat_of(struct mnt *m, const char *name)
{
	uint64_t v = mnt_stat(m, name);

	if (v == UINT64_MAX)
		v = 0;	/* the dir store has no http_* lines */
	return v;
}

/* ---- curl: the floor -------------------------------------------------- */

struct sink {
	char *buf;
	size_t len, cap;
};

static size_t sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t k = size * n;

	if (s->len + k > s->cap)
		return 0;	/* more than asked: an error */
	memcpy(s->buf + s->len, p, k);
	s->len += k;
	return k;
}

/* One GET of url (range "a-b" or NULL) into buf (cap bytes) on the kept-
 * alive handle; returns the bytes received. */
static size_t curl_get(struct bench *b, const char *url, const char *range,
		       char *buf, size_t cap)
{
	struct sink s = { .buf = buf, .cap = cap };
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(b->curl, CURLOPT_URL, url);
	curl_easy_setopt(b->curl, CURLOPT_RANGE, range);
	curl_easy_setopt(b->curl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(b->curl, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(b->curl);
	if (rc != CURLE_OK)
		fail("%s: %s", url, curl_easy_strerror(rc));
	curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != (range ? 206 : 200))
		fail("%s: HTTP %ld%s", url, status, range ? " to a Range GET" :
		     "");
	return s.len;
}

/* ---- davfs2 and rclone ------------------------------------------------ */

static bool which(const char *path)
{
	return access(path, X_OK) == 0;
}

/* Stops b->oth: unmount, wait for its daemon by PID (killing it by PID
 * after 10 s), remove a pid file it left. */
static void other_stop(struct bench *b)
{
	struct other *o = &b->oth;
	char *um[] = { "sh", "-c", "exec umount \"$1\" >/dev/null", "sh",
		       o->mp, NULL };
	char *fu[] = { "fusermount3", "-u", o->mp, NULL };
	char *uz[] = { "fusermount3", "-uz", o->mp, NULL };

	if (!o->mounted && !o->pid)
		return;
	for (int i = 0; o->mounted && fuse_mounted(o->mp); i++) {
		if (run_cmd(o->davfs ? um : fu, NULL, 0) == 0)
			break;
		if (i == 20) {
			run_cmd(uz, NULL, 0);
			break;
		}
		sleep_ms(100);
	}
	o->mounted = false;
	for (int i = 0; o->pid && i < 1000; i++) {
		if (o->davfs ? kill(o->pid, 0) < 0 && errno == ESRCH :
		    waitpid(o->pid, NULL, WNOHANG) == o->pid) {
			o->pid = 0;
			break;
		}
		sleep_ms(10);
	}
	if (o->pid) {
		fprintf(stderr, PROG ": %s %d did not exit; killing it\n",
			o->davfs ? "mount.davfs" : "rclone", (int)o->pid);
		kill(o->pid, SIGKILL);
		if (!o->davfs)
			waitpid(o->pid, NULL, 0);
		o->pid = 0;
		if (fuse_mounted(o->mp))
			run_cmd(uz, NULL, 0);
	}
	if (o->davfs && o->pidfile[0])
		unlink(o->pidfile);	/* left only by a killed daemon */
	o->pidfile[0] = '\0';
}

/* Mounts davfs2 on the Apache URL, on a fresh cache dir (pass names it);
 * returns 0, or -1 with the reason in why. */
static int davfs_start(struct bench *b, const char *pass, char *why,
		       size_t len)
{
	struct other *o = &b->oth;
	char conf[300], secrets[300], opts[400], err[512] = "", esc[300];
	FILE *f;
	int rc;

	memset(o, 0, sizeof(*o));
	o->davfs = true;
	snprintf(o->mp, sizeof(o->mp), "%s/davfs-%s", b->tmp, pass);
	snprintf(o->cache, sizeof(o->cache), "%s/davfs-cache-%s", b->tmp,
		 pass);
	snprintf(conf, sizeof(conf), "%s/davfs2.conf", b->tmp);
	snprintf(secrets, sizeof(secrets), "%s/davfs2.secrets", b->tmp);
	if (mkdir(o->mp, 0755) < 0 || mkdir(o->cache, 0777) < 0 ||
	    chmod(o->cache, 0777) < 0)
		fail("%s: %s", o->mp, strerror(errno));
	f = fopen(conf, "w");
	if (!f)
		fail("%s: %s", conf, strerror(errno));
	fprintf(f, "use_locks 0\nask_auth 0\ncache_dir %s\ncache_size 1024\n"
		"secrets %s\ndelay_upload 0\n", o->cache, secrets);
	fclose(f);
	f = fopen(secrets, "w");
	if (!f)
		fail("%s: %s", secrets, strerror(errno));
	fprintf(f, "%s bench bench\n", b->dav.url);
	fclose(f);
	chmod(secrets, 0600);
	snprintf(opts, sizeof(opts), "conf=%s,ro", conf);
	{
		char *argv[] = { "mount.davfs", b->dav.url, o->mp, "-o", opts,
				 NULL };

		rc = run_cmd(argv, err, sizeof(err));
	}
	err[strcspn(err, "\n")] = '\0';
	if (rc != 0 || !fuse_mounted(o->mp)) {
		snprintf(why, len, "mount.davfs: %s", err[0] ? err :
			 "did not mount");
		return -1;
	}
	o->mounted = true;
	/* Its pid file: the mountpoint, '/' as '-', without the first. */
	snprintf(esc, sizeof(esc), "%s", o->mp + 1);
	for (char *p = esc; *p; p++)
		if (*p == '/')
			*p = '-';
	snprintf(o->pidfile, sizeof(o->pidfile), DAVFS_RUN "/%s.pid", esc);
	f = fopen(o->pidfile, "r");
	if (f) {
		int pid = 0;

		if (fscanf(f, "%d", &pid) == 1 && pid > 1)
			o->pid = pid;
		fclose(f);
	}
	return 0;
}

/* Mounts rclone on the Apache URL with --vfs-cache-mode mode. */
static int rclone_start(struct bench *b, const char *mode, char *why,
			size_t len)
{
	struct other *o = &b->oth;
	char conf[300], log[300], url[200];
	pid_t pid;

	memset(o, 0, sizeof(*o));
	snprintf(o->mp, sizeof(o->mp), "%s/rclone-%s", b->tmp, mode);
	snprintf(o->cache, sizeof(o->cache), "%s/rclone-cache-%s", b->tmp,
		 mode);
	snprintf(conf, sizeof(conf), "%s/rclone.conf", b->tmp);
	snprintf(log, sizeof(log), "%s/rclone-%s.log", b->tmp, mode);
	snprintf(url, sizeof(url), "--webdav-url=%s", b->dav.url);
	if (mkdir(o->mp, 0755) < 0 || mkdir(o->cache, 0755) < 0)
		fail("%s: %s", o->mp, strerror(errno));
	close(open(conf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0644);

		setpgid(0, 0);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execlp("rclone", "rclone", "mount", ":webdav:", o->mp, url,
		       "--vfs-cache-mode", mode, "--config", conf,
		       "--cache-dir", o->cache, "--read-only",
		       "--dir-cache-time", "1h", (char *)NULL);
		_exit(127);
	}
	o->pid = pid;
	for (int i = 0; i < 1000; i++) {
		int st;

		if (fuse_mounted(o->mp)) {
			o->mounted = true;
			return 0;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			o->pid = 0;
			snprintf(why, len, "rclone mount exited with %d (see "
				 "%.100s)", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
				 log);
			return -1;
		}
		sleep_ms(10);
	}
	other_stop(b);
	snprintf(why, len, "rclone did not mount in 10 s");
	return -1;
}

/* ---- setup and teardown ----------------------------------------------- */

static void ff_stop_all(struct bench *b)
{
	for (int i = 0; i < NSQ; i++)
		if (b->ff_on[i]) {
			mnt_cleanup(&b->ff[i]);
			b->ff_on[i] = false;
		}
}

static void cleanup(void)
{
	struct bench *b = cur;

	if (!b)
		return;
	cur = NULL;
	prog_progress_end();
	other_stop(b);
	ff_stop_all(b);
	if (b->dav_on)
		httpd_cleanup(&b->dav);
	if (b->ngx_on)
		httpd_cleanup(&b->ngx);
	b->dav_on = b->ngx_on = false;
	if (b->curl)
		curl_easy_cleanup(b->curl);
	b->curl = NULL;
	if (b->tmp[0]) {
		char *rm[] = { "rm", "-rf", b->tmp, NULL };

		run_cmd(rm, NULL, 0);
		b->tmp[0] = '\0';
	}
}

static void make_file(struct bench *b, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	for (uint64_t off = 0; off < b->o.size_bytes; off += IO_BYTES) {
		size_t n = b->o.size_bytes - off < IO_BYTES ?
			   (size_t)(b->o.size_bytes - off) : IO_BYTES;

		fill_pages(b->buf, n, off / PAGE_BYTES);
		if (write(fd, b->buf, n) != (ssize_t)n)
			fail("%s: write: %s", path, strerror(errno));
	}
	if (fsync(fd) < 0)
		fail("%s: fsync: %s", path, strerror(errno));
	close(fd);
}

/* Mounts framefs in slot i on kind (Apache, nginx or the directory) at
 * readahead=ra_kb,fetch_ahead=fa_kb. */
static void ff_mount(struct bench *b, int i, int kind, unsigned ra_kb,
		     unsigned fa_kb)
{
	struct mnt *m = &b->ff[i];
	char opts[128];

	memset(m, 0, sizeof(*m));
	m->quiet = true;
	m->own_pgrp = true;
	snprintf(m->log, sizeof(m->log), "%s/framefs-%d-%u.log", b->tmp, i,
		 ra_kb);
	snprintf(m->dir, sizeof(m->dir), "%s/ff%d.XXXXXX", b->tmp, i);
	if (kind == FR_DIR) {
		snprintf(m->backing, sizeof(m->backing), "%s", b->dirstore);
	} else {
		struct httpd *h = kind == FR_DAV ? &b->dav : &b->ngx;

		snprintf(m->source, sizeof(m->source), "%s", h->url);
		snprintf(m->backing, sizeof(m->backing), "%s", h->root);
	}
	snprintf(opts, sizeof(opts), "frames=%llu,readahead=%u,fetch_ahead=%u",
		 (unsigned long long)(b->npages + SLACK_FRAMES), ra_kb, fa_kb);
	b->ff_on[i] = true;	/* mnt_cleanup undoes a half start */
	if (mnt_start(m, opts) != 0)
		fail("framefs did not mount %s (%s): %s", kind == FR_DIR ?
		     m->backing : m->source, opts, m->why);
}

/* Drops frames and the client's kernel copy of r.dat on slot i. */
static void ff_cold(struct bench *b, int i)
{
	int rc = mnt_control(&b->ff[i], "drop");

	if (rc < 0)
		fail("%s/.framefs/control: drop: %s", b->ff[i].mp,
		     strerror(-rc));
	drop_kernel(mpath(&b->ff[i], "r.dat"));
}

static void setup(struct bench *b)
{
	b->npages = b->o.size_bytes / PAGE_BYTES;
	b->pages = malloc(b->npages * sizeof(*b->pages));
	b->buf = aligned_alloc(PAGE_BYTES, IO_BYTES);
	b->body = malloc(b->o.size_bytes);
	if (!b->pages || !b->buf || !b->body)
		fail("memory: %s", strerror(ENOMEM));
	snprintf(b->tmp, sizeof(b->tmp), "/tmp/" PROG ".XXXXXX");
	if (!mkdtemp(b->tmp)) {
		int err = errno;

		b->tmp[0] = '\0';
		fail("mkdtemp: %s", strerror(err));
	}
	chmod(b->tmp, 0755);	/* davfs2's daemon runs as its own user */
	snprintf(b->dirstore, sizeof(b->dirstore), "%s/dir", b->tmp);
	if (mkdir(b->dirstore, 0755) < 0)
		fail("%s: %s", b->dirstore, strerror(errno));

	prog_progress("starting Apache and nginx");
	b->dav_on = true;
	if (httpd_start(&b->dav, HTTPD_APACHE) != 0)
		fail("Apache: %s", b->dav.why);
	if (httpd_available(HTTPD_NGINX)) {
		b->ngx_on = b->have_ngx = true;
		if (httpd_start(&b->ngx, HTTPD_NGINX) != 0)
			fail("nginx: %s", b->ngx.why);
	}
	prog_progress("writing r.dat three times");
	make_file(b, path_in(b->dirstore, "r.dat"));
	snprintf(b->dav_file, sizeof(b->dav_file), "%sr.dat", b->dav.url);
	make_file(b, path_in(b->dav.root, "r.dat"));
	if (b->ngx_on) {
		snprintf(b->ngx_file, sizeof(b->ngx_file), "%sr.dat",
			 b->ngx.url);
		make_file(b, path_in(b->ngx.root, "r.dat"));
	}
	b->curl = curl_easy_init();
	if (!b->curl)
		fail("curl_easy_init failed");
	curl_easy_setopt(b->curl, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(b->curl, CURLOPT_NOSIGNAL, 1L);
}

/* ---- part 1 and 4: one page miss, one frame hit ----------------------- */

/* A pread of page pgno into b->buf, timed, checked; µs. */
static double pread_page(struct bench *b, int fd, uint32_t pgno,
			 const char *what)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), t1;
	ssize_t n = pread(fd, b->buf, PAGE_BYTES, (off_t)pgno * PAGE_BYTES);

	t1 = now_ns(CLOCK_MONOTONIC);
	if (n != PAGE_BYTES)
		fail("%s: pread page %u: %s", what, pgno,
		     n < 0 ? strerror(errno) : "short read");
	if (!tags_ok(b->buf, PAGE_BYTES, pgno))
		fail("%s: page %u: wrong data", what, pgno);
	return (double)(t1 - t0) / 1e3;
}

/* One round's batch on framefs slot i: per misses, then the same pages
 * again as frame hits. */
static void miss_hit_batch(struct bench *b, int i, unsigned per)
{
	struct mnt *m = &b->ff[i];
	uint64_t g0, g1, m0, m1, h0, h1, a0;
	int fd;

	ff_cold(b, i);
	fd = open(mpath(m, "r.dat"), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("%s: %s", mpath(m, "r.dat"), strerror(errno));
	g0 = stat_of(m, "http_requests_get");
	m0 = stat_of(m, "frame_misses");
	a0 = requests_of(m);
	for (unsigned j = 0; j < per; j++)
		lat_add(&b->miss[i], pread_page(b, fd, b->pages[j],
						ffr_name[i]));
	g1 = stat_of(m, "http_requests_get");
	m1 = stat_of(m, "frame_misses");
	/* .framefs/ is served by the daemon: reading it costs no request. */
	b->miss_reqs[i] += (double)(requests_of(m) - a0);
	if (m1 - m0 != per)
		fail("%s: %llu frame misses for %u cold preads (readahead=0 "
		     "should make it one each)", ffr_name[i],
		     (unsigned long long)(m1 - m0), per);
	b->miss_gets[i] += (double)(g1 - g0);

	/* The frame hits: the client's copy dropped, the frames kept. */
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
		fail("%s: posix_fadvise failed", ffr_name[i]);
	h0 = stat_of(m, "frame_hits");
	g0 = stat_of(m, "http_requests_get");
	for (unsigned j = 0; j < per; j++)
		lat_add(&b->hit[i], pread_page(b, fd, b->pages[j],
					       ffr_name[i]));
	h1 = stat_of(m, "frame_hits");
	g1 = stat_of(m, "http_requests_get");
	if (h1 - h0 != per)
		fail("%s: %llu frame hits for %u preads of pages in frames",
		     ffr_name[i], (unsigned long long)(h1 - h0), per);
	b->hit_gets[i] += (double)(g1 - g0);
	close(fd);
}

static void floor_batch(struct bench *b, const char *url, struct lat *l,
			unsigned per)
{
	char range[64];

	for (unsigned j = 0; j < per; j++) {
		uint64_t off = (uint64_t)b->pages[j] * PAGE_BYTES, t0, t1;
		size_t n;

		snprintf(range, sizeof(range), "%llu-%llu",
			 (unsigned long long)off,
			 (unsigned long long)(off + PAGE_BYTES - 1));
		t0 = now_ns(CLOCK_MONOTONIC);
		n = curl_get(b, url, range, b->buf, PAGE_BYTES);
		t1 = now_ns(CLOCK_MONOTONIC);
		if (n != PAGE_BYTES || !tags_ok(b->buf, PAGE_BYTES,
						b->pages[j]))
			fail("%s: Range %s: wrong data", url, range);
		lat_add(l, (double)(t1 - t0) / 1e3);
	}
}

static void part_miss_hit(struct bench *b)
{
	unsigned per = (b->o.samples + b->o.reps - 1) / b->o.reps;
	int nt = NFR + 2;	/* the mounts, then the two floors */

	if (per > b->npages)
		per = (unsigned)b->npages;
	ff_mount(b, FR_DAV, FR_DAV, 0, 0);
	if (b->have_ngx)
		ff_mount(b, FR_NGX, FR_NGX, 0, 0);
	ff_mount(b, FR_DIR, FR_DIR, 0, 0);
	/* Connect once: the floor is a kept-alive connection. */
	curl_get(b, b->dav_file, "0-4095", b->buf, PAGE_BYTES);
	if (b->have_ngx)
		curl_get(b, b->ngx_file, "0-4095", b->buf, PAGE_BYTES);
	for (unsigned r = 0; r < b->o.reps; r++) {
		shuffle(b, r);
		for (int k = 0; k < nt; k++) {
			int t = (k + (int)r) % nt;

			check_intr();
			prog_progress("page misses: round %u of %u", r + 1,
				      b->o.reps);
			if (t < NFR && b->ff_on[t])
				miss_hit_batch(b, t, per);
			else if (t == NFR)
				floor_batch(b, b->dav_file, &b->floor_dav,
					    per);
			else if (t == NFR + 1 && b->have_ngx)
				floor_batch(b, b->ngx_file, &b->floor_ngx,
					    per);
		}
	}
	b->rtt_p50_us = stat_of(&b->ff[FR_DAV], "http_rtt_p50_us");
	b->rtt_p90_us = stat_of(&b->ff[FR_DAV], "http_rtt_p90_us");
	for (int i = 0; i < NFR; i++) {
		if (b->miss[i].n) {
			b->miss_gets[i] /= b->miss[i].n;
			b->miss_reqs[i] /= b->miss[i].n;
		}
		if (b->hit[i].n)
			b->hit_gets[i] /= b->hit[i].n;
	}
	ff_stop_all(b);
}

/* ---- part 2: sequential read() ---------------------------------------- */

/* Reads the whole file through fd into b->buf, checking every page;
 * returns the bytes read. */
static uint64_t read_all(struct bench *b, int t, int fd)
{
	uint64_t got = 0;

	for (;;) {
		ssize_t n = read(fd, b->buf, IO_BYTES);

		if (n < 0)
			fail("%s: read: %s", sq_name[t], strerror(errno));
		if (n == 0)
			break;
		if (n % PAGE_BYTES || !tags_ok(b->buf, (size_t)n,
					       got / PAGE_BYTES))
			fail("%s: wrong data at %llu", sq_name[t],
			     (unsigned long long)got);
		got += (uint64_t)n;
	}
	return got;
}

static void seq_ff(struct bench *b, int t, unsigned r)
{
	struct mnt *m = &b->ff[t];
	uint64_t g0, g1, rd0, rd1, got, t0, t1;
	double mib = (double)b->o.size_bytes / (1 << 20);
	int fd;

	if (!sq_mount[t].warm)
		ff_cold(b, t);
	fd = open(mpath(m, "r.dat"), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("%s: %s", mpath(m, "r.dat"), strerror(errno));
	if (sq_mount[t].warm) {
		if (r == 0)
			read_all(b, t, fd);	/* into the frames */
		drop_kernel(mpath(m, "r.dat"));
		if (lseek(fd, 0, SEEK_SET) != 0)
			fail("%s: lseek: %s", sq_name[t], strerror(errno));
	}
	g0 = stat_of(m, "http_requests_get");
	rd0 = stat_of(m, "reads");
	t0 = now_ns(CLOCK_MONOTONIC);
	got = read_all(b, t, fd);
	t1 = now_ns(CLOCK_MONOTONIC);
	g1 = stat_of(m, "http_requests_get");
	rd1 = stat_of(m, "reads");
	close(fd);
	if (got != b->o.size_bytes)
		fail("%s: read %llu bytes of %llu", sq_name[t],
		     (unsigned long long)got,
		     (unsigned long long)b->o.size_bytes);
	b->seq_mbs[t][r] = (double)got / 1e6 / ((double)(t1 - t0) / 1e9);
	b->seq_gets_mib[t] += (double)(g1 - g0) / mib / b->o.reps;
	b->seq_reads_mib[t] += (double)(rd1 - rd0) / mib / b->o.reps;
}

static void seq_curl(struct bench *b, int t, unsigned r)
{
	const char *url = t == SQ_CURL_DAV ? b->dav_file : b->ngx_file;
	uint64_t t0, t1;
	size_t n;

	t0 = now_ns(CLOCK_MONOTONIC);
	n = curl_get(b, url, NULL, b->body, b->o.size_bytes);
	t1 = now_ns(CLOCK_MONOTONIC);
	if (n != b->o.size_bytes || !tags_ok(b->body, n, 0))
		fail("%s: wrong data (%zu bytes)", url, n);
	b->seq_mbs[t][r] = (double)n / 1e6 / ((double)(t1 - t0) / 1e9);
}

static bool seq_on(const struct bench *b, int t)
{
	return b->have_ngx || (t != SQ_CURL_NGX && t != SQ_FF_NGX_128);
}

static void part_seq(struct bench *b)
{
	for (int t = 0; t < NSQ; t++)
		if (sq_mount[t].ffr >= 0 && seq_on(b, t))
			ff_mount(b, t, sq_mount[t].ffr, sq_mount[t].ra_kb,
				 sq_mount[t].fa_kb);
	for (unsigned r = 0; r < b->o.reps; r++)
		for (int k = 0; k < NSQ; k++) {
			int t = (k + (int)r) % NSQ;

			check_intr();
			prog_progress("sequential reads: round %u of %u",
				      r + 1, b->o.reps);
			if (!seq_on(b, t))
				continue;
			if (sq_mount[t].ffr >= 0)
				seq_ff(b, t, r);
			else
				seq_curl(b, t, r);
		}
	b->seq_n = b->o.reps;
	ff_stop_all(b);
}

/* ---- part 3: mmap faults ---------------------------------------------- */

static uint64_t faults_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

/* One pass of loads over the first nfaults pages of b->pages. */
static void mm_loads(struct bench *b, const char *map, struct lat *l,
		     uint64_t *flt, double *sum_ms, const char *what)
{
	uint64_t f0 = faults_now();
	double sum = 0;

	for (unsigned j = 0; j < b->o.faults; j++) {
		uint32_t p = b->pages[j];
		uint64_t t0 = now_ns(CLOCK_MONOTONIC), t1, v;

		v = *(const volatile uint64_t *)(map +
						 (size_t)p * PAGE_BYTES);
		t1 = now_ns(CLOCK_MONOTONIC);
		if (v != tag_of(p))
			fail("%s: page %u: wrong data", what, p);
		lat_add(l, (double)(t1 - t0) / 1e3);
		sum += (double)(t1 - t0) / 1e6;
	}
	*flt = faults_now() - f0;
	if (sum_ms)
		*sum_ms = sum;
}

static void mm_run(struct bench *b, const char *path, struct mm_res *r,
		   const char *what)
{
	size_t len = b->o.size_bytes;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	double loads_ms;
	char *map;

	r->open_ms = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	for (int pass = 0; pass < 2; pass++) {
		map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			fail("%s: mmap: %s", path, strerror(errno));
		madvise(map, len, MADV_RANDOM);
		if (pass == 0) {
			mm_loads(b, map, &r->cold, &r->cold_flt, &loads_ms,
				 what);
			r->cold_total_ms = r->open_ms + loads_ms;
		} else {
			mm_loads(b, map, &r->warm, &r->warm_flt, NULL, what);
		}
		munmap(map, len);
		/* The client's copy goes; the daemon's cache stays. */
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	close(fd);
}

static void part_mmap(struct bench *b)
{
	static const char *const rc_mode[NMM] = {
		[MM_RCLONE_OFF] = "off", [MM_RCLONE_FULL] = "full"
	};

	shuffle(b, 1000);
	ff_mount(b, FR_DAV, FR_DAV, 0, 0);
	ff_mount(b, FR_NGX, FR_DAV, 0, 1024);	/* a free slot: fa=1024 */
	ff_mount(b, NFR, FR_DAV, 0, 4096);	/* another: fa=4096 */
	ff_mount(b, FR_DIR, FR_DIR, 0, 0);
	for (int t = 0; t < NMM; t++) {
		struct mm_res *r = &b->mm[t];

		check_intr();
		prog_progress("mmap loads: %s", mm_name[t]);
		switch (t) {
		case MM_FF:
		case MM_FF_FA:
		case MM_FF_FA4:
		case MM_FF_DIR: {
			int slot = t == MM_FF ? FR_DAV : t == MM_FF_FA ? FR_NGX
				 : t == MM_FF_FA4 ? NFR : FR_DIR;

			ff_cold(b, slot);
			mm_run(b, mpath(&b->ff[slot], "r.dat"), r, mm_name[t]);
			break;
		}
		case MM_DAVFS:
			if (b->o.no_others || !which("/usr/sbin/mount.davfs")) {
				r->skipped = true;
				snprintf(r->why, sizeof(r->why), "%s",
					 b->o.no_others ? "--no-others" :
					 "mount.davfs not installed");
				break;
			}
			if (davfs_start(b, "mm", r->why, sizeof(r->why)) < 0) {
				r->skipped = true;
				break;
			}
			mm_run(b, path_in(b->oth.mp, "r.dat"), r, mm_name[t]);
			other_stop(b);
			break;
		default:
			if (b->o.no_others || (!which("/usr/bin/rclone") &&
					       !which("/usr/local/bin/rclone"))) {
				r->skipped = true;
				snprintf(r->why, sizeof(r->why), "%s",
					 b->o.no_others ? "--no-others" :
					 "rclone not installed");
				break;
			}
			if (rclone_start(b, rc_mode[t], r->why,
					 sizeof(r->why)) < 0) {
				r->skipped = true;
				break;
			}
			mm_run(b, path_in(b->oth.mp, "r.dat"), r, mm_name[t]);
			other_stop(b);
			break;
		}
	}
	ff_stop_all(b);
}

/* ---- the report ------------------------------------------------------- */

static double median_of(double *v, unsigned n)
{
	double tmp[64];

	memcpy(tmp, v, n * sizeof(*v));
	return quantile(tmp, n, 0.5);
}

static void print_lat_row(const char *name, struct lat *l, const char *extra)
{
	printf("  %-34s %9.1f %9.1f  %s\n", name, lat_q(l, 0.5),
	       lat_q(l, 0.9), extra);
}

static void print_report(struct bench *b)
{
	double mib = (double)b->o.size_bytes / (1 << 20);
	double floor_dav = lat_q(&b->floor_dav, 0.5);
	double floor_ngx = lat_q(&b->floor_ngx, 0.5);
	double seq[NSQ], hit_ratio = 0;
	char extra[128];

	printf(PROG ": r.dat %.0f MiB (%llu pages) on Apache %s, nginx %s; "
	       "%u rounds; %ld CPUs\n", mib,
	       (unsigned long long)b->npages, b->dav.url,
	       b->have_ngx ? b->ngx.url : "(not installed)", b->o.reps,
	       sysconf(_SC_NPROCESSORS_ONLN));

	printf("\n1. page miss: pread 4 KiB at a random offset, readahead=0, "
	       "%u samples each\n", b->miss[FR_DAV].n);
	printf("  %-34s %9s %9s  %s\n", "", "median us", "p90 us",
	       "GETs/op, ratio");
	print_lat_row("floor: curl Range GET, Apache", &b->floor_dav, "1");
	snprintf(extra, sizeof(extra), "%.2f, miss/floor %.2f",
		 b->miss_gets[FR_DAV], lat_q(&b->miss[FR_DAV], 0.5) /
		 floor_dav);
	print_lat_row("framefs miss, Apache", &b->miss[FR_DAV], extra);
	printf("  %-34s requests of any method per miss %.2f; framefs' own "
	       "round trips (power-of-2 buckets): p50 <= %llu us, p90 <= %llu "
	       "us\n", "", b->miss_reqs[FR_DAV],
	       (unsigned long long)b->rtt_p50_us,
	       (unsigned long long)b->rtt_p90_us);
	snprintf(extra, sizeof(extra), "0, Apache miss - dir miss %.1f us",
		 lat_q(&b->miss[FR_DAV], 0.5) - lat_q(&b->miss[FR_DIR], 0.5));
	print_lat_row("framefs miss, dir store", &b->miss[FR_DIR], extra);
	if (b->have_ngx) {
		print_lat_row("floor: curl Range GET, nginx", &b->floor_ngx,
			      "1");
		snprintf(extra, sizeof(extra), "%.2f, miss/floor %.2f",
			 b->miss_gets[FR_NGX], lat_q(&b->miss[FR_NGX], 0.5) /
			 floor_ngx);
		print_lat_row("framefs miss, nginx", &b->miss[FR_NGX], extra);
	}

	printf("\n2. sequential read() of the whole file, 1 MiB buffers, "
	       "cold (warm: the file in the frames); median of %u\n",
	       b->seq_n);
	printf("  %-34s %9s %9s %9s %9s\n", "", "MB/s", "/curl", "GETs/MiB",
	       "READs/MiB");
	for (int t = 0; t < NSQ; t++) {
		if (!seq_on(b, t)) {
			seq[t] = 0;
			continue;
		}
		seq[t] = median_of(b->seq_mbs[t], b->seq_n);
	}
	for (int t = 0; t < NSQ; t++) {
		int base = t >= SQ_CURL_NGX && t != SQ_FF_DIR_128 ?
			   SQ_CURL_NGX : SQ_CURL_DAV;

		if (!seq_on(b, t))
			continue;
		if (sq_mount[t].ffr < 0)
			printf("  %-34s %9.0f %9s\n", sq_name[t], seq[t], "1");
		else
			printf("  %-34s %9.0f %9.2f %9.1f %9.1f\n", sq_name[t],
			       seq[t], seq[t] / seq[base],
			       b->seq_gets_mib[t], b->seq_reads_mib[t]);
	}

	printf("\n3. mmap MAP_SHARED, MADV_RANDOM: one load from each of %u "
	       "random pages of %llu\n", b->o.faults,
	       (unsigned long long)b->npages);
	printf("  %-22s %8s %9s %8s %9s %8s %8s %8s\n", "", "open ms",
	       "cold med", "p90", "warm med", "p90", "cold s", "flt c/w");
	for (int t = 0; t < NMM; t++) {
		struct mm_res *r = &b->mm[t];

		if (r->skipped) {
			printf("  %-22s SKIP: %s\n", mm_name[t], r->why);
			continue;
		}
		printf("  %-22s %8.1f %9.1f %8.1f %9.1f %8.1f %8.2f %4llu/%llu"
		       "\n", mm_name[t], r->open_ms, lat_q(&r->cold, 0.5),
		       lat_q(&r->cold, 0.9), lat_q(&r->warm, 0.5),
		       lat_q(&r->warm, 0.9), r->cold_total_ms / 1e3,
		       (unsigned long long)r->cold_flt,
		       (unsigned long long)r->warm_flt);
	}
	printf("  (us per load; cold s = open + every cold load; warm = the "
	       "client's pages dropped, the daemon's cache kept)\n");

	printf("\n4. frame hit: pread 4 KiB of a page in frames, the client's "
	       "copy dropped\n");
	printf("  %-34s %9s %9s  %s\n", "", "median us", "p90 us", "GETs/op");
	for (int i = 0; i < NFR; i++) {
		if (!b->hit[i].n)
			continue;
		snprintf(extra, sizeof(extra), "%.2f", b->hit_gets[i]);
		print_lat_row(ffr_name[i], &b->hit[i], extra);
	}
	hit_ratio = lat_q(&b->hit[FR_DAV], 0.5) / lat_q(&b->hit[FR_DIR], 0.5);

	printf("\ngoals (figures inform, they never fail the run):\n");
	printf("  page miss / curl floor, Apache:     %.2f (median %.0f us "
	       "over %.0f us)\n", lat_q(&b->miss[FR_DAV], 0.5) / floor_dav,
	       lat_q(&b->miss[FR_DAV], 0.5), floor_dav);
	for (int t = SQ_FF_DAV_128; t <= SQ_FF_DAV_1024_FA; t++)
		printf("  seq %-24s / curl: %.2f, goal >= 0.80: %s\n",
		       sq_name[t] + strlen("framefs, "),
		       seq[t] / seq[SQ_CURL_DAV],
		       seq[t] / seq[SQ_CURL_DAV] >= 0.8 ? "met" : "missed");
	printf("  seq Apache, ra=1024, warm frames / curl: %.2f (no GET: the "
	       "most a cold read can reach here)\n",
	       seq[SQ_FF_DAV_WARM] / seq[SQ_CURL_DAV]);
	for (int k = 0; k < 3 * (NMM - MM_DAVFS); k++) {
		static const int mine[3] = { MM_FF, MM_FF_FA, MM_FF_FA4 };
		static const char *const fa[3] = { "", ", fa=1024",
						   ", fa=4096" };
		int t = MM_DAVFS + k % (NMM - MM_DAVFS);
		int me = mine[k / (NMM - MM_DAVFS)];
		struct mm_res *f = &b->mm[me], *o = &b->mm[t];

		if (o->skipped) {
			printf("  mmap vs %-18s SKIP\n", mm_name[t]);
			continue;
		}
		printf("  mmap%s vs %-18s cold: %s (%.2f s vs %.2f s, open "
		       "included); warm: %s (%.1f vs %.1f us/load)\n",
		       fa[k / (NMM - MM_DAVFS)], mm_name[t],
		       f->cold_total_ms < o->cold_total_ms ?
		       "faster" : "slower", f->cold_total_ms / 1e3,
		       o->cold_total_ms / 1e3,
		       lat_q(&f->warm, 0.5) < lat_q(&o->warm, 0.5) ?
		       "faster" : "slower", lat_q(&f->warm, 0.5),
		       lat_q(&o->warm, 0.5));
	}
	printf("  frame hit, Apache / dir store:      %.2f (goal ~1.00)\n",
	       hit_ratio);
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [--quick] [--size SIZE] [--samples N] [--reps N]\n"
"                  [--faults N] [--seed N] [--no-others]\n"
"\n"
"Starts Apache (mod_dav_fs) and nginx on 127.0.0.1 and measures framefs\n"
"mounted on them, in one run: a page miss against one libcurl Range GET\n"
"and against the directory store; sequential read() against one libcurl\n"
"GET of the whole file; random mmap loads against davfs2 and rclone mount\n"
"(when installed); a frame hit against the directory store's.  Needs\n"
"root for davfs2 (mount.davfs) and for readahead above 128 KB.\n"
"\n"
"  -q, --quick          8 MiB, 100 samples, 2 rounds: a smoke run\n"
"  -s, --size SIZE      the file, K/M/G (default 64M)\n"
"  -n, --samples N      page misses and hits per target (default %u)\n"
"  -r, --reps N         rounds (default %u, max 64)\n"
"  -f, --faults N       mmap loads per pass (default %u)\n"
"      --seed N         seed of the page orders (default 1)\n"
"      --no-others      skip davfs2 and rclone\n"
"  -h, --help           this help\n"
"  -V, --version        print the version\n"
"\n"
"examples:\n"
"  " PROG "                 the full table, 64 MiB (about 2 minutes)\n"
"  " PROG " --quick         a smoke run\n"
"\n"
"Environment: FRAMEFS, the daemon (default: the one built with this).\n"
"Output: a table on stdout; progress on stderr when it is a terminal.\n"
"Exit status: 0 ok (timings never fail; no FUSE or no Apache: skipped),\n"
"1 failure, 2 usage error.\n", DEFAULT_SAMPLES, DEFAULT_REPS,
		DEFAULT_FAULTS);
}

static unsigned long num_arg(const char *opt, const char *val,
			     unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || *end || v < 1 || v > max) {
		char range[48];

		snprintf(range, sizeof(range), "not in 1..%lu", max);
		prog_opt_fail(opt, val, range);
	}
	return v;
}

int main(int argc, char **argv)
{
	enum { OPT_SEED = 256, OPT_NO_OTHERS };
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "size", required_argument, NULL, 's' },
		{ "samples", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "faults", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "no-others", no_argument, NULL, OPT_NO_OTHERS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bench bench;
	struct bench *b = &bench;
	struct sigaction sa;
	unsigned long samples = 0, reps = 0, faults = 0;
	uint64_t size = 0;
	bool quick = false;
	int opt;

	b->o.seed = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qs:n:r:f:hV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'q':
			quick = true;
			break;
		case 's':
			if (size_parse(optarg, &size) < 0 ||
			    size < (1u << 20) || size > (4ull << 30))
				prog_opt_fail("--size", optarg,
					      "not a size in 1M..4G");
			break;
		case 'n':
			samples = num_arg("--samples", optarg, 1u << 20);
			break;
		case 'r':
			reps = num_arg("--reps", optarg, 64);
			break;
		case 'f':
			faults = num_arg("--faults", optarg, 1u << 24);
			break;
		case OPT_SEED:
			b->o.seed = num_arg("--seed", optarg, ULONG_MAX);
			break;
		case OPT_NO_OTHERS:
			b->o.no_others = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " " FRAMEFS_VERSION "\n");
			return 0;
		default:
			prog_getopt_fail(opt, argv);
		}
	}
	if (optind < argc)
		prog_usage_fail(argv[optind], "unexpected argument");
	b->o.size_bytes = size ? size : quick ? QUICK_SIZE : DEFAULT_SIZE;
	b->o.size_bytes -= b->o.size_bytes % IO_BYTES;
	b->o.samples = samples ? (unsigned)samples :
		       quick ? QUICK_SAMPLES : DEFAULT_SAMPLES;
	b->o.reps = reps ? (unsigned)reps : quick ? QUICK_REPS : DEFAULT_REPS;
	b->o.faults = faults ? (unsigned)faults :
		      quick ? QUICK_FAULTS : DEFAULT_FAULTS;
	if (b->o.faults > b->o.size_bytes / PAGE_BYTES)
		b->o.faults = (unsigned)(b->o.size_bytes / PAGE_BYTES);

	if (!mnt_available()) {
		printf(PROG ": skipped: no /dev/fuse or fusermount3\n");
		return 0;
	}
	if (!httpd_available(HTTPD_APACHE)) {
		printf(PROG ": skipped: no Apache with mod_dav_fs\n");
		return 0;
	}
	setenv("FRAMEFS", FRAMEFS_BIN, 0);
	if (access(getenv("FRAMEFS"), X_OK) < 0)
		fail("%s: %s (set FRAMEFS)", getenv("FRAMEFS"),
		     strerror(errno));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fail("curl_global_init failed");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	cur = b;
	atexit(cleanup);	/* before mount.c's and httpd.c's: runs after */

	setup(b);
	part_miss_hit(b);
	part_seq(b);
	part_mmap(b);
	cleanup();
	print_report(b);
	curl_global_cleanup();
	return 0;
}
