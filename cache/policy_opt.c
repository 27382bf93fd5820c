/* policy_opt.c - Belady's MIN, also called OPT: evict the page whose next
 * reference is farthest in the future.
 *
 * Source: L. A. Belady, "A study of replacement algorithms for a virtual-
 * storage computer", IBM Systems Journal 5(2), 1966 (MIN); its optimality
 * for demand paging: R. L. Mattson, J. Gecsei, D. R. Slutz, I. L. Traiger,
 * "Evaluation techniques for storage hierarchies", IBM Systems Journal 9(2),
 * 1970.  No policy that fetches only on a miss faults less often on the
 * same reference string, which makes OPT the yardstick the others are
 * measured against; it needs the whole string in advance, so it exists in
 * the simulator only (POLICY_NEEDS_FUTURE: framefs refuses it).
 *
 * The future.  OPT cannot see it; whoever drives the cache tells it.  Before
 * each access, the driver calls cache_set_next_use() (cache_sim.h) with the
 * trace position of the next reference to the page about to be accessed
 * (UINT64_MAX: never again), then makes the access (cache_sim_access, or
 * cache_get on the protocol path).  Only a driver with the whole trace in
 * memory knows these: framesim and sim_bench compute them all in one
 * backward pass over their trace before replaying it, and the tests with
 * future_next_use() (future.h), the same pass over any 64-bit keys.  A
 * mount has no trace, so framefs refuses OPT.  insert() and hit() read the
 * position with cache_policy_next_use() and store it as the frame's key.
 * A page's key is exactly right until its next reference, which is when it
 * is hit (or missed and inserted) again, so every resident key is always
 * current.  Without a simulator setting it,
 * every key is UINT64_MAX and OPT degrades to the tie rule below, which is
 * still a correct (if arbitrary) policy.
 *
 * The structure.  A binary max-heap of the resident frames keyed by next
 * use, stored as two arrays in heap order (keys and frame numbers side by
 * side, so sifting compares without an indirection), and a position index
 * from frame number to heap slot, so that a hit or a removal finds its entry
 * in O(1) and repairs the heap in O(log n).  Ties (several pages never used
 * again) go to the lowest frame number: any choice among them is optimal,
 * and this one needs no more state and is deterministic.
 *
 * victim().  The top of the heap, if evictable.  Otherwise the busy top is
 * popped to just past the end of the heap (the array keeps it), and the next
 * top is looked at, until an evictable frame is found or the heap is empty;
 * then the popped entries are pushed back.  The heap afterwards holds the
 * same entries (perhaps in another valid order), so a victim refused by the
 * core leaves everything consistent.  Cost O((k + 1) log n) for k busy
 * frames passed over, and no memory beyond the heap.
 *
 * Memory: 8 bytes of key, 4 of frame number, 4 of position per frame.
 */
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

struct opt {
	struct policy base;
	uint64_t *hkey;		/* [nframes]; heap order: next use of hfno[i] */
	uint32_t *hfno;		/* [nframes]; heap order: frame at slot i */
	uint32_t *pos;		/* [nframes]; heap slot of a frame, FRAME_NONE
				 * when not resident */
	uint32_t len;		/* frames in the heap */
};

#define OPT(p) ((struct opt *)(p))

/* Slot a goes before slot b: later next use, or equal and lower frame. */
static inline bool heap_above(uint64_t ka, uint32_t fa, uint64_t kb,
			      uint32_t fb)
{
	return ka > kb || (ka == kb && fa < fb);
}

static inline void heap_put(struct opt *o, uint32_t i, uint64_t k, uint32_t f)
{
	o->hkey[i] = k;
	o->hfno[i] = f;
	o->pos[f] = i;
}

/* Moves the entry (k, f) up from the hole at slot i. */
static void sift_up(struct opt *o, uint32_t i, uint64_t k, uint32_t f)
{
	while (i > 0) {
		uint32_t up = (i - 1) / 2;

		if (!heap_above(k, f, o->hkey[up], o->hfno[up]))
			break;
		heap_put(o, i, o->hkey[up], o->hfno[up]);
		i = up;
	}
	heap_put(o, i, k, f);
}

/* Moves the entry (k, f) down from the hole at slot i. */
static void sift_down(struct opt *o, uint32_t i, uint64_t k, uint32_t f)
{
	for (;;) {
		uint64_t l = 2 * (uint64_t)i + 1;
		uint32_t c;

		if (l >= o->len)
			break;
		c = (uint32_t)l;
		if (c + 1 < o->len &&
		    heap_above(o->hkey[c + 1], o->hfno[c + 1], o->hkey[c],
			       o->hfno[c]))
			c++;
		if (!heap_above(o->hkey[c], o->hfno[c], k, f))
			break;
		heap_put(o, i, o->hkey[c], o->hfno[c]);
		i = c;
	}
	heap_put(o, i, k, f);
}

/* Re-places the entry (k, f) from slot i, whichever way it must go. */
static void heap_fix(struct opt *o, uint32_t i, uint64_t k, uint32_t f)
{
	if (i > 0 && heap_above(k, f, o->hkey[(i - 1) / 2],
				o->hfno[(i - 1) / 2]))
		sift_up(o, i, k, f);
	else
		sift_down(o, i, k, f);
}

