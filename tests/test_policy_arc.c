/* test_policy_arc.c - ARC (cache/policy_arc.c): hand-worked traces (the
 * adaptation of p both ways, the REPLACE tie rule, the directory's Case IV
 * trimming), dropped pages, pinned frames, the directory bound, the memory
 * budget, and a check against a direct transcription of the paper's
 * Figure 4 on random reference strings.  The state is read through
 * cache_policy_show(), "p=.. T1 [..] T2 [..] B1 [..] B2 [..]", each list
 * least recently used first. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_trace.h"

#define NONE NO_VICTIM

static uint64_t rng_state;

static uint64_t rng(void)
{
	return trace_rng(&rng_state);
}

/* ---- hand-worked traces ----------------------------------------------- */

/* 4 frames (c = 4), p = 0 at the start.  "dir" is the directory's size,
 * |T1| + |T2| + |B1| + |B2|; L1 = |T1| + |B1|.
 *
 *  ref  why                                                        victim
 *  1-4  misses in no list: T1's MRU end, T1 [1 2 3 4]
 *   1   hit in T1: to T2's MRU end, T1 [2 3 4] T2 [1]
 *   2   the same, T1 [3 4] T2 [1 2]
 *   5   miss in no list, Case IV.B: L1 = 2 < c, dir 4 < 2c, no trim.
 *       REPLACE(5, 0): |T1| 2 > p, so T1's LRU page goes to B1          3
 *   6   IV.B (L1 3, dir 5).  REPLACE: |T1| 2 > 0: 4 to B1, B1 [3 4]      4
 *   3   B1 hit: p += max(|B2|/|B1|, 1) = max(0/2, 1) = 1, p = 1.
 *       REPLACE(3, 1): |T1| 2 > 1: 5 to B1; 3 to T2's MRU end:
 *       T1 [6] T2 [1 2 3] B1 [4 5]                                     5
 *   7   IV.B (L1 3, dir 7).  REPLACE(7, 1): |T1| = 1 = p, but 7 is not
 *       in B2, so T2's LRU page goes: 1 to B2                           1
 *   4   B1 hit: p += max(1/2, 1) = 1, p = 2.  REPLACE(4, 2): |T1| 2 = p,
 *       4 not in B2: T2's 2 to B2.  T1 [6 7] T2 [3 4] B1 [5] B2 [1 2]   2
 *   6   hit in T1: T1 [7] T2 [3 4 6]
 *   1   B2 hit: p -= max(|B1|/|B2|, 1) = max(1/2, 1) = 1, p = 1.
 *       REPLACE(1, 1): |T1| 1 = p and 1 is in B2: the tie rule takes
 *       T1's 7 (T2's 3 would go otherwise).  1 to T2:
 *       T1 [] T2 [3 4 6 1] B1 [5 7] B2 [2]                              7
 *   8   IV.B (L1 2, dir 7).  REPLACE(8, 1): T1 is empty: T2's 3 to B2;
 *       dir is now 8 = 2c                                               3
 *   9   IV.B: L1 3 < c and dir = 2c: B2's LRU key, 2, is deleted.
 *       REPLACE(9, 1): |T1| 1 = p, 9 not in B2: T2's 4 to B2.
 *       T1 [8 9] T2 [6 1] B1 [5 7] B2 [3 4]                             4
 *  10   Case IV.A: L1 = 4 = c with |T1| < c: B1's LRU key, 5, is
 *       deleted.  REPLACE(10, 1): |T1| 2 > 1: 8 to B1, B1 [7 8]          8
 *
 * 13 faults, victims 3 4 5 1 2 7 3 4 8; p went 0 1 2 1. */
