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
 * child's own for --fork.
 *
 * A file that existed before mmload ran is changed (stored into through
 * MAP_SHARED, or extended by --create) only with --overwrite: a workload
 * driver must not damage a file it was pointed at by mistake.  A file
 * --create made in this run is mmload's own scratch file.
 *
 * --trace-out: the file is opened before the run, so a path that cannot
 * be written is refused before any touch.  Each recording thread (the
 * --fork child's too) fills chunks of a bounded ring of its own, in a
 * MAP_SHARED anonymous mapping made before the fork; a writer thread of
 * the parent merges the rings in time order into the trace as the chunks
 * fill.  The memory recording costs is fixed (REC_CHUNKS x REC_CHUNK
 * records per thread), not memory per touch, so the fault counts of a
 * recorded run stay those of the workload.  See "the trace" below.
 *
 * --hold prints the results (the child sends its own through a pipe
 * before it holds) and then holds, so they can be read beside mapview.
 * --repeat runs the workload N times on fresh mappings and prints min,
 * median and max per figure.  --latency times each touch on its own; see
 * struct lat.  A progress line goes to a terminal from the main thread,
 * which then only watches the workers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "memcg.h"
#include "parse.h"
#include "pattern.h"
#include "rng.h"
#include "size.h"
#include "trace.h"

#define PROG "mmload"
#include "prog.h"

#define PS 4096u
#define MAX_THREADS 64
#define MAX_PAGES 4294967295ull	/* --pages: 16 TiB of mapping */
#define MAX_REPEAT 1000
#define CHILD_WRITER 64		/* the child's writers are 64 + thread */
#define WRITE_BIT (1ull << 63)
#define REC_CHUNK 2048		/* records per chunk of a recording ring */
#define REC_CHUNKS 4		/* chunks per ring: 128 KiB per thread */
#define MAX_MEMCG_PAGES 268435456ull	/* --memcg: 1 TiB of page cache */
#define MEMCG_SAMPLE_MS 10	/* memory.stat sampled this often */
#define TMPFS_MAGIC_ 0x01021994

/* Long-only options (doc/options.md: their letters mean other things). */
enum {
	OPT_PATTERN = 256, OPT_PAGES, OPT_OPS, OPT_FORK, OPT_TRACE_OUT,
	OPT_JSON, OPT_OVERWRITE, OPT_REPEAT, OPT_LATENCY, OPT_MEMCG, OPT_CHECK,
};

struct opts {
	const char *file;
	const char *pattern;
	uint64_t pages;			/* 0: the file's size */
	uint64_t ops;			/* 0: --seconds or one period */
	double seconds;
	bool shared;
	double write_ratio;
	const char *write_arg;		/* --write as given, for refusals */
	int threads;
	bool fork;
	int madvise;			/* -1: none */
	const char *madvise_name;
	uint64_t seed;
	uint64_t create_bytes;		/* 0: do not create */
	const char *create_arg;
	bool overwrite;			/* may change a file it did not make */
	const char *trace_out;
	double hold_s;			/* keep the mapping after touching */
	unsigned repeat;		/* runs, 1: one */
	bool latency;			/* time every touch */
	bool json;
	bool check;			/* --check: parse, touch nothing */
	uint64_t memcg_pages;		/* --memcg: page cache room, 0: off */
	const char *memcg_arg;
};

/* --latency: what each touch took, in a histogram per kind of touch.  A
 * touch's kind is what getrusage() says it cost: no fault (the page was
 * mapped: a kernel hit), a minor fault (the page was in the kernel's page
 * cache and had to be mapped, or copied on write), a major fault (a read:
 * on framefs one READ of the daemon, served from a frame or, a frame miss,
 * from the store and its latency model).  Buckets: 16 linear steps per
 * power of two of nanoseconds, so a percentile is within 1/16 (6%). */
#define LAT_SUB 16
#define LAT_BUCKETS (61 * LAT_SUB)
enum { LAT_NOFAULT, LAT_MINOR, LAT_MAJOR, LAT_KINDS };

struct lat {
	uint64_t n[LAT_KINDS][LAT_BUCKETS];
	uint64_t max_ns[LAT_KINDS];
};

/* One recording thread's ring of chunks, in the shared mapping.  The
 * producer owns chunk head % REC_CHUNKS while head - tail < REC_CHUNKS;
 * the writer owns chunks tail .. head-1.  head, tail, n[] and done are
 * protected by recring->mu; the records of a chunk are written by its
 * owner only. */
struct recbuf {
	uint64_t head;			/* chunks filled */
	uint64_t tail;			/* chunks written out */
	uint32_t n[REC_CHUNKS];		/* records in each filled chunk */
	bool done;			/* the producer will fill no more */
	struct rec {
		uint64_t time_us;
		uint64_t pg;		/* page | WRITE_BIT */
	} rec[REC_CHUNKS][REC_CHUNK];
};

/* The rings of every recording thread (parent's first, then the child's),
 * shared with the --fork child, and the writer that drains them. */
struct recring {
	pthread_mutex_t mu;		/* process-shared */
	pthread_cond_t cv;		/* any head, tail or done moved */
	bool abort;			/* stop: nobody waits any more */
	int nbufs;
	struct recbuf buf[];
};

struct tracer {
	struct recring *ring;		/* MAP_SHARED | MAP_ANONYMOUS */
	size_t ring_len;
	struct trace_writer *tw;
	pthread_t tid;
	bool running;
	int rc;				/* the writer's first error */
	int child_fd;			/* --fork: hangs up when the child
					 * is past its touches, or dead */
	int child_first;		/* the child's first ring */
	pid_t os_tid;			/* the writer thread's, once it runs
					 * (atomic): --memcg moves it out */
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
	struct recring *ring;		/* --trace-out: the rings, */
	struct recbuf *rb;		/* and this thread's; else NULL */
	uint32_t rpos;			/* next record in chunk rb->head */
	/* results */
	uint64_t touches, writes;
	uint64_t minflt, majflt;
	uint64_t *seen;			/* bitmap [npages] of touched pages */
	uint64_t *written;		/* bitmap of written pages */
	double t_end;			/* when its last touch was done */
	uint64_t progress;		/* touches, for the progress line;
					 * atomic, updated every 1024 */
	int finished;			/* atomic: the thread is done */
	struct lat *lat;		/* --latency, else NULL */
	uint64_t sink;
};

/* What a process reports: the sum of its workers. */
struct result {
	double elapsed_s;
	uint64_t touches, writes, distinct, pages_written;
	uint64_t minflt, majflt;
	double msync_ms, munmap_ms;	/* < 0: not measured */
	int nthreads;
	struct {
		uint64_t touches, minflt, majflt;
	} thread[MAX_THREADS];
	uint64_t memcg_pages;		/* --memcg PAGES, 0: not run in one */
	struct memcg_summary mc;	/* the cgroup over the touches */
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
"      --pattern P       which page next (default seq):\n"
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
"      --pages N         pages mapped from the start (default: all)\n"
"      --ops N           touches in all (default: one pass of the pattern,\n"
"                        or the pages mapped for rand and zipf)\n"
"  -t, --seconds S       touch for S seconds instead\n"
"  -m, --map shared|private   MAP_SHARED (default) or MAP_PRIVATE\n"
"  -w, --write RATIO     fraction of touches that write (default 0)\n"
"  -c, --create SIZE     create FILE of SIZE (64M, 1G, ...): a scratch file\n"
"                        mmload may write; an existing FILE is used as is\n"
"      --overwrite       allow writing into (or extending) a FILE that\n"
"                        existed before: without it, --write with --map\n"
"                        shared (or a trace: pattern) on an existing FILE\n"
"                        is refused, because those stores change the file\n"
"  -T, --threads T       threads, each with its own seeded pattern (1..64)\n"
"      --fork            fork after mapping: parent and child both touch;\n"
"                        shows which of the child's writes the parent sees\n"
"  -a, --madvise ADVICE  normal|random|sequential|willneed|dontneed, given\n"
"                        once over the mapping right after mmap\n"
"  -s, --seed S          seed of the patterns (default 1)\n"
"      --trace-out F     record every touch, in order: the true reference\n"
"                        string (framefs trace format; F.zst compresses).\n"
"                        F is opened first and written as the run goes;\n"
"                        recording costs a clock read per touch (about ten\n"
"                        times fewer touches/s when all are kernel hits)\n"
"                        and 128 KiB per thread, not memory per touch\n"
"  -H, --hold S          print the results, then keep the mapping S seconds\n"
"                        (and the child alive), for a look with mapview PID\n"
"      --repeat N        run the workload N times (1..1000); report min,\n"
"                        median and max of each figure\n"
"      --latency         time every touch: percentiles and a log2 histogram\n"
"                        per kind (no fault: a kernel hit; minor fault;\n"
"                        major fault: on framefs a frame hit or a frame\n"
"                        miss, the store's latency model among them).\n"
"                        Costs two getrusage calls per touch, outside the\n"
"                        timed part\n"
"      --memcg PAGES     run the touches in a fresh memory cgroup (v1, as\n"
"                        root) whose limit leaves room for PAGES pages of\n"
"                        page cache: the kernel's own replacement on FILE\n"
"                        (a disk file, not tmpfs), dropped from the cache\n"
"                        first, readahead off (--madvise random); reports\n"
"                        memcg_cache_pages (mean of 10 ms samples) and the\n"
"                        workingset counters; the cgroup is removed after\n"
"                        the run (1..268435456)\n"
"      --json            one JSON object instead of name-value lines\n"
"      --check           check the options and the pattern, then exit 0\n"
"                        without opening FILE for writing or touching it\n"
"                        (the size comes from --pages, --create or FILE)\n"
"  -h, --help            this help\n"
"  -V, --version         print the version\n"
"\n"
"A progress line (touches, touches/s, faults/s, ETA) goes to stderr while\n"
"a run of more than a moment lasts, when stderr is a terminal.\n"
"\n"
"examples:\n"
"  " PROG " --create 64M --pattern seq /mnt/ff/data\n"
"      first touches: one major fault per page\n"
"  " PROG " --pattern zipf:0.9 --ops 200000 --trace-out z.trace /mnt/ff/data\n"
"      then: framesim --policy lru,arc,opt --frac 0.1 z.trace\n"
"  " PROG " --map private --write 1 --fork --pages 16 /mnt/ff/data\n"
"      copy on write: the parent sees none of the child's writes\n"
"  " PROG " --write 0.5 --overwrite --repeat 5 /mnt/ff/data\n"
"      store into an existing file, five runs: min, median, max\n"
"  " PROG " --memcg 4096 --pattern zipf:0.9 --ops 200000 /var/tmp/data\n"
"      the kernel with 16 MiB of page cache; the same touches without\n"
"      --memcg and with --trace-out k.trace, then\n"
"      framesim -p linux:mapped=2,lru -n 4096 k.trace\n"
"\n"
"Output: elapsed, touches, distinct pages, minflt, majflt, touches/s, and\n"
"for writes what msync and munmap cost.  Exit: 0 ok, 1 failure, 2 usage\n"
"(one line: " PROG ": OPTION: VALUE: why).\n");
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
	prog_opt_fail("--madvise", s, "not one of normal, random, sequential, "
		      "willneed, dontneed");
}

