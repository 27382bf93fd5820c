/* test_policy_s3fifo.c - S3-FIFO on hand-worked reference strings: fault
 * counts, victims and the queues after every reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache_sim.h"
#include "policy_trace.h"

#define N NO_VICTIM

/* 4 frames, small=0.25: S's target is 1 frame, G holds 4 - 1 = 3 keys.
 * Eviction is from S while S holds a page, from M once it is empty.
 * "+" is one unit of a page's counter; queues oldest first.
 *
 *   1 2 3 4   faults, all to S               S: 1 2 3 4
 *   1 2       hits                           S: 1+ 2+ 3 4
 *   5   fault; |S| 4 >= 1, evict from S: 1 has a hit, moves to M with its
 *       counter cleared; so does 2; 3 has none: victim, key to G
 *                                            S: 4 5 | M: 1 2 | G: 3
 *   3   fault; evict from S: 4 is the victim (G: 3 4); 3 was in G: it
 *       goes straight to M and leaves G      S: 5 | M: 1 2 3 | G: 4
 *   1 5 hits                                 S: 5+ | M: 1+ 2 3
 *   6   fault; evict from S: 5 has a hit, to M; S is empty, evict from M:
 *       1 has a counter of 1: back to M's newest end at 0; 2 is at 0:
 *       victim, no ghost                     S: 6 | M: 3 5 1 | G: 4
 *   4   fault; evict from S: 6 (G: 4 6); 4 was in G: to M
 *                                            S: | M: 3 5 1 4 | G: 6
 *   7   fault; S is empty (below target): evict from M: 3 (no ghost)
 *                                            S: 7 | M: 5 1 4 | G: 6
 *   3   fault; 3 left from M, so no ghost remembers it: to S; evict from
 *       S: 7 (G: 6 7)                        S: 3 | M: 5 1 4 | G: 6 7
 *
 * 10 faults in 14 references; victims 3 4 2 6 3 7. */
static void test_policy_s3fifo_trace(void **state)
{
	static const struct trace_step steps[] = {
		{ 1, 1, N, "S: 1 | M: | G:" },
		{ 2, 1, N, "S: 1 2 | M: | G:" },
		{ 3, 1, N, "S: 1 2 3 | M: | G:" },
		{ 4, 1, N, "S: 1 2 3 4 | M: | G:" },
		{ 1, 0, N, "S: 1+ 2 3 4 | M: | G:" },
		{ 2, 0, N, "S: 1+ 2+ 3 4 | M: | G:" },
		{ 5, 1, 3, "S: 4 5 | M: 1 2 | G: 3" },
		{ 3, 1, 4, "S: 5 | M: 1 2 3 | G: 4" },
		{ 1, 0, N, "S: 5 | M: 1+ 2 3 | G: 4" },
		{ 5, 0, N, "S: 5+ | M: 1+ 2 3 | G: 4" },
		{ 6, 1, 2, "S: 6 | M: 3 5 1 | G: 4" },
		{ 4, 1, 6, "S: | M: 3 5 1 4 | G: 6" },
		{ 7, 1, 3, "S: 7 | M: 5 1 4 | G: 6" },
		{ 3, 1, 7, "S: 3 | M: 5 1 4 | G: 6 7" },
	};
	(void)state;
	trace_steps_on("s3fifo:small=0.25", 4, steps,
		       sizeof(steps) / sizeof(steps[0]), 10);
}

