/* test_policy_linux.c - the kernel's file LRU (cache/policy_linux.c):
 * hand-worked traces of the lists, the two-step, reclaim, deactivation,
 * refault distance and the shadow bound, for read() references (mapped=0),
 * PTE young bits (mapped=1) and a mapping without recency (mapped=2);
 * inactive_ratio at 1 GB; dropped and
 * pinned pages; the parameters; the memory budget.  The state is read
 * through cache_policy_show(): "inactive [..] active [..] shadows [..] age
 * N refaults N activated N", each list oldest first (the kernel's tail
 * first), '*' PG_referenced, '^' young, each shadow as page@age. */
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
#include "policy_trace.h"

#define NONE NO_VICTIM
#define TAIL " refaults 0 activated 0"

/* ---- read() references: the two-step, reclaim, refaults --------------- */

/* 4 frames, mapped=0, inactive_ratio 1 (under 1 GB), 8 shadows.
 *
 *  ref  why                                                    victim
 *   1   miss: inactive, and the read that faulted it marks it
 *       accessed: referenced
 *   2   "
 *   1   hit, inactive and referenced: activated (age 1)
 *   2   "                                            (age 2)
 *   3   miss into a free frame
 *   4   "                                  inactive [3* 4*] active [1 2]
 *   5   no frame: inactive 2 * 1 < active 2? no, no deactivation; the
 *       inactive tail, 3, goes (referenced or not: an unmapped page
 *       is reclaimed); shadow 3@2, age 3                                3
 *   3   refault.  Reclaim first: 4 goes (4@3, age 4).  Distance
 *       4 - 2 = 2 <= 2 active pages: activated (age 5); then its
 *       read marks it referenced                                       4
 *   6   inactive 1 < active 3: the active tail, 1, is deactivated to
 *       the inactive head; 2 < 2 no more.  5 goes (5@5, age 6)         5
 *   4   reclaim: 1 goes (1@6, age 7).  Distance 7 - 3 = 4 > 2 active
 *       pages: back on the inactive list                              1
 *   1   reclaim: 6 goes (6@7, age 8).  Distance 8 - 6 = 2 <= 2:
 *       activated (age 9); its shadow was PG_workingset (a restore)    6
 *   7   inactive 1 < 3: 2 deactivated.  4 goes (4@9, age 10)           4
 *   8   2 < 2 no: the tail, 2, goes (2@10, age 11)                      2
 *   2   reclaim: 7 goes (7@11, age 12); distance 12 - 10 = 2 <= 2:
 *       activated (age 13)                                             7
 *   9   1 < 3: 3 deactivated, keeping PG_referenced (set by a read
 *       while active).  8 goes (8@13, age 14)                          8
 *   3   hit: inactive and referenced, so one read re-activates it
 *       ("recently deactivated but used folios are quickly
 *       recovered"), age 15
 *
 * 13 faults (all but the four hits). */