/* A whole number in lo..hi. */
static uint64_t parse_count(const char *opt, const char *s, uint64_t lo,
			    uint64_t hi)
{
	uint64_t v;

	if (!parse_u64_all(s, &v) || v < lo || v > hi) {
		char why[64];

		snprintf(why, sizeof(why), "not in %llu..%llu",
			 (unsigned long long)lo, (unsigned long long)hi);
		prog_opt_fail(opt, s, why);
	}
	return v;
}

/* A number in lo..hi (range: the same, as the refusal writes it). */
static double parse_double(const char *opt, const char *s, double lo,
			   double hi, const char *range)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		char why[64];

		snprintf(why, sizeof(why), "not in %s", range);
		prog_opt_fail(opt, s, why);
	}
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "pattern", required_argument, NULL, OPT_PATTERN },
		{ "pages", required_argument, NULL, OPT_PAGES },
		{ "ops", required_argument, NULL, OPT_OPS },
		{ "seconds", required_argument, NULL, 't' },
		{ "map", required_argument, NULL, 'm' },
		{ "write", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 'T' },
		{ "fork", no_argument, NULL, OPT_FORK },
		{ "madvise", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 's' },
		{ "create", required_argument, NULL, 'c' },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "trace-out", required_argument, NULL, OPT_TRACE_OUT },
		{ "hold", required_argument, NULL, 'H' },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "latency", no_argument, NULL, OPT_LATENCY },
		{ "memcg", required_argument, NULL, OPT_MEMCG },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *seconds_arg = NULL, *ops_arg = NULL, *repeat_arg = NULL;
	int opt;

	*o = (struct opts){ .pattern = "seq", .shared = true, .threads = 1,
			    .madvise = -1, .seed = 1, .repeat = 1 };
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":t:m:w:T:a:s:c:H:hV", lo,
				  NULL)) != -1) {
		switch (opt) {
		case OPT_PATTERN: o->pattern = optarg; break;
		case OPT_PAGES:
			o->pages = parse_count("--pages", optarg, 1,
					       MAX_PAGES);
			break;
		case OPT_OPS:
			o->ops = parse_count("--ops", optarg, 1, UINT64_MAX);
			ops_arg = optarg;
			break;
		case 't':
			o->seconds = parse_double("--seconds", optarg, 0.001,
						  1e6, "0.001..1000000");
			seconds_arg = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "shared") && strcmp(optarg, "private"))
				prog_opt_fail("--map", optarg,
					      "not shared or private");
			o->shared = strcmp(optarg, "shared") == 0;
			break;
		case 'w':
			o->write_ratio = parse_double("--write", optarg, 0, 1,
						      "0..1");
			o->write_arg = optarg;
			break;
		case 'T':
			o->threads = (int)parse_count("--threads", optarg, 1,
						      MAX_THREADS);
			break;
		case OPT_FORK: o->fork = true; break;
		case 'a':
			o->madvise = parse_madvise(optarg);
			o->madvise_name = optarg;
			break;
		case 's': {
			char *end;

			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-')
				prog_opt_fail("--seed", optarg,
					      "not in 0..18446744073709551615");
			break;
		}
		case 'c':
			if (size_parse(optarg, &o->create_bytes) < 0 ||
			    o->create_bytes < PS)
				prog_opt_fail("--create", optarg, "not a size "
					      "of at least 4K (64M, 1G, ...)");
			o->create_arg = optarg;
			break;
		case OPT_OVERWRITE: o->overwrite = true; break;
		case OPT_TRACE_OUT:
			if (!*optarg)
				prog_opt_fail("--trace-out", "''",
					      "an empty file name");
			o->trace_out = optarg;
			break;
		case 'H':
			o->hold_s = parse_double("--hold", optarg, 0, 3600,
						"0..3600");
			break;
		case OPT_REPEAT:
			o->repeat = (unsigned)parse_count("--repeat", optarg, 1,
							  MAX_REPEAT);
			repeat_arg = optarg;
			break;
		case OPT_JSON: o->json = true; break;
		case OPT_CHECK: o->check = true; break;
		case OPT_LATENCY: o->latency = true; break;
		case OPT_MEMCG:
			o->memcg_pages = parse_count("--memcg", optarg, 1,
						     MAX_MEMCG_PAGES);
			o->memcg_arg = optarg;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf(PROG " " FRAMEFS_VERSION "\n"); exit(0);
		default: prog_getopt_fail(opt, argv);
		}
	}
	if (optind == argc) {
		prog_errf("missing FILE (" PROG " --help)");
		exit(2);
	}
	if (optind + 1 != argc)
		prog_usage_fail(argv[optind + 1], "one FILE only (" PROG
				" --help)");
	if (ops_arg && seconds_arg)
		prog_opt_fail("--seconds", seconds_arg, "not with --ops "
			      "(give one)");
	/* A repeated run reports the spread of its figures; the records of
	 * a trace, a child and a pause are one run's. */
	if (repeat_arg && o->repeat > 1) {
		const char *with = o->trace_out ? "--trace-out" :
				   o->fork ? "--fork" :
				   o->hold_s > 0 ? "--hold" : NULL;

		if (with) {
			char why[64];

			snprintf(why, sizeof(why), "not with %s", with);
			prog_opt_fail("--repeat", repeat_arg, why);
		}
	}
	/* --memcg counts a major fault as one page read: readahead off
	 * (MADV_RANDOM), unless the user asked for other advice. */
	if (o->memcg_pages && o->madvise < 0) {
		o->madvise = MADV_RANDOM;
		o->madvise_name = "random";
	} else if (o->memcg_pages && o->madvise != MADV_RANDOM) {
		prog_errf("--memcg: warning: --madvise %s keeps readahead: a "
			  "major fault may read more than one page",
			  o->madvise_name);
	}
	/* The kernel charges page cache to the memory cgroup of the mm's
	 * owner, whichever thread adds it: the trace file lands in the
	 * cgroup even though its writer thread is moved out. */
	if (o->memcg_pages && o->trace_out)
		prog_errf("--memcg: warning: --trace-out's file is page cache "
			  "of this process, charged to the cgroup: it takes "
			  "room, and its write()s start the active list; for "
			  "the kernel's figures record the trace in a run of "
			  "its own (the same --seed gives the same touches)");
	o->file = argv[optind];
}