static void test_policy_arc_trace(void **state)
{
	static const struct trace_step s[] = {
		{ 1, 1, NONE, "p=0 T1 [1] T2 [] B1 [] B2 []" },
		{ 2, 1, NONE, "p=0 T1 [1 2] T2 [] B1 [] B2 []" },
		{ 3, 1, NONE, "p=0 T1 [1 2 3] T2 [] B1 [] B2 []" },
		{ 4, 1, NONE, "p=0 T1 [1 2 3 4] T2 [] B1 [] B2 []" },
		{ 1, 0, NONE, "p=0 T1 [2 3 4] T2 [1] B1 [] B2 []" },
		{ 2, 0, NONE, "p=0 T1 [3 4] T2 [1 2] B1 [] B2 []" },
		{ 5, 1, 3, "p=0 T1 [4 5] T2 [1 2] B1 [3] B2 []" },
		{ 6, 1, 4, "p=0 T1 [5 6] T2 [1 2] B1 [3 4] B2 []" },
		{ 3, 1, 5, "p=1 T1 [6] T2 [1 2 3] B1 [4 5] B2 []" },
		{ 7, 1, 1, "p=1 T1 [6 7] T2 [2 3] B1 [4 5] B2 [1]" },
		{ 4, 1, 2, "p=2 T1 [6 7] T2 [3 4] B1 [5] B2 [1 2]" },
		{ 6, 0, NONE, "p=2 T1 [7] T2 [3 4 6] B1 [5] B2 [1 2]" },
		{ 1, 1, 7, "p=1 T1 [] T2 [3 4 6 1] B1 [5 7] B2 [2]" },
		{ 8, 1, 3, "p=1 T1 [8] T2 [4 6 1] B1 [5 7] B2 [2 3]" },
		{ 9, 1, 4, "p=1 T1 [8 9] T2 [6 1] B1 [5 7] B2 [3 4]" },
		{ 10, 1, 8, "p=1 T1 [9 10] T2 [6 1] B1 [7 8] B2 [3 4]" },
	};

	(void)state;
	trace_steps_on("arc", 4, s, sizeof(s) / sizeof(s[0]), 13);
}

/* 5 frames: steps of p that are not whole, and p held at 0.
 *
 *  ref  why                                                        victim
 *  1-5  T1 [1 2 3 4 5]
 *  1-5  hits: T1 [] T2 [1 2 3 4 5]
 *   6   IV.B (L1 0, dir 5).  REPLACE(6, 0): T1 empty: T2's 1 to B2      1
 *   6   hit in T1: T2 [2 3 4 5 6]
 *  7 7  the same: 2 to B2, 7 to T2                                      2
 *  8 8  the same: 3 to B2, 8 to T2; B2 [1 2 3]                          3
 *   9   REPLACE: T1 empty: 4 to B2, B2 [1 2 3 4]; T1 [9]                4
 *  10   IV.B (L1 1, dir 9).  REPLACE: |T1| 1 > 0: 9 to B1               9
 *  11   IV.B: L1 2 < c, dir 10 = 2c: B2's LRU key 1 is deleted.
 *       REPLACE: 10 to B1.  T1 [11] B1 [9 10] B2 [2 3 4]               10
 *   9   B1 hit: p += max(|B2|/|B1|, 1) = max(3/2, 1) = 1.5, p = 1.5.
 *       REPLACE(9, 1.5): |T1| 1 < 1.5: T2's 5 to B2.
 *       T1 [11] T2 [6 7 8 9] B1 [10] B2 [2 3 4 5]                       5
 *   2   B2 hit: p -= max(1/4, 1) = 1, p = 0.5.  REPLACE(2, 0.5): |T1| 1
 *       > 0.5: 11 to B1 (no tie: p is not whole).
 *       T1 [] T2 [6 7 8 9 2] B1 [10 11] B2 [3 4 5]                     11
 *  12   IV.B: L1 2, dir 10 = 2c: 3 deleted from B2.  REPLACE: T1 empty:
 *       T2's 6 to B2, B2 [4 5 6]                                        6
 *  13   IV.B: L1 3, dir 10: 4 deleted from B2.  REPLACE: |T1| 1 > 0.5:
 *       12 to B1, B1 [10 11 12] B2 [5 6]                               12
 *   5   B2 hit: p -= max(3/2, 1) = 1.5: 0.5 - 1.5 < 0, so p = 0.
 *       REPLACE(5, 0): |T1| 1 > 0: 13 to B1.
 *       T1 [] T2 [7 8 9 2 5] B1 [10 11 12 13] B2 [6]                   13
 *
 * 16 faults, victims 1 2 3 4 9 10 5 11 6 12 13; p went 0 1.5 0.5 0. */