static void test_policy_linux_trace(void **state)
{
	static const struct trace_step s[] = {
		{ 1, 1, NONE, "inactive [1*] active [] shadows [] age 0" TAIL },
		{ 2, 1, NONE, "inactive [1* 2*] active [] shadows [] age 0"
		  TAIL },
		{ 1, 0, NONE, "inactive [2*] active [1] shadows [] age 1"
		  TAIL },
		{ 2, 0, NONE, "inactive [] active [1 2] shadows [] age 2"
		  TAIL },
		{ 3, 1, NONE, "inactive [3*] active [1 2] shadows [] age 2"
		  TAIL },
		{ 4, 1, NONE, "inactive [3* 4*] active [1 2] shadows [] "
		  "age 2" TAIL },
		{ 5, 1, 3, "inactive [4* 5*] active [1 2] shadows [3@2] "
		  "age 3" TAIL },
		{ 3, 1, 4, "inactive [5*] active [1 2 3*] shadows [4@3] "
		  "age 5 refaults 1 activated 1" },
		{ 6, 1, 5, "inactive [1 6*] active [2 3*] shadows [4@3 5@5] "
		  "age 6 refaults 1 activated 1" },
		{ 4, 1, 1, "inactive [6* 4*] active [2 3*] shadows [5@5 1@6] "
		  "age 7 refaults 2 activated 1" },
		{ 1, 1, 6, "inactive [4*] active [2 3* 1*] shadows [5@5 6@7] "
		  "age 9 refaults 3 activated 2" },
		{ 7, 1, 4, "inactive [2 7*] active [3* 1*] shadows [5@5 6@7 "
		  "4@9] age 10 refaults 3 activated 2" },
		{ 8, 1, 2, "inactive [7* 8*] active [3* 1*] shadows [5@5 6@7 "
		  "4@9 2@10] age 11 refaults 3 activated 2" },
		{ 2, 1, 7, "inactive [8*] active [3* 1* 2*] shadows [5@5 6@7 "
		  "4@9 7@11] age 13 refaults 4 activated 3" },
		{ 9, 1, 8, "inactive [3* 9*] active [1* 2*] shadows [5@5 6@7 "
		  "4@9 7@11 8@13] age 14 refaults 4 activated 3" },
		{ 3, 0, NONE, "inactive [9*] active [1* 2* 3] shadows [5@5 "
		  "6@7 4@9 7@11 8@13] age 15 refaults 4 activated 3" },
	};

	(void)state;
	trace_steps_on("linux", 4, s, sizeof(s) / sizeof(s[0]), 13);
}

/* ---- PTE young bits: folio_check_references() ------------------------- */

/* 3 frames, mapped=1.  A hit only sets the young bit; reclaim harvests it.
 *
 *  1 2 3      each comes in young (the faulting access)
 *  2          hit: already young, nothing changes
 *  4          reclaim from the tail: 1 young, unreferenced: PG_referenced
 *             set, young cleared, rotated to the head (FOLIOREF_KEEP);
 *             the same for 2 and 3; then 1 again, not young: it goes
 *             (1@0, age 1)
 *  2          hit: young again
 *  5          2 young and referenced: activated (age 2; PG_referenced
 *             stays); 3 not young: it goes (3@2, age 3)
 *  6          inactive 2 < active 1? no.  4 and 5 young: rotated; 4 goes
 *             (4@3, age 4)
 *  7          inactive 2 < 1 no.  5 is referenced, not young: it goes
 *             (5@4, age 5); the active page 2 is left alone */
static void test_policy_linux_mapped(void **state)
{
	static const struct trace_step s[] = {
		{ 1, 1, NONE, "inactive [1^] active [] shadows [] age 0" TAIL },
		{ 2, 1, NONE, "inactive [1^ 2^] active [] shadows [] age 0"
		  TAIL },
		{ 3, 1, NONE, "inactive [1^ 2^ 3^] active [] shadows [] age 0"
		  TAIL },
		{ 2, 0, NONE, "inactive [1^ 2^ 3^] active [] shadows [] age 0"
		  TAIL },
		{ 4, 1, 1, "inactive [2* 3* 4^] active [] shadows [1@0] age 1"
		  TAIL },
		{ 2, 0, NONE, "inactive [2*^ 3* 4^] active [] shadows [1@0] "
		  "age 1" TAIL },
		{ 5, 1, 3, "inactive [4^ 5^] active [2*] shadows [1@0 3@2] "
		  "age 3" TAIL },
		{ 6, 1, 4, "inactive [5* 6^] active [2*] shadows [1@0 3@2 "
		  "4@3] age 4" TAIL },
		{ 7, 1, 5, "inactive [6^ 7^] active [2*] shadows [1@0 3@2 "
		  "4@3 5@4] age 5" TAIL },
	};

	(void)state;
	trace_steps_on("linux:mapped=1", 3, s, sizeof(s) / sizeof(s[0]), 7);
}

/* Deactivation harvests the young bit and keeps PG_referenced.  3 frames,
 * mapped=1:
 *
 *  1 2 3 4    4's reclaim rotates 1, 2 and 3 once each, then 1 goes
 *  2 3        hits: young
 *  5          2 and 3 young and referenced: activated (ages 2, 3); 4 young:
 *             rotated, then it goes (4@3, age 4)
 *  2          hit on an active page: young
 *  6          inactive 1 < active 2: 2, the active tail, is deactivated;
 *             its young bit is harvested and ignored (a data page is not
 *             VM_EXEC), PG_referenced stays.  5 young: rotated; 2, no
 *             longer young, goes (2@4, age 5) */