/* ---- the trace --------------------------------------------------------- */

static int tracer_open(struct tracer *tr, const struct opts *o,
		       uint64_t npages)
{
	int nbufs = o->threads * (o->fork ? 2 : 1);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	char header[512];
	int rc;

	*tr = (struct tracer){ .child_fd = -1, .child_first = o->threads };
	snprintf(header, sizeof(header),
		 "source=mmload pattern=%s seed=%llu pages=%llu map=%s "
		 "threads=%d%s", o->pattern, (unsigned long long)o->seed,
		 (unsigned long long)npages, o->shared ? "shared" : "private",
		 o->threads, o->fork ? " fork=1" : "");
	for (char *c = header; *c; c++)		/* one line */
		if (*c == '\n')
			*c = ' ';
	rc = trace_writer_open(o->trace_out, header, &tr->tw);
	if (rc < 0)
		return rc;
	tr->ring_len = sizeof(struct recring) +
		       (size_t)nbufs * sizeof(struct recbuf);
	tr->ring = mmap(NULL, tr->ring_len, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tr->ring == MAP_FAILED) {
		rc = -errno;
		tr->ring = NULL;
		return rc;
	}
	tr->ring->nbufs = nbufs;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&tr->ring->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_cond_init(&tr->ring->cv, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

/* Hands the producer's full chunk to the writer and waits for a free one.
 * Returns false once the trace has been abandoned (the writer failed, or
 * the run did): the producer then stops recording, and touches no chunk
 * the writer may still be reading. */
static bool rec_publish(struct recring *ring, struct recbuf *rb,
			uint32_t n, bool last)
{
	bool ok;

	pthread_mutex_lock(&ring->mu);
	if (n && !ring->abort) {
		rb->n[rb->head % REC_CHUNKS] = n;
		rb->head++;
	}
	if (last)
		rb->done = true;
	pthread_cond_broadcast(&ring->cv);
	while (!last && !ring->abort && rb->head - rb->tail == REC_CHUNKS)
		pthread_cond_wait(&ring->cv, &ring->mu);
	ok = !ring->abort;
	pthread_mutex_unlock(&ring->mu);
	return ok;
}

/* Records one touch; false when recording has stopped (see above). */
static inline bool record(struct worker *w, double t, uint64_t pgno,
			  bool write)
{
	struct rec *r = &w->rb->rec[w->rb->head % REC_CHUNKS][w->rpos];

	r->time_us = (uint64_t)((t - w->t0) * 1e6);
	r->pg = pgno | (write ? WRITE_BIT : 0);
	if (++w->rpos < REC_CHUNK)
		return true;
	w->rpos = 0;
	return rec_publish(w->ring, w->rb, REC_CHUNK, false);
}

static void tracer_abort(struct recring *ring)
{
	pthread_mutex_lock(&ring->mu);
	ring->abort = true;
	pthread_cond_broadcast(&ring->cv);
	pthread_mutex_unlock(&ring->mu);
}

/* A --fork child that died while recording never marks its rings done:
 * once its end of the pipe hangs up, what it published is all there is.
 * Called with ring->mu held. */
static void child_gone(struct tracer *tr)
{
	struct pollfd p = { .fd = tr->child_fd, .events = POLLIN };

	if (tr->child_fd < 0 || poll(&p, 1, 0) <= 0 ||
	    !(p.revents & (POLLHUP | POLLERR)))
		return;
	for (int k = tr->child_first; k < tr->ring->nbufs; k++)
		tr->ring->buf[k].done = true;
}

/* The writer: merges the rings by time (ties: the lower ring first).  A
 * record can go out once every ring either has a filled chunk, whose
 * first record bounds all that ring will still produce (each thread's
 * times only grow), or is done. */
static void *tracer_main(void *arg)
{
	struct tracer *tr = arg;
	struct recring *ring = tr->ring;
	int nb = ring->nbufs, rc = 0;

	__atomic_store_n(&tr->os_tid, gettid(), __ATOMIC_RELEASE);
	uint32_t cur[2 * MAX_THREADS] = { 0 };
	bool avail[2 * MAX_THREADS];

	pthread_mutex_lock(&ring->mu);
	for (;;) {
		bool ready = true, any = false;
		int freed = -1;

		if (ring->abort)
			break;
		for (int k = 0; k < nb; k++) {
			struct recbuf *b = &ring->buf[k];

			avail[k] = b->head != b->tail;
			any |= avail[k];
			if (!avail[k] && !b->done)
				ready = false;
		}
		if (!ready) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_cond_timedwait(&ring->cv, &ring->mu,
						   &ts) == ETIMEDOUT)
				child_gone(tr);
			continue;
		}
		if (!any)
			break;		/* every ring done and drained */
		pthread_mutex_unlock(&ring->mu);
		for (;;) {
			struct trace_ref ref = { 0 };
			const struct rec *r, *best = NULL;
			int bk = -1;

			for (int k = 0; k < nb; k++) {
				if (!avail[k])
					continue;
				r = &ring->buf[k].rec[ring->buf[k].tail %
						      REC_CHUNKS][cur[k]];
				if (!best || r->time_us < best->time_us) {
					best = r;
					bk = k;
				}
			}
			ref.time_us = best->time_us;
			ref.pgno = best->pg & ~WRITE_BIT;
			ref.write = best->pg & WRITE_BIT;
			rc = trace_write(tr->tw, &ref);
			if (rc < 0)
				break;
			if (++cur[bk] == ring->buf[bk].n[ring->buf[bk].tail %
							 REC_CHUNKS]) {
				cur[bk] = 0;
				freed = bk;	/* that chunk is written out */
				break;
			}
		}
		pthread_mutex_lock(&ring->mu);
		if (rc < 0) {
			ring->abort = true;
			pthread_cond_broadcast(&ring->cv);
			break;
		}
		ring->buf[freed].tail++;	/* give the chunk back */
		pthread_cond_broadcast(&ring->cv);
	}
	pthread_mutex_unlock(&ring->mu);
	tr->rc = rc;
	return NULL;
}

