/* mmload.c - mmap workloads: touch the pages of a mapped file in a seeded
 * pattern and report what the kernel did about it (minor and major faults),
 * optionally recording the true reference string.
 *
 * A touch is one load (read) or one store (write) of one byte of a page.
 * Reads load byte 0.  Writes store a writer's mark at a byte of their own
 * (byte W for writer W: parent threads 0..T-1, the --fork child's threads
 * 64..64+T-1), so after a --fork run the parent can tell exactly which of
 * the child's writes it sees through its own mapping: with MAP_SHARED all
 * of them, with MAP_PRIVATE none (copy on write).
 *
 * Each thread has its own pattern and write coin, seeded from --seed and
 * its index (thread 0 of the parent uses --seed itself), so a run's
 * reference strings depend only on the command line.  Fault counts are
 * getrusage()'s: RUSAGE_THREAD per thread, RUSAGE_SELF for the process, the
 * child's own for --fork.  --trace-out records (time, page, r/w) per touch
 * in per-thread memory and writes one merged trace, in time order, at the
 * end (trace/trace.h), so recording does not serialize the threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "parse.h"
#include "pattern.h"
#include "rng.h"
#include "size.h"
#include "trace.h"

#define PROG "mmload"
#include "prog.h"

#define PS 4096u
#define MAX_THREADS 64
#define CHILD_WRITER 64		/* the child's writers are 64 + thread */
#define WRITE_BIT (1ull << 63)

struct opts {
	const char *file;
	const char *pattern;
	uint64_t pages;			/* 0: the file's size */
	uint64_t ops;			/* 0: --seconds or one period */
	double seconds;
	bool shared;
	double write_ratio;
	int threads;
	bool fork;
	int madvise;			/* -1: none */
	const char *madvise_name;
	uint64_t seed;
	uint64_t create_bytes;		/* 0: do not create */
	const char *trace_out;
	double hold_s;			/* keep the mapping after touching */
	bool json;
};

/* One thread's work and results. */
struct worker {
	pthread_t tid;
	const struct opts *o;
	unsigned char *base;
	uint64_t npages;
	int writer;			/* mark byte and index, see the top */
	uint64_t seed;
	uint64_t ops;			/* touches to make; 0: until deadline */
	double deadline;		/* CLOCK_MONOTONIC seconds, 0: none */
	double t0;			/* the run's start, for trace times */
	struct pattern *pat;
	/* results */
	uint64_t touches, writes;
	uint64_t minflt, majflt;
	uint64_t *seen;			/* bitmap [npages] of touched pages */
	uint64_t *written;		/* bitmap of written pages */
	uint64_t *rec;			/* --trace-out: time_us << 0, page|W */
	uint64_t *rec_pg;
	size_t nrec, caprec;
	int err;
	uint64_t sink;
};