static void test_policy_linux_mapped_deactivate(void **state)
{
	static const struct trace_step s[] = {
		{ 1, 1, NONE, "inactive [1^] active [] shadows [] age 0" TAIL },
		{ 2, 1, NONE, "inactive [1^ 2^] active [] shadows [] age 0"
		  TAIL },
		{ 3, 1, NONE, "inactive [1^ 2^ 3^] active [] shadows [] age 0"
		  TAIL },
		{ 4, 1, 1, "inactive [2* 3* 4^] active [] shadows [1@0] age 1"
		  TAIL },
		{ 2, 0, NONE, "inactive [2*^ 3* 4^] active [] shadows [1@0] "
		  "age 1" TAIL },
		{ 3, 0, NONE, "inactive [2*^ 3*^ 4^] active [] shadows [1@0] "
		  "age 1" TAIL },
		{ 5, 1, 4, "inactive [5^] active [2* 3*] shadows [1@0 4@3] "
		  "age 4" TAIL },
		{ 2, 0, NONE, "inactive [5^] active [2*^ 3*] shadows [1@0 4@3] "
		  "age 4" TAIL },
		{ 6, 1, 2, "inactive [5* 6^] active [3*] shadows [1@0 4@3 "
		  "2@4] age 5" TAIL },
	};

	(void)state;
	trace_steps_on("linux:mapped=1", 3, s, sizeof(s) / sizeof(s[0]), 6);
}

/* ---- a mapping without recency: MADV_RANDOM ---------------------------- */

/* 3 frames, mapped=2.  The kernel neither hears of a hit nor marks the
 * page that faulted: lists without '*' or '^', and no activation while
 * the active list is empty (a refault distance is at least 1).
 *
 *  1 2 3      misses onto the inactive list, unreferenced
 *  1          hit: nothing (mapped=0 would mark it; a second hit would
 *             activate it)
 *  1          hit: nothing
 *  4          reclaim takes the tail, 1, used three times (1@0, age 1)
 *  1          refault: reclaim first, 2 goes (2@1, age 2); distance
 *             2 - 0 = 2 > 0 active pages: the inactive head (its
 *             shadow gone, as a resident page has none)
 *  3          hit: nothing
 *  5          3 goes (3@2, age 3): a FIFO, whatever the hits */
static void test_policy_linux_norecency(void **state)
{
	static const struct trace_step s[] = {
		{ 1, 1, NONE, "inactive [1] active [] shadows [] age 0" TAIL },
		{ 2, 1, NONE, "inactive [1 2] active [] shadows [] age 0"
		  TAIL },
		{ 3, 1, NONE, "inactive [1 2 3] active [] shadows [] age 0"
		  TAIL },
		{ 1, 0, NONE, "inactive [1 2 3] active [] shadows [] age 0"
		  TAIL },
		{ 1, 0, NONE, "inactive [1 2 3] active [] shadows [] age 0"
		  TAIL },
		{ 4, 1, 1, "inactive [2 3 4] active [] shadows [1@0] age 1"
		  TAIL },
		{ 1, 1, 2, "inactive [3 4 1] active [] shadows [2@1] age 2 "
		  "refaults 1 activated 0" },
		{ 3, 0, NONE, "inactive [3 4 1] active [] shadows [2@1] age 2 "
		  "refaults 1 activated 0" },
		{ 5, 1, 3, "inactive [4 1 5] active [] shadows [2@1 3@2] "
		  "age 3 refaults 1 activated 0" },
	};

	(void)state;
	trace_steps_on("linux:mapped=2", 3, s, sizeof(s) / sizeof(s[0]), 6);
}

