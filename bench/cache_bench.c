/* cache_bench.c - how fast the cache core's hot paths are, as ratios against
 * a baseline measured in the same run.
 *
 * What it measures.  Every cache here is metadata-only (no page data), one
 * file (ino 1), and full: pages 0 .. N-1 are loaded before timing starts.
 *
 *   1. Hit path: `fr = cache_lookup(c, 1, pgno, 0); cache_unpin(c, fr);`
 *      with pgno drawn from an array of 2^20 pseudo-random resident pages,
 *      precomputed per thread so that the RNG is outside the timed loop.
 *      Per policy (fifo, clock, lru), at 1e5 and 1e6 frames, with 1 and
 *      with 2 threads (each its own key array, all started by one barrier).
 *   2. Insert/evict: on the full cache, a stream of new pages, each a miss:
 *      cache_get -> -ENOBUFS -> cache_evict_one -> cache_get -> 1 ->
 *      cache_load_done -> cache_unpin.  One thread; the rate is in
 *      evict+insert pairs per second.
 *   3. Metadata bytes per frame: what cache_meta_bytes_per_frame() reports,
 *      and the growth of resident anonymous memory from cache_new through
 *      the fill divided by N (a cross-check of the reported figure), against
 *      the 48-byte budget.
 *   4. The baseline, "probe": the same key arrays looked up in a bare
 *      open-addressing index: a uint32 table (load factor <= 1/2, indexed by
 *      the core's hash & mask) of entry numbers, over an array of 32-byte
 *      entries (the size of a struct frame) holding the keys; a probe
 *      compares the key in the entry and moves to the next slot on a
 *      mismatch.  That is the memory a hashed lookup has to touch, with a
 *      footprint like the cache's (40 bytes a frame), and nothing else: no
 *      pin, no policy, no counters, no atomics.  The entries matter: a bare
 *      uint32 table of 1e5 keys fits in a core's L2 where the cache does
 *      not, and on a shared (virtual) machine L2-bound and L3/DRAM-bound
 *      loops drift apart, so a baseline of another footprint would not
 *      cancel out.  The ratio "hit path / probe" is the figure to compare
 *      between runs and machines; the ops/s columns are only what this
 *      machine did today.
 *
 * How each figure is taken.  A measurement runs its loop for a fixed wall
 * time (CLOCK_MONOTONIC, looked at every CHECK_EVERY operations) after a
 * short untimed warm-up; a thread's rate is its operations over its own
 * elapsed time, and the 2-thread rate is the sum of the two.  Workers are
 * pinned, one per CPU, to the first two CPUs the process may use, and every
 * 1-thread figure (hit path, insert/evict, probe) is the mean of one run on
 * each of those CPUs: two CPUs of a virtual machine can differ by 2x at a
 * given moment (their host cores, host memory), and a 1-thread run that
 * happened to land on the slow one would fake the 2T/1T ratio.  "1T skew"
 * is the faster CPU's 1-thread rate over the slower one's: near 1.00 the
 * machine was even, above ~1.2 read every ratio on that line with care.
 * One run per figure, no repetition: expect a few percent of noise.
 *
 * How to read it.  "2T/1T" is the scaling of the hit path from one thread
 * to two; the probe's own 2T/1T is what the machine allows (2.0 on two
 * idle cores with memory bandwidth to spare), so compare the policies'
 * figure with it.  LRU takes cache->lock on every hit, so it is expected
 * not to scale; FIFO and CLOCK hits take no lock and should.  The targets
 * at the end are informational: the exit status never depends on timing.
 *
 * Exit status: 0 ok (whatever the timings), 1 failure (the cache could not
 * be built or filled, or a resident page was not found), 2 usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "keyhash.h"
#include "rng.h"

#define PROG "cache_bench"
#include "prog.h"

#define NKEYS		(1u << 20)	/* keys per thread; a power of two */
#define CHECK_EVERY	1024u		/* operations between clock reads */
#define MAX_THREADS	2
#define BUDGET_BYTES	48		/* metadata per frame */
#define TARGET_HIT_1T	15e6		/* hit-path ops/s, one thread */
#define TARGET_SCALING	1.6		/* 2T/1T for lock-free hits */
#define PROBE_EMPTY	UINT32_MAX

static const char *const policies[] = { "fifo", "clock", "lru" };
#define NPOLICIES (sizeof(policies) / sizeof(policies[0]))

