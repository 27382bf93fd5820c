/* ghost.h - a bounded FIFO set of page keys: the history of evicted pages
 * that ARC (B1, B2), 2Q (A1out) and S3-FIFO (the ghost queue) keep.
 *
 *   g = ghost_new(capacity);          capacity >= 1 keys, allocated once
 *   ghost_add(g, ino, pgno);          newest; drops the oldest when full
 *   s = ghost_slot(g, ino, pgno);     where a key lives (a value per key)
 *   if (ghost_remove(g, ino, pgno))   a ghost hit: the key was there
 *   ghost_pop_oldest(g);              shrink by one (ARC's REPLACE)
 *   ghost_free(g);
 *
 * Keys are whole (ino, pgno) pairs, so there are no false hits.  Each key
 * costs ghost_bytes(g) / capacity bytes (about 32).  Not thread-safe: the
 * policy calls it under cache->lock.
 */
#ifndef FRAMEFS_GHOST_H
#define FRAMEFS_GHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ghost;

struct ghost *ghost_new(uint32_t capacity);	/* NULL on ENOMEM */
void ghost_free(struct ghost *g);

/* Adds a key as the newest (a key already present moves to newest). */
void ghost_add(struct ghost *g, uint64_t ino, uint64_t pgno);
/* ghost_add for a key the caller knows is absent (a page just evicted was
 * resident, so it is no ghost): one table probe less.  Returns the key's
 * slot (below). */
uint32_t ghost_push(struct ghost *g, uint64_t ino, uint64_t pgno);
bool ghost_contains(const struct ghost *g, uint64_t ino, uint64_t pgno);
/* The key's slot, 0 .. capacity-1, or GHOST_NONE when absent.  A key keeps
 * its slot until it is removed or dropped, so a policy can keep a value per
 * key in an array of its own, indexed by slot (the linux policy's eviction
 * stamps). */
#define GHOST_NONE UINT32_MAX
uint32_t ghost_slot(const struct ghost *g, uint64_t ino, uint64_t pgno);
/* Removes the key; true if it was there. */
bool ghost_remove(struct ghost *g, uint64_t ino, uint64_t pgno);
/* Removes the oldest key; false if empty. */
bool ghost_pop_oldest(struct ghost *g);
uint32_t ghost_len(const struct ghost *g);
uint32_t ghost_capacity(const struct ghost *g);
/* Bytes allocated (for the policy's ghost_bytes()). */
size_t ghost_bytes(const struct ghost *g);
/* Calls fn for each key, oldest first (for show()). */
void ghost_foreach(const struct ghost *g,
		   void (*fn)(void *arg, uint64_t ino, uint64_t pgno),
		   void *arg);
/* Prints "name [pgno pgno]", oldest first (2Q's and ARC's show()). */
void ghost_show(const struct ghost *g, const char *name, FILE *out);
/* 0 when the list and the hash table agree; prints the first violation. */
int ghost_check(const struct ghost *g);

#endif
