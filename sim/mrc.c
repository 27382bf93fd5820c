/* mrc.c - miss-ratio curves of LRU and OPT in one pass over a trace.
 *
 * Stack algorithms.  Mattson, Gecsei, Slutz and Traiger ("Evaluation
 * techniques for storage hierarchies", IBM Systems Journal 9(2), 1970)
 * observed that for some replacement policies the contents of a cache of
 * k pages are always contained in those of a cache of k+1 pages.  Such a
 * policy orders all pages seen so far in one "stack" whose top k entries
 * are the k-page cache, for every k at once; a reference hits in a cache
 * of k pages exactly when the page's position in the stack (its stack
 * distance, 1 = top) is at most k.  One pass that records the histogram of
 * distances therefore yields the misses at every size: references with a
 * distance above k, plus the first reference of each page (cold misses,
 * distance infinite), which miss at every size.  LRU and OPT are stack
 * algorithms; FIFO and CLOCK are not (FIFO shows Belady's anomaly).
 *
 * LRU: distances by counting.  LRU's stack is the pages by recency, so the
 * distance of a reference to page p is 1 + the number of distinct pages
 * referenced since p's previous reference.  Walking a linked stack costs
 * O(distance) per reference; instead (Bennett and Kruskal, 1975; Olken,
 * 1981) mark, on a timeline of reference times, the time of each page's
 * most recent reference: there is exactly one mark per page seen, and the
 * distinct pages since time t are the marks after t.  A reference to p at
 * time `now` whose previous reference was at t has distance
 *     1 + (distinct - marks at or before t),
 * after which p's mark moves from t to now.  A Fenwick tree (a binary
 * indexed tree, Fenwick 1994) answers "marks at or before t" and moves a
 * mark in O(log T) for a timeline of T slots.
 *
 * Refinements that keep it fast on millions of references:
 *   - The timeline is compacted: it has T = 2 * (pages) slots, and when
 *     `now` reaches the end the live marks (at most one per page, so at
 *     most half the slots) are renumbered 0, 1, ... in their order, which
 *     preserves every count the algorithm asks for; O(T) once per T/2
 *     references, O(1) each, and memory bounded by the pages, not the trace.
 *   - The marks are bits, 64 to a word, with the Fenwick tree over words:
 *     a count is one popcount plus a walk over T/64 entries (128 KB of tree
 *     and 256 KB of bits for a million pages: they stay in a core's L2).
 *   - Moving a mark from t to now changes the tree by -1 on t's update
 *     path and +1 on now's; the two paths join, and above the join the
 *     changes cancel, so only the parts below it are walked.
 *   - Distances are not kept one counter per distance (8 bytes a page,
 *     touched at random): each is binned between the thresholds of the
 *     sizes asked for, by a branch-free binary search over a few hundred
 *     bytes, which is all the answer needs.
 *   - The one access that misses the CPU caches, the page's previous time,
 *     is prefetched 16 references ahead (the trace is in memory).
 * Memory: 4 bytes a page for the previous times, 4 a timeline slot (8 a
 * page) for the page at each slot, which compaction needs: about 12.5
 * bytes a page.  Time: 40-55 ns a reference for 10M Zipf references over
 * 1M pages (bench/sim_bench.c), 0.5 to 0.8 of one replay of the same
 * trace through the cache core's lru, for any number of sizes.
 *
 * SHARDS.  Waldspurger, Park, Garthwaite and Ahmad ("Efficient MRC
 * construction with SHARDS", FAST 2015), fixed-rate variant: keep only the
 * references to pages whose hash, modulo P = 2^24, is below T = R * P.
 * The sample is a set of pages, each kept with probability R, so a sampled
 * reference sees about R times the distinct pages an unsampled one would:
 * a sampled distance d stands for d / R, and a cache of s pages is
 * estimated by counting the sampled distances above s * R.  Each sampled
 * reference stands for 1 / R references, so the misses are the sampled
 * misses divided by R (capped at n).  Dividing by R rather than by the
 * number of references actually sampled matters: a very hot page that
 * happens to be sampled brings many references but few misses, and
 * normalizing by the sample size would let it drag the whole curve down
 * (the paper's adjusted variant, SHARDS_adj, makes the same correction by
 * bringing the sample's total to R * n).  Work and memory shrink by R.
 *
 * Expected error of SHARDS.  The estimate at size s rests on the roughly
 * s * R sampled pages that fit in the cache, and its error shrinks like
 * 1 / sqrt(s * R).  Measured on Zipf(1.0) traces of 1M references over
 * 100k pages, 60 seeds: the root-mean-square error of the miss ratio is
 * about 0.17 / sqrt(s * R) at R = 0.1 and 0.24 / sqrt(s * R) at R = 0.01;
 * the worst seed, where s * R >= 50, was off by 0.46 / sqrt(s * R) at
 * R = 0.1 and 0.9 / sqrt(s * R) at R = 0.01 (a sampled hot page weighs
 * 1 / R references).  tests/test_mrc.c checks 0.5 / sqrt(s * R) at
 * R = 0.1.  Below s * R of about 50 a few hot pages sampled in or out
 * decide the figure (errors of 0.2 at s * R = 10), and below s * R = 1 the
 * curve says nothing (every sampled reuse counts as a miss).  So pick R so
 * that the smallest size of interest holds 50-100 sampled pages or more.
 *
 * OPT: Mattson's OPT stack.  Belady's OPT evicts the resident page whose
 * next reference is farthest in the future; it is a stack algorithm whose
 * stack is kept in priority order, the priority of a page being its next
 * reference time (sooner = higher), which changes only when the page is
 * referenced.  On a reference to x found at depth d (or not found):
 * x goes to the top, and the old top becomes a "carry" that walks down:
 * at each depth j < d the carry and the entry at j compare, the sooner
 * next use stays at j and the later one is carried on; at depth d the
 * carry takes x's old place (or, on a miss, the bottom: the stack grows).
 * The carry leaving depth j is exactly the page the j-page OPT cache
 * evicts.  Since only the top K entries matter for sizes up to K, the
 * stack is cut at K = the largest size asked for, and a carry that falls
 * off the bottom is forgotten.  Cost O(n * min(distinct pages, K)) time,
 * O(n + pages + K) memory: fine for teaching traces and small caches, hours
 * for 10M references at 100k frames.  (Faster exact OPT curves exist, e.g.
 * Sugumar and Abraham's 1993 tree method; not needed here.)
 *
 * Next-use times come from future_next_use() (future.h), the pass framesim
 * feeds OPT from, so n is at most 2^32 - 2 here.  Ties between
 * pages never referenced again are broken arbitrarily; they do not change
 * any count, since those pages are never looked up again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "future.h"
#include "mrc.h"

#define NONE UINT32_MAX
#define SHARDS_P (1u << 24)

/* ---- the timeline of marks: bits, and a Fenwick tree over words ------- */

