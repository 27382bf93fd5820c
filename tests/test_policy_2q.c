/* test_policy_2q.c - 2Q (cache/policy_2q.c): a hand-worked trace, dropped
 * pages, pinned frames, the parameters, the memory budget, and a check
 * against a direct transcription of the paper's pseudo-code on random
 * reference strings.  The state is read through cache_policy_show(),
 * "A1in [..] Am [..] A1out [..]", each list oldest (least recent) first. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"
#include "policy.h"

/* ---- helpers ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)		/* splitmix64: seeded, portable */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct cache *new_cache(const char *policy, uint32_t nframes)
{
	struct cache_config cfg = {
		.nframes = nframes, .policy = policy, .metadata_only = true,
	};
	struct cache *c = cache_new(&cfg);

	assert_non_null(c);
	return c;
}

/* One access as the simulator makes it: returns 1 on a fault, 0 on a hit;
 * *victim gets the evicted page or UINT64_MAX.  With hold, the page stays
 * pinned and *held gets its frame. */
static int access_hold(struct cache *c, uint64_t pgno, uint64_t *victim,
		       struct frame **held)
{
	struct frame *fr;
	int rc;

	*victim = UINT64_MAX;
	while ((rc = cache_get(c, 0, pgno, 0, &fr)) == -ENOBUFS) {
		struct frame *v;
		uint64_t ino;

		assert_int_equal(cache_evict_begin(c, &v), 0);
		cache_frame_key(c, v, &ino, victim);
		assert_int_equal(cache_evict_end(c, v), 0);
	}
	assert_true(rc == 0 || rc == 1);
	if (rc == 1)
		cache_load_done(c, fr, 0);
	if (held)
		*held = fr;
	else
		cache_unpin(c, fr);
	assert_int_equal(cache_check(c), 0);
	return rc;
}

static int access_page(struct cache *c, uint64_t pgno, uint64_t *victim)
{
	return access_hold(c, pgno, victim, NULL);
}

/* The policy's one-line state; the caller frees it. */
static char *show(struct cache *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cache_policy_show(c, f);
	fclose(f);
	return buf;
}

static void assert_show(struct cache *c, const char *want)
{
	char *got = show(c);

	assert_string_equal(got, want);
	free(got);
}

#define NONE UINT64_MAX

struct step {
	uint64_t ref;
	int fault;
	uint64_t victim;	/* NONE: no eviction */
	const char *state;	/* after the reference */
};

static void run_steps(const char *policy, uint32_t nframes,
		      const struct step *s, size_t n, int faults_want)
{
	struct cache *c = new_cache(policy, nframes);
	int faults = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t victim;
		int fault = access_page(c, s[i].ref, &victim);
		char *got = show(c);

		if (fault != s[i].fault || victim != s[i].victim ||
		    strcmp(got, s[i].state)) {
			fprintf(stderr, "# step %zu, page %llu: got %d %lld "
				"\"%s\", want %d %lld \"%s\"\n", i,
				(unsigned long long)s[i].ref, fault,
				(long long)victim, got, s[i].fault,
				(long long)s[i].victim, s[i].state);
			fail();
		}
		free(got);
		faults += fault;
	}
	assert_int_equal(faults, faults_want);
	cache_free(c);
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
	static const struct step s[] = {
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
	run_steps("2q", 4, s, sizeof(s) / sizeof(s[0]), 13);
}

/* Pages dropped by truncation (POLICY_DROPPED) leave no ghost, so coming
 * back they start over in A1in; an evicted one comes back into Am. */