static void test_policy_arc_fractional_steps(void **state)
{
	static const struct trace_step s[] = {
		{ 1, 1, NONE, "p=0 T1 [1] T2 [] B1 [] B2 []" },
		{ 2, 1, NONE, "p=0 T1 [1 2] T2 [] B1 [] B2 []" },
		{ 3, 1, NONE, "p=0 T1 [1 2 3] T2 [] B1 [] B2 []" },
		{ 4, 1, NONE, "p=0 T1 [1 2 3 4] T2 [] B1 [] B2 []" },
		{ 5, 1, NONE, "p=0 T1 [1 2 3 4 5] T2 [] B1 [] B2 []" },
		{ 1, 0, NONE, "p=0 T1 [2 3 4 5] T2 [1] B1 [] B2 []" },
		{ 2, 0, NONE, "p=0 T1 [3 4 5] T2 [1 2] B1 [] B2 []" },
		{ 3, 0, NONE, "p=0 T1 [4 5] T2 [1 2 3] B1 [] B2 []" },
		{ 4, 0, NONE, "p=0 T1 [5] T2 [1 2 3 4] B1 [] B2 []" },
		{ 5, 0, NONE, "p=0 T1 [] T2 [1 2 3 4 5] B1 [] B2 []" },
		{ 6, 1, 1, "p=0 T1 [6] T2 [2 3 4 5] B1 [] B2 [1]" },
		{ 6, 0, NONE, "p=0 T1 [] T2 [2 3 4 5 6] B1 [] B2 [1]" },
		{ 7, 1, 2, "p=0 T1 [7] T2 [3 4 5 6] B1 [] B2 [1 2]" },
		{ 7, 0, NONE, "p=0 T1 [] T2 [3 4 5 6 7] B1 [] B2 [1 2]" },
		{ 8, 1, 3, "p=0 T1 [8] T2 [4 5 6 7] B1 [] B2 [1 2 3]" },
		{ 8, 0, NONE, "p=0 T1 [] T2 [4 5 6 7 8] B1 [] B2 [1 2 3]" },
		{ 9, 1, 4, "p=0 T1 [9] T2 [5 6 7 8] B1 [] B2 [1 2 3 4]" },
		{ 10, 1, 9, "p=0 T1 [10] T2 [5 6 7 8] B1 [9] B2 [1 2 3 4]" },
		{ 11, 1, 10, "p=0 T1 [11] T2 [5 6 7 8] B1 [9 10] B2 [2 3 4]" },
		{ 9, 1, 5, "p=1.5 T1 [11] T2 [6 7 8 9] B1 [10] B2 [2 3 4 5]" },
		{ 2, 1, 11, "p=0.5 T1 [] T2 [6 7 8 9 2] B1 [10 11] B2 [3 4 5]" },
		{ 12, 1, 6, "p=0.5 T1 [12] T2 [7 8 9 2] B1 [10 11] B2 [4 5 6]" },
		{ 13, 1, 12,
		  "p=0.5 T1 [13] T2 [7 8 9 2] B1 [10 11 12] B2 [5 6]" },
		{ 5, 1, 13, "p=0 T1 [] T2 [7 8 9 2 5] B1 [10 11 12 13] B2 [6]" },
	};

	(void)state;
	trace_steps_on("arc", 5, s, sizeof(s) / sizeof(s[0]), 16);
}

