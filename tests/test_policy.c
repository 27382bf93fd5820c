/* test_policy.c - the policy conformance suite, run against every registered
 * policy, and hand-checked reference strings for FIFO, LRU and CLOCK. */
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
#include "cache_sim.h"
#include "policy.h"
#include "policy_trace.h"

/* ---- helpers (the rest are in policy_trace.h) ------------------------- */

#define MAX_FRAMES 64	/* the most frames frames_hold() is asked about */

static uint64_t rng_state;

static uint64_t rng(void)		/* splitmix64: seeded, portable */
{
	return trace_rng(&rng_state);
}

static int count_faults(const char *policy, uint32_t nframes,
			const uint64_t *refs, size_t n)
{
	struct cache *c = trace_cache(policy, nframes);
	uint64_t victim;
	int faults = 0;

	for (size_t i = 0; i < n; i++)
		faults += trace_access(c, refs[i], &victim);
	cache_free(c);
	return faults;
}

/* The page each frame holds, UINT64_MAX when free. */
static void note(void *arg, uint32_t fno, uint64_t ino, uint64_t pgno,
		 enum frame_state s)
{
	(void)ino;
	(void)s;
	((uint64_t *)arg)[fno] = pgno;
}

static void frames_hold(struct cache *c, uint32_t n, const uint64_t *want)
{
	uint64_t got[MAX_FRAMES];

	assert_true(n <= MAX_FRAMES);
	for (uint32_t i = 0; i < n; i++)
		got[i] = UINT64_MAX;
	cache_foreach_frame(c, note, got);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

/* ---- hand-checked strings --------------------------------------------- */

static const uint64_t belady[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };

/* FIFO on 1 2 3 4 1 2 5 1 2 3 4 5:
 *   3 frames: faults on 1 2 3 4 1 2 5 . . 3 4 .  = 9
 *   4 frames: faults on 1 2 3 4 . . 5 1 2 3 4 5  = 10  (Belady's anomaly) */
static void test_policy_fifo_belady_anomaly(void **state)
{
	(void)state;
	assert_int_equal(count_faults("fifo", 3, belady, 12), 9);
	assert_int_equal(count_faults("fifo", 4, belady, 12), 10);
}

/* LRU is a stack algorithm: no anomaly on the same string (10 then 8). */
static void test_policy_lru_no_anomaly(void **state)
{
	(void)state;
	assert_int_equal(count_faults("lru", 3, belady, 12), 10);
	assert_int_equal(count_faults("lru", 4, belady, 12), 8);
}

/* LRU with N frames over a loop of N+1 pages: the page needed next is always
 * the one just evicted, so every access misses. */
static void test_policy_lru_loop_misses_all(void **state)
{
	enum { N = 8, ROUNDS = 20 };
	uint64_t refs[(N + 1) * ROUNDS];

	(void)state;
	for (size_t i = 0; i < (N + 1) * ROUNDS; i++)
		refs[i] = i % (N + 1);
	assert_int_equal(count_faults("lru", N, refs, (N + 1) * ROUNDS),
			 (N + 1) * ROUNDS);
	/* With N+1 frames only the first round misses. */
	assert_int_equal(count_faults("lru", N + 1, refs, (N + 1) * ROUNDS),
			 N + 1);
}

/* The textbook string (Silberschatz, Operating System Concepts, ch. 10)
 * 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1 with 3 frames.
 *
 * FIFO: 15 faults.  LRU: 12 faults:
 *   7 0 1 | 2 evicts 7 | 0 hit | 3 evicts 1 | 0 hit | 4 evicts 2 |
 *   2 evicts 3 | 3 evicts 0 | 0 evicts 4 | 3 hit | 2 hit | 1 evicts 0 |
 *   2 hit | 0 evicts 3 | 1 hit | 7 evicts 2 | 0 hit | 1 hit      -> 12
 *   ending with 1 0 7 in frames f0 f1 f2.
 *
 * CLOCK (bit set on load and on hit; hand sweeps f0 f1 f2; "x*" = bit set;
 * the new page takes the victim's frame, the hand stops just past it):
 *   7 0 1        [7* 0* 1*] h0            3 faults
 *   2  clears 7 0 1, evicts 7      [2* 0 1]  h1     4
 *   0  hit                         [2* 0* 1] h1
 *   3  clears 0, evicts 1          [2* 0 3*] h0     5
 *   0  hit                         [2* 0* 3*] h0
 *   4  clears 2 0 3, evicts 2      [4* 0 3]  h1     6
 *   2  evicts 0                    [4* 2* 3] h2     7
 *   3  hit                         [4* 2* 3*] h2
 *   0  clears 3 4 2, evicts 3      [4 2 0*]  h0     8
 *   3  evicts 4                    [3* 2 0*] h1     9
 *   2  hit                         [3* 2* 0*] h1
 *   1  clears 2 0 3, evicts 2      [3 1* 0]  h2    10
 *   2  evicts 0                    [3 1* 2*] h0    11
 *   0  evicts 3                    [0* 1* 2*] h1   12
 *   1  hit
 *   7  clears 1 2 0, evicts 1      [0 7* 2]  h2    13
 *   0  hit                         [0* 7* 2] h2
 *   1  evicts 2                    [0* 7* 1*] h0   14
 */
static const uint64_t textbook[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
				     0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };

static void test_policy_textbook_fifo(void **state)
{
	(void)state;
	assert_int_equal(count_faults("fifo", 3, textbook, 20), 15);
}

static void test_policy_textbook_lru(void **state)
{
	static const uint64_t end[] = { 1, 0, 7 };
	struct cache *c = trace_cache("lru", 3);
	static const uint64_t victims[] = {
		UINT64_MAX, UINT64_MAX, UINT64_MAX, 7, UINT64_MAX, 1,
		UINT64_MAX, 2, 3, 0, 4, UINT64_MAX, UINT64_MAX, 0,
		UINT64_MAX, 3, UINT64_MAX, 2, UINT64_MAX, UINT64_MAX,
	};
	uint64_t victim;
	int faults = 0;

	(void)state;
	for (int i = 0; i < 20; i++) {
		faults += trace_access(c, textbook[i], &victim);
		assert_int_equal(victim, victims[i]);
	}
	assert_int_equal(faults, 12);
	frames_hold(c, 3, end);
	cache_free(c);
}

static void test_policy_textbook_clock(void **state)
{
	static const uint64_t victims[] = {
		UINT64_MAX, UINT64_MAX, UINT64_MAX, 7, UINT64_MAX, 1,
		UINT64_MAX, 2, 0, UINT64_MAX, 3, 4, UINT64_MAX, 2, 0, 3,
		UINT64_MAX, 1, UINT64_MAX, 2,
	};
	static const uint64_t end[] = { 0, 7, 1 };
	struct cache *c = trace_cache("clock", 3);
	uint64_t victim;
	int faults = 0;

	(void)state;
	for (int i = 0; i < 20; i++) {
		faults += trace_access(c, textbook[i], &victim);
		assert_int_equal(victim, victims[i]);
	}
	assert_int_equal(faults, 14);
	frames_hold(c, 3, end);
	cache_free(c);
}

/* CLOCK passes over a pinned frame without taking it, and takes the next
 * one whose bit is clear. */
static void test_policy_clock_skips_pinned(void **state)
{
	struct cache *c = trace_cache("clock", 3);
	struct frame *held, *v;
	uint64_t victim, ino, pgno;

	(void)state;
	for (uint64_t p = 1; p <= 3; p++)
		trace_access(c, p, &victim);
	held = cache_lookup(c, 0, 1, 0);	/* page 1 in f0, pinned */
	assert_non_null(held);
	/* Every bit is set: the hand clears f0..f2, skips pinned f0, and
	 * takes f1 (page 2). */
	assert_int_equal(cache_evict_begin(c, &v), 0);
	cache_frame_key(c, v, &ino, &pgno);
	assert_int_equal(pgno, 2);
	assert_int_equal(cache_evict_end(c, v), 0);
	cache_unpin(c, held);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* ---- conformance: every policy ---------------------------------------- */

enum { NHELD = 4 };

struct conf {
	struct cache *c;
	struct frame *held[NHELD];	/* frames this test holds pinned */
	uint32_t nframes;
};

static void conf_unpin_all(struct conf *t)
{
	for (int i = 0; i < NHELD; i++) {
		if (t->held[i]) {
			cache_unpin(t->c, t->held[i]);
			t->held[i] = NULL;
		}
	}
}

static bool conf_holds(struct conf *t, struct frame *fr)
{
	for (int i = 0; i < NHELD; i++)
		if (t->held[i] == fr)
			return true;
	return false;
}

/* A victim must be resident, clean, unpinned: never one we hold. */
static void conf_evict(struct conf *t)
{
	struct frame *v;
	int rc = cache_evict_begin(t->c, &v);

	if (rc < 0) {
		assert_true(rc == -EAGAIN || rc == -EBUSY || rc == -ENOENT);
		return;
	}
	assert_false(conf_holds(t, v));
	assert_int_equal(cache_frame_state(t->c, v), FRAME_EVICTING);
	assert_int_equal(cache_check(t->c), 0);
	switch (rng() % 4) {
	case 0: {	/* a read uses the page meanwhile: eviction aborts */
		uint64_t ino, pgno;
		struct frame *r;

		cache_frame_key(t->c, v, &ino, &pgno);
		r = cache_lookup(t->c, ino, pgno, 0);
		assert_ptr_equal(r, v);
		assert_int_equal(cache_evict_end(t->c, v), -EBUSY);
		cache_unpin(t->c, r);
		break;
	}
	case 1: {	/* kernel write-back lands in it: write it, then free */
		uint64_t ino, pgno;
		struct frame *w, *wb[8];
		int n;

		cache_frame_key(t->c, v, &ino, &pgno);
		w = cache_lookup(t->c, ino, pgno, CACHE_WRITE);
		assert_ptr_equal(w, v);
		cache_mark_dirty(t->c, w);
		cache_unpin(t->c, w);
		assert_int_equal(cache_evict_end(t->c, v), -EAGAIN);
		assert_int_equal(cache_check(t->c), 0);
		do {
			n = cache_writeback_collect(t->c, ino, wb, 8);
			for (int i = 0; i < n; i++)
				cache_writeback_done(t->c, wb[i], 0);
		} while (n > 0);
		assert_int_equal(cache_evict_end(t->c, v), 0);
		break;
	}
	default:
		assert_int_equal(cache_evict_end(t->c, v), 0);
	}
}

struct beyond {
	uint64_t ino, from;
	unsigned n;		/* frames of ino at or past from */
};

static void count_beyond(void *arg, uint32_t fno, uint64_t ino,
			 uint64_t pgno, enum frame_state s)
{
	struct beyond *b = arg;

	(void)fno;
	(void)s;
	b->n += ino == b->ino && pgno >= b->from;
}

static void conf_step(struct conf *t)
{
	uint64_t ino = rng() % 3, pgno = rng() % 24;
	int slot = (int)(rng() % NHELD);
	struct frame *fr;
	int rc;

	switch (rng() % 10) {
	case 0: case 1: case 2: case 3:		/* access, maybe keep it */
		rc = cache_get(t->c, ino, pgno, 0, &fr);
		if (rc == -ENOBUFS) {
			conf_evict(t);
			break;
		}
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			if (rng() % 16 == 0) {	/* the store failed */
				cache_load_done(t->c, fr, -EIO);
				break;
			}
			cache_load_done(t->c, fr, 0);
		}
		{
			uint64_t i2, p2;

			cache_frame_key(t->c, fr, &i2, &p2);
			assert_true(i2 == ino && p2 == pgno);
		}
		if (t->held[slot] || rng() % 2)
			cache_unpin(t->c, fr);
		else
			t->held[slot] = fr;
		break;
	case 4:					/* write a held page */
		if (t->held[slot])
			cache_mark_dirty(t->c, t->held[slot]);
		break;
	case 5:					/* let go */
		if (t->held[slot]) {
			cache_unpin(t->c, t->held[slot]);
			t->held[slot] = NULL;
		}
		break;
	case 6: case 7:
		conf_evict(t);
		break;
	case 8: {				/* flush one file */
		struct frame *wb[8];
		int n = cache_writeback_collect(t->c, ino, wb, 8);

		for (int i = 0; i < n; i++) {
			assert_int_equal(cache_frame_state(t->c, wb[i]),
					 FRAME_WRITEBACK);
			cache_writeback_done(t->c, wb[i],
					     rng() % 8 ? 0 : -EIO);
		}
		break;
	}
	case 9:					/* truncate a file */
		if (rng() % 4 == 0) {
			struct beyond b = { .ino = ino, .from = rng() % 24 };

			conf_unpin_all(t);
			cache_drop_file(t->c, ino, b.from);
			cache_foreach_frame(t->c, count_beyond, &b);
			assert_int_equal(b.n, 0);
		}
		break;
	}
	assert_int_equal(cache_check(t->c), 0);
}

static void conformance(const char *policy, uint32_t nframes, uint64_t seed)
{
	struct conf t = { .nframes = nframes };
	struct cache_stats st;

	rng_state = seed;
	t.c = trace_cache(policy, nframes);
	for (int i = 0; i < 20000; i++)
		conf_step(&t);
	conf_unpin_all(&t);
	/* Everything can be flushed and evicted in the end. */
	for (uint64_t ino = 0; ino < 3; ino++) {
		struct frame *wb[32];
		int n;

		while ((n = cache_writeback_collect(t.c, ino, wb, 32)) > 0)
			for (int i = 0; i < n; i++)
				cache_writeback_done(t.c, wb[i], 0);
	}
	while (cache_evict_one(t.c) == 0)
		assert_int_equal(cache_check(t.c), 0);
	cache_stats(t.c, &st);
	assert_int_equal(st.frames_free, nframes);
	assert_int_equal(st.frames_dirty, 0);
	assert_int_equal(st.lookups, st.hits + st.misses);
	assert_true(st.evictions > 100);
	assert_true(st.evict_aborts > 10);
	assert_true(st.evictions_dirty > 10);
	assert_true(st.drops > 10);
	cache_free(t.c);
}

static void test_policy_conformance(void **state)
{
	(void)state;
	for (const struct policy_ops *const *p = policy_all(); *p; p++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			fprintf(stderr, "# conformance: %s, seed %llu\n",
				(*p)->name, (unsigned long long)seed);
			conformance((*p)->name, 8 + (uint32_t)seed * 5, seed);
		}
	}
}