/* linux:mapped=2,others=2: two active pages of some other file in the
 * cgroup, which the trace does not show, count in a refault's workingset
 * size, and refaults start to be activated.  3 frames:
 *
 *  1 2 3 4    4's reclaim: 1 goes (1@0, age 1)
 *  1          refault: reclaim first, 2 goes (2@1, age 2); distance
 *             2 - 0 = 2 <= 0 active + 2 others: activated (age 3)
 *  5          inactive 2 < active 1? no: 3 goes (3@3, age 4)
 *  2          refault: 4 goes (4@4, age 5); distance 5 - 1 = 4 > 1 + 2:
 *             the inactive head
 *  3          refault: 5 goes (5@5, age 6); distance 6 - 3 = 3 <= 1 + 2:
 *             activated (age 7)
 *  6          inactive 1 < active 2: 1, the active tail, is deactivated
 *             to the inactive head; then 2 goes (2@7, age 8)
 *  1          hit: nothing
 *  7          1 goes (1@8, age 9): the active list is a FIFO too */
static void test_policy_linux_norecency_refault(void **state)
{
	static const struct trace_step s[] = {
		{ 1, 1, NONE, "inactive [1] active [] shadows [] age 0" TAIL },
		{ 2, 1, NONE, "inactive [1 2] active [] shadows [] age 0"
		  TAIL },
		{ 3, 1, NONE, "inactive [1 2 3] active [] shadows [] age 0"
		  TAIL },
		{ 4, 1, 1, "inactive [2 3 4] active [] shadows [1@0] age 1"
		  TAIL },
		{ 1, 1, 2, "inactive [3 4] active [1] shadows [2@1] age 3 "
		  "refaults 1 activated 1" },
		{ 5, 1, 3, "inactive [4 5] active [1] shadows [2@1 3@3] age 4 "
		  "refaults 1 activated 1" },
		{ 2, 1, 4, "inactive [5 2] active [1] shadows [3@3 4@4] age 5 "
		  "refaults 2 activated 1" },
		{ 3, 1, 5, "inactive [2] active [1 3] shadows [4@4 5@5] age 7 "
		  "refaults 3 activated 2" },
		{ 6, 1, 2, "inactive [1 6] active [3] shadows [4@4 5@5 2@7] "
		  "age 8 refaults 3 activated 2" },
		{ 1, 0, NONE, "inactive [1 6] active [3] shadows [4@4 5@5 "
		  "2@7] age 8 refaults 3 activated 2" },
		{ 7, 1, 1, "inactive [6 7] active [3] shadows [4@4 5@5 2@7 "
		  "1@8] age 9 refaults 3 activated 2" },
	};

	(void)state;
	trace_steps_on("linux:mapped=2,others=2", 3, s,
		       sizeof(s) / sizeof(s[0]), 10);
}

/* So on one mapping the whole policy is FIFO: the same victim at every
 * fault as fifo on a seeded skewed string (hot pages hit often, which
 * mapped=0 and 1 would activate), at a few sizes. */
static void test_policy_linux_norecency_is_fifo(void **state)
{
	(void)state;
	for (uint32_t nframes = 4; nframes <= 64; nframes *= 4) {
		struct cache *lx = trace_cache("linux:mapped=2", nframes);
		struct cache *ff = trace_cache("fifo", nframes);
		uint64_t rng = nframes, faults = 0;

		for (int i = 0; i < 20000; i++) {
			uint64_t r = trace_rng(&rng);
			/* half the touches on nframes / 2 hot pages */
			uint64_t pg = r & 1 ? (r >> 1) % (nframes / 2)
					    : (r >> 1) % (8 * nframes);
			uint64_t v1 = NONE, v2 = NONE;
			int f1 = trace_access(lx, pg, &v1);
			int f2 = trace_access(ff, pg, &v2);

			assert_int_equal(f1, f2);
			assert_true(v1 == v2);
			faults += (uint64_t)f1;
		}
		fprintf(stderr, "# %u frames: %llu faults each\n", nframes,
			(unsigned long long)faults);
		cache_free(lx);
		cache_free(ff);
	}
}

/* When every inactive page is busy, the oldest evictable active page
 * goes.  2 frames, mapped=1: 1 2 3 (1 goes after one rotation each), 2
 * used again and activated by the reclaim for 4 (3 goes), 5 (4 goes);
 * then with 5 pinned an eviction takes 2 from the active list.  (The
 * policy cannot tell a hit's pin: reclaim first harvests 5's young bit and
 * offers it, the core finds it pinned and asks again, and 5 is passed
 * over.) */
