/* sim_bench.c - how fast the simulator replays a trace through the cache
 * core, per policy, as a ratio to a baseline measured in the same run.
 *
 * What it measures.  A trace is generated in memory before any timing:
 * 10M references (1M with --quick) drawn from Zipf(1.0) over 1M pages
 * (rank r has weight 1/r, by Walker's alias method), each rank mapped to a
 * page id by a seeded random permutation so that hot pages are scattered
 * over the id space as they are in a file.  Then, on one core:
 *
 *   1. The baseline, "probe": the same trace through a bare open-addressing
 *      hash map, lookup and insert on a miss, nothing else: a uint32 slot
 *      table (load factor <= 1/2, the core's key_hash) over 32-byte entries
 *      (the size of the core's struct frame) holding the keys.  It keeps
 *      every page it has seen, so it ends with 1M entries where a cache
 *      keeps its frames (and ghosts): it is what "look every reference up
 *      in a hash table" costs, the floor under any simulator, not a cache.
 *   2. Each registered policy (policy_all(), or --policy), at 100k frames
 *      (or --frames): a metadata-only cache, every reference through
 *      cache_sim_access(), the simulator's one call, with
 *      cache_sim_prefetch() announcing each reference CACHE_SIM_AHEAD
 *      positions ahead (the trace is in memory).  A policy flagged
 *      POLICY_NEEDS_FUTURE (Belady's OPT) gets the trace position of the
 *      next reference to the same page through cache_set_next_use() before
 *      each access, from future_next_use() (sim/future.h, as framesim),
 *      run before timing.  After the timed replay (untimed): cache_check()
 *      must pass and the core's own miss counter must equal the misses the
 *      replay saw.
 *   3. Memory: cache_mem() after the replay: all metadata bytes (core,
 *      policy, ghosts) per frame, and per tracked page (resident frames
 *      plus ghost keys) when the policy counts its ghosts.
 *   4. The LRU miss-ratio curve (sim/mrc.c, exact) at 100 sizes, npages/100
 *      to npages, timed, as a ratio to one lru replay at the first frame
 *      count; its misses at each replayed frame count must equal what the
 *      lru replay counted.  SHARDS at R = 0.01 is timed too, for scale.
 *
 * Each figure is one run (--runs N: the best of N), timed in CPU time of
 * the (single) thread, CLOCK_THREAD_CPUTIME_ID, so that other jobs on a
 * shared machine do not count as ours; the process is pinned to the first
 * CPU it may use.  Those jobs still share the CPU's caches and memory
 * bandwidth: expect several percent of noise, more on a busy machine.  The
 * ratio to the probe, measured in the same run, is the figure to compare
 * between runs and machines.  Targets are printed for information: the
 * exit status never depends on timing.
 *
 * Exit status: 0 ok, 1 failure (a cache could not be built, a replay
 * failed, cache_check or a cross-check disagreed), 2 usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
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
#include "cache_sim.h"
#include "clock.h"
#include "future.h"
#include "keyhash.h"
#include "mrc.h"
#include "parse.h"
#include "policy.h"
#include "rng.h"

#define PROG "sim_bench"
#include "prog.h"

#define MRC_NSIZES	100
#define MAX_FRAMES	8		/* frame counts in --frames */
#define NEVER		FUTURE_NEVER	/* next use: not again */
#define PROBE_EMPTY	UINT32_MAX

/* Informational targets, requests/s on one core at 100k frames. */
#define TARGET_SIMPLE	20e6		/* fifo, lru, clock, sieve */
#define TARGET_ADAPTIVE	10e6		/* arc, 2q, s3fifo, lirs, clockpro */
#define TARGET_OPT	5e6
#define TARGET_BYTES	64		/* metadata per tracked page */
#define TARGET_MRC	2.0		/* curve cost in lru replays */

struct opts {
	uint64_t nrefs;
	uint32_t npages;
	uint64_t seed;
	uint32_t frames[MAX_FRAMES];
	int nframes;
	char **policies;		/* NULL-terminated; NULL: all */
	int runs;
	bool json;
};

/* One policy at one frame count. */
struct result {
	const char *policy;
	uint32_t frames;
	double secs;			/* best replay */
	uint64_t misses;
	struct cache_mem mem;
};

struct probe_ent {
	uint64_t ino, pgno;		/* the key */
	uint64_t val[2];		/* pads to sizeof(struct frame) */
};

/* ---- helpers ---------------------------------------------------------- */

