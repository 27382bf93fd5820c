/* cache.c - the frame pool, its index, per-file lists and the frame state
 * machine: the concurrent protocol the daemon uses (cache.h).
 *
 * The core's other files:
 *   cache_int.h    the layout of struct cache and struct frame, the lock
 *                  helpers; for cache/ only
 *   cache_sim.c    the simulator's single-thread direct path (cache_sim.h)
 *   hazard.c       hazard pins, the hit path's pins (hazard.h)
 *   cache_check.c  the integrity checker, cache_check()
 *   policy.c       the policy registry (policies.def) and specs; the
 *                  policies in policy_NAME.c (policy.h)
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
 * The frame word.  frame.word packs the state (bits 0-2), five flags (bits
 * 3-7) and the counted pins (bits 8-31).  It is only changed with atomic
 * operations, because pins are taken and dropped without any lock; every
 * other change is made under cache->lock as well, except on the
 * simulator's path, where one thread owns the cache (see below).  The
 * whole machine, with who moves it and how (L: under cache->lock; CAS: a
 * compare-and-swap loop, word_change() unless said; S: the simulator's one
 * thread, a plain atomic store):
 *
 *   state      meaning
 *   FREE       on the free list, in no index, no pins, no flags
 *   LOADING    indexed; its one pin is the loader's, filling the page
 *   CLEAN      indexed; the same bytes as the store
 *   DIRTY      indexed; newer than the store
 *   WRITEBACK  indexed; pinned by the flusher, which writes a copy out
 *   DOOMED     out of index, file list and policy while EVICTING: dropped
 *              (truncate, unlink) under an evictor, which frees it
 *              (FW_DOOMED; cache_frame_state() never reports it)
 *
 *   from       to         by                               how
 *   FREE       LOADING    get_locked (cache_get's miss)    L, store + 1 pin
 *   FREE       CLEAN      sim_miss                         S, store
 *   LOADING    CLEAN      cache_load_done(0)               L, CAS
 *   LOADING    FREE       cache_load_done(err)             L, CAS, unpin
 *   CLEAN      DIRTY      cache_mark_dirty                 L, CAS
 *   DIRTY      WRITEBACK  cache_writeback_collect          L, CAS, +1 pin
 *   WRITEBACK  CLEAN      cache_writeback_done(0)          L, CAS, -1 pin
 *   WRITEBACK  DIRTY      cache_writeback_done(err), or    L, CAS, -1 pin
 *                         (0) with REDIRTY
 *   CLEAN      FREE       cache_evict_end, step 4          L, CAS, 0 pins
 *   CLEAN      FREE       sim_miss's victim                S, store
 *   CLEAN      FREE       cache_drop_range                 L, freeze(), CAS
 *   DIRTY      FREE       cache_drop_range                 L, freeze(), CAS
 *   CLEAN      DOOMED     cache_drop_range, if EVICTING    L, CAS
 *   DIRTY      DOOMED     cache_drop_range, if EVICTING    L, CAS
 *   DOOMED     FREE       doomed_free (cache_evict_end,    L, CAS, 0 pins
 *                         cache_evict_cancel)
 *
 *   flag          set by (how)                     cleared by (all L)
 *   FW_EVICTING   freeze() (evict_begin, drop):    evict_end (abort or
 *                 L, seq_cst CAS, 0 pins; also     free), evict_cancel,
 *                 evict_begin's passed-over        freeze() if hazard-
 *                 victims: L, CAS                  pinned, evict_begin
 *                                                  before it unlocks,
 *                                                  drop_file if pinned
 *   FW_REVIVED    pin_live, a read pin of an       evict_end, evict_cancel,
 *                 EVICTING frame: no lock, CAS     freeze()'s undo, drop
 *   FW_REDIRTY    cache_mark_dirty of WRITEBACK:   cache_writeback_done
 *                 L, CAS
 *   FW_WASDIRTY   cache_mark_dirty of an EVICTING  evict_end's abort,
 *                 CLEAN frame: L, CAS              evict_cancel, drop
 *   FW_WAITERS    want_unpin (evict_end, drop,     unpin_raw at the last
 *                 doomed_free), with pins: L, CAS  pin (takes L),
 *                                                  cache_writeback_done
 *   pins +1       pin_live (CAS), cache_pin (add): no lock;
 *                 get_locked (store), cache_writeback_collect (add): L
 *   pins -1       unpin_raw (sub, release): no lock;
 *                 cache_load_done(err), cache_writeback_done (sub): L
 *
 * An EVICTING frame keeps its state underneath: a write during the
 * invalidation makes it DIRTY (FW_WASDIRTY), the flusher may take it
 * through WRITEBACK and back, and cache_evict_end decides from what it
 * finds.  Hazard pins (hazard.h) are not in the word: they are slots the
 * freer scans after setting FW_EVICTING (freeze()).
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
 * hazard pointer (Michael, 2004; hazard.c): it publishes the frame number
 * in one of its own thread's slots (its own cache line), then checks the
 * frame's word.  Whoever frees a frame first marks it EVICTING, then
 * scans the slots; both sides use sequentially consistent accesses, so
 * either the reader sees EVICTING (and falls back to a counted pin in the
 * word, which aborts the eviction) or the freer sees the slot (and leaves
 * the frame).  Hazard pins belong to the thread that took them: unpin a
 * frame on the thread that looked it up.  Threads beyond HAZARD_THREADS,
 * or holding more than HAZARD_SLOTS pins, get counted pins, which are always
 * correct, only slower.  A POLICY_HIT_LOCKLESS policy's hit takes no lock
 * either and writes a shared line only when the frame's own bit or count
 * changes: FIFO and RANDOM never, CLOCK and SIEVE when the bit was clear,
 * GCLOCK (clock:bits>1) and S3-FIFO until the count saturates, CLOCK-Pro
 * when its reference bit was clear.  LRU and the other reordering policies
 * take cache->lock to move the frame.  Counters are per-thread slots as
 * well.
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
 * It is taken with cache_lock()/cache_unlock() and slept on with
 * cache_wait() (cache_int.h), which in debug builds keep the holder in
 * cache->lock_owner: every helper that says "lock held", and every
 * cache_policy_* query, asserts cache_locked(c).
 *
 * The simulator's path.  framesim and sim_bench replay traces through this
 * same core on one thread, with no page data and nobody else using the
 * cache; cache_sim.c takes a direct path through the same structures and
 * policy calls, without the lock or pins (its design is at its top).  The
 * daemon never calls it.
 */
