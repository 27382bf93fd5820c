/* test_cache.c - the cache core: configuration, the frame life cycle,
 * the eviction protocol, write-back and its errors, truncation, counters. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "cache_sim.h"

static struct cache *new_cache(const char *policy, uint32_t nframes,
			       bool meta)
{
	struct cache_config cfg = {
		.nframes = nframes, .policy = policy, .metadata_only = meta,
	};
	struct cache *c = cache_new(&cfg);

	assert_non_null(c);
	return c;
}

/* Brings (ino, pgno) in, clean, and returns it pinned. */
static struct frame *load(struct cache *c, uint64_t ino, uint64_t pgno)
{
	struct frame *fr;

	assert_int_equal(cache_get(c, ino, pgno, 0, &fr), 1);
	assert_int_equal(cache_frame_state(c, fr), FRAME_LOADING);
	cache_load_done(c, fr, 0);
	assert_int_equal(cache_frame_state(c, fr), FRAME_CLEAN);
	return fr;
}

static void test_cache_config_errors(void **state)
{
	struct cache_config bad_size = { .nframes = 4, .page_size = 3000 };
	struct cache_config small = { .nframes = 4, .page_size = 256 };
	struct cache_config none = { .nframes = 0 };
	struct cache_config unknown = { .nframes = 4, .policy = "nosuch" };
	struct cache_config big_page = { .nframes = 4, .page_size = 65536 };
	struct cache *c;

	(void)state;
	errno = 0;
	assert_null(cache_new(&bad_size));
	assert_int_equal(errno, EINVAL);
	assert_null(cache_new(&small));
	assert_null(cache_new(&none));
	assert_null(cache_new(&unknown));
	assert_int_equal(errno, EINVAL);
	c = cache_new(&big_page);
	assert_non_null(c);
	assert_int_equal(cache_page_size(c), 65536);
	assert_string_equal(cache_policy_name(c), "lru");	/* default */
	cache_free(c);
	cache_free(NULL);
}

/* Each frame owns its own page of data; metadata-only has none. */
static void test_cache_frame_data(void **state)
{
	struct cache *c = new_cache("fifo", 8, false);
	struct cache *m = new_cache("fifo", 8, true);
	struct frame *a = load(c, 1, 0), *b = load(c, 1, 1);
	struct frame *x = load(m, 1, 0);
	unsigned char *pa = cache_frame_data(c, a), *pb = cache_frame_data(c, b);

	(void)state;
	assert_non_null(pa);
	assert_true(pa + 4096 == pb || pb + 4096 == pa);
	memset(pa, 0xaa, 4096);
	memset(pb, 0x55, 4096);
	assert_int_equal(pa[4095], 0xaa);
	assert_null(cache_frame_data(m, x));
	cache_unpin(c, a);
	cache_unpin(c, b);
	cache_unpin(m, x);
	cache_free(c);
	cache_free(m);
}

/* Miss, hit, absent, full. */
static void test_cache_get_lookup(void **state)
{
	struct cache *c = new_cache("lru", 2, true);
	struct frame *a, *b, *fr;
	struct cache_stats st;
	uint64_t ino, pgno;

	(void)state;
	assert_null(cache_lookup(c, 1, 0, 0));
	assert_int_equal(cache_get(c, 1, 0, CACHE_NOCREATE, &fr), -ENOENT);
	a = load(c, 1, 0);
	b = load(c, 2, 0);		/* same pgno, other file */
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(cache_lookup(c, 1, 0, 0), a);
	assert_int_equal(cache_get(c, 2, 0, 0, &fr), 0);
	assert_ptr_equal(fr, b);
	cache_frame_key(c, fr, &ino, &pgno);
	assert_true(ino == 2 && pgno == 0);
	assert_int_equal(cache_get(c, 3, 0, 0, &fr), -ENOBUFS);
	cache_unpin(c, a);
	cache_unpin(c, a);
	cache_unpin(c, b);
	cache_unpin(c, b);
	cache_stats(c, &st);
	/* misses: lookup(1,0), NOCREATE, two loads; hits: lookup, get. */
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.inserts, 2);
	assert_int_equal(st.pins, 4);
	assert_int_equal(st.frames_resident, 2);
	assert_int_equal(st.files, 2);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* A failed load frees the frame; the next access loads again. */