/* The same suite with parameters other than the defaults. */
static void test_policy_conformance_params(void **state)
{
	static const char *const specs[] = {
		"clock:bits=2", "clock:bits=8", "clock:ref_on_load=0",
		"clock:bits=3,ref_on_load=0", "random:seed=12345",
		"s3fifo:small=0,threshold=3", "s3fifo:small=0.5,threshold=2",
		"linux:mapped=1", "linux:ratio=3,shadows=0",
		"linux:shadows=0.5,mapped=1", "linux:mapped=2",
		"linux:mapped=2,others=4", "linux:others=100",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			fprintf(stderr, "# conformance: %s, seed %llu\n",
				specs[i], (unsigned long long)seed);
			conformance(specs[i], 8 + (uint32_t)seed * 5, seed);
		}
	}
}

/* policy_parse() refuses a parameter that is not a finite number in its
 * range: strtod() reads "nan" and "inf", and NaN passed a range test
 * written as "below min or above max" (lirs:nonres=nan then asked for an
 * impossible allocation).  framefs -o policy= and framesim --policy both
 * go through it. */
static void test_policy_parse_refuses_nan(void **state)
{
	static const char *const bad[] = {
		"s3fifo:small=nan", "2q:kin=nan", "2q:kout=NaN", "lirs:hir=nan",
		"lirs:nonres=nan", "lirs:nonres=inf", "clock:bits=nan",
		"random:seed=nan", "s3fifo:threshold=inf", "2q:kin=-inf",
		"lirs:hir=infinity", "2q:kin=1.5", "clock:bits=1.5",
		"linux:shadows=nan", "linux:ratio=inf", "linux:mapped=0.5",
	};
	const struct policy_ops *ops;
	double param[POLICY_MAX_PARAMS];
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fprintf(stderr, "# %s\n", bad[i]);
		assert_int_equal(policy_parse(bad[i], &ops, param, err,
					      sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "not a "));
	}
	assert_int_equal(policy_parse("lirs:nonres=nan", &ops, param, err,
				      sizeof(err)), -EINVAL);
	assert_string_equal(err, "lirs: nonres=nan: not a number in 0..16");
	assert_int_equal(policy_parse("clock:bits=9", &ops, param, err,
				      sizeof(err)), -EINVAL);
	assert_string_equal(err, "clock: bits=9: not a whole number in 1..8");
	/* The ends of a range are in it. */
	assert_int_equal(policy_parse("lirs:hir=0,nonres=16", &ops, param, err,
				      sizeof(err)), 0);
	assert_true(param[0] == 0 && param[1] == 16);
}