static void test_policy_linux_busy_inactive(void **state)
{
	struct cache *c = trace_cache("linux:mapped=1", 2);
	struct frame *held;
	uint64_t victim;

	(void)state;
	trace_access(c, 1, &victim);
	trace_access(c, 2, &victim);
	trace_access(c, 3, &victim);
	assert_int_equal(victim, 1);
	trace_show_is(c, "inactive [2* 3^] active [] shadows [1@0] age 1"
		      TAIL);
	trace_access(c, 2, &victim);
	trace_access(c, 4, &victim);
	assert_int_equal(victim, 3);
	trace_access(c, 5, &victim);	/* 1 < 1 no: 4 rotated, goes */
	assert_int_equal(victim, 4);
	trace_show_is(c, "inactive [5^] active [2*] shadows [1@0 3@2 4@3] "
		      "age 4" TAIL);
	held = trace_pin(c, 5);
	assert_int_equal(trace_evict(c), 2);
	cache_unpin(c, held);
	trace_show_is(c, "inactive [5*] active [] shadows [1@0 3@2 4@3 2@4] "
		      "age 5" TAIL);
	cache_free(c);
}

/* ---- deactivation and inactive_ratio ---------------------------------- */

/* 4 frames: 1 1 2 2 3 3 leaves three active pages; 4 fills the last frame.
 * The miss on 5 evicts 4 either way; with the kernel's ratio (1 under
 * 1 GB) inactive 1 < active 3 first moves the active tail, 1, to the
 * inactive list; linux:ratio=3 finds 1 * 3 < 3 false and leaves it. */
static void test_policy_linux_deactivation(void **state)
{
	static const uint64_t refs[] = { 1, 1, 2, 2, 3, 3, 4, 5 };
	static const char *const spec[] = { "linux", "linux:ratio=3" };
	static const char *const want[] = {
		"inactive [1 5*] active [2 3] shadows [4@3] age 4" TAIL,
		"inactive [5*] active [1 2 3] shadows [4@3] age 4" TAIL,
	};

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct cache *c = trace_cache(spec[i], 4);
		uint64_t victim = NONE;

		for (size_t j = 0; j < sizeof(refs) / sizeof(refs[0]); j++)
			trace_access(c, refs[j], &victim);
		assert_int_equal(victim, 4);
		trace_show_is(c, want[i]);
		cache_free(c);
	}
}

/* The length of the list "name [a b c]" in a show() line. */
static size_t list_len(const char *show, const char *name)
{
	const char *p = strstr(show, name), *end;
	size_t n = 0;

	assert_non_null(p);
	p += strlen(name);
	end = strchr(p, ']');
	assert_non_null(end);
	if (end == p)
		return 0;
	for (n = 1; p < end; p++)
		n += *p == ' ';
	return n;
}

/* At 1 GB of pages (262,144 frames) the kernel's inactive_ratio is
 * int_sqrt(10 * 1) = 3: with every page active, one miss deactivates
 * until inactive * 3 >= active, a quarter of the pages (65,536), and
 * the oldest of them goes.  linux:ratio=1 deactivates half. */
static void test_policy_linux_ratio_at_1gb(void **state)
{
	enum { N = 262144 };
	static const char *const spec[] = { "linux", "linux:ratio=1" };
	static const size_t inactive[] = { N / 4, N / 2 };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct cache *c = trace_cache(spec[i], N);
		struct cache_sim_result r;
		char *show;

		for (int pass = 0; pass < 2; pass++)
			for (uint64_t p = 0; p < N; p++)
				assert_int_equal(cache_sim_access(c, 0, p, &r),
						 pass ? 0 : 1);
		assert_int_equal(cache_sim_access(c, 0, N, &r), 2);
		assert_int_equal(r.victim_pgno, 0);
		assert_int_equal(cache_check(c), 0);
		show = trace_show(c);
		assert_int_equal(list_len(show, "inactive ["), inactive[i]);
		assert_int_equal(list_len(show, "] active ["), N - inactive[i]);
		free(show);
		cache_free(c);
	}
}

/* ---- the shadow bound ------------------------------------------------- */

