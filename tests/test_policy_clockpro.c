/* test_policy_clockpro.c - CLOCK-Pro on hand-worked reference strings:
 * fault counts, victims and the clock after every reference.
 *
 * The clock is shown oldest first, as show() prints it: "7h" hot, "3c"
 * cold, "3ct" cold in its test period, "9n" non-resident (in its test
 * period), "*" the reference bit; H>, C>, T> mark HAND_hot, HAND_cold and
 * HAND_test.  With 5 frames, m_c starts at (and may not go below) 1 and
 * may not exceed 4; the first 4 faults come in hot (warm-up: more than 1
 * frame free), later ones cold in their test period, at the head (the
 * newest end).  A promotion needs hot < m - m_c, with m_c already raised;
 * HAND_hot runs until that holds. */
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

/* A resident cold page used in its test period turns hot when HAND_cold
 * finds its bit; HAND_hot makes room, sparing a referenced hot page.
 * 5 frames: 1 2 3 4 5 1 5 6 7.
 *
 *   1 2 3 4   hot (warm-up)            H>1h 2h 3h 4h
 *   5         cold, in test            ... C>T>5ct
 *   1 5       hits: bits set           H>1h* ... 5ct*
 *   6   HAND_cold on 5: bit set, in test: promote.  m_c 1 -> 2; 4 hot, not
 *       below 5 - 2: HAND_hot from 1: 1's bit is set: cleared, 1 to the
 *       head, still hot; 2's is clear: 2 turns cold, to the head [hot ->
 *       cold].  3 hot, still not below 3: HAND_hot demotes 3 the same way.
 *       2 hot < 3: 5 turns hot, to the head:
 *                                      4h 1h 2c 3c 5h
 *       HAND_cold goes on from 5's old place: 1 (hot), then 2: cold, bit
 *       clear, not in test: the victim, it leaves the clock.  6 comes in
 *       cold at the head:              H>4h 1h C>3c 5h T>6ct
 *   7   HAND_cold on 3: the victim; 7 in cold
 *                                      H>4h 1h 5h C>T>6ct 7ct
 * 7 faults in 9 references; victims 2 3. */
static void test_policy_clockpro_cold_to_hot(void **state)
{
	static const struct trace_step steps[] = {
		{ 1, 1, N, "m_c 1, oldest first: H>1h" },
		{ 2, 1, N, "m_c 1, oldest first: H>1h 2h" },
		{ 3, 1, N, "m_c 1, oldest first: H>1h 2h 3h" },
		{ 4, 1, N, "m_c 1, oldest first: H>1h 2h 3h 4h" },
		{ 5, 1, N, "m_c 1, oldest first: H>1h 2h 3h 4h C>T>5ct" },
		{ 1, 0, N, "m_c 1, oldest first: H>1h* 2h 3h 4h C>T>5ct" },
		{ 5, 0, N, "m_c 1, oldest first: H>1h* 2h 3h 4h C>T>5ct*" },
		{ 6, 1, 2, "m_c 2, oldest first: H>4h 1h C>3c 5h T>6ct" },
		{ 7, 1, 3, "m_c 2, oldest first: H>4h 1h 5h C>T>6ct 7ct" },
	};
	(void)state;
	trace_steps_on("clockpro", 5, steps,
		       sizeof(steps) / sizeof(steps[0]), 7);
}

/* Evicted pages in their test period stay as non-resident pages; a fault
 * on one is a use within the period [cold -> hot]; HAND_test ends the
 * oldest test period when there would be more than m non-resident pages,
 * and m_c goes down.  5 frames: 1 2 3 4 5 6 7 5 8 9 10 11 12 13.
 *
 *   1..4 hot, 5 cold in test           H>1h 2h 3h 4h C>T>5ct
 *   6   HAND_cold: 5 (bit clear) is the victim; in test, it stays on the
 *       clock non-resident              H>1h 2h 3h 4h T>5n C>6ct
 *   7   likewise 6                      ... T>5n 6n C>7ct
 *   5   HAND_cold: 7 goes (7n).  5 is found non-resident: used within its
 *       test period.  m_c 1 -> 2; 4 hot, not below 3: HAND_hot turns 1
 *       cold (to the head), then 2; 2 hot < 3.  5n leaves the clock and 5
 *       comes in hot at the head; HAND_test moves on from 5n to 6n.
 *                                      H>3h 4h T>6n 7n C>1c 2c 5h
 *   8   HAND_cold: 1, cold out of test (it was demoted): it leaves the
 *       clock                           H>3h 4h T>6n 7n C>2c 5h 8ct
 *   9   2 leaves likewise               H>3h 4h T>6n 7n 5h C>8ct 9ct
 *   10 11 12   8, 9, 10 become non-resident: 6n 7n 8n 9n 10n, five
 *   13  11 goes, but 5 non-resident pages are kept already: HAND_test
 *       ends 6's test period, unused: 6n leaves and m_c 2 -> 1; 11n.
 *                                      m_c 1: H>3h 4h T>7n 5h 8n 9n 10n
 *                                      11n C>12ct 13ct
 * 14 faults; victims 5 6 7 1 2 8 9 10 11. */
