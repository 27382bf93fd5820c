/* test_policy_lirs.c - LIRS (cache/policy_lirs.c): hand-worked traces that
 * go through every case of the paper, the bound on non-resident entries,
 * busy frames and truncation, a loop that defeats LRU, and a random
 * comparison against a plain model of the algorithm, state by state.
 *
 * States are written as show() prints them: stack S from bottom to top,
 * each page with its status (L: LIR, H: resident HIR, N: non-resident HIR),
 * then list Q from front (next victim) to end. */
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

#define NEVER NO_VICTIM

static uint64_t rng_state;

static uint64_t rng(void)
{
	return trace_rng(&rng_state);
}

#define S(x) "S bottom..top:" x
#define Q(x) "; Q front..end:" x

/* ---- hand-worked traces ----------------------------------------------- */

/* 3 frames with the default HIR share: Lhirs = max(1, 0.03) = 1, Llirs = 2,
 * the sizes of the paper's own example.  The reference string
 *   1 2 3 4 2 3 5 1 1 4 2 3 1 2 4 2
 * goes through every case (numbered as in policy_lirs.c):
 *
 *  #  ref       case, what happens                      S bottom..top   Q
 *  0   1  miss  LIR set not full: LIR                   1L              -
 *  1   2  miss  LIR set not full: LIR                   1L 2L           -
 *  2   3  miss  4b: resident HIR (a frame was free)     1L 2L 3H        3
 *  3   4  miss  evict Q's front 3; in S, it stays
 *               there as 3N; 4b                         1L 2L 3N 4H     4
 *  4   2  hit   1: LIR, to the top                      1L 3N 4H 2L     4
 *  5   3  miss  evict 4 (-> 4N); 4a: 3 is non-resident
 *               in S: LIR; bottom LIR 1 demoted to Q;
 *               pruning drops 4N                        2L 3L           1
 *  6   5  miss  evict 1 (not in S: forgotten); 4b       2L 3L 5H        5
 *  7   1  miss  evict 5 (-> 5N); 1 has no entry: 4b     2L 3L 5N 1H     1
 *  8   1  hit   2: HIR in S: LIR; bottom LIR 2 demoted  3L 5N 1L        2
 *  9   4  miss  evict 2 (not in S); 4 was pruned: 4b    3L 5N 1L 4H     4
 * 10   2  miss  evict 4 (-> 4N); 4b                     3L 5N 1L 4N 2H  2
 * 11   3  hit   1: bottom LIR to the top; prune 5N      1L 4N 2H 3L     2
 * 12   1  hit   1: bottom again; prune 4N, and 2H
 *               leaves S (resident still, in Q)         3L 1L           2
 * 13   2  hit   3: HIR not in S: stays HIR, on top of
 *               S, to the end of Q                      3L 1L 2H        2
 * 14   4  miss  evict 2 (-> 2N); 4b                     3L 1L 2N 4H     4
 * 15   2  miss  evict 4 (-> 4N); 4a: 2 LIR, bottom LIR
 *               3 demoted; the bottom is then 1L: no
 *               pruning                                 1L 4N 2L        3
 *
 * 11 faults; victims 3 4 1 5 2 4 2 4. */
static void test_policy_lirs_paper_cases(void **state)
{
	static const struct trace_step st[] = {
		{ 1, 1, NEVER, S(" 1L") Q("") },
		{ 2, 1, NEVER, S(" 1L 2L") Q("") },
		{ 3, 1, NEVER, S(" 1L 2L 3H") Q(" 3") },
		{ 4, 1, 3, S(" 1L 2L 3N 4H") Q(" 4") },
		{ 2, 0, NEVER, S(" 1L 3N 4H 2L") Q(" 4") },
		{ 3, 1, 4, S(" 2L 3L") Q(" 1") },
		{ 5, 1, 1, S(" 2L 3L 5H") Q(" 5") },
		{ 1, 1, 5, S(" 2L 3L 5N 1H") Q(" 1") },
		{ 1, 0, NEVER, S(" 3L 5N 1L") Q(" 2") },
		{ 4, 1, 2, S(" 3L 5N 1L 4H") Q(" 4") },
		{ 2, 1, 4, S(" 3L 5N 1L 4N 2H") Q(" 2") },
		{ 3, 0, NEVER, S(" 1L 4N 2H 3L") Q(" 2") },
		{ 1, 0, NEVER, S(" 3L 1L") Q(" 2") },
		{ 2, 0, NEVER, S(" 3L 1L 2H") Q(" 2") },
		{ 4, 1, 2, S(" 3L 1L 2N 4H") Q(" 4") },
		{ 2, 1, 4, S(" 1L 4N 2L") Q(" 3") },
	};

	(void)state;
	trace_steps_on("lirs", 3, st, sizeof(st) / sizeof(st[0]), 11);
}