/* A counter saturates at 3, and M takes one unit off per pass: a page hit
 * five times in M survives three passes of M's scan, not five.
 * 2 frames, small=0.5: S's target is 1 frame, G holds 1 key.
 *
 *   1 2     faults                            S: 1 2
 *   1       hit                               S: 1+ 2
 *   3   evict from S: 1 to M; 2 victim        S: 3 | M: 1 | G: 2
 *   1 x5    hits; the counter stops at 3      M: 1+++
 *   3       hit                               S: 3+
 *   4   evict from S: 3 to M, S is empty; from M: 1 at 3 -> 2 and to the
 *       newest end, behind 3; 3 at 0: victim  S: 4 | M: 1++
 *   4 hit, 5: 4 to M; M: 1 -> 1, to the end; 4 victim
 *                                             S: 5 | M: 1+
 *   5 hit, 6: 5 to M; M: 1 -> 0, to the end; 5 victim
 *                                             S: 6 | M: 1
 *   6 hit, 7: 6 to M; M: 1 at 0 is the victim S: 7 | M: 6
 *
 * 7 faults in 17 references; victims 2 3 4 5 1; G stays 2 (M's victims
 * leave no ghost). */
static void test_policy_s3fifo_main_reinsertion(void **state)
{
	static const struct trace_step steps[] = {
		{ 1, 1, N, "S: 1 | M: | G:" },
		{ 2, 1, N, "S: 1 2 | M: | G:" },
		{ 1, 0, N, "S: 1+ 2 | M: | G:" },
		{ 3, 1, 2, "S: 3 | M: 1 | G: 2" },
		{ 1, 0, N, "S: 3 | M: 1+ | G: 2" },
		{ 1, 0, N, "S: 3 | M: 1++ | G: 2" },
		{ 1, 0, N, "S: 3 | M: 1+++ | G: 2" },
		{ 1, 0, N, "S: 3 | M: 1+++ | G: 2" },
		{ 1, 0, N, "S: 3 | M: 1+++ | G: 2" },
		{ 3, 0, N, "S: 3+ | M: 1+++ | G: 2" },
		{ 4, 1, 3, "S: 4 | M: 1++ | G: 2" },
		{ 4, 0, N, "S: 4+ | M: 1++ | G: 2" },
		{ 5, 1, 4, "S: 5 | M: 1+ | G: 2" },
		{ 5, 0, N, "S: 5+ | M: 1+ | G: 2" },
		{ 6, 1, 5, "S: 6 | M: 1 | G: 2" },
		{ 6, 0, N, "S: 6+ | M: 1 | G: 2" },
		{ 7, 1, 1, "S: 7 | M: 6 | G: 2" },
	};
	(void)state;
	trace_steps_on("s3fifo:small=0.5", 2, steps,
		       sizeof(steps) / sizeof(steps[0]), 7);
}

/* The threshold: hits a page needs in S to move to M.  One string, 4
 * frames, small=0.25 (S's target 1, G 3 keys): 1 2 3 4 1 1 2 5 6 1 2.
 * After the first seven references S is 1++ 2+ 3 4.
 *
 * threshold=1:  5: 1 and 2 move to M, 3 is the victim (G: 3);
 *               6: 4 (G: 3 4); 1 and 2 hit in M.        6 faults: 3 4
 * threshold=2:  5: 1 (2 hits) moves to M, 2 (1 hit) is the victim, G: 2;
 *               6: 3 (G: 2 3); 1 hits; 2 faults: victim 4 (G: 2 3 4),
 *               and 2, found in G, goes to M.           7 faults: 2 3 4
 * threshold=3:  5: 1 (2 hits) is short: victim (G: 1); 6: 2 (G: 1 2);
 *               1 faults: victim 3, 1 from G to M; 2 faults: victim 4,
 *               2 from G to M.                          8 faults: 1 2 3 4
 */
