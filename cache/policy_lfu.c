/* policy_lfu.c - least frequently used, in-cache, with O(1) frequency
 * buckets; least recently used among equally frequent pages.
 *
 * K. Shah, A. Mitra, D. Matani, "An O(1) algorithm for implementing the LFU
 * cache eviction scheme", 2010.  Their structure is a list of frequency
 * nodes in increasing order of frequency, each holding the items with that
 * count.  A hit moves an item from node f to node f+1, creating that node
 * right after node f when it does not exist and deleting node f when it
 * empties; an insert goes to node 1 at the front; the victim comes from the
 * first node.  Every step touches a constant number of nodes.  Here each
 * node's items are in recency order (a hit appends to the new node's
 * recent end), so the victim is the least recently used of the least
 * frequently used pages.  The count is in-cache: it starts at 1 when a page
 * comes in and is forgotten when it leaves (no ghosts), so a page evicted
 * and faulted in again starts over.
 *
 * Layout.  The nodes are not separate objects but runs of one queue: every
 * resident frame is on a single qlist ordered by (count, recency), least
 * frequent and least recent at the head, and node f is the run of frames
 * with count f.  A table indexed by count holds the last (most recent)
 * frame of each run, FRAME_NONE when node f does not exist.  Then, for a
 * frame F with count f:
 *   - hit: if node f+1 exists, F moves to just after its last frame; if not,
 *     node f+1 is created where it belongs, right after node f's last frame
 *     (and if F is that frame it stays where it is).  Either way F becomes
 *     node f+1's last frame, and node f's last frame, if it was F, becomes
 *     F's predecessor when that has count f (else node f is gone);
 *   - insert: after node 1's last frame, or at the head if there is none;
 *   - remove: unlink, fixing node f's last frame the same way;
 *   - victim: the first evictable frame from the head.
 * All O(1) except victim(), which passes over busy frames (pinned, dirty,
 * ...) in place, as FIFO and LRU do: O(1) plus the busy frames ahead of the
 * victim.  A busy frame keeps its rank and goes first once evictable.
 *
 * Why runs and not Shah's node objects: with node objects each frame needs
 * a pointer to its node beside its two links (12 bytes a frame) and the
 * nodes themselves (up to one per frame, 16 bytes or more each), far past
 * the core's 48-byte budget per frame.  The run layout needs the links (8
 * bytes) and the count (1 byte), and the table is indexed by the count, so
 * the count is capped: it saturates at LFU_COUNT_MAX = 255, and pages hit
 * that often are all "equally frequent" and ordered by recency among
 * themselves (a hit moves such a page to the recent end of node 255).  The
 * number of nodes is thus at most min(nframes, 255).  Victims come from the
 * lowest node, which in practice is far below the cap: the cap changes
 * which page goes only when no evictable page has a count below 255.
 *
 * Hits reorder the queue, so they take cache->lock, like LRU's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"
#include "qlist.h"

#define LFU_COUNT_MAX 255

struct lfu {
	struct policy base;
	struct qlinks lk;	/* [nframes] queue links; lock */
	struct qlist q;		/* head: least frequent, least recent; lock */
	uint8_t *count;		/* [nframes]; 0 when free, else 1..255; lock */
	uint32_t last[LFU_COUNT_MAX + 1]; /* [f]: node f's most recent
					 * frame, FRAME_NONE: no node f;
					 * [0] unused; lock */
};

#define LFU(p) ((struct lfu *)(p))

static struct policy *lfu_create(uint32_t nframes, const double *param)
{
	struct lfu *l = calloc(1, sizeof(*l));

	(void)param;
	if (!l)
		return NULL;
	l->count = calloc(nframes, 1);
	if (qlinks_init(&l->lk, nframes) < 0 || !l->count) {
		qlinks_release(&l->lk);
		free(l->count);
		free(l);
		return NULL;
	}
	qlist_init(&l->q);
	for (int f = 0; f <= LFU_COUNT_MAX; f++)
		l->last[f] = FRAME_NONE;
	return &l->base;
}

static void lfu_destroy(struct policy *p)
{
	qlinks_release(&LFU(p)->lk);
	free(LFU(p)->count);
	free(p);
}

/* Links x into the queue right after `at`, or at the head when at is
 * FRAME_NONE. */
static void queue_insert_after(struct lfu *l, uint32_t at, uint32_t x)
{
	uint32_t next = at != FRAME_NONE ? l->lk.next[at] : l->q.head;

	l->lk.prev[x] = at;
	l->lk.next[x] = next;
	if (at != FRAME_NONE)
		l->lk.next[at] = x;
	else
		l->q.head = x;
	if (next != FRAME_NONE)
		l->lk.prev[next] = x;
	else
		l->q.tail = x;
	l->q.len++;
}

/* x, the last frame of its node, is about to leave it: the node's last
 * frame becomes x's predecessor if that is in the same node. */
