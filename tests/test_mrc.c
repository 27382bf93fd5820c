/* test_mrc.c - miss-ratio curves: LRU's one-pass curve against the cache
 * core's own LRU at every size, OPT's stack against a brute-force Belady,
 * hand-worked strings, and SHARDS against the exact curve. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"
#include "cache_sim.h"
#include "mrc.h"
#include "rng.h"

/* ---- helpers ---------------------------------------------------------- */

#define MAX_PAGES 128	/* the most distinct pages a test trace here has */

static uint64_t rng_state;

static uint64_t rng(void)		/* splitmix64: seeded, portable */
{
	return rng_splitmix64(&rng_state);
}

/* A trace with some locality: a hot set of a fifth of the pages takes
 * half the references, the rest are uniform; every fourth id carries the
 * write flag, which the curves must ignore. */
static void random_trace(uint32_t *ids, size_t n, uint32_t npages)
{
	uint32_t hot = npages / 5 ? npages / 5 : 1;

	for (size_t i = 0; i < n; i++) {
		uint32_t p = rng() % 2 ? (uint32_t)(rng() % hot) :
			     (uint32_t)(rng() % npages);

		ids[i] = p | (rng() % 4 == 0 ? ~MRC_ID_MASK : 0);
	}
}

/* Misses of the cache core's policy at nframes, through cache_sim_access,
 * with cache_check() at the end. */
static uint64_t sim_misses(const char *policy, const uint32_t *ids,
			   size_t n, uint32_t nframes)
{
	struct cache_config cfg = {
		.nframes = nframes, .policy = policy, .metadata_only = true,
	};
	struct cache *c = cache_new(&cfg);
	struct cache_sim_result r;
	uint64_t misses = 0;

	assert_non_null(c);
	for (size_t i = 0; i < n; i++) {
		int rc = cache_sim_access(c, 0, ids[i] & MRC_ID_MASK, &r);

		assert_true(rc >= 0 && rc <= 2);
		misses += rc > 0;
	}
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
	return misses;
}

/* Belady's OPT, by brute force: on a miss with every frame full, evict the
 * resident page whose next reference is farthest (never = farthest). */
static uint64_t belady_misses(const uint32_t *ids, size_t n, uint32_t k)
{
	uint32_t frame[MAX_PAGES], used = 0;
	uint64_t misses = 0;

	assert_true(k <= MAX_PAGES);

	for (size_t i = 0; i < n; i++) {
		uint32_t p = ids[i] & MRC_ID_MASK, far = 0;
		size_t far_next = 0;
		bool hit = false;

		for (uint32_t f = 0; f < used && !hit; f++)
			hit = frame[f] == p;
		if (hit)
			continue;
		misses++;
		if (k == 0)
			continue;
		if (used < k) {
			frame[used++] = p;
			continue;
		}
		for (uint32_t f = 0; f < used; f++) {
			size_t j = i + 1;

			while (j < n && (ids[j] & MRC_ID_MASK) != frame[f])
				j++;
			if (j > far_next) {
				far_next = j;
				far = f;
			}
		}
		frame[far] = p;
	}
	return misses;
}

/* ---- LRU -------------------------------------------------------------- */

/* The one-pass curve equals the core's LRU, size by size. */
static void test_mrc_lru_equals_simulation(void **state)
{
	static const uint32_t npages_of[] = { 1, 7, 40, 90 };

	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++) {
		uint32_t npages = npages_of[seed - 1];
		size_t n = 3000;
		uint32_t *ids = malloc(n * sizeof(*ids));
		uint64_t sizes[MAX_PAGES], misses[MAX_PAGES];

		assert_non_null(ids);
		rng_state = seed;
		random_trace(ids, n, npages);
		for (uint32_t k = 1; k <= npages; k++)
			sizes[k - 1] = k;
		assert_int_equal(mrc_lru(ids, n, npages, 1.0, sizes, npages,
					 misses), 0);
		for (uint32_t k = 1; k <= npages; k++) {
			uint64_t want = sim_misses("lru", ids, n, k);

			if (misses[k - 1] != want)
				fail_msg("seed %llu, %u pages, %u frames: "
					 "curve %llu, simulation %llu",
					 (unsigned long long)seed, npages, k,
					 (unsigned long long)misses[k - 1],
					 (unsigned long long)want);
		}
		free(ids);
	}
}

/* Belady's string 1 2 3 4 1 2 5 1 2 3 4 5 (pages 1..5, npages 6).  The LRU
 * stack after each reference (top first) and the reference's distance:
 *   1  cold  [1]
 *   2  cold  [2 1]
 *   3  cold  [3 2 1]
 *   4  cold  [4 3 2 1]
 *   1  4     [1 4 3 2]
 *   2  4     [2 1 4 3]
 *   5  cold  [5 2 1 4 3]
 *   1  3     [1 5 2 4 3]
 *   2  3     [2 1 5 4 3]
 *   3  5     [3 2 1 5 4]
 *   4  5     [4 3 2 1 5]
 *   5  5     [5 4 3 2 1]
 * 5 cold misses; distances 3 3 4 4 5 5 5.  A cache of k pages misses the
 * cold ones and the distances above k:
 *   k = 0, 1, 2: 12;  3: 5 + 5 = 10;  4: 5 + 3 = 8;  5 and more: 5.
 * (test_policy.c finds 10 and 8 by simulation.) */