static void test_cache_load_error(void **state)
{
	struct cache *c = new_cache("clock", 2, true);
	struct frame *fr;
	struct cache_stats st;

	(void)state;
	assert_int_equal(cache_get(c, 1, 5, 0, &fr), 1);
	cache_load_done(c, fr, -EIO);
	assert_int_equal(cache_check(c), 0);
	assert_null(cache_lookup(c, 1, 5, 0));
	assert_int_equal(cache_get(c, 1, 5, 0, &fr), 1);
	cache_load_done(c, fr, 0);
	cache_unpin(c, fr);
	cache_stats(c, &st);
	assert_int_equal(st.load_errors, 1);
	assert_int_equal(st.frames_resident, 1);
	cache_free(c);
}

/* A thread asking for a page another thread is loading waits for it and
 * then hits, instead of loading it twice. */
struct waiter { struct cache *c; int rc; struct frame *fr; };

static void *wait_for_page(void *arg)
{
	struct waiter *w = arg;

	w->rc = cache_get(w->c, 1, 9, 0, &w->fr);
	if (w->rc == 0)
		cache_unpin(w->c, w->fr);
	return NULL;
}

static void test_cache_waits_for_loading(void **state)
{
	struct cache *c = new_cache("lru", 4, true);
	struct waiter w = { .c = c, .rc = -1 };
	struct frame *fr;
	pthread_t t;

	(void)state;
	assert_int_equal(cache_get(c, 1, 9, 0, &fr), 1);
	pthread_create(&t, NULL, wait_for_page, &w);
	usleep(50 * 1000);
	assert_int_equal(__atomic_load_n(&w.rc, __ATOMIC_SEQ_CST), -1);
	cache_load_done(c, fr, 0);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, 0);
	assert_ptr_equal(w.fr, fr);
	cache_unpin(c, fr);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* DESIGN.md's eviction protocol, step by step. */