static void test_policy_clockpro_nonresident(void **state)
{
	static const struct trace_step steps[] = {
		{ 1, 1, N, "m_c 1, oldest first: H>1h" },
		{ 2, 1, N, "m_c 1, oldest first: H>1h 2h" },
		{ 3, 1, N, "m_c 1, oldest first: H>1h 2h 3h" },
		{ 4, 1, N, "m_c 1, oldest first: H>1h 2h 3h 4h" },
		{ 5, 1, N, "m_c 1, oldest first: H>1h 2h 3h 4h C>T>5ct" },
		{ 6, 1, 5, "m_c 1, oldest first: H>1h 2h 3h 4h T>5n C>6ct" },
		{ 7, 1, 6, "m_c 1, oldest first: H>1h 2h 3h 4h T>5n 6n C>7ct" },
		{ 5, 1, 7, "m_c 2, oldest first: H>3h 4h T>6n 7n C>1c 2c 5h" },
		{ 8, 1, 1, "m_c 2, oldest first: H>3h 4h T>6n 7n C>2c 5h 8ct" },
		{ 9, 1, 2, "m_c 2, oldest first: H>3h 4h T>6n 7n 5h C>8ct "
			   "9ct" },
		{ 10, 1, 8, "m_c 2, oldest first: H>3h 4h T>6n 7n 5h 8n C>9ct "
			    "10ct" },
		{ 11, 1, 9, "m_c 2, oldest first: H>3h 4h T>6n 7n 5h 8n 9n "
			    "C>10ct 11ct" },
		{ 12, 1, 10, "m_c 2, oldest first: H>3h 4h T>6n 7n 5h 8n 9n "
			     "10n C>11ct 12ct" },
		{ 13, 1, 11, "m_c 1, oldest first: H>3h 4h T>7n 5h 8n 9n 10n "
			     "11n C>12ct 13ct" },
	};
	(void)state;
	trace_steps_on("clockpro", 5, steps,
		       sizeof(steps) / sizeof(steps[0]), 14);
}

/* HAND_hot ends the test periods of the cold pages it passes, and
 * non-resident ones leave the clock.  5 frames: 1 2 3 4 5 6 7 5 3 6 8; the
 * first 8 references as in the test above.
 *
 *   (after 5)                          m_c 2: H>3h 4h T>6n 7n C>1c 2c 5h
 *   3   hit                            H>3h* ...
 *   6   HAND_cold: 1 leaves.  6 is found non-resident: m_c 2 -> 3; 3 hot
 *       (3 4 5), not below 2: HAND_hot: 3's bit is set: cleared, to the
 *       head; 4 turns cold, to the head:      6n 7n 2c 5h 3h 4c
 *       HAND_hot then moves on to the next hot page, 5, passing 6n (the
 *       page being promoted: its period ends, counted already) and 7n
 *       (ended unused: m_c 3 -> 2): both leave the clock.  2 hot < 3: 6
 *       comes in hot.  No page is left in its test period.
 *                                      m_c 2: C>2c H>5h 3h 4c 6h
 *   8   HAND_cold: 2 leaves; 8 in cold H>5h 3h C>4c 6h T>8ct
 * 10 faults in 11 references; victims 5 6 7 1 2. */
