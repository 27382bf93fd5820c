/* cache_int.h - the layout of the cache core, for the files of cache/ that
 * implement it (cache.c, cache_sim.c, cache_check.c) and no one else: users
 * of cache.h see struct cache and struct frame as opaque.  The design, the
 * table of the frame word and the lock rules are at the top of cache.c.
 *
 * Besides the structs: the frame word's bits, the atomic shorthands, the
 * lock helpers (a debug build knows which thread holds cache->lock, so
 * "lock held" is asserted, not only written), the two index operations
 * every path inlines, and the structure helpers cache.c lends cache_sim.c.
 */
#ifndef FRAMEFS_CACHE_INT_H
#define FRAMEFS_CACHE_INT_H

/* cache/meson.build defines this for the library's own files only. */
#ifndef FRAMEFS_CACHE_CORE
#error "cache_int.h is the core's own layout: include cache.h instead"
#endif

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "cache_sim.h"
#include "keyhash.h"
#include "hazard.h"
#include "policy.h"

#ifdef CACHE_TRACE_ON
#define CACHE_TRACE(args) do { fprintf(stderr, "cache: "); \
	fprintf args; fputc('\n', stderr); } while (0)
#else
#define CACHE_TRACE(args) ((void)0)
#endif

/* ---- the frame word (the table at the top of cache.c) ----------------- */

/* The states of enum frame_state in bits 0-2, one more (FW_DOOMED), the
 * flags, the pins. */
#define FW_STATE_MASK	0x7u
/* A word state of its own, never reported: an evicting frame that
 * cache_drop_range took out of the index, the file and the policy (its data
 * is garbage: the file was cut or deleted, or a hole was punched there).
 * The evicting thread frees it at cache_evict_end/_cancel, once its pins
 * drain, and never writes it back.  Drop does not wait for evictions: one
 * may be waiting, in the kernel, for the truncate or fallocate that is
 * dropping. */
#define FW_DOOMED	6u
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

/* ---- the structs ------------------------------------------------------ */

struct frame {
	uint64_t ino;		/* key; written under lock while FREE */
	uint64_t pgno;		/* key; read racily by the hit path */
	uint32_t word;		/* state | FW_* flags | pins; atomic */
	uint32_t hnext;		/* index chain or free list; lock (atomic
				 * stores for lock-free readers) */
	uint32_t fprev, fnext;	/* circular per-file list; lock */
};

/* A file with resident frames or an error to report; lock, all fields. */
struct cfile {
	uint64_t ino;			/* key */
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
	CNT_HITS, CNT_MISSES, CNT_INSERTS, CNT_AHEAD, CNT_EVICTIONS,
	CNT_EVICTIONS_DIRTY, CNT_EVICT_ABORTS, CNT_PINS, CNT_DIRTY_MARKS,
	CNT_WRITEBACKS, CNT_WRITEBACK_ERRORS, CNT_LOAD_ERRORS, CNT_DROPS,
	CNT__N
};

#define NSLOTS 16		/* counter slots; threads share beyond that */
/* evict_begin passes over hazard-pinned frames; there are at most this
 * many, plus a few counted-pinned between victim() and our CAS. */
#define EVICT_HELD_MAX (HAZARD_THREADS * HAZARD_SLOTS + 16)
/* cache_sim_prefetch: a hinted page's bucket is fetched at once, its first
 * frame SIM_STAGE hints later, when the bucket has arrived. */
#define SIM_STAGE (CACHE_SIM_AHEAD / 2)

struct cnt_slot {
	uint64_t v[CNT__N];	/* atomic adds; one thread per slot mostly */
} __attribute__((aligned(64)));

