/* qlist.h - doubly linked lists of frame numbers for policies.  Several
 * lists (ARC's T1/T2, 2Q's A1in/Am, ...) can share one pair of link arrays,
 * since a frame is on at most one list.  Caller holds cache->lock. */
#ifndef FRAMEFS_QLIST_H
#define FRAMEFS_QLIST_H

#include <stdint.h>
#include <stdlib.h>

#include "policy.h"

struct qlinks {
	uint32_t *prev;		/* [nframes]; FRAME_NONE at the head */
	uint32_t *next;		/* [nframes]; FRAME_NONE at the tail */
};

struct qlist {
	uint32_t head;		/* oldest; FRAME_NONE when empty */
	uint32_t tail;		/* newest */
	uint32_t len;
};

static inline int qlinks_init(struct qlinks *lk, uint32_t n)
{
	lk->prev = malloc((size_t)n * sizeof(uint32_t));
	lk->next = malloc((size_t)n * sizeof(uint32_t));
	return lk->prev && lk->next ? 0 : -1;
}

static inline void qlinks_release(struct qlinks *lk)
{
	free(lk->prev);
	free(lk->next);
}

static inline void qlist_init(struct qlist *l)
{
	l->head = l->tail = FRAME_NONE;
	l->len = 0;
}

static inline void qlist_append(struct qlinks *lk, struct qlist *l,
				uint32_t x)
{
	lk->prev[x] = l->tail;
	lk->next[x] = FRAME_NONE;
	if (l->tail != FRAME_NONE)
		lk->next[l->tail] = x;
	else
		l->head = x;
	l->tail = x;
	l->len++;
}

static inline void qlist_del(struct qlinks *lk, struct qlist *l, uint32_t x)
{
	if (lk->prev[x] != FRAME_NONE)
		lk->next[lk->prev[x]] = lk->next[x];
	else
		l->head = lk->next[x];
	if (lk->next[x] != FRAME_NONE)
		lk->prev[lk->next[x]] = lk->prev[x];
	else
		l->tail = lk->prev[x];
	l->len--;
}

/* The oldest entry for which cache_policy_evictable() holds, or FRAME_NONE;
 * one pass, entries stay where they are. */
static inline uint32_t qlist_first_evictable(struct qlinks *lk,
					     struct qlist *l, struct cache *c)
{
	for (uint32_t x = l->head; x != FRAME_NONE; x = lk->next[x])
		if (cache_policy_evictable(c, x))
			return x;
	return FRAME_NONE;
}

/* 0 when l is a well-formed list of distinct resident frames; marks each
 * in seen[] (which the caller zeroes). */
int qlist_check(struct qlinks *lk, struct qlist *l, struct cache *c,
		uint32_t nframes, unsigned char *seen, const char *who);

/* Prints the pages of l, oldest first, each after a space. */
void qlist_show(struct qlinks *lk, struct qlist *l, struct cache *c,
		FILE *out);
/* Prints "name [p p p]": the pages of l, oldest first (2Q's and ARC's
 * show()). */
void qlist_show_named(struct qlinks *lk, struct qlist *l, struct cache *c,
		      const char *name, FILE *out);

#endif