static void test_policy_s3fifo_threshold(void **state)
{
	static const uint64_t refs[] = { 1, 2, 3, 4, 1, 1, 2, 5, 6, 1, 2 };
	static const struct {
		const char *policy;
		int faults;
		uint64_t victims[4];
		const char *end;
	} runs[] = {
		{ "s3fifo:small=0.25,threshold=1", 6, { 3, 4, N, N },
		  "S: 5 6 | M: 1+ 2+ | G: 3 4" },
		{ "s3fifo:small=0.25,threshold=2", 7, { 2, 3, 4, N },
		  "S: 5 6 | M: 1+ 2 | G: 3 4" },
		{ "s3fifo:small=0.25,threshold=3", 8, { 1, 2, 3, 4 },
		  "S: 5 6 | M: 1 2 | G: 3 4" },
	};

	(void)state;
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		struct cache *c = trace_cache(runs[r].policy, 4);
		uint64_t victim;
		int faults = 0, nv = 0;

		for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
			faults += trace_access(c, refs[i], &victim);
			if (victim != NO_VICTIM) {
				assert_true(nv < 4);
				assert_int_equal(victim, runs[r].victims[nv]);
				nv++;
			}
		}
		assert_int_equal(faults, runs[r].faults);
		assert_true(nv == 4 || runs[r].victims[nv] == N);
		trace_show_is(c, runs[r].end);
		cache_free(c);
	}
}

/* G keeps as many keys as M's share of the frames, dropping its oldest.
 * 4 frames, small=0.25: G holds 3.  A scan 1..8 evicts 1 2 3 4 from S in
 * turn (G: 1 2 3, then 2 3 4); 1 is no longer a ghost and comes back into
 * S (victim 5, G: 3 4 5).  4 still is a ghost when it faults: making room
 * first evicts 6, whose key pushes 3 out (G: 4 5 6); then 4 leaves G for
 * M. */
static void test_policy_s3fifo_ghost_capacity(void **state)
{
	static const struct trace_step steps[] = {
		{ 1, 1, N, "S: 1 | M: | G:" },
		{ 2, 1, N, "S: 1 2 | M: | G:" },
		{ 3, 1, N, "S: 1 2 3 | M: | G:" },
		{ 4, 1, N, "S: 1 2 3 4 | M: | G:" },
		{ 5, 1, 1, "S: 2 3 4 5 | M: | G: 1" },
		{ 6, 1, 2, "S: 3 4 5 6 | M: | G: 1 2" },
		{ 7, 1, 3, "S: 4 5 6 7 | M: | G: 1 2 3" },
		{ 8, 1, 4, "S: 5 6 7 8 | M: | G: 2 3 4" },
		{ 1, 1, 5, "S: 6 7 8 1 | M: | G: 3 4 5" },
		{ 4, 1, 6, "S: 7 8 1 | M: 4 | G: 5 6" },
	};
	(void)state;
	trace_steps_on("s3fifo:small=0.25", 4, steps,
		       sizeof(steps) / sizeof(steps[0]), 10);
}

/* Busy pages are passed over in place, in S and in M; a busy page in M
 * still has its counter lowered.  4 frames, small=0.25.  Page 1's frame
 * stays pinned from its fault (a pin taken later would be a hit).
 *
 *   1 (pinned) 2 3 4                         S: 1 2 3 4
 *   5   evict from S: 1 is busy, passed; 2 is the victim (G: 2); 1 keeps
 *       its place                            S: 1 3 4 5 | G: 2
 *   1 unpinned; 6: 1 goes first (G: 2 1)     S: 3 4 5 6
 * In M (page 3 is now looked up and held: a hit):
 *   3 4 hits, 7: 3 and 4 move to M, 5 is the victim (G: 2 1 5)
 *                                            S: 6 7 | M: 3 4
 *   3 pinned (hit: 3+), 6 7 hits; 8: 6 and 7 move to M; S is empty:
 *       from M, busy 3 goes to the end at 0; 4 is the victim
 *                                            S: 8 | M: 6 7 3
 *   8 hit; 9: 8 to M; M: 6 victim            S: 9 | M: 7 3 8
 *   9 hit; 10: 9 to M; 7 victim              S: 10 | M: 3 8 9
 *   10 hit; 11: 10 to M; 3 is at 0 but busy: passed, in place; 8 victim
 *                                            S: 11 | M: 3 9 10
 *   3 unpinned; 11 hit; 12: 11 to M; 3 goes  S: 12 | M: 9 10 11 */
