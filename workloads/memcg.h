/* memcg.h - a memory cgroup (v1) made for one run, so the kernel's own page
 * replacement works on a page cache of a chosen size and can be measured.
 *
 *   char err[256];
 *   struct memcg *m = memcg_open(limit_bytes, err, sizeof(err));
 *   if (!m) ... err says why (no v1 memory controller, not root, ...) ...
 *   memcg_enter(m, 0);                  this process (0) moves in
 *   memcg_sampler_start(m, 10);         memory.stat every 10 ms
 *   ... the workload ...
 *   memcg_sampler_stop(m, &sum);        averages, maxima, deltas
 *   memcg_leave(m);                     back to the cgroup it came from
 *   memcg_close(m);                     leave, rmdir, free
 *
 * The cgroup is a fresh directory "mmload.PID" beside nothing else: under
 * the process's own memory cgroup (where a container or a service manager
 * put it), or under the controller's root when that one is not writable.
 * Only one may be open at a time: memcg_close() is also what the SIGINT
 * and SIGTERM handlers and an exit() on a failure path run
 * (memcg_close_on_exit), async-signal-safe, so the directory never stays.
 *
 * Charges in cgroup v1 stay where they were made (move_charge_at_immigrate
 * is left 0): what the process touched before memcg_enter() is not counted
 * here, so entering late keeps the cgroup's usage the workload's own.
 */
#ifndef FRAMEFS_MEMCG_H
#define FRAMEFS_MEMCG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct memcg;

/* What memory.stat (and memory.usage_in_bytes) said, in bytes. */
struct memcg_stat {
	uint64_t usage;			/* memory.usage_in_bytes */
	uint64_t cache, mapped_file, shmem;
	uint64_t inactive_file, active_file;	/* the file LRU lists */
	uint64_t pgmajfault;
	uint64_t refault_file;		/* workingset_refault_file */
	uint64_t activate_file;		/* workingset_activate_file */
	uint64_t restore_file;		/* workingset_restore_file */
	bool has_refault, has_activate, has_restore;
};

/* Over a sampled stretch, in pages except the counts. */
struct memcg_summary {
	uint64_t samples;
	double file_pages_avg;		/* cache - shmem: the page cache */
	uint64_t file_pages_max;
	double full_pages_avg;		/* the same over the samples from the
					 * first that found the cache full
					 * (within MEMCG_FULL_SLACK pages of
					 * its room): the size replacement ran
					 * at; -1 if it never filled */
	uint64_t full_samples;		/* how many */
	double active_pages_avg;	/* active_file: the active list */
	double mapped_pages_avg;	/* mapped_file */
	uint64_t other_pages_max;	/* usage minus the file LRU: the
					 * workload's own memory charged here */
	uint64_t limit_bytes;		/* at the end (the sampler may raise
					 * it as other_pages grows) */
	uint64_t refault_file, activate_file, restore_file;	/* deltas */
	bool has_refault, has_activate, has_restore;
	uint64_t pgmajfault;		/* delta */
};

/* A cache this close to its room counts as full: the per-CPU charge
 * stock (MEMCG_CHARGE_BATCH, 64 pages) is charged before it is used. */
#define MEMCG_FULL_SLACK 64

struct memcg *memcg_open(uint64_t cache_bytes, uint64_t other_bytes,
			 char *err, size_t errlen);
const char *memcg_path(const struct memcg *m);
int memcg_enter(struct memcg *m, pid_t pid);
int memcg_leave(struct memcg *m);
int memcg_thread_out(struct memcg *m, pid_t tid);
int memcg_read_stat(struct memcg *m, struct memcg_stat *st);
int memcg_sampler_start(struct memcg *m, unsigned interval_ms);
void memcg_sampler_stop(struct memcg *m, struct memcg_summary *sum);
void memcg_set_child(pid_t child);
int memcg_close(struct memcg *m);

#endif
