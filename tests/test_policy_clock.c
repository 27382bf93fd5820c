/* test_policy_clock.c - hand-worked traces for CLOCK with a K-bit count per
 * frame, clock:bits=K (GCLOCK; cache/policy_clock.c), and with a page
 * loaded unreferenced, clock:ref_on_load=0.  Plain CLOCK (bits=1) has its
 * own traces in test_policy.c.
 *
 * Notation: [page:count ...] in frame order f0 f1 ...; "h" = the frame the
 * hand looks at next.  A page comes in with count 1, a hit adds one up to
 * 2^K - 1, the hand decrements a non-zero count and evicts the first
 * evictable frame at 0, then stops just past it.  The core's free list is
 * LIFO, so a new page takes the frame of the victim just evicted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_trace.h"

#define X NO_VICTIM

static const uint64_t textbook[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
				     0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };

/* bits=1 is plain CLOCK: the textbook trace of test_policy.c, victim by
 * victim, with the parameter spelled out. */
static void test_policy_clock_bits1_is_clock(void **state)
{
	static const uint64_t victims[] = {
		X, X, X, 7, X, 1, X, 2, 0, X, 3, 4, X, 2, 0, 3, X, 1, X, 2,
	};
	static const uint64_t end[] = { 0, 7, 1 };
	struct cache *c = trace_cache("clock:bits=1", 3);

	(void)state;
	assert_int_equal(trace_run(c, textbook, victims, 20), 14);
	trace_show_is(c, "hand at f0, referenced: 0 7 1");
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

/* The two conventions for a page coming in.  3 frames, 1 2 3 1 4 5 1
 * (* = reference bit set):
 *   ref_on_load=1 (the default, the textbook's):
 *   1 2 3      [1* 2* 3*] h0                    3 faults
 *   1   hit: the bit is set already, the hit leaves no trace
 *   4   clears f0 f1 f2, f0 clear: evict 1      [4* 2 3] h1
 *   5   f1 clear: evict 2                       [4* 5* 3] h2
 *   1   fault: f2 clear: evict 3                [4* 5* 1*] h0
 *       6 faults: the page hit was the first to go.
 *   ref_on_load=0 (libCacheSim's Clock):
 *   1 2 3      [1 2 3] h0                       3 faults
 *   1   hit: sets 1's bit                       [1* 2 3]
 *   4   clears f0; f1 clear: evict 2            [1 4 3] h2
 *   5   f2 clear: evict 3                       [1 4 5] h0
 *   1   hit                                     [1* 4 5] h0
 *       5 faults: the hit kept page 1.
 * bits=2 with ref_on_load=0 loads at count 0 and goes the same way here
 * (1's count is 1 after its hit, the hand's pass takes it to 0). */
static void test_policy_clock_ref_on_load(void **state)
{
	static const uint64_t refs[] = { 1, 2, 3, 1, 4, 5, 1 };
	static const uint64_t v1[] = { X, X, X, X, 1, 2, 3 };
	static const uint64_t v0[] = { X, X, X, X, 2, 3, X };
	static const uint64_t end1[] = { 4, 5, 1 }, end0[] = { 1, 4, 5 };
	struct cache *c = trace_cache("clock:ref_on_load=1", 3);

	(void)state;
	assert_int_equal(trace_run(c, refs, v1, 7), 6);
	trace_show_is(c, "hand at f0, referenced: 4 5 1");
	trace_frames_hold(c, 3, end1);
	cache_free(c);

	c = trace_cache("clock", 3);		/* the default is 1 */
	assert_int_equal(trace_run(c, refs, v1, 7), 6);
	cache_free(c);

	c = trace_cache("clock:ref_on_load=0", 3);
	assert_int_equal(trace_run(c, refs, v0, 4), 3);
	trace_show_is(c, "hand at f0, referenced: 1");
	assert_int_equal(trace_run(c, refs + 4, v0 + 4, 3), 2);
	trace_show_is(c, "hand at f0, referenced: 1");
	trace_frames_hold(c, 3, end0);
	cache_free(c);

	c = trace_cache("clock:bits=2,ref_on_load=0", 3);
	assert_int_equal(trace_run(c, refs, v0, 7), 5);
	trace_show_is(c, "hand at f0, counts: 1=1");
	trace_frames_hold(c, 3, end0);
	cache_free(c);
}

/* Counts outlast one turn.  3 frames, 1 2 3 1 1 2 4 5 6:
 *   bits=2:
 *   1 2 3      [1:1 2:1 3:1] h0                 3 faults
 *   1 1 2 hit  [1:3 2:2 3:1] h0
 *   4   f0 3->2, f1 2->1, f2 1->0, f0 2->1, f1 1->0, f2 is 0: evict 3
 *       (second turn)        [1:1 2:0 4:1] h0   4
 *   5   f0 1->0, f1 is 0: evict 2
 *                            [1:0 5:1 4:1] h2   5
 *   6   f2 1->0, f0 is 0: evict 1
 *                            [6:1 5:1 4:0] h1   6
 *   bits=1, the same string (bits set on load and hit):
 *   4   clears f0 f1 f2, f0 clear: evict 1      [4* 2 3] h1
 *   5   f1 clear: evict 2                       [4* 5* 3] h2
 *   6   f2 clear: evict 3                       [4* 5* 6*] h0
 * so bits=2 evicts 3 2 1 where bits=1 evicts 1 2 3. */
static void test_policy_clock_bits2_second_turn(void **state)
{
	static const uint64_t refs[] = { 1, 2, 3, 1, 1, 2, 4, 5, 6 };
	static const uint64_t v2[] = { X, X, X, X, X, X, 3, 2, 1 };
	static const uint64_t v1[] = { X, X, X, X, X, X, 1, 2, 3 };
	static const uint64_t end2[] = { 6, 5, 4 }, end1[] = { 4, 5, 6 };
	struct cache *c = trace_cache("clock:bits=2", 3);

	(void)state;
	assert_int_equal(trace_run(c, refs, v2, 6), 3);
	trace_show_is(c, "hand at f0, counts: 1=3 2=2 3=1");
	assert_int_equal(trace_run(c, refs + 6, v2 + 6, 1), 1);
	trace_show_is(c, "hand at f0, counts: 1=1 4=1");
	assert_int_equal(trace_run(c, refs + 7, v2 + 7, 2), 2);
	trace_show_is(c, "hand at f1, counts: 6=1 5=1");
	trace_frames_hold(c, 3, end2);
	cache_free(c);

	c = trace_cache("clock", 3);
	assert_int_equal(trace_run(c, refs, v1, 9), 6);
	trace_show_is(c, "hand at f0, referenced: 4 5 6");
	trace_frames_hold(c, 3, end1);
	cache_free(c);
}

/* The longest search: every count at the top.  3 frames, bits=2,
 * 1 2 3 1 1 2 2 3 3 4:
 *   1 2 3, then two hits each   [1:3 2:3 3:3] h0
 *   4   turn 1: 3->2 everywhere; turn 2: 2->1; turn 3: 1->0; then f0 is
 *       0: evict 1, on the 10th step = (2^2 - 1) * 3 + 1
 *                               [4:1 2:0 3:0] h1
 *   5   f1 is 0: evict 2        [4:1 5:1 3:0] h2
 * bits=3, same string: counts 3 of 7, so the same three turns, victims 1 2
 * too.  A search gives up only after (2^K) * N + 1 steps, so it never
 * gives up here. */
static void test_policy_clock_bits2_three_turns(void **state)
{
	static const uint64_t refs[] = { 1, 2, 3, 1, 1, 2, 2, 3, 3, 4, 5 };
	static const uint64_t victims[] = { X, X, X, X, X, X, X, X, X, 1, 2 };
	static const uint64_t end[] = { 4, 5, 3 };
	struct cache *c = trace_cache("clock:bits=2", 3);

	(void)state;
	assert_int_equal(trace_run(c, refs, victims, 9), 3);
	trace_show_is(c, "hand at f0, counts: 1=3 2=3 3=3");
	assert_int_equal(trace_run(c, refs + 9, victims + 9, 1), 1);
	trace_show_is(c, "hand at f1, counts: 4=1");
	assert_int_equal(trace_run(c, refs + 10, victims + 10, 1), 1);
	trace_show_is(c, "hand at f2, counts: 4=1 5=1");
	trace_frames_hold(c, 3, end);
	cache_free(c);

	c = trace_cache("clock:bits=3", 3);
	assert_int_equal(trace_run(c, refs, victims, 11), 5);
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

/* Counts saturate at 2^K - 1: 300 hits leave 7 with bits=3, 255 with
 * bits=8; and the parameter's range is 1 to 8. */
static void test_policy_clock_bits_saturate(void **state)
{
	static const struct { const char *spec; const char *show; } t[] = {
		{ "clock:bits=3", "hand at f0, counts: 1=7" },
		{ "clock:bits=8", "hand at f0, counts: 1=255" },
		{ "clock:bits=1", "hand at f0, referenced: 1" },
	};
	struct cache_config bad = { .nframes = 2, .metadata_only = true };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cache *c = trace_cache(t[i].spec, 2);
		uint64_t v;

		for (int k = 0; k < 301; k++)
			trace_access(c, 1, &v);
		trace_show_is(c, t[i].show);
		cache_free(c);
	}
	bad.policy = "clock:bits=0";
	assert_null(cache_new(&bad));
	bad.policy = "clock:bits=9";
	assert_null(cache_new(&bad));
	bad.policy = "clock:bits=1.5";		/* whole numbers only */
	assert_null(cache_new(&bad));
}

/* A pinned page is not taken.  3 frames, bits=2:
 *   1 2 3, 2 2 3 3        [1:1 2:3 3:3] h0          3 faults
 *   pin 1                 cache_lookup, kept: a hit  [1:2 2:3 3:3]
 *   4   The pin is in a hazard slot, which the policy does not see: the
 *       hand treats f0 like any frame.  f0 2->1, f1 3->2, f2 3->2,
 *       f0 1->0, f1 2->1, f2 2->1, f0 is 0: named, but the core sees the
 *       pin, marks it busy and asks again; the hand is at f1: 1->0,
 *       f2 1->0, f0 busy: passed over, f1 is 0: evict 2
 *                         [1:0 4:1 3:0] h2           4
 *   5   f2 is 0: evict 3  [1:0 4:1 5:1] h0           5
 *   unpin 1
 *   6   f0 is 0: evict 1  [6:1 4:1 5:1] h1           6
 * 6 faults; victims 2 3 1. */
static void test_policy_clock_bits2_skips_pinned(void **state)
{
	static const uint64_t r1[] = { 1, 2, 3, 2, 2, 3, 3 };
	static const uint64_t v1[] = { X, X, X, X, X, X, X };
	static const uint64_t r2[] = { 4, 5 }, v2[] = { 2, 3 };
	static const uint64_t r3[] = { 6 }, v3[] = { 1 };
	static const uint64_t end[] = { 6, 4, 5 };
	struct cache *c = trace_cache("clock:bits=2", 3);
	struct frame *held;
	int faults = 0;

	(void)state;
	faults += trace_run(c, r1, v1, 7);
	held = trace_pin(c, 1);
	trace_show_is(c, "hand at f0, counts: 1=2 2=3 3=3");
	faults += trace_run(c, r2, v2, 1);
	trace_show_is(c, "hand at f2, counts: 4=1");
	faults += trace_run(c, r2 + 1, v2 + 1, 1);
	cache_unpin(c, held);
	faults += trace_run(c, r3, v3, 1);
	trace_show_is(c, "hand at f1, counts: 6=1 4=1 5=1");
	assert_int_equal(faults, 6);
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_clock_bits1_is_clock),
		cmocka_unit_test(test_policy_clock_bits2_second_turn),
		cmocka_unit_test(test_policy_clock_bits2_three_turns),
		cmocka_unit_test(test_policy_clock_bits_saturate),
		cmocka_unit_test(test_policy_clock_bits2_skips_pinned),
		cmocka_unit_test(test_policy_clock_ref_on_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