/* malloc(n), or exit(1) saying what could not be had. */
static void *xmalloc(size_t n, const char *what)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		prog_fail(what, strerror(ENOMEM));
	return p;
}

/* Uniform in [0, n) from splitmix64 state s. */
static uint32_t draw_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(((rng_splitmix64(s) >> 32) * n) >> 32);
}

static void pin_first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &set)) {
			CPU_ZERO(&set);
			CPU_SET(i, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
	}
}

/* ---- the trace -------------------------------------------------------- */

/* n references, Zipf(1.0) over npages, by Walker's alias method (Vose's
 * construction): a uniform column i, then i or alias[i] by a biased coin. */
static uint32_t *trace_make(uint64_t n, uint32_t npages, uint64_t seed)
{
	double *prob = xmalloc(npages * sizeof(*prob), "trace");
	uint32_t *alias = xmalloc(npages * sizeof(*alias), "trace");
	uint32_t *perm = xmalloc(npages * sizeof(*perm), "trace");
	uint32_t *small = xmalloc(npages * sizeof(*small), "trace");
	uint32_t *large = xmalloc(npages * sizeof(*large), "trace");
	uint32_t *ids = xmalloc(n * sizeof(*ids), "trace");
	uint32_t ns = 0, nl = 0;
	uint64_t s = seed;
	double h = 0;

	/* Step 1: the alias table; prob[] holds the scaled weights first. */
	for (uint32_t r = 0; r < npages; r++)
		h += 1.0 / (r + 1);
	for (uint32_t r = 0; r < npages; r++) {
		prob[r] = npages / ((r + 1) * h);
		alias[r] = r;
		if (prob[r] < 1)
			small[ns++] = r;
		else
			large[nl++] = r;
	}
	while (ns && nl) {
		uint32_t l = small[--ns], g = large[nl - 1];

		alias[l] = g;
		prob[g] -= 1 - prob[l];
		if (prob[g] < 1) {
			nl--;
			small[ns++] = g;
		}
	}
	while (nl)
		prob[large[--nl]] = 1;
	while (ns)
		prob[small[--ns]] = 1;

	/* Step 2: ranks scattered over the ids. */
	for (uint32_t r = 0; r < npages; r++)
		perm[r] = r;
	for (uint32_t r = npages; r-- > 1;) {
		uint32_t j = draw_below(&s, r + 1), t = perm[r];

		perm[r] = perm[j];
		perm[j] = t;
	}

	/* Step 3: the references. */
	for (uint64_t i = 0; i < n; i++) {
		uint32_t col = draw_below(&s, npages);
		double coin = (double)(rng_splitmix64(&s) >> 11) * 0x1p-53;

		ids[i] = perm[coin < prob[col] ? col : alias[col]];
	}
	free(prob);
	free(alias);
	free(perm);
	free(small);
	free(large);
	return ids;
}

/* next[i]: the position of the next reference to ids[i]'s page, as
 * framesim computes it. */
static uint32_t *next_uses(const uint32_t *ids, uint64_t n, uint32_t npages)
{
	uint32_t *next = xmalloc(n * sizeof(*next), "next uses");
	int rc = future_next_use(ids, n, npages, next);

	if (rc < 0)
		prog_fail("next uses", strerror(-rc));
	return next;
}

/* ---- the baseline ----------------------------------------------------- */

/* Replays the trace through a bare hash map; returns seconds, and the
 * number of distinct pages in *distinct (a checksum of the work). */
static double probe_run(const uint32_t *ids, uint64_t n, uint32_t npages,
			uint32_t *distinct)
{
	uint32_t size = 1, nent = 0, mask;
	uint32_t *slot;
	struct probe_ent *ent;
	double t0, t1;

	while (size < 2 * npages)
		size <<= 1;
	mask = size - 1;
	slot = xmalloc((size_t)size * sizeof(*slot), "probe");
	ent = xmalloc((size_t)npages * sizeof(*ent), "probe");
	memset(slot, 0xff, (size_t)size * sizeof(*slot));
	memset(ent, 0, (size_t)npages * sizeof(*ent));
	t0 = now_sec(CLOCK_THREAD_CPUTIME_ID);
	for (uint64_t k = 0; k < n; k++) {
		uint64_t pgno = ids[k];
		uint32_t i = key_hash(0, pgno) & mask, e;

		while ((e = slot[i]) != PROBE_EMPTY) {
			if (ent[e].pgno == pgno && ent[e].ino == 0)
				break;
			i = (i + 1) & mask;
		}
		if (e == PROBE_EMPTY) {
			ent[nent].ino = 0;
			ent[nent].pgno = pgno;
			slot[i] = nent++;
		} else {
			ent[e].val[0]++;
		}
	}
	t1 = now_sec(CLOCK_THREAD_CPUTIME_ID);
	*distinct = nent;
	free(slot);
	free(ent);
	return t1 - t0;
}