static int tracer_start(struct tracer *tr)
{
	int rc = pthread_create(&tr->tid, NULL, tracer_main, tr);

	tr->running = rc == 0;
	return -rc;
}

/* Waits for the writer to drain every ring (or, with abort, stops it),
 * closes the trace and frees the rings.  0 or the first error. */
static int tracer_finish(struct tracer *tr, bool abort)
{
	int rc;

	if (tr->ring && (abort || !tr->running))
		tracer_abort(tr->ring);
	if (tr->running)
		pthread_join(tr->tid, NULL);
	tr->running = false;
	rc = tr->rc;
	if (!rc && abort)
		rc = -ECANCELED;
	if (tr->tw) {
		int crc = trace_writer_close(tr->tw);

		if (!rc)
			rc = crc;
	}
	tr->tw = NULL;
	if (tr->ring) {
		pthread_mutex_destroy(&tr->ring->mu);
		pthread_cond_destroy(&tr->ring->cv);
		munmap(tr->ring, tr->ring_len);
	}
	tr->ring = NULL;
	return rc;
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

static unsigned lat_bucket(uint64_t ns)
{
	int e;

	if (ns < LAT_SUB)
		return (unsigned)ns;
	e = 63 - __builtin_clzll(ns);		/* 4..63 */
	return (unsigned)(e - 3) * LAT_SUB +
	       (unsigned)((ns >> (e - 4)) & (LAT_SUB - 1));
}

/* The smallest and largest ns of bucket b. */
static void lat_range(unsigned b, uint64_t *lo, uint64_t *hi)
{
	unsigned e = b / LAT_SUB + 3, sub = b % LAT_SUB;

	if (b < LAT_SUB) {
		*lo = *hi = b;
		return;
	}
	*lo = (uint64_t)(LAT_SUB + sub) << (e - 4);
	*hi = *lo + (1ull << (e - 4)) - 1;
}

/* The touch itself: one byte of the page, read or written.  Left out of
 * the sanitizers' instrumentation, which would touch shadow memory of its
 * own beside it: a sanitizer build then counts the same faults as a plain
 * one, and threads racing on one byte of a shared page (what --write with
 * --threads measures) are not reported as a bug. */
__attribute__((no_sanitize("address", "thread")))
static void touch(unsigned char *page, bool write, unsigned writer,
		  uint64_t *sink)
{
	if (write)
		*(volatile unsigned char *)(page + writer) =
			(unsigned char)(0x80 | writer);
	else
		*sink += *(volatile unsigned char *)page;
}

/* One touch, timed alone; its kind from the thread's fault counters,
 * read outside the timed part. */
static void touch_timed(struct worker *w, unsigned char *page, bool write,
			uint64_t *sink)
{
	struct rusage a, b;
	uint64_t t1, t2, ns;
	int kind;

	getrusage(RUSAGE_THREAD, &a);
	t1 = now_ns(CLOCK_MONOTONIC);
	touch(page, write, w->writer, sink);
	t2 = now_ns(CLOCK_MONOTONIC);
	getrusage(RUSAGE_THREAD, &b);
	ns = t2 - t1;
	kind = b.ru_majflt != a.ru_majflt ? LAT_MAJOR :
	       b.ru_minflt != a.ru_minflt ? LAT_MINOR : LAT_NOFAULT;
	w->lat->n[kind][lat_bucket(ns)]++;
	if (ns > w->lat->max_ns[kind])
		w->lat->max_ns[kind] = ns;
}

static void lat_add(struct lat *to, const struct lat *from)
{
	for (int k = 0; k < LAT_KINDS; k++) {
		for (unsigned b = 0; b < LAT_BUCKETS; b++)
			to->n[k][b] += from->n[k][b];
		if (from->max_ns[k] > to->max_ns[k])
			to->max_ns[k] = from->max_ns[k];
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	bool coin = o->write_ratio > 0, rec = w->rb != NULL;
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
		if ((i & 1023) == 0)
			__atomic_store_n(&w->progress, w->touches,
					 __ATOMIC_RELAXED);
		if (rec || (w->deadline > 0 && (i & 1023) == 0)) {
			t = now_sec(CLOCK_MONOTONIC);
			if (w->deadline > 0 && t >= w->deadline)
				break;
		}
		if (w->lat)
			touch_timed(w, page, write, &sink);
		else
			touch(page, write, w->writer, &sink);
		if (write) {
			w->writes++;
			bit_set(w->written, pgno);
		}
		bit_set(w->seen, pgno);
		w->touches++;
		if (rec && !record(w, t, pgno, write))
			rec = false;
	}
	w->t_end = now_sec(CLOCK_MONOTONIC);
	if (w->rb)
		rec_publish(w->ring, w->rb, rec ? w->rpos : 0, true);
	getrusage(RUSAGE_THREAD, &r1);
	w->minflt = (uint64_t)(r1.ru_minflt - r0.ru_minflt);
	w->majflt = (uint64_t)(r1.ru_majflt - r0.ru_majflt);
	w->sink = sink;
	__atomic_store_n(&w->progress, w->touches, __ATOMIC_RELAXED);
	__atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- --memcg: the kernel as a row -------------------------------------- */

/* The cgroup of this run (main makes it, run_workers enters it right
 * before the first touch), and the trace writer to keep out of it. */
static struct memcg *memcg;
static struct tracer *memcg_tracer;

/* Right before the first touch.  What the run allocated and touched so far
 * stays charged where it was (v1 moves no charges), so the cgroup holds the
 * file's pages and what the touches themselves cost: page tables, the
 * page cache's tree nodes, the workers' stacks.  The trace writer thread
 * goes back out: the trace file's page cache is not the workload's.  A
 * --fork child, forked outside, enters on its own. */
static int memcg_begin(bool child)
{
	int rc = memcg_enter(memcg, 0);

	if (rc < 0) {
		prog_errf("--memcg: %s/cgroup.procs: %s", memcg_path(memcg),
			  strerror(-rc));
		return rc;
	}
	if (child)
		return 0;
	if (memcg_tracer && memcg_tracer->running) {
		pid_t tid = 0;

		for (int i = 0; i < 1000 && !tid; i++) {
			tid = __atomic_load_n(&memcg_tracer->os_tid,
					      __ATOMIC_ACQUIRE);
			if (!tid)
				sleep_ms(1);
		}
		rc = tid ? memcg_thread_out(memcg, tid) : -ESRCH;
		if (rc < 0) {
			prog_errf("--memcg: moving the trace writer out: %s",
				  strerror(-rc));
			return rc;
		}
	}
	rc = memcg_sampler_start(memcg, MEMCG_SAMPLE_MS);
	if (rc < 0)
		prog_errf("--memcg: %s/memory.stat: %s", memcg_path(memcg),
			  strerror(-rc));
	return rc;
}

/* After the last touch: the samples summed up, and the process out. */
static void memcg_end(struct result *res, uint64_t pages)
{
	memcg_sampler_stop(memcg, &res->mc);
	res->memcg_pages = pages;
	memcg_leave(memcg);
}

/* Pages of the first len bytes of fd in the page cache (mincore). */
static int64_t resident_pages(int fd, size_t len)
{
	size_t n = (len + PS - 1) / PS;
	unsigned char *vec = malloc(n ? n : 1);
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	int64_t count = -1;

	if (vec && p != MAP_FAILED && mincore(p, len, vec) == 0) {
		count = 0;
		for (size_t i = 0; i < n; i++)
			count += vec[i] & 1;
	}
	if (p != MAP_FAILED)
		munmap(p, len);
	free(vec);
	return count;
}

/* Every run starts cold: the file's pages are dropped (written first if
 * dirty: a dirty page cannot be dropped), and mincore must count none. */
static int memcg_drop(const struct opts *o, int fd, uint64_t npages)
{
	int64_t left = -1;

	fdatasync(fd);			/* EBADF/EINVAL on a read-only fd:
					 * nothing of ours to write */
	for (int i = 0; i < 3 && left != 0; i++) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		left = resident_pages(fd, npages * PS);
	}
	if (left == 0)
		return 0;
	if (left < 0)
		prog_errf("--memcg: %s: mincore: %s", o->file,
			  strerror(errno));
	else
		prog_errf("--memcg: %s: %lld of %llu pages stay in the page "
			  "cache after POSIX_FADV_DONTNEED (mapped by another "
			  "process?)", o->file, (long long)left,
			  (unsigned long long)npages);
	return -1;
}

/* Makes the cgroup: room for --memcg pages of page cache, plus an estimate
 * of the workload's own memory that will be charged there (one page table
 * page per 512 pages, a tree node per 64, stacks); the sampler raises the
 * limit if the measured own memory outgrows it.  A tmpfs file is refused:
 * its pages are shared memory on the anon lists, not page cache. */
static void memcg_setup(const struct opts *o, int fd, uint64_t npages)
{
	uint64_t own = npages / 512 + npages / 64 * 576 / PS + 32 +
		       (uint64_t)o->threads * (o->fork ? 2 : 1) * 8;
	struct statfs sf;
	char err[2600];

	if (fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC_) {
		char why[4200];

		snprintf(why, sizeof(why), "%s is on tmpfs, whose pages are "
			 "shared memory, not page cache (use a file on a "
			 "disk's filesystem)", o->file);
		prog_opt_fail("--memcg", o->memcg_arg, why);
	}
	memcg = memcg_open(o->memcg_pages * PS, own * PS, err, sizeof(err));
	if (!memcg) {
		prog_errf("--memcg: %s", err);
		exit(1);
	}
}

/* ---- one process's run -------------------------------------------------- */

/* Default touches: one cycle of a periodic pattern, else one per page. */
static uint64_t default_ops(struct pattern *p, uint64_t npages)
{
	uint64_t period = pattern_period(p);

	return period ? period : npages;
}

/* While the workers run: one line on a terminal every half second, after
 * the first half second (a short run shows nothing).  Touches/s and
 * faults/s are the last interval's; the ETA is the deadline's or, for a
 * number of touches, what is left at the average rate so far. */
static void progress_loop(const struct opts *o, struct worker *w,
			  double t0, uint64_t total)
{
	double last = t0;
	uint64_t last_touches = 0, last_flt = 0;
	bool shown = false;
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	last_flt = (uint64_t)(ru.ru_minflt + ru.ru_majflt);
	for (;;) {
		uint64_t done = 0, flt;
		int nfin = 0;
		double now, dt, eta = -1;

		for (int i = 0; i < o->threads; i++) {
			nfin += __atomic_load_n(&w[i].finished,
						__ATOMIC_ACQUIRE);
			done += __atomic_load_n(&w[i].progress,
						__ATOMIC_RELAXED);
		}
		if (nfin == o->threads)
			break;
		sleep_ms(20);
		now = now_sec(CLOCK_MONOTONIC);
		if (now - t0 < 0.5 || now - last < 0.5)
			continue;
		dt = now - last;
		getrusage(RUSAGE_SELF, &ru);
		flt = (uint64_t)(ru.ru_minflt + ru.ru_majflt);
		if (o->seconds > 0)
			eta = t0 + o->seconds - now;
		else if (total && done)
			eta = (double)(total - done) * (now - t0) /
			      (double)done;
		prog_progress("%llu touches, %.0f touches/s, %.0f faults/s, "
			      "ETA %.0f s", (unsigned long long)done,
			      (double)(done - last_touches) / dt,
			      (double)(flt - last_flt) / dt,
			      eta > 0 ? eta : 0);
		shown = true;
		last = now;
		last_touches = done;
		last_flt = flt;
	}
	if (shown)
		prog_progress_end();
}

/* Runs the workers of one process (parent: writer base 0; child: 64).
 * Fills res; the workers stay for the caller (bitmaps), who frees them
 * with workers_free().  ring: --trace-out's rings, or NULL. */
static int run_workers(const struct opts *o, unsigned char *base,
		       uint64_t npages, int writer_base, double epoch,
		       struct recring *ring, struct worker *w,
		       struct result *res, struct lat *lat_sum)
{
	uint64_t total = o->ops, seedmix = writer_base ? 0x5eed0f0c4ull : 0;
	size_t words = (npages + 63) / 64;
	bool progress = !writer_base && prog_progress_on();
	struct rusage r0, r1;
	double t0, t_end;
	char err[512];
	int rc = 0, started = 0;

	for (int i = 0; i < o->threads; i++) {
		w[i] = (struct worker){ .o = o, .base = base, .npages = npages,
					.writer = writer_base + i };
		w[i].seed = o->seed + seedmix + 0x9e3779b97f4a7c15ull *
			    (uint64_t)i;
		if (ring) {
			w[i].ring = ring;
			w[i].rb = &ring->buf[(writer_base ? o->threads : 0) +
					     i];
		}
		w[i].pat = pattern_new(o->pattern, npages, w[i].seed, err,
				       sizeof(err));
		if (!w[i].pat) {
			prog_errf("--pattern: %s", err);
			return -EINVAL;
		}
		w[i].seen = calloc(words, sizeof(uint64_t));
		w[i].written = calloc(words, sizeof(uint64_t));
		if (lat_sum)
			w[i].lat = calloc(1, sizeof(struct lat));
		if (!w[i].seen || !w[i].written || (lat_sum && !w[i].lat)) {
			prog_errf("%s", strerror(ENOMEM));
			return -ENOMEM;
		}
	}
	if (!total && o->seconds <= 0)
		total = default_ops(w[0].pat, npages);
	if (memcg && memcg_begin(writer_base != 0) < 0)
		return -EIO;
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
	/* One thread runs on the main thread, unless the main thread
	 * watches it for the progress line. */
	if (o->threads == 1 && !progress) {
		worker_main(&w[0]);
	} else {
		for (; started < o->threads; started++) {
			rc = pthread_create(&w[started].tid, NULL, worker_main,
					    &w[started]);
			if (rc)
				break;
		}
		if (!rc && progress)
			progress_loop(o, w, t0, total);
		for (int j = 0; j < started; j++)
			pthread_join(w[j].tid, NULL);
		if (rc) {
			prog_errf("threads: %s", strerror(rc));
			return -rc;
		}
	}
	if (memcg && !writer_base)
		memcg_end(res, o->memcg_pages);
	/* The end is the last worker's, not when this thread noticed. */
	t_end = t0;
	for (int i = 0; i < o->threads; i++)
		if (w[i].t_end > t_end)
			t_end = w[i].t_end;
	res->elapsed_s = t_end - t0;
	getrusage(RUSAGE_SELF, &r1);
	res->minflt = (uint64_t)(r1.ru_minflt - r0.ru_minflt);
	res->majflt = (uint64_t)(r1.ru_majflt - r0.ru_majflt);
	res->nthreads = o->threads;
	for (int i = 0; i < o->threads; i++) {
		res->touches += w[i].touches;
		res->writes += w[i].writes;
		res->thread[i].touches = w[i].touches;
		res->thread[i].minflt = w[i].minflt;
		res->thread[i].majflt = w[i].majflt;
		if (lat_sum)
			lat_add(lat_sum, w[i].lat);
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

static void workers_free(struct worker *w, int n)
{
	for (int i = 0; i < n; i++) {
		pattern_free(w[i].pat);
		free(w[i].seen);
		free(w[i].written);
		free(w[i].lat);
		w[i].lat = NULL;
		w[i].pat = NULL;
		w[i].seen = w[i].written = NULL;
	}
}

/* ---- output ------------------------------------------------------------ */

/* What one run found: the parent's figures and, with --fork, the child's. */
struct outcome {
	struct result res, cres;
	uint64_t seen_by_parent;
};

/* --memcg's figures: the limit as pages of page cache and as set, the
 * cgroup's file LRU (its page cache) as sampled, the workload's own memory
 * charged there, and the workingset counters memory.stat has. */
static void print_memcg(const struct result *r, bool json)
{
	const struct memcg_summary *m = &r->mc;
	struct {
		const char *name;
		double v;
		int prec;
		bool have;
	} f[] = {
		{ "memcg_limit_pages", (double)r->memcg_pages, 0, true },
		{ "memcg_limit_bytes", (double)m->limit_bytes, 0, true },
		{ "memcg_cache_pages", m->file_pages_avg, 1, true },
		{ "memcg_cache_pages_max", (double)m->file_pages_max, 0, true },
		{ "memcg_cache_pages_full", m->full_pages_avg, 1,
		  m->full_samples > 0 },
		{ "memcg_active_pages", m->active_pages_avg, 1, true },
		{ "memcg_mapped_pages", m->mapped_pages_avg, 1, true },
		{ "memcg_own_pages_max", (double)m->other_pages_max, 0, true },
		{ "memcg_samples", (double)m->samples, 0, true },
		{ "memcg_pgmajfault", (double)m->pgmajfault, 0, true },
		{ "workingset_refault_file", (double)m->refault_file, 0,
		  m->has_refault },
		{ "workingset_activate_file", (double)m->activate_file, 0,
		  m->has_activate },
		{ "workingset_restore_file", (double)m->restore_file, 0,
		  m->has_restore },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!f[i].have)
			continue;
		if (json)
			printf(", \"%s\": %.*f", f[i].name, f[i].prec, f[i].v);
		else
			printf("%-22s %.*f\n", f[i].name, f[i].prec, f[i].v);
	}
}

static void print_result(const char *who, const struct result *r, bool json)
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
		if (r->memcg_pages)
			print_memcg(r, true);
		printf("}");
		return;
	}
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
	if (r->memcg_pages)
		print_memcg(r, false);
}

