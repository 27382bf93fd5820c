/* policy_trace.h - helpers for the per-policy tests: run a reference string
 * through a metadata-only cache the way framesim does, and check each
 * victim, the frames' contents and the policy's own view.  Include after
 * <cmocka.h>; every failure goes through cmocka.
 *
 *   trace_rng(&state)                 splitmix64: seeded, portable
 *   trace_cache(spec, nframes)        a metadata-only cache
 *   trace_access(c, pgno, &victim)    one access; 1 fault, 0 hit
 *   trace_access_pin(c, .., &held)    the same, the frame left pinned
 *   trace_fault_pinned(c, pgno)       a fault whose frame stays pinned
 *   trace_evict(c)                    one eviction by hand: its pgno
 *   trace_run(c, refs, victims, n)    a string, each victim checked
 *   trace_steps(c, steps, n)          a string, each fault, victim and
 *                                     show() line checked
 *   trace_steps_on(spec, .., faults)  the same on a new cache, and the total
 *   trace_show(c) / trace_show_is()   the policy's one-line view
 *   trace_frames_hold(c, n, want)     what each frame holds
 *   trace_pin / trace_dirty / trace_flush   the hit path, writes
 *   struct klist                      a plain array of keys, oldest first,
 *                                     for the models the tests check
 *                                     against: klist_find, _del, _push, _fmt
 *
 * Every page is of file 0. */
#ifndef FRAMEFS_TESTS_POLICY_TRACE_H
#define FRAMEFS_TESTS_POLICY_TRACE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "policy.h"
#include "rng.h"

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

/* splitmix64 (common/rng.h): any seed, including 0. */
static inline uint64_t trace_rng(uint64_t *state)
{
	return rng_splitmix64(state);
}

/* One access of page pgno as the simulator makes it, evicting on
 * -ENOBUFS: returns 1 on a fault, 0 on a hit; *victim gets the evicted
 * page or NO_VICTIM.  With held, the frame stays pinned and *held gets it
 * (unpin with cache_unpin); without, it is unpinned.  Checks the cache
 * after. */
static inline int trace_access_pin(struct cache *c, uint64_t pgno,
				   uint64_t *victim, struct frame **held)
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
	if (held)
		*held = fr;
	else
		cache_unpin(c, fr);
	assert_int_equal(cache_check(c), 0);
	return rc;
}

/* trace_access_pin with the frame unpinned. */
static inline int trace_access(struct cache *c, uint64_t pgno,
			       uint64_t *victim)
{
	return trace_access_pin(c, pgno, victim, NULL);
}

/* The fault of page pgno, its frame kept pinned from the load: a pin
 * taken later, by the hit path, would count as a reference.  Unpin with
 * cache_unpin. */
static inline struct frame *trace_fault_pinned(struct cache *c, uint64_t pgno)
{
	struct frame *fr;

	assert_int_equal(cache_get(c, 0, pgno, 0, &fr), 1);
	cache_load_done(c, fr, 0);
	assert_int_equal(cache_check(c), 0);
	return fr;
}

/* Evicts one page with cache_evict_begin/_end; returns its pgno. */
static inline uint64_t trace_evict(struct cache *c)
{
	struct frame *v;
	uint64_t ino, pgno;

	assert_int_equal(cache_evict_begin(c, &v), 0);
	cache_frame_key(c, v, &ino, &pgno);
	assert_int_equal(cache_evict_end(c, v), 0);
	assert_int_equal(cache_check(c), 0);
	return pgno;
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

/* The policy's one-line view (cache_policy_show), of any length; the
 * caller frees it. */
static inline char *trace_show(struct cache *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cache_policy_show(c, f);
	fclose(f);
	assert_non_null(buf);
	return buf;
}

/* The policy's one-line view is exactly want. */
static inline void trace_show_is(struct cache *c, const char *want)
{
	char *got = trace_show(c);

	assert_string_equal(got, want);
	free(got);
}

/* One reference of a hand-worked string and what it must do. */
struct trace_step {
	uint64_t ref;		/* the page referenced */
	int fault;		/* 1 fault, 0 hit */
	uint64_t victim;	/* NO_VICTIM: none */
	const char *state;	/* show() after the reference */
};

/* Runs steps[0..n-1] through c, checking each access's fault and victim
 * and the show() line after it; returns the faults. */
static inline int trace_steps(struct cache *c, const struct trace_step *s,
			      size_t n)
{
	int faults = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t victim;
		int rc = trace_access(c, s[i].ref, &victim);
		char *got = trace_show(c);

		if (rc != s[i].fault || victim != s[i].victim ||
		    strcmp(got, s[i].state))
			fail_msg("step %zu (page %llu): %s, victim %lld, "
				 "\"%s\"; expected %s, victim %lld, \"%s\"",
				 i, (unsigned long long)s[i].ref,
				 rc ? "fault" : "hit",
				 victim == NO_VICTIM ? -1LL : (long long)victim,
				 got, s[i].fault ? "fault" : "hit",
				 s[i].victim == NO_VICTIM ? -1LL :
				 (long long)s[i].victim, s[i].state);
		free(got);
		faults += rc;
	}
	return faults;
}

/* trace_steps on a new cache of nframes frames under spec, which must
 * fault faults times in all. */
static inline void trace_steps_on(const char *spec, uint32_t nframes,
				  const struct trace_step *s, size_t n,
				  int faults)
{
	struct cache *c = trace_cache(spec, nframes);

	assert_int_equal(trace_steps(c, s, n), faults);
	cache_free(c);
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

/* ---- plain arrays for the models ------------------------------------ */

enum { KLIST_MAX = 64 };

/* Keys, oldest (least recent) first. */
struct klist {
	uint64_t k[KLIST_MAX];	/* k[0] the oldest */
	int n;				/* keys in k */
};

/* The index of x in l, or -1. */
static inline int klist_find(const struct klist *l, uint64_t x)
{
	for (int i = 0; i < l->n; i++)
		if (l->k[i] == x)
			return i;
	return -1;
}

/* Removes and returns the key at index i. */
static inline uint64_t klist_del(struct klist *l, int i)
{
	uint64_t x = l->k[i];

	memmove(&l->k[i], &l->k[i + 1],
		(size_t)(l->n - i - 1) * sizeof(l->k[0]));
	l->n--;
	return x;
}

/* Appends x as the newest key. */
static inline void klist_push(struct klist *l, uint64_t x)
{
	assert_true(l->n < KLIST_MAX);
	l->k[l->n++] = x;
}

/* Appends " name [k k k]" to the string in buf, as the policies' show()
 * prints a list (no leading space when buf is empty); buf must have
 * room. */
static inline void klist_fmt(char *buf, const char *name,
				  const struct klist *l)
{
	char *p = buf + strlen(buf);

	p += sprintf(p, "%s%s [", *buf ? " " : "", name);
	for (int i = 0; i < l->n; i++)
		p += sprintf(p, "%s%llu", i ? " " : "",
			     (unsigned long long)l->k[i]);
	sprintf(p, "]");
}

#endif
