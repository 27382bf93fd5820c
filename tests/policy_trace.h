/* policy_trace.h - helpers for the per-policy tests: run a reference string
 * through a metadata-only cache the way framesim does, and check each
 * victim, the frames' contents and the policy's own view.  Include after
 * <cmocka.h>. */
#ifndef FRAMEFS_TESTS_POLICY_TRACE_H
#define FRAMEFS_TESTS_POLICY_TRACE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "policy.h"

#define NO_VICTIM UINT64_MAX	/* a hit, or a miss into a free frame */

static inline struct cache *trace_cache(const char *spec, uint32_t nframes)
{
	struct cache_config cfg = {
		.nframes = nframes, .policy = spec, .metadata_only = true,
	};
	struct cache *c = cache_new(&cfg);

	assert_non_null(c);
	return c;
}

/* One access of page pgno of file 0: returns 1 on a fault, 0 on a hit;
 * *victim gets the evicted page or NO_VICTIM.  Checks the cache after. */
static inline int trace_access(struct cache *c, uint64_t pgno,
			       uint64_t *victim)
{
	struct frame *fr;
	int rc;

	*victim = NO_VICTIM;
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
	cache_unpin(c, fr);
	assert_int_equal(cache_check(c), 0);
	return rc;
}

/* Runs refs[0..n-1] through c and checks that access i evicted victims[i]
 * (NO_VICTIM: none).  Returns the number of faults. */
static inline int trace_run(struct cache *c, const uint64_t *refs,
			    const uint64_t *victims, size_t n)
{
	int faults = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		faults += trace_access(c, refs[i], &v);
		if (v != victims[i])
			fail_msg("access %zu (page %llu): victim %lld, "
				 "expected %lld", i + 1,
				 (unsigned long long)refs[i],
				 v == NO_VICTIM ? -1LL : (long long)v,
				 victims[i] == NO_VICTIM ? -1LL :
				 (long long)victims[i]);
	}
	return faults;
}

static inline void trace_note(void *arg, uint32_t fno, uint64_t ino,
			      uint64_t pgno, enum frame_state s)
{
	(void)ino;
	(void)s;
	((uint64_t *)arg)[fno] = pgno;
}

/* Frame i holds page want[i] (NO_VICTIM: free). */
static inline void trace_frames_hold(struct cache *c, uint32_t n,
				     const uint64_t *want)
{
	uint64_t *got = malloc(n * sizeof(*got));

	assert_non_null(got);
	for (uint32_t i = 0; i < n; i++)
		got[i] = NO_VICTIM;
	cache_foreach_frame(c, trace_note, got);
	for (uint32_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("frame %u holds %lld, expected %lld", i,
				 got[i] == NO_VICTIM ? -1LL : (long long)got[i],
				 want[i] == NO_VICTIM ? -1LL :
				 (long long)want[i]);
	free(got);
}

/* The policy's one-line view (cache_policy_show) is exactly want. */
static inline void trace_show_is(struct cache *c, const char *want)
{
	char buf[512];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	cache_policy_show(c, f);
	fclose(f);
	assert_string_equal(buf, want);
}

/* A pinned frame of a resident page (cache_lookup: the hit path, which
 * counts as a reference).  Unpin with cache_unpin. */
static inline struct frame *trace_pin(struct cache *c, uint64_t pgno)
{
	struct frame *fr = cache_lookup(c, 0, pgno, 0);

	assert_non_null(fr);
	return fr;
}

/* Marks a resident page dirty (a write through the hit path). */
static inline void trace_dirty(struct cache *c, uint64_t pgno)
{
	struct frame *fr = trace_pin(c, pgno);

	cache_mark_dirty(c, fr);
	cache_unpin(c, fr);
}

/* Writes back every dirty page of file 0. */
static inline void trace_flush(struct cache *c)
{
	struct frame *wb[16];
	int n;

	while ((n = cache_writeback_collect(c, 0, wb, 16)) > 0)
		for (int i = 0; i < n; i++)
			cache_writeback_done(c, wb[i], 0);
}

#endif