/* The smallest bucket bound that p of the touches of kind (-1: all) stay
 * within, at most the largest seen. */
static uint64_t lat_pct(const struct lat *l, int kind, double p,
			uint64_t total, uint64_t max_ns)
{
	uint64_t want = (uint64_t)(p * (double)total + 0.999999), seen = 0;
	uint64_t lo, hi;

	if (!want)
		want = 1;
	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		for (int k = 0; k < LAT_KINDS; k++)
			if (kind < 0 || k == kind)
				seen += l->n[k][b];
		if (seen >= want) {
			lat_range(b, &lo, &hi);
			return hi < max_ns ? hi : max_ns;
		}
	}
	return max_ns;
}

/* Percentiles per kind and the log2 histogram, one column per kind: the
 * kinds of access the kit is about show as separate modes. */
static void print_latency(const struct lat *l, bool json, const char *key)
{
	static const char *const name[] = { "all", "no_fault", "minor_fault",
					    "major_fault" };
	static const double pct[] = { 0.5, 0.9, 0.99 };
	uint64_t row[LAT_KINDS][64] = { { 0 } };
	int first = 64, last = -1;

	if (json)
		printf(", \"%s\": {", key);
	for (int k = -1; k < LAT_KINDS; k++) {
		uint64_t total = 0, max_ns = 0;

		for (int j = 0; j < LAT_KINDS; j++) {
			if (k >= 0 && j != k)
				continue;
			for (unsigned b = 0; b < LAT_BUCKETS; b++)
				total += l->n[j][b];
			if (l->max_ns[j] > max_ns)
				max_ns = l->max_ns[j];
		}
		if (!total && k >= 0)
			continue;
		if (json)
			printf("%s\"%s\": {\"touches\": %llu", k >= 0 ? ", " : "",
			       name[k + 1], (unsigned long long)total);
		else
			printf("latency_%-14s touches %llu", name[k + 1],
			       (unsigned long long)total);
		for (size_t i = 0; total && i < sizeof(pct) / sizeof(pct[0]);
		     i++)
			printf(json ? ", \"p%.0f_ns\": %llu" : " p%.0f %llu",
			       pct[i] * 100, (unsigned long long)
			       lat_pct(l, k, pct[i], total, max_ns));
		printf(json ? ", \"max_ns\": %llu}" : " max %llu\n",
		       (unsigned long long)max_ns);
	}
	/* log2 rows: [2^e, 2^(e+1)) ns */
	for (int k = 0; k < LAT_KINDS; k++)
		for (unsigned b = 0; b < LAT_BUCKETS; b++) {
			uint64_t lo, hi;
			int e;

			if (!l->n[k][b])
				continue;
			lat_range(b, &lo, &hi);
			e = lo ? 63 - __builtin_clzll(lo) : 0;
			row[k][e] += l->n[k][b];
			first = e < first ? e : first;
			last = e > last ? e : last;
		}
	if (json)
		printf(", \"histogram\": [");
	else
		printf("%-32s %12s %12s %12s\n", "# latency_hist from..to ns",
		       "no_fault", "minor_fault", "major_fault");
	for (int e = first; e <= last; e++) {
		uint64_t lo = e ? 1ull << e : 0, hi = (2ull << e) - 1;
		char range[48];

		if (json) {
			printf("%s{\"from_ns\": %llu, \"to_ns\": %llu, "
			       "\"no_fault\": %llu, \"minor_fault\": %llu, "
			       "\"major_fault\": %llu}", e > first ? ", " : "",
			       (unsigned long long)lo, (unsigned long long)hi,
			       (unsigned long long)row[0][e],
			       (unsigned long long)row[1][e],
			       (unsigned long long)row[2][e]);
			continue;
		}
		snprintf(range, sizeof(range), "%llu..%llu",
			 (unsigned long long)lo, (unsigned long long)hi);
		printf("latency_hist %-19s %12llu %12llu %12llu\n", range,
		       (unsigned long long)row[0][e],
		       (unsigned long long)row[1][e],
		       (unsigned long long)row[2][e]);
	}
	if (json)
		printf("]}");
}

