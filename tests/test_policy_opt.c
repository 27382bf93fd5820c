/* test_policy_opt.c - Belady's OPT (cache/policy_opt.c): the textbook
 * string, busy frames, ties, and OPT against every other registered policy
 * on seeded traces.  OPT is fed as framesim feeds it: every next use
 * computed before the replay in one backward pass, future_next_use()
 * (sim/future.h), the pass framesim and sim_bench make over their own
 * traces, each given with cache_set_next_use() just before its access.
 * The accesses go through the protocol path (cache_get,
 * cache_evict_begin/_end, as policy_trace.h makes them); test_policy.c
 * checks that framesim's path, cache_sim_access, decides the same for
 * every policy, OPT included. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache_sim.h"
#include "future.h"

#define MAX_FRAMES 1024	/* the most frames naive_min() is asked about */
#include "policy_trace.h"

#define NEVER NO_VICTIM

/* ---- helpers ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	return trace_rng(&rng_state);
}

/* One access: its next use first, as a simulator sets it, then the access
 * by trace_access_pin (kept: NULL, or where the still pinned frame goes). */
static int access_next(struct cache *c, uint64_t pgno, uint64_t next,
		       uint64_t *victim, struct frame **kept)
{
	cache_set_next_use(c, next);
	return trace_access_pin(c, pgno, victim, kept);
}

/* The page ids of refs[0 .. n-1] run from 0 to the largest. */
static uint32_t npages_of(const uint32_t *refs, size_t n)
{
	uint32_t top = 0;

	for (size_t i = 0; i < n; i++)
		if (refs[i] > top)
			top = refs[i];
	return top + 1;
}

/* Replays refs[0 .. n-1] through policy with nframes frames, next uses
 * from future_next_use(); returns the faults.  victims (if not NULL) gets
 * each access's victim. */
static int replay(const char *policy, uint32_t nframes, const uint32_t *refs,
		  size_t n, uint64_t *victims)
{
	struct cache *c = trace_cache(policy, nframes);
	uint32_t *next = malloc(n * sizeof(*next) + 1);
	uint64_t victim;
	int faults = 0;

	assert_non_null(next);
	assert_int_equal(future_next_use(refs, n, npages_of(refs, n), next),
			 0);
	for (size_t i = 0; i < n; i++) {
		faults += access_next(c, refs[i], future_when(next[i]),
				      &victim, NULL);
		if (victims)
			victims[i] = victim;
	}
	free(next);
	cache_free(c);
	return faults;
}

/* ---- hand-checked strings --------------------------------------------- */

/* The textbook string (Silberschatz, Operating System Concepts, ch. 10)
 * with 3 frames: 9 faults.  Next uses (positions from 0; "-": never):
 *
 *   pos  0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19
 *   ref  7 0 1 2 0 3 0 4 2 3  0  3  2  1  2  0  1  7  0  1
 *
 *   pos ref  frames f0 f1 f2 (page@next use)   evicts (farthest next use)
 *    0   7   7@17                               fault 1
 *    1   0   7@17 0@4                           fault 2
 *    2   1   7@17 0@4 1@13                      fault 3
 *    3   2   2@8  0@4 1@13      7 (17 > 13 > 4)  fault 4
 *    4   0   hit, 0@6
 *    5   3   2@8  0@6 3@9       1 (13 > 8 > 6)   fault 5
 *    6   0   hit, 0@10
 *    7   4   2@8  4@-  3@9      0 (10 > 9 > 8)   fault 6
 *    8   2   hit, 2@12
 *    9   3   hit, 3@11
 *   10   0   2@12 0@15 3@11     4 (never)        fault 7
 *   11   3   hit, 3@-
 *   12   2   hit, 2@14
 *   13   1   2@14 0@15 1@16     3 (never)        fault 8
 *   14   2   hit, 2@-
 *   15   0   hit, 0@18
 *   16   1   hit, 1@19
 *   17   7   7@-  0@18 1@19     2 (never)        fault 9
 *   18   0   hit, 0@-
 *   19   1   hit, 1@-
 *
 * Victims 7 1 0 4 3 2; in the end every page is never used again and the
 * heap's top is the lowest frame (the tie rule). */
static const uint32_t textbook[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
				     0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };

