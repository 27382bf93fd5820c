/* framesim.c - replay reference strings and traces through the cache core's
 * policies.
 *
 * The simulator links the same cache/ library as the filesystem, in
 * metadata-only mode: the index, the frame states and the policy code that
 * decide a run here are the ones that decide it on a mount.  Each access is
 * one cache_sim_access() call: a hit, or a miss that evicts the policy's
 * victim when no frame is free.
 *
 * A trace is loaded once into memory, compactly: each distinct (file, pgno)
 * gets a dense page id in order of first reference (an open-addressing hash
 * map during the load, dropped after it), and each reference is a uint32_t,
 * the page id with the write flag in the top bit.  The runs (policies x
 * sizes) then only read that array, so -j N runs them on N threads, each
 * with its own cache, and prints the same results as a serial run: results
 * go into a slot per run and are printed in order when all are done.
 *
 * Belady's OPT (POLICY_NEEDS_FUTURE) needs, before each access, the position
 * of the next reference to the same page.  future_next_use() (sim/future.h)
 * computes it for the whole trace in one backward pass over the ids, only
 * when such a policy is asked for; OPT's tests take theirs from it too.
 *
 * Dirty pages are the simulator's own bookkeeping, a byte per frame number:
 * a write sets it, a page new to the frame sets it to its own write flag,
 * and an eviction of a frame with it set is a write-back.  The core's dirty
 * state is not used: dirty frames are not evictable there (they wait for
 * the flusher), which would change the policy's choices.
 *
 * --plot draws the table just printed, miss ratio against frames with a
 * line per policy or curve (OPT's dashed), through gnuplot (common/plot.h):
 * the points go to a temporary file the script names, removed afterwards.
 * What can be checked before the simulation is (the file's directory, one
 * trace, gnuplot on PATH), since a large trace can take minutes.
 *
 * Limits: at most 2^32 - 2 references and 2^31 - 1 distinct pages per
 * trace (the ids share 32 bits with the write flag, as sim/mrc.h expects).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cache_sim.h"
#include "clock.h"
#include "future.h"
#include "json.h"
#include "keyhash.h"
#include "policy.h"
#include "mrc.h"
#include "parse.h"
#include "plot.h"
#include "trace.h"

#define PROG "framesim"
#include "prog.h"
#include "size.h"

#define ID_MASK		0x7fffffffu	/* a reference's page id */
#define ID_WRITE	0x80000000u	/* ... and its write flag */
#define NO_ID		UINT32_MAX	/* an empty slot of the page map */
#define MAX_REFS	(UINT32_MAX - 1)
#define MAX_FRAMES	(1u << 30)
#define MAX_THREADS	256
#define PROGRESS_STEP	(1u << 16)	/* references between progress ticks */
#define LOAD_BATCH	64		/* references looked up together */

/* A trace in memory. */
struct trace_mem {
	const char *name;
	uint32_t *ref;			/* [nrefs]: id | ID_WRITE */
	size_t nrefs, cap;
	uint32_t npages;		/* ids are 0 .. npages-1 */
	struct page_key {
		uint64_t file, pgno;
	} *key;				/* [npages]: each id's page */
	uint32_t keycap;
	uint32_t *next;			/* [nrefs] or NULL: next use of the
					 * same page, FUTURE_NEVER if none */
	uint64_t nwrites;
	double load_s;
};

/* One policy at one size on one trace. */
struct run {
	const char *spec;		/* "name[:key=value,...]" */
	bool future;			/* POLICY_NEEDS_FUTURE */
	uint32_t nframes;
	uint64_t requests, misses;	/* after the warm-up */
	uint64_t evictions, dirty_evictions;
	double secs;
	int rc;				/* 0, or the negative errno */
	bool curve;			/* a point of --mrc: no write-backs
					 * counted */
};

struct options {
	char **specs;			/* policy specs */
	int nspecs;
	bool any_future;
	double *sizes;			/* --frames counts or --frac shares */
	int nsizes;
	bool frac;
	const char *format;
	uint64_t max_record;		/* --max-record, bytes */
	char max_record_name[48];	/* "--max-record 1G", for errors */
	uint64_t warmup;
	bool step, json, csv;
	int threads;
	const char *mrc;		/* --mrc lru|opt, or NULL */
	double shards;			/* --shards rate; 1: exact */
	bool sizes_given;		/* --frames or --frac given */
	const char *plot;		/* --plot FILE, or NULL */
	const char *refs;		/* --refs REFS, or NULL */
};

