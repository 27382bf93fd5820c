/* test_policy_random.c - random replacement (cache/policy_random.c): exact
 * victims for a seed, reproducibility, uniformity, busy frames.
 *
 * Working out the victims by hand: the generator is splitmix64, whose
 * first outputs are (computed apart from framefs, and seed 1's first one
 * is the published test value):
 *   seed 1: 910a2dec89025cc1 beeb8da1658eec67 f893a2eefb32555e
 *           71c18690ee42c90b 71bb54d8d101b5b9 c34d0bff90150280
 *           e099ec6cd7363ca5 85e7bb0f12278575
 *   seed 2: 975835de1c9756ce bfc846100bfc1e42 987bbcbfdd7e532f
 *           c3f2827affe7f664 4fc446b53f17fb29
 * A frame below n is the high word of the output times n, shifted down by
 * 32 (never rejected when n divides 2^32); with n = 4 that is the top two
 * bits of the output: seed 1 gives frames 2 2 3 1 1 3 3 2, seed 2 gives
 * 2 2 2 3 1.  The core's free list is LIFO, so a new page takes the frame
 * of the victim just evicted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_trace.h"

#define X NO_VICTIM

/* 4 frames, 1 2 3 4 5 6 7 8 9; frames [f0 f1 f2 f3]:
 *   1 2 3 4   [1 2 3 4]                              4 faults
 *   seed 1:
 *   5   frame 2: evict 3     [1 2 5 4]               5
 *   6   frame 2: evict 5     [1 2 6 4]               6
 *   7   frame 3: evict 4     [1 2 6 7]               7
 *   8   frame 1: evict 2     [1 8 6 7]               8
 *   9   frame 1: evict 8     [1 9 6 7]               9
 *   seed 2:
 *   5   frame 2: evict 3     [1 2 5 4]
 *   6   frame 2: evict 5     [1 2 6 4]
 *   7   frame 2: evict 6     [1 2 7 4]
 *   8   frame 3: evict 4     [1 2 7 8]
 *   9   frame 1: evict 2     [1 9 7 8]
 * 9 faults each; five numbers drawn. */
