/* cache.c - the frame pool, its index, per-file lists and the frame state
 * machine.
 *
 * Memory layout.  Everything is allocated once in cache_new():
 *   frames[nframes]   32-byte struct frame: key, state word, two links
 *   buckets[2^k]      index heads, 2^k >= nframes (load factor <= 1), chained
 *                     through frame.hnext; a free frame's hnext links the
 *                     free list instead
 *   data              nframes * page_size bytes (none when metadata_only);
 *                     frame i's page is data + (i << page_shift)
 * Per-file records (struct cfile) are the only allocation after that, made
 * on the miss path when a file gets its first frame.
 *
 * The state word.  frame.word packs the state (FREE, LOADING, CLEAN, DIRTY,
 * WRITEBACK), the flags below and the pin count, and is only changed with
 * atomic operations, because pins are taken and dropped without any lock.
 * Every other change happens under cache->lock.
 *
 * The hit path takes no lock (Linux's find_get_page under RCU is the model):
 * frames are never freed, only reused, so a reader may walk an index chain
 * while it changes.  It reads the key racily, pins the frame if its state is
 * live (CLEAN, DIRTY, WRITEBACK), then re-reads the key: if the frame was
 * reused meanwhile, it unpins and falls back to the locked path, which is
 * authoritative.  A racing walk can only miss, never return a wrong page,
 * because a live frame's key is written before the release that made it
 * live and at most one live frame holds a given key.
 *
 * Hit pins write nothing shared.  A pin count in the frame would make every
 * hit an atomic read-modify-write of a line all readers share, and two
 * threads hitting the same frames would bounce those lines between cores
 * (measured: two threads slower than one).  So the hit path pins with a
 * hazard pointer (Michael, 2004): it publishes the frame number in one of
 * its own thread's slots (struct hp_block, its own cache line), then checks
 * the frame's word.  Whoever frees a frame first marks it EVICTING, then
 * scans the slots; both sides use sequentially consistent accesses, so
 * either the reader sees EVICTING (and falls back to a counted pin in the
 * word, which aborts the eviction) or the freer sees the slot (and leaves
 * the frame).  Hazard pins belong to the thread that took them: unpin a
 * frame on the thread that looked it up.  Threads beyond HP_THREADS, or
 * holding more than HP_SLOTS pins, get counted pins, which are always
 * correct, only slower.  For policies whose hit only sets a bit (FIFO,
 * CLOCK) a hit is then read-only on shared lines; LRU takes cache->lock to
 * move the frame.  Counters are per-thread slots as well.
 *
 * Invariants (cache_check() verifies them all):
 *   - each frame is either FREE and on the free list, or indexed exactly once
 *     under the bucket of its key and on its file's list exactly once;
 *   - a file's list holds its DIRTY/WRITEBACK frames first (cfile.ndirty of
 *     them), then the others; new frames go to the tail, dirtied to the head,
 *     cleaned back to the tail;
 *   - files with ndirty > 0 are on the dirty-file list, oldest dirtied first;
 *   - the policy tracks exactly the indexed frames;
 *   - a frame is freed only from CLEAN with no pins (or dropped, waiting for
 *     pins, loads, write-back and eviction to finish).
 *
 * Locks.  One mutex, cache->lock, protects the index structure, free list,
 * file records and lists, dirty-file list, the non-pin parts of frame state
 * and the policy (except POLICY_HIT_LOCKLESS hits).  It is a leaf lock:
 * nothing is called with it held that could block on I/O, FUSE or another
 * lock, and page data is never copied under it.  cache->cv (with that lock)
 * wakes threads waiting for a load, a write-back, an eviction or an unpin.
 *
 * The simulator's path.  framesim and sim_bench replay traces of millions
 * of references through this same code, on one thread, with no page data
 * and nobody else using the cache.  Through the protocol above, one access
 * cost a lookup with a hazard pin (sequentially consistent stores), one to
 * five lock round trips (get, evict_begin, evict_end, get again,
 * load_done), condition-variable broadcasts and atomic counter adds: about
 * 8M requests/s where a bare hash map does 40M+.  So cache_sim_access()
 * takes a direct path instead: it finds the page with index_find, and on a
 * hit calls the policy's hit(); on a miss it calls pending() and victim()
 * when no frame is free, releases the victim (index, file list, policy
 * remove(POLICY_EVICTED), free list) and inserts the page (free list,
 * key, index, file list, policy insert()) straight in the CLEAN state,
 * since there is nothing to load.  These are the structures, helpers and
 * policy calls of the protocol path, in the same order, so the decisions
 * and the frame numbers are the same (tests/test_policy.c replays every
 * policy both ways and compares each step) and cache_check() holds after
 * every access.  What it skips is only what concurrency needs: the lock,
 * pins of either kind, the LOADING and EVICTING states in between, atomic
 * read-modify-writes (its counters are a slot of their own, c->sim, which
 * only the simulating thread writes, with relaxed stores; cache_stats adds
 * them in) and broadcasts.  Its contract is therefore the simulator's: one
 * thread uses the cache, and holds no pins when it calls.  A frame found
 * LOADING or EVICTING (the caller is between cache_evict_begin and _end on
 * that same thread) sends the access down the protocol path, which knows
 * what to do.  The daemon never calls it; the concurrent paths are as
 * described above, unchanged.
 *
 * What is left is memory latency: a lookup reads a bucket, then the frame
 * it names, two dependent loads that miss the CPU caches for all but the
 * hottest pages.  A simulator has its trace in hand, so
 * cache_sim_prefetch() lets it announce the reference CACHE_SIM_AHEAD
 * accesses ahead: the bucket is prefetched at once and the frame half way
 * (measured: 10-20% more requests/s on a Zipf trace).  It only prefetches;
 * a wrong or missing hint costs time, never correctness.
 */
#define _GNU_SOURCE
#include "cache.h"
#include "keyhash.h"
#include "policy.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#ifdef CACHE_TRACE_ON
#define CACHE_TRACE(args) do { fprintf(stderr, "cache: "); \
	fprintf args; fputc('\n', stderr); } while (0)
#else
#define CACHE_TRACE(args) ((void)0)
#endif

#define FW_STATE_MASK	0x7u
/* A word state of its own, never reported: an evicting frame that
 * cache_drop_range took out of the index, the file and the policy (its data
 * is garbage: the file was cut or deleted, or a hole was punched there).
 * The evicting thread frees it at cache_evict_end/_cancel, once its pins
 * drain, and never writes it back.  Drop does not wait for evictions: one
 * may be waiting, in the kernel, for the truncate or fallocate that is
 * dropping. */
#define FS_DOOMED	6u
#define FW_EVICTING	0x8u	/* between evict_begin and evict_end */
#define FW_REVIVED	0x10u	/* read while evicting: abort the eviction */
#define FW_REDIRTY	0x20u	/* dirtied while under write-back */
#define FW_WASDIRTY	0x40u	/* dirtied while evicting */
#define FW_WAITERS	0x80u	/* someone sleeps on cv for pins to drain */
#define FW_PIN_SHIFT	8
#define FW_PIN_ONE	(1u << FW_PIN_SHIFT)

#define fw_state(w)	((w) & FW_STATE_MASK)
#define fw_pins(w)	((w) >> FW_PIN_SHIFT)

#define LOAD_RLX(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#define LOAD_ACQ(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE_RLX(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define STORE_REL(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

struct frame {
	uint64_t ino;		/* key; written under lock while FREE */
	uint64_t pgno;		/* key; read racily by the hit path */
	uint32_t word;		/* state | FW_* flags | pins; atomic */
	uint32_t hnext;		/* index chain or free list; lock (atomic
				 * stores for lock-free readers) */
	uint32_t fprev, fnext;	/* circular per-file list; lock */
};

struct cfile {
	uint64_t ino;
	struct cfile *hnext;		/* file table chain */
	uint32_t head;			/* first frame, FRAME_NONE if none */
	uint32_t nres;			/* resident frames */
	uint32_t ndirty;		/* DIRTY + WRITEBACK frames */
	uint32_t err_seq;		/* write-back errors so far */
	int err;			/* newest write-back error */
	uint64_t dirtied_ms;		/* when ndirty went 0 -> 1 */
	struct cfile *dprev, *dnext;	/* dirty-file list */
};

enum cnt {
	CNT_HITS, CNT_MISSES, CNT_INSERTS, CNT_EVICTIONS,
	CNT_EVICTIONS_DIRTY, CNT_EVICT_ABORTS, CNT_PINS, CNT_DIRTY_MARKS,
	CNT_WRITEBACKS, CNT_WRITEBACK_ERRORS, CNT_LOAD_ERRORS, CNT_DROPS,
	CNT__N
};

