/* hazard.c - hazard pins (see hazard.h for the interface and handshake).
 *
 * Finding this thread's block.  A block is claimed by CAS of its owner from
 * 0 to the thread's token (a process-wide counter, one per thread), and
 * found again by scanning for that token.  The scan is skipped on the hot
 * path: each thread caches (hazard id, block) in two thread-local
 * variables, so a thread pinning in one struct hazard after another
 * rescans once per switch.  The id, not the address, keys that cache,
 * because a struct hazard freed and another allocated at the same address
 * must not inherit the old one's blocks.
 *
 * Memory order.  Slots are stored and scanned seq_cst: that is the whole
 * handshake.  A slot is emptied seq_cst too, before waiters is loaded
 * seq_cst; hazard_wait_begin increments waiters seq_cst before the waiter
 * scans.  So either the waiter's scan sees the slot empty, or the unpinning
 * thread sees waiters > 0 and calls wake.  Owners and nblocks need only be
 * atomic: a scan that misses a block claimed concurrently misses only a
 * pin taken after the freer's mark, which the pinning thread gives back
 * when it checks the frame.
 */
#include "hazard.h"

#include <stddef.h>

static __thread uint64_t tls_hazard_id;	/* hazard.id of tls_block's */
static __thread struct hazard_block *tls_block; /* NULL: none there */

/* This thread's token: 1, 2, ... in order of first use. */
static uint64_t thread_token(void)
{
	static uint64_t next;
	static __thread uint64_t token;

	if (!token)
		token = __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
	return token;
}

void hazard_init(struct hazard *h, void (*wake)(void *arg), void *wake_arg)
{
	static uint64_t next_id;

	h->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	h->nblocks = 0;
	h->waiters = 0;
	h->wake = wake;
	h->wake_arg = wake_arg;
	for (int i = 0; i < HAZARD_THREADS; i++) {
		h->block[i].owner = 0;
		for (int j = 0; j < HAZARD_SLOTS; j++)
			h->block[i].slot[j] = HAZARD_NONE;
	}
}

/* This thread's block in h, or NULL.  With claim, takes a free block on
 * first use (NULL when all are taken).  Only hazard_pin claims, so threads
 * that merely unpin or assert do not use up blocks. */
static struct hazard_block *block_find(struct hazard *h, bool claim)
{
	uint64_t me = thread_token(), zero;
	struct hazard_block *mine = NULL;

	if (tls_hazard_id == h->id)
		return tls_block;
	for (uint32_t i = 0; i < HAZARD_THREADS && !mine; i++)
		if (__atomic_load_n(&h->block[i].owner, __ATOMIC_RELAXED) == me)
			mine = &h->block[i];
	for (uint32_t i = 0; i < HAZARD_THREADS && !mine && claim; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(&h->block[i].owner, &zero, me,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED)) {
			uint32_t n = __atomic_load_n(&h->nblocks,
						     __ATOMIC_SEQ_CST);

			while (n < i + 1 &&
			       !__atomic_compare_exchange_n(&h->nblocks, &n,
							    i + 1, false,
							    __ATOMIC_SEQ_CST,
							    __ATOMIC_SEQ_CST))
				;
			mine = &h->block[i];
		}
	}
	if (mine || claim) {
		tls_hazard_id = h->id;
		tls_block = mine;
	}
	return mine;
}

/* Empties a slot; a freer may be waiting for it (see the top). */
static void slot_clear(struct hazard *h, struct hazard_block *b, int i)
{
	__atomic_store_n(&b->slot[i], HAZARD_NONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&h->waiters, __ATOMIC_SEQ_CST))
		h->wake(h->wake_arg);
}

bool hazard_pin(struct hazard *h, uint32_t fno)
{
	struct hazard_block *b = block_find(h, true);

	if (!b)
		return false;
	for (int i = 0; i < HAZARD_SLOTS; i++) {
		if (__atomic_load_n(&b->slot[i], __ATOMIC_RELAXED) !=
		    HAZARD_NONE)
			continue;
		__atomic_store_n(&b->slot[i], fno, __ATOMIC_SEQ_CST);
		return true;
	}
	return false;
}

bool hazard_unpin(struct hazard *h, uint32_t fno)
{
	struct hazard_block *b = block_find(h, false);

	if (!b)
		return false;
	for (int i = 0; i < HAZARD_SLOTS; i++) {
		if (__atomic_load_n(&b->slot[i], __ATOMIC_RELAXED) == fno) {
			slot_clear(h, b, i);
			return true;
		}
	}
	return false;
}

bool hazard_mine(struct hazard *h, uint32_t fno)
{
	struct hazard_block *b = block_find(h, false);

	for (int i = 0; b && i < HAZARD_SLOTS; i++)
		if (__atomic_load_n(&b->slot[i], __ATOMIC_RELAXED) == fno)
			return true;
	return false;
}

bool hazard_busy(struct hazard *h, uint32_t fno)
{
	uint32_t n = __atomic_load_n(&h->nblocks, __ATOMIC_SEQ_CST);

	for (uint32_t i = 0; i < n; i++)
		for (int j = 0; j < HAZARD_SLOTS; j++)
			if (__atomic_load_n(&h->block[i].slot[j],
					    __ATOMIC_SEQ_CST) == fno)
				return true;
	return false;
}

void hazard_wait_begin(struct hazard *h)
{
	__atomic_add_fetch(&h->waiters, 1, __ATOMIC_SEQ_CST);
}

void hazard_wait_end(struct hazard *h)
{
	__atomic_sub_fetch(&h->waiters, 1, __ATOMIC_SEQ_CST);
}
