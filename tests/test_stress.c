/* test_stress.c - the cache core under threads, the way the daemon drives
 * it: FUSE workers reading and writing, an evictor that runs the two-step
 * eviction, a flusher, and truncations, all at once on a small pool.  Run
 * under TSan in CI.  Each loaded page carries its key in its first bytes;
 * every pinned frame a worker gets must carry the key it asked for. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "policy.h"
#include "rng.h"

enum { NFRAMES = 48, NFILES = 3, NPAGES = 40, NWORKERS = 3 };

#ifdef __SANITIZE_THREAD__
enum { OPS = 60000 };
#else
enum { OPS = 200000 };
#endif

struct world {
	struct cache *c;
	int stop;			/* atomic */
	uint64_t verified;		/* atomic: pages whose key matched */
	uint64_t switches;		/* atomic: cache_set_policy calls */
};

struct page_key { uint64_t ino, pgno; };

static void check_key(struct world *w, struct frame *fr, uint64_t ino,
		      uint64_t pgno)
{
	struct page_key k;

	memcpy(&k, cache_frame_data(w->c, fr), sizeof(k));
	if (k.ino != ino || k.pgno != pgno) {
		fprintf(stderr, "page %lu:%lu holds %lu:%lu\n",
			(unsigned long)ino, (unsigned long)pgno,
			(unsigned long)k.ino, (unsigned long)k.pgno);
		fail();
	}
	__atomic_fetch_add(&w->verified, 1, __ATOMIC_RELAXED);
}

static void flush_file(struct cache *c, uint64_t ino, uint64_t *seed)
{
	struct frame *wb[16];
	int n = cache_writeback_collect(c, ino, wb, 16);

	for (int i = 0; i < n; i++)
		cache_writeback_done(c, wb[i],
				     rng_splitmix64(seed) % 32 ? 0 : -EIO);
}

static void *worker(void *arg)
{
	struct world *w = arg;
	uint64_t seed = (uint64_t)pthread_self();

	for (int i = 0; i < OPS; i++) {
		uint64_t ino = rng_splitmix64(&seed) % NFILES;
		uint64_t pgno = rng_splitmix64(&seed) % NPAGES;
		bool write = rng_splitmix64(&seed) % 4 == 0;
		struct frame *fr;
		int rc;

		rc = cache_get(w->c, ino, pgno, write ? CACHE_WRITE : 0, &fr);
		if (rc == -ENOBUFS) {
			/* No free frame: evict one ourselves, or let the
			 * evictor and flusher catch up. */
			if (cache_evict_one(w->c) < 0)
				sched_yield();
			continue;
		}
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			struct page_key k = { ino, pgno };

			memcpy(cache_frame_data(w->c, fr), &k, sizeof(k));
			cache_load_done(w->c, fr, 0);
		}
		check_key(w, fr, ino, pgno);
		if (write)
			cache_mark_dirty(w->c, fr);
		cache_unpin(w->c, fr);
	}
	return NULL;
}

/* Keeps a few frames free, with an "invalidation" between the steps. */
static void *evictor(void *arg)
{
	struct world *w = arg;
	uint64_t seed = 7;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		struct cache_stats st;
		struct frame *v;
		uint64_t ino, pgno;
		int rc;

		cache_stats(w->c, &st);
		if (st.frames_free >= 8 || cache_evict_begin(w->c, &v) < 0) {
			sched_yield();
			continue;
		}
		cache_frame_key(w->c, v, &ino, &pgno);
		sched_yield();		/* the notify_inval_inode call */
		while ((rc = cache_evict_end(w->c, v)) == -EAGAIN)
			flush_file(w->c, ino, &seed);
		assert_true(rc == 0 || rc == -EBUSY);
	}
	return NULL;
}

static void *flusher(void *arg)
{
	struct world *w = arg;
	uint64_t seed = 11;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		uint64_t ino, when;

		if (cache_dirty_oldest(w->c, &ino, &when) == 0)
			flush_file(w->c, ino, &seed);
		else
			sched_yield();
	}
	return NULL;
}

