/* procmaps.h - parsing /proc/PID/{maps,smaps,stat}: the data mapview shows.
 *
 *   struct vma_list l;
 *   rc = procmaps_read_pid(pid, true, &l);     or procmaps_parse(f, &l, &line)
 *   for (i = 0; i < l.n; i++) ... l.v[i] ...   in the kernel's (address) order
 *   procmaps_free(&l);
 *
 *   struct procstat st;
 *   rc = procstat_read_pid(pid, &st);          or procstat_parse(buf, &st)
 *
 * Errors are negative errnos.  Nothing here keeps state between calls and
 * nothing is shared: every function may be called from any thread on its
 * own list.  A list read from /proc is not an atomic snapshot (see
 * procmaps.c); the caller owns it and frees it with procmaps_free().
 */
#ifndef FRAMEFS_PROCMAPS_H
#define FRAMEFS_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct vma {
	uint64_t start, end;		/* [start, end) addresses */
	char perms[5];			/* "r-xp", NUL-terminated */
	uint64_t offset;		/* file offset of start, bytes */
	unsigned dev_major, dev_minor;
	uint64_t inode;			/* 0 for anonymous */
	char *path;			/* malloc'd; NULL if none; "[heap]",
					 * "[stack]", "[vdso]"...; for files,
					 * the path with any " (deleted)"
					 * suffix removed.  As the kernel
					 * printed it: a '\n' in a file name
					 * reads "\012" */
	bool deleted;			/* the path ended in " (deleted)" */
	/* From smaps, in KiB; UINT64_MAX when the field was absent (maps
	 * only, or a kernel that does not print it). */
	uint64_t size_kb, rss_kb, pss_kb, shared_clean_kb, shared_dirty_kb,
		 private_clean_kb, private_dirty_kb, referenced_kb,
		 anonymous_kb, swap_kb;
};

struct vma_list {
	struct vma *v;			/* n entries, malloc'd; NULL if n == 0 */
	size_t n;
};

/* Parses a maps or smaps text stream to EOF.  *out need not be initialized
 * and is overwritten (not freed).  smaps key lines ("Rss:  12 kB",
 * "VmFlags: rd ex", ...) after a header line fill that vma's fields; keys
 * this struct has no field for are ignored.  Every line must be a header or
 * a key line: a key line before the first header, an empty line or a known
 * key with a value other than "<decimal> kB" is malformed.
 * Returns 0, -EINVAL on a malformed line (and sets *bad_line to its 1-based
 * number if bad_line != NULL), -ENOMEM, or the negative errno of a read
 * error.  On error out is left empty. */
int procmaps_parse(FILE *f, struct vma_list *out, unsigned *bad_line);

/* Reads /proc/PID/smaps (smaps) or /proc/PID/maps.  Returns 0, -ENOENT if
 * the process does not exist or exited while being read, -EACCES (or
 * -EPERM) if we may not look at it, or as procmaps_parse().  A kernel
 * thread, or a zombie, has no mappings: 0 with an empty list. */
int procmaps_read_pid(pid_t pid, bool smaps, struct vma_list *out);

/* Frees every path and the array; NULL-safe, leaves l empty. */
void procmaps_free(struct vma_list *l);

bool vma_is_shared(const struct vma *v);	/* perms[3] == 's' */
bool vma_is_file(const struct vma *v);		/* inode != 0 and a path not
						 * starting with '[' */

struct procstat {
	int pid;
	char comm[64];			/* without the parentheses; may contain
					 * spaces and ')'; truncated to 63
					 * bytes */
	char state;			/* 'R', 'S', 'D', 'Z', ... */
	int ppid;
	uint64_t minflt, cminflt, majflt, cmajflt;
	uint64_t utime_ticks, stime_ticks;	/* sysconf(_SC_CLK_TCK) */
};

/* Parses one /proc/PID/stat line (a trailing newline is allowed): comm is
 * everything between the first '(' and the LAST ')'.  Returns 0 or -EINVAL
 * if malformed; *out is undefined on error. */
int procstat_parse(const char *buf, struct procstat *out);

/* Reads and parses /proc/PID/stat.  Returns 0, -ENOENT if the process does
 * not exist (or is gone), -EINVAL, -ENOMEM, or a read error. */
int procstat_read_pid(pid_t pid, struct procstat *out);

#endif
