/* policy_clock.c - CLOCK (second chance) over the frame array, and its
 * generalization to a K-bit counter per frame (GCLOCK).
 *
 * The frames form the clock face in frame-number order, as physical page
 * frames do in BSD's core map.  Each has a reference count of `bits` bits
 * (clock:bits=K, 1 to 8, default 1).  A page comes in with its count at 1:
 * the access that faulted it in is a reference (the textbook's choice).
 * clock:ref_on_load=0 loads it at 0 instead, as libCacheSim's Clock does
 * (Clock_insert sets the count to its init-freq parameter, 0 by default):
 * a new page then survives the hand only if it is hit again, and a hit
 * right after the load is no longer lost in the bit the load set.  With
 * K > 1 the same: 0 on load, where ref_on_load=1 gives 1.  A hit adds one,
 * saturating at 2^K - 1.
 *
 * victim(): look at the frame under the hand and advance the hand.  Free or
 * busy frames (pinned, dirty, ...) are passed over untouched; a non-zero
 * count is decremented; the first evictable frame with a zero count is the
 * victim.  When the victim's frame is reused right away (the core's free
 * list is LIFO), the new page sits where the old one was, just behind the
 * hand: the textbook picture.
 *
 * With bits=1 this is CLOCK (Corbato, "A paging experiment with the Multics
 * system", 1968): the count is the reference bit, a hit sets it, the hand
 * clears it (the second chance).  With K > 1 it is GCLOCK, generalized
 * CLOCK (A. J. Smith, "Sequentiality and prefetching in database systems",
 * ACM TODS 3(3), 1978; W. Effelsberg and T. Haerder, "Principles of
 * database buffer management", ACM TODS 9(4), 1984), in its simplest form:
 * every hit weighs one, and a page referenced often survives up to 2^K - 1
 * turns of the hand.
 *
 * Bound on a search: a count is at most 2^K - 1, so after 2^K - 1 turns of
 * the hand every evictable frame's count is zero and the next turn finds
 * one; after (2^K) * N + 1 steps without a victim there is none (2N + 1
 * for plain CLOCK).
 *
 * Hits take no lock.  With bits=1 a hit is one relaxed atomic store of 1,
 * tested first, so a hot frame's cache line is not written again.  With
 * K > 1 it is a relaxed load and a store of the value plus one, which is
 * not atomic as a whole, and is approximate on purpose: two hits racing
 * on one frame may count once, and a hit racing with the hand (which
 * decrements under cache->lock, also load then store) may undo the
 * decrement or be undone by it.  Each side only ever stores a value it
 * computed from one it read, so a count always stays within 0 .. 2^K - 1;
 * a lost update only changes how many turns a page survives.  A hit is on
 * a pinned frame, which cannot be freed meanwhile, so a free frame's count
 * stays zero.
 */
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

struct clock {
	struct policy base;
	uint8_t *ref;		/* [nframes] counts; atomic, decremented
				 * under lock, incremented by lockless hits */
	uint8_t max;		/* 2^bits - 1; set at create */
	uint8_t load;		/* a new page's count: ref_on_load, 0 or 1 */
	uint32_t hand;		/* next frame to look at; lock */
};

static const struct policy_param clock_params[] = {
	{ "bits", 1, 1, 8, "bits of reference count per frame (GCLOCK)",
	  true },
	{ "ref_on_load", 1, 0, 1, "a page comes in referenced (count 1) or "
	  "not (0, as libCacheSim)", true },
	{ .key = NULL },
};

#define CLOCK(p) ((struct clock *)(p))

static struct policy *clock_create(uint32_t nframes, const double *param)
{
	struct clock *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	/* policy_parse() checked 1 <= bits <= 8; a fraction is cut off. */
	k->max = (uint8_t)((1u << (unsigned)param[0]) - 1);
	k->load = param[1] != 0;
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
	__atomic_store_n(&CLOCK(p)->ref[fno], CLOCK(p)->load,
			 __ATOMIC_RELAXED);
}

static void clock_hit(struct policy *p, uint32_t fno)
{
	uint8_t *r = &CLOCK(p)->ref[fno];
	uint8_t v = __atomic_load_n(r, __ATOMIC_RELAXED);

	/* Load, then store: approximate under races (see the top). */
	if (v < CLOCK(p)->max)
		__atomic_store_n(r, (uint8_t)(v + 1), __ATOMIC_RELAXED);
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
	uint64_t steps = ((uint64_t)k->max + 1) * p->nframes + 1;

	while (steps--) {
		uint32_t f = k->hand;
		uint8_t v;

		k->hand = f + 1 == p->nframes ? 0 : f + 1;
		if (!cache_policy_evictable(p->cache, f))
			continue;
		v = __atomic_load_n(&k->ref[f], __ATOMIC_RELAXED);
		if (v) {
			__atomic_store_n(&k->ref[f], (uint8_t)(v - 1),
					 __ATOMIC_RELAXED);
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
		uint8_t v = __atomic_load_n(&k->ref[f], __ATOMIC_RELAXED);

		if (!cache_policy_resident(p->cache, f) && v) {
			fprintf(stderr, "clock: free frame %u has its bit set\n",
				f);
			return -1;
		}
		if (v > k->max) {
			fprintf(stderr, "clock: frame %u count %u above %u\n",
				f, v, k->max);
			return -1;
		}
	}
	return 0;
}

static void clock_show(struct policy *p, FILE *out)
{
	struct clock *k = CLOCK(p);

	/* bits=1: the pages whose bit is set; more bits: page=count. */
	fprintf(out, "hand at f%u, %s:", k->hand,
		k->max == 1 ? "referenced" : "counts");
	for (uint32_t f = 0; f < p->nframes; f++) {
		uint8_t v = __atomic_load_n(&k->ref[f], __ATOMIC_RELAXED);

		if (!cache_policy_resident(p->cache, f) || !v)
			continue;
		fprintf(out, " %llu",
			(unsigned long long)cache_policy_pgno(p->cache, f));
		if (k->max > 1)
			fprintf(out, "=%u", v);
	}
}

const struct policy_ops policy_clock = {
	.name = "clock",
	.summary = "second chance; bits=K: GCLOCK, a K-bit count per frame",
	.flags = POLICY_HIT_LOCKLESS,
	.params = clock_params,
	.create = clock_create,
	.destroy = clock_destroy,
	.insert = clock_insert,
	.hit = clock_hit,
	.remove = clock_remove,
	.victim = clock_victim,
	.check = clock_check,
	.bytes_per_frame = sizeof(uint8_t),
	.show = clock_show,
};