static void test_policy_opt_textbook(void **state)
{
	static const uint64_t victims[] = {
		NEVER, NEVER, NEVER, 7, NEVER, 1, NEVER, 0, NEVER, NEVER,
		4, NEVER, NEVER, 3, NEVER, NEVER, NEVER, 2, NEVER, NEVER,
	};
	struct cache *c = trace_cache("opt", 3);
	uint32_t next[20];
	uint64_t victim;
	int faults = 0;

	(void)state;
	assert_int_equal(future_next_use(textbook, 20, 8, next), 0);
	for (int i = 0; i < 20; i++) {
		faults += access_next(c, textbook[i], future_when(next[i]),
				      &victim, NULL);
		assert_int_equal(victim, victims[i]);
		if (i == 7)
			trace_show_is(c, "next use by frame: "
					    "2@8 4@never 3@9; farthest 4");
	}
	assert_int_equal(faults, 9);
	trace_show_is(c, "next use by frame: 7@never 0@never "
			    "1@never; farthest 7");
	cache_free(c);
	/* Fewer faults than FIFO (15) and LRU (12) on the same string. */
	assert_int_equal(replay("fifo", 3, textbook, 20, NULL), 15);
	assert_int_equal(replay("lru", 3, textbook, 20, NULL), 12);
}

/* A busy frame is passed over and keeps its place: with page 3 (used
 * farthest, at 30) pinned, page 2 (at 20) goes; once unpinned, 3 goes. */
static void test_policy_opt_skips_busy(void **state)
{
	struct cache *c = trace_cache("opt", 4);
	struct frame *held, *v;
	uint64_t victim, ino, pgno;

	(void)state;
	access_next(c, 1, 10, &victim, NULL);
	access_next(c, 2, 20, &victim, NULL);
	access_next(c, 3, 30, &victim, &held);
	access_next(c, 4, 5, &victim, NULL);
	assert_int_equal(cache_evict_begin(c, &v), 0);
	cache_frame_key(c, v, &ino, &pgno);
	assert_int_equal(pgno, 2);
	assert_int_equal(cache_check(c), 0);
	assert_int_equal(cache_evict_end(c, v), 0);
	/* Still pinned: next 1 (10), then 4 (5); 3 stays. */
	assert_int_equal(cache_evict_begin(c, &v), 0);
	cache_frame_key(c, v, &ino, &pgno);
	assert_int_equal(pgno, 1);
	/* Refused: the page is used again while evicting (aborts). */
	assert_ptr_equal(cache_lookup(c, 0, 1, 0), v);
	assert_int_equal(cache_evict_end(c, v), -EBUSY);
	cache_unpin(c, v);
	assert_int_equal(cache_check(c), 0);
	cache_unpin(c, held);
	assert_int_equal(cache_evict_begin(c, &v), 0);
	cache_frame_key(c, v, &ino, &pgno);
	assert_int_equal(pgno, 3);
	assert_int_equal(cache_evict_end(c, v), 0);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* A hit moves the page's next use: 1 (at 5) becomes the farthest once hit
 * with a next use of 100. */
static void test_policy_opt_hit_moves_key(void **state)
{
	struct cache *c = trace_cache("opt", 3);
	uint64_t victim;

	(void)state;
	access_next(c, 1, 5, &victim, NULL);
	access_next(c, 2, 6, &victim, NULL);
	access_next(c, 3, 7, &victim, NULL);
	assert_int_equal(access_next(c, 1, 100, &victim, NULL), 0);
	assert_int_equal(access_next(c, 4, NEVER, &victim, NULL), 1);
	assert_int_equal(victim, 1);
	cache_free(c);
}

/* Without a simulator setting next uses every key is "never": OPT then
 * evicts the lowest evictable frame, and stays consistent. */
static void test_policy_opt_ties_lowest_frame(void **state)
{
	struct cache *c = trace_cache("opt", 3);
	struct frame *fr, *v;
	uint64_t ino, pgno;

	(void)state;
	for (uint64_t p = 1; p <= 3; p++) {		/* f0 f1 f2 */
		assert_int_equal(cache_get(c, 0, p, 0, &fr), 1);
		cache_load_done(c, fr, 0);
		cache_unpin(c, fr);
	}
	for (int round = 0; round < 3; round++) {
		assert_int_equal(cache_evict_begin(c, &v), 0);
		cache_frame_key(c, v, &ino, &pgno);
		assert_int_equal(cache_frame_no(c, v), 0);
		assert_int_equal(cache_evict_end(c, v), 0);
		assert_int_equal(cache_get(c, 0, 10 + (uint64_t)round, 0, &fr),
				 1);
		assert_int_equal(cache_frame_no(c, fr), 0);
		cache_load_done(c, fr, 0);
		cache_unpin(c, fr);
		assert_int_equal(cache_check(c), 0);
	}
	cache_free(c);
}

/* ---- OPT is optimal --------------------------------------------------- */

/* Belady's MIN by brute force: on a fault with full frames, scan ahead for
 * the resident page used farthest (or never). */
static int naive_min(uint32_t nframes, const uint32_t *refs, size_t n)
{
	uint32_t res[MAX_FRAMES];
	uint32_t len = 0;
	int faults = 0;

	assert_true(nframes <= MAX_FRAMES);

	for (size_t i = 0; i < n; i++) {
		uint32_t k, far = 0;
		size_t farpos = 0;

		for (k = 0; k < len && res[k] != refs[i]; k++)
			;
		if (k < len)
			continue;
		faults++;
		if (len < nframes) {
			res[len++] = refs[i];
			continue;
		}
		for (k = 0; k < len; k++) {
			size_t j;

			for (j = i + 1; j < n && refs[j] != res[k]; j++)
				;
			if (j > farpos) {
				farpos = j;
				far = k;
			}
		}
		res[far] = refs[i];
	}
	return faults;
}

/* One seeded trace over u pages: uniform, skewed (the minimum of two
 * draws), or a loop with noise. */
static void make_trace(uint32_t *refs, size_t n, uint32_t u, int kind)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t a = (uint32_t)(rng() % u), b = (uint32_t)(rng() % u);

		switch (kind) {
		case 0:
			refs[i] = a;
			break;
		case 1:
			refs[i] = a < b ? a : b;
			break;
		default:
			refs[i] = rng() % 8 ? (uint32_t)(i % u) : a;
		}
	}
}

