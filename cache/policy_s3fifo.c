/* policy_s3fifo.c - S3-FIFO: a small FIFO, a main FIFO and a ghost FIFO.
 *
 * Source: Juncheng Yang, Yazhuo Zhang, Ziyue Qiu, Yao Yue, Rashmi Vinayak,
 * "FIFO queues are all you need for cache eviction", SOSP 2023.  The
 * authors' simulator, libCacheSim (cache/eviction/S3FIFO.c), settles what
 * the paper's pseudocode leaves open (see "One victim at a time" below).
 *
 * The observation: in skewed workloads most pages are used once within a
 * short window, so a cache should drop new pages quickly unless they are
 * used again soon ("quick demotion").  S3-FIFO does it with three FIFO
 * queues and a 2-bit counter per resident page:
 *
 *   S  the small FIFO, new pages; its share of the frames is `small`
 *      (10%, at least one frame): the "small target";
 *   M  the main FIFO, pages that proved themselves: the rest;
 *   G  the ghost FIFO, keys of pages recently evicted from S, as many keys
 *      as M's share of the frames (cache/ghost.h).
 *
 * A fault puts the page into M if its key is in G (it was evicted from S
 * too early: the key leaves G), else into S; either way with its counter at
 * 0.  A hit adds one to the counter, stopping at 3.  To make room:
 *
 *   if |S| >= the small target, evict from S: look at S's oldest page; if
 *     its counter is at least `threshold` it moves to M's newest end with
 *     its counter cleared, and we look at the next one; otherwise it is the
 *     victim, and its key goes into G (the oldest key of a full G drops);
 *   else evict from M: M's oldest page with a counter above 0 goes back to
 *     M's newest end with its counter one lower (a 2-bit CLOCK); the first
 *     with 0 is the victim, and no ghost remembers it.
 *
 * `threshold` is the number of hits a page needs while in S to earn M.  At
 * its default, 1, any hit in S does: the paper's rule, a page accessed
 * again while in S moves to M.  libCacheSim exposes the same knob as
 * move-to-main-threshold; 2 or 3 make M harder to enter.
 *
 * How framefs fits it:
 *
 *   - victim() only peeks.  Moving S's old pages to M and lowering M's
 *     counters is aging and happens there; the victim itself stays on its
 *     queue until the core calls remove(POLICY_EVICTED), which adds its key
 *     to G if it was on S.  An eviction refused after victim() (the page
 *     was used again) leaves the page where it was, its counter raised.
 *   - One victim at a time.  The paper's pseudocode, promoting from S into
 *     a full M, evicts from M on the spot and goes on evicting from S.  Here,
 *     as in libCacheSim, M may outgrow its share; S is then below its
 *     target (the frames are shared), so the next evictions come from M.
 *   - Busy frames (pinned, dirty, loading) are passed over in place on both
 *     queues, as FIFO does; they still move from S to M or have their
 *     counters lowered, since that is aging, not eviction.  If S has no
 *     evictable page we evict from M, and the other way round; FRAME_NONE
 *     means neither queue has one.
 *
 * Hits take no lock.  The counter shares a byte per frame with the bit that
 * says which queue the frame is on.  A hit raises the counter with a relaxed
 * compare-and-swap and writes nothing once it is at 3.  Every change under
 * cache->lock is an atomic read-modify-write of the byte too, so neither
 * side overwrites the other: a decrement by M's scan and a concurrent hit
 * both count.  Two approximations remain, both the kind of reordering a
 * lock-free counter has anyway: a hit that lands between the scan's reading
 * of an S page's counter and its promotion is cleared with the counter, as
 * it would have been had it landed a moment earlier; and a hit during a
 * scan may count for the current pass or the next one.
 *
 * Memory: 9 bytes a frame (S and M share one pair of link arrays, plus the
 * counter byte); G costs ghost_bytes(), about 32 bytes a key.  Cost: a hit
 * is O(1); each promotion or reinsertion spends a hit, so eviction is O(1)
 * amortized, apart from passing over busy frames (as in FIFO).
 */
#include <stdio.h>
#include <stdlib.h>

#include "ghost.h"
#include "policy.h"
#include "qlist.h"

#define S3_FREQ	0x3u	/* the 2-bit counter */
#define S3_MAIN	0x4u	/* on M; else on S */

struct s3fifo {
	struct policy base;
	struct qlinks lk;	/* S and M share them; lock */
	struct qlist small;	/* S, oldest first; lock */
	struct qlist main;	/* M, oldest first; lock */
	uint8_t *st;		/* [nframes] counter | S3_MAIN; atomic */
	struct ghost *ghost;	/* G; lock */
	uint32_t small_target;	/* evict from S while |S| >= this */
	uint32_t threshold;	/* hits in S that earn M, 1..3 */
};

