/* policy.h - pluggable eviction policies.  Called by cache.c only, with
 * cache->lock held, except hit() of a policy flagged POLICY_HIT_LOCKLESS.
 *
 * A policy orders the resident frames, which it knows by frame number
 * (0 .. nframes-1).  The core tells it of every insert, hit and removal, and
 * asks it for a victim.  Its per-frame state lives in its own struct (arrays
 * indexed by frame number, sized once at create); ghost entries, if any, are
 * keyed by (ino, pgno), which insert() and remove() pass along.
 *
 * Adding a policy: one file policy_NAME.c exporting one
 * `const struct policy_ops policy_NAME`, and one line in policy.c.
 */
#ifndef FRAMEFS_POLICY_H
#define FRAMEFS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cache;

#define FRAME_NONE UINT32_MAX

/* Embedded first in each policy's own struct. */
struct policy {
	const struct policy_ops *ops;
	struct cache *cache;		/* for the cache_policy_* queries below */
	uint32_t nframes;
};

enum policy_remove {
	POLICY_EVICTED,		/* chosen victim: a ghost may remember it */
	POLICY_DROPPED,		/* truncate, unlink, load error: forget it */
};

#define POLICY_HIT_LOCKLESS 0x1u /* hit() only sets a bit, atomically */

struct policy_ops {
	const char *name;
	const char *summary;			/* one line for --list */
	unsigned flags;
	/* Returns NULL on ENOMEM.  The core fills in ops, cache, nframes. */
	struct policy *(*create)(uint32_t nframes);
	void (*destroy)(struct policy *p);
	void (*insert)(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno);
	void (*hit)(struct policy *p, uint32_t fno);
	void (*remove)(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno, enum policy_remove why);
	/* Peek: a resident frame for which cache_policy_evictable() holds, or
	 * FRAME_NONE after one full pass found none.  May age the policy's
	 * state (clear reference bits, move a hand); must not remove. */
	uint32_t (*victim)(struct policy *p);
	/* 0 when every invariant holds: each resident frame (and only those)
	 * tracked exactly once.  Prints the first violation to stderr. */
	int (*check)(struct policy *p);
	/* Bytes of state per frame (ghosts excluded), and ghost bytes. */
	size_t (*bytes_per_frame)(const struct policy *p);
	size_t (*ghost_bytes)(const struct policy *p);
	/* One line: the policy's order and bits, with pages by number. */
	void (*show)(struct policy *p, FILE *out);
};

/* The registry (policy.c). */
const struct policy_ops *policy_find(const char *name);
const struct policy_ops *const *policy_all(void);	/* NULL-terminated */

/* What the core tells a policy; cache->lock is held by the caller. */
bool cache_policy_evictable(struct cache *c, uint32_t fno);
bool cache_policy_resident(struct cache *c, uint32_t fno);
uint32_t cache_policy_nresident(struct cache *c);
/* For show(): the page number of a frame (the ino when there are several
 * files is left out to keep teaching output short). */
uint64_t cache_policy_pgno(struct cache *c, uint32_t fno);

#endif