/* No policy may hand out a busy frame: with every frame dirty the core says
 * -EAGAIN (run the flusher), with every frame pinned -EBUSY. */
static void test_policy_victim_never_busy(void **state)
{
	(void)state;
	for (const struct policy_ops *const *p = policy_all(); *p; p++) {
		struct cache *c = trace_cache((*p)->name, 4);
		struct frame *fr[4], *v;

		for (int i = 0; i < 4; i++) {
			assert_int_equal(cache_get(c, 1, (uint64_t)i, 0,
						   &fr[i]), 1);
			cache_load_done(c, fr[i], 0);
		}
		assert_int_equal(cache_evict_begin(c, &v), -EBUSY);
		for (int i = 0; i < 4; i++) {
			cache_mark_dirty(c, fr[i]);
			cache_unpin(c, fr[i]);
		}
		assert_int_equal(cache_evict_begin(c, &v), -EAGAIN);
		assert_int_equal(cache_evict_one(c), -EAGAIN);
		assert_int_equal(cache_check(c), 0);
		cache_drop_file(c, 1, 0);
		assert_int_equal(cache_evict_begin(c, &v), -ENOENT);
		cache_free(c);
	}
}

/* The per-frame metadata budget: 64 bytes, policy included (ghosts are
 * budgeted apart).  The core takes 38 bytes at this size; FIFO, LRU and
 * CLOCK stay within 48 (the figure bench/cache_bench.c reports against),
 * LIRS keeps two lists per page (55), OPT a heap of 64-bit keys (54). */