static void print_head(const struct opts *o, uint64_t npages)
{
	if (o->json) {
		printf("{\"file\": ");
		json_str(stdout, o->file);
		printf(", \"pattern\": ");
		json_str(stdout, o->pattern);
		printf(", \"pages\": %llu, \"map\": \"%s\", \"seed\": %llu, "
		       "\"write_ratio\": %g, \"nthreads\": %d",
		       (unsigned long long)npages,
		       o->shared ? "shared" : "private",
		       (unsigned long long)o->seed, o->write_ratio, o->threads);
		return;
	}
	printf("%-22s %s\n", "file", o->file);
	printf("%-22s %s\n", "pattern", o->pattern);
	printf("%-22s %llu\n", "pages", (unsigned long long)npages);
	printf("%-22s %s\n", "map", o->shared ? "shared" : "private");
	printf("%-22s %llu\n", "seed", (unsigned long long)o->seed);
}

static void print_report(const struct opts *o, uint64_t npages,
			 const struct outcome *out, const struct lat *lat)
{
	print_head(o, npages);
	if (o->json) {
		printf(", \"result\": ");
		print_result("", &out->res, true);
		if (lat)
			print_latency(&lat[0], true, "latency");
		if (o->fork) {
			printf(", \"child\": ");
			print_result("", &out->cres, true);
			printf(", \"child_writes_seen_by_parent\": %llu",
			       (unsigned long long)out->seen_by_parent);
			if (lat)
				print_latency(&lat[1], true, "child_latency");
		}
		printf("}\n");
	} else {
		print_result("parent", &out->res, false);
		if (lat)
			print_latency(&lat[0], false, NULL);
		if (o->fork) {
			printf("%s %llu of %llu\n",
			       "child_writes_seen_by_parent",
			       (unsigned long long)out->seen_by_parent,
			       (unsigned long long)out->cres.pages_written);
			printf("# the child (forked after mmap)\n");
			print_result("child", &out->cres, false);
			if (lat)
				print_latency(&lat[1], false, NULL);
		}
	}
	fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* --repeat: min, median (the lower middle one for an even count, so a
 * count stays a count) and max of each figure over the runs, as perf stat
 * -r and fio summarize noisy machines. */
static void print_repeat(const struct opts *o, uint64_t npages,
			 const struct outcome *runs, unsigned n,
			 const struct lat *lat)
{
	static const struct {
		const char *name;
		int prec;		/* digits after the point */
	} f[] = {
		{ "elapsed_s", 6 }, { "touches", 0 }, { "writes", 0 },
		{ "distinct_pages", 0 }, { "pages_written", 0 },
		{ "minflt", 0 }, { "majflt", 0 }, { "touches_per_s", 0 },
		{ "msync_ms", 3 }, { "munmap_ms", 3 },
		{ "memcg_cache_pages", 1 }, { "workingset_refault_file", 0 },
	};
	double v[MAX_REPEAT];

	print_head(o, npages);
	if (o->json)
		printf(", \"repeat\": %u, \"result\": {", n);
	else
		printf("%-22s %u\n# %-20s min median max\n", "repeat", n,
		       "over the runs:");
	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		bool have = true;

		for (unsigned i = 0; i < n; i++) {
			const struct result *r = &runs[i].res;
			double x[] = {
				r->elapsed_s, (double)r->touches,
				(double)r->writes, (double)r->distinct,
				(double)r->pages_written, (double)r->minflt,
				(double)r->majflt,
				r->elapsed_s > 0 ? (double)r->touches /
						   r->elapsed_s : 0,
				r->msync_ms, r->munmap_ms,
				r->memcg_pages ? r->mc.file_pages_avg : -1,
				r->memcg_pages && r->mc.has_refault ?
				(double)r->mc.refault_file : -1,
			};

			v[i] = x[k];
			have &= v[i] >= 0;
		}
		if (!have)		/* msync_ms without writes */
			continue;
		qsort(v, n, sizeof(v[0]), cmp_double);
		if (o->json) {
			printf("%s\"%s\": {\"min\": %.*f, \"median\": %.*f, "
			       "\"max\": %.*f}", k ? ", " : "", f[k].name,
			       f[k].prec, v[0], f[k].prec, v[(n - 1) / 2],
			       f[k].prec, v[n - 1]);
		} else {
			printf("%-22s %.*f %.*f %.*f\n", f[k].name,
			       f[k].prec, v[0], f[k].prec, v[(n - 1) / 2],
			       f[k].prec, v[n - 1]);
		}
	}
	if (o->json)
		printf("}");
	if (lat)			/* every run's touches together */
		print_latency(lat, o->json, "latency");
	if (o->json) {
		printf(", \"runs\": [");
		for (unsigned i = 0; i < n; i++) {
			printf("%s", i ? ", " : "");
			print_result("", &runs[i].res, true);
		}
		printf("]}\n");
	}
}

