/* policy_clock.c - CLOCK (second chance) over the frame array.
 *
 * The frames form the clock face in frame-number order, as physical page
 * frames do in BSD's core map.  Each has a reference bit; a hit sets it with
 * one relaxed atomic store (tested first, so a hot frame's cache line is not
 * written again), which is why hits take no lock.  A page comes in with its
 * bit set: the access that faulted it in is a reference.
 *
 * victim(): look at the frame under the hand and advance the hand.  Free or
 * busy frames (pinned, dirty, ...) are passed over untouched; a set bit is
 * cleared (the second chance); the first evictable frame with a clear bit is
 * the victim.  Two turns of the hand clear every bit, so after 2N steps
 * without a victim there is none.  When the victim's frame is reused right
 * away (the core's free list is LIFO), the new page sits where the old one
 * was, just behind the hand: the textbook picture.
 */
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

struct clock {
	struct policy base;
	uint8_t *ref;		/* [nframes]; atomic, cleared under lock */
	uint32_t hand;		/* next frame to look at; lock */
};

#define CLOCK(p) ((struct clock *)(p))

static struct policy *clock_create(uint32_t nframes, const double *param)
{
	struct clock *k = calloc(1, sizeof(*k));

	(void)param;
	if (!k)
		return NULL;
	k->ref = calloc(nframes, 1);
	if (!k->ref) {
		free(k);
		return NULL;
	}
	return &k->base;
}

static void clock_destroy(struct policy *p)
{
	free(CLOCK(p)->ref);
	free(p);
}

static void clock_insert(struct policy *p, uint32_t fno, uint64_t ino,
			 uint64_t pgno)
{
	(void)ino;
	(void)pgno;
	__atomic_store_n(&CLOCK(p)->ref[fno], 1, __ATOMIC_RELAXED);
}

static void clock_hit(struct policy *p, uint32_t fno)
{
	uint8_t *r = &CLOCK(p)->ref[fno];

	if (!__atomic_load_n(r, __ATOMIC_RELAXED))
		__atomic_store_n(r, 1, __ATOMIC_RELAXED);
}

static void clock_remove(struct policy *p, uint32_t fno, uint64_t ino,
			 uint64_t pgno, enum policy_remove why)
{
	(void)ino;
	(void)pgno;
	(void)why;
	__atomic_store_n(&CLOCK(p)->ref[fno], 0, __ATOMIC_RELAXED);
}

static uint32_t clock_victim(struct policy *p)
{
	struct clock *k = CLOCK(p);
	uint64_t steps = 2 * (uint64_t)p->nframes + 1;

	while (steps--) {
		uint32_t f = k->hand;

		k->hand = f + 1 == p->nframes ? 0 : f + 1;
		if (!cache_policy_evictable(p->cache, f))
			continue;
		if (__atomic_load_n(&k->ref[f], __ATOMIC_RELAXED)) {
			__atomic_store_n(&k->ref[f], 0, __ATOMIC_RELAXED);
			continue;
		}
		return f;
	}
	return FRAME_NONE;
}

static int clock_check(struct policy *p)
{
	struct clock *k = CLOCK(p);

	if (k->hand >= p->nframes) {
		fprintf(stderr, "clock: hand %u out of range\n", k->hand);
		return -1;
	}
	for (uint32_t f = 0; f < p->nframes; f++) {
		if (!cache_policy_resident(p->cache, f) &&
		    __atomic_load_n(&k->ref[f], __ATOMIC_RELAXED)) {
			fprintf(stderr, "clock: free frame %u has its bit set\n",
				f);
			return -1;
		}
	}
	return 0;
}

static size_t clock_bytes_per_frame(const struct policy *p)
{
	(void)p;
	return sizeof(uint8_t);
}

static size_t clock_ghost_bytes(const struct policy *p)
{
	(void)p;
	return 0;
}

static void clock_show(struct policy *p, FILE *out)
{
	struct clock *k = CLOCK(p);

	fprintf(out, "hand at f%u, referenced:", k->hand);
	for (uint32_t f = 0; f < p->nframes; f++)
		if (cache_policy_resident(p->cache, f) &&
		    __atomic_load_n(&k->ref[f], __ATOMIC_RELAXED))
			fprintf(out, " %llu",
				(unsigned long long)cache_policy_pgno(p->cache,
								      f));
}

const struct policy_ops policy_clock = {
	.name = "clock",
	.summary = "second chance: a reference bit per frame, a sweeping hand",
	.flags = POLICY_HIT_LOCKLESS,
	.create = clock_create,
	.destroy = clock_destroy,
	.insert = clock_insert,
	.hit = clock_hit,
	.remove = clock_remove,
	.victim = clock_victim,
	.check = clock_check,
	.bytes_per_frame = clock_bytes_per_frame,
	.ghost_bytes = clock_ghost_bytes,
	.show = clock_show,
};
