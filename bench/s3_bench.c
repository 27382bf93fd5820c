/* s3_bench.c - framefs on an S3 bucket of a real Ceph RADOS Gateway
 * against the floor the gateway itself sets (libcurl, SigV4, on the same
 * gateway) and against s3fs (Debian's s3fs-fuse) on the same bucket, in
 * one run, as ratios.
 *
 * The setup.  A single-node cluster from tests/ceph-cluster.sh ($CEPH_CLUSTER
 * or the tree's, about 13 s), a bucket, one tagged object r.dat (--size
 * bytes; each 4 KiB page holds its page number, as in http_bench) PUT
 * whole.  Every framefs mount has frames for the whole object (no
 * eviction).
 *
 *  1 miss   pread() of one 4 KiB page at a random offset, readahead=0,
 *           every page of the run distinct (so each is a frame miss, and
 *           one ranged GET: checked against the mount's counters), against
 *           the same 4 KiB ranged GET with libcurl (CURLOPT_AWS_SIGV4) on
 *           one kept-alive connection.
 *  2 seq    read() of the whole object with 1 MiB buffers, frames and the
 *           kernel's copy dropped first, at readahead=1024 and at 128 with
 *           fetch_ahead=1024, against one libcurl GET of the whole object
 *           into memory (goal of the issue: 0.8).
 *  3 mmap   mmap(MAP_SHARED), MADV_RANDOM, one load from each of N
 *           distinct random pages, cold (framefs: a fresh mount; s3fs: a
 *           fresh mount, no cache dir), open() included; framefs at
 *           fetch_ahead=0, 1024 and 4096, and 4096 with fetch_streams=16
 *           (a miss's window and the 15 after it, read side by side),
 *           s3fs as Debian ships it (no use_cache: ranged GETs from the
 *           gateway).
 *
 * Rounds: parts 1 to 3 run --reps times, the order of the targets
 * rotating; medians.  Every page read or loaded is checked against its
 * tag: wrong data is a failure (exit 1), never a figure.  Exit 0 whatever
 * the timings (no FUSE, no Ceph: SKIP), 1 failure, 2 usage.  Everything
 * mounted is unmounted, s3fs and the cluster stopped by PID, also on
 * SIGINT/SIGTERM.
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
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ceph.h"
#include "clock.h"
#include "mount.h"
#include "rng.h"

#define PROG "s3_bench"
#include "prog.h"

#define PAGE_BYTES	4096u
#define IO_BYTES	(1u << 20)
#define TAG_MAGIC	0x66666d6200000000ull	/* "ffmb" + page number */
#define FUSE_MAGIC	0x65735546
#define BUCKET		"bench"
#define S3FS_BIN	"/usr/bin/s3fs"

enum { SQ_CURL, SQ_FF_1024, SQ_FF_FA, NSQ };
static const char *const sq_name[NSQ] = {
	"libcurl GET of the object", "framefs, readahead=1024",
	"framefs, readahead=128, fetch_ahead=1024"
};
enum { MM_FF, MM_FF_FA, MM_FF_FA4, MM_FF_FS16, MM_S3FS, NMM };
static const char *const mm_name[NMM] = {
	"framefs", "framefs, fetch_ahead=1024", "framefs, fetch_ahead=4096",
	"framefs, fetch_ahead=4096, fetch_streams=16", "s3fs"
};

struct bench {
	uint64_t size, npages;
	unsigned samples, reps, faults;
	uint64_t seed;
	unsigned parts;			/* PART_* bits to run */
	struct ceph c;
	bool c_on;
	struct mnt m;
	char url[256];			/* the object's, path-style */
	char tmp[64];			/* s3fs: mountpoint, passwd file */
	pid_t s3fs_pid;
	char *body;			/* the whole object (curl GET) */
	size_t body_len;
	char *buf;			/* IO_BYTES */
	CURL *curl;
	/* results */
	double *miss_ff, *miss_curl;	/* µs per sample */
	unsigned nmiss;
	double miss_gets;		/* GETs per framefs miss */
	double seq[NSQ][32];		/* MB/s per round */
	double seq_gets_mib[NSQ];
	double mm_ms[NMM][32], mm_open_ms[NMM][32];	/* per round */
	double *mm_us[NMM];		/* per load, every round */
	bool mm_skip[NMM];
	char s3fs_why[160];
};

