/* policy.h - pluggable eviction policies.  Called by the cache core only,
 * with cache->lock held (or on the simulator's one thread, cache_sim.c),
 * except hit() of a policy flagged POLICY_HIT_LOCKLESS.
 *
 * A policy orders the resident frames, which it knows by frame number
 * (0 .. nframes-1).  The core tells it of every insert, hit and removal, and
 * asks it for a victim.  Its per-frame state lives in its own struct (arrays
 * indexed by frame number, sized once at create); ghost entries, if any, are
 * keyed by (ino, pgno), which insert() and remove() pass along.
 *
 * Adding a policy: one file policy_NAME.c of static functions exporting
 * one `const struct policy_ops policy_NAME`, one line POLICY(NAME) in
 * policies.def, and the file's name in cache/meson.build.  Nothing else
 * has to learn of it: framefs (-o policy=), framesim, sim_bench, the
 * conformance suite (tests/test_policy.c), the stress test and the mount
 * tests find every policy through policy_find() and policy_all().
 * doc/adding-a-policy.md walks through one.
 *
 * Parameters are written `name:key=value,key=value` (cache_config.policy,
 * framefs -o policy=, framesim --policy).  A policy declares its keys with
 * their defaults and ranges in ops->params; policy_parse() checks a spec and
 * hands create() one double per declared key, defaults filled in.
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
	const struct policy_ops *ops;	/* the table it was made from */
	struct cache *cache;		/* for the cache_policy_* queries below */
	uint32_t nframes;		/* frame numbers are 0 .. nframes-1 */
	struct policy *retired_next;	/* the core's: replaced policies */
};

enum policy_remove {
	POLICY_EVICTED,		/* chosen victim: a ghost may remember it */
	POLICY_DROPPED,		/* truncate, unlink, load error: forget it */
};

/* POLICY_HIT_LOCKLESS: hit() is called without cache->lock, concurrently
 * with any other op and maybe on a policy cache_set_policy has retired.  It
 * may only change the frame's own per-frame state, atomically, and call no
 * cache_policy_* query: set a reference bit (CLOCK, SIEVE, CLOCK-Pro), bump
 * a small saturating count (GCLOCK, S3-FIFO; a racing bump may be lost), or
 * nothing (FIFO, RANDOM).  The ops under the lock read that state knowing
 * it may change under them. */
#define POLICY_HIT_LOCKLESS 0x1u
#define POLICY_NEEDS_FUTURE 0x2u /* reads cache_policy_next_use(): the
				  * simulator only (Belady's OPT) */

#define POLICY_MAX_PARAMS 4

struct policy_param {
	const char *key;		/* NULL ends the array */
	double def;			/* the value the policy's paper uses */
	double min, max;		/* accepted range, inclusive */
	const char *help;		/* a few words for --list */
	bool integer;			/* whole numbers only */
};

struct policy_ops {
	const char *name;			/* the spec's name: framefs -o
						 * policy=, framesim --policy */
	const char *summary;			/* one line for --list */
	unsigned flags;				/* POLICY_* below */
	const struct policy_param *params;	/* NULL: none */
	size_t bytes_per_frame;		/* state per frame, ghosts excluded:
					 * the entries of its per-frame
					 * arrays (cache_meta_bytes_per_frame,
					 * cache_mem) */
	size_t bytes_fixed;		/* optional: state of a fixed size
					 * whatever the pool (LFU's node
					 * table), shared out over the frames
					 * in those reports */
	/* Returns NULL on ENOMEM.  The core fills in ops, cache, nframes.
	 * param[i] is the value of params[i]. */
	struct policy *(*create)(uint32_t nframes, const double *param);
	void (*destroy)(struct policy *p);
	void (*insert)(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno);
	void (*hit)(struct policy *p, uint32_t fno);
	void (*remove)(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno, enum policy_remove why);
	/* Optional (may be NULL): a miss found no free frame, so the next
	 * victim() call makes room for this page.  ARC and CLOCK-Pro decide
	 * differently when the page is one of their ghosts. */
	void (*pending)(struct policy *p, uint64_t ino, uint64_t pgno);
	/* Peek: a resident frame for which cache_policy_evictable() holds, or
	 * FRAME_NONE after one full pass found none.  May age the policy's
	 * state (clear reference bits, move a hand); must not remove. */
	uint32_t (*victim)(struct policy *p);
	/* 0 when every invariant holds: each resident frame (and only those)
	 * tracked exactly once.  Prints the first violation to stderr. */
	int (*check)(struct policy *p);
	/* Optional (NULL: the policy keeps no ghosts): bytes of ghost state
	 * now, lists and tables. */
	size_t (*ghost_bytes)(const struct policy *p);
	/* Optional (NULL: the policy keeps no ghosts): the ghost keys it
	 * holds now.  With it, cache_mem() can say the metadata bytes per
	 * tracked page, resident or ghost. */
	uint32_t (*ghost_count)(const struct policy *p);
	/* One line: the policy's order and bits, with pages by number. */
	void (*show)(struct policy *p, FILE *out);
};

/* The registry (policy.c). */
const struct policy_ops *policy_find(const char *name);
const struct policy_ops *const *policy_all(void);	/* NULL-terminated */
/* Parses "name[:key=value,...]": 0 with *ops and param[] (defaults for keys
 * not given), or -EINVAL with one line of explanation in err. */
int policy_parse(const char *spec, const struct policy_ops **ops,
		 double param[POLICY_MAX_PARAMS], char *err, size_t errlen);
/* Splits a comma-separated list of specs, where a token with '=' and no
 * ':' continues the previous spec ("s3fifo:small=0.2,threshold=2,lru" is two
 * specs).  Returns the count and a NULL-terminated array of strings (free
 * each and the array), or -ENOMEM. */
int policy_split_list(const char *list, char ***out);
/* The registry as --list prints it: name, summary, parameters. */
void policy_print_list(FILE *out);

/* What the core tells a policy; cache->lock is held by the caller (debug
 * builds assert it, as every "lock held" helper of the core does). */
bool cache_policy_evictable(struct cache *c, uint32_t fno);
bool cache_policy_resident(struct cache *c, uint32_t fno);
uint32_t cache_policy_nresident(struct cache *c);
/* For show(): the page number of a frame (the ino when there are several
 * files is left out to keep teaching output short). */
uint64_t cache_policy_pgno(struct cache *c, uint32_t fno);
/* For POLICY_NEEDS_FUTURE: the position in the trace of the next reference
 * to the page being inserted or hit (UINT64_MAX: never again), as the
 * simulator set it with cache_set_next_use() (cache_sim.h) before the
 * access. */
uint64_t cache_policy_next_use(struct cache *c);

#endif