/* ---- the replays ------------------------------------------------------ */

/* One timed replay; returns seconds, or a negative value on failure (with
 * a message printed). */
static double replay(const char *spec, const struct policy_ops *ops,
		     uint32_t frames, const uint32_t *ids,
		     const uint32_t *next, uint64_t n, struct result *res)
{
	struct cache_config cfg = {
		.nframes = frames, .policy = spec, .metadata_only = true,
	};
	bool future = ops->flags & POLICY_NEEDS_FUTURE;
	struct cache_sim_result r;
	struct cache_stats st;
	struct cache *c = cache_new(&cfg);
	uint64_t misses = 0;
	double t0, t1;

	if (!c) {
		fprintf(stderr, PROG ": %s at %u frames: %s\n", spec,
			frames, strerror(errno));
		return -1;
	}
	t0 = now_sec(CLOCK_THREAD_CPUTIME_ID);
	for (uint64_t i = 0; i < n; i++) {
		int rc;

		if (future)
			cache_set_next_use(c, future_when(next[i]));
		if (i + CACHE_SIM_AHEAD < n)
			cache_sim_prefetch(c, 0, ids[i + CACHE_SIM_AHEAD]);
		rc = cache_sim_access(c, 0, ids[i], &r);
		if (rc < 0) {
			fprintf(stderr, PROG ": %s at %u frames: reference "
				"%llu: %s\n", spec, frames,
				(unsigned long long)i, strerror(-rc));
			cache_free(c);
			return -1;
		}
		misses += rc > 0;
	}
	t1 = now_sec(CLOCK_THREAD_CPUTIME_ID);

	/* Untimed: the core is consistent and counted what we saw. */
	if (cache_check(c) != 0) {
		fprintf(stderr, PROG ": %s at %u frames: cache_check failed\n",
			spec, frames);
		cache_free(c);
		return -1;
	}
	cache_stats(c, &st);
	if (st.misses != misses || st.lookups != n) {
		fprintf(stderr, PROG ": %s at %u frames: the core counted %llu "
			"lookups, %llu misses; the replay %llu, %llu\n",
			spec, frames, (unsigned long long)st.lookups,
			(unsigned long long)st.misses, (unsigned long long)n,
			(unsigned long long)misses);
		cache_free(c);
		return -1;
	}
	res->misses = misses;
	cache_mem(c, &res->mem);
	cache_free(c);
	return t1 - t0;
}

static double mem_total(const struct cache_mem *m)
{
	return (double)(m->core_bytes + m->policy_bytes + m->ghost_bytes);
}

/* Bytes per tracked page, or -1 when the policy does not count ghosts. */
static double mem_per_tracked(const struct cache_mem *m)
{
	if (m->ghosts == UINT32_MAX)
		return -1;
	return mem_total(m) / ((double)m->resident + m->ghosts);
}

static double target_of(const char *policy)
{
	static const char *const simple[] = { "fifo", "lru", "clock",
					      "sieve", NULL };
	static const char *const adaptive[] = { "arc", "2q", "s3fifo", "lirs",
						"clockpro", NULL };

	for (int i = 0; simple[i]; i++)
		if (strcmp(policy, simple[i]) == 0)
			return TARGET_SIMPLE;
	for (int i = 0; adaptive[i]; i++)
		if (strcmp(policy, adaptive[i]) == 0)
			return TARGET_ADAPTIVE;
	if (strcmp(policy, "opt") == 0)
		return TARGET_OPT;
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [--quick] [--json] [--policy LIST] [--frames LIST]\n"
"                 [--refs N] [--pages N] [--seed N] [--runs N]\n"
"\n"
"Replays a Zipf(1.0) trace, generated in memory, through every eviction\n"
"policy of the cache core on one core, as the simulator does, and prints\n"
"requests per second, the ratio to a bare hash-map replay of the same\n"
"trace (\"probe\"), the metadata bytes per frame and per tracked page, and\n"
"the cost of LRU's one-pass miss-ratio curve over 100 sizes.\n"
"\n"
"  -q, --quick         1M references instead of 10M (a smoke run)\n"
"  -j, --json          one JSON object on stdout instead of the table\n"
"  -p, --policy LIST   comma-separated policies (default: all)\n"
"  -n, --frames LIST   comma-separated frame counts (default: 100000)\n"
"      --refs N        references in the trace (default: 10000000)\n"
"      --pages N       distinct pages of the Zipf law (default: 1000000)\n"
"      --seed N        the trace's seed (default: 1)\n"
"  -r, --runs N        time each replay N times, keep the best (default 1)\n"
"  -h, --help          this help\n"
"  -V, --version       print the version\n"
"\n"
"examples:\n"
"  " PROG "                         the full run (about a minute)\n"
"  " PROG " --quick --json          CI's smoke run\n"
"  " PROG " -p lru,clock -n 100000,10000 -r 3\n"
"\n"
"Exit status: 0 ok (timings never fail), 1 failure (a replay failed or a\n"
"cross-check disagreed), 2 usage error.\n");
}