enum { PART_MISS = 1, PART_SEQ = 2, PART_MMAP = 4 };
static const char *const part_names[] = { "miss", "seq", "mmap" };

static struct bench *cur;

static void cleanup(void);

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	fail("interrupted");
}

static bool tags_ok(const char *buf, size_t n, uint64_t pgno)
{
	for (size_t off = 0; off + PAGE_BYTES <= n; off += PAGE_BYTES) {
		uint64_t t;

		memcpy(&t, buf + off, sizeof(t));
		if (t != (TAG_MAGIC | (pgno + off / PAGE_BYTES)))
			return false;
	}
	return true;
}

static size_t to_body(char *p, size_t size, size_t n, void *arg)
{
	struct bench *b = arg;
	size_t k = size * n;

	if (b->body_len + k > b->size + PAGE_BYTES)
		return 0;
	memcpy(b->body + b->body_len, p, k);
	b->body_len += k;
	return k;
}

static size_t from_body(char *p, size_t size, size_t n, void *arg)
{
	struct bench *b = arg;
	size_t k = size * n;

	if (k > b->size - b->body_len)
		k = b->size - b->body_len;
	memcpy(p, b->body + b->body_len, k);
	b->body_len += k;
	return k;
}

/* One signed request on b->curl: GET (range or NULL) into b->body, or
 * PUT of b->body.  Returns the HTTP status. */