/* linux:shadows=0.5 on 4 frames keeps 2 shadows, the newest.  1..8 once:
 * evictions of 1 2 3 4 leave 3@2 4@3.  1 then has no shadow (not a
 * refault).  4 has one when it misses; the reclaim for it (6 goes) pushes
 * it out of the full FIFO, but the shadow was read at the miss: a
 * refault, distance 6 - 3 = 3 > 0 active pages. */
static void test_policy_linux_shadow_bound(void **state)
{
	struct cache *c = trace_cache("linux:shadows=0.5", 4);
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 8; p++)
		trace_access(c, p, &victim);
	trace_show_is(c, "inactive [5* 6* 7* 8*] active [] shadows [3@2 4@3] "
		      "age 4" TAIL);
	trace_access(c, 1, &victim);
	assert_int_equal(victim, 5);
	trace_show_is(c, "inactive [6* 7* 8* 1*] active [] shadows [4@3 5@4] "
		      "age 5" TAIL);
	trace_access(c, 4, &victim);
	assert_int_equal(victim, 6);
	trace_show_is(c, "inactive [7* 8* 1* 4*] active [] shadows [5@4 6@5] "
		      "age 6 refaults 1 activated 0");
	cache_free(c);

	/* shadows=0: nothing remembered, no refault ever seen. */
	c = trace_cache("linux:shadows=0", 4);
	for (uint64_t p = 1; p <= 8; p++)
		trace_access(c, p, &victim);
	trace_access(c, 4, &victim);
	trace_show_is(c, "inactive [6* 7* 8* 4*] active [] shadows [] age 5"
		      TAIL);
	cache_free(c);

	/* The default bound, 2 x frames: a loop over 3 x 4 pages keeps 8. */
	c = trace_cache("linux", 4);
	for (int round = 0; round < 3; round++)
		for (uint64_t p = 1; p <= 12; p++)
			trace_access(c, p, &victim);
	{
		struct cache_mem m;

		cache_mem(c, &m);
		assert_int_equal(m.ghosts, 8);
	}
	cache_free(c);
}

/* Pages dropped by truncation (POLICY_DROPPED) leave no shadow. */
static void test_policy_linux_drop_leaves_no_shadow(void **state)
{
	struct cache *c = trace_cache("linux", 4);
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 5; p++)
		trace_access(c, p, &victim);		/* 5 evicts 1 */
	trace_show_is(c, "inactive [2* 3* 4* 5*] active [] shadows [1@0] "
		      "age 1" TAIL);
	assert_int_equal(cache_drop_file(c, 0, 4), 2);	/* pages 4, 5 */
	trace_show_is(c, "inactive [2* 3*] active [] shadows [1@0] age 1"
		      TAIL);
	trace_access(c, 4, &victim);			/* a free frame */
	assert_int_equal(victim, NONE);
	trace_show_is(c, "inactive [2* 3* 4*] active [] shadows [1@0] age 1"
		      TAIL);
	cache_free(c);
}

/* A pinned page is deactivated all the same, passed over in place at the
 * inactive tail, and goes first once free. */
static void test_policy_linux_skips_pinned(void **state)
{
	struct cache *c;
	struct frame *held;
	uint64_t victim;

	(void)state;
	c = trace_cache("linux", 3);
	for (uint64_t p = 1; p <= 3; p++)
		trace_access(c, p, &victim);
	held = cache_lookup(c, 0, 1, 0);	/* 1 activated, pinned */
	assert_non_null(held);
	trace_access(c, 2, &victim);		/* 2 activated */
	/* 4: inactive [3*] 1 < active 2: 1 (pinned) is deactivated all the
	 * same, to the inactive head; the tail, 3, goes. */
	trace_access(c, 4, &victim);
	assert_int_equal(victim, 3);
	trace_show_is(c, "inactive [1 4*] active [2] shadows [3@2] age 3"
		      TAIL);
	/* 5: 1 is the tail but pinned: passed over, 4 goes. */
	trace_access(c, 5, &victim);
	assert_int_equal(victim, 4);
	trace_show_is(c, "inactive [1 5*] active [2] shadows [3@2 4@3] age 4"
		      TAIL);
	cache_unpin(c, held);
	trace_access(c, 6, &victim);		/* now 1 goes first */
	assert_int_equal(victim, 1);
	cache_free(c);
}