/* The bound on non-resident entries: 2 frames (Llirs = Lhirs = 1) and
 * nonres=1, so at most 2 entries between accesses, dropped oldest-evicted
 * first.  A scan 2 3 4 5 behind LIR page 1, then 2 and 4 again:
 *
 *  #  ref       what happens                           S bottom..top   Q
 *  0   1  miss  LIR                                    1L              -
 *  1   2  miss  HIR                                    1L 2H           2
 *  2   3  miss  evict 2 (-> 2N; entries 2)             1L 2N 3H        3
 *  3   4  miss  evict 3 (-> 3N; entries 2 3)           1L 2N 3N 4H     4
 *  4   5  miss  evict 4 (-> 4N; entries 2 3 4: over
 *               the bound once 5 is in: the oldest,
 *               2, goes)                               1L 3N 4N 5H     5
 *  5   2  miss  evict 5 (-> 5N); 2 was forgotten:
 *               HIR; entries 3 4 5: 3 goes             1L 4N 5N 2H     2
 *  6   4  miss  evict 2 (-> 2N; entries 4 5 2, 4 the
 *               oldest, but the bound waits for the
 *               access to end); 4 is non-resident in
 *               S: LIR, 1 demoted, prune 5N 2N         4L              1
 *
 * Dropping the oldest entry as soon as the eviction made a third would have
 * forgotten 4, and 4 would have come back HIR. */
static void test_policy_lirs_nonresident_bound(void **state)
{
	static const struct trace_step st[] = {
		{ 1, 1, NEVER, S(" 1L") Q("") },
		{ 2, 1, NEVER, S(" 1L 2H") Q(" 2") },
		{ 3, 1, 2, S(" 1L 2N 3H") Q(" 3") },
		{ 4, 1, 3, S(" 1L 2N 3N 4H") Q(" 4") },
		{ 5, 1, 4, S(" 1L 3N 4N 5H") Q(" 5") },
		{ 2, 1, 5, S(" 1L 4N 5N 2H") Q(" 2") },
		{ 4, 1, 2, S(" 4L") Q(" 1") },
	};

	(void)state;
	trace_steps_on("lirs:nonres=1", 2, st, sizeof(st) / sizeof(st[0]), 7);
}

/* Busy frames.  4 frames with hir=0.5: Lhirs = Llirs = 2.  1 and 2 are
 * LIR, 3 and 4 resident HIR, 3 held pinned:
 *                                          S (bottom..top)     Q
 *   after 1 2 3 4                          1L 2L 3H 4H         3 4
 *   evict: Q's front 3 is pinned, 4 goes   1L 2L 3H 4N         3
 *   evict: nothing evictable in Q, so the
 *     LIR pages from the bottom: 1 goes;
 *     as a bottom entry it is pruned       2L 3H 4N            3
 *   evict: 2 goes; pruning empties S       -                   3
 *   evict: only 3 is left, pinned          -EBUSY
 *   unpin 3; ref 5 (a free frame): LIR
 *     set not full: LIR                    5L                  3
 *   ref 3: a hit on HIR not in S, but the
 *     LIR set is not full: LIR             5L 3L               -        */
static void test_policy_lirs_busy_frames(void **state)
{
	struct cache *c = trace_cache("lirs:hir=0.5", 4);
	struct frame *held, *v;
	uint64_t victim;

	(void)state;
	trace_access(c, 1, &victim);
	trace_access(c, 2, &victim);
	trace_access_pin(c, 3, &victim, &held);
	trace_access(c, 4, &victim);
	trace_show_is(c, S(" 1L 2L 3H 4H") Q(" 3 4"));
	assert_int_equal(trace_evict(c), 4);
	trace_show_is(c, S(" 1L 2L 3H 4N") Q(" 3"));
	assert_int_equal(trace_evict(c), 1);
	trace_show_is(c, S(" 2L 3H 4N") Q(" 3"));
	assert_int_equal(trace_evict(c), 2);
	trace_show_is(c, S("") Q(" 3"));
	assert_int_equal(cache_evict_begin(c, &v), -EBUSY);
	cache_unpin(c, held);
	assert_int_equal(trace_access(c, 5, &victim), 1);
	trace_show_is(c, S(" 5L") Q(" 3"));
	assert_int_equal(trace_access(c, 3, &victim), 0);
	trace_show_is(c, S(" 5L 3L") Q(""));
	cache_free(c);
}