struct marks {
	uint64_t *word;		/* [nwords]; bit t: a page's latest ref at t */
	int32_t *fen;		/* [nwords + 1]; Fenwick tree of popcounts */
	uint32_t *owner;	/* [nwords * 64]; the page marked at slot t */
	uint32_t nwords;	/* <= MARKS_MAX_WORDS */
	uint32_t now;		/* next free slot */
	uint32_t live;		/* marks set: distinct pages seen */
};

/* Slot numbers stay below 2^32; pages (< 2^31) fit in half of that. */
#define MARKS_MAX_WORDS ((1u << 26) - 1)

/* A timeline for about npages_hint pages (it grows when there are more). */
static int marks_init(struct marks *m, uint64_t npages_hint)
{
	uint64_t words = (2 * npages_hint + 64 + 63) / 64;

	m->nwords = words > MARKS_MAX_WORDS ? MARKS_MAX_WORDS :
		    (uint32_t)words;
	m->word = calloc(m->nwords, sizeof(*m->word));
	m->fen = calloc((size_t)m->nwords + 1, sizeof(*m->fen));
	m->owner = malloc((size_t)m->nwords * 64 * sizeof(*m->owner));
	m->now = 0;
	m->live = 0;
	return m->word && m->fen && m->owner ? 0 : -ENOMEM;
}

static void marks_release(struct marks *m)
{
	free(m->word);
	free(m->fen);
	free(m->owner);
}

static inline void fen_add(struct marks *m, uint32_t w, int32_t delta)
{
	for (uint32_t i = w + 1; i <= m->nwords; i += i & -i)
		m->fen[i] += delta;
}