/* 3 frames: p held at c, and the tie rule once more.
 *
 *  ref  why                                                        victim
 *  2 6 3  T1 [2 6 3]
 *   3   hit: T1 [2 6] T2 [3]
 *   1   IV.B (L1 2, dir 3).  REPLACE(1, 0): 2 to B1; T1 [6 1]           2
 *   1   hit: T1 [6] T2 [3 1]
 *   2   B1 hit: p += max(0/1, 1) = 1, p = 1.  REPLACE(2, 1): |T1| 1 = p,
 *       2 not in B2: T2's 3 to B2.  T1 [6] T2 [1 2] B1 [] B2 [3]         3
 *   5   IV.B (L1 1, dir 4).  REPLACE(5, 1): |T1| 1 = p, 5 not in B2:
 *       T2's 1 to B2.  T1 [6 5] T2 [2] B2 [3 1]                         1
 *   4   IV.B (L1 2, dir 5).  REPLACE(4, 1): |T1| 2 > 1: 6 to B1          6
 *   6   B1 hit: p += max(2/1, 1) = 2, p = 3 = c.  REPLACE(6, 3): |T1| 2
 *       < 3: T2's 2 to B2.  T1 [5 4] T2 [6] B1 [] B2 [3 1 2]            2
 *   3   B2 hit: p -= max(0/3, 1) = 1, p = 2.  REPLACE(3, 2): |T1| 2 = p
 *       and 3 is in B2: T1's 5 to B1.  T1 [4] T2 [6 3] B1 [5] B2 [1 2]  5
 *   5   B1 hit: p += max(2/1, 1) = 2: 2 + 2 > c, so p = 3.
 *       REPLACE(5, 3): |T1| 1 < 3: T2's 6 to B2.
 *       T1 [4] T2 [3 5] B1 [] B2 [1 2 6]                                6
 *
 * 10 faults, victims 2 3 1 6 2 5 6; p went 0 1 3 2 3. */
static void test_policy_arc_p_held_at_c(void **state)
{
	static const struct trace_step s[] = {
		{ 2, 1, NONE, "p=0 T1 [2] T2 [] B1 [] B2 []" },
		{ 6, 1, NONE, "p=0 T1 [2 6] T2 [] B1 [] B2 []" },
		{ 3, 1, NONE, "p=0 T1 [2 6 3] T2 [] B1 [] B2 []" },
		{ 3, 0, NONE, "p=0 T1 [2 6] T2 [3] B1 [] B2 []" },
		{ 1, 1, 2, "p=0 T1 [6 1] T2 [3] B1 [2] B2 []" },
		{ 1, 0, NONE, "p=0 T1 [6] T2 [3 1] B1 [2] B2 []" },
		{ 2, 1, 3, "p=1 T1 [6] T2 [1 2] B1 [] B2 [3]" },
		{ 5, 1, 1, "p=1 T1 [6 5] T2 [2] B1 [] B2 [3 1]" },
		{ 4, 1, 6, "p=1 T1 [5 4] T2 [2] B1 [6] B2 [3 1]" },
		{ 6, 1, 2, "p=3 T1 [5 4] T2 [6] B1 [] B2 [3 1 2]" },
		{ 3, 1, 5, "p=2 T1 [4] T2 [6 3] B1 [5] B2 [1 2]" },
		{ 5, 1, 6, "p=3 T1 [4] T2 [3 5] B1 [] B2 [1 2 6]" },
	};

	(void)state;
	trace_steps_on("arc", 3, s, sizeof(s) / sizeof(s[0]), 10);
}

/* A scan of new pages with T1 full and B1 empty is Case IV.A's second
 * branch: T1's LRU page is deleted with no ghost, so a scan leaves no
 * history behind (4 frames). */
static void test_policy_arc_scan_leaves_no_ghost(void **state)
{
	static const struct trace_step s[] = {
		{ 1, 1, NONE, "p=0 T1 [1] T2 [] B1 [] B2 []" },
		{ 2, 1, NONE, "p=0 T1 [1 2] T2 [] B1 [] B2 []" },
		{ 3, 1, NONE, "p=0 T1 [1 2 3] T2 [] B1 [] B2 []" },
		{ 4, 1, NONE, "p=0 T1 [1 2 3 4] T2 [] B1 [] B2 []" },
		{ 5, 1, 1, "p=0 T1 [2 3 4 5] T2 [] B1 [] B2 []" },
		{ 6, 1, 2, "p=0 T1 [3 4 5 6] T2 [] B1 [] B2 []" },
		{ 1, 1, 3, "p=0 T1 [4 5 6 1] T2 [] B1 [] B2 []" },
	};

	(void)state;
	trace_steps_on("arc", 4, s, sizeof(s) / sizeof(s[0]), 7);
}