static struct policy *opt_create(uint32_t nframes, const double *param)
{
	struct opt *o = calloc(1, sizeof(*o));

	(void)param;
	if (!o)
		return NULL;
	o->hkey = malloc((size_t)nframes * sizeof(*o->hkey));
	o->hfno = malloc((size_t)nframes * sizeof(*o->hfno));
	o->pos = malloc((size_t)nframes * sizeof(*o->pos));
	if (!o->hkey || !o->hfno || !o->pos) {
		free(o->hkey);
		free(o->hfno);
		free(o->pos);
		free(o);
		return NULL;
	}
	for (uint32_t f = 0; f < nframes; f++)
		o->pos[f] = FRAME_NONE;
	return &o->base;
}

static void opt_destroy(struct policy *p)
{
	free(OPT(p)->hkey);
	free(OPT(p)->hfno);
	free(OPT(p)->pos);
	free(p);
}

static void opt_insert(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno)
{
	struct opt *o = OPT(p);

	(void)ino;
	(void)pgno;
	o->len++;
	sift_up(o, o->len - 1, cache_policy_next_use(p->cache), fno);
}

static void opt_hit(struct policy *p, uint32_t fno)
{
	struct opt *o = OPT(p);

	heap_fix(o, o->pos[fno], cache_policy_next_use(p->cache), fno);
}

static void opt_remove(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno, enum policy_remove why)
{
	struct opt *o = OPT(p);
	uint32_t i = o->pos[fno], last = --o->len;

	(void)ino;
	(void)pgno;
	(void)why;
	o->pos[fno] = FRAME_NONE;
	if (i != last)
		heap_fix(o, i, o->hkey[last], o->hfno[last]);
}

static uint32_t opt_victim(struct policy *p)
{
	struct opt *o = OPT(p);
	uint32_t len0 = o->len, v = FRAME_NONE;

	/* Step 1: pop busy tops past the end of the heap. */
	while (o->len > 0) {
		uint32_t top = o->hfno[0], last;
		uint64_t ktop = o->hkey[0];

		if (cache_policy_evictable(p->cache, top)) {
			v = top;
			break;
		}
		last = --o->len;
		if (last > 0)
			sift_down(o, 0, o->hkey[last], o->hfno[last]);
		heap_put(o, last, ktop, top);
	}
	/* Step 2: push them back; slots len .. len0-1 hold them. */
	while (o->len < len0) {
		uint32_t i = o->len++;

		sift_up(o, i, o->hkey[i], o->hfno[i]);
	}
	return v;
}

static int opt_check(struct policy *p)
{
	struct opt *o = OPT(p);
	uint32_t nres = 0;

	for (uint32_t i = 0; i < o->len; i++) {
		uint32_t f = o->hfno[i];

		if (f >= p->nframes || o->pos[f] != i) {
			fprintf(stderr, "opt: heap slot %u: frame %u not "
				"indexed there\n", i, f);
			return -1;
		}
		if (!cache_policy_resident(p->cache, f)) {
			fprintf(stderr, "opt: frame %u in the heap but free\n",
				f);
			return -1;
		}
		if (i > 0 && heap_above(o->hkey[i], f, o->hkey[(i - 1) / 2],
					o->hfno[(i - 1) / 2])) {
			fprintf(stderr, "opt: heap order broken at slot %u\n",
				i);
			return -1;
		}
	}
	for (uint32_t f = 0; f < p->nframes; f++) {
		bool res = cache_policy_resident(p->cache, f);

		nres += res;
		if (res != (o->pos[f] != FRAME_NONE)) {
			fprintf(stderr, "opt: frame %u %s but %s\n", f,
				res ? "resident" : "free",
				res ? "not in the heap" : "indexed");
			return -1;
		}
	}
	if (nres != o->len || nres != cache_policy_nresident(p->cache)) {
		fprintf(stderr, "opt: %u in the heap, %u resident\n", o->len,
			nres);
		return -1;
	}
	return 0;
}

static void opt_show(struct policy *p, FILE *out)
{
	struct opt *o = OPT(p);

	fprintf(out, "next use by frame:");
	for (uint32_t f = 0; f < p->nframes; f++) {
		uint64_t k;

		if (o->pos[f] == FRAME_NONE)
			continue;
		k = o->hkey[o->pos[f]];
		fprintf(out, " %llu@", (unsigned long long)
			cache_policy_pgno(p->cache, f));
		if (k == UINT64_MAX)
			fprintf(out, "never");
		else
			fprintf(out, "%llu", (unsigned long long)k);
	}
	if (o->len > 0)
		fprintf(out, "; farthest %llu", (unsigned long long)
			cache_policy_pgno(p->cache, o->hfno[0]));
}

const struct policy_ops policy_opt = {
	.name = "opt",
	.summary = "Belady's MIN: evict the page used farthest in the future",
	.flags = POLICY_NEEDS_FUTURE,
	.create = opt_create,
	.destroy = opt_destroy,
	.insert = opt_insert,
	.hit = opt_hit,
	.remove = opt_remove,
	.victim = opt_victim,
	.check = opt_check,
	.bytes_per_frame = sizeof(uint64_t) + 2 * sizeof(uint32_t),
	.show = opt_show,
};