static void test_mrc_lru_hand_worked(void **state)
{
	static const uint32_t belady[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
	static const uint64_t sizes[] = { 0, 1, 2, 3, 4, 5, 6, 1000 };
	static const uint64_t want[] = { 12, 12, 12, 10, 8, 5, 5, 5 };
	uint64_t misses[8];

	(void)state;
	assert_int_equal(mrc_lru(belady, 12, 6, 1.0, sizes, 8, misses), 0);
	for (int j = 0; j < 8; j++)
		assert_int_equal(misses[j], want[j]);
}

/* The textbook string (Silberschatz, Operating System Concepts, ch. 10) at
 * 3 frames: 12 LRU faults and 9 OPT faults.  OPT, with the next use of
 * each resident page when it must choose:
 *   7 0 1        faults 1-3
 *   2  next: 7@17 0@4 1@13    evicts 7       4
 *   0  hit
 *   3  next: 2@8 0@6 1@13     evicts 1       5
 *   0  hit
 *   4  next: 2@8 0@10 3@9     evicts 0       6
 *   2 3  hits
 *   0  next: 2@12 4@never 3@11  evicts 4     7
 *   3 2  hits
 *   1  next: 2@14 0@15 3@never  evicts 3     8
 *   2 0 1  hits
 *   7  next: 2@never 0@18 1@19  evicts 2     9
 *   0 1  hits                                 -> 9 */
static void test_mrc_textbook(void **state)
{
	static const uint32_t refs[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
					 0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };
	static const uint64_t three[] = { 3 };
	uint64_t misses;

	(void)state;
	assert_int_equal(mrc_lru(refs, 20, 8, 1.0, three, 1, &misses), 0);
	assert_int_equal(misses, 12);
	assert_int_equal(mrc_opt(refs, 20, 8, three, 1, &misses), 0);
	assert_int_equal(misses, 9);
	assert_int_equal(belady_misses(refs, 20, 3), 9);
}

static void test_mrc_errors(void **state)
{
	static const uint32_t bad[] = { 0, 1, 5 };
	static const uint32_t flagged[] = { 0x80000001u, 0, 1, 0x80000000u };
	static const uint64_t sizes[] = { 1, 2 };
	uint64_t misses[2];

	(void)state;
	assert_int_equal(mrc_lru(bad, 3, 5, 1.0, sizes, 2, misses), -EINVAL);
	assert_int_equal(mrc_opt(bad, 3, 5, sizes, 2, misses), -EINVAL);
	assert_int_equal(mrc_lru(bad, 2, 0, 1.0, sizes, 2, misses), -EINVAL);
	assert_int_equal(mrc_lru(bad, 2, 5, 0.0, sizes, 2, misses), -EINVAL);
	assert_int_equal(mrc_lru(bad, 2, 5, 1.5, sizes, 2, misses), -EINVAL);
	assert_int_equal(mrc_lru(bad, 2, 5, NAN, sizes, 2, misses), -EINVAL);
	/* The write flag is not part of the page: 1 0 1 0. */
	assert_int_equal(mrc_lru(flagged, 4, 2, 1.0, sizes, 2, misses), 0);
	assert_int_equal(misses[0], 4);
	assert_int_equal(misses[1], 2);
	assert_int_equal(mrc_opt(flagged, 4, 2, sizes, 2, misses), 0);
	assert_int_equal(misses[0], 4);
	assert_int_equal(misses[1], 2);
	/* An empty trace misses nothing. */
	assert_int_equal(mrc_lru(bad, 0, 5, 1.0, sizes, 2, misses), 0);
	assert_int_equal(misses[0], 0);
	assert_int_equal(mrc_opt(bad, 0, 5, sizes, 2, misses), 0);
	assert_int_equal(misses[1], 0);
}

/* ---- SHARDS ----------------------------------------------------------- */

/* n references, Zipf(1.0) over npages (rank r has weight 1/r), ranks
 * scattered over the ids by a seeded permutation. */
static uint32_t *zipf_trace(size_t n, uint32_t npages, uint64_t seed)
{
	double *cdf = malloc(npages * sizeof(*cdf)), sum = 0;
	uint32_t *perm = malloc(npages * sizeof(*perm));
	uint32_t *ids = malloc(n * sizeof(*ids));

	assert_true(cdf && perm && ids);
	rng_state = seed;
	for (uint32_t r = 0; r < npages; r++) {
		sum += 1.0 / (r + 1);
		cdf[r] = sum;
		perm[r] = r;
	}
	for (uint32_t r = npages; r-- > 1;) {
		uint32_t j = (uint32_t)(rng() % (r + 1)), t = perm[r];

		perm[r] = perm[j];
		perm[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		double u = (double)(rng() >> 11) / 9007199254740992.0 * sum;
		uint32_t lo = 0, hi = npages - 1;

		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		ids[i] = perm[lo];
	}
	free(cdf);
	free(perm);
	return ids;
}

/* SHARDS at R = 0.1 on 1M references over 100k pages (Zipf 1.0, three
 * seeds): at each size s with s * R >= 50 sampled pages the estimated miss
 * ratio is within 0.5 / sqrt(s * R) of the exact one (mrc.c: three times
 * the root-mean-square error over 60 seeds, above the worst of them): 0.07
 * at 500 pages, 0.005 at 100k.  A curve whose distances or counts were not scaled by 1/R would
 * be off by far more: the miss ratio moves by more than 0.1 over these
 * sizes, and by 0.9 at 100k pages. */
static void test_mrc_shards_close_to_exact(void **state)
{
	static const uint64_t sizes[] = { 500, 1000, 2000, 5000, 10000,
					  20000, 50000, 100000 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	const size_t n = 1000000;
	const uint32_t npages = 100000;
	const double rate = 0.1;

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		uint32_t *ids = zipf_trace(n, npages, seed);
		uint64_t exact[NS], est[NS];
		double worst = 0;

		assert_int_equal(mrc_lru(ids, n, npages, 1.0, sizes, NS,
					 exact), 0);
		assert_int_equal(mrc_lru(ids, n, npages, rate, sizes, NS, est),
				 0);
		assert_true((double)(exact[0] - exact[NS - 1]) / n > 0.1);
		for (int j = 0; j < NS; j++) {
			double e = fabs((double)est[j] - (double)exact[j]) / n;
			double tol = 0.5 / sqrt((double)sizes[j] * rate);

			if (e / tol > worst)
				worst = e / tol;
			if (e > tol)
				fail_msg("seed %llu, %llu pages: exact %.4f, "
					 "SHARDS %.4f, tolerance %.4f",
					 (unsigned long long)seed,
					 (unsigned long long)sizes[j],
					 (double)exact[j] / n,
					 (double)est[j] / n, tol);
		}
		fprintf(stderr, "# SHARDS R=0.1, seed %llu: worst error %.2f "
			"of the tolerance\n", (unsigned long long)seed, worst);
		free(ids);
	}
}

/* A rate so low that nothing is sampled says so. */
static void test_mrc_shards_empty_sample(void **state)
{
	static const uint32_t ids[] = { 3, 3, 3 };
	static const uint64_t sizes[] = { 1 };
	uint64_t misses;
	int rc;

	(void)state;
	/* Page 3 is either sampled at the smallest rate or not: both ways
	 * give an answer that is consistent. */
	rc = mrc_lru(ids, 3, 4, 1e-9, sizes, 1, &misses);
	assert_true(rc == 0 || rc == -ENODATA);
	if (rc == 0)
		assert_int_equal(misses, 1);
}

/* ---- OPT -------------------------------------------------------------- */

/* The OPT stack equals brute-force Belady at every size, on small random
 * traces (and OPT never misses more than LRU). */
static void test_mrc_opt_equals_belady(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++) {
		uint32_t npages = 3 + (uint32_t)seed * 5;
		size_t n = 400;
		uint32_t ids[400];
		uint64_t sizes[MAX_PAGES + 1], opt[MAX_PAGES + 1];
		uint64_t lru[MAX_PAGES + 1];

		rng_state = seed * 77;
		random_trace(ids, n, npages);
		for (uint32_t k = 0; k <= npages; k++)
			sizes[k] = k;
		assert_int_equal(mrc_opt(ids, n, npages, sizes, npages + 1,
					 opt), 0);
		assert_int_equal(mrc_lru(ids, n, npages, 1.0, sizes,
					 npages + 1, lru), 0);
		for (uint32_t k = 0; k <= npages; k++) {
			uint64_t want = belady_misses(ids, n, k);

			if (opt[k] != want)
				fail_msg("seed %llu, %u pages, %u frames: "
					 "stack %llu, Belady %llu",
					 (unsigned long long)seed, npages, k,
					 (unsigned long long)opt[k],
					 (unsigned long long)want);
			assert_true(opt[k] <= lru[k]);
		}
		/* Cut at a smaller largest size: the same figures. */
		assert_int_equal(mrc_opt(ids, n, npages, sizes, 3, opt), 0);
		for (uint32_t k = 0; k < 3; k++)
			assert_int_equal(opt[k], belady_misses(ids, n, k));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mrc_lru_equals_simulation),
		cmocka_unit_test(test_mrc_lru_hand_worked),
		cmocka_unit_test(test_mrc_textbook),
		cmocka_unit_test(test_mrc_errors),
		cmocka_unit_test(test_mrc_shards_close_to_exact),
		cmocka_unit_test(test_mrc_shards_empty_sample),
		cmocka_unit_test(test_mrc_opt_equals_belady),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