/* Pages dropped by truncation (POLICY_DROPPED) leave no ghost; and a ghost
 * hit with a free frame adapts p and needs no eviction.
 *
 *   1 2 3 4 1 2 5      p=0 T1 [4 5] T2 [1 2] B1 [3] B2 []   (5 evicts 3)
 *   drop pages >= 4    T1 [] : 4 and 5 are not ghosts
 *   drop pages >= 2    T2 [1]: 2 is not a ghost (3 is not resident)
 *   4                  a new page again: T1 [4], no eviction
 *   3                  B1 hit, free frame: p = 0 + max(0/1, 1) = 1,
 *                      T2 [1 3], no eviction
 *   2                  new: T1 [4 2]; the cache is full again */
static void test_policy_arc_drop_leaves_no_ghost(void **state)
{
	static const uint64_t refs[] = { 1, 2, 3, 4, 1, 2, 5 };
	struct cache *c = trace_cache("arc", 4);
	uint64_t victim;

	(void)state;
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		trace_access(c, refs[i], &victim);
	assert_int_equal(victim, 3);
	trace_show_is(c, "p=0 T1 [4 5] T2 [1 2] B1 [3] B2 []");
	assert_int_equal(cache_drop_file(c, 0, 4), 2);
	trace_show_is(c, "p=0 T1 [] T2 [1 2] B1 [3] B2 []");
	assert_int_equal(cache_drop_file(c, 0, 2), 1);
	trace_show_is(c, "p=0 T1 [] T2 [1] B1 [3] B2 []");
	assert_int_equal(trace_access(c, 4, &victim), 1);
	assert_int_equal(victim, NONE);
	trace_show_is(c, "p=0 T1 [4] T2 [1] B1 [3] B2 []");
	assert_int_equal(trace_access(c, 3, &victim), 1);
	assert_int_equal(victim, NONE);
	trace_show_is(c, "p=1 T1 [4] T2 [1 3] B1 [] B2 []");
	assert_int_equal(trace_access(c, 2, &victim), 1);
	assert_int_equal(victim, NONE);
	trace_show_is(c, "p=1 T1 [4 2] T2 [1 3] B1 [] B2 []");
	cache_free(c);
}

/* Pinned frames are passed over: first along the chosen list, then in the
 * other list.  4 frames.
 *
 *   1 2 3 4 1 2 3 4     T1 [] T2 [1 2 3 4]
 *   lookup 1, held      a hit: T2 [2 3 4 1]; then hits on 2 3 4:
 *                       T2 [1 2 3 4], 1 pinned at the LRU end
 *   5, held             REPLACE(5, 0): T1 empty, so T2, whose LRU page 1
 *                       is pinned: 2 goes to B2.  T1 [5] T2 [1 3 4]; the
 *                       loader keeps 5 pinned
 *   6                   REPLACE(6, 0): |T1| 1 > 0, so T1, all pinned; then
 *                       T2: 1 pinned, 3 goes.  T1 [5 6] T2 [1 4] B2 [2 3]
 *   unpin all; 7        IV.B (L1 2, dir 6).  REPLACE(7, 0): |T1| 2 > 0:
 *                       T1's LRU page 5, which kept its place, goes */
static void test_policy_arc_skips_pinned(void **state)
{
	static const uint64_t refs[] = { 1, 2, 3, 4, 1, 2, 3, 4 };
	struct cache *c = trace_cache("arc", 4);
	struct frame *held[2];
	uint64_t victim;

	(void)state;
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		trace_access(c, refs[i], &victim);
	held[0] = trace_pin(c, 1);
	for (uint64_t p = 2; p <= 4; p++)
		assert_int_equal(trace_access(c, p, &victim), 0);
	trace_show_is(c, "p=0 T1 [] T2 [1 2 3 4] B1 [] B2 []");
	assert_int_equal(trace_access_pin(c, 5, &victim, &held[1]), 1);
	assert_int_equal(victim, 2);
	trace_show_is(c, "p=0 T1 [5] T2 [1 3 4] B1 [] B2 [2]");
	trace_access(c, 6, &victim);
	assert_int_equal(victim, 3);
	trace_show_is(c, "p=0 T1 [5 6] T2 [1 4] B1 [] B2 [2 3]");
	cache_unpin(c, held[0]);
	cache_unpin(c, held[1]);
	trace_access(c, 7, &victim);
	assert_int_equal(victim, 5);
	trace_show_is(c, "p=0 T1 [6 7] T2 [1 4] B1 [5] B2 [2 3]");
	cache_free(c);
}