/* ---- parameters and memory -------------------------------------------- */

static void test_policy_linux_params(void **state)
{
	static const char *const bad[] = {
		"linux:ratio=nan", "linux:shadows=nan", "linux:mapped=nan",
		"linux:shadows=inf", "linux:ratio=-1", "linux:ratio=1001",
		"linux:ratio=1.5", "linux:shadows=8.5", "linux:shadows=-0.5",
		"linux:mapped=3", "linux:mapped=0.5", "linux:others=-1",
		"linux:others=nan", "linux:others=1.5", "linux:others=1000001",
	};
	const struct policy_ops *ops;
	double param[POLICY_MAX_PARAMS];
	char err[256];

	(void)state;
	assert_int_equal(policy_parse("linux", &ops, param, err, sizeof(err)),
			 0);
	assert_string_equal(ops->name, "linux");
	assert_true(param[0] == 0 && param[1] == 2 && param[2] == 0 &&
		    param[3] == 0);
	assert_int_equal(policy_parse("linux:ratio=1000,shadows=8,mapped=1",
				      &ops, param, err, sizeof(err)), 0);
	assert_true(param[0] == 1000 && param[1] == 8 && param[2] == 1);
	assert_int_equal(policy_parse("linux:mapped=2", &ops, param, err,
				      sizeof(err)), 0);
	assert_true(param[2] == 2);
	assert_int_equal(policy_parse("linux:shadows=0", &ops, param, err,
				      sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fprintf(stderr, "# %s\n", bad[i]);
		assert_int_equal(policy_parse(bad[i], &ops, param, err,
					      sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "not a "));
	}
	assert_int_equal(policy_parse("linux:shadows=nan", &ops, param, err,
				      sizeof(err)), -EINVAL);
	assert_string_equal(err, "linux: shadows=nan: not a number in 0..8");
	assert_int_equal(policy_parse("linux:age=1", &ops, param, err,
				      sizeof(err)), -EINVAL);
}

/* At most 64 bytes per tracked page (resident or shadow) at the default
 * bound: the core's per-frame metadata plus the shadows' table and age
 * stamps for 2 x frames keys. */
static void test_policy_linux_memory_budget(void **state)
{
	enum { N = 100000 };
	const struct policy_ops *ops;
	double param[POLICY_MAX_PARAMS];
	char err[128];
	struct cache *c = trace_cache("linux", N);
	struct policy *p;
	double per_page;

	(void)state;
	assert_int_equal(policy_parse("linux", &ops, param, err, sizeof(err)),
			 0);
	p = ops->create(N, param);
	assert_non_null(p);
	per_page = ((double)cache_meta_bytes_per_frame(c) * N +
		    (double)ops->ghost_bytes(p)) / (3.0 * N);
	fprintf(stderr, "# linux: %zu bytes a frame, %zu shadow bytes, %.1f "
		"per tracked page\n", cache_meta_bytes_per_frame(c),
		ops->ghost_bytes(p), per_page);
	assert_true(ops->ghost_bytes(p) >= (size_t)2 * N * 32);
	assert_true(per_page <= 64);
	ops->destroy(p);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_linux_trace),
		cmocka_unit_test(test_policy_linux_mapped),
		cmocka_unit_test(test_policy_linux_mapped_deactivate),
		cmocka_unit_test(test_policy_linux_norecency),
		cmocka_unit_test(test_policy_linux_norecency_is_fifo),
		cmocka_unit_test(test_policy_linux_norecency_refault),
		cmocka_unit_test(test_policy_linux_busy_inactive),
		cmocka_unit_test(test_policy_linux_deactivation),
		cmocka_unit_test(test_policy_linux_ratio_at_1gb),
		cmocka_unit_test(test_policy_linux_shadow_bound),
		cmocka_unit_test(test_policy_linux_drop_leaves_no_shadow),
		cmocka_unit_test(test_policy_linux_skips_pinned),
		cmocka_unit_test(test_policy_linux_params),
		cmocka_unit_test(test_policy_linux_memory_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