/* What a process reports: the sum of its workers. */
struct result {
	double elapsed_s;
	uint64_t touches, writes, distinct, pages_written;
	uint64_t minflt, majflt;
	double msync_ms, munmap_ms;
	int nthreads;
	struct {
		uint64_t touches, minflt, majflt;
	} thread[MAX_THREADS];
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [OPTIONS] FILE\n"
"\n"
"Maps FILE and touches its pages in a seeded pattern, then reports the\n"
"faults the touches cost.  On framefs every major fault is one read of the\n"
"daemon, so the effects of its eviction policy show in these counts.\n"
"\n"
"  -p, --pattern P       which page next (default seq):\n"
"                          seq             0, 1, 2, ... and around again\n"
"                          rand            uniform\n"
"                          zipf:ALPHA      Zipf's law, P(rank k) ~ k^-ALPHA,\n"
"                                          exact; ranks are scrambled over the\n"
"                                          file, so hot pages are not adjacent\n"
"                          loop:N          pages 0..N-1 over and over\n"
"                          scan-hot:H,E    uniform over H hot pages; after\n"
"                                          every E touches, one scan of the\n"
"                                          rest of the file\n"
"                          hotcold:P/Q     P%% of the pages get Q%% of touches\n"
"                          phases:A@N,B@M  A for N touches, then B for M, ...\n"
"                          trace:FILE      replay a trace's pages and r/w\n"
"  -n, --pages N         pages mapped from the start (default: all)\n"
"  -o, --ops N           touches in all (default: one pass of the pattern,\n"
"                        or the pages mapped for rand and zipf)\n"
"  -t, --seconds S       touch for S seconds instead\n"
"  -m, --map shared|private   MAP_SHARED (default) or MAP_PRIVATE\n"
"  -w, --write RATIO     fraction of touches that write (default 0)\n"
"  -T, --threads T       threads, each with its own seeded pattern (1..64)\n"
"  -f, --fork            fork after mapping: parent and child both touch;\n"
"                        shows which of the child's writes the parent sees\n"
"  -a, --madvise ADVICE  normal|random|sequential|willneed|dontneed, given\n"
"                        once over the mapping right after mmap\n"
"  -s, --seed S          seed of the patterns (default 1)\n"
"  -c, --create SIZE     create FILE, or extend it, to SIZE (64M, 1G, ...)\n"
"  -r, --trace-out F     record every touch, in order: the true reference\n"
"                        string (framefs trace format; F.zst compresses)\n"
"  -H, --hold S          keep the mapping S seconds after the touches (and\n"
"                        the child alive), for a look with mapview PID\n"
"  -j, --json            one JSON object instead of name-value lines\n"
"  -h, --help            this help\n"
"  -V, --version         print the version\n"
"\n"
"examples:\n"
"  " PROG " --create 64M --pattern seq /mnt/ff/data\n"
"      first touches: one major fault per page\n"
"  " PROG " --pattern zipf:0.9 --ops 200000 --trace-out z.trace /mnt/ff/data\n"
"      then: framesim --policy lru,arc,opt --frac 0.1 z.trace\n"
"  " PROG " --map private --write 1 --fork --pages 16 /mnt/ff/data\n"
"      copy on write: the parent sees none of the child's writes\n"
"\n"
"Output: elapsed, touches, distinct pages, minflt, majflt, touches/s, and\n"
"for writes what msync and munmap cost.  Exit: 0 ok, 1 failure, 2 usage.\n");
}

static int parse_madvise(const char *s)
{
	static const struct { const char *name; int advice; } t[] = {
		{ "normal", MADV_NORMAL }, { "random", MADV_RANDOM },
		{ "sequential", MADV_SEQUENTIAL },
		{ "willneed", MADV_WILLNEED }, { "dontneed", MADV_DONTNEED },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0)
			return t[i].advice;
	prog_usage_fail("--madvise", "not one of normal, random, sequential, "
			"willneed, dontneed");
	return -1;
}

static uint64_t parse_count(const char *opt, const char *s)
{
	uint64_t v;

	if (!parse_u64_all(s, &v) || v == 0)
		prog_usage_fail(opt, "not a positive whole number");
	return v;
}

static double parse_double(const char *opt, const char *s, double lo,
			   double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		char why[64];

		snprintf(why, sizeof(why), "not a number from %g to %g", lo, hi);
		prog_usage_fail(opt, why);
	}
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "pattern", required_argument, NULL, 'p' },
		{ "pages", required_argument, NULL, 'n' },
		{ "ops", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 't' },
		{ "map", required_argument, NULL, 'm' },
		{ "write", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 'T' },
		{ "fork", no_argument, NULL, 'f' },
		{ "madvise", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 's' },
		{ "create", required_argument, NULL, 'c' },
		{ "trace-out", required_argument, NULL, 'r' },
		{ "hold", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*o = (struct opts){ .pattern = "seq", .shared = true, .threads = 1,
			    .madvise = -1, .seed = 1 };
	while ((opt = getopt_long(argc, argv, "p:n:o:t:m:w:T:fa:s:c:r:H:jhV",
				  lo, NULL)) != -1) {
		switch (opt) {
		case 'p': o->pattern = optarg; break;
		case 'n': o->pages = parse_count("--pages", optarg); break;
		case 'o': o->ops = parse_count("--ops", optarg); break;
		case 't':
			o->seconds = parse_double("--seconds", optarg, 0.001,
						  1e6);
			break;
		case 'm':
			if (strcmp(optarg, "shared") && strcmp(optarg, "private"))
				prog_usage_fail("--map", "shared or private");
			o->shared = strcmp(optarg, "shared") == 0;
			break;
		case 'w':
			o->write_ratio = parse_double("--write", optarg, 0, 1);
			break;
		case 'T':
			o->threads = (int)parse_count("--threads", optarg);
			if (o->threads > MAX_THREADS)
				prog_usage_fail("--threads", "at most 64");
			break;
		case 'f': o->fork = true; break;
		case 'a':
			o->madvise = parse_madvise(optarg);
			o->madvise_name = optarg;
			break;
		case 's': {
			char *end;

			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end)
				prog_usage_fail("--seed", "not a whole number");
			break;
		}
		case 'c':
			if (size_parse(optarg, &o->create_bytes) < 0 ||
			    o->create_bytes < PS)
				prog_usage_fail("--create", "not a size of "
						"at least 4K (64M, 1G, ...)");
			break;
		case 'r': o->trace_out = optarg; break;
		case 'H':
			o->hold_s = parse_double("--hold", optarg, 0, 3600);
			break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf(PROG " " FRAMEFS_VERSION "\n"); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, PROG ": %s (try --help)\n", optind == argc ?
			"missing FILE" : "one FILE only");
		exit(2);
	}
	if (o->ops && o->seconds > 0)
		prog_usage_fail("--ops and --seconds", "give one");
	o->file = argv[optind];
}

