/* test_policy_lfu.c - hand-worked traces for in-cache LFU
 * (cache/policy_lfu.c).
 *
 * Notation: {c: pages} = the pages with count c, least recent first, nodes
 * in increasing count.  A page comes in with count 1; a hit adds one and
 * makes it the most recent of its new count; the victim is the first page
 * (least count, least recent).  The core's free list is LIFO, so a new page
 * takes the frame of the victim just evicted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_trace.h"

#define X NO_VICTIM

/* Ties go to the least recent.  3 frames, 1 2 3 1 4 3 5 1 5 6 2:
 *   1 2 3   {1: 1 2 3}                    f0=1 f1=2 f2=3    3 faults
 *   1 hit   {1: 2 3 | 2: 1}
 *   4       2 and 3 have count 1; 2 is less recent: evict 2
 *           {1: 3 4 | 2: 1}               4 in f1           4
 *   3 hit   {1: 4 | 2: 1 3}
 *   5       evict 4                       {1: 5 | 2: 1 3}   5 in f1  5
 *   1 hit   {1: 5 | 2: 3 | 3: 1}
 *   5 hit   5 joins count 2 after 3       {2: 3 5 | 3: 1}
 *   6       3 and 5 have count 2; 3 is less recent: evict 3
 *           {1: 6 | 2: 5 | 3: 1}          6 in f2           6
 *   2       evict 6                       {1: 2 | 2: 5 | 3: 1}  2 in f2  7
 * 7 faults; victims 2 4 3 6; frames end f0=1 f1=5 f2=2. */