/* ---- the file ---------------------------------------------------------- */

static bool is_trace_pattern(const char *pattern)
{
	return strncmp(pattern, "trace:", 6) == 0;
}

/* The run stores into the file itself: stores through MAP_SHARED (a
 * trace: pattern stores where its references say w). */
static bool stores_to_file(const struct opts *o)
{
	return o->shared && (o->write_ratio > 0 ||
			     is_trace_pattern(o->pattern));
}

/* Opens the file; its page count in *npages.  With --create, a file that
 * does not exist is made (O_EXCL: it is then this run's own) and sized.
 * A file that existed is changed only with --overwrite: otherwise a run
 * that would store into it or extend it is refused (exit 2) before
 * anything is written. */
static int open_file(const struct opts *o, uint64_t *npages)
{
	bool store = stores_to_file(o), created = false;
	struct stat st;
	int fd = -1;

	if (o->create_bytes) {
		fd = open(o->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			  0644);
		if (fd >= 0)
			created = true;
		else if (errno != EEXIST)
			prog_fail(o->file, strerror(errno));
	}
	if (!created) {
		bool rw = o->overwrite && (store || o->create_bytes);

		fd = open(o->file, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		if (fd < 0)
			prog_fail(o->file, strerror(errno));
	}
	if (fstat(fd, &st) < 0)
		prog_fail(o->file, strerror(errno));
	if (!S_ISREG(st.st_mode))
		prog_fail(o->file, "not a regular file");
	if (!created && !o->overwrite) {
		char why[4200];

		if (store) {
			snprintf(why, sizeof(why), "%s exists and mmload did "
				 "not create it: --overwrite to store into it",
				 o->file);
			if (o->write_ratio > 0)
				prog_opt_fail("--write", o->write_arg, why);
			prog_opt_fail("--pattern", o->pattern, why);
		}
		if (o->create_bytes > (uint64_t)st.st_size) {
			snprintf(why, sizeof(why), "%s exists with %llu bytes "
				 "and mmload did not create it: --overwrite "
				 "to extend it", o->file,
				 (unsigned long long)st.st_size);
			prog_opt_fail("--create", o->create_arg, why);
		}
	}
	if (o->create_bytes > (uint64_t)st.st_size) {
		if (ftruncate(fd, (off_t)o->create_bytes) < 0) {
			prog_errf("%s: extending to %llu bytes: %s", o->file,
				  (unsigned long long)o->create_bytes,
				  strerror(errno));
			exit(1);
		}
		st.st_size = (off_t)o->create_bytes;
	}
	*npages = ((uint64_t)st.st_size + PS - 1) / PS;
	return fd;
}

/* ---- one run ----------------------------------------------------------- */

static void hold(const struct opts *o)
{
	if (o->hold_s <= 0)
		return;
	fprintf(stderr, PROG ": pid %d holds its mapping for %g s\n",
		(int)getpid(), o->hold_s);
	sleep_sec(o->hold_s);
}

static bool read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

/* Faults on mmload's own code and libraries are not the file's.  A page
 * of them that no process had mapped may have been dropped from the page
 * cache (cold unmapped file pages go first; some machines page them out
 * proactively, e.g. DAMON's pageout scheme), and would fault, major, the
 * first time a run executes it: one fault too many in a count that must
 * be the file's.  So before a run every file-backed mapping of the
 * process is populated; a mapped page is not dropped that way.  Best
 * effort: a kernel without MADV_POPULATE_READ (before 5.14) skips it. */
static void own_pages_in(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perm[5];
		int at = 0;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &lo, &hi, perm,
			   &at) < 3 || !at || line[at] != '/' ||
		    perm[0] != 'r')
			continue;
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
	}
	fclose(f);
}
/* Maps the file and runs the workload once (parent and --fork child),
 * with --trace-out's tracer if tr is given.  With --hold the results are
 * printed (*reported) before the pause, so they can be read beside
 * mapview PID; munmap_ms is then not reported.  Returns the exit status. */