#define NSLOTS 16		/* counter slots; threads share beyond that */
#define HP_THREADS 64		/* threads with hazard slots, per cache */
#define HP_SLOTS 4		/* hazard pins a thread can hold at once */
/* evict_begin passes over hazard-pinned frames; there are at most this
 * many, plus a few counted-pinned between victim() and our CAS. */
#define EVICT_HELD_MAX (HP_THREADS * HP_SLOTS + 16)
/* cache_sim_prefetch: a hinted page's bucket is fetched at once, its first
 * frame SIM_STAGE hints later, when the bucket has arrived. */
#define SIM_STAGE (CACHE_SIM_AHEAD / 2)

/* One thread's hazard pins: written by the owner, scanned by freers. */
struct hp_block {
	uint32_t slot[HP_SLOTS];	/* frame numbers or FRAME_NONE; atomic */
	uint64_t owner;			/* thread token, 0 = unclaimed; atomic */
} __attribute__((aligned(64)));

struct cnt_slot {
	uint64_t v[CNT__N];	/* atomic adds; one thread per slot mostly */
} __attribute__((aligned(64)));

struct cache {
	pthread_mutex_t lock;
	pthread_cond_t cv;		/* loads, write-backs, evictions, unpins */
	struct frame *frames;		/* [nframes] */
	uint32_t *buckets;		/* [bucket_mask + 1]; lock, atomic */
	uint32_t bucket_mask;
	uint32_t nframes;
	uint32_t page_shift;
	unsigned char *data;		/* NULL when metadata_only */
	size_t data_bytes;
	struct policy *policy;		/* lock; lockless hits load it
					 * atomically (cache_set_policy) */
	struct policy *retired;		/* lock; policies replaced by
					 * cache_set_policy: a lockless hit
					 * may still be in one, so they live
					 * until cache_free */
	uint32_t free_head;		/* lock */
	uint32_t nfree;			/* lock */
	uint32_t ndoomed;		/* FS_DOOMED frames; lock */
	uint32_t ndirty;		/* lock; DIRTY + WRITEBACK frames */
	struct cfile **ftab;		/* lock; file table */
	uint32_t ftab_mask;
	uint32_t nfiles;		/* lock; records in ftab */
	struct cfile *dirty_head;	/* lock; oldest dirtied first */
	struct cfile *dirty_tail;
	uint64_t next_use;		/* cache_set_next_use (OPT): written
					 * and read by the simulating thread */
	uint64_t id;			/* unique per cache_new, for the TLS */
	uint32_t hp_nblocks;		/* atomic; claimed hp blocks so far */
	uint32_t hp_waiters;		/* atomic; droppers waiting on hazards */
	struct frame *evict_held[EVICT_HELD_MAX]; /* lock; evict_begin's */
	struct hp_block hp[HP_THREADS];
	struct cnt_slot slots[NSLOTS];
	struct cnt_slot sim;		/* cache_sim_access's counts: written
					 * by the simulating thread alone,
					 * relaxed; cache_stats adds them in */
	uint32_t sim_ahead[SIM_STAGE];	/* cache_sim_prefetch's buckets, the
					 * last SIM_STAGE hinted; simulating
					 * thread only */
	uint32_t sim_ahead_pos;
};

static int check_locked(struct cache *c);

/* Debug builds (-Dcheck_invariants=true) verify everything after each
 * structural change; lock held. */
#ifdef CACHE_CHECK_HOT
#define HOT_CHECK(c) assert(check_locked(c) == 0)
#else
#define HOT_CHECK(c) ((void)0)
#endif

/* ---- small helpers ---------------------------------------------------- */

static unsigned thread_slot(void)
{
	static unsigned next;
	static __thread unsigned slot = ~0u;

	if (slot == ~0u)
		slot = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % NSLOTS;
	return slot;
}