static void test_policy_lfu_ties_least_recent(void **state)
{
	static const uint64_t refs[] = { 1, 2, 3, 1, 4, 3, 5, 1, 5, 6, 2 };
	static const uint64_t victims[] = { X, X, X, X, 2, X, 4, X, X, 3, 6 };
	static const uint64_t end[] = { 1, 5, 2 };
	struct cache *c = trace_cache("lfu", 3);

	(void)state;
	assert_int_equal(trace_run(c, refs, victims, 9), 5);
	trace_show_is(c, "by count, least recent first: 2: 3 5 | 3: 1");
	assert_int_equal(trace_run(c, refs + 9, victims + 9, 2), 2);
	trace_show_is(c, "by count, least recent first: 1: 2 | 2: 5 | 3: 1");
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

/* The count is forgotten on eviction.  2 frames, 1 1 1 2 3 3 3 3 4 1 4:
 *   1 1 1   {3: 1}                        f0=1              1 fault
 *   2       {1: 2 | 3: 1}                 f1=2              2
 *   3       evict 2                       {1: 3 | 3: 1}     3 in f1  3
 *   3 3 3   {2: 3 | 3: 1}, {3: 1 3}, {3: 1 | 4: 3}
 *   4       evict 1 (count 3 < 4)         {1: 4 | 4: 3}     4 in f0  4
 *   1       evict 4; 1 comes back with count 1, not 3 + 1
 *           {1: 1 | 4: 3}                 1 in f0           5
 *   4       evict 1 again.  (LFU that remembered 1's count would give
 *           it 4, tied with 3, which is less recent: it would evict 3.)
 *           {1: 4 | 4: 3}                 4 in f0           6
 * 6 faults; victims 2 1 4 1; frames end f0=4 f1=3. */
static void test_policy_lfu_count_forgotten(void **state)
{
	static const uint64_t refs[] = { 1, 1, 1, 2, 3, 3, 3, 3, 4, 1, 4 };
	static const uint64_t victims[] = { X, X, X, X, 2, X, X, X, 1, 4, 1 };
	static const uint64_t end[] = { 4, 3 };
	struct cache *c = trace_cache("lfu", 2);

	(void)state;
	assert_int_equal(trace_run(c, refs, victims, 8), 3);
	trace_show_is(c, "by count, least recent first: 3: 1 | 4: 3");
	assert_int_equal(trace_run(c, refs + 8, victims + 8, 2), 2);
	trace_show_is(c, "by count, least recent first: 1: 1 | 4: 3");
	assert_int_equal(trace_run(c, refs + 10, victims + 10, 1), 1);
	trace_show_is(c, "by count, least recent first: 1: 4 | 4: 3");
	trace_frames_hold(c, 2, end);
	cache_free(c);
}

/* The textbook string (see test_policy.c: FIFO 15, LRU 12, CLOCK 14 faults)
 * 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1 with 3 frames:
 *   7 0 1   {1: 7 0 1}                    f0=7 f1=0 f2=1    3 faults
 *   2       evict 7    {1: 0 1 2}                  2 in f0  4
 *   0 hit              {1: 1 2 | 2: 0}
 *   3       evict 1    {1: 2 3 | 2: 0}             3 in f2  5
 *   0 hit              {1: 2 3 | 3: 0}
 *   4       evict 2    {1: 3 4 | 3: 0}             4 in f0  6
 *   2       evict 3    {1: 4 2 | 3: 0}             2 in f2  7
 *   3       evict 4    {1: 2 3 | 3: 0}             3 in f0  8
 *   0 hit              {1: 2 3 | 4: 0}
 *   3 hit              {1: 2 | 2: 3 | 4: 0}
 *   2 hit              {2: 3 2 | 4: 0}
 *   1       evict 3    {1: 1 | 2: 2 | 4: 0}        1 in f0  9
 *   2 hit, 0 hit       {1: 1 | 3: 2 | 5: 0}
 *   1 hit              {2: 1 | 3: 2 | 5: 0}
 *   7       evict 1    {1: 7 | 3: 2 | 5: 0}        7 in f0  10
 *   0 hit              {1: 7 | 3: 2 | 6: 0}
 *   1       evict 7    {1: 1 | 3: 2 | 6: 0}        1 in f0  11
 * 11 faults; frames end f0=1 f1=0 f2=2. */
static void test_policy_lfu_textbook(void **state)
{
	static const uint64_t refs[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
					 0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };
	static const uint64_t victims[] = { X, X, X, 7, X, 1, X, 2, 3, 4,
					    X, X, X, 3, X, X, X, 1, X, 7 };
	static const uint64_t end[] = { 1, 0, 2 };
	struct cache *c = trace_cache("lfu", 3);

	(void)state;
	assert_int_equal(trace_run(c, refs, victims, 13), 8);
	trace_show_is(c, "by count, least recent first: 2: 3 2 | 4: 0");
	assert_int_equal(trace_run(c, refs + 13, victims + 13, 7), 3);
	trace_show_is(c, "by count, least recent first: 1: 1 | 3: 2 | 6: 0");
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

/* A pinned page is passed over, and its count and rank stay.  3 frames:
 *   1 2 3 2 2 3 3   {1: 1 | 3: 2 3}          f0=1 f1=2 f2=3   3 faults
 *   pin 1           cache_lookup, kept pinned (a hit): {2: 1 | 3: 2 3}
 *   4               1 is the least frequent but pinned (through a hazard
 *                   slot: the policy names it, the core refuses it and asks
 *                   again, and the walk passes over it); evict 2
 *                   {1: 4 | 2: 1 | 3: 3}     4 in f1          4
 *   4 4             {2: 1 4 | 3: 3}, {2: 1 | 3: 3 4}
 *   5               1 passed over again: evict 3, count 3
 *                   {1: 5 | 2: 1 | 3: 4}     5 in f2          5
 *   5 hit           {2: 1 5 | 3: 4}
 *   unpin 1
 *   6               1 and 5 have count 2, 1 is less recent: evict 1
 *                   {1: 6 | 2: 5 | 3: 4}     6 in f0          6
 * 6 faults; victims 2 3 1. */
static void test_policy_lfu_skips_pinned(void **state)
{
	static const uint64_t r1[] = { 1, 2, 3, 2, 2, 3, 3 };
	static const uint64_t v1[] = { X, X, X, X, X, X, X };
	static const uint64_t r2[] = { 4, 4, 4, 5, 5 };
	static const uint64_t v2[] = { 2, X, X, 3, X };
	static const uint64_t r3[] = { 6 }, v3[] = { 1 };
	static const uint64_t end[] = { 6, 4, 5 };
	struct cache *c = trace_cache("lfu", 3);
	struct frame *held;
	int faults = 0;

	(void)state;
	faults += trace_run(c, r1, v1, 7);
	trace_show_is(c, "by count, least recent first: 1: 1 | 3: 2 3");
	held = trace_pin(c, 1);
	trace_show_is(c, "by count, least recent first: 2: 1 | 3: 2 3");
	faults += trace_run(c, r2, v2, 5);
	trace_show_is(c, "by count, least recent first: 2: 1 5 | 3: 4");
	cache_unpin(c, held);
	faults += trace_run(c, r3, v3, 1);
	trace_show_is(c, "by count, least recent first: 1: 6 | 2: 5 | 3: 4");
	assert_int_equal(faults, 6);
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

/* Counts stop at 255.  2 frames: page 1 referenced 300 times, then page 2
 * 256 times: both at 255, so 2 frames of equal count, 1 the less recent.
 * A miss on 3 evicts 1 (an exact count, 300 against 256, would evict 2).
 * Then 3 {1: 3 | 255: 2}; a miss on 4 evicts 3. */
static void test_policy_lfu_count_saturates(void **state)
{
	struct cache *c = trace_cache("lfu", 2);
	uint64_t v;

	(void)state;
	for (int i = 0; i < 300; i++)
		assert_int_equal(trace_access(c, 1, &v), i == 0);
	for (int i = 0; i < 256; i++)
		assert_int_equal(trace_access(c, 2, &v), i == 0);
	trace_show_is(c, "by count, least recent first: 255: 1 2");
	assert_int_equal(trace_access(c, 3, &v), 1);
	assert_int_equal(v, 1);
	trace_show_is(c, "by count, least recent first: 1: 3 | 255: 2");
	assert_int_equal(trace_access(c, 4, &v), 1);
	assert_int_equal(v, 3);
	cache_free(c);
}

/* Beyond hand-sized strings: 20000 seeded references to 23 pages, skewed
 * to the low ones (so some counts reach the cap), on 8 frames, against a
 * plain O(n) LFU written here: every fault and every victim must agree. */
struct slow_lfu {
	uint64_t page[16];
	unsigned count[16];
	uint64_t last_use[16];
	int n;
};

/* The reference model: evicts the smallest (count, last_use), counts
 * capped at 255 like the policy. */
static uint64_t slow_lfu_access(struct slow_lfu *m, int nframes,
				uint64_t pgno, uint64_t now, int *fault)
{
	int best = 0;
	uint64_t victim = NO_VICTIM;

	for (int i = 0; i < m->n; i++) {
		if (m->page[i] == pgno) {
			if (m->count[i] < 255)
				m->count[i]++;
			m->last_use[i] = now;
			*fault = 0;
			return NO_VICTIM;
		}
	}
	*fault = 1;
	if (m->n == nframes) {
		for (int i = 1; i < m->n; i++)
			if (m->count[i] < m->count[best] ||
			    (m->count[i] == m->count[best] &&
			     m->last_use[i] < m->last_use[best]))
				best = i;
		victim = m->page[best];
		m->page[best] = m->page[--m->n];
		m->count[best] = m->count[m->n];
		m->last_use[best] = m->last_use[m->n];
	}
	m->page[m->n] = pgno;
	m->count[m->n] = 1;
	m->last_use[m->n] = now;
	m->n++;
	return victim;
}

static void test_policy_lfu_matches_model(void **state)
{
	enum { NFRAMES = 8, NREFS = 20000 };
	struct cache *c = trace_cache("lfu", NFRAMES);
	struct slow_lfu m = { .n = 0 };
	uint64_t rng = 42;

	(void)state;
	for (uint64_t t = 0; t < NREFS; t++) {
		uint64_t z, pgno, v, want;
		int fault, mfault;

		/* splitmix64; skewed pages: the low ones far more often */
		z = trace_rng(&rng);
		pgno = (z % 24) * ((z >> 32) % 24) / 24;
		fault = trace_access(c, pgno, &v);
		want = slow_lfu_access(&m, NFRAMES, pgno, t, &mfault);
		assert_int_equal(fault, mfault);
		if (v != want)
			fail_msg("ref %llu (page %llu): victim %lld, "
				 "model %lld",
				 (unsigned long long)t,
				 (unsigned long long)pgno, (long long)v,
				 (long long)want);
	}
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_lfu_ties_least_recent),
		cmocka_unit_test(test_policy_lfu_count_forgotten),
		cmocka_unit_test(test_policy_lfu_textbook),
		cmocka_unit_test(test_policy_lfu_skips_pinned),
		cmocka_unit_test(test_policy_lfu_count_saturates),
		cmocka_unit_test(test_policy_lfu_matches_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