/* ---- the directory bound and the memory budget ------------------------ */

/* Counts the pages in each bracketed list of a show() line into n[4] (T1,
 * T2, B1, B2) and returns p. */
static double parse_show(const char *s, unsigned n[4])
{
	double p;
	int k = -1;

	assert_int_equal(sscanf(s, "p=%lf", &p), 1);
	for (; *s; s++) {
		if (*s == '[') {
			n[++k] = 0;
			assert_true(k < 4);
		} else if (*s >= '0' && *s <= '9' && k >= 0 &&
			   (s[-1] == '[' || s[-1] == ' ')) {
			n[k]++;
		}
	}
	assert_int_equal(k, 3);
	return p;
}

/* On a long skewed string the directory fills to 2c and stays there; it
 * never holds more than 2c pages, L1 never more than c, and p stays in
 * [0, c] having moved both ways. */
static void test_policy_arc_directory_bound(void **state)
{
	enum { C = 8, PAGES = 40 };
	struct cache *c = trace_cache("arc", C);
	unsigned most = 0, ups = 0, downs = 0;
	double last_p = 0;

	(void)state;
	rng_state = 42;
	for (int i = 0; i < 20000; i++) {
		uint64_t victim, x = rng() % 3 ? rng() % (PAGES / 4) :
					     rng() % PAGES;
		unsigned n[4];
		char *s;
		double p;

		trace_access(c, x, &victim);
		s = trace_show(c);
		p = parse_show(s, n);
		if (n[0] + n[1] + n[2] + n[3] > 2 * C || n[0] + n[2] > C ||
		    n[0] + n[1] > C || p < 0 || p > C) {
			fprintf(stderr, "# ref %d: %s\n", i, s);
			fail();
		}
		if (n[0] + n[1] + n[2] + n[3] > most)
			most = n[0] + n[1] + n[2] + n[3];
		ups += p > last_p;
		downs += p < last_p;
		last_p = p;
		free(s);
	}
	assert_int_equal(most, 2 * C);
	assert_true(ups > 10 && downs > 10);
	cache_free(c);
}

/* At most 64 bytes per tracked page (up to 2c: c resident, c ghosts): the
 * core's per-frame metadata plus B1's and B2's tables. */
static void test_policy_arc_memory_budget(void **state)
{
	enum { N = 100000 };
	const struct policy_ops *ops = policy_find("arc");
	double param[POLICY_MAX_PARAMS] = { 0 };
	struct cache *c = trace_cache("arc", N);
	struct policy *p;
	double per_page;

	(void)state;
	assert_non_null(ops);
	p = ops->create(N, param);
	assert_non_null(p);
	per_page = ((double)cache_meta_bytes_per_frame(c) * N +
		    (double)ops->ghost_bytes(p)) / (2.0 * N);
	fprintf(stderr, "# arc: %zu bytes a frame, %zu ghost bytes, %.1f per "
		"tracked page\n", cache_meta_bytes_per_frame(c),
		ops->ghost_bytes(p), per_page);
	assert_true(ops->ghost_bytes(p) >= (size_t)N * 2 * 16);
	assert_true(per_page <= 64);
	ops->destroy(p);
	cache_free(c);
}

/* ---- against the paper's Figure 4 ------------------------------------- */

/* ARC(c) of the paper, one request at a time, on plain arrays: the point
 * is to be obviously Figure 4.  p is a double, as in policy_arc.c. */
struct modelarc {
	struct klist t1, t2, b1, b2;
	double p;
	int c;
};

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

static double dmin(double a, double b)
{
	return a < b ? a : b;
}

/* REPLACE(x, p); returns the page evicted. */
static uint64_t model_replace(struct modelarc *m, bool x_in_b2)
{
	uint64_t y;

	if (m->t1.n >= 1 && (m->t1.n > m->p || (x_in_b2 && m->t1.n == m->p))) {
		y = klist_del(&m->t1, 0);
		klist_push(&m->b1, y);
	} else {
		y = klist_del(&m->t2, 0);
		klist_push(&m->b2, y);
	}
	return y;
}