static void test_policy_2q_drop_leaves_no_ghost(void **state)
{
	struct cache *c = new_cache("2q", 4);
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 5; p++)
		access_page(c, p, &victim);		/* 5 evicts 1 */
	assert_int_equal(victim, 1);
	assert_show(c, "A1in [2 3 4 5] Am [] A1out [1]");
	assert_int_equal(cache_drop_file(c, 0, 4), 2);	/* pages 4, 5 */
	assert_show(c, "A1in [2 3] Am [] A1out [1]");
	/* Free frames now: no eviction.  4 and 5 are new again, 1 is not. */
	assert_int_equal(access_page(c, 4, &victim), 1);
	assert_int_equal(access_page(c, 5, &victim), 1);
	assert_int_equal(victim, NONE);
	assert_show(c, "A1in [2 3 4 5] Am [] A1out [1]");
	assert_int_equal(access_page(c, 1, &victim), 1);
	assert_int_equal(victim, 2);
	assert_show(c, "A1in [3 4 5] Am [1] A1out [2]");
	/* Dropping an Am page leaves no ghost either. */
	assert_int_equal(cache_drop_file(c, 0, 0), 4);
	assert_show(c, "A1in [] Am [] A1out [2]");
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
	struct cache *c = new_cache("2q", 4);
	struct frame *held[3];
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 4; p++)
		access_page(c, p, &victim);
	held[0] = cache_lookup(c, 0, 1, 0);
	assert_non_null(held[0]);
	assert_show(c, "A1in [1 2 3 4] Am [] A1out []");
	access_page(c, 5, &victim);
	assert_int_equal(victim, 2);
	assert_show(c, "A1in [1 3 4 5] Am [] A1out [2]");
	access_page(c, 2, &victim);
	assert_int_equal(victim, 3);
	assert_show(c, "A1in [1 4 5] Am [2] A1out [3]");
	held[1] = cache_lookup(c, 0, 4, 0);
	held[2] = cache_lookup(c, 0, 5, 0);
	assert_non_null(held[1]);
	assert_non_null(held[2]);
	access_page(c, 6, &victim);
	assert_int_equal(victim, 2);
	assert_show(c, "A1in [1 4 5 6] Am [] A1out [3]");
	for (int i = 0; i < 3; i++)
		cache_unpin(c, held[i]);
	access_page(c, 7, &victim);
	assert_int_equal(victim, 1);
	assert_show(c, "A1in [4 5 6 7] Am [] A1out [3 1]");
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
	c = new_cache("2q:kin=0.5", 4);
	for (uint64_t p = 1; p <= 5; p++)
		access_page(c, p, &victim);
	access_page(c, 1, &victim);
	assert_int_equal(victim, 2);
	assert_show(c, "A1in [3 4 5] Am [1] A1out [2]");
	access_page(c, 6, &victim);		/* |A1in| 3 > 2: 3 goes */
	assert_int_equal(victim, 3);
	access_page(c, 7, &victim);		/* |A1in| 3 > 2: 4 goes */
	assert_int_equal(victim, 4);
	assert_show(c, "A1in [5 6 7] Am [1] A1out [3 4]");
	access_page(c, 3, &victim);		/* back to Am; 5 goes */
	assert_show(c, "A1in [6 7] Am [1 3] A1out [4 5]");
	access_page(c, 8, &victim);		/* |A1in| 2 = Kin: Am pays */
	assert_int_equal(victim, 1);
	assert_show(c, "A1in [6 7 8] Am [3] A1out [4 5]");
	cache_free(c);

	c = new_cache("2q:kout=0", 4);
	for (uint64_t p = 1; p <= 6; p++)
		access_page(c, p, &victim);
	access_page(c, 1, &victim);
	assert_show(c, "A1in [4 5 6 1] Am [] A1out []");
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
	struct cache *c = new_cache("2q", N);
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
enum { MMAX = 64 };

struct mlist {
	uint64_t k[MMAX];
	int n;
};

static int m_find(const struct mlist *l, uint64_t x)
{
	for (int i = 0; i < l->n; i++)
		if (l->k[i] == x)
			return i;
	return -1;
}

static uint64_t m_del(struct mlist *l, int i)
{
	uint64_t x = l->k[i];

	memmove(&l->k[i], &l->k[i + 1], (size_t)(l->n - i - 1) * sizeof(l->k[0]));
	l->n--;
	return x;
}

static void m_push(struct mlist *l, uint64_t x)
{
	assert_true(l->n < MMAX);
	l->k[l->n++] = x;
}

/* Appends " name [k k k]" to buf (no leading space at the start). */
static void m_fmt(char *buf, const char *name, const struct mlist *l)
{
	char *p = buf + strlen(buf);

	p += sprintf(p, "%s%s [", *buf ? " " : "", name);
	for (int i = 0; i < l->n; i++)
		p += sprintf(p, "%s%llu", i ? " " : "",
			     (unsigned long long)l->k[i]);
	sprintf(p, "]");
}

struct model2q {
	struct mlist a1in, am, a1out;
	int c, kin, kout;
};

static uint64_t model_reclaim(struct model2q *m)
{
	uint64_t y;

	if (m->a1in.n + m->am.n < m->c)
		return NONE;			/* a free page slot */
	if (m->a1in.n > m->kin || m->am.n == 0) {
		y = m_del(&m->a1in, 0);
		m_push(&m->a1out, y);
		if (m->a1out.n > m->kout)
			m_del(&m->a1out, 0);
		return y;
	}
	return m_del(&m->am, 0);		/* no ghost */
}

/* Returns 1 on a fault, *victim as access_page. */
static int model_ref(struct model2q *m, uint64_t x, uint64_t *victim)
{
	int i;

	*victim = NONE;
	if ((i = m_find(&m->am, x)) >= 0) {
		m_push(&m->am, m_del(&m->am, i));
		return 0;
	}
	if (m_find(&m->a1in, x) >= 0)
		return 0;
	if ((i = m_find(&m->a1out, x)) >= 0) {
		*victim = model_reclaim(m);
		if ((i = m_find(&m->a1out, x)) >= 0)
			m_del(&m->a1out, i);
		m_push(&m->am, x);
		return 1;
	}
	*victim = model_reclaim(m);
	m_push(&m->a1in, x);
	return 1;
}

static void model_check(const char *spec, uint32_t nframes, int kin,
			int kout, uint64_t seed)
{
	struct model2q m = { .c = (int)nframes, .kin = kin, .kout = kout };
	struct cache *c = new_cache(spec, nframes);
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
		int f_got = access_page(c, x, &v_got);
		want[0] = '\0';
		m_fmt(want, "A1in", &m.a1in);
		m_fmt(want, "Am", &m.am);
		m_fmt(want, "A1out", &m.a1out);
		got = show(c);
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
