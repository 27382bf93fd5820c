/* test_policy_2q.c - 2Q (cache/policy_2q.c): a hand-worked trace, dropped
 * pages, pinned frames, the parameters, the memory budget, and a check
 * against a direct transcription of the paper's pseudo-code on random
 * reference strings.  The state is read through cache_policy_show(),
 * "A1in [..] Am [..] A1out [..]", each list oldest (least recent) first. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
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

/* ---- the hand-worked trace -------------------------------------------- */

/* 4 frames, so Kin = 0.25 * 4 = 1 and Kout = 0.5 * 4 = 2.  A miss reclaims
 * from A1in while |A1in| > 1, else from Am.
 *
 *  ref  why                                              victim
 *   1   miss, in no list: tail of A1in
 *   2   "
 *   3   "
 *   4   "                                  A1in [1 2 3 4]
 *   1   hit in A1in: nothing moves (a correlated reference)
 *   5   miss; |A1in| = 4 > Kin: A1in's head 1 goes, its key to A1out   1
 *   1   miss, 1 is in A1out: reclaim (|A1in| 4 > 1, so A1in's head 2
 *       goes, key to A1out [1 2]), then 1 into Am, its ghost removed      2
 *   6   miss; |A1in| 3 > 1: 3 goes, A1out [2 3]                          3
 *   7   miss; |A1in| 3 > 1: 4 goes; A1out [2 3 4] exceeds Kout = 2, so
 *       its oldest key, 2, is dropped: A1out [3 4]                       4
 *   3   miss, 3 is in A1out (its oldest key).  Reclaim: 5 goes, and its
 *       key pushes 3's out of the full A1out (A1out [4 5]); 3 was in
 *       A1out when referenced, so it goes to Am all the same: Am [1 3]    5
 *   1   hit in Am: to the most recent end, Am [3 1]
 *   5   miss, 5 in A1out: |A1in| 2 > 1, 6 goes (A1out [5 6] after 4 is
 *       dropped); 5 into Am: Am [3 1 5], A1out [6]                       6
 *   8   miss; |A1in| = 1, not > Kin: Am's LRU page goes, 3 (not 1, which
 *       came in first but was used since), and leaves no ghost           3
 *   9   miss; |A1in| 2 > 1: 7 goes, A1out [6 7]                          7
 *   3   miss, and 3 is in no list (Am evictions leave no ghost): into
 *       A1in; |A1in| 2 > 1: 8 goes, A1out [7 8] (6 dropped)               8
 *
 * 13 faults (all but the two hits), victims 1 2 3 4 5 6 3 7 8. */
static void test_policy_2q_trace(void **state)
{
	static const struct trace_step s[] = {
		{ 1, 1, NONE, "A1in [1] Am [] A1out []" },
		{ 2, 1, NONE, "A1in [1 2] Am [] A1out []" },
		{ 3, 1, NONE, "A1in [1 2 3] Am [] A1out []" },
		{ 4, 1, NONE, "A1in [1 2 3 4] Am [] A1out []" },
		{ 1, 0, NONE, "A1in [1 2 3 4] Am [] A1out []" },
		{ 5, 1, 1, "A1in [2 3 4 5] Am [] A1out [1]" },
		{ 1, 1, 2, "A1in [3 4 5] Am [1] A1out [2]" },
		{ 6, 1, 3, "A1in [4 5 6] Am [1] A1out [2 3]" },
		{ 7, 1, 4, "A1in [5 6 7] Am [1] A1out [3 4]" },
		{ 3, 1, 5, "A1in [6 7] Am [1 3] A1out [4 5]" },
		{ 1, 0, NONE, "A1in [6 7] Am [3 1] A1out [4 5]" },
		{ 5, 1, 6, "A1in [7] Am [3 1 5] A1out [6]" },
		{ 8, 1, 3, "A1in [7 8] Am [1 5] A1out [6]" },
		{ 9, 1, 7, "A1in [8 9] Am [1 5] A1out [6 7]" },
		{ 3, 1, 8, "A1in [9 3] Am [1 5] A1out [7 8]" },
	};

	(void)state;
	trace_steps_on("2q", 4, s, sizeof(s) / sizeof(s[0]), 13);
}