static void test_policy_metadata_budget(void **state)
{
	(void)state;
	for (const struct policy_ops *const *p = policy_all(); *p; p++) {
		struct cache *c = trace_cache((*p)->name, 100000);

		assert_true(cache_meta_bytes_per_frame(c) <= 64);
		cache_free(c);
	}
}

/* ---- the simulator's path --------------------------------------------- */

/* One access by the protocol a daemon thread follows (cache_get, evict
 * begin and end, load_done, unpin), reporting what cache_sim_access
 * reports: 0 hit, 1 miss into a free frame, 2 miss that evicted. */
static int protocol_access(struct cache *c, uint64_t ino, uint64_t pgno,
			   struct cache_sim_result *r)
{
	struct frame *fr;
	int rc, evicted = 0;

	while ((rc = cache_get(c, ino, pgno, 0, &fr)) == -ENOBUFS) {
		struct frame *v;

		assert_int_equal(cache_evict_begin(c, &v), 0);
		r->victim_fno = cache_frame_no(c, v);
		cache_frame_key(c, v, &r->victim_ino, &r->victim_pgno);
		assert_int_equal(cache_evict_end(c, v), 0);
		evicted = 1;
	}
	assert_true(rc == 0 || rc == 1);
	if (rc == 1)
		cache_load_done(c, fr, 0);
	r->fno = cache_frame_no(c, fr);
	cache_unpin(c, fr);
	return rc == 0 ? 0 : 1 + evicted;
}