/* Marks in words 0 .. w-1. */
static inline uint32_t fen_prefix(const struct marks *m, uint32_t w)
{
	int32_t s = 0;

	for (uint32_t i = w; i > 0; i -= i & -i)
		s += m->fen[i];
	return (uint32_t)s;
}

/* Bits set in x.  The builtin is one instruction where the target has it
 * and a call into libgcc where it does not (plain x86-64). */
static inline uint32_t popcount64(uint64_t x)
{
#ifdef __POPCNT__
	return (uint32_t)__builtin_popcountll(x);
#else
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (uint32_t)((x * 0x0101010101010101ull) >> 56);
#endif
}

/* Marks at slots 0 .. t. */
static inline uint32_t marks_upto(const struct marks *m, uint32_t t)
{
	uint64_t below = ~0ull >> (63 - (t & 63));

	return fen_prefix(m, t >> 6) +
	       popcount64(m->word[t >> 6] & below);
}

/* Renumbers the live marks 0 .. live-1 in order, rewriting each page's
 * previous-reference time in last[]; doubles the timeline if it would stay
 * more than half full.  Returns 0 or -ENOMEM. */
static int marks_compact(struct marks *m, uint32_t *last)
{
	uint32_t k = 0, nw = m->nwords;

	for (uint32_t w = 0; w < m->nwords; w++) {
		for (uint64_t bits = m->word[w]; bits; bits &= bits - 1) {
			uint32_t t = w * 64 + (uint32_t)__builtin_ctzll(bits);
			uint32_t p = m->owner[t];

			m->owner[k] = p;
			last[p] = k++;
		}
	}
	if ((uint64_t)k * 2 > (uint64_t)m->nwords * 64)
		nw = m->nwords > MARKS_MAX_WORDS / 2 ? MARKS_MAX_WORDS :
		     m->nwords * 2;
	if (nw != m->nwords) {
		uint64_t *word = realloc(m->word, (size_t)nw * sizeof(*word));
		int32_t *fen;
		uint32_t *owner;

		if (!word)
			return -ENOMEM;
		m->word = word;
		fen = realloc(m->fen, ((size_t)nw + 1) * sizeof(*fen));
		if (!fen)
			return -ENOMEM;
		m->fen = fen;
		owner = realloc(m->owner, (size_t)nw * 64 * sizeof(*owner));
		if (!owner)
			return -ENOMEM;
		m->owner = owner;
		m->nwords = nw;
	}
	/* Slots 0 .. k-1 marked: full words, one partial word, zeros. */
	for (uint32_t w = 0; w < m->nwords; w++) {
		uint32_t lo = w * 64;

		m->word[w] = k >= lo + 64 ? ~0ull :
			     k > lo ? (1ull << (k - lo)) - 1 : 0;
	}
	/* Fenwick entry i covers words (i - lowbit(i), i]. */
	for (uint32_t i = 1; i <= m->nwords; i++) {
		uint64_t hi = (uint64_t)i * 64, lo = (uint64_t)(i - (i & -i)) * 64;

		m->fen[i] = k <= lo ? 0 : (int32_t)((k < hi ? k : hi) - lo);
	}
	m->now = k;
	return 0;
}

/* Takes the next slot for page p, compacting first when the timeline is
 * full; returns the slot, or -ENOMEM.  The caller then sets the mark, by
 * marks_set or marks_move. */
static inline int64_t marks_next(struct marks *m, uint32_t *last, uint32_t p)
{
	uint32_t u;

	if (m->now == m->nwords * 64) {
		int rc = marks_compact(m, last);

		if (rc < 0)
			return rc;
	}
	u = m->now++;
	m->owner[u] = p;
	return u;
}

/* A new mark at slot u. */
static inline void marks_set(struct marks *m, uint32_t u)
{
	m->word[u >> 6] |= 1ull << (u & 63);
	fen_add(m, u >> 6, 1);
	m->live++;
}

/* Moves a mark from slot t to slot u > t.  The Fenwick counts change by -1
 * on t's update path and +1 on u's, but the two paths join at the first
 * node that covers both slots, and above it the changes cancel: walk the
 * two paths together, always advancing the lower one, until they meet
 * (at once when t and u share a word). */