static void test_policy_random_seeded_victims(void **state)
{
	static const uint64_t refs[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const uint64_t v1[] = { X, X, X, X, 3, 5, 4, 2, 8 };
	static const uint64_t v2[] = { X, X, X, X, 3, 5, 6, 4, 2 };
	static const uint64_t end1[] = { 1, 9, 6, 7 }, end2[] = { 1, 9, 7, 8 };
	struct cache *c = trace_cache("random", 4);	/* seed 1 */

	(void)state;
	assert_int_equal(trace_run(c, refs, v1, 9), 9);
	trace_frames_hold(c, 4, end1);
	trace_show_is(c, "no order; seed 1, draws 5");
	cache_free(c);

	c = trace_cache("random:seed=2", 4);
	assert_int_equal(trace_run(c, refs, v2, 9), 9);
	trace_frames_hold(c, 4, end2);
	trace_show_is(c, "no order; seed 2, draws 5");
	cache_free(c);
}

/* Seed 1, 4 frames; page 3 (f2) pinned by cache_lookup and kept:
 *   1 2 3 4   [1 2 3 4]                              4 faults
 *   pin 3
 *   5   frame 2: page 3, pinned.  (The pin is in a hazard slot, which the
 *       policy does not see: it names f2, the core refuses it, marks it
 *       busy and asks again.)  Frame 2 again: busy, draw again.
 *       Frame 3: evict 4         [1 2 3 5]               5
 *   6   frame 1: evict 2         [1 6 3 5]               6
 *   7   frame 1: evict 6         [1 7 3 5]               7
 *   unpin 3
 *   8   frame 3: evict 5         [1 7 3 8]               8
 *   9   frame 3: evict 8         [1 7 3 9]               9
 *   10  frame 2: evict 3         [1 7 10 9]              10
 * 10 faults, eight numbers drawn. */
static void test_policy_random_skips_pinned(void **state)
{
	static const uint64_t r1[] = { 1, 2, 3, 4 }, v1[] = { X, X, X, X };
	static const uint64_t r2[] = { 5, 6, 7 }, v2[] = { 4, 2, 6 };
	static const uint64_t r3[] = { 8, 9, 10 }, v3[] = { 5, 8, 3 };
	static const uint64_t end[] = { 1, 7, 10, 9 };
	struct cache *c = trace_cache("random", 4);
	struct frame *held;
	int faults = 0;

	(void)state;
	faults += trace_run(c, r1, v1, 4);
	held = trace_pin(c, 3);
	faults += trace_run(c, r2, v2, 1);
	trace_show_is(c, "no order; seed 1, draws 3");
	faults += trace_run(c, r2 + 1, v2 + 1, 2);
	cache_unpin(c, held);
	faults += trace_run(c, r3, v3, 3);
	trace_show_is(c, "no order; seed 1, draws 8");
	assert_int_equal(faults, 10);
	trace_frames_hold(c, 4, end);
	cache_free(c);
}

/* The victims of a seeded run over a skewed string of 64 pages on 16
 * frames; returns how many there were. */
static size_t victims_of(const char *spec, uint64_t *out, size_t max)
{
	struct cache *c = trace_cache(spec, 16);
	uint64_t rng = 7;
	size_t n = 0;

	for (int i = 0; i < 5000; i++) {
		uint64_t z = trace_rng(&rng), v;

		trace_access(c, (z % 64) * ((z >> 32) % 64) / 64, &v);
		if (v != NO_VICTIM && n < max)
			out[n++] = v;
	}
	cache_free(c);
	return n;
}

/* A seed gives the same victims every run; four seeds, four different
 * victim sequences. */
static void test_policy_random_reproducible(void **state)
{
	static const char *const specs[] = {
		"random", "random:seed=2", "random:seed=3",
		"random:seed=9007199254740991",
	};
	enum { NSPECS = 4, MAX = 5000 };
	uint64_t *v[NSPECS], *again = malloc(MAX * sizeof(uint64_t));
	size_t n[NSPECS];

	(void)state;
	assert_non_null(again);
	for (int i = 0; i < NSPECS; i++) {
		v[i] = malloc(MAX * sizeof(uint64_t));
		assert_non_null(v[i]);
		n[i] = victims_of(specs[i], v[i], MAX);
		assert_true(n[i] > 1000);
		assert_int_equal(victims_of(specs[i], again, MAX), n[i]);
		assert_memory_equal(v[i], again, n[i] * sizeof(uint64_t));
	}
	for (int i = 0; i < NSPECS; i++)
		for (int j = i + 1; j < NSPECS; j++)
			assert_true(n[i] != n[j] ||
				    memcmp(v[i], v[j], n[i] *
					   sizeof(uint64_t)) != 0);
	for (int i = 0; i < NSPECS; i++)
		free(v[i]);
	free(again);
}

/* Evicts one page; returns its frame number. */
static uint32_t evict_frame(struct cache *c)
{
	struct frame *v;
	uint32_t fno;

	assert_int_equal(cache_evict_begin(c, &v), 0);
	fno = cache_frame_no(c, v);
	assert_int_equal(cache_evict_end(c, v), 0);
	return fno;
}

/* Victims are uniform over the evictable frames.  10 frames, pages 0..9 in
 * f0..f9; pages 0 1 2 dirty (the policy sees them busy), 3 and 4 pinned
 * through hazard slots (the policy does not: the core refuses them).  Then
 * 50000 times: evict one, fault a new page into the freed frame.  Each of
 * f5..f9 should be the victim 10000 times; Pearson's chi-square over the 5
 * must stay below 18.47 (4 degrees of freedom, p = 0.001; the run is
 * seeded, so it passes or fails the same way every time).  Taking the
 * first evictable frame after a random one would favour f5, just past the
 * busy run, several times over. */
static void test_policy_random_uniform(void **state)
{
	enum { N = 10, ROUNDS = 50000 };
	struct cache *c = trace_cache("random", N);
	unsigned hits[N] = { 0 };
	struct frame *held[2];
	double chi2 = 0;
	uint64_t v;

	(void)state;
	for (uint64_t p = 0; p < N; p++)
		trace_access(c, p, &v);
	for (uint64_t p = 0; p < 3; p++)
		trace_dirty(c, p);
	held[0] = trace_pin(c, 3);
	held[1] = trace_pin(c, 4);
	for (uint64_t i = 0; i < ROUNDS; i++) {
		uint32_t f = evict_frame(c);

		hits[f]++;
		assert_int_equal(trace_access(c, N + i, &v), 1);
		assert_int_equal(v, NO_VICTIM);
	}
	for (int f = 0; f < 5; f++)
		assert_int_equal(hits[f], 0);
	for (int f = 5; f < N; f++) {
		double d = hits[f] - ROUNDS / 5.0;

		chi2 += d * d / (ROUNDS / 5.0);
	}
	assert_true(chi2 < 18.47);
	cache_unpin(c, held[0]);
	cache_unpin(c, held[1]);
	cache_free(c);
}

/* When draws keep hitting busy frames the policy counts the evictable ones
 * and takes one of them at random.  1000 frames, all dirty but f3 and
 * f700: a draw finds one of them with probability 0.002, so 64 draws all
 * miss 88% of the time.  4000 evictions, each aborted by a read so that
 * the pool stays the same: each of the two should come up 2000 times; a
 * binomial standard deviation is 32, and we allow 200 (taking the first
 * evictable frame would give f3 every time). */
static void test_policy_random_counting_pass(void **state)
{
	enum { N = 1000, ROUNDS = 4000 };
	struct cache *c = trace_cache("random:seed=5", N);
	unsigned n3 = 0, n700 = 0;
	uint64_t v;

	(void)state;
	for (uint64_t p = 0; p < N; p++)
		trace_access(c, p, &v);
	for (uint64_t p = 0; p < N; p++)
		if (p != 3 && p != 700)
			trace_dirty(c, p);
	for (int i = 0; i < ROUNDS; i++) {
		struct frame *fr, *r;
		uint64_t ino, pgno;

		assert_int_equal(cache_evict_begin(c, &fr), 0);
		cache_frame_key(c, fr, &ino, &pgno);
		n3 += pgno == 3;
		n700 += pgno == 700;
		r = cache_lookup(c, ino, pgno, 0);
		assert_ptr_equal(r, fr);
		assert_int_equal(cache_evict_end(c, fr), -EBUSY);
		cache_unpin(c, r);
	}
	assert_int_equal(n3 + n700, ROUNDS);
	assert_true(n3 > ROUNDS / 2 - 200 && n3 < ROUNDS / 2 + 200);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_random_seeded_victims),
		cmocka_unit_test(test_policy_random_skips_pinned),
		cmocka_unit_test(test_policy_random_reproducible),
		cmocka_unit_test(test_policy_random_uniform),
		cmocka_unit_test(test_policy_random_counting_pass),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