/* All of s is a number from lo to hi. */
static bool parse_in(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	return parse_u64_all(s, v) && *v >= lo && *v <= hi;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "policy", required_argument, NULL, 'p' },
		{ "frames", required_argument, NULL, 'n' },
		{ "refs", required_argument, NULL, 'R' },
		{ "pages", required_argument, NULL, 'P' },
		{ "seed", required_argument, NULL, 'S' },
		{ "runs", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *frames_arg = "100000";
	bool refs_given = false, quick = false;
	uint64_t v;
	int opt;

	while ((opt = getopt_long(argc, argv, "qjp:n:r:hV", lopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'q': quick = true; break;
		case 'j': o->json = true; break;
		case 'p':
			if (policy_split_list(optarg, &o->policies) <= 0) {
				fprintf(stderr, PROG ": --policy: empty\n");
				exit(2);
			}
			break;
		case 'n': frames_arg = optarg; break;
		case 'R':
			if (!parse_in(optarg, 1, NEVER - 1, &o->nrefs)) {
				fprintf(stderr, PROG ": --refs: %s: not a "
					"count from 1 to %u\n", optarg,
					NEVER - 1);
				exit(2);
			}
			refs_given = true;
			break;
		case 'P':
			if (!parse_in(optarg, 1, MRC_ID_MASK, &v)) {
				fprintf(stderr, PROG ": --pages: %s: not a "
					"count from 1 to %u\n", optarg,
					MRC_ID_MASK);
				exit(2);
			}
			o->npages = (uint32_t)v;
			break;
		case 'S':
			if (!parse_in(optarg, 0, UINT64_MAX, &o->seed)) {
				fprintf(stderr, PROG ": --seed: %s: not a "
					"number\n", optarg);
				exit(2);
			}
			break;
		case 'r':
			if (!parse_in(optarg, 1, 100, &v)) {
				fprintf(stderr, PROG ": --runs: %s: not a "
					"count from 1 to 100\n", optarg);
				exit(2);
			}
			o->runs = (int)v;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf(PROG " " FRAMEFS_VERSION "\n"); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": %s: unexpected argument\n",
			argv[optind]);
		exit(2);
	}
	if (quick && !refs_given)
		o->nrefs = 1000000;
	{
		char *copy = strdup(frames_arg), *save = NULL, *tok;

		if (!copy)
			prog_fail("--frames", strerror(ENOMEM));
		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (o->nframes == MAX_FRAMES ||
			    !parse_in(tok, 1, 1u << 30, &v)) {
				fprintf(stderr, PROG ": --frames: %s: not a "
					"frame count from 1 to 2^30 (at most "
					"%d of them)\n", tok, MAX_FRAMES);
				exit(2);
			}
			o->frames[o->nframes++] = (uint32_t)v;
		}
		free(copy);
		if (o->nframes == 0) {
			fprintf(stderr, PROG ": --frames: empty\n");
			exit(2);
		}
	}
	for (int i = 0; o->policies && o->policies[i]; i++) {
		const struct policy_ops *ops;
		double param[POLICY_MAX_PARAMS];
		char err[128];

		if (policy_parse(o->policies[i], &ops, param, err,
				 sizeof(err)) < 0) {
			fprintf(stderr, PROG ": --policy: %s\n", err);
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	struct opts o = {
		.nrefs = 10000000, .npages = 1000000, .seed = 1, .runs = 1,
	};
	const struct policy_ops *const *all = policy_all();
	const struct policy_ops *run_ops[64];
	struct result *res;
	uint32_t *ids, *next = NULL, distinct = 0;
	uint64_t *sizes, *curve;
	double probe_secs = 1e300, mrc_secs, shards_secs, t0, lru_secs = -1;
	size_t nsizes;
	int npol = 0, nres = 0, status = 0;

	parse_args(argc, argv, &o);
	pin_first_cpu();

	/* Step 1: which policies (a spec with parameters keeps them). */
	if (o.policies) {
		for (int i = 0; o.policies[i] && npol < 64; i++) {
			double param[POLICY_MAX_PARAMS];
			char err[128];

			policy_parse(o.policies[i], &run_ops[npol], param, err,
				     sizeof(err));
			npol++;
		}
	} else {
		for (int i = 0; all[i] && npol < 64; i++)
			run_ops[npol++] = all[i];
	}

	/* Step 2: the trace, and next uses if a policy looks ahead. */
	prog_progress("generating %llu references over %u pages",
		      (unsigned long long)o.nrefs, o.npages);
	ids = trace_make(o.nrefs, o.npages, o.seed);
	for (int p = 0; p < npol; p++)
		if (run_ops[p]->flags & POLICY_NEEDS_FUTURE)
			next = next ? next : next_uses(ids, o.nrefs, o.npages);

	/* Step 3: the baseline. */
	for (int k = 0; k < o.runs; k++) {
		double s;

		prog_progress("probe");
		s = probe_run(ids, o.nrefs, o.npages, &distinct);
		if (s < probe_secs)
			probe_secs = s;
	}

	/* Step 4: every policy at every frame count. */
	res = calloc((size_t)npol * o.nframes, sizeof(*res));
	if (!res)
		prog_fail("results", strerror(ENOMEM));
	for (int p = 0; p < npol; p++) {
		for (int f = 0; f < o.nframes; f++) {
			struct result *r = &res[nres++];

			r->policy = o.policies ? o.policies[p] :
				    run_ops[p]->name;
			r->frames = o.frames[f];
			r->secs = 1e300;
			for (int k = 0; k < o.runs; k++) {
				double s;

				prog_progress("%s at %u frames", r->policy,
					      r->frames);
				s = replay(r->policy, run_ops[p], r->frames,
					   ids, next, o.nrefs, r);
				if (s < 0)
					exit(1);
				if (s < r->secs)
					r->secs = s;
			}
			if (strcmp(run_ops[p]->name, "lru") == 0 && f == 0 &&
			    lru_secs < 0)
				lru_secs = r->secs;
		}
	}

	/* Step 5: LRU's curve over 100 sizes, plus the replayed frame
	 * counts for the cross-check. */
	nsizes = MRC_NSIZES + (size_t)o.nframes;
	sizes = xmalloc(nsizes * sizeof(*sizes), "mrc");
	curve = xmalloc(nsizes * sizeof(*curve), "mrc");
	for (int k = 0; k < MRC_NSIZES; k++)
		sizes[k] = (uint64_t)o.npages * (k + 1) / MRC_NSIZES;
	for (int f = 0; f < o.nframes; f++)
		sizes[MRC_NSIZES + f] = o.frames[f];
	prog_progress("mrc_lru");
	t0 = now_sec(CLOCK_THREAD_CPUTIME_ID);
	if (mrc_lru(ids, o.nrefs, o.npages, 1.0, sizes, nsizes, curve) < 0)
		prog_fail("mrc_lru", "failed");
	mrc_secs = now_sec(CLOCK_THREAD_CPUTIME_ID) - t0;
	for (int i = 0; i < nres; i++) {
		if (strcmp(res[i].policy, "lru") != 0)
			continue;
		for (int f = 0; f < o.nframes; f++) {
			if (res[i].frames == o.frames[f] &&
			    curve[MRC_NSIZES + f] != res[i].misses) {
				fprintf(stderr, PROG ": mrc_lru says %llu "
					"misses at %u frames, the lru replay "
					"%llu\n", (unsigned long long)
					curve[MRC_NSIZES + f], o.frames[f],
					(unsigned long long)res[i].misses);
				status = 1;
			}
		}
	}
	t0 = now_sec(CLOCK_THREAD_CPUTIME_ID);
	if (mrc_lru(ids, o.nrefs, o.npages, 0.01, sizes, nsizes, curve) < 0)
		prog_fail("mrc_lru (SHARDS)", "failed");
	shards_secs = now_sec(CLOCK_THREAD_CPUTIME_ID) - t0;
	prog_progress_end();

	/* Step 6: the report. */
	if (o.json) {
		printf("{\"refs\": %llu, \"pages\": %u, \"distinct\": %u, "
		       "\"seed\": %llu, \"runs\": %d,\n",
		       (unsigned long long)o.nrefs, o.npages, distinct,
		       (unsigned long long)o.seed, o.runs);
		printf(" \"probe_rps\": %.0f,\n \"policies\": [\n",
		       o.nrefs / probe_secs);
		for (int i = 0; i < nres; i++) {
			struct result *r = &res[i];
			double rps = o.nrefs / r->secs;
			double tracked = mem_per_tracked(&r->mem);

			printf("  {\"policy\": \"%s\", \"frames\": %u, "
			       "\"rps\": %.0f, \"vs_probe\": %.3f, "
			       "\"miss_ratio\": %.6f, \"bytes_per_frame\": "
			       "%.1f, \"bytes_per_tracked\": ", r->policy,
			       r->frames, rps, rps / (o.nrefs / probe_secs),
			       (double)r->misses / o.nrefs,
			       mem_total(&r->mem) / r->frames);
			if (tracked < 0)
				printf("null");
			else
				printf("%.1f", tracked);
			printf(", \"ghosts\": ");
			if (r->mem.ghosts == UINT32_MAX)
				printf("null}");
			else
				printf("%u}", r->mem.ghosts);
			printf("%s\n", i + 1 < nres ? "," : "");
		}
		printf(" ],\n \"mrc_lru\": {\"sizes\": %d, \"seconds\": %.4f, "
		       "\"vs_lru_replay\": ", MRC_NSIZES, mrc_secs);
		if (lru_secs > 0)
			printf("%.3f", mrc_secs / lru_secs);
		else
			printf("null");
		printf(", \"shards_0.01_seconds\": %.4f}}\n", shards_secs);
		goto out;
	}
	printf("trace: %llu references, Zipf(1.0) over %u pages (%u "
	       "touched), seed %llu; one core, best of %d\n",
	       (unsigned long long)o.nrefs, o.npages, distinct,
	       (unsigned long long)o.seed, o.runs);
	printf("probe (bare hash map, lookup/insert): %.2fM requests/s\n\n",
	       o.nrefs / probe_secs / 1e6);
	printf("%-10s %8s %10s %7s %8s %8s %10s %8s\n", "policy", "frames",
	       "req/s", "/probe", "misses", "B/frame", "B/tracked", "target");
	for (int i = 0; i < nres; i++) {
		struct result *r = &res[i];
		double rps = o.nrefs / r->secs;
		double target = r->frames == 100000 ? target_of(r->policy) : 0;
		double tracked = mem_per_tracked(&r->mem);
		char tb[16], gb[16];

		if (tracked < 0)
			snprintf(tb, sizeof(tb), "?");
		else
			snprintf(tb, sizeof(tb), "%.1f", tracked);
		if (target > 0)
			snprintf(gb, sizeof(gb), "%.0fM %s", target / 1e6,
				 rps >= target ? "ok" : "MISS");
		else
			snprintf(gb, sizeof(gb), "-");
		printf("%-10s %8u %9.2fM %7.3f %8.4f %8.1f %10s %8s\n",
		       r->policy, r->frames, rps / 1e6,
		       rps / (o.nrefs / probe_secs),
		       (double)r->misses / o.nrefs,
		       mem_total(&r->mem) / r->frames, tb, gb);
	}
	printf("\nmrc_lru, %d sizes (%llu .. %u pages), exact: %.3f s",
	       MRC_NSIZES, (unsigned long long)sizes[0], o.npages, mrc_secs);
	if (lru_secs > 0)
		printf(" = %.2f lru replays (target < %.0f: %s)",
		       mrc_secs / lru_secs, TARGET_MRC,
		       mrc_secs / lru_secs < TARGET_MRC ? "ok" : "MISS");
	printf("\n  agrees with the lru replays: %s; SHARDS R=0.01: %.3f s\n",
	       lru_secs < 0 ? "not run" : status ? "NO" : "yes",
	       shards_secs);
	printf("B/frame: all metadata (core, policy, ghosts) over the frames;"
	       " B/tracked: over\nresident pages + ghost keys (target <= %d;"
	       " ? = the policy does not count its\nghosts).  misses: miss "
	       "ratio.\n", TARGET_BYTES);
out:
	free(sizes);
	free(curve);
	free(res);
	free(next);
	free(ids);
	if (o.policies) {
		for (int i = 0; o.policies[i]; i++)
			free(o.policies[i]);
		free(o.policies);
	}
	return status;
}