/* Pages dropped by truncation (POLICY_DROPPED) leave no ghost, so coming
 * back they start over in A1in; an evicted one comes back into Am. */
static void test_policy_2q_drop_leaves_no_ghost(void **state)
{
	struct cache *c = trace_cache("2q", 4);
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 5; p++)
		trace_access(c, p, &victim);		/* 5 evicts 1 */
	assert_int_equal(victim, 1);
	trace_show_is(c, "A1in [2 3 4 5] Am [] A1out [1]");
	assert_int_equal(cache_drop_file(c, 0, 4), 2);	/* pages 4, 5 */
	trace_show_is(c, "A1in [2 3] Am [] A1out [1]");
	/* Free frames now: no eviction.  4 and 5 are new again, 1 is not. */
	assert_int_equal(trace_access(c, 4, &victim), 1);
	assert_int_equal(trace_access(c, 5, &victim), 1);
	assert_int_equal(victim, NONE);
	trace_show_is(c, "A1in [2 3 4 5] Am [] A1out [1]");
	assert_int_equal(trace_access(c, 1, &victim), 1);
	assert_int_equal(victim, 2);
	trace_show_is(c, "A1in [3 4 5] Am [1] A1out [2]");
	/* Dropping an Am page leaves no ghost either. */
	assert_int_equal(cache_drop_file(c, 0, 0), 4);
	trace_show_is(c, "A1in [] Am [] A1out [2]");
	cache_free(c);
}

/* Pinned frames are passed over: first along the chosen list, then in the
 * other list.  4 frames, Kin = 1, Kout = 2.
 *
 *   1 2 3 4          A1in [1 2 3 4]
 *   lookup 1, held   a hit in A1in: nothing moves; 1 is pinned
 *   5                |A1in| > 1: A1in, whose head 1 is pinned: 2 goes
 *                    A1in [1 3 4 5] A1out [2]
 *   2                in A1out: reclaim from A1in, 1 pinned, 3 goes; 2
 *                    into Am: A1in [1 4 5] Am [2] A1out [3]
 *   lookup 4, 5, held   A1in all pinned
 *   6                |A1in| 3 > 1: A1in, all pinned, so Am: 2 goes, no
 *                    ghost: A1in [1 4 5 6] Am [] A1out [3]
 *   unpin all; 7     A1in's head, 1, kept its place and goes first
 *                    A1in [4 5 6 7] Am [] A1out [3 1] */
static void test_policy_2q_skips_pinned(void **state)
{
	struct cache *c = trace_cache("2q", 4);
	struct frame *held[3];
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 4; p++)
		trace_access(c, p, &victim);
	held[0] = trace_pin(c, 1);
	trace_show_is(c, "A1in [1 2 3 4] Am [] A1out []");
	trace_access(c, 5, &victim);
	assert_int_equal(victim, 2);
	trace_show_is(c, "A1in [1 3 4 5] Am [] A1out [2]");
	trace_access(c, 2, &victim);
	assert_int_equal(victim, 3);
	trace_show_is(c, "A1in [1 4 5] Am [2] A1out [3]");
	held[1] = trace_pin(c, 4);
	held[2] = trace_pin(c, 5);
	trace_access(c, 6, &victim);
	assert_int_equal(victim, 2);
	trace_show_is(c, "A1in [1 4 5 6] Am [] A1out [3]");
	for (int i = 0; i < 3; i++)
		cache_unpin(c, held[i]);
	trace_access(c, 7, &victim);
	assert_int_equal(victim, 1);
	trace_show_is(c, "A1in [4 5 6 7] Am [] A1out [3 1]");
	cache_free(c);
}

/* kin and kout are checked against their ranges, and change the sizes:
 * with kin=0.5 (Kin = 2 of 4 frames) A1in keeps two pages where the
 * default keeps one; with kout=0 nothing is remembered. */