/* A truncated page leaves no non-resident entry: 3 frames, 1 2 3 (3 is
 * resident HIR in S), then 3 is truncated away and 4 comes in:
 *                                          S (bottom..top)     Q
 *   after 1 2 3                            1L 2L 3H            3
 *   truncate from page 3                   1L 2L               -
 *   ref 4 (a free frame)                   1L 2L 4H            4
 *   ref 3: evict 4 (-> 4N); 3 has no
 *     entry: HIR, not LIR                  1L 2L 4N 3H         3
 * (Evicted instead of truncated, 3 would have come back LIR.) */
static void test_policy_lirs_drop_forgets(void **state)
{
	struct cache *c = trace_cache("lirs", 3);
	uint64_t victim;

	(void)state;
	for (uint64_t p = 1; p <= 3; p++)
		trace_access(c, p, &victim);
	trace_show_is(c, S(" 1L 2L 3H") Q(" 3"));
	assert_int_equal(cache_drop_file(c, 0, 3), 1);
	assert_int_equal(cache_check(c), 0);
	trace_show_is(c, S(" 1L 2L") Q(""));
	trace_access(c, 4, &victim);
	trace_show_is(c, S(" 1L 2L 4H") Q(" 4"));
	trace_access(c, 3, &victim);
	assert_int_equal(victim, 4);
	trace_show_is(c, S(" 1L 2L 4N 3H") Q(" 3"));
	cache_free(c);
}

/* A loop over 9 pages with 8 frames (Llirs 7, Lhirs 1), 20 rounds.  LRU
 * misses every time (180).  LIRS: round 1 faults 9 times and ends with
 *   S: 0L 1L .. 6L 7N 8H, Q: 8
 * Round 2: 0 .. 6 hit (each moves from the bottom to the top; when 6 does,
 * pruning drops 7N and takes 8H out of S); 7 misses (evicts 8, which is not
 * in S, and comes in HIR); 8 misses (evicts 7, which stays as 7N): the same
 * state as after round 1.  So 9 + 19 * 2 = 47 faults. */
static void test_policy_lirs_loop(void **state)
{
	enum { N = 8, ROUNDS = 20 };
	struct cache *c = trace_cache("lirs", N);
	uint64_t victim;
	int faults = 0;

	(void)state;
	for (int r = 0; r < ROUNDS; r++) {
		for (uint64_t p = 0; p <= N; p++)
			faults += trace_access(c, p, &victim);
		trace_show_is(c, S(" 0L 1L 2L 3L 4L 5L 6L 7N 8H")
				    Q(" 8"));
	}
	assert_int_equal(faults, 9 + (ROUNDS - 1) * 2);
	cache_free(c);
}

/* ---- against a model -------------------------------------------------- */

/* LIRS as the paper writes it, on plain arrays: S and Q as arrays of page
 * numbers, the non-resident entries as an array in eviction order, with the
 * choices policy_lirs.c documents (victim: Q's front; the bound enforced
 * when the access ends, oldest evicted first). */
enum { MU = 64 };			/* pages 0 .. MU-1 */

struct model {
	uint32_t nframes, llirs, gmax, nlir, nres;
	uint64_t s[MU], q[MU], age[MU];	/* S bottom first, Q front first */
	int slen, qlen, alen;		/* age: non-resident, oldest first */
	bool lir[MU], res[MU], ins[MU];
};

static void arr_del(uint64_t *a, int *len, uint64_t x)
{
	int i;

	for (i = 0; i < *len && a[i] != x; i++)
		;
	assert_true(i < *len);
	memmove(&a[i], &a[i + 1], (size_t)(*len - i - 1) * sizeof(*a));
	(*len)--;
}

static void arr_push(uint64_t *a, int *len, uint64_t x)
{
	a[(*len)++] = x;
}

static void model_forget(struct model *m, uint64_t p)
{
	arr_del(m->s, &m->slen, p);
	arr_del(m->age, &m->alen, p);
	m->ins[p] = false;
}