static const uint32_t sizes[] = { 100000, 1000000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

struct opts {
	double secs;		/* timed part of one measurement */
	double warm_secs;	/* untimed warm-up before it */
	unsigned nsizes;	/* how many of sizes[] to run */
	int ncpus;		/* CPUs in cpu[], 0 = not pinned */
	int cpu[MAX_THREADS];	/* worker t runs on cpu[t] */
};

/* The baseline index.  slot[h & mask] holds an entry number or
 * PROBE_EMPTY; ent[] is laid out like the cache's frames after the fill. */
struct probe_ent {
	uint64_t ino, pgno;	/* the key */
	uint64_t val[2];	/* pads to sizeof(struct frame) */
};

struct probe {
	uint32_t *slot;		/* [mask + 1] */
	struct probe_ent *ent;	/* [n] */
	uint32_t mask;
};

enum work { WORK_PROBE, WORK_HIT, WORK_CHURN };

/* One measuring thread.  Written by its thread only, read after join. */
struct worker {
	pthread_t tid;
	enum work work;
	int cpu;			/* -1: not pinned */
	struct cache *c;		/* WORK_HIT, WORK_CHURN */
	const struct probe *pt;		/* WORK_PROBE */
	const uint32_t *keys;		/* [NKEYS] resident page numbers */
	pthread_barrier_t *start;
	const struct opts *o;
	uint64_t next_pgno;		/* WORK_CHURN: first new page, in/out */
	uint64_t ops;			/* timed operations */
	double elapsed;			/* seconds they took */
	uint64_t lost;			/* hits that found nothing: must be 0 */
	int err;			/* WORK_CHURN: first error, -errno */
	uint64_t sink;			/* keeps the probe loop honest */
} __attribute__((aligned(64)));

/* One kind of work at one size: 1 thread on each CPU, then 2 threads. */
struct rates {
	double one[MAX_THREADS];	/* ops/s, 1 thread on cpu[t] */
	double one_mean;		/* mean of one[] */
	double two;			/* ops/s, 2 threads together */
};

/* Results of one policy at one size. */
struct result {
	struct rates hit;
	struct rates churn;		/* evict+insert pairs/s; no .two */
	size_t meta_bytes;		/* cache_meta_bytes_per_frame() */
	double anon_bytes;		/* anon RSS growth a frame; < 0: ? */
};

/* ---- helpers ---------------------------------------------------------- */

/* Fills keys[] with pages uniform in 0 .. n-1. */
static void keys_fill(uint32_t *keys, uint32_t n, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;

	for (uint32_t i = 0; i < NKEYS; i++)
		keys[i] = (uint32_t)(((rng_xorshift64s(&s) >> 32) * n) >> 32);
}

/* Resident anonymous memory in bytes, or -1 if /proc does not say.  Not
 * the whole RSS: the first cache to run would be charged for the program
 * text it faults in.  smaps_rollup walks the page tables and is exact;
 * statm is the kernel's running count, which may lag by a per-CPU batch of
 * pages (hundreds of KB), too coarse for bytes per frame at 1e5 frames. */
static double anon_bytes(void)
{
	unsigned long kb, size, resident, shared;
	char line[128];
	double anon = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
				anon = (double)kb * 1024;
				break;
			}
		fclose(f);
		if (anon >= 0)
			return anon;
	}
	f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lu %lu %lu", &size, &resident, &shared) == 3)
		anon = (double)(resident - shared) *
		       (double)sysconf(_SC_PAGESIZE);
	fclose(f);
	return anon;
}

/* The first MAX_THREADS CPUs this process may run on, into o->cpu[]. */
static void cpus_pick(struct opts *o)
{
	cpu_set_t set;

	o->ncpus = 0;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;		/* run unpinned */
	for (int i = 0; i < CPU_SETSIZE && o->ncpus < MAX_THREADS; i++)
		if (CPU_ISSET(i, &set))
			o->cpu[o->ncpus++] = i;
}

static const char *fmt_rate(char *buf, size_t len, double ops)
{
	snprintf(buf, len, "%.2fM", ops / 1e6);
	return buf;
}

/* Faster over slower of the per-CPU 1-thread rates. */
static double skew(const struct rates *r, const struct opts *o)
{
	double lo = r->one[0], hi = r->one[0];

	for (int t = 1; t < o->ncpus; t++) {
		if (r->one[t] < lo)
			lo = r->one[t];
		if (r->one[t] > hi)
			hi = r->one[t];
	}
	return hi / lo;
}