static void test_cache_evict_revived_by_read(void **state)
{
	struct cache *c = new_cache("fifo", 2, true);
	struct frame *fr = load(c, 1, 0), *v, *r;
	struct cache_stats st;

	(void)state;
	cache_unpin(c, fr);
	assert_int_equal(cache_evict_begin(c, &v), 0);
	assert_ptr_equal(v, fr);
	assert_int_equal(cache_frame_state(c, v), FRAME_EVICTING);
	r = cache_lookup(c, 1, 0, 0);		/* a READ serves the page */
	assert_ptr_equal(r, v);
	cache_unpin(c, r);
	assert_int_equal(cache_evict_end(c, v), -EBUSY);
	assert_int_equal(cache_frame_state(c, v), FRAME_CLEAN);
	assert_ptr_equal(cache_lookup(c, 1, 0, 0), v);
	cache_unpin(c, v);
	cache_stats(c, &st);
	assert_int_equal(st.evict_aborts, 1);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

static void test_cache_evict_dirtied_during_inval(void **state)
{
	struct cache *c = new_cache("lru", 2, true);
	struct frame *fr = load(c, 1, 3), *v, *w, *wb[2];
	struct cache_stats st;

	(void)state;
	cache_unpin(c, fr);
	assert_int_equal(cache_evict_begin(c, &v), 0);
	/* The kernel writes its dirty copy back while we invalidate: a WRITE
	 * does not count as a new use of the page. */
	w = cache_lookup(c, 1, 3, CACHE_WRITE);
	assert_ptr_equal(w, v);
	cache_mark_dirty(c, w);
	cache_unpin(c, w);
	assert_int_equal(cache_frame_state(c, v), FRAME_EVICTING);
	assert_int_equal(cache_evict_end(c, v), -EAGAIN);	/* write first */
	assert_int_equal(cache_file_ndirty(c, 1), 1);
	assert_int_equal(cache_writeback_collect(c, 1, wb, 2), 1);
	assert_ptr_equal(wb[0], v);
	cache_writeback_done(c, wb[0], 0);
	assert_int_equal(cache_evict_end(c, v), 0);
	assert_null(cache_lookup(c, 1, 3, 0));
	cache_stats(c, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.evictions_dirty, 1);
	assert_int_equal(st.writebacks, 1);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* A write that is copying in (pinned, not yet dirty) is waited for. */
struct late_writer { struct cache *c; struct frame *fr; };

static void *write_late(void *arg)
{
	struct late_writer *lw = arg;

	usleep(50 * 1000);
	cache_mark_dirty(lw->c, lw->fr);
	cache_unpin(lw->c, lw->fr);
	return NULL;
}

static void test_cache_evict_waits_for_writer(void **state)
{
	struct cache *c = new_cache("clock", 2, true);
	struct frame *fr = load(c, 1, 0), *v;
	struct late_writer lw = { .c = c };
	pthread_t t;

	(void)state;
	cache_unpin(c, fr);
	assert_int_equal(cache_evict_begin(c, &v), 0);
	lw.fr = cache_lookup(c, 1, 0, CACHE_WRITE);
	assert_ptr_equal(lw.fr, v);
	cache_pin(c, lw.fr);		/* hand it to the writer thread */
	cache_unpin(c, lw.fr);
	pthread_create(&t, NULL, write_late, &lw);
	assert_int_equal(cache_evict_end(c, v), -EAGAIN);
	pthread_join(t, NULL);
	cache_evict_cancel(c, v);
	assert_int_equal(cache_frame_state(c, v), FRAME_DIRTY);
	assert_int_equal(cache_check(c), 0);
	cache_drop_file(c, 1, 0);
	cache_free(c);
}

/* Truncate meets an eviction in progress: the drop does not wait (the
 * eviction may be waiting, in the kernel, for the truncate); the frame
 * leaves the index at once and the evictor frees it at evict_end, dirty
 * or not, pinned by a late writer or not. */
static void test_cache_drop_dooms_evicting(void **state)
{
	struct cache *c = new_cache("lru", 4, true);
	struct frame *fr = load(c, 1, 5), *v, *w;
	struct cache_stats st;

	(void)state;
	cache_unpin(c, fr);
	fr = load(c, 1, 1);
	cache_unpin(c, fr);
	assert_int_equal(cache_evict_begin(c, &v), 0);	/* page 5: LRU */
	w = cache_lookup(c, 1, 5, CACHE_WRITE);		/* kernel write-back */
	assert_ptr_equal(w, v);
	assert_int_equal(cache_drop_file(c, 1, 2), 1);	/* returns at once */
	assert_null(cache_lookup(c, 1, 5, CACHE_WRITE));
	assert_int_equal(cache_file_nresident(c, 1), 1);
	assert_int_equal(cache_check(c), 0);
	cache_mark_dirty(c, w);		/* past the end: ignored */
	assert_int_equal(cache_file_ndirty(c, 1), 0);
	cache_unpin(c, w);
	assert_int_equal(cache_evict_end(c, v), 0);
	cache_stats(c, &st);
	assert_int_equal(st.frames_free, 3);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(st.drops, 1);
	assert_int_equal(cache_check(c), 0);
	/* The page can be loaded again, as new. */
	fr = NULL;
	assert_int_equal(cache_get(c, 1, 5, 0, &fr), 1);
	cache_load_done(c, fr, 0);
	cache_unpin(c, fr);
	/* And cancel frees a doomed frame too. */
	assert_int_equal(cache_evict_begin(c, &v), 0);
	/* The victim is page 1 (least recent): doomed; page 5 dropped. */
	assert_int_equal(cache_drop_file(c, 1, 0), 2);
	cache_evict_cancel(c, v);
	cache_stats(c, &st);
	assert_int_equal(st.frames_free, 4);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* Dirty and pinned frames are never victims; the core says why. */
static void test_cache_evict_reports_why(void **state)
{
	struct cache *c = new_cache("lru", 2, true);
	struct frame *a = load(c, 1, 0), *b = load(c, 1, 1), *v;

	(void)state;
	assert_int_equal(cache_evict_begin(c, &v), -EBUSY);	/* pinned */
	cache_mark_dirty(c, a);
	cache_unpin(c, a);
	/* b is pinned, a is dirty: flushing a would help. */
	assert_int_equal(cache_evict_begin(c, &v), -EAGAIN);
	cache_mark_dirty(c, b);
	cache_unpin(c, b);
	assert_int_equal(cache_evict_begin(c, &v), -EAGAIN);	/* flush! */
	assert_int_equal(cache_check(c), 0);
	cache_drop_file(c, 1, 0);
	assert_int_equal(cache_evict_begin(c, &v), -ENOENT);
	cache_free(c);
}

/* Write-back: sorted for coalescing, re-dirty during write-back, errors
 * kept dirty and reported once per open file (errseq). */
static void test_cache_writeback(void **state)
{
	struct cache *c = new_cache("fifo", 8, true);
	uint64_t order[] = { 7, 2, 5, 0 };
	struct frame *fr[4], *wb[8];
	uint32_t seen_a = 0, seen_b = 0;
	uint64_t ino, when;
	int n;

	(void)state;
	assert_int_equal(cache_dirty_oldest(c, &ino, &when), -ENOENT);
	for (int i = 0; i < 4; i++) {
		fr[i] = load(c, 4, order[i]);
		cache_mark_dirty(c, fr[i]);
		cache_unpin(c, fr[i]);
	}
	fr[0] = load(c, 9, 0);
	cache_mark_dirty(c, fr[0]);
	cache_unpin(c, fr[0]);
	assert_int_equal(cache_dirty_oldest(c, &ino, &when), 0);
	assert_int_equal(ino, 4);			/* dirtied first */
	assert_int_equal(cache_file_ndirty(c, 4), 4);

	n = cache_writeback_collect(c, 4, wb, 8);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++) {
		static const uint64_t sorted[] = { 0, 2, 5, 7 };
		uint64_t i2, p;

		cache_frame_key(c, wb[i], &i2, &p);
		assert_int_equal(p, sorted[i]);
	}
	/* Collected frames are not collected twice. */
	assert_int_equal(cache_writeback_collect(c, 4, wb + 4, 4), 0);
	/* Page 2 is written again while on its way to the store. */
	cache_pin(c, wb[1]);
	cache_mark_dirty(c, wb[1]);
	cache_unpin(c, wb[1]);
	cache_writeback_done(c, wb[0], 0);
	cache_writeback_done(c, wb[1], 0);
	cache_writeback_done(c, wb[2], -ENOSPC);
	cache_writeback_done(c, wb[3], 0);
	assert_int_equal(cache_check(c), 0);
	assert_int_equal(cache_file_ndirty(c, 4), 2);	/* 2 again, 5 failed */
	assert_int_equal(cache_frame_state(c, wb[1]), FRAME_DIRTY);
	assert_int_equal(cache_frame_state(c, wb[2]), FRAME_DIRTY);
	assert_int_equal(cache_frame_state(c, wb[0]), FRAME_CLEAN);
	/* A file whose write-back failed goes behind the other dirty
	 * files, as old as it was; at the tail it stays. */
	{
		uint64_t when4, when9;

		assert_int_equal(cache_dirty_oldest(c, &ino, &when4), 0);
		assert_int_equal(ino, 4);
		cache_dirty_later(c, 4);
		assert_int_equal(cache_dirty_oldest(c, &ino, &when9), 0);
		assert_int_equal(ino, 9);
		cache_dirty_later(c, 9);
		assert_int_equal(cache_dirty_oldest(c, &ino, &when), 0);
		assert_int_equal(ino, 4);
		assert_int_equal(when, when4);
		cache_dirty_later(c, 9);	/* already last */
		assert_int_equal(cache_dirty_oldest(c, &ino, &when), 0);
		assert_int_equal(ino, 4);
		assert_int_equal(cache_check(c), 0);
	}

	/* Two open files sampled before the error each see it once; one
	 * opened after does not. */
	{
		uint32_t seen_c = cache_file_error_seq(c, 4);

		assert_int_equal(cache_file_error(c, 4, &seen_a), -ENOSPC);
		assert_int_equal(cache_file_error(c, 4, &seen_a), 0);
		assert_int_equal(cache_file_error(c, 4, &seen_b), -ENOSPC);
		assert_int_equal(cache_file_error(c, 4, &seen_c), 0);
	}
	/* The retry succeeds; nothing was dropped. */
	n = cache_writeback_collect(c, 4, wb, 8);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++)
		cache_writeback_done(c, wb[i], 0);
	assert_int_equal(cache_file_ndirty(c, 4), 0);
	assert_int_equal(cache_dirty_oldest(c, &ino, &when), 0);
	assert_int_equal(ino, 9);
	assert_int_equal(cache_check(c), 0);
	/* The error record outlives the frames until the file is forgotten. */
	cache_drop_file(c, 4, 0);
	assert_int_equal(cache_file_error_seq(c, 4), 1);
	cache_file_forget(c, 4);
	assert_int_equal(cache_file_error_seq(c, 4), 0);
	cache_drop_file(c, 9, 0);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* Truncation drops frames past the new end, dirty ones too, and waits for a
 * frame another thread has pinned. */
struct holder { struct cache *c; struct frame *fr; };

static void *unpin_late(void *arg)
{
	struct holder *h = arg;

	usleep(50 * 1000);
	cache_unpin(h->c, h->fr);
	return NULL;
}

static void test_cache_drop_file(void **state)
{
	struct cache *c = new_cache("lru", 16, false);
	struct holder h = { .c = c };
	struct cache_stats st;
	pthread_t t;

	(void)state;
	for (uint64_t p = 0; p < 10; p++) {
		struct frame *fr = load(c, 3, p);

		if (p % 2)
			cache_mark_dirty(c, fr);
		cache_unpin(c, fr);
	}
	/* Hand a pin to another thread: a counted one, via cache_pin. */
	h.fr = cache_lookup(c, 3, 8, 0);
	cache_pin(c, h.fr);
	cache_unpin(c, h.fr);
	pthread_create(&t, NULL, unpin_late, &h);
	assert_int_equal(cache_drop_file(c, 3, 6), 4);	/* 6 7 8 9 */
	pthread_join(t, NULL);
	assert_int_equal(cache_file_nresident(c, 3), 6);
	assert_int_equal(cache_file_ndirty(c, 3), 3);	/* 1 3 5 */
	assert_null(cache_lookup(c, 3, 8, 0));
	assert_int_equal(cache_check(c), 0);
	assert_int_equal(cache_drop_file(c, 3, 0), 6);
	cache_stats(c, &st);
	assert_int_equal(st.drops, 10);
	assert_int_equal(st.frames_dirty, 0);
	assert_int_equal(st.files, 0);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* A hole punched in a file: the frames of [2, 6) go, dirty or not, and
 * only they.  The drop waits for a pin another thread holds in the range;
 * it does not wait for an eviction in the range, whose frame, dirtied by
 * the kernel's write-back during invalidation, is doomed and freed at
 * evict_end, never written back; an eviction outside the range ends as
 * usual. */
static void test_cache_drop_range(void **state)
{
	struct cache *c = new_cache("lru", 16, false);
	struct holder h = { .c = c };
	struct frame *fr, *v_in, *v_out, *w, *wb[16];
	struct cache_stats st;
	uint64_t ino, pgno;
	pthread_t t;
	int n;

	(void)state;
	/* Page 4 first, then 0 (the two least recent), then the others;
	 * odd pages dirty. */
	cache_unpin(c, load(c, 3, 4));
	cache_unpin(c, load(c, 3, 0));
	for (uint64_t p = 1; p < 10; p++) {
		if (p == 4)
			continue;
		fr = load(c, 3, p);
		if (p % 2)
			cache_mark_dirty(c, fr);
		cache_unpin(c, fr);
	}
	assert_int_equal(cache_evict_begin(c, &v_in), 0);
	cache_frame_key(c, v_in, &ino, &pgno);
	assert_int_equal(pgno, 4);
	/* The kernel writes page 4 back into its frame while invalidating. */
	w = cache_lookup(c, 3, 4, CACHE_WRITE);
	assert_ptr_equal(w, v_in);
	cache_mark_dirty(c, w);
	cache_unpin(c, w);
	assert_int_equal(cache_evict_begin(c, &v_out), 0);
	cache_frame_key(c, v_out, &ino, &pgno);
	assert_int_equal(pgno, 0);
	/* Page 3, dirty, pinned by another thread for 50 ms. */
	h.fr = cache_lookup(c, 3, 3, 0);
	cache_pin(c, h.fr);
	cache_unpin(c, h.fr);
	pthread_create(&t, NULL, unpin_late, &h);
	assert_int_equal(cache_drop_range(c, 3, 2, 6), 4);	/* 2 3 4 5 */
	pthread_join(t, NULL);
	for (uint64_t p = 2; p < 6; p++)
		assert_null(cache_lookup(c, 3, p, CACHE_WRITE));
	assert_int_equal(cache_file_nresident(c, 3), 6);	/* 0 1 6-9 */
	assert_int_equal(cache_file_ndirty(c, 3), 3);		/* 1 7 9 */
	assert_int_equal(cache_check(c), 0);
	/* The doomed frame is freed, not written back; the other eviction
	 * goes on. */
	assert_int_equal(cache_evict_end(c, v_in), 0);
	assert_int_equal(cache_evict_end(c, v_out), 0);
	assert_int_equal(cache_check(c), 0);
	n = cache_writeback_collect(c, 3, wb, 16);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		cache_frame_key(c, wb[i], &ino, &pgno);
		assert_true(pgno == 1 || pgno == 7 || pgno == 9);
		cache_writeback_done(c, wb[i], 0);
	}
	cache_stats(c, &st);
	assert_int_equal(st.drops, 4);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.frames_resident, 5);		/* 1 6-9 */
	assert_int_equal(st.frames_free, 11);
	/* An empty range drops nothing; the open-ended one is truncate. */
	assert_int_equal(cache_drop_range(c, 3, 7, 7), 0);
	assert_int_equal(cache_drop_range(c, 3, 2, 6), 0);
	assert_int_equal(cache_drop_file(c, 3, 8), 2);		/* 8 9 */
	assert_int_equal(cache_drop_range(c, 3, 0, UINT64_MAX), 3);
	assert_int_equal(cache_check(c), 0);
	cache_stats(c, &st);
	assert_int_equal(st.files, 0);
	cache_free(c);
}

/* Hit pins live in per-thread slots (4 of them); more pins than that are
 * counted in the frame.  Either kind keeps a frame from being evicted. */
static void test_cache_hit_pins_beyond_slots(void **state)
{
	struct cache *c = new_cache("fifo", 8, true);
	struct frame *fr[8], *v;

	(void)state;
	for (uint64_t p = 0; p < 8; p++)
		cache_unpin(c, load(c, 1, p));
	for (uint64_t p = 0; p < 8; p++)
		assert_non_null(fr[p] = cache_lookup(c, 1, p, 0));
	assert_int_equal(cache_evict_begin(c, &v), -EBUSY);
	cache_unpin(c, fr[5]);			/* a counted one */
	assert_int_equal(cache_evict_begin(c, &v), 0);
	assert_ptr_equal(v, fr[5]);
	assert_int_equal(cache_evict_end(c, v), 0);
	cache_unpin(c, fr[0]);			/* a slot one */
	assert_int_equal(cache_evict_begin(c, &v), 0);
	assert_ptr_equal(v, fr[0]);
	assert_int_equal(cache_evict_end(c, v), 0);
	for (uint64_t p = 1; p < 8; p++)
		if (p != 5)
			cache_unpin(c, fr[p]);
	assert_int_equal(cache_check(c), 0);
	while (cache_evict_one(c) == 0)
		;
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* Truncation waits for a hit pin another thread holds in its slot. */
struct slot_holder {
	struct cache *c;
	int pinned;			/* atomic */
	int released;			/* atomic */
};

static void *hold_hit_pin(void *arg)
{
	struct slot_holder *h = arg;
	struct frame *fr = cache_lookup(h->c, 2, 1, 0);

	assert_non_null(fr);
	__atomic_store_n(&h->pinned, 1, __ATOMIC_SEQ_CST);
	usleep(50 * 1000);
	__atomic_store_n(&h->released, 1, __ATOMIC_SEQ_CST);
	cache_unpin(h->c, fr);
	return NULL;
}

static void test_cache_drop_waits_for_hit_pin(void **state)
{
	struct cache *c = new_cache("clock", 4, true);
	struct slot_holder h = { .c = c };
	pthread_t t;

	(void)state;
	cache_unpin(c, load(c, 2, 0));
	cache_unpin(c, load(c, 2, 1));
	pthread_create(&t, NULL, hold_hit_pin, &h);
	while (!__atomic_load_n(&h.pinned, __ATOMIC_SEQ_CST))
		usleep(1000);
	assert_int_equal(cache_drop_file(c, 2, 0), 2);
	assert_int_equal(__atomic_load_n(&h.released, __ATOMIC_SEQ_CST), 1);
	pthread_join(t, NULL);
	assert_int_equal(cache_file_nresident(c, 2), 0);
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

/* Hit pins are invisible to the policy, so it may offer hit-pinned frames
 * first; evict_begin must pass over all of them (12 here, the 12 oldest)
 * and find the evictable ones behind. */
struct pin_four {
	struct cache *c;
	uint64_t first;
	int *ready, *go;		/* atomic */
};

static void *pin_four_pages(void *arg)
{
	struct pin_four *p = arg;
	struct frame *fr[4];

	for (int i = 0; i < 4; i++)
		assert_non_null(fr[i] = cache_lookup(p->c, 1, p->first + i, 0));
	__atomic_add_fetch(p->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(p->go, __ATOMIC_SEQ_CST))
		usleep(1000);
	for (int i = 0; i < 4; i++)
		cache_unpin(p->c, fr[i]);
	return NULL;
}

static void test_cache_evict_passes_hit_pins(void **state)
{
	(void)state;
	for (int k = 0; k < 3; k++) {
		const char *policy = (const char *[]){ "fifo", "lru",
						       "clock" }[k];
		struct cache *c = new_cache(policy, 32, true);
		int ready = 0, go = 0;
		struct pin_four p[3];
		pthread_t t[3];
		struct frame *v;
		uint64_t ino, pgno;

		for (uint64_t pg = 0; pg < 32; pg++)
			cache_unpin(c, load(c, 1, pg));
		for (int i = 0; i < 3; i++) {
			p[i] = (struct pin_four){ c, 4 * (uint64_t)i, &ready,
						  &go };
			pthread_create(&t[i], NULL, pin_four_pages, &p[i]);
		}
		while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < 3)
			usleep(1000);
		for (int n = 0; n < 20; n++) {
			assert_int_equal(cache_evict_begin(c, &v), 0);
			cache_frame_key(c, v, &ino, &pgno);
			assert_true(pgno >= 12);
			assert_int_equal(cache_evict_end(c, v), 0);
		}
		assert_int_equal(cache_evict_begin(c, &v), -EBUSY);
		__atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
		for (int i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(cache_check(c), 0);
		cache_free(c);
	}
}

static void test_cache_stats_print(void **state)
{
	struct cache *c = new_cache("clock", 4, true);
	struct cache_stats st;
	char buf[2048] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	(void)state;
	cache_unpin(c, load(c, 1, 1));
	cache_stats(c, &st);
	cache_stats_print(&st, f);
	fclose(f);
	assert_non_null(strstr(buf, "frames_total 4\n"));
	assert_non_null(strstr(buf, "frames_free 3\n"));
	assert_non_null(strstr(buf, "misses 1\n"));
	assert_non_null(strstr(buf, "evictions_dirty 0\n"));
	cache_free(c);
}

/* The simulator's access among the other calls of one thread: a hit, a
 * miss into a free frame, an eviction (the victim reported), a page being
 * evicted (the access revives it, as a read would), dirty frames (no
 * victim: -EAGAIN, as cache_evict_begin says), and the counters. */
static void test_cache_sim_access_states(void **state)
{
	struct cache *c = new_cache("fifo", 2, true);
	struct cache_sim_result r;
	struct cache_stats st;
	struct frame *v, *fr;

	(void)state;
	assert_int_equal(cache_sim_access(c, 1, 0, &r), 1);
	assert_int_equal(cache_sim_access(c, 1, 1, &r), 1);
	assert_int_equal(cache_sim_access(c, 1, 0, &r), 0);
	/* FIFO: page 0 came first, it goes. */
	assert_int_equal(cache_sim_access(c, 1, 2, &r), 2);
	assert_true(r.victim_ino == 1 && r.victim_pgno == 0);
	assert_int_equal(r.fno, r.victim_fno);
	assert_int_equal(cache_check(c), 0);

	/* Page 1 is next; while it is being evicted, the simulator uses it:
	 * the eviction aborts. */
	assert_int_equal(cache_evict_begin(c, &v), 0);
	assert_int_equal(cache_sim_access(c, 1, 1, &r), 0);
	assert_int_equal(r.fno, cache_frame_no(c, v));
	assert_int_equal(cache_evict_end(c, v), -EBUSY);
	assert_int_equal(cache_frame_state(c, v), FRAME_CLEAN);
	assert_int_equal(cache_check(c), 0);

	/* Both frames dirty: nothing to evict until they are written. */
	for (uint64_t p = 1; p <= 2; p++) {
		fr = cache_lookup(c, 1, p, CACHE_WRITE);
		assert_non_null(fr);
		cache_mark_dirty(c, fr);
		cache_unpin(c, fr);
	}
	assert_int_equal(cache_sim_access(c, 1, 3, &r), -EAGAIN);
	assert_int_equal(cache_sim_access(c, 1, 2, &r), 0);	/* hits do */
	{
		struct frame *wb[2];
		int n = cache_writeback_collect(c, 1, wb, 2);

		assert_int_equal(n, 2);
		for (int i = 0; i < n; i++)
			cache_writeback_done(c, wb[i], 0);
	}
	assert_int_equal(cache_sim_access(c, 1, 3, &r), 2);
	assert_int_equal(cache_check(c), 0);

	/* Hits: two by the simulator, one by it through the protocol path
	 * (the revival), two by the lookups that wrote.  A refused access
	 * (-EAGAIN) counts nothing, as on the protocol path. */
	cache_stats(c, &st);
	assert_int_equal(st.hits, 5);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.inserts, 4);
	assert_int_equal(st.evictions, 2);
	assert_int_equal(st.evict_aborts, 1);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_config_errors),
		cmocka_unit_test(test_cache_frame_data),
		cmocka_unit_test(test_cache_get_lookup),
		cmocka_unit_test(test_cache_load_error),
		cmocka_unit_test(test_cache_waits_for_loading),
		cmocka_unit_test(test_cache_evict_revived_by_read),
		cmocka_unit_test(test_cache_evict_dirtied_during_inval),
		cmocka_unit_test(test_cache_evict_waits_for_writer),
		cmocka_unit_test(test_cache_evict_reports_why),
		cmocka_unit_test(test_cache_writeback),
		cmocka_unit_test(test_cache_drop_file),
		cmocka_unit_test(test_cache_drop_range),
		cmocka_unit_test(test_cache_hit_pins_beyond_slots),
		cmocka_unit_test(test_cache_drop_waits_for_hit_pin),
		cmocka_unit_test(test_cache_evict_passes_hit_pins),
		cmocka_unit_test(test_cache_stats_print),
		cmocka_unit_test(test_cache_drop_dooms_evicting),
		cmocka_unit_test(test_cache_sim_access_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