/* Progress on stderr, only when it is a terminal. */
struct progress {
	bool on;
	const char *name;
	uint64_t total;			/* references to simulate */
	uint64_t done;			/* atomic */
	unsigned shown;			/* atomic: last percentage shown */
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [OPTIONS] TRACE...        (- is standard input)\n"
"       " PROG " [OPTIONS] --refs REFS\n"
"       " PROG " --list\n"
"\n"
"Replays page references through the cache core's eviction policies and\n"
"counts misses (page faults), evictions and write-backs per policy and size.\n"
"\n"
"  -p, --policy LIST   comma-separated policy specs, each name[:key=value,...]\n"
"                      (default fifo,lru,clock; see --list), e.g.\n"
"                      fifo,lru,s3fifo:small=0.2,threshold=2,opt\n"
"  -n, --frames LIST   comma-separated frame counts (default with --refs: 3)\n"
"      --frac LIST     sizes as shares of the trace's distinct pages, each\n"
"                      above 0 and at most 1 (default for traces:\n"
"                      0.001,0.01,0.1)\n"
"  -F, --format FMT    auto, framefs, mmload, csv:COLS, msr or oraclegeneral\n"
"                      (default auto; zstd-compressed input is read\n"
"                      directly, from a pipe too; doc/trace-format.md)\n"
"      --warmup N      the first N references fill the cache uncounted\n"
"      --max-record SIZE   the largest byte range one trace record may\n"
"                      cover (default 1G; K, M, G; at most 16384G): a\n"
"                      larger one is an error naming its line, since each\n"
"                      4 KiB of it is a reference\n"
"  -j, --jobs N        run the policies x sizes on N threads (same results)\n"
"      --json          one JSON array, one run per line\n"
"      --csv           CSV with a header line\n"
"      --mrc lru|opt   the miss-ratio curve in one pass (Mattson's stack\n"
"                      algorithm, exact) at the sizes given, or at 100 sizes\n"
"                      from 1 page to all of them; with --policy too, the\n"
"                      policies are simulated as well\n"
"      --shards RATE   with --mrc lru: SHARDS sampling of RATE of the pages\n"
"                      (e.g. 0.01), for traces too big for the exact curve\n"
"      --plot FILE     also draw the table as a PNG picture: miss ratio\n"
"                      against frames, a line per policy or --mrc curve (OPT\n"
"                      dashed); one trace (or --refs) per picture; needs\n"
"                      gnuplot\n"
"  -r, --refs REFS     a reference string instead of traces: page numbers\n"
"                      separated by commas or spaces\n"
"      --step          show the frames after each reference: which page each\n"
"                      frame holds, hit or fault, the page evicted, and the\n"
"                      policy's own state (queue order, hand, reference bits)\n"
"  -l, --list          list the policies and their parameters\n"
"  -h, --help          this help\n"
"  -V, --version       print the version\n"
"\n"
"examples:\n"
"  " PROG " --policy fifo --frames 3,4 --refs 1,2,3,4,1,2,5,1,2,3,4,5\n"
"      Belady's anomaly: FIFO takes 9 faults with 3 frames, 10 with 4\n"
"  " PROG " --step --policy clock --frames 3 --refs '7 0 1 2 0 3 0 4'\n"
"  " PROG " --policy lru,clock,opt --frames 1000,10000 run.trace.zst\n"
"      replay a trace (framefs -o trace=, mmload) at two sizes\n"
"  " PROG " --frac 0.01,0.1 --warmup 1000000 -j 2 --csv hm_0.csv\n"
"      an MSR Cambridge volume at 1%% and 10%% of its pages, on 2 threads\n"
"  zstd -c run.trace | " PROG " --frames 64 -\n"
"      a compressed trace from a pipe\n"
"  " PROG " --mrc lru --csv run.trace > mrc.csv\n"
"      LRU's miss ratio at 100 sizes, from one pass\n"
"  " PROG " --mrc opt -p lru,clock,arc --plot mrc.png run.trace\n"
"      OPT's curve and three policies at the default sizes, as a picture\n"
"  " PROG " -p fifo -n 1,2,3,4,5,6 --plot belady.png \\\n"
"          --refs 1,2,3,4,1,2,5,1,2,3,4,5\n"
"      Belady's anomaly drawn: FIFO's curve rises from 3 frames to 4\n"
"\n"
"Output: per trace, its references and distinct pages, then a table of\n"
"policy, frames, requests, misses, miss ratio, evictions and dirty evictions\n"
"(write-backs), all counted after the warm-up, and the time taken.  With\n"
"--refs the table is the textbook one: requests, faults, ratio, evictions.\n"
"\n"
"Refused, with one line and exit status 2: an unknown option or policy, a\n"
"missing value, a number out of its range (NaN and inf included), options\n"
"that exclude each other.  Exit status 1, the trace named (FILE:LINE for a\n"
"bad line): a trace that cannot be read, a malformed line, a record larger\n"
"than --max-record, a trace with no references, or none left after\n"
"--warmup (no table then: 0/0 is not a miss ratio); the other traces are\n"
"still simulated.  With --plot, exit status 1 when gnuplot is not installed\n"
"(before any simulation) or fails (after the table).  Exit status 0\n"
"otherwise.\n");
}

/* ---- progress --------------------------------------------------------- */

static void progress_start(struct progress *p, const char *name,
			   uint64_t total)
{
	p->on = prog_progress_on() && total > 0; /* unknown size: none */
	p->name = name;
	p->total = total;
	p->done = 0;
	p->shown = 0;
}