static void *truncater(void *arg)
{
	struct world *w = arg;
	uint64_t seed = 13;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		cache_drop_file(w->c, rng_splitmix64(&seed) % NFILES,
				rng_splitmix64(&seed) % NPAGES);
		for (int i = 0; i < 50; i++)
			sched_yield();
	}
	return NULL;
}

/* Replaces the policy every 200 us, through every live-capable policy. */
static void *switcher(void *arg)
{
	struct world *w = arg;
	char err[160];

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		for (const struct policy_ops *const *p = policy_all(); *p;
		     p++) {
			if ((*p)->flags & POLICY_NEEDS_FUTURE)
				continue;
			if (cache_set_policy(w->c, (*p)->name, err,
					     sizeof(err)) != 0) {
				fprintf(stderr, "switch to %s: %s\n",
					(*p)->name, err);
				fail();
			}
			__atomic_fetch_add(&w->switches, 1, __ATOMIC_RELAXED);
			usleep(200);
		}
	}
	return NULL;
}

static void stress(const char *policy, bool switching)
{
	struct cache_config cfg = { .nframes = NFRAMES, .policy = policy };
	struct world w = { .c = cache_new(&cfg) };
	pthread_t wt[NWORKERS], et, ft, tt, st_switch;
	struct cache_stats st;
	uint64_t seed = 5;

	assert_non_null(w.c);
	pthread_create(&et, NULL, evictor, &w);
	pthread_create(&ft, NULL, flusher, &w);
	pthread_create(&tt, NULL, truncater, &w);
	if (switching)
		pthread_create(&st_switch, NULL, switcher, &w);
	for (int i = 0; i < NWORKERS; i++)
		pthread_create(&wt[i], NULL, worker, &w);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(wt[i], NULL);
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(et, NULL);
	pthread_join(ft, NULL);
	pthread_join(tt, NULL);
	if (switching) {
		pthread_join(st_switch, NULL);
		assert_true(w.switches > 10);
	}

	assert_int_equal(cache_check(w.c), 0);
	for (uint64_t ino = 0; ino < NFILES; ino++)
		while (cache_file_ndirty(w.c, ino))
			flush_file(w.c, ino, &seed);
	cache_stats(w.c, &st);
	/* Conservation: every frame that came in is resident or went out by
	 * eviction or truncation. */
	assert_int_equal(st.inserts, st.frames_resident + st.evictions +
				     st.drops + st.load_errors);
	assert_int_equal(st.frames_dirty, 0);
	/* Every lookup that returned a frame checked its key. */
	assert_int_equal(__atomic_load_n(&w.verified, __ATOMIC_RELAXED),
			 st.lookups);
	assert_true(st.evictions > 100);
	fprintf(stderr, "# %s: %llu lookups, %llu hits, %llu evictions "
		"(%llu dirty, %llu aborted), %llu drops, %llu writebacks\n",
		policy, (unsigned long long)st.lookups,
		(unsigned long long)st.hits,
		(unsigned long long)st.evictions,
		(unsigned long long)st.evictions_dirty,
		(unsigned long long)st.evict_aborts,
		(unsigned long long)st.drops,
		(unsigned long long)st.writebacks);
	assert_int_equal(cache_check(w.c), 0);
	cache_free(w.c);
}

static void test_stress_every_policy(void **state)
{
	(void)state;
	for (const struct policy_ops *const *p = policy_all(); *p; p++)
		stress((*p)->name, false);
}

/* The same workload while another thread replaces the policy over and
 * over (framefs's "policy NAME" control command): lockless hits may land in
 * a retired policy, every invariant must still hold. */
static void test_stress_policy_switch(void **state)
{
	(void)state;
	stress("clock", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_every_policy),
		cmocka_unit_test(test_stress_policy_switch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