/* cache_sim_access takes a direct path (no lock, no pins) through the
 * same structures; it must make the decisions the protocol path makes:
 * hit or miss, the victim, even the frame, at every step, for every
 * policy, with the counters agreeing at the end. */
static void test_policy_sim_access_matches_protocol(void **state)
{
	enum { N = 4000 };
	static uint64_t ino[N], pgno[N], next[N];

	(void)state;
	for (const struct policy_ops *const *p = policy_all(); *p; p++) {
		for (uint64_t seed = 1; seed <= 2; seed++) {
			uint32_t nframes = 3 + (uint32_t)seed * 9;
			struct cache *a = trace_cache((*p)->name, nframes);
			struct cache *b = trace_cache((*p)->name, nframes);
			struct cache_stats sa, sb;

			/* Three files, a hot set and a loop, as in a trace. */
			rng_state = seed * 1000 + 7;
			for (int i = 0; i < N; i++) {
				ino[i] = rng() % 3;
				pgno[i] = rng() % 3 ? rng() % 8 :
					  (uint64_t)i % 50;
			}
			for (int i = 0; i < N; i++) {
				next[i] = UINT64_MAX;
				for (int j = i + 1; j < N; j++)
					if (ino[j] == ino[i] &&
					    pgno[j] == pgno[i]) {
						next[i] = (uint64_t)j;
						break;
					}
			}
			for (int i = 0; i < N; i++) {
				struct cache_sim_result ra, rb;
				int rca, rcb;

				if (i + CACHE_SIM_AHEAD < N)	/* no effect */
					cache_sim_prefetch(a,
						ino[i + CACHE_SIM_AHEAD],
						pgno[i + CACHE_SIM_AHEAD]);
				cache_set_next_use(a, next[i]);
				cache_set_next_use(b, next[i]);
				rca = cache_sim_access(a, ino[i], pgno[i], &ra);
				rcb = protocol_access(b, ino[i], pgno[i], &rb);
				if (rca != rcb || ra.fno != rb.fno ||
				    (rca == 2 && (ra.victim_fno != rb.victim_fno ||
						  ra.victim_ino != rb.victim_ino ||
						  ra.victim_pgno !=
						  rb.victim_pgno)))
					fail_msg("%s, seed %llu, step %d: sim %d "
						 "(frame %u), protocol %d "
						 "(frame %u)", (*p)->name,
						 (unsigned long long)seed, i,
						 rca, ra.fno, rcb, rb.fno);
				if (i % 97 == 0)
					assert_int_equal(cache_check(a), 0);
			}
			assert_int_equal(cache_check(a), 0);
			cache_stats(a, &sa);
			cache_stats(b, &sb);
			assert_int_equal(sa.hits, sb.hits);
			assert_int_equal(sa.misses, sb.misses);
			assert_int_equal(sa.inserts, sb.inserts);
			assert_int_equal(sa.evictions, sb.evictions);
			assert_true(sa.evictions > 100);
			cache_free(a);
			cache_free(b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_fifo_belady_anomaly),
		cmocka_unit_test(test_policy_lru_no_anomaly),
		cmocka_unit_test(test_policy_lru_loop_misses_all),
		cmocka_unit_test(test_policy_textbook_fifo),
		cmocka_unit_test(test_policy_textbook_lru),
		cmocka_unit_test(test_policy_textbook_clock),
		cmocka_unit_test(test_policy_clock_skips_pinned),
		cmocka_unit_test(test_policy_conformance),
		cmocka_unit_test(test_policy_conformance_params),
		cmocka_unit_test(test_policy_parse_refuses_nan),
		cmocka_unit_test(test_policy_victim_never_busy),
		cmocka_unit_test(test_policy_metadata_budget),
		cmocka_unit_test(test_policy_sim_access_matches_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