static void test_policy_clockpro_hand_hot_ends_tests(void **state)
{
	static const uint64_t warm[] = { 1, 2, 3, 4, 5, 6, 7, 5 };
	static const struct trace_step steps[] = {
		{ 3, 0, N, "m_c 2, oldest first: H>3h* 4h T>6n 7n C>1c 2c 5h" },
		{ 6, 1, 1, "m_c 2, oldest first: C>2c H>5h 3h 4c 6h" },
		{ 8, 1, 2, "m_c 2, oldest first: H>5h 3h C>4c 6h T>8ct" },
	};
	struct cache *c = trace_cache("clockpro", 5);
	uint64_t victim;
	int faults = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(warm) / sizeof(warm[0]); i++)
		faults += trace_access(c, warm[i], &victim);
	trace_show_is(c, "m_c 2, oldest first: H>3h 4h T>6n 7n C>1c 2c 5h");
	faults += trace_steps(c, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(faults, 10);
	cache_free(c);
}

/* A refused promotion: every hot page older than the candidate is
 * referenced, so HAND_hot reaches the candidate without turning anything
 * cold; passing it ends its test period, and it stays cold.
 * 5 frames: 1 2 3 4 1 2 3 4 5 5 6.
 *
 *   1..4 hot, hits on all four, 5 cold in test, hit on 5
 *                                      H>1h* 2h* 3h* 4h* C>T>5ct*
 *   6   HAND_cold on 5: bit set, in test: m_c 1 -> 2; HAND_hot clears 1 2
 *       3 4 in turn, each to the head, and reaches 5: refused.  5 moves
 *       to the head, cold, in a new test period; HAND_cold goes on (1..4
 *       are hot) round to 5, bit clear now: the victim, non-resident.
 *                                      m_c 2: H>1h 2h 3h 4h T>5n C>6ct
 * 6 faults in 11 references; victim 5. */
static void test_policy_clockpro_refused_promotion(void **state)
{
	static const struct trace_step steps[] = {
		{ 1, 1, N, "m_c 1, oldest first: H>1h" },
		{ 2, 1, N, "m_c 1, oldest first: H>1h 2h" },
		{ 3, 1, N, "m_c 1, oldest first: H>1h 2h 3h" },
		{ 4, 1, N, "m_c 1, oldest first: H>1h 2h 3h 4h" },
		{ 1, 0, N, "m_c 1, oldest first: H>1h* 2h 3h 4h" },
		{ 2, 0, N, "m_c 1, oldest first: H>1h* 2h* 3h 4h" },
		{ 3, 0, N, "m_c 1, oldest first: H>1h* 2h* 3h* 4h" },
		{ 4, 0, N, "m_c 1, oldest first: H>1h* 2h* 3h* 4h*" },
		{ 5, 1, N, "m_c 1, oldest first: H>1h* 2h* 3h* 4h* C>T>5ct" },
		{ 5, 0, N, "m_c 1, oldest first: H>1h* 2h* 3h* 4h* C>T>5ct*" },
		{ 6, 1, 5, "m_c 2, oldest first: H>1h 2h 3h 4h T>5n C>6ct" },
	};
	(void)state;
	trace_steps_on("clockpro", 5, steps,
		       sizeof(steps) / sizeof(steps[0]), 6);
}

/* Scan resistance: a scan of 11 pages once each goes through the cold
 * frame only; the 4 hot pages survive it.  Non-resident pages are capped
 * at m = 5: from 11 on, HAND_test drops the oldest as each new one comes.
 * 5 frames: 1..15, then 1 2 3 4 (all hits): 15 faults. */
static void test_policy_clockpro_scan(void **state)
{
	struct cache *c = trace_cache("clockpro", 5);
	uint64_t victim;
	int faults = 0;

	(void)state;
	for (uint64_t p = 1; p <= 15; p++) {
		faults += trace_access(c, p, &victim);
		assert_int_equal(victim, p >= 6 ? p - 1 : NO_VICTIM);
	}
	trace_show_is(c, "m_c 1, oldest first: H>1h 2h 3h 4h T>10n 11n 12n 13n "
		 "14n C>15ct");
	for (uint64_t p = 1; p <= 4; p++)
		faults += trace_access(c, p, &victim);
	assert_int_equal(faults, 15);
	cache_free(c);
}