#define _GNU_SOURCE
#include "cache_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#ifdef CACHE_LOCK_CHECKS
__thread char cache_thread_byte;	/* its address is CACHE_SELF */
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
		cache_lock(c);
		__atomic_fetch_and(&f->word, ~FW_WAITERS, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&c->cv);
		cache_unlock(c);
	}
}

/* Marks f as waited for if it has pins.  Caller holds lock and sleeps on cv
 * when this returns true. */
static bool want_unpin(struct cache *c, struct frame *f)
{
	uint32_t w = LOAD_RLX(&f->word);

	assert(cache_locked(c));
	(void)c;
	do {
		if (fw_pins(w) == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&f->word, &w, w | FW_WAITERS,
					      true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return true;
}

/* ---- hazard pins (hazard.c) ------------------------------------------- */

/* hazard_unpin's wake: a cache_drop_range waits on cv for hazard pins. */
static void hp_wake(void *arg)
{
	struct cache *c = arg;

	cache_lock(c);
	pthread_cond_broadcast(&c->cv);
	cache_unlock(c);
}

/* Pins f with a hazard slot if it is live and not being freed.  Returns
 * false if it could not (no slot, or the state says otherwise): the caller
 * then takes a counted pin. */
static bool hp_pin(struct cache *c, struct frame *f)
{
	uint32_t fno = fno_of(c, f), w, s;

	if (!hazard_pin(&c->hz, fno))
		return false;
	w = __atomic_load_n(&f->word, __ATOMIC_SEQ_CST);
	s = fw_state(w);
	if ((s == FRAME_CLEAN || s == FRAME_DIRTY || s == FRAME_WRITEBACK) &&
	    !(w & FW_EVICTING))
		return true;
	hazard_unpin(&c->hz, fno);
	return false;
}

/* Marks a frame with no counted pins EVICTING, seq_cst, if no hazard pin
 * holds it; false (and the word as it was) otherwise.  Lock held. */
static bool freeze(struct cache *c, struct frame *f, uint32_t w)
{
	assert(cache_locked(c));
	if (fw_pins(w) ||
	    !__atomic_compare_exchange_n(&f->word, &w, w | FW_EVICTING, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return false;
	if (!hazard_busy(&c->hz, fno_of(c, f)))
		return true;
	word_change(f, fw_state(w), 0, FW_EVICTING | FW_REVIVED);
	return false;
}

/* ---- index removal (lock held; find, insert: cache_int.h) ------------- */

static void index_remove(struct cache *c, uint32_t fno)
{
	struct frame *f = &c->frames[fno];
	uint32_t *link = &c->buckets[key_hash(f->ino, f->pgno) &
				     c->bucket_mask];

	assert(cache_locked(c));
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

	assert(cache_locked(c));
	while (cf && cf->ino != ino)
		cf = cf->hnext;
	return cf;
}

static void ftab_grow(struct cache *c)
{
	uint32_t nmask = c->ftab_mask * 2 + 1;
	struct cfile **nt = calloc((size_t)nmask + 1, sizeof(*nt));

	assert(cache_locked(c));
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
struct cfile *file_get(struct cache *c, uint64_t ino)
{
	struct cfile *cf = file_find(c, ino);
	uint32_t b;

	assert(cache_locked(c));
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

	assert(cache_locked(c));
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
	assert(cache_locked(c));
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
	assert(cache_locked(c));
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
void flist_add(struct cache *c, struct cfile *cf, uint32_t fno,
	       bool at_head)
{
	struct frame *f = &c->frames[fno];

	assert(cache_locked(c));
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

	assert(cache_locked(c));
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
	assert(cache_locked(c));
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
	assert(cache_locked(c));
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

	assert(cache_locked(c));
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
	assert(cache_locked(c));
	STORE_RLX(&c->frames[fno].hnext, c->free_head);
	c->free_head = fno;
	c->nfree++;
}

/* Unlinks a frame whose word is already FREE from index, file, policy, and
 * pushes it on the free list. */
void frame_release(struct cache *c, uint32_t fno, uint32_t old_state,
		   enum policy_remove why)
{
	assert(cache_locked(c));
	frame_unlink(c, fno, old_state, why);
	free_push(c, fno);
}

/* Frees a FW_DOOMED frame once its pins drain.  Lock held; may sleep. */
static void doomed_free(struct cache *c, struct frame *fr)
{
	uint32_t w;

	assert(cache_locked(c));
	for (;;) {
		w = LOAD_RLX(&fr->word);
		assert(fw_state(w) == FW_DOOMED);
		if (fw_pins(w)) {
			if (want_unpin(c, fr))
				cache_wait(c);
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
	hazard_init(&c->hz, hp_wake, c);
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
		if (fw_state(LOAD_RLX(&f->word)) != FW_DOOMED)
			p->ops->hit(p, fno_of(c, f));
	} else {
		cache_lock(c);
		/* Pinned before cache_drop_range doomed it: out of the policy
		 * already. */
		if (fw_state(LOAD_RLX(&f->word)) != FW_DOOMED)
			c->policy->ops->hit(c->policy, fno_of(c, f));
		cache_unlock(c);
	}
	cnt_add(c, CNT_HITS, 1);
	cnt_add(c, CNT_PINS, 1);
}

/* The locked path of cache_get(). */
/* A miss, with the lock held and a free frame: takes the frame, keys it,
 * indexes it LOADING and pinned.  0, or -ENOMEM (no file record). */
static int insert_locked(struct cache *c, uint64_t ino, uint64_t pgno,
			 struct frame **out)
{
	struct cfile *cf = file_get(c, ino);
	struct frame *f;
	uint32_t fno;

	if (!cf)
		return -ENOMEM;
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
	CACHE_TRACE((stderr, "insert %lu:%lu -> frame %u",
		     (unsigned long)ino, (unsigned long)pgno, fno));
	cnt_add(c, CNT_INSERTS, 1);
	cnt_add(c, CNT_PINS, 1);
	*out = f;
	return 0;
}

static int get_locked(struct cache *c, uint64_t ino, uint64_t pgno,
		      unsigned flags, struct frame **out)
{
	struct frame *f;
	uint32_t fno;

	cache_lock(c);
	for (;;) {
		fno = index_find(c, ino, pgno);
		if (fno == FRAME_NONE)
			break;
		f = &c->frames[fno];
		if (fw_state(LOAD_RLX(&f->word)) == FRAME_LOADING) {
			cache_wait(c);
			continue;
		}
		/* Indexed and not loading: live, so the pin succeeds. */
		if (!pin_live(f, flags))
			assert(!"indexed frame not live");
		c->policy->ops->hit(c->policy, fno);
		cache_unlock(c);
		cnt_add(c, CNT_HITS, 1);
		cnt_add(c, CNT_PINS, 1);
		*out = f;
		return 0;
	}
	if (flags & CACHE_NOCREATE) {
		cache_unlock(c);
		cnt_add(c, CNT_MISSES, 1);
		return -ENOENT;
	}
	if (c->nfree == 0) {
		if (c->policy->ops->pending)
			c->policy->ops->pending(c->policy, ino, pgno);
		cache_unlock(c);
		return -ENOBUFS;
	}
	if (insert_locked(c, ino, pgno, out) < 0) {
		cache_unlock(c);
		return -ENOMEM;
	}
	cache_unlock(c);
	cnt_add(c, CNT_MISSES, 1);
	return 1;
}

int cache_get_ahead(struct cache *c, uint64_t ino, uint64_t pgno,
		    uint32_t keep_free, struct frame **out)
{
	int rc = -ENOBUFS;

	cache_lock(c);
	if (index_find(c, ino, pgno) != FRAME_NONE)
		rc = -EEXIST;
	else if (c->nfree > keep_free)
		rc = insert_locked(c, ino, pgno, out) < 0 ? -ENOMEM : 1;
	cache_unlock(c);
	if (rc == 1)
		cnt_add(c, CNT_AHEAD, 1);
	return rc;
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

	cache_lock(c);
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
	cache_unlock(c);
}

void cache_pin(struct cache *c, struct frame *fr)
{
	uint32_t old = __atomic_fetch_add(&fr->word, FW_PIN_ONE,
					  __ATOMIC_ACQUIRE);

	assert(fw_pins(old) >= 1 || (old & FW_EVICTING) ||
	       hazard_mine(&c->hz, fno_of(c, fr)));
	(void)old;
	cnt_add(c, CNT_PINS, 1);
}

void cache_unpin(struct cache *c, struct frame *fr)
{
	if (!hazard_unpin(&c->hz, fno_of(c, fr)))
		unpin_raw(c, fr);
}

void cache_mark_dirty(struct cache *c, struct frame *fr)
{
	uint32_t w, fno = fno_of(c, fr);

	cache_lock(c);
	w = LOAD_RLX(&fr->word);
	assert(fw_pins(w) >= 1 || hazard_mine(&c->hz, fno));
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
	case FW_DOOMED:		/* cut off: the bytes are past the end */
		break;
	default:
		assert(!"mark_dirty of a frame that is not live");
	}
	HOT_CHECK(c);
	cache_unlock(c);
}

/* ---- eviction --------------------------------------------------------- */

int cache_evict_begin(struct cache *c, struct frame **out)
{
	int rc = -EBUSY;

	cache_lock(c);
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
	cache_unlock(c);
	return rc;
}

int cache_evict_end(struct cache *c, struct frame *fr)
{
	uint32_t fno = fno_of(c, fr), w;
	int rc;

	cache_lock(c);
	for (;;) {
		w = LOAD_RLX(&fr->word);
		assert(w & FW_EVICTING);
		if (fw_state(w) == FW_DOOMED) {
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
			if (want_unpin(c, fr))
				cache_wait(c);
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
	cache_unlock(c);
	return rc;
}

void cache_evict_cancel(struct cache *c, struct frame *fr)
{
	cache_lock(c);
	assert(LOAD_RLX(&fr->word) & FW_EVICTING);
	if (fw_state(LOAD_RLX(&fr->word)) == FW_DOOMED)
		doomed_free(c, fr);
	else
		word_change(fr, fw_state(LOAD_RLX(&fr->word)), 0,
			    FW_EVICTING | FW_REVIVED | FW_WASDIRTY);
	pthread_cond_broadcast(&c->cv);
	cache_unlock(c);
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

	cache_lock(c);
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
	cache_unlock(c);
	/* Pinned and under write-back: the keys are stable. */
	qsort(out, (size_t)n, sizeof(*out), cmp_pgno);
	return n;
}

void cache_writeback_done(struct cache *c, struct frame *fr, int err)
{
	uint32_t fno = fno_of(c, fr), w;
	struct cfile *cf;

	cache_lock(c);
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
	cache_unlock(c);
}

int cache_dirty_oldest(struct cache *c, uint64_t *ino, uint64_t *dirtied_ms)
{
	int rc = -ENOENT;

	cache_lock(c);
	if (c->dirty_head) {
		*ino = c->dirty_head->ino;
		*dirtied_ms = c->dirty_head->dirtied_ms;
		rc = 0;
	}
	cache_unlock(c);
	return rc;
}

void cache_dirty_later(struct cache *c, uint64_t ino)
{
	struct cfile *cf;

	cache_lock(c);
	cf = file_find(c, ino);
	if (cf && cf->ndirty && c->dirty_tail != cf) {
		uint64_t since = cf->dirtied_ms;

		dirty_list_del(c, cf);
		dirty_list_add(c, cf);
		cf->dirtied_ms = since;
	}
	cache_unlock(c);
}

uint32_t cache_file_ndirty(struct cache *c, uint64_t ino)
{
	struct cfile *cf;
	uint32_t n;

	cache_lock(c);
	cf = file_find(c, ino);
	n = cf ? cf->ndirty : 0;
	cache_unlock(c);
	return n;
}

uint32_t cache_file_nresident(struct cache *c, uint64_t ino)
{
	struct cfile *cf;
	uint32_t n;

	cache_lock(c);
	cf = file_find(c, ino);
	n = cf ? cf->nres : 0;
	cache_unlock(c);
	return n;
}

uint32_t cache_file_error_seq(struct cache *c, uint64_t ino)
{
	struct cfile *cf;
	uint32_t seq;

	cache_lock(c);
	cf = file_find(c, ino);
	seq = cf ? cf->err_seq : 0;
	cache_unlock(c);
	return seq;
}

int cache_file_error(struct cache *c, uint64_t ino, uint32_t *since)
{
	struct cfile *cf;
	int err = 0;

	cache_lock(c);
	cf = file_find(c, ino);
	if (cf && cf->err_seq != *since) {
		*since = cf->err_seq;
		err = cf->err;
	}
	cache_unlock(c);
	return err;
}

void cache_file_forget(struct cache *c, uint64_t ino)
{
	struct cfile *cf;

	cache_lock(c);
	cf = file_find(c, ino);
	if (cf) {
		cf->err_seq = 0;
		cf->err = 0;
		file_put(c, cf);
	}
	cache_unlock(c);
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

	cache_lock(c);
	/* Hazard unpins broadcast cv until hazard_wait_end. */
	hazard_wait_begin(&c->hz);
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
				word_change(f, FW_DOOMED, 0, FW_REVIVED |
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
				if (want_unpin(c, f))
					busy++;
				else
					again = true;
				continue;
			}
			if (!freeze(c, f, w)) {
				/* Pinned just now, or hazard-pinned. */
				if (want_unpin(c, f) ||
				    hazard_busy(&c->hz, fno_of(c, f)))
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
		cache_wait(c);
	}
	hazard_wait_end(&c->hz);
	HOT_CHECK(c);
	cache_unlock(c);
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

	assert(cache_locked(c));
	return fw_state(w) == FRAME_CLEAN && fw_pins(w) == 0 &&
	       !(w & FW_EVICTING);
}

bool cache_policy_resident(struct cache *c, uint32_t fno)
{
	uint32_t s = fno < c->nframes ?
		     fw_state(LOAD_RLX(&c->frames[fno].word)) : FRAME_FREE;

	assert(cache_locked(c));
	return s != FRAME_FREE && s != FW_DOOMED;
}

uint32_t cache_policy_nresident(struct cache *c)
{
	assert(cache_locked(c));
	return c->nframes - c->nfree - c->ndoomed;
}

uint64_t cache_policy_pgno(struct cache *c, uint32_t fno)
{
	assert(cache_locked(c));
	return c->frames[fno].pgno;
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
	cache_lock(c);
	for (uint32_t fno = 0; fno < c->nframes; fno++)
		if (cache_policy_resident(c, fno))
			ops->insert(np, fno, c->frames[fno].ino,
				    c->frames[fno].pgno);
	old = c->policy;
	old->retired_next = c->retired;
	c->retired = old;
	STORE_REL(&c->policy, np);
	HOT_CHECK(c);
	cache_unlock(c);
	return 0;
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
	st->inserts_ahead = v[CNT_AHEAD];
	st->evictions = v[CNT_EVICTIONS];
	st->evictions_dirty = v[CNT_EVICTIONS_DIRTY];
	st->evict_aborts = v[CNT_EVICT_ABORTS];
	st->pins = v[CNT_PINS];
	st->dirty_marks = v[CNT_DIRTY_MARKS];
	st->writebacks = v[CNT_WRITEBACKS];
	st->writeback_errors = v[CNT_WRITEBACK_ERRORS];
	st->load_errors = v[CNT_LOAD_ERRORS];
	st->drops = v[CNT_DROPS];
	cache_lock(c);
	st->frames_total = c->nframes;
	st->frames_free = c->nfree;
	st->frames_resident = c->nframes - c->nfree;
	st->frames_dirty = c->ndirty;
	st->files = c->nfiles;
	cache_unlock(c);
	st->page_size = 1u << c->page_shift;
}

void cache_counts(struct cache *c, uint32_t *nfree, uint32_t *ndirty)
{
	cache_lock(c);
	*nfree = c->nfree;
	*ndirty = c->ndirty;
	cache_unlock(c);
}

void cache_stats_print(const struct cache_stats *st, FILE *out)
{
#define P(f) fprintf(out, "%s %llu\n", #f, (unsigned long long)st->f)
	P(frames_total); P(frames_free); P(frames_resident); P(frames_dirty);
	P(files); P(page_size); P(lookups); P(hits); P(misses); P(inserts);
	P(inserts_ahead);
	P(evictions); P(evictions_dirty); P(evict_aborts); P(pins);
	P(dirty_marks); P(writebacks); P(writeback_errors); P(load_errors);
	P(drops);
#undef P
}

/* The policy's state per frame: its per-frame entries and its share of
 * its fixed-size state, rounded up.  Lock held (a live switch may replace
 * the policy). */
static size_t policy_frame_bytes(struct cache *c)
{
	const struct policy_ops *ops = c->policy->ops;

	assert(cache_locked(c));
	return ops->bytes_per_frame +
	       (ops->bytes_fixed + c->nframes - 1) / c->nframes;
}

size_t cache_meta_bytes_per_frame(struct cache *c)
{
	double idx = (double)(c->bucket_mask + 1) * sizeof(uint32_t) /
		     c->nframes;

	size_t pol;

	cache_lock(c);	/* cache_set_policy may swap it */
	pol = policy_frame_bytes(c);
	cache_unlock(c);
	return sizeof(struct frame) + (size_t)(idx + 0.999) + pol;
}

void cache_mem(struct cache *c, struct cache_mem *m)
{
	const struct policy_ops *ops;

	cache_lock(c);
	ops = c->policy->ops;		/* cache_set_policy swaps it */
	m->core_bytes = sizeof(*c) + (size_t)c->nframes * sizeof(struct frame) +
			((size_t)c->bucket_mask + 1) * sizeof(*c->buckets) +
			((size_t)c->ftab_mask + 1) * sizeof(*c->ftab) +
			(size_t)c->nfiles * sizeof(struct cfile);
	m->policy_bytes = (size_t)c->nframes * policy_frame_bytes(c);
	m->ghost_bytes = ops->ghost_bytes ? ops->ghost_bytes(c->policy) : 0;
	m->resident = c->nframes - c->nfree - c->ndoomed;
	if (ops->ghost_count)
		m->ghosts = ops->ghost_count(c->policy);
	else
		m->ghosts = m->ghost_bytes ? UINT32_MAX : 0;
	cache_unlock(c);
}

void cache_foreach_frame(struct cache *c,
			 void (*fn)(void *arg, uint32_t fno, uint64_t ino,
				    uint64_t pgno, enum frame_state s),
			 void *arg)
{
	cache_lock(c);
	for (uint32_t i = 0; i < c->nframes; i++) {
		struct frame *f = &c->frames[i];
		uint32_t w = LOAD_RLX(&f->word);

		if (fw_state(w) != FRAME_FREE && fw_state(w) != FW_DOOMED)
			fn(arg, i, f->ino, f->pgno, word_state(w));
	}
	cache_unlock(c);
}

void cache_policy_show(struct cache *c, FILE *out)
{
	cache_lock(c);
	c->policy->ops->show(c->policy, out);
	cache_unlock(c);
}