struct cache {
	pthread_mutex_t lock;		/* the one lock (cache.c, "Locks");
					 * take it with cache_lock() */
#ifdef CACHE_LOCK_CHECKS
	const void *lock_owner;		/* -Dlock_checks: CACHE_SELF of the
					 * thread holding lock, NULL if none;
					 * atomic */
	const void *sim_owner;		/* -Dlock_checks: CACHE_SELF of the
					 * thread inside cache_sim_access,
					 * NULL if none; atomic */
#endif
	pthread_cond_t cv;		/* loads, write-backs, evictions, unpins */
	struct frame *frames;		/* [nframes] */
	uint32_t *buckets;		/* [bucket_mask + 1]; lock, atomic */
	uint32_t bucket_mask;		/* buckets - 1, a power of two - 1 */
	uint32_t nframes;		/* pool size, fixed */
	uint32_t page_shift;		/* log2 of the page size */
	unsigned char *data;		/* NULL when metadata_only */
	size_t data_bytes;		/* nframes << page_shift, mapped */
	struct policy *policy;		/* lock; lockless hits load it
					 * atomically (cache_set_policy) */
	struct policy *retired;		/* lock; policies replaced by
					 * cache_set_policy: a lockless hit
					 * may still be in one, so they live
					 * until cache_free */
	uint32_t free_head;		/* lock */
	uint32_t nfree;			/* lock */
	uint32_t ndoomed;		/* FW_DOOMED frames; lock */
	uint32_t ndirty;		/* lock; DIRTY + WRITEBACK frames */
	struct cfile **ftab;		/* lock; file table */
	uint32_t ftab_mask;		/* lock; ftab's size - 1 (it grows) */
	uint32_t nfiles;		/* lock; records in ftab */
	struct cfile *dirty_head;	/* lock; oldest dirtied first */
	struct cfile *dirty_tail;	/* lock; newest dirtied */
	uint64_t next_use;		/* cache_set_next_use (OPT): written
					 * and read by the simulating thread */
	struct frame *evict_held[EVICT_HELD_MAX]; /* lock; evict_begin's */
	struct hazard hz;		/* the hit path's pins (hazard.h) */
	struct cnt_slot slots[NSLOTS];	/* counters, a slot per thread (mod
					 * NSLOTS); atomic adds */
	struct cnt_slot sim;		/* cache_sim_access's counts: written
					 * by the simulating thread alone,
					 * relaxed; cache_stats adds them in */
	uint32_t sim_ahead[SIM_STAGE];	/* cache_sim_prefetch's buckets, the
					 * last SIM_STAGE hinted; simulating
					 * thread only */
	uint32_t sim_ahead_pos;		/* next sim_ahead entry; simulating
					 * thread only */
};

/* ---- the lock --------------------------------------------------------- */

/* cache->lock with its holder known in checking builds, as SQLite asserts
 * sqlite3_mutex_held(): take it with cache_lock(), give it back with
 * cache_unlock(), sleep on cv with cache_wait() (pthread_cond_wait gives
 * the lock up while it sleeps, so the owner is cleared and set again
 * around it), and assert(cache_locked(c)) in every function that says
 * "lock held".  The simulator's path holds no lock but has the cache to
 * itself: it says so in sim_owner for the length of an access
 * (cache_sim.c), and the same assertions hold there.
 *
 * The owner is kept in builds configured with -Dlock_checks=true
 * (CACHE_LOCK_CHECKS), which `make sanitize` and so CI use; elsewhere
 * there is no owner and cache_locked() is true.  Not in every build with assertions:
 * the checks sit on the simulator's per-reference path (the helpers every
 * miss calls, the policies' queries on every frame a victim scan looks
 * at) and cost it 10-25% of its replay rate (sim_bench, fifo and lru).
 *
 * A thread is named by the address of a thread-local byte (CACHE_SELF):
 * unique among live threads, and with the initial-exec model one
 * instruction, cheap enough for the policies' queries on the simulator's
 * hot path, where pthread_self() would be a call. */
#ifdef CACHE_LOCK_CHECKS
extern __thread char cache_thread_byte
	__attribute__((tls_model("initial-exec")));
#define CACHE_SELF ((const void *)&cache_thread_byte)
#endif