/* ---- the baseline index ----------------------------------------------- */

static void probe_build(struct probe *pt, uint32_t n)
{
	uint32_t size = 1;

	while (size < 2 * n)
		size <<= 1;
	pt->mask = size - 1;
	pt->slot = malloc((size_t)size * sizeof(*pt->slot));
	pt->ent = calloc(n, sizeof(*pt->ent));
	if (!pt->slot || !pt->ent)
		prog_fail("probe index", strerror(ENOMEM));
	memset(pt->slot, 0xff, (size_t)size * sizeof(*pt->slot));
	for (uint32_t p = 0; p < n; p++) {
		uint32_t i = key_hash(1, p) & pt->mask;

		pt->ent[p].ino = 1;
		pt->ent[p].pgno = p;
		pt->ent[p].val[0] = p;
		while (pt->slot[i] != PROBE_EMPTY)
			i = (i + 1) & pt->mask;
		pt->slot[i] = p;
	}
}

static void probe_release(struct probe *pt)
{
	free(pt->slot);
	free(pt->ent);
}

/* ---- the timed loops -------------------------------------------------- */

/* CHECK_EVERY probes from keys[*pos]; returns a checksum.  Every key is
 * present, so a probe ends at its entry before any empty slot. */
static uint64_t batch_probe(const struct probe *pt, const uint32_t *keys,
			    uint32_t *pos)
{
	uint64_t sum = 0;
	uint32_t k = *pos;

	for (uint32_t j = 0; j < CHECK_EVERY; j++, k++) {
		uint64_t pgno = keys[k & (NKEYS - 1)];
		uint32_t i = key_hash(1, pgno) & pt->mask;
		const struct probe_ent *e;

		for (;;) {
			e = &pt->ent[pt->slot[i]];
			if (e->ino == 1 && e->pgno == pgno)
				break;
			i = (i + 1) & pt->mask;
		}
		sum += e->val[0];
	}
	*pos = k;
	return sum;
}

/* CHECK_EVERY hits from keys[*pos]; returns how many found nothing. */
static uint64_t batch_hit(struct cache *c, const uint32_t *keys,
			  uint32_t *pos)
{
	uint64_t lost = 0;
	uint32_t k = *pos;

	for (uint32_t j = 0; j < CHECK_EVERY; j++, k++) {
		struct frame *fr = cache_lookup(c, 1, keys[k & (NKEYS - 1)], 0);

		if (fr)
			cache_unpin(c, fr);
		else
			lost++;
	}
	*pos = k;
	return lost;
}

/* One miss on a full cache: evict, insert, load, unpin.  0 or -errno. */
static int churn_one(struct cache *c, uint64_t pgno)
{
	struct frame *fr;
	int rc;

	rc = cache_get(c, 1, pgno, 0, &fr);
	if (rc == -ENOBUFS) {
		rc = cache_evict_one(c);
		if (rc < 0)
			return rc;
		rc = cache_get(c, 1, pgno, 0, &fr);
	}
	if (rc != 1)
		return rc < 0 ? rc : -EEXIST;
	cache_load_done(c, fr, 0);
	cache_unpin(c, fr);
	return 0;
}

