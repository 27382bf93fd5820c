/* test_policy_sieve.c - hand-worked traces for SIEVE (cache/policy_sieve.c).
 *
 * Notation: the queue oldest first; "x*" = visited; "^" = the hand (the
 * next frame to look at; none = start at the oldest).  A new page joins at
 * the newest end unvisited.  The core's free list is LIFO, so a new page
 * takes the frame of the victim just evicted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_trace.h"

#define X NO_VICTIM

/* The hand carries on after an eviction, and wraps past the newest end.
 * 3 frames, 1 2 3 1 4 5 4 6 7:
 *   1 2 3   [1 2 3]                    f0=1 f1=2 f2=3      3 faults
 *   1 hit   [1* 2 3]
 *   4       hand starts at the oldest: 1 visited, cleared; 2 not: evict 2;
 *           the hand goes to 2's newer neighbour, 3
 *           [1 ^3 4]                   4 in f1             4
 *   5       hand at 3, not visited: evict 3; the hand goes to 4
 *           [1 ^4 5]                   5 in f2             5
 *           (A hand reset to the oldest after each eviction, as in FIFO
 *           with second chance, would take 1 here, whose bit was cleared.)
 *   4 hit   [1 ^4* 5]
 *   6       hand at 4: visited, cleared; 5 not: evict 5; 5 was the newest,
 *           so the hand wraps: the next search starts at the oldest
 *           [^1 4 6]                   6 in f2             6
 *   7       hand at 1, not visited: evict 1; the hand goes to 4
 *           [^4 6 7]                   7 in f0             7
 * 7 faults; victims 2 3 5 1; frames end f0=7 f1=4 f2=6. */
static void test_policy_sieve_hand_carries_on(void **state)
{
	static const uint64_t refs[] = { 1, 2, 3, 1, 4, 5, 4, 6, 7 };
	static const uint64_t victims[] = { X, X, X, X, 2, 3, X, 5, 1 };
	static const uint64_t end[] = { 7, 4, 6 };
	struct cache *c = trace_cache("sieve", 3);

	(void)state;
	assert_int_equal(trace_run(c, refs, victims, 5), 4);
	trace_show_is(c, "oldest first (^ hand, * visited): 1 ^3 4");
	assert_int_equal(trace_run(c, refs + 5, victims + 5, 3), 2);
	trace_show_is(c, "oldest first (^ hand, * visited): ^1 4 6");
	assert_int_equal(trace_run(c, refs + 8, victims + 8, 1), 1);
	trace_show_is(c, "oldest first (^ hand, * visited): ^4 6 7");
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

/* The textbook string (see test_policy.c: FIFO 15, LRU 12, CLOCK 14 faults)
 * 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1 with 3 frames:
 *   7 0 1   [7 0 1]                      f0=7 f1=0 f2=1     3 faults
 *   2       7 not visited: evict 7       [^0 1 2]  2 in f0  4
 *   0 hit                                [^0* 1 2]
 *   3       clear 0; evict 1             [0 ^2 3]  3 in f2  5
 *   0 hit                                [0* ^2 3]
 *   4       evict 2                      [0* ^3 4] 4 in f0  6
 *   2       evict 3                      [0* ^4 2] 2 in f2  7
 *   3       evict 4                      [0* ^2 3] 3 in f0  8
 *   0 hit, 3 hit, 2 hit                  [0* ^2* 3*]
 *   1       clear 2, 3; wrap; clear 0; 2 is now unvisited: evict 2
 *                                        [0 ^3 1]  1 in f2  9
 *   2       evict 3                      [0 ^1 2]  2 in f0  10
 *   0 hit, 1 hit                         [0* ^1* 2]
 *   7       clear 1; evict 2; 2 was the newest: wrap
 *                                        [^0* 1 7] 7 in f0  11
 *   0 hit, 1 hit                         [^0* 1* 7]
 * 11 faults; frames end f0=7 f1=0 f2=1. */
static void test_policy_sieve_textbook(void **state)
{
	static const uint64_t refs[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
					 0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };
	static const uint64_t victims[] = { X, X, X, 7, X, 1, X, 2, 3, 4,
					    X, X, X, 2, 3, X, X, 2, X, X };
	static const uint64_t end[] = { 7, 0, 1 };
	struct cache *c = trace_cache("sieve", 3);

	(void)state;
	assert_int_equal(trace_run(c, refs, victims, 14), 9);
	trace_show_is(c, "oldest first (^ hand, * visited): 0 ^3 1");
	assert_int_equal(trace_run(c, refs + 14, victims + 14, 6), 2);
	trace_show_is(c, "oldest first (^ hand, * visited): ^0* 1* 7");
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

/* Busy frames are passed over.  3 frames:
 *   1 2 3           [1 2 3]                  f0=1 f1=2 f2=3    3 faults
 *   write 1         a hit through cache_lookup, then dirty: [1* 2 3]
 *   2 hit           [1* 2* 3]
 *   4               1 is dirty: passed over, its bit kept; clear 2;
 *                   evict 3, the newest: wrap  [^1* 2 4]  4 in f2   4
 *   pin 2           cache_lookup, kept pinned: a hit  [^1* 2* 4]
 *   5               1 passed over; 2 is pinned through a hazard slot,
 *                   which the policy does not see: cleared like any page;
 *                   evict 4: wrap              [^1* 2 5]  5 in f2   5
 *   6               1 passed over; 2 unvisited: the policy names it, the
 *                   core sees the pin, marks it busy and asks again: the
 *                   hand, still on 2, passes over it; evict 5: wrap
 *                                              [^1* 2 6]  6 in f2   6
 *   unpin 2, write 1 back
 *   7               clear 1; 2 unvisited: evict 2   [1 ^6 7] 7 in f1  7
 * 7 faults; victims 3 4 5 2. */
static void test_policy_sieve_skips_busy(void **state)
{
	static const uint64_t r1[] = { 1, 2, 3 }, v1[] = { X, X, X };
	static const uint64_t r2[] = { 2, 4 }, v2[] = { X, 3 };
	static const uint64_t r3[] = { 5, 6 }, v3[] = { 4, 5 };
	static const uint64_t r4[] = { 7 }, v4[] = { 2 };
	static const uint64_t end[] = { 1, 7, 6 };
	struct cache *c = trace_cache("sieve", 3);
	struct frame *held;
	int faults = 0;

	(void)state;
	faults += trace_run(c, r1, v1, 3);
	trace_dirty(c, 1);
	faults += trace_run(c, r2, v2, 2);
	trace_show_is(c, "oldest first (^ hand, * visited): ^1* 2 4");
	held = trace_pin(c, 2);
	trace_show_is(c, "oldest first (^ hand, * visited): ^1* 2* 4");
	faults += trace_run(c, r3, v3, 2);
	trace_show_is(c, "oldest first (^ hand, * visited): ^1* 2 6");
	cache_unpin(c, held);
	trace_flush(c);
	faults += trace_run(c, r4, v4, 1);
	trace_show_is(c, "oldest first (^ hand, * visited): 1 ^6 7");
	assert_int_equal(faults, 7);
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_sieve_hand_carries_on),
		cmocka_unit_test(test_policy_sieve_textbook),
		cmocka_unit_test(test_policy_sieve_skips_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