static inline void cnt_add(struct cache *c, enum cnt k, uint64_t n)
{
	__atomic_fetch_add(&c->slots[thread_slot()].v[k], n, __ATOMIC_RELAXED);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint32_t fno_of(const struct cache *c, const struct frame *f)
{
	return (uint32_t)(f - c->frames);
}

/* Sets the state bits of f to s, then its flags to (flags | set) & ~clr,
 * keeping the pins, which other threads may change concurrently.  Returns
 * the old word. */
static uint32_t word_change(struct frame *f, uint32_t s, uint32_t set,
			    uint32_t clr)
{
	uint32_t w = LOAD_RLX(&f->word), nw;

	do {
		nw = ((w & ~FW_STATE_MASK) | s | set) & ~clr;
	} while (!__atomic_compare_exchange_n(&f->word, &w, nw, true,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return w;
}

/* Pins f if it is live (CLEAN, DIRTY or WRITEBACK).  A read pin of an
 * evicting frame marks it REVIVED, which aborts the eviction. */
static bool pin_live(struct frame *f, unsigned flags)
{
	uint32_t w = LOAD_RLX(&f->word), nw, s;

	do {
		s = fw_state(w);
		if (s != FRAME_CLEAN && s != FRAME_DIRTY &&
		    s != FRAME_WRITEBACK)
			return false;
		nw = w + FW_PIN_ONE;
		if ((w & FW_EVICTING) && !(flags & CACHE_WRITE))
			nw |= FW_REVIVED;
	} while (!__atomic_compare_exchange_n(&f->word, &w, nw, true,
					      __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return true;
}

/* Drops a pin; wakes the waiters of a frame whose last pin goes. */
static void unpin_raw(struct cache *c, struct frame *f)
{
	uint32_t old = __atomic_fetch_sub(&f->word, FW_PIN_ONE,
					  __ATOMIC_RELEASE);

	/* No counted pin: a hit pin unpinned on another thread. */
	assert(fw_pins(old) >= 1);
	if (fw_pins(old) == 1 && (old & FW_WAITERS)) {
		pthread_mutex_lock(&c->lock);
		__atomic_fetch_and(&f->word, ~FW_WAITERS, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->lock);
	}
}

/* Marks f as waited for if it has pins.  Caller holds lock and sleeps on cv
 * when this returns true. */
static bool want_unpin(struct frame *f)
{
	uint32_t w = LOAD_RLX(&f->word);

	do {
		if (fw_pins(w) == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&f->word, &w, w | FW_WAITERS,
					      true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return true;
}

/* ---- hazard pins ------------------------------------------------------ */

static __thread uint64_t tls_cache_id;	/* the cache tls_hp belongs to */
static __thread struct hp_block *tls_hp;

static uint64_t thread_token(void)
{
	static uint64_t next;
	static __thread uint64_t token;

	if (!token)
		token = __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
	return token;
}

/* This thread's hazard block in c, or NULL.  With claim, takes a free
 * block on first use (NULL when all are taken: the thread then uses counted
 * pins).  Only hp_pin claims, so threads that merely unpin or assert do not
 * use up blocks. */
static struct hp_block *hp_find(struct cache *c, bool claim)
{
	uint64_t me = thread_token(), zero;
	struct hp_block *mine = NULL;

	if (tls_cache_id == c->id)
		return tls_hp;
	for (uint32_t i = 0; i < HP_THREADS && !mine; i++)
		if (LOAD_RLX(&c->hp[i].owner) == me)
			mine = &c->hp[i];
	for (uint32_t i = 0; i < HP_THREADS && !mine && claim; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(&c->hp[i].owner, &zero, me,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED)) {
			uint32_t n = __atomic_load_n(&c->hp_nblocks,
						     __ATOMIC_SEQ_CST);

			while (n < i + 1 &&
			       !__atomic_compare_exchange_n(&c->hp_nblocks, &n,
							    i + 1, false,
							    __ATOMIC_SEQ_CST,
							    __ATOMIC_SEQ_CST))
				;
			mine = &c->hp[i];
		}
	}
	if (mine || claim) {
		tls_cache_id = c->id;
		tls_hp = mine;
	}
	return mine;
}

/* Empties a slot.  A cache_drop_range may be waiting for it: the store is
 * sequentially consistent against its hp_waiters increment, so either it
 * sees the slot empty or we see it waiting and wake it. */
static void hp_clear(struct cache *c, struct hp_block *b, int i)
{
	__atomic_store_n(&b->slot[i], FRAME_NONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->hp_waiters, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&c->lock);
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->lock);
	}
}

/* Pins f with a hazard slot if it is live and not being freed.  Returns
 * false if it could not (no slot, or the state says otherwise): the caller
 * then takes a counted pin. */
static bool hp_pin(struct cache *c, struct frame *f)
{
	struct hp_block *b = hp_find(c, true);
	uint32_t fno = fno_of(c, f), w, s;

	if (!b)
		return false;
	for (int i = 0; i < HP_SLOTS; i++) {
		if (LOAD_RLX(&b->slot[i]) != FRAME_NONE)
			continue;
		__atomic_store_n(&b->slot[i], fno, __ATOMIC_SEQ_CST);
		w = __atomic_load_n(&f->word, __ATOMIC_SEQ_CST);
		s = fw_state(w);
		if ((s == FRAME_CLEAN || s == FRAME_DIRTY ||
		     s == FRAME_WRITEBACK) && !(w & FW_EVICTING))
			return true;
		hp_clear(c, b, i);
		return false;
	}
	return false;
}

/* Drops a hazard pin of this thread on fno; false if it holds none. */
static bool hp_unpin(struct cache *c, uint32_t fno)
{
	struct hp_block *b = hp_find(c, false);

	if (!b)
		return false;
	for (int i = 0; i < HP_SLOTS; i++) {
		if (LOAD_RLX(&b->slot[i]) == fno) {
			hp_clear(c, b, i);
			return true;
		}
	}
	return false;
}

/* Does this thread hold a hazard pin on fno?  For assertions. */
static bool hp_mine_holds(struct cache *c, uint32_t fno)
{
	struct hp_block *b = hp_find(c, false);

	for (int i = 0; b && i < HP_SLOTS; i++)
		if (LOAD_RLX(&b->slot[i]) == fno)
			return true;
	return false;
}

/* Does any thread hold a hazard pin on fno?  The caller has just marked
 * the frame EVICTING (seq_cst), so pins taken after this scan fail. */
static bool hp_busy(struct cache *c, uint32_t fno)
{
	uint32_t n = __atomic_load_n(&c->hp_nblocks, __ATOMIC_SEQ_CST);

	for (uint32_t i = 0; i < n; i++)
		for (int j = 0; j < HP_SLOTS; j++)
			if (__atomic_load_n(&c->hp[i].slot[j],
					    __ATOMIC_SEQ_CST) == fno)
				return true;
	return false;
}

/* Marks a frame with no counted pins EVICTING, seq_cst, if no hazard pin
 * holds it; false (and the word as it was) otherwise.  Lock held. */
static bool freeze(struct cache *c, struct frame *f, uint32_t w)
{
	if (fw_pins(w) ||
	    !__atomic_compare_exchange_n(&f->word, &w, w | FW_EVICTING, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return false;
	if (!hp_busy(c, fno_of(c, f)))
		return true;
	word_change(f, fw_state(w), 0, FW_EVICTING | FW_REVIVED);
	return false;
}

/* ---- index (lock held for changes) ------------------------------------ */

static inline uint32_t index_find(struct cache *c, uint64_t ino,
				  uint64_t pgno)
{
	uint32_t fno = c->buckets[key_hash(ino, pgno) & c->bucket_mask];

	while (fno != FRAME_NONE) {
		struct frame *f = &c->frames[fno];

		if (f->ino == ino && f->pgno == pgno)
			return fno;
		fno = f->hnext;
	}
	return FRAME_NONE;
}

static void index_insert(struct cache *c, uint32_t fno)
{
	struct frame *f = &c->frames[fno];
	uint32_t *head = &c->buckets[key_hash(f->ino, f->pgno) &
				     c->bucket_mask];

	STORE_RLX(&f->hnext, *head);
	STORE_REL(head, fno);
}

static void index_remove(struct cache *c, uint32_t fno)
{
	struct frame *f = &c->frames[fno];
	uint32_t *link = &c->buckets[key_hash(f->ino, f->pgno) &
				     c->bucket_mask];

	while (*link != fno) {
		assert(*link != FRAME_NONE);
		link = &c->frames[*link].hnext;
	}
	STORE_REL(link, f->hnext);
}

/* ---- file records and per-file lists (lock held) ---------------------- */

static struct cfile *file_find(struct cache *c, uint64_t ino)
{
	struct cfile *cf = c->ftab[key_hash(ino, 0) & c->ftab_mask];

	while (cf && cf->ino != ino)
		cf = cf->hnext;
	return cf;
}

static void ftab_grow(struct cache *c)
{
	uint32_t nmask = c->ftab_mask * 2 + 1;
	struct cfile **nt = calloc((size_t)nmask + 1, sizeof(*nt));

	if (!nt)
		return;		/* keep the longer chains */
	for (uint32_t i = 0; i <= c->ftab_mask; i++) {
		struct cfile *cf = c->ftab[i], *next;

		for (; cf; cf = next) {
			uint32_t b = key_hash(cf->ino, 0) & nmask;

			next = cf->hnext;
			cf->hnext = nt[b];
			nt[b] = cf;
		}
	}
	free(c->ftab);
	c->ftab = nt;
	c->ftab_mask = nmask;
}

/* Finds or creates the record of ino; NULL on ENOMEM. */
static struct cfile *file_get(struct cache *c, uint64_t ino)
{
	struct cfile *cf = file_find(c, ino);
	uint32_t b;

	if (cf)
		return cf;
	cf = calloc(1, sizeof(*cf));
	if (!cf)
		return NULL;
	cf->ino = ino;
	cf->head = FRAME_NONE;
	if (c->nfiles > c->ftab_mask)
		ftab_grow(c);
	b = key_hash(ino, 0) & c->ftab_mask;
	cf->hnext = c->ftab[b];
	c->ftab[b] = cf;
	c->nfiles++;
	return cf;
}

/* Frees the record when nothing refers to it any more. */
static void file_put(struct cache *c, struct cfile *cf)
{
	struct cfile **link;

	if (cf->nres || cf->ndirty || cf->err_seq)
		return;
	link = &c->ftab[key_hash(cf->ino, 0) & c->ftab_mask];
	while (*link != cf)
		link = &(*link)->hnext;
	*link = cf->hnext;
	c->nfiles--;
	free(cf);
}

static void dirty_list_add(struct cache *c, struct cfile *cf)
{
	cf->dirtied_ms = now_ms();
	cf->dnext = NULL;
	cf->dprev = c->dirty_tail;
	if (c->dirty_tail)
		c->dirty_tail->dnext = cf;
	else
		c->dirty_head = cf;
	c->dirty_tail = cf;
}

static void dirty_list_del(struct cache *c, struct cfile *cf)
{
	if (cf->dprev)
		cf->dprev->dnext = cf->dnext;
	else
		c->dirty_head = cf->dnext;
	if (cf->dnext)
		cf->dnext->dprev = cf->dprev;
	else
		c->dirty_tail = cf->dprev;
	cf->dprev = cf->dnext = NULL;
}

/* Links fno into cf's circular list; at_head puts it first. */
static void flist_add(struct cache *c, struct cfile *cf, uint32_t fno,
		      bool at_head)
{
	struct frame *f = &c->frames[fno];

	if (cf->head == FRAME_NONE) {
		f->fprev = f->fnext = fno;
		cf->head = fno;
	} else {
		struct frame *h = &c->frames[cf->head];

		f->fnext = cf->head;
		f->fprev = h->fprev;
		c->frames[h->fprev].fnext = fno;
		h->fprev = fno;
		if (at_head)
			cf->head = fno;
	}
	cf->nres++;
}

static void flist_del(struct cache *c, struct cfile *cf, uint32_t fno)
{
	struct frame *f = &c->frames[fno];

	if (f->fnext == fno) {
		cf->head = FRAME_NONE;
	} else {
		c->frames[f->fprev].fnext = f->fnext;
		c->frames[f->fnext].fprev = f->fprev;
		if (cf->head == fno)
			cf->head = f->fnext;
	}
	cf->nres--;
}

/* The frame joins the dirty prefix of its file's list. */
static void file_dirty(struct cache *c, struct cfile *cf, uint32_t fno)
{
	flist_del(c, cf, fno);
	flist_add(c, cf, fno, true);
	if (cf->ndirty++ == 0)
		dirty_list_add(c, cf);
	c->ndirty++;
}

/* The frame leaves the dirty prefix (cleaned or dropped). */
static void file_undirty(struct cache *c, struct cfile *cf, uint32_t fno,
			 bool drop)
{
	flist_del(c, cf, fno);
	if (!drop)
		flist_add(c, cf, fno, false);
	if (--cf->ndirty == 0)
		dirty_list_del(c, cf);
	c->ndirty--;
}

/* Unlinks a frame from index, file and policy. */
static void frame_unlink(struct cache *c, uint32_t fno, uint32_t old_state,
			 enum policy_remove why)
{
	struct frame *f = &c->frames[fno];
	struct cfile *cf = file_find(c, f->ino);

	assert(cf);
	index_remove(c, fno);
	if (old_state == FRAME_DIRTY || old_state == FRAME_WRITEBACK)
		file_undirty(c, cf, fno, true);
	else
		flist_del(c, cf, fno);
	c->policy->ops->remove(c->policy, fno, f->ino, f->pgno, why);
	file_put(c, cf);
}

static void free_push(struct cache *c, uint32_t fno)
{
	STORE_RLX(&c->frames[fno].hnext, c->free_head);
	c->free_head = fno;
	c->nfree++;
}

/* Unlinks a frame whose word is already FREE from index, file, policy, and
 * pushes it on the free list. */
static void frame_release(struct cache *c, uint32_t fno, uint32_t old_state,
			  enum policy_remove why)
{
	frame_unlink(c, fno, old_state, why);
	free_push(c, fno);
}

/* Frees a FS_DOOMED frame once its pins drain.  Lock held; may sleep. */
static void doomed_free(struct cache *c, struct frame *fr)
{
	uint32_t w;

	for (;;) {
		w = LOAD_RLX(&fr->word);
		assert(fw_state(w) == FS_DOOMED);
		if (fw_pins(w)) {
			if (want_unpin(fr))
				pthread_cond_wait(&c->cv, &c->lock);
			continue;
		}
		if (__atomic_compare_exchange_n(&fr->word, &w, FRAME_FREE,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			break;
	}
	c->ndoomed--;
	free_push(c, fno_of(c, fr));
}

/* ---- lifecycle -------------------------------------------------------- */

struct cache *cache_new(const struct cache_config *cfg)
{
	const struct policy_ops *ops;
	double param[POLICY_MAX_PARAMS];
	struct cache *c;
	uint32_t page_size = cfg->page_size ? cfg->page_size : 4096;
	uint32_t nb = 1;
	char err[8];

	/* Step 1: validate. */
	if (policy_parse(cfg->policy ? cfg->policy : "lru", &ops, param, err,
			 sizeof(err)) < 0 || cfg->nframes == 0 || cfg->nframes >= FRAME_NONE / 2 ||
	    page_size < 512 || (page_size & (page_size - 1))) {
		errno = EINVAL;
		return NULL;
	}
	if (posix_memalign((void **)&c, 64, sizeof(*c))) {
		errno = ENOMEM;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->nframes = cfg->nframes;
	c->page_shift = (uint32_t)__builtin_ctz(page_size);
	{
		static uint64_t next_id;

		c->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	}
	for (int i = 0; i < HP_THREADS; i++)
		for (int j = 0; j < HP_SLOTS; j++)
			c->hp[i].slot[j] = FRAME_NONE;
	for (int i = 0; i < SIM_STAGE; i++)
		c->sim_ahead[i] = FRAME_NONE;

	/* Step 2: frames, all free, and the index. */
	while (nb < cfg->nframes)
		nb <<= 1;
	c->bucket_mask = nb - 1;
	c->frames = calloc(cfg->nframes, sizeof(*c->frames));
	c->buckets = malloc((size_t)nb * sizeof(*c->buckets));
	c->ftab_mask = 63;
	c->ftab = calloc(c->ftab_mask + 1, sizeof(*c->ftab));
	if (!c->frames || !c->buckets || !c->ftab)
		goto out_nomem;
	memset(c->buckets, 0xff, (size_t)nb * sizeof(*c->buckets));
	for (uint32_t i = 0; i < cfg->nframes; i++)
		c->frames[i].hnext = i + 1 < cfg->nframes ? i + 1 : FRAME_NONE;
	c->free_head = 0;
	c->nfree = cfg->nframes;

	/* Step 3: page data, untouched until used. */
	if (!cfg->metadata_only) {
		c->data_bytes = (size_t)cfg->nframes << c->page_shift;
		c->data = mmap(NULL, c->data_bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c->data == MAP_FAILED) {
			c->data = NULL;
			goto out_nomem;
		}
	}

	/* Step 4: the policy. */
	c->next_use = UINT64_MAX;
	c->policy = ops->create(cfg->nframes, param);
	if (!c->policy)
		goto out_nomem;
	c->policy->ops = ops;
	c->policy->cache = c;
	c->policy->nframes = cfg->nframes;
	return c;

out_nomem:
	cache_free(c);
	errno = ENOMEM;
	return NULL;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	if (c->policy)
		c->policy->ops->destroy(c->policy);
	while (c->retired) {
		struct policy *p = c->retired;

		c->retired = p->retired_next;
		p->ops->destroy(p);
	}
	if (c->data)
		munmap(c->data, c->data_bytes);
	if (c->ftab) {
		for (uint32_t i = 0; i <= c->ftab_mask; i++) {
			struct cfile *cf = c->ftab[i], *next;

			for (; cf; cf = next) {
				next = cf->hnext;
				free(cf);
			}
		}
	}
	free(c->ftab);
	free(c->buckets);
	free(c->frames);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

const char *cache_policy_name(const struct cache *c)
{
	return LOAD_ACQ(&c->policy)->ops->name;
}

uint32_t cache_page_size(const struct cache *c)
{
	return 1u << c->page_shift;
}

uint32_t cache_nframes(const struct cache *c)
{
	return c->nframes;
}

/* ---- lookups ---------------------------------------------------------- */

/* The lock-free hit path; NULL means "ask the locked path". */
static struct frame *lookup_fast(struct cache *c, uint64_t ino, uint64_t pgno,
				 unsigned flags)
{
	uint32_t fno = LOAD_ACQ(&c->buckets[key_hash(ino, pgno) &
					    c->bucket_mask]);

	/* A walk disturbed by concurrent relinking may wander; bound it. */
	for (int steps = 0; fno != FRAME_NONE && steps < 32; steps++) {
		struct frame *f = &c->frames[fno];

		if (LOAD_RLX(&f->ino) == ino && LOAD_RLX(&f->pgno) == pgno) {
			if (!hp_pin(c, f) && !pin_live(f, flags))
				return NULL;
			if (LOAD_RLX(&f->ino) != ino ||
			    LOAD_RLX(&f->pgno) != pgno) {
				cache_unpin(c, f);
				return NULL;
			}
			return f;
		}
		fno = LOAD_ACQ(&f->hnext);
	}
	return NULL;
}

static void hit_done(struct cache *c, struct frame *f)
{
	struct policy *p = LOAD_ACQ(&c->policy);

	if (p->ops->flags & POLICY_HIT_LOCKLESS) {
		/* Maybe a policy cache_set_policy just retired: the bit is
		 * lost, nothing worse.  A frame cache_drop_range doomed is out
		 * of the policy: no bit for it (a drop racing past this test
		 * leaves a bit on a free frame, which the next insert
		 * clears). */
		if (fw_state(LOAD_RLX(&f->word)) != FS_DOOMED)
			p->ops->hit(p, fno_of(c, f));
	} else {
		pthread_mutex_lock(&c->lock);
		/* Pinned before cache_drop_range doomed it: out of the policy
		 * already. */
		if (fw_state(LOAD_RLX(&f->word)) != FS_DOOMED)
			c->policy->ops->hit(c->policy, fno_of(c, f));
		pthread_mutex_unlock(&c->lock);
	}
	cnt_add(c, CNT_HITS, 1);
	cnt_add(c, CNT_PINS, 1);
}

/* The locked path of cache_get(). */
static int get_locked(struct cache *c, uint64_t ino, uint64_t pgno,
		      unsigned flags, struct frame **out)
{
	struct cfile *cf;
	struct frame *f;
	uint32_t fno;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		fno = index_find(c, ino, pgno);
		if (fno == FRAME_NONE)
			break;
		f = &c->frames[fno];
		if (fw_state(LOAD_RLX(&f->word)) == FRAME_LOADING) {
			pthread_cond_wait(&c->cv, &c->lock);
			continue;
		}
		/* Indexed and not loading: live, so the pin succeeds. */
		if (!pin_live(f, flags))
			assert(!"indexed frame not live");
		c->policy->ops->hit(c->policy, fno);
		pthread_mutex_unlock(&c->lock);
		cnt_add(c, CNT_HITS, 1);
		cnt_add(c, CNT_PINS, 1);
		*out = f;
		return 0;
	}
	if (flags & CACHE_NOCREATE) {
		pthread_mutex_unlock(&c->lock);
		cnt_add(c, CNT_MISSES, 1);
		return -ENOENT;
	}
	if (c->nfree == 0) {
		if (c->policy->ops->pending)
			c->policy->ops->pending(c->policy, ino, pgno);
		pthread_mutex_unlock(&c->lock);
		return -ENOBUFS;
	}
	cf = file_get(c, ino);
	if (!cf) {
		pthread_mutex_unlock(&c->lock);
		return -ENOMEM;
	}

	/* A miss: take a free frame, key it, index it LOADING and pinned. */
	fno = c->free_head;
	f = &c->frames[fno];
	c->free_head = f->hnext;
	c->nfree--;
	STORE_RLX(&f->ino, ino);
	STORE_RLX(&f->pgno, pgno);
	STORE_REL(&f->word, FRAME_LOADING | FW_PIN_ONE);
	index_insert(c, fno);
	flist_add(c, cf, fno, false);
	c->policy->ops->insert(c->policy, fno, ino, pgno);
	HOT_CHECK(c);
	pthread_mutex_unlock(&c->lock);
	CACHE_TRACE((stderr, "insert %lu:%lu -> frame %u",
		     (unsigned long)ino, (unsigned long)pgno, fno));
	cnt_add(c, CNT_MISSES, 1);
	cnt_add(c, CNT_INSERTS, 1);
	cnt_add(c, CNT_PINS, 1);
	*out = f;
	return 1;
}

struct frame *cache_lookup(struct cache *c, uint64_t ino, uint64_t pgno,
			   unsigned flags)
{
	struct frame *f;

	f = lookup_fast(c, ino, pgno, flags);
	if (f) {
		hit_done(c, f);
		return f;
	}
	if (get_locked(c, ino, pgno, flags | CACHE_NOCREATE, &f) < 0)
		return NULL;
	return f;
}

int cache_get(struct cache *c, uint64_t ino, uint64_t pgno, unsigned flags,
	      struct frame **out)
{
	struct frame *f;

	f = lookup_fast(c, ino, pgno, flags);
	if (f) {
		hit_done(c, f);
		*out = f;
		return 0;
	}
	return get_locked(c, ino, pgno, flags, out);
}

void cache_load_done(struct cache *c, struct frame *fr, int err)
{
	uint32_t fno = fno_of(c, fr);

	pthread_mutex_lock(&c->lock);
	assert(fw_state(LOAD_RLX(&fr->word)) == FRAME_LOADING);
	if (err == 0) {
		word_change(fr, FRAME_CLEAN, 0, 0);
	} else {
		uint32_t old = word_change(fr, FRAME_FREE, 0, 0);

		/* Only the loader pins a LOADING frame; drop its pin. */
		assert(fw_pins(old) == 1);
		__atomic_fetch_sub(&fr->word, FW_PIN_ONE, __ATOMIC_RELAXED);
		frame_release(c, fno, FRAME_LOADING, POLICY_DROPPED);
		cnt_add(c, CNT_LOAD_ERRORS, 1);
	}
	HOT_CHECK(c);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
}

void cache_pin(struct cache *c, struct frame *fr)
{
	uint32_t old = __atomic_fetch_add(&fr->word, FW_PIN_ONE,
					  __ATOMIC_ACQUIRE);

	assert(fw_pins(old) >= 1 || (old & FW_EVICTING) ||
	       hp_mine_holds(c, fno_of(c, fr)));
	(void)old;
	cnt_add(c, CNT_PINS, 1);
}

void cache_unpin(struct cache *c, struct frame *fr)
{
	if (!hp_unpin(c, fno_of(c, fr)))
		unpin_raw(c, fr);
}

void cache_mark_dirty(struct cache *c, struct frame *fr)
{
	uint32_t w, fno = fno_of(c, fr);

	pthread_mutex_lock(&c->lock);
	w = LOAD_RLX(&fr->word);
	assert(fw_pins(w) >= 1 || hp_mine_holds(c, fno));
	switch (fw_state(w)) {
	case FRAME_CLEAN:
		word_change(fr, FRAME_DIRTY,
			    (w & FW_EVICTING) ? FW_WASDIRTY : 0, 0);
		file_dirty(c, file_find(c, fr->ino), fno);
		cnt_add(c, CNT_DIRTY_MARKS, 1);
		break;
	case FRAME_WRITEBACK:
		word_change(fr, FRAME_WRITEBACK, FW_REDIRTY, 0);
		break;
	case FRAME_DIRTY:
	case FS_DOOMED:		/* cut off: the bytes are past the end */
		break;
	default:
		assert(!"mark_dirty of a frame that is not live");
	}
	HOT_CHECK(c);
	pthread_mutex_unlock(&c->lock);
}

/* ---- eviction --------------------------------------------------------- */

int cache_evict_begin(struct cache *c, struct frame **out)
{
	int rc = -EBUSY;

	pthread_mutex_lock(&c->lock);
	if (c->nfree == c->nframes) {
		rc = -ENOENT;
		goto out_unlock;
	}
	/* A victim the policy found unpinned may be pinned by a lock-free hit
	 * before we mark it; then it is in use.  Such frames stay marked while
	 * we ask again, so that the policy passes over them. */
	struct frame **held = c->evict_held;
	int nheld = 0;

	rc = -EBUSY;
	for (int tries = 0; tries < EVICT_HELD_MAX; tries++) {
		uint32_t fno = c->policy->ops->victim(c->policy);
		struct frame *f;
		uint32_t w;

		if (fno == FRAME_NONE) {
			rc = c->ndirty ? -EAGAIN : -EBUSY;
			break;
		}
		f = &c->frames[fno];
		w = LOAD_RLX(&f->word);
		assert(fw_state(w) == FRAME_CLEAN && !(w & FW_EVICTING));
		if (freeze(c, f, w)) {
			CACHE_TRACE((stderr, "evict_begin frame %u", fno));
			*out = f;
			rc = 0;
			break;
		}
		if (__atomic_compare_exchange_n(&f->word, &w, w | FW_EVICTING,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			held[nheld++] = f;
		rc = c->ndirty ? -EAGAIN : -EBUSY;
	}
	while (nheld--)
		word_change(held[nheld], FRAME_CLEAN, 0,
			    FW_EVICTING | FW_REVIVED);
out_unlock:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int cache_evict_end(struct cache *c, struct frame *fr)
{
	uint32_t fno = fno_of(c, fr), w;
	int rc;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		w = LOAD_RLX(&fr->word);
		assert(w & FW_EVICTING);
		if (fw_state(w) == FS_DOOMED) {
			/* Step 0: dropped meanwhile (truncate, unlink). */
			doomed_free(c, fr);
			rc = 0;
			break;
		}
		if (w & FW_REVIVED) {
			/* Step 1: a read used the page: it stays. */
			word_change(fr, fw_state(w), 0, FW_EVICTING |
				    FW_REVIVED | FW_WASDIRTY);
			cnt_add(c, CNT_EVICT_ABORTS, 1);
			rc = -EBUSY;
			break;
		}
		if (fw_state(w) != FRAME_CLEAN) {
			/* Step 2: dirtied meanwhile: the caller writes it
			 * back first; it stays EVICTING. */
			rc = -EAGAIN;
			break;
		}
		if (fw_pins(w)) {
			/* Step 3: a write is copying in; wait for it. */
			if (want_unpin(fr))
				pthread_cond_wait(&c->cv, &c->lock);
			continue;
		}
		/* Step 4: clean, unused: free it. */
		if (!__atomic_compare_exchange_n(&fr->word, &w, FRAME_FREE,
						 false, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		frame_release(c, fno, FRAME_CLEAN, POLICY_EVICTED);
		cnt_add(c, CNT_EVICTIONS, 1);
		if (w & FW_WASDIRTY)
			cnt_add(c, CNT_EVICTIONS_DIRTY, 1);
		CACHE_TRACE((stderr, "evicted frame %u", fno));
		rc = 0;
		break;
	}
	HOT_CHECK(c);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void cache_evict_cancel(struct cache *c, struct frame *fr)
{
	pthread_mutex_lock(&c->lock);
	assert(LOAD_RLX(&fr->word) & FW_EVICTING);
	if (fw_state(LOAD_RLX(&fr->word)) == FS_DOOMED)
		doomed_free(c, fr);
	else
		word_change(fr, fw_state(LOAD_RLX(&fr->word)), 0,
			    FW_EVICTING | FW_REVIVED | FW_WASDIRTY);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
}

int cache_evict_one(struct cache *c)
{
	struct frame *fr;
	int rc;

	do {
		rc = cache_evict_begin(c, &fr);
		if (rc < 0)
			return rc;
		rc = cache_evict_end(c, fr);
		if (rc == -EAGAIN) {
			cache_evict_cancel(c, fr);
			return rc;
		}
	} while (rc == -EBUSY);
	return 0;
}

/* ---- write-back ------------------------------------------------------- */

static int cmp_pgno(const void *a, const void *b)
{
	const struct frame *fa = *(struct frame *const *)a;
	const struct frame *fb = *(struct frame *const *)b;

	return (fa->pgno > fb->pgno) - (fa->pgno < fb->pgno);
}

int cache_writeback_collect(struct cache *c, uint64_t ino,
			    struct frame **out, int max)
{
	struct cfile *cf;
	int n = 0;

	pthread_mutex_lock(&c->lock);
	cf = file_find(c, ino);
	if (cf && cf->ndirty) {
		uint32_t fno = cf->head;

		for (uint32_t i = 0; i < cf->ndirty && n < max; i++) {
			struct frame *f = &c->frames[fno];

			if (fw_state(LOAD_RLX(&f->word)) == FRAME_DIRTY) {
				word_change(f, FRAME_WRITEBACK, 0, 0);
				__atomic_fetch_add(&f->word, FW_PIN_ONE,
						   __ATOMIC_ACQUIRE);
				out[n++] = f;
			}
			fno = f->fnext;
		}
	}
	pthread_mutex_unlock(&c->lock);
	/* Pinned and under write-back: the keys are stable. */
	qsort(out, (size_t)n, sizeof(*out), cmp_pgno);
	return n;
}

void cache_writeback_done(struct cache *c, struct frame *fr, int err)
{
	uint32_t fno = fno_of(c, fr), w;
	struct cfile *cf;

	pthread_mutex_lock(&c->lock);
	w = LOAD_RLX(&fr->word);
	assert(fw_state(w) == FRAME_WRITEBACK);
	cf = file_find(c, fr->ino);
	if (err) {
		cf->err = err;
		cf->err_seq++;
		word_change(fr, FRAME_DIRTY, 0, FW_REDIRTY);
		cnt_add(c, CNT_WRITEBACK_ERRORS, 1);
	} else if (w & FW_REDIRTY) {
		word_change(fr, FRAME_DIRTY, 0, FW_REDIRTY);
		cnt_add(c, CNT_WRITEBACKS, 1);
	} else {
		word_change(fr, FRAME_CLEAN, 0, 0);
		file_undirty(c, cf, fno, false);
		cnt_add(c, CNT_WRITEBACKS, 1);
	}
	__atomic_fetch_sub(&fr->word, FW_PIN_ONE, __ATOMIC_RELEASE);
	__atomic_fetch_and(&fr->word, ~FW_WAITERS, __ATOMIC_RELAXED);
	HOT_CHECK(c);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
}

int cache_dirty_oldest(struct cache *c, uint64_t *ino, uint64_t *dirtied_ms)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&c->lock);
	if (c->dirty_head) {
		*ino = c->dirty_head->ino;
		*dirtied_ms = c->dirty_head->dirtied_ms;
		rc = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

uint32_t cache_file_ndirty(struct cache *c, uint64_t ino)
{
	struct cfile *cf;
	uint32_t n;

	pthread_mutex_lock(&c->lock);
	cf = file_find(c, ino);
	n = cf ? cf->ndirty : 0;
	pthread_mutex_unlock(&c->lock);
	return n;
}

uint32_t cache_file_nresident(struct cache *c, uint64_t ino)
{
	struct cfile *cf;
	uint32_t n;

	pthread_mutex_lock(&c->lock);
	cf = file_find(c, ino);
	n = cf ? cf->nres : 0;
	pthread_mutex_unlock(&c->lock);
	return n;
}

uint32_t cache_file_error_seq(struct cache *c, uint64_t ino)
{
	struct cfile *cf;
	uint32_t seq;

	pthread_mutex_lock(&c->lock);
	cf = file_find(c, ino);
	seq = cf ? cf->err_seq : 0;
	pthread_mutex_unlock(&c->lock);
	return seq;
}

int cache_file_error(struct cache *c, uint64_t ino, uint32_t *since)
{
	struct cfile *cf;
	int err = 0;

	pthread_mutex_lock(&c->lock);
	cf = file_find(c, ino);
	if (cf && cf->err_seq != *since) {
		*since = cf->err_seq;
		err = cf->err;
	}
	pthread_mutex_unlock(&c->lock);
	return err;
}

void cache_file_forget(struct cache *c, uint64_t ino)
{
	struct cfile *cf;

	pthread_mutex_lock(&c->lock);
	cf = file_find(c, ino);
	if (cf) {
		cf->err_seq = 0;
		cf->err = 0;
		file_put(c, cf);
	}
	pthread_mutex_unlock(&c->lock);
}

uint32_t cache_drop_file(struct cache *c, uint64_t ino, uint64_t from_pgno)
{
	return cache_drop_range(c, ino, from_pgno, UINT64_MAX);
}

uint32_t cache_drop_range(struct cache *c, uint64_t ino, uint64_t first_pgno,
			  uint64_t end_pgno)
{
	uint32_t dropped = 0;
	struct cfile *cf;

	pthread_mutex_lock(&c->lock);
	/* Hazard unpins broadcast cv while this is nonzero. */
	__atomic_add_fetch(&c->hp_waiters, 1, __ATOMIC_SEQ_CST);
	while ((cf = file_find(c, ino)) != NULL) {
		uint32_t busy = 0, n = cf->nres, fno = cf->head;
		bool again = false;

		/* Walk a snapshot count of the list: releasing a frame frees
		 * its links (and maybe cf), so read the next one first. */
		for (uint32_t i = 0; i < n; i++) {
			struct frame *f = &c->frames[fno];
			uint32_t w = LOAD_RLX(&f->word), s = fw_state(w);
			bool last = (i + 1 == n);

			fno = f->fnext;
			if (f->pgno < first_pgno || f->pgno >= end_pgno)
				continue;
			if ((w & FW_EVICTING) &&
			    (s == FRAME_CLEAN || s == FRAME_DIRTY)) {
				/* The evictor frees it at evict_end. */
				word_change(f, FS_DOOMED, 0, FW_REVIVED |
					    FW_WASDIRTY);
				frame_unlink(c, fno_of(c, f), s,
					     POLICY_DROPPED);
				c->ndoomed++;
				dropped++;
				if (last)
					break;
				continue;
			}
			if (s == FRAME_LOADING || s == FRAME_WRITEBACK ||
			    (w & FW_EVICTING)) {
				busy++;		/* their ends broadcast cv */
				continue;
			}
			if (fw_pins(w)) {
				if (want_unpin(f))
					busy++;
				else
					again = true;
				continue;
			}
			if (!freeze(c, f, w)) {
				/* Pinned just now, or hazard-pinned. */
				if (want_unpin(f) || hp_busy(c, fno_of(c, f)))
					busy++;
				else
					again = true;
				continue;
			}
			w |= FW_EVICTING;
			if (!__atomic_compare_exchange_n(&f->word, &w,
							 FRAME_FREE, false,
							 __ATOMIC_ACQ_REL,
							 __ATOMIC_RELAXED)) {
				/* A counted pin came in meanwhile. */
				word_change(f, s, 0, FW_EVICTING | FW_REVIVED);
				again = true;
				continue;
			}
			frame_release(c, fno_of(c, f), s, POLICY_DROPPED);
			dropped++;
			if (last)
				break;
		}
		if (again)
			continue;
		if (!busy)
			break;
		pthread_cond_wait(&c->cv, &c->lock);
	}
	__atomic_sub_fetch(&c->hp_waiters, 1, __ATOMIC_SEQ_CST);
	HOT_CHECK(c);
	pthread_mutex_unlock(&c->lock);
	cnt_add(c, CNT_DROPS, dropped);
	return dropped;
}

/* ---- accessors -------------------------------------------------------- */

void *cache_frame_data(struct cache *c, struct frame *fr)
{
	if (!c->data)
		return NULL;
	return c->data + ((size_t)fno_of(c, fr) << c->page_shift);
}

void cache_frame_key(struct cache *c, const struct frame *fr, uint64_t *ino,
		     uint64_t *pgno)
{
	(void)c;
	*ino = LOAD_RLX(&fr->ino);
	*pgno = LOAD_RLX(&fr->pgno);
}

uint32_t cache_frame_no(struct cache *c, const struct frame *fr)
{
	return fno_of(c, fr);
}

static enum frame_state word_state(uint32_t w)
{
	if (w & FW_EVICTING)
		return FRAME_EVICTING;
	return (enum frame_state)fw_state(w);
}

enum frame_state cache_frame_state(struct cache *c, const struct frame *fr)
{
	(void)c;
	return word_state(LOAD_RLX(&fr->word));
}

const char *frame_state_name(enum frame_state s)
{
	static const char *const names[] = {
		[FRAME_FREE] = "free", [FRAME_LOADING] = "loading",
		[FRAME_CLEAN] = "clean", [FRAME_DIRTY] = "dirty",
		[FRAME_WRITEBACK] = "writeback", [FRAME_EVICTING] = "evicting",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* ---- what policies may ask (lock held) -------------------------------- */

bool cache_policy_evictable(struct cache *c, uint32_t fno)
{
	uint32_t w = LOAD_RLX(&c->frames[fno].word);

	return fw_state(w) == FRAME_CLEAN && fw_pins(w) == 0 &&
	       !(w & FW_EVICTING);
}

bool cache_policy_resident(struct cache *c, uint32_t fno)
{
	uint32_t s = fno < c->nframes ?
		     fw_state(LOAD_RLX(&c->frames[fno].word)) : FRAME_FREE;

	return s != FRAME_FREE && s != FS_DOOMED;
}

uint32_t cache_policy_nresident(struct cache *c)
{
	return c->nframes - c->nfree - c->ndoomed;
}

uint64_t cache_policy_pgno(struct cache *c, uint32_t fno)
{
	return c->frames[fno].pgno;
}

/* ---- the simulator ---------------------------------------------------- */

/* A count of cache_sim_access, without an atomic read-modify-write: its
 * caller is the only thread using the cache.  Relaxed accesses keep a
 * concurrent cache_stats() reader well-defined. */
static inline void sim_count(struct cache *c, enum cnt k)
{
	STORE_RLX(&c->sim.v[k], LOAD_RLX(&c->sim.v[k]) + 1);
}

/* The protocol path: what a daemon thread would do, pins and all.  Kept
 * for the state the direct path does not handle: a frame this thread has
 * between cache_evict_begin and _end (the test of the two paths makes
 * some).  Not for a frame LOADING: the simulator's one
 * thread finishes every load inside its call, and a LOADING frame here
 * would make cache_get wait for a load nobody else can end. */
static __attribute__((noinline)) int
sim_access_protocol(struct cache *c, uint64_t ino, uint64_t pgno,
		    struct cache_sim_result *r)
{
	struct frame *fr;
	int rc, evicted = 0;

	while ((rc = cache_get(c, ino, pgno, 0, &fr)) == -ENOBUFS) {
		struct frame *v;

		rc = cache_evict_begin(c, &v);
		if (rc < 0)
			return rc;
		r->victim_fno = fno_of(c, v);
		r->victim_ino = v->ino;
		r->victim_pgno = v->pgno;
		rc = cache_evict_end(c, v);
		if (rc < 0)
			return rc;
		evicted = 1;
	}
	if (rc < 0)
		return rc;
	if (rc == 1)
		cache_load_done(c, fr, 0);
	r->fno = fno_of(c, fr);
	cache_unpin(c, fr);
	return rc == 0 ? 0 : 1 + evicted;
}

/* Live and not being evicted: a hit the direct path can take. */
static inline bool sim_settled(uint32_t w)
{
	uint32_t s = fw_state(w);

	return !(w & FW_EVICTING) && (s == FRAME_CLEAN || s == FRAME_DIRTY ||
				      s == FRAME_WRITEBACK);
}

/* The direct path's miss: evict the policy's victim if no frame is free,
 * then insert.  Out of line, so that the hit path stays a short leaf. */
static __attribute__((noinline)) int
sim_miss(struct cache *c, uint64_t ino, uint64_t pgno,
	 struct cache_sim_result *r)
{
	const struct policy_ops *ops = c->policy->ops;
	struct frame *f;
	struct cfile *cf;
	uint32_t fno, w;
	int rc = 1;

	/* Step 1: no free frame: evict the policy's victim. */
	if (c->nfree == 0) {
		if (ops->pending)
			ops->pending(c->policy, ino, pgno);
		fno = ops->victim(c->policy);
		if (fno == FRAME_NONE)
			return c->ndirty ? -EAGAIN : -EBUSY;
		f = &c->frames[fno];
		w = LOAD_RLX(&f->word);
		assert(w == FRAME_CLEAN);	/* evictable: CLEAN, no pins */
		assert(!hp_busy(c, fno));	/* no hazard pins (contract) */
		(void)w;
		r->victim_fno = fno;
		r->victim_ino = f->ino;
		r->victim_pgno = f->pgno;
		STORE_RLX(&f->word, FRAME_FREE);
		frame_release(c, fno, FRAME_CLEAN, POLICY_EVICTED);
		sim_count(c, CNT_EVICTIONS);
		rc = 2;
	}

	/* Step 2: the page into a free frame, CLEAN at once (there is no
	 * data to load). */
	cf = file_get(c, ino);
	if (!cf)
		return -ENOMEM;
	fno = c->free_head;
	f = &c->frames[fno];
	c->free_head = f->hnext;
	c->nfree--;
	STORE_RLX(&f->ino, ino);
	STORE_RLX(&f->pgno, pgno);
	STORE_REL(&f->word, FRAME_CLEAN);
	index_insert(c, fno);
	flist_add(c, cf, fno, false);
	ops->insert(c->policy, fno, ino, pgno);
	HOT_CHECK(c);
	sim_count(c, CNT_MISSES);
	sim_count(c, CNT_INSERTS);
	r->fno = fno;
	return rc;
}

/* The direct path (see the header comment): the same index, file lists,
 * frame states, counters and policy calls, in the order the protocol path
 * makes them, without the lock, pins or atomic read-modify-writes. */
int cache_sim_access(struct cache *c, uint64_t ino, uint64_t pgno,
		     struct cache_sim_result *r)
{
	uint32_t fno = index_find(c, ino, pgno);

	if (fno == FRAME_NONE)
		return sim_miss(c, ino, pgno, r);
	if (!sim_settled(LOAD_RLX(&c->frames[fno].word)))
		return sim_access_protocol(c, ino, pgno, r);
	c->policy->ops->hit(c->policy, fno);
	sim_count(c, CNT_HITS);
	r->fno = fno;
	return 0;
}

/* Two stages, so that neither prefetch waits for memory: the bucket now,
 * and the frame its chain starts with once that bucket, hinted SIM_STAGE
 * calls ago, is in the cache. */
void cache_sim_prefetch(struct cache *c, uint64_t ino, uint64_t pgno)
{
	uint32_t b = key_hash(ino, pgno) & c->bucket_mask;
	uint32_t old = c->sim_ahead[c->sim_ahead_pos];

	c->sim_ahead[c->sim_ahead_pos] = b;
	c->sim_ahead_pos = (c->sim_ahead_pos + 1) % SIM_STAGE;
	__builtin_prefetch(&c->buckets[b]);
	if (old != FRAME_NONE) {
		uint32_t fno = LOAD_RLX(&c->buckets[old]);

		if (fno != FRAME_NONE)
			__builtin_prefetch(&c->frames[fno]);
	}
}

int cache_set_policy(struct cache *c, const char *spec, char *err,
		     size_t errlen)
{
	const struct policy_ops *ops;
	double param[POLICY_MAX_PARAMS];
	struct policy *np, *old;
	int rc;

	rc = policy_parse(spec, &ops, param, err, errlen);
	if (rc < 0)
		return rc;
	if (ops->flags & POLICY_NEEDS_FUTURE) {
		snprintf(err, errlen, "%s: needs the future references (the "
			 "simulator's)", ops->name);
		return -EINVAL;
	}
	np = ops->create(c->nframes, param);
	if (!np) {
		snprintf(err, errlen, "%s: %s", ops->name, strerror(ENOMEM));
		return -ENOMEM;
	}
	np->ops = ops;
	np->cache = c;
	np->nframes = c->nframes;

	/* Every page the old policy tracks, in frame order, as if it had
	 * just come in: the old order, bits and ghosts are not carried over
	 * (there is no common language for them). */
	pthread_mutex_lock(&c->lock);
	for (uint32_t fno = 0; fno < c->nframes; fno++)
		if (cache_policy_resident(c, fno))
			ops->insert(np, fno, c->frames[fno].ino,
				    c->frames[fno].pgno);
	old = c->policy;
	old->retired_next = c->retired;
	c->retired = old;
	STORE_REL(&c->policy, np);
	HOT_CHECK(c);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

uint64_t cache_policy_next_use(struct cache *c)
{
	return LOAD_RLX(&c->next_use);
}

void cache_set_next_use(struct cache *c, uint64_t when)
{
	STORE_RLX(&c->next_use, when);
}

/* ---- reports ---------------------------------------------------------- */

void cache_stats(struct cache *c, struct cache_stats *st)
{
	uint64_t v[CNT__N] = { 0 };

	for (int s = 0; s < NSLOTS; s++)
		for (int k = 0; k < CNT__N; k++)
			v[k] += LOAD_RLX(&c->slots[s].v[k]);
	for (int k = 0; k < CNT__N; k++)
		v[k] += LOAD_RLX(&c->sim.v[k]);
	memset(st, 0, sizeof(*st));
	st->lookups = v[CNT_HITS] + v[CNT_MISSES];
	st->hits = v[CNT_HITS];
	st->misses = v[CNT_MISSES];
	st->inserts = v[CNT_INSERTS];
	st->evictions = v[CNT_EVICTIONS];
	st->evictions_dirty = v[CNT_EVICTIONS_DIRTY];
	st->evict_aborts = v[CNT_EVICT_ABORTS];
	st->pins = v[CNT_PINS];
	st->dirty_marks = v[CNT_DIRTY_MARKS];
	st->writebacks = v[CNT_WRITEBACKS];
	st->writeback_errors = v[CNT_WRITEBACK_ERRORS];
	st->load_errors = v[CNT_LOAD_ERRORS];
	st->drops = v[CNT_DROPS];
	pthread_mutex_lock(&c->lock);
	st->frames_total = c->nframes;
	st->frames_free = c->nfree;
	st->frames_resident = c->nframes - c->nfree;
	st->frames_dirty = c->ndirty;
	st->files = c->nfiles;
	pthread_mutex_unlock(&c->lock);
	st->page_size = 1u << c->page_shift;
}

void cache_counts(struct cache *c, uint32_t *nfree, uint32_t *ndirty)
{
	pthread_mutex_lock(&c->lock);
	*nfree = c->nfree;
	*ndirty = c->ndirty;
	pthread_mutex_unlock(&c->lock);
}

void cache_stats_print(const struct cache_stats *st, FILE *out)
{
#define P(f) fprintf(out, "%s %llu\n", #f, (unsigned long long)st->f)
	P(frames_total); P(frames_free); P(frames_resident); P(frames_dirty);
	P(files); P(page_size); P(lookups); P(hits); P(misses); P(inserts);
	P(evictions); P(evictions_dirty); P(evict_aborts); P(pins);
	P(dirty_marks); P(writebacks); P(writeback_errors); P(load_errors);
	P(drops);
#undef P
}

size_t cache_meta_bytes_per_frame(struct cache *c)
{
	double idx = (double)(c->bucket_mask + 1) * sizeof(uint32_t) /
		     c->nframes;

	size_t pol;

	pthread_mutex_lock(&c->lock);	/* cache_set_policy may swap it */
	pol = c->policy->ops->bytes_per_frame(c->policy);
	pthread_mutex_unlock(&c->lock);
	return sizeof(struct frame) + (size_t)(idx + 0.999) + pol;
}

void cache_mem(struct cache *c, struct cache_mem *m)
{
	const struct policy_ops *ops;

	pthread_mutex_lock(&c->lock);
	ops = c->policy->ops;		/* cache_set_policy swaps it */
	m->core_bytes = sizeof(*c) + (size_t)c->nframes * sizeof(struct frame) +
			((size_t)c->bucket_mask + 1) * sizeof(*c->buckets) +
			((size_t)c->ftab_mask + 1) * sizeof(*c->ftab) +
			(size_t)c->nfiles * sizeof(struct cfile);
	m->policy_bytes = (size_t)c->nframes *
			  ops->bytes_per_frame(c->policy);
	m->ghost_bytes = ops->ghost_bytes(c->policy);
	m->resident = c->nframes - c->nfree - c->ndoomed;
	if (ops->ghost_count)
		m->ghosts = ops->ghost_count(c->policy);
	else
		m->ghosts = m->ghost_bytes ? UINT32_MAX : 0;
	pthread_mutex_unlock(&c->lock);
}

void cache_foreach_frame(struct cache *c,
			 void (*fn)(void *arg, uint32_t fno, uint64_t ino,
				    uint64_t pgno, enum frame_state s),
			 void *arg)
{
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < c->nframes; i++) {
		struct frame *f = &c->frames[i];
		uint32_t w = LOAD_RLX(&f->word);

		if (fw_state(w) != FRAME_FREE && fw_state(w) != FS_DOOMED)
			fn(arg, i, f->ino, f->pgno, word_state(w));
	}
	pthread_mutex_unlock(&c->lock);
}

void cache_policy_show(struct cache *c, FILE *out)
{
	pthread_mutex_lock(&c->lock);
	c->policy->ops->show(c->policy, out);
	pthread_mutex_unlock(&c->lock);
}

/* ---- integrity -------------------------------------------------------- */

#define CHECK(cond, ...) do { if (!(cond)) { \
	fprintf(stderr, "cache_check: " __VA_ARGS__); \
	fputc('\n', stderr); rc = -EUCLEAN; goto out; } } while (0)

static int check_locked(struct cache *c)
{
	unsigned char *seen = calloc(c->nframes, 1);	/* 1 free, 2 indexed,
							 * 4 on a file list */
	uint32_t nfree = 0, nindexed = 0, nlisted = 0, ndirty = 0, nfiles = 0;
	int rc = 0;

	if (!seen)
		return -ENOMEM;

	/* Step 1: the free list. */
	for (uint32_t fno = c->free_head; fno != FRAME_NONE;
	     fno = c->frames[fno].hnext) {
		uint32_t w = LOAD_RLX(&c->frames[fno].word);

		CHECK(fno < c->nframes, "free list link %u out of range", fno);
		CHECK(!seen[fno], "frame %u twice on the free list", fno);
		seen[fno] = 1;
		CHECK(w == FRAME_FREE, "free frame %u has word %#x", fno, w);
		nfree++;
	}
	CHECK(nfree == c->nfree, "free list has %u, nfree says %u", nfree,
	      c->nfree);

	/* Step 2: the index. */
	for (uint32_t b = 0; b <= c->bucket_mask; b++) {
		for (uint32_t fno = c->buckets[b]; fno != FRAME_NONE;
		     fno = c->frames[fno].hnext) {
			struct frame *f = &c->frames[fno];

			CHECK(fno < c->nframes, "chain link %u out of range",
			      fno);
			CHECK(!seen[fno], "frame %u indexed twice or free",
			      fno);
			seen[fno] = 2;
			CHECK((key_hash(f->ino, f->pgno) & c->bucket_mask) == b,
			      "frame %u in the wrong bucket", fno);
			CHECK(fw_state(LOAD_RLX(&f->word)) != FRAME_FREE,
			      "indexed frame %u is free", fno);
			nindexed++;
		}
	}
	{
		uint32_t ndoomed = 0;

		for (uint32_t fno = 0; fno < c->nframes; fno++)
			if (fw_state(LOAD_RLX(&c->frames[fno].word)) ==
			    FS_DOOMED) {
				CHECK(!seen[fno], "doomed frame %u is indexed "
				      "or free", fno);
				ndoomed++;
			}
		CHECK(ndoomed == c->ndoomed, "%u doomed frames, ndoomed %u",
		      ndoomed, c->ndoomed);
	}
	CHECK(nindexed + nfree + c->ndoomed == c->nframes,
	      "%u indexed + %u free + %u doomed != %u frames", nindexed,
	      nfree, c->ndoomed, c->nframes);

	/* Step 3: file records and their lists. */
	for (uint32_t b = 0; b <= c->ftab_mask; b++) {
		for (struct cfile *cf = c->ftab[b]; cf; cf = cf->hnext) {
			uint32_t fno = cf->head, n = 0;

			nfiles++;
			CHECK(cf->nres || cf->err_seq,
			      "file %lu kept with nothing in it",
			      (unsigned long)cf->ino);
			for (; n < cf->nres; n++) {
				struct frame *f = &c->frames[fno];
				uint32_t s = fw_state(LOAD_RLX(&f->word));
				bool dirty = s == FRAME_DIRTY ||
					     s == FRAME_WRITEBACK;

				CHECK(seen[fno] == 2,
				      "frame %u listed but not indexed", fno);
				seen[fno] |= 4;
				CHECK(f->ino == cf->ino,
				      "frame %u on the list of another file",
				      fno);
				CHECK(dirty == (n < cf->ndirty),
				      "file %lu: frame %u (%s) out of the "
				      "dirty prefix of %u",
				      (unsigned long)cf->ino, fno,
				      frame_state_name(s), cf->ndirty);
				CHECK(c->frames[f->fnext].fprev == fno,
				      "frame %u: broken file list links", fno);
				fno = f->fnext;
			}
			CHECK(n == 0 ? cf->head == FRAME_NONE : fno == cf->head,
			      "file %lu: list length is not nres %u",
			      (unsigned long)cf->ino, cf->nres);
			nlisted += cf->nres;
			ndirty += cf->ndirty;
		}
	}
	CHECK(nfiles == c->nfiles, "file table has %u, nfiles %u", nfiles,
	      c->nfiles);
	CHECK(nlisted == nindexed, "%u frames on file lists, %u indexed",
	      nlisted, nindexed);
	CHECK(ndirty == c->ndirty, "files say %u dirty, cache %u", ndirty,
	      c->ndirty);

	/* Step 4: the dirty-file list. */
	{
		uint32_t n = 0;
		uint64_t last = 0;

		for (struct cfile *cf = c->dirty_head; cf; cf = cf->dnext) {
			CHECK(cf->ndirty > 0, "clean file %lu on dirty list",
			      (unsigned long)cf->ino);
			CHECK(cf->dirtied_ms >= last, "dirty list out of order");
			CHECK(cf->dnext || cf == c->dirty_tail,
			      "dirty list tail");
			last = cf->dirtied_ms;
			n++;
		}
		for (uint32_t b = 0; b <= c->ftab_mask; b++)
			for (struct cfile *cf = c->ftab[b]; cf; cf = cf->hnext)
				n -= cf->ndirty > 0;
		CHECK(n == 0, "dirty list and dirty files disagree");
	}

	/* Step 5: the policy. */
	CHECK(c->policy->ops->check(c->policy) == 0, "policy %s inconsistent",
	      c->policy->ops->name);
out:
	free(seen);
	return rc;
}

int cache_check(struct cache *c)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = check_locked(c);
	pthread_mutex_unlock(&c->lock);
	return rc;
}