static void test_policy_2q_params(void **state)
{
	const struct policy_ops *ops;
	double param[POLICY_MAX_PARAMS];
	char err[128];
	struct cache *c;
	uint64_t victim;

	(void)state;
	assert_int_equal(policy_parse("2q", &ops, param, err, sizeof(err)),
			 0);
	assert_true(param[0] == 0.25 && param[1] == 0.5);
	assert_int_equal(policy_parse("2q:kin=0.5,kout=1", &ops, param, err,
				      sizeof(err)), 0);
	assert_true(param[0] == 0.5 && param[1] == 1);
	assert_int_equal(policy_parse("2q:kin=1.5", &ops, param, err,
				      sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse("2q:kin=-0.1", &ops, param, err,
				      sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse("2q:kout=3", &ops, param, err,
				      sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse("2q:k=1", &ops, param, err,
				      sizeof(err)), -EINVAL);

	/* Kin = 2: 1 2 3 4, then 5 (1 out), then 1 (back into Am, 2 out):
	 * A1in [3 4 5].  Misses take A1in's head while |A1in| > 2; once it is
	 * down to two (where Kin = 1 would still take its head), Am pays. */
	c = trace_cache("2q:kin=0.5", 4);
	for (uint64_t p = 1; p <= 5; p++)
		trace_access(c, p, &victim);
	trace_access(c, 1, &victim);
	assert_int_equal(victim, 2);
	trace_show_is(c, "A1in [3 4 5] Am [1] A1out [2]");
	trace_access(c, 6, &victim);		/* |A1in| 3 > 2: 3 goes */
	assert_int_equal(victim, 3);
	trace_access(c, 7, &victim);		/* |A1in| 3 > 2: 4 goes */
	assert_int_equal(victim, 4);
	trace_show_is(c, "A1in [5 6 7] Am [1] A1out [3 4]");
	trace_access(c, 3, &victim);		/* back to Am; 5 goes */
	trace_show_is(c, "A1in [6 7] Am [1 3] A1out [4 5]");
	trace_access(c, 8, &victim);	/* |A1in| 2 = Kin: Am pays */
	assert_int_equal(victim, 1);
	trace_show_is(c, "A1in [6 7 8] Am [3] A1out [4 5]");
	cache_free(c);

	c = trace_cache("2q:kout=0", 4);
	for (uint64_t p = 1; p <= 6; p++)
		trace_access(c, p, &victim);
	trace_access(c, 1, &victim);
	trace_show_is(c, "A1in [4 5 6 1] Am [] A1out []");
	cache_free(c);
}

/* At most 64 bytes per tracked page (resident or ghost): the core's
 * per-frame metadata for the frames plus A1out's table for Kout keys. */
static void test_policy_2q_memory_budget(void **state)
{
	enum { N = 100000 };
	const struct policy_ops *ops;
	double param[POLICY_MAX_PARAMS];
	char err[128];
	struct cache *c = trace_cache("2q", N);
	struct policy *p;
	double per_page;

	(void)state;
	assert_int_equal(policy_parse("2q", &ops, param, err, sizeof(err)),
			 0);
	p = ops->create(N, param);
	assert_non_null(p);
	per_page = ((double)cache_meta_bytes_per_frame(c) * N +
		    (double)ops->ghost_bytes(p)) / (N + N / 2);
	fprintf(stderr, "# 2q: %zu bytes a frame, %zu ghost bytes, %.1f per "
		"tracked page\n", cache_meta_bytes_per_frame(c),
		ops->ghost_bytes(p), per_page);
	assert_true(ops->ghost_bytes(p) >= (size_t)N / 2 * 16);
	assert_true(per_page <= 64);
	ops->destroy(p);
	cache_free(c);
}

/* ---- against the paper's pseudo-code ---------------------------------- */

/* The full 2Q of the paper, one reference at a time, on plain arrays: the
 * point is to be obviously its pseudo-code.  reclaimfor() runs only when
 * every frame is taken.  When the list it chooses is empty (Kin >= the
 * frames), the other one pays. */
struct model2q {
	struct klist a1in, am, a1out;
	int c, kin, kout;
};

static uint64_t model_reclaim(struct model2q *m)
{
	uint64_t y;

	if (m->a1in.n + m->am.n < m->c)
		return NONE;			/* a free page slot */
	if (m->a1in.n > m->kin || m->am.n == 0) {
		y = klist_del(&m->a1in, 0);
		klist_push(&m->a1out, y);
		if (m->a1out.n > m->kout)
			klist_del(&m->a1out, 0);
		return y;
	}
	return klist_del(&m->am, 0);		/* no ghost */
}

/* Returns 1 on a fault, *victim as trace_access. */
static int model_ref(struct model2q *m, uint64_t x, uint64_t *victim)
{
	int i;

	*victim = NONE;
	if ((i = klist_find(&m->am, x)) >= 0) {
		klist_push(&m->am, klist_del(&m->am, i));
		return 0;
	}
	if (klist_find(&m->a1in, x) >= 0)
		return 0;
	if ((i = klist_find(&m->a1out, x)) >= 0) {
		*victim = model_reclaim(m);
		if ((i = klist_find(&m->a1out, x)) >= 0)
			klist_del(&m->a1out, i);
		klist_push(&m->am, x);
		return 1;
	}
	*victim = model_reclaim(m);
	klist_push(&m->a1in, x);
	return 1;
}

static void model_check(const char *spec, uint32_t nframes, int kin,
			int kout, uint64_t seed)
{
	struct model2q m = { .c = (int)nframes, .kin = kin, .kout = kout };
	struct cache *c = trace_cache(spec, nframes);
	uint64_t npages = 2 * nframes + 1 + seed % 5;
	char want[1024], *got;

	rng_state = seed;
	for (int i = 0; i < 4000; i++) {
		/* Half the references to a hot quarter: hits, re-admissions
		 * and plain misses all happen. */
		uint64_t x = rng() % 2 ? rng() % (npages / 4 + 1) :
			     rng() % npages;
		uint64_t v_want, v_got;
		int f_want = model_ref(&m, x, &v_want);
		int f_got = trace_access(c, x, &v_got);
		want[0] = '\0';
		klist_fmt(want, "A1in", &m.a1in);
		klist_fmt(want, "Am", &m.am);
		klist_fmt(want, "A1out", &m.a1out);
		got = trace_show(c);
		if (f_got != f_want || v_got != v_want || strcmp(got, want)) {
			fprintf(stderr, "# %s, %u frames, seed %llu, ref %d "
				"(page %llu): got %d %lld \"%s\", want %d "
				"%lld \"%s\"\n", spec, nframes,
				(unsigned long long)seed, i,
				(unsigned long long)x, f_got, (long long)v_got,
				got, f_want, (long long)v_want, want);
			fail();
		}
		free(got);
	}
	cache_free(c);
}

static void test_policy_2q_matches_paper(void **state)
{
	(void)state;
	for (uint32_t n = 1; n <= 12; n++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			/* Kin, Kout: the parameters' shares rounded. */
			model_check("2q", n, (int)(0.25 * n + 0.5),
				    (int)(0.5 * n + 0.5), seed);
			model_check("2q:kin=0.5,kout=1", n,
				    (int)(0.5 * n + 0.5), (int)n, seed);
			model_check("2q:kin=1,kout=0", n, (int)n, 0, seed);
			model_check("2q:kin=0,kout=2", n, 0, (int)(2 * n),
				    seed);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_2q_trace),
		cmocka_unit_test(test_policy_2q_drop_leaves_no_ghost),
		cmocka_unit_test(test_policy_2q_skips_pinned),
		cmocka_unit_test(test_policy_2q_params),
		cmocka_unit_test(test_policy_2q_memory_budget),
		cmocka_unit_test(test_policy_2q_matches_paper),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