#define S3(p) ((struct s3fifo *)(p))

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)

static const struct policy_param s3fifo_params[] = {
	{ "small", 0.1, 0, 1, "share of the frames for the small FIFO",
	  false },
	{ "threshold", 1, 1, 3, "hits in the small FIFO that earn the main "
	  "one", true },
	{ .key = NULL },
};

static void s3fifo_destroy(struct policy *p)
{
	struct s3fifo *s = S3(p);

	qlinks_release(&s->lk);
	free(s->st);
	ghost_free(s->ghost);
	free(s);
}

static struct policy *s3fifo_create(uint32_t nframes, const double *param)
{
	struct s3fifo *s = calloc(1, sizeof(*s));
	double target = param[0] * nframes + 0.5;
	uint32_t gcap;

	if (!s)
		return NULL;
	s->small_target = target < 1 ? 1 : target > nframes ? nframes :
			  (uint32_t)target;
	s->threshold = (uint32_t)param[1];
	gcap = nframes - s->small_target;
	s->st = calloc(nframes, 1);
	s->ghost = ghost_new(gcap ? gcap : 1);
	if (qlinks_init(&s->lk, nframes) < 0 || !s->st || !s->ghost) {
		s3fifo_destroy(&s->base);
		return NULL;
	}
	qlist_init(&s->small);
	qlist_init(&s->main);
	return &s->base;
}

static void s3fifo_insert(struct policy *p, uint32_t fno, uint64_t ino,
			  uint64_t pgno)
{
	struct s3fifo *s = S3(p);
	bool main = ghost_remove(s->ghost, ino, pgno);

	/* A LOADING frame: no hit can race with this store. */
	__atomic_store_n(&s->st[fno], main ? S3_MAIN : 0, __ATOMIC_RELAXED);
	qlist_append(&s->lk, main ? &s->main : &s->small, fno);
}