/* CHECK_EVERY misses on new pages from w->next_pgno; 0 or -errno. */
static int batch_churn(struct worker *w)
{
	for (uint32_t j = 0; j < CHECK_EVERY; j++) {
		int rc = churn_one(w->c, w->next_pgno++);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Runs w's loop for secs, or until it fails; returns the operations done. */
static uint64_t worker_run(struct worker *w, uint32_t *pos, double secs)
{
	double deadline = now_sec(CLOCK_MONOTONIC) + secs;
	uint64_t ops = 0;

	do {
		switch (w->work) {
		case WORK_PROBE:
			w->sink += batch_probe(w->pt, w->keys, pos);
			break;
		case WORK_HIT:
			w->lost += batch_hit(w->c, w->keys, pos);
			break;
		case WORK_CHURN:
			w->err = batch_churn(w);
			if (w->err)
				return ops;
			break;
		}
		ops += CHECK_EVERY;
	} while (now_sec(CLOCK_MONOTONIC) < deadline);
	return ops;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint32_t pos = 0;
	double t0;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		/* Best effort: an unpinned run is still a run. */
		(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	pthread_barrier_wait(w->start);
	worker_run(w, &pos, w->o->warm_secs);
	t0 = now_sec(CLOCK_MONOTONIC);
	if (!w->err)
		w->ops = worker_run(w, &pos, w->o->secs);
	w->elapsed = now_sec(CLOCK_MONOTONIC) - t0;
	return NULL;
}

/* Runs nthreads workers, worker t on cpu[t] (-1: anywhere), and returns
 * their summed ops/s.  A lost hit or a failed churn is a bug in the core,
 * not a slow run: it ends the program.  *next_pgno carries the churn's
 * stream of new pages from one call to the next. */
static double measure(enum work work, struct cache *c, const struct probe *pt,
		      uint32_t *const keys[], int nthreads, const int *cpu,
		      uint64_t *next_pgno, const struct opts *o)
{
	struct worker w[MAX_THREADS];
	pthread_barrier_t start;
	double rate = 0;
	uint64_t lost = 0;
	int err;

	pthread_barrier_init(&start, NULL, (unsigned)nthreads);
	for (int t = 0; t < nthreads; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].work = work;
		w[t].cpu = cpu[t];
		w[t].c = c;
		w[t].pt = pt;
		w[t].keys = keys[t];
		w[t].start = &start;
		w[t].o = o;
		w[t].next_pgno = next_pgno ? *next_pgno : 0;
		err = pthread_create(&w[t].tid, NULL, worker_main, &w[t]);
		if (err)
			prog_fail("pthread_create", strerror(err));
	}
	for (int t = 0; t < nthreads; t++) {
		pthread_join(w[t].tid, NULL);
		rate += (double)w[t].ops / w[t].elapsed;
		lost += w[t].lost;
	}
	pthread_barrier_destroy(&start);
	if (lost) {
		fprintf(stderr, PROG ": %s: %llu lookups of resident pages "
			"returned NULL\n", cache_policy_name(c),
			(unsigned long long)lost);
		exit(1);
	}
	if (w[0].err) {
		fprintf(stderr, PROG ": %s: evict and insert: %s\n",
			cache_policy_name(c), strerror(-w[0].err));
		exit(1);
	}
	if (next_pgno)
		*next_pgno = w[0].next_pgno;
	return rate;
}

/* 1 thread on each CPU, then (unless one_only) 2 threads, one per CPU. */
static void measure_rates(enum work work, struct cache *c,
			  const struct probe *pt, uint32_t *const keys[],
			  bool one_only, uint64_t *next_pgno,
			  const struct opts *o, struct rates *r)
{
	static const int unpinned[MAX_THREADS] = { -1, -1 };
	int ncpus = o->ncpus ? o->ncpus : 1;
	const int *cpu = o->ncpus ? o->cpu : unpinned;

	r->one_mean = 0;
	for (int t = 0; t < ncpus; t++) {
		r->one[t] = measure(work, c, pt, keys, 1, &cpu[t], next_pgno,
				    o);
		r->one_mean += r->one[t] / ncpus;
	}
	for (int t = ncpus; t < MAX_THREADS; t++)
		r->one[t] = r->one[0];
	r->two = 0;
	if (!one_only) {
		/* Fewer than two CPUs: both threads share what there is. */
		int cpu2[MAX_THREADS] = { cpu[0], ncpus > 1 ? cpu[1] : cpu[0] };

		r->two = measure(work, c, pt, keys, 2, cpu2, next_pgno, o);
	}
}

/* ---- one policy at one size ------------------------------------------- */

static struct cache *cache_filled(const char *policy, uint32_t n)
{
	struct cache_config cfg = {
		.nframes = n,
		.policy = policy,
		.metadata_only = true,
	};
	struct cache *c = cache_new(&cfg);
	struct frame *fr;
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "%s at %u frames", policy, n);
	if (!c)
		prog_fail(what, strerror(errno));
	for (uint32_t p = 0; p < n; p++) {
		rc = cache_get(c, 1, p, 0, &fr);
		if (rc < 0)
			prog_fail(what, strerror(-rc));
		if (rc == 1)
			cache_load_done(c, fr, 0);
		cache_unpin(c, fr);
	}
	return c;
}

static void run_policy(const char *policy, uint32_t n, uint32_t *const keys[],
		       const struct opts *o, struct result *r)
{
	double anon0 = anon_bytes(), anon1;
	uint64_t next_pgno = n;
	struct cache *c;

	prog_progress("%s, %u frames: filling", policy, n);
	c = cache_filled(policy, n);
	anon1 = anon_bytes();
	r->anon_bytes = anon0 < 0 || anon1 < 0 ? -1 : (anon1 - anon0) / n;
	r->meta_bytes = cache_meta_bytes_per_frame(c);
	prog_progress("%s, %u frames: hit path", policy, n);
	measure_rates(WORK_HIT, c, NULL, keys, false, NULL, o, &r->hit);
	/* Last: it replaces the resident pages the hit path looks up. */
	prog_progress("%s, %u frames: insert/evict", policy, n);
	measure_rates(WORK_CHURN, c, NULL, keys, true, &next_pgno, o,
		      &r->churn);
	cache_free(c);
}

/* ---- output ----------------------------------------------------------- */

static void print_report(const struct opts *o, const struct rates *probe,
			 struct result res[][NPOLICIES])
{
	char b1[32], b2[32];
	uint32_t meta_n = sizes[o->nsizes - 1];
	unsigned si = o->nsizes - 1;

	printf(PROG " " FRAMEFS_VERSION ": %.2f s per measurement (+%.2f s "
	       "warm-up), %u keys per thread\n", o->secs, o->warm_secs,
	       NKEYS);
	if (o->ncpus == MAX_THREADS)
		printf("workers pinned to cpu %d and cpu %d; 1T = mean of one "
		       "run on each\n", o->cpu[0], o->cpu[1]);
	else
		printf("fewer than %d CPUs usable: 2T is not a scaling figure "
		       "here\n", MAX_THREADS);
	printf("probe = baseline: the same keys in a bare open-addressing "
	       "index, same loop\n\n");

	printf("1. hit path: cache_lookup + cache_unpin, all keys resident, "
	       "metadata-only\n");
	printf("%-6s %8s %9s %9s %6s %8s %8s %7s\n", "policy", "frames",
	       "1T ops/s", "2T ops/s", "2T/1T", "1T/probe", "2T/probe",
	       "1T skew");
	for (unsigned s = 0; s < o->nsizes; s++) {
		const struct rates *pr = &probe[s];

		printf("%-6s %8u %9s %9s %6.2f %8s %8s %7.2f\n", "probe",
		       sizes[s], fmt_rate(b1, sizeof(b1), pr->one_mean),
		       fmt_rate(b2, sizeof(b2), pr->two),
		       pr->two / pr->one_mean, "1", "1", skew(pr, o));
		for (unsigned p = 0; p < NPOLICIES; p++) {
			const struct rates *r = &res[s][p].hit;

			printf("%-6s %8u %9s %9s %6.2f %8.3f %8.3f %7.2f\n",
			       policies[p], sizes[s],
			       fmt_rate(b1, sizeof(b1), r->one_mean),
			       fmt_rate(b2, sizeof(b2), r->two),
			       r->two / r->one_mean,
			       r->one_mean / pr->one_mean,
			       r->two / pr->two, skew(r, o));
		}
	}

	printf("\n2. insert/evict: miss, cache_evict_one, cache_get, "
	       "load_done, unpin; 1 thread\n");
	printf("%-6s %8s %9s %8s %8s %7s\n", "policy", "frames", "pairs/s",
	       "ns/pair", "/probe1T", "1T skew");
	for (unsigned s = 0; s < o->nsizes; s++) {
		for (unsigned p = 0; p < NPOLICIES; p++) {
			const struct rates *r = &res[s][p].churn;

			printf("%-6s %8u %9s %8.1f %8.3f %7.2f\n", policies[p],
			       sizes[s],
			       fmt_rate(b1, sizeof(b1), r->one_mean),
			       1e9 / r->one_mean,
			       r->one_mean / probe[s].one_mean, skew(r, o));
		}
	}

	printf("\n3. metadata per frame at %u frames (budget %d bytes)\n",
	       meta_n, BUDGET_BYTES);
	printf("%-6s %9s %9s %7s\n", "policy", "reported", "rss", "budget");
	for (unsigned p = 0; p < NPOLICIES; p++) {
		const struct result *r = &res[si][p];

		if (r->anon_bytes < 0)
			snprintf(b1, sizeof(b1), "?");
		else
			snprintf(b1, sizeof(b1), "%.1f", r->anon_bytes);
		printf("%-6s %9zu %9s %7s\n", policies[p], r->meta_bytes, b1,
		       r->meta_bytes <= BUDGET_BYTES ? "ok" : "OVER");
	}
	printf("(reported = cache_meta_bytes_per_frame(), which the budget "
	       "is on; rss = growth of\n resident anonymous memory from "
	       "cache_new through the fill, divided by the frames)\n");

	printf("\n4. targets (informational; the exit status does not "
	       "depend on them)\n");
	for (unsigned s = 0; s < o->nsizes; s++) {
		for (unsigned p = 0; p < NPOLICIES; p++) {
			double v = res[s][p].hit.one_mean;

			printf("  hit path 1T >= %.0fM ops/s  %-6s %8u %8s  "
			       "%s\n", TARGET_HIT_1T / 1e6, policies[p],
			       sizes[s], fmt_rate(b1, sizeof(b1), v),
			       v >= TARGET_HIT_1T ? "met" : "MISSED");
		}
	}
	for (unsigned s = 0; s < o->nsizes; s++) {
		for (unsigned p = 0; p < NPOLICIES; p++) {
			const struct rates *r = &res[s][p].hit;
			double v = r->two / r->one_mean;

			if (strcmp(policies[p], "lru") == 0)
				continue;	/* takes the lock: no target */
			printf("  hit path 2T/1T >= %.2f    %-6s %8u %8.2f  "
			       "%s (probe %.2f)\n", TARGET_SCALING,
			       policies[p], sizes[s], v,
			       v >= TARGET_SCALING ? "met" : "MISSED",
			       probe[s].two / probe[s].one_mean);
		}
	}
	for (unsigned p = 0; p < NPOLICIES; p++) {
		size_t v = res[si][p].meta_bytes;

		printf("  metadata <= %d B/frame     %-6s %8u %8zu  %s\n",
		       BUDGET_BYTES, policies[p], meta_n, v,
		       v <= BUDGET_BYTES ? "met" : "MISSED");
	}
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [--quick]\n"
"\n"
"Measures the cache core's hit path (cache_lookup + cache_unpin) with 1 and\n"
"2 threads, its evict+insert rate and its metadata bytes per frame, for the\n"
"fifo, clock and lru policies at 1e5 and 1e6 frames, against a baseline of\n"
"bare index probes measured in the same run.  Read the ratios, not the\n"
"absolute rates.  Takes about 25 s.\n"
"\n"
"  -q, --quick     shorter measurements, 1e5 frames only (about 3 s)\n"
"  -h, --help      this help\n"
"  -V, --version   print the version\n"
"\n"
"examples:\n"
"  " PROG "            the full table\n"
"  " PROG " --quick    a smoke run\n"
"  taskset -c 2,3 " PROG "   measure on CPUs 2 and 3\n"
"\n"
"Output: a table on stdout; progress on stderr when it is a terminal.\n"
"Exit status: 0 ok (timings never fail), 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .secs = 0.5, .warm_secs = 0.1, .nsizes = NSIZES };
	struct rates probe[NSIZES];
	struct result res[NSIZES][NPOLICIES];
	uint32_t *keys[MAX_THREADS];
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "qhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			o.secs = 0.1;
			o.warm_secs = 0.02;
			o.nsizes = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " " FRAMEFS_VERSION "\n");
			return 0;
		default:
			fprintf(stderr, PROG ": %s: unknown option (try "
				"--help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": %s: unexpected argument (try "
			"--help)\n", argv[optind]);
		return 2;
	}

	/* Big blocks always come from mmap and go back to the kernel on free,
	 * so that the RSS growth of one cache is not hidden by heap memory a
	 * freed one left behind. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	cpus_pick(&o);

	for (int t = 0; t < MAX_THREADS; t++) {
		keys[t] = malloc(NKEYS * sizeof(*keys[t]));
		if (!keys[t])
			prog_fail("key arrays", strerror(ENOMEM));
	}
	memset(probe, 0, sizeof(probe));
	memset(res, 0, sizeof(res));
	for (unsigned s = 0; s < o.nsizes; s++) {
		struct probe pt;

		for (int t = 0; t < MAX_THREADS; t++)
			keys_fill(keys[t], sizes[s], (uint64_t)t + 1);
		prog_progress("probe, %u keys", sizes[s]);
		probe_build(&pt, sizes[s]);
		measure_rates(WORK_PROBE, NULL, &pt, keys, false, NULL, &o,
			      &probe[s]);
		probe_release(&pt);
		for (unsigned p = 0; p < NPOLICIES; p++)
			run_policy(policies[p], sizes[s], keys, &o, &res[s][p]);
	}
	prog_progress_end();
	print_report(&o, probe, res);
	for (int t = 0; t < MAX_THREADS; t++)
		free(keys[t]);
	return 0;
}