static int model_ref(struct modelarc *m, uint64_t x, uint64_t *victim)
{
	int i, l1, total;

	*victim = NONE;
	if ((i = klist_find(&m->t1, x)) >= 0 ||
	    (i = klist_find(&m->t2, x)) >= 0) {
		/* Case I */
		klist_del(klist_find(&m->t1, x) >= 0 ? &m->t1 : &m->t2, i);
		klist_push(&m->t2, x);
		return 0;
	}
	if ((i = klist_find(&m->b1, x)) >= 0) {		/* Case II */
		m->p = dmin(m->c, m->p + dmax((double)m->b2.n / m->b1.n, 1));
		*victim = model_replace(m, false);
		klist_del(&m->b1, klist_find(&m->b1, x));
		klist_push(&m->t2, x);
		return 1;
	}
	if ((i = klist_find(&m->b2, x)) >= 0) {		/* Case III */
		m->p = dmax(0, m->p - dmax((double)m->b1.n / m->b2.n, 1));
		*victim = model_replace(m, true);
		klist_del(&m->b2, klist_find(&m->b2, x));
		klist_push(&m->t2, x);
		return 1;
	}
	l1 = m->t1.n + m->b1.n;				/* Case IV */
	total = l1 + m->t2.n + m->b2.n;
	if (l1 == m->c) {
		if (m->t1.n < m->c) {
			klist_del(&m->b1, 0);
			*victim = model_replace(m, false);
		} else {
			*victim = klist_del(&m->t1, 0);
		}
	} else if (total >= m->c) {
		if (total == 2 * m->c)
			klist_del(&m->b2, 0);
		*victim = model_replace(m, false);
	}
	klist_push(&m->t1, x);
	return 1;
}

static void model_check(uint32_t nframes, uint64_t seed)
{
	struct modelarc m = { .c = (int)nframes };
	struct cache *c = trace_cache("arc", nframes);
	uint64_t npages = 2 * nframes + 1 + seed % 7;
	char want[1024], *got;

	rng_state = seed;
	for (int i = 0; i < 4000; i++) {
		/* Phases of a hot set and of wider use, so that p goes both
		 * ways and every case of Figure 4 comes up. */
		uint64_t hot = (i / 500) % 2 ? npages / 3 + 1 : npages;
		uint64_t x = rng() % 2 ? rng() % hot : rng() % npages;
		uint64_t v_want, v_got;
		int f_want = model_ref(&m, x, &v_want);
		int f_got = trace_access(c, x, &v_got);

		snprintf(want, sizeof(want), "p=%g", m.p);
		klist_fmt(want, "T1", &m.t1);
		klist_fmt(want, "T2", &m.t2);
		klist_fmt(want, "B1", &m.b1);
		klist_fmt(want, "B2", &m.b2);
		got = trace_show(c);
		if (f_got != f_want || v_got != v_want || strcmp(got, want)) {
			fprintf(stderr, "# %u frames, seed %llu, ref %d (page "
				"%llu): got %d %lld \"%s\", want %d %lld "
				"\"%s\"\n", nframes, (unsigned long long)seed,
				i, (unsigned long long)x, f_got,
				(long long)v_got, got, f_want,
				(long long)v_want, want);
			fail();
		}
		free(got);
	}
	cache_free(c);
}

static void test_policy_arc_matches_paper(void **state)
{
	(void)state;
	for (uint32_t n = 1; n <= 12; n++)
		for (uint64_t seed = 1; seed <= 6; seed++)
			model_check(n, seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_arc_trace),
		cmocka_unit_test(test_policy_arc_fractional_steps),
		cmocka_unit_test(test_policy_arc_p_held_at_c),
		cmocka_unit_test(test_policy_arc_scan_leaves_no_ghost),
		cmocka_unit_test(test_policy_arc_drop_leaves_no_ghost),
		cmocka_unit_test(test_policy_arc_skips_pinned),
		cmocka_unit_test(test_policy_arc_directory_bound),
		cmocka_unit_test(test_policy_arc_memory_budget),
		cmocka_unit_test(test_policy_arc_matches_paper),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