static long s3_req(struct bench *b, bool put, const char *range)
{
	char sig[96], userpwd[160];
	struct curl_slist *h = curl_slist_append(
		NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	long code = 0;

	snprintf(sig, sizeof(sig), "aws:amz:%s:s3", b->c.region);
	snprintf(userpwd, sizeof(userpwd), "%s:%s", b->c.access_key,
		 b->c.secret_key);
	curl_easy_reset(b->curl);
	curl_easy_setopt(b->curl, CURLOPT_URL, b->url);
	curl_easy_setopt(b->curl, CURLOPT_AWS_SIGV4, sig);
	curl_easy_setopt(b->curl, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(b->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(b->curl, CURLOPT_TCP_NODELAY, 1L);
	b->body_len = 0;
	if (put) {
		curl_easy_setopt(b->curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(b->curl, CURLOPT_READFUNCTION, from_body);
		curl_easy_setopt(b->curl, CURLOPT_READDATA, b);
		curl_easy_setopt(b->curl, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)b->size);
	} else {
		curl_easy_setopt(b->curl, CURLOPT_WRITEFUNCTION, to_body);
		curl_easy_setopt(b->curl, CURLOPT_WRITEDATA, b);
		if (range)
			curl_easy_setopt(b->curl, CURLOPT_RANGE, range);
	}
	if (curl_easy_perform(b->curl) == CURLE_OK)
		curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	return code;
}

static uint64_t stat_of(struct mnt *m, const char *name)
{
	uint64_t v = mnt_stat(m, name);

	if (v == UINT64_MAX)
		fail("%s: no %s in .framefs/stats", m->mp, name);
	return v;
}

static void ff_start(struct bench *b, unsigned ra, unsigned fa,
		     const char *more)
{
	char opts[300];

	memset(&b->m, 0, sizeof(b->m));
	snprintf(b->m.source, sizeof(b->m.source), "s3://" BUCKET);
	snprintf(opts, sizeof(opts), "frames=%llu,readahead=%u,fetch_ahead=%u,"
		 "s3_endpoint=%s,s3_region=%s%s%s",
		 (unsigned long long)(b->npages + 1024), ra, fa, b->c.endpoint,
		 b->c.region, more ? "," : "", more ? more : "");
	b->m.quiet = true;
	if (mnt_start(&b->m, opts) != 0)
		fail("framefs did not mount %s: %s", b->m.source, b->m.why);
}

static void ff_stop(struct bench *b)
{
	if (b->m.pid && mnt_stop(&b->m) != 0)
		fail("framefs on %s did not exit cleanly", b->m.source);
	mnt_cleanup(&b->m);
	memset(&b->m, 0, sizeof(b->m));
}

static void s3fs_stop(struct bench *b)
{
	char mp[128];
	int st;

	if (!b->s3fs_pid)
		return;
	snprintf(mp, sizeof(mp), "%s/mnt", b->tmp);
	if (fork() == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-q", mp,
		       (char *)NULL);
		_exit(127);
	}
	wait(NULL);
	for (int i = 0; i < 100 && waitpid(b->s3fs_pid, &st, WNOHANG) == 0;
	     i++)
		sleep_ms(50);
	if (waitpid(b->s3fs_pid, &st, WNOHANG) == 0) {
		kill(b->s3fs_pid, SIGKILL);
		waitpid(b->s3fs_pid, &st, 0);
	}
	b->s3fs_pid = 0;
}

/* s3fs -f on tmp/mnt, read-only, path-style to the gateway; 0 once it is
 * mounted, else -1 with the reason in s3fs_why. */
static int s3fs_start(struct bench *b)
{
	char mp[128], pw[128], opt[512], line[200];
	struct statfs sf;
	FILE *f;

	if (access(S3FS_BIN, X_OK) != 0) {
		snprintf(b->s3fs_why, sizeof(b->s3fs_why),
			 "s3fs is not installed (apt-get install s3fs)");
		return -1;
	}
	snprintf(mp, sizeof(mp), "%s/mnt", b->tmp);
	snprintf(pw, sizeof(pw), "%s/passwd", b->tmp);
	mkdir(mp, 0755);
	f = fopen(pw, "w");
	if (!f)
		fail("%s: %s", pw, strerror(errno));
	fprintf(f, "%s:%s\n", b->c.access_key, b->c.secret_key);
	fclose(f);
	chmod(pw, 0600);
	snprintf(opt, sizeof(opt), "ro,passwd_file=%s,url=%s,"
		 "use_path_request_style,endpoint=%s", pw, b->c.endpoint,
		 b->c.region);
	snprintf(line, sizeof(line), "%s/s3fs.log", b->tmp);
	b->s3fs_pid = fork();
	if (b->s3fs_pid == 0) {
		int fd = open(line, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(S3FS_BIN, S3FS_BIN, BUCKET, mp, "-f", "-o", opt,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		int st;

		if (statfs(mp, &sf) == 0 && (uint32_t)sf.f_type == FUSE_MAGIC)
			return 0;
		if (waitpid(b->s3fs_pid, &st, WNOHANG) == b->s3fs_pid) {
			b->s3fs_pid = 0;
			snprintf(b->s3fs_why, sizeof(b->s3fs_why),
				 "s3fs exited at start (see %.120s)", line);
			return -1;
		}
		sleep_ms(50);
	}
	s3fs_stop(b);
	snprintf(b->s3fs_why, sizeof(b->s3fs_why), "s3fs did not mount");
	return -1;
}

static void cleanup(void)
{
	struct bench *b = cur;

	if (!b)
		return;
	cur = NULL;
	s3fs_stop(b);
	mnt_stop_all();
	mnt_cleanup(&b->m);
	if (b->c_on)
		ceph_cleanup(&b->c);
	if (b->tmp[0]) {
		char pw[128], mp[128], log[128];

		snprintf(pw, sizeof(pw), "%s/passwd", b->tmp);
		snprintf(mp, sizeof(mp), "%s/mnt", b->tmp);
		snprintf(log, sizeof(log), "%s/s3fs.log", b->tmp);
		unlink(pw);
		unlink(log);
		rmdir(mp);
		rmdir(b->tmp);
	}
}

/* ---- the parts --------------------------------------------------------- */

static uint32_t *permutation(struct bench *b, uint64_t salt)
{
	uint32_t *p = malloc(b->npages * sizeof(*p));
	uint64_t s = b->seed ^ salt;

	if (!p)
		fail("out of memory");
	for (uint64_t i = 0; i < b->npages; i++)
		p[i] = (uint32_t)i;
	for (uint64_t i = b->npages - 1; i > 0; i--) {
		uint64_t j = rng_splitmix64(&s) % (i + 1);
		uint32_t t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
	return p;
}

static void part_miss(struct bench *b)
{
	uint32_t *p = permutation(b, 1);
	char range[64];
	uint64_t gets0, miss0;
	int fd;

	b->nmiss = b->samples < b->npages ? b->samples : (unsigned)b->npages;
	b->miss_ff = calloc(b->nmiss, sizeof(double));
	b->miss_curl = calloc(b->nmiss, sizeof(double));
	ff_start(b, 0, 0, NULL);
	fd = open(mpath(&b->m, "r.dat"), O_RDONLY);
	if (fd < 0)
		fail("%s: %s", mpath(&b->m, "r.dat"), strerror(errno));
	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	gets0 = stat_of(&b->m, "http_requests_get");
	miss0 = stat_of(&b->m, "frame_misses");
	/* framefs and the floor interleaved, sample by sample */
	for (unsigned i = 0; i < b->nmiss; i++) {
		uint64_t pg = p[i], t0 = now_ns(CLOCK_MONOTONIC);

		if (pread(fd, b->buf, PAGE_BYTES, (off_t)(pg * PAGE_BYTES)) !=
		    PAGE_BYTES)
			fail("pread page %llu: %s", (unsigned long long)pg,
			     strerror(errno));
		b->miss_ff[i] = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e3;
		if (!tags_ok(b->buf, PAGE_BYTES, pg))
			fail("framefs: page %llu: wrong data",
			     (unsigned long long)pg);
		pg = p[b->npages - 1 - i];
		snprintf(range, sizeof(range), "%llu-%llu",
			 (unsigned long long)(pg * PAGE_BYTES),
			 (unsigned long long)(pg * PAGE_BYTES + PAGE_BYTES - 1));
		t0 = now_ns(CLOCK_MONOTONIC);
		if (s3_req(b, false, range) != 206)
			fail("libcurl: ranged GET of page %llu failed",
			     (unsigned long long)pg);
		b->miss_curl[i] = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e3;
		if (b->body_len != PAGE_BYTES || !tags_ok(b->body, PAGE_BYTES, pg))
			fail("libcurl: page %llu: wrong data",
			     (unsigned long long)pg);
	}
	if (stat_of(&b->m, "frame_misses") - miss0 != b->nmiss)
		fail("framefs: %u samples were not %u frame misses", b->nmiss,
		     b->nmiss);
	b->miss_gets = (double)(stat_of(&b->m, "http_requests_get") - gets0) /
		       b->nmiss;
	close(fd);
	ff_stop(b);
	free(p);
}

static void drop_all(struct bench *b, int fd)
{
	if (mnt_control(&b->m, "drop") != 0)
		fail("drop on %s failed", b->m.mp);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

static double seq_ff(struct bench *b, int t)
{
	uint64_t t0, got = 0, gets0;
	int fd = open(mpath(&b->m, "r.dat"), O_RDONLY);
	ssize_t n;

	if (fd < 0)
		fail("%s: %s", mpath(&b->m, "r.dat"), strerror(errno));
	drop_all(b, fd);
	gets0 = stat_of(&b->m, "http_requests_get");
	t0 = now_ns(CLOCK_MONOTONIC);
	while ((n = read(fd, b->buf, IO_BYTES)) > 0) {
		if (!tags_ok(b->buf, (size_t)n, got / PAGE_BYTES))
			fail("%s: wrong data at %llu", sq_name[t],
			     (unsigned long long)got);
		got += (uint64_t)n;
	}
	t0 = now_ns(CLOCK_MONOTONIC) - t0;
	if (n < 0 || got != b->size)
		fail("%s: read %llu of %llu bytes", sq_name[t],
		     (unsigned long long)got, (unsigned long long)b->size);
	b->seq_gets_mib[t] = (double)(stat_of(&b->m, "http_requests_get") -
				      gets0) / ((double)b->size / IO_BYTES);
	close(fd);
	return (double)b->size / ((double)t0 / 1e9) / 1e6;
}

static double seq_curl(struct bench *b)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);

	if (s3_req(b, false, NULL) != 200 || b->body_len != b->size ||
	    !tags_ok(b->body, b->size, 0))
		fail("libcurl: GET of the object failed or was wrong");
	t0 = now_ns(CLOCK_MONOTONIC) - t0;
	return (double)b->size / ((double)t0 / 1e9) / 1e6;
}

static void part_seq(struct bench *b)
{
	for (unsigned r = 0; r < b->reps; r++)
		for (int k = 0; k < NSQ; k++) {
			int t = (int)((k + r) % NSQ);

			if (t == SQ_CURL) {
				b->seq[t][r] = seq_curl(b);
				continue;
			}
			ff_start(b, t == SQ_FF_1024 ? 1024 : 128,
				 t == SQ_FF_FA ? 1024 : 0, NULL);
			b->seq[t][r] = seq_ff(b, t);
			ff_stop(b);
		}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double quantile(const double *v, unsigned n, double q)
{
	double *s = malloc(n * sizeof(*s)), r;

	if (!s || !n) {
		free(s);
		return 0;
	}
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	r = s[(unsigned)(q * (n - 1) + 0.5)];
	free(s);
	return r;
}

/* Cold random loads of path: open, mmap, N loads, each timed; round r. */
static void mm_run(struct bench *b, int t, unsigned r, const char *path)
{
	uint32_t *p = permutation(b, 3);
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), t1;
	volatile const uint64_t *map;
	unsigned n = b->faults < b->npages ? b->faults : (unsigned)b->npages;
	double *us;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	b->mm_open_ms[t][r] = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	map = mmap(NULL, b->size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		fail("mmap %s: %s", path, strerror(errno));
	madvise((void *)map, b->size, MADV_RANDOM);
	if (!b->mm_us[t] &&
	    !(b->mm_us[t] = calloc((size_t)n * b->reps, sizeof(double))))
		fail("out of memory");
	us = b->mm_us[t] + (size_t)n * r;
	for (unsigned i = 0; i < n; i++) {
		uint64_t pg = p[i], v;

		t1 = now_ns(CLOCK_MONOTONIC);
		v = map[pg * (PAGE_BYTES / 8)];
		us[i] = (double)(now_ns(CLOCK_MONOTONIC) - t1) / 1e3;
		if (v != (TAG_MAGIC | pg))
			fail("%s: page %llu: wrong data", mm_name[t],
			     (unsigned long long)pg);
	}
	b->mm_ms[t][r] = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	munmap((void *)map, b->size);
	close(fd);
	free(p);
}

/* --reps rounds, the order of the targets rotating, each on a fresh
 * mount. */
static void part_mmap(struct bench *b)
{
	static const unsigned fa[NMM] = { 0, 1024, 4096, 4096, 0 };
	char path[160];

	for (unsigned r = 0; r < b->reps; r++) {
		for (int k = 0; k < NMM; k++) {
			int t = (k + (int)r) % NMM;

			if (t != MM_S3FS) {
				ff_start(b, 0, fa[t], t == MM_FF_FS16 ?
					 "fetch_streams=16" : NULL);
				mm_run(b, t, r, mpath(&b->m, "r.dat"));
				ff_stop(b);
				continue;
			}
			if (b->mm_skip[MM_S3FS] || s3fs_start(b) != 0) {
				b->mm_skip[MM_S3FS] = true;
				continue;
			}
			snprintf(path, sizeof(path), "%s/mnt/r.dat", b->tmp);
			mm_run(b, MM_S3FS, r, path);
			s3fs_stop(b);
		}
	}
}

/* ---- report ------------------------------------------------------------ */

static void report(struct bench *b)
{
	double floor50 = quantile(b->miss_curl, b->nmiss, 0.5);
	double ff50 = quantile(b->miss_ff, b->nmiss, 0.5);
	double curl_mbs = quantile(b->seq[SQ_CURL], b->reps, 0.5);
	unsigned n = b->faults < b->npages ? b->faults : (unsigned)b->npages;

	printf("s3_bench: %llu MiB object on a Ceph RADOS Gateway (%s), %u "
	       "misses, %u rounds, %u mmap loads\n\n",
	       (unsigned long long)(b->size >> 20), b->c.endpoint, b->nmiss,
	       b->reps, n);
	if (!(b->parts & PART_MISS))
		goto seq;
	printf("| page miss, 4 KiB | median µs | p90 µs | ratio |\n"
	       "| --- | --- | --- | --- |\n");
	printf("| floor: libcurl ranged GET (SigV4) | %.1f | %.1f | 1 |\n",
	       floor50, quantile(b->miss_curl, b->nmiss, 0.9));
	printf("| framefs miss (%.2f GETs each) | %.1f | %.1f | **%.2f** × "
	       "floor |\n\n", b->miss_gets, ff50,
	       quantile(b->miss_ff, b->nmiss, 0.9), ff50 / floor50);
seq:
	if (!(b->parts & PART_SEQ))
		goto mm;
	printf("| sequential read(), cold | MB/s | / curl | GETs per MiB |\n"
	       "| --- | --- | --- | --- |\n");
	for (int t = 0; t < NSQ; t++) {
		double mbs = quantile(b->seq[t], b->reps, 0.5);

		if (t == SQ_CURL)
			printf("| %s | %.0f | 1 | |\n", sq_name[t], mbs);
		else
			printf("| %s | %.0f | **%.2f** | %.1f |\n", sq_name[t],
			       mbs, mbs / curl_mbs, b->seq_gets_mib[t]);
	}
	printf("\n");
mm:
	if (!(b->parts & PART_MMAP))
		return;
	printf("| mmap, %u cold loads, median of %u | open ms | µs/load "
	       "(p90) | total s | / s3fs |\n| --- | --- | --- | --- | --- |\n",
	       n, b->reps);
	for (int t = 0; t < NMM; t++) {
		double tot = quantile(b->mm_ms[t], b->reps, 0.5);

		if (b->mm_skip[t]) {
			printf("| %s | SKIP: %s | | | |\n", mm_name[t],
			       b->s3fs_why);
			continue;
		}
		printf("| %s | %.1f | %.1f (%.0f) | %.2f |", mm_name[t],
		       quantile(b->mm_open_ms[t], b->reps, 0.5),
		       quantile(b->mm_us[t], n * b->reps, 0.5),
		       quantile(b->mm_us[t], n * b->reps, 0.9), tot / 1e3);
		if (!b->mm_skip[MM_S3FS])
			printf(" **%.2f** |\n", tot /
			       quantile(b->mm_ms[MM_S3FS], b->reps, 0.5));
		else
			printf(" |\n");
	}
	printf("\ntotal s per round:\n");
	for (int t = 0; t < NMM; t++) {
		if (b->mm_skip[t])
			continue;
		printf("- %s:", mm_name[t]);
		for (unsigned r = 0; r < b->reps; r++)
			printf(" %.3f", b->mm_ms[t][r] / 1e3);
		printf("\n");
	}
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: s3_bench [--quick] [--size MB] [--samples N] [--reps N] [--faults N]\n"
"                [--seed N] [--only PART]...\n"
"framefs on an S3 bucket of a Ceph RADOS Gateway (tests/ceph-cluster.sh)\n"
"against libcurl on the same gateway and s3fs on the same bucket: page\n"
"miss, sequential read, random mmap loads, as ratios (see the source's\n"
"header and doc/benchmarks.md).  Needs root, /dev/fuse and Ceph's\n"
"packages (else SKIP); s3fs optional.\n"
"  --quick      8 MiB, 100 misses, 2 rounds, 200 loads (a smoke run)\n"
"  --size MB    the object (default 64)\n"
"  --samples N  page misses (default 2000)\n"
"  --reps N     rounds of the sequential and mmap parts, 1..32\n"
"               (default 3)\n"
"  --faults N   mmap loads (default 4000)\n"
"  --seed N     of the random pages (default 1)\n"
"  --only PART  run this part alone: miss, seq or mmap (repeatable)\n"
"example: s3_bench --only mmap --faults 8000\n");
}

static unsigned long num(const char *opt, const char *v, unsigned long lo,
			 unsigned long hi)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi || v[0] == '-') {
		fprintf(stderr, PROG ": %s %s: not in %lu..%lu\n", opt, v, lo,
			hi);
		exit(2);
	}
	return x;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "size", required_argument, NULL, 's' },
		{ "samples", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "faults", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'S' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bench bb;
	struct bench *b = &bb;
	int c;

	b->size = 64ull << 20;
	b->samples = 2000;
	b->reps = 3;
	b->faults = 4000;
	b->seed = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			b->size = 8ull << 20;
			b->samples = 100;
			b->reps = 2;
			b->faults = 200;
			break;
		case 's':
			b->size = (uint64_t)num("--size", optarg, 1, 4096) << 20;
			break;
		case 'n':
			b->samples = (unsigned)num("--samples", optarg, 1,
						   1000000);
			break;
		case 'r':
			b->reps = (unsigned)num("--reps", optarg, 1, 32);
			break;
		case 'f':
			b->faults = (unsigned)num("--faults", optarg, 1,
						  1000000);
			break;
		case 'S':
			b->seed = num("--seed", optarg, 0, ~0ul);
			break;
		case 'o': {
			unsigned k = 0;

			while (k < 3 && strcmp(optarg, part_names[k]))
				k++;
			if (k == 3) {
				fprintf(stderr, PROG ": --only %s: not miss, seq "
					"or mmap\n", optarg);
				return 2;
			}
			b->parts |= 1u << k;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": %s: unexpected argument\n",
			argv[optind]);
		return 2;
	}
	b->npages = b->size / PAGE_BYTES;
	if (!b->parts)
		b->parts = PART_MISS | PART_SEQ | PART_MMAP;
	setenv("FRAMEFS", FRAMEFS_BIN, 0);
	if (!getenv("CEPH_CLUSTER"))
		setenv("CEPH_CLUSTER", CEPH_SCRIPT, 0);
	if (!mnt_available() || !ceph_available()) {
		printf("s3_bench: SKIP: needs root, /dev/fuse and Ceph's "
		       "packages (ceph-mon ceph-osd radosgw)\n");
		return 0;
	}
	cur = b;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	curl_global_init(CURL_GLOBAL_ALL);
	snprintf(b->tmp, sizeof(b->tmp), "/tmp/s3_bench.XXXXXX");
	if (!mkdtemp(b->tmp))
		fail("mkdtemp: %s", strerror(errno));
	b->body = malloc(b->size + PAGE_BYTES);
	b->buf = aligned_alloc(PAGE_BYTES, IO_BYTES);
	b->curl = curl_easy_init();
	if (!b->body || !b->buf || !b->curl)
		fail("out of memory");
	fprintf(stderr, PROG ": starting a Ceph cluster (about 13 s)\n");
	fflush(stdout);
	if (ceph_start(&b->c) != 0)
		fail("Ceph: %s", b->c.why);
	b->c_on = true;
	if (ceph_bucket(&b->c, BUCKET) != 0)
		fail("bucket: %s", b->c.why);
	setenv("AWS_ACCESS_KEY_ID", b->c.access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", b->c.secret_key, 1);
	/* the daemons' journal of uploads: in the cluster's dir */
	setenv("XDG_STATE_HOME", b->c.dir, 1);
	snprintf(b->url, sizeof(b->url), "%.200s/" BUCKET "/r.dat",
		 b->c.endpoint);
	for (uint64_t pg = 0; pg < b->npages; pg++) {
		uint64_t t = TAG_MAGIC | pg;

		memset(b->body + pg * PAGE_BYTES, (int)(pg & 0xff), PAGE_BYTES);
		memcpy(b->body + pg * PAGE_BYTES, &t, sizeof(t));
	}
	if (s3_req(b, true, NULL) != 200)
		fail("PUT of the object failed");
	if (b->parts & PART_MISS) {
		fprintf(stderr, PROG ": page misses\n");
		part_miss(b);
	}
	if (b->parts & PART_SEQ) {
		fprintf(stderr, PROG ": sequential reads\n");
		part_seq(b);
	}
	if (b->parts & PART_MMAP) {
		fprintf(stderr, PROG ": mmap loads\n");
		part_mmap(b);
	}
	report(b);
	fflush(stdout);	/* before cleanup's children inherit the buffer */
	cleanup();
	curl_easy_cleanup(b->curl);
	return 0;
}