/* A busy cold page is passed over in place; with no evictable cold page,
 * the first evictable hot page from HAND_hot turns cold and goes.  Page 5
 * stays pinned from its fault (a later pin would be a hit).  5 frames.
 *
 *   1..4 hot, 5 cold in test, pinned   H>1h 2h 3h 4h C>T>5ct
 *   6   HAND_cold: 5 is busy, and the only cold page: HAND_hot's first
 *       evictable hot page, 1, turns cold and is the victim; 6 in cold
 *                                      H>2h 3h 4h C>T>5ct 6ct
 *   7   HAND_cold passes busy 5; 6 is the victim (non-resident); the hand
 *       comes round to 5 again            H>2h 3h 4h C>T>5ct 6n 7ct
 *   5 unpinned.
 *   8   HAND_cold on 5: the victim        H>2h 3h 4h T>5n 6n C>7ct 8ct */
static void test_policy_clockpro_skips_pinned(void **state)
{
	struct cache *c = trace_cache("clockpro", 5);
	struct frame *held;
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 4; p++)
		trace_access(c, p, &victim);
	held = trace_fault_pinned(c, 5);
	trace_show_is(c, "m_c 1, oldest first: H>1h 2h 3h 4h C>T>5ct");
	trace_access(c, 6, &victim);
	assert_int_equal(victim, 1);
	trace_show_is(c, "m_c 1, oldest first: H>2h 3h 4h C>T>5ct 6ct");
	trace_access(c, 7, &victim);
	assert_int_equal(victim, 6);
	trace_show_is(c, "m_c 1, oldest first: H>2h 3h 4h C>T>5ct 6n 7ct");
	cache_unpin(c, held);
	trace_access(c, 8, &victim);
	assert_int_equal(victim, 5);
	trace_show_is(c, "m_c 1, oldest first: H>2h 3h 4h T>5n 6n C>7ct 8ct");
	cache_free(c);
}

/* Truncation forgets pages: no non-resident entry, m_c unchanged.
 * 5 frames: 1..6 (5 becomes 5n), then pages >= 3 are dropped: 3, 4 and
 * the resident 6 leave with no trace.  6 faults in again, hot: 3 frames
 * are free (warm-up). */
static void test_policy_clockpro_drop(void **state)
{
	struct cache *c = trace_cache("clockpro", 5);
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 6; p++)
		trace_access(c, p, &victim);
	trace_show_is(c, "m_c 1, oldest first: H>1h 2h 3h 4h T>5n C>6ct");
	assert_int_equal(cache_drop_file(c, 0, 3), 3);
	assert_int_equal(cache_check(c), 0);
	trace_show_is(c, "m_c 1, oldest first: H>1h 2h T>5n");
	trace_access(c, 6, &victim);
	assert_int_equal(victim, NO_VICTIM);
	trace_show_is(c, "m_c 1, oldest first: H>1h 2h T>5n 6h");
	cache_free(c);
}

/* Memory: 9 bytes of policy state a frame (the core's 38 at 100000 frames
 * plus 9 stay within the 48 bytes bench/cache_bench.c reports against),
 * and at most 64 bytes per tracked page, resident or not, once m
 * non-resident pages are kept (a scan through 1000 frames: the first 990
 * come in hot, the rest go through the 10 cold frames). */
static void test_policy_clockpro_memory(void **state)
{
	struct cache *c = trace_cache("clockpro", 100000);
	struct cache_sim_result r;
	struct cache_mem m;

	(void)state;
	assert_true(cache_meta_bytes_per_frame(c) <= 48);
	cache_free(c);
	c = trace_cache("clockpro", 1000);
	for (uint64_t p = 0; p < 3000; p++)
		assert_true(cache_sim_access(c, 0, p, &r) >= 0);
	assert_int_equal(cache_check(c), 0);
	cache_mem(c, &m);
	assert_int_equal(m.resident, 1000);
	assert_int_equal(m.ghosts, 1000);
	assert_true(m.core_bytes + m.policy_bytes + m.ghost_bytes <=
		    64 * (size_t)(m.resident + m.ghosts));
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_clockpro_cold_to_hot),
		cmocka_unit_test(test_policy_clockpro_nonresident),
		cmocka_unit_test(test_policy_clockpro_hand_hot_ends_tests),
		cmocka_unit_test(test_policy_clockpro_refused_promotion),
		cmocka_unit_test(test_policy_clockpro_scan),
		cmocka_unit_test(test_policy_clockpro_skips_pinned),
		cmocka_unit_test(test_policy_clockpro_drop),
		cmocka_unit_test(test_policy_clockpro_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