static void model_prune(struct model *m)
{
	while (m->slen > 0 && !m->lir[m->s[0]]) {
		uint64_t p = m->s[0];

		if (!m->res[p]) {
			model_forget(m, p);
		} else {
			arr_del(m->s, &m->slen, p);
			m->ins[p] = false;
		}
	}
}

static void model_make_lir(struct model *m, uint64_t x)
{
	m->lir[x] = true;
	m->nlir++;
	while (m->nlir > m->llirs) {
		uint64_t b = m->s[0];

		arr_del(m->s, &m->slen, b);
		m->ins[b] = m->lir[b] = false;
		arr_push(m->q, &m->qlen, b);
		m->nlir--;
		model_prune(m);
	}
}

/* Returns the victim or NEVER. */
static uint64_t model_access(struct model *m, uint64_t x)
{
	uint64_t v = NEVER;
	bool was_nr;

	if (m->res[x]) {
		bool was_in = m->ins[x];

		if (m->lir[x]) {
			bool bottom = m->s[0] == x;

			arr_del(m->s, &m->slen, x);
			arr_push(m->s, &m->slen, x);
			if (bottom)
				model_prune(m);
			return NEVER;
		}
		if (was_in)
			arr_del(m->s, &m->slen, x);
		arr_push(m->s, &m->slen, x);
		m->ins[x] = true;
		arr_del(m->q, &m->qlen, x);
		if (was_in || m->nlir < m->llirs)
			model_make_lir(m, x);
		else
			arr_push(m->q, &m->qlen, x);
		model_prune(m);
		return NEVER;
	}
	if (m->nres == m->nframes) {		/* evict */
		assert_true(m->qlen > 0);
		v = m->q[0];
		arr_del(m->q, &m->qlen, v);
		m->res[v] = false;
		m->nres--;
		if (m->ins[v]) {
			if ((uint32_t)m->alen == m->gmax + 1)
				model_forget(m, m->age[0]);
			arr_push(m->age, &m->alen, v);
		}
		model_prune(m);
	}
	was_nr = m->ins[x];
	if (was_nr)
		model_forget(m, x);
	arr_push(m->s, &m->slen, x);
	m->ins[x] = m->res[x] = true;
	m->nres++;
	if (was_nr || m->nlir < m->llirs)
		model_make_lir(m, x);
	else
		arr_push(m->q, &m->qlen, x);
	model_prune(m);
	while ((uint32_t)m->alen > m->gmax)
		model_forget(m, m->age[0]);
	return v;
}

static const char *model_show(const struct model *m)
{
	static char buf[4096];
	int n = snprintf(buf, sizeof(buf), "S bottom..top:");

	for (int i = 0; i < m->slen; i++) {
		uint64_t p = m->s[i];

		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " %llu%c",
			      (unsigned long long)p, m->lir[p] ? 'L' :
			      m->res[p] ? 'H' : 'N');
	}
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "; Q front..end:");
	for (int i = 0; i < m->qlen; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " %llu",
			      (unsigned long long)m->q[i]);
	return buf;
}

/* Random references (uniform, skewed, or a loop with noise) through the
 * cache and through the model, several sizes and parameters: the same
 * victims and the same S and Q after every access; the non-resident
 * entries stay within the bound and reach it.  One frame is the degenerate
 * case: Lhirs = 1 leaves Llirs = 0, and every page is HIR. */