/* ---- the touch loop ---------------------------------------------------- */

static void bit_set(uint64_t *map, uint64_t i)
{
	map[i >> 6] |= 1ull << (i & 63);
}

static uint64_t bits_count(const uint64_t *map, uint64_t nbits)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < (nbits + 63) / 64; i++)
		n += (uint64_t)__builtin_popcountll(map[i]);
	return n;
}

static int record(struct worker *w, double t, uint64_t pgno, bool write)
{
	if (w->nrec == w->caprec) {
		size_t cap = w->caprec ? w->caprec * 2 : 1 << 16;
		uint64_t *a = realloc(w->rec, cap * sizeof(*a));
		uint64_t *b;

		if (!a)
			return -ENOMEM;
		w->rec = a;
		b = realloc(w->rec_pg, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		w->rec_pg = b;
		w->caprec = cap;
	}
	w->rec[w->nrec] = (uint64_t)((t - w->t0) * 1e6);
	w->rec_pg[w->nrec++] = pgno | (write ? WRITE_BIT : 0);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	bool coin = o->write_ratio > 0, rec = o->trace_out != NULL;
	struct rusage r0, r1;
	struct rng wr;
	uint64_t sink = 0;

	rng_seed(&wr, ~w->seed);
	getrusage(RUSAGE_THREAD, &r0);
	for (uint64_t i = 0; !w->ops || i < w->ops; i++) {
		bool write = false;
		uint64_t pgno = pattern_next(w->pat, &write);
		unsigned char *page = w->base + pgno * PS;
		double t = 0;

		if (coin && rng_unit(&wr) < o->write_ratio)
			write = true;
		if (rec || (w->deadline > 0 && (i & 1023) == 0)) {
			t = now_sec(CLOCK_MONOTONIC);
			if (w->deadline > 0 && t >= w->deadline)
				break;
		}
		if (write) {
			*(volatile unsigned char *)(page + w->writer) =
				(unsigned char)(0x80 | w->writer);
			w->writes++;
			bit_set(w->written, pgno);
		} else {
			sink += *(volatile unsigned char *)page;
		}
		bit_set(w->seen, pgno);
		w->touches++;
		if (rec && record(w, t, pgno, write) < 0) {
			w->err = ENOMEM;
			break;
		}
	}
	getrusage(RUSAGE_THREAD, &r1);
	w->minflt = (uint64_t)(r1.ru_minflt - r0.ru_minflt);
	w->majflt = (uint64_t)(r1.ru_majflt - r0.ru_majflt);
	w->sink = sink;
	return NULL;
}

/* ---- one process's run -------------------------------------------------- */

/* Default touches: one cycle of a periodic pattern, else one per page. */
static uint64_t default_ops(const struct opts *o, struct pattern *p,
			    uint64_t npages)
{
	uint64_t period = pattern_period(p);

	(void)o;
	return period ? period : npages;
}

/* Runs the workers of one process (parent: writer base 0; child: 64).
 * Fills res; the workers stay for the caller (bitmaps, records). */
static int run_workers(const struct opts *o, unsigned char *base,
		       uint64_t npages, int writer_base, double epoch,
		       struct worker *w, struct result *res)
{
	uint64_t total = o->ops, seedmix = writer_base ? 0x5eed0f0c4ull : 0;
	size_t words = (npages + 63) / 64;
	struct rusage r0, r1;
	double t0;
	char err[512];
	int rc = 0;

	for (int i = 0; i < o->threads; i++) {
		w[i] = (struct worker){ .o = o, .base = base, .npages = npages,
					.writer = writer_base + i };
		w[i].seed = o->seed + seedmix + 0x9e3779b97f4a7c15ull *
			    (uint64_t)i;
		w[i].pat = pattern_new(o->pattern, npages, w[i].seed, err,
				       sizeof(err));
		if (!w[i].pat) {
			fprintf(stderr, PROG ": --pattern: %s\n", err);
			return -EINVAL;
		}
		w[i].seen = calloc(words, sizeof(uint64_t));
		w[i].written = calloc(words, sizeof(uint64_t));
		if (!w[i].seen || !w[i].written) {
			fprintf(stderr, PROG ": %s\n", strerror(ENOMEM));
			return -ENOMEM;
		}
	}
	if (!total && o->seconds <= 0)
		total = default_ops(o, w[0].pat, npages);
	getrusage(RUSAGE_SELF, &r0);
	t0 = now_sec(CLOCK_MONOTONIC);
	for (int i = 0; i < o->threads; i++) {
		w[i].t0 = epoch;
		if (total)
			w[i].ops = total / (uint64_t)o->threads +
				   ((uint64_t)i < total % (uint64_t)o->threads);
		if (o->seconds > 0)
			w[i].deadline = t0 + o->seconds;
	}
	if (o->threads == 1) {
		worker_main(&w[0]);
	} else {
		for (int i = 0; i < o->threads; i++) {
			rc = pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
			if (rc) {
				fprintf(stderr, PROG ": threads: %s\n",
					strerror(rc));
				for (int j = 0; j < i; j++)
					pthread_join(w[j].tid, NULL);
				return -rc;
			}
		}
		for (int i = 0; i < o->threads; i++)
			pthread_join(w[i].tid, NULL);
	}
	res->elapsed_s = now_sec(CLOCK_MONOTONIC) - t0;
	getrusage(RUSAGE_SELF, &r1);
	res->minflt = (uint64_t)(r1.ru_minflt - r0.ru_minflt);
	res->majflt = (uint64_t)(r1.ru_majflt - r0.ru_majflt);
	res->nthreads = o->threads;
	for (int i = 0; i < o->threads; i++) {
		if (w[i].err) {
			fprintf(stderr, PROG ": --trace-out: %s\n",
				strerror(w[i].err));
			return -w[i].err;
		}
		res->touches += w[i].touches;
		res->writes += w[i].writes;
		res->thread[i].touches = w[i].touches;
		res->thread[i].minflt = w[i].minflt;
		res->thread[i].majflt = w[i].majflt;
		if (i > 0)
			for (size_t k = 0; k < words; k++) {
				w[0].seen[k] |= w[i].seen[k];
				w[0].written[k] |= w[i].written[k];
			}
	}
	res->distinct = bits_count(w[0].seen, npages);
	res->pages_written = bits_count(w[0].written, npages);
	return 0;
}

/* ---- the trace --------------------------------------------------------- */

struct stream {
	const uint64_t *t, *pg;
	size_t n, i;
};

/* Merges the streams by time (ties: the lower stream first) into path. */
static int write_trace(const struct opts *o, uint64_t npages,
		       struct stream *s, int ns)
{
	struct trace_writer *tw;
	char header[512];
	int rc;

	snprintf(header, sizeof(header),
		 "source=mmload pattern=%s seed=%llu pages=%llu map=%s "
		 "threads=%d%s", o->pattern, (unsigned long long)o->seed,
		 (unsigned long long)npages, o->shared ? "shared" : "private",
		 o->threads, o->fork ? " fork=1" : "");
	for (char *c = header; *c; c++)		/* one word per key */
		if (*c == '\n')
			*c = ' ';
	rc = trace_writer_open(o->trace_out, header, &tw);
	if (rc < 0) {
		fprintf(stderr, PROG ": --trace-out: %s: %s\n", o->trace_out,
			strerror(-rc));
		return rc;
	}
	for (;;) {
		struct trace_ref ref = { 0 };
		int best = -1;

		for (int k = 0; k < ns; k++)
			if (s[k].i < s[k].n &&
			    (best < 0 || s[k].t[s[k].i] < s[best].t[s[best].i]))
				best = k;
		if (best < 0)
			break;
		ref.time_us = s[best].t[s[best].i];
		ref.pgno = s[best].pg[s[best].i] & ~WRITE_BIT;
		ref.write = s[best].pg[s[best].i] & WRITE_BIT;
		s[best].i++;
		rc = trace_write(tw, &ref);
		if (rc < 0)
			break;
	}
	if (rc >= 0)
		rc = trace_writer_close(tw);
	else
		trace_writer_close(tw);
	if (rc < 0)
		fprintf(stderr, PROG ": --trace-out: %s: %s\n", o->trace_out,
			strerror(-rc));
	return rc < 0 ? rc : 0;
}

/* ---- output ------------------------------------------------------------ */

static void print_result(const struct opts *o, const char *who,
			 const struct result *r, bool json)
{
	double rate = r->elapsed_s > 0 ? (double)r->touches / r->elapsed_s : 0;

	if (json) {
		printf("{\"elapsed_s\": %.6f, \"touches\": %llu, "
		       "\"writes\": %llu, \"distinct_pages\": %llu, "
		       "\"pages_written\": %llu, \"minflt\": %llu, "
		       "\"majflt\": %llu, \"touches_per_s\": %.0f, "
		       "\"threads\": [", r->elapsed_s,
		       (unsigned long long)r->touches,
		       (unsigned long long)r->writes,
		       (unsigned long long)r->distinct,
		       (unsigned long long)r->pages_written,
		       (unsigned long long)r->minflt,
		       (unsigned long long)r->majflt, rate);
		for (int i = 0; i < r->nthreads; i++)
			printf("%s{\"touches\": %llu, \"minflt\": %llu, "
			       "\"majflt\": %llu}", i ? ", " : "",
			       (unsigned long long)r->thread[i].touches,
			       (unsigned long long)r->thread[i].minflt,
			       (unsigned long long)r->thread[i].majflt);
		printf("]");
		if (r->msync_ms >= 0)
			printf(", \"msync_ms\": %.3f", r->msync_ms);
		if (r->munmap_ms >= 0)
			printf(", \"munmap_ms\": %.3f", r->munmap_ms);
		printf("}");
		return;
	}
	(void)o;
	printf("%-22s %.6f\n", "elapsed_s", r->elapsed_s);
	printf("%-22s %llu\n", "touches", (unsigned long long)r->touches);
	printf("%-22s %llu\n", "writes", (unsigned long long)r->writes);
	printf("%-22s %llu\n", "distinct_pages",
	       (unsigned long long)r->distinct);
	printf("%-22s %llu\n", "pages_written",
	       (unsigned long long)r->pages_written);
	printf("%-22s %llu\n", "minflt", (unsigned long long)r->minflt);
	printf("%-22s %llu\n", "majflt", (unsigned long long)r->majflt);
	printf("%-22s %.0f\n", "touches_per_s", rate);
	if (r->nthreads > 1)
		for (int i = 0; i < r->nthreads; i++)
			printf("%s_thread%-7d touches %llu minflt %llu majflt "
			       "%llu\n", who, i,
			       (unsigned long long)r->thread[i].touches,
			       (unsigned long long)r->thread[i].minflt,
			       (unsigned long long)r->thread[i].majflt);
	if (r->msync_ms >= 0)
		printf("%-22s %.3f\n", "msync_ms", r->msync_ms);
	if (r->munmap_ms >= 0)
		printf("%-22s %.3f\n", "munmap_ms", r->munmap_ms);
}

/* ---- main -------------------------------------------------------------- */

static void hold(const struct opts *o)
{
	if (o->hold_s <= 0)
		return;
	fprintf(stderr, PROG ": pid %d holds its mapping for %g s\n",
		(int)getpid(), o->hold_s);
	sleep_sec(o->hold_s);
}

/* Opens (and with --create, creates or extends) the file; its page count
 * in *npages. */
static int open_file(const struct opts *o, uint64_t *npages)
{
	bool need_write = o->shared && (o->write_ratio > 0 ||
					strncmp(o->pattern, "trace:", 6) == 0);
	int flags = need_write || o->create_bytes ? O_RDWR : O_RDONLY;
	struct stat st;
	int fd;

	if (o->create_bytes)
		flags |= O_CREAT;
	fd = open(o->file, flags | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EACCES && !need_write && !o->create_bytes)
		fd = open(o->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s\n", o->file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, PROG ": %s: %s\n", o->file,
			S_ISREG(st.st_mode) ? strerror(errno) :
			"not a regular file");
		close(fd);
		return -1;
	}
	if (o->create_bytes > (uint64_t)st.st_size) {
		if (ftruncate(fd, (off_t)o->create_bytes) < 0) {
			fprintf(stderr, PROG ": %s: extending to %llu bytes: "
				"%s\n", o->file,
				(unsigned long long)o->create_bytes,
				strerror(errno));
			close(fd);
			return -1;
		}
		st.st_size = (off_t)o->create_bytes;
	}
	*npages = ((uint64_t)st.st_size + PS - 1) / PS;
	return fd;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct worker w[MAX_THREADS], cw[MAX_THREADS];
	struct result res = { .msync_ms = -1, .munmap_ms = -1 };
	struct result cres = { .msync_ms = -1, .munmap_ms = -1 };
	uint64_t file_pages, npages, seen_by_parent = 0;
	unsigned char *base;
	int fd, rc, prot, cfd = -1, status = 0;
	struct stream s[2 * MAX_THREADS];
	int ns = 0, nchild = 0;
	pid_t child = 0;
	double epoch;
	size_t len;

	memset(w, 0, sizeof(w));
	memset(cw, 0, sizeof(cw));
	parse_opts(argc, argv, &o);
	fd = open_file(&o, &file_pages);
	if (fd < 0)
		return 1;
	npages = o.pages ? o.pages : file_pages;
	if (npages == 0 || npages > file_pages) {
		fprintf(stderr, PROG ": %s: %s (the file has %llu pages; "
			"--create extends it)\n", o.file,
			npages ? "--pages beyond the end" : "empty file",
			(unsigned long long)file_pages);
		return 1;
	}
	{
		char err[512];
		struct pattern *p = pattern_new(o.pattern, npages, o.seed, err,
						sizeof(err));

		if (!p) {
			fprintf(stderr, PROG ": --pattern: %s\n", err);
			return 2;
		}
		pattern_free(p);
	}
	len = npages * PS;
	prot = PROT_READ;
	if (o.write_ratio > 0 || strncmp(o.pattern, "trace:", 6) == 0)
		prot |= PROT_WRITE;
	base = mmap(NULL, len, prot, o.shared ? MAP_SHARED : MAP_PRIVATE, fd,
		    0);
	if (base == MAP_FAILED) {
		fprintf(stderr, PROG ": mmap %s: %s\n", o.file, strerror(errno));
		return 1;
	}
	close(fd);
	if (o.madvise >= 0 && madvise(base, len, o.madvise) < 0) {
		fprintf(stderr, PROG ": madvise %s: %s\n", o.madvise_name,
			strerror(errno));
		return 1;
	}

	/* The child runs the same workload with seeds of its own and sends
	 * its result (and trace records) back through a temp file. */
	epoch = now_sec(CLOCK_MONOTONIC);
	if (o.fork) {
		FILE *tf = tmpfile();

		if (!tf) {
			fprintf(stderr, PROG ": --fork: temp file: %s\n",
				strerror(errno));
			return 1;
		}
		cfd = dup(fileno(tf));
		fclose(tf);
		fflush(stdout);
		child = fork();
		if (child < 0) {
			fprintf(stderr, PROG ": --fork: %s\n", strerror(errno));
			return 1;
		}
		if (child == 0) {
			if (run_workers(&o, base, npages, CHILD_WRITER,
					epoch, cw, &cres) < 0)
				_exit(1);
			hold(&o);
			if (write(cfd, &cres, sizeof(cres)) != sizeof(cres))
				_exit(1);
			for (int i = 0; o.trace_out && i < o.threads; i++) {
				size_t n = cw[i].nrec;

				if (write(cfd, &n, sizeof(n)) != sizeof(n) ||
				    write(cfd, cw[i].rec, n * 8) != (ssize_t)(n * 8) ||
				    write(cfd, cw[i].rec_pg, n * 8) != (ssize_t)(n * 8))
					_exit(1);
			}
			_exit(0);
		}
	}

	rc = run_workers(&o, base, npages, 0, epoch, w, &res);
	if (rc < 0) {
		status = 1;
		goto out;
	}
	hold(&o);

	if (child > 0) {
		int st;

		if (waitpid(child, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			fprintf(stderr, PROG ": --fork: the child failed\n");
			status = 1;
			goto out;
		}
		child = 0;
		if (pread(cfd, &cres, sizeof(cres), 0) != sizeof(cres)) {
			fprintf(stderr, PROG ": --fork: no result from the "
				"child\n");
			status = 1;
			goto out;
		}
		/* Which of the child's writes does the parent see? */
		for (uint64_t pg = 0; pg < npages; pg++)
			for (int i = 0; i < o.threads; i++)
				if (base[pg * PS + CHILD_WRITER + i] ==
				    (0x80 | (CHILD_WRITER + i))) {
					seen_by_parent++;
					break;
				}
		if (o.trace_out) {
			off_t off = sizeof(cres);

			for (int i = 0; i < o.threads; i++) {
				size_t n;
				uint64_t *t, *pg;

				if (pread(cfd, &n, sizeof(n), off) != sizeof(n))
					goto bad_child;
				off += sizeof(n);
				t = malloc(n * 8 + 1);
				pg = malloc(n * 8 + 1);
				if (!t || !pg) {
					free(t);
					free(pg);
					goto bad_child;
				}
				s[ns++] = (struct stream){ t, pg, 0, 0 };
				nchild = ns;
				if (pread(cfd, t, n * 8, off) !=
				    (ssize_t)(n * 8) ||
				    pread(cfd, pg, n * 8, off + (off_t)(n * 8)) !=
				    (ssize_t)(n * 8))
					goto bad_child;
				off += (off_t)(n * 16);
				s[ns - 1].n = n;
			}
		}
	}
	if (o.trace_out) {
		for (int i = 0; i < o.threads; i++)
			s[ns++] = (struct stream){ w[i].rec, w[i].rec_pg,
						   w[i].nrec, 0 };
		if (write_trace(&o, npages, s, ns) < 0)
			status = 1;
	}

	/* What making the writes durable and unmapping cost. */
	if (o.shared && (res.writes || cres.writes)) {
		double t = now_sec(CLOCK_MONOTONIC);

		if (msync(base, len, MS_SYNC) < 0) {
			fprintf(stderr, PROG ": msync: %s\n", strerror(errno));
			status = 1;
		}
		res.msync_ms = (now_sec(CLOCK_MONOTONIC) - t) * 1e3;
	}
	{
		double t = now_sec(CLOCK_MONOTONIC);

		munmap(base, len);
		res.munmap_ms = (now_sec(CLOCK_MONOTONIC) - t) * 1e3;
		base = NULL;
	}

	if (o.json) {
		printf("{\"file\": ");
		json_str(stdout, o.file);
		printf(", \"pattern\": ");
		json_str(stdout, o.pattern);
		printf(", \"pages\": %llu, \"map\": \"%s\", \"seed\": %llu, "
		       "\"write_ratio\": %g, \"nthreads\": %d, \"result\": ",
		       (unsigned long long)npages,
		       o.shared ? "shared" : "private",
		       (unsigned long long)o.seed, o.write_ratio, o.threads);
		print_result(&o, "", &res, true);
		if (o.fork) {
			printf(", \"child\": ");
			print_result(&o, "", &cres, true);
			printf(", \"child_writes_seen_by_parent\": %llu",
			       (unsigned long long)seen_by_parent);
		}
		printf("}\n");
	} else {
		printf("%-22s %s\n", "file", o.file);
		printf("%-22s %s\n", "pattern", o.pattern);
		printf("%-22s %llu\n", "pages", (unsigned long long)npages);
		printf("%-22s %s\n", "map", o.shared ? "shared" : "private");
		printf("%-22s %llu\n", "seed", (unsigned long long)o.seed);
		print_result(&o, "parent", &res, false);
		if (o.fork) {
			printf("%s %llu of %llu\n",
			       "child_writes_seen_by_parent",
			       (unsigned long long)seen_by_parent,
			       (unsigned long long)cres.pages_written);
			printf("# the child (forked after mmap)\n");
			print_result(&o, "child", &cres, false);
		}
	}
	goto out;
bad_child:
	fprintf(stderr, PROG ": --fork: the child's trace is incomplete\n");
	status = 1;
out:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (base)
		munmap(base, len);
	for (int i = 0; i < o.threads; i++) {
		pattern_free(w[i].pat);
		free(w[i].seen);
		free(w[i].written);
		free(w[i].rec);
		free(w[i].rec_pg);
	}
	for (int i = 0; i < nchild; i++) {
		free((void *)s[i].t);
		free((void *)s[i].pg);
	}
	if (cfd >= 0)
		close(cfd);
	return status;
}