static inline void cache_lock(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
#ifdef CACHE_LOCK_CHECKS
	STORE_RLX(&c->lock_owner, CACHE_SELF);
#endif
}

static inline void cache_unlock(struct cache *c)
{
#ifdef CACHE_LOCK_CHECKS
	assert(LOAD_RLX(&c->lock_owner) == CACHE_SELF);
	STORE_RLX(&c->lock_owner, NULL);
#endif
	pthread_mutex_unlock(&c->lock);
}

/* pthread_cond_wait on cv; the lock is given up while asleep. */
static inline void cache_wait(struct cache *c)
{
#ifdef CACHE_LOCK_CHECKS
	assert(LOAD_RLX(&c->lock_owner) == CACHE_SELF);
	STORE_RLX(&c->lock_owner, NULL);
#endif
	pthread_cond_wait(&c->cv, &c->lock);
#ifdef CACHE_LOCK_CHECKS
	STORE_RLX(&c->lock_owner, CACHE_SELF);
#endif
}

/* Does this thread hold cache->lock (or own the cache, simulating)?  Only
 * for assert(). */
static inline bool cache_locked(struct cache *c)
{
#ifdef CACHE_LOCK_CHECKS
	return LOAD_RLX(&c->lock_owner) == CACHE_SELF ||
	       LOAD_RLX(&c->sim_owner) == CACHE_SELF;
#else
	(void)c;
	return true;
#endif
}

/* ---- the integrity checker (cache_check.c) ---------------------------- */

/* cache_check() with the lock already held: 0, or -EUCLEAN after printing
 * the first violation. */
int cache_check_locked(struct cache *c);

/* Debug builds (-Dcheck_invariants=true) verify everything after each
 * structural change; lock held. */
#ifdef CACHE_CHECK_HOT
#define HOT_CHECK(c) assert(cache_check_locked(c) == 0)
#else
#define HOT_CHECK(c) ((void)0)
#endif

/* ---- frames and the index --------------------------------------------- */

static inline uint32_t fno_of(const struct cache *c, const struct frame *f)
{
	return (uint32_t)(f - c->frames);
}

/* The frame holding (ino, pgno), or FRAME_NONE.  Lock held (or the
 * simulator's one thread): the lock-free walk is cache.c's lookup_fast. */
static inline uint32_t index_find(struct cache *c, uint64_t ino,
				  uint64_t pgno)
{
	uint32_t fno = c->buckets[key_hash(ino, pgno) & c->bucket_mask];

	assert(cache_locked(c));
	while (fno != FRAME_NONE) {
		struct frame *f = &c->frames[fno];

		if (f->ino == ino && f->pgno == pgno)
			return fno;
		fno = f->hnext;
	}
	return FRAME_NONE;
}

/* Links a keyed frame at the head of its chain, publishing it to lock-free
 * readers with the release store.  Lock held (or the simulator's thread). */
static inline void index_insert(struct cache *c, uint32_t fno)
{
	struct frame *f = &c->frames[fno];
	uint32_t *head = &c->buckets[key_hash(f->ino, f->pgno) &
				     c->bucket_mask];

	assert(cache_locked(c));
	STORE_RLX(&f->hnext, *head);
	STORE_REL(head, fno);
}

/* ---- structure helpers (cache.c), lent to cache_sim.c ----------------- */

/* Finds or creates the record of ino; NULL on ENOMEM.  Lock held. */
struct cfile *file_get(struct cache *c, uint64_t ino);
/* Links fno into cf's circular list; at_head puts it first.  Lock held. */
void flist_add(struct cache *c, struct cfile *cf, uint32_t fno,
	       bool at_head);
/* Unlinks a frame whose word is already FREE from index, file and policy
 * (remove(why)), and pushes it on the free list.  Lock held. */
void frame_release(struct cache *c, uint32_t fno, uint32_t old_state,
		   enum policy_remove why);

#endif