static void test_policy_lirs_matches_model(void **state)
{
	static const struct {
		uint32_t nframes;
		const char *spec;
		double hir, nonres;
	} cfg[] = {
		{ 2, "lirs", 0.01, 2 },
		{ 3, "lirs", 0.01, 2 },
		{ 5, "lirs:nonres=1", 0.01, 1 },
		{ 8, "lirs:hir=0.3", 0.3, 2 },
		{ 12, "lirs:hir=0.25,nonres=0.5", 0.25, 0.5 },
		{ 6, "lirs:nonres=0", 0.01, 0 },
		{ 1, "lirs", 0.01, 2 },
	};
	enum { N = 3000, SEEDS = 6 };

	(void)state;
	for (size_t k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
		uint32_t n = cfg[k].nframes;
		uint64_t lhirs = (uint64_t)(cfg[k].hir * n);
		uint32_t gmax = (uint32_t)(cfg[k].nonres * n), maxnr = 0;

		if (lhirs < 1)
			lhirs = 1;
		if (n >= 2 && lhirs > n - 1)
			lhirs = n - 1;
		for (uint64_t seed = 1; seed <= SEEDS; seed++) {
			struct cache *c = trace_cache(cfg[k].spec, n);
			struct model m = {
				.nframes = n, .llirs = n - (uint32_t)lhirs,
				.gmax = gmax,
			};
			uint32_t u = (uint32_t)(n + 1 + seed * n / 2);

			if (u > MU)
				u = MU;
			rng_state = seed * 100 + k;
			for (int i = 0; i < N; i++) {
				uint64_t a = rng() % u, b = rng() % u, x, v, w;
				uint32_t nr = 0;
				char *got;

				x = seed % 3 == 0 ? a : seed % 3 == 1 ?
				    (a < b ? a : b) : rng() % 8 ? i % u : a;
				trace_access(c, x, &v);
				w = model_access(&m, x);
				assert_int_equal(v, w);
				got = trace_show(c);
				assert_string_equal(got, model_show(&m));
				for (const char *s = got; *s; s++)
					nr += *s == 'N';
				free(got);
				assert_true(nr <= gmax);
				if (nr > maxnr)
					maxnr = nr;
			}
			cache_free(c);
		}
		/* With one frame there is no LIR page, S prunes to nothing
		 * and keeps no entries. */
		assert_int_equal(maxnr, n > 1 ? gmax : 0);
	}
}

/* nonres=1 is libCacheSim's bound: its limitStack() keeps S, resident
 * entries included, within twice the cache size.  With nonres=1 S never
 * exceeds 2 x nframes (LIR pages + resident HIR pages + at most nframes
 * non-resident ones), and reaches it on a scan; the default nonres=2
 * (Caffeine's) goes past it. */
static void test_policy_lirs_nonres1_is_libcachesim(void **state)
{
	enum { NF = 50, N = 20000 };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct cache *c = trace_cache(k ? "lirs" : "lirs:nonres=1", NF);
		uint32_t maxs = 0;

		rng_state = 7;
		for (int i = 0; i < N; i++) {
			/* A hot set of 30 pages, and scans through 5000. */
			uint64_t x = rng() % 4 ? rng() % 30 :
				     100 + (uint64_t)(i % 5000), v;
			uint32_t ns = 0;
			char *got;
			size_t slen;

			trace_access(c, x, &v);
			got = trace_show(c);
			slen = strcspn(got, ";");
			for (size_t j = 0; j < slen; j++)
				ns += got[j] == 'L' || got[j] == 'H' ||
				      got[j] == 'N';
			free(got);
			if (ns > maxs)
				maxs = ns;
			if (k == 0)
				assert_true(ns <= 2 * NF);
		}
		if (k == 0)
			assert_int_equal(maxs, 2 * NF);
		else
			assert_true(maxs > 2 * NF);
		cache_free(c);
	}
}

/* ---- memory ----------------------------------------------------------- */

/* At most 64 bytes per tracked page: per frame (core included), and per
 * non-resident entry (2 per frame by default) in ghost_bytes(). */
static void test_policy_lirs_memory(void **state)
{
	enum { NF = 100000 };
	const struct policy_ops *ops;
	double param[POLICY_MAX_PARAMS];
	struct cache *c = trace_cache("lirs", NF);
	struct policy *p;
	char err[128];

	(void)state;
	assert_true(cache_meta_bytes_per_frame(c) <= 64);
	cache_free(c);
	assert_int_equal(policy_parse("lirs", &ops, param, err, sizeof(err)),
			 0);
	assert_true(param[1] == 2.0);
	p = ops->create(NF, param);
	assert_non_null(p);
	p->ops = ops;
	p->nframes = NF;
	assert_true(ops->ghost_bytes(p) > (size_t)2 * NF * 16);
	assert_true(ops->ghost_bytes(p) <= (size_t)2 * NF * 64);
	ops->destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_lirs_paper_cases),
		cmocka_unit_test(test_policy_lirs_nonresident_bound),
		cmocka_unit_test(test_policy_lirs_nonres1_is_libcachesim),
		cmocka_unit_test(test_policy_lirs_busy_frames),
		cmocka_unit_test(test_policy_lirs_drop_forgets),
		cmocka_unit_test(test_policy_lirs_loop),
		cmocka_unit_test(test_policy_lirs_matches_model),
		cmocka_unit_test(test_policy_lirs_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