/* OPT on refs against the brute-force MIN and every other policy; counts
 * the comparisons and those OPT won outright. */
static void opt_against_all(const uint32_t *refs, size_t n, uint32_t nf,
			    int *compared, int *strictly)
{
	int opt = replay("opt", nf, refs, n, NULL);

	assert_int_equal(opt, naive_min(nf, refs, n));
	for (const struct policy_ops *const *p = policy_all(); *p; p++) {
		int other;

		if (strcmp((*p)->name, "opt") == 0)
			continue;
		other = replay((*p)->name, nf, refs, n, NULL);
		if (opt > other)
			fprintf(stderr, "# %s: %d faults, opt %d\n", (*p)->name,
				other, opt);
		assert_true(opt <= other);
		(*compared)++;
		*strictly += opt < other;
	}
}

/* Over many seeded traces, small page universes and several frame counts,
 * OPT faults exactly as often as the brute-force MIN, and never more than
 * any other registered policy. */
static void test_policy_opt_beats_every_policy(void **state)
{
	static const uint32_t universes[] = { 4, 7, 12, 20 };
	static const uint32_t frames[] = { 1, 2, 3, 5, 8 };
	enum { N = 300, SEEDS = 12 };
	uint32_t refs[N];
	int compared = 0, strictly = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		for (size_t ui = 0; ui < 4; ui++) {
			for (size_t fi = 0; fi < 5; fi++) {
				if (frames[fi] >= universes[ui])
					continue;
				fprintf(stderr, "# seed %llu, %u pages, %u "
					"frames\n", (unsigned long long)seed,
					universes[ui], frames[fi]);
				rng_state = seed * 1000 + ui * 10 + fi;
				make_trace(refs, N, universes[ui],
					   (int)(seed % 3));
				opt_against_all(refs, N, frames[fi],
						&compared, &strictly);
			}
		}
	}
	/* The comparison ran, and found OPT ahead somewhere. */
	fprintf(stderr, "# %d comparisons, opt ahead in %d\n", compared,
		strictly);
	assert_true(compared > 100);
	assert_true(strictly > compared / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_opt_textbook),
		cmocka_unit_test(test_policy_opt_skips_busy),
		cmocka_unit_test(test_policy_opt_hit_moves_key),
		cmocka_unit_test(test_policy_opt_ties_lowest_frame),
		cmocka_unit_test(test_policy_opt_beats_every_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