/* n more references done; shows the percentage when it moves. */
static void progress_add(struct progress *p, uint64_t n, const char *what)
{
	uint64_t d;
	unsigned pct, old;

	if (!p->on)
		return;
	d = __atomic_add_fetch(&p->done, n, __ATOMIC_RELAXED);
	pct = (unsigned)(d * 100 / p->total);
	old = __atomic_load_n(&p->shown, __ATOMIC_RELAXED);
	if (pct > old && __atomic_compare_exchange_n(&p->shown, &old, pct,
						     false, __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
		prog_progress("%s: %s %u%%", p->name, what, pct);
}

static void progress_end(struct progress *p)
{
	if (p->on)
		prog_progress_end();
}

/* ---- loading ---------------------------------------------------------- */

/* The (file, pgno) -> id map of a load: open addressing with linear
 * probing over 32-bit ids, at most half full; the keys themselves are in
 * tm->key[id].  Ids are given in order of first reference, so the keys of
 * the pages referenced most (and first) sit together in tm->key, and the
 * table is a sixth of the size it would be with the keys in it: on a
 * skewed trace most lookups stay in the CPU's caches. */
struct pagemap {
	uint32_t *slot;			/* ids, NO_ID: empty */
	uint32_t mask;
};

static int pagemap_grow(struct pagemap *m, const struct trace_mem *tm)
{
	uint32_t n = m->slot ? (m->mask + 1) * 2 : 1u << 16;
	uint32_t *s = malloc((size_t)n * sizeof(*s));

	if (!s || n == 0) {
		free(s);
		return -ENOMEM;
	}
	memset(s, 0xff, (size_t)n * sizeof(*s));
	for (uint32_t id = 0; id < tm->npages; id++) {
		uint32_t h = key_hash(tm->key[id].file, tm->key[id].pgno) &
			     (n - 1);

		while (s[h] != NO_ID)
			h = (h + 1) & (n - 1);
		s[h] = id;
	}
	free(m->slot);
	m->slot = s;
	m->mask = n - 1;
	return 0;
}

/* The id of (file, pgno), a new one if the page is new.  Returns the id,
 * or a negative errno. */
static int64_t pagemap_id(struct pagemap *m, struct trace_mem *tm,
			  uint64_t file, uint64_t pgno)
{
	uint32_t h, id;

	if (!m->slot || (uint64_t)tm->npages * 2 >= (uint64_t)m->mask + 1) {
		if (pagemap_grow(m, tm) < 0)
			return -ENOMEM;
	}
	h = key_hash(file, pgno) & m->mask;
	while ((id = m->slot[h]) != NO_ID) {
		if (tm->key[id].pgno == pgno && tm->key[id].file == file)
			return id;
		h = (h + 1) & m->mask;
	}
	if (tm->npages == tm->keycap) {
		size_t cap = tm->keycap ? (size_t)tm->keycap * 2 : 1u << 15;
		struct page_key *nk;

		if (tm->npages >= ID_MASK)
			return -E2BIG;
		if (cap > ID_MASK)
			cap = ID_MASK;
		nk = realloc(tm->key, cap * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		tm->key = nk;
		tm->keycap = (uint32_t)cap;
	}
	tm->key[tm->npages] = (struct page_key){ file, pgno };
	m->slot[h] = tm->npages;
	return tm->npages++;
}

static int push_ref(struct trace_mem *tm, uint32_t v)
{
	if (tm->nrefs == tm->cap) {
		size_t cap = tm->cap ? tm->cap * 2 : 1u << 16;
		uint32_t *nv;

		if (tm->nrefs >= MAX_REFS)
			return -E2BIG;
		nv = realloc(tm->ref, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		tm->ref = nv;
		tm->cap = cap;
	}
	tm->ref[tm->nrefs++] = v;
	return 0;
}

/* One reference into tm.  Returns 0 or a negative errno. */
static int add_ref(struct trace_mem *tm, struct pagemap *m, uint64_t file,
		   uint64_t pgno, bool write)
{
	int64_t id = pagemap_id(m, tm, file, pgno);

	if (id < 0)
		return (int)id;
	tm->nwrites += write;
	return push_ref(tm, (uint32_t)id | (write ? ID_WRITE : 0));
}

/* n references into tm.  The table slots of the whole batch are
 * prefetched first, then the keys they point to, so that the cache misses
 * of a batch overlap instead of coming one after the other (a page map
 * larger than the CPU's caches costs a miss or two per reference).
 * Returns 0 or a negative errno. */
static int add_batch(struct trace_mem *tm, struct pagemap *m,
		     const struct trace_ref *b, int n)
{
	uint32_t h[LOAD_BATCH];

	if (m->slot) {
		for (int i = 0; i < n; i++) {
			h[i] = key_hash(b[i].file, b[i].pgno) & m->mask;
			__builtin_prefetch(&m->slot[h[i]]);
		}
		for (int i = 0; i < n; i++) {
			uint32_t id = m->slot[h[i]];

			if (id != NO_ID)
				__builtin_prefetch(&tm->key[id]);
		}
	}
	for (int i = 0; i < n; i++) {
		int rc = add_ref(tm, m, b[i].file, b[i].pgno, b[i].write);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static void trace_mem_free(struct trace_mem *tm)
{
	free(tm->ref);
	free(tm->key);
	free(tm->next);
	memset(tm, 0, sizeof(*tm));
}

static const char *load_error(int rc)
{
	if (rc == -E2BIG)
		return "more than 2^32 - 2 references or 2^31 - 1 distinct "
		       "pages: too large for this simulator";
	return strerror(-rc);
}

/* The loading progress line: the references read so far, and the share
 * of the file when its size is known.  References, not bytes, because one
 * record of a block trace can be many references while the bytes stand
 * still. */
static void load_progress(const struct trace_mem *tm,
			  const struct trace_reader *r)
{
	uint64_t done, total;

	trace_reader_progress(r, &done, &total);
	if (total)
		prog_progress("%s: loading: %.1f M references, %u%% of the "
			      "file", tm->name, tm->nrefs / 1e6,
			      (unsigned)(done * 100 / total));
	else
		prog_progress("%s: loading: %.1f M references", tm->name,
			      tm->nrefs / 1e6);
}

/* Reads a whole trace into tm.  Returns 0, or -1 with a message printed. */
static int load_trace(struct trace_mem *tm, const char *path,
		      const struct options *o)
{
	struct pagemap m = { NULL, 0 };
	struct trace_ref b[LOAD_BATCH];
	struct trace_reader *r;
	char err[600];
	double t0 = now_sec(CLOCK_MONOTONIC);
	bool progress = prog_progress_on();
	size_t tick = 0;
	int rc;

	memset(tm, 0, sizeof(*tm));
	tm->name = path;
	rc = trace_reader_open(path, o->format, &r, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	trace_reader_set_max_record(r, o->max_record, o->max_record_name);
	for (;;) {
		int nb = 0, arc;

		while (nb < LOAD_BATCH && (rc = trace_read(r, &b[nb])) == 1)
			nb++;
		arc = add_batch(tm, &m, b, nb);
		if (arc < 0) {
			fprintf(stderr, PROG ": %s: %s\n", path,
				load_error(arc));
			goto out_fail;
		}
		if (rc != 1)
			break;
		if (progress && tm->nrefs >= tick) {
			load_progress(tm, r);
			tick = tm->nrefs + PROGRESS_STEP;
		}
	}
	if (progress)
		prog_progress_end();
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", trace_reader_error(r));
		goto out_fail;
	}
	trace_reader_close(r);
	free(m.slot);
	tm->load_s = now_sec(CLOCK_MONOTONIC) - t0;
	return 0;

out_fail:
	if (progress)
		prog_progress_end();
	trace_reader_close(r);
	free(m.slot);
	trace_mem_free(tm);
	return -1;
}

/* Parses page numbers separated by commas or blanks into tm (file 0,
 * reads).  Returns 0, or -EINVAL on junk or an empty list. */
static int load_refs(struct trace_mem *tm, const char *s)
{
	struct pagemap m = { NULL, 0 };

	memset(tm, 0, sizeof(*tm));
	tm->name = "refs";
	while (*s) {
		uint64_t x;

		if (*s == ',' || *s == ' ' || *s == '\t' || *s == '\n') {
			s++;
			continue;
		}
		if (!parse_u64(&s, NULL, &x) ||
		    add_ref(tm, &m, 0, x, false) < 0)
			goto bad;
	}
	if (tm->nrefs == 0)
		goto bad;
	free(m.slot);
	return 0;
bad:
	free(m.slot);
	trace_mem_free(tm);
	return -EINVAL;
}

/* next[i]: the position of the next reference to ref[i]'s page.  Returns
 * 0 or -ENOMEM. */
static int compute_next(struct trace_mem *tm)
{
	tm->next = malloc((tm->nrefs + 1) * sizeof(*tm->next));
	if (!tm->next ||
	    future_next_use(tm->ref, tm->nrefs, tm->npages, tm->next) < 0) {
		free(tm->next);
		tm->next = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---- simulating ------------------------------------------------------- */

struct show_ctx {
	uint64_t *slot;		/* page held by each frame, or UINT64_MAX */
};

static void note_frame(void *arg, uint32_t fno, uint64_t ino, uint64_t pgno,
		       enum frame_state s)
{
	struct show_ctx *ctx = arg;

	(void)ino;
	(void)s;
	ctx->slot[fno] = pgno;
}

static void print_step(struct cache *c, uint32_t nframes, uint64_t ref,
		       bool miss, bool evicted, uint64_t victim)
{
	uint64_t *slot = malloc(nframes * sizeof(*slot));
	struct show_ctx ctx = { slot };

	if (!slot)
		return;
	for (uint32_t i = 0; i < nframes; i++)
		slot[i] = UINT64_MAX;
	cache_foreach_frame(c, note_frame, &ctx);
	printf("%6llu  ", (unsigned long long)ref);
	for (uint32_t i = 0; i < nframes; i++) {
		if (slot[i] == UINT64_MAX)
			printf(" %4s", ".");
		else
			printf(" %4llu", (unsigned long long)slot[i]);
	}
	printf("   %-5s", miss ? "fault" : "hit");
	if (evicted)
		printf(" %6llu   ", (unsigned long long)victim);
	else
		printf(" %6s   ", "");
	cache_policy_show(c, stdout);
	putchar('\n');
	free(slot);
}

static void print_step_header(const struct run *r)
{
	printf("%s, %u frames\n%6s  ", r->spec, r->nframes, "ref");
	for (uint32_t i = 0; i < r->nframes; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%u", i);
		printf(" %4s", name);
	}
	printf("   %-5s %6s   %s\n", "", "evicts", "policy state");
}

/* Replays tm through a fresh cache.  Sets r's counters, or r->rc.  The
 * counters are kept in locals and stored at the end: the runs sit side by
 * side in one array, and threads bumping neighbouring fields on every
 * reference would fight over the cache lines (false sharing). */
static void simulate(const struct trace_mem *tm, struct run *r,
		     const struct options *o, struct progress *pg)
{
	struct cache_config cfg = {
		.nframes = r->nframes, .policy = r->spec,
		.metadata_only = true,
	};
	uint64_t requests = 0, misses = 0, evictions = 0, dirty_evictions = 0;
	struct cache_sim_result res;
	unsigned char *dirty = NULL;
	double t0 = now_sec(CLOCK_MONOTONIC);
	struct cache *c;

	c = cache_new(&cfg);
	if (!c) {
		r->rc = -errno;
		goto out;
	}
	dirty = calloc(r->nframes, 1);
	if (!dirty) {
		r->rc = -ENOMEM;
		goto out;
	}
	if (o->step)
		print_step_header(r);
	for (size_t i = 0; i < tm->nrefs; i++) {
		uint32_t v = tm->ref[i], id = v & ID_MASK;
		bool write = v & ID_WRITE, counted = i >= o->warmup;
		int rc;

		/* Two steps of lookahead: the key of a reference 2 x
		 * CACHE_SIM_AHEAD on, then the core's index for the one
		 * CACHE_SIM_AHEAD on (its key is in the CPU cache by now). */
		if (i + 2 * CACHE_SIM_AHEAD < tm->nrefs)
			__builtin_prefetch(&tm->key[tm->ref[i + 2 *
						CACHE_SIM_AHEAD] & ID_MASK]);
		if (i + CACHE_SIM_AHEAD < tm->nrefs) {
			const struct page_key *k =
				&tm->key[tm->ref[i + CACHE_SIM_AHEAD] & ID_MASK];

			cache_sim_prefetch(c, k->file, k->pgno);
		}
		if (r->future)
			cache_set_next_use(c, future_when(tm->next[i]));
		rc = cache_sim_access(c, tm->key[id].file, tm->key[id].pgno,
				      &res);
		if (rc < 0) {
			r->rc = rc;
			goto out;
		}
		if (rc == 2) {
			if (counted) {
				evictions++;
				dirty_evictions += dirty[res.victim_fno];
			}
			dirty[res.victim_fno] = 0;
		}
		if (rc == 0)
			dirty[res.fno] |= write;
		else
			dirty[res.fno] = write;
		if (counted) {
			requests++;
			misses += rc != 0;
		}
		if (o->step)
			print_step(c, r->nframes, tm->key[id].pgno, rc != 0,
				   rc == 2, res.victim_pgno);
		if ((i & (PROGRESS_STEP - 1)) == PROGRESS_STEP - 1)
			progress_add(pg, PROGRESS_STEP, "simulating");
	}
	if (o->step)
		printf("faults: %llu of %llu references\n\n",
		       (unsigned long long)misses,
		       (unsigned long long)requests);
out:
	r->requests = requests;
	r->misses = misses;
	r->evictions = evictions;
	r->dirty_evictions = dirty_evictions;
	r->secs = now_sec(CLOCK_MONOTONIC) - t0;
	free(dirty);
	cache_free(c);
}

struct pool {
	const struct trace_mem *tm;
	struct run *runs;
	int nruns;
	int next;			/* atomic: the next run to take */
	const struct options *o;
	struct progress *pg;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	int k;

	while ((k = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) <
	       p->nruns)
		simulate(p->tm, &p->runs[k], p->o, p->pg);
	return NULL;
}

/* Runs every run, on up to o->threads threads.  Returns 0 or -errno. */
static int run_all(const struct trace_mem *tm, struct run *runs, int nruns,
		   const struct options *o, struct progress *pg)
{
	int nthreads = o->step ? 1 : o->threads;
	pthread_t tid[MAX_THREADS];
	struct pool p = { tm, runs, nruns, 0, o, pg };
	int started = 0, rc = 0;

	if (nthreads > nruns)
		nthreads = nruns;
	if (nthreads <= 1) {
		worker(&p);
		return 0;
	}
	for (; started < nthreads; started++) {
		rc = pthread_create(&tid[started], NULL, worker, &p);
		if (rc) {
			rc = -rc;
			break;
		}
	}
	if (started == 0)
		worker(&p);		/* no thread at all: do it here */
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return started ? 0 : rc;
}

/* ---- output ----------------------------------------------------------- */

static void csv_str(const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static bool json_first = true;

static void print_machine(const struct trace_mem *tm, const struct run *runs,
			  int nruns, const struct options *o)
{
	for (int k = 0; k < nruns; k++) {
		const struct run *r = &runs[k];

		if (r->rc)
			continue;
		if (o->json) {
			printf("%s\n{\"trace\": ", json_first ? "[" : ",");
			json_first = false;
			json_str(stdout, tm->name);
			printf(", \"references\": %zu, \"distinct_pages\": %u, "
			       "\"writes\": %llu, \"policy\": ", tm->nrefs,
			       tm->npages, (unsigned long long)tm->nwrites);
			json_str(stdout, r->spec);
			printf(", \"frames\": %u, \"requests\": %llu, "
			       "\"misses\": %llu, \"miss_ratio\": %.6f, "
			       "\"evictions\": %llu, \"dirty_evictions\": ",
			       r->nframes, (unsigned long long)r->requests,
			       (unsigned long long)r->misses,
			       ratio(r->misses, r->requests),
			       (unsigned long long)r->evictions);
			if (r->curve)
				printf("null");
			else
				printf("%llu",
				       (unsigned long long)r->dirty_evictions);
			printf(", \"seconds\": %.6f}", r->secs);
		} else {
			csv_str(tm->name);
			printf(",%zu,%u,%llu,", tm->nrefs, tm->npages,
			       (unsigned long long)tm->nwrites);
			csv_str(r->spec);
			printf(",%u,%llu,%llu,%.6f,%llu,", r->nframes,
			       (unsigned long long)r->requests,
			       (unsigned long long)r->misses,
			       ratio(r->misses, r->requests),
			       (unsigned long long)r->evictions);
			if (!r->curve)
				printf("%llu",
				       (unsigned long long)r->dirty_evictions);
			printf(",%.6f\n", r->secs);
		}
	}
}

/* The textbook table of --refs (the demo and exercises read it). */
static void print_refs_table(const struct run *runs, int nruns)
{
	printf("%-8s %8s %10s %10s %10s %10s\n", "policy", "frames",
	       "requests", "faults", "ratio", "evictions");
	for (int k = 0; k < nruns; k++) {
		const struct run *r = &runs[k];

		if (r->rc)
			continue;
		printf("%-8s %8u %10llu %10llu %10.4f %10llu\n", r->spec,
		       r->nframes, (unsigned long long)r->requests,
		       (unsigned long long)r->misses,
		       ratio(r->misses, r->requests),
		       (unsigned long long)r->evictions);
	}
}

static void print_trace_table(const struct trace_mem *tm,
			      const struct run *runs, int nruns, double sim_s)
{
	int w = 8;
	uint64_t total = 0;

	for (int k = 0; k < nruns; k++)
		if ((int)strlen(runs[k].spec) > w)
			w = (int)strlen(runs[k].spec);
	printf("%s: %zu references (%llu writes), %u distinct pages\n",
	       tm->name, tm->nrefs, (unsigned long long)tm->nwrites,
	       tm->npages);
	printf("%-*s %10s %12s %12s %10s %12s %12s\n", w, "policy", "frames",
	       "requests", "misses", "miss ratio", "evictions",
	       "write-backs");
	for (int k = 0; k < nruns; k++) {
		const struct run *r = &runs[k];

		if (r->rc)
			continue;
		if (!r->curve)
			total += tm->nrefs;
		printf("%-*s %10u %12llu %12llu %10.4f %12llu ", w,
		       r->spec, r->nframes, (unsigned long long)r->requests,
		       (unsigned long long)r->misses,
		       ratio(r->misses, r->requests),
		       (unsigned long long)r->evictions);
		if (r->curve)
			printf("%12s\n", "-");
		else
			printf("%12llu\n",
			       (unsigned long long)r->dirty_evictions);
	}
	if (total)
		printf("loaded in %.2f s, simulated in %.2f s (%.1f M "
		       "references/s)\n\n", tm->load_s, sim_s,
		       sim_s > 0 ? (double)total / sim_s / 1e6 : 0);
	else
		printf("loaded in %.2f s, curve in %.2f s\n\n", tm->load_s,
		       sim_s);
}

/* ---- miss-ratio curves ------------------------------------------------ */

/* Appends the --mrc curve to *runs: one run per size, from mrc_lru() or
 * mrc_opt() over the whole trace.  Evictions follow from demand paging
 * (every miss past the first min(size, pages) evicts); write-backs are not
 * known.  Returns 0, or 1 with a message printed. */
static int add_curve(struct trace_mem *tm, const struct options *o,
		     struct run **runs, int *nruns)
{
	static char names[3][64];
	int n = o->sizes_given ? o->nsizes : 100, rc;
	uint64_t *sizes = calloc((size_t)n, sizeof(*sizes));
	uint64_t *misses = calloc((size_t)n, sizeof(*misses));
	struct run *nr = realloc(*runs, (size_t)(*nruns + n) * sizeof(*nr));
	const char *name;
	double t0 = now_sec(CLOCK_MONOTONIC), secs;

	if (!sizes || !misses || !nr) {
		fprintf(stderr, PROG ": %s: --mrc: %s\n", tm->name,
			strerror(ENOMEM));
		free(sizes);
		free(misses);
		if (nr)
			*runs = nr;
		return 1;
	}
	*runs = nr;
	for (int j = 0; j < n; j++) {
		double x;

		if (!o->sizes_given)	/* geometric, 1 .. npages */
			x = n == 1 ? tm->npages :
			    pow((double)tm->npages, (double)j / (n - 1));
		else
			x = o->frac ? o->sizes[j] * tm->npages : o->sizes[j];
		sizes[j] = x < 1 ? 1 : (uint64_t)llround(x);
	}
	if (!o->sizes_given) {		/* small sizes round alike: once each */
		int k = 0;

		for (int j = 0; j < n; j++)
			if (k == 0 || sizes[j] != sizes[k - 1])
				sizes[k++] = sizes[j];
		n = k;
	}
	if (strcmp(o->mrc, "opt") == 0) {
		rc = mrc_opt(tm->ref, tm->nrefs, tm->npages, sizes,
			     (size_t)n, misses);
		name = "opt (mrc)";
	} else {
		rc = mrc_lru(tm->ref, tm->nrefs, tm->npages, o->shards, sizes,
			     (size_t)n, misses);
		name = "lru (mrc)";
		if (o->shards < 1) {
			snprintf(names[0], sizeof(names[0]),
				 "lru (shards %g)", o->shards);
			name = names[0];
		}
	}
	secs = now_sec(CLOCK_MONOTONIC) - t0;
	if (rc < 0) {
		fprintf(stderr, PROG ": %s: --mrc %s: %s\n", tm->name, o->mrc,
			strerror(-rc));
		free(sizes);
		free(misses);
		return 1;
	}
	for (int j = 0; j < n; j++) {
		struct run *r = &nr[*nruns + j];
		uint64_t fill = sizes[j] < tm->npages ? sizes[j] : tm->npages;

		memset(r, 0, sizeof(*r));
		r->spec = name;
		r->curve = true;
		r->future = strcmp(o->mrc, "opt") == 0;	/* drawn dashed */
		r->nframes = (uint32_t)(sizes[j] > MAX_FRAMES ? MAX_FRAMES :
					sizes[j]);
		r->requests = tm->nrefs;
		r->misses = misses[j];
		r->evictions = misses[j] > fill ? misses[j] - fill : 0;
		r->secs = secs / n;
	}
	*nruns += n;
	free(sizes);
	free(misses);
	return 0;
}

/* ---- the picture (--plot) --------------------------------------------- */

/* Can FILE be written?  Says why not into why: FILE is a directory or
 * read-only, or its directory is missing, not one, or read-only.  The
 * directory is the part before the last '/', "." without one. */
static bool plot_target_ok(const char *file, char *why, size_t whylen)
{
	const char *slash = strrchr(file, '/');
	char dir[4096];
	struct stat st;
	int err = 0;

	if (!*file) {
		snprintf(why, whylen, "an empty file name");
		return false;
	}
	if (strcmp(file, "-") == 0) {
		snprintf(why, whylen, "the table has the standard output: "
			 "name a file");
		return false;
	}
	if (stat(file, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "%s", strerror(EISDIR));
			return false;
		}
		if (access(file, W_OK) < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			return false;
		}
		return true;
	}
	if (slash == file)
		snprintf(dir, sizeof(dir), "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);
	else
		snprintf(dir, sizeof(dir), ".");
	if (stat(dir, &st) < 0)
		err = errno;
	else if (!S_ISDIR(st.st_mode))
		err = ENOTDIR;
	else if (access(dir, W_OK | X_OK) < 0)
		err = errno;
	if (err)
		snprintf(why, whylen, "%.400s: %s", dir, strerror(err));
	return err == 0;
}

/* Orders indices into runs (the qsort_r() argument) by frames. */
static int by_frames(const void *a, const void *b, void *runs)
{
	const struct run *r = runs;
	uint32_t x = r[*(const int *)a].nframes;
	uint32_t y = r[*(const int *)b].nframes;

	return (x > y) - (x < y);
}

/* Writes the points of runs into data, a block per line of the picture
 * (two blank lines between blocks), each block in order of frames, and
 * the plot command naming them into script.  A line is the consecutive
 * runs of one spec (one --policy entry, or the --mrc curve); failed runs
 * are left out.  Returns the number of lines, or -1 when out of memory. */
static int plot_lines(const struct run *runs, int nruns, FILE *data,
		      FILE *script, const char *data_path)
{
	int *idx = malloc((size_t)nruns * sizeof(*idx)), nlines = 0;

	if (!idx)
		return -1;
	for (int k = 0; k < nruns;) {
		const struct run *first = &runs[k];
		int n = 0;

		for (; k < nruns && runs[k].spec == first->spec; k++)
			if (!runs[k].rc)
				idx[n++] = k;
		if (n == 0)
			continue;
		qsort_r(idx, (size_t)n, sizeof(*idx), by_frames,
			(void *)runs);
		for (int i = 0; i < n; i++)
			fprintf(data, "%u %.6f\n", runs[idx[i]].nframes,
				ratio(runs[idx[i]].misses,
				      runs[idx[i]].requests));
		fputs("\n\n", data);
		/* A curve has up to 100 points: a line; a policy a few: a
		 * line through marked points.  OPT is the bound: dashed. */
		fputs(nlines ? ", \\\n     " : "plot ", script);
		plot_str(script, nlines ? "" : data_path);
		fprintf(script, " index %d using 1:2 with %s lw 2 dt %d title ",
			nlines, first->curve ? "lines" : "linespoints pt 7 "
			"ps 0.7", first->future ? 2 : 1);
		plot_str(script, first->spec);
		nlines++;
	}
	fputc('\n', script);
	free(idx);
	return nlines;
}

/* The title: the trace (or the reference string) and its size. */
static void plot_title(FILE *script, const struct trace_mem *tm,
		       const struct options *o, bool refs_mode)
{
	char *title = NULL;
	size_t len = 0;
	FILE *t = open_memstream(&title, &len);

	if (!t)
		return;
	if (refs_mode)
		fprintf(t, "--refs %.60s%s", o->refs,
			strlen(o->refs) > 60 ? "..." : "");
	else
		fputs(tm->name, t);
	fprintf(t, ": %zu references, %u distinct pages", tm->nrefs,
		tm->npages);
	if (o->warmup)
		fprintf(t, ", after a warm-up of %llu",
			(unsigned long long)o->warmup);
	if (fclose(t) == 0) {
		fputs("set title ", script);
		plot_str(script, title);
		fputc('\n', script);
	}
	free(title);
}

/* The x axis: frames, on a log scale when the sizes span more than a
 * factor 20, with a margin that keeps the end points off the border. */
static void plot_xaxis(FILE *script, const struct run *runs, int nruns)
{
	uint32_t lo = UINT32_MAX, hi = 0;
	bool logx;

	for (int k = 0; k < nruns; k++) {
		if (runs[k].rc)
			continue;
		lo = runs[k].nframes < lo ? runs[k].nframes : lo;
		hi = runs[k].nframes > hi ? runs[k].nframes : hi;
	}
	if (hi == 0)
		return;			/* nothing to draw: said elsewhere */
	logx = hi > 20.0 * lo;
	fprintf(script, "set xlabel 'cache size (frames%s)'\n"
		"set format x '%%.0f'\n", logx ? ", log scale" : "");
	if (logx)
		fprintf(script, "set logscale x\nset xrange [%g:%g]\n",
			lo / 1.25, hi * 1.25);
	else
		fprintf(script, "set xrange [%g:%g]\n%s",
			lo - (hi - lo) * 0.04 - 0.5,
			hi + (hi - lo) * 0.04 + 0.5,
			hi - lo <= 20 ? "set xtics 1\n" : "");
}

/* Draws runs (the table of tm just printed) into o->plot.  Returns 0, or
 * 1 with a message printed. */
static int plot_trace(const struct trace_mem *tm, const struct run *runs,
		      int nruns, const struct options *o, bool refs_mode)
{
	const char *tmp = getenv("TMPDIR");
	char data_path[4096], why[512];
	char *script = NULL;
	size_t len = 0;
	FILE *data = NULL, *sf = NULL;
	int fd, nlines, rc, status = 1;

	/* Step 1: the points into a temporary file, the script beside. */
	snprintf(data_path, sizeof(data_path), "%s/framesim-plot.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(data_path);
	if (fd < 0) {
		prog_errf("--plot: %s: %s", data_path, strerror(errno));
		return 1;
	}
	data = fdopen(fd, "w");
	sf = open_memstream(&script, &len);
	if (!data || !sf) {
		if (!data)
			close(fd);
		prog_errf("--plot: %s: %s", o->plot, strerror(ENOMEM));
		goto out;
	}
	fputs("set terminal pngcairo noenhanced size 800,480 "
	      "font 'DejaVu Sans,10'\n" PLOT_COLOURS "set output ", sf);
	plot_str(sf, o->plot);
	fputc('\n', sf);
	plot_title(sf, tm, o, refs_mode);
	plot_xaxis(sf, runs, nruns);
	fputs("set ylabel 'miss ratio'\nset yrange [0:1]\nset grid\n"
	      "set key top right\n", sf);
	nlines = plot_lines(runs, nruns, data, sf, data_path);
	rc = fclose(data) | fclose(sf);
	data = sf = NULL;
	if (nlines <= 0 || rc != 0) {
		prog_errf("--plot: %s: %s", o->plot, nlines == 0 ?
			  "no run to draw" : nlines < 0 ? strerror(ENOMEM) :
			  strerror(errno));
		goto out;
	}

	/* Step 2: gnuplot, once the table is out. */
	fflush(stdout);
	rc = plot_run(script, why, sizeof(why));
	if (rc == -ENOENT)
		prog_errf("--plot: %s", why);
	else if (rc < 0)
		prog_errf("--plot: %s: %s%s", o->plot,
			  strncmp(why, "gnuplot: ", 9) ? "gnuplot: " : "",
			  why);
	else
		status = 0;
out:
	if (data)
		fclose(data);
	if (sf)
		fclose(sf);
	free(script);
	unlink(data_path);
	return status;
}

/* ---- one trace -------------------------------------------------------- */

/* Simulates every policy at every size on tm and prints the results.
 * Returns 0, or 1 when a run failed (its message printed). */
static int do_trace(struct trace_mem *tm, const struct options *o,
		    bool refs_mode)
{
	int nruns = o->nspecs * o->nsizes, status = 0;
	struct run *runs = calloc((size_t)nruns + 1, sizeof(*runs));
	struct progress pg;
	double t0;

	if (!runs) {
		fprintf(stderr, PROG ": %s: %s\n", tm->name, strerror(ENOMEM));
		return 1;
	}
	if (o->any_future && compute_next(tm) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", tm->name, strerror(ENOMEM));
		free(runs);
		return 1;
	}
	for (int i = 0; i < o->nspecs; i++) {
		const struct policy_ops *ops;
		double param[POLICY_MAX_PARAMS];
		char err[256];

		policy_parse(o->specs[i], &ops, param, err, sizeof(err));
		for (int j = 0; j < o->nsizes; j++) {
			struct run *r = &runs[i * o->nsizes + j];
			double n = o->sizes[j];

			if (o->frac)
				n = round(n * tm->npages);
			r->spec = o->specs[i];
			r->future = ops->flags & POLICY_NEEDS_FUTURE;
			r->nframes = n < 1 ? 1 : n > MAX_FRAMES ? MAX_FRAMES :
				     (uint32_t)n;
		}
	}
	progress_start(&pg, tm->name, (uint64_t)tm->nrefs * (uint64_t)nruns);
	t0 = now_sec(CLOCK_MONOTONIC);
	if (run_all(tm, runs, nruns, o, &pg) < 0) {
		fprintf(stderr, PROG ": %s: cannot start threads\n", tm->name);
		status = 1;
	}
	progress_end(&pg);
	for (int k = 0; k < nruns; k++) {
		if (runs[k].rc) {
			fprintf(stderr, PROG ": %s: %s with %u frames: %s\n",
				tm->name, runs[k].spec, runs[k].nframes,
				runs[k].rc == -EBUSY ? "no frame could be "
				"evicted" : strerror(-runs[k].rc));
			status = 1;
		}
	}
	if (o->mrc && status == 0)
		status = add_curve(tm, o, &runs, &nruns);
	if (o->json || o->csv)
		print_machine(tm, runs, nruns, o);
	else if (refs_mode)
		print_refs_table(runs, nruns);
	else
		print_trace_table(tm, runs, nruns,
				  now_sec(CLOCK_MONOTONIC) - t0);
	if (o->plot && status == 0)
		status = plot_trace(tm, runs, nruns, o, refs_mode);
	else if (o->plot)
		prog_errf("--plot: %s: not drawn (a run failed)", o->plot);
	free(runs);
	return status;
}

/* Is there anything to measure in tm?  An empty trace, or one the
 * warm-up covers whole, has no measured request: a miss ratio of 0/0
 * printed as 0.0000 would read as a perfect cache.  Says why when not. */
static bool measurable(const struct trace_mem *tm, const struct options *o)
{
	if (tm->nrefs == 0) {
		prog_errf("%s: no references read (an empty trace, or only "
			  "comments and a header)", tm->name);
		return false;
	}
	if (o->warmup >= tm->nrefs) {
		prog_errf("%s: --warmup %llu: the trace has %zu references, "
			  "none left to measure", tm->name,
			  (unsigned long long)o->warmup, tm->nrefs);
		return false;
	}
	return true;
}

/* ---- the command line ------------------------------------------------- */

/* Parses a comma-separated list of numbers into *out.  frac: each in
 * (0, 1]; otherwise whole counts from 1 to MAX_FRAMES.  Returns the count,
 * or -1 when out of memory; exits 2 on a bad list. */
static int parse_sizes(const char *opt, const char *arg, bool frac,
		       double **out)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	double *v = NULL;
	int n = 0;

	if (!copy)
		goto bad;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		double *nv = realloc(v, (size_t)(n + 1) * sizeof(*v));
		char *end;
		double x;

		if (!nv)
			goto bad;
		v = nv;
		errno = 0;
		x = frac ? strtod(tok, &end) : (double)strtoull(tok, &end, 10);
		if (errno || end == tok || *end || tok[0] == '-' ||
		    (frac ? !(x > 0 && x <= 1) : x < 1 || x > MAX_FRAMES)) {
			free(v);	/* a leak checker sees nothing left */
			prog_opt_fail(opt, tok, frac ? "not a share above 0 "
				      "and at most 1" : "not in 1..1073741824");
		}
		v[n++] = x;
	}
	if (n == 0)
		prog_opt_fail(opt, arg, "an empty list");
	free(copy);
	*out = v;
	return n;
bad:
	free(copy);
	free(v);
	return -1;
}

enum {
	OPT_JSON = 256,
	OPT_CSV,
	OPT_MRC,
	OPT_SHARDS,
	OPT_MAX_RECORD,
	OPT_FRAC,
	OPT_WARMUP,
	OPT_STEP,
	OPT_PLOT,
};

/* A record may cover at most 16 TiB: 2^32 references of 4 KiB, more than
 * a trace in memory can hold. */
#define MAX_RECORD_LIMIT	(1ull << 44)

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "frames", required_argument, NULL, 'n' },
		{ "frac", required_argument, NULL, OPT_FRAC },
		{ "format", required_argument, NULL, 'F' },
		{ "warmup", required_argument, NULL, OPT_WARMUP },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "mrc", required_argument, NULL, OPT_MRC },
		{ "shards", required_argument, NULL, OPT_SHARDS },
		{ "max-record", required_argument, NULL, OPT_MAX_RECORD },
		{ "refs", required_argument, NULL, 'r' },
		{ "step", no_argument, NULL, OPT_STEP },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .format = "auto", .threads = 1, .shards = 1,
			     .max_record = TRACE_MAX_RECORD_DEFAULT,
			     .max_record_name = "--max-record 1G" };
	bool policy_given = false;
	const char *policy_arg = "fifo,lru,clock", *frames_arg = NULL;
	const char *frac_arg = NULL, *refs_arg = NULL;
	struct trace_mem refs = { 0 };
	int opt, status = 0;
	char err[600], *end;

	/* The short letters are the kit's (doc/options.md): --frac, --step
	 * and --warmup have none, since -f, -s and -w mean foreground, seed
	 * and write elsewhere. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:n:F:j:r:lhV", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'p': policy_arg = optarg; policy_given = true; break;
		case 'n': frames_arg = optarg; break;
		case OPT_FRAC: frac_arg = optarg; break;
		case 'F': o.format = optarg; break;
		case 'r': refs_arg = optarg; break;
		case OPT_STEP: o.step = true; break;
		case OPT_PLOT: o.plot = optarg; break;
		case OPT_JSON: o.json = true; break;
		case OPT_CSV: o.csv = true; break;
		case OPT_WARMUP:
			if (!parse_u64_all(optarg, &o.warmup))
				prog_opt_fail("--warmup", optarg, "not in "
					      "0..18446744073709551615");
			break;
		case 'j':
			errno = 0;
			o.threads = (int)strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o.threads < 1 ||
			    o.threads > MAX_THREADS)
				prog_opt_fail("--jobs", optarg, "not in 1..256");
			break;
		/* ---- miss-ratio curves: --mrc lru|opt, --shards RATE ----
		 * The place for sim/mrc.h (mrc_lru(), mrc_opt()): they take
		 * struct trace_mem's ref[] (id | ID_WRITE, as MRC_ID_MASK
		 * expects), npages, and the sizes do_trace() computes. */
		case OPT_MRC:
			if (strcmp(optarg, "lru") && strcmp(optarg, "opt"))
				prog_opt_fail("--mrc", optarg, "not lru or opt "
					      "(the stack algorithms)");
			o.mrc = optarg;
			break;
		case OPT_SHARDS:
			errno = 0;
			o.shards = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(o.shards > 0 && o.shards <= 1))
				prog_opt_fail("--shards", optarg, "not a rate "
					      "above 0 and at most 1");
			break;
		case OPT_MAX_RECORD:
			if (size_parse(optarg, &o.max_record) < 0 ||
			    o.max_record < 1 ||
			    o.max_record > MAX_RECORD_LIMIT)
				prog_opt_fail("--max-record", optarg,
					      "not a size in 1..16384G");
			snprintf(o.max_record_name,
				 sizeof(o.max_record_name),
				 "--max-record %.30s", optarg);
			break;
		case 'l':
			policy_print_list(stdout);
			return 0;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " " FRAMEFS_VERSION "\n"); return 0;
		default: prog_getopt_fail(opt, argv);
		}
	}

	/* Step 1: what to read. */
	if (refs_arg && optind < argc)
		prog_usage_fail(argv[optind], "give trace files or --refs, "
				"not both");
	if (!refs_arg && optind == argc)
		prog_usage_fail("no trace given", "a TRACE file, - for "
				"standard input, or --refs (" PROG " --help)");
	if (trace_format_check(o.format, err, sizeof(err)) < 0)
		prog_usage_fail("--format", err);
	if (o.json && o.csv)
		prog_usage_fail("--json and --csv", "choose one");
	if (o.step && (o.json || o.csv))
		prog_usage_fail("--step", "not with --json or --csv");

	/* Step 2: the policies (none with --mrc alone). */
	if (o.shards < 1 && (!o.mrc || strcmp(o.mrc, "lru")))
		prog_usage_fail("--shards", "only with --mrc lru");
	if (o.mrc && (o.warmup || o.step))
		prog_usage_fail("--mrc", o.warmup ? "not with --warmup (the "
				"curve counts every reference)" : "not with "
				"--step (the curve counts every reference)");
	o.sizes_given = frames_arg || frac_arg;
	if (o.mrc && !policy_given) {
		o.specs = calloc(1, sizeof(*o.specs));
		o.nspecs = o.specs ? 0 : -1;
	} else {
		o.nspecs = policy_split_list(policy_arg, &o.specs);
	}
	if (o.nspecs < 0) {
		fprintf(stderr, PROG ": %s\n", strerror(ENOMEM));
		return 1;
	}
	status = 2;
	if (o.nspecs == 0 && !o.mrc)
		prog_opt_fail("--policy", policy_arg, "an empty list");
	for (int i = 0; i < o.nspecs; i++) {
		const struct policy_ops *ops;
		double param[POLICY_MAX_PARAMS];
		char why[700];
		size_t n;

		if (policy_parse(o.specs[i], &ops, param, err,
				 sizeof(err)) < 0) {
			/* Point at --list, unless the reason already
			 * says where to look. */
			n = strlen(err);
			snprintf(why, sizeof(why), "%s%s", err,
				 n && err[n - 1] == ')' ? "" :
				 " (" PROG " --list)");
			prog_usage_fail("--policy", why);
		}
		o.any_future |= ops->flags & POLICY_NEEDS_FUTURE;
	}

	/* Step 3: the sizes. */
	if (frames_arg && frac_arg)
		prog_usage_fail("--frames and --frac", "choose one");
	if (frac_arg || (!frames_arg && !refs_arg)) {
		o.frac = true;
		o.nsizes = parse_sizes("--frac", frac_arg ? frac_arg :
				       "0.001,0.01,0.1", true, &o.sizes);
	} else {
		o.nsizes = parse_sizes("--frames", frames_arg ? frames_arg :
				       "3", false, &o.sizes);
	}
	if (o.nsizes < 0)
		goto out;
	if (refs_arg && load_refs(&refs, refs_arg) < 0)
		prog_opt_fail("--refs", refs_arg, "not a list of page numbers "
			      "(0..18446744073709551615, separated by commas "
			      "or blanks)");
	o.refs = refs_arg;

	/* Step 4: the picture, checked before a simulation that may take
	 * minutes: one trace per picture, a file that can be written, and
	 * gnuplot to draw it. */
	if (o.plot) {
		if (o.step)
			prog_opt_fail("--plot", o.plot, "not with --step");
		if (argc - optind > 1) {
			snprintf(err, sizeof(err), "one trace per picture, "
				 "%d given (run " PROG " once per trace)",
				 argc - optind);
			prog_opt_fail("--plot", o.plot, err);
		}
		if (!plot_target_ok(o.plot, err, sizeof(err)))
			prog_opt_fail("--plot", o.plot, err);
		if (!plot_available()) {
			prog_errf("--plot: gnuplot: %s", PLOT_INSTALL);
			status = 1;
			goto out;
		}
	}

	/* Step 5: each trace in turn; a bad one does not stop the others. */
	status = 0;
	if (o.csv)
		printf("trace,references,distinct_pages,writes,policy,frames,"
		       "requests,misses,miss_ratio,evictions,dirty_evictions,"
		       "seconds\n");
	if (refs_arg && measurable(&refs, &o))
		status |= do_trace(&refs, &o, true);
	else if (refs_arg)
		status = 1;
	for (int t = optind; t < argc; t++) {
		struct trace_mem tm;

		if (load_trace(&tm, argv[t], &o) < 0) {
			status = 1;
			continue;
		}
		if (measurable(&tm, &o))
			status |= do_trace(&tm, &o, false);
		else
			status = 1;
		trace_mem_free(&tm);
	}
	if (o.json)
		printf(json_first ? "[]\n" : "\n]\n");
out:
	trace_mem_free(&refs);
	for (int i = 0; i < o.nspecs; i++)
		free(o.specs[i]);
	free(o.specs);
	free(o.sizes);
	return status;
}