static void s3fifo_hit(struct policy *p, uint32_t fno)
{
	uint8_t *st = &S3(p)->st[fno];
	uint8_t v = LOAD(st);

	while ((v & S3_FREQ) != S3_FREQ &&
	       !__atomic_compare_exchange_n(st, &v, (uint8_t)(v + 1), true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void s3fifo_remove(struct policy *p, uint32_t fno, uint64_t ino,
			  uint64_t pgno, enum policy_remove why)
{
	struct s3fifo *s = S3(p);

	if (LOAD(&s->st[fno]) & S3_MAIN) {
		qlist_del(&s->lk, &s->main, fno);
	} else {
		qlist_del(&s->lk, &s->small, fno);
		/* Resident until now, so not in G: no probe for it. */
		if (why == POLICY_EVICTED)
			ghost_push(s->ghost, ino, pgno);
	}
}

/* S's page x earned M: to M's newest end, counter cleared (one atomic
 * exchange: a concurrent hit lands before it, and is cleared, or after). */
static void s3_promote(struct s3fifo *s, uint32_t x)
{
	qlist_del(&s->lk, &s->small, x);
	__atomic_exchange_n(&s->st[x], (uint8_t)S3_MAIN, __ATOMIC_RELAXED);
	qlist_append(&s->lk, &s->main, x);
}

/* Evicting from S: the oldest evictable page with a counter below the
 * threshold, promoting to M every page with one at or above it on the way;
 * busy low-counter pages stay where they are.  *promoted counts moves. */
static uint32_t s3_scan_small(struct s3fifo *s, uint32_t *promoted)
{
	uint32_t x = s->small.head;

	while (x != FRAME_NONE) {
		uint32_t nx = s->lk.next[x];

		if ((LOAD(&s->st[x]) & S3_FREQ) >= s->threshold) {
			s3_promote(s, x);
			(*promoted)++;
		} else if (cache_policy_evictable(s->base.cache, x)) {
			return x;
		}
		x = nx;
	}
	return FRAME_NONE;
}

/* Evicting from M: a page with a counter above 0 goes to the newest end one
 * lower; the oldest evictable page at 0 is the victim.  Busy pages at 0 stay
 * in place.  Without concurrent hits each page comes round at most 3 times,
 * so 4 * |M| steps end the pass; if hits outpace it, the oldest evictable
 * page goes whatever its counter. */
static uint32_t s3_scan_main(struct s3fifo *s)
{
	uint64_t budget = 4 * (uint64_t)s->main.len + 4;
	uint32_t x = s->main.head;

	while (x != FRAME_NONE && budget--) {
		uint32_t nx = s->lk.next[x];

		if (LOAD(&s->st[x]) & S3_FREQ) {
			/* Only hits change it meanwhile, and they raise it. */
			__atomic_fetch_sub(&s->st[x], 1, __ATOMIC_RELAXED);
			if (nx == FRAME_NONE) {
				nx = x;		/* already newest: again */
			} else {
				qlist_del(&s->lk, &s->main, x);
				qlist_append(&s->lk, &s->main, x);
			}
		} else if (cache_policy_evictable(s->base.cache, x)) {
			return x;
		}
		x = nx;
	}
	if (x == FRAME_NONE)
		return FRAME_NONE;
	return qlist_first_evictable(&s->lk, &s->main, s->base.cache);
}

static uint32_t s3fifo_victim(struct policy *p)
{
	struct s3fifo *s = S3(p);
	uint32_t x, promoted = 0;

	if (s->small.len >= s->small_target) {
		x = s3_scan_small(s, &promoted);
		return x != FRAME_NONE ? x : s3_scan_main(s);
	}
	x = s3_scan_main(s);
	if (x != FRAME_NONE)
		return x;
	/* M has nothing evictable: S, below its target, must give. */
	x = s3_scan_small(s, &promoted);
	if (x != FRAME_NONE || !promoted)
		return x;
	return s3_scan_main(s);		/* what S just promoted */
}

static int s3fifo_check(struct policy *p)
{
	struct s3fifo *s = S3(p);
	unsigned char *seen = calloc(p->nframes, 1);
	uint32_t nres = cache_policy_nresident(p->cache);
	int rc = -1;

	if (!seen)
		return -1;
	if (qlist_check(&s->lk, &s->small, p->cache, p->nframes, seen,
			"s3fifo S") ||
	    qlist_check(&s->lk, &s->main, p->cache, p->nframes, seen,
			"s3fifo M"))
		goto out;
	for (uint32_t x = s->small.head; x != FRAME_NONE; x = s->lk.next[x]) {
		if (LOAD(&s->st[x]) & S3_MAIN) {
			fprintf(stderr, "s3fifo: frame %u on S marked M\n", x);
			goto out;
		}
	}
	for (uint32_t x = s->main.head; x != FRAME_NONE; x = s->lk.next[x]) {
		if (!(LOAD(&s->st[x]) & S3_MAIN)) {
			fprintf(stderr, "s3fifo: frame %u on M marked S\n", x);
			goto out;
		}
	}
	if (s->small.len + s->main.len != nres) {
		fprintf(stderr, "s3fifo: %u on S + %u on M, %u resident\n",
			s->small.len, s->main.len, nres);
		goto out;
	}
	if (ghost_check(s->ghost))
		goto out;
	rc = 0;
out:
	free(seen);
	return rc;
}

static size_t s3fifo_ghost_bytes(const struct policy *p)
{
	return ghost_bytes(S3(p)->ghost);
}

static uint32_t s3fifo_ghost_count(const struct policy *p)
{
	return ghost_len(S3(p)->ghost);
}

static void s3_show_queue(struct s3fifo *s, struct qlist *q, FILE *out)
{
	for (uint32_t x = q->head; x != FRAME_NONE; x = s->lk.next[x]) {
		fprintf(out, " %llu", (unsigned long long)
			cache_policy_pgno(s->base.cache, x));
		for (unsigned f = LOAD(&s->st[x]) & S3_FREQ; f; f--)
			fputc('+', out);
	}
}

static void s3_show_ghost(void *arg, uint64_t ino, uint64_t pgno)
{
	(void)ino;
	fprintf(arg, " %llu", (unsigned long long)pgno);
}

static void s3fifo_show(struct policy *p, FILE *out)
{
	struct s3fifo *s = S3(p);

	fprintf(out, "S:");
	s3_show_queue(s, &s->small, out);
	fprintf(out, " | M:");
	s3_show_queue(s, &s->main, out);
	fprintf(out, " | G:");
	ghost_foreach(s->ghost, s3_show_ghost, out);
}

const struct policy_ops policy_s3fifo = {
	.name = "s3fifo",
	.summary = "small, main and ghost FIFOs; a hit bumps a 2-bit counter",
	.flags = POLICY_HIT_LOCKLESS,
	.params = s3fifo_params,
	.create = s3fifo_create,
	.destroy = s3fifo_destroy,
	.insert = s3fifo_insert,
	.hit = s3fifo_hit,
	.remove = s3fifo_remove,
	.victim = s3fifo_victim,
	.check = s3fifo_check,
	.bytes_per_frame = 2 * sizeof(uint32_t) + sizeof(uint8_t),
	.ghost_bytes = s3fifo_ghost_bytes,
	.ghost_count = s3fifo_ghost_count,
	.show = s3fifo_show,
};
