/* hazard.h - hazard pins: a thread announces the frame it is about to use
 * in a slot of its own, and whoever frees a frame first scans every slot.
 *
 *   hazard_init(&h, wake, arg);       once, in the owner's constructor
 *   if (hazard_pin(&h, fno)) {        published (seq_cst); now re-check
 *           if (!frame_still_usable)  that the frame may be used, and
 *                   hazard_unpin(&h, fno);   give the pin back if not
 *   }
 *   hazard_unpin(&h, fno);            drop it, on the thread that took it
 *   hazard_busy(&h, fno)              the freer, after marking the frame
 *                                     (seq_cst): does any thread hold it?
 *   hazard_wait_begin(&h); ... hazard_wait_end(&h);
 *                                     a freer that sleeps until pins go:
 *                                     meanwhile every unpin calls wake(arg)
 *
 * The handshake (Michael, 2004) is Dekker's: the reader stores its slot and
 * then loads the frame's state; the freer stores the state and then loads
 * the slots; both sequentially consistent, so at least one sees the other.
 * A pin costs the reader two stores and a load on a cache line no other
 * thread writes (struct hazard_block); frees pay for a scan.
 *
 * Slots belong to threads, not to callers: a pin is dropped by the thread
 * that took it.  A thread claims a block on its first pin and keeps it for
 * the life of the struct hazard (blocks are never given back, so a program
 * that starts more than HAZARD_THREADS pinning threads over the lifetime of
 * one cache has the later ones fall back).  hazard_pin() returns false when
 * the thread has no block or all its HAZARD_SLOTS are in use: the caller
 * then pins some other way (cache.c: a counted pin in the frame word).
 * Frame numbers are any uint32_t but HAZARD_NONE (UINT32_MAX, the core's
 * FRAME_NONE), which marks an empty slot.  No locks: every function
 * may be called from any thread, at any time after hazard_init.
 */
#ifndef FRAMEFS_HAZARD_H
#define FRAMEFS_HAZARD_H

#include <stdbool.h>
#include <stdint.h>

#define HAZARD_THREADS 64	/* threads with slots, per struct hazard */
#define HAZARD_SLOTS 4		/* pins a thread can hold at once */
#define HAZARD_NONE UINT32_MAX	/* an empty slot */

/* One thread's slots, alone on its cache line. */
struct hazard_block {
	uint32_t slot[HAZARD_SLOTS];	/* frame numbers or HAZARD_NONE;
					 * stored by the owner, seq_cst;
					 * scanned by freers */
	uint64_t owner;			/* thread token, 0 = unclaimed;
					 * claimed once by CAS */
} __attribute__((aligned(64)));

struct hazard {
	uint64_t id;			/* unique per hazard_init: the key of
					 * each thread's cached block */
	uint32_t nblocks;		/* atomic; blocks claimed so far (a
					 * high-water mark: scans stop here) */
	uint32_t waiters;		/* atomic; hazard_wait_begin minus
					 * _end: unpins call wake while > 0 */
	void (*wake)(void *arg);	/* called after an unpin that a
					 * waiter may be sleeping on */
	void *wake_arg;
	struct hazard_block block[HAZARD_THREADS];
};

/* Empties every slot.  wake (not NULL) is called from hazard_unpin. */
void hazard_init(struct hazard *h, void (*wake)(void *arg), void *wake_arg);

/* Publishes fno in a free slot of this thread (claiming a block on the
 * thread's first call).  true: published, sequentially consistent, and the
 * caller must now check that the frame is still usable; false: no slot,
 * nothing published. */
bool hazard_pin(struct hazard *h, uint32_t fno);

/* Empties one of this thread's slots holding fno, and calls wake if a
 * freer is waiting.  false if this thread holds no pin on fno. */
bool hazard_unpin(struct hazard *h, uint32_t fno);

/* Does this thread hold a pin on fno?  For assertions. */
bool hazard_mine(struct hazard *h, uint32_t fno);

/* Does any thread hold a pin on fno?  Sequentially consistent: a caller
 * that made fno unpinnable (seq_cst) before asking knows that every pin
 * taken after the scan sees that and is given back. */
bool hazard_busy(struct hazard *h, uint32_t fno);

/* Brackets a wait for pins to go: in between, every hazard_unpin calls
 * wake (the store of the slot and the load of waiters are sequentially
 * consistent against these, so no unpin is missed). */
void hazard_wait_begin(struct hazard *h);
void hazard_wait_end(struct hazard *h);

#endif