static int run_once(const struct opts *o, int fd, uint64_t npages,
		    struct tracer *tr, struct outcome *out, struct lat *lat,
		    bool *reported)
{
	struct worker w[MAX_THREADS], cw[MAX_THREADS];
	size_t len = npages * PS;
	int prot = PROT_READ, status = 0, pfd[2] = { -1, -1 }, rc;
	struct recring *ring = tr ? tr->ring : NULL;
	unsigned char *base;
	pid_t child = 0;
	double epoch;

	memset(w, 0, sizeof(w));
	memset(cw, 0, sizeof(cw));
	*out = (struct outcome){ .res = { .msync_ms = -1, .munmap_ms = -1 },
				 .cres = { .msync_ms = -1, .munmap_ms = -1 } };
	if (o->write_ratio > 0 || is_trace_pattern(o->pattern))
		prot |= PROT_WRITE;
	if (memcg && memcg_drop(o, fd, npages) < 0) {
		if (tr)
			tracer_finish(tr, true);
		return 1;
	}
	own_pages_in();
	base = mmap(NULL, len, prot, o->shared ? MAP_SHARED : MAP_PRIVATE, fd,
		    0);
	if (base == MAP_FAILED) {
		prog_errf("mmap %s: %s", o->file, strerror(errno));
		if (tr)
			tracer_finish(tr, true);
		return 1;
	}
	if (o->madvise >= 0 && madvise(base, len, o->madvise) < 0) {
		prog_errf("madvise %s: %s", o->madvise_name, strerror(errno));
		status = 1;
		goto out;
	}

	/* The child runs the same workload with seeds of its own, records
	 * into its own rings, and sends its result back through a pipe
	 * before it holds. */
	epoch = now_sec(CLOCK_MONOTONIC);
	if (o->fork) {
		if (pipe2(pfd, O_CLOEXEC) < 0) {
			prog_errf("--fork: pipe: %s", strerror(errno));
			status = 1;
			goto out;
		}
		fflush(stdout);
		child = fork();
		if (child < 0) {
			prog_errf("--fork: %s", strerror(errno));
			child = 0;
			status = 1;
			goto out;
		}
		if (child == 0) {
			/* A child whose parent is gone would wait for
			 * its writer for ever: it goes with the parent. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
			close(pfd[0]);
			if (run_workers(o, base, npages, CHILD_WRITER, epoch,
					ring, cw, &out->cres,
					lat ? &lat[1] : NULL) < 0)
				_exit(1);
			if (write(pfd[1], &out->cres, sizeof(out->cres)) !=
			    (ssize_t)sizeof(out->cres) ||
			    (lat && write(pfd[1], &lat[1], sizeof(lat[1])) !=
			     (ssize_t)sizeof(lat[1])))
				_exit(1);
			close(pfd[1]);
			hold(o);
			_exit(0);
		}
		close(pfd[1]);
		pfd[1] = -1;
		memcg_set_child(child);
	}
	if (tr)
		tr->child_fd = pfd[0];
	if (tr && (rc = tracer_start(tr)) < 0) {
		prog_errf("--trace-out: %s", strerror(-rc));
		status = 1;
		goto out;
	}

	if (run_workers(o, base, npages, 0, epoch, ring, w, &out->res,
			lat) < 0) {
		status = 1;
		goto out;
	}
	if (child > 0) {
		if (!read_full(pfd[0], &out->cres, sizeof(out->cres)) ||
		    (lat && !read_full(pfd[0], &lat[1], sizeof(lat[1])))) {
			prog_errf("--fork: the child failed");
			status = 1;
			goto out;
		}
		/* Which of the child's writes does the parent see? */
		for (uint64_t pg = 0; pg < npages; pg++)
			for (int i = 0; i < o->threads; i++)
				if (base[pg * PS + CHILD_WRITER + i] ==
				    (0x80 | (CHILD_WRITER + i))) {
					out->seen_by_parent++;
					break;
				}
	}
	if (tr) {
		rc = tracer_finish(tr, false);
		tr = NULL;
		if (rc < 0) {
			prog_errf("--trace-out: %s: %s", o->trace_out,
				  strerror(-rc));
			status = 1;
		}
	}

	/* What making the writes durable costs. */
	if (o->shared && (out->res.writes || out->cres.writes)) {
		double t = now_sec(CLOCK_MONOTONIC);

		if (msync(base, len, MS_SYNC) < 0) {
			prog_errf("msync: %s", strerror(errno));
			status = 1;
		}
		out->res.msync_ms = (now_sec(CLOCK_MONOTONIC) - t) * 1e3;
	}
	if (o->hold_s > 0 && status == 0) {
		print_report(o, npages, out, lat);
		*reported = true;
		hold(o);
	}
	if (child > 0) {
		int st;

		if (waitpid(child, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			prog_errf("--fork: the child failed");
			status = 1;
		}
		child = 0;
		memcg_set_child(0);
	}
	{
		double t = now_sec(CLOCK_MONOTONIC);

		munmap(base, len);
		if (!*reported)
			out->res.munmap_ms = (now_sec(CLOCK_MONOTONIC) - t) *
					     1e3;
		base = NULL;
	}
out:
	if (tr)
		tracer_finish(tr, true);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		memcg_set_child(0);
	}
	if (base)
		munmap(base, len);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	workers_free(w, o->threads);
	return status;
}

/* ---- main -------------------------------------------------------------- */

/* --check: what a run would refuse at its start, without the run (compare
 * checks its workloads this way before it mounts anything). */
static int check_only(const struct opts *o)
{
	uint64_t npages = o->pages;
	struct pattern *p;
	char err[512];

	if (!npages && o->create_bytes)
		npages = (o->create_bytes + PS - 1) / PS;
	if (!npages) {
		struct stat st;

		if (stat(o->file, &st) < 0)
			prog_fail(o->file, strerror(errno));
		npages = ((uint64_t)st.st_size + PS - 1) / PS;
		if (!npages)
			prog_fail(o->file, "empty file (--create SIZE makes a "
				  "file of SIZE)");
	}
	p = pattern_new(o->pattern, npages, o->seed, err, sizeof(err));
	if (!p)
		prog_usage_fail("--pattern", err);
	pattern_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	struct outcome one, *runs = &one;
	struct opts o;
	struct tracer tracer, *tr = NULL;
	struct lat *lat = NULL;		/* [0] parent's, [1] the child's */
	uint64_t file_pages, npages;
	bool reported = false;
	int fd, status = 0;

	parse_opts(argc, argv, &o);
	if (o.check)
		return check_only(&o);
	fd = open_file(&o, &file_pages);
	npages = o.pages ? o.pages : file_pages;
	if (npages == 0)
		prog_fail(o.file, "empty file (--create SIZE makes a "
			  "file of SIZE)");
	if (npages > file_pages) {
		char v[32], why[4200];

		snprintf(v, sizeof(v), "%llu", (unsigned long long)npages);
		snprintf(why, sizeof(why), "%s has %llu pages (--create "
			 "makes a larger file)", o.file,
			 (unsigned long long)file_pages);
		prog_opt_fail("--pages", v, why);
	}
	{
		char err[512];
		struct pattern *p = pattern_new(o.pattern, npages,
						o.seed, err, sizeof(err));

		if (!p)
			prog_usage_fail("--pattern", err);
		pattern_free(p);
	}
	if (o.memcg_pages)
		memcg_setup(&o, fd, npages);
	/* The trace is opened before the first touch: a path that cannot be
	 * written is refused now, not after the run. */
	if (o.trace_out) {
		int rc = tracer_open(&tracer, &o, npages);

		if (rc < 0) {
			tracer_finish(&tracer, true);
			prog_errf("--trace-out: %s: %s", o.trace_out,
				  strerror(-rc));
			return 1;
		}
		tr = &tracer;
		memcg_tracer = tr;
	}
	if (o.repeat > 1) {
		runs = calloc(o.repeat, sizeof(*runs));
		if (!runs)
			prog_fail("--repeat", strerror(ENOMEM));
	}
	if (o.latency) {
		lat = calloc(2, sizeof(*lat));
		if (!lat)
			prog_fail("--latency", strerror(ENOMEM));
	}
	for (unsigned i = 0; i < o.repeat && !status; i++)
		status = run_once(&o, fd, npages, tr, &runs[i], lat,
				  &reported);
	close(fd);
	if (memcg) {
		char dir[2200];
		int rc;

		snprintf(dir, sizeof(dir), "%s", memcg_path(memcg));
		rc = memcg_close(memcg);
		memcg = NULL;
		if (rc < 0) {
			prog_errf("--memcg: rmdir %s: %s", dir, strerror(-rc));
			status = 1;
		}
	}
	if (!status && !reported) {
		if (o.repeat > 1)
			print_repeat(&o, npages, runs, o.repeat, lat);
		else
			print_report(&o, npages, &one, lat);
	}
	if (runs != &one)
		free(runs);
	free(lat);
	return status;
}