static inline void marks_move(struct marks *m, uint32_t t, uint32_t u)
{
	uint32_t i = (t >> 6) + 1, j = (u >> 6) + 1, n = m->nwords;

	m->word[t >> 6] &= ~(1ull << (t & 63));
	m->word[u >> 6] |= 1ull << (u & 63);
	while (i != j) {
		if (i < j) {
			if (i > n)
				break;
			m->fen[i]--;
			i += i & -i;
		} else {
			if (j > n)
				break;
			m->fen[j]++;
			j += j & -j;
		}
	}
}

/* ---- LRU -------------------------------------------------------------- */

static inline uint32_t shards_hash(uint32_t x)	/* murmur3's fmix32 */
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

/* Hits at size s are the distances up to min(floor(s * rate), npages). */
static uint32_t threshold_of(uint64_t size, double rate, uint32_t npages)
{
	double k = (double)size * rate;

	return k >= npages ? npages : (uint32_t)k;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The first index of sorted a[0 .. n-1] whose entry is >= x (n: none).
 * Without branches on the data: distances are unpredictable. */
static inline size_t lower_bound(const uint32_t *a, size_t n, uint32_t x)
{
	const uint32_t *base = a;

	if (n == 0)
		return 0;
	while (n > 1) {
		size_t half = n / 2;

		base = base[half] < x ? base + half : base;
		n -= half;
	}
	return (size_t)(base - a) + (*base < x);
}

int mrc_lru(const uint32_t *ids, size_t n, uint32_t npages,
	    double shards_rate, const uint64_t *sizes, size_t nsizes,
	    uint64_t *misses_out)
{
	uint32_t *last = NULL;
	uint32_t *thr = NULL;		/* [nthr]: distinct thresholds, sorted */
	uint64_t *bin = NULL;		/* [nthr + 1]: distances by threshold */
	uint64_t cold = 0, sampled = 0, tail;
	uint32_t threshold = SHARDS_P;	/* hash below it: sampled */
	size_t nthr = 0;
	double rate = 1.0;
	struct marks m = { 0 };
	int rc = -EINVAL;

	/* Step 1: arguments and memory. */
	if (npages == 0 || npages > MRC_ID_MASK ||
	    !(shards_rate > 0 && shards_rate <= 1))
		return -EINVAL;
	if (shards_rate < 1) {
		threshold = (uint32_t)(shards_rate * SHARDS_P + 0.5);
		if (threshold == 0)
			threshold = 1;
		rate = (double)threshold / SHARDS_P;
	}
	last = malloc((size_t)npages * sizeof(*last));
	thr = malloc((nsizes ? nsizes : 1) * sizeof(*thr));
	bin = calloc(nsizes + 1, sizeof(*bin));
	/* A sample's timeline starts small and grows (compaction doubles it
	 * when the live marks fill more than half). */
	if (!last || !thr || !bin ||
	    marks_init(&m, rate < 1 ? (uint64_t)(npages * rate / 4) + 64 :
		       npages) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	memset(last, 0xff, (size_t)npages * sizeof(*last));

	/* Step 2: the distance thresholds of the sizes, sorted, distinct.
	 * Distances are counted per interval between thresholds: all the
	 * sizes need, and a few cache lines where a histogram by distance
	 * would take 8 bytes a page, touched at random. */
	for (size_t j = 0; j < nsizes; j++)
		thr[j] = threshold_of(sizes[j], rate, npages);
	qsort(thr, nsizes, sizeof(*thr), cmp_u32);
	for (size_t j = 0; j < nsizes; j++)
		if (nthr == 0 || thr[j] != thr[nthr - 1])
			thr[nthr++] = thr[j];

	/* Step 3: one pass, a distance per (sampled) reference.  The page's
	 * previous time is looked up a few references ahead of need: it is
	 * the one access here that misses the CPU caches. */
	for (size_t i = 0; i < n; i++) {
		uint32_t p = ids[i] & MRC_ID_MASK, t, d;
		int64_t u;

		if (i + 16 < n && (ids[i + 16] & MRC_ID_MASK) < npages)
			__builtin_prefetch(&last[ids[i + 16] & MRC_ID_MASK]);
		if (p >= npages) {
			rc = -EINVAL;
			goto out;
		}
		if (threshold < SHARDS_P &&
		    (shards_hash(p) & (SHARDS_P - 1)) >= threshold)
			continue;
		sampled++;
		u = marks_next(&m, last, p);	/* may renumber last[] */
		if (u < 0) {
			rc = (int)u;
			goto out;
		}
		t = last[p];
		last[p] = (uint32_t)u;
		if (t == NONE) {
			cold++;
			marks_set(&m, (uint32_t)u);
		} else {
			d = m.live - marks_upto(&m, t) + 1;
			bin[lower_bound(thr, nthr, d)]++;
			marks_move(&m, t, (uint32_t)u);
		}
	}
	if (sampled == 0 && n > 0) {
		rc = -ENODATA;		/* the rate kept nothing */
		goto out;
	}

	/* Step 4: bin[b] becomes the distances above thr[b]. */
	tail = 0;
	for (size_t b = nthr + 1; b-- > 0;) {
		uint64_t h = bin[b];

		bin[b] = tail;
		tail += h;
	}

	/* Step 5: misses at each size: cold ones, plus distances above its
	 * threshold (scaled back to the whole trace for a sample). */
	for (size_t j = 0; j < nsizes; j++) {
		uint32_t k = threshold_of(sizes[j], rate, npages);
		uint64_t miss = cold + bin[lower_bound(thr, nthr, k)];

		if (threshold < SHARDS_P) {
			double est = (double)miss / rate + 0.5;

			miss = est >= (double)n ? n : (uint64_t)est;
		}
		misses_out[j] = miss;
	}
	rc = 0;
out:
	marks_release(&m);
	free(bin);
	free(thr);
	free(last);
	return rc;
}

/* ---- OPT -------------------------------------------------------------- */

int mrc_opt(const uint32_t *ids, size_t n, uint32_t npages,
	    const uint64_t *sizes, size_t nsizes, uint64_t *misses_out)
{
	uint32_t *next = NULL, *snext = NULL, *sid = NULL, depth = 0, kmax = 0;
	uint64_t *hits = NULL;		/* [kmax + 1]: by distance */
	int rc = -EINVAL;

	/* Step 1: arguments; the stack depth that matters. */
	if (npages == 0 || npages > MRC_ID_MASK)
		return -EINVAL;
	for (size_t j = 0; j < nsizes; j++)
		if (sizes[j] > kmax)
			kmax = sizes[j] >= npages ? npages : (uint32_t)sizes[j];
	next = malloc((n ? n : 1) * sizeof(*next));
	sid = malloc(((size_t)kmax + 1) * sizeof(*sid));
	snext = malloc(((size_t)kmax + 1) * sizeof(*snext));
	hits = calloc((size_t)kmax + 2, sizeof(*hits));
	if (!next || !sid || !snext || !hits) {
		rc = -ENOMEM;
		goto out;
	}

	/* Step 2: next-use times (FUTURE_NEVER, the largest: never again). */
	rc = future_next_use(ids, n, npages, next);
	if (rc < 0)
		goto out;

	/* Step 3: the OPT stack, cut at kmax. */
	for (size_t i = 0; i < n && kmax > 0; i++) {
		uint32_t x = ids[i] & MRC_ID_MASK, cid, j, cnext, tmp;
		bool found = false;

		if (depth > 0 && sid[0] == x) {
			snext[0] = next[i];
			hits[1]++;
			continue;
		}
		if (depth == 0) {
			sid[0] = x;
			snext[0] = next[i];
			depth = 1;
			continue;
		}
		cid = sid[0];
		cnext = snext[0];
		sid[0] = x;
		snext[0] = next[i];
		for (j = 1; j < depth; j++) {
			if (sid[j] == x) {
				sid[j] = cid;
				snext[j] = cnext;
				hits[j + 1]++;
				found = true;
				break;
			}
			if (snext[j] > cnext) {	/* the carry is used sooner */
				uint32_t t = sid[j];

				sid[j] = cid;
				cid = t;
				tmp = snext[j];
				snext[j] = cnext;
				cnext = tmp;
			}
		}
		if (!found && depth < kmax) {
			sid[depth] = cid;
			snext[depth] = cnext;
			depth++;
		}
	}

	/* Step 4: hits[d] becomes the hits at distance <= d. */
	for (uint32_t d = 1; d <= kmax; d++)
		hits[d] += hits[d - 1];
	for (size_t j = 0; j < nsizes; j++) {
		uint64_t k = sizes[j] >= kmax ? kmax : sizes[j];

		misses_out[j] = n - hits[k];
	}
	rc = 0;
out:
	free(hits);
	free(snext);
	free(sid);
	free(next);
	return rc;
}