static void node_drop_last(struct lfu *l, uint32_t x)
{
	uint32_t prev = l->lk.prev[x];
	uint8_t f = l->count[x];

	l->last[f] = prev != FRAME_NONE && l->count[prev] == f ? prev :
		     FRAME_NONE;
}

static void lfu_insert(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno)
{
	struct lfu *l = LFU(p);

	(void)ino;
	(void)pgno;
	queue_insert_after(l, l->last[1], fno);
	l->count[fno] = 1;
	l->last[1] = fno;
}

static void lfu_hit(struct policy *p, uint32_t fno)
{
	struct lfu *l = LFU(p);
	uint8_t f = l->count[fno];
	uint8_t nf = f < LFU_COUNT_MAX ? f + 1 : f;
	uint32_t at;

	/* Step 1: where F goes: after node nf's last frame, or, when there
	 * is no node nf, after node f's (F itself: it stays). */
	at = l->last[nf] != FRAME_NONE ? l->last[nf] : l->last[f];
	if (at == fno) {
		/* Already in place: the last of node f, no node f+1 (or the
		 * last of the top node). */
		if (nf != f)
			node_drop_last(l, fno);
	} else {
		/* Step 2: leave node f, then join after `at`. */
		if (l->last[f] == fno)
			node_drop_last(l, fno);
		qlist_del(&l->lk, &l->q, fno);
		queue_insert_after(l, at, fno);
	}
	l->count[fno] = nf;
	l->last[nf] = fno;
}

static void lfu_remove(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno, enum policy_remove why)
{
	struct lfu *l = LFU(p);

	(void)ino;
	(void)pgno;
	(void)why;
	if (l->last[l->count[fno]] == fno)
		node_drop_last(l, fno);
	qlist_del(&l->lk, &l->q, fno);
	l->count[fno] = 0;
}

static uint32_t lfu_victim(struct policy *p)
{
	return qlist_first_evictable(&LFU(p)->lk, &LFU(p)->q, p->cache);
}

static int lfu_check(struct policy *p)
{
	struct lfu *l = LFU(p);
	unsigned char *seen = calloc(p->nframes, 1);
	uint32_t last[LFU_COUNT_MAX + 1];
	uint8_t prev = 1;
	int rc = -1;

	if (!seen)
		return -1;
	if (qlist_check(&l->lk, &l->q, p->cache, p->nframes, seen, "lfu"))
		goto out;
	if (l->q.len != cache_policy_nresident(p->cache)) {
		fprintf(stderr, "lfu: %u queued, %u resident\n", l->q.len,
			cache_policy_nresident(p->cache));
		goto out;
	}
	/* Step 1: counts in 1..max, never decreasing from head to tail. */
	for (int f = 0; f <= LFU_COUNT_MAX; f++)
		last[f] = FRAME_NONE;
	for (uint32_t x = l->q.head; x != FRAME_NONE; x = l->lk.next[x]) {
		if (l->count[x] < prev) {
			fprintf(stderr, "lfu: frame %u: count %u after %u\n",
				x, l->count[x], prev);
			goto out;
		}
		prev = l->count[x];
		last[prev] = x;
	}
	/* Step 2: the table names each run's last frame, and only those. */
	for (int f = 0; f <= LFU_COUNT_MAX; f++) {
		if (l->last[f] != last[f]) {
			fprintf(stderr, "lfu: node %d: last frame %u, should "
				"be %u\n", f, l->last[f], last[f]);
			goto out;
		}
	}
	/* Step 3: free frames have no count. */
	for (uint32_t x = 0; x < p->nframes; x++) {
		if (!seen[x] && l->count[x]) {
			fprintf(stderr, "lfu: free frame %u has count %u\n",
				x, l->count[x]);
			goto out;
		}
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

/* "count: pages, least recent first", one node after another:
 * "1: 4 5 | 3: 2". */
static void lfu_show(struct policy *p, FILE *out)
{
	struct lfu *l = LFU(p);
	uint8_t f = 0;

	fprintf(out, "by count, least recent first:");
	for (uint32_t x = l->q.head; x != FRAME_NONE; x = l->lk.next[x]) {
		if (l->count[x] != f) {
			fprintf(out, "%s %u:", f ? " |" : "", l->count[x]);
			f = l->count[x];
		}
		fprintf(out, " %llu",
			(unsigned long long)cache_policy_pgno(p->cache, x));
	}
}

const struct policy_ops policy_lfu = {
	.name = "lfu",
	.summary = "least frequently used, LRU among equals (counts to 255)",
	.flags = 0,
	.create = lfu_create,
	.destroy = lfu_destroy,
	.insert = lfu_insert,
	.hit = lfu_hit,
	.remove = lfu_remove,
	.victim = lfu_victim,
	.check = lfu_check,
	.bytes_per_frame = 2 * sizeof(uint32_t) + sizeof(uint8_t), /* links,
								   * count */
	.bytes_fixed = sizeof(((struct lfu *)0)->last), /* node table */
	.show = lfu_show,
};