static void test_policy_s3fifo_skips_pinned(void **state)
{
	static const uint64_t refs[] = { 6, 7, 8, 8, 9, 9, 10, 10, 11 };
	static const uint64_t victims[] = { N, N, 4, N, 6, N, 7, N, 8 };
	struct cache *c = trace_cache("s3fifo:small=0.25", 4);
	struct frame *held = trace_fault_pinned(c, 1);
	uint64_t victim;

	(void)state;
	for (uint64_t p = 2; p <= 4; p++)
		trace_access(c, p, &victim);
	trace_access(c, 5, &victim);
	assert_int_equal(victim, 2);
	trace_show_is(c, "S: 1 3 4 5 | M: | G: 2");
	cache_unpin(c, held);
	trace_access(c, 6, &victim);
	assert_int_equal(victim, 1);

	trace_access(c, 3, &victim);
	trace_access(c, 4, &victim);
	trace_access(c, 7, &victim);
	assert_int_equal(victim, 5);
	trace_show_is(c, "S: 6 7 | M: 3 4 | G: 2 1 5");
	held = trace_pin(c, 3);
	assert_int_equal(trace_run(c, refs, victims, 3), 1);
	trace_show_is(c, "S: 8 | M: 6 7 3 | G: 2 1 5");
	assert_int_equal(trace_run(c, refs + 3, victims + 3, 6), 3);
	trace_show_is(c, "S: 11 | M: 3 9 10 | G: 2 1 5");
	cache_unpin(c, held);
	trace_access(c, 11, &victim);
	trace_access(c, 12, &victim);
	assert_int_equal(victim, 3);
	trace_show_is(c, "S: 12 | M: 9 10 11 | G: 2 1 5");
	cache_free(c);
}

/* A dropped page (truncate) leaves no ghost: coming back, it starts in S. */
static void test_policy_s3fifo_drop_no_ghost(void **state)
{
	struct cache *c = trace_cache("s3fifo:small=0.25", 4);
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 4; p++)
		trace_access(c, p, &victim);
	assert_int_equal(cache_drop_file(c, 0, 3), 2);	/* pages 3, 4 */
	assert_int_equal(cache_check(c), 0);
	trace_access(c, 3, &victim);
	assert_int_equal(victim, NO_VICTIM);
	trace_show_is(c, "S: 1 2 3 | M: | G:");
	cache_free(c);
}

/* Memory: 9 bytes of policy state a frame (the core's 38 at 100000 frames
 * plus 9 stay within the 48 bytes bench/cache_bench.c reports against),
 * and at most 64 bytes per tracked page, resident or ghost, once G is
 * full (after a scan three times the frames through 1000 frames: G holds
 * 900 keys). */
static void test_policy_s3fifo_memory(void **state)
{
	struct cache *c = trace_cache("s3fifo", 100000);
	struct cache_sim_result r;
	struct cache_mem m;

	(void)state;
	assert_true(cache_meta_bytes_per_frame(c) <= 48);
	cache_free(c);
	c = trace_cache("s3fifo", 1000);
	for (uint64_t p = 0; p < 3000; p++)
		assert_true(cache_sim_access(c, 0, p, &r) >= 0);
	assert_int_equal(cache_check(c), 0);
	cache_mem(c, &m);
	assert_int_equal(m.resident, 1000);
	assert_int_equal(m.ghosts, 900);
	assert_true(m.core_bytes + m.policy_bytes + m.ghost_bytes <=
		    64 * (size_t)(m.resident + m.ghosts));
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_s3fifo_trace),
		cmocka_unit_test(test_policy_s3fifo_main_reinsertion),
		cmocka_unit_test(test_policy_s3fifo_threshold),
		cmocka_unit_test(test_policy_s3fifo_ghost_capacity),
		cmocka_unit_test(test_policy_s3fifo_skips_pinned),
		cmocka_unit_test(test_policy_s3fifo_drop_no_ghost),
		cmocka_unit_test(test_policy_s3fifo_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
